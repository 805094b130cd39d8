"""The read side of design metrics: aggregates over the relational store and the event log, in SQL (one query
per table), returned as columns (``{name: [values]}``) for the DataFrames of ``fw_kernel/api/metrics.py``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    TIMESTAMP,
    BigInteger,
    Connection,
    Engine,
    Text,
    and_,
    case,
    cast,
    delete,
    distinct,
    func,
    literal,
    or_,
    select,
    text,
    true,
    union,
    union_all,
)
from sqlalchemy.sql import ColumnElement, Select

from ..domain.events import EDIT_TYPES, SYSTEM_ACTOR
from ..domain.metrics import Scope
from .sql import tables as t

Columns = dict[str, list[Any]]

d, lay, ver, col, com, exp, ev = t.designs, t.layers, t.versions, t.collaborators, t.comments, t.exports, t.events


def _counts() -> list[Any]:
    """The roll-ups' counts (``tables.ROLLUP_COUNTS``) of a group of events."""

    def count(*types: str) -> Any:
        return func.sum(case((ev.c.type.in_(types), 1), else_=0))

    return [count(*EDIT_TYPES).label("edits"), count("design_created").label("created"),
            count("version_checkpointed").label("checkpoints"), count("export_requested").label("exports"),
            func.count().label("events")]


def _columns(names: Sequence[str], rows: Sequence[Any]) -> Columns:
    out: Columns = {n: [] for n in names}
    for row in rows:
        for n, v in zip(names, row, strict=True):
            out[n].append(v)
    return out


