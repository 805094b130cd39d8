"""Value objects and vocabularies of the design domain (pydantic models, frozen, strict)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

Category = Literal["outfit", "top", "bottom", "dress", "outerwear", "full_collection"]
Status = Literal["draft", "published", "archived"]
Visibility = Literal["private", "shared", "public"]
LayerType = Literal["silhouette", "fabric", "pattern", "element", "accessory"]
BlendMode = Literal["normal", "multiply", "screen", "overlay", "add"]
Role = Literal["viewer", "commenter", "editor", "owner"]
Season = Literal["spring", "summer", "autumn", "winter", "all_season"]
LightingPreset = Literal["studio", "soft", "outdoor", "dramatic", "flat"]
RenderQuality = Literal["draft", "standard", "high"]

CATEGORIES: tuple[str, ...] = get_args(Category)
STATUSES: tuple[str, ...] = get_args(Status)
VISIBILITIES: tuple[str, ...] = get_args(Visibility)
LAYER_TYPES: tuple[str, ...] = get_args(LayerType)
BLEND_MODES: tuple[str, ...] = get_args(BlendMode)
ROLES: tuple[str, ...] = get_args(Role)

Finite = Annotated[float, Field(allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
ShortText = Annotated[str, Field(max_length=200)]
LongText = Annotated[str, Field(max_length=10_000)]
Tag = Annotated[str, Field(min_length=1, max_length=40)]
HexColor = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]


def _list_to_tuple(value: object) -> object:
    # JSON and notebooks give lists; the frozen models store tuples (strict mode would refuse the list).
    return tuple(value) if isinstance(value, list) else value


AsTuple = BeforeValidator(_list_to_tuple)


def _no_nul(value: object) -> object:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("NUL characters are not allowed in text")
    if isinstance(value, tuple | list):
        for item in value:
            _no_nul(item)
    return value


class Frozen(BaseModel):
    model_config = ConfigDict(strict=True, frozen=True, extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _text_without_nul(cls, value: object) -> object:
        # PostgreSQL cannot store NUL in text; refuse it everywhere so both back ends agree.
        return _no_nul(value)


class Vec3(Frozen):
    """A 3-vector; units depend on use (metres for positions, degrees for rotations, ratio for scale)."""

    x: Finite = 0.0
    y: Finite = 0.0
    z: Finite = 0.0


class Scale3(Frozen):
    """Per-axis scale factors, each > 0."""

    x: Positive = 1.0
    y: Positive = 1.0
    z: Positive = 1.0


class Transform(Frozen):
    """Placement of a layer relative to the avatar: position in metres, rotation in degrees (XYZ Euler)."""

    position: Vec3 = Vec3()
    rotation: Vec3 = Vec3()
    scale: Scale3 = Scale3()


class Camera(Frozen):
    """Viewer camera: position and target in metres (+Y up, avatar faces +Z), vertical field of view in degrees."""

    position: Annotated[tuple[Finite, Finite, Finite], AsTuple] = (0.0, 1.1, 3.2)
    target: Annotated[tuple[Finite, Finite, Finite], AsTuple] = (0.0, 0.95, 0.0)
    fov: Annotated[float, Field(gt=10, le=120, allow_inf_nan=False)] = 40.0


class CanvasSettings(Frozen):
    """How a design is shown and rendered (the seed's canvas settings)."""

    camera: Camera = Camera()
    lighting_preset: LightingPreset = "studio"
    background: HexColor | Literal["transparent"] = "#f4f4f6"
    show_grid: bool = True
    grid_size: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] = 0.1
    show_guides: bool = False
    snap_to_grid: bool = False
    render_quality: RenderQuality = "standard"
    antialiasing: bool = True
    shadows: bool = True
    ambient_occlusion: bool = False


class DesignMeta(Frozen):
    """The editable descriptive fields of a design."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: LongText = ""
    avatar_id: str | None = None
    category: Category = "outfit"
    tags: Annotated[tuple[Tag, ...], Field(max_length=50), AsTuple] = ()
    occasion: ShortText = ""
    season: Season | None = None
    status: Status = "draft"
    visibility: Visibility = "private"
