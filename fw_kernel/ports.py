"""The ports: what the services need from storage, cache and events (implemented in ``adapters/``)."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from .domain.avatar import Avatar
from .domain.catalog import CatalogItem
from .domain.design import Design
from .domain.events import Event as AnalyticsEvent
from .domain.records import Collaborator, Comment, HistoryEntry, User, Version
from .domain.search import CatalogQuery


class StaleVersion(Exception):
    """Raised by ``DesignRepository.save`` when the stored version is not the expected one."""


class DesignRepository(Protocol):
    def add(self, design: Design) -> None: ...
    def get(self, design_id: str, for_update: bool = False) -> Design | None:
        """The design (deleted ones too); ``for_update`` locks its row until the transaction ends."""
        ...
    def save(self, old: Design, new: Design, now: datetime) -> Design:
        """Persist ``new`` if the stored version is still ``old.version``; return it with version + 1."""
        ...
    def get_many(self, design_ids: Sequence[str]) -> list[Design]:
        """The designs among ``design_ids`` that exist (any order), with their layers, in two queries."""
        ...
    def snapshots_many(self, design_ids: Sequence[str]) -> list[tuple[str, int, dict[str, Any]]]:
        """(id, version, ``domain.design.snapshot`` of the design) for many designs, straight from storage
        (what auto-save needs, without building domain objects)."""
        ...
    def soft_delete(self, design_id: str, now: datetime) -> None: ...
    def list_for(self, user: str) -> list[Design]:
        """Designs the user owns or collaborates on (not deleted), newest edit first."""
        ...
    def list_published(self) -> list[Design]:
        """Designs (not deleted) with status published and visibility shared or public, newest edit first."""
        ...
    def count_owned(self, user: str) -> int: ...
    def bump_counter(self, design_id: str, counter: str) -> None:
        """Increase view_count, like_count or fork_count by one (not a versioned edit)."""
        ...
    def pending_autosave(self, edited_before: datetime, limit: int) -> list[str]:
        """Ids of designs edited since their last auto-save and not edited after ``edited_before``."""
        ...
    def mark_autosaved(self, design_id: str, version: int) -> None: ...
    def mark_autosaved_many(self, saved: Sequence[tuple[str, int]]) -> None:
        """``mark_autosaved`` for many (design id, version) pairs in one round trip."""
        ...


class VersionRepository(Protocol):
    def add(self, version: Version) -> None: ...
    def list(self, design_id: str) -> list[Version]: ...
    def list_many(self, design_ids: Sequence[str]) -> dict[str, builtins.list[Version]]:
        """The versions of several designs in one query (GraphQL batching), each list oldest first."""
        ...
    def get(self, design_id: str, number: int) -> Version | None: ...
    def next_number(self, design_id: str) -> int: ...
    def unsynced(self, limit: int) -> builtins.list[Version]: ...
    def mark_synced(self, design_id: str, number: int) -> None: ...


class HistoryRepository(Protocol):
    def add(self, entry: HistoryEntry) -> None: ...
    def list(self, design_id: str, since_version: int | None = None, limit: int | None = None
             ) -> list[HistoryEntry]: ...


class CollaboratorRepository(Protocol):
    def put(self, collaborator: Collaborator) -> None: ...
    def remove(self, design_id: str, user: str) -> None: ...
    def list(self, design_id: str) -> list[Collaborator]: ...
    def list_many(self, design_ids: Sequence[str]) -> dict[str, builtins.list[Collaborator]]:
        """The collaborators of several designs in one query (GraphQL batching)."""
        ...
    def role(self, design_id: str, user: str) -> str | None: ...


class CommentRepository(Protocol):
    def add(self, comment: Comment) -> None: ...
    def list(self, design_id: str) -> list[Comment]: ...


class AvatarRepository(Protocol):
    def add(self, avatar: Avatar) -> None: ...
    def update(self, avatar: Avatar) -> None:
        """Replace the stored avatar of ``avatar.id`` (name, measurements, body) with this one."""
        ...
    def get(self, avatar_id: str) -> Avatar | None: ...
    def get_many(self, avatar_ids: Sequence[str]) -> dict[str, Avatar]:
        """Several avatars in one query (GraphQL batching); missing ids are left out."""
        ...
    def list(self, owner: str) -> list[Avatar]: ...


class CatalogRepository(Protocol):
    def replace_all(self, items: Sequence[CatalogItem], manifest_hash: str) -> None: ...
    def manifest_hash(self) -> str | None: ...
    def all(self) -> list[CatalogItem]: ...
    def search(self, query: CatalogQuery) -> list[str]:
        """Ids of items matching the query's words (any of each word's alternatives) and filters, best first."""
        ...


class UserRepository(Protocol):
    def ensure(self, name: str, now: datetime) -> User: ...


class EventRepository(Protocol):
    """The append-only analytics event log (``analytics.events``): rows are added, never changed."""

    def add(self, event: AnalyticsEvent) -> None: ...
    def add_many(self, events: Sequence[AnalyticsEvent]) -> None: ...


class UnitOfWork(Protocol):
    """One transaction over the relational store: ``with uow: ...; uow.commit()`` (rolls back otherwise)."""

    designs: DesignRepository
    versions: VersionRepository
    history: HistoryRepository
    collaborators: CollaboratorRepository
    comments: CommentRepository
    avatars: AvatarRepository
    catalog: CatalogRepository
    users: UserRepository
    events: EventRepository

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]


class BodyFitter(Protocol):
    """Fits a body model to measurements and rebuilds bodies from their parameters."""

    def fit(self, measurements_cm: dict[str, float], body_hint: str) -> tuple[dict[str, float], dict[str, Any]]:
        """(measured on the fitted mesh in cm, JSON parameters that rebuild it). Raises ValidationError when the
        measurements cannot be reached."""
        ...
    def body(self, params: dict[str, Any]) -> Any: ...
    def geometry(self, params: dict[str, Any]) -> Any: ...
    def key(self, params: dict[str, Any]) -> str:
        """A stable key of the body these parameters rebuild (for caches)."""
        ...


class DocumentStore(Protocol):
    """Snapshots, auto-saves (kept 7 days) and the render cache (kept 30 days)."""

    def put_snapshot(self, design_id: str, version_number: int, snapshot: dict[str, Any], at: datetime) -> None:
        """Idempotent (unique per design and version)."""
        ...
    def get_snapshot(self, design_id: str, version_number: int) -> dict[str, Any] | None: ...
    def put_autosave(self, design_id: str, design_version: int, state: dict[str, Any],
                     patch: list[dict[str, Any]], at: datetime, base_version: int = 0) -> None:
        """Idempotent (unique per design and design version). ``patch`` turns the state of the auto-save
        ``base_version`` (0: the empty document) into ``state``."""
        ...
    def put_autosaves(self, docs: Sequence[dict[str, Any]]) -> None:
        """Several auto-saves at once (``designId``, ``designVersion``, ``baseVersion``, ``state``, ``patch``,
        ``savedAt`` as a datetime); ones already stored are left as they are."""
        ...
    def latest_autosave(self, design_id: str) -> dict[str, Any] | None:
        """``{"designId", "designVersion", "baseVersion", "state", "patch", "savedAt"}`` of the newest auto-save."""
        ...
    def put_render(self, render_hash: str, record: dict[str, Any], at: datetime) -> None: ...
    def get_render(self, render_hash: str) -> dict[str, Any] | None: ...
    def get_renders(self, render_hashes: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The records of those of ``render_hashes`` that are stored (one round trip; missing ones are absent)."""
        ...
    def purge_expired(self, now: datetime) -> int: ...
    def close(self) -> None: ...


