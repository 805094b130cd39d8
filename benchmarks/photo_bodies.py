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
SEEDS = {"calib": 17001, "heldout": 17002}


def body_rng(set_name: str, i: int) -> np.random.Generator:
    """The random stream of body ``i`` of a set (each body its own: a set can grow and be resumed)."""
    return np.random.default_rng([SEEDS[set_name], i])


def collect(set_name: str, n: int, log: Any = print, reverse: bool = False) -> None:
    """Render, detect and cache bodies ``0..n-1`` of a set (``reverse``: from the last, so that a second
    process can share the work)."""
    from dataclasses import replace

    from fw_kernel.adapters.image_codec import decode_photo
    from fw_kernel.adapters.photo_studio import PhotoSetup, SyntheticPhotos, jpeg_bytes, pose_arms, truth_levels_cm
    from fw_kernel.adapters.pose_mediapipe import MediaPipePose
    from fw_kernel.geometry.photo import sampler

    out = CACHE / set_name
    out.mkdir(parents=True, exist_ok=True)
    photos = SyntheticPhotos()
    photos.studio.supersample = 1
    detector = MediaPipePose()
    t0 = time.monotonic()
    for i in (reversed(range(n)) if reverse else range(n)):
        path = out / f"{i:04d}.npz"
        if path.exists():
            continue
        rng = body_rng(set_name, i)
        body, info = sampler.random_body(rng)
        arrays: dict[str, Any] = {}
        setups = {}
        for view in ("front", "side"):
            fr = sampler.random_framing(rng, body.measured["height"])
            setup = replace(PhotoSetup.random(int(rng.integers(1 << 30))), distance_m=fr.distance_m,
                            camera_height_m=fr.camera_height_m, arm_spread_deg=fr.arm_spread_deg)
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


def load(set_name: str) -> list[dict[str, Any]]:
    """The cached bodies of a set: ``{"i", "truth", "levels", "info", "setups", "front"/"side": {"mask"
    (H, W) float32 or None, "landmarks", "people", "agreement"}}``."""
    rows = []
    for path in sorted((CACHE / set_name).glob("[0-9][0-9][0-9][0-9].npz")):
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


if __name__ == "__main__":
    collect(sys.argv[1], int(sys.argv[2]), reverse="--reverse" in sys.argv)
