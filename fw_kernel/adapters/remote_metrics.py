"""``ws.metrics`` over the design service (``GET /metrics/...``): the service decides whose rows the caller sees
and answers the same columns as the local :class:`~fw_kernel.services.metrics.MetricsService`, so the same
DataFrames come out."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from ..domain.catalog import CatalogItem
from ..domain.metrics import Scope

Columns = dict[str, list[Any]]


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class RemoteMetricsService:
    def __init__(self, http: Any):
        self._http = http
        self.analysts: set[str] = set()  # decided by the service, not here

    def scope(self, user: str, analyst: bool = False) -> Scope:
        return Scope(user, analyst)

    def _get(self, path: str, **params: Any) -> Columns:
        return self._http.call("GET", f"/metrics/{path}", params=params)["columns"]

    def designs(self, scope: Scope) -> Columns:
        return self._get("designs")

    def events(self, scope: Scope, since: Any = None, until: Any = None, types: Any = None, design: Any = None,
               limit: Any = None) -> Columns:
        if isinstance(types, list | tuple | set):
            from ..domain.metrics import check_types

            types = ",".join(check_types(list(types)) or ())  # an empty list is refused here, as locally
        return self._get("events", since=_iso(since), until=_iso(until), types=types, design=design, limit=limit)

    def iter_events(self, scope: Scope, batch: int = 100_000) -> Iterator[Columns]:
        yield self.events(scope)

    def activity(self, scope: Scope, freq: Any = "D") -> Columns:
        return self._get("activity", freq=freq)

    def catalog_usage(self, scope: Scope, items: Sequence[CatalogItem]) -> Columns:
        return self._get("catalog")

    def exports(self, scope: Scope) -> Columns:
        return self._get("exports")

    def record(self, user: str, kind: str, design_id: str | None = None, **properties: Any) -> None:
        """A kernel session opened or closed (``ws.metrics._session``), recorded by the service as the token's
        user (``user`` is not sent: the service decides who is calling)."""
        if kind not in ("session_opened", "session_closed") or design_id is not None:
            raise ValueError(f"a remote kernel records only its own session events, not {kind!r}")
        body: dict[str, Any] = {"event": kind.removeprefix("session_")}
        if isinstance(properties.get("duration_s"), int | float):
            body["duration_s"] = float(properties["duration_s"])
        self._http.call("POST", "/metrics/sessions", body=body)
