"""Render and cache the photo calibration set and the held-out test set (issue #17).

Each body: :func:`fw_kernel.geometry.photo.sampler.random_body` (heights 140-205 cm, BMI 16-45, ages 18-80, the
bust/hip/breast local changes over their whole range, both genders and in-between), photographed front and side
by ``fw_kernel.adapters.photo_studio`` with a random studio setup (skin, background, light) and a random framing
(camera distance and height, the body off centre, arm angle), as JPEG (720 x 960, no supersampling), decoded and
run through the pose detector. What is cached per body (``~/.cache/fw/photo-calib/<set>/<i>.npz``): the
detector's masks (uint8) and landmarks of both photos, the tape measurements of the mesh, the girth levels and
the body's parameters; nothing is checked here (the checks run when the set is used, so they can change).

Sets: ``calib`` (seed 17001) for fitting, ``heldout`` (seed 17002) for the errors only.
``python -m benchmarks.photo_bodies calib 300`` (resumable: cached bodies are skipped).
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402

CACHE = Path(os.environ.get("FW_PHOTO_CALIB_CACHE", Path.home() / ".cache" / "fw" / "photo-calib"))
SEEDS = {"calib": 17001, "heldout": 17002, "charts": 17003}
"""``charts``: bodies fitted to random sizes of the size charts, photographed as the studio's default
(``PhotoSetup.random``, supersampled 2x, centred): the photos the old calibration was fitted on, added to the
calibration so that it keeps those bodies and that framing."""


def body_rng(set_name: str, i: int) -> np.random.Generator:
    """The random stream of body ``i`` of a set (each body its own: a set can grow and be resumed)."""
    return np.random.default_rng([SEEDS[set_name], i])


def collect(set_name: str, n: int, log: Any = print, reverse: bool = False, root: Path | None = None,
            first: int = 0) -> None:
    """Render, detect and cache bodies ``0..n-1`` of a set (``reverse``: from the last, so that a second
    process can share the work); ``root``: the cache folder (default :data:`CACHE`); from body ``first``."""
    from dataclasses import replace

    from fw_kernel.adapters.image_codec import decode_photo
    from fw_kernel.adapters.photo_studio import (
        PhotoSetup,
        SyntheticPhotos,
        jpeg_bytes,
        pose_arms,
        random_fitted_body,
        truth_levels_cm,
    )
    from fw_kernel.adapters.pose_mediapipe import MediaPipePose
    from fw_kernel.geometry.photo import sampler

    out = (root or CACHE) / set_name
    out.mkdir(parents=True, exist_ok=True)
    photos = SyntheticPhotos()
    photos.studio.supersample = 1
    detector = MediaPipePose()
    t0 = time.monotonic()
    for i in (reversed(range(first, n)) if reverse else range(first, n)):
        path = out / f"{i:04d}.npz"
        if path.exists():
            continue
        rng = body_rng(set_name, i)
        charts = set_name == "charts"
        if charts:
            body = random_fitted_body(rng)
            info = {"params": body.params, "age_years": 31.5, "bmi": round(sampler.bmi_of(body), 2),
                    "female": body.params["phenotypes"]["gender"]}
        else:
            body, info = sampler.random_body(rng)
        photos.studio.supersample = 2 if charts else 1
        arrays: dict[str, Any] = {}
        setups = {}
        for view in ("front", "side"):
            fr = sampler.random_framing(rng, body.measured["height"])
            setup = PhotoSetup.random(int(rng.integers(1 << 30)))
            if charts:
                fr = sampler.Framing(setup.distance_m, setup.camera_height_m, 0.0, setup.arm_spread_deg)
            else:
                setup = replace(setup, distance_m=fr.distance_m, camera_height_m=fr.camera_height_m,
                                arm_spread_deg=fr.arm_spread_deg)
            verts = pose_arms(body.vertices, body.landmarks, photos._arms, setup.arm_spread_deg)
            img = photos.studio.photo([(verts, body.faces)], setup, view, offsets_m=[fr.offset_m])
            img = decode_photo(jpeg_bytes(img, setup.jpeg_quality), view)
            det = detector.detect(img)
            arrays[f"{view}_people"] = np.int32(det.people)
            arrays[f"{view}_agreement"] = np.float32(getattr(det, "agreement", 1.0))
            if det.mask is not None and det.landmarks is not None:
                arrays[f"{view}_mask"] = np.round(np.clip(det.mask, 0, 1) * 255).astype(np.uint8)
                arrays[f"{view}_landmarks"] = np.asarray(det.landmarks, dtype=np.float64)
            setups[view] = {"background": setup.background, "distance_m": round(fr.distance_m, 3),
                            "camera_height_m": round(fr.camera_height_m, 3), "offset_m": round(fr.offset_m, 3),
                            "arm_spread_deg": round(fr.arm_spread_deg, 2), "turn_deg": round(setup.turn_deg, 2)}
        meta = {"truth": dict(body.measured), "levels": truth_levels_cm(body), "info": info, "setups": setups}
        if path.exists():  # the other process got there first
            continue
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(tmp, meta=np.array(json.dumps(meta)), **arrays)
        tmp.replace(path)
        if (i + 1) % 5 == 0:
            log(f"{set_name} {i + 1}/{n} ({time.monotonic() - t0:.0f} s)", flush=True)


def load(set_name: str, root: Path | None = None) -> list[dict[str, Any]]:
    """The cached bodies of a set: ``{"i", "truth", "levels", "info", "setups", "front"/"side": {"mask"
    (H, W) float32 or None, "landmarks", "people", "agreement"}}``."""
    rows = []
    for path in sorted(((root or CACHE) / set_name).glob("[0-9][0-9][0-9][0-9].npz")):
        try:
            z = np.load(path)
        except (OSError, ValueError):  # being written by a collecting process
            continue
        with z:
            meta = json.loads(str(z["meta"]))
            row: dict[str, Any] = {"i": int(path.stem), **meta}
            for view in ("front", "side"):
                row[view] = {"mask": z[f"{view}_mask"].astype(np.float32) / 255.0 if f"{view}_mask" in z else None,
                             "landmarks": z.get(f"{view}_landmarks", None),
                             "people": int(z[f"{view}_people"]), "agreement": float(z[f"{view}_agreement"])}
        rows.append(row)
    return rows




def usable(row: dict[str, Any]) -> str | None:
    """None when ``from_photos`` would measure the body's photos, else its refusal."""
    from fw_kernel.geometry.photo import measure as pm

    try:
        for view in ("front", "side"):
            d = row[view]
            pm.check_photo(view, d["mask"], d["landmarks"], d["people"])
        pm.check_pair(row["front"]["landmarks"], row["front"]["mask"], row["side"]["landmarks"],
                      row["side"]["mask"])
    except pm.PhotoProblem as exc:
        return str(exc)
    return None


