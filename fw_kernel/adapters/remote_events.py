"""The cache port's events over the design service's WebSocket (``{service}/api/v1/events``): what a kernel that
talks to the service over HTTP subscribes with, so that ``design.follow()`` (and the studio) see edits saved by
anyone, through any process of the service.

One connection per workspace, on a daemon thread running its own asyncio loop (tornado's ``websocket_connect``),
authenticated like :class:`~fw_kernel.adapters.remote_http.HttpClient` (``Authorization: token ...``). It
reconnects with exponential backoff, subscribes again to every channel it had, and then hands each subscriber a
``{"type": "reconnected"}`` event, since edits saved while it was away were missed. The service's messages are
turned back into the kernel's event form (``type``, ``design_id``, ``version``, ``user``, ``data``, ``at``), so a
subscriber cannot tell this adapter from the in-process bus or Redis. Subscriber callbacks run on the connection's
thread; keep them short (``design.follow`` only queues the event).

It implements the events port (``ports.EventSubscriber``) only: publishing and the state cache stay with the
service (a kernel over HTTP saves through the REST API, and the service publishes every saved edit itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from .. import wire

log = logging.getLogger("fw_kernel.remote_events")

Event = dict[str, Any]
Callback = Callable[[Event], None]

# the maps both ways live in fw_kernel.wire (the service uses the same module)
channel_request = wire.channel_request
channel_of = wire.channel_of
kernel_event = wire.kernel_event


def events_url(api_url: str) -> str:
    """``http(s)://host/prefix/api/v1`` -> ``ws(s)://host/prefix/api/v1/events``."""
    if api_url.startswith("https://"):
        return "wss://" + api_url[len("https://"):].rstrip("/") + "/events"
    if api_url.startswith("http://"):
        return "ws://" + api_url[len("http://"):].rstrip("/") + "/events"
    raise ValueError(f"the design service URL must be http:// or https://, not {api_url!r}")


