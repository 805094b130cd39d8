"""The studio's drape control on a real design (embedded default, a fitted avatar) with the test draper
(``tests.support.drapers.SlowDraper``: 10 s of frames, every vertex 5 cm down): the fitted shape shows at once,
the click returns at once, "draping… N %" while the job runs on the worker thread, then the draped mesh is
swapped into the viewport; with auto-drape a silhouette edit shows the new fitted shape and drapes it again."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

import fw_kernel as fw

pytestmark = pytest.mark.slow
DROP = 0.05


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    ws = fw.connect(home=str(tmp_path_factory.mktemp("studio-drape")), user="ada", autosave_thread=False,
                    draper="tests.support.drapers:SlowDraper")
    avatar = ws.avatars.create("Ada", {"height": 168, "bust": 88, "waist": 70, "hips": 96}, body_hint="female")
    yield ws, avatar
    ws.close()


def shown(studio: Any, layer: Any) -> np.ndarray:
    """The garment's vertex positions in the viewport (pythreejs buffer)."""
    return np.asarray(studio.viewport.nodes[f"layer:{layer.id}"].mesh.geometry.attributes["position"].array)


def fitted(design: Any, layer: Any) -> np.ndarray:
    return np.asarray(design.scene().geometry[f"layer:{layer.id}"].vertices, np.float32)


def until(check: Any, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_drape_button_shows_progress_and_swaps_the_draped_mesh_in(world) -> None:
    ws, avatar = world
    design = ws.designs.create("Studio drape", avatar=avatar)
    skirt = design.add_layer("sil-aline-skirt", customization={"length": 0.44})
    studio = design.show()
    control = studio.drape
    before = fitted(design, skirt)
    assert np.allclose(shown(studio, skirt), before)
    assert control.state == "fitted" and "not draped" in control.label.value
    started = time.monotonic()
    control.button.click()
    assert time.monotonic() - started < 2.0                       # queued, not run: the kernel is free
    until(lambda: control.state == "draping" and control.progress > 10)
    assert f"draping… {control.progress} %" in control.label.value or "draping…" in control.label.value
    assert np.allclose(shown(studio, skirt), before)                # the fitted shape until the job ends
    control.wait()
    assert control.state == "draped" and "draped" in control.label.value
    assert np.allclose(shown(studio, skirt), before - [0, DROP, 0], atol=1e-6)
    studio.close()


def test_auto_drape_after_a_silhouette_edit_shows_the_fitted_shape_then_the_draped_one(world) -> None:
    ws, avatar = world
    design = ws.designs.create("Auto drape", avatar=avatar)
    skirt = design.add_layer("sil-aline-skirt", customization={"length": 0.46})
    studio = design.show(auto_drape=True)
    control = studio.drape
    assert control.state in ("queued", "draping")                   # auto-drape started on opening
    control.wait()
    assert control.state == "draped"
    design.update_layer(skirt.id, customization={"length": 0.5})    # a silhouette edit
    longer = fitted(design, skirt)
    assert shown(studio, skirt).shape == longer.shape and np.allclose(shown(studio, skirt), longer)  # at once
    assert control.state in ("queued", "draping")                   # and a new drape on its way
    control.wait()
    assert control.state == "draped"
    assert np.allclose(shown(studio, skirt), longer - [0, DROP, 0], atol=1e-6)
    assert [j.type for j in design.exports] == ["drape", "drape"]
    studio.close()
