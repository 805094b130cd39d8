"""In-process state cache and event bus (the embedded default; one process only)."""

from __future__ import annotations

import copy
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any


class LocalStateCache:
    def __init__(self) -> None:
        self._states: dict[str, tuple[float, dict[str, Any]]] = {}
        self._subscribers: dict[str, list[Callable[[dict[str, Any]], None]]] = defaultdict(list)
        self._lock = threading.Lock()

    def set_state(self, design_id: str, state: dict[str, Any], ttl_s: int) -> None:
        with self._lock:  # saved states are never mutated afterwards: keep a reference, copy on read
            self._states[design_id] = (time.monotonic() + ttl_s, state)

    def get_state(self, design_id: str) -> dict[str, Any] | None:
        with self._lock:
            entry = self._states.get(design_id)
            if entry is None or entry[0] < time.monotonic():
                self._states.pop(design_id, None)
                return None
            return copy.deepcopy(entry[1])

    def refresh_states(self, entries: Sequence[tuple[str, int, dict[str, Any]]], ttl_s: int, at: str) -> None:
        for design_id, version, state in entries:
            self.set_state(design_id, {"version": version, "state": state}, ttl_s)
            self.publish(design_id, {"type": "autosaved", "design_id": design_id, "version": version, "at": at})

    def publish(self, design_id: str, event: dict[str, Any]) -> None:
        with self._lock:
            callbacks = list(self._subscribers.get(design_id, ()))
        for callback in callbacks:
            callback(event)

    def subscribe(self, design_id: str, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        with self._lock:
            self._subscribers[design_id].append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers.get(design_id, []):
                    self._subscribers[design_id].remove(callback)

        return unsubscribe

    def close(self) -> None:
        with self._lock:
            self._subscribers.clear()
