"""Fabric PBR maps: shapes, ranges, unit normals, flat ``none``, seamless edges, weave-specific traits."""

from __future__ import annotations

import numpy as np
import pytest

from fw_kernel.geometry.texture import weaves_other, weaves_woven
from fw_kernel.geometry.texture.normals import decode_normal, height_to_normal
from fw_kernel.geometry.texture.surface import grid
from fw_kernel.geometry.texture.textures import WEAVES, fabric_maps, hex_to_rgb

SIZE = (64, 96)


@pytest.fixture(scope="module")
def maps() -> dict[str, dict[str, np.ndarray]]:
    return {w: fabric_maps(w, SIZE, "#8a6d4b", roughness=0.6, sheen=0.5, seed=1) for w in WEAVES}


def test_all_weaves_are_listed() -> None:
    assert set(WEAVES) == {"plain", "twill", "satin", "knit", "denim", "leather", "lace", "velvet", "none"}


@pytest.mark.parametrize("weave", WEAVES)
def test_shapes_dtypes_ranges(maps: dict[str, dict[str, np.ndarray]], weave: str) -> None:
    m = maps[weave]
    assert m["albedo"].shape == (*SIZE, 3) and m["normal"].shape == (*SIZE, 3)
    for key in ("roughness", "height", "alpha"):
        assert m[key].shape == SIZE
    for key, value in m.items():
        assert value.dtype == np.float32, key
        assert value.min() >= 0.0 and value.max() <= 1.0, key


@pytest.mark.parametrize("weave", WEAVES)
def test_normals_are_unit_length_and_face_outwards(maps: dict[str, dict[str, np.ndarray]], weave: str) -> None:
    n = decode_normal(maps[weave]["normal"])
    np.testing.assert_allclose(np.linalg.norm(n, axis=-1), 1.0, atol=1e-5)
    assert n[..., 2].min() > 0.0


def test_none_is_flat_and_uniform(maps: dict[str, dict[str, np.ndarray]]) -> None:
    m = maps["none"]
    np.testing.assert_array_equal(m["normal"], np.broadcast_to(np.float32([0.5, 0.5, 1.0]), (*SIZE, 3)))
    np.testing.assert_array_equal(m["roughness"], np.full(SIZE, 0.6, dtype=np.float32))
    np.testing.assert_allclose(m["albedo"], np.broadcast_to(hex_to_rgb("#8a6d4b"), (*SIZE, 3)), atol=1e-6)
    np.testing.assert_array_equal(m["alpha"], 1.0)


@pytest.mark.parametrize("weave", [w for w in WEAVES if w != "none"])
def test_textured_weaves_have_relief(maps: dict[str, dict[str, np.ndarray]], weave: str) -> None:
    m = maps[weave]
    assert m["height"].std() > 0.02
    assert np.abs(decode_normal(m["normal"])[..., :2]).max() > 0.05
    assert abs(float(m["roughness"].mean()) - 0.6) < 0.15


def _seam_ok(img: np.ndarray, axis: int) -> bool:
    """The jump across the wrapped edge is no larger than the largest interior neighbour jump (10 % slack: fine
    grain such as leather makes every column jump about as much)."""
    img = img if img.ndim == 3 else img[..., None]
    diffs = np.abs(np.diff(img, axis=axis)).mean(axis=(1 - axis, 2))
    seam = np.abs(np.take(img, 0, axis=axis) - np.take(img, -1, axis=axis)).mean()
    return bool(seam <= 1.1 * diffs.max() + 1e-6)


@pytest.mark.parametrize("weave", WEAVES)
@pytest.mark.parametrize("key", ["albedo", "height", "normal", "roughness"])
def test_tile_edges_continue(maps: dict[str, dict[str, np.ndarray]], weave: str, key: str) -> None:
    img = maps[weave][key]
    assert _seam_ok(img, 0) and _seam_ok(img, 1)


