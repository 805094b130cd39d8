"""Avatars from photos refuse bad photos with a ValidationError saying what to retake, and store nothing.

Photos are rendered by the project (a fitted body, pyrender/EGL) and edited with PIL; nothing is downloaded.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from fw_kernel import ValidationError
from fw_kernel.adapters.photo_studio import PhotoSetup, SyntheticPhotos, jpeg_bytes
from fw_kernel.geometry.body.fit import fit_body
from fw_kernel.geometry.body.sizes import size_measurements

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]

SETUP = PhotoSetup(background="gradient", background_seed=3, background_color=(200, 205, 215))


@pytest.fixture(scope="module")
def shots() -> dict[str, object]:
    body = fit_body(size_measurements("M", "female"), "female")
    photos = SyntheticPhotos()
    front = photos.image(body, SETUP, "front")
    side = photos.image(body, SETUP, "side")
    arms_down = photos.image(body, PhotoSetup(arm_spread_deg=-38.0), "front")
    two = photos.studio.photo([(body.vertices, body.faces)] * 2, PhotoSetup(distance_m=4.2), "front",
                              offsets_m=[-0.55, 0.55])
    return {"body": body, "front": front, "side": side, "arms_down": arms_down, "two": two, "photos": photos}


def _refused(ws, match: str, **kwargs) -> ValidationError:
    args = {"front": None, "side": None, "height": 168, "progress": False, **kwargs}
    with pytest.raises(ValidationError, match=match) as err:
        ws.avatars.from_photos("Ada", **args)
    assert ws.avatars.list() == []  # nothing half-made is stored
    return err.value


def test_good_photos_make_an_avatar(connect, shots):
    ws = connect()
    avatar = ws.avatars.from_photos("Ada", front=jpeg_bytes(shots["front"]), side=jpeg_bytes(shots["side"]),
                                    height=168, body_hint="female", progress=False)
    assert avatar.source == "photo" and len(ws.avatars.list()) == 1
    assert abs(avatar.measurements["height"] - 168) <= 0.5


def test_no_person(connect, shots):
    empty = np.full((960, 720, 3), (200, 205, 215), np.uint8)
    err = _refused(connect(), "no person", front=empty, side=shots["side"])
    assert err.field == "front" and "whole body" in str(err)


def test_two_people(connect, shots):
    err = _refused(connect(), "2 people", front=shots["two"], side=shots["side"])
    assert "only the person" in str(err)


@pytest.mark.parametrize(("crop", "what"), [((0, 260, 720, 960), "head"), ((0, 0, 720, 560), "feet")])
def test_person_cut_off(connect, shots, crop, what):
    cut = np.ascontiguousarray(shots["front"][crop[1]:crop[3], crop[0]:crop[2]])
    err = _refused(connect(), what, front=cut, side=shots["side"])
    assert "whole body in the frame" in str(err)


def test_front_and_side_swapped(connect, shots):
    err = _refused(connect(), "swapped", front=shots["side"], side=shots["front"])
    assert "front=" in str(err)


def test_both_photos_from_the_front(connect, shots):
    _refused(connect(), "side photo: the person faces the camera", front=shots["front"], side=shots["front"])


def test_arms_down_against_the_body(connect, shots):
    err = _refused(connect(), "arms are held against the body", front=shots["arms_down"], side=shots["side"])
    assert "45 degrees" in str(err)


def test_not_an_image(connect, shots):
    err = _refused(connect(), "not an image file", front=b"%PDF-1.4 this is not a photo", side=shots["side"])
    assert err.field == "front"


def test_fifty_megabytes(connect, shots):
    _refused(connect(), "too large", front=b"\xff\xd8\xff\xe0" + bytes(50 * 1024 * 1024), side=shots["side"])


def test_forty_thousand_pixels(connect, shots):
    buf = io.BytesIO()
    Image.new("L", (40000, 200)).save(buf, format="PNG")  # small file, huge image: refused before decoding
    _refused(connect(), "40000 x 200 pixels", front=buf.getvalue(), side=shots["side"])


def test_sixty_four_pixels(connect, shots):
    tiny = Image.fromarray(shots["front"]).resize((48, 64))
    _refused(connect(), "too small", front=tiny, side=shots["side"])


def test_missing_file_and_wrong_types(connect, shots, tmp_path):
    ws = connect()
    _refused(ws, "no such file", front=str(tmp_path / "nope.jpg"), side=shots["side"])
    _refused(ws, "front", front=12345, side=shots["side"])
    _refused(ws, "height", front=shots["front"], side=shots["side"], height=1.68)


@pytest.mark.parametrize("mode", ["L", "RGBA", "CMYK", "P"])
def test_colour_modes_are_handled(connect, shots, mode):
    ws = connect()
    img = Image.fromarray(shots["front"]).convert(mode)
    buf = io.BytesIO()
    img.save(buf, format="JPEG" if mode in ("L", "CMYK") else "PNG")
    avatar = ws.avatars.from_photos("Ada", front=buf.getvalue(), side=Image.fromarray(shots["side"]).convert(mode),
                                    height=168, body_hint="female", progress=False)
    assert avatar.source == "photo" and set(avatar.confidence) >= {"waist", "hips"}


def test_exif_rotation_is_honoured(connect, shots):
    """A phone stores the sensor's landscape pixels and an EXIF orientation tag (6: turn 90 degrees clockwise)."""
    ws = connect()
    stored = Image.fromarray(shots["front"]).transpose(Image.Transpose.ROTATE_90)  # what the sensor wrote
    exif = Image.Exif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    stored.save(buf, format="JPEG", exif=exif.tobytes(), quality=92)
    assert Image.open(io.BytesIO(buf.getvalue())).size == (960, 720)  # landscape as stored
    upright = ws.avatars.measure_photos(buf.getvalue(), shots["side"], 168)
    plain = ws.avatars.measure_photos(jpeg_bytes(shots["front"]), shots["side"], 168)
    assert upright["front"]["image"].shape == (960, 720, 3)
    for key in ("waist", "hips", "bust"):
        assert abs(upright["measurements"][key] - plain["measurements"][key]) < 2.0  # JPEG blocks differ
    # without the tag the person lies on their side: refused, not measured wrongly
    sideways = io.BytesIO()
    stored.save(sideways, format="JPEG", quality=92)
    with pytest.raises(ValidationError):
        ws.avatars.measure_photos(sideways.getvalue(), shots["side"], 168)
