"""State cache and events on Redis: ``design:{id}:state`` (JSON, TTL) and pub/sub on ``design:{id}:events``."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from .require_ import require_driver

log = logging.getLogger("fw_kernel.events")


class RedisStateCache:
    def __init__(self, url: str, timeout_s: float = 1.0):
        redis = require_driver("redis", "redis")
        self._client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                                            health_check_interval=30)
        self._threads: list[Any] = []

    @staticmethod
    def state_key(design_id: str) -> str:
        return f"design:{design_id}:state"

    @staticmethod
    def channel(design_id: str) -> str:
        return f"design:{design_id}:events"

    def set_state(self, design_id: str, state: dict[str, Any], ttl_s: int) -> None:
        self._client.set(self.state_key(design_id), json.dumps(state, separators=(",", ":")), ex=ttl_s)

    def get_state(self, design_id: str) -> dict[str, Any] | None:
        raw = self._client.get(self.state_key(design_id))
        return json.loads(raw) if raw else None

    def refresh_states(self, entries: Sequence[tuple[str, int, dict[str, Any]]], ttl_s: int, at: str) -> None:
        pipe = self._client.pipeline(transaction=False)
        for design_id, version, state in entries:
            pipe.set(self.state_key(design_id), json.dumps({"version": version, "state": state},
                                                           separators=(",", ":")), ex=ttl_s)
            pipe.publish(self.channel(design_id), json.dumps(
                {"type": "autosaved", "design_id": design_id, "version": version, "at": at}, separators=(",", ":")))
        pipe.execute()

    def publish(self, design_id: str, event: dict[str, Any]) -> None:
        self._client.publish(self.channel(design_id), json.dumps(event, separators=(",", ":"), default=str))

    def subscribe(self, design_id: str, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """Call ``callback(event)`` on a pub/sub thread for every event of the design. When Redis goes away the
        thread keeps trying (backoff up to 10 s); once it is back, it subscribes again and hands the callback a
        ``{"type": "reconnected"}`` event, since events published in between were lost."""
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        failures = [0]

        def handler(message: dict[str, Any]) -> None:
            callback(json.loads(message["data"]))

        def on_error(exc: BaseException, pubsub: Any, thread: Any) -> None:
            failures[0] += 1
            if failures[0] == 1:
                log.warning("events of design %s: Redis connection lost (%s); retrying", design_id, exc)
            time.sleep(min(0.1 * 2 ** min(failures[0], 7), 10.0))
            try:
                pubsub.ping()  # connects again; redis-py subscribes the connection to the channel again on connect
            except Exception:
                return
            failures[0] = 0
            log.info("events of design %s: Redis is back", design_id)
            callback({"type": "reconnected", "design_id": design_id, "version": None})

        pubsub.subscribe(**{self.channel(design_id): handler})
        thread = pubsub.run_in_thread(sleep_time=0.05, daemon=True, exception_handler=on_error)
        self._threads.append(thread)

        def unsubscribe() -> None:
            thread.stop()      # the worker closes its pubsub connection itself when it exits
            thread.join(timeout=2)

        return unsubscribe

    def close(self) -> None:
        for thread in self._threads:
            thread.stop()
            thread.join(timeout=2)
        self._client.close()
