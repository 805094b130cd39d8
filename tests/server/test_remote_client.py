"""The notebook API over the design service: ``fw.connect()`` in a hub single-user server talks HTTP to a real
``fw service`` process (prefixed ``/services/fw/`` as on a hub) with the user's token, and gives the same
results and the same errors as a local kernel, with no database URL in the client's environment."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import requests

import fw_kernel as fw
from fw_kernel.adapters.remote_http import RemoteServices, _error
from fw_kernel.domain.errors import Conflict, FWError, LimitExceeded, NotFound, PermissionDenied, ValidationError
from tests.support.service import TOKENS, ServiceProcess, local, remote


def session(ws: fw.Workspace) -> dict[str, Any]:
    """The same edits through any workspace; what they produced, with layer ids named by their role."""
    sil = ws.catalog.get("sil-aline-dress")
    fabric = ws.catalog.search("cashmere", type="fabric")[0]
    design = ws.designs.create("Summer look", category="outfit", tags=["summer"], description="first")
    a = design.add_layer(sil, {"color": "#aa3344", "length": 1.2})
    b = design.add_layer(fabric.id, opacity=80, notes="lining")
    design.update_layer(a.id, transform={"rotation": {"y": 10}}, opacity=70, blend_mode="multiply")
    design.reorder_layers([b.id, a.id])
    design.update(description="linen", tags=["summer", "linen"])
    design.update_canvas(show_grid=False, background="#ffffff")
    design.checkpoint("first draft")
    undone = [design.undo(), design.undo()]
    redone = design.redo()
    design.remove_layer(b.id)
    design.group_layers([a.id], "top")
    after_group = design.layer(a.id).group
    design.undo()  # the whole group edit at once
    design.checkpoint("second")
    diff = design.diff(1, 2)
    design.restore(1)
    restored = len(design.layers)
    design.undo()
    fork = design.fork("Forked look")
    design.share("bob", role="commenter")
    design.comment("love the flare", layer_id=a.id)
    design.refresh()
    names = {a.id: "A", b.id: "B"}

    def named(value: Any) -> Any:
        text = json.dumps(value, sort_keys=True, default=str)
        for raw, name in names.items():
            text = text.replace(raw, name)
        return json.loads(text)

    return {
        "snapshot": named(design.snapshot()), "version": design.version, "undone": undone, "redone": redone,
        "after_group": after_group, "restored_layers": restored, "diff": named(diff),
        "versions": [(v.version_number, v.message, v.design_version) for v in design.versions],
        "history": [(h.version, h.action) for h in design.history],
        "fork": (fork.name, fork.fork_from == design.id, named(fork.snapshot()["layers"]), fork.role),
        "collaborators": [(c.user, c.role) for c in design.collaborators],
        "comments": named([(c.text, c.layer_id, c.user) for c in design.comments]),
        "listed": sorted(d.name for d in ws.designs.list()),
        "got": ws.designs.get(design.id).snapshot() == design.snapshot(),
        "search": [i.id for i in ws.catalog.search("denm jaket")],
        "fabrics": [i.id for i in ws.catalog.list("fabric")],
        "recommended": [i.id for i in design.recommendations(5)],
        "counts": design.counts,
    }


def test_same_results_as_local(service: ServiceProcess, client_env: Path, tmp_path: Path) -> None:
    with remote(service, "alice") as ws:
        assert isinstance(ws._services, RemoteServices) and ws.user == "alice"
        assert "service=" in repr(ws) and service.url in repr(ws)
        over_http = session(ws)
    with local(tmp_path / "local", "alice") as ws:
        in_process = session(ws)
    assert over_http["history"] == in_process["history"]
    assert over_http == in_process
    assert over_http["undone"] == [True, True] and over_http["redone"] is True
    assert over_http["after_group"] == "top" and over_http["restored_layers"] == 2
    assert [v[1] for v in over_http["versions"]] == ["first draft", "second"]
    assert over_http["diff"], "the two checkpoints differ"
    assert list(client_env.iterdir()) == [], "the client wrote nothing locally"


def test_hub_single_user_server_finds_the_service(service: ServiceProcess, client_env: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """JUPYTERHUB_API_TOKEN + JUPYTERHUB_USER and the hub's public URL: /services/fw/ with the user's token."""
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", TOKENS["carol"])
    monkeypatch.setenv("JUPYTERHUB_USER", "carol")
    monkeypatch.setenv("JUPYTERHUB_PUBLIC_URL", f"http://127.0.0.1:{service.port}/user/carol/")
    monkeypatch.setenv("JUPYTERHUB_BASE_URL", "/")
    assert "FW_DATABASE_URL" not in os.environ
    with fw.connect() as ws:
        assert isinstance(ws._services, RemoteServices)
        assert ws.user == "carol"
        design = ws.designs.create("Carol's coat")
        design.add_layer("sil-aline-dress")
        assert [d.id for d in ws.designs.list()] == [design.id]
        assert ws.designs.get(design.id).layers[0].catalog_item_id == "sil-aline-dress"
    # what the service stored, read back by the REST API directly
    raw = requests.get(f"{service.url}api/v1/designs/{design.id}", timeout=30,
                       headers={"Authorization": f"token {TOKENS['carol']}"}).json()
    assert raw["owner"] == "carol" and len(raw["layers"]) == 1
    assert list(client_env.iterdir()) == []


def test_laptop_default_unchanged(client_env: Path) -> None:
    with fw.connect(autosave_thread=False) as ws:
        assert not isinstance(ws._services, RemoteServices)
        assert str(client_env) in repr(ws)
    assert (client_env / "fashion_wallet.sqlite3").exists()


def _refusal(call: Any) -> FWError:
    with pytest.raises(FWError) as info:
        call()
    return info.value


def test_errors_are_the_kernel_errors(service: ServiceProcess, client_env: Path, tmp_path: Path) -> None:
    home = tmp_path / "local"
    results: dict[str, list[tuple[type, str, str | None]]] = {}
    for kind, (alice, bob) in {"remote": (remote(service, "alice"), remote(service, "bob")),
                               "local": (local(home, "alice"), local(home, "bob"))}.items():
        design = alice.designs.create("Errors")
        layer = design.add_layer("sil-aline-dress")
        design.share("bob", role="viewer")
        seen = bob.designs.get(design.id)
        before = design.refresh().snapshot()
        refusals = [
            _refusal(lambda d=design, x=layer: d.update_layer(x.id, customization={"color": "red"})),
            _refusal(lambda d=design, x=layer: d.update_layer(x.id, customization={"length": 9})),
            _refusal(lambda d=design: d.update_layer("no-such-layer", opacity=5)),
            _refusal(lambda d=design: d.add_layer("no-such-item")),
            _refusal(lambda d=design: d.reorder_layers(["x", "y"])),
            _refusal(lambda d=design: d.restore(42)),
            _refusal(lambda d=design: d.update_canvas(lighting_preset="disco")),
            _refusal(lambda s=seen, x=layer: s.update_layer(x.id, opacity=10)),
            _refusal(lambda s=seen: s.comment("hi")),
            _refusal(lambda d=design: d.export("hologram")),
        ]
        assert design.refresh().snapshot() == before, "a refused call changes nothing"
        ids = {design.id: "D", layer.id: "L"}

        def named(text: str, ids: dict[str, str] = ids) -> str:
            for raw, name in ids.items():
                text = text.replace(raw, name)
            return text

        results[kind] = [(type(e), named(str(e)), e.field) for e in refusals]
        alice.close()
        bob.close()
    assert results["remote"] == results["local"]
    kinds = [r[0] for r in results["remote"]]
    assert kinds[:7] == [ValidationError, ValidationError, NotFound, ValidationError, ValidationError, NotFound,
                         ValidationError]
    assert kinds[7:9] == [PermissionDenied, PermissionDenied] and kinds[9] is ValidationError


def test_error_bodies_map_to_kernel_errors() -> None:
    """Every error kind of the service's error schema has its kernel class; message, field and allowed kept."""
    cases = {"validation_error": ValidationError, "not_found": NotFound, "forbidden": PermissionDenied,
             "unauthorized": PermissionDenied, "conflict": Conflict, "limit_exceeded": LimitExceeded,
             "rate_limited": LimitExceeded, "payload_too_large": ValidationError, "bad_request": ValidationError}
    for kind, cls in cases.items():
        err = _error(400, {"error": kind, "message": f"{kind} said", "field": "f", "allowed": "a"}, None)
        assert type(err) is cls and str(err) == f"{kind} said" and (err.field, err.allowed) == ("f", "a")
    assert "retry after 7 s" in str(_error(429, {"error": "rate_limited", "message": "slow down"}, "7"))
    assert "without an error body" in str(_error(502, None, None))


