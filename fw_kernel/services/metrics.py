"""Design metrics use cases: the rows a user may see (designers: the designs they can read; analysts: every
design's metrics rows, never private content), as columns for the DataFrames of ``ws.metrics``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..domain.catalog import CatalogItem
from ..domain.errors import ValidationError, plausible_id, show_value
from ..domain.events import Event
from ..domain.metrics import Columns, Scope, bom_estimates, check_frequency, check_types
from ..ports import UnitOfWorkFactory
from .clock import utcnow

MAX_EVENTS = 5_000_000


class MetricsReader(Protocol):
    """Aggregates over the relational store (``adapters.metrics_sql.SqlMetricsReader``)."""

    def designs(self, scope: Scope) -> Columns: ...
    def bom_layers(self, scope: Scope) -> list[Any]: ...
    def events(self, scope: Scope, since: datetime | None = None, until: datetime | None = None,
               types: Sequence[str] | None = None, design: str | None = None, limit: int | None = None
               ) -> Columns: ...
    def iter_events(self, scope: Scope, batch: int = 100_000) -> Iterator[Columns]: ...
    def activity(self, scope: Scope, unit: str) -> Columns: ...
    def catalog_usage(self, scope: Scope) -> dict[str, Columns]: ...
    def exports(self, scope: Scope) -> Columns: ...
    def purge(self, before: datetime) -> int: ...


def _time(name: str, value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError.bad(name, value, "an ISO 8601 date or time, e.g. '2026-12-01' or "
                                      "'2026-12-01T08:00:00+00:00'") from None
    if not isinstance(value, datetime):
        raise ValidationError.bad(name, value, "a datetime or an ISO 8601 string")
    return value if value.tzinfo is not None else value.replace(tzinfo=utcnow().tzinfo)  # naive: UTC


class MetricsService:
    """``analysts``: user names that see every design's metrics rows (``FW_ANALYSTS``); the design service adds
    the members of the hub group ``fw-analysts`` per request."""

    def __init__(self, reader: MetricsReader, item_of: Callable[[str], CatalogItem | None],
                 uow: UnitOfWorkFactory | None = None, analysts: Sequence[str] = (), event_log: bool = True,
                 clock: Callable[[], datetime] = utcnow):
        self._reader = reader
        self._item_of = item_of
        self._uow = uow
        self.analysts = set(analysts)
        self.event_log = event_log
        self._clock = clock

    def scope(self, user: str, analyst: bool = False) -> Scope:
        return Scope(user, everything=analyst or user in self.analysts)

    def designs(self, scope: Scope) -> Columns:
        """One row per design with counts, last activity and the bill-of-materials estimate (fabric_m, cost_eur).
        Rows an analyst may not read carry no name (private content); every other column is metrics."""
        cols = self._reader.designs(scope)
        bom = bom_estimates(self._reader.bom_layers(scope), self._item_of)
        none = (0.0, 0.0)  # no visible layer
        cols["fabric_m"] = [bom.get(i, none)[0] for i in cols["id"]]
        cols["cost_eur"] = [bom.get(i, none)[1] for i in cols["id"]]
        cols["name"] = [n if ok else None for n, ok in zip(cols["name"], cols["readable"], strict=True)]
        return cols

    def events(self, scope: Scope, since: Any = None, until: Any = None, types: Any = None, design: Any = None,
               limit: Any = None) -> Columns:
        start, end = _time("since", since), _time("until", until)
        if start is not None and end is not None and end <= start:
            raise ValidationError.bad("until", until, f"a time after since ({start.isoformat()})")
        if design is not None and not plausible_id(design):
            raise ValidationError.bad("design", design, "a design id")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)
                                  or not 1 <= limit <= MAX_EVENTS):
            raise ValidationError.bad("limit", limit, f"an integer from 1 to {MAX_EVENTS}")
        return self._reader.events(scope, start, end, check_types(types), design, limit)

    def iter_events(self, scope: Scope, batch: int = 100_000) -> Iterator[Columns]:
        return self._reader.iter_events(scope, batch)

    def activity(self, scope: Scope, freq: Any = "D") -> Columns:
        return self._reader.activity(scope, check_frequency(freq))

    def catalog_usage(self, scope: Scope, items: Sequence[CatalogItem]) -> Columns:
        """Per catalog item (every item of the catalog, unused ones too): designs using it now, its layers, how
        often it was added and when first and last."""
        found = self._reader.catalog_usage(scope)
        now = {i: (n, k) for i, n, k in zip(*found["current"].values(), strict=True)}
        hist = {i: (a, b, n) for i, a, b, n in zip(*found["history"].values(), strict=True)}
        known = {i.id for i in items}
        extra = sorted((set(now) | set(hist)) - known)  # items used once and since dropped from the catalog
        out: Columns = {k: [] for k in ("catalog_item", "name", "type", "price", "currency", "designs", "layers",
                                        "times_added", "first_used", "last_used")}
        for item_id, item in [(i.id, i) for i in items] + [(i, None) for i in extra]:
            n, k = now.get(item_id, (0, 0))
            a, b, added = hist.get(item_id, (None, None, 0))
            for key, value in (("catalog_item", item_id), ("name", item.name if item else None),
                               ("type", item.type if item else None), ("price", item.price if item else None),
                               ("currency", item.currency if item else None), ("designs", n), ("layers", k),
                               ("times_added", added), ("first_used", a), ("last_used", b)):
                out[key].append(value)
        return out

    def exports(self, scope: Scope) -> Columns:
        cols = self._reader.exports(scope)
        cols["format"] = [(o or {}).get("format") for o in cols.pop("options")]
        return cols

    # -- writing -------------------------------------------------------------------------------------------
    def record(self, user: str, kind: str, design_id: str | None = None, **properties: Any) -> None:
        """An event of its own (a session opened or closed): nothing else changes with it."""
        if not self.event_log or self._uow is None:
            return
        with self._uow() as uow:
            uow.events.add(Event(kind, user, self._clock(), design_id, properties))
            uow.commit()

    def purge(self, older_than_days: Any) -> int:
        """Delete events older than ``older_than_days`` days (the retention setting); returns how many."""
        if isinstance(older_than_days, bool) or not isinstance(older_than_days, int) or older_than_days < 1:
            raise ValidationError.bad("older_than_days", older_than_days, "a whole number of days >= 1",
                                      f"retention of {show_value(older_than_days)}")
        return self._reader.purge(self._clock() - timedelta(days=older_than_days))
