"""In-memory unit of work and repositories, for fast unit tests of the services (same ports as SQL)."""

from __future__ import annotations

import builtins
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..domain.avatar import Avatar
from ..domain.catalog import CatalogItem
from ..domain.design import Design, snapshot
from ..domain.events import Event
from ..domain.records import Collaborator, Comment, HistoryEntry, User, Version
from ..domain.search import CatalogQuery
from ..ports import StaleVersion


@dataclass
class MemoryStore:
    designs: dict[str, Design] = field(default_factory=dict)
    edited: dict[str, tuple[datetime, int]] = field(default_factory=dict)  # id -> (last edit, autosaved version)
    versions: dict[tuple[str, int], Version] = field(default_factory=dict)
    history: list[HistoryEntry] = field(default_factory=list)
    collaborators: dict[tuple[str, str], Collaborator] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    avatars: dict[str, Avatar] = field(default_factory=dict)
    catalog: dict[str, CatalogItem] = field(default_factory=dict)
    catalog_hash: str | None = None
    users: dict[str, User] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    events: list[Event] = field(default_factory=list)

    def copy(self) -> MemoryStore:
        return MemoryStore(dict(self.designs), dict(self.edited), dict(self.versions), list(self.history),
                           dict(self.collaborators), list(self.comments), dict(self.avatars), dict(self.catalog),
                           self.catalog_hash, dict(self.users), self.lock, list(self.events))


class _Designs:
    def __init__(self, s: MemoryStore):
        self.s = s

    def add(self, design: Design) -> None:
        self.s.designs[design.id] = design
        self.s.edited[design.id] = (design.created_at, 0)  # type: ignore[assignment]

    def get(self, design_id: str, for_update: bool = False) -> Design | None:
        return self.s.designs.get(design_id)  # one transaction at a time: always "locked"

    def save(self, old: Design, new: Design, now: datetime) -> Design:
        stored = self.s.designs.get(old.id)
        if stored is None or stored.version != old.version or stored.deleted_at is not None:
            raise StaleVersion(old.id)
        saved = new.replace(version=old.version + 1, updated_at=now)
        self.s.designs[old.id] = saved
        self.s.edited[old.id] = (now, self.s.edited[old.id][1])
        return saved

    def get_many(self, design_ids: Sequence[str]) -> list[Design]:
        return [self.s.designs[i] for i in design_ids if i in self.s.designs]

    def snapshots_many(self, design_ids: Sequence[str]) -> list[tuple[str, int, dict[str, Any]]]:
        return [(d.id, d.version, snapshot(d)) for d in self.get_many(design_ids)]

    def mark_autosaved_many(self, saved: Sequence[tuple[str, int]]) -> None:
        for design_id, version in saved:
            self.mark_autosaved(design_id, version)

    def soft_delete(self, design_id: str, now: datetime) -> None:
        d = self.s.designs[design_id]
        self.s.designs[design_id] = d.replace(deleted_at=now, version=d.version + 1)

    def list_for(self, user: str) -> list[Design]:
        shared = {d for (d, u) in self.s.collaborators if u == user}
        found = [d for d in self.s.designs.values()
                 if d.deleted_at is None and (d.owner == user or d.id in shared)]
        return sorted(found, key=lambda d: self.s.edited[d.id][0], reverse=True)

    def list_published(self) -> list[Design]:
        found = [d for d in self.s.designs.values() if d.deleted_at is None and (
            d.meta.visibility == "public" or (d.meta.visibility == "shared" and d.meta.status == "published"))]
        return sorted(found, key=lambda d: self.s.edited[d.id][0], reverse=True)

    def count_owned(self, user: str) -> int:
        return sum(1 for d in self.s.designs.values() if d.owner == user and d.deleted_at is None)

    def bump_counter(self, design_id: str, counter: str) -> None:
        d = self.s.designs[design_id]
        self.s.designs[design_id] = d.replace(**{counter: getattr(d, counter) + 1})

    def pending_autosave(self, edited_before: datetime, limit: int) -> list[str]:
        ids = [i for i, (at, saved) in self.s.edited.items()
               if self.s.designs[i].version > saved and at <= edited_before]
        return sorted(ids, key=lambda i: self.s.edited[i][0])[:limit]

    def mark_autosaved(self, design_id: str, version: int) -> None:
        at, saved = self.s.edited[design_id]
        self.s.edited[design_id] = (at, max(saved, version))