def test_private_designs_stay_private(service: ServiceProcess, client_env: Path) -> None:
    with remote(service, "alice") as alice, remote(service, "bob") as bob:
        private = alice.designs.create("Secret")
        with pytest.raises(NotFound) as missing:
            bob.designs.get(private.id)
        with pytest.raises(NotFound) as unknown:
            bob.designs.get("0" * 32)
        assert str(missing.value).replace(private.id, "X") == str(unknown.value).replace("0" * 32, "X")
        assert private.id not in [d.id for d in bob.designs.list()]
        private.share("bob", role="editor")
        shared = bob.designs.get(private.id)
        assert shared.role == "editor"
        layer = shared.add_layer("fab-cashmere-knit")
        assert [x.id for x in private.refresh().layers] == [layer.id]
        private.unshare("bob")
        with pytest.raises(NotFound):
            shared.refresh()


def test_bad_token_is_refused(service: ServiceProcess, client_env: Path) -> None:
    with pytest.raises(PermissionDenied):
        fw.connect(service_url=service.url, token="not-a-token-0123456789")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_avatars_and_exports(service: ServiceProcess, client_env: Path, tmp_path: Path) -> None:
    """Avatars fitted by the service, meshes rebuilt here; an export rendered there, downloaded by its link."""
    measurements = {"height": 168, "bust": 88, "waist": 70, "hips": 96}
    with remote(service, "dave") as ws:
        avatar = ws.avatars.create("Ada", measurements=measurements, body_hint="female")
        assert [a.id for a in ws.avatars.list()] == [avatar.id]
        assert ws.avatars.get(avatar.id).measurements == avatar.measurements
        design = ws.designs.create("Dressed", avatar=avatar)
        dress = design.add_layer("sil-aline-dress")
        scene = design.scene()
        assert len(scene.geometry) >= 2  # body + dress, built here from the service's body parameters
        # the studio over the service: its slider saves there, its undo button undoes there
        studio = design.show()
        studio.layers.rows[dress.id].select.click()
        studio.layers.opacity.value = 40
        assert ws.designs.get(design.id).layer(dress.id).opacity == 40
        assert studio.viewport.nodes[f"layer:{dress.id}"].mesh.material.opacity == pytest.approx(0.4, abs=0.003)
        studio.history.undo.click()
        assert ws.designs.get(design.id).layer(dress.id).opacity == 100 == studio.layers.opacity.value
        job = design.export("image", format="png", width=64, height=48, quality="draft").wait(progress=False)
        assert job.status == "completed", job.error
        data = requests.get(job.file_url, timeout=60).content  # signed: no token needed
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) == job.file_size
        assert [j.id for j in design.exports] == [job.id]
    with local(tmp_path / "local", "dave") as ws:
        mine = ws.avatars.create("Ada", measurements=measurements, body_hint="female")
    assert avatar.measurements == pytest.approx(mine.measurements, abs=0.05)
    assert list(client_env.iterdir()) == []
