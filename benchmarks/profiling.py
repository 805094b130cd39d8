"""cProfile of one auto-save pass and of a burst of edits: the top functions by cumulative time, and the time of
fw_kernel's own stages (per operation), so the printout says where the time goes."""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import time
from collections.abc import Callable
from typing import Any

_SITE = next((p for p in sys.path if p.endswith("site-packages")), "\0")
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _where(key: tuple[str, int, str]) -> str:
    filename, line, name = key
    if filename.startswith(_SITE):
        filename = filename[len(_SITE) + 1:]
    elif filename.startswith(_ROOT):
        filename = filename[len(_ROOT) + 1:]
    return f"{filename}:{line}({name})" if line else name


def _stages(backend: str) -> dict[str, Any]:
    """The functions of fw_kernel worth timing separately (label -> function)."""
    from fw_kernel.adapters.sql import repositories as r
    from fw_kernel.domain import design as d
    from fw_kernel.domain import diff as df
    from fw_kernel.domain import validation as v
    from fw_kernel.domain.commands import UpdateLayer
    from fw_kernel.services.autosave import Autosaver
    from fw_kernel.services.designs import DesignService

    stages: dict[str, Any] = {
        "Autosaver._save_chunk (one chunk of saves, total)": Autosaver._save_chunk,
        "SqlUnitOfWork.__enter__ (pool checkout + BEGIN)": r.SqlUnitOfWork.__enter__,
        "SqlUnitOfWork.__exit__ (rollback/close)": r.SqlUnitOfWork.__exit__,
        "SqlUnitOfWork.commit": r.SqlUnitOfWork.commit,
        "SqlDesignRepository.get (SELECT design + layers -> Design)": r.SqlDesignRepository.get,
        "_layer_from (row -> Layer, pydantic)": r._layer_from,
        "SqlDesignRepository.mark_autosaved_many (UPDATE executemany)": r.SqlDesignRepository.mark_autosaved_many,
        "SqlDesignRepository.snapshots_many (SELECT chunk -> snapshots)": r.SqlDesignRepository.snapshots_many,
        "snapshot (Design -> JSON dict)": d.snapshot,
        "diff (jsonpatch.make_patch)": df.diff,
        "Autosaver._refresh_cache (batched SET + PUBLISH)": Autosaver._refresh_cache,
        "DesignService.execute (one edit, total)": DesignService.execute,
        "UpdateLayer.apply (domain)": UpdateLayer.apply,
        "validate (pydantic)": v.validate,
        "SqlDesignRepository.save (UPDATEs)": r.SqlDesignRepository.save,
        "SqlHistoryRepository.add (INSERT)": r.SqlHistoryRepository.add,
        "SqlCollaboratorRepository.role (SELECT)": r.SqlCollaboratorRepository.role,
        "DesignService._publish (event)": DesignService._publish,
    }
    if backend == "postgres":
        from fw_kernel.adapters.cache_redis import RedisStateCache
        from fw_kernel.adapters.documents_mongo import MongoDocumentStore

        stages["MongoDocumentStore.put_autosaves (insert_many)"] = MongoDocumentStore.put_autosaves
        stages["MongoDocumentStore.latest_autosave (find, sort)"] = MongoDocumentStore.latest_autosave
        stages["RedisStateCache.refresh_states (pipeline)"] = RedisStateCache.refresh_states
    else:
        from fw_kernel.adapters.cache_local import LocalStateCache
        from fw_kernel.adapters.documents_sql import SqlDocumentStore

        stages["SqlDocumentStore.put_autosaves (INSERT .. ON CONFLICT DO NOTHING)"] = SqlDocumentStore.put_autosaves
        stages["SqlDocumentStore.latest_autosave"] = SqlDocumentStore.latest_autosave
        stages["LocalStateCache.refresh_states"] = LocalStateCache.refresh_states
    try:
        from sqlalchemy.pool.base import _ConnectionFairy

        stages["SQLAlchemy pool checkout (incl. pre-ping)"] = _ConnectionFairy._checkout
    except Exception:  # a different SQLAlchemy layout: just leave the stage out
        pass
    return stages


def profile(fn: Callable[[], Any], ops: int, backend: str, top: int = 25) -> dict[str, Any]:
    """Run ``fn`` under cProfile; ``ops`` is the number of operations it performs (for per-op figures)."""
    prof = cProfile.Profile()
    started = time.perf_counter()
    prof.enable()
    try:
        fn()
    finally:
        prof.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(prof)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    rows = sorted(raw.items(), key=lambda kv: kv[1][3], reverse=True)
    top_cum = [{"function": _where(k), "calls": v[1], "tottime_s": v[2], "cumtime_s": v[3]} for k, v in rows[:top]]
    top_self = [{"function": _where(k), "calls": v[1], "tottime_s": v[2], "cumtime_s": v[3]}
                for k, v in sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:15]]
    by_code = {(k[0], k[1], k[2]): v for k, v in raw.items()}
    stages = []
    for label, func in _stages(backend).items():
        code = getattr(func, "__code__", None)
        if code is None:
            continue
        hit = by_code.get((code.co_filename, code.co_firstlineno, code.co_name))
        if hit is None or hit[1] == 0:
            continue
        stages.append({"stage": label, "calls": hit[1], "cumtime_s": hit[3], "ms_per_op": hit[3] / ops * 1e3})
    return {"ops": ops, "wall_s_profiled": wall, "top_cumulative": top_cum, "top_self": top_self,
            "stages": stages}
