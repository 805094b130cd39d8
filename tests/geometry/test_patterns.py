"""Procedural print patterns: shape, range, determinism, seamless tiling, colours, scale and rotation."""

from __future__ import annotations

import numpy as np
import pytest

from fw_kernel.geometry.texture.lattice import to_pattern
from fw_kernel.geometry.texture.pattern_common import PatternContext
from fw_kernel.geometry.texture.textures import _KINDS, PATTERN_KINDS, pattern_image, pattern_lattice

SIZE = (64, 64)
RANDOM_KINDS = ("floral", "paisley", "camo")
TEST_COLOURS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231"]
# colours each kind draws (stripes/chevron use every colour given; 2 makes a classic two-colour print)
USED = {"stripes": 2, "gingham": 2, "polka_dot": 2, "houndstooth": 2, "tartan": 4, "herringbone": 2,
        "floral": 4, "chevron": 2, "paisley": 4, "camo": 4}


def test_all_kinds_are_listed() -> None:
    assert set(PATTERN_KINDS) == {"stripes", "gingham", "polka_dot", "houndstooth", "tartan", "herringbone",
                                  "floral", "chevron", "paisley", "camo"}


@pytest.mark.parametrize("kind", PATTERN_KINDS)
def test_shape_dtype_range(kind: str) -> None:
    img = pattern_image(kind, (48, 80))
    assert img.shape == (48, 80, 3) and img.dtype == np.float32
    assert img.min() >= 0.0 and img.max() <= 1.0
    assert img.std() > 0.05  # not blank


@pytest.mark.parametrize("kind", PATTERN_KINDS)
def test_deterministic_for_a_seed(kind: str) -> None:
    a = pattern_image(kind, SIZE, seed=7, rotation_deg=20)
    b = pattern_image(kind, SIZE, seed=7, rotation_deg=20)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", RANDOM_KINDS)
def test_seed_changes_the_random_kinds(kind: str) -> None:
    assert not np.array_equal(pattern_image(kind, SIZE, seed=1), pattern_image(kind, SIZE, seed=2))


@pytest.mark.parametrize("kind", PATTERN_KINDS)
@pytest.mark.parametrize(("scale", "rotation"), [(1.0, 0.0), (0.7, 30.0), (1.3, -117.0)])
def test_shader_repeats_exactly_one_tile_away(kind: str, scale: float, rotation: float) -> None:
    """The continuous pattern takes the same value at (u, v), (u + 1, v) and (u, v + 1): seamless by construction."""
    shader = _KINDS[kind][0]
    lattice = pattern_lattice(kind, (96, 128), scale, rotation)
    from fw_kernel.geometry.texture.color import palette
    from fw_kernel.geometry.texture.textures import DEFAULT_COLORS

    ctx = PatternContext(palette(None, DEFAULT_COLORS[kind]), lattice.matrix, 3, {})
    rng = np.random.default_rng(0)
    u, v = rng.random(3000), rng.random(3000)
    here = shader(*to_pattern(u, v, lattice.matrix), ctx)
    for du, dv in ((1, 0), (0, 1), (-1, 2)):
        there = shader(*to_pattern(u + du, v + dv, lattice.matrix), ctx)
        mismatched = np.any(np.abs(here - there) > 1e-6, axis=-1).mean()
        assert mismatched < 0.002, (du, dv, mismatched)  # rounding on exact cell borders only


def _seam_ok(img: np.ndarray, axis: int) -> bool:
    """The jump across the wrapped edge is no larger than the largest jump between interior neighbours."""
    diffs = np.abs(np.diff(img, axis=axis)).mean(axis=(1 - axis, 2))
    first = np.take(img, 0, axis=axis)
    last = np.take(img, -1, axis=axis)
    seam = np.abs(first - last).mean()
    return bool(seam <= diffs.max() + 1e-6)


@pytest.mark.parametrize("kind", PATTERN_KINDS)
@pytest.mark.parametrize("rotation", [0.0, 37.0])
def test_tile_edges_continue(kind: str, rotation: float) -> None:
    img = pattern_image(kind, (64, 96), rotation_deg=rotation, seed=5)
    assert _seam_ok(img, axis=0) and _seam_ok(img, axis=1)


@pytest.mark.parametrize("kind", ["stripes", "gingham", "polka_dot", "houndstooth", "tartan", "herringbone",
                                  "chevron"])
def test_rolling_by_one_period_across_the_seam_gives_the_same_tile(kind: str) -> None:
    img = pattern_image(kind, (120, 120), samples=1)
    period = round(pattern_lattice(kind, (120, 120)).period_px[1])
    assert 120 % period == 0
    for axis in (0, 1):
        rolled = np.roll(img, period, axis=axis)
        # a seam would differ along a whole edge row or column; pixel centres landing exactly on a band edge may
        # round either way, which flips a few scattered pixels
        differs = np.any(np.abs(rolled - img) > 1e-5, axis=-1)
        assert differs.mean() < 0.02
        assert differs.mean(axis=1 - axis).max() < 0.3


