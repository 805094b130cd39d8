"""GraphQL at /api/v1/graphql through a real GraphQL client (gql): queries, mutations, the REST permissions and
errors as GraphQL errors, batching of nested fields (SQL statements counted), limits, and a subscription over
graphql-transport-ws that receives another user's edit."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from gql import Client, GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from tests.support.service import TOKENS, RunningService, kernel_services, service_config

DESIGN = """
query One($id: ID!) { design(id: $id) { id name owner role version layers { id name catalogItemId opacity }
  versions { versionNumber message } collaborators { user role } avatar { id name measurements } } }"""


def _client(base: str, user: str) -> Client:
    transport = AIOHTTPTransport(url=base + "/graphql", headers={"Authorization": f"token {TOKENS[user]}"})
    return Client(transport=transport, fetch_schema_from_transport=False)


def _run(base: str, user: str, query: str, **variables: Any) -> dict[str, Any]:
    return _client(base, user).execute(GraphQLRequest(query, variable_values=variables))  # type: ignore


def _refused(base: str, user: str, query: str, **variables: Any) -> dict[str, Any]:
    with pytest.raises(TransportQueryError) as caught:
        _run(base, user, query, **variables)
    errors = caught.value.errors
    assert errors
    return errors[0]  # type: ignore[no-any-return]


def _item(running: RunningService, kind: str = "silhouette") -> str:
    return next(i.id for i in running.services.catalog.list() if i.type == kind)


def _create(base: str, user: str, name: str, **fields: Any) -> str:
    found = _run(base, user, "mutation($in: DesignInput!) { createDesign(input: $in) { id } }",
                 **{"in": {"name": name, **fields}})
    return found["createDesign"]["id"]  # type: ignore[no-any-return]


def test_a_design_with_its_layers_versions_collaborators_and_avatar_in_one_query(
        sqlite_service: RunningService) -> None:
    base = sqlite_service.base
    avatar = _run(base, "alice", "mutation { createAvatar(input: {name: \"Me\", measurements: {bust: 90, waist: 70, "
                                 "hips: 96}}) { id name owner measurements } }")["createAvatar"]
    assert avatar["owner"] == "alice" and avatar["measurements"]
    did = _create(base, "alice", "Gala", avatarId=avatar["id"], tags=["evening"])
    layer = _run(base, "alice", "mutation($d: ID!, $in: LayerInput!) { addLayer(designId: $d, input: $in) "
                                "{ id catalogItemId } }", d=did, **{"in": {"itemId": _item(sqlite_service)}})
    _run(base, "alice", "mutation($d: ID!) { checkpoint(designId: $d, message: \"first\") { versionNumber } }", d=did)
    _run(base, "alice", "mutation($d: ID!) { shareDesign(designId: $d, user: \"bob\", role: \"editor\") { user } }",
         d=did)
    got = _run(base, "alice", DESIGN, id=did)["design"]
    assert got["name"] == "Gala" and got["role"] == "owner"
    assert [x["id"] for x in got["layers"]] == [layer["addLayer"]["id"]]
    assert [v["message"] for v in got["versions"]] == ["first"]
    assert got["collaborators"] == [{"user": "bob", "role": "editor"}]
    assert got["avatar"]["id"] == avatar["id"]
    # the same answer as REST's
    rest = sqlite_service.client("alice").get(f"/designs/{did}?count_view=false").json()
    assert got["version"] == rest["version"] and got["layers"][0]["opacity"] == rest["layers"][0]["opacity"]
    # bob, an editor, reads the avatar through the design (as REST's /designs/{id}/avatar)
    assert _run(base, "bob", DESIGN, id=did)["design"]["avatar"]["name"] == "Me"


def test_mutations_edit_as_rest_does_and_fork(sqlite_service: RunningService) -> None:
    base = sqlite_service.base
    did = _create(base, "alice", "Coat")
    changed = _run(base, "alice", "mutation($id: ID!) { updateDesign(id: $id, updates: {name: \"Long coat\", "
                                  "canvas: {show_grid: false}}) { name version canvas } }", id=did)["updateDesign"]
    assert changed["name"] == "Long coat" and changed["canvas"]["show_grid"] is False and changed["version"] > 1
    _run(base, "alice", "mutation($d: ID!) { shareDesign(designId: $d, user: \"bob\") { role } }", d=did)
    fork = _run(base, "bob", "mutation($id: ID!) { forkDesign(id: $id, name: \"Mine\") { id owner forkFrom } }",
                id=did)["forkDesign"]
    assert fork["owner"] == "bob" and fork["forkFrom"] == did
    listed = _run(base, "bob", "query { designs(userId: \"bob\", pagination: {limit: 1}) { items { id } total "
                               "hasMore } }")["designs"]
    assert listed["total"] == 2 and listed["hasMore"] is True and len(listed["items"]) == 1
    history = sqlite_service.client("alice").get(f"/designs/{did}/history").json()
    assert {"update_design", "update_canvas", "forked"} <= {h["action"] for h in history}


def test_refusals_carry_the_rest_codes_and_messages(sqlite_service: RunningService) -> None:
    base = sqlite_service.base
    did = _create(base, "alice", "Private")
    rest = sqlite_service.client("bob").get(f"/designs/{did}").json()
    err = _refused(base, "bob", DESIGN, id=did)
    assert err["extensions"]["code"] == "not_found" == rest["error"] and err["message"] == rest["message"]
    # a viewer may not edit: forbidden, with REST's message
    _run(base, "alice", "mutation($d: ID!) { shareDesign(designId: $d, user: \"bob\") { role } }", d=did)
    rest = sqlite_service.client("bob").patch(f"/designs/{did}", json={"name": "x"}).json()
    err = _refused(base, "bob", "mutation($id: ID!) { updateDesign(id: $id, updates: {name: \"x\"}) { id } }", id=did)
    assert err["extensions"]["code"] == "forbidden" == rest["error"] and err["message"] == rest["message"]
    # a bad value: validation_error naming the field and what is allowed
    err = _refused(base, "alice", "mutation { createDesign(input: {name: \"x\", visibility: \"everyone\"}) { id } }")
    rest = sqlite_service.client("alice").post("/designs", json={"name": "x", "visibility": "everyone"}).json()
    assert err["extensions"]["code"] == "validation_error" and err["message"] == rest["message"]
    assert err["extensions"]["field"] == "visibility" and err["extensions"]["allowed"] == rest["allowed"]
    # another user's list
    assert _refused(base, "bob", "query { designs(userId: \"alice\") { total } }")["extensions"]["code"] == "forbidden"
    # nothing changed
    assert _run(base, "alice", "query($id: ID!) { design(id: $id) { name } }", id=did)["design"]["name"] == "Private"


def test_no_token_is_401_and_the_body_must_be_a_graphql_request(sqlite_service: RunningService) -> None:
    url = sqlite_service.base + "/graphql"
    answer = requests.post(url, json={"query": "{ me }"}, timeout=30)
    assert answer.status_code == 401 and answer.json()["errors"][0]["extensions"]["code"] == "unauthorized"
    headers = {"Authorization": f"token {TOKENS['alice']}"}
    answer = requests.post(url, json={"nope": 1}, headers=headers, timeout=30)
    assert answer.status_code == 400 and answer.json()["errors"][0]["extensions"]["field"] == "query"
    answer = requests.get(url, params={"query": "{ me }"}, headers=headers, timeout=30)
    assert answer.json() == {"data": {"me": "alice"}}
    answer = requests.post(url, data="{ me }", headers=headers, timeout=30)
    assert answer.status_code == 415
    answer = requests.get(url, params={"query": "mutation { createDesign(input: {name: \"x\"}) { id } }"},
                          headers=headers, timeout=30)   # a link cannot make a mutation
    assert answer.status_code == 405 and "a mutation is not allowed here" in answer.json()["errors"][0]["message"]
    answer = requests.post(url, json={"query": "subscription { designUpdated(designId: \"x\") { id } }"},
                           headers=headers, timeout=30)
    assert answer.status_code == 405 and "the WebSocket" in answer.json()["errors"][0]["message"]
    assert requests.get(sqlite_service.base + "/designs", headers=headers, timeout=30).json() == []


@contextmanager
def _statements(running: RunningService) -> Iterator[list[str]]:
    from sqlalchemy import event

    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = running.services.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


LIST_BARE = "query { designs(userId: \"alice\") { items { id } } }"
LIST_NESTED = ("query { designs(userId: \"alice\") { items { id layers { id } versions { versionNumber } "
               "collaborators { user } avatar { id } } } }")


def test_nested_fields_are_batched_not_queried_per_design(sqlite_service: RunningService) -> None:
    base = sqlite_service.base
    avatar = sqlite_service.services.avatars.create("alice", "Me", {"bust": 90.0, "waist": 70.0, "hips": 96.0})
    extra: list[int] = []
    for count in (2, 6):
        while len(_run(base, "alice", LIST_BARE)["designs"]["items"]) < count:
            did = _create(base, "alice", "D", avatarId=avatar.id)
            sqlite_service.services.designs.checkpoint("alice", did, "v1")
            sqlite_service.services.designs.share("alice", did, "bob", "viewer")
        with _statements(sqlite_service) as bare:
            _run(base, "alice", LIST_BARE)
        with _statements(sqlite_service) as nested:
            found = _run(base, "alice", LIST_NESTED)["designs"]["items"]
        assert len(found) == count and all(d["versions"] and d["collaborators"] and d["avatar"] for d in found)
        extra.append(len(nested) - len(bare))
    # versions, collaborators and avatars of every design: the same few statements for 2 designs as for 6
    assert extra[0] == extra[1] and 0 < extra[0] <= 12, extra


def test_depth_cost_and_size_limits(sqlite_service: RunningService) -> None:
    base = sqlite_service.base
    costly = ("query { designs(userId: \"alice\") { items { layers { id name type catalogItemId orderIndex "
              "transform customization isVisible isLocked blendMode opacity notes group } versions { designId "
              "versionNumber message designVersion createdBy createdAt } collaborators { designId user role addedBy "
              "createdAt } } } }")
    err = _refused(base, "alice", costly)
    assert err["extensions"]["code"] == "query_too_costly" and "limit of 5000" in err["message"]
    huge = "query { " + " ".join(f"a{i}: me" for i in range(40)) + " }"
    assert "aliases" in _refused(base, "alice", huge)["message"]


def test_introspection_off_and_a_depth_limit_when_configured(tmp_path: Path) -> None:
    services = kernel_services(tmp_path / "fw")
    running = RunningService(services, service_config(graphql_introspection=False, graphql_max_depth=2)).start()
    try:
        err = _refused(running.base, "alice", "query { __schema { types { name } } }")
        assert "introspection" in err["message"].lower()
        err = _refused(running.base, "alice", "query { designs(userId: \"alice\") { items { layers { id } } } }")
        assert "exceeds maximum operation depth of 2" in err["message"]
        assert _run(running.base, "alice", "query { designs(userId: \"alice\") { items { id } } }")
        assert _run(running.base, "alice", "{ me }") == {"me": "alice"}
    finally:
        running.stop()
        services.close()


def _first_event(base: str, user: str, query: str, variables: dict[str, Any], trigger: Any,
                 path: str = "/graphql") -> dict[str, Any]:
    """Subscribe as ``user`` over graphql-transport-ws at ``path``, run ``trigger()`` once subscribed; the first
    event."""
    received: list[dict[str, Any]] = []
    subscribed = threading.Event()

    async def listen() -> None:
        transport = WebsocketsTransport(url=base.replace("http://", "ws://") + path,
                                        headers={"Authorization": f"token {TOKENS[user]}"},
                                        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL])
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            generator = session.subscribe(GraphQLRequest(query, variable_values=variables))
            first = asyncio.ensure_future(generator.__anext__())
            await asyncio.sleep(0.5)  # the subscription is registered with the event hub by now
            subscribed.set()
            received.append(await asyncio.wait_for(first, 20))
            await generator.aclose()

    thread = threading.Thread(target=lambda: asyncio.run(listen()))
    thread.start()
    assert subscribed.wait(20)
    trigger()
    thread.join(30)
    assert received, "no event arrived"
    return received[0]


@pytest.mark.parametrize("path", ["/graphql", "/events"])
def test_a_subscription_receives_another_users_edit(sqlite_service: RunningService, path: str) -> None:
    base = sqlite_service.base
    did = _create(base, "alice", "Live")
    _run(base, "alice", "mutation($d: ID!) { shareDesign(designId: $d, user: \"bob\", role: \"editor\") { role } }",
         d=did)
    got = _first_event(base, "alice", "subscription($d: ID!) { designUpdated(designId: $d) { id name version } }",
                       {"d": did}, lambda: _run(base, "bob", "mutation($id: ID!) { updateDesign(id: $id, updates: "
                                                             "{name: \"Bob's\"}) { id } }", id=did), path)
    assert got["designUpdated"]["name"] == "Bob's" and got["designUpdated"]["id"] == did


def test_collaborator_joined_reaches_a_collaborator(sqlite_service: RunningService) -> None:
    base = sqlite_service.base
    did = _create(base, "alice", "Team")
    _run(base, "alice", "mutation($d: ID!) { shareDesign(designId: $d, user: \"bob\") { role } }", d=did)
    got = _first_event(base, "bob", "subscription($d: ID!) { collaboratorJoined(designId: $d) { user role addedBy } }",
                       {"d": did}, lambda: _run(base, "alice", "mutation($d: ID!) { shareDesign(designId: $d, "
                                                               "user: \"carol\", role: \"commenter\") { role } }",
                                                d=did))
    assert got["collaboratorJoined"] == {"user": "carol", "role": "commenter", "addedBy": "alice"}


def test_a_subscription_to_a_design_you_cannot_read_is_refused(sqlite_service: RunningService) -> None:
    did = _create(sqlite_service.base, "alice", "Secret")

    async def listen() -> None:
        transport = WebsocketsTransport(url=sqlite_service.base.replace("http://", "ws://") + "/graphql",
                                        headers={"Authorization": f"token {TOKENS['bob']}"},
                                        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL])
        async with Client(transport=transport, fetch_schema_from_transport=False) as session:
            query = GraphQLRequest("subscription($d: ID!) { designUpdated(designId: $d) { id } }",
                                   variable_values={"d": did})
            async for _ in session.subscribe(query):
                pass

    with pytest.raises(TransportQueryError) as caught:
        asyncio.run(listen())
    assert caught.value.errors and caught.value.errors[0]["extensions"]["code"] == "not_found"
