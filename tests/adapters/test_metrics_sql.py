"""The event log's table (migration 0008) and its retention: ``analytics.events`` partitioned by month on
PostgreSQL (old months dropped whole), a plain table on SQLite."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from fw_kernel.adapters.metrics_sql import SqlMetricsReader
from fw_kernel.adapters.sql import tables as t
from fw_kernel.adapters.sql.engine import make_engine, month_start
from fw_kernel.adapters.sql.migrate import ensure_monthly_partitions, upgrade
from fw_kernel.adapters.sql.repositories import event_row
from fw_kernel.domain.events import Event
from fw_kernel.domain.metrics import Scope


def _add(engine: sa.Engine, actor: str, *times: datetime) -> None:
    with engine.begin() as c:
        c.execute(sa.insert(t.events), [event_row(Event("session_opened", actor, at)) for at in times])


def _count(engine: sa.Engine, actor: str) -> int:
    with engine.connect() as c:
        return c.execute(sa.select(sa.func.count()).select_from(t.events).where(t.events.c.actor == actor)).scalar()


def test_sqlite_events_table_and_purge(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    upgrade(engine)
    assert "events" in sa.inspect(engine).get_table_names()
    now = datetime.now(UTC)
    _add(engine, "ann", now - timedelta(days=40), now - timedelta(days=10), now)
    assert SqlMetricsReader(engine).purge(now - timedelta(days=30)) == 1
    assert _count(engine, "ann") == 2
    times = SqlMetricsReader(engine).events(Scope("ann"))["time"]
    assert all(x.tzinfo is not None for x in times)


@pytest.mark.service
def test_postgres_monthly_partitions_and_retention(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.connect() as c:
        kind = c.exec_driver_sql("SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "WHERE n.nspname = 'analytics' AND c.relname = 'events'").scalar()
        assert kind == "p"
    ensure_monthly_partitions(engine, "analytics", "events", now, months_back=4)
    with engine.connect() as c:
        parts = set(c.exec_driver_sql(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'events'").scalars())
    old = month_start(now, -3)
    assert {f"events_y{now:%Y}m{now:%m}", f"events_y{old:%Y}m{old:%m}", "events_default"} <= parts
    actor = f"r_{uuid.uuid4().hex[:6]}"
    _add(engine, actor, old + timedelta(days=2), month_start(now, -1) + timedelta(days=20), now)
    with engine.connect() as c:  # each row sits in its month's partition
        where = c.exec_driver_sql(f"SELECT tableoid::regclass::text FROM analytics.events WHERE actor = '{actor}' "
                                  "ORDER BY time").scalars().all()
    assert where[0] == f"analytics.events_y{old:%Y}m{old:%m}" and where[-1].endswith(f"events_y{now:%Y}m{now:%m}")
    removed = SqlMetricsReader(engine).purge(month_start(now, -1))
    assert removed >= 1 and _count(engine, actor) == 2
    with engine.connect() as c:
        assert c.exec_driver_sql(f"SELECT to_regclass('analytics.events_y{old:%Y}m{old:%m}')").scalar() is None


def _fresh_url(kind: str, tmp_path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'r.sqlite3'}"
        return
    from tests.support.servers import fresh_postgres_database

    with fresh_postgres_database("fw_rollup") as url:
        yield url


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.service)])
def test_rolled_up_days_give_the_same_activity_as_the_events(kind: str, tmp_path) -> None:
    """Past days come from the roll-up, today from the events: the figures equal a count of the rows."""
    import pandas as pd

    import fw_kernel as fw
    from fw_kernel.domain.events import EDIT_TYPES

    for url in _fresh_url(kind, tmp_path):
        ws = fw.connect(home=str(tmp_path / "fw"), database_url=url if kind == "postgres" else None, user="ann",
                        analysts=("ann",), autosave_thread=False)
        try:
            design = ws.designs.create("Look")
            design.add_layer("sil-tshirt")
            engine = ws.services.engine
            now = datetime.now(UTC)
            with engine.begin() as c:  # a history: designers' edits on earlier days, and an auto-save
                c.execute(sa.insert(t.events), [event_row(Event(kind_, actor, now - timedelta(days=days, minutes=m),
                                                                design.id, {}))
                                                for days, actor, kind_, m in (
                                                    (40, "bo", "layer_added", 0), (9, "bo", "layer_updated", 1),
                                                    (9, "cy", "design_created", 2), (9, "cy", "layer_updated", 3),
                                                    (2, "bo", "export_requested", 4),
                                                    (2, "fw-autosave", "autosave", 5))])
            reader = ws.services.metrics._reader
            ev = ws.metrics.events()
            for freq, step in (("D", "D"), ("W", "W-MON"), ("M", "MS")):
                got = ws.metrics.activity(freq)
                people = ev[ev["actor"] != "fw-autosave"]
                key = ev["time"].dt.tz_convert("UTC").dt.floor("D")
                if step != "D":
                    key = key.dt.tz_localize(None).dt.to_period(step[0]).dt.start_time.dt.tz_localize("UTC")
                expected_edits = ev["type"].isin(EDIT_TYPES).groupby(key).sum()
                expected_people = people.groupby(key[people.index])["actor"].nunique()
                for period, edits in expected_edits.items():
                    assert got.loc[period, "edits"] == edits, (freq, period)
                    assert got.loc[period, "active_designers"] == expected_people.get(period, 0), (freq, period)
                assert got["events"].sum() == len(ev)
            assert reader.rollup() == (now - reader.SETTLE).replace(hour=0, minute=0, second=0, microsecond=0)
            with engine.connect() as c:
                rolled = c.execute(sa.select(sa.func.sum(t.activity_daily.c.events))).scalar()
            assert rolled == 6  # the six past events; today's (created, added, the session) stay live
            design.update_layer(design.layers[0].id, opacity=5)  # today: live, next to the roll-up
            assert ws.metrics.activity("D").iloc[-1]["edits"] == 2
            last = ws.metrics.designs().set_index("id").loc[design.id, "last_activity"]
            assert last == ws.metrics.events(design=design)["time"].max()
            assert pd.Timestamp(now) - last < pd.Timedelta(minutes=5)
        finally:
            ws.close()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.service)])
def test_designer_rollup_gives_the_same_activity_as_the_events(kind: str, tmp_path) -> None:
    """A generated history (designs private, public, shared-and-published, shared with a collaborator; events of
    several actors over 70 days, some about no design, some of today): every designer's and an analyst's
    ``activity`` per day, week and month from the roll-ups equals the same from the events alone."""
    import random

    import fw_kernel as fw

    rng = random.Random(14)
    for url in _fresh_url(kind, tmp_path):
        home = str(tmp_path / "fw")
        opened = {u: fw.connect(home=home, database_url=url if kind == "postgres" else None, user=u,
                                autosave_thread=False) for u in ("ann", "bo", "cy")}
        try:
            ann, bo, cy = opened["ann"], opened["bo"], opened["cy"]
            ids = [ann.designs.create("private").id, ann.designs.create("public", visibility="public").id,
                   bo.designs.create("team", visibility="shared", status="published").id,
                   bo.designs.create("bo's own").id, cy.designs.create("cy's own").id]
            bo.designs.get(ids[3]).share("cy", "editor")
            reader = ann.services.metrics._reader
            engine = ann.services.engine
            now = datetime.now(UTC)
            types = ("layer_added", "layer_updated", "design_created", "version_checkpointed", "export_requested",
                     "comment_added", "session_opened")
            rows = [Event(rng.choice(types), rng.choice(("ann", "bo", "cy", "dee", "fw-autosave")),
                          now - timedelta(days=rng.randint(0, 70), minutes=rng.randint(0, 600)),
                          rng.choice((*ids, None, "d" + "9" * 31)), {}) for _ in range(600)]
            with engine.begin() as c:
                c.execute(sa.insert(t.events), [event_row(e) for e in rows])
            scopes = [Scope(u) for u in ("ann", "bo", "cy", "dee")] + [Scope("ann", everything=True)]
            for scope in scopes:
                for unit in ("day", "week", "month"):
                    rolled = reader.activity(scope, unit)
                    assert rolled == reader.activity(scope, unit, rolled=False), (scope, unit)
                    assert sum(rolled["events"]) > 0
            until = reader.rollup()
            with engine.connect() as c:
                past = c.execute(sa.select(sa.func.sum(t.design_daily.c.events))).scalar()
                expected = c.execute(sa.select(sa.func.count()).select_from(t.events)
                                     .where(t.events.c.time < until)).scalar()
            assert past == expected > 0  # the past days did come from the roll-up
            # the scope is the designs' visibility now: one made public, one made private again, one deleted
            bo.designs.get(ids[3]).update(visibility="public")
            ann.designs.get(ids[1]).update(visibility="private")
            assert reader.activity(Scope("dee"), "day") == reader.activity(Scope("dee"), "day", rolled=False)
            cy.designs.get(ids[4]).update(visibility="public")
            bo.designs.get(ids[2]).delete()
            for scope in scopes:
                assert reader.activity(scope, "week") == reader.activity(scope, "week", rolled=False), scope
            with engine.connect() as c:
                team = set(c.execute(sa.select(t.team_designs.c.design_id)).scalars())
            assert team == {ids[3], ids[4]}
        finally:
            for ws in opened.values():
                ws.close()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.service)])
def test_bill_of_materials_fast_path_equals_bom_estimate_per_design(kind: str, tmp_path) -> None:
    """``designs()`` reads lean layer rows (visible ones, target and count typed in SQL) into ``bom_estimates``:
    on a generated set of designs its fabric_m and cost_eur are exactly those of ``bom_estimate`` on each
    design's full layers (customization parsed whole): odd targets and counts, hidden layers, unknown items,
    other currencies."""
    import random

    import fw_kernel as fw
    from fw_kernel.domain.catalog import CatalogItem
    from fw_kernel.domain.metrics import NOMINAL_AREA_M2, bom_estimate
    from fw_kernel.services.metrics import MetricsService

    rng = random.Random(14)
    for url in _fresh_url(kind, tmp_path):
        ws = fw.connect(home=str(tmp_path / "fw"), database_url=url if kind == "postgres" else None, user="ann",
                        autosave_thread=False, event_log=False)
        try:
            engine = ws.services.engine
            first = ws.designs.create("Look")
            with engine.connect() as c:
                row = dict(c.execute(sa.select(t.designs).where(t.designs.c.id == first.id)).mappings().one())
            silhouettes = [*sorted(NOMINAL_AREA_M2)[:5], "sil-unknown"]
            others = [f"fab-{i}" for i in range(4)] + [f"elm-{i}" for i in range(3)] + ["acc-0", "pat-0", "gone"]
            kinds = {"fab": "fabric", "elm": "element", "acc": "accessory", "pat": "pattern", "gon": "fabric"}
            items = {i: CatalogItem(id=i, type="silhouette", name=i, price=0) for i in silhouettes}
            for n, i in enumerate(others[:-1]):  # "gone": no longer in the catalog
                items[i] = CatalogItem(id=i, type=kinds[i[:3]], name=i, price=rng.choice([0, 3, 12.5, 0.1 * n, 7.3]),
                                       currency="USD" if n == 5 else "EUR")
            looked_up: list[str] = []

            def item_of(item_id: str, items: dict = items, looked_up: list = looked_up) -> CatalogItem | None:
                looked_up.append(item_id)
                return items.get(item_id)

            customs = [{}, {"count": 3}, {"count": 2.5}, {"count": "4"}, {"count": True}, {"count": None},
                       {"count": 0.1}, {"count": 1e3}, {"count": [2]}, {"target": 7}, {"target": ""},
                       {"color": "#fff", "nested": {"count": 9}}]
            ids = [first.id] + [f"gen{i:029d}" for i in range(1, 160)]
            layers = []
            for design_id in ids:
                count = rng.randint(0, 9)
                order = rng.sample(range(50), count)
                made = []
                for k in range(count):
                    item = rng.choice(silhouettes if rng.random() < 0.3 else others)
                    layer_id = f"L{k}"
                    custom = dict(rng.choice(customs))
                    if item.startswith(("fab", "gone")) and made and rng.random() < 0.6:
                        custom["target"] = rng.choice([*made, "L99"])  # a silhouette layer (maybe hidden) or none
                    if item.startswith("sil"):
                        made.append(layer_id)
                    layers.append({"id": layer_id, "design_id": design_id, "order_index": order[k],
                                   "type": "silhouette" if item.startswith("sil") else kinds[item[:3]], "name": item,
                                   "catalog_item_id": item, "transform": {}, "customization": custom,
                                   "is_visible": rng.random() < 0.85, "is_locked": False, "blend_mode": "normal",
                                   "opacity": 100, "notes": "", "updated_at": row["updated_at"]})
            with engine.begin() as c:
                c.execute(sa.delete(t.layers).where(t.layers.c.design_id == first.id))
                c.execute(sa.insert(t.designs), [{**row, "id": i} for i in ids[1:]])
                c.execute(sa.insert(t.layers), layers)
                full = c.execute(sa.select(t.layers.c.design_id, t.layers.c.id, t.layers.c.type,
                                           t.layers.c.catalog_item_id, t.layers.c.is_visible, t.layers.c.order_index,
                                           t.layers.c.customization)).mappings().all()
            by_design: dict[str, list[dict]] = {}
            for layer in full:
                by_design.setdefault(layer["design_id"], []).append(dict(layer))
            expected = {i: bom_estimate(by_design.get(i, ()), items.get) for i in ids}
            assert sum(1 for m, cost in expected.values() if m > 0 and cost > 0) > 40  # the set exercises fabrics
            cols = MetricsService(SqlMetricsReader(engine), item_of).designs(Scope("ann", everything=True))
            got = {i: (m, cost) for i, m, cost in zip(cols["id"], cols["fabric_m"], cols["cost_eur"], strict=True)}
            assert got == expected  # exactly: the same sums in the same order
            assert len(looked_up) == len(set(looked_up))  # each item looked up once
            frame = ws.metrics.designs().set_index("id")  # the DataFrame carries the same numbers
            assert frame.loc[ids[3], "fabric_m"] == bom_estimate(by_design.get(ids[3], ()), ws.services.catalog.find)[0]
        finally:
            ws.close()
