"""Auto-save: debounced snapshots of edited designs into the document store and the state cache.

Every edit is already durable in the relational store when the call returns; auto-save is the seed's
second copy (``design_autosaves`` with a JSON Patch against the previous save, ``design:{id}:state`` in the
cache, an ``autosaved`` event). The pending set lives in the relational store (``version > autosaved_version``),
so a crash, a restart or a document store outage only delays it: the next pass catches up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..domain.design import snapshot
from ..domain.diff import diff
from ..ports import DocumentStore, StateCache, UnitOfWorkFactory
from .clock import utcnow

log = logging.getLogger(__name__)


@dataclass
class AutosaveReport:
    saved: int = 0
    snapshots_synced: int = 0
    cache_refreshed: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_s: list[float] = field(default_factory=list)


class Autosaver:
    def __init__(self, uow: UnitOfWorkFactory, documents: DocumentStore, cache: StateCache | None,
                 debounce_s: float = 30.0, state_ttl_s: int = 1800, clock: Callable[[], datetime] = utcnow,
                 batch: int = 500, remember: int = 2_000):
        self._uow = uow
        self._docs = documents
        self._cache = cache
        self.debounce_s = debounce_s
        self._ttl = state_ttl_s
        self._clock = clock
        self._batch = batch
        # Last saved state per design, so a save costs no read of the previous one (bounded LRU).
        self._last: OrderedDict[str, tuple[int, dict[str, Any]]] = OrderedDict()
        self._remember = remember
        self._cache_pending: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # -- one pass --------------------------------------------------------------------------------------------
    def run_once(self, force: bool = False) -> AutosaveReport:
        """Save every design edited more than ``debounce_s`` ago (all edited ones with ``force``)."""
        with self._lock:
            report = AutosaveReport()
            now = self._clock()
            before = now if force else now - timedelta(seconds=self.debounce_s)
            with self._uow() as uow:
                pending = uow.designs.pending_autosave(before, self._batch)
            for design_id in pending:
                started = time.perf_counter()
                try:
                    self._save_one(design_id, report)
                except Exception as exc:  # document store down: leave it pending and stop this pass
                    report.errors.append(f"{design_id}: {exc}")
                    log.warning("auto-save of design %s postponed: %s", design_id, exc)
                    break
                report.latencies_s.append(time.perf_counter() - started)
            self._sync_snapshots(report)
            self._retry_cache(report)
            return report

    def _save_one(self, design_id: str, report: AutosaveReport) -> None:
        with self._uow() as uow:
            design = uow.designs.get(design_id)
        if design is None:
            return
        state = snapshot(design)
        previous = self._last.get(design_id)
        if previous is None:
            latest = self._docs.latest_autosave(design_id)
            previous = (latest["designVersion"], latest["state"]) if latest else (0, {})
        if previous[0] >= design.version:  # another process saved this version already
            self._after_save(design_id, design.version, state, report, saved=False)
            return
        patch = diff(previous[1], state)
        # The patch names its base, so the chain stays sound when several kernels auto-save one design.
        self._docs.put_autosave(design_id, design.version, state, patch, self._clock(), base_version=previous[0])
        self._after_save(design_id, design.version, state, report, saved=True)

    def _after_save(self, design_id: str, version: int, state: dict[str, Any], report: AutosaveReport,
                    saved: bool) -> None:
        with self._uow() as uow:
            uow.designs.mark_autosaved(design_id, version)
            uow.commit()
        self._last[design_id] = (version, state)
        self._last.move_to_end(design_id)
        while len(self._last) > self._remember:
            self._last.popitem(last=False)
        report.saved += int(saved)
        self._refresh_cache(design_id, version, state, report)

    def _refresh_cache(self, design_id: str, version: int, state: dict[str, Any], report: AutosaveReport) -> None:
        if self._cache is None:
            return
        try:
            self._cache.set_state(design_id, {"version": version, "state": state}, self._ttl)
            self._cache.publish(design_id, {"type": "autosaved", "design_id": design_id, "version": version,
                                            "at": self._clock().isoformat()})
        except Exception as exc:  # cache down: the relational store has it; refresh when it is back
            self._cache_pending.add(design_id)
            report.errors.append(f"cache {design_id}: {exc}")
            return
        self._cache_pending.discard(design_id)
        report.cache_refreshed += 1

    def _retry_cache(self, report: AutosaveReport) -> None:
        for design_id in list(self._cache_pending):
            entry = self._last.get(design_id)
            if entry is None:
                self._cache_pending.discard(design_id)
                continue
            self._refresh_cache(design_id, entry[0], entry[1], report)
            if design_id in self._cache_pending:
                break

    def _sync_snapshots(self, report: AutosaveReport) -> None:
        with self._uow() as uow:
            versions = uow.versions.unsynced(self._batch)
        for version in versions:
            try:
                self._docs.put_snapshot(version.design_id, version.version_number, version.snapshot,
                                        version.created_at)
            except Exception as exc:
                report.errors.append(f"snapshot {version.design_id}/{version.version_number}: {exc}")
                return
            with self._uow() as uow:
                uow.versions.mark_synced(version.design_id, version.version_number)
                uow.commit()
            report.snapshots_synced += 1

    # -- background thread -------------------------------------------------------------------------------
    def start(self, interval_s: float = 1.0) -> None:
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.run_once()
                except Exception as exc:  # never let the thread die: the next tick retries
                    log.warning("auto-save pass failed: %s", exc)

        self._thread = threading.Thread(target=loop, name="fw-autosave", daemon=True)
        self._thread.start()

    def stop(self, flush: bool = True) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=10)
            self._thread = None
        if flush:
            try:
                self.run_once(force=True)
            except Exception as exc:
                log.warning("final auto-save postponed to the next session: %s", exc)
