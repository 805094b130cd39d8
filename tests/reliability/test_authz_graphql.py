"""Authorization matrix for GraphQL (issue #21): every query field, mutation and subscription of the schema (read
from the running service by introspection, so a new field without a row fails) x the 11 callers of
:mod:`tests.reliability.world` x the 3 design visibilities, each cell's expected answer written below from the
policy in :mod:`tests.reliability.test_authz_matrix`'s docstring (not from the code), every cell sent over HTTP (or
the graphql-transport-ws WebSocket for subscriptions) and compared.

Answers, as GraphQL carries them: allowed -> HTTP 200, ``data`` for the field, no ``errors``; a design the caller
cannot read (or someone else's avatar) -> an error with ``extensions.code == "not_found"``, byte-for-byte the
error of a missing id (no existence leak); readable but the role is too low -> ``forbidden`` (status 403); no
valid token (none, forged, expired, revoked) -> HTTP 401 ``unauthorized`` (the WebSocket handshake refused with
401 for subscriptions). A subscription to a design the caller cannot read is refused with the ``not_found``
error; an allowed one receives the owner's next change.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from tests.reliability.world import (
    BAD_TOKENS,
    DESIGN_ROLE,
    RANK,
    ROLES,
    USERS,
    VISIBILITIES,
    Caller,
    Fixture,
    make_design,
    record,
    start_service,
    token_of,
)

pytestmark = pytest.mark.service

SECRET_NAME = "GraphQL-secret-name"
MISSING = "0" * 32
ROLE_ORDER = ("anonymous", "forged", "expired", "revoked", "other", "analyst", "admin", "viewer", "commenter",
              "editor", "owner")

# -- the expected answers ----------------------------------------------------------------------------------------------
# (operation type, field) -> the access it needs: "any" (a valid token), "self" (alice's own avatar: hers alone,
# not found for anyone else), or the lowest role on the design (viewer, commenter, editor, owner).
FIELD_TABLE: dict[tuple[str, str], str] = {
    ("query", "me"): "any",
    ("query", "designs"): "any",              # with the caller's own user id
    ("query", "avatars"): "any",              # with the caller's own user id
    ("query", "catalog"): "any",
    ("query", "silhouette"): "any",
    ("query", "avatar"): "self",
    ("query", "design"): "viewer",
    ("mutation", "createAvatar"): "any",
    ("mutation", "createDesign"): "any",
    ("mutation", "updateAvatar"): "self",
    ("mutation", "forkDesign"): "viewer",
    ("mutation", "updateDesign"): "editor",
    ("mutation", "addLayer"): "editor",
    ("mutation", "updateLayer"): "editor",
    ("mutation", "removeLayer"): "editor",
    ("mutation", "checkpoint"): "editor",
    ("mutation", "shareDesign"): "owner",
    ("mutation", "deleteDesign"): "owner",
    ("subscription", "designUpdated"): "viewer",
    ("subscription", "collaboratorJoined"): "viewer",
}



def expected(field: tuple[str, str], role: str, visibility: str | None) -> str:
    """``data``, ``not_found``, ``forbidden`` or ``unauthorized``."""
    need = FIELD_TABLE[field]
    if role in BAD_TOKENS:
        return "unauthorized"
    if need == "any":
        return "data"
    if need == "self":
        return "data" if role == "owner" else "not_found"
    assert visibility is not None
    has = DESIGN_ROLE[role][visibility]
    if has is None:
        return "not_found"
    return "data" if RANK[has] >= RANK[need] else "forbidden"


def design_field(field: tuple[str, str]) -> bool:
    return FIELD_TABLE[field] in RANK


# -- the documents -----------------------------------------------------------------------------------------------------
DESIGN_SELECTION = "id name role versions { versionNumber } collaborators { user role } avatar { id }"
DOCUMENTS: dict[str, str] = {
    "me": "query { me }",
    "designs": "query($u: ID!) { designs(userId: $u) { total items { id name } } }",
    "avatars": "query($u: ID!) { avatars(userId: $u) { id name } }",
    "catalog": "query { catalog(filters: {q: \"dress\"}) { total items { id } } }",
    "silhouette": "query($i: ID!) { silhouette(id: $i) { id name } }",
    "avatar": "query($a: ID!) { avatar(id: $a) { id name measurements } }",
    "design": f"query($d: ID!) {{ design(id: $d) {{ {DESIGN_SELECTION} }} }}",
    "createAvatar": "mutation { createAvatar(input: {name: \"A\", measurements: {height: 170}}) { id } }",
    "createDesign": "mutation { createDesign(input: {name: \"New\"}) { id } }",
    "updateAvatar": "mutation($a: ID!) { updateAvatar(id: $a, updates: {name: \"Renamed\"}) { id name } }",
    "forkDesign": "mutation($d: ID!) { forkDesign(id: $d) { id owner } }",
    "updateDesign": "mutation($d: ID!) { updateDesign(id: $d, updates: {description: \"changed\"}) { id } }",
    "addLayer": "mutation($d: ID!) { addLayer(designId: $d, input: {itemId: \"acc-leather-belt\"}) { id } }",
    "updateLayer": "mutation($d: ID!, $l: ID!) { updateLayer(designId: $d, layerId: $l, updates: {opacity: 50}) "
                   "{ id opacity } }",
    "removeLayer": "mutation($d: ID!, $l: ID!) { removeLayer(designId: $d, layerId: $l) }",
    "checkpoint": "mutation($d: ID!) { checkpoint(designId: $d, message: \"m\") { versionNumber } }",
    "shareDesign": "mutation($d: ID!) { shareDesign(designId: $d, user: \"zed\", role: \"viewer\") { user } }",
    "deleteDesign": "mutation($d: ID!) { deleteDesign(id: $d) }",
    "designUpdated": "subscription($d: ID!) { designUpdated(designId: $d) { id description } }",
    "collaboratorJoined": "subscription($d: ID!) { collaboratorJoined(designId: $d) { user role } }",
}


@dataclass
class World:
    base: str
    callers: dict[str, Caller]
    designs: dict[str, Fixture]        # visibility -> the design every role works on
    victims: dict[str, Fixture]        # visibility -> the design the owner deletes
    avatar_id: str


def variables_for(world: World, name: str, role: str, visibility: str | None) -> dict[str, Any]:
    fx = world.designs[visibility] if visibility else None
    if fx is not None and name == "deleteDesign" and role == "owner":
        fx = world.victims[visibility]          # the owner's own copy: the others keep theirs
    out: dict[str, Any] = {"u": USERS.get(role, "alice"), "a": world.avatar_id, "i": "sil-aline-dress"}
    if fx is not None:
        out.update(d=fx.design_id, l=fx.layer_id)
        if name == "removeLayer":
            out["l"] = fx.spare_layer_ids[1 if role == "owner" else 0]
    used = set(re.findall(r"\$(\w+):", DOCUMENTS[name]))
    return {k: v for k, v in out.items() if k in used}


def post(world: World, role: str, query: str, variables: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    r = world.callers[role].request("POST", "/graphql", json={"query": query, "variables": variables})
    return r.status_code, r.json()


def verdict(status: int, answer: dict[str, Any], name: str) -> str:
    """What one HTTP answer is: ``data``, or the error code (``not_found``, ``forbidden``, ``unauthorized``...)."""
    errors = answer.get("errors")
    if status == 200 and not errors and (answer.get("data") or {}).get(name) is not None:
        return "data"
    if errors:
        code = errors[0].get("extensions", {}).get("code", "?")
        return f"{code}" if status in (200, 401) else f"{code} (HTTP {status})"
    return f"HTTP {status} {json.dumps(answer)[:120]}"


# -- the fixture -------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home: Path = tmp_path_factory.mktemp("authz-graphql")
    services, running = start_service(home)
    try:
        callers = {role: Caller(running.base, role) for role in ROLES}
        owner = callers["owner"]
        avatar = owner.request("POST", "/avatars", json={"name": "Ada", "measurements": {"height": 170}}).json()
        designs = {vis: make_design(owner, vis, SECRET_NAME, spare_layers=2, export=False, avatar_id=avatar["id"])
                   for vis in VISIBILITIES}
        victims = {vis: make_design(owner, vis, SECRET_NAME, export=False) for vis in VISIBILITIES}
        yield World(running.base, callers, designs, victims, avatar["id"])
    finally:
        running.stop()
        services.close()


# -- the tests ---------------------------------------------------------------------------------------------------------
SCHEMA_FIELDS = """query { __schema {
  queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }"""


def test_every_schema_field_has_a_row_in_the_table(world: World) -> None:
    status, answer = post(world, "owner", SCHEMA_FIELDS, {})
    assert status == 200 and "errors" not in answer, answer
    schema = answer["data"]["__schema"]
    present = {(kind, f["name"]) for kind in ("query", "mutation", "subscription")
               for f in (schema[f"{kind}Type"] or {}).get("fields") or []}
    assert len(present) >= 15, present
    missing = sorted(present - set(FIELD_TABLE))
    stale = sorted(set(FIELD_TABLE) - present)
    assert not missing, f"GraphQL fields without expected answers in FIELD_TABLE (add rows): {missing}"
    assert not stale, f"FIELD_TABLE rows of fields the schema no longer has: {stale}"
    assert set(DOCUMENTS) == {name for _, name in FIELD_TABLE}


# destructive mutations last
_LAST = [("mutation", "shareDesign"), ("mutation", "removeLayer"), ("mutation", "deleteDesign")]


def test_graphql_authorization_matrix(world: World) -> None:
    assert set(ROLE_ORDER) == set(ROLES)
    fields = [f for f in FIELD_TABLE if f[0] != "subscription" and f not in _LAST] + _LAST
    mismatches: list[str] = []
    leaks: list[str] = []
    cells = 0
    for field in fields:
        name = field[1]
        for vis in (VISIBILITIES if design_field(field) else (None,)):
            for role in ROLE_ORDER:
                variables = variables_for(world, name, role, vis)
                status, answer = post(world, role, DOCUMENTS[name], variables)
                cells += 1
                want, got = expected(field, role, vis), verdict(status, answer, name)
                where = f"{field[0]} {name} as {role} on {vis or '-'}"
                if got != want:
                    mismatches.append(f"{where}: expected {want}, got {got}: {json.dumps(answer)[:200]}")
                    continue
                if want in ("not_found", "unauthorized") and SECRET_NAME in json.dumps(answer):
                    leaks.append(f"{where}: the refusal names the design ({json.dumps(answer)[:160]})")
                if want == "unauthorized" and status != 401:
                    mismatches.append(f"{where}: unauthorized with HTTP {status}, not 401")
                if want == "forbidden" and answer["errors"][0]["extensions"].get("status") != 403:
                    mismatches.append(f"{where}: forbidden without status 403: {answer['errors'][0]}")
                if want == "not_found":   # the error of a missing id, byte for byte (the id aside)
                    real = variables.get("d") or variables.get("a")
                    absent = {k: (MISSING if v == real else v) for k, v in variables.items()}
                    _, other = post(world, role, DOCUMENTS[name], absent)
                    if json.dumps(answer).replace(real, "ID") != json.dumps(other).replace(MISSING, "ID"):
                        leaks.append(f"{where}: not the answer of a missing id: {answer} vs {other}")
    record("authz_graphql", cells=cells, fields=len(FIELD_TABLE), roles=len(ROLE_ORDER),
           visibilities=len(VISIBILITIES), mismatches=len(mismatches), leaks=len(leaks))
    assert not leaks, "\n".join(leaks)
    assert not mismatches, f"{len(mismatches)} of {cells} cells differ:\n" + "\n".join(mismatches)


def test_another_users_design_list_is_refused(world: World) -> None:
    """``designs``/``avatars`` take a user id: anyone but alice asking for alice's is refused (forbidden), and the
    refusal lists nothing of hers."""
    for name in ("designs", "avatars"):
        for role in ("other", "viewer", "editor", "analyst", "admin"):
            status, answer = post(world, role, DOCUMENTS[name], {"u": "alice"})
            assert verdict(status, answer, name) == "forbidden", (name, role, answer)
            assert answer.get("data") is None and SECRET_NAME not in json.dumps(answer)


# -- subscriptions -----------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _ws(world: World, role: str, path: str = "/graphql", in_query: bool = False) -> Iterator[ClientConnection]:
    """A graphql-transport-ws connection as ``role`` (the token in the header, or ``?token=``), acknowledged."""
    token = token_of(role)
    headers = {"Authorization": f"token {token}"} if token and not in_query else {}
    url = world.base.replace("http://", "ws://") + path + (f"?token={token}" if token and in_query else "")
    with ws_connect(url, additional_headers=headers, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                    open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        yield ws


def _next(ws: ClientConnection, deadline: float) -> dict[str, Any] | None:
    try:
        return json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))  # type: ignore[no-any-return]
    except TimeoutError:
        return None


def _refusal(msg: dict[str, Any]) -> list[Any] | None:
    """The errors of a refused subscription: an ``error`` message, or a ``next`` with errors and no data (a
    refusal raised while the stream starts; ``complete`` follows)."""
    if msg["type"] == "error":
        return msg["payload"]  # type: ignore[no-any-return]
    payload = msg.get("payload") or {}
    if msg["type"] == "next" and payload.get("errors") and not payload.get("data"):
        return payload["errors"]  # type: ignore[no-any-return]
    return None


@pytest.mark.parametrize("path", ["/graphql", "/events"])
def test_graphql_subscriptions_matrix(world: World, path: str) -> None:
    """Served at ``/graphql`` and on ``/events`` (the events WebSocket speaks graphql-transport-ws when asked)."""
    subscriptions = [f for f in FIELD_TABLE if f[0] == "subscription"]
    cells = 0
    for role in BAD_TOKENS:       # no valid token: the handshake itself is refused (header or ?token=)
        for in_query in (False, True):
            with pytest.raises(Exception, match="401"), _ws(world, role, path, in_query):
                pass
        cells += len(subscriptions) * len(VISIBILITIES)
    stack = contextlib.ExitStack()
    sockets = {role: stack.enter_context(_ws(world, role, path)) for role in USERS}
    mismatches: list[str] = []
    # op id -> (role, field, visibility); refusals come at once, allowed ones wait for the owner's change
    waiting: dict[str, tuple[str, str, str]] = {}
    try:
        for role, ws in sockets.items():
            for field in subscriptions:
                for vis in VISIBILITIES:
                    op = f"{field[1]}:{vis}"
                    ws.send(json.dumps({"type": "subscribe", "id": op, "payload": {
                        "query": DOCUMENTS[field[1]], "variables": {"d": world.designs[vis].design_id}}}))
                    waiting[f"{role}/{op}"] = (role, field[1], vis)
                    cells += 1
            # and the answer to a missing id, to compare refusals with
            ws.send(json.dumps({"type": "subscribe", "id": "missing", "payload": {
                "query": DOCUMENTS["designUpdated"], "variables": {"d": MISSING}}}))
        missing_error: dict[str, Any] = {}
        refused: dict[str, list[Any]] = {}
        for role, ws in sockets.items():     # refusals first (no event is needed for them)
            want_refused = {k for k, (r, _, v) in waiting.items() if r == role and DESIGN_ROLE[role][v] is None}
            deadline = time.monotonic() + 15
            while not (want_refused <= set(refused) and role in missing_error):
                msg = _next(ws, deadline)
                if msg is None:
                    break
                errors = _refusal(msg)
                if errors is not None and msg["id"] == "missing":
                    missing_error[role] = errors
                elif errors is not None:
                    refused[f"{role}/{msg['id']}"] = errors
                elif msg["type"] != "complete":
                    mismatches.append(f"{role} {msg['id']}: {msg['type']} before any change: {msg}")
        time.sleep(0.5)      # the allowed subscriptions are registered with the event hub by now
        owner = world.callers["owner"]
        for vis, fx in world.designs.items():
            assert owner.request("PATCH", f"/designs/{fx.design_id}", json={"description": f"live {vis}"}).ok
            assert owner.request("POST", f"/designs/{fx.design_id}/collaborators",
                                 json={"user": "yan", "role": "viewer"}).ok
        got: dict[str, dict[str, Any]] = {}
        for role, ws in sockets.items():
            want = {k for k, (r, _, v) in waiting.items() if r == role and DESIGN_ROLE[role][v] is not None}
            deadline = time.monotonic() + 20
            while not want <= set(got) and (msg := _next(ws, deadline)) is not None:
                key = f"{role}/{msg.get('id')}"
                if (errors := _refusal(msg)) is not None:
                    refused[key] = errors
                elif msg["type"] == "next" and key not in got:
                    got[key] = msg
        for key, (role, name, vis) in waiting.items():
            where = f"subscription {name} as {role} on {vis}"
            if DESIGN_ROLE[role][vis] is None:
                errs = refused.get(key)
                if not errs or errs[0].get("extensions", {}).get("code") != "not_found":
                    mismatches.append(f"{where}: expected not_found, got {errs or got.get(key)}")
                    continue
                if SECRET_NAME in json.dumps(errs):
                    mismatches.append(f"{where}: the refusal names the design: {errs}")
                did = world.designs[vis].design_id
                if json.dumps(errs).replace(did, "ID") != json.dumps(missing_error.get(role)).replace(MISSING, "ID"):
                    mismatches.append(f"{where}: not the error of a missing id: {errs} vs {missing_error.get(role)}")
            else:
                msg = got.get(key)
                data = ((msg or {}).get("payload") or {}).get("data") or {}
                ok = (data.get("designUpdated") or {}).get("id") == world.designs[vis].design_id \
                    if name == "designUpdated" else (data.get("collaboratorJoined") or {}).get("user") == "yan"
                if not ok:
                    mismatches.append(f"{where}: expected the owner's change, got {msg or refused.get(key)}")
    finally:
        stack.close()
    record("authz_graphql_subscriptions", path=path, cells=cells, mismatches=len(mismatches))
    assert not mismatches, f"{len(mismatches)} of {cells} cells differ:\n" + "\n".join(mismatches)


def test_operations_over_the_websocket_are_refused_as_over_http(world: World) -> None:
    """A query or mutation sent on the subscription socket gets the answer it gets over HTTP."""
    cases = [("other", "private", "design"), ("other", "shared", "updateDesign"), ("viewer", "shared", "updateDesign"),
             ("editor", "published", "shareDesign"), ("viewer", "published", "design")]
    for role, vis, name in cases:
        field = next(f for f in FIELD_TABLE if f[1] == name)
        variables = variables_for(world, name, role, vis)
        _, over_http = post(world, role, DOCUMENTS[name], variables)
        with _ws(world, role) as ws:
            ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": DOCUMENTS[name],
                                                                            "variables": variables}}))
            msg = json.loads(ws.recv(timeout=10))
        want = expected(field, role, vis)
        if want == "data":
            assert msg["type"] == "next" and msg["payload"]["data"][name] is not None, (role, vis, name, msg)
        else:
            errors = _refusal(msg)
            assert errors and errors[0]["extensions"]["code"] == want, (role, vis, name, msg)
            assert errors[0]["message"] == over_http["errors"][0]["message"], (errors, over_http)
