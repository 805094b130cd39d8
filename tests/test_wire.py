"""The design service's wire format (``fw_kernel.wire``) round-trips: what the service answers, the client reads
back as the same records; kernel events survive the WebSocket; every edit the notebook API makes has a request,
and that request is a route of the service."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from fw_kernel import wire
from fw_kernel.domain.commands import (
    AddLayer,
    Composite,
    RemoveLayer,
    ReorderLayers,
    UpdateCanvas,
    UpdateDesign,
    UpdateLayer,
)
from fw_kernel.domain.errors import Conflict, LimitExceeded, NotFound, PermissionDenied, ValidationError
from fw_kernel.domain.records import Collaborator, Comment, HistoryEntry, Version
from fw_server import schemas as s
from fw_server.errors import ApiError, from_kernel
from fw_server.routes import ROUTES
from tests.domain.helpers import make_layer, three_layer_design

NOW = datetime(2026, 12, 3, 7, 30, tzinfo=UTC)


def _over_the_wire(model: s.Response) -> dict:
    """What a client receives: the response model as JSON text, parsed."""
    return json.loads(json.dumps(model.model_dump(mode="json")))


def test_a_design_comes_back_as_the_same_state() -> None:
    layer = make_layer("l9", "pat-dots", opacity=40, blend_mode="multiply", customization={"staggered": False})
    state = replace(three_layer_design(), version=7, fork_from="d0", view_count=3, like_count=2, fork_count=1,
                    created_at=NOW, updated_at=NOW).with_layers([*three_layer_design().layers, layer])
    for role in ("owner", "viewer", None):
        back, got_role = wire.design_of(_over_the_wire(s.DesignOut(**wire.design_fields(state, role))))
        assert back == state and got_role == role


def test_records_come_back_as_the_same_records() -> None:
    version = Version("d1", 3, "first draft", {}, 12, "ada", NOW)
    assert wire.version_of(_over_the_wire(s.VersionOut(**wire.version_fields(version)))) == version
    entry = HistoryEntry("d1", 12, "ada", "update_layer", {"layer_id": "l1"}, NOW)
    assert wire.history_of("d1", _over_the_wire(s.HistoryOut(**wire.history_fields(entry)))) == entry
    collaborator = Collaborator("d1", "bob", "editor", "ada", NOW)
    assert wire.collaborator_of(_over_the_wire(s.CollaboratorOut(**wire.collaborator_fields(collaborator)))) \
        == collaborator
    comment = Comment("c1", "d1", "bob", "shorter?", NOW, layer_id="l1")
    assert wire.comment_of(_over_the_wire(s.CommentOut(**wire.comment_fields(comment)))) == comment
    layer = make_layer("l1", opacity=55)
    assert wire.layer_of(json.loads(json.dumps(wire.layer_json(layer)))) == layer


@pytest.mark.parametrize("kind", ["add_layer", "remove_layer", "update_layer", "checkpoint", "restore", "autosaved",
                                  "collaborator_joined", "collaborator_left", "cursor_moved"])
def test_design_events_survive_the_websocket(kind: str) -> None:
    event = {"type": kind, "design_id": "d1", "version": 4, "user": "bob", "data": {"layer_id": "l1"},
             "at": "2026-12-03T07:30:00+00:00"}
    message = wire.to_message(wire.key_of("d1"), event)
    assert message["event"] in wire.SERVICE_EVENT_OF.values() or message["event"] == "design_updated"
    assert wire.channel_of(dict(message), "alice") == "d1"
    assert wire.kernel_event(json.loads(json.dumps(message))) == event


def test_avatar_and_catalog_events_and_channels_round_trip() -> None:
    progress = {"type": "processing_progress", "progress": 40, "step": "pose"}
    for channel, user in ((wire.avatars_channel("alice"), "alice"), (wire.CATALOG_CHANNEL, "alice")):
        key = wire.key_of(channel)
        assert wire.channel_id(key) == channel
        message = wire.to_message(key, progress)
        assert wire.channel_of(dict(message), user) == channel
        assert wire.kernel_event(dict(message)) == progress
        assert wire.channel_request(channel)["namespace"] == key[0]
    assert wire.channel_request("d1") == {"namespace": "/design", "design_id": "d1"}


@pytest.mark.parametrize("error", [ValidationError("bad", field="f", allowed="a"), NotFound("gone", field="f"),
                                   PermissionDenied("no"), Conflict("stale"), LimitExceeded("too many")])
def test_kernel_errors_come_back_as_the_same_kernel_errors(error: Exception) -> None:
    api = from_kernel(error, "d1")  # what the service answers
    assert isinstance(api, ApiError)
    back = wire.error_of(api.status, json.loads(json.dumps(api.body)))
    assert type(back) is type(error) and str(error) in str(back)


def _routes() -> list[tuple[str, re.Pattern[str]]]:
    return [(r.method, re.compile("^" + re.sub(r"\{\w+\}", "[^/]+", r.path) + "$")) for r in ROUTES]


def test_every_edit_of_the_notebook_api_is_a_route_of_the_service() -> None:
    layer = make_layer("l1")
    commands = [AddLayer(layer, 0), UpdateLayer("l/1", {"opacity": 20}), RemoveLayer("l1"),
                ReorderLayers(("l1", "l2")), UpdateDesign({"name": "x"}), UpdateCanvas({"show_grid": True}),
                Composite((UpdateLayer("l1", {"group": "g"}),), data={"layer_ids": ["l1"], "group": "g"})]
    assert {type(c) for c in commands} == set(wire.request_commands())
    routes = _routes()
    for command in commands:
        request = wire.edit_request(command)
        path = "/designs/d1" + request.path
        assert any(method == request.method and pattern.match(path) for method, pattern in routes), (command, path)
    assert wire.edit_request(UpdateLayer("l/1", {})).path == "/layers/l%2F1"  # an id never reaches another route
    add = wire.edit_request(commands[0]).body
    assert add["layer_id"] == "l1" and add["item_id"] == layer.catalog_item_id and add["index"] == 0


def test_an_edit_without_a_request_is_refused() -> None:
    with pytest.raises(ValidationError, match="an edit the design service offers"):
        wire.edit_request(Composite((), action="something_else"))
