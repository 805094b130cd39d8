"""Turn pydantic's validation errors into :class:`ValidationError` messages a designer can act on."""

from __future__ import annotations

import types
import typing
from typing import Any, TypeVar

import pydantic
import pydantic.fields

from .errors import ValidationError

M = TypeVar("M", bound=pydantic.BaseModel)
_WORDS = {float: "a finite number", int: "an integer", str: "text", bool: "True or False", type(None): "None"}


def _members(annotation: Any, meta: tuple[Any, ...] = ()) -> list[tuple[Any, tuple[Any, ...]]]:
    """Flatten Annotated/Optional/Union into (member type, its constraints)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        return _members(base, (*meta, *extra))
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _members(arg, meta)]
    return [(annotation, meta)]


def _bounds(meta: tuple[Any, ...]) -> str:
    bits = []
    flat: list[Any] = []
    for item in meta:  # Field(...) inside Annotated arrives as a FieldInfo holding its constraints
        flat.extend(item.metadata if isinstance(item, pydantic.fields.FieldInfo) else [item])
    for item in flat:
        for attr, word in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="), ("max_length", "length <="),
                           ("pattern", "matching")):
            val = getattr(item, attr, None)
            if val is not None:
                bits.append(f"{word} {val}")
    return " (" + ", ".join(bits) + ")" if bits else ""


def _describe(annotation: Any, metadata: list[Any]) -> str:
    parts: list[str] = []
    for member, meta in _members(annotation, tuple(metadata)):
        origin = typing.get_origin(member)
        if origin is typing.Literal:
            word = "one of " + ", ".join(repr(a) for a in typing.get_args(member))
        elif isinstance(member, type) and issubclass(member, pydantic.BaseModel):
            word = "a dict with the fields " + ", ".join(member.model_fields)
        elif origin in (tuple, list):
            word = "a list"
        elif origin is dict:
            word = "a dict"
        else:
            word = _WORDS.get(member, getattr(member, "__name__", str(member)))
        parts.append(word + ("" if member is type(None) else _bounds(meta)))
    return " or ".join(dict.fromkeys(parts))


def _field_at(model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> tuple[type[pydantic.BaseModel], Any]:
    """The innermost model on ``loc`` and the FieldInfo of the last field found (or None)."""
    current: type[pydantic.BaseModel] = model
    info = None
    for part in loc:
        if not isinstance(part, str) or part not in current.model_fields:
            break
        info = current.model_fields[part]
        nested = [m for m, _ in _members(info.annotation) if isinstance(m, type) and issubclass(m, pydantic.BaseModel)]
        if nested:
            current = nested[0]
    return current, info


def validate(model: type[M], data: Any, prefix: str = "") -> M:
    """Validate ``data`` as ``model``; raise :class:`ValidationError` naming field, value and what is allowed."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        # Keep field names and list indices; drop pydantic's union-member tags ("constrained-str", ...).
        loc = tuple(p for p in err["loc"] if isinstance(p, int) or (isinstance(p, str) and p.isidentifier()))
        field = ".".join(str(p) for p in ((prefix,) if prefix else ()) + loc) or prefix or model.__name__
        if err["type"] == "extra_forbidden":
            owner, _ = _field_at(model, loc[:-1])
            raise ValidationError.bad(field, err["input"], "the fields " + ", ".join(owner.model_fields),
                                      "unknown field") from None
        if err["type"] == "missing":
            raise ValidationError(f"{field} is required", field=field, allowed="a value") from None
        _, info = _field_at(model, loc)
        allowed = _describe(info.annotation, info.metadata) if info is not None else "a valid value"
        raise ValidationError.bad(field, err.get("input"), allowed, err["msg"]) from None
