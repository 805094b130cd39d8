"""Value objects (strict, frozen pydantic models), the validation adapter and the error types."""

from __future__ import annotations

import math
from typing import Any

import pydantic
import pytest

import fw_kernel as fw
from fw_kernel.domain.errors import (
    Conflict,
    FWError,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    ValidationError,
    show_value,
)
from fw_kernel.domain.layer import EDITABLE_LAYER_FIELDS, Layer, merge_transform
from fw_kernel.domain.validation import validate
from fw_kernel.domain.values import (
    BLEND_MODES,
    CATEGORIES,
    LAYER_TYPES,
    ROLES,
    Camera,
    CanvasSettings,
    DesignMeta,
    Scale3,
    Transform,
    Vec3,
)


# -- errors --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("cls", "builtin"), [(ValidationError, ValueError), (NotFound, LookupError),
                                              (PermissionDenied, PermissionError), (Conflict, Exception),
                                              (LimitExceeded, Exception)])
def test_error_hierarchy(cls: type[FWError], builtin: type[Exception]) -> None:
    assert issubclass(cls, FWError) and issubclass(cls, builtin)
    assert getattr(fw, cls.__name__) is cls  # exported by the package


def test_validation_error_bad_names_field_value_reason_and_allowed() -> None:
    err = ValidationError.bad("opacity", 101, "an integer from 0 to 100", "too high")
    assert str(err) == "opacity: 101 is not allowed (too high); allowed: an integer from 0 to 100"
    assert (err.field, err.value, err.allowed) == ("opacity", 101, "an integer from 0 to 100")


def test_show_value_keeps_messages_short() -> None:
    assert show_value("abc") == "'abc'"
    huge = show_value("x" * 10_000_000)
    assert len(huge) < 100 and "10,000,000 characters" in huge
    assert len(show_value(list(range(10_000)))) <= 60


# -- vocabularies ----------------------------------------------------------------------------------------------
def test_vocabularies() -> None:
    assert LAYER_TYPES == ("silhouette", "fabric", "pattern", "element", "accessory")
    assert ROLES == ("viewer", "commenter", "editor", "owner")
    assert "normal" in BLEND_MODES and "multiply" in BLEND_MODES
    assert "outfit" in CATEGORIES
    assert set(EDITABLE_LAYER_FIELDS).isdisjoint({"id", "type", "catalog_item_id", "order_index"})


# -- strict, frozen, no extras -----------------------------------------------------------------------------------
def test_models_are_frozen() -> None:
    vec = Vec3(x=1.0)
    with pytest.raises(pydantic.ValidationError):
        vec.x = 2.0  # type: ignore[misc]
    meta = DesignMeta(name="n")
    with pytest.raises(pydantic.ValidationError):
        meta.name = "m"  # type: ignore[misc]


