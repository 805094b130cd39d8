"""Image exports through the job queue: real offscreen renders (EGL), checked by their pixels."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import fw_kernel as fw

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]
BACKGROUND = np.array([0xF4, 0xF4, 0xF6])


@pytest.fixture
def dressed(connect):
    ws = connect()
    avatar = ws.avatars.create("Ada", {"height": 168, "bust": 88, "waist": 70, "hips": 96}, body_hint="female")
    design = ws.designs.create("Look", avatar=avatar)
    dress = design.add_layer("sil-aline-dress", customization={"color": "#1f2a44"})
    design.add_layer("acc-leather-belt")
    return ws, design, dress


def _image(job) -> np.ndarray:
    assert job.status == "completed", job.error
    return np.asarray(Image.open(io.BytesIO(Path(job.file_url[len("file://"):]).read_bytes())))


def test_png_shows_the_design_on_the_canvas_background(dressed) -> None:
    _, design, _ = dressed
    job = design.export("image", format="png", width=320, height=480, view="front").wait(progress=False)
    image = _image(job)
    assert image.shape[:2] == (480, 320) and job.file_size == len(Path(job.path).read_bytes())
    assert np.abs(image[5, 5, :3].astype(int) - BACKGROUND).max() <= 2            # corner: canvas background
    dress = image[300, 160, :3].astype(int)                                      # the skirt, centre of frame
    assert dress.sum() < 250 and np.abs(dress - BACKGROUND).max() > 100           # dark navy, not background
    assert job.expires_at is not None and job.progress == 100


def test_views_formats_and_transparency(dressed) -> None:
    _, design, _ = dressed
    front = _image(design.export("image", width=160, height=240, view="front", quality="draft").wait(progress=False))
    back = _image(design.export("image", width=160, height=240, view="back", quality="draft").wait(progress=False))
    assert np.abs(front.astype(int) - back.astype(int)).mean() > 1                 # the camera turned
    jpeg = _image(design.export("image", format="jpeg", width=160, height=240).wait(progress=False))
    webp = _image(design.export("image", format="webp", width=160, height=240).wait(progress=False))
    assert jpeg.shape == (240, 160, 3) and webp.shape[:2] == (240, 160)
    clear = _image(design.export("image", width=160, height=240, background="transparent").wait(progress=False))
    assert clear.shape[2] == 4 and clear[2, 2, 3] == 0 and clear[150, 80, 3] == 255


def test_export_keeps_the_state_of_the_request_and_the_cache_serves_repeats(dressed) -> None:
    _, design, dress = dressed
    handle = design.export("image", width=160, height=240, quality="draft")
    design.update_layer(dress.id, is_visible=False)                                # after the request
    first = _image(handle.wait(progress=False))
    assert first[150, 80, :3].astype(int).sum() < 250                              # the dress is still there
    design.update_layer(dress.id, is_visible=True)
    again = design.export("image", width=160, height=240, quality="draft").wait(progress=False)
    assert np.array_equal(_image(again), first) and again.file_url != handle.job.file_url


def test_avatar_only_design_exports(connect) -> None:
    ws = connect()
    avatar = ws.avatars.create("Bo", {"height": 180, "chest": 100, "waist": 86}, body_hint="male")
    empty = ws.designs.create("Just the body", avatar=avatar)
    image = _image(empty.export("image", width=120, height=200, quality="draft").wait(progress=False))
    assert np.abs(image[100, 60, :3].astype(int) - BACKGROUND).max() > 20          # the body is drawn


@pytest.mark.parametrize("kind, options, field", [
    ("gif", {}, "type"), ("video", {}, "type"), ("image", {"format": "bmp"}, "format"),
    ("image", {"width": 0}, "width"), ("image", {"height": 100_000}, "height"), ("image", {"view": "top"}, "view"),
    ("image", {"fps": 30}, "fps"), ("image", {"format": "jpeg", "background": "transparent"}, "background"),
])
def test_bad_requests_are_refused_and_nothing_is_queued(dressed, kind, options, field) -> None:
    _, design, _ = dressed
    with pytest.raises(fw.ValidationError) as err:
        design.export(kind, **options)
    assert err.value.field == field and "allowed" in str(err.value)
    assert design.exports == []


def test_a_design_the_user_cannot_read_is_not_exported(dressed, connect) -> None:
    _, design, _ = dressed
    stranger = connect(user="stranger")
    with pytest.raises(fw.NotFound):
        stranger._services.exports.request("stranger", design.id, "image", {})
    assert design.exports == []
