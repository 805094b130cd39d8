"""Undo/redo stacks of HTTP sessions, so a remote notebook's ``design.undo()`` works as a local one's.

A client names its session (one per open design object) with the ``X-FW-Session`` header on edits; the inverse
commands of that session's edits are kept per (user, design, session), in Redis when there is one (so any
service process can undo) and in process memory otherwise. Each stack is a list of entries, one per command:
a pickled kernel command signed with the service secret (HMAC-SHA256); a tampered entry is dropped, never
unpickled. Stacks expire after a day unused.

An edit only *appends* to the undo stack and empties the redo stack, so it never reads the stacks
(:meth:`UndoStore.push`: one pipelined round trip whatever the depth); only ``undo``/``redo`` requests load them
(:meth:`UndoStore.load`) and write them back whole (:meth:`UndoStore.save`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import pickle
import threading
import time
from collections.abc import Sequence
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
        self._local: dict[str, tuple[float, list[bytes], list[bytes]]] = {}
        self._lock = threading.Lock()

    def _name(self, user: str, design_id: str, session: str) -> str:
        digest = hashlib.sha256(f"{user}\n{design_id}\n{session}".encode("utf-8", "surrogatepass")).hexdigest()
        return f"{self._prefix}:{digest}"

    def _sign(self, command: Any) -> bytes:
        data = pickle.dumps(command, protocol=pickle.HIGHEST_PROTOCOL)
        return hmac.new(self._key, data, hashlib.sha256).digest() + data

    def _open(self, name: str, raw: Sequence[bytes]) -> list[Any]:
        out = []
        for entry in raw:
            signature, data = entry[:32], entry[32:]
            if not hmac.compare_digest(signature, hmac.new(self._key, data, hashlib.sha256).digest()):
                log.warning("undo stack %s has an entry with a bad signature: dropped", name)
                continue
            out.append(pickle.loads(data))  # signed by this service: never data from a client
        return out

    def load(self, user: str, design_id: str, session: str) -> Stacks:
        """Both stacks of a session (empty when none is kept, or Redis cannot be read)."""
        name = self._name(user, design_id, session)
        if self._redis is not None:
            try:
                pipe = self._redis.pipeline(transaction=False)
                pipe.lrange(name + ":u", 0, -1)
                pipe.lrange(name + ":r", 0, -1)
                undo_raw, redo_raw = pipe.execute()
            except Exception as exc:  # best-effort like every Redis use: the edit itself never depends on it
                log.warning("undo stack not read (%s): starting empty", exc)
                return [], []
        else:
            with self._lock:
                entry = self._local.get(name)
            if entry is None or entry[0] <= time.monotonic():
                return [], []
            undo_raw, redo_raw = entry[1], entry[2]
        return self._open(name, undo_raw), self._open(name, redo_raw)

    def save(self, user: str, design_id: str, session: str, stacks: Stacks) -> None:
        """Replace both stacks (after an undo or a redo)."""
        undo, redo = stacks
        self._write(self._name(user, design_id, session), [self._sign(c) for c in undo[-MAX_DEPTH:]],
                    [self._sign(c) for c in redo[-MAX_DEPTH:]], replace=True)

    def push(self, user: str, design_id: str, session: str, commands: Sequence[Any]) -> None:
        """Append the inverses of new edits to the undo stack and empty the redo stack, without reading them."""
        if commands:
            self._write(self._name(user, design_id, session), [self._sign(c) for c in commands[-MAX_DEPTH:]], [],
                        replace=False)

    def _write(self, name: str, undo: list[bytes], redo: list[bytes], replace: bool) -> None:
        if self._redis is not None:
            try:
                # a replace changes both stacks at once (MULTI); a push needs no transaction (one client's edits
                # to one session arrive one at a time)
                pipe = self._redis.pipeline(transaction=replace)
                if replace:
                    pipe.delete(name + ":u")
                pipe.delete(name + ":r")
                for key, entries in ((name + ":u", undo), (name + ":r", redo)):
                    if entries:
                        pipe.rpush(key, *entries)
                        pipe.ltrim(key, -MAX_DEPTH, -1)
                        pipe.expire(key, TTL_S)
                pipe.execute()
            except Exception as exc:  # the edit is saved already; only its undo is lost
                log.warning("undo stack not kept (%s)", exc)
            return
        with self._lock:
            now = time.monotonic()
            old = self._local.get(name)
            kept = old[1] if old is not None and old[0] > now and not replace else []
            self._local[name] = (now + TTL_S, (kept + undo)[-MAX_DEPTH:], redo[-MAX_DEPTH:])
            if len(self._local) > 10_000:
                self._local = {k: v for k, v in self._local.items() if v[0] > now}

    def close(self) -> None:
        if self._redis is not None:
            self._redis.close()
