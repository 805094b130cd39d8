"""Design metrics over REST (``/metrics/...``): the columns of ``ws.metrics``'s DataFrames as JSON, for the
kernel's remote client (``fw_kernel/adapters/remote_metrics.py``) and any HTTP client.

Who sees what is decided here, never by the caller: a designer gets the designs they can read; an analyst (in
``FW_ANALYSTS`` of the service, or in the hub group ``fw-analysts``) every design's metrics rows, with names only
of designs they can read and never private content (snapshots, comment texts, photos are not in these tables).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from fw_kernel.domain.errors import NotFound
from fw_kernel.domain.metrics import ANALYSTS_GROUP, FREQUENCIES

from . import schemas as s
from .routes import Context, Route


class FrameOut(s.Response):
    """A table as columns: ``{"columns": {name: [values...]}}`` (times in ISO 8601 UTC)."""

    columns: dict[str, list[Any]]
    analyst: bool = Field(description="whether the rows are every design's (the caller is an analyst)")


class EventsQuery(s.Query):
    since: Annotated[str, Field(max_length=40, description="ISO 8601 time (naive: UTC), included")] | None = None
    until: Annotated[str, Field(max_length=40, description="ISO 8601 time (naive: UTC), excluded")] | None = None
    types: Annotated[str, Field(max_length=1000, description="comma-separated event types")] | None = None
    design: Annotated[str, Field(max_length=64, description="one design's events")] | None = None
    limit: Annotated[int, Field(ge=1, le=5_000_000)] | None = None


class ActivityQuery(s.Query):
    freq: Annotated[str, Field(max_length=8, description="h, D, W (weeks from Monday) or M; UTC",
                               json_schema_extra={"enum": sorted(FREQUENCIES)})] = "D"


class SessionEvent(s.Request):
    """A kernel's session on the design service (a JupyterHub kernel's ``fw.connect()`` and ``ws.close()``)."""

    event: Literal["opened", "closed"]
    duration_s: Annotated[float, Field(ge=0, le=366 * 86400, description="how long the session was open "
                                       "(closed)")] | None = None


def is_analyst(ctx: Context) -> bool:
    """In the service's ``FW_ANALYSTS``, or a member of the hub group ``fw-analysts`` (the Hub's last answer about
    the caller's token says which groups)."""
    metrics = ctx.ws.services.metrics
    if metrics is not None and ctx.user in metrics.analysts:
        return True
    groups = getattr(getattr(ctx.service, "authenticator", None), "groups_of", {})
    return ANALYSTS_GROUP in groups.get(ctx.user, ())


def _service(ctx: Context) -> tuple[Any, Any, bool]:
    metrics = ctx.ws.services.metrics
    if metrics is None:
        raise NotFound("this design service keeps no metrics", field="metrics")
    analyst = is_analyst(ctx)
    return metrics, metrics.scope(ctx.user, analyst=analyst), analyst


def metrics_designs(ctx: Context) -> tuple[int, Any]:
    metrics, scope, analyst = _service(ctx)
    return 200, FrameOut(columns=metrics.designs(scope), analyst=analyst)


def metrics_events(ctx: Context) -> tuple[int, Any]:
    metrics, scope, analyst = _service(ctx)
    q = ctx.query
    types = [t.strip() for t in q.types.split(",") if t.strip()] if q.types is not None else None
    cols = metrics.events(scope, q.since, q.until, types, q.design, q.limit)
    return 200, FrameOut(columns=cols, analyst=analyst)


def metrics_activity(ctx: Context) -> tuple[int, Any]:
    metrics, scope, analyst = _service(ctx)
    return 200, FrameOut(columns=metrics.activity(scope, ctx.query.freq), analyst=analyst)


def metrics_catalog(ctx: Context) -> tuple[int, Any]:
    metrics, scope, analyst = _service(ctx)
    return 200, FrameOut(columns=metrics.catalog_usage(scope, ctx.ws.catalog.list()), analyst=analyst)


def metrics_exports(ctx: Context) -> tuple[int, Any]:
    metrics, scope, analyst = _service(ctx)
    return 200, FrameOut(columns=metrics.exports(scope), analyst=analyst)


def metrics_session(ctx: Context) -> tuple[int, Any]:
    """``session_opened`` / ``session_closed`` in the event log, as the caller (the token's user, never a name
    from the body), ``via: "service"``."""
    metrics = ctx.ws.services.metrics
    if metrics is None:
        raise NotFound("this design service keeps no metrics", field="metrics")
    props: dict[str, Any] = {"via": "service"}
    if ctx.body.event == "closed" and ctx.body.duration_s is not None:
        props["duration_s"] = round(ctx.body.duration_s, 3)
    metrics.record(ctx.user, f"session_{ctx.body.event}", **props)
    return 204, None


METRICS_ROUTES: tuple[Route, ...] = (
    Route("GET", "/metrics/designs", metrics_designs, "Design metrics: one row per design you can read (analysts: "
          "every design, names only of those they can read)", "metrics", response=FrameOut),
    Route("GET", "/metrics/events", metrics_events, "The event log, oldest first, filtered by time, types and "
          "design", "metrics", query=EventsQuery, response=FrameOut),
    Route("GET", "/metrics/activity", metrics_activity, "Active designers, edits, designs created, checkpoints "
          "and exports per period", "metrics", query=ActivityQuery, response=FrameOut),
    Route("GET", "/metrics/catalog", metrics_catalog, "Per catalog item: designs using it, layers, first and last "
          "use", "metrics", response=FrameOut),
    Route("POST", "/metrics/sessions", metrics_session, "Record a kernel session opened or closed (the event log's "
          "session_opened / session_closed, as the caller)", "metrics", 204, body=SessionEvent),
    Route("GET", "/metrics/exports", metrics_exports, "Per export: type, status, queue wait, duration, size",
          "metrics", response=FrameOut),
)
