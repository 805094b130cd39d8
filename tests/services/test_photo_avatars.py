"""ws.avatars.from_photos end to end: rendered photos of fitted bodies -> MediaPipe -> measurements -> fit -> store.

The accuracy test photographs three bodies of the validation set (``benchmarks/photo_avatars.py`` runs them
all) and asserts the errors the benchmark measured, with a margin (see ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from fw_kernel import NotFound, ValidationError
from fw_kernel.adapters.photo_studio import PhotoSetup, SyntheticPhotos
from fw_kernel.geometry.body.fit import fit_body
from fw_kernel.geometry.body.sizes import size_measurements

pytestmark = [pytest.mark.slow]

# (body hint, size, seed of the photo setups): a small woman, a medium man, a plus-size woman
BODIES = [("female", "S", 11), ("male", "M", 12), ("female", "XXL", 13)]
# largest mean absolute error (cm) accepted on these three. The calibration over the adult range of the body model
# (issue #17) costs the chart bodies accuracy: on the 16 of the benchmark bust 2.0, waist 1.8, hips 1.2, inseam
# 1.7, arm length 1.3, shoulder width 1.3 cm (before: 1.2, 1.0, 0.7, 0.8, 0.3, 0.6; benchmarks/RESULTS.md), so
# the lengths' limits are 2 cm here, not the 1 cm target they met before. Here: bust 1.55, waist 0.85, hips 1.73,
# inseam 1.43, arm length 1.53, shoulder width 0.67 cm
MAE_LIMIT_CM = {"bust": 2.0, "waist": 2.0, "hips": 2.5, "inseam": 2.0, "arm_length": 2.0, "shoulder_width": 1.0}


@pytest.fixture(scope="module")
def photos() -> SyntheticPhotos:
    return SyntheticPhotos()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.service)], indirect=True)
def test_from_photos_stores_a_fitted_photo_avatar_with_confidences_and_events(connect, photos):
    ws = connect()
    body = fit_body(size_measurements("M", "female"), "female")
    front, side = photos.pair(body, PhotoSetup.random(5), PhotoSetup.random(6))
    events: list[dict] = []
    unsubscribe = ws.avatars.on_event(events.append)
    avatar = ws.avatars.from_photos("Ada", front=front, side=side, height=168, body_hint="female",
                                    corrections={"inseam": 77.0}, progress=False)
    unsubscribe()
    assert avatar.source == "photo"
    assert set(avatar.confidence) == set(avatar.measurements)
    assert all(0.0 <= c <= 1.0 for c in avatar.confidence.values())
    assert avatar.confidence["height"] == 1.0 and avatar.confidence["inseam"] == 1.0  # given, not estimated
    assert avatar.confidence["waist"] < 1.0
    assert abs(avatar.measurements["inseam"] - 77.0) <= 1.0  # the correction was fitted
    assert abs(avatar.measurements["height"] - 168) <= 0.5
    assert avatar.mesh.vertices.shape[1] == 3  # the same body fit as avatars.create
    stored = ws.avatars.get(avatar.id)  # read back from the database
    assert stored.source == "photo" and stored.confidence == avatar.confidence
    kinds = [e["type"] for e in events]
    assert kinds[0] == "processing_started" and kinds[-1] == "processing_complete"
    assert kinds.count("processing_progress") == 6
    progress = [e["progress"] for e in events if e["type"] == "processing_progress"]
    assert progress == sorted(progress)
    assert all(e["avatar_id"] == avatar.id for e in events)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_refused_photo_emits_processing_error_and_stores_nothing(connect, photos):
    ws = connect()
    events: list[dict] = []
    ws.avatars.on_event(events.append)
    blank = np.full((960, 720, 3), 230, np.uint8)
    with pytest.raises(ValidationError, match="no person"):
        ws.avatars.from_photos("Ada", front=blank, side=blank, height=170, progress=False)
    assert events[0]["type"] == "processing_started"
    assert events[-1]["type"] == "processing_error" and "no person" in events[-1]["error"]
    assert ws.avatars.list() == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_accuracy_on_three_bodies(connect, photos):
    ws = connect()
    errors: dict[str, list[float]] = {}
    for hint, size, seed in BODIES:
        body = fit_body(size_measurements(size, hint), hint)
        front, side = photos.pair(body, PhotoSetup.random(seed), PhotoSetup.random(seed + 100))
        got = ws.avatars.measure_photos(front, side, body.measured["height"], hint)["measurements"]
        for key in ("bust" if hint == "female" else "chest", "waist", "hips", "inseam", "arm_length",
                    "shoulder_width"):
            errors.setdefault("bust" if key == "chest" else key, []).append(abs(got[key] - body.measured[key]))
    mae = {k: float(np.mean(v)) for k, v in errors.items()}
    print("MAE (cm):", {k: round(v, 2) for k, v in mae.items()})
    for key, limit in MAE_LIMIT_CM.items():
        assert mae[key] <= limit, mae


def test_the_notebook_runs_headless(tmp_path, monkeypatch):
    """notebooks/04_avatar_from_photos.ipynb top to bottom in a real kernel (sample photos, no uploads)."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("FW_HOME", str(tmp_path / "fw"))
    monkeypatch.setenv("FW_USER", "ada")
    monkeypatch.delenv("FW_DATABASE_URL", raising=False)
    path = Path(__file__).resolve().parents[2] / "notebooks" / "04_avatar_from_photos.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 2  # overlays; photo next to the fitted body
    text = "".join(o.get("text", "") for o in outputs)
    assert "Avatar('Ada (photos)'" in text and "confidence" in text
    table = next(o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
                 and "VBox" in o["data"].get("text/plain", ""))
    assert table  # the editable measurement table


