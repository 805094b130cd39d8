"""The drape job end to end on the embedded default (SQLite, the in-process worker) with the test draper
(``tests.support.drapers``: no physics, every vertex 5 cm down): the scene draws a finished drape, the same inputs
are reused without a solver call, a fabric change recomputes, exports draw the draped garment, a cancelled drape
stores nothing, and a design without a garment is refused. The body is a real fitted avatar (anny)."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh

import fw_kernel as fw
from fw_kernel.domain.exports import NothingToExport
from tests.support.drapers import FakeDraper

pytestmark = pytest.mark.slow
FAKE, SLOW = "tests.support.drapers:FakeDraper", "tests.support.drapers:SlowDraper"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One home, one fitted avatar (anny is slow cold), workspaces with the fast and the slow test draper."""
    home = tmp_path_factory.mktemp("drape")
    ws = fw.connect(home=str(home), user="ada", autosave_thread=False, draper=FAKE)
    slow = fw.connect(home=str(home), user="ada", autosave_thread=False, draper=SLOW)
    avatar = ws.avatars.create("Ada", {"height": 168, "bust": 88, "waist": 70, "hips": 96}, body_hint="female")
    yield {"ws": ws, "slow": slow, "avatar": avatar, "home": home}
    ws.close()
    slow.close()


def skirt_design(world: Any, name: str, length: float, ws: Any = None) -> tuple[Any, Any]:
    """A design wearing a skirt; each test its own ``length`` (m), so no test finds another's drape."""
    design = (ws or world["ws"]).designs.create(name, avatar=world["avatar"])
    return design, design.add_layer("sil-aline-skirt", customization={"color": "#335577", "length": length})


def garment(scene: Any, layer: Any) -> np.ndarray:
    return np.asarray(scene.geometry[f"layer:{layer.id}"].vertices)


def test_a_finished_drape_is_what_the_scene_draws(world) -> None:
    design, skirt = skirt_design(world, "Drape me", 0.45)
    fitted = design.scene()
    assert fitted.metadata["draped"] == []
    FakeDraper.calls.clear()
    handle = design.drape(quality="draft")
    job = handle.wait(progress=False)
    assert job.status == "completed" and job.progress == 100 and job.file_name == "drape.npz", job.error
    assert len(FakeDraper.calls) == 1
    call = FakeDraper.calls[0]
    assert call["quality"] == "draft" and call["vertices"] == [len(garment(fitted, skirt))]
    assert call["fabrics"][0]["weight_gsm"] == 150                         # no fabric layer: the default cotton
    draped = design.scene()
    assert draped.metadata["draped"] == [skirt.id]
    assert np.allclose(garment(draped, skirt), garment(fitted, skirt) - [0, FakeDraper.DROP, 0], atol=1e-6)
    assert np.allclose(draped.geometry["avatar"].vertices, fitted.geometry["avatar"].vertices)  # the body stays
    with np.load(io.BytesIO(Path(job.path).read_bytes())) as z:            # the job's file: the draped vertices
        assert np.allclose(z["g0"], garment(draped, skirt))
    assert design.version == 2                                             # a drape is no edit


def test_same_inputs_are_reused_and_a_fabric_change_recomputes(world) -> None:
    design, skirt = skirt_design(world, "Reuse", 0.47)
    design.drape(quality="draft").wait(progress=False)
    FakeDraper.calls.clear()
    again = design.drape(quality="draft").wait(progress=False)
    assert again.status == "completed" and FakeDraper.calls == []           # reused: no solver call
    design.update_layer(skirt.id, customization={"color": "#aa2200", "length": 0.47})
    assert design.scene().metadata["draped"] == [skirt.id]                 # a colour does not change the shape
    fork = design.fork("Same inputs, another design")
    assert fork.scene().metadata["draped"] == [fork.layers[0].id]          # a fork draws it at once
    fork.drape(quality="draft").wait(progress=False)
    assert FakeDraper.calls == []
    design.add_layer("fab-denim-indigo")                                   # a heavier fabric on the skirt
    assert design.scene().metadata["draped"] == []                         # the fitted shape until it is draped
    denim = design.drape(quality="draft").wait(progress=False)
    assert denim.status == "completed" and len(FakeDraper.calls) == 1       # recomputed, with denim's physics
    assert FakeDraper.calls[0]["fabrics"][0]["weight_gsm"] == 340
    assert design.scene().metadata["draped"] == [skirt.id]
    design.undo()                                                          # back to the first inputs
    assert design.scene().metadata["draped"] == [skirt.id] and len(FakeDraper.calls) == 1
    design.drape(quality="standard").wait(progress=False)                 # another quality: another drape
    assert len(FakeDraper.calls) == 2 and FakeDraper.calls[1]["quality"] == "standard"


