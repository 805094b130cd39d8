"""Image exports through the job queue: real offscreen renders (EGL), checked by their pixels."""

from __future__ import annotations

import io
import zipfile
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
    ("gif", {}, "type"), ("techpak", {}, "type"), ("image", {"format": "bmp"}, "format"),
    ("image", {"width": 0}, "width"), ("image", {"height": 100_000}, "height"), ("image", {"view": "top"}, "view"),
    ("image", {"fps": 30}, "fps"), ("image", {"format": "jpeg", "background": "transparent"}, "background"),
    ("video", {"fps": 0}, "fps"), ("video", {"duration": 3600}, "duration"), ("video", {"format": "avi"}, "format"),
    ("video", {"width": 100_000}, "width"), ("video", {"background": "transparent"}, "background"),
    ("model", {"format": "fbx"}, "format"), ("model", {"width": 100}, "width"),
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


def _video_frames(path: str) -> list[np.ndarray]:
    import av

    with av.open(path) as container:
        stream = container.streams.video[0]
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]


def test_turntable_mp4_decodes_to_duration_times_fps_frames_that_turn(dressed) -> None:
    _, design, _ = dressed
    job = design.export("video", format="mp4", width=160, height=240, fps=12, duration=1.0).wait(progress=False)
    assert job.status == "completed", job.error
    data = Path(job.path).read_bytes()
    assert job.file_name.endswith(".mp4") and job.file_size == len(data)
    moov, mdat = data.find(b"moov"), data.find(b"mdat")
    assert 0 < moov < mdat                                                        # faststart: index first
    frames = _video_frames(job.path)
    assert len(frames) == 12 and frames[0].shape == (240, 160, 3)
    import av

    with av.open(job.path) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
    quarter = frames[3]                                                           # 90 degrees on
    assert np.abs(frames[0].astype(int) - quarter.astype(int)).mean() > 1          # the camera turned
    def change(a: int, b: int) -> float:
        return float(np.abs(frames[a].astype(int) - frames[b].astype(int)).mean())

    assert change(0, 11) < change(0, 3) and change(0, 1) < change(0, 3)        # 30 deg off is nearer than 90
    assert np.abs(frames[0][5, 5].astype(int) - BACKGROUND).max() <= 6             # canvas background (lossy)


@pytest.mark.parametrize("fmt, codec", [("webm", "vp9"), ("gif", "gif")])
def test_webm_and_gif_turntables(dressed, fmt: str, codec: str) -> None:
    _, design, _ = dressed
    job = design.export("video", format=fmt, width=96, height=128, fps=6, duration=1.0, quality="draft").wait(
        progress=False)
    assert job.status == "completed", job.error
    import av

    with av.open(job.path) as container:
        assert container.streams.video[0].codec_context.name == codec
    frames = _video_frames(job.path)
    assert len(frames) == 6 and frames[0].shape == (128, 96, 3)


def test_odd_video_sizes_round_down_to_even(dressed) -> None:
    _, design, _ = dressed
    job = design.export("video", width=97, height=129, fps=2, duration=1.0, quality="draft").wait(progress=False)
    assert job.options["width"] == 96 and job.options["height"] == 128
    assert _video_frames(job.path)[0].shape == (128, 96, 3)


def test_glb_and_obj_models_load_back_with_their_materials(dressed) -> None:
    import trimesh

    _, design, _ = dressed
    glb = design.export("model", format="glb").wait(progress=False)
    assert glb.status == "completed", glb.error
    assert glb.file_name.endswith(".glb")
    scene = trimesh.load(glb.path, force="scene")
    expected = design.scene()
    assert len(scene.geometry) == len(expected.geometry)
    assert abs(scene.bounds[1][1] - expected.bounds[1][1]) < 1e-3                  # same height, metres
    assert any(getattr(g.visual, "material", None) is not None for g in scene.geometry.values())
    obj = design.export("model", format="obj").wait(progress=False)
    assert obj.status == "completed", obj.error
    with zipfile.ZipFile(obj.path) as archive:
        names = archive.namelist()
        assert "design.obj" in names and "material.mtl" in names
        assert any(n.endswith(".png") for n in names)                              # the fabric textures
        folder = Path(obj.path).parent / "unzipped"
        archive.extractall(folder)
    loaded = trimesh.load(folder / "design.obj", force="scene")
    assert abs(loaded.bounds[1][1] - expected.bounds[1][1]) < 1e-3