class RemoteEvents:
    """``subscribe(channel, callback)`` over the design service's WebSocket events (``ports.EventSubscriber``).

    ``api_url``: the service's API root (``HttpClient.api``); ``user``: the token's user (names the avatar
    channel). ``subscribe`` waits up to ``subscribe_timeout_s`` for the service to confirm, and raises the
    service's refusal (``NotFound`` for a design that is not shared with the user) as the kernel error; if the
    service cannot be reached in that time the subscription stays registered and starts with the next connection.
    """

    def __init__(self, api_url: str, token: str, user: str = "", *, subscribe_timeout_s: float = 5.0,
                 backoff_s: tuple[float, float] = (0.2, 10.0), ping_interval_s: float = 20.0):
        self.url = events_url(api_url)
        self.user = user
        self._token = token
        self._timeout = subscribe_timeout_s
        self._backoff = backoff_s
        self._ping = ping_interval_s
        self._callbacks: dict[str, list[Callback]] = defaultdict(list)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._conn: Any = None
        self._connected: asyncio.Event | None = None
        self._replies: deque[asyncio.Future[dict[str, Any]]] = deque()  # the service answers requests in order
        self._sent: dict[str, asyncio.Future[dict[str, Any]]] = {}  # subscriptions sent on this connection
        self._runner: asyncio.Task[None] | None = None
        self._closed = False
        self.connections = 0   # how many times it connected (reconnects = connections - 1)
        self.last_error: str | None = None

    # -- the events port ----------------------------------------------------------------------------------------
    def subscribe(self, design_id: str, callback: Callback) -> Callable[[], None]:
        """Call ``callback(event)`` for every event of the channel (a design id, ``avatars/{user}``, ``catalog``);
        returns a function that unsubscribes."""
        if self._closed:
            raise RuntimeError("the workspace is closed: its event connection is gone")
        if not isinstance(design_id, str) or not design_id:
            from ..domain.errors import ValidationError

            raise ValidationError.bad("design_id", design_id, "a design id")
        with self._lock:
            first = not self._callbacks[design_id]
            self._callbacks[design_id].append(callback)
        loop = self._ensure_loop()
        if first:
            future = asyncio.run_coroutine_threadsafe(self._request("subscribe", design_id), loop)
            try:
                reply = future.result(self._timeout + 1.0)
            except TimeoutError:
                reply = None
            if reply is None:
                log.warning("events of %s: the design service at %s did not answer in %.0f s (%s); subscribed on "
                            "the next connection", design_id, self.url, self._timeout, self.last_error)
            elif reply.get("type") == "error":
                self._drop(design_id, callback)
                raise wire.error_of(400, reply, None)

        def unsubscribe() -> None:
            if self._drop(design_id, callback) and not self._closed and self._loop is not None:
                with contextlib.suppress(RuntimeError):  # the loop stopped meanwhile (closed)
                    asyncio.run_coroutine_threadsafe(self._request("unsubscribe", design_id, wait=False), self._loop)

        return unsubscribe

    def close(self) -> None:
        """Close the connection and stop its thread (``ws.close()``)."""
        if self._closed:
            return
        self._closed = True
        with self._lock:
            self._callbacks.clear()
        loop = self._loop
        if loop is not None and self._thread is not None:
            with contextlib.suppress(RuntimeError):
                asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(5)
            self._thread.join(5)

    # -- internals ---------------------------------------------------------------------------------------------
    def _drop(self, channel: str, callback: Callback) -> bool:
        """Remove a callback; True when it was the channel's last."""
        with self._lock:
            callbacks = self._callbacks.get(channel)
            if not callbacks or callback not in callbacks:
                return False
            callbacks.remove(callback)
            if callbacks:
                return False
            del self._callbacks[channel]
            return True

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run_loop, name="fw-remote-events", daemon=True)
                self._thread.start()
        self._started.wait(10)
        assert self._loop is not None
        return self._loop

    def _run_loop(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        self._connected = asyncio.Event()
        self._runner = loop.create_task(self._keep_connected())
        self._started.set()
        try:
            loop.run_until_complete(self._runner)
        except asyncio.CancelledError:
            pass
        finally:
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()

    async def _shutdown(self) -> None:
        pending = [future for future in self._replies if not future.done()]
        if pending:  # let the service answer what was sent (an unsubscribe): closing mid-request makes it log
            await asyncio.wait(pending, timeout=1.0)
        if self._conn is not None:
            self._conn.close()
        if self._runner is not None:
            self._runner.cancel()

    async def _connect(self) -> Any:
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        request = HTTPRequest(self.url, headers={"Authorization": f"token {self._token}"},
                              connect_timeout=self._timeout, request_timeout=self._timeout)
        return await websocket_connect(request, ping_interval=self._ping, ping_timeout=self._ping)

    async def _keep_connected(self) -> None:
        delay = self._backoff[0]
        first = True
        while not self._closed:
            try:
                self._conn = await self._connect()
            except Exception as exc:  # refused, unreachable, 401/403/5xx on the upgrade: try again later
                self.last_error = _describe(exc)
                if first:
                    log.warning("design service events at %s: %s; retrying", self.url, self.last_error)
                first = False
                await asyncio.sleep(delay * (0.5 + random.random()))  # jitter: kernels do not come back in step
                delay = min(delay * 2, self._backoff[1])
                continue
            self.connections += 1
            reconnected = self.connections > 1
            delay, first, self.last_error = self._backoff[0], True, None
            assert self._connected is not None
            self._connected.set()
            reader = asyncio.ensure_future(self._read(self._conn))
            with self._lock:
                channels = list(self._callbacks)
            for channel in channels:  # again after a reconnect (a first subscription waits for the connection)
                self._sent[channel] = self._send({"action": "subscribe", **channel_request(channel)})
            if reconnected:
                for channel in channels:
                    self._deliver(channel, {"type": "reconnected", "design_id": channel, "version": None,
                                            "user": None, "data": {}})
            try:
                await reader
            finally:
                reader.cancel()
                self._connected.clear()
                self._conn = None
                for future in self._replies:  # requests the lost connection never answered
                    if not future.done():
                        future.set_result({"type": "lost"})
                self._replies.clear()
                self._sent.clear()
            if not self._closed:
                log.info("design service events at %s: connection lost; reconnecting", self.url)
                await asyncio.sleep(delay)

    async def _read(self, conn: Any) -> None:
        while True:
            raw = await conn.read_message()
            if raw is None:
                return
            try:
                message = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(message, dict):
                continue
            if "event" in message:
                channel = channel_of(message, self.user)
                if channel is not None:
                    self._deliver(channel, dict(kernel_event(message)))
            elif message.get("type") in ("subscribed", "unsubscribed", "error"):
                if self._replies:
                    future = self._replies.popleft()
                    if not future.done():
                        future.set_result(message)
                elif message.get("type") == "error":
                    log.warning("design service events: %s", message.get("message"))

    def _send(self, message: dict[str, Any]) -> asyncio.Future[dict[str, Any]]:
        assert self._loop is not None
        future: asyncio.Future[dict[str, Any]] = self._loop.create_future()
        if self._conn is None:
            future.set_result({"type": "lost"})
            return future
        self._replies.append(future)
        self._conn.write_message(json.dumps(message))
        return future

    async def _request(self, action: str, channel: str, wait: bool = True) -> dict[str, Any] | None:
        """Send a (un)subscription once connected; its reply (None: no connection within the timeout)."""
        assert self._connected is not None
        if not self._connected.is_set():  # when connected, send at once (before a close queued after this)
            try:
                await asyncio.wait_for(self._connected.wait(), self._timeout)
            except TimeoutError:
                return None
        if action == "subscribe":
            with self._lock:
                if channel not in self._callbacks:
                    return {"type": "unsubscribed"}  # unsubscribed meanwhile
            if channel not in self._sent:  # else the connection sent it on connecting: wait for that reply
                self._sent[channel] = self._send({"action": action, **channel_request(channel)})
            future = self._sent[channel]
        else:
            self._sent.pop(channel, None)
            future = self._send({"action": action, **channel_request(channel)})
        if not wait:
            return None
        try:
            reply = await asyncio.wait_for(asyncio.shield(future), self._timeout)
        except TimeoutError:
            return None
        return None if reply.get("type") == "lost" else reply

    def _deliver(self, channel: str, event: Event) -> None:
        with self._lock:
            callbacks = list(self._callbacks.get(channel, ()))
        for callback in callbacks:
            try:
                callback(event)
            except Exception:  # one subscriber's bug must not cut the others off
                log.exception("event callback failed on %s", event.get("type"))


def _describe(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    return f"HTTP {code}" if isinstance(code, int) and code >= 400 else f"{type(exc).__name__}: {exc}"
