"""Prometheus metrics (prometheus_client) of the design service, the kernels' services and the export workers.

Names follow Prometheus conventions (``_total`` counters, ``_seconds`` histograms). Counters of design activity
are fed by the event log (:meth:`observe`, after each commit); the rest by thin wrappers wired in bootstrap and by
the service's request handler. When several processes share a port, set ``PROMETHEUS_MULTIPROC_DIR`` (an empty
folder per deployment) before they start: :func:`exposition` then sums the processes' values.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

from ..domain.events import Event

_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
_LAYER_OPS = {"layer_added": "add", "layer_updated": "update", "layer_removed": "remove",
              "layers_reordered": "reorder"}

DESIGNS_CREATED = Counter("fw_designs_created_total", "Designs created (forks included)")
ACTIVE_SESSIONS = Gauge("fw_design_active_sessions", "Design sessions open: studios and clients following a "
                        "design through the service's events", multiprocess_mode="livesum")
AUTOSAVE_SECONDS = Histogram("fw_autosave_duration_seconds", "Time to auto-save one design (batched)",
                             buckets=_SECONDS)
LAYER_OPERATIONS = Counter("fw_layer_operations_total", "Layer edits saved", ["operation"])
RENDER_FRAME_SECONDS = Histogram("fw_render_frame_seconds", "Time to render one frame offscreen", buckets=_SECONDS)
EXPORT_SECONDS = Histogram("fw_export_duration_seconds", "Export run time, from start to the stored file",
                           ["type"], buckets=_SECONDS)
EXPORTS = Counter("fw_exports_total", "Exports finished", ["type", "status"])
CONCURRENT_EDITORS = Histogram("fw_concurrent_editors_per_design", "Distinct users who edited the design in the "
                               "5 minutes up to each edit", buckets=(1, 2, 3, 4, 5, 8, 13, 21))
WEBSOCKETS = Gauge("fw_websocket_connections", "Open WebSocket connections to the design service",
                   multiprocess_mode="livesum")
CONFLICTS = Counter("fw_collaboration_conflicts_total", "Edits refused because a collaborator changed the same "
                    "thing first")
API_SECONDS = Histogram("fw_api_request_duration_seconds", "REST requests by route template, method and status",
                        ["route", "method", "status"], buckets=_SECONDS)
CACHE_HITS = Counter("fw_cache_hits_total", "Cache lookups that found an entry", ["cache"])
CACHE_MISSES = Counter("fw_cache_misses_total", "Cache lookups that found nothing", ["cache"])
MEMORY = Gauge("fw_process_resident_memory_bytes", "Resident memory of the process", ["process"],
               multiprocess_mode="all")


class EventMetrics:
    """The event-log observer: counters and histograms from the events each commit wrote (a few microseconds per
    event: it runs on every edit)."""

    def __init__(self, window_s: float = 300.0):
        self._window = window_s
        self._ops = {kind: LAYER_OPERATIONS.labels(op) for kind, op in _LAYER_OPS.items()}
        self._editors: dict[str, dict[str, float]] = {}  # design -> user -> last edit (monotonic s)
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        kind = event.type
        op = self._ops.get(kind)
        if op is not None:
            op.inc()
            if event.design_id:
                CONCURRENT_EDITORS.observe(self._editors_of(event.design_id, event.actor))
        elif kind in ("design_created", "design_forked"):
            DESIGNS_CREATED.inc()
        elif kind == "conflict":
            CONFLICTS.inc()
        elif kind in ("export_completed", "export_failed"):
            props = event.properties
            kind_of = str(props.get("export_type") or "unknown")
            EXPORTS.labels(kind_of, "completed" if kind == "export_completed" else "failed").inc()
            if kind == "export_completed" and isinstance(props.get("duration_s"), int | float):
                EXPORT_SECONDS.labels(kind_of).observe(props["duration_s"])
        elif kind == "autosave" and isinstance(event.properties.get("duration_s"), int | float):
            AUTOSAVE_SECONDS.observe(event.properties["duration_s"])

    def _editors_of(self, design_id: str, user: str) -> int:
        now = time.monotonic()
        since = now - self._window
        with self._lock:
            seen = self._editors.setdefault(design_id, {})
            seen[user] = now
            if len(seen) > 1:
                for name in [u for u, at in seen.items() if at < since]:
                    del seen[name]
            if len(self._editors) > 10_000:  # forget designs nobody edited lately
                for key in [k for k, v in self._editors.items() if max(v.values()) < since]:
                    del self._editors[key]
            return len(seen)


class TimedRenderer:
    """A renderer whose frames are timed into ``fw_render_frame_seconds`` (``render`` and ``render_many``)."""

    def __init__(self, inner: Any):
        self._inner = inner

    def render(self, *args: Any, **kwargs: Any) -> Any:
        with RENDER_FRAME_SECONDS.time():
            return self._inner.render(*args, **kwargs)

    def render_many(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        started = time.perf_counter()
        for frame in self._inner.render_many(*args, **kwargs):
            RENDER_FRAME_SECONDS.observe(time.perf_counter() - started)
            yield frame
            started = time.perf_counter()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class CountingDocuments:
    """A document store whose render-cache lookups count into ``fw_cache_hits_total{cache="render"}``."""

    def __init__(self, inner: Any):
        self._inner = inner

    def get_render(self, render_hash: str) -> Any:
        found = self._inner.get_render(render_hash)
        (CACHE_HITS if found is not None else CACHE_MISSES).labels("render").inc()
        return found

    def get_renders(self, render_hashes: Any) -> Any:
        found = self._inner.get_renders(render_hashes)
        hits = len(found)
        CACHE_HITS.labels("render").inc(hits)
        CACHE_MISSES.labels("render").inc(len(set(render_hashes)) - hits)
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class QueueDepth:
    """``fw_render_queue_depth{priority}`` read from the export queue at scrape time."""

    def __init__(self, depths: Callable[[], dict[str, int]]):
        self._depths = depths

    def describe(self) -> list[Any]:
        return []

    def collect(self) -> Iterator[Any]:
        family = GaugeMetricFamily("fw_render_queue_depth", "Export jobs waiting, by priority", labels=["priority"])
        try:
            for priority, depth in sorted(self._depths().items()):
                family.add_metric([priority], depth)
        except Exception:  # a scrape never fails because Redis is away
            pass
        yield family


def queue_depths(queue: Any) -> Callable[[], dict[str, int]]:
    """How many jobs wait on each priority of an RQ queue set (or the in-process queue, as ``default``)."""
    connection = getattr(queue, "_connection", None)
    prefix = getattr(queue, "_prefix", None)
    if connection is not None and prefix is not None:
        def rq() -> dict[str, int]:
            from rq import Queue

            return {p: Queue(f"{prefix}-{p}", connection=connection()).count for p in ("high", "default", "low")}

        return rq
    inner = getattr(queue, "_queue", None)
    return lambda: {"default": inner.qsize()} if inner is not None else {}


_collectors: dict[str, Any] = {}


def register_queue(queue: Any, registry: CollectorRegistry | None = None) -> None:
    """Expose the depth of ``queue`` (the process's export queue; the latest one wins)."""
    from prometheus_client import REGISTRY

    registry = registry or REGISTRY
    old = _collectors.pop("queue", None)
    if old is not None:
        with contextlib.suppress(KeyError):
            registry.unregister(old)
    collector = QueueDepth(queue_depths(queue))
    registry.register(collector)
    _collectors["queue"] = collector


def _update_memory(process: str) -> None:
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        MEMORY.labels(process).set(pages * os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError):
        pass


def exposition(process: str = "service") -> tuple[bytes, str]:
    """The text exposition of this process's metrics (or, in multiprocess mode, of every process's)."""
    _update_memory(process)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        for collector in _collectors.values():
            registry.register(collector)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def serve(port: int, addr: str = "0.0.0.0", process: str = "worker") -> Any:
    """An HTTP server answering ``/metrics`` on ``port`` in a thread (``fw worker --metrics-port``)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] not in ("/metrics", "/"):
                self.send_error(404)
                return
            data, kind = exposition(process)
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((addr, port), Handler)
    threading.Thread(target=server.serve_forever, name="fw-metrics", daemon=True).start()
    return server


def instrument(services: Any) -> None:
    """Wire the metrics into a process's services: event observers, the render-cache counter, the timed renderer
    and the export queue's depth."""
    observer = EventMetrics()
    if observer not in services.designs.observers:
        services.designs.observers.append(observer)
    for target in (getattr(services, "exports", None), getattr(services, "autosaver", None)):
        observers = getattr(getattr(target, "_store", target), "observers", None)
        if observers is not None:
            observers.append(observer)
    exports = getattr(services, "exports", None)
    if exports is not None:
        exports._docs = CountingDocuments(exports._docs)
        make = exports._renderer_factory
        exports._renderer_factory = lambda: TimedRenderer(make())
        register_queue(exports._queue)
