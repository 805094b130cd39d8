"""Photo measurements on synthetic masks (numpy only, no detector): scale, sub-pixel widths, ellipse model,
calibration fit, and the checks that say what to retake."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from fw_kernel.geometry.photo import measure as pm

H, W = 900, 600


def _landmarks(cx: float = 300.0, top: float = 100.0, bottom: float = 800.0, spread: float = 60.0) -> np.ndarray:
    """Plausible front-view landmarks of a person from ``top`` to ``bottom`` rows centred on ``cx``."""
    lm = np.zeros((33, 3))
    lm[:, 2] = 0.99
    tall = bottom - top
    at = {"nose": (0, 0.06), "left_ear": (12, 0.06), "right_ear": (-12, 0.06), "left_shoulder": (spread, 0.18),
          "right_shoulder": (-spread, 0.18), "left_elbow": (spread + 60, 0.38), "right_elbow": (-spread - 60, 0.38),
          "left_wrist": (spread + 110, 0.52), "right_wrist": (-spread - 110, 0.52), "left_hip": (40, 0.52),
          "right_hip": (-40, 0.52), "left_knee": (45, 0.73), "right_knee": (-45, 0.73), "left_ankle": (45, 0.95),
          "right_ankle": (-45, 0.95), "left_heel": (45, 0.98), "right_heel": (-45, 0.98)}
    for name, (dx, fy) in at.items():
        lm[pm.LM[name], :2] = (cx + dx, top + fy * tall)
    for i, (wrist, dx) in enumerate(((15, 1), (16, -1))):  # fingers just beyond the wrists
        for j in (17, 19, 21):
            lm[j + i, :2] = lm[wrist, :2] + (dx * 12, 12)
    return lm


def _column_person(half_width: float, top: int = 100, bottom: int = 800, cx: float = 300.0) -> np.ndarray:
    """A mask that is one vertical bar with soft (linear) edges: its exact width is 2 * half_width pixels."""
    x = np.arange(W) + 0.5 - 0.5
    edge = np.clip(half_width - np.abs(x - cx) + 0.5, 0.0, 1.0)
    mask = np.zeros((H, W), np.float32)
    mask[top:bottom + 1] = edge[None, :]
    return mask


def test_scale_comes_from_the_height_and_the_mask_extent():
    mask = _column_person(40)
    view = pm.view_of(mask, _landmarks(), 170.0)
    assert view.bottom - view.top == pytest.approx(801 - 100, abs=1.0)
    assert view.cm_per_px == pytest.approx(170.0 / (view.bottom - view.top))
    assert view.y_cm(view.bottom) == pytest.approx(0.0)
    assert view.y_cm(view.top) == pytest.approx(170.0)


@pytest.mark.parametrize("half", [20.0, 33.3, 57.75])
def test_widths_are_sub_pixel(half):
    mask = _column_person(half)
    left, right = pm.run_at(mask, 400, 300)
    assert right - left == pytest.approx(2 * half, abs=0.3)  # within a third of a pixel (whole pixels: 1)
    view = pm.view_of(mask, _landmarks(), 170.0)
    assert pm.width_at(view, 90.0) == pytest.approx(2 * half * view.cm_per_px, abs=0.3 * view.cm_per_px)
    assert pm.run_at(mask, 400, 10) is None


def test_hands_are_cleared_from_the_mask():
    mask = _column_person(200)  # hands inside a wide silhouette
    lm = _landmarks()
    view = pm.view_of(mask, lm, 170.0)
    x, y = lm[15, :2].astype(int)
    assert mask[y, x] > 0.5 and view.mask[y, x] == 0.0
    lm[15, 2] = 0.2  # a hidden hand is left alone
    assert pm.view_of(mask, lm, 170.0).mask[y, x] > 0.5


def test_ellipse_perimeter():
    assert pm.ellipse_perimeter(10.0, 10.0) == pytest.approx(np.pi * 10.0)
    assert pm.ellipse_perimeter(20.0, 0.0) == pytest.approx(40.0, rel=0.01)  # flat: twice the width
    a, b = 30.0, 20.0  # Ramanujan vs a fine polygon
    t = np.linspace(0, 2 * np.pi, 100001)
    poly = np.hypot(np.diff(a / 2 * np.cos(t)), np.diff(b / 2 * np.sin(t))).sum()
    assert pm.ellipse_perimeter(a, b) == pytest.approx(poly, rel=1e-5)


def test_calibration_recovers_a_known_model():
    rng = np.random.default_rng(1)
    true = {"waist": np.array([0.9, 0.3, 0.2, 0.05, 1.5, 4.0])}
    samples = []
    for _ in range(40):
        f = {"waist_w": rng.uniform(25, 45), "waist_d": rng.uniform(18, 35), "female": float(rng.integers(2))}
        truth = {"waist": float(pm.design_row("waist", f) @ true["waist"]) + rng.normal(0, 0.05)}
        samples.append((f, truth))
    samples[0][1]["waist"] += 30.0  # one photo gone wrong must not bend the model
    cal = pm.fit_calibration(samples, {"waist": 0.6})
    model = cal["models"]["waist"]
    # the perimeter is nearly linear in w and d (the coefficients trade off): compare predictions
    for _ in range(20):
        f = {"waist_w": rng.uniform(25, 45), "waist_d": rng.uniform(18, 35), "female": float(rng.integers(2))}
        row = pm.design_row("waist", f)
        assert row @ np.asarray(model["coef"]) == pytest.approx(row @ true["waist"], abs=1.0)  # ridge: a small bias
    assert model["n"] == 40 and model["mae_cm"] < 1.5
    assert "hips" not in cal["models"]  # no samples: no model


def test_estimate_returns_values_confidences_and_errors():
    mask = _column_person(45)
    view = pm.view_of(mask, _landmarks(), 170.0)
    cal = {"levels": {g: 0.6 for g in pm.GIRTHS},
           "models": {"waist": {"coef": [1.0, 0.0, 0.0, 0.0, 0.0, 0.0], "loo_rmse_cm": 2.0},
                      "inseam": {"coef": [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], "loo_rmse_cm": 1.0}}}
    est = pm.estimate(view, view, cal, "female")
    w = 90 * view.cm_per_px
    assert est.values["waist"] == pytest.approx(pm.ellipse_perimeter(w, w), abs=0.1)
    assert est.values["height"] == 170.0 and est.confidence["height"] == 1.0
    assert 0 < est.confidence["waist"] < est.confidence["inseam"] < 1  # larger calibration error, less confidence
    assert est.error_cm["waist"] == 2.0


def test_the_shipped_calibration_covers_every_measurement():
    cal = pm.load_calibration()
    assert set(cal["models"]) == set(pm.ESTIMATED)
    assert all(0.3 < t < 0.95 for t in cal["levels"].values())
    assert cal["source"]["bodies"] >= 150  # the wide calibration set (issue #17)
    assert all(len(m["error_model"]) == 4 and m["ridge"] in pm.RIDGES for m in cal["models"].values())
    n = len(pm.descriptor({**{f"{g}_{k}": 30.0 for g in pm.DESCRIPTOR_GIRTHS for k in "wd"}, "bust_y": 120.0,
                           "waist_y": 100.0, "hips_y": 90.0, "height": 170.0, "female": 1.0}))
    assert len(cal["descriptor"]["mean"]) == n and np.shape(cal["descriptor"]["precision"]) == (n, n)
    assert pm.CALIBRATION_PATH.stat().st_size < 30_000  # coefficients, not data


def _body_features(rng: np.random.Generator, scale: float = 1.0, conflict_cm: float = 0.0) -> dict[str, float]:
    """Feature values of a plausible body (cm), its sections ``scale`` times as wide and deep."""
    h = rng.uniform(150, 195)
    f = {"height": h, "female": float(rng.integers(2)), "bust_y": 0.72 * h, "waist_y": 0.62 * h, "hips_y": 0.52 * h,
         "hip_y": 0.52 * h, "side_hip_y": 0.52 * h + conflict_cm, "shoulder_y": 0.82 * h, "side_shoulder_y": 0.82 * h}
    for g, (w, d) in {"neck": (11, 11), "bust": (32, 24), "underbust": (29, 21), "waist": (28, 20), "hips": (35, 26),
                      "thigh": (17, 17)}.items():
        k = rng.normal(1.0, 0.08)
        f[f"{g}_w"], f[f"{g}_d"] = scale * k * w * h / 170, scale * k * d * h / 170
    return f


def test_confidence_falls_outside_the_calibration_and_when_the_photos_disagree():
    rng = np.random.default_rng(3)
    fs = [_body_features(rng) for _ in range(300)]
    desc = pm.fit_descriptor(fs)
    inside = [pm.outside(f, desc) for f in fs[:50]]
    far = pm.outside(_body_features(rng, scale=1.5), desc)
    assert np.median(inside) < 1.3 and far > 3 * np.median(inside)
    # an error model fitted on errors that grow with the distance and the disagreement recovers both
    conflicted = [_body_features(rng, conflict_cm=float(c)) for c in rng.uniform(0, 10, 300)]
    err = np.array([1.0 + 1.5 * pm.outside(f, desc) + 0.2 * pm.conflict(f) for f in conflicted])
    err = err + rng.normal(0, 0.05, err.size)
    coef = pm.fit_error_model(conflicted, err, desc)
    assert coef[1] == pytest.approx(1.5, abs=0.2) and coef[3] == pytest.approx(0.2, abs=0.02)
    model = {"error_model": coef, "loo_rmse_cm": 2.0}
    typical, unusual = _body_features(rng), _body_features(rng, scale=1.4)
    disagreeing = dict(typical, side_hip_y=typical["side_hip_y"] + 12.0)
    c = {k: pm.confidence_of(pm.spread_cm(f, model, desc))
         for k, f in (("typical", typical), ("unusual", unusual), ("disagreeing", disagreeing))}
    assert c["typical"] > c["disagreeing"] and c["typical"] > c["unusual"] and c["unusual"] < 0.5
    assert pm.spread_cm(typical, model, None) == 2.0  # no confidence model: the calibration's error
    assert pm.confidence_of(0.01) == pytest.approx(1.0) and pm.confidence_of(2.97) == pytest.approx(0.5, abs=0.01)


def test_the_measurements_to_check_with_a_tape_are_the_unsure_ones():
    assert pm.to_check({"height": 0.1, "waist": 0.3, "hips": 0.9, "bust": 0.2, "thigh": 0.5}) == ["bust", "waist"]
    assert pm.to_check({"height": 1.0, "waist": 0.8}) == []


def test_estimates_that_lean_on_a_limb_past_the_edge_are_flagged():
    lm = _landmarks()
    view = pm.view_of(_column_person(40), lm, 170.0)
    assert pm.edge_limited(view) == []
    lm = lm.copy()
    lm[pm.LM["right_wrist"], 0] = -5.0  # the hand past the left edge
    limited = pm.edge_limited(pm.view_of(_column_person(40), lm, 170.0))
    assert "arm_length" in limited and "waist" not in limited and "inseam" not in limited


def test_check_photo_says_what_to_retake():
    lm = _landmarks()
    good = _column_person(40)
    pm.check_photo("front", good, lm, 1)
    with pytest.raises(pm.PhotoProblem, match="2 people"):
        pm.check_photo("front", good, lm, 2)
    with pytest.raises(pm.PhotoProblem, match="no person"):
        pm.check_photo("front", np.zeros((H, W), np.float32), None, 0)
    head_cut = good.copy()
    head_cut[:101] = 1.0
    with pytest.raises(pm.PhotoProblem, match="head is cut off"):
        pm.check_photo("side", head_cut, lm, 1)
    feet_cut = _column_person(40, bottom=H - 1)
    with pytest.raises(pm.PhotoProblem, match="feet are cut off") as err:
        pm.check_photo("front", feet_cut, lm, 1)
    assert err.value.photo == "front" and "whole body" in err.value.retake
    small = _column_person(10, top=100, bottom=300)
    with pytest.raises(pm.PhotoProblem, match="pixels tall"):
        pm.check_photo("front", small, _landmarks(top=100, bottom=300, spread=15), 1)


def test_check_pair_finds_swaps_turns_and_arms_down():
    mask = _column_person(40)
    front, side = _landmarks(), _landmarks(spread=3)
    pm.check_pair(front, mask, side, mask)
    with pytest.raises(pm.PhotoProblem, match="swapped"):
        pm.check_pair(side, mask, front, mask)
    with pytest.raises(pm.PhotoProblem, match="faces the camera"):
        pm.check_pair(front, mask, front, mask)
    arms_down = front.copy()
    arms_down[pm.LM["left_wrist"], 0] = arms_down[pm.LM["left_shoulder"], 0] + 8
    with pytest.raises(pm.PhotoProblem, match="arms are held against the body"):
        pm.check_pair(arms_down, mask, side, mask)


def test_the_low_depth_ignores_rows_an_arm_widens():
    """A forearm merged with the body (as in a profile at the waist) widens some rows: ``stat="low"`` keeps the
    narrow ones, the mean does not."""
    mask = _column_person(40)
    view = pm.view_of(mask, _landmarks(), 170.0)
    y = 100.0
    r0, r1 = int(view.row(y + 1.5)), int(view.row(y - 1.5))
    mask = mask.copy()
    mask[r0:r1, 340:370] = 1.0  # the arm: 30 more pixels on the right of rows at y-1.5..y+1.5 cm
    view = pm.view_of(mask, _landmarks(), 170.0)
    body = 80 * view.cm_per_px
    assert pm.width_at(view, y, band_cm=4.0, stat="low") == pytest.approx(body, abs=0.05)
    assert pm.width_at(view, y, band_cm=4.0) > body + 2.0


def test_the_gap_between_the_legs_is_followed_up_to_the_crotch():
    """Two legs with a gap that leans off the line between the knees and the hips: its top is found."""
    lm = _landmarks()
    mask = _column_person(60)
    crotch = 500  # row of the gap's top (the hips' landmarks are at row 464)
    for r in range(crotch, 801):  # an inverted V whose apex lies 10 px right of the knees' and hips' midline
        centre, half = 310 - 0.02 * (r - crotch), 2 + 0.12 * (r - crotch)
        mask[r, round(centre - half):round(centre + half) + 1] = 0.0
    view = pm.view_of(mask, lm, 170.0)
    assert pm._leg_gap_top(view) == pytest.approx(float(view.y_cm(crotch - 0.5)), abs=0.1)


def _with_arm_to_the_edge(mask: np.ndarray, lm: np.ndarray) -> np.ndarray:
    """The mask with a right arm (the image's left) running from the shoulder out past the photo's edge,
    apart from the torso: a hand cut off at the side."""
    out = mask.copy()
    sh = lm[pm.LM["right_shoulder"], :2]
    for r in range(int(sh[1]), int(sh[1]) + 200):
        x = sh[0] - 40 - 1.6 * (r - sh[1])  # down and out, 20+ px clear of the torso below the armpit
        out[r, max(int(x) - 9, 0):max(int(x) + 9, 0)] = 1.0
    return out


def test_a_hand_cut_off_at_the_side_is_accepted_when_the_torso_is_whole():
    lm = _landmarks()
    mask = _with_arm_to_the_edge(_column_person(40), lm)
    assert mask[:, 0].max() == 1.0  # the arm reaches the edge
    assert pm.cut_sections(mask, lm) == []
    pm.check_photo("front", mask, lm, 1)  # accepted


def test_hips_cut_off_at_the_side_are_refused_naming_the_hips():
    lm = _landmarks()
    mask = _column_person(40)
    sh, hp = lm[pm.LM["right_shoulder"], 1], lm[pm.LM["right_hip"], 1]
    rows = slice(int(sh + 0.95 * (hp - sh)), int(sh + 1.15 * (hp - sh)))
    mask[rows, :300] = 1.0  # the hips (only) run into the image's left edge
    assert pm.cut_sections(mask, lm) == ["hips"]
    with pytest.raises(pm.PhotoProblem, match="hips is cut off at the side") as err:
        pm.check_photo("front", mask, lm, 1)
    assert "hips inside the frame" in err.value.retake and "bust" not in str(err.value)
    whole_side = _column_person(40, cx=30)  # the whole body at the edge: every section is named
    with pytest.raises(pm.PhotoProblem, match="bust, waist and hips are cut off"):
        pm.check_photo("side", np.maximum(whole_side, 0), _landmarks(cx=30), 1)


HELDOUT = Path(__file__).parent / "data" / "photo_heldout.json.gz"


def _heldout() -> list[dict]:
    """The held-out bodies' features (``python -m benchmarks.photo_bodies``: drawn like the calibration's with
    another seed, never used for a choice) with their tape measurements."""
    with gzip.open(HELDOUT, "rt") as fh:
        data = json.load(fh)
    assert data["levels"] == pm.load_calibration()["levels"]  # the features were taken at the shipped levels
    return data["bodies"]


def _heldout_errors() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    cal = pm.load_calibration()
    out: dict[str, tuple[list[float], list[float]]] = {m: ([], []) for m in ("bust", "waist", "hips")}
    for body in _heldout():
        f = body["features"]
        for m in out:
            key = ("bust" if body["hint"] == "female" else "chest") if m == "bust" else m
            model = cal["models"][key]
            value = float(pm.design_row(key, f, model["design"]) @ np.asarray(model["coef"]))
            out[m][0].append(abs(value - body["truth"][key]))
            out[m][1].append(pm.confidence_of(pm.spread_cm(f, model, cal["descriptor"])))
    return {m: (np.array(e), np.array(c)) for m, (e, c) in out.items()}


def test_the_confidence_ranks_the_held_out_errors():
    """Issue #17: on bodies the calibration never saw, the less confident an estimate, the larger its error
    (Spearman rank correlation > 0, one-sided p < 0.05, for bust, waist and hips)."""
    from scipy.stats import spearmanr

    for m, (err, conf) in _heldout_errors().items():
        rho, p = spearmanr(1 - conf, err)
        assert rho > 0 and p / 2 < 0.05, (m, rho, p)


def test_held_out_errors_and_the_large_ones_are_flagged():
    """The held-out numbers of benchmarks/RESULTS.md (from the features: the photos' visibility, which only
    lowers a confidence, is left out): MAE bust 4.2, waist 2.5, hips 3.3 cm, short of the issue's 2 cm; the
    estimates more than 6 cm off have a confidence below 0.5 (the issue's target), but for one hips estimate."""
    errors = _heldout_errors()
    limits = {"bust": 4.3, "waist": 2.5, "hips": 3.3}
    unflagged = {"bust": 0, "waist": 0, "hips": 1}
    for m, (err, conf) in errors.items():
        assert len(err) >= 80
        assert err.mean() <= limits[m], (m, err.mean())
        assert (conf[err > 6.0] >= pm.CHECK_BELOW).sum() <= unflagged[m], (m, err[err > 6.0], conf[err > 6.0])
