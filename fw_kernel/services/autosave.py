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

from ..domain.diff import diff
from ..domain.events import SYSTEM_ACTOR, Event
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
                 batch: int = 500, remember: int = 2_000, chunk: int = 25):
        self._uow = uow
        self._docs = documents
        self._cache = cache
        self.debounce_s = debounce_s
        self._ttl = state_ttl_s
        self._clock = clock
        self._batch = batch
        self.chunk = chunk
        # Last saved state per design, so a save costs no read of the previous one (bounded LRU).
        self._last: OrderedDict[str, tuple[int, dict[str, Any]]] = OrderedDict()
        self._remember = remember
        self._cache_pending: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.event_log = True  # an ``autosave`` analytics event per design saved (FW_EVENT_LOG=0: off)
        self.observers: list[Callable[[Event], None]] = []  # after the commit (Prometheus)

    # -- one pass --------------------------------------------------------------------------------------------
    def run_once(self, force: bool = False) -> AutosaveReport:
        """Save every design edited more than ``debounce_s`` ago (all edited ones with ``force``).

        Designs are saved in chunks: one read of the chunk, one batched write to the document store, one update
        marking them saved and one pipelined cache refresh. A save's latency is its chunk's.
        """
        with self._lock:
            report = AutosaveReport()
            now = self._clock()
            before = now if force else now - timedelta(seconds=self.debounce_s)
            with self._uow() as uow:
                pending = uow.designs.pending_autosave(before, self._batch)
            for start in range(0, len(pending), self.chunk):
                chunk = pending[start:start + self.chunk]
                started = time.perf_counter()
                try:
                    saved = self._save_chunk(chunk, report)
                except Exception as exc:  # document store down: leave them pending and stop this pass
                    report.errors.append(f"{len(chunk)} designs: {exc}")
                    log.warning("auto-save of %d designs postponed: %s", len(chunk), exc)
                    break
                report.latencies_s.extend([time.perf_counter() - started] * saved)
            self._sync_snapshots(report)
            self._retry_cache(report)
            return report

    def _save_chunk(self, design_ids: list[str], report: AutosaveReport) -> int:
        started = time.perf_counter()
        with self._uow() as uow:
            states = uow.designs.snapshots_many(design_ids)
        at = self._clock()
        docs: list[dict[str, Any]] = []
        done: list[tuple[str, int, dict[str, Any]]] = []
        for design_id, version, state in states:
            previous = self._last.get(design_id)
            if previous is None:
                latest = self._docs.latest_autosave(design_id)
                previous = (latest["designVersion"], latest["state"]) if latest else (0, {})
            if previous[0] < version:  # else another process saved this version already
                # The patch names its base, so the chain stays sound when several kernels auto-save one design.
                docs.append({"designId": design_id, "designVersion": version, "baseVersion": previous[0],
                             "state": state, "patch": diff(previous[1], state), "savedAt": at})
            done.append((design_id, version, state))
        self._docs.put_autosaves(docs)
        # one analytics event per design saved, with the batch's time per design (seconds)
        each = round((time.perf_counter() - started) / max(1, len(docs)), 6)
        logged = [Event("autosave", SYSTEM_ACTOR, at, d["designId"], {"version": d["designVersion"],
                                                                       "duration_s": each}) for d in docs]
        with self._uow() as uow:
            uow.designs.mark_autosaved_many([(i, v) for i, v, _ in done])
            if self.event_log and logged:
                uow.events.add_many(logged)
            uow.commit()
        for event in logged if self.event_log else ():
            for observer in self.observers:
                try:
                    observer(event)
                except Exception as exc:  # metrics are best-effort
                    log.warning("metrics observer failed: %s", exc)
        for design_id, version, state in done:
            self._last[design_id] = (version, state)
            self._last.move_to_end(design_id)
        while len(self._last) > self._remember:
            self._last.popitem(last=False)
        report.saved += len(docs)
        self._refresh_cache(done, report)
        return len(docs)

    def _refresh_cache(self, entries: list[tuple[str, int, dict[str, Any]]], report: AutosaveReport) -> None:
        if self._cache is None or not entries:
            return
        try:
            self._cache.refresh_states(entries, self._ttl, self._clock().isoformat())
        except Exception as exc:  # cache down: the relational store has it; refresh when it is back
            self._cache_pending.update(design_id for design_id, _, _ in entries)
            report.errors.append(f"cache: {exc}")
            return
        self._cache_pending.difference_update(design_id for design_id, _, _ in entries)
        report.cache_refreshed += len(entries)

    def _retry_cache(self, report: AutosaveReport) -> None:
        entries = []
        for design_id in list(self._cache_pending):
            entry = self._last.get(design_id)
            if entry is None:
                self._cache_pending.discard(design_id)
            else:
                entries.append((design_id, entry[0], entry[1]))
        self._refresh_cache(entries, report)

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