@pytest.mark.parametrize("weave", WEAVES)
@pytest.mark.parametrize("shift", [(1, 0), (0, 1), (2, -3)])
def test_fields_repeat_exactly_one_tile_away(monkeypatch: pytest.MonkeyPatch, weave: str,
                                             shift: tuple[int, int]) -> None:
    """Evaluated on the pixel grid moved by whole tiles, every field is unchanged: seamless by construction."""
    size = (40, 56)
    here = fabric_maps(weave, size, "#8a6d4b", 0.6, 0.5, seed=3)

    def moved(size: tuple[int, int], cells: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
        x, y = grid(size, cells)
        return x + shift[0] * cells[1], y + shift[1] * cells[0]

    monkeypatch.setattr(weaves_woven, "grid", moved)
    monkeypatch.setattr(weaves_other, "grid", moved)
    there = fabric_maps(weave, size, "#8a6d4b", 0.6, 0.5, seed=3)
    for key in here:
        np.testing.assert_allclose(here[key], there[key], atol=1e-5, err_msg=key)


@pytest.mark.parametrize("weave", ["plain", "twill", "satin", "denim"])
def test_woven_seam_looks_like_any_thread_border(weave: str) -> None:
    """Threads fill the tile exactly: the wrapped edge is a thread border like the others, not a new kind of jump."""
    size = (96, 96)
    h = fabric_maps(weave, size, "#777777", seed=2)["height"].astype(np.float64)
    steps = np.abs(np.diff(np.concatenate([h, h[:, :1]], axis=1), axis=1)).mean(axis=0)  # includes the wrap
    interior, seam = steps[:-1], steps[-1]
    assert seam <= np.sort(interior)[-2] + 1e-9  # not the single largest jump


def test_deterministic_and_seeded() -> None:
    a = fabric_maps("denim", (32, 32), "#2c3e66", 0.9, 0.05, seed=4)
    b = fabric_maps("denim", (32, 32), "#2c3e66", 0.9, 0.05, seed=4)
    c = fabric_maps("denim", (32, 32), "#2c3e66", 0.9, 0.05, seed=5)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["albedo"], c["albedo"])


def test_denim_shows_a_light_weft() -> None:
    albedo = fabric_maps("denim", (64, 64), "#2c3e66")["albedo"]
    blue = hex_to_rgb("#2c3e66")
    assert albedo.mean(axis=(0, 1))[0] > blue[0] * 1.1  # the off-white weft lifts the red channel
    assert (albedo[..., 0] > 0.4).mean() > 0.05


def test_lace_has_holes_and_other_weaves_do_not(maps: dict[str, dict[str, np.ndarray]]) -> None:
    alpha = maps["lace"]["alpha"]
    assert (alpha < 0.05).mean() > 0.1 and (alpha > 0.95).mean() > 0.3
    for weave in WEAVES:
        if weave != "lace":
            np.testing.assert_array_equal(maps[weave]["alpha"], 1.0)


def test_sheen_lowers_satin_roughness() -> None:
    dull = fabric_maps("satin", (48, 48), "#b8394f", roughness=0.5, sheen=0.0)["roughness"]
    shiny = fabric_maps("satin", (48, 48), "#b8394f", roughness=0.5, sheen=1.0)["roughness"]
    assert shiny.mean() < dull.mean() - 0.05


def test_scale_makes_threads_larger() -> None:
    fine = fabric_maps("plain", (80, 80), scale=1.0)["height"]
    coarse = fabric_maps("plain", (80, 80), scale=2.0)["height"]

    def crossings(h: np.ndarray) -> int:
        row = h[10] - h[10].mean()
        return int(np.sum(np.sign(row[1:]) != np.sign(row[:-1])))

    assert crossings(fine) > 1.6 * crossings(coarse)


def test_height_to_normal_slopes() -> None:
    ramp = np.tile(np.linspace(0, 1, 8), (8, 1))  # rises to the right (and wraps back down at the edge)
    n = decode_normal(height_to_normal(ramp, depth_px=1.0))
    assert n[4, 3, 0] < 0 and abs(n[4, 3, 1]) < 1e-6  # faces left
    down = decode_normal(height_to_normal(ramp.T, depth_px=1.0))  # rises towards the bottom of the image
    assert down[3, 4, 1] > 0  # faces up (+Y is the top of the image)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weave": "tweed"}, "tweed.*plain, twill, satin"),
        ({"base_color": "blue"}, "base_color.*#rrggbb"),
        ({"roughness": 1.5}, "roughness.*0 to 1"),
        ({"sheen": -0.1}, "sheen.*0 to 1"),
        ({"size": (64, 0)}, "size"),
        ({"seed": -3}, "seed"),
        ({"scale": 0.0}, "scale"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"weave": "plain", "size": (8, 8)} | kwargs
    with pytest.raises(ValueError, match=message):
        fabric_maps(**args)  # type: ignore[arg-type]
