"""Repositories and the unit of work over SQLAlchemy Core (domain objects in, domain objects out)."""

from __future__ import annotations

import builtins
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, insert, or_, select, text, update

from ...domain.avatar import Avatar
from ...domain.catalog import CatalogItem
from ...domain.design import Design
from ...domain.events import Event
from ...domain.layer import Layer
from ...domain.records import Collaborator, Comment, HistoryEntry, User, Version
from ...domain.search import CatalogQuery
from ...domain.values import CanvasSettings, DesignMeta
from ...ports import StaleVersion
from . import tables as t

_META_FIELDS = tuple(DesignMeta.model_fields)
_COUNTERS = ("view_count", "like_count", "fork_count")


def _layer_row(design_id: str, layer: Layer, now: datetime) -> dict[str, Any]:
    data = layer.model_dump(mode="json")
    data["group_name"] = data.pop("group")
    return {**data, "design_id": design_id, "updated_at": now}


def _layer_from(row: Any) -> Layer:
    data = dict(row._mapping)
    data.pop("design_id")
    data.pop("updated_at")
    data["group"] = data.pop("group_name")
    return Layer.model_validate(data, strict=False)


def _meta_row(meta: DesignMeta) -> dict[str, Any]:
    return meta.model_dump(mode="json")


# Prebuilt statements of every edit's hot path (open, save, history): built once with bind parameters instead
# of per call, so a request pays only for executing them (SQLAlchemy's compiled cache does the rest).
_GET_DESIGN = select(t.designs).where(t.designs.c.id == bindparam("b_id"))
_GET_DESIGN_FOR_UPDATE = _GET_DESIGN.with_for_update()
_GET_LAYERS = select(t.layers).where(t.layers.c.design_id == bindparam("b_id")).order_by(t.layers.c.order_index)
_BUMP_VERSION = update(t.designs).where(and_(
    t.designs.c.id == bindparam("b_id"), t.designs.c.version == bindparam("b_version"),
    t.designs.c.deleted_at.is_(None)))  # SET: the columns of the parameters
_UPDATE_LAYER = update(t.layers).where(and_(t.layers.c.design_id == bindparam("b_design_id"),
                                            t.layers.c.id == bindparam("b_layer_id")))  # SET: likewise
_ADD_HISTORY = insert(t.history)
_ROLE = select(t.collaborators.c.role).where(and_(t.collaborators.c.design_id == bindparam("b_design_id"),
                                                  t.collaborators.c.user_name == bindparam("b_user")))