@pytest.mark.parametrize(("model", "data", "field", "words"), [
    (Vec3, {"x": "1"}, "x", ("finite number",)),
    (Vec3, {"x": math.nan}, "x", ("finite",)),
    (Vec3, {"y": -math.inf}, "y", ("finite",)),
    (Vec3, {"w": 1.0}, "w", ("unknown field", "x, y, z")),
    (Scale3, {"x": 0.0}, "x", ("> 0",)),
    (Scale3, {"z": -1}, "z", ("> 0",)),
    (Scale3, {"y": True}, "y", ()),
    (Camera, {"fov": 10}, "fov", ("> 10", "<= 120")),
    (Camera, {"fov": 121}, "fov", ("<= 120",)),
    (Camera, {"position": [0.0, 1.0]}, "position.2", ("required",)),
    (CanvasSettings, {"grid_size": 11}, "grid_size", ("<= 10",)),
    (CanvasSettings, {"show_grid": 1}, "show_grid", ("True or False",)),
    (CanvasSettings, {"render_quality": "ultra"}, "render_quality", ("'draft'", "'standard'", "'high'")),
    (DesignMeta, {}, "name", ("required",)),
    (DesignMeta, {"name": ""}, "name", ()),
    (DesignMeta, {"name": "n", "status": "deleted"}, "status", ("'draft'", "'archived'")),
    (DesignMeta, {"name": "n", "season": "monsoon"}, "season", ("'summer'",)),
    (DesignMeta, {"name": "n", "tags": ["ok", ""]}, "tags.1", ()),
    (DesignMeta, {"name": "n", "occasion": "o" * 201}, "occasion", ("200",)),
    (DesignMeta, {"name": 5}, "name", ("text",)),
])
def test_models_refuse_bad_values_with_a_useful_message(model: type[pydantic.BaseModel], data: dict[str, Any],
                                                        field: str, words: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as info:
        validate(model, data, "obj")
    assert info.value.field == f"obj.{field}"
    message = str(info.value)
    assert message.startswith(f"obj.{field}")
    for word in words:
        assert word in message
    assert len(message) < 500


def test_valid_models_and_defaults() -> None:
    t = validate(Transform, {"rotation": {"y": 10}})
    assert (t.rotation.y, t.scale.x, t.position.z) == (10.0, 1.0, 0.0)
    cam = validate(Camera, {"position": [1, 2, 3]})
    assert cam.position == (1, 2, 3) and isinstance(cam.position, tuple)
    canvas = validate(CanvasSettings, {"background": "transparent"})
    assert canvas.background == "transparent" and canvas.camera == Camera()
    meta = validate(DesignMeta, {"name": "n", "tags": ["a", "b"]})
    assert meta.tags == ("a", "b") and meta.visibility == "private" and meta.status == "draft"


def test_layer_field_constraints() -> None:
    base = {"id": "l", "type": "fabric", "catalog_item_id": "fab", "name": "n"}
    layer = validate(Layer, base)
    assert (layer.opacity, layer.blend_mode, layer.is_visible, layer.is_locked) == (100, "normal", True, False)
    for bad, field in [({"type": "shoe"}, "type"), ({"opacity": 100.0}, "opacity"), ({"order_index": -1},
                                                                                      "order_index"),
                       ({"notes": "n" * 10_001}, "notes"), ({"name": "n" * 201}, "name"), ({"extra": 1}, "extra")]:
        with pytest.raises(ValidationError) as info:
            validate(Layer, {**base, **bad})
        assert info.value.field == field


def test_validate_names_what_is_allowed_for_literals_and_ranges() -> None:
    with pytest.raises(ValidationError) as info:
        validate(Layer, {"id": "l", "type": "fabric", "catalog_item_id": "f", "name": "n", "blend_mode": "x"})
    assert info.value.allowed == "one of " + ", ".join(repr(m) for m in BLEND_MODES)
    with pytest.raises(ValidationError) as info:
        validate(Layer, {"id": "l", "type": "fabric", "catalog_item_id": "f", "name": "n", "opacity": 101})
    assert "100" in info.value.allowed and "0" in info.value.allowed


def test_unknown_top_level_field_lists_the_fields() -> None:
    with pytest.raises(ValidationError) as info:
        validate(DesignMeta, {"name": "n", "colour": "red"})
    assert info.value.field == "colour"
    for name in DesignMeta.model_fields:
        assert name in info.value.allowed


def test_unknown_nested_field_lists_the_fields() -> None:
    with pytest.raises(ValidationError) as info:
        validate(Transform, {"rotation": {"w": 1.0}}, "transform")
    assert all(axis in str(info.value) for axis in ("x", "y", "z")) and "known fields" not in str(info.value)


def test_optional_field_message_says_the_limit() -> None:
    with pytest.raises(ValidationError) as info:
        validate(Layer, {"id": "l", "type": "fabric", "catalog_item_id": "f", "name": "n", "group": "g" * 201})
    assert "200" in info.value.allowed


def test_background_message_names_the_field_and_the_allowed_values() -> None:
    with pytest.raises(ValidationError) as info:
        validate(CanvasSettings, {"background": "red"}, "canvas")
    assert info.value.field == "canvas.background"
    assert "transparent" in str(info.value) and "Union" not in str(info.value)


# -- merge_transform -------------------------------------------------------------------------------------------
def test_merge_transform_overlays_partial_values() -> None:
    current = Transform(rotation=Vec3(x=1.0, y=2.0, z=3.0))
    merged = merge_transform(current, {"rotation": {"y": 10}, "position": {"x": 0.5}})
    assert merged["rotation"] == {"x": 1.0, "y": 10, "z": 3.0}
    assert merged["position"] == {"x": 0.5, "y": 0.0, "z": 0.0}
    assert merged["scale"] == {"x": 1.0, "y": 1.0, "z": 1.0}
    assert current.rotation.y == 2.0  # not mutated
    whole = Transform(scale=Scale3(x=2.0))
    assert merge_transform(current, whole) == whole.model_dump()
    assert merge_transform(current, 5) == 5  # passed on for validation to refuse
