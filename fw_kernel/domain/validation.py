"""Turn pydantic's validation errors into :class:`ValidationError` messages a designer can act on."""

from __future__ import annotations

from typing import Any, TypeVar

import pydantic

from .errors import ValidationError

M = TypeVar("M", bound=pydantic.BaseModel)


def _allowed_for(model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> str:
    """Describe what a field allows from its annotation and constraints (best effort, for messages)."""
    current: Any = model
    info = None
    for part in loc:
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            break
        info = fields[part]
        current = info.annotation
    if info is None:
        names = sorted(getattr(model, "model_fields", {}))
        return "one of the fields " + ", ".join(names) if names else "a valid value"
    bits: list[str] = []
    ann = info.annotation
    args = getattr(ann, "__args__", None)
    if getattr(ann, "__origin__", None) is not None and type(ann).__name__ == "_LiteralGenericAlias" and args:
        return "one of " + ", ".join(repr(a) for a in args)
    if args and all(isinstance(a, str) for a in args):
        return "one of " + ", ".join(repr(a) for a in args)
    name = getattr(ann, "__name__", str(ann)).replace("typing.", "")
    bits.append({"float": "a finite number", "int": "an integer", "str": "text", "bool": "True or False"}.get(
        name, name))
    for meta in info.metadata:
        for attr, word in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<="), ("max_length", "length <=")):
            val = getattr(meta, attr, None)
            if val is not None:
                bits.append(f"{word} {val}")
    return " ".join(bits)


def validate(model: type[M], data: Any, prefix: str = "") -> M:
    """Validate ``data`` as ``model``; raise :class:`ValidationError` naming field, value and what is allowed."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        loc = tuple(err["loc"])
        field = ".".join(str(p) for p in ((prefix,) if prefix else ()) + loc) or prefix or model.__name__
        if err["type"] == "extra_forbidden":
            allowed = "the fields " + ", ".join(sorted(model.model_fields)) if len(loc) == 1 else "known fields"
            raise ValidationError.bad(field, err["input"], allowed, "unknown field") from None
        if err["type"] == "missing":
            raise ValidationError(f"{field} is required", field=field, allowed="a value") from None
        raise ValidationError.bad(field, err.get("input"), _allowed_for(model, loc), err["msg"]) from None
