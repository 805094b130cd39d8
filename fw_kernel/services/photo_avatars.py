"""Avatars from photos: a front and a side photo -> measurements with confidences -> the same body fit as
``AvatarService.create``.

Steps (each reported to a progress callback and as an avatar event on the event channel
``avatars/{user}``: ``processing_started``, ``processing_progress``, ``processing_complete``,
``processing_error``): read the photos (EXIF orientation, any colour mode), detect pose and person mask
(``ports.PoseDetector``), check the photos (what to retake), measure (``geometry.photo_measure``), apply the
user's corrections, fit the body, store. Nothing is stored unless every step succeeds. With ``keep_photos`` the
photos as measured (upright, re-encoded without EXIF) go to a ``PhotoVault`` (encrypted at rest) before the
avatar is committed, and are deleted again if the commit fails; only the owner reads or deletes them.

Where detection and extraction run: inline, or with :attr:`PhotoAvatarService.remote` set (``FW_QUEUE=rq``) on a
``fw worker`` through the job queue (``adapters.photo_queue_rq``), which runs :meth:`~PhotoAvatarService.
measure_images`; the photos are decoded and checked for size here first, and the fit and the save stay here.
"""

from __future__ import annotations

import contextlib
import io
import math
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ..domain.avatar import BODY_HINTS, MEASUREMENT_RANGES_CM, Avatar, validate_measurements
from ..domain.errors import FWError, NotFound, ValidationError, check_text, plausible_id, show_value
from ..geometry import photo_measure as pm
from ..ports import StateCache, UnitOfWorkFactory
from .avatars import AvatarService
from .clock import new_id, utcnow

MAX_PHOTO_BYTES = 25 * 1024 * 1024
"""Largest photo file accepted (a 50 MP phone JPEG is ~20 MB)."""

MAX_PHOTO_PIXELS = 60_000_000
MAX_PHOTO_SIDE = 12_000
MIN_PHOTO_SIDE = 320
"""Photo size limits (pixels); larger photos are scaled down to :data:`WORK_SIDE` before detection."""

WORK_SIDE = 1280
"""Longest side (pixels) photos are measured at (detection runs at 256 px inside the model anyway)."""

STEPS = ("reading photos", "detecting pose (front)", "detecting pose (side)", "measuring", "fitting body", "saving")

# priority of the measurements handed to the fitter: dropped from the end when they cannot be reached together
_FIT_ORDER = ("height", "waist", "hips", "bust", "chest", "inseam", "underbust", "shoulder_width", "arm_length",
              "thigh", "neck", "upper_arm")


class PoseDetector(Protocol):
    """Finds one person's pose landmarks and mask in a photo (``adapters.pose_mediapipe.MediaPipePose``)."""

    def detect(self, image: np.ndarray) -> Any:
        """``.landmarks`` (33, 3) pixel x, y, visibility or None; ``.mask`` (H, W) float or None; ``.people``."""
        ...


class PhotoVault(Protocol):
    """Original photos, encrypted at rest (``adapters.photo_vault.EncryptedPhotoVault``)."""

    def put(self, avatar_id: str, kind: str, jpeg: bytes) -> None: ...
    def get(self, avatar_id: str, kind: str) -> bytes | None: ...
    def delete(self, avatar_id: str) -> int: ...


def events_channel(user: str) -> str:
    """The event channel of a user's avatars (``StateCache.publish``/``subscribe`` id)."""
    return f"avatars/{user}"


