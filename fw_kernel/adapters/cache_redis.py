"""State cache and events on Redis: ``design:{id}:state`` (JSON, TTL) and pub/sub on ``design:{id}:events``.

:meth:`RedisStateCache.publish` does not wait for Redis: the event is serialised on the caller's thread and
queued, and one sender thread per cache PUBLISHes what has queued up in one pipelined round trip, in order. An
edit's request therefore never waits on the event bus (events are best-effort: the edit is durable already);
:meth:`RedisStateCache.flush` waits until everything queued so far is sent, :meth:`close` sends the rest.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from .require_ import require_driver

log = logging.getLogger("fw_kernel.events")

OUTBOX_MAX = 10_000   # events queued for PUBLISH at most (Redis down: newer ones are dropped, with a warning)
BATCH_MAX = 500       # PUBLISHes per pipelined round trip


class RedisStateCache:
    def __init__(self, url: str, timeout_s: float = 1.0):
        redis = require_driver("redis", "redis")
        self._client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                                            health_check_interval=30)
        self._threads: list[Any] = []
        self._outbox: queue.Queue[tuple[str, str] | threading.Event | None] = queue.Queue(OUTBOX_MAX)
        self._sender: threading.Thread | None = None
        self._sender_pid = 0  # a forked child (an RQ work horse) has no sender thread: it starts its own
        self._sender_lock = threading.Lock()
        self._dropped = 0

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
        pipe.execute()
        for design_id, version, _ in entries:  # in line with the edits' events (one queue per process)
            self.publish(design_id, {"type": "autosaved", "design_id": design_id, "version": version, "at": at})

    def publish(self, design_id: str, event: dict[str, Any]) -> None:
        """Queue ``event`` for the design's channel; the sender thread publishes it (see the module)."""
        self._enqueue((self.channel(design_id), json.dumps(event, separators=(",", ":"), default=str)))

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until every event queued before this call is published (or failed); False on timeout."""
        if self._sender is None or self._sender_pid != os.getpid():
            return True
        done = threading.Event()
        self._enqueue(done)
        return done.wait(timeout_s)

    def _enqueue(self, item: tuple[str, str] | threading.Event) -> None:
        if self._sender is None or self._sender_pid != os.getpid():
            with self._sender_lock:
                if self._sender is None or self._sender_pid != os.getpid():
                    if self._sender_pid != os.getpid():  # what the parent had queued is the parent's to send
                        self._outbox = queue.Queue(OUTBOX_MAX)
                    self._sender_pid = os.getpid()
                    self._sender = threading.Thread(target=self._send_loop, name="fw-redis-publish", daemon=True)
                    self._sender.start()
        try:
            self._outbox.put_nowait(item)
        except queue.Full:
            self._dropped += 1
            if self._dropped in (1, 100) or self._dropped % 10_000 == 0:
                log.warning("%d events dropped: Redis does not take them fast enough", self._dropped)

    def _send_loop(self) -> None:
        while True:
            batch = [self._outbox.get()]
            while len(batch) < BATCH_MAX:
                try:
                    batch.append(self._outbox.get_nowait())
                except queue.Empty:
                    break
            events = [b for b in batch if isinstance(b, tuple)]
            if events:
                try:
                    pipe = self._client.pipeline(transaction=False)
                    for channel, payload in events:
                        pipe.publish(channel, payload)
                    pipe.execute()
                except Exception as exc:  # best-effort, as before: the edits are durable already
                    log.warning("%d events not published: %s", len(events), exc)
            for b in batch:
                if isinstance(b, threading.Event):
                    b.set()
            if any(b is None for b in batch):
                return

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
        if self._sender is not None and self._sender_pid == os.getpid():
            self._outbox.put(None)  # after what is queued: sent first
            self._sender.join(timeout=5)
            self._sender = None
        for thread in self._threads:
            thread.stop()
            thread.join(timeout=2)
        self._client.close()
