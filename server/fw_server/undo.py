"""Undo/redo stacks of HTTP sessions, so a remote notebook's ``design.undo()`` works as a local one's.

A client names its session (one per open design object) with the ``X-FW-Session`` header on edits; the inverse
commands of that session's edits are kept per (user, design, session), in Redis when there is one (so any
service process can undo) and in process memory otherwise. Stacks are pickled kernel commands signed with the
service secret (HMAC-SHA256): a tampered entry is dropped, never unpickled. They expire after a day unused.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import pickle
import threading
import time
from typing import Any

log = logging.getLogger("fw_server.undo")

MAX_DEPTH = 500
TTL_S = 24 * 3600
Stacks = tuple[list[Any], list[Any]]  # (undo, redo), most recent last


class UndoStore:
    def __init__(self, secret: str, redis_url: str | None = None, prefix: str = "fw:undo"):
        self._key = hashlib.sha256(b"undo\n" + secret.encode()).digest()
        self._prefix = prefix
        self._redis: Any = None
        if redis_url:
            import redis

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._local: dict[str, tuple[float, bytes]] = {}
        self._lock = threading.Lock()

    def _name(self, user: str, design_id: str, session: str) -> str:
        digest = hashlib.sha256(f"{user}\n{design_id}\n{session}".encode("utf-8", "surrogatepass")).hexdigest()
        return f"{self._prefix}:{digest}"

    def load(self, user: str, design_id: str, session: str) -> Stacks:
        name = self._name(user, design_id, session)
        if self._redis is not None:
            try:
                raw = self._redis.get(name)
            except Exception as exc:  # best-effort like every Redis use: the edit itself never depends on it
                log.warning("undo stack not read (%s): starting empty", exc)
                return [], []
        else:
            with self._lock:
                entry = self._local.get(name)
            raw = entry[1] if entry is not None and entry[0] > time.monotonic() else None
        if not raw:
            return [], []
        signature, data = raw[:32], raw[32:]
        if not hmac.compare_digest(signature, hmac.new(self._key, data, hashlib.sha256).digest()):
            log.warning("undo stack %s has a bad signature: dropped", name)
            return [], []
        undo, redo = pickle.loads(data)  # signed by this service: never data from a client
        return list(undo), list(redo)

    def save(self, user: str, design_id: str, session: str, stacks: Stacks) -> None:
        undo, redo = stacks
        data = pickle.dumps((undo[-MAX_DEPTH:], redo[-MAX_DEPTH:]), protocol=pickle.HIGHEST_PROTOCOL)
        raw = hmac.new(self._key, data, hashlib.sha256).digest() + data
        name = self._name(user, design_id, session)
        if self._redis is not None:
            try:
                self._redis.set(name, raw, ex=TTL_S)
            except Exception as exc:  # the edit is saved already; only its undo is lost
                log.warning("undo stack not kept (%s)", exc)
            return
        with self._lock:
            self._local[name] = (time.monotonic() + TTL_S, raw)
            if len(self._local) > 10_000:
                now = time.monotonic()
                self._local = {k: v for k, v in self._local.items() if v[0] > now}

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
