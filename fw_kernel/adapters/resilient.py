"""A circuit breaker for optional services: after a failure, calls fail fast for a while instead of
waiting on timeouts, so editing never stalls on a cache or event bus that is down."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


class ServiceUnavailable(ConnectionError):
    pass


class BreakerStateCache:
    def __init__(self, inner: Any, name: str = "cache", cool_down_s: float = 2.0):
        self._inner = inner
        self._name = name
        self._cool_down = cool_down_s
        self._open_until = 0.0
        self._lock = threading.Lock()

    def _call(self, method: str, *args: Any) -> Any:
        if time.monotonic() < self._open_until:
            raise ServiceUnavailable(f"{self._name} unavailable (retrying in a moment)")
        try:
            return getattr(self._inner, method)(*args)
        except Exception:
            with self._lock:
                self._open_until = time.monotonic() + self._cool_down
            raise

    def set_state(self, design_id: str, state: dict[str, Any], ttl_s: int) -> None:
        self._call("set_state", design_id, state, ttl_s)

    def get_state(self, design_id: str) -> dict[str, Any] | None:
        return self._call("get_state", design_id)

    def refresh_states(self, entries: Any, ttl_s: int, at: str) -> None:
        self._call("refresh_states", entries, ttl_s, at)

    def publish(self, design_id: str, event: dict[str, Any]) -> None:
        self._call("publish", design_id, event)

    def subscribe(self, design_id: str, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        return self._inner.subscribe(design_id, callback)

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Until the events published so far are sent (an asynchronous publisher's; at once otherwise)."""
        flush = getattr(self._inner, "flush", None)
        return True if flush is None else bool(flush(timeout_s))

    def close(self) -> None:
        self._inner.close()
