"""Export requests: what may be asked for, and the record of a job (queued -> processing -> completed/failed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .errors import ValidationError

EXPORT_TYPES = ("image",)   # video, model and techpack come with the rest of the exports work
IMAGE_FORMATS = ("png", "jpeg", "webp")
VIEWS = {"front": 0.0, "three_quarter": 35.0, "left": 90.0, "back": 180.0, "right": -90.0}
QUALITIES = ("draft", "standard", "high")
STATUSES = ("queued", "processing", "completed", "failed")
MAX_PIXELS = 4096
KEEP_FOR = timedelta(days=7)


def _int_in(field: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError.bad(field, value, f"an integer from {low} to {high} (pixels)")
    return value


def validate_export(kind: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Normalised options of an export request; raises :class:`ValidationError` naming what is allowed."""
    if kind not in EXPORT_TYPES:
        raise ValidationError.bad("type", kind, "one of " + ", ".join(EXPORT_TYPES) +
                                  " (video, model and techpack exports are not available yet)")
    allowed = {"format", "width", "height", "view", "quality", "background"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValidationError.bad(unknown[0], options[unknown[0]], "options " + ", ".join(sorted(allowed)),
                                  "unknown option")
    fmt = options.get("format", "png")
    if fmt not in IMAGE_FORMATS:
        raise ValidationError.bad("format", fmt, "one of " + ", ".join(IMAGE_FORMATS))
    view = options.get("view", "front")
    if view not in VIEWS:
        raise ValidationError.bad("view", view, "one of " + ", ".join(VIEWS))
    quality = options.get("quality", "standard")
    if quality not in QUALITIES:
        raise ValidationError.bad("quality", quality, "one of " + ", ".join(QUALITIES))
    background = options.get("background")
    if background is not None and not (background == "transparent" or (
            isinstance(background, str) and len(background) == 7 and background.startswith("#"))):
        raise ValidationError.bad("background", background, "'#rrggbb', 'transparent' or None (the canvas')")
    if background == "transparent" and fmt == "jpeg":
        raise ValidationError.bad("background", background, "a colour: JPEG has no transparency")
    return {"format": fmt, "width": _int_in("width", options.get("width", 1280), 16, MAX_PIXELS),
            "height": _int_in("height", options.get("height", 960), 16, MAX_PIXELS), "view": view,
            "quality": quality, "background": background}


@dataclass(frozen=True)
class ExportJob:
    id: str
    design_id: str
    user: str
    type: str
    options: dict[str, Any]
    status: str = "queued"
    progress: int = 0
    file_url: str | None = None
    file_name: str | None = None
    file_size: int | None = None
    error: str | None = None
    retry_count: int = 0
    created_at: datetime | None = None
    completed_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def path(self) -> str | None:
        """The file's local path when it lives in a local blob store (else its URL)."""
        url = self.file_url
        return url[len("file://"):] if url and url.startswith("file://") else url

    @property
    def done(self) -> bool:
        return self.status in ("completed", "failed")
