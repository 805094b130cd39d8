"""The Alembic migrations build the seed's schema on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from fw_kernel.adapters.sql.engine import make_engine
from fw_kernel.adapters.sql.migrate import alembic_config, ensure_history_partitions, upgrade

TABLES = {"design": {"designs", "layers", "versions", "history", "collaborators", "comments"},
          "avatar": {"avatars"}, "catalog": {"items"}, "shared": {"users", "meta"}}


def test_sqlite_schema_and_idempotent_upgrade(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    upgrade(engine)
    upgrade(engine)  # a second connect finds it at head
    names = set(sa.inspect(engine).get_table_names())
    assert set().union(*TABLES.values()) <= names
    with engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert head is not None and c.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head


@pytest.mark.service
def test_postgres_schemas_partitions_and_constraints(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    inspector = sa.inspect(engine)
    for schema, tables in TABLES.items():
        assert tables <= set(inspector.get_table_names(schema=schema)), schema
    with engine.connect() as c:
        kind = c.exec_driver_sql("SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                                 "WHERE n.nspname = 'design' AND c.relname = 'history'").scalar()
        assert kind == "p"  # partitioned table
        now = datetime.now(UTC)
        partitions = set(c.exec_driver_sql(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'history'").scalars())
        assert f"history_y{now:%Y}m{now:%m}" in partitions and "history_default" in partitions
        checks = set(c.exec_driver_sql("SELECT conname FROM pg_constraint WHERE contype = 'c'").scalars())
        assert {"ck_layers_opacity", "ck_layers_blend_mode", "ck_designs_category", "ck_collab_role"} <= checks
    # The database itself refuses what the domain refuses (defence in depth).
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as c:
        c.exec_driver_sql("INSERT INTO shared.users (name, tier, created_at) VALUES ('x', 'free', now())")
        c.exec_driver_sql(
            "INSERT INTO design.designs (id, owner, name, description, category, tags, occasion, status, "
            "visibility, canvas, version, created_at, updated_at, last_edited_at) VALUES ('d', 'x', 'n', '', "
            "'pyjamas', '[]', '', 'draft', 'private', '{}', 1, now(), now(), now())")


@pytest.mark.service
def test_history_rows_outside_monthly_partitions_are_kept(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    upgrade(engine)
    with engine.begin() as c:
        c.exec_driver_sql("INSERT INTO design.history (design_id, version, user_name, action, data, created_at) "
                          "VALUES ('far', 1, 'u', 'create', '{}', '2031-05-05T00:00:00Z')")
    ensure_history_partitions(engine, now=datetime(2031, 5, 1, tzinfo=UTC), months_ahead=0)  # must not raise
    with engine.connect() as c:
        assert c.exec_driver_sql("SELECT count(*) FROM design.history WHERE design_id = 'far'").scalar() == 1


def test_snapshots_read_from_rows_equal_the_domain_snapshot(connect) -> None:
    from fw_kernel.domain.design import snapshot

    ws = connect()
    design = ws.designs.create("rows", tags=["a", "b"], season="summer")
    layer = design.add_layer("fab-denim-indigo", customization={"color": "#112233"}, notes="n", group="g")
    design.add_layer("sil-tshirt", transform={"rotation": {"y": 12.5}}, opacity=40, blend_mode="screen")
    design.update_layer(layer.id, is_locked=True)
    design.update_canvas(background="transparent", camera={"fov": 55})
    with ws._services.uow() as uow:
        [(design_id, version, state)] = uow.designs.snapshots_many([design.id])
        stored = uow.designs.get(design.id)
    assert (design_id, version) == (design.id, design.version)
    assert state == snapshot(stored) == design.snapshot()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.service)])
def test_0009_adds_the_designer_rollups_and_empties_the_old_ones(kind: str, tmp_path) -> None:
    """From 0008 with roll-ups filled: 0009 adds design_daily, team_daily and team_designs and empties
    activity_daily and its high-water mark, so the next roll-up rebuilds them all from the same days; its
    downgrade drops the three again."""
    from fw_kernel.adapters.sql import tables as t
    from tests.support.servers import fresh_postgres_database

    def check(url: str) -> None:
        engine = make_engine(url)
        upgrade(engine, "0008")
        with engine.begin() as c:
            c.execute(sa.insert(t.activity_daily).values(day="2026-11-30", actor="ann", edits=1, created=0,
                                                         checkpoints=0, exports=0, events=1))
            c.execute(sa.insert(t.meta_kv).values(key="metrics_rollup_until", value="2026-12-01T00:00:00+00:00"))
        upgrade(engine)
        schema = "analytics" if kind == "postgres" else None
        names = set(sa.inspect(engine).get_table_names(schema=schema))
        assert {"design_daily", "team_daily", "team_designs", "activity_daily"} <= names
        pk = sa.inspect(engine).get_pk_constraint("design_daily", schema=schema)["constrained_columns"]
        assert pk == ["design_id", "day", "actor"]
        with engine.connect() as c:
            assert c.execute(sa.select(sa.func.count()).select_from(t.activity_daily)).scalar() == 0
            assert c.execute(sa.select(t.meta_kv.c.value).where(t.meta_kv.c.key == "metrics_rollup_until")
                             ).scalar() is None
        upgrade_cfg = alembic_config()
        from alembic import command

        with engine.begin() as connection:
            upgrade_cfg.attributes["connection"] = connection
            command.downgrade(upgrade_cfg, "0008")
        assert not {"design_daily", "team_daily", "team_designs"} & set(
            sa.inspect(engine).get_table_names(schema=schema))
        engine.dispose()

    if kind == "sqlite":
        check(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    else:
        with fresh_postgres_database("fw_mig") as url:
            check(url)
