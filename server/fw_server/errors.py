"""fw_kernel errors -> HTTP statuses and one JSON error body (:class:`fw_server.schemas.ErrorOut`).

- ``ValidationError`` -> 422 with the field and what is allowed;
- ``NotFound`` -> 404; a private design of someone else is a ``NotFound`` in the kernel already, and the body
  is rebuilt here from the requested id alone, so it is byte for byte the body of a missing id;
- ``PermissionDenied`` -> 403; ``Conflict`` -> 409;
- ``LimitExceeded`` -> 403 (error ``limit_exceeded``): a tier limit (designs per user, layers per design) is a
  standing refusal that waiting does not lift, unlike the 429 of the rate limiter, which carries Retry-After.
"""

from __future__ import annotations

from typing import Any

from fw_kernel.domain.errors import Conflict, FWError, LimitExceeded, NotFound, PermissionDenied, ValidationError

#: (status, error kind) of each kernel error class, most specific first.
_STATUS: tuple[tuple[type[FWError], int, str], ...] = (
    (ValidationError, 422, "validation_error"),
    (NotFound, 404, "not_found"),
    (PermissionDenied, 403, "forbidden"),
    (Conflict, 409, "conflict"),
    (LimitExceeded, 403, "limit_exceeded"),
)

#: error kind of plain HTTP statuses raised by the service itself.
KINDS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_error",
         429: "rate_limited", 503: "unavailable"}


class ApiError(Exception):
    """A refusal by the service itself (auth, limits, routing) with its status and body."""

    def __init__(self, status: int, message: str, field: str | None = None, allowed: str | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.body = body(KINDS[status], message, field, allowed)
        self.headers = headers or {}


def body(kind: str, message: str, field: str | None = None, allowed: str | None = None) -> dict[str, Any]:
    return {"error": kind, "message": message, "field": field, "allowed": allowed}


def design_not_found(design_id: str) -> ApiError:
    """The one 404 of a design the caller may not see, whether it exists or not (no existence leak)."""
    shown = design_id if len(design_id) <= 64 else design_id[:61] + "..."
    return ApiError(404, f"design {shown!r} does not exist or is not shared with you", "design_id")


def export_not_found(job_id: str) -> ApiError:
    shown = job_id if len(job_id) <= 64 else job_id[:61] + "..."
    return ApiError(404, f"export {shown!r} does not exist or is not yours to see", "job_id")


def from_kernel(exc: FWError, design_id: str | None = None) -> ApiError:
    """The HTTP form of a kernel error. ``design_id``: the design the request names, whose 404 never leaks."""
    for cls, status, kind in _STATUS:
        if isinstance(exc, cls):
            if status == 404 and design_id is not None and exc.field in ("design_id", None):
                return design_not_found(design_id)
            err = ApiError(status, str(exc), exc.field, exc.allowed)
            err.body["error"] = kind
            return err
    return ApiError(400, str(exc), exc.field, exc.allowed)