def _with_gps(jpeg: bytes) -> bytes:
    """The photo as a phone writes it: EXIF with GPS coordinates and the camera's name."""
    from PIL import Image

    img = Image.open(io.BytesIO(jpeg))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (48.0, 51.0, 29.0), "E", (2.0, 17.0, 40.0)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif.tobytes(), quality=92)
    assert b"PhoneMaker" in buf.getvalue()
    return buf.getvalue()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_kept_photos_are_stripped_encrypted_owner_only_and_deletable(connect, photos, backend):
    from PIL import Image

    ws = connect(user="ada")
    body = fit_body(size_measurements("M", "female"), "female")
    front, side = photos.pair(body, PhotoSetup.random(21), PhotoSetup.random(22))
    avatar = ws.avatars.from_photos("Ada", front=_with_gps(front), side=_with_gps(side), height=168,
                                    body_hint="female", progress=False, keep_photos=True)
    # the owner reads them back: upright photos without any EXIF
    kept = avatar.photos()
    assert set(kept) == {"front", "side"} and kept["front"].size == Image.open(io.BytesIO(front)).size
    assert not kept["front"].getexif() and "exif" not in kept["front"].info
    # at rest: encrypted blobs, neither a JPEG nor carrying the EXIF text
    vault = ws._services.photo_avatars.vault
    for kind in ("front", "side"):
        url = vault.stored_path(avatar.id, kind)
        raw = Path(url[len("file://"):]).read_bytes()
        assert raw[:4] == b"FWP1" and b"\xff\xd8\xff" not in raw[:64] and b"PhoneMaker" not in raw
        with pytest.raises(Exception):  # noqa: B017 - any decoder error: it is not an image
            Image.open(io.BytesIO(raw)).load()
    # the key lives outside the database, in FW_HOME with owner-only permissions
    key_file = Path(ws.settings.home) / "photo.key"
    assert key_file.stat().st_mode & 0o077 == 0
    # only the owner: another user neither reads nor deletes them (nor learns the avatar exists)
    bob = connect(user="bob")
    service = bob._services.photo_avatars
    with pytest.raises(NotFound):
        service.photos("bob", avatar.id)
    with pytest.raises(NotFound):
        service.delete_photos("bob", avatar.id)
    assert set(avatar.photos()) == {"front", "side"}
    # the owner deletes them: gone from the store, the avatar stays
    assert avatar.delete_photos() == 2
    assert not Path(vault.stored_path(avatar.id, "front")[len("file://"):]).exists()
    with pytest.raises(NotFound, match="no stored photos"):
        avatar.photos()
    assert ws.avatars.get(avatar.id).source == "photo"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_photos_are_not_kept_unless_asked(connect, photos):
    ws = connect()
    body = fit_body(size_measurements("S", "female"), "female")
    front, side = photos.pair(body, PhotoSetup(background="gradient"), PhotoSetup())
    avatar = ws.avatars.from_photos("Ada", front=front, side=side, height=166, progress=False)
    with pytest.raises(NotFound):
        avatar.photos()
    assert not list(Path(ws.settings.resolved_storage_url[len("file://"):]).rglob("*.enc"))


