"""Export requests: what may be asked for, and the record of a job (queued -> processing -> completed/failed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .errors import FWError, ValidationError

EXPORT_TYPES = ("image", "video", "model", "techpack", "pattern")
#: every job the export queue runs: the exports, and the physics drape (``design.drape()``: its "file" is the
#: draped vertices, ``drape.npz``, and its result is also cached for the scene)
JOB_TYPES = (*EXPORT_TYPES, "drape")
CANCELLED = "cancelled"  # the error of a job cancelled before it ended (its status: failed)
IMAGE_FORMATS = ("png", "jpeg", "webp")
VIDEO_FORMATS = ("mp4", "webm", "gif")
MODEL_FORMATS = ("glb", "obj")
PATTERN_FORMATS = ("dxf", "svg", "pdf")
PAPERS = ("a4", "letter")
PATTERN_SIZES = ("avatar", "XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL")
VIEWS = {"front": 0.0, "three_quarter": 35.0, "left": 90.0, "back": 180.0, "right": -90.0}
QUALITIES = ("draft", "standard", "high")
STATUSES = ("queued", "processing", "completed", "failed")
MAX_PIXELS = 4096
KEEP_FOR = timedelta(days=7)


def _int_in(field: str, value: Any, low: int, high: int, unit: str = "pixels") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError.bad(field, value, f"an integer from {low} to {high} ({unit})")
    return value


def _check_options(options: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ValidationError.bad(unknown[0], options[unknown[0]], "options " + ", ".join(sorted(allowed)),
                                  "unknown option")


def _choice(field: str, value: Any, choices: tuple[str, ...] | dict[str, Any]) -> Any:
    if value not in choices:
        raise ValidationError.bad(field, value, "one of " + ", ".join(choices))
    return value


def _number_in(field: str, value: Any, low: float, high: float, unit: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValidationError.bad(field, value, f"a number from {low:g} to {high:g} ({unit})")
    return float(value)


def _background(value: Any, fmt: str) -> Any:
    if value is not None and not (value == "transparent" or (
            isinstance(value, str) and len(value) == 7 and value.startswith("#"))):
        raise ValidationError.bad("background", value, "'#rrggbb', 'transparent' or None (the canvas')")
    if value == "transparent" and fmt in ("jpeg", "mp4", "webm", "gif"):
        raise ValidationError.bad("background", value, f"a colour: {fmt} has no transparency here")
    return value


def validate_export(kind: Any, options: dict[str, Any]) -> dict[str, Any]:
    """Normalised options of an export request; raises :class:`ValidationError` naming what is allowed."""
    if kind not in JOB_TYPES:
        raise ValidationError.bad("type", kind, "one of " + ", ".join(JOB_TYPES))
    if kind == "drape":
        _check_options(options, {"quality"})
        return {"quality": _choice("quality", options.get("quality", "standard"), QUALITIES)}
    if kind == "techpack":
        _check_options(options, {"format", "quality"})
        return {"format": _choice("format", options.get("format", "pdf"), ("pdf",)),
                "quality": _choice("quality", options.get("quality", "standard"), QUALITIES)}
    if kind == "pattern":  # the sewing patterns of the design's garments
        _check_options(options, {"format", "paper", "size", "sex"})
        return {"format": _choice("format", options.get("format", "pdf"), PATTERN_FORMATS),
                "paper": _choice("paper", options.get("paper", "a4"), PAPERS),
                "size": _choice("size", options.get("size", "avatar"), PATTERN_SIZES),
                "sex": _choice("sex", options.get("sex", "female"), ("female", "male"))}
    if kind == "model":
        _check_options(options, {"format"})
        return {"format": _choice("format", options.get("format", "glb"), MODEL_FORMATS)}
    if kind == "image":
        _check_options(options, {"format", "width", "height", "view", "quality", "background"})
        fmt = _choice("format", options.get("format", "png"), IMAGE_FORMATS)
        return {"format": fmt, "width": _int_in("width", options.get("width", 1280), 16, MAX_PIXELS),
                "height": _int_in("height", options.get("height", 960), 16, MAX_PIXELS),
                "view": _choice("view", options.get("view", "front"), VIEWS),
                "quality": _choice("quality", options.get("quality", "standard"), QUALITIES),
                "background": _background(options.get("background"), fmt)}
    _check_options(options, {"format", "width", "height", "fps", "duration", "degrees", "view", "quality",
                             "background"})
    fmt = _choice("format", options.get("format", "mp4"), VIDEO_FORMATS)
    # yuv420p needs even sizes: round down rather than refuse
    width = _int_in("width", options.get("width", 640), 16, 1920) // 2 * 2
    height = _int_in("height", options.get("height", 480), 16, 1920) // 2 * 2
    fps = _int_in("fps", options.get("fps", 24), 1, 60, "frames per second")
    duration = _number_in("duration", options.get("duration", 4.0), 0.5, 60, "seconds")
    return {"format": fmt, "width": width, "height": height, "fps": fps, "duration": duration,
            "degrees": _number_in("degrees", options.get("degrees", 360.0), -720, 720, "degrees of turn"),
            "view": _choice("view", options.get("view", "front"), VIEWS),
            "quality": _choice("quality", options.get("quality", "draft"), QUALITIES),
            "background": _background(options.get("background"), fmt)}


class NothingToExport(FWError):
    """The design state holds nothing the export type can make (no retry can change that)."""


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

    @property
    def cancelled(self) -> bool:
        """Cancelled before it ended (``status`` failed, ``error`` starting with "cancelled")."""
        return self.status == "failed" and (self.error or "").startswith(CANCELLED)
