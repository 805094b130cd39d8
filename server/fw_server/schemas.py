"""Request and response models of the REST API (pydantic v2): they validate requests and generate the OpenAPI
document, so what the service checks and what it documents cannot drift apart.

Request models are strict and forbid unknown fields; what only the domain can judge (a catalog item's
customization, a design's canvas) is validated by the kernel, whose :class:`fw_kernel.ValidationError` names the
field and what is allowed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from fw_kernel.domain.layer import Layer
from fw_kernel.domain.values import (
    BlendMode,
    CanvasSettings,
    Category,
    LayerType,
    Role,
    Season,
    Status,
    Visibility,
)

Id = Annotated[str, Field(min_length=1, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
ShortText = Annotated[str, Field(max_length=200)]
LongText = Annotated[str, Field(max_length=10_000)]
Tag = Annotated[str, Field(min_length=1, max_length=40)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Measurement = Annotated[float, Field(gt=0, le=500, allow_inf_nan=False)]


class Request(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ----------------------------------------------------------------------------------------------------
class DesignCreate(Request):
    """A new design owned by the caller."""

    name: Name
    avatar_id: Id | None = None
    category: Category = "outfit"
    description: LongText = ""
    tags: Annotated[list[Tag], Field(max_length=50)] = []
    occasion: ShortText = ""
    season: Season | None = None
    status: Status = "draft"
    visibility: Visibility = "private"


class DesignPatch(Request):
    """Descriptive fields and canvas settings to change (only the fields given); one undoable edit each."""

    name: Name | None = None
    avatar_id: Id | None = None
    category: Category | None = None
    description: LongText | None = None
    tags: Annotated[list[Tag], Field(max_length=50)] | None = None
    occasion: ShortText | None = None
    season: Season | None = None
    status: Status | None = None
    visibility: Visibility | None = None
    canvas: dict[str, Any] | None = Field(
        None, description="canvas settings to change: camera {position, target, fov}, lighting_preset, background, "
                          "show_grid, grid_size, show_guides, snap_to_grid, render_quality, antialiasing, shadows, "
                          "ambient_occlusion")


class ForkRequest(Request):
    name: Name | None = None


class PublishRequest(Request):
    to: str = Field("team", max_length=20, description="team (everyone signed in) or public (anyone with the link)")


class Vec3Patch(Request):
    x: Finite | None = None
    y: Finite | None = None
    z: Finite | None = None


class TransformPatch(Request):
    """Partial transform: position in metres, rotation in degrees (XYZ Euler), scale factors (> 0)."""

    position: Vec3Patch | None = None
    rotation: Vec3Patch | None = None
    scale: Vec3Patch | None = None


class LayerFields(Request):
    """The layer fields a client may set, when adding a layer and when changing one (all optional). Not an
    endpoint's body itself: the OpenAPI document shows its fields in each body."""

    customization: dict[str, Any] | None = Field(None, description="the item's parameters (see its `parameters`)")
    name: Name | None = None
    transform: TransformPatch | None = None
    opacity: Annotated[int, Field(ge=0, le=100)] | None = None
    blend_mode: BlendMode | None = None
    is_visible: bool | None = None
    is_locked: bool | None = None
    notes: LongText | None = None
    group: ShortText | None = None


class LayerCreate(LayerFields):
    """A catalog item put on the design, on top or at ``index`` (0 = bottom)."""

    item_id: Id
    layer_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")] | None = Field(
        None, description="the new layer's id (default: a fresh one); a client that built the layer keeps its id")
    type: LayerType | None = Field(None, description="when given, must be the catalog item's type")
    index: Annotated[int, Field(ge=0, le=10_000)] | None = None


class LayerPatch(LayerFields):
    """Layer fields to change (only those given); ``customization`` is merged, ``transform`` is partial."""


class LayerOrder(Request):
    """Every layer id of the design exactly once, bottom first."""

    layer_ids: Annotated[list[Id], Field(max_length=10_000)]


class LayerGroup(Request):
    """Layers put in a named group (``group`` null: ungrouped); one undoable edit."""

    layer_ids: Annotated[list[Id], Field(min_length=1, max_length=10_000)]
    group: ShortText | None


class CheckpointRequest(Request):
    message: Annotated[str, Field(max_length=500)] = ""


class ShareRequest(Request):
    user: Name
    role: Role = "viewer"


class CommentRequest(Request):
    text: Annotated[str, Field(min_length=1, max_length=5_000)]
    layer_id: Id | None = None


class DrapeFind(Request):
    """A drape stack as the client's scene builder describes it: per garment, innermost first, ``geometry`` (the
    key of what its shape is made from), ``n`` and ``faces`` (vertex and triangle counts), ``physical``."""

    stack: list[dict[str, Any]] = Field(max_length=64)