def _framed(photos: SyntheticPhotos, body, setup: PhotoSetup, offset_m: float) -> bytes:
    """A front photo with the body ``offset_m`` off the image's centre (towards the image's right)."""
    from fw_kernel.adapters.photo_studio import jpeg_bytes, pose_arms

    verts = pose_arms(body.vertices, body.landmarks, photos._arms, setup.arm_spread_deg)
    return jpeg_bytes(photos.studio.photo([(verts, body.faces)], setup, "front", offsets_m=[offset_m]))


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_hand_cut_off_is_measured_and_cut_off_hips_are_refused_naming_the_hips(connect, photos):
    """Framing (issue #17): a hand past the photo's edge does not stop the measurements (the torso and the legs
    are whole; the arm's length is flagged for a tape), hips past the edge are refused, naming the hips."""
    from fw_kernel.geometry.photo import measure as pm

    ws = connect()
    body = fit_body(size_measurements("M", "female"), "female")
    setup = PhotoSetup.random(5, background="plain", distance_m=3.0, turn_deg=0.0, arm_spread_deg=6.0)
    side = photos.photo(body, PhotoSetup.random(6, background="plain"), "side")
    hand_out = _framed(photos, body, setup, 0.42)
    image = ws._services.photo_avatars.decode(hand_out, "front")
    det = ws._services.photo_avatars.detector.detect(image)
    assert (det.mask[:, -2:] > 0.5).any()  # the hand reaches the edge: refused before issue #17
    got = ws.avatars.measure_photos(hand_out, side, body.measured["height"], "female")
    assert abs(got["measurements"]["waist"] - body.measured["waist"]) < 6.0
    assert got["confidence"]["arm_length"] <= 0.2 and "arm_length" in got["check_with_tape"]
    with pytest.raises(ValidationError, match="hips") as err:
        ws.avatars.measure_photos(_framed(photos, body, setup, 0.74), side, body.measured["height"], "female")
    assert "cut off at the side" in str(err.value) and err.value.field == "front"
    assert pm.CHECK_BELOW == 0.5


def test_held_out_bodies_render_to_the_committed_features(tmp_path):
    """The first held-out bodies of issue #17, rendered and detected again from their seeds
    (``benchmarks/photo_bodies.py``), give the estimates of the committed held-out features
    (``tests/geometry/data/photo_heldout.json.gz``, what the held-out tables are computed from) within 0.5 cm."""
    import gzip
    import json
    import sys

    root = Path(__file__).resolve().parents[2]
    sys.path.insert(0, str(root))
    from benchmarks import photo_bodies
    from fw_kernel.geometry.photo import measure as pm

    with gzip.open(root / "tests" / "geometry" / "data" / "photo_heldout.json.gz", "rt") as fh:
        committed = {b["i"]: b for b in json.load(fh)["bodies"]}
    cal = pm.load_calibration()
    photo_bodies.collect("heldout", 3, log=lambda *a, **k: None, root=tmp_path)
    rows, _ = photo_bodies.feature_rows("heldout", cal["levels"], root=tmp_path)
    assert [r["i"] for r in rows] == [0, 1, 2]
    for r in rows:
        est = pm.estimate(*r["views"], cal, r["hint"])
        body = committed[r["i"]]
        for key in ("bust" if r["hint"] == "female" else "chest", "waist", "hips"):
            model = cal["models"][key]
            then = float(pm.design_row(key, body["features"], model["design"]) @ np.asarray(model["coef"]))
            assert est.values[key] == pytest.approx(then, abs=0.5), (r["i"], key)
        assert r["truth"]["waist"] == pytest.approx(body["truth"]["waist"], abs=0.01)