def test_techpack_pdf_states_the_design_and_its_pages_show_the_renders(dressed, tmp_path) -> None:
    import subprocess

    from pypdf import PdfReader

    ws, design, dress = dressed
    design.update_layer(dress.id, notes="lined bodice, invisible zip at the back")
    design.add_layer("ele-shirt-button", customization={"count": 5, "target": dress.id})
    design.checkpoint("ready for sampling")
    job = design.export("techpack").wait(progress=False)
    assert job.status == "completed", job.error
    assert job.file_name.endswith(".pdf") and Path(job.path).read_bytes()[:5] == b"%PDF-"
    reader = PdfReader(job.path)
    text = "\n".join(page.extract_text() for page in reader.pages)
    for layer in design.layers:                                                  # the BOM and layer list
        assert ws.catalog.get(layer.catalog_item_id).name in text, layer.catalog_item_id
    assert "Look" in text and "checkpoint v1" in text and "ready for sampling" in text
    assert "lined bodice, invisible zip at the back" in text and "#1f2a44" in text
    waist = ws.avatars.get(design._state.meta.avatar_id).measurements["waist"]
    assert f"{waist:.1f}" in text                                                   # the fit model's POM
    assert "Waist girth" in text and "Tolerance" in text
    subprocess.run(["pdftoppm", "-r", "40", "-png", job.path, str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(reader.pages) >= 4
    cover = np.asarray(Image.open(pages[0]).convert("RGB")).astype(int)
    right = cover[:, cover.shape[1] // 2:]                                        # the hero render
    assert (np.abs(right - 255).sum(axis=2) > 60).mean() > 0.05
    navy = (np.abs(right - np.array([0x1F, 0x2A, 0x44])).max(axis=2) < 40).mean()
    assert navy > 0.005                                                             # the dress's colour is in it
    views = np.asarray(Image.open(pages[1]).convert("L")).astype(int)
    assert (views < 200).mean() > 0.03                                             # four views drawn


def test_canvas_shadows_and_antialiasing_reach_the_renderer(dressed) -> None:
    from fw_kernel.adapters.render_pyrender import PyrenderRenderer

    _, design, _ = dressed
    renderer = PyrenderRenderer()

    def shot() -> np.ndarray:
        return renderer.render(design.scene(), 120, 160, 35.0, None, 2)[..., :3].astype(int)

    shadowed = shot()
    design.update_canvas(shadows=False)
    plain = shot()
    darker = (plain.sum(axis=2) - shadowed.sum(axis=2)) > 30                       # shadowed pixels only darken
    assert darker.sum() > 20 and ((shadowed.sum(axis=2) - plain.sum(axis=2)) > 30).sum() < darker.sum() / 4
    design.update_canvas(antialiasing=False)
    hard = shot()

    def edge_shades(image: np.ndarray) -> int:                                       # blended edge pixels
        return len({tuple(px) for px in image.reshape(-1, 3)})

    assert edge_shades(hard) < edge_shades(plain)


def test_wait_shows_a_terminal_progress_bar(dressed, capsys) -> None:
    _, design, _ = dressed
    job = design.export("model", format="glb").wait()
    err = capsys.readouterr().err
    assert job.status == "completed" and "model export" in err and "100%" in err


def test_an_empty_design_renders_its_canvas_and_refuses_an_empty_model(connect) -> None:
    ws = connect()
    empty = ws.designs.create("Nothing yet")                                       # no avatar, no layers
    image = _image(empty.export("image", width=64, height=96, quality="draft").wait(progress=False))
    assert np.abs(image[..., :3].astype(int) - BACKGROUND).max() <= 2                # all canvas, shadows on
    model = empty.export("model").wait(progress=False)
    assert model.status == "failed" and "no avatar and no visible layer" in model.error
    # a queue that retries (RQ) gets no exception to retry on: the same request would fail the same way
    exports = ws._services.exports
    exports.run_stored(model.id, attempt=0, retries_left=2)
    assert exports.get(model.id).status == "failed"
