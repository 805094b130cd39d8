"""The base of every handler (REST, OpenAPI, events WebSocket): errors as the service's JSON error body."""

from __future__ import annotations

import json
from typing import Any

import tornado.web

from .errors import KINDS, ApiError, body


class JsonErrors(tornado.web.RequestHandler):
    """Every error as :class:`ErrorOut` JSON, Tornado's own (400 on a malformed request...) included."""

    def send_error_body(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self.clear()
        self.set_status(status)
        for name, value in (headers or {}).items():
            self.set_header(name, value)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            self.send_error_body(exc.status, exc.body, exc.headers)
            return
        kind = KINDS.get(status_code, "bad_request" if status_code < 500 else "internal_error")
        message = self._reason if status_code < 500 else "internal error (logged by the service)"
        self.send_error_body(status_code, body(kind, message))
