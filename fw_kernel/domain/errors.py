"""Errors of the notebook API.

Every refused call raises a subclass of :class:`FWError` whose message names what was wrong, the offending value
and what is allowed. A refused call changes nothing.
"""

from __future__ import annotations

from typing import Any

_MAX_VALUE_REPR = 60


def show_value(value: Any) -> str:
    """Short, safe repr of a user value for an error message (a 10 MB string must not end up in a message)."""
    try:
        text = repr(value)
    except RecursionError:  # JSON nested a thousand deep
        return f"<{type(value).__name__} nested too deeply to show>"
    if len(text) > _MAX_VALUE_REPR:
        size = f" ({len(value):,} characters)" if isinstance(value, str) else ""
        text = text[: _MAX_VALUE_REPR - 3] + "..." + size
    return text


def plausible_id(value: Any, max_length: int = 64) -> bool:
    """Could ``value`` be a stored id? (Anything else is simply not found, without asking the store.)"""
    return isinstance(value, str) and 0 < len(value) <= max_length and "\x00" not in value


def check_text(field: str, value: Any, max_length: int, allow_empty: bool = False) -> str:
    """Plain text a store can hold: a str, not too long, without NUL characters."""
    allowed = f"text of at most {max_length} characters" + ("" if allow_empty else ", not empty")
    if not isinstance(value, str) or len(value) > max_length or (not allow_empty and not value.strip()):
        raise ValidationError.bad(field, value, allowed)
    if "\x00" in value:
        raise ValidationError.bad(field, value, allowed + ", without NUL characters", "contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800"): no store can hold it
        raise ValidationError.bad(field, value, allowed + ", valid Unicode", "contains a lone surrogate") from None
    return value


class FWError(Exception):
    """Base of every error the notebook API raises on purpose."""

    def __init__(self, message: str, *, field: str | None = None, value: Any = None, allowed: str | None = None):
        super().__init__(message)
        self.field = field
        self.value = value
        self.allowed = allowed


class ValidationError(FWError, ValueError):
    """An argument is malformed or out of range."""

    @classmethod
    def bad(cls, field: str, value: Any, allowed: str, why: str | None = None) -> ValidationError:
        reason = f" ({why})" if why else ""
        return cls(
            f"{field}: {show_value(value)} is not allowed{reason}; allowed: {allowed}",
            field=field,
            value=value,
            allowed=allowed,
        )


class NotFound(FWError, LookupError):
    """No such object, or one the current user may not see (private designs are never revealed)."""


class PermissionDenied(FWError, PermissionError):
    """The current user's role does not allow the call, or the layer is locked."""


class Conflict(FWError):
    """Another session changed the same thing first; refresh and retry."""


class LimitExceeded(FWError):
    """A per-user tier limit (designs per user, layers per design) would be exceeded."""


class FWWarning(UserWarning):
    """A call that was carried out but probably not as meant (a fabric added with no garment to dress)."""