def decode_photo(photo: Any, field: str) -> np.ndarray:
    """A photo as an (H, W, 3) C-contiguous uint8 RGB array, upright (EXIF orientation applied), at most
    :data:`WORK_SIDE` pixels on its longest side.

    Parameters
    ----------
    photo : a path (str or Path), bytes, a binary file object, a PIL image, or an (H, W, 3|4) / (H, W) uint8
        array.
    field : "front" or "side" (named in errors).

    Raises
    ------
    ValidationError
        Not an image, too large (bytes or pixels), too small.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    allowed = "a JPEG, PNG or WebP photo: a path, bytes, a PIL image or an RGB array"
    if isinstance(photo, np.ndarray):
        if photo.dtype != np.uint8 or photo.ndim not in (2, 3):
            raise ValidationError.bad(field, f"array {photo.dtype} {photo.shape}", allowed)
        img = Image.fromarray(photo)
    elif isinstance(photo, Image.Image):
        img = photo
    else:
        if isinstance(photo, str | Path):
            path = Path(photo).expanduser()
            if not path.is_file():
                raise ValidationError.bad(field, str(photo), allowed, "no such file")
            size = path.stat().st_size
            if size > MAX_PHOTO_BYTES:
                raise ValidationError.bad(field, f"{size / 1e6:.0f} MB file", f"at most {MAX_PHOTO_BYTES >> 20} MB",
                                          "the photo file is too large; export it at a lower resolution")
            data = path.read_bytes()
        elif isinstance(photo, bytes | bytearray | memoryview):
            data = bytes(photo)
        elif hasattr(photo, "read"):
            data = photo.read(MAX_PHOTO_BYTES + 1)
        else:
            raise ValidationError.bad(field, type(photo).__name__, allowed)
        if len(data) > MAX_PHOTO_BYTES:
            raise ValidationError.bad(field, f"{len(data) / 1e6:.0f} MB", f"at most {MAX_PHOTO_BYTES >> 20} MB",
                                      "the photo file is too large; export it at a lower resolution")
        try:
            img = Image.open(io.BytesIO(data))
        except (UnidentifiedImageError, OSError, ValueError):
            raise ValidationError.bad(field, f"{len(data)} bytes starting {data[:8]!r}", allowed,
                                      "this is not an image file") from None
    w, h = img.size
    if w * h > MAX_PHOTO_PIXELS or max(w, h) > MAX_PHOTO_SIDE:
        raise ValidationError.bad(field, f"{w} x {h} pixels",
                                  f"at most {MAX_PHOTO_SIDE} pixels a side and {MAX_PHOTO_PIXELS // 1_000_000} MP",
                                  "the photo is too large")
    if min(w, h) < MIN_PHOTO_SIDE:
        raise ValidationError.bad(field, f"{w} x {h} pixels", f"at least {MIN_PHOTO_SIDE} pixels a side",
                                  "the photo is too small to measure; use the camera's full resolution")
    try:
        if hasattr(img, "draft") and img.format == "JPEG":
            img.draft("RGB", (WORK_SIDE, WORK_SIDE))  # decode big JPEGs at 1/2, 1/4 or 1/8 scale: fast
        img = ImageOps.exif_transpose(img)
        if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
            rgba = img.convert("RGBA")
            flat = Image.new("RGB", rgba.size, (255, 255, 255))
            flat.paste(rgba, mask=rgba.getchannel("A"))
            img = flat
        else:  # L, I;16, CMYK, YCbCr, P...
            img = img.convert("RGB")
        if max(img.size) > WORK_SIDE:
            scale = WORK_SIDE / max(img.size)
            img = img.resize((max(1, round(img.size[0] * scale)), max(1, round(img.size[1] * scale))),
                             Image.Resampling.BILINEAR)
        return np.ascontiguousarray(np.asarray(img, dtype=np.uint8))
    except (OSError, ValueError, SyntaxError):
        raise ValidationError.bad(field, "a damaged image", allowed, "the image data cannot be decoded") from None


class PhotoAvatarService:
    """``from_photos``: see the module docstring."""

    def __init__(self, uow: UnitOfWorkFactory, avatars: AvatarService, detector: Callable[[], PoseDetector],
                 cache: StateCache, calibration: Callable[[], Mapping[str, Any]] = pm.load_calibration,
                 clock: Callable[[], datetime] = utcnow, ids: Callable[[], str] = new_id,
                 vault: Callable[[], PhotoVault] | None = None):
        self._uow = uow
        self.vault_factory = vault
        self._vault: PhotoVault | None = None
        self._clock = clock
        self._ids = ids
        self._avatars = avatars
        self._detector_factory = detector
        self._detector: PoseDetector | None = None
        self._cache = cache
        self._calibration_factory = calibration
        self._calibration: Mapping[str, Any] | None = None
        # production (FW_QUEUE=rq): detection and extraction on a worker, ``(front, side, height, hint) -> the
        # answer of measure_images``; None: inline
        self.remote: Callable[[np.ndarray, np.ndarray, float, str | None], Mapping[str, Any]] | None = None

    @property
    def detector(self) -> PoseDetector:
        if self._detector is None:
            self._detector = self._detector_factory()
        return self._detector

    @property
    def vault(self) -> PhotoVault:
        if self._vault is None:
            if self.vault_factory is None:
                raise NotFound("no photo store is configured", field="photos")
            self._vault = self.vault_factory()
        return self._vault

    @property
    def calibration(self) -> Mapping[str, Any]:
        if self._calibration is None:
            self._calibration = self._calibration_factory()
        return self._calibration

    def measure(self, front: Any, side: Any, height: Any, body_hint: str | None = None) -> dict[str, Any]:
        """Measurements from two photos without fitting or storing anything (what the notebook shows).

        Returns
        -------
        dict with ``measurements`` (cm), ``confidence`` (0..1), ``error_cm`` (the calibration's), ``front`` and
        ``side`` (each: ``image`` (H, W, 3) uint8, ``landmarks`` (33, 3) pixels + visibility, ``mask`` (H, W)).
        """
        return self._measure(front, side, self._check_height(height), lambda i: None, body_hint)

    @staticmethod
    def _check_height(height: Any) -> float:
        low, high = MEASUREMENT_RANGES_CM["height"]
        if isinstance(height, bool) or not isinstance(height, int | float) or not math.isfinite(height) \
                or not low <= height <= high:
            raise ValidationError.bad("height", height, f"the person's height, a number of centimetres from "
                                                        f"{low:g} to {high:g} (it sets the photos' scale)")
        return float(height)

    def _measure(self, front: Any, side: Any, height: float, step: Callable[[int], None],
                 body_hint: str | None = None) -> dict[str, Any]:
        step(0)
        images = {"front": decode_photo(front, "front"), "side": decode_photo(side, "side")}
        if self.remote is None:
            found = self._detect_and_estimate(images, height, step, body_hint)
        else:  # on a worker: the same steps, reported when the answer comes back
            step(1)
            found = _from_wire(self.remote(images["front"], images["side"], height, body_hint))
            step(2)
            step(3)
        for k in ("front", "side"):
            found[k] = {"image": images[k], **found[k]}
        return found

    def _detect_and_estimate(self, images: Mapping[str, np.ndarray], height: float, step: Callable[[int], None],
                             body_hint: str | None) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for i, kind in enumerate(("front", "side")):
            step(1 + i)
            det = self.detector.detect(images[kind])
            try:
                pm.check_photo(kind, det.mask, det.landmarks, det.people)
            except pm.PhotoProblem as exc:
                raise _retake(exc) from None
            found[kind] = det
        step(3)
        try:
            pm.check_pair(found["front"].landmarks, found["front"].mask, found["side"].landmarks,
                          found["side"].mask)
        except pm.PhotoProblem as exc:
            raise _retake(exc) from None
        views = {k: pm.view_of(found[k].mask, found[k].landmarks, height) for k in found}
        est = pm.estimate(views["front"], views["side"], self.calibration, body_hint)
        return {"measurements": est.values, "confidence": est.confidence, "error_cm": est.error_cm,
                "agreement": {k: float(getattr(found[k], "agreement", 1.0)) for k in found},
                **{k: {"landmarks": found[k].landmarks, "mask": found[k].mask} for k in found}}

    def measure_images(self, front: np.ndarray, side: np.ndarray, height: float,
                       body_hint: str | None = None) -> dict[str, Any]:
        """Detection, checks and measurements of two decoded photos, always inline: what a worker runs for
        :attr:`remote`. A photo it cannot measure is an answer (``refused``: the message, ``field``, ``value``),
        not an exception; masks travel as uint8 (0-255)."""
        try:
            found = self._detect_and_estimate({"front": front, "side": side}, float(height), lambda i: None,
                                              body_hint)
        except ValidationError as exc:
            plain = exc.value is None or isinstance(exc.value, str | int | float)
            return {"refused": str(exc), "field": exc.field, "value": exc.value if plain else show_value(exc.value)}
        for k in ("front", "side"):
            found[k] = {"landmarks": found[k]["landmarks"],
                        "mask": np.round(np.clip(found[k]["mask"], 0, 1) * 255).astype(np.uint8)}
        return found

    @classmethod
    def check_request(cls, name: Any, height: Any, body_hint: Any = None, weight: Any = None,
                      corrections: Any = None) -> tuple[str, float, dict[str, float]]:
        """The arguments of :meth:`from_photos` but the photos, checked: ``(body hint, height, corrections)``
        (the design service checks them before it accepts the photos, a remote kernel before it sends them)."""
        check_text("name", name, 200)
        hint = "neutral" if body_hint is None else body_hint
        if hint not in BODY_HINTS:
            raise ValidationError.bad("body_hint", body_hint, "None or one of " + ", ".join(BODY_HINTS))
        h = cls._check_height(height)
        if weight is not None and (isinstance(weight, bool) or not isinstance(weight, int | float)
                                   or not math.isfinite(weight) or not 30 <= weight <= 300):
            raise ValidationError.bad("weight", weight, "None or the body weight in kg, 30 to 300")
        fixes: dict[str, float] = {}
        if corrections is not None:
            if not isinstance(corrections, Mapping):
                raise ValidationError.bad("corrections", corrections, "a dict like {'waist': 72} (cm)")
            fixes = validate_measurements(dict(corrections)) if corrections else {}
        return hint, h, fixes

    def from_photos(self, user: str, name: Any, front: Any, side: Any, height: Any, body_hint: Any = None,
                    weight: Any = None, corrections: Any = None,
                    progress: Callable[[int, str], None] | None = None, keep_photos: bool = False,
                    avatar_id: str | None = None) -> Avatar:
        """Measure, fit and store an avatar (see the module docstring). ``progress(percent, step)``.
        ``keep_photos``: store the photos as measured (upright, without EXIF), encrypted, readable and deletable
        by the owner only. ``avatar_id``: the new avatar's id (default: a fresh one; the design service names
        its photo process after it)."""
        hint, h, fixes = self.check_request(name, height, body_hint, weight, corrections)
        avatar_id = avatar_id or self._ids()
        channel = events_channel(user)
        started = time.monotonic()

        def publish(kind: str, **data: Any) -> None:
            with contextlib.suppress(Exception):  # events are best-effort, like the design events
                self._cache.publish(channel, {"type": kind, "avatar_id": avatar_id, "name": name, **data})

        def step(i: int) -> None:
            percent = round(100 * i / len(STEPS))
            if progress is not None:
                progress(percent, STEPS[i])
            publish("processing_progress", step=STEPS[i], progress=percent)

        publish("processing_started", steps=list(STEPS))
        try:
            found = self._measure(front, side, h, step, hint)
            est, conf = dict(found["measurements"]), dict(found["confidence"])
            for k, v in fixes.items():  # what the user measured wins, with full confidence
                est[k] = v
                conf[k] = 1.0
            est.pop("chest" if hint == "female" else "bust", None)
            if hint == "neutral":
                est.pop("chest", None)
            step(4)
            requested, measured, body = self._fit(est, conf, hint, set(fixes))
            step(5)
            confidence = {k: conf.get(k, 0.0) for k in measured}
            avatar = Avatar(avatar_id, user, name, measured, hint, self._clock(), source="photo",
                            requested=requested, body=body, confidence=confidence)
            try:
                if keep_photos:
                    for kind in ("front", "side"):
                        self.vault.put(avatar_id, kind, _jpeg(found[kind]["image"]))
                with self._uow() as uow:
                    uow.users.ensure(user, self._clock())
                    uow.avatars.add(avatar)
                    uow.commit()
            except BaseException:
                if keep_photos:  # nothing half-made: no photos without their avatar
                    with contextlib.suppress(Exception):
                        self.vault.delete(avatar_id)
                raise
        except FWError as exc:
            publish("processing_error", error=str(exc), field=getattr(exc, "field", None))
            raise
        except Exception as exc:
            publish("processing_error", error=f"{type(exc).__name__}: {exc}")
            raise
        if progress is not None:
            progress(100, "done")
        publish("processing_complete", progress=100, seconds=round(time.monotonic() - started, 2),
                measurements=avatar.measurements, confidence=avatar.confidence)
        return avatar

    def _owned(self, user: str, avatar_id: Any) -> Avatar:
        with self._uow() as uow:
            avatar = uow.avatars.get(avatar_id) if plausible_id(avatar_id) else None
        if avatar is None or avatar.owner != user:  # another user's avatar is not revealed either
            raise NotFound(f"avatar {show_value(avatar_id)} does not exist or is not yours", field="avatar_id",
                           value=avatar_id)
        return avatar

    def photos(self, user: str, avatar_id: str) -> dict[str, bytes]:
        """The stored photos (JPEG bytes by kind) of the user's own avatar; NotFound if none are kept."""
        self._owned(user, avatar_id)
        out = {k: self.vault.get(avatar_id, k) for k in ("front", "side")}
        if not any(out.values()):
            raise NotFound(f"avatar {avatar_id!r} has no stored photos (kept only with keep_photos=True, "
                           "until deleted)", field="photos", value=avatar_id)
        return {k: v for k, v in out.items() if v is not None}

    def delete_photos(self, user: str, avatar_id: str) -> int:
        """Delete the stored photos of the user's own avatar (the avatar stays); returns how many there were."""
        self._owned(user, avatar_id)
        return self.vault.delete(avatar_id)

    def _fit(self, est: dict[str, float], conf: dict[str, float], hint: str, fixed: set[str]
             ) -> tuple[dict[str, float], dict[str, float], dict[str, Any]]:
        """Fit the body to the estimates, dropping the least certain ones (never the user's) that the body model
        cannot reach together with the rest."""
        wanted = {k: v for k, v in est.items() if k in MEASUREMENT_RANGES_CM}
        for k, v in list(wanted.items()):  # clip into the plausible ranges: a photo estimate is not a typo
            low, high = MEASUREMENT_RANGES_CM[k]
            if k not in fixed:
                wanted[k] = round(min(max(v, low), high), 1)
        order = [k for k in _FIT_ORDER if k in wanted]
        # drop the secondary measurements first (least confident first), the main girths and inseam last
        core = ("bust", "chest", "waist", "hips", "inseam")
        droppable = sorted((k for k in order if k not in fixed and k not in ("height",)),
                           key=lambda k: (k in core, conf.get(k, 0.0), -order.index(k)))
        last: ValidationError | None = None
        fitter = self._avatars.fitter
        while True:
            try:
                values = validate_measurements(wanted)
                if fitter is None:
                    return values, values, {}
                measured, body = fitter.fit(values, hint)
                return values, measured, body
            except ValidationError as exc:
                last = exc
                if not droppable:
                    raise ValidationError(f"the photos' measurements cannot be fitted: {last}", field="photos",
                                          value=show_value(wanted)) from None
                wanted.pop(droppable.pop(0))


def _jpeg(image: np.ndarray) -> bytes:
    """The photo as measured, re-encoded from its pixels: no EXIF (GPS, camera, time) survives."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="JPEG", quality=92)
    return buf.getvalue()


def _from_wire(answer: Mapping[str, Any]) -> dict[str, Any]:
    """A worker's :meth:`PhotoAvatarService.measure_images` answer as the inline measurement (or its refusal)."""
    if "refused" in answer:
        raise ValidationError(str(answer["refused"]), field=answer.get("field"), value=answer.get("value"))
    found = dict(answer)
    for k in ("front", "side"):
        found[k] = {"landmarks": np.asarray(answer[k]["landmarks"], dtype=np.float64),
                    "mask": np.asarray(answer[k]["mask"], dtype=np.float32) / 255.0}
    return found


def _retake(exc: pm.PhotoProblem) -> ValidationError:
    return ValidationError(str(exc), field=exc.photo, value=exc.problem)