def hint_of(row: dict[str, Any]) -> str:
    """The body hint a person would give: female above the model's gender 0.5, male below."""
    return "female" if row["info"]["female"] > 0.5 else "male"


def levels_of(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Each girth's level: the median fraction of the height where the tape lies on the meshes."""
    from fw_kernel.geometry.photo import measure as pm

    return {g: round(float(np.median([r["levels"][g] / r["truth"]["height"] for r in rows])), 4) for g in pm.GIRTHS}


def feature_rows(set_name: str, levels: dict[str, float], root: Path | None = None
                 ) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The usable bodies of a set with their :func:`~fw_kernel.geometry.photo.measure.features` (at ``levels``)
    and views; and the count of each refusal."""
    from fw_kernel.geometry.photo import measure as pm

    out, refused = [], {}
    for row in load(set_name, root):
        why = usable(row)
        if why is not None:
            key = why.split(":")[1].split(".")[0].strip() if ":" in why else why
            refused[key] = refused.get(key, 0) + 1
            continue
        h = row["truth"]["height"]
        views = [pm.view_of(row[v]["mask"], row[v]["landmarks"], h) for v in ("front", "side")]
        hint = hint_of(row)
        row["views"] = views
        row["hint"] = hint
        row["features"] = pm.features(*views, levels, 1.0 if hint == "female" else 0.0)
        out.append(row)
    return out, refused


def _rounded(x: Any) -> Any:
    """Floats to 6 significant digits (a small calibration file)."""
    if isinstance(x, float):
        return float(f"{x:.6g}")
    if isinstance(x, list):
        return [_rounded(v) for v in x]
    if isinstance(x, dict):
        return {k: _rounded(v) for k, v in x.items()}
    return x


def calibrate(path: Any = None, sets: tuple[str, ...] = ("calib", "charts"), log: Any = print) -> dict[str, Any]:
    """Fit the photo calibration on the cached ``sets`` and write it (default: the packaged JSON). The girths'
    design ("base" or "wide") is the one with the lower 10-fold cross-validated error of bust, chest, waist and
    hips on these bodies."""
    from fw_kernel.geometry.photo import measure as pm

    raw = [r for s in sets for r in load(s)]
    levels = levels_of(raw)
    rows, refused = [], {}
    for s in sets:
        got, why = feature_rows(s, levels)
        rows += got
        for k, v in why.items():
            refused[k] = refused.get(k, 0) + v
    samples = [(r["features"], r["truth"]) for r in rows]
    fits = {d: pm.fit_calibration(samples, levels, ridge=None, design=d) for d in ("base", "wide")}
    score = {d: float(np.mean([c["models"][k]["cv_mae_cm"] for k in ("bust", "chest", "waist", "hips")]))
             for d, c in fits.items()}
    cal = fits[min(score, key=lambda d: score[d])]
    cal["source"] = {"bodies": len(rows), "rendered": len(raw), "refused": refused,
                     "sets": {s: SEEDS[s] for s in sets}, "design_cv_mae_cm": score,
                     "command": "python -m benchmarks.photo_bodies fit",
                     "sampler": "fw_kernel.geometry.photo.sampler (heights 140-205 cm, BMI 16-45, ages 18-80) "
                                "and bodies fitted to random sizes of the charts",
                     "detector": "mediapipe 0.10.21 pose (model_complexity=1) + segmentation"}
    cal = _rounded(cal)
    out = Path(path) if path else pm.CALIBRATION_PATH
    out.write_text(json.dumps(cal, separators=(",", ":")) + "\n")
    log(f"wrote {out} ({out.stat().st_size} bytes): {len(rows)} of {len(raw)} bodies; refused {refused}; "
        f"design CV {score}")
    for name, m in cal["models"].items():
        log(f"{name:<15} cv mae {m['cv_mae_cm']:.2f} cm, ridge {m['ridge']:g}, n={m['n']}")
    return cal


MAIN = ("bust", "waist", "hips")


def evaluate(cal: dict[str, Any] | None = None, set_name: str = "heldout", limit: int | None = None
             ) -> dict[str, Any]:
    """Errors (estimate - tape, cm) and confidences of bust (men: chest), waist and hips on a cached set, per
    body, with the set's refusals."""
    from fw_kernel.geometry.photo import measure as pm

    cal = cal or pm.load_calibration()
    rows, refused = feature_rows(set_name, cal["levels"])
    bodies = []
    for r in rows[:limit]:
        est = pm.estimate(*r["views"], cal, r["hint"])
        key = {"bust": "bust" if r["hint"] == "female" else "chest", "waist": "waist", "hips": "hips"}
        t = r["truth"]
        bodies.append({"i": r["i"], "hint": r["hint"], "height": t["height"], "bmi": r["info"]["bmi"],
                       "age": r["info"]["age_years"], "cup": t["bust"] - t["underbust"], "bust": t[key["bust"]],
                       "error": {m: est.values[key[m]] - t[key[m]] for m in MAIN},
                       "confidence": {m: est.confidence[key[m]] for m in MAIN},
                       "spread": {m: est.error_cm[key[m]] for m in MAIN}})
    return {"bodies": bodies, "refused": refused, "set": set_name}


GROUPS: dict[str, tuple[str, tuple[float, ...]]] = {
    "height cm": ("height", (140, 160, 180, 206)), "BMI": ("bmi", (16, 20, 25, 30, 46)),
    "bust - underbust cm": ("cup", (-5, 8, 12, 16, 40)), "age": ("age", (18, 35, 55, 81))}


def report(result: dict[str, Any]) -> str:
    """The error tables: all bodies, by group, the confidence's rank correlation with the error, and the
    bodies over 6 cm with their confidence."""
    from scipy.stats import spearmanr

    b = result["bodies"]
    lines = [f"{result['set']}: {len(b)} bodies measured, refused: {result['refused'] or 'none'}",
             f"{'group':<26} {'n':>3}  " + "  ".join(f"{m + ' MAE':>9} {'p95':>5} {'max':>5}" for m in MAIN)]

    def row(label: str, sel: list[dict[str, Any]]) -> str:
        cells = []
        for m in MAIN:
            e = np.abs([x["error"][m] for x in sel])
            cells.append(f"{e.mean():9.2f} {np.percentile(e, 95):5.1f} {e.max():5.1f}" if len(e) else " " * 21)
        return f"{label:<26} {len(sel):>3}  " + "  ".join(cells)

    lines.append(row("all", b))
    for name, (key, edges) in GROUPS.items():
        for lo, hi in itertools.pairwise(edges):
            sel = [x for x in b if lo <= x[key] < hi]
            if sel:
                lines.append(row(f"{name} {lo:g}-{hi:g}", sel))
    for hint in ("female", "male"):
        lines.append(row(f"body hint {hint}", [x for x in b if x["hint"] == hint]))
    lines.append("confidence vs error (Spearman rank correlation of 1 - confidence with |error|, one-sided p):")
    for m in MAIN:
        rho, p = spearmanr([1 - x["confidence"][m] for x in b], [abs(x["error"][m]) for x in b])
        big = [x for x in b if abs(x["error"][m]) > 6.0]
        flagged = sum(x["confidence"][m] < 0.5 for x in big)
        low = [x for x in b if x["confidence"][m] < 0.5]
        lines.append(f"  {m:<6} rho {rho:+.2f} (p {p / 2 if rho > 0 else 1 - p / 2:.1g}); over 6 cm: {len(big)}, "
                     f"of which confidence < 0.5: {flagged}; confidence < 0.5 on {len(low)} bodies "
                     f"(their MAE {np.mean([abs(x['error'][m]) for x in low]) if low else float('nan'):.1f} cm, "
                     f"the others' {np.mean([abs(x['error'][m]) for x in b if x['confidence'][m] >= 0.5]):.1f})")
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1] == "fit":
        calibrate()
    elif sys.argv[1] == "evaluate":
        print(report(evaluate()))
    else:
        collect(sys.argv[1], int(sys.argv[2]), reverse="--reverse" in sys.argv)