Event = dict[str, Any]


class EventSubscriber(Protocol):
    """Change events of a channel (a design id, ``avatars/{user}``, ``catalog``): what notebooks, the studio and
    ``design.follow`` listen with. The design service's client offers only this half (it publishes nothing)."""

    def subscribe(self, design_id: str, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` for every event of the channel; returns a function that unsubscribes."""
        ...
    def close(self) -> None: ...


class EventBus(EventSubscriber, Protocol):
    """Events both ways: the services publish every saved edit."""

    def publish(self, design_id: str, event: Event) -> None: ...


class StateCache(EventBus, Protocol):
    """Hot design state (key ``design:{id}:state``, TTL 30 min) and change events (``design:{id}:events``)."""

    def set_state(self, design_id: str, state: dict[str, Any], ttl_s: int) -> None: ...
    def get_state(self, design_id: str) -> dict[str, Any] | None: ...
    def refresh_states(self, entries: Sequence[tuple[str, int, dict[str, Any]]], ttl_s: int, at: str) -> None:
        """Set ``{"version", "state"}`` of many designs and publish an ``autosaved`` event for each, batched."""
        ...


class BlobStore(Protocol):
    """Files (renders, exports, kept photos) under a URL: a local folder or any fsspec URL (``adapters.blobs``)."""

    def put(self, key: str, data: bytes) -> str:
        """Store ``data`` under ``key``; returns its URL."""
        ...
    def read_url(self, url: str) -> bytes: ...
    def exists_url(self, url: str) -> bool: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def presigned_url(self, url: str, expires_s: int, file_name: str | None = None,
                      media_type: str | None = None) -> str | None:
        """A link that downloads the blob at ``url`` from the object store itself, without credentials, for
        ``expires_s`` seconds (S3 pre-signed); None where the store has no such links (a local folder)."""
        ...


class DrapeCancelled(Exception):
    """Raised by ``ClothDraper.drape`` when its ``cancelled()`` turned true; nothing is stored."""


class ClothDraper(Protocol):
    """Drapes pattern garments on a body with a cloth solver (``adapters.drape_newton.NewtonDraper``)."""

    def version(self) -> str:
        """Solver and mapping version, part of every drape cache key (a new solver recomputes)."""
        ...

    def drape(self, body: Any, garments: Sequence[tuple[Any, dict[str, Any]]], quality: str,
              progress: Callable[[float, str], None] | None = None,
              cancelled: Callable[[], bool] | None = None) -> list[Any]:
        """Drape garments on a body.

        Parameters
        ----------
        body : ``geometry.garment.garments.BodyGeometry`` (the fitted avatar in its A-pose, metres, Y up)
        garments : (``sewing.assemble.PatternGarment``, the fabric's catalog ``physical`` block) pairs, innermost
            first; each collides with the body and with the draped garments before it
        quality : ``draft``, ``standard`` or ``high``
        progress : called with (fraction 0..1, message)
        cancelled : polled between frames; when it returns True the run stops with ``DrapeCancelled``

        Returns
        -------
        Per garment, the draped vertices, (N, 3) float32 metres in the order of ``garment.vertices``.
        """
        ...
