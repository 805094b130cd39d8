"""Keeps an open design handle up to date with edits saved elsewhere (``design.follow()``).

Every saved edit is published on the design's event channel (the cache port: in-process on the embedded default,
Redis pub/sub across processes, the design service's WebSocket over HTTP). A handle that follows its design
reloads itself when an event announces a version newer than its own, and its ``on_change`` listeners (an open
studio) then apply the difference incrementally. Its own edits come back as events too; by the time such an
event is handled the handle already holds that version, so nothing is reloaded (no echo).

Threading: events arrive on whatever thread delivers them (the publisher's, a Redis pub/sub thread, the WebSocket
thread). The reload and the listeners run on the asyncio loop that was running when ``follow()`` was called (in a
notebook: the kernel's, where widget updates belong), else on one background thread per followed handle. Either
way a burst of events is coalesced into one reload.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("fw_kernel.live")

Event = dict[str, Any]
#: edits after which ``on_change`` listeners get "refresh" (everything may differ) instead of "follow".
_WIDE = frozenset({"update_design", "restore"})


def _wide(event: Event) -> bool:
    data = event.get("data") or {}
    return bool({event.get("type"), data.get("undoes"), data.get("redoes")} & _WIDE)


class Following:
    """What ``design.follow()`` returns: call it to stop following; :meth:`wait` blocks until caught up."""

    def __init__(self, follower: Follower, callback: Callable[[Event], None] | None):
        self._follower = follower
        self.callback = callback
        self.active = True

    def __call__(self) -> None:
        """Stop following (idempotent); the subscription ends with the handle's last follower."""
        if self.active:
            self.active = False
            self._follower.remove(self)

    stop = __call__

    def wait(self, version: int | None = None, timeout: float = 10.0) -> None:
        """Block until every event delivered so far has been applied and, when given, the handle holds at least
        ``version``; raises ``TimeoutError`` after ``timeout`` s. For scripts and tests: on a notebook kernel the
        updates run on the kernel's loop, between cells."""
        self._follower.wait(version, timeout)


class Follower:
    """One subscription to a design's events on behalf of one handle, shared by its :class:`Following` s."""

    def __init__(self, design: Any, subscribe: Callable[[str, Callable[[Event], None]], Callable[[], None]],
                 loop: asyncio.AbstractEventLoop | None):
        self._design = design
        self._loop = loop
        self._cond = threading.Condition()
        self._followings: list[Following] = []
        self._pending: list[Event] = []
        self._target = 0          # the newest version announced by an event
        self._stale = False       # events may have been missed (the WebSocket reconnected): reload regardless
        self._scheduled = False   # a catch-up is queued
        self._busy = False        # a catch-up is running
        self._closed = False
        self._thread: threading.Thread | None = None
        self.reloads = 0          # how many times events made the handle reload (for tests and benchmarks)
        self._unsubscribe = subscribe(design.id, self._on_event)

    # -- followers -------------------------------------------------------------------------------------------
    def add(self, callback: Callable[[Event], None] | None) -> Following:
        following = Following(self, callback)
        with self._cond:
            self._followings.append(following)
        return following

    def remove(self, following: Following) -> None:
        with self._cond:
            if following in self._followings:
                self._followings.remove(following)
            last = not self._followings
        if last:
            self.close()

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._cond.notify_all()
        if getattr(self._design, "_follower", None) is self:
            self._design._follower = None
        try:
            self._unsubscribe()
        except Exception as exc:  # the workspace may be closed already
            log.debug("unsubscribing from design %s: %s", self._design.id, exc)

    # -- events (any thread) ---------------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        with self._cond:
            if self._closed:
                return
            self._pending.append(event)
            version = event.get("version")
            if isinstance(version, int) and not isinstance(version, bool):
                self._target = max(self._target, version)
            if event.get("type") == "reconnected":
                self._stale = True
            if self._scheduled:
                return  # coalesced: the queued catch-up takes this event too
            self._scheduled = True
            if self._loop is None:
                self._ensure_thread()
                self._cond.notify_all()
                return
        try:
            self._loop.call_soon_threadsafe(self._catch_up)
        except RuntimeError:  # the loop was closed (a script's asyncio.run ended): carry on in a thread
            with self._cond:
                self._loop = None
                self._ensure_thread()
                self._cond.notify_all()

    def _ensure_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name=f"fw-follow-{self._design.id}", daemon=True)
            self._thread.start()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._scheduled and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
            self._catch_up()

    # -- applying (the loop's thread or the follower's) -------------------------------------------------------
    def _catch_up(self) -> None:
        with self._cond:
            if self._closed:
                self._scheduled = False
                self._cond.notify_all()
                return
            events, self._pending = self._pending, []
            target, stale = self._target, self._stale
            self._stale = self._scheduled = False
            self._busy = True
            followings = list(self._followings)
        design = self._design
        try:
            with design._lock:  # an edit of this handle in flight finishes first: then its version is known
                behind = stale or target > design.version
            if behind:
                try:
                    role_changed = design._reload()
                except Exception as exc:  # deleted, unshared, service down: say so to the followers
                    log.warning("design %s could not reload after an event: %s", design.id, exc)
                    events.append({"type": "refresh_failed", "design_id": design.id, "version": None,
                                   "user": None, "data": {"message": str(exc), "error": type(exc).__name__}})
                else:
                    self.reloads += 1
                    # listeners redo everything only when more than layers and canvas may have changed
                    wide = role_changed or stale or any(_wide(e) for e in events)
                    try:
                        design._notify("refresh" if wide else "follow")
                    except Exception:  # a listener's bug must not stop the following
                        log.exception("an on_change listener of design %s failed after a reload", design.id)
            for event in events:
                for following in followings:
                    if following.active and following.callback is not None:
                        try:
                            following.callback(event)
                        except Exception:
                            log.exception("design.follow callback failed on %s", event.get("type"))
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def wait(self, version: int | None, timeout: float) -> None:
        loop = self._loop
        if loop is not None and loop.is_running() and _running_loop() is loop:
            raise RuntimeError("Following.wait() on the loop that applies the updates would never return; they "
                               "are applied between cells on their own")
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                idle = not self._scheduled and not self._busy
                if idle and (version is None or self._design.version >= version):
                    return
                if self._closed:
                    raise TimeoutError(f"design {self._design.id} is no longer followed (at version "
                                       f"{self._design.version}, waiting for {version})")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"design {self._design.id} not caught up after {timeout} s (at version "
                                       f"{self._design.version}, waiting for {version}, "
                                       f"{'busy' if not idle else 'idle'})")
                self._cond.wait(min(left, 0.05))


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def follow(design: Any, callback: Callable[[Event], None] | None = None,
           loop: asyncio.AbstractEventLoop | None = None) -> Following:
    """The body of ``Design.follow``: one subscription per handle, one :class:`Following` per caller."""
    if callback is not None and not callable(callback):
        from .domain.errors import ValidationError

        raise ValidationError.bad("callback", callback, "a function taking one event (a dict), or None")
    with design._lock:
        follower = getattr(design, "_follower", None)
        if follower is None or follower._closed:
            events = design._ws.services.events
            follower = Follower(design, events.subscribe, loop if loop is not None else _running_loop())
            design._follower = follower
        return follower.add(callback)