class ExportRequest(Request):
    """``image``: format (png, jpeg, webp), width/height (16..4096 px), view, quality, background;
    ``video``: format (mp4, webm, gif), width/height (16..1920), fps, duration, degrees, view, quality, background;
    ``model``: format (glb, obj); ``techpack``: quality; ``drape``: quality (the physics drape job)."""

    type: Literal["image", "video", "model", "techpack", "drape"] = "image"
    options: dict[str, Any] = {}


class AvatarCreate(Request):
    """A body fitted to measurements in centimetres (any subset of the known ones)."""

    name: Name
    measurements: Annotated[dict[str, Measurement], Field(min_length=1, max_length=20)]
    body_hint: Literal["female", "male", "neutral"] = "neutral"


class AvatarPatch(Request):
    """What to change of an avatar (only the fields given): ``measurements`` (cm) are merged into the ones asked
    before and the body is fitted again."""

    name: Name | None = None
    measurements: Annotated[dict[str, Measurement], Field(min_length=1, max_length=20)] | None = None
    body_hint: Literal["female", "male", "neutral"] | None = None


Photo = Annotated[str, Field(min_length=1, max_length=34_000_000, description="the photo file (JPEG, PNG or WebP, "
                                                                              "at most 25 MB), base64")]


class PhotoAvatarRequest(Request):
    """A body fitted to the measurements of a front and a side photo (standing, whole body in frame, arms 30-45
    degrees out, tight clothes); ``height`` (cm) sets the scale, ``corrections`` (cm) replace estimates."""

    name: Annotated[str, Field(max_length=200)]
    front: Photo
    side: Photo
    height: Finite
    body_hint: Literal["female", "male", "neutral"] | None = None
    weight: Finite | None = None
    corrections: Annotated[dict[str, Finite], Field(max_length=20)] | None = None
    keep_photos: bool = Field(False, description="keep the photos (encrypted at rest; the owner reads or deletes "
                                                 "them at /avatars/{avatar_id}/photos)")


class MeasurePhotosRequest(Request):
    """Two photos measured without fitting or storing anything (to review before from-photos)."""

    front: Photo
    side: Photo
    height: Finite
    body_hint: Literal["female", "male", "neutral"] | None = None