class SqlDesignRepository:
    def __init__(self, conn: Connection):
        self.c = conn

    def add(self, design: Design) -> None:
        now = design.created_at
        assert now is not None, "a new design carries its creation time"
        self.c.execute(insert(t.designs).values(
            id=design.id, owner=design.owner, **_meta_row(design.meta),
            canvas=design.canvas.model_dump(mode="json"), version=design.version, autosaved_version=0,
            fork_from=design.fork_from, view_count=0, like_count=0, fork_count=0, created_at=now,
            updated_at=now, last_edited_at=now))
        if design.layers:
            self.c.execute(insert(t.layers), [_layer_row(design.id, x, now) for x in design.layers])

    def get(self, design_id: str, for_update: bool = False) -> Design | None:
        key = {"b_id": design_id}
        row = self.c.execute(_GET_DESIGN_FOR_UPDATE if for_update else _GET_DESIGN, key).first()
        if row is None:
            return None
        layer_rows = self.c.execute(_GET_LAYERS, key).all()
        return self._design_from(row, [_layer_from(r) for r in layer_rows])

    @staticmethod
    def _design_from(row: Any, layers: list[Layer]) -> Design:
        m = row._mapping
        meta = DesignMeta.model_validate({k: m[k] for k in _META_FIELDS}, strict=False)
        return Design(id=m["id"], owner=m["owner"], meta=meta,
                      canvas=CanvasSettings.model_validate(m["canvas"], strict=False), layers=tuple(layers),
                      version=m["version"], fork_from=m["fork_from"], view_count=m["view_count"],
                      like_count=m["like_count"], fork_count=m["fork_count"], created_at=m["created_at"],
                      updated_at=m["updated_at"], deleted_at=m["deleted_at"])

    def save(self, old: Design, new: Design, now: datetime) -> Design:
        values: dict[str, Any] = {"version": old.version + 1, "updated_at": now, "last_edited_at": now}
        if new.meta is not old.meta:
            values.update(_meta_row(new.meta))
        if new.canvas is not old.canvas:
            values["canvas"] = new.canvas.model_dump(mode="json")
        result = self.c.execute(_BUMP_VERSION, {**values, "b_id": old.id, "b_version": old.version})
        if result.rowcount != 1:
            raise StaleVersion(old.id)
        before = {layer.id: layer for layer in old.layers}
        after = {layer.id: layer for layer in new.layers}
        gone = [i for i in before if i not in after]
        if gone:
            self.c.execute(delete(t.layers).where(and_(t.layers.c.design_id == old.id, t.layers.c.id.in_(gone))))
        added = [_layer_row(old.id, x, now) for i, x in after.items() if i not in before]
        if added:
            self.c.execute(insert(t.layers), added)
        for layer_id, layer in after.items():
            if layer_id in before and before[layer_id] is not layer:
                row = _layer_row(old.id, layer, now)
                del row["design_id"], row["id"]  # the key: not SET
                self.c.execute(_UPDATE_LAYER, {**row, "b_design_id": old.id, "b_layer_id": layer_id})
        return new.replace(version=old.version + 1, updated_at=now)

    def soft_delete(self, design_id: str, now: datetime) -> None:
        self.c.execute(update(t.designs).where(t.designs.c.id == design_id).values(
            deleted_at=now, version=t.designs.c.version + 1, last_edited_at=now))

    def list_for(self, user: str) -> list[Design]:
        shared = select(t.collaborators.c.design_id).where(t.collaborators.c.user_name == user)
        rows = self.c.execute(select(t.designs).where(and_(
            t.designs.c.deleted_at.is_(None), or_(t.designs.c.owner == user, t.designs.c.id.in_(shared))
        )).order_by(t.designs.c.last_edited_at.desc())).all()
        return self._with_layers(rows)

    def list_published(self) -> list[Design]:
        d = t.designs.c
        rows = self.c.execute(select(t.designs).where(and_(
            d.deleted_at.is_(None), or_(d.visibility == "public", and_(d.visibility == "shared",
                                                                       d.status == "published")))
        ).order_by(d.last_edited_at.desc())).all()
        return self._with_layers(rows)

    def get_many(self, design_ids: Sequence[str]) -> list[Design]:
        if not design_ids:
            return []
        return self._with_layers(self.c.execute(select(t.designs).where(t.designs.c.id.in_(list(design_ids)))).all())

    def snapshots_many(self, design_ids: Sequence[str]) -> list[tuple[str, int, dict[str, Any]]]:
        # The stored JSON was produced by model_dump(mode="json"), so the rows are the snapshot already;
        # tests check this equals domain.design.snapshot() on every backend.
        if not design_ids:
            return []
        ids = list(design_ids)
        rows = self.c.execute(select(t.designs).where(t.designs.c.id.in_(ids))).all()
        layers: dict[str, list[dict[str, Any]]] = {r.id: [] for r in rows}
        for r in self.c.execute(select(t.layers).where(t.layers.c.design_id.in_(ids))
                                .order_by(t.layers.c.design_id, t.layers.c.order_index)):
            m = r._mapping
            layers[m["design_id"]].append({
                "id": m["id"], "type": m["type"], "catalog_item_id": m["catalog_item_id"], "name": m["name"],
                "order_index": m["order_index"], "transform": m["transform"], "customization": m["customization"],
                "is_visible": m["is_visible"], "is_locked": m["is_locked"], "blend_mode": m["blend_mode"],
                "opacity": m["opacity"], "notes": m["notes"], "group": m["group_name"]})
        out = []
        for r in rows:
            m = r._mapping
            state = {k: m[k] for k in _META_FIELDS}
            state["tags"] = list(state["tags"])
            state["canvas"] = m["canvas"]
            state["layers"] = layers[m["id"]]
            out.append((m["id"], m["version"], state))
        return out

    def _with_layers(self, rows: Sequence[Any]) -> list[Design]:
        ids = [r.id for r in rows]
        layers: dict[str, list[Layer]] = {i: [] for i in ids}
        if ids:
            for r in self.c.execute(select(t.layers).where(t.layers.c.design_id.in_(ids))
                                    .order_by(t.layers.c.design_id, t.layers.c.order_index)):
                layers[r.design_id].append(_layer_from(r))
        return [self._design_from(r, layers[r.id]) for r in rows]

    def count_owned(self, user: str) -> int:
        return self.c.execute(select(func.count()).select_from(t.designs).where(
            and_(t.designs.c.owner == user, t.designs.c.deleted_at.is_(None)))).scalar_one()

    def bump_counter(self, design_id: str, counter: str) -> None:
        if counter not in _COUNTERS:
            raise ValueError(counter)
        column = t.designs.c[counter]
        self.c.execute(update(t.designs).where(t.designs.c.id == design_id).values({column: column + 1}))

    def pending_autosave(self, edited_before: datetime, limit: int) -> list[str]:
        return list(self.c.execute(select(t.designs.c.id).where(and_(
            t.designs.c.version > t.designs.c.autosaved_version, t.designs.c.last_edited_at <= edited_before,
        )).order_by(t.designs.c.last_edited_at).limit(limit)).scalars())

    def mark_autosaved(self, design_id: str, version: int) -> None:
        self.mark_autosaved_many([(design_id, version)])

    _MARK = (update(t.designs).where(and_(t.designs.c.id == bindparam("b_id"),
                                          t.designs.c.autosaved_version < bindparam("b_version")))
             .values(autosaved_version=bindparam("b_version")))

    def mark_autosaved_many(self, saved: Sequence[tuple[str, int]]) -> None:
        if saved:
            self.c.execute(self._MARK, [{"b_id": i, "b_version": v} for i, v in saved])


