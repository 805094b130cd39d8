"""Updating an avatar through the design service: REST ``PATCH /avatars/{id}``, GraphQL ``updateAvatar`` and the
notebook API over the service (``avatar.update``) change the same thing, refuse the same input with the same
codes and messages (and then change nothing), and only for the avatar's owner."""

from __future__ import annotations

from typing import Any

import pytest
from gql import Client as GqlClient
from gql import GraphQLRequest
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import TransportQueryError

import fw_kernel as fw
from tests.support.service import TOKENS, Client, RunningService

MEASUREMENTS = {"height": 168, "bust": 88, "waist": 70, "hips": 96}
UPDATE = """mutation($id: ID!, $u: AvatarUpdate!) { updateAvatar(id: $id, updates: $u) {
  id name owner bodyHint requested measurements } }"""


def _gql(running: RunningService, user: str, query: str, **variables: Any) -> dict[str, Any]:
    transport = AIOHTTPTransport(url=running.base + "/graphql", headers={"Authorization": f"token {TOKENS[user]}"})
    client = GqlClient(transport=transport, fetch_schema_from_transport=False)
    return client.execute(GraphQLRequest(query, variable_values=variables))  # type: ignore[no-any-return]


def _gql_error(running: RunningService, user: str, query: str, **variables: Any) -> dict[str, Any]:
    with pytest.raises(TransportQueryError) as caught:
        _gql(running, user, query, **variables)
    assert caught.value.errors
    return caught.value.errors[0]  # type: ignore[no-any-return]


def _avatar(alice: Client) -> dict[str, Any]:
    r = alice.post("/avatars", json={"name": "Ada", "measurements": MEASUREMENTS, "body_hint": "female"})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_rest_and_graphql_update_the_same_avatar(sqlite_service: RunningService, alice: Client) -> None:
    aid = _avatar(alice)["id"]
    r = alice.patch(f"/avatars/{aid}", json={"measurements": {"waist": 74}})
    assert r.status_code == 200, r.text
    assert r.json()["requested"] == {**MEASUREMENTS, "waist": 74}  # merged into what was asked, not replaced
    assert alice.get(f"/avatars/{aid}").json()["requested"]["waist"] == 74
    got = _gql(sqlite_service, "alice", UPDATE, id=aid, u={"name": "Ada tall", "measurements": {"height": 180},
                                                         "bodyHint": "neutral"})["updateAvatar"]
    assert got["name"] == "Ada tall" and got["bodyHint"] == "neutral" and got["owner"] == "alice"
    assert got["requested"] == {**MEASUREMENTS, "waist": 74, "height": 180}
    stored = alice.get(f"/avatars/{aid}").json()
    assert (stored["name"], stored["body_hint"], stored["requested"]) == ("Ada tall", "neutral", got["requested"])
    metrics = sqlite_service.services.metrics
    logged = metrics.events(metrics.scope("alice"), types="avatar_updated")
    assert list(logged["type"]) == ["avatar_updated"] * 2


@pytest.mark.parametrize(("updates", "field"), [
    ({"measurements": {"waist": 500}}, "measurements.waist"),
    ({"measurements": {"underbust": 95}}, "measurements.underbust"),   # against the bust asked before (88)
    ({"measurements": {"knee": 40}}, "measurements.knee"),
    ({"body_hint": "robot"}, "body_hint"),
    ({"name": ""}, "name"),
    ({}, "updates"),
])
def test_bad_updates_are_refused_alike_and_change_nothing(sqlite_service: RunningService, alice: Client,
                                                          updates: dict[str, Any], field: str) -> None:
    before = _avatar(alice)
    aid = before["id"]
    r = alice.patch(f"/avatars/{aid}", json=updates)
    assert r.status_code == 422, r.text
    rest = r.json()
    assert rest["error"] == "validation_error" and rest["field"] == field, rest
    names = {"body_hint": "bodyHint"}
    err = _gql_error(sqlite_service, "alice", UPDATE, id=aid, u={names.get(k, k): v for k, v in updates.items()})
    assert err["extensions"]["code"] == "validation_error" and err["extensions"]["field"] == field, err
    assert err["extensions"]["status"] == 422
    if field not in ("body_hint", "name", "measurements.waist"):  # the request models refuse those first, as REST
        assert err["message"] == rest["message"]
    assert alice.get(f"/avatars/{aid}").json() == before


def test_only_the_owner_updates(sqlite_service: RunningService, alice: Client, bob: Client) -> None:
    before = _avatar(alice)
    r = bob.patch(f"/avatars/{before['id']}", json={"name": "Mine"})
    assert r.status_code == 404 and r.json()["error"] == "not_found", r.text
    err = _gql_error(sqlite_service, "bob", UPDATE, id=before["id"], u={"name": "Mine"})
    assert err["extensions"]["code"] == "not_found" and err["message"] == r.json()["message"]
    assert alice.get(f"/avatars/{before['id']}").json() == before


def test_the_notebook_api_over_the_service_updates_and_refuses_as_a_local_kernel(
        sqlite_service: RunningService, tmp_path: Any) -> None:
    url = f"http://127.0.0.1:{sqlite_service.port}/"
    ws = fw.connect(service_url=url, token=TOKENS["alice"])
    local = fw.connect(home=str(tmp_path / "local"), user="alice", autosave_thread=False, queue="local")
    local._services.avatars.fitter = None
    try:
        results = []
        for w in (ws, local):
            avatar = w.avatars.create("Ada", MEASUREMENTS, "female")
            assert avatar.update(measurements={"waist": 72}, name="Ada 72") is avatar
            again = w.avatars.get(avatar.id)
            with pytest.raises(fw.ValidationError) as caught:
                avatar.update(measurements={"hips": 20.5})
            assert w.avatars.get(avatar.id).requested == again.requested  # unchanged
            results.append((again.name, again.requested, avatar.requested, str(caught.value)))
        assert results[0] == results[1]
        assert results[0][1] == {**MEASUREMENTS, "waist": 72}
        bob = fw.connect(service_url=url, token=TOKENS["bob"])
        try:
            with pytest.raises(fw.NotFound):
                bob._services.avatars.update("bob", ws.avatars.list()[0].id, name="Mine")
        finally:
            bob.close()
    finally:
        ws.close()
        local.close()
