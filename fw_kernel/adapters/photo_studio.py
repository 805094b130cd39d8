"""Synthetic body photos: a fitted body rendered offscreen (pyrender/EGL) as a front or side photo.

What the photo-avatar calibration, the validation benchmark, the tests and the sample notebook photograph instead
of people (nothing is downloaded). A :class:`PhotoSetup` picks the skin tone, background (plain, gradient,
textured clutter), lighting, camera distance and height, a small turn of the body and the arm spread; its
:meth:`PhotoSetup.random` draws a varied one from a seed.

Frame: the body mesh is in the studio frame (metres, +Y up, facing +Z, left = +X, feet on ``y = 0``). The front
camera looks along -Z at the body, the side camera sees the body's left side (the body turned 90 degrees).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .gl import RENDER_LOCK, egl

SKIN_TONES: tuple[tuple[int, int, int], ...] = (
    (255, 224, 196), (241, 194, 158), (224, 172, 130), (198, 134, 96), (161, 102, 68), (120, 74, 48), (84, 52, 36),
)
"""sRGB skin tones, light to dark (roughly Fitzpatrick I-VI)."""

BACKGROUNDS = ("plain", "gradient", "clutter")
_ARM_BONES = ("upperarm", "lowerarm", "wrist", "finger", "metacarpal")
_LOCK = RENDER_LOCK  # one GL context at a time per process (fw_kernel.adapters.gl)


@dataclass(frozen=True)
class PhotoSetup:
    """How one photo is taken.

    Attributes
    ----------
    width, height : int, pixels of the photo (portrait by default).
    skin : (3,) sRGB 0-255.
    background : "plain" | "gradient" | "clutter".
    background_seed : int, the random background's seed.
    distance_m : float, camera to the body's vertical axis (metres).
    camera_height_m : float, camera above the floor (metres); it aims at the middle of the body.
    yfov_deg : float, vertical field of view.
    turn_deg : float, the body turned about the vertical (0: facing the camera squarely).
    arm_spread_deg : float, arms turned out (+) or in (-) at the shoulders from the model's A-pose.
    light_intensity : float ; light_azimuth_deg : float (key light from the camera's left/right) ; ambient : float.
    """

    width: int = 720
    height: int = 960
    skin: tuple[int, int, int] = SKIN_TONES[2]
    background: str = "plain"
    background_seed: int = 0
    background_color: tuple[int, int, int] = (236, 236, 240)
    distance_m: float = 3.2
    camera_height_m: float = 1.1
    yfov_deg: float = 42.0
    turn_deg: float = 0.0
    arm_spread_deg: float = 0.0
    light_intensity: float = 3.0
    light_azimuth_deg: float = 20.0
    ambient: float = 0.35
    jpeg_quality: int = 92
    extras: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def random(cls, seed: int, **overrides: Any) -> PhotoSetup:
        """A varied setup (skin, background, light, distance, camera height, small turn and arm spread)."""
        rng = np.random.default_rng(seed)
        base = cls(
            skin=SKIN_TONES[int(rng.integers(len(SKIN_TONES)))],
            background=BACKGROUNDS[int(rng.integers(len(BACKGROUNDS)))],
            background_seed=int(rng.integers(1 << 30)),
            background_color=tuple(int(c) for c in rng.integers(60, 250, 3)),  # type: ignore[arg-type]
            distance_m=float(rng.uniform(2.8, 3.8)),
            camera_height_m=float(rng.uniform(0.9, 1.4)),
            turn_deg=float(rng.uniform(-4.0, 4.0)),
            arm_spread_deg=float(rng.uniform(-4.0, 6.0)),
            light_intensity=float(rng.uniform(2.0, 4.5)),
            light_azimuth_deg=float(rng.uniform(-45.0, 45.0)),
            ambient=float(rng.uniform(0.2, 0.5)),
        )
        return replace(base, **overrides)


def arm_weights(bone_labels: list[str], bone_weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N,) skinning weight of each vertex on the left and the right arm (upper arm to fingers)."""
    out = []
    for side in (".L", ".R"):
        cols = [i for i, b in enumerate(bone_labels) if b.endswith(side) and b.startswith(_ARM_BONES)]
        out.append(bone_weights[:, cols].sum(axis=1))
    return out[0], out[1]


def pose_arms(vertices: np.ndarray, landmarks: dict[str, np.ndarray], weights: tuple[np.ndarray, np.ndarray],
              spread_deg: float) -> np.ndarray:
    """Vertices with both arms turned ``spread_deg`` outwards (negative: towards the body) in the frontal plane.

    Linear blend skinning of one rotation per arm about the shoulder joint (placed 4 cm below and 3 cm inside
    the acromion landmark); (N, 3) metres in and out.
    """
    v = np.array(vertices, dtype=np.float64)
    if abs(spread_deg) < 1e-9:
        return v
    for key, w, sign in (("left_shoulder", weights[0], 1.0), ("right_shoulder", weights[1], -1.0)):
        acromion = np.asarray(landmarks[key], dtype=np.float64)
        pivot = acromion + np.array([-sign * 0.03, -0.04, 0.0])
        a = np.radians(sign * spread_deg)
        rot = np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])
        moved = (v - pivot) @ rot.T + pivot
        v = v + w[:, None] * (moved - v)
    return v


