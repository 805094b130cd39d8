"""Alembic environment: the connection comes from ``migrate.upgrade`` (or a new engine from FW_DATABASE_URL)."""

from __future__ import annotations

from alembic import context

from fw_kernel.adapters.sql.engine import make_engine

connection = context.config.attributes.get("connection")


def _run(conn) -> None:
    postgres = conn.dialect.name == "postgresql"
    context.configure(connection=conn, target_metadata=None,
                      version_table_schema="shared" if postgres else None, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:  # `alembic` command line: FW_DATABASE_URL or the embedded default
    from fw_kernel.settings import Settings

    with make_engine(Settings.from_env().resolved_database_url).begin() as conn:
        _run(conn)