class SqlVersionRepository:
    def __init__(self, conn: Connection):
        self.c = conn

    def add(self, version: Version) -> None:
        self.c.execute(insert(t.versions).values(
            design_id=version.design_id, version_number=version.version_number, message=version.message,
            snapshot=version.snapshot, design_version=version.design_version, created_by=version.created_by,
            created_at=version.created_at, synced=False))

    @staticmethod
    def _from(row: Any) -> Version:
        return Version(**dict(row._mapping))

    def list(self, design_id: str) -> list[Version]:
        return [self._from(r) for r in self.c.execute(select(t.versions).where(
            t.versions.c.design_id == design_id).order_by(t.versions.c.version_number))]

    def list_many(self, design_ids: Sequence[str]) -> dict[str, builtins.list[Version]]:
        out: dict[str, builtins.list[Version]] = {d: [] for d in design_ids}
        if design_ids:
            for r in self.c.execute(select(t.versions).where(t.versions.c.design_id.in_(list(design_ids)))
                                    .order_by(t.versions.c.design_id, t.versions.c.version_number)):
                out[r.design_id].append(self._from(r))
        return out

    def get(self, design_id: str, number: int) -> Version | None:
        row = self.c.execute(select(t.versions).where(and_(
            t.versions.c.design_id == design_id, t.versions.c.version_number == number))).first()
        return self._from(row) if row else None

    def next_number(self, design_id: str) -> int:
        current = self.c.execute(select(func.max(t.versions.c.version_number)).where(
            t.versions.c.design_id == design_id)).scalar()
        return (current or 0) + 1

    def unsynced(self, limit: int) -> builtins.list[Version]:
        return [self._from(r) for r in self.c.execute(select(t.versions).where(t.versions.c.synced.is_(False))
                                                      .order_by(t.versions.c.created_at).limit(limit))]

    def mark_synced(self, design_id: str, number: int) -> None:
        self.c.execute(update(t.versions).where(and_(
            t.versions.c.design_id == design_id, t.versions.c.version_number == number)).values(synced=True))