class SqlMetricsReader:
    """Metrics queries over ``engine`` (SQLite or PostgreSQL). Every query is limited to a :class:`Scope`."""

    def __init__(self, engine: Engine, work_mem: str = "64MB"):
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"
        self._work_mem = work_mem

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        """A read-only transaction; on PostgreSQL with room to aggregate (``work_mem``: a million events in hash
        tables, not spilled to disk) and without JIT (its compile time costs more than it saves here)."""
        with self._engine.connect() as c:
            if not self._postgres:  # SQLite: no transaction (this engine begins them IMMEDIATE: a writer's lock)
                yield c
                return
            with c.begin():
                c.exec_driver_sql(f"SET LOCAL work_mem = '{self._work_mem}'")
                c.exec_driver_sql("SET LOCAL jit = off")
                yield c

    # -- scope ---------------------------------------------------------------------------------------------
    @staticmethod
    def _team() -> ColumnElement[bool]:
        """Designs every designer can read: public, or shared with the team and published (and not deleted)."""
        published = and_(d.c.visibility == "shared", d.c.status == "published")
        return and_(d.c.deleted_at.is_(None), or_(d.c.visibility == "public", published))

    @classmethod
    def _readable(cls, user: str) -> ColumnElement[bool]:
        """Designs ``user`` can read: owned, shared with them, published or public (and not deleted)."""
        shared = select(col.c.design_id).where(col.c.user_name == user)
        return or_(cls._team(), and_(d.c.deleted_at.is_(None), or_(d.c.owner == user, d.c.id.in_(shared))))

    def _design_ids(self, scope: Scope) -> Select[Any] | None:
        """The ids in scope (None: every design)."""
        return None if scope.everything else select(d.c.id).where(self._readable(scope.user))

    def _event_filter(self, scope: Scope) -> ColumnElement[bool]:
        if scope.everything:
            return true()
        return or_(ev.c.design_id.in_(self._design_ids(scope)),  # type: ignore[arg-type]
                   and_(ev.c.design_id.is_(None), ev.c.actor == scope.user))

    def _per_design(self, table: Any, scope: Scope, label: str, where: ColumnElement[bool] | None = None) -> Any:
        query = select(table.c.design_id, func.count().label(label)).group_by(table.c.design_id)
        ids = self._design_ids(scope)
        if ids is not None:
            query = query.where(table.c.design_id.in_(ids))
        if where is not None:
            query = query.where(where)
        return query.subquery()

    # -- roll-ups of the days that are over -----------------------------------------------------------------
    _UNTIL_KEY = "metrics_rollup_until"
    SETTLE = timedelta(minutes=15)

    def _day(self, column: Any) -> ColumnElement[Any]:
        """'YYYY-MM-DD' (UTC) of a time column."""
        if self._postgres:
            return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
        return func.substr(column, 1, 10)

    def _upsert(self, table: Any) -> Any:
        from sqlalchemy.dialects import postgresql, sqlite

        return (postgresql.insert if self._postgres else sqlite.insert)(table)

    def _add_sums(self, c: Connection, rows: Select[Any]) -> None:
        """``team_daily`` += ``rows`` (day, actor and the counts), per day and actor."""
        td = t.team_daily
        stmt = self._upsert(td).from_select(["day", "actor", *t.ROLLUP_COUNTS], rows)
        c.execute(stmt.on_conflict_do_update(index_elements=[td.c.day, td.c.actor],
                                             set_={n: td.c[n] + stmt.excluded[n] for n in t.ROLLUP_COUNTS}))

    @staticmethod
    def _design_sums(where: ColumnElement[bool], sign: int = 1) -> Select[Any]:
        """The ``design_daily`` rows matching ``where`` summed per day and actor (``sign`` -1: negated)."""
        r = t.design_daily.c
        return (select(r.day, r.actor, *((func.sum(r[n]) if sign > 0 else -func.sum(r[n])).label(n)
                                         for n in t.ROLLUP_COUNTS))
                .where(where).group_by(r.day, r.actor))

    def _team_changes(self) -> tuple[Select[Any], Select[Any]]:
        """(designs every designer can read now that ``team_designs`` lacks, designs it holds that they can't)."""
        held = select(t.team_designs.c.design_id)
        added = select(d.c.id).where(and_(self._team(), d.c.id.not_in(held)))
        removed = held.where(t.team_designs.c.design_id.not_in(select(d.c.id).where(self._team())))
        return added, removed

    def _sync_team(self, c: Connection) -> None:
        """Make ``team_designs`` the designs every designer can read now, and ``team_daily`` the sums of their
        ``design_daily`` rows: a design that became public adds its rows, one made private again subtracts them
        (sums subtract exactly; a day and actor left with no events goes)."""
        added, removed = self._team_changes()
        gone = [row[0] for row in c.execute(removed)]
        new = [row[0] for row in c.execute(added)]
        dd, tds = t.design_daily.c, t.team_designs
        for ids, sign in ((gone, -1), (new, 1)):
            for at in range(0, len(ids), 5000):
                part = ids[at:at + 5000]
                self._add_sums(c, self._design_sums(dd.design_id.in_(part), sign))
                if sign < 0:
                    c.execute(delete(tds).where(tds.c.design_id.in_(part)))
                else:
                    c.execute(tds.insert(), [{"design_id": i} for i in part])
        if gone:
            c.execute(delete(t.team_daily).where(t.team_daily.c.events <= 0))
        if self._postgres and len(gone) + len(new) > 100:  # many rows moved: the planner's counts
            c.execute(text("ANALYZE analytics.team_daily, analytics.team_designs"))

    def rollup(self, today: datetime | None = None, team: bool = False) -> datetime:
        """Aggregate the events of the days before ``today`` (UTC) not rolled up yet into
        ``analytics.activity_daily`` (per day and actor), ``analytics.design_daily`` (per design, day and actor),
        ``analytics.team_daily`` (the latter's sums over ``team_designs``) and ``analytics.design_activity``
        (last event per design); with ``team``, bring ``team_designs`` up to date with the designs' visibility
        first (a designer's scope reads it). Returns the start of the first day not rolled up (today's, or
        yesterday's in the first quarter of an hour after midnight): events from then on are aggregated live.
        Once a day this scans the new events; afterwards it reads one meta row (and, with ``team``, compares
        two sets of design ids)."""
        now = today or datetime.now(UTC)
        # a day is rolled up a quarter of an hour after it ended: an event stamped just before midnight whose
        # transaction commits just after it is still counted
        until = (now.astimezone(UTC) - self.SETTLE).replace(hour=0, minute=0, second=0, microsecond=0)
        until_key = select(t.meta_kv.c.value).where(t.meta_kv.c.key == self._UNTIL_KEY)
        with self._connect() as c:  # most calls: nothing to do (read-only)
            done = c.execute(until_key).scalar()
            if done and datetime.fromisoformat(done) >= until:
                if not team:
                    return until
                added, removed = self._team_changes()
                if not c.execute(select(or_(added.exists(), removed.exists()))).scalar():
                    return until
        with self._engine.begin() as c:
            if self._postgres:  # one roll-up at a time across processes
                c.execute(text("SELECT pg_advisory_xact_lock(7261530002)"))
            done = c.execute(until_key).scalar()
            start = datetime.fromisoformat(done) if done else None
            if start is None or start < until:
                self._roll_days(c, start, until)
            if team:
                self._sync_team(c)
        return until

    def _roll_days(self, c: Connection, start: datetime | None, until: datetime) -> None:
        """One scan of the new days' events into ``design_daily``; the other roll-ups are sums of its rows."""
        window = ev.c.time < until if start is None else and_(ev.c.time >= start, ev.c.time < until)
        day = self._day(ev.c.time).label("day")
        design = func.coalesce(ev.c.design_id, t.NO_DESIGN).label("design_id")
        per_design = (select(design, day, ev.c.actor, *_counts()).where(window).group_by(design, day, ev.c.actor)
                      .order_by(design, day, ev.c.actor))  # in key order: appends to the primary key's index
        c.execute(t.design_daily.insert().from_select(["design_id", "day", "actor", *t.ROLLUP_COUNTS],
                                                      per_design))
        dd = t.design_daily.c
        days = dd.day < f"{until:%Y-%m-%d}"
        if start is not None:
            days = and_(dd.day >= f"{start:%Y-%m-%d}", days)
        c.execute(t.activity_daily.insert().from_select(["day", "actor", *t.ROLLUP_COUNTS],
                                                        self._design_sums(days)))
        self._add_sums(c, self._design_sums(and_(days, dd.design_id.in_(select(t.team_designs.c.design_id)))))
        last = (select(ev.c.design_id, func.max(ev.c.time)).where(and_(window, ev.c.design_id.is_not(None)))
                .group_by(ev.c.design_id))
        da = t.design_activity
        stmt = self._upsert(da).from_select(["design_id", "last_time"], last)
        newest = func.greatest if self._postgres else func.max
        c.execute(stmt.on_conflict_do_update(index_elements=[da.c.design_id],
                                             set_={"last_time": newest(stmt.excluded.last_time, da.c.last_time)}))
        c.execute(delete(t.meta_kv).where(t.meta_kv.c.key == self._UNTIL_KEY))
        c.execute(t.meta_kv.insert().values(key=self._UNTIL_KEY, value=until.isoformat()))
        if self._postgres:  # the planner's row counts of the roll-ups (autovacuum would take its time)
            c.execute(text("ANALYZE analytics.activity_daily, analytics.design_daily, analytics.team_daily, "
                           "analytics.design_activity"))

    # -- queries -------------------------------------------------------------------------------------------
    DESIGN_COLUMNS = ("id", "name", "owner", "category", "status", "visibility", "created", "updated", "deleted",
                      "fork_from", "layers", "versions", "forks", "collaborators", "comments", "exports",
                      "last_activity", "readable")

    def designs(self, scope: Scope) -> Columns:
        """One row per design in scope; ``readable``: whether ``scope.user`` may read it (else its name is
        withheld by the service)."""
        query = self.designs_query(scope)
        with self._connect() as c:
            return _columns(self.DESIGN_COLUMNS, c.execute(query).all())

    def designs_query(self, scope: Scope) -> Select[Any]:
        layers = self._per_design(lay, scope, "n")
        versions = self._per_design(ver, scope, "n")
        collaborators = self._per_design(col, scope, "n")
        comments = self._per_design(com, scope, "n")
        exports = self._per_design(exp, scope, "n")
        ids = self._design_ids(scope)
        until = self.rollup()
        today = (select(ev.c.design_id.label("design_id"), func.max(ev.c.time).label("at"))
                 .where(ev.c.time >= until).group_by(ev.c.design_id))
        rolled = select(t.design_activity.c.design_id.label("design_id"), t.design_activity.c.last_time.label("at"))
        if ids is not None:
            today = today.where(ev.c.design_id.in_(ids))
            rolled = rolled.where(t.design_activity.c.design_id.in_(ids))
        both = union_all(rolled, today).subquery()
        last = select(both.c.design_id, func.max(both.c.at).label("at")).group_by(both.c.design_id).subquery()
        readable = self._readable(scope.user) if scope.everything else literal(True)
        query = (select(d.c.id, d.c.name, d.c.owner, d.c.category, d.c.status, d.c.visibility, d.c.created_at,
                        d.c.updated_at, d.c.deleted_at, d.c.fork_from,
                        *(func.coalesce(s.c.n, 0) for s in (layers, versions)), d.c.fork_count,
                        *(func.coalesce(s.c.n, 0) for s in (collaborators, comments, exports)),
                        func.coalesce(last.c.at, d.c.last_edited_at), case((readable, True), else_=False))
                 .select_from(d.outerjoin(layers, layers.c.design_id == d.c.id)
                              .outerjoin(versions, versions.c.design_id == d.c.id)
                              .outerjoin(collaborators, collaborators.c.design_id == d.c.id)
                              .outerjoin(comments, comments.c.design_id == d.c.id)
                              .outerjoin(exports, exports.c.design_id == d.c.id)
                              .outerjoin(last, last.c.design_id == d.c.id))
                 .order_by(d.c.created_at, d.c.id))
        if not scope.everything:
            query = query.where(self._readable(scope.user))
        return query

    def bom_layers(self, scope: Scope) -> list[tuple[Any, ...]]:
        """The visible layers of the designs in scope for the bill of materials (``domain.metrics.BomLayer``):
        (design_id, id, type, catalog_item_id, target, count), each design's together in ``order_index`` order
        (then by id). Of the customization only ``target`` (when a string) and ``count`` (when a number) are read,
        in SQL: parsing every customization costs more than the rest of ``designs()``. ``count`` comes as the
        number's JSON text, converted as ``json.loads`` would (the same float whatever the database's own
        number parsing)."""
        query = self.bom_layers_query(scope)
        with self._connect() as c:
            if self._postgres:  # PostgreSQL (the schemas are real): the driver's cursor, rows as plain tuples
                compiled = query.compile(dialect=self._engine.dialect)
                with c.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
                    cursor.execute(str(compiled), compiled.params)
                    rows = cursor.fetchall()
            else:  # SQLite: the schema names are translated away by the engine
                rows = [tuple(row) for row in c.execute(query)]
        return [row if row[5] is None else (*row[:5], float(row[5])) for row in rows]

    def bom_layers_query(self, scope: Scope) -> Select[Any]:
        custom = lay.c.customization
        target: Any
        count: Any
        if self._postgres:  # jsonb: -> keeps the JSON value (its type), ->> its text
            target = case((func.jsonb_typeof(custom["target"]) == "string", custom["target"].as_string()))
            count = case((func.jsonb_typeof(custom["count"]) == "number", custom["count"].as_string()))
        else:  # SQLite: json_type names the type, -> gives the value's JSON text as stored
            target = case((func.json_type(custom, "$.target") == "text", func.json_extract(custom, "$.target")))
            kind = func.json_type(custom, "$.count")
            count = case((or_(kind == "integer", kind == "real"), cast(custom, Text).op("->")("$.count")))
        # each design's rows together, in order: on PostgreSQL by bytes (the database's collation sorts 40,000 ids
        # several times slower; any order groups a design's rows)
        design, layer = (lay.c.design_id.collate("C"), lay.c.id.collate("C")) if self._postgres else (
            lay.c.design_id, lay.c.id)
        query = (select(lay.c.design_id, lay.c.id, lay.c.type, lay.c.catalog_item_id, target, count)
                 .where(lay.c.is_visible.is_(True)).order_by(design, lay.c.order_index, layer))
        ids = self._design_ids(scope)
        if ids is not None:
            query = query.where(lay.c.design_id.in_(ids))
        return query

    EVENT_COLUMNS = ("id", "time", "type", "actor", "design_id", "properties")

    def _events_query(self, scope: Scope, since: datetime | None, until: datetime | None,
                      types: Sequence[str] | None, design: str | None) -> Select[Any]:
        query = select(ev.c.id, ev.c.time, ev.c.type, ev.c.actor, ev.c.design_id, ev.c.properties).where(
            self._event_filter(scope))
        if since is not None:
            query = query.where(ev.c.time >= since)
        if until is not None:
            query = query.where(ev.c.time < until)
        if types:
            query = query.where(ev.c.type.in_(list(types)))
        if design is not None:
            query = query.where(ev.c.design_id == design)
        return query.order_by(ev.c.time, ev.c.id)

    def events(self, scope: Scope, since: datetime | None = None, until: datetime | None = None,
               types: Sequence[str] | None = None, design: str | None = None, limit: int | None = None) -> Columns:
        query = self._events_query(scope, since, until, types, design)
        if limit is not None:
            query = query.limit(limit)
        with self._connect() as c:
            return _columns(self.EVENT_COLUMNS, c.execute(query).all())

    def iter_events(self, scope: Scope, batch: int = 100_000) -> Iterator[Columns]:
        """Every event in scope, oldest first, ``batch`` rows at a time, for the Parquet export: ``time_us``
        (microseconds since the epoch, UTC) and ``properties`` as JSON text, so no row is parsed and re-encoded
        (a server-side cursor on PostgreSQL)."""
        base = self._events_query(scope, None, None, None, None)
        micros: Any
        if self._postgres:
            micros = cast(func.extract("epoch", ev.c.time) * 1_000_000, BigInteger)
        else:  # the stored text 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): whole seconds, then the digits after them
            micros = (cast(func.strftime("%s", ev.c.time), BigInteger) * 1_000_000
                      + cast(func.substr(ev.c.time, 21, 6), BigInteger))
        query = base.with_only_columns(ev.c.id, micros, ev.c.type, ev.c.actor, ev.c.design_id,
                                       cast(ev.c.properties, Text))
        names = ("id", "time_us", "type", "actor", "design_id", "properties")
        with self._connect() as c:
            if self._postgres:  # the driver's own named cursor: rows as tuples, no per-row result processing
                sql = str(query.compile(dialect=self._engine.dialect))
                params = query.compile(dialect=self._engine.dialect).params
                raw = c.connection.driver_connection
                with raw.cursor(name="fw_metrics_export") as cursor:  # type: ignore[union-attr]
                    cursor.itersize = batch
                    cursor.execute(sql, params)
                    while rows := cursor.fetchmany(batch):
                        yield dict(zip(names, map(list, zip(*rows, strict=True)), strict=True))
                return
            result = c.execution_options(stream_results=True, yield_per=batch).execute(query)
            for part in result.partitions(batch):
                yield _columns(names, part)

    def _period(self, unit: str) -> ColumnElement[Any]:
        if self._postgres:
            return func.date_trunc(unit, func.timezone("UTC", ev.c.time))
        formats = {"hour": "%Y-%m-%d %H:00:00", "day": "%Y-%m-%d 00:00:00", "month": "%Y-%m-01 00:00:00"}
        if unit == "week":  # the Monday on or before the day
            return func.strftime("%Y-%m-%d 00:00:00", ev.c.time, "-6 days", "weekday 1")
        return func.strftime(formats[unit], ev.c.time)

    ACTIVITY_COLUMNS = ("period", "active_designers", "edits", "designs_created", "checkpoints", "exports",
                        "events")

    def activity(self, scope: Scope, unit: str, rolled: bool = True) -> Columns:
        """``rolled=False``: from the events alone (what the roll-ups must agree with)."""
        query = self.activity_query(scope, unit, rolled)
        with self._connect() as c:
            return _columns(self.ACTIVITY_COLUMNS, c.execute(query).all())

    def _period_of_day(self, day: Any, unit: str) -> ColumnElement[Any]:
        """The start of the period of a 'YYYY-MM-DD' day."""
        if self._postgres:
            return cast(day, TIMESTAMP) if unit == "day" else func.date_trunc(unit, cast(day, TIMESTAMP))
        if unit == "week":
            return func.strftime("%Y-%m-%d 00:00:00", day, "-6 days", "weekday 1")
        return func.strftime("%Y-%m-01 00:00:00" if unit == "month" else "%Y-%m-%d 00:00:00", day)

    def activity_query(self, scope: Scope, unit: str, rolled: bool = True) -> Select[Any]:
        """Counts per (period, actor) first, then per period: a ``count(DISTINCT actor)`` over the whole log would
        sort every row. Days, weeks and months come from a roll-up of the days that are over plus today's events
        (an analyst's: ``activity_daily``; a designer's: the rows of ``design_daily`` of the designs they can read
        and of their own events about no design); hours from the events."""

        def total(column: Any) -> Any:  # PostgreSQL's sum of bigint is numeric: back to integers
            return cast(func.sum(column), BigInteger)

        names = t.ROLLUP_COUNTS
        if rolled and unit != "hour":
            until = self.rollup(team=not scope.everything)
            day = self._day(ev.c.time).label("day")
            today = (select(day, ev.c.actor.label("actor"), *_counts())
                     .where(and_(ev.c.time >= until, self._event_filter(scope))).group_by(day, ev.c.actor))
            if scope.everything:
                a_ = t.activity_daily.c
                past: list[Select[Any]] = [select(a_.day, a_.actor, *(a_[n] for n in names))]
            else:  # the designs every designer can read (summed), then the user's others and own design-less rows
                r, team, held = t.design_daily.c, t.team_daily.c, t.team_designs.c
                # the user's own and collaborations not in team_designs (the designs every designer can read, just
                # synced): a predicate the planner estimates well (a few rows: index scans of design_daily)
                kept = and_(d.c.deleted_at.is_(None),
                            ~select(held.design_id).where(held.design_id == d.c.id).exists())
                others = union(select(d.c.id).where(and_(d.c.owner == scope.user, kept)),
                               select(d.c.id).select_from(d.join(col, col.c.design_id == d.c.id))
                               .where(and_(col.c.user_name == scope.user, kept)))
                counts = [r[n] for n in names]
                past = [select(team.day, team.actor, *(team[n] for n in names)),  # separate: both index scans
                        select(r.day, r.actor, *counts).where(r.design_id.in_(others)),
                        select(r.day, r.actor, *counts).where(and_(r.design_id == t.NO_DESIGN,
                                                                   r.actor == scope.user))]
            rows = union_all(*past, today).subquery()
            period = self._period_of_day(rows.c.day, unit).label("period")
            inner = (select(period, rows.c.actor, *(total(rows.c[n]).label(n) for n in names))
                     .group_by(period, rows.c.actor).subquery())
        else:
            period = self._period(unit).label("period")
            inner = (select(period, ev.c.actor.label("actor"), *_counts())
                     .where(self._event_filter(scope)).group_by(period, ev.c.actor).subquery())
        people = total(case((inner.c.actor != SYSTEM_ACTOR, 1), else_=0))  # auto-save is not a designer
        return (select(inner.c.period, people, *(total(inner.c[n]) for n in names))
                .group_by(inner.c.period).order_by(inner.c.period))

    def catalog_usage(self, scope: Scope) -> Columns:
        """Per catalog item in use: designs using it now, layers, and when it was first/last added (events)."""
        live = self._readable(scope.user) if not scope.everything else d.c.deleted_at.is_(None)
        now = (select(lay.c.catalog_item_id, func.count(distinct(lay.c.design_id)), func.count())
               .select_from(lay.join(d, d.c.id == lay.c.design_id)).where(live).group_by(lay.c.catalog_item_id))
        item = ev.c.properties["catalog_item"].as_string()
        added = (select(item, func.min(ev.c.time), func.max(ev.c.time), func.count())
                 .where(and_(ev.c.type == "layer_added", self._event_filter(scope))).group_by(item))
        with self._connect() as c:
            current = _columns(("catalog_item", "designs", "layers"), c.execute(now).all())
            history = _columns(("catalog_item", "first_used", "last_used", "times_added"), c.execute(added).all())
        return {"current": current, "history": history}  # type: ignore[dict-item]

    EXPORT_COLUMNS = ("id", "design_id", "user", "type", "options", "status", "file_size", "retry_count",
                      "created", "completed", "error")

    def exports(self, scope: Scope) -> Columns:
        query = select(exp.c.id, exp.c.design_id, exp.c.user_name, exp.c.type, exp.c.options, exp.c.status,
                       exp.c.file_size, exp.c.retry_count, exp.c.created_at, exp.c.completed_at,
                       case((exp.c.error.is_(None), None), else_=func.substr(exp.c.error, 1, 200)))
        ids = self._design_ids(scope)
        if ids is not None:
            query = query.where(exp.c.design_id.in_(ids))
        export_id = ev.c.properties["export_id"].as_string()
        moves = (select(export_id, ev.c.type, func.max(ev.c.time))
                 .where(ev.c.type.in_(("export_started", "export_completed", "export_failed")))
                 .where(self._event_filter(scope)).group_by(export_id, ev.c.type))
        with self._connect() as c:
            out = _columns(self.EXPORT_COLUMNS, c.execute(query.order_by(exp.c.created_at)).all())
            begun: dict[str, Any] = {}
            ended: dict[str, Any] = {}
            for job_id, kind, at in c.execute(moves):
                (begun if kind == "export_started" else ended)[job_id] = at
        out["started"] = [begun.get(i) for i in out["id"]]  # the last attempt's start
        out["ended"] = [ended.get(i) for i in out["id"]]    # completed or failed
        return out

    # -- retention -----------------------------------------------------------------------------------------
    def purge(self, before: datetime) -> int:
        """Delete events older than ``before``; on PostgreSQL whole monthly partitions before it are dropped."""
        dropped = 0
        with self._engine.begin() as c:
            if self._postgres:
                for name in c.execute(text(
                        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                        "JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace n ON n.oid = p.relnamespace "
                        "WHERE n.nspname = 'analytics' AND p.relname = 'events'")).scalars():
                    if not name.startswith("events_y"):
                        continue
                    start = datetime(int(name[8:12]), int(name[13:15]), 1, tzinfo=before.tzinfo)
                    end = (start + timedelta(days=32)).replace(day=1)
                    if end <= before:
                        dropped += c.execute(text(f"SELECT count(*) FROM analytics.{name}")).scalar_one()
                        c.execute(text(f"DROP TABLE analytics.{name}"))
            dropped += c.execute(delete(ev).where(ev.c.time < before)).rowcount
            # the roll-ups name actors too: whole days before the cutoff go with the events
            for daily in (t.activity_daily, t.design_daily, t.team_daily):
                c.execute(delete(daily).where(daily.c.day < before.strftime("%Y-%m-%d")))
        return dropped
