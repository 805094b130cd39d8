"""DesignService over the in-memory adapters: limits, optimistic concurrency with rebase, history, versions,
forks, sharing and comments. Every refusal is checked to leave the store unchanged."""

from __future__ import annotations

from typing import Any

import jsonpatch
import pytest

from fw_kernel.bootstrap import Services
from fw_kernel.domain.commands import (
    AddLayer,
    Composite,
    EditContext,
    RemoveLayer,
    ReorderLayers,
    UpdateCanvas,
    UpdateDesign,
    UpdateLayer,
)
from fw_kernel.domain.design import Design, snapshot
from fw_kernel.domain.errors import (
    Conflict,
    FWError,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from fw_kernel.domain.layer import Layer
from fw_kernel.domain.limits import DEFAULT_TIERS

from .helpers import build, new_layer, state_of, stored

#: a layer that a concurrent session adds (its id is fixed so the parametrized commands can name it)
NEW_BELT = Layer(id="belt0001", type="accessory", catalog_item_id="acc-leather-belt", name="Belt")


@pytest.fixture
def s(memory_services: Services) -> Services:
    return memory_services


def two_layer_design(s: Services, user: str = "ada") -> tuple[Design, str, str]:
    design = s.designs.create(user, "Look")
    top = new_layer(s, "sil-tshirt")
    bottom = new_layer(s, "sil-straight-trousers")
    design, _ = s.designs.execute(user, design, AddLayer(top))
    design, _ = s.designs.execute(user, design, AddLayer(bottom))
    return design, top.id, bottom.id


def refused(s: Services, design_id: str, call: Any, error: type[FWError], *words: str) -> FWError:
    before = state_of(s, design_id)
    with pytest.raises(error) as info:
        call()
    assert state_of(s, design_id) == before, "a refused call changed the design"
    for word in words:
        assert word in str(info.value), str(info.value)
    return info.value


# -- create / read ---------------------------------------------------------------------------------------------
def test_create_records_and_reads_back(s: Services) -> None:
    design = s.designs.create("ada", "Summer", category="dress", tags=["linen"])
    assert (design.version, design.owner, design.meta.category, design.meta.tags) == (1, "ada", "dress",
                                                                                     ("linen",))
    opened, role = s.designs.open("ada", design.id)
    assert role == "owner" and snapshot(opened) == snapshot(design)
    assert [d.id for d, _ in s.designs.list("ada")] == [design.id]
    assert s.designs.list("bob") == []


def test_create_refuses_bad_fields_and_unknown_or_foreign_avatars(s: Services) -> None:
    with pytest.raises(ValidationError, match="category"):
        s.designs.create("ada", "x", category="shoes")
    with pytest.raises(NotFound, match="avatar"):
        s.designs.create("ada", "x", avatar_id="nope")
    bobs = s.avatars.create("bob", "Bob", {"height": 180})
    with pytest.raises(NotFound, match="avatar"):
        s.designs.create("ada", "x", avatar_id=bobs.id)
    assert s.designs.list("ada") == []
    mine = s.avatars.create("ada", "Ada", {"height": 168, "waist": 70, "hips": 96})
    assert s.designs.create("ada", "x", avatar_id=mine.id).meta.avatar_id == mine.id


def test_update_refuses_unknown_or_foreign_avatars_and_changes_nothing(s: Services) -> None:
    """Found by the OpenAPI fuzzer: PATCH {"avatar_id": "6"} reached PostgreSQL's foreign key (a 500)."""
    design = s.designs.create("ada", "Look")
    bobs = s.avatars.create("bob", "Bob", {"height": 180})
    for avatar_id in ("6", "nope", bobs.id):
        refused(s, design.id, lambda a=avatar_id: s.designs.execute("ada", design, UpdateDesign({"avatar_id": a})),
                NotFound, "avatar")
    mine = s.avatars.create("ada", "Ada", {"height": 168, "waist": 70, "hips": 96})
    saved, _ = s.designs.execute("ada", design, UpdateDesign({"avatar_id": mine.id}))
    assert saved.meta.avatar_id == mine.id and saved.version == design.version + 1
    saved, _ = s.designs.execute("ada", saved, UpdateDesign({"avatar_id": None}))   # taking it off stays allowed
    assert saved.meta.avatar_id is None


# -- tier limits -------------------------------------------------------------------------------------------------
def test_default_tiers() -> None:
    assert DEFAULT_TIERS["free"].max_designs == 100 and DEFAULT_TIERS["free"].max_layers_per_design == 50
    assert DEFAULT_TIERS["enterprise"].max_designs is None
    s = build()
    with s.uow() as uow:
        limits = s.designs.limits_for(uow, "someone")
    assert (limits.max_designs, limits.max_layers_per_design) == (100, 50)


def test_designs_per_user_limit() -> None:
    s = build(max_designs=2, max_layers_per_design=3)
    first = s.designs.create("ada", "one")
    s.designs.create("ada", "two")
    with pytest.raises(LimitExceeded) as info:
        s.designs.create("ada", "three")
    assert "2" in str(info.value) and info.value.allowed == "at most 2"
    assert len(s.designs.list("ada")) == 2
    s.designs.create("bob", "bob's own")  # per user
    s.designs.delete("ada", first.id)     # deleted designs do not count
    s.designs.create("ada", "three")
    assert sorted(d.meta.name for d, _ in s.designs.list("ada")) == ["three", "two"]


def test_a_fork_counts_towards_the_design_limit() -> None:
    s = build(max_designs=2, max_layers_per_design=3)
    a = s.designs.create("ada", "one")
    s.designs.create("ada", "two")
    refused(s, a.id, lambda: s.designs.fork("ada", a.id), LimitExceeded, "2")
    assert stored(s, a.id).fork_count == 0 and len(s.designs.list("ada")) == 2


def test_layers_per_design_limit() -> None:
    s = build(max_designs=2, max_layers_per_design=3)
    design = s.designs.create("ada", "d")
    for item in ("sil-tshirt", "fab-denim-indigo", "acc-leather-belt"):
        design, _ = s.designs.execute("ada", design, AddLayer(new_layer(s, item)))
    err = refused(s, design.id, lambda: s.designs.execute("ada", design, AddLayer(new_layer(s, "sil-tshirt"))),
                  LimitExceeded, "3")
    assert err.allowed == "at most 3"
    design, _ = s.designs.execute("ada", design, RemoveLayer(design.layers[0].id))
    design, _ = s.designs.execute("ada", design, AddLayer(new_layer(s, "sil-tshirt")))
    assert len(design.layers) == 3


def test_layer_limit_is_the_owners_even_when_an_editor_adds() -> None:
    s = build(max_designs=5, max_layers_per_design=1)
    design = s.designs.create("ada", "d")
    s.designs.share("ada", design.id, "bob", "editor")
    design, _ = s.designs.execute("bob", design, AddLayer(new_layer(s, "sil-tshirt")))
    refused(s, design.id, lambda: s.designs.execute("bob", design, AddLayer(new_layer(s, "sil-tshirt"))),
            LimitExceeded, "1")


# -- optimistic concurrency --------------------------------------------------------------------------------------
def test_edits_to_different_layers_both_survive(s: Services) -> None:
    design, top, bottom = two_layer_design(s)
    copy_a, copy_b = design, design                       # two sessions with the same state
    s.designs.execute("ada", copy_a, UpdateLayer(top, {"opacity": 10}))
    saved_b, _ = s.designs.execute("ada", copy_b, UpdateLayer(bottom, {"opacity": 20}))  # stale: rebased
    final = stored(s, design.id)
    assert final.layer(top).opacity == 10 and final.layer(bottom).opacity == 20
    assert final.version == design.version + 2 == saved_b.version
    assert snapshot(saved_b) == snapshot(final)           # B's copy now includes A's edit


@pytest.mark.parametrize(("first", "second"), [
    (lambda t, b: UpdateLayer(t, {"opacity": 10}), lambda t, b: UpdateLayer(t, {"name": "renamed"})),
    (lambda t, b: UpdateDesign({"name": "new name"}), lambda t, b: UpdateLayer(t, {"opacity": 5})),
    (lambda t, b: UpdateCanvas({"shadows": False}), lambda t, b: UpdateDesign({"tags": ["x"]})),
    (lambda t, b: UpdateLayer(b, {"is_visible": False}), lambda t, b: RemoveLayer(t)),
    (lambda t, b: ReorderLayers((b, t)), lambda t, b: UpdateLayer(t, {"blend_mode": "multiply"})),
])
def test_non_overlapping_concurrent_edits_both_survive(s: Services, first: Any, second: Any) -> None:
    design, top, bottom = two_layer_design(s)
    a_cmd, b_cmd = first(top, bottom), second(top, bottom)
    after_a, _ = s.designs.execute("ada", design, a_cmd)
    expected, _ = b_cmd.apply(after_a, EditContext(s.catalog.find))
    saved, _ = s.designs.execute("ada", design, b_cmd)
    assert snapshot(stored(s, design.id)) == snapshot(expected) == snapshot(saved)


@pytest.mark.parametrize(("first", "second", "words"), [
    (lambda t, b: UpdateLayer(t, {"opacity": 10}), lambda t, b: UpdateLayer(t, {"opacity": 99}), ("refresh",)),
    (lambda t, b: UpdateLayer(t, {"opacity": 10, "name": "a"}), lambda t, b: UpdateLayer(t, {"name": "b"}),
     ("refresh",)),
    (lambda t, b: RemoveLayer(t), lambda t, b: UpdateLayer(t, {"opacity": 5}), ("refresh",)),
    (lambda t, b: UpdateLayer(t, {"opacity": 5}), lambda t, b: RemoveLayer(t), ("refresh",)),
    (lambda t, b: AddLayer(NEW_BELT), lambda t, b: ReorderLayers((b, t)), ("refresh",)),
    (lambda t, b: ReorderLayers((b, t)), lambda t, b: ReorderLayers((b, t)), ("refresh",)),
    (lambda t, b: UpdateDesign({"name": "x"}), lambda t, b: UpdateDesign({"name": "y"}), ("refresh",)),
    (lambda t, b: UpdateCanvas({"camera": {"fov": 30}}), lambda t, b: UpdateCanvas({"camera": {"fov": 60}}),
     ("refresh",)),
    (lambda t, b: Composite((UpdateLayer(t, {"group": "g"}),)), lambda t, b: UpdateLayer(t, {"group": "h"}),
     ("refresh",)),
])
def test_overlapping_concurrent_edits_conflict_and_change_nothing(s: Services, first: Any, second: Any,
                                                                 words: tuple[str, ...]) -> None:
    design, top, bottom = two_layer_design(s)
    s.designs.execute("ada", design, first(top, bottom))
    refused(s, design.id, lambda: s.designs.execute("ada", design, second(top, bottom)), Conflict, *words)


def test_restore_conflicts_with_any_concurrent_edit(s: Services) -> None:
    design, top, _ = two_layer_design(s)
    s.designs.checkpoint("ada", design.id, "v1")
    s.designs.execute("ada", design, UpdateLayer(top, {"opacity": 1}))
    refused(s, design.id, lambda: s.designs.restore("ada", design, 1), Conflict)


def test_an_edit_to_a_design_deleted_meanwhile_is_not_found(s: Services) -> None:
    design, top, _ = two_layer_design(s)
    s.designs.delete("ada", design.id)
    with pytest.raises(NotFound):
        s.designs.execute("ada", design, UpdateLayer(top, {"opacity": 1}))
    assert stored(s, design.id).layer(top).opacity == 100


def test_edit_refused_by_validation_on_the_fresh_copy_is_a_conflict(s: Services) -> None:
    design, top, bottom = two_layer_design(s)
    s.designs.execute("ada", design, AddLayer(new_layer(s, "acc-leather-belt")))
    err = refused(s, design.id, lambda: s.designs.execute("ada", design, ReorderLayers((bottom, top))), Conflict,
                  "refresh")
    assert isinstance(err, FWError)


def test_a_checkpoint_in_between_does_not_block_a_rebase(s: Services) -> None:
    design, top, bottom = two_layer_design(s)
    s.designs.execute("ada", design, UpdateLayer(top, {"opacity": 10}))
    s.designs.checkpoint("ada", design.id, "snapshot by the other session")
    saved, _ = s.designs.execute("ada", design, UpdateLayer(bottom, {"opacity": 20}))
    assert saved.layer(top).opacity == 10 and saved.layer(bottom).opacity == 20


# -- history ---------------------------------------------------------------------------------------------------
def test_history_has_an_entry_for_every_action(s: Services) -> None:
    design, top, bottom = two_layer_design(s)
    design, inverse = s.designs.execute("ada", design, UpdateLayer(top, {"opacity": 50}))
    design, _ = s.designs.execute("ada", design, inverse, action="undo", extra={"undoes": "update_layer"})
    design, _ = s.designs.execute("ada", design, ReorderLayers((bottom, top)))
    design, _ = s.designs.execute("ada", design, Composite((UpdateLayer(top, {"group": "g"}),), data={"g": 1}))
    design, _ = s.designs.execute("ada", design, UpdateDesign({"name": "Renamed"}))
    design, _ = s.designs.execute("ada", design, UpdateCanvas({"shadows": False}))
    s.designs.checkpoint("ada", design.id, "cp")
    design, _ = s.designs.restore("ada", design, 1)
    design, _ = s.designs.execute("ada", design, RemoveLayer(bottom))
    s.designs.share("ada", design.id, "bob", "commenter")
    s.designs.comment("bob", design.id, "nice", layer_id=top)
    s.designs.unshare("ada", design.id, "bob")
    fork = s.designs.fork("ada", design.id)
    s.designs.like("ada", design.id)
    s.designs.open("ada", design.id, count_view=True)
    s.designs.delete("ada", fork.id)
    entries = s.designs.history("ada", design.id)
    assert [h.action for h in entries] == [
        "create", "add_layer", "add_layer", "update_layer", "undo", "reorder_layers", "group_layers",
        "update_design", "update_canvas", "checkpoint", "restore", "remove_layer", "share", "comment", "unshare",
        "forked"]
    assert {h.user for h in entries} == {"ada", "bob"}
    assert all(h.design_id == design.id and h.id is not None for h in entries)
    edits = [h for h in entries if h.action not in ("create", "checkpoint", "share", "comment", "unshare", "forked")]
    assert [h.version for h in edits] == list(range(2, 2 + len(edits)))  # each edit made a new version
    assert entries[4].data["undoes"] == "update_layer"
    assert entries[10].data["version_number"] == 1
    summary = entries[3].data.pop("summary")
    assert entries[3].data == {"layer_id": top, "changes": {"opacity": 50}, "touched": [f"layer:{top}:opacity"]}
    assert summary.endswith(": opacity 100 → 50")  # the edit in words, for the studio's history
    assert s.designs.history("ada", design.id, limit=2) == entries[-2:]
    with s.uow() as uow:
        assert [h.action for h in uow.history.list(fork.id)] == ["fork", "delete"]


def test_history_is_readable_by_viewers_only(s: Services) -> None:
    design, _, _ = two_layer_design(s)
    with pytest.raises(NotFound):
        s.designs.history("eve", design.id)
    s.designs.share("ada", design.id, "eve", "viewer")
    assert len(s.designs.history("eve", design.id)) == 4


def test_events_are_published_for_edits(s: Services) -> None:
    design, top, _ = two_layer_design(s)
    seen: list[dict[str, Any]] = []
    unsubscribe = s.cache.subscribe(design.id, seen.append)
    saved, _ = s.designs.execute("ada", design, UpdateLayer(top, {"opacity": 3}))
    s.designs.comment("ada", design.id, "hi")
    unsubscribe()
    s.designs.execute("ada", saved, UpdateLayer(top, {"opacity": 4}))
    assert [e["type"] for e in seen] == ["update_layer", "comment"]
    assert seen[0]["version"] == saved.version and seen[0]["user"] == "ada"


# -- checkpoint / restore / diff -------------------------------------------------------------------------------
def test_checkpoint_diff_and_restore(s: Services) -> None:
    design, top, bottom = two_layer_design(s)
    v1 = s.designs.checkpoint("ada", design.id, "first")
    design, _ = s.designs.execute("ada", design, UpdateLayer(top, {"opacity": 30, "blend_mode": "screen"}))
    design, _ = s.designs.execute("ada", design, RemoveLayer(bottom))
    design, _ = s.designs.execute("ada", design, UpdateDesign({"tags": ["a"]}))
    v2 = s.designs.checkpoint("ada", design.id, "second")
    assert (v1.version_number, v2.version_number) == (1, 2)
    assert v2.design_version == design.version and v2.snapshot == snapshot(design)
    assert [v.message for v in s.designs.versions("ada", design.id)] == ["first", "second"]
    ops = s.designs.diff("ada", design.id, 1, 2)
    assert jsonpatch.apply_patch(v1.snapshot, ops) == v2.snapshot
    assert jsonpatch.apply_patch(v2.snapshot, s.designs.diff("ada", design.id, 2, 1)) == v1.snapshot
    assert s.designs.diff("ada", design.id, 2, 2) == []
    restored, inverse = s.designs.restore("ada", design, 1)
    assert snapshot(restored) == v1.snapshot == snapshot(stored(s, design.id))
    assert restored.version == design.version + 1
    back, _ = s.designs.execute("ada", restored, inverse, action="undo")
    assert snapshot(back) == v2.snapshot
    assert len(s.designs.versions("ada", design.id)) == 2  # restore does not add a version


@pytest.mark.parametrize("number", [0, 3, -1, "1", 1.0, None])
def test_unknown_versions_are_not_found_and_listed(s: Services, number: Any) -> None:
    design, _, _ = two_layer_design(s)
    s.designs.checkpoint("ada", design.id, "one")
    s.designs.checkpoint("ada", design.id, "two")
    err = refused(s, design.id, lambda: s.designs.restore("ada", design, number), NotFound, "[1, 2]")
    assert err.field == "version"
    with pytest.raises(NotFound, match=r"\[1, 2\]"):
        s.designs.diff("ada", design.id, 1, number)


def test_restore_refuses_a_bool_version(s: Services) -> None:
    design, _, _ = two_layer_design(s)
    s.designs.checkpoint("ada", design.id, "one")
    refused(s, design.id, lambda: s.designs.restore("ada", design, True), FWError)


@pytest.mark.parametrize("message", [None, 5, "m" * 501])
def test_checkpoint_message_is_checked(s: Services, message: Any) -> None:
    design, _, _ = two_layer_design(s)
    refused(s, design.id, lambda: s.designs.checkpoint("ada", design.id, message), ValidationError, "message",
            "500")
    assert s.designs.versions("ada", design.id) == []


def test_versions_are_numbered_per_design(s: Services) -> None:
    a, _, _ = two_layer_design(s)
    b, _, _ = two_layer_design(s)
    assert s.designs.checkpoint("ada", a.id, "").version_number == 1
    assert s.designs.checkpoint("ada", b.id, "").version_number == 1
    assert s.designs.checkpoint("ada", a.id, "").version_number == 2


def test_roles_for_versions(s: Services) -> None:
    design, _, _ = two_layer_design(s)
    s.designs.checkpoint("ada", design.id, "v1")
    s.designs.share("ada", design.id, "vic", "viewer")
    s.designs.share("ada", design.id, "ed", "editor")
    assert len(s.designs.versions("vic", design.id)) == 1 and s.designs.diff("vic", design.id, 1, 1) == []
    refused(s, design.id, lambda: s.designs.checkpoint("vic", design.id, "x"), PermissionDenied, "editor")
    refused(s, design.id, lambda: s.designs.restore("vic", design, 1), PermissionDenied, "editor")
    assert s.designs.checkpoint("ed", design.id, "by editor").created_by == "ed"
    s.designs.restore("ed", design, 1)
    with pytest.raises(NotFound):
        s.designs.versions("eve", design.id)


# -- forks ---------------------------------------------------------------------------------------------------
def test_fork_copies_state_and_counts(s: Services) -> None:
    design, _, _ = two_layer_design(s)
    design, _ = s.designs.execute("ada", design, UpdateDesign({"visibility": "public", "status": "published"}))
    fork = s.designs.fork("ada", design.id)
    assert fork.fork_from == design.id and fork.owner == "ada" and fork.version == 1
    assert fork.meta.name == "Look (fork)" and fork.meta.visibility == "private" and fork.meta.status == "draft"
    assert [snapshot(fork)["layers"]] == [snapshot(design)["layers"]]
    assert stored(s, design.id).fork_count == 1
    assert stored(s, design.id).version == design.version  # a fork is not an edit of the source
    bobs = s.designs.fork("bob", design.id, name="Bob's")   # public: anyone may fork
    assert bobs.owner == "bob" and bobs.meta.name == "Bob's" and stored(s, design.id).fork_count == 2
    s.designs.fork("bob", bobs.id)
    assert stored(s, bobs.id).fork_count == 1 and stored(s, design.id).fork_count == 2
    with pytest.raises(NotFound):
        s.designs.open("bob", fork.id)  # ada's fork is private


def test_fork_of_a_private_design_is_not_found_for_strangers(s: Services) -> None:
    design, _, _ = two_layer_design(s)
    refused(s, design.id, lambda: s.designs.fork("eve", design.id), NotFound)
    assert stored(s, design.id).fork_count == 0 and s.designs.list("eve") == []


def test_fork_name_is_validated(s: Services) -> None:
    design, _, _ = two_layer_design(s)
    refused(s, design.id, lambda: s.designs.fork("ada", design.id, name="n" * 201), ValidationError, "name", "200")
    assert stored(s, design.id).fork_count == 0 and len(s.designs.list("ada")) == 1


# -- sharing, comments, counters -------------------------------------------------------------------------------
def test_share_roles_and_unshare(s: Services) -> None:
    design, top, _ = two_layer_design(s)
    with pytest.raises(NotFound):
        s.designs.open("bob", design.id)
    collaborator = s.designs.share("ada", design.id, "bob", "viewer")
    assert (collaborator.user, collaborator.role, collaborator.added_by) == ("bob", "viewer", "ada")
    assert s.designs.open("bob", design.id)[1] == "viewer"
    assert [(d.id, role) for d, role in s.designs.list("bob")] == [(design.id, "viewer")]
    refused(s, design.id, lambda: s.designs.execute("bob", design, UpdateLayer(top, {"opacity": 1})),
            PermissionDenied, "viewer", "editor")
    s.designs.share("ada", design.id, "bob", "editor")                 # upgrade, not a second entry
    assert [(c.user, c.role) for c in s.designs.collaborators("ada", design.id)] == [("bob", "editor")]
    saved, _ = s.designs.execute("bob", design, UpdateLayer(top, {"opacity": 1}))
    refused(s, design.id, lambda: s.designs.share("bob", design.id, "carl", "viewer"), PermissionDenied, "owner")
    refused(s, design.id, lambda: s.designs.execute("bob", saved, UpdateDesign({"visibility": "public"})),
            PermissionDenied, "owner")
    refused(s, design.id, lambda: s.designs.delete("bob", design.id), PermissionDenied, "owner")
    s.designs.unshare("ada", design.id, "bob")
    with pytest.raises(NotFound):
        s.designs.open("bob", design.id)
    refused(s, design.id, lambda: s.designs.execute("bob", saved, UpdateLayer(top, {"opacity": 2})), NotFound)
    assert s.designs.list("bob") == []


@pytest.mark.parametrize(("other", "role", "words"), [
    ("bob", "admin", ("role", "viewer", "commenter", "editor", "owner")),
    ("bob", None, ("role",)),
    ("", "viewer", ("user", "200")),
    ("b" * 201, "viewer", ("user", "200")),
    (5, "viewer", ("user",)),
    ("ada", "editor", ("user", "owner")),
])
def test_share_refusals(s: Services, other: Any, role: Any, words: tuple[str, ...]) -> None:
    design, _, _ = two_layer_design(s)
    refused(s, design.id, lambda: s.designs.share("ada", design.id, other, role), ValidationError, *words)
    assert s.designs.collaborators("ada", design.id) == []


def test_unshare_of_a_non_collaborator_is_not_found(s: Services) -> None:
    design, _, _ = two_layer_design(s)
    refused(s, design.id, lambda: s.designs.unshare("ada", design.id, "zed"), NotFound, "zed")


def test_comments_need_commenter(s: Services) -> None:
    design, top, _ = two_layer_design(s)
    s.designs.share("ada", design.id, "vic", "viewer")
    s.designs.share("ada", design.id, "cam", "commenter")
    refused(s, design.id, lambda: s.designs.comment("vic", design.id, "hi"), PermissionDenied, "commenter")
    refused(s, design.id, lambda: s.designs.comment("eve", design.id, "hi"), NotFound)
    comment = s.designs.comment("cam", design.id, "shorter sleeves?", layer_id=top)
    assert (comment.user, comment.layer_id, comment.text) == ("cam", top, "shorter sleeves?")
    refused(s, design.id, lambda: s.designs.execute("cam", design, UpdateLayer(top, {"opacity": 1})),
            PermissionDenied, "commenter", "editor")
    assert [c.text for c in s.designs.comments("vic", design.id)] == ["shorter sleeves?"]
    assert stored(s, design.id).version == design.version  # comments are not edits


@pytest.mark.parametrize(("text", "layer_id", "error"), [
    ("", None, ValidationError), ("   ", None, ValidationError), ("t" * 5001, None, ValidationError),
    (None, None, ValidationError), ("ok", "ghost", NotFound),
])
def test_comment_refusals(s: Services, text: Any, layer_id: Any, error: type[FWError]) -> None:
    design, _, _ = two_layer_design(s)
    refused(s, design.id, lambda: s.designs.comment("ada", design.id, text, layer_id=layer_id), error)
    assert s.designs.comments("ada", design.id) == []


def test_public_design_is_readable_but_not_listed_for_strangers(s: Services) -> None:
    design, top, _ = two_layer_design(s)
    design, _ = s.designs.execute("ada", design, UpdateDesign({"visibility": "public"}))
    opened, role = s.designs.open("eve", design.id)
    assert role == "viewer" and snapshot(opened) == snapshot(design)
    assert s.designs.list("eve") == []
    refused(s, design.id, lambda: s.designs.execute("eve", design, UpdateLayer(top, {"opacity": 1})),
            PermissionDenied)
    refused(s, design.id, lambda: s.designs.comment("eve", design.id, "hi"), PermissionDenied)


def test_views_and_likes_are_counters_not_edits(s: Services) -> None:
    design, _, _ = two_layer_design(s)
    s.designs.share("ada", design.id, "bob", "viewer")
    s.designs.open("ada", design.id, count_view=True)       # the owner's views do not count
    s.designs.open("bob", design.id, count_view=True)
    s.designs.open("bob", design.id)
    s.designs.like("bob", design.id)
    after = stored(s, design.id)
    assert (after.view_count, after.like_count, after.version) == (1, 1, design.version)
    with pytest.raises(NotFound):
        s.designs.like("eve", design.id)


def test_deleted_designs_disappear(s: Services) -> None:
    design, top, _ = two_layer_design(s)
    s.designs.share("ada", design.id, "bob", "editor")
    refused(s, design.id, lambda: s.designs.delete("bob", design.id), PermissionDenied)
    s.designs.delete("ada", design.id)
    for user in ("ada", "bob"):
        with pytest.raises(NotFound):
            s.designs.open(user, design.id)
        assert s.designs.list(user) == []
    with pytest.raises(NotFound):
        s.designs.execute("ada", stored(s, design.id), UpdateLayer(top, {"opacity": 1}))


# -- edits on the state this process last saw (the design service's open_for_edit) ---------------------------------
def _other_process(s: Services) -> Any:
    """A second DesignService on the same store: another design-service process."""
    from fw_kernel.services.designs import DesignService

    return DesignService(s.uow, s.catalog)


def test_open_for_edit_hands_the_owner_the_last_saved_state_without_a_read(s: Services,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from fw_kernel.adapters import memory

    design, top, _ = two_layer_design(s)
    reads: list[str] = []
    get = memory._Designs.get
    monkeypatch.setattr(memory._Designs, "get", lambda self, i, for_update=False: reads.append(i) or get(
        self, i, for_update))
    guess, role = s.designs.open_for_edit("ada", design.id)
    assert role == "owner" and guess.version == design.version and reads == []
    saved, _ = s.designs.execute("ada", guess, UpdateLayer(top, {"opacity": 40}))
    assert reads == [] and saved.version == design.version + 1 and stored(s, design.id).layer(top).opacity == 40


def test_an_edit_on_a_state_another_process_moved_on_is_applied_to_the_fresh_one_without_a_conflict(
        s: Services) -> None:
    design, top, _ = two_layer_design(s)
    other = _other_process(s)
    theirs, _ = other.open("ada", design.id)
    theirs, _ = other.execute("ada", theirs, UpdateLayer(top, {"opacity": 20}))   # the same layer
    theirs, _ = other.execute("ada", theirs, AddLayer(NEW_BELT))
    guess, _ = s.designs.open_for_edit("ada", design.id)
    assert guess.version == design.version < theirs.version   # this process's guess is behind
    saved, _ = s.designs.execute("ada", guess, UpdateLayer(top, {"opacity": 70}))
    assert saved.version == theirs.version + 1
    assert stored(s, design.id).layer(top).opacity == 70            # last writer wins, as with a fresh open
    assert stored(s, design.id).layer(NEW_BELT.id).name == "Belt"    # their layer kept
    guess, _ = s.designs.open_for_edit("ada", design.id)
    theirs, _ = other.open("ada", design.id)
    other.execute("ada", theirs, RemoveLayer(NEW_BELT.id))
    with pytest.raises(NotFound):   # the fresh state lacks the layer: the real error, not a conflict
        s.designs.execute("ada", guess, UpdateLayer(NEW_BELT.id, {"opacity": 10}))
    # a layer only the fresh state has: found there (the guess lacks it)
    guess, _ = s.designs.open_for_edit("ada", design.id)
    theirs, _ = other.open("ada", design.id)
    other.execute("ada", theirs, AddLayer(NEW_BELT))
    saved, _ = s.designs.execute("ada", guess, UpdateLayer(NEW_BELT.id, {"opacity": 30}))
    assert saved.layer(NEW_BELT.id).opacity == 30


def test_an_edit_on_a_guess_of_a_design_another_process_deleted_changes_nothing(s: Services) -> None:
    design, top, _ = two_layer_design(s)
    guess, _ = s.designs.open_for_edit("ada", design.id)
    _other_process(s).delete("ada", design.id)
    before = state_of(s, design.id)
    with pytest.raises(NotFound, match="deleted"):
        s.designs.execute("ada", guess, UpdateLayer(top, {"opacity": 5}))
    assert state_of(s, design.id) == before


def test_open_for_edit_reads_afresh_for_anyone_but_the_owner_and_for_designs_it_has_not_seen(s: Services) -> None:
    design, top, _ = two_layer_design(s)
    s.designs.share("ada", design.id, "bob", "editor")
    state, role = s.designs.open_for_edit("bob", design.id)
    assert role == "editor"                       # the collaborator's role is looked up each time
    unseen = _other_process(s)
    state, role = unseen.open_for_edit("ada", design.id)
    assert role == "owner" and state == stored(s, design.id)
    stale = s.designs.open("ada", design.id)[0]   # a plain handle (not a guess) still gets its conflicts
    s.designs.execute("ada", s.designs.open("ada", design.id)[0], UpdateLayer(top, {"opacity": 11}))
    with pytest.raises(Conflict):
        s.designs.execute("ada", stale, UpdateLayer(top, {"opacity": 12}))


def test_a_plain_handle_of_the_state_handed_out_for_an_edit_keeps_its_conflict_check(s: Services) -> None:
    design, top, _ = two_layer_design(s)
    plain, _ = s.designs.open("ada", design.id)   # what open_for_edit will guess from
    s.designs.open_for_edit("ada", design.id)
    _other_process(s).execute("ada", _other_process(s).open("ada", design.id)[0], UpdateLayer(top, {"opacity": 3}))
    with pytest.raises(Conflict):
        s.designs.execute("ada", plain, UpdateLayer(top, {"opacity": 4}))
