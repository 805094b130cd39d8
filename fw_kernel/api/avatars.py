"""``ws.avatars``: bodies fitted to measurements, sizes or photos."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..domain.avatar import Avatar as AvatarRecord
from ..domain.errors import NotFound as NotFoundError
from ..domain.errors import ValidationError
from .progress import _progress_bar

if TYPE_CHECKING:
    from .workspace import Workspace


class Avatar:
    """A body fitted to measurements: ``measurements`` are measured on the mesh (cm), ``requested`` what was
    asked; ``mesh`` is a ``trimesh.Trimesh`` in metres, +Y up, facing +Z, feet at y = 0, A-pose."""

    def __init__(self, ws: Workspace, record: AvatarRecord):
        self._ws = ws
        self.record = record

    id = property(lambda self: self.record.id)
    name = property(lambda self: self.record.name)
    body_hint = property(lambda self: self.record.body_hint)
    measurements = property(lambda self: dict(self.record.measurements))
    requested = property(lambda self: dict(self.record.requested))
    source = property(lambda self: self.record.source)  # "measurements" or "photo"
    confidence = property(lambda self: dict(self.record.confidence))  # per measurement, 0..1 (photo avatars)

    @property
    def check_with_tape(self) -> list[str]:
        """The measurements to check with a tape (confidence below 0.5, least confident first; empty for an
        avatar made from measurements): measure them and pass them as ``corrections``."""
        from ..geometry.photo.measure import to_check

        asked = self.record.requested   # what the photos estimated; the rest comes from the fitted body
        return to_check({k: c for k, c in self.record.confidence.items() if k in asked})

    def update(self, name: str | None = None, measurements: dict[str, float] | None = None,
               body_hint: str | None = None) -> Avatar:
        """Rename the avatar or fit it again (owner only): ``measurements`` in cm are merged into the ones asked
        before (``avatar.update(measurements={"waist": 72})`` changes the waist and re-fits the body; ``mesh``,
        ``measurements`` and the designs that wear it follow), ``body_hint`` re-fits with another body model. A
        refused value raises ``ValidationError`` and changes nothing. Returns this avatar, updated."""
        self.record = self._ws._services.avatars.update(self._ws.user, self.id, name, measurements, body_hint)
        return self

    def photos(self) -> dict[str, Any]:
        """The photos kept by ``from_photos(..., keep_photos=True)`` as PIL images by kind (front, side): upright,
        without EXIF, decrypted for the owner only."""
        import io

        from PIL import Image

        stored = self._ws._services.photo_avatars.photos(self._ws.user, self.id)
        return {k: Image.open(io.BytesIO(v)) for k, v in stored.items()}

    def delete_photos(self) -> int:
        """Delete the kept photos (the avatar and its measurements stay); returns how many were deleted."""
        return self._ws._services.photo_avatars.delete_photos(self._ws.user, self.id)

    @property
    def _body(self) -> Any:
        fitter = self._ws._services.avatars.fitter
        if fitter is None or not self.record.body:
            raise NotFoundError(f"avatar {self.name!r} has no fitted body", field="body", value=self.id)
        return fitter.body(self.record.body)

    @property
    def mesh(self) -> Any:
        return self._body.trimesh()

    @property
    def landmarks(self) -> dict[str, Any]:
        """Named points (metres): neck, shoulders, bust, waist, hips, crotch, elbows, wrists, ankles, head_top."""
        return dict(self._body.landmarks)

    def __repr__(self) -> str:
        m = self.record.measurements
        shown = ", ".join(f"{k}={m[k]:g}" for k in ("height", "bust", "waist", "hips") if k in m)
        return f"Avatar({self.name!r}, id={self.id!r}, {shown} cm)"


class Avatars:
    def __init__(self, ws: Workspace):
        self._ws = ws
        self._service = ws._services.avatars

    def create(self, name: str, measurements: dict[str, float], body_hint: str = "neutral") -> Avatar:
        """A body fitted to measurements in centimetres (height, bust or chest, underbust, waist, hips, inseam,
        shoulder_width, arm_length, neck, upper_arm, thigh; any subset) and a ``body_hint`` (female, male,
        neutral)."""
        return Avatar(self._ws, self._service.create(self._ws.user, name, measurements, body_hint))

    def from_size(self, name: str, size: str, body_hint: str = "female", **overrides: float) -> Avatar:
        """An avatar of a standard size (XS, S, M, L, XL, XXL, 3XL, 4XL; female or male chart), with any
        measurement overridden in cm (``height=152`` for a petite body)."""
        from ..geometry.body.sizes import SIZES, size_measurements

        if not isinstance(size, str) or size.upper() not in SIZES:
            raise ValidationError.bad("size", size, "one of " + ", ".join(SIZES))
        if body_hint not in ("female", "male"):
            raise ValidationError.bad("body_hint", body_hint, "'female' or 'male' (the two size charts)")
        return self.create(name, size_measurements(size, body_hint, **overrides), body_hint)

    def from_photos(self, name: str, front: Any, side: Any, height: float, body_hint: str | None = None,
                    weight: float | None = None, corrections: dict[str, float] | None = None,
                    progress: bool = True, keep_photos: bool = False) -> Avatar:
        """A body fitted to the measurements of a front and a side photo (paths, bytes, PIL images or RGB arrays;
        standing, whole body in frame, arms 30-45 degrees out, tight clothes). ``height`` (cm) sets the scale;
        ``corrections`` (cm) replace estimates. ``avatar.confidence`` gives each measurement's confidence (0..1);
        a photo that cannot be measured raises ``ValidationError`` saying what to retake. Events on
        ``avatars/{user}`` (see :meth:`on_event`). ``keep_photos``: keep the photos (upright, EXIF stripped,
        AES-GCM encrypted at rest; ``avatar.photos()``, ``avatar.delete_photos()``, the owner only)."""
        bar = _progress_bar("photo avatar") if progress else None
        record = self._ws._services.photo_avatars.from_photos(
            self._ws.user, name, front, side, height, body_hint, weight, corrections,
            progress=(lambda percent, step: bar(percent)) if bar is not None else None, keep_photos=keep_photos)
        return Avatar(self._ws, record)

    def measure_photos(self, front: Any, side: Any, height: float, body_hint: str | None = None) -> dict[str, Any]:
        """Measurements (cm), confidences, landmarks and masks of two photos, without fitting or storing (to
        review and correct before :meth:`from_photos`)."""
        return self._ws._services.photo_avatars.measure(front, side, height, body_hint)

    def on_event(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """Call ``callback(event)`` for this user's avatar events (processing_started, processing_progress,
        processing_complete, processing_error); returns a function that unsubscribes."""
        from ..services.photo_avatars import events_channel

        return self._ws._services.events.subscribe(events_channel(self._ws.user), callback)

    def get(self, avatar_id: str) -> Avatar:
        return Avatar(self._ws, self._service.get(self._ws.user, avatar_id))

    def list(self) -> list[Avatar]:
        return [Avatar(self._ws, a) for a in self._service.list(self._ws.user)]
