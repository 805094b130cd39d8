"""Wall-clock time per stage of an auto-save and of an edit, without a profiler's overhead: the unit of work,
document store and cache that the Autosaver (or the DesignService) holds are wrapped in timing proxies, and
``snapshot``/``diff`` as the auto-save module sees them are wrapped too, for one pass only (everything is put
back afterwards; fw_kernel's files are untouched)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class Timings:
    def __init__(self) -> None:
        self.total: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.total[label] += time.perf_counter() - started
                self.calls[label] += 1

        return timed


class _Proxy:
    def __init__(self, inner: Any, timings: Timings, labels: dict[str, str]):
        self._inner, self._timings, self._labels = inner, timings, labels

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if name in self._labels:
            return self._timings.wrap(self._labels[name], value)
        return value


class _TimedUow:
    def __init__(self, inner: Any, timings: Timings):
        self._inner, self._t = inner, timings

    def __enter__(self) -> _TimedUow:
        self._uow = self._t.wrap("sql: connect + BEGIN (uow enter)", self._inner.__enter__)()
        self.designs = _Proxy(self._uow.designs, self._t, {
            "get": "sql: SELECT design + layers -> Design", "mark_autosaved": "sql: UPDATE autosaved_version",
            "snapshots_many": "sql: SELECT chunk -> snapshots", "mark_autosaved_many": "sql: UPDATE autosaved (chunk)",
            "pending_autosave": "sql: pending query (per pass)",
            "save": "sql: UPDATE design (+ changed layer rows)"})
        self.collaborators = _Proxy(self._uow.collaborators, self._t, {
            "role": "sql: SELECT collaborator role"})
        self.history = _Proxy(self._uow.history, self._t, {"add": "sql: INSERT history"})
        return self

    def __exit__(self, *exc: object) -> None:
        self._t.wrap("sql: rollback/close (uow exit)", self._inner.__exit__)(*exc)

    def commit(self) -> None:
        self._t.wrap("sql: COMMIT", self._uow.commit)()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)


@contextmanager
def instrumented(saver: Any) -> Iterator[Timings]:
    """Time the stages of ``saver`` (an Autosaver) while inside the block."""
    from fw_kernel.services import autosave as module

    timings = Timings()
    saved = (saver._uow, saver._docs, saver._cache, module.diff)
    inner_uow = saver._uow
    saver._uow = lambda: _TimedUow(inner_uow(), timings)
    saver._docs = _Proxy(saver._docs, timings, {"put_autosaves": "documents: put_autosaves (chunk)",
                                                "latest_autosave": "documents: latest_autosave"})
    if saver._cache is not None:
        saver._cache = _Proxy(saver._cache, timings, {"refresh_states": "cache: SET + PUBLISH (chunk, pipelined)"})
    module.diff = timings.wrap("diff (jsonpatch.make_patch)", module.diff)
    try:
        yield timings
    finally:
        saver._uow, saver._docs, saver._cache, module.diff = saved


@contextmanager
def instrumented_edits(service: Any) -> Iterator[Timings]:
    """Time the stages of ``DesignService.execute`` (the unit of work's calls and the event publish)."""
    timings = Timings()
    saved = (service._uow, service._events)
    inner_uow = service._uow
    service._uow = lambda: _TimedUow(inner_uow(), timings)
    if service._events is not None:
        service._events = _Proxy(service._events, timings, {"publish": "cache: PUBLISH event (after commit)"})
    try:
        yield timings
    finally:
        service._uow, service._events = saved


def breakdown(timings: Timings, ops: int, wall_s: float, rest: str = "rest (Python in Autosaver, report, loop)"
              ) -> list[dict[str, Any]]:
    rows = [{"stage": label, "calls": timings.calls[label], "ms_per_op": total / ops * 1e3,
             "share": total / wall_s} for label, total in timings.total.items()]
    accounted = sum(timings.total.values())
    rows.sort(key=lambda r: r["ms_per_op"], reverse=True)
    rows.append({"stage": rest, "calls": 0, "ms_per_op": (wall_s - accounted) / ops * 1e3,
                 "share": (wall_s - accounted) / wall_s})
    return rows
