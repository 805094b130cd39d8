"""Bad input through the notebook API, on SQLite and on PostgreSQL (+ MongoDB protocol + Redis).

Every refusal must raise a subclass of ``fw.FWError`` whose short message names the field and what is allowed,
and must change nothing: after each one the design is re-read with ``ws.designs.get`` and compared.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

import fw_kernel as fw
from fw_kernel.adapters import catalog_files

BIG = "x" * 10_000_000  # 10 MB
_MANIFESTS: dict[Any, Any] = {}


@pytest.fixture(autouse=True)
def _parse_manifests_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fw.connect() re-parses and schema-checks all catalog manifests (~0.5 s); these tests open a
    hundred workspaces, so parse each catalog directory once. The catalog sync itself still runs."""
    real = catalog_files.load_manifests

    def cached(*args: Any, **kwargs: Any) -> Any:
        key = repr((args, sorted(kwargs.items())))
        if key not in _MANIFESTS:
            _MANIFESTS[key] = real(*args, **kwargs)
        return _MANIFESTS[key]

    monkeypatch.setattr(catalog_files, "load_manifests", cached)


@dataclass
class Env:
    ws: fw.Workspace
    design: fw.Design
    base: str          # a silhouette layer
    fabric: str        # a fabric layer
    is_pg: bool

    def state(self) -> tuple[Any, ...]:
        """What must not change: a fresh read of the design, its history, and the user's designs and avatars."""
        fresh = self.ws.designs.get(self.design.id)
        return (fresh.snapshot(), fresh.version, len(fresh.history), len(fresh.versions),
                sorted(d.id for d in self.ws.designs.list()), len(self.ws.avatars.list()))

    def words(self, words: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(w.format(base=self.base, fabric=self.fabric, id=self.design.id) for w in words)


@pytest.fixture
def env(connect, backend: dict[str, str | None]) -> Env:
    ws = connect()
    design = ws.designs.create("Bad input target", category="outfit", tags=["test"])
    base = design.add_layer("sil-tshirt")
    fabric = design.add_layer("fab-denim-indigo", customization={"color": "#aa3344"})
    design.checkpoint("v1")
    return Env(ws, design, base.id, fabric.id, backend["database_url"] is not None)


def expect_refusal(env: Env, call: Callable[[], Any], error: type[fw.FWError], *words: str) -> fw.FWError:
    before = env.state()
    with pytest.raises(fw.FWError) as info:
        call()
    err = info.value
    assert isinstance(err, error), f"{type(err).__name__}: {err}"
    message = str(err)
    assert len(message) < 500, f"message of {len(message)} characters"
    for word in env.words(words):
        assert word in message, f"{word!r} not in {message!r}"
    assert env.state() == before, "a refused call changed something"
    return err


# -- one case per bad input ------------------------------------------------------------------------------------
C = Callable[[Env], Any]
CASES: list[Any] = [
    # unknown ids
    pytest.param(lambda e: e.ws.designs.get("0" * 32), fw.NotFound, ("design", "0" * 32), id="unknown-design-id"),
    pytest.param(lambda e: e.design.update_layer("nope", opacity=5), fw.NotFound,
                 ("layer", "'nope'", "{base}", "{fabric}"), id="unknown-layer-update"),
    pytest.param(lambda e: e.design.remove_layer("nope"), fw.NotFound, ("layer", "'nope'", "{base}"),
                 id="unknown-layer-remove"),
    pytest.param(lambda e: e.ws.catalog.get("no-such-item"), fw.NotFound, ("catalog item", "'no-such-item'"),
                 id="unknown-catalog-item-get"),
    pytest.param(lambda e: e.design.add_layer("no-such-item"), fw.ValidationError,
                 ("item", "'no-such-item'", "catalog"), id="unknown-catalog-item-add"),
    pytest.param(lambda e: e.ws.designs.create("x", avatar="no-such-avatar"), fw.NotFound,
                 ("avatar", "'no-such-avatar'"), id="unknown-avatar-create"),
    pytest.param(lambda e: e.ws.avatars.get("no-such-avatar"), fw.NotFound, ("avatar", "'no-such-avatar'"),
                 id="unknown-avatar-get"),
    # wrong item type
    pytest.param(lambda e: e.design.add_layer(e.ws.catalog.get("fab-denim-indigo"), type="silhouette"),
                 fw.ValidationError, ("type", "'silhouette'", "'fabric'"), id="wrong-type-for-item"),
    # opacity
    *[pytest.param(lambda e, v=v: e.design.update_layer(e.base, opacity=v), fw.ValidationError,
                   ("opacity", "0", "100"), id=f"opacity-{v!r}") for v in (-1, 101, 50.5, "50")],
    pytest.param(lambda e: e.design.add_layer("sil-tshirt", opacity=101), fw.ValidationError, ("opacity", "100"),
                 id="opacity-101-on-add"),
    # blend mode
    pytest.param(lambda e: e.design.update_layer(e.base, blend_mode="dodge"), fw.ValidationError,
                 ("blend_mode", "'dodge'", "'normal'", "'multiply'", "'screen'", "'overlay'", "'add'"),
                 id="unknown-blend-mode"),
    # NaN / inf in transforms, zero and negative scale
    pytest.param(lambda e: e.design.update_layer(e.base, transform={"position": {"x": math.nan}}),
                 fw.ValidationError, ("transform.position.x", "finite"), id="transform-nan"),
    pytest.param(lambda e: e.design.update_layer(e.base, transform={"rotation": {"y": math.inf}}),
                 fw.ValidationError, ("transform.rotation.y", "finite"), id="transform-inf"),
    pytest.param(lambda e: e.design.update_layer(e.base, transform={"scale": {"x": 0}}), fw.ValidationError,
                 ("transform.scale.x", "> 0"), id="scale-zero"),
    pytest.param(lambda e: e.design.update_layer(e.base, transform={"scale": {"z": -1.5}}), fw.ValidationError,
                 ("transform.scale.z", "> 0"), id="scale-negative"),
    pytest.param(lambda e: e.design.add_layer("sil-tshirt", transform={"rotation": {"x": math.nan}}),
                 fw.ValidationError, ("transform.rotation.x", "finite"), id="transform-nan-on-add"),
    # 10 MB strings
    pytest.param(lambda e: e.ws.designs.create(BIG), fw.ValidationError, ("name", "200"), id="10MB-design-name"),
    pytest.param(lambda e: e.design.update(name=BIG), fw.ValidationError, ("name", "200"), id="10MB-rename"),
    pytest.param(lambda e: e.design.add_layer("sil-tshirt", notes=BIG), fw.ValidationError, ("notes", "10000"),
                 id="10MB-layer-notes-on-add"),
    # wrong JSON types
    pytest.param(lambda e: e.design.update(tags=5), fw.ValidationError, ("tags",), id="tags-int"),
    pytest.param(lambda e: e.ws.designs.create("x", tags=5), fw.ValidationError, ("tags",), id="tags-int-create"),
    pytest.param(lambda e: e.design.update_layer(e.base, is_visible="yes"), fw.ValidationError,
                 ("is_visible", "True or False"), id="is-visible-string"),
    pytest.param(lambda e: e.design.update_layer(e.base, customization=[1]), fw.ValidationError,
                 ("customization", "dict"), id="customization-list"),
    pytest.param(lambda e: e.design.add_layer("sil-tshirt", customization=[1]), fw.ValidationError,
                 ("customization", "dict"), id="customization-list-on-add"),
    pytest.param(lambda e: e.design.update_layer(e.base, transform=[1, 2, 3]), fw.ValidationError,
                 ("transform",), id="transform-list"),
    pytest.param(lambda e: e.design.update(category="shoes"), fw.ValidationError,
                 ("category", "'outfit'", "'dress'"), id="unknown-category"),
    pytest.param(lambda e: e.design.update(colour="red"), fw.ValidationError, ("colour", "category", "tags"),
                 id="unknown-design-field"),
    pytest.param(lambda e: e.design.update_layer(e.base, colour="red"), fw.ValidationError,
                 ("colour", "opacity", "blend_mode"), id="unknown-layer-field"),
    # customisation per parameter spec
    pytest.param(lambda e: e.design.update_layer(e.fabric, customization={"color": "red"}), fw.ValidationError,
                 ("customization.color", "hex"), id="customization-colour-name"),
    pytest.param(lambda e: e.design.update_layer(e.fabric, customization={"scale": 10}), fw.ValidationError,
                 ("customization.scale", "0.25", "4"), id="customization-out-of-range"),
    pytest.param(lambda e: e.design.update_layer(e.base, customization={"fit": "baggy"}), fw.ValidationError,
                 ("customization.fit", "'slim'", "'regular'", "'loose'"), id="customization-bad-choice"),
    pytest.param(lambda e: e.design.update_layer(e.fabric, customization={"shine": 1}), fw.ValidationError,
                 ("customization.shine", "color", "scale"), id="customization-unknown-parameter"),
    # measurements
    pytest.param(lambda e: e.ws.avatars.create("Ada", {"height": "168cm"}), fw.ValidationError,
                 ("measurements.height", "without units", "130", "220"), id="measurement-with-units"),
    # versions
    pytest.param(lambda e: e.design.restore(99), fw.NotFound, ("version", "99", "[1]"), id="restore-missing"),
    pytest.param(lambda e: e.design.diff(1, 7), fw.NotFound, ("version", "7", "[1]"), id="diff-missing"),
    # sharing
    pytest.param(lambda e: e.design.share("bob", role="admin"), fw.ValidationError,
                 ("role", "viewer", "commenter", "editor", "owner"), id="share-unknown-role"),
    pytest.param(lambda e: e.design.unshare("nobody"), fw.NotFound, ("'nobody'",), id="unshare-unknown-user"),
]


@pytest.mark.parametrize(("call", "error", "words"), CASES)
def test_bad_input_is_refused_and_changes_nothing(env: Env, call: C, error: type[fw.FWError],
                                                  words: tuple[str, ...]) -> None:
    err = expect_refusal(env, lambda: call(env), error, *words)
    if isinstance(err, fw.ValidationError):
        assert err.field and err.allowed, "a ValidationError names the field and what is allowed"


@pytest.mark.parametrize("call", [
    pytest.param(lambda e: e.ws.designs.get(BIG), id="design"),
    pytest.param(lambda e: e.design.update_layer(BIG, opacity=1), id="layer"),
])
def test_unknown_huge_ids_give_short_messages(env: Env, call: C) -> None:
    expect_refusal(env, lambda: call(env), fw.NotFound)


def test_big_strings_give_short_messages_that_state_the_limit(env: Env) -> None:
    err = expect_refusal(env, lambda: env.design.update_layer(env.base, notes=BIG), fw.ValidationError, "notes")
    assert "10,000,000 characters" in str(err) and "10000" in str(err) and len(str(err)) < 500


# -- stored verbatim ---------------------------------------------------------------------------------------------
TRICKY = [
    "x'); DROP TABLE design.designs;--",
    "%(name)s %s {} {0} $1 ? :name \" OR 1=1 -- \\' \\\\",
    "Été ✂️ 夏 — ﷽ עברית",
]


@pytest.mark.parametrize("text", TRICKY, ids=["drop-table", "placeholders-quotes", "unicode"])
def test_sql_looking_text_is_stored_verbatim(env: Env, connect, text: str) -> None:
    design = env.ws.designs.create(text, description=text, tags=[text[:40]], occasion=text)
    layer = design.add_layer("sil-tshirt", name=text, notes=text, group=text)
    design.comment(text, layer_id=layer.id)
    design.checkpoint(text)
    fresh = env.ws.designs.get(design.id)
    assert fresh.name == text and fresh.meta.description == text and fresh.meta.occasion == text
    assert fresh.meta.tags == (text[:40],)
    got = fresh.layer(layer.id)
    assert (got.name, got.notes, got.group) == (text, text, text)
    assert [c.text for c in fresh.comments] == [text]
    assert [v.message for v in fresh.versions] == [text]
    assert fresh.snapshot() == design.snapshot()
    other = connect()  # another session of the same user sees the same
    assert other.designs.get(design.id).snapshot() == design.snapshot()
    # nothing was dropped or deleted
    assert {env.design.id, design.id} <= {d.id for d in env.ws.designs.list()}
    assert len(env.ws.designs.get(env.design.id).layers) == 2


# -- NUL characters and out-of-range numbers (PostgreSQL cannot store NUL) --------------------------------------
@pytest.mark.parametrize("where", ["design-name", "layer-notes", "share-user"])
def test_nul_characters_are_stored_or_refused_cleanly(env: Env, request: pytest.FixtureRequest,
                                                      where: str) -> None:
    text = "a\x00b"
    calls = {
        "design-name": lambda: env.ws.designs.create(text),
        "layer-notes": lambda: env.design.update_layer(env.base, notes=text),
        "share-user": lambda: env.design.share(text, role="viewer"),
    }
    before = env.state()
    try:
        calls[where]()
    except fw.FWError as err:
        assert len(str(err)) < 500
        assert env.state() == before
        return
    if where == "design-name":
        assert text in [d.name for d in env.ws.designs.list()]
    elif where == "layer-notes":
        assert env.ws.designs.get(env.design.id).layer(env.base).notes == text
    else:
        assert text in [c.user for c in env.ws.designs.get(env.design.id).collaborators]


def test_design_id_with_nul_is_not_found(env: Env, request: pytest.FixtureRequest) -> None:
    expect_refusal(env, lambda: env.ws.designs.get("a\x00b"), fw.NotFound, "design")


def test_restore_of_a_bool_version_is_refused(env: Env) -> None:
    expect_refusal(env, lambda: env.design.restore(True), fw.FWError, "version")


def test_restore_beyond_32_bits_is_not_found(env: Env, request: pytest.FixtureRequest) -> None:
    expect_refusal(env, lambda: env.design.restore(2**40), fw.NotFound, "version", "[1]")


def test_restore_of_a_huge_version_number_is_not_found(env: Env) -> None:
    expect_refusal(env, lambda: env.design.restore(2**70), fw.NotFound, "version")


def test_huge_integer_customisation_is_refused(env: Env) -> None:
    expect_refusal(env, lambda: env.design.update_layer(env.fabric, customization={"scale": 10**400}),
                   fw.ValidationError, "customization.scale", "0.25", "4")


@pytest.mark.parametrize("fields", [{"id": "y" * 40}, {"catalog_item_id": "sil-aline-dress"}],
                         ids=["id", "catalog_item_id"])
def test_add_layer_refuses_fields_that_are_not_settable(env: Env, fields: dict[str, Any]) -> None:
    expect_refusal(env, lambda: env.design.add_layer("sil-tshirt", **fields), fw.ValidationError,
                   next(iter(fields)), "transform", "opacity")


# -- locked layers -------------------------------------------------------------------------------------------
LOCKED_EDITS: list[Any] = [
    pytest.param(lambda e: e.design.update_layer(e.base, opacity=10), id="opacity"),
    pytest.param(lambda e: e.design.update_layer(e.base, transform={"rotation": {"y": 10}}), id="transform"),
    pytest.param(lambda e: e.design.update_layer(e.base, customization={"fit": "slim"}), id="customization"),
    pytest.param(lambda e: e.design.remove_layer(e.base), id="remove"),
    pytest.param(lambda e: e.design.group_layers([e.fabric, e.base], "g"), id="group"),
]


@pytest.mark.parametrize("call", LOCKED_EDITS)
def test_edits_to_a_locked_layer_are_refused(env: Env, call: C) -> None:
    env.design.update_layer(env.base, is_locked=True)
    err = expect_refusal(env, lambda: call(env), fw.PermissionDenied, "locked", "unlock", "is_locked=False",
                         "{base}")
    assert isinstance(err, fw.FWError)


def test_a_locked_layer_can_be_reordered_and_unlocked(env: Env) -> None:
    env.design.update_layer(env.base, is_locked=True)
    env.design.reorder_layers([env.fabric, env.base])
    env.design.update_layer(env.base, is_locked=False)
    env.design.update_layer(env.base, opacity=10)
    fresh = env.ws.designs.get(env.design.id)
    assert [x.id for x in fresh.layers] == [env.fabric, env.base]
    assert fresh.layer(env.base).opacity == 10 and fresh.layer(env.base).is_locked is False


# -- permissions -------------------------------------------------------------------------------------------------
VIEWER_REFUSED: list[Any] = [
    pytest.param(lambda e, d: d.update_layer(e.base, opacity=1), "edit", id="update-layer"),
    pytest.param(lambda e, d: d.add_layer("sil-tshirt"), "edit", id="add-layer"),
    pytest.param(lambda e, d: d.remove_layer(e.fabric), "edit", id="remove-layer"),
    pytest.param(lambda e, d: d.update(name="mine now"), "edit", id="rename"),
    pytest.param(lambda e, d: d.checkpoint("v2"), "checkpoint", id="checkpoint"),
    pytest.param(lambda e, d: d.restore(1), "editor", id="restore"),
    pytest.param(lambda e, d: d.comment("hello"), "comment", id="comment"),
    pytest.param(lambda e, d: d.share("carl", role="viewer"), "share", id="share"),
]


@pytest.mark.parametrize(("call", "operation"), VIEWER_REFUSED)
def test_a_viewer_cannot_change_anything(env: Env, connect, unique_user: str, call: Any, operation: str) -> None:
    bob = f"bob_{unique_user}"
    env.design.share(bob, role="viewer")
    theirs = connect(user=bob).designs.get(env.design.id)
    assert theirs.role == "viewer" and theirs.snapshot() == env.ws.designs.get(env.design.id).snapshot()
    err = expect_refusal(env, lambda: call(env, theirs), fw.PermissionDenied, bob, "viewer", operation)
    assert err.field == "role" and "or above" in err.allowed


def test_a_commenter_can_comment_but_not_edit(env: Env, connect, unique_user: str) -> None:
    cam = f"cam_{unique_user}"
    env.design.share(cam, role="commenter")
    theirs = connect(user=cam).designs.get(env.design.id)
    expect_refusal(env, lambda: theirs.update_layer(env.base, opacity=1), fw.PermissionDenied, "commenter",
                   "editor")
    expect_refusal(env, lambda: theirs.add_layer("sil-tshirt"), fw.PermissionDenied, "commenter", "editor")
    before = env.ws.designs.get(env.design.id)
    theirs.comment("shorter sleeves?", layer_id=env.base)
    after = env.ws.designs.get(env.design.id)
    assert (after.snapshot(), after.version) == (before.snapshot(), before.version)  # a comment is not an edit
    assert [(c.user, c.text) for c in env.ws.designs.get(env.design.id).comments] == [(cam, "shorter sleeves?")]


def test_an_editor_cannot_share_publish_or_delete(env: Env, connect, unique_user: str) -> None:
    ed = f"ed_{unique_user}"
    env.design.share(ed, role="editor")
    theirs = connect(user=ed).designs.get(env.design.id)
    theirs.update_layer(env.base, opacity=42)        # editing is fine
    env.design.refresh()
    expect_refusal(env, lambda: theirs.share("carl", role="viewer"), fw.PermissionDenied, "editor", "owner")
    expect_refusal(env, lambda: theirs.update(visibility="public"), fw.PermissionDenied, "editor", "owner")
    expect_refusal(env, theirs.delete, fw.PermissionDenied, "editor", "owner")


def test_a_stranger_gets_not_found_for_a_private_design(env: Env, connect, unique_user: str) -> None:
    eve = f"eve_{unique_user}"
    theirs = connect(user=eve)
    err = expect_refusal(env, lambda: theirs.designs.get(env.design.id), fw.NotFound, "design", env.design.id)
    assert "Bad input target" not in str(err)        # the name of a private design is not revealed
    assert env.design.id not in [d.id for d in theirs.designs.list()]
    assert theirs.designs.list() == []


def test_a_stranger_views_a_public_design_but_cannot_edit_it(env: Env, connect, unique_user: str) -> None:
    env.design.update(visibility="public")
    eve = f"eve_{unique_user}"
    theirs = connect(user=eve).designs.get(env.design.id)
    assert theirs.role == "viewer"
    expect_refusal(env, lambda: theirs.update_layer(env.base, opacity=1), fw.PermissionDenied, "viewer")
    expect_refusal(env, lambda: theirs.comment("hi"), fw.PermissionDenied, "viewer", "commenter")


def test_an_unshared_collaborator_loses_access(env: Env, connect, unique_user: str) -> None:
    bob = f"bob_{unique_user}"
    env.design.share(bob, role="editor")
    bob_ws = connect(user=bob)
    theirs = bob_ws.designs.get(env.design.id)
    env.design.unshare(bob)
    expect_refusal(env, lambda: theirs.update_layer(env.base, opacity=1), fw.NotFound, "design")
    expect_refusal(env, lambda: bob_ws.designs.get(env.design.id), fw.NotFound, "design")
    assert bob_ws.designs.list() == []


def test_list_gives_the_role_of_shared_designs(env: Env, connect, unique_user: str) -> None:
    bob = f"bob_{unique_user}"
    env.design.share(bob, role="editor")
    [listed] = connect(user=bob).designs.list()
    assert listed.role == "editor"