class _Versions:
    def __init__(self, s: MemoryStore):
        self.s = s

    def add(self, version: Version) -> None:
        self.s.versions[(version.design_id, version.version_number)] = version

    def list(self, design_id: str) -> list[Version]:
        return sorted((v for (d, _), v in self.s.versions.items() if d == design_id),
                      key=lambda v: v.version_number)

    def list_many(self, design_ids: Sequence[str]) -> dict[str, builtins.list[Version]]:
        return {d: self.list(d) for d in design_ids}

    def get(self, design_id: str, number: int) -> Version | None:
        return self.s.versions.get((design_id, number))

    def next_number(self, design_id: str) -> int:
        return max((n for (d, n) in self.s.versions if d == design_id), default=0) + 1

    def unsynced(self, limit: int) -> builtins.list[Version]:
        return [v for v in self.s.versions.values() if not v.synced][:limit]

    def mark_synced(self, design_id: str, number: int) -> None:
        v = self.s.versions[(design_id, number)]
        self.s.versions[(design_id, number)] = Version(**{**v.__dict__, "synced": True})


class _History:
    def __init__(self, s: MemoryStore):
        self.s = s

    def add(self, entry: HistoryEntry) -> None:
        self.s.history.append(HistoryEntry(**{**entry.__dict__, "id": len(self.s.history) + 1}))

    def list(self, design_id: str, since_version: int | None = None, limit: int | None = None
             ) -> list[HistoryEntry]:
        found = [h for h in self.s.history if h.design_id == design_id
                 and (since_version is None or h.version > since_version)]
        return found[-limit:] if limit else found


class _Collaborators:
    def __init__(self, s: MemoryStore):
        self.s = s

    def put(self, c: Collaborator) -> None:
        self.s.collaborators[(c.design_id, c.user)] = c

    def remove(self, design_id: str, user: str) -> None:
        self.s.collaborators.pop((design_id, user), None)

    def list(self, design_id: str) -> list[Collaborator]:
        return [c for (d, _), c in self.s.collaborators.items() if d == design_id]

    def list_many(self, design_ids: Sequence[str]) -> dict[str, builtins.list[Collaborator]]:
        return {d: self.list(d) for d in design_ids}

    def role(self, design_id: str, user: str) -> str | None:
        c = self.s.collaborators.get((design_id, user))
        return c.role if c else None


class _Comments:
    def __init__(self, s: MemoryStore):
        self.s = s

    def add(self, comment: Comment) -> None:
        self.s.comments.append(comment)

    def list(self, design_id: str) -> list[Comment]:
        return [c for c in self.s.comments if c.design_id == design_id]


class _Avatars:
    def __init__(self, s: MemoryStore):
        self.s = s

    def add(self, avatar: Avatar) -> None:
        self.s.avatars[avatar.id] = avatar

    def update(self, avatar: Avatar) -> None:
        self.s.avatars[avatar.id] = avatar

    def get(self, avatar_id: str) -> Avatar | None:
        return self.s.avatars.get(avatar_id)

    def get_many(self, avatar_ids: Sequence[str]) -> dict[str, Avatar]:
        return {i: self.s.avatars[i] for i in avatar_ids if i in self.s.avatars}

    def list(self, owner: str) -> list[Avatar]:
        return [a for a in self.s.avatars.values() if a.owner == owner]


class _Catalog:
    def __init__(self, s: MemoryStore):
        self.s = s

    def replace_all(self, items: Sequence[CatalogItem], manifest_hash: str) -> None:
        self.s.catalog = {i.id: i for i in items}
        self.s.catalog_hash = manifest_hash

    def manifest_hash(self) -> str | None:
        return self.s.catalog_hash

    def all(self) -> list[CatalogItem]:
        return list(self.s.catalog.values())

    def search(self, query: CatalogQuery) -> list[str]:
        scored = []
        for item in self.s.catalog.values():
            if (query.type and item.type != query.type) or (query.availability and item.availability !=
                                                              query.availability):
                continue
            if (query.max_price is not None and item.price > query.max_price) or not set(query.tags) <= set(
                    item.tags):
                continue
            fields = [(_words(item.name), 10.0), (_words(" ".join((*item.tags, item.type))), 5.0),
                      (_words(item.description), 1.0)]
            score = 0.0
            for alts in query.alternatives:
                hit = max((w for words, w in fields if any(x.startswith(a) for x in words for a in alts)), default=0)
                if not hit:
                    break
                score += hit
            else:
                scored.append((-score, item.name, item.id))
        return [i for *_, i in sorted(scored)][: query.limit]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