# -- query parameters (strings on the wire; converted, not strict) -------------------------------------------------
class Query(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class CatalogListQuery(Query):
    type: LayerType | None = None


class CatalogSearchQuery(Query):
    q: Annotated[str, Field(max_length=200)] = ""
    type: LayerType | None = None
    tags: Annotated[str, Field(max_length=400, description="comma-separated tags")] | None = None
    max_price: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    availability: Literal["in_stock", "low_stock", "out_of_stock", "made_to_order", "discontinued"] | None = None
    limit: Annotated[int, Field(ge=1, le=500)] = 50


class DesignQuery(Query):
    count_view: bool = Field(True, description="count a view (false: a client refreshing its open design)")


class ThumbnailQuery(Query):
    size: Annotated[int, Field(ge=32, le=1024)] = 256


class PublicLinkRequest(Request):
    expires_in_s: Annotated[int, Field(ge=60, le=90 * 86_400, description="how long the link works, seconds "
                                                                          "(a minute to 90 days)")] = 7 * 86_400


class PublicLinkOut(Response):
    """A signed link anyone may open without signing in (read-only) while the design stays published to public."""

    url: str
    thumbnail_url: str
    expires_at: datetime



class LimitQuery(Query):
    limit: Annotated[int, Field(ge=1, le=100)] = 10


class HistoryQuery(Query):
    limit: Annotated[int, Field(ge=1, le=10_000)] | None = None


Reason = Annotated[str, Field(min_length=1, max_length=500, description="why you audit (recorded, shown to the "
                                                                        "design's owner)")]
AuditLimit = Annotated[int, Field(ge=1, le=1000)]


class AuditQuery(Query):
    reason: Reason


class AdminDesignsQuery(Query):
    owner: Annotated[str, Field(min_length=1, max_length=200, description="whose designs")]
    reason: Reason
    limit: AuditLimit = 100


class AuditLogQuery(Query):
    design_id: Id | None = None
    admin: Annotated[str, Field(min_length=1, max_length=200, description="audits by this admin")] | None = None
    owner: Annotated[str, Field(min_length=1, max_length=200, description="audits of this user's designs")] | None \
        = None
    limit: AuditLimit = 100


class OwnerAuditQuery(Query):
    limit: AuditLimit = 100


class DownloadQuery(Query):
    expires: Annotated[int, Field(ge=0, le=2**62)]
    user: Annotated[str, Field(min_length=1, max_length=200)]
    signature: Annotated[str, Field(min_length=1, max_length=128, description="hex HMAC-SHA256")]


class PublicDesignQuery(DownloadQuery):
    size: Annotated[int, Field(ge=32, le=1024)] = 256


# -- responses ---------------------------------------------------------------------------------------------------
class ErrorOut(Response):
    """Every refused request: ``error`` is the kind, ``message`` says what was wrong and what is allowed."""

    error: Literal["bad_request", "unauthorized", "forbidden", "not_found", "conflict", "payload_too_large",
                   "validation_error", "rate_limited", "limit_exceeded", "method_not_allowed", "unavailable",
                   "internal_error"]
    message: str
    field: str | None = None
    allowed: str | None = None


class Counts(Response):
    views: int
    likes: int
    forks: int


class DesignOut(Response):
    id: str
    owner: str
    role: Role | None = Field(description="the caller's role on the design")
    version: int
    name: str
    description: str
    avatar_id: str | None
    category: Category
    tags: list[str]
    occasion: str
    season: Season | None
    status: Status
    visibility: Visibility
    fork_from: str | None
    counts: Counts
    created_at: datetime | None
    updated_at: datetime | None
    canvas: CanvasSettings
    layers: list[Layer]


class VersionOut(Response):
    design_id: str
    version_number: int
    message: str
    design_version: int
    created_by: str
    created_at: datetime


class PatchOp(BaseModel):
    """One RFC 6902 operation."""

    model_config = ConfigDict(extra="allow")
    op: Literal["add", "remove", "replace", "move", "copy", "test"]
    path: str


class HistoryOut(Response):
    version: int
    user: str
    action: str
    data: dict[str, Any]
    created_at: datetime


class CollaboratorOut(Response):
    design_id: str
    user: str
    role: Role
    added_by: str
    created_at: datetime


class CommentOut(Response):
    id: str
    design_id: str
    user: str
    text: str
    layer_id: str | None
    created_at: datetime


class AvatarOut(Response):
    id: str
    name: str
    owner: str
    body_hint: str
    source: str
    measurements: dict[str, float] = Field(description="cm, measured on the fitted mesh")
    requested: dict[str, float] = Field(description="cm, as asked")
    confidence: dict[str, float] = Field(description="per measurement, 0..1 (photo avatars)")
    body: dict[str, Any] = Field(description="body-model parameters that rebuild the mesh (empty: not fitted)")
    created_at: datetime | None


class CatalogItemOut(Response):
    id: str
    type: LayerType
    name: str
    description: str
    tags: list[str]
    price: float
    currency: str
    availability: str
    compatibility: dict[str, Any]
    parameters: dict[str, dict[str, Any]]
    appearance: dict[str, Any]
    physical: dict[str, Any]
    thumbnail: str | None


class ExportOut(Response):
    id: str
    design_id: str
    user: str
    type: str
    options: dict[str, Any]
    status: str = Field(description="queued, processing, completed or failed")
    progress: int
    file_name: str | None
    file_size: int | None
    error: str | None
    created_at: datetime | None
    completed_at: datetime | None
    expires_at: datetime | None
    download_url: str | None = Field(description="signed, short-lived; needs no Authorization header")
    download_expires_at: datetime | None


class AuditOut(Response):
    """One audit access of a design by an admin."""

    id: str
    admin: str
    design_id: str
    owner: str
    endpoint: str = Field(description="the audit endpoint, e.g. 'GET /admin/designs/{design_id}/history'")
    reason: str
    created_at: datetime


class PhotoProcessOut(Response):
    """An avatar being made from photos; ``id`` is the avatar's id once it is saved."""

    id: str
    name: str
    status: Literal["processing", "completed", "failed"]
    progress: int = Field(description="0..100")
    step: str = Field(description="queued, reading photos, detecting pose (front), ..., saving, done")
    avatar: AvatarOut | None = Field(description="the avatar, once completed")
    error: ErrorOut | None = Field(description="why it failed (a photo to retake: validation_error, field front "
                                               "or side)")
    created_at: datetime
    updated_at: datetime


class PhotoViewOut(Response):
    width: int
    height: int
    landmarks: list[list[float]] = Field(description="33 pose landmarks: x, y (pixels of the photo as measured, at "
                                                     "most 1280 px a side), visibility")
    mask: str = Field(description="the person mask, a base64 8-bit greyscale PNG (255: person)")


class PhotoMeasureOut(Response):
    measurements: dict[str, float] = Field(description="cm")
    confidence: dict[str, float] = Field(description="per measurement, 0..1")
    error_cm: dict[str, float] = Field(description="the calibration's typical error per measurement")
    check_with_tape: list[str] = Field(description="the measurements with a confidence below 0.5, least "
                                                   "confident first: measure these with a tape and send them "
                                                   "as corrections")
    agreement: dict[str, float]
    front: PhotoViewOut
    side: PhotoViewOut


class AvatarPhotosOut(Response):
    front: str | None = Field(description="JPEG, base64 (upright, without EXIF)")
    side: str | None


class DeletedOut(Response):
    deleted: int


class UndoOut(Response):
    done: bool = Field(description="False when the session had nothing to undo (or redo)")
    design: DesignOut


class ServiceInfo(Response):
    service: str
    version: str
    user: str
    api: str
