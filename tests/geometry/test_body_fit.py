"""Fitting the anny body to tape measurements: accuracy from XS to 4XL, petite and tall, the cache, rebuilding
from parameters, the studio frame and the landmarks.

Needs ``torch`` and ``anny`` (``pip install torch==2.13.0`` then ``pip install 'fashion-wallet-studio[body]'``);
the body model is built once for the module (seconds with anny's data cache warm, about a minute cold).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import pytest

from fw_kernel.geometry.body import fit as avatar_fit
from fw_kernel.geometry.body import model as body
from fw_kernel.geometry.body.fit import TOLERANCE_CM, FitError, build_body, fit_body
from fw_kernel.geometry.body.measure import MEASUREMENT_KEYS, measure_body
from fw_kernel.geometry.body.sizes import SIZES, size_measurements

BODIES: list[tuple[str, str, dict[str, float]]] = [
    *[(f"female {s}", "female", size_measurements(s, "female")) for s in SIZES],
    *[(f"male {s}", "male", size_measurements(s, "male")) for s in SIZES],
    ("female petite 152", "female", size_measurements("S", "female", height=152, inseam=69, arm_length=52)),
    ("female tall 185", "female", size_measurements("M", "female", height=185, inseam=87, arm_length=63)),
    ("male tall 192", "male", size_measurements("L", "male", height=192, inseam=88, arm_length=69)),
    ("neutral 170", "neutral", {"height": 170, "chest": 96, "waist": 80, "hips": 98, "inseam": 78}),
]


@pytest.fixture(scope="module")
def model() -> body.BodyModel:
    return body.body_model()


@pytest.fixture(scope="module")
def medium(model: body.BodyModel) -> body.FittedBody:
    return fit_body(size_measurements("M", "female"), "female")


def _table(rows: list[tuple[str, dict[str, float], dict[str, float], float]]) -> str:
    keys = [k for k in MEASUREMENT_KEYS if any(k in given for _, given, _, _ in rows)]
    lines = [f"{'body':20s} {'fit s':>6s} " + " ".join(f"{k[:9]:>15s}" for k in keys),
             f"{'':20s} {'':>6s} " + " ".join(f"{'given->measured':>15s}" for _ in keys)]
    for name, given, measured, seconds in rows:
        cells = [f"{given[k]:6.1f}->{measured[k]:6.2f}" if k in given else f"{'':>15s}" for k in keys]
        lines.append(f"{name:20s} {seconds:6.2f} " + " ".join(f"{c:>15s}" for c in cells))
    return "\n".join(lines)


@pytest.mark.slow
def test_every_size_is_fitted_within_tolerance(model: body.BodyModel, capsys: pytest.CaptureFixture[str]) -> None:
    avatar_fit.clear_cache()
    rows, misses = [], []
    for name, hint, given in BODIES:
        t0 = time.perf_counter()
        fitted = fit_body(given, hint)
        seconds = time.perf_counter() - t0
        rows.append((name, given, fitted.measured, seconds))
        misses += [f"{name}: {k} {v} -> {fitted.measured[k]}" for k, v in given.items()
                   if abs(fitted.measured[k] - v) > TOLERANCE_CM[k]]
        assert seconds < 5.0, f"{name} took {seconds:.1f} s"
        assert fitted.fit["cached"] is False
    table = _table(rows)
    with capsys.disabled():
        print("\n" + table)
    assert not misses, "\n".join(misses) + "\n" + table
    assert len({h for _, h, _ in BODIES}) == 3 and len(BODIES) >= 8


@pytest.mark.slow
def test_reported_measurements_are_measured_on_the_mesh(model: body.BodyModel, medium: body.FittedBody) -> None:
    again = measure_body(medium.vertices.astype(np.float64), model.spec).values
    assert set(medium.measured) == set(MEASUREMENT_KEYS)
    for k in MEASUREMENT_KEYS:
        assert medium.measured[k] == pytest.approx(again[k], abs=0.006)
    for k, v in medium.fit["requested"].items():
        assert medium.fit["residuals_cm"][k] == pytest.approx(medium.measured[k] - v, abs=0.006)


@pytest.mark.slow
def test_a_second_identical_request_comes_from_the_cache(medium: body.FittedBody) -> None:
    t0 = time.perf_counter()
    again = fit_body(dict(size_measurements("M", "female")), "female")
    assert time.perf_counter() - t0 < 0.05
    assert again.fit["cached"] is True
    assert again.vertices is medium.vertices
    assert not again.vertices.flags.writeable  # cached arrays cannot be changed behind the cache's back
    other = fit_body(dict(size_measurements("M", "female")), "neutral")
    assert other.fit["cached"] is False


@pytest.mark.slow
def test_build_body_rebuilds_the_same_mesh_from_json_params(medium: body.FittedBody) -> None:
    params = json.loads(json.dumps(medium.params))
    t0 = time.perf_counter()
    rebuilt = build_body(params)
    assert time.perf_counter() - t0 < 1.0
    np.testing.assert_allclose(rebuilt.vertices, medium.vertices, atol=1e-6)
    np.testing.assert_array_equal(rebuilt.faces, medium.faces)
    for k in MEASUREMENT_KEYS:
        assert rebuilt.measured[k] == pytest.approx(medium.measured[k], abs=0.01)
    with pytest.raises(ValueError, match="unknown local change"):
        build_body({**params, "local_changes": {"nose-size-incr": 1.0}})
    with pytest.raises(ValueError, match="weight"):
        build_body({**params, "phenotypes": {"weight": 2.0}})


@pytest.mark.slow
def test_studio_frame_y_up_facing_plus_z_left_is_plus_x(model: body.BodyModel, medium: body.FittedBody) -> None:
    v = medium.vertices
    assert v.dtype == np.float32 and v.shape == (model.n_vertices, 3)
    assert medium.faces.shape[1] == 3 and medium.faces.min() >= 0 and medium.faces.max() < len(v)
    assert abs(float(v[:, 1].min())) < 1e-3  # feet on y = 0
    assert float(v[:, 1].max()) * 100 == pytest.approx(medium.measured["height"], abs=0.01)
    # facing +Z: the nose is the most anterior point of the head, the toes are ahead of the heels
    head = v[v[:, 1] > medium.landmarks["neck"][1] + 0.05]
    nose = head[np.argmax(head[:, 2])]
    assert abs(nose[0]) < 0.01 and nose[2] > head[:, 2].mean() + 0.04
    feet = v[v[:, 1] < 0.04]
    assert feet[:, 2].max() - feet[:, 2].min() > 0.18 and feet[:, 2].max() > 0.15
    # the body's left is +X: anny's left ('.L') joints, and the left landmarks, have x > 0
    heads = model.bone_heads(model.coefficients(model.phenotype_vector("female")))[0]
    for bone in ("upperarm01.L", "wrist.L", "upperleg01.L", "foot.L"):
        assert heads[model.bone_labels.index(bone), 0] > 0.05
        assert heads[model.bone_labels.index(bone.replace(".L", ".R")), 0] < -0.05
    for part in ("shoulder", "elbow", "wrist", "ankle"):
        left, right = medium.landmarks[f"left_{part}"], medium.landmarks[f"right_{part}"]
        assert left[0] > 0.05 and right[0] < -0.05
        np.testing.assert_allclose(left * [-1, 1, 1], right, atol=0.005)  # symmetric body
    mesh = medium.trimesh()
    assert mesh.is_watertight and len(mesh.vertices) == len(v)  # the closed skin, no eyes or tongue


@pytest.mark.slow
def test_landmarks_are_ordered_from_ankle_to_head(medium: body.FittedBody) -> None:
    y = {k: float(p[1]) for k, p in medium.landmarks.items()}
    order = ["left_ankle", "crotch", "hips", "waist", "underbust", "bust", "left_shoulder", "neck", "head_top"]
    assert [y[k] for k in order] == sorted(y[k] for k in order), y
    assert y["left_wrist"] < y["left_elbow"] < y["left_shoulder"]
    assert y["right_ankle"] == pytest.approx(y["left_ankle"], abs=1e-6)
    for p in medium.landmarks.values():
        assert p.shape == (3,)
    for k in ("neck", "bust", "waist", "hips"):
        assert abs(medium.landmarks[k][0]) < 0.01  # girth centres on the mid-line


@pytest.mark.slow
def test_any_subset_is_fitted_and_the_rest_is_measured(model: body.BodyModel) -> None:
    for hint, given in [("female", {"height": 160}), ("male", {"waist": 95}),
                        ("neutral", {"hips": 104, "thigh": 60}), ("male", {"chest": 104, "neck": 41, "height": 176})]:
        fitted = fit_body(given, hint)
        assert set(fitted.measured) == set(MEASUREMENT_KEYS)
        for k, v in given.items():
            assert abs(fitted.measured[k] - v) <= TOLERANCE_CM[k]
    tall = fit_body({"height": 190}, "female")
    short = fit_body({"height": 152}, "female")
    assert tall.measured["inseam"] > short.measured["inseam"] + 15  # the rest follows the body model


@pytest.mark.slow
def test_unreachable_measurements_raise_a_fit_error_naming_them(model: body.BodyModel) -> None:
    with pytest.raises(FitError) as err:
        fit_body({"height": 150, "waist": 150, "hips": 120}, "female")
    assert isinstance(err.value, ValueError)
    assert set(err.value.misses) & {"waist", "hips"}
    message = str(err.value)
    assert "hips 120 cm" in message and "cm over" in message and "tolerance 1 cm" in message
    with pytest.raises(ValueError, match="unknown measurements"):
        fit_body({"wingspan": 170}, "female")
    with pytest.raises(ValueError, match="body_hint"):
        fit_body({"height": 170}, "robot")


def test_a_missing_anny_names_the_extra_to_install() -> None:
    code = ("import sys; sys.modules['anny'] = None\n"
            "from fw_kernel.geometry.body import model as body\n"
            "try:\n    body._import_anny()\nexcept ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install 'fashion-wallet-studio[body]'" in out