class SqlHistoryRepository:
    def __init__(self, conn: Connection):
        self.c = conn

    def add(self, entry: HistoryEntry) -> None:
        self.c.execute(_ADD_HISTORY, {"design_id": entry.design_id, "version": entry.version,
                                      "user_name": entry.user, "action": entry.action, "data": entry.data,
                                      "created_at": entry.created_at})

    def list(self, design_id: str, since_version: int | None = None, limit: int | None = None
             ) -> list[HistoryEntry]:
        query = select(t.history).where(t.history.c.design_id == design_id)
        if since_version is not None:
            query = query.where(t.history.c.version > since_version)
        query = query.order_by(t.history.c.id.desc())
        if limit is not None:
            query = query.limit(limit)
        rows = list(self.c.execute(query))[::-1]
        return [HistoryEntry(r.design_id, r.version, r.user_name, r.action, r.data, r.created_at, r.id)
                for r in rows]


class SqlCollaboratorRepository:
    def __init__(self, conn: Connection):
        self.c = conn

    def put(self, collaborator: Collaborator) -> None:
        key = and_(t.collaborators.c.design_id == collaborator.design_id,
                   t.collaborators.c.user_name == collaborator.user)
        if self.c.execute(update(t.collaborators).where(key).values(role=collaborator.role)).rowcount == 0:
            self.c.execute(insert(t.collaborators).values(
                design_id=collaborator.design_id, user_name=collaborator.user, role=collaborator.role,
                added_by=collaborator.added_by, created_at=collaborator.created_at))

    def remove(self, design_id: str, user: str) -> None:
        self.c.execute(delete(t.collaborators).where(and_(t.collaborators.c.design_id == design_id,
                                                          t.collaborators.c.user_name == user)))

    def list(self, design_id: str) -> list[Collaborator]:
        return [Collaborator(r.design_id, r.user_name, r.role, r.added_by, r.created_at)
                for r in self.c.execute(select(t.collaborators).where(t.collaborators.c.design_id == design_id)
                                        .order_by(t.collaborators.c.created_at))]

    def list_many(self, design_ids: Sequence[str]) -> dict[str, builtins.list[Collaborator]]:
        out: dict[str, builtins.list[Collaborator]] = {d: [] for d in design_ids}
        if design_ids:
            for r in self.c.execute(select(t.collaborators).where(
                    t.collaborators.c.design_id.in_(list(design_ids))).order_by(t.collaborators.c.created_at)):
                out[r.design_id].append(Collaborator(r.design_id, r.user_name, r.role, r.added_by, r.created_at))
        return out

    def role(self, design_id: str, user: str) -> str | None:
        return self.c.execute(_ROLE, {"b_design_id": design_id, "b_user": user}).scalar()


class SqlCommentRepository:
    def __init__(self, conn: Connection):
        self.c = conn

    def add(self, comment: Comment) -> None:
        self.c.execute(insert(t.comments).values(id=comment.id, design_id=comment.design_id,
                                                 layer_id=comment.layer_id, user_name=comment.user,
                                                 text=comment.text, created_at=comment.created_at))

    def list(self, design_id: str) -> list[Comment]:
        return [Comment(r.id, r.design_id, r.user_name, r.text, r.created_at, r.layer_id)
                for r in self.c.execute(select(t.comments).where(t.comments.c.design_id == design_id)
                                        .order_by(t.comments.c.created_at))]


