"""The document store on SQLite (embedded) and on a MongoDB-protocol server, through the same port."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fw_kernel.adapters.documents_mongo import MongoDocumentStore
from fw_kernel.adapters.documents_sql import SqlDocumentStore
from fw_kernel.adapters.sql.engine import make_engine
from fw_kernel.adapters.sql.migrate import upgrade


@pytest.fixture(params=["sqlite", pytest.param("mongo", marks=pytest.mark.service)])
def store(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'd.sqlite3'}")
        upgrade(engine)
        yield SqlDocumentStore(engine)
        engine.dispose()
    else:
        s = MongoDocumentStore(request.getfixturevalue("mongo_url"), database=f"fw_{tmp_path.name[-20:]}")
        yield s
        s.close()


def test_snapshots_are_unique_per_design_and_version(store) -> None:
    at = datetime.now(UTC)
    store.put_snapshot("d1", 1, {"name": "first"}, at)
    store.put_snapshot("d1", 1, {"name": "again"}, at)  # idempotent: the first write wins
    store.put_snapshot("d1", 2, {"name": "second"}, at)
    assert store.get_snapshot("d1", 1) == {"name": "first"}
    assert store.get_snapshot("d1", 2) == {"name": "second"}
    assert store.get_snapshot("d1", 3) is None


def test_latest_autosave_and_patch(store) -> None:
    at = datetime.now(UTC)
    store.put_autosave("d2", 3, {"v": 3}, [{"op": "replace", "path": "/v", "value": 3}], at)
    store.put_autosave("d2", 7, {"v": 7}, [{"op": "replace", "path": "/v", "value": 7}], at + timedelta(1))
    store.put_autosave("d2", 5, {"v": 5}, [], at)
    latest = store.latest_autosave("d2")
    assert latest["designVersion"] == 7 and latest["state"] == {"v": 7}
    assert latest["patch"] == [{"op": "replace", "path": "/v", "value": 7}]
    assert store.latest_autosave("nothing") is None


def test_render_cache(store) -> None:
    store.put_render("abc", {"url": "file:///x.png", "size": 10}, datetime.now(UTC))
    assert store.get_render("abc") == {"url": "file:///x.png", "size": 10}
    assert store.get_render("zzz") is None
    store.put_render("def", {"url": "file:///y.png", "size": 3}, datetime.now(UTC))
    assert store.get_renders(["abc", "zzz", "def"]) == {"abc": {"url": "file:///x.png", "size": 10},
                                                        "def": {"url": "file:///y.png", "size": 3}}
    assert store.get_renders([]) == {}


def test_sql_store_purges_expired(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    upgrade(engine)
    store = SqlDocumentStore(engine)
    old = datetime.now(UTC) - timedelta(days=8)
    store.put_autosave("d", 1, {}, [], old)
    store.put_autosave("d", 2, {}, [], datetime.now(UTC))
    assert store.purge_expired(datetime.now(UTC)) == 1
    assert store.latest_autosave("d")["designVersion"] == 2


@pytest.mark.service
def test_mongo_indexes_match_the_seed(mongo_url: str) -> None:
    store = MongoDocumentStore(mongo_url, database="fw_index_check")
    store.ensure_indexes()
    snap = {i["name"]: i for i in store.snapshots.list_indexes()}
    auto = {i["name"]: i for i in store.autosaves.list_indexes()}
    rend = {i["name"]: i for i in store.renders.list_indexes()}
    assert snap["designId_versionId_unique"]["unique"]
    assert auto["savedAt_ttl"]["expireAfterSeconds"] == 7 * 24 * 3600
    assert rend["renderHash_unique"]["unique"]
    assert rend["createdAt_ttl"]["expireAfterSeconds"] == 30 * 24 * 3600
    store.close()
