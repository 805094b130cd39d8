"""WebSocket events at ``{prefix}/events`` with the seed's namespaces, fed from the kernel's event channels.

The kernel publishes every saved edit on ``design:{id}:events`` and photo-avatar progress on the channel of
``avatars/{user}`` (Redis pub/sub in production, in-process on the embedded default). Each service process
holds one Redis pub/sub connection subscribed to the channels that have listeners on it (see
:class:`EventHub`) and fans events out to its own sockets, so an edit made through any process (or any
kernel) reaches listeners on every process, and a process hears only the events someone on it listens to.

Protocol (JSON text frames):

- client -> service: ``{"action": "subscribe", "namespace": "/design", "design_id": ...}`` (read access
  checked), ``{"action": "subscribe", "namespace": "/avatar"}`` (your avatars), ``{"action": "subscribe",
  "namespace": "/catalog"}``, ``"unsubscribe"`` likewise, and ``{"action": "cursor", "design_id": ...,
  "position": {...}}`` (presence: republished to the design's listeners as ``cursor_moved``);
- service -> client: ``{"type": "subscribed" | "unsubscribed" | "error", ...}`` and events
  ``{"namespace": "/design", "event": "layer_added", "design_id": ..., "user": ..., "version": ..., "data": ...}``.

Event names: ``/design``: design_updated (with ``action``: update_layer, checkpoint, restore, autosaved...),
layer_added, layer_removed, collaborator_joined, collaborator_left, cursor_moved; ``/avatar``:
processing_started, processing_progress, processing_complete, processing_error; ``/catalog``: new_items,
price_updated, stock_changed (published on the catalog channel, see :func:`publish_catalog_event`).

A client that asks for the ``graphql-transport-ws`` subprotocol speaks GraphQL on this socket instead
(subscriptions ``designUpdated``, ``collaboratorJoined``: :class:`fw_server.graphql_api.TransportWS`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from typing import Any

import tornado.websocket

from fw_kernel import wire
from fw_kernel.domain.errors import FWError
from fw_kernel.ports import EventBus

from .errors import ApiError, from_kernel
from .handlers import JsonErrors

log = logging.getLogger("fw_server.events")

CATALOG_CHANNEL_ID = wire.CATALOG_CHANNEL
Key = wire.Key  # (namespace, id): ("/design", design id), ("/avatar", user), ("/catalog", "")
# the kernel channel <-> subscription and kernel event -> message maps are shared with the client (fw_kernel.wire)
channel_id = wire.channel_id
key_of = wire.key_of
to_message = wire.to_message


def publish_catalog_event(services: Any, kind: str, data: dict[str, Any]) -> None:
    """Announce a catalog change (``new_items``, ``price_updated``, ``stock_changed``) to every listener."""
    services.cache.publish(CATALOG_CHANNEL_ID, {"type": kind, **data})


class EventHub:
    """This process's listeners by key, fed from Redis or the in-process bus.

    On Redis the hub holds one pub/sub connection subscribed to the channel of each key that has a listener on
    this process (plus the catalog's, always): Redis sends a process only the events of designs someone on it
    is watching, not every edit of every process. :meth:`add` subscribes the first listener's channel;
    ``await`` :meth:`wait_subscribed` before telling the client it is subscribed (Redis confirmed it, so no
    event published afterwards is missed); :meth:`remove` of the last listener unsubscribes.
    """

    def __init__(self, bus: EventBus, redis_url: str | None):
        self._bus = bus
        self.listeners: dict[Key, set[EventsHandler]] = defaultdict(set)
        self._local_unsubscribe: dict[Key, Any] = {}
        self._redis_url = redis_url
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pubsub: Any = None                      # the live redis.asyncio PubSub, None while (re)connecting
        self._confirmed: dict[str, asyncio.Event] = {}  # Redis channel -> set once Redis confirmed SUBSCRIBE
        self._changes: set[asyncio.Task[Any]] = set()  # (un)subscribe commands in flight
        self.ready = asyncio.Event()

    @staticmethod
    def redis_channel(key: Key) -> str:
        from fw_kernel.adapters.cache_redis import RedisStateCache

        return RedisStateCache.channel(channel_id(key))

    async def start(self) -> None:
        """Start reading Redis (a no-op on the embedded default)."""
        self._loop = asyncio.get_running_loop()
        if self._redis_url and self._task is None:
            self._task = asyncio.create_task(self._read_redis())
            await asyncio.wait_for(self.ready.wait(), 10)
        else:
            self.ready.set()

    async def _read_redis(self) -> None:
        import redis.asyncio as aioredis

        from fw_kernel.adapters.cache_redis import RedisStateCache

        head, tail = RedisStateCache.channel("*").split("*")
        always = self.redis_channel(("/catalog", ""))
        while True:
            client = aioredis.Redis.from_url(self._redis_url or "")
            try:
                async with client.pubsub() as pubsub:
                    for event in self._confirmed.values():
                        event.clear()  # a new connection: confirmed again below
                    self._pubsub = pubsub  # first: a listener added while this SUBSCRIBE is sent sends its own
                    await pubsub.subscribe(always, *{self.redis_channel(k) for k in self.listeners})
                    async for message in pubsub.listen():
                        kind = message.get("type")
                        channel = message["channel"].decode()
                        if kind == "subscribe":
                            if channel == always:
                                self.ready.set()
                            confirmed = self._confirmed.get(channel)
                            if confirmed is not None:
                                confirmed.set()
                            continue
                        if kind != "message":
                            continue
                        try:
                            event = json.loads(message["data"])
                        except ValueError:
                            continue
                        self.dispatch(key_of(channel[len(head):len(channel) - len(tail)]), event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis went away: keep trying, listeners stay connected
                log.warning("event subscription to Redis lost (%s); retrying", exc)
                await asyncio.sleep(1.0)
            finally:
                self._pubsub = None
                await client.aclose()

    def _redis_command(self, verb: str, channel: str) -> None:
        pubsub = self._pubsub
        if pubsub is None:  # reconnecting: the new connection subscribes every listened channel itself
            return

        async def send() -> None:
            try:
                await getattr(pubsub, verb)(channel)
            except Exception as exc:  # the reader reconnects and subscribes again
                log.warning("%s %s failed: %s", verb, channel, exc)

        task = asyncio.get_running_loop().create_task(send())
        self._changes.add(task)
        task.add_done_callback(self._changes.discard)

    def dispatch(self, key: Key, event: dict[str, Any]) -> None:
        listeners = self.listeners.get(key)
        if not listeners:
            return
        message = dict(to_message(key, event))
        for handler in list(listeners):
            handler.deliver(key, message)

    def add(self, key: Key, handler: Any) -> None:
        first = not self.listeners[key]
        self.listeners[key].add(handler)
        if not first:
            return
        if self._redis_url:
            channel = self.redis_channel(key)
            if channel not in self._confirmed and key != ("/catalog", ""):
                self._confirmed[channel] = asyncio.Event()
                self._redis_command("subscribe", channel)
            return
        # the in-process bus: events arrive on the publishing thread
        loop = self._loop or asyncio.get_running_loop()

        def callback(event: dict[str, Any], key: Key = key) -> None:
            loop.call_soon_threadsafe(self.dispatch, key, event)

        self._local_unsubscribe[key] = self._bus.subscribe(channel_id(key), callback)

    async def wait_subscribed(self, key: Key, timeout_s: float = 5.0) -> None:
        """Until Redis has confirmed the subscription of ``key``'s channel (at once without Redis)."""
        confirmed = self._confirmed.get(self.redis_channel(key)) if self._redis_url else None
        if confirmed is None or confirmed.is_set():
            return
        try:
            await asyncio.wait_for(confirmed.wait(), timeout_s)
        except TimeoutError:
            log.warning("Redis did not confirm the subscription of %s within %.0f s", key, timeout_s)

    def remove(self, key: Key, handler: Any) -> None:
        listeners = self.listeners.get(key)
        if listeners is None:
            return
        listeners.discard(handler)
        if not listeners:
            del self.listeners[key]
            unsubscribe = self._local_unsubscribe.pop(key, None)
            if unsubscribe is not None:
                unsubscribe()
            if self._redis_url and key != ("/catalog", ""):
                channel = self.redis_channel(key)
                if self._confirmed.pop(channel, None) is not None:
                    self._redis_command("unsubscribe", channel)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        for unsubscribe in self._local_unsubscribe.values():
            unsubscribe()
        self._local_unsubscribe.clear()


class EventsHandler(tornado.websocket.WebSocketHandler, JsonErrors):
    """One listener: authenticated on connect (header, or ``?token=`` since browsers cannot set headers)."""

    def initialize(self, service: Any) -> None:
        self.service = service
        self.user = ""
        self.keys: set[Key] = set()
        self._counted = False  # in fw_websocket_connections
        self.graphql: Any = None  # fw_server.graphql_api.TransportWS when the client speaks graphql-transport-ws

    def open(self, *args: Any, **kwargs: Any) -> None:
        from .prometheus import websocket_opened

        self._counted = True
        websocket_opened(1)
        if self.selected_subprotocol == "graphql-transport-ws":  # GraphQL subscriptions on this socket
            from .graphql_api import TransportWS

            self.graphql = TransportWS(self.service, self.user, self)

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        return "graphql-transport-ws" if "graphql-transport-ws" in subprotocols else None

    async def prepare(self) -> None:
        self.user = await self.service.authenticator.user_of(self, websocket=True)
        await self.service.rate_limit(self.user)

    def check_origin(self, origin: str) -> bool:
        return True  # every connection carries a token; cookies alone are never trusted here

    async def on_message(self, message: str | bytes) -> None:
        if self.graphql is not None:
            await self.graphql.on_message(message)
            return
        try:
            await self.service.rate_limit(self.user)
            request = json.loads(message)
            if not isinstance(request, dict):
                raise ValueError("not an object")
            await self._handle(request)
        except ApiError as exc:
            self._send({"type": "error", **exc.body})
        except FWError as exc:
            design_id = request.get("design_id") if isinstance(request, dict) else None
            self._send({"type": "error", **from_kernel(exc, design_id if isinstance(design_id, str) else None).body})
        except ValueError:
            self._send({"type": "error", "error": "validation_error", "message": "a message is a JSON object with "
                        "an action: subscribe, unsubscribe or cursor", "field": "action",
                        "allowed": ", ".join(wire.ACTIONS)})

    async def _handle(self, request: dict[str, Any]) -> None:
        action = request.get("action")
        namespace = request.get("namespace", "/design")
        if action == "cursor":
            key = await self._key("/design", request)
            if key not in self.keys:
                raise ApiError(409, "subscribe to the design before sending cursor moves", "design_id",
                               "a design you subscribed to")
            position = request.get("position", {})
            if not isinstance(position, dict) or len(json.dumps(position)) > 1000:
                raise ApiError(422, "position must be a small JSON object", "position", "an object < 1000 bytes")
            event = {"type": "cursor_moved", "design_id": key[1], "user": self.user, "data": {"position": position}}
            await self._blocking(lambda: self.service.services.cache.publish(key[1], event))
            return
        if action not in ("subscribe", "unsubscribe"):
            raise ApiError(422, f"unknown action {str(action)[:40]!r}", "action", ", ".join(wire.ACTIONS))
        key = await self._key(namespace, request)
        from .prometheus import design_sessions

        if action == "subscribe":
            if key[0] == "/design" and key not in self.keys:
                design_sessions(1)
            self.keys.add(key)
            self.service.events.add(key, self)
            await self.service.events.wait_subscribed(key)
            self._send({"type": "subscribed", "namespace": key[0], "design_id": key[1] or None})
        else:
            if key[0] == "/design" and key in self.keys:
                design_sessions(-1)
            self.keys.discard(key)
            self.service.events.remove(key, self)
            self._send({"type": "unsubscribed", "namespace": key[0], "design_id": key[1] or None})

    async def _key(self, namespace: Any, request: dict[str, Any]) -> Key:
        if namespace == "/avatar":
            return ("/avatar", self.user)
        if namespace == "/catalog":
            return ("/catalog", "")
        if namespace != "/design":
            raise ApiError(422, f"unknown namespace {str(namespace)[:40]!r}", "namespace", ", ".join(wire.NAMESPACES))
        design_id = request.get("design_id")
        if not isinstance(design_id, str) or not design_id:
            raise ApiError(422, "design_id is required for /design", "design_id", "a design id")
        await self._blocking(lambda: self.service.services.designs.open(self.user, design_id))  # read access
        return ("/design", design_id)

    async def _blocking(self, fn: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.service.executor, fn)

    def deliver(self, key: Key, message: dict[str, Any]) -> None:
        if message.get("event") == "collaborator_left" and message.get("data", {}).get("user") == self.user:
            self._send(message)
            if key in self.keys:
                from .prometheus import design_sessions

                design_sessions(-1)
            self.keys.discard(key)  # no longer shared with this user: no more of its events
            self.service.events.remove(key, self)
            return
        self._send(message)

    def _send(self, message: dict[str, Any]) -> None:
        try:
            self.write_message(json.dumps(message, default=str))
        except tornado.websocket.WebSocketClosedError:
            self.on_close()

    def on_close(self) -> None:
        from .prometheus import design_sessions, websocket_opened

        if self.graphql is not None:
            self.graphql.on_close()

        design_sessions(-sum(1 for key in self.keys if key[0] == "/design"))
        for key in list(self.keys):
            self.service.events.remove(key, self)
        self.keys.clear()
        if self._counted:
            self._counted = False
            websocket_opened(-1)