class SqlAvatarRepository:
    def __init__(self, conn: Connection):
        self.c = conn

    def add(self, avatar: Avatar) -> None:
        self.c.execute(insert(t.avatars).values(id=avatar.id, owner=avatar.owner, name=avatar.name,
                                                measurements=avatar.measurements, body_hint=avatar.body_hint,
                                                source=avatar.source, created_at=avatar.created_at,
                                                requested=avatar.requested, body=avatar.body,
                                                confidence=avatar.confidence))

    def update(self, avatar: Avatar) -> None:
        self.c.execute(update(t.avatars).where(t.avatars.c.id == avatar.id).values(
            name=avatar.name, measurements=avatar.measurements, body_hint=avatar.body_hint,
            requested=avatar.requested, body=avatar.body, confidence=avatar.confidence))

    @staticmethod
    def _from(r: Any) -> Avatar:
        return Avatar(r.id, r.owner, r.name, dict(r.measurements), r.body_hint, r.created_at, r.source,
                      dict(r.requested), dict(r.body), dict(r.confidence or {}))

    def get(self, avatar_id: str) -> Avatar | None:
        row = self.c.execute(select(t.avatars).where(and_(t.avatars.c.id == avatar_id,
                                                          t.avatars.c.deleted_at.is_(None)))).first()
        return self._from(row) if row else None

    def get_many(self, avatar_ids: Sequence[str]) -> dict[str, Avatar]:
        if not avatar_ids:
            return {}
        return {r.id: self._from(r) for r in self.c.execute(select(t.avatars).where(and_(
            t.avatars.c.id.in_(list(avatar_ids)), t.avatars.c.deleted_at.is_(None))))}

    def list(self, owner: str) -> list[Avatar]:
        return [self._from(r) for r in self.c.execute(select(t.avatars).where(and_(
            t.avatars.c.owner == owner, t.avatars.c.deleted_at.is_(None))).order_by(t.avatars.c.created_at))]


class SqlCatalogRepository:
    _HASH_KEY = "catalog_manifest_hash"

    def __init__(self, conn: Connection, now: datetime):
        self.c = conn
        self.now = now

    def manifest_hash(self) -> str | None:
        return self.c.execute(select(t.meta_kv.c.value).where(t.meta_kv.c.key == self._HASH_KEY)).scalar()

    def replace_all(self, items: Sequence[CatalogItem], manifest_hash: str) -> None:
        sqlite = self.c.dialect.name == "sqlite"
        self.c.execute(delete(t.items))
        if sqlite:
            self.c.exec_driver_sql("DELETE FROM items_fts")
        if items:
            self.c.execute(insert(t.items), [{
                "id": i.id, "type": i.type, "name": i.name, "description": i.description, "tags": list(i.tags),
                "price": i.price, "currency": i.currency, "availability": i.availability,
                "compatibility": i.compatibility, "parameters": i.parameters, "appearance": i.appearance,
                "physical": i.physical, "thumbnail": i.thumbnail, "updated_at": self.now,
                "search_text": " ".join((*i.tags, i.type))} for i in items])
            if sqlite:
                self.c.exec_driver_sql(
                    "INSERT INTO items_fts (id, name, tags, description) VALUES (?, ?, ?, ?)",
                    [(i.id, i.name, " ".join((*i.tags, i.type)), i.description) for i in items])
        self.c.execute(delete(t.meta_kv).where(t.meta_kv.c.key == self._HASH_KEY))
        self.c.execute(insert(t.meta_kv).values(key=self._HASH_KEY, value=manifest_hash))

    def search(self, query: CatalogQuery) -> list[str]:
        """Ids of matching items, best first (PostgreSQL: tsvector + pg_trgm; SQLite: FTS5 bm25)."""
        filters, params = _catalog_filters(query, self.c.dialect.name)
        params["limit"] = query.limit
        where = " AND ".join(filters) or "TRUE"
        if not query.alternatives:
            sql = f"SELECT i.id FROM {self._items} i WHERE {where} ORDER BY i.type, i.name LIMIT :limit"
            return list(self.c.execute(text(sql), params).scalars())
        if self.c.dialect.name == "postgresql":
            params["tsq"] = " & ".join("(" + " | ".join(f"{w}:*" for w in alts) + ")" for alts in query.alternatives)
            params["text"] = query.text
            # full text first (GIN on the tsvector); trigram similarity only fills what it left: rechecking
            # word_similarity over long texts is what costs (100 ms at 10k items when run on every search)
            sql = f"""
                SELECT i.id FROM catalog.items i, to_tsquery('english', :tsq) q
                WHERE i.search @@ q AND {where}
                ORDER BY ts_rank_cd(i.search, q) DESC, i.name
                LIMIT :limit"""
            ids = list(self.c.execute(text(sql), params).scalars())
            if len(ids) < query.limit:
                self.c.exec_driver_sql("SET LOCAL pg_trgm.word_similarity_threshold = 0.5")
                sql = f"""
                    SELECT i.id FROM catalog.items i
                    WHERE :text <% (i.name || ' ' || i.search_text) AND NOT (i.id = ANY(:seen)) AND {where}
                    ORDER BY word_similarity(:text, i.name || ' ' || i.search_text) DESC, i.name
                    LIMIT :rest"""
                ids += self.c.execute(text(sql), {**params, "seen": ids, "rest": query.limit - len(ids)}).scalars()
            return ids
        params["match"] = " AND ".join("(" + " OR ".join(f'"{w}"*' for w in alts) + ")"
                                       for alts in query.alternatives)
        sql = f"""
            SELECT i.id FROM items_fts f JOIN items i ON i.id = f.id
            WHERE items_fts MATCH :match AND {where}
            ORDER BY bm25(items_fts, 0.0, 10.0, 5.0, 1.0), i.name
            LIMIT :limit"""
        return list(self.c.execute(text(sql), params).scalars())

    @property
    def _items(self) -> str:
        return "catalog.items" if self.c.dialect.name == "postgresql" else "items"

    def all(self) -> list[CatalogItem]:
        return [CatalogItem(id=r.id, type=r.type, name=r.name, description=r.description, tags=tuple(r.tags),
                            price=float(r.price), currency=r.currency, availability=r.availability,
                            compatibility=r.compatibility, parameters=r.parameters, appearance=r.appearance,
                            physical=r.physical, thumbnail=r.thumbnail)
                for r in self.c.execute(select(t.items).order_by(t.items.c.type, t.items.c.id))]


