"""Redis or the document store goes down while a designer edits: editing goes on, nothing is lost, and
auto-save catches up when the service is back."""

from __future__ import annotations

import json

import pytest
import redis

import fw_kernel as fw
from tests.support.servers import MongoServer, RedisServer

pytestmark = [pytest.mark.service, pytest.mark.slow]


def test_redis_down_while_editing(postgres_url: str, mongo_url: str, unique_user: str, tmp_path) -> None:
    server = RedisServer().start()
    ws = fw.connect(home=str(tmp_path), database_url=postgres_url, mongo_url=mongo_url, redis_url=server.url,
                    user=unique_user, autosave_thread=False)
    try:
        design = ws.designs.create("through the outage")
        seen: list[dict] = []
        unsubscribe = ws._services.cache.subscribe(design.id, seen.append)
        first = design.add_layer("sil-tshirt")
        ws.flush()
        client = redis.Redis.from_url(server.url)
        assert json.loads(client.get(f"design:{design.id}:state"))["version"] == design.version
        unsubscribe()

        server.stop()
        layers = [design.add_layer("fab-denim-indigo", name=f"during outage {i}") for i in range(5)]
        design.update_layer(first.id, opacity=33)
        report = ws._services.autosaver.run_once(force=True)
        assert report.saved == 1                       # the document store still took the auto-save
        assert any("cache" in e for e in report.errors)  # and the cache refresh is owed

        server.start()
        ws._services.cache._open_until = 0  # the breaker's cool-down would also expire by itself in 2 s
        report = ws._services.autosaver.run_once(force=True)
        assert report.cache_refreshed == 1 and not report.errors
        cached = json.loads(redis.Redis.from_url(server.url).get(f"design:{design.id}:state"))
        assert cached["version"] == design.version and cached["state"] == design.snapshot()
        reopened = ws.designs.get(design.id)
        assert [x.id for x in reopened.layers] == [first.id] + [x.id for x in layers]
        assert reopened.layer(first.id).opacity == 33
    finally:
        ws.close()
        server.stop()


def test_document_store_down_while_editing(postgres_url: str, redis_url: str, unique_user: str, tmp_path) -> None:
    mongo = MongoServer().start()
    ws = fw.connect(home=str(tmp_path), database_url=postgres_url, mongo_url=mongo.url, redis_url=redis_url,
                    user=unique_user, autosave_thread=False)
    docs = ws._services.documents
    try:
        design = ws.designs.create("mongo outage")
        layer = design.add_layer("sil-tshirt")
        ws.flush()
        assert docs.latest_autosave(design.id)["designVersion"] == design.version

        mongo.stop()
        for opacity in (90, 80, 70):
            design.update_layer(layer.id, opacity=opacity)
        version = design.checkpoint("made while MongoDB was down")
        report = ws._services.autosaver.run_once(force=True)
        assert report.saved == 0 and report.errors     # postponed, not dropped
        assert ws.designs.get(design.id).layer(layer.id).opacity == 70

        mongo.start()  # same port; a fresh, empty server
        report = ws._services.autosaver.run_once(force=True)
        assert report.saved == 1 and report.snapshots_synced >= 1
        latest = docs.latest_autosave(design.id)
        assert latest["designVersion"] == design.version and latest["state"] == design.snapshot()
        assert docs.get_snapshot(design.id, version.version_number) == version.snapshot
    finally:
        ws.close()
        mongo.stop()
