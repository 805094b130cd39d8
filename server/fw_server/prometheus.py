"""``/metrics`` of the design service (Prometheus text format) and the request timing behind
``fw_api_request_duration_seconds``. The figures are fw_kernel's (``fw_kernel/adapters/prom.py``): one registry per
process, or every process's with ``PROMETHEUS_MULTIPROC_DIR``."""

from __future__ import annotations

import tornado.web


def metrics_path(prefix: str) -> str:
    """Next to the API: ``/api/v1`` -> ``/metrics``; ``/services/fw/api/v1`` -> ``/services/fw/metrics``."""
    base = prefix.rstrip("/")
    base = base[: -len("/api/v1")] if base.endswith("/api/v1") else base
    return base + "/metrics"


class MetricsHandler(tornado.web.RequestHandler):
    """Unauthenticated, like every Prometheus target: it holds counts and timings, never a design's content or a
    user name. Keep it inside the cluster (the Helm chart's ServiceMonitor scrapes the pod)."""

    def get(self) -> None:
        from fw_kernel.adapters.prom import exposition

        data, kind = exposition("service")
        self.set_header("Content-Type", kind)
        self.finish(data)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    try:
        from fw_kernel.adapters.prom import API_SECONDS
    except ImportError:  # the metrics extra is not installed: no figures, the API works
        return
    API_SECONDS.labels(route, method, str(status)).observe(seconds)


def websocket_opened(delta: int) -> None:
    try:
        from fw_kernel.adapters.prom import WEBSOCKETS
    except ImportError:
        return
    WEBSOCKETS.inc(delta)


def design_sessions(delta: int) -> None:
    try:
        from fw_kernel.adapters.prom import ACTIVE_SESSIONS
    except ImportError:
        return
    ACTIVE_SESSIONS.inc(delta)