def _catalog_filters(query: CatalogQuery, dialect: str) -> tuple[list[str], dict[str, Any]]:
    filters: list[str] = []
    params: dict[str, Any] = {}
    if query.type is not None:
        filters.append("i.type = :type")
        params["type"] = query.type
    if query.max_price is not None:
        filters.append("i.price <= :max_price")
        params["max_price"] = query.max_price
    if query.availability is not None:
        filters.append("i.availability = :availability")
        params["availability"] = query.availability
    for n, tag in enumerate(query.tags):
        params[f"tag{n}"] = tag
        if dialect == "postgresql":
            filters.append(f"i.tags ? :tag{n}")
        else:
            filters.append(f"EXISTS (SELECT 1 FROM json_each(i.tags) WHERE json_each.value = :tag{n})")
    return filters, params


class SqlUserRepository:
    def __init__(self, conn: Connection):
        self.c = conn

    def ensure(self, name: str, now: datetime) -> User:
        row = self.c.execute(select(t.users).where(t.users.c.name == name)).first()
        if row is None:
            dialect = self.c.dialect.name
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as pg_insert

                self.c.execute(pg_insert(t.users).values(name=name, tier="free", created_at=now)
                               .on_conflict_do_nothing())
            else:
                from sqlalchemy.dialects.sqlite import insert as sqlite_insert

                self.c.execute(sqlite_insert(t.users).values(name=name, tier="free", created_at=now)
                               .on_conflict_do_nothing())
            return User(name, "free", now)
        return User(row.name, row.tier, row.created_at)


_SQLITE_EVENT = "INSERT INTO events (time, type, actor, design_id, properties) VALUES (?, ?, ?, ?, ?)"
_POSTGRES_EVENT = ("INSERT INTO analytics.events (time, type, actor, design_id, properties) "
                   "VALUES (%s, %s, %s, %s, %s)")
_json = json.JSONEncoder(separators=(",", ":")).encode  # compact: what json.loads (SQLAlchemy's JSON) reads back


