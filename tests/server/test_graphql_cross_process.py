"""GraphQL subscriptions across processes: a ``designUpdated`` subscription over graphql-transport-ws on one
``fw service`` process receives an edit made through another service process (a GraphQL mutation there) and an
edit made by a notebook kernel writing to the same stores (its events go through Redis), with real Redis and
real service processes."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.websockets import WebsocketsTransport

import fw_kernel as fw
from tests.support.service import TOKENS, two_processes

SUBSCRIPTION = "subscription($d: ID!) { designUpdated(designId: $d) { id name version layers { catalogItemId } } }"


def _run(base: str, user: str, query: str, **variables: Any) -> dict[str, Any]:
    transport = AIOHTTPTransport(url=base + "/graphql", headers={"Authorization": f"token {TOKENS[user]}"})
    return Client(transport=transport, fetch_schema_from_transport=False).execute(  # type: ignore[no-any-return]
        GraphQLRequest(query, variable_values=variables))


class Subscriber:
    """A ``designUpdated`` subscription as ``user`` on ``base`` in a thread; what it received, in order."""

    def __init__(self, base: str, user: str, design_id: str):
        self.received: list[dict[str, Any]] = []
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._args = (base, user, design_id)
        self._thread = threading.Thread(target=lambda: asyncio.run(self._listen()), daemon=True)
        self._thread.start()
        assert self.ready.wait(30), "the subscription did not start"

    async def _listen(self) -> None:
        base, user, design_id = self._args
        transport = WebsocketsTransport(url=base.replace("http://", "ws://") + "/graphql",
                                        headers={"Authorization": f"token {TOKENS[user]}"},
                                        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL])
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            generator = session.subscribe(GraphQLRequest(SUBSCRIPTION, variable_values={"d": design_id}))
            pending = asyncio.ensure_future(generator.__anext__())
            await asyncio.sleep(1.0)  # registered with the service's event hub (and its Redis subscription)
            self.ready.set()
            while not self._stop.is_set():
                done, _ = await asyncio.wait({pending}, timeout=0.2)
                if done:
                    self.received.append(pending.result()["designUpdated"])
                    pending = asyncio.ensure_future(generator.__anext__())
            pending.cancel()
            await generator.aclose()

    def wait_for(self, check: Any, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for item in self.received:
                if check(item):
                    return item
            time.sleep(0.05)
        raise AssertionError(f"no matching event in {self.received!r}")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.fixture
def stores(tmp_path: Path, redis_url: str) -> dict[str, str]:
    return {"FW_HOME": str(tmp_path / "fw"), "FW_REDIS_URL": redis_url, "FW_QUEUE": "local"}


@pytest.fixture
def two_services(stores: dict[str, str]) -> Any:
    with two_processes(stores) as both:
        yield both


@pytest.mark.service
@pytest.mark.slow
def test_a_subscription_on_one_process_receives_edits_made_in_others(two_services: Any,
                                                                     stores: dict[str, str]) -> None:
    first, second = two_services
    did = _run(first.base, "alice", "mutation { createDesign(input: {name: \"Shared\"}) { id } }")["createDesign"]["id"]
    _run(first.base, "alice", "mutation($d: ID!) { shareDesign(designId: $d, user: \"bob\", role: \"editor\") "
                              "{ role } }", d=did)
    listener = Subscriber(second.base, "alice", did)  # alice listens on process 2
    try:
        # 1. bob's edit through process 1 (a GraphQL mutation there)
        started = time.monotonic()
        _run(first.base, "bob", "mutation($id: ID!) { updateDesign(id: $id, updates: {name: \"Bob's\"}) { id } }",
             id=did)
        got = listener.wait_for(lambda d: d["name"] == "Bob's")
        latency = time.monotonic() - started
        assert got["id"] == did and latency < 10.0  # generous: 2 shared cores

        # 2. a notebook kernel in this process, on the same database, its events through Redis
        kernel = fw.connect(home=stores["FW_HOME"], redis_url=stores["FW_REDIS_URL"], queue="local", user="bob",
                            autosave_thread=False)
        try:
            design = kernel.designs.get(did)
            design.add_layer("sil-aline-dress")
            after = listener.wait_for(lambda d: any(x["catalogItemId"] == "sil-aline-dress" for x in d["layers"]))
            assert after["version"] == design.version and after["name"] == "Bob's"
        finally:
            kernel.close()
    finally:
        listener.close()
    assert all(item["id"] == did for item in listener.received)