def _background(setup: PhotoSetup, h: int, w: int) -> np.ndarray:
    """(h, w, 3) float32 0-1 background."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = np.random.default_rng(setup.background_seed)
    c0 = np.array(setup.background_color, dtype=np.float32) / 255
    if setup.background == "plain":
        return np.broadcast_to(c0, (h, w, 3)).copy()
    if setup.background == "gradient":
        c1 = rng.uniform(0.1, 1.0, 3).astype(np.float32)
        t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
        return (1 - t) * c0 + t * c1 * np.ones((1, w, 1), np.float32)
    if setup.background != "clutter":
        raise ValueError(f"background must be one of {BACKGROUNDS}, got {setup.background!r}")
    img = Image.new("RGB", (w, h), tuple(int(x) for x in setup.background_color))
    draw = ImageDraw.Draw(img)
    floor = int(h * rng.uniform(0.72, 0.85))
    draw.rectangle([0, floor, w, h], fill=tuple(int(x) for x in rng.integers(40, 200, 3)))
    for _ in range(int(rng.integers(25, 45))):  # shelves, frames, plants, lamps...
        x0, y0 = int(rng.integers(-w // 4, w)), int(rng.integers(-h // 4, h))
        x1, y1 = x0 + int(rng.integers(w // 20, w // 3)), y0 + int(rng.integers(h // 20, h // 3))
        colour = tuple(int(x) for x in rng.integers(0, 256, 3))
        kind = int(rng.integers(3))
        if kind == 0:
            draw.rectangle([x0, y0, x1, y1], fill=colour)
        elif kind == 1:
            draw.ellipse([x0, y0, x1, y1], fill=colour)
        else:
            draw.line([x0, y0, x1, y1], fill=colour, width=int(rng.integers(2, 12)))
    img = img.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.0, 2.5))))  # out of focus
    out = np.asarray(img, dtype=np.float32) / 255
    return np.clip(out + rng.normal(0, 0.02, out.shape).astype(np.float32), 0, 1)


class PhotoStudio:
    """Renders bodies as photos (RGB uint8). Needs the ``render`` extra and EGL (Mesa llvmpipe on a CPU)."""

    def __init__(self, supersample: int = 2) -> None:
        self._pyrender = egl()
        self.supersample = supersample

    def photo(self, bodies: list[tuple[np.ndarray, np.ndarray]], setup: PhotoSetup, view: str = "front",
              offsets_m: list[float] | None = None, with_alpha: bool = False) -> Any:
        """(H, W, 3) uint8 RGB photo of one or more bodies (and with ``with_alpha`` the (H, W) float32 coverage
        of the bodies: the true person mask).

        Parameters
        ----------
        bodies : list of (vertices (N, 3) metres, faces (M, 3) int) in the studio frame.
        setup : the camera, light, skin and background.
        view : "front" (the camera in front of the body) or "side" (the camera at the body's left).
        offsets_m : sideways offsets (metres, in the image plane) of each body; default all 0.
        """
        import trimesh

        pyrender = self._pyrender
        ss = self.supersample
        h, w = setup.height * ss, setup.width * ss
        scene = pyrender.Scene(bg_color=[0.0, 0.0, 0.0, 0.0], ambient_light=[setup.ambient] * 3)
        yaw = np.radians(setup.turn_deg + (90.0 if view == "side" else 0.0))
        if view not in ("front", "side"):
            raise ValueError(f"view must be 'front' or 'side', got {view!r}")
        turn = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
        tops = []
        material = pyrender.MetallicRoughnessMaterial(
            baseColorFactor=[*(np.array(setup.skin) / 255.0), 1.0], metallicFactor=0.0, roughnessFactor=0.65)
        for i, (verts, faces) in enumerate(bodies):
            # the camera looks along -Z: the side view turns the body so that its left (+X) faces the camera
            v = np.asarray(verts, dtype=np.float64) @ turn.T
            v[:, 0] += (offsets_m or [0.0] * len(bodies))[i]
            tops.append(float(v[:, 1].max()))
            mesh = trimesh.Trimesh(v, np.asarray(faces), process=False)
            scene.add(pyrender.Mesh.from_trimesh(mesh, material=material, smooth=True))
        target_y = 0.5 * max(tops)
        eye = np.array([0.0, setup.camera_height_m, setup.distance_m])
        pose = _look_at(eye, np.array([0.0, target_y, 0.0]))
        scene.add(pyrender.PerspectiveCamera(yfov=np.radians(setup.yfov_deg), aspectRatio=w / h), pose=pose)
        a = np.radians(setup.light_azimuth_deg)
        light_eye = np.array([3.0 * np.sin(a), 2.2, 3.0 * np.cos(a)])
        scene.add(pyrender.DirectionalLight(intensity=setup.light_intensity),
                  pose=_look_at(light_eye, np.array([0.0, 1.0, 0.0])))
        scene.add(pyrender.DirectionalLight(intensity=0.6 * setup.light_intensity),
                  pose=_look_at(np.array([-light_eye[0], 1.5, light_eye[2]]), np.array([0.0, 1.0, 0.0])))
        with _LOCK:
            renderer = pyrender.OffscreenRenderer(w, h)
            try:
                color, depth = renderer.render(scene)
            finally:
                renderer.delete()
        alpha = (depth > 0).astype(np.float32)[..., None]
        img = color[..., :3].astype(np.float32) / 255 * alpha + _background(setup, h, w) * (1 - alpha)
        img = img.reshape(setup.height, ss, setup.width, ss, 3).mean(axis=(1, 3))
        out = np.ascontiguousarray(np.clip(img * 255 + 0.5, 0, 255).astype(np.uint8))
        if with_alpha:
            return out, alpha[..., 0].reshape(setup.height, ss, setup.width, ss).mean(axis=(1, 3))
        return out


def _look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    """4x4 camera pose (OpenGL: looks along its -Z, +Y up) at ``eye`` looking at ``target``."""
    fwd = target - eye
    fwd = fwd / np.linalg.norm(fwd)
    right = np.cross(fwd, [0.0, 1.0, 0.0])
    right /= np.linalg.norm(right)
    up = np.cross(right, fwd)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, up, -fwd, eye
    return pose


def jpeg_bytes(image: np.ndarray, quality: int = 92) -> bytes:
    """The photo as JPEG bytes (what a phone would upload)."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


# -- calibration of the photo measurements ---------------------------------------------------------------------
def random_body_params(rng: np.random.Generator) -> dict[str, Any]:
    """Parameters of a random adult body of the body model (both genders, thin to plus size, short to tall)."""
    from ..geometry.body.model import ADULT_AGE, LOCAL_CHANGES, MODEL_ID

    gender = float(rng.choice([0.0, 1.0, rng.uniform(0.0, 1.0)], p=[0.45, 0.45, 0.1]))
    phen = {"gender": gender, "age": ADULT_AGE, "muscle": float(rng.uniform(0.1, 0.9)),
            "weight": float(rng.uniform(0.05, 1.25)), "height": float(rng.uniform(0.05, 0.95)),
            "proportions": float(rng.uniform(0.15, 0.85))}
    local = {k: float(np.clip(rng.normal(0.0, 0.5), -1.2, 1.2)) for k in LOCAL_CHANGES}
    return {"model": MODEL_ID, "phenotypes": phen, "local_changes": local}


def random_fitted_body(rng: np.random.Generator) -> Any:
    """A body fitted to a random standard size (women's or men's chart, XS to 4XL, every measurement of the
    chart), its height, girths and lengths varied by a few centimetres: the bodies people are (what the
    calibration photographs)."""
    from ..geometry.body.fit import FitError, fit_body
    from ..geometry.body.sizes import SIZES, size_measurements

    while True:
        hint = "female" if rng.random() < 0.5 else "male"
        m = size_measurements(SIZES[int(rng.integers(len(SIZES)))], hint)
        dh, db = float(rng.uniform(-8, 8)), float(rng.uniform(-3, 3))
        values = {k: v + float(rng.uniform(-1.5, 1.5)) for k, v in m.items()}  # every measurement of the chart
        values["height"] = m["height"] + dh
        values["inseam"] = m["inseam"] + 0.45 * dh + float(rng.uniform(-1.5, 1.5))
        values["arm_length"] = m["arm_length"] + 0.35 * dh + float(rng.uniform(-1.0, 1.0))
        values["waist"] = m["waist"] + float(rng.uniform(-4, 4))
        values["hips"] = m["hips"] + float(rng.uniform(-3, 3))
        bust = "bust" if hint == "female" else "chest"
        values[bust] = m[bust] + db
        if "underbust" in m:
            values["underbust"] = m["underbust"] + db + float(rng.uniform(-1.5, 1.5))
        try:
            return fit_body({k: round(v, 1) for k, v in values.items()}, hint)
        except FitError:
            continue


def truth_levels_cm(body: Any) -> dict[str, float]:
    """Height above the floor (cm) of each girth's tape on a fitted body (thigh: 3 cm below the crotch)."""
    from ..geometry.body.measure import THIGH_BELOW_CROTCH_M

    lm = body.landmarks
    out = {g: 100.0 * float(lm[g][1]) for g in ("bust", "chest", "underbust", "waist", "hips", "neck")}
    out["thigh"] = 100.0 * (float(lm["crotch"][1]) - THIGH_BELOW_CROTCH_M)
    return out


class SyntheticPhotos:
    """Front and side JPEG photos of bodies (render -> JPEG bytes), arms spread as the setup says."""

    def __init__(self, studio: PhotoStudio | None = None) -> None:
        from ..geometry.body.model import body_model

        self.studio = studio or PhotoStudio()
        model = body_model()
        self._arms = arm_weights(model.bone_labels, model.bone_weights)

    def pair(self, body: Any, setup: PhotoSetup, side_setup: PhotoSetup | None = None) -> tuple[bytes, bytes]:
        """(front JPEG, side JPEG) of a :class:`~fw_kernel.geometry.body.model.FittedBody`."""
        front = self.photo(body, setup, "front")
        side = self.photo(body, side_setup or setup, "side")
        return front, side

    def image(self, body: Any, setup: PhotoSetup, view: str) -> np.ndarray:
        verts = pose_arms(body.vertices, body.landmarks, self._arms, setup.arm_spread_deg)
        return self.studio.photo([(verts, body.faces)], setup, view)

    def photo(self, body: Any, setup: PhotoSetup, view: str) -> bytes:
        return jpeg_bytes(self.image(body, setup, view), setup.jpeg_quality)


def collect(n_bodies: int, seed: int, log: Any = print, fitted: bool = True
            ) -> list[tuple[Any, Any, dict[str, float], dict[str, float]]]:
    """(front view, side view, measurements, girth levels) of ``n_bodies`` random bodies photographed with
    random setups (what :func:`calibrate` fits on)."""
    import time

    from ..geometry.body.model import build_body
    from ..geometry.photo import measure as pm
    from .image_codec import decode_photo
    from .pose_mediapipe import MediaPipePose

    rng = np.random.default_rng(seed)
    photos = SyntheticPhotos()
    detector = MediaPipePose()
    t0 = time.monotonic()
    rows: list[tuple[pm.View, pm.View, dict[str, float], dict[str, float]]] = []
    for i in range(n_bodies):
        body = random_fitted_body(rng) if fitted else build_body(random_body_params(rng))
        setup = PhotoSetup.random(int(rng.integers(1 << 30)))
        side_setup = PhotoSetup.random(int(rng.integers(1 << 30)))
        views = []
        for view, s in (("front", setup), ("side", side_setup)):
            img = decode_photo(photos.photo(body, s, view), view)
            det = detector.detect(img)
            try:
                pm.check_photo(view, det.mask, det.landmarks, det.people)
            except pm.PhotoProblem as exc:
                log(f"body {i}: skipped ({exc})")
                break
            assert det.mask is not None and det.landmarks is not None  # check_photo passed: one person found
            views.append(pm.view_of(det.mask.astype(np.float16), det.landmarks, body.measured["height"]))
        if len(views) == 2:  # the photos from_photos accepts: a pair it refuses would teach the models nonsense
            try:
                pm.check_pair(views[0].landmarks, views[0].mask, views[1].landmarks, views[1].mask)
            except pm.PhotoProblem as exc:
                log(f"body {i}: skipped ({exc})")
                views = []
        if len(views) == 2:
            truth = dict(body.measured)
            truth["female"] = float(body.params["phenotypes"].get("gender", 0.5))
            rows.append((views[0], views[1], truth, truth_levels_cm(body)))
        if (i + 1) % 10 == 0:
            log(f"body {i + 1}/{n_bodies} ({time.monotonic() - t0:.0f} s)")
    return rows


def calibrate(n_bodies: int = 200, seed: int = 2026, path: Any = None, log: Any = print,
              rows: Any = None) -> dict[str, Any]:
    """Regenerate the photo-measurement calibration (``fw avatars calibrate-photos``).

    Renders ``n_bodies`` random bodies of the body model as front and side photos (varied setups), detects
    pose and mask, places each girth's level between the landmarks where the tape lies on the mesh (median
    fraction), then fits every model against the measurements taken on the meshes
    (:func:`fw_kernel.geometry.photo.measure.fit_calibration`). Writes the JSON to ``path`` (default: the
    packaged file) and returns it.
    """
    from ..geometry.photo import measure as pm

    rows = rows if rows is not None else collect(n_bodies, seed, log)
    # each girth's level: the median fraction of the height where the tape lies on the meshes
    levels = {g: round(float(np.median([t[g] / m["height"] for _, _, m, t in rows])), 4) for g in pm.GIRTHS}
    samples = [(pm.features(f, s, levels, m["female"]), m) for f, s, m, _ in rows]
    cal = pm.fit_calibration(samples, levels)
    cal["source"] = {"bodies": len(rows), "seed": seed, "command": "fw avatars calibrate-photos",
                     "detector": "mediapipe 0.10.21 pose (model_complexity=1) + segmentation"}
    from pathlib import Path

    out = Path(path) if path else pm.CALIBRATION_PATH
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(cal, indent=1) + "\n")
    log(f"wrote {out}: {len(rows)} of {n_bodies} bodies usable, {len(cal['models'])} models"
        + ("" if cal["models"] else " (at least 6 usable bodies are needed for a model)"))
    for name, m in cal["models"].items():
        log(f"{name:<15} mae {m['mae_cm']:.2f} cm, rmse {m['rmse_cm']:.2f} cm, leave-one-out rmse "
            f"{m['loo_rmse_cm']:.2f} cm (n={m['n']})")
    return cal