@pytest.mark.parametrize("kind", PATTERN_KINDS)
def test_every_given_colour_appears(kind: str) -> None:
    colours = TEST_COLOURS[: USED[kind]]
    img = pattern_image(kind, (128, 128), colors=colours, samples=1).reshape(-1, 3)
    from fw_kernel.geometry.texture.textures import hex_to_rgb

    for colour in colours:
        close = np.all(np.abs(img - hex_to_rgb(colour)) < 0.02, axis=1).mean()
        assert close > 0.003, (kind, colour, close)


def test_more_stripe_colours_make_more_bands() -> None:
    img = pattern_image("stripes", (64, 64), colors=["#ff0000", "#00ff00", "#0000ff"], samples=1)
    assert {tuple(p) for p in np.round(img[:, 0], 3)} == {(1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)}


def _transitions(line: np.ndarray) -> int:
    return int(np.sum(np.any(np.abs(np.diff(line, axis=0)) > 0.2, axis=1)))


@pytest.mark.parametrize("kind", ["stripes", "gingham", "chevron", "herringbone"])
def test_scale_changes_the_period(kind: str) -> None:
    small = pattern_image(kind, (128, 128), scale=1.0, samples=1)
    large = pattern_image(kind, (128, 128), scale=2.0, samples=1)
    assert pattern_lattice(kind, (128, 128), 2.0).period_px[1] == pytest.approx(
        2 * pattern_lattice(kind, (128, 128), 1.0).period_px[1], rel=0.15)
    assert _transitions(small[:, 5]) == pytest.approx(2 * _transitions(large[:, 5]), rel=0.2)


def test_stripes_stripe_ratio_option() -> None:
    thin = pattern_image("stripes", (160, 160), samples=1, options={"stripe_ratio": 0.2})
    wide = pattern_image("stripes", (160, 160), samples=1, options={"stripe_ratio": 0.8})
    navy = np.array([0x1B, 0x2A, 0x4A]) / 255
    share = [np.all(np.abs(img - navy) < 0.01, axis=-1).mean() for img in (thin, wide)]
    assert share == pytest.approx([0.2, 0.8], abs=0.01)


def test_polka_dot_staggered_option() -> None:
    grid = pattern_image("polka_dot", (64, 64), options={"staggered": False})
    staggered = pattern_image("polka_dot", (64, 64), options={"staggered": True})
    assert not np.array_equal(grid, staggered)


def test_rotation_90_turns_horizontal_stripes_vertical() -> None:
    flat = pattern_image("stripes", (64, 64), samples=1)
    turned = pattern_image("stripes", (64, 64), rotation_deg=90, samples=1)
    assert np.ptp(flat, axis=1).max() == 0 and np.ptp(flat, axis=0).max() > 0.5  # rows are constant
    assert np.ptp(turned, axis=0).max() == 0 and np.ptp(turned, axis=1).max() > 0.5  # columns are constant


@pytest.mark.parametrize("angle", [10.0, 30.0, 45.0, -60.0, 135.0])
def test_rotation_snaps_close_to_the_request(angle: float) -> None:
    lattice = pattern_lattice("stripes", (256, 256), 1.0, angle)
    delta = (lattice.rotation_deg - angle + 180) % 360 - 180
    assert abs(delta) < 4.0
    assert lattice.period_px[1] == pytest.approx(32, rel=0.1)
    assert lattice.matrix.dtype == np.int64 and round(np.linalg.det(lattice.matrix)) != 0


def test_huge_scale_still_gives_a_whole_repeat() -> None:
    img = pattern_image("gingham", (16, 16), scale=20)
    assert img.shape == (16, 16, 3)
    assert round(abs(np.linalg.det(pattern_lattice("gingham", (16, 16), 20).matrix))) >= 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "argyle"}, "argyle.*stripes, gingham"),
        ({"size": (0, 10)}, "size.*1 to 8192"),
        ({"size": (10,)}, "size"),
        ({"size": (10.5, 10)}, "size"),
        ({"scale": 0}, "scale.*0.05 to 20"),
        ({"scale": float("inf")}, "scale"),
        ({"rotation_deg": "45"}, "rotation_deg"),
        ({"seed": -1}, "seed.*>= 0"),
        ({"seed": 1.5}, "seed"),
        ({"colors": ["#12"]}, r"colors\[0\]"),
        ({"options": {"stripe_ratio": 2}}, "stripe_ratio.*0.05..0.95"),
        ({"options": {"width": 2}}, "unknown option.*stripe_ratio"),
        ({"samples": 9}, "samples.*1 to 4"),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"kind": "stripes", "size": (8, 8)} | kwargs
    with pytest.raises(ValueError, match=message):
        pattern_image(**args)  # type: ignore[arg-type]
