"""Avatars from photos: accuracy against the measurements of the photographed bodies, and time per photo pair.

Validation set: 16 bodies fitted to the women's and men's size charts (XS to 4XL, petite and tall), each
photographed front and side by ``fw_kernel.adapters.photo_studio`` with its own random setup (skin tone,
background plain/gradient/clutter, light, camera distance and height, a small turn, arm spread), as JPEGs.
The calibration bodies (``python -m benchmarks.photo_bodies``: the adult range of the body model plus random
chart sizes, issue #17) are other bodies with other setups; its held-out tables: ``benchmarks.photo_bodies evaluate``.

For each body: the whole pipeline (decode, pose + mask, checks, measurements) -> error of each estimate against
the tape measurements on the mesh (cm); then the fit of ``from_photos`` -> error of the fitted avatar.
Time per photo pair: decode + detection + measurements, after the models are loaded (CPU).

``run(quick)`` prints its tables and returns the numbers; alone: ``python -m benchmarks.photo_avatars``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:  # run as a script from elsewhere: fw_kernel lives next to benchmarks/
    sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402

TARGET_S = 3.0
KEYS = ("bust", "waist", "hips", "underbust", "neck", "thigh", "inseam", "shoulder_width", "arm_length",
        "upper_arm")


def validation_bodies(quick: bool) -> list[tuple[str, str, dict[str, float]]]:
    from fw_kernel.geometry.body.sizes import size_measurements

    f, m = "female", "male"
    out = [(f"{h} {s}", h, size_measurements(s, h)) for h, s in
           ((f, "XS"), (f, "M"), (f, "XXL"), (m, "S"), (m, "L"), (m, "4XL"))] if quick else \
        [(f"{h} {s}", h, size_measurements(s, h)) for h in (f, m) for s in ("XS", "S", "M", "L", "XL", "XXL", "4XL")]
    if not quick:
        out += [("female petite 152", f, size_measurements("S", f, height=152, inseam=69, arm_length=52)),
                ("male tall 192", m, size_measurements("L", m, height=192, inseam=88, arm_length=69))]
    return out


def run(quick: bool = False) -> dict[str, Any]:
    import tempfile

    import fw_kernel as fw
    from fw_kernel.adapters.photo_studio import PhotoSetup, SyntheticPhotos
    from fw_kernel.geometry.body.fit import fit_body

    photos = SyntheticPhotos()
    rows = []
    with tempfile.TemporaryDirectory() as home:
        ws = fw.connect(home=home, autosave_thread=False)
        service = ws._services.photo_avatars
        service.detector.detect(np.zeros((64, 64, 3), np.uint8))  # load the models
        for i, (label, hint, m) in enumerate(validation_bodies(quick)):
            body = fit_body(m, hint)
            setup, side_setup = PhotoSetup.random(9000 + 2 * i), PhotoSetup.random(9001 + 2 * i)
            front, side = photos.pair(body, setup, side_setup)
            truth = dict(body.measured)
            if hint == "male":
                truth["bust"] = truth["chest"]
            t0 = time.perf_counter()
            try:
                got = service.measure(front, side, truth["height"], hint)
            except fw.ValidationError as exc:
                print(f"{label}: refused: {exc}")
                rows.append({"label": label, "refused": str(exc)})
                continue
            seconds = time.perf_counter() - t0
            est = dict(got["measurements"])
            if hint == "male":
                est["bust"] = est.get("chest", float("nan"))
            t1 = time.perf_counter()
            avatar = ws.avatars.from_photos(label, front, side, truth["height"], body_hint=hint, progress=False)
            fit_s = time.perf_counter() - t1
            fitted = dict(avatar.measurements)
            if hint == "male":
                fitted["bust"] = fitted["chest"]
            rows.append({"label": label, "hint": hint, "setup": f"{setup.background}/{side_setup.background}",
                         "seconds": seconds, "fit_s": fit_s,
                         "photo": {k: est[k] - truth[k] for k in KEYS if k in est},
                         "fitted": {k: fitted[k] - truth[k] for k in KEYS if k in fitted}})
            rows[-1]["agreement"] = got["agreement"]
            print(f"{label:<18} {rows[-1]['setup']:<18} {seconds:5.2f} s  agree "
                  f"{got['agreement']['front']:.2f}/{got['agreement']['side']:.2f} " + " ".join(
                f"{k}={est.get(k, float('nan')) - truth[k]:+.1f}" for k in ("bust", "waist", "hips", "inseam")))
        ws.close()
    done = [r for r in rows if "photo" in r]
    table = {}
    for kind in ("photo", "fitted"):
        table[kind] = {k: {"mae_cm": round(float(np.mean([abs(r[kind][k]) for r in done if k in r[kind]])), 2),
                           "max_cm": round(float(np.max([abs(r[kind][k]) for r in done if k in r[kind]])), 2)}
                       for k in KEYS if any(k in r[kind] for r in done)}
    secs = [r["seconds"] for r in done]
    out = {"bodies": len(rows), "refused": len(rows) - len(done), "mae": table,
           "seconds_per_pair": {"median": round(float(np.median(secs)), 3), "max": round(float(np.max(secs)), 3)},
           "fit_seconds_median": round(float(np.median([r["fit_s"] for r in done])), 2), "target_s": TARGET_S}
    print(f"\n{'measurement':<15} {'MAE photo':>10} {'max':>6} {'MAE fitted':>11} {'max':>6}  (cm, {len(done)} bodies)")
    for k in KEYS:
        if k in table["photo"]:
            p, f = table["photo"][k], table["fitted"].get(k, {"mae_cm": float("nan"), "max_cm": float("nan")})
            print(f"{k:<15} {p['mae_cm']:>10.2f} {p['max_cm']:>6.2f} {f['mae_cm']:>11.2f} {f['max_cm']:>6.2f}")
    print(f"time per photo pair (decode + pose + mask + measure, warm): median {out['seconds_per_pair']['median']} s,"
          f" max {out['seconds_per_pair']['max']} s (target < {TARGET_S} s); fit + store median "
          f"{out['fit_seconds_median']} s")
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run("--quick" in sys.argv), indent=1))