def _write_sqlite(raw: Any, event: Event) -> None:
    """The text format of SQLAlchemy's SQLite DATETIME (naive UTC, ``YYYY-MM-DD HH:MM:SS.ffffff``), so both read
    it back alike; ``isoformat`` costs a third of ``strftime``."""
    when = event.time
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    raw.execute(_SQLITE_EVENT, (when.isoformat(" ", "microseconds"), event.type, event.actor, event.design_id,
                                _json(event.properties)))


def _write_postgres(raw: Any, event: Event) -> None:
    from psycopg.types.json import Jsonb

    raw.execute(_POSTGRES_EVENT, (event.time, event.type, event.actor, event.design_id,
                                  Jsonb(event.properties, _json)))


class SqlEventRepository:
    """Rows of ``analytics.events``, inserted in the unit of work's transaction (never updated)."""

    def __init__(self, conn: Connection):
        self.c = conn
        self._write = _write_postgres if conn.dialect.name == "postgresql" else _write_sqlite

    _INSERT = insert(t.events)

    def add(self, event: Event) -> None:
        """One row: a prebuilt statement straight on the driver's connection, in the unit of work's transaction
        (no SQLAlchemy statement, no cursor object of our own, no RETURNING, no flush). Every edit pays for this:
        SQLAlchemy's execution of a Core insert costs ~10x the insert itself (benchmarks/metrics.py)."""
        self._write(self.c.connection.driver_connection, event)

    def add_many(self, events: Sequence[Event]) -> None:
        if len(events) == 1:
            self.add(events[0])
        elif events:
            self.c.execute(self._INSERT, [event_row(e) for e in events])


def event_row(event: Event) -> dict[str, Any]:
    return {"time": event.time, "type": event.type, "actor": event.actor, "design_id": event.design_id,
            "properties": event.properties}


_held = threading.local()   # engine -> the connection this thread holds (held_connection)


@contextmanager
def held_connection(engine: Engine) -> Iterator[None]:
    """Units of work of ``engine`` opened in this block on this thread share one connection, each still in its
    own transaction. A design service request opens the design and then saves the edit (two units of work): one
    pool checkout instead of two, so one ``pool_pre_ping`` round trip and one reset-on-return fewer per edit.
    Nested blocks reuse the outer one's connection."""
    conns: dict[Engine, Connection] = _held.__dict__.setdefault("conns", {})
    if engine in conns:
        yield
        return
    conn = engine.connect()
    conns[engine] = conn
    try:
        yield
    finally:
        del conns[engine]
        try:
            if conn.in_transaction():
                conn.rollback()
        finally:
            conn.close()


class SqlUnitOfWork:
    """One transaction on a connection of its own (or the thread's :func:`held_connection`); rolled back unless
    ``commit()`` was called."""

    def __init__(self, engine: Engine, clock: Any):
        self._engine = engine
        self._clock = clock
        self._conn: Connection | None = None
        self._own = True

    def __enter__(self) -> SqlUnitOfWork:
        held = _held.__dict__.get("conns", {}).get(self._engine)
        self._own = held is None
        self._conn = self._engine.connect() if held is None else held
        self._conn.begin()
        c = self._conn
        self.designs = SqlDesignRepository(c)
        self.versions = SqlVersionRepository(c)
        self.history = SqlHistoryRepository(c)
        self.collaborators = SqlCollaboratorRepository(c)
        self.comments = SqlCommentRepository(c)
        self.avatars = SqlAvatarRepository(c)
        self.catalog = SqlCatalogRepository(c, self._clock())
        self.users = SqlUserRepository(c)
        self.events = SqlEventRepository(c)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._conn is not None
        try:
            if self._conn.in_transaction():
                self._conn.rollback()
        finally:
            if self._own:
                self._conn.close()
            self._conn = None

    def commit(self) -> None:
        assert self._conn is not None
        self._conn.commit()

    def rollback(self) -> None:
        assert self._conn is not None
        self._conn.rollback()
