"""The document store on MongoDB (pymongo): ``design_snapshots``, ``design_autosaves``, ``render_cache``.

Works against any MongoDB 7+ server (tests use SecantusDB, which speaks the same wire protocol).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from .require_ import require_driver

AUTOSAVE_TTL = timedelta(days=7)
RENDER_TTL = timedelta(days=30)


class MongoDocumentStore:
    def __init__(self, url: str, database: str = "fashion_wallet", timeout_ms: int = 2_000):
        pymongo = require_driver("pymongo", "mongo")
        self._pymongo = pymongo
        self._client = pymongo.MongoClient(url, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms,
                                           socketTimeoutMS=max(timeout_ms, 5_000), tz_aware=True)
        db = self._client[database]
        self.snapshots = db["design_snapshots"]
        self.autosaves = db["design_autosaves"]
        self.renders = db["render_cache"]
        self._indexes_ready = False

    def ensure_indexes(self) -> None:
        """The seed's indexes: unique keys and TTLs (7 days for auto-saves, 30 days for renders)."""
        if self._indexes_ready:
            return
        asc = self._pymongo.ASCENDING
        self.snapshots.create_index([("designId", asc), ("versionId", asc)], unique=True,
                                    name="designId_versionId_unique")
        self.autosaves.create_index([("designId", asc), ("designVersion", asc)], unique=True,
                                    name="designId_designVersion_unique")
        self.autosaves.create_index("savedAt", expireAfterSeconds=int(AUTOSAVE_TTL.total_seconds()),
                                    name="savedAt_ttl")
        self.renders.create_index("renderHash", unique=True, name="renderHash_unique")
        self.renders.create_index("createdAt", expireAfterSeconds=int(RENDER_TTL.total_seconds()),
                                  name="createdAt_ttl")
        self._indexes_ready = True

    def put_snapshot(self, design_id: str, version_number: int, snapshot: dict[str, Any], at: datetime) -> None:
        self.ensure_indexes()
        self.snapshots.update_one({"designId": design_id, "versionId": version_number},
                                  {"$setOnInsert": {"snapshot": snapshot, "createdAt": at}}, upsert=True)

    def get_snapshot(self, design_id: str, version_number: int) -> dict[str, Any] | None:
        doc = self.snapshots.find_one({"designId": design_id, "versionId": version_number})
        return doc["snapshot"] if doc else None

    def put_autosave(self, design_id: str, design_version: int, state: dict[str, Any],
                     patch: list[dict[str, Any]], at: datetime, base_version: int = 0) -> None:
        self.ensure_indexes()
        self.autosaves.update_one(
            {"designId": design_id, "designVersion": design_version},
            {"$setOnInsert": {"baseVersion": base_version, "state": state, "patch": patch, "savedAt": at}},
            upsert=True)

    def put_autosaves(self, docs: Sequence[dict[str, Any]]) -> None:
        """One ``insert_many`` (unordered); documents already stored (duplicate key) are left as they are."""
        if not docs:
            return
        self.ensure_indexes()
        errors = self._pymongo.errors
        try:
            self.autosaves.insert_many([dict(d) for d in docs], ordered=False)
        except errors.BulkWriteError as exc:
            if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                raise

    def latest_autosave(self, design_id: str) -> dict[str, Any] | None:
        doc = self.autosaves.find_one({"designId": design_id}, sort=[("designVersion", -1)])
        if doc is None:
            return None
        doc.pop("_id", None)
        doc["savedAt"] = doc["savedAt"].isoformat()
        return doc

    def put_render(self, render_hash: str, record: dict[str, Any], at: datetime) -> None:
        self.ensure_indexes()
        self.renders.replace_one({"renderHash": render_hash}, {"renderHash": render_hash, "record": record,
                                                               "createdAt": at}, upsert=True)

    def get_render(self, render_hash: str) -> dict[str, Any] | None:
        doc = self.renders.find_one({"renderHash": render_hash})
        return doc["record"] if doc else None

    def get_renders(self, render_hashes: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {doc["renderHash"]: doc["record"]
                for doc in self.renders.find({"renderHash": {"$in": list(render_hashes)}})}

    def purge_expired(self, now: datetime) -> int:
        return 0  # MongoDB's TTL indexes expire documents themselves

    def close(self) -> None:
        self._client.close()
