"""Avatars from photos: a front and a side photo -> measurements with confidences -> the same body fit as
``AvatarService.create``.

Steps (each reported to a progress callback and as an avatar event on the event channel
``avatars/{user}``: ``processing_started``, ``processing_progress``, ``processing_complete``,
``processing_error``): read the photos (EXIF orientation, any colour mode: a ``PhotoCodec``, wired by ``bootstrap``
to ``adapters.image_codec``), detect pose and person mask
(``ports.PoseDetector``), check the photos (what to retake), measure (``geometry.photo.measure``), apply the
user's corrections, fit the body, store. Nothing is stored unless every step succeeds. With ``keep_photos`` the
photos as measured (upright, re-encoded without EXIF) go to a ``PhotoVault`` (encrypted at rest) before the
avatar is committed, and are deleted again if the commit fails; only the owner reads or deletes them.

Where detection and extraction run: inline, or with :attr:`PhotoAvatarService.remote` set (``FW_QUEUE=rq``) on a
``fw worker`` through the job queue (``adapters.photo_queue_rq``), which runs :meth:`~PhotoAvatarService.
measure_images`; the photos are decoded and checked for size here first, and the fit and the save stay here.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from ..domain.avatar import BODY_HINTS, MEASUREMENT_RANGES_CM, Avatar, validate_measurements
from ..domain.errors import FWError, NotFound, ValidationError, check_text, plausible_id, show_value
from ..domain.events import Event
from ..geometry.photo import measure as pm
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


class PhotoCodec(Protocol):
    """Photo files to pixels and back (``adapters.image_codec``, wired by ``bootstrap``)."""

    def decode_photo(self, photo: Any, field: str) -> np.ndarray:
        """(H, W, 3) uint8 RGB, upright, at most :data:`WORK_SIDE` px a side; ValidationError (naming ``field``)
        for what is not a photo, too large or too small."""
        ...

    def photo_jpeg(self, image: np.ndarray) -> bytes:
        """The decoded photo re-encoded as JPEG (no EXIF)."""
        ...


class PhotoVault(Protocol):
    """Original photos, encrypted at rest (``adapters.photo_vault.EncryptedPhotoVault``)."""

    def put(self, avatar_id: str, kind: str, jpeg: bytes) -> None: ...
    def get(self, avatar_id: str, kind: str) -> bytes | None: ...
    def delete(self, avatar_id: str) -> int: ...


def events_channel(user: str) -> str:
    """The event channel of a user's avatars (``StateCache.publish``/``subscribe`` id)."""
    return f"avatars/{user}"


class PhotoAvatarService:
    """``from_photos``: see the module docstring."""

    def __init__(self, uow: UnitOfWorkFactory, avatars: AvatarService, detector: Callable[[], PoseDetector],
                 cache: StateCache, calibration: Callable[[], Mapping[str, Any]] = pm.load_calibration,
                 clock: Callable[[], datetime] = utcnow, ids: Callable[[], str] = new_id,
                 vault: Callable[[], PhotoVault] | None = None, codec: PhotoCodec | None = None,
                 remote: Callable[[np.ndarray, np.ndarray, float, str | None], Mapping[str, Any]] | None = None):
        self._uow = uow
        self._codec = codec
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
        self.remote = remote

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
    def codec(self) -> PhotoCodec:
        if self._codec is None:
            raise RuntimeError("no photo codec configured (bootstrap wires fw_kernel.adapters.image_codec)")
        return self._codec

    def decode(self, photo: Any, field: str) -> np.ndarray:
        """A photo read and checked as :meth:`from_photos` reads it: (H, W, 3) uint8 RGB, upright, at most
        :data:`WORK_SIDE` pixels a side.

        Parameters
        ----------
        photo : a path, bytes, a binary file object, a PIL image, or an (H, W, 3|4) / (H, W) uint8 array.
        field : "front" or "side" (named in errors).

        Raises
        ------
        ValidationError
            Not an image, too large (bytes or pixels), too small.
        """
        return self.codec.decode_photo(photo, field)

    @property
    def calibration(self) -> Mapping[str, Any]:
        if self._calibration is None:
            self._calibration = self._calibration_factory()
        return self._calibration

    def measure(self, front: Any, side: Any, height: Any, body_hint: str | None = None) -> dict[str, Any]:
        """Measurements from two photos without fitting or storing anything (what the notebook shows).

        Returns
        -------
        dict with ``measurements`` (cm), ``confidence`` (0..1: the chance of being within 2 cm of a tape;
        low for a body unlike the calibration's, photos that disagree, or a limb at the photo's edge),
        ``error_cm`` (the predicted spread of each estimate's error), ``check_with_tape`` (the measurements
        with a confidence below 0.5, least confident first: measure these with a tape and pass them as
        ``corrections``), ``front`` and ``side`` (each: ``image`` (H, W, 3) uint8, ``landmarks`` (33, 3)
        pixels + visibility, ``mask`` (H, W)).
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
        images = {"front": self.decode(front, "front"), "side": self.decode(side, "side")}
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
                "check_with_tape": pm.to_check(est.confidence),
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
                        self.vault.put(avatar_id, kind, self.codec.photo_jpeg(found[kind]["image"]))
                with self._uow() as uow:
                    uow.users.ensure(user, self._clock())
                    uow.avatars.add(avatar)
                    uow.events.add(Event("avatar_created", user, avatar.created_at or self._clock(), None,
                                         {"avatar_id": avatar.id, "source": "photo", "body_hint": hint,
                                          "kept_photos": bool(keep_photos)}))
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
                measurements=avatar.measurements, confidence=avatar.confidence,
                # only what the photos estimated: the rest comes from the fitted body (confidence 0, not a doubt)
                check_with_tape=pm.to_check({k: c for k, c in avatar.confidence.items() if k in conf}))
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