class _Users:
    def __init__(self, s: MemoryStore):
        self.s = s

    def ensure(self, name: str, now: datetime) -> User:
        return self.s.users.setdefault(name, User(name, "free", now))


class _Events:
    def __init__(self, s: MemoryStore):
        self.s = s

    def add(self, event: Event) -> None:
        self.add_many([event])

    def add_many(self, events: Sequence[Event]) -> None:
        for e in events:
            self.s.events.append(Event(**{**e.__dict__, "id": len(self.s.events) + 1}))

    def all(self) -> list[Event]:
        """Every committed event, oldest first (tests read the log with it)."""
        return list(self.s.events)


class MemoryUnitOfWork:
    """Works on a copy of the store; ``commit`` publishes the copy. One transaction at a time."""

    def __init__(self, store: MemoryStore):
        self._store = store
        self._work: MemoryStore | None = None

    def __enter__(self) -> MemoryUnitOfWork:
        self._store.lock.acquire()
        self._work = self._store.copy()
        w = self._work
        self.designs, self.versions, self.history = _Designs(w), _Versions(w), _History(w)
        self.collaborators, self.comments, self.avatars = _Collaborators(w), _Comments(w), _Avatars(w)
        self.catalog, self.users, self.events = _Catalog(w), _Users(w), _Events(w)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._work = None
        self._store.lock.release()

    def commit(self) -> None:
        assert self._work is not None
        for name in ("designs", "edited", "versions", "history", "collaborators", "comments", "avatars",
                     "catalog", "catalog_hash", "users", "events"):
            setattr(self._store, name, getattr(self._work, name))
        self._work = self._store.copy()
        self.__enter_views()

    def __enter_views(self) -> None:
        w = self._work
        assert w is not None
        self.designs, self.versions, self.history = _Designs(w), _Versions(w), _History(w)
        self.collaborators, self.comments, self.avatars = _Collaborators(w), _Comments(w), _Avatars(w)
        self.catalog, self.users, self.events = _Catalog(w), _Users(w), _Events(w)

    def rollback(self) -> None:
        self._work = self._store.copy()
        self.__enter_views()


class MemoryDocumentStore:
    def __init__(self) -> None:
        self.snapshots: dict[tuple[str, int], dict[str, Any]] = {}
        self.autosaves: dict[tuple[str, int], dict[str, Any]] = {}
        self.renders: dict[str, dict[str, Any]] = {}
        self.down = False  # tests flip this to simulate an outage

    def _check(self) -> None:
        if self.down:
            raise ConnectionError("document store is down")

    def put_snapshot(self, design_id: str, version_number: int, snapshot: dict[str, Any], at: datetime) -> None:
        self._check()
        self.snapshots.setdefault((design_id, version_number), snapshot)

    def get_snapshot(self, design_id: str, version_number: int) -> dict[str, Any] | None:
        self._check()
        return self.snapshots.get((design_id, version_number))

    def put_autosave(self, design_id: str, design_version: int, state: dict[str, Any],
                     patch: list[dict[str, Any]], at: datetime, base_version: int = 0) -> None:
        self._check()
        self.autosaves.setdefault((design_id, design_version), {
            "designId": design_id, "designVersion": design_version, "baseVersion": base_version, "state": state,
            "patch": patch, "savedAt": at.isoformat()})

    def put_autosaves(self, docs: Sequence[dict[str, Any]]) -> None:
        for doc in docs:
            self.put_autosave(doc["designId"], doc["designVersion"], doc["state"], doc["patch"], doc["savedAt"],
                              doc["baseVersion"])

    def latest_autosave(self, design_id: str) -> dict[str, Any] | None:
        self._check()
        found = [v for (d, _), v in self.autosaves.items() if d == design_id]
        return max(found, key=lambda d: d["designVersion"]) if found else None

    def put_render(self, render_hash: str, record: dict[str, Any], at: datetime) -> None:
        self._check()
        self.renders[render_hash] = record

    def get_render(self, render_hash: str) -> dict[str, Any] | None:
        self._check()
        return self.renders.get(render_hash)

    def get_renders(self, render_hashes: Sequence[str]) -> dict[str, dict[str, Any]]:
        self._check()
        return {h: self.renders[h] for h in render_hashes if h in self.renders}

    def purge_expired(self, now: datetime) -> int:
        return 0

    def close(self) -> None:
        pass