def test_the_glb_export_carries_the_draped_garment(world) -> None:
    design, skirt = skirt_design(world, "Export draped", 0.49)
    fitted = garment(design.scene(), skirt)
    design.drape(quality="draft").wait(progress=False)
    job = design.export("model", format="glb").wait(progress=False)
    assert job.status == "completed", job.error
    glb = trimesh.load(job.path, file_type="glb", force="scene")
    name = next(n for n in glb.geometry if n.startswith(f"layer:{skirt.id}"))
    exported = np.asarray(glb.geometry[name].vertices)
    assert exported.shape == fitted.shape
    assert np.allclose(exported, fitted - [0, FakeDraper.DROP, 0], atol=1e-5)
    assert not np.allclose(exported, fitted, atol=1e-3)


def test_a_cancelled_drape_leaves_the_design_unchanged_and_stores_nothing(world) -> None:
    ws = world["slow"]
    design, _ = skirt_design(world, "Cancel me", 0.51, ws)
    before = design.state
    handle = design.drape(quality="high")
    deadline = time.monotonic() + 120
    while not (handle.status == "processing" and handle.progress > 10):    # the solver is running
        assert time.monotonic() < deadline, handle.job
        time.sleep(0.05)
    job = handle.cancel()
    assert job.cancelled and job.error == "cancelled by ada"
    done = handle.wait(timeout=30, progress=False)
    time.sleep(0.5)                                                        # the worker stops at its next frame
    done = handle.refresh()
    assert done.status == "failed" and done.cancelled and done.file_url is None and done.progress < 100
    assert design.refresh().state == before
    blobs = Path(world["home"]) / "blobs"
    assert not [p for p in (blobs / "exports").rglob("*") if design.id in str(p) and p.is_file()]
    assert design.scene().metadata["draped"] == []
    scenes = ws._services.scenes
    body = ws._services.avatars.of_design(design.state.meta.avatar_id).body
    key = scenes.drapes.key([e for e, _ in scenes.drape_stack(design.state, body)[1]], "high")
    assert ws._services.documents.get_render(f"drape:{key}") is None       # no record
    assert not (blobs / "drape_cache" / f"{key}.npz").exists()             # no blob
    assert handle.cancel().status == "failed"                              # cancelling an ended job: as it was


def test_a_drape_needs_an_avatar_and_a_garment(world) -> None:
    ws = world["ws"]
    bare = ws.designs.create("No garment", avatar=world["avatar"])
    bare.add_layer("fab-denim-indigo")
    with pytest.raises(NothingToExport, match="no visible silhouette"):
        bare.drape()
    nobody = ws.designs.create("No body")
    nobody.add_layer("sil-aline-skirt")
    with pytest.raises(NothingToExport, match="no avatar"):
        nobody.drape()
    with pytest.raises(fw.ValidationError, match="draft, standard, high"):
        nobody.drape(quality="best")
    assert bare.exports == [] and nobody.exports == []                     # refused: no job recorded


def test_the_real_newton_draper_drapes_a_skirt(world) -> None:
    """The shipped draper (``FW_DRAPER`` default, newton's VBD) through the job, the cache and the scene."""
    ws = fw.connect(home=str(world["home"]), user="ada", autosave_thread=False)
    try:
        design, skirt = skirt_design(world, "Newton", 0.53, ws)
        fitted = garment(design.scene(), skirt)
        job = design.drape(quality="draft").wait(timeout=300, progress=False)
        assert job.status == "completed", job.error
        draped = garment(design.scene(), skirt)
        assert draped.shape == fitted.shape and np.isfinite(draped).all()
        assert 0.001 < np.abs(draped - fitted).max() < 0.5                    # it moved, and stayed on the body
    finally:
        ws.close()
