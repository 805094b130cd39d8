"""Design use cases: create, edit (with optimistic concurrency and rebase), versions, forks, sharing."""

from __future__ import annotations

import builtins
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..domain import permissions
from ..domain.commands import Command, EditContext, ReplaceState, UpdateDesign, footprints_overlap
from ..domain.describe import describe_change
from ..domain.design import Design, snapshot
from ..domain.diff import diff
from ..domain.errors import Conflict, LimitExceeded, NotFound, ValidationError, check_text, plausible_id, show_value
from ..domain.events import Event, event_of_action
from ..domain.limits import DEFAULT_TIERS, TierLimits
from ..domain.records import Collaborator, Comment, HistoryEntry, Version
from ..domain.validation import validate
from ..domain.values import ROLES, DesignMeta
from ..ports import StaleVersion, StateCache, UnitOfWork, UnitOfWorkFactory
from .catalog import CatalogService
from .clock import new_id, utcnow

log = logging.getLogger(__name__)

_MAX_REBASES = 3
_RECENT = 2048   # designs whose last state read or saved here is kept for edits (open_for_edit; ~20 KB each)


class DesignService:
    """Every operation on designs. ``user`` is the acting user's name; roles are checked on every call."""

    def __init__(self, uow: UnitOfWorkFactory, catalog: CatalogService, events: StateCache | None = None,
                 tiers: dict[str, TierLimits] | None = None, overrides: TierLimits | None = None,
                 clock: Callable[[], datetime] = utcnow, ids: Callable[[], str] = new_id):
        self._uow = uow
        self._catalog = catalog
        self._events = events
        self._tiers = tiers or DEFAULT_TIERS
        self._overrides = overrides
        self._clock = clock
        self._ids = ids
        self._tier_of: dict[str, str] = {}
        self._local = threading.local()
        self.event_log = True  # analytics events in the transaction of each change (FW_EVENT_LOG=0: off)
        #: called after each commit with the event it wrote (Prometheus counters); never fails a call
        self.observers: list[Callable[[Event], None]] = []
        # the last state of each design read or saved by this process, and the copies of it handed out for an
        # edit (by id(): an edit of one of those re-reads the design if the guess was behind, never conflicts)
        self._recent: OrderedDict[str, Design] = OrderedDict()
        self._handed: OrderedDict[int, Design] = OrderedDict()
        self._recent_lock = threading.Lock()

    # -- helpers -----------------------------------------------------------------------------------------
    def limits_for(self, uow: UnitOfWork, user: str) -> TierLimits:
        if user not in self._tier_of:
            self._tier_of[user] = uow.users.ensure(user, self._clock()).tier
        base = self._tiers.get(self._tier_of[user], DEFAULT_TIERS["free"])
        if self._overrides is None:
            return base
        return TierLimits(
            max_designs=self._overrides.max_designs if self._overrides.max_designs is not None
            else base.max_designs,
            max_layers_per_design=self._overrides.max_layers_per_design
            if self._overrides.max_layers_per_design is not None else base.max_layers_per_design,
        )

    def _load(self, uow: UnitOfWork, design_id: str, user: str, operation: str) -> tuple[Design, str]:
        design = uow.designs.get(design_id) if plausible_id(design_id) else None
        if design is None:
            raise NotFound(f"design {show_value(design_id)} does not exist or is not shared with {user!r}",
                           field="design_id", value=design_id)
        # the owner's role is the owner's whatever the collaborators table says: no query (every edit opens)
        collaborator = None if design.owner == user else uow.collaborators.role(design.id, user)
        role = permissions.role_of(design, user, collaborator)
        permissions.check(design, user, role, operation)
        return design, role  # type: ignore[return-value]

    def _record(self, uow: UnitOfWork, design: Design, user: str, action: str, data: dict[str, Any],
                before: Design | None = None) -> None:
        now = self._clock()
        uow.history.add(HistoryEntry(design.id, design.version, user, action, data, now))
        if not self.event_log:
            return
        found = event_of_action(action, data)
        if found is None:
            return
        kind, props = found
        layer_id = props.get("layer_id")
        if layer_id and "catalog_item" not in props:  # updates and removals: the item of the layer they touched
            for layer in (*(before.layers if before is not None else ()), *design.layers):
                if layer.id == layer_id:
                    props["catalog_item"], props["layer_type"] = layer.catalog_item_id, layer.type
                    break
        props["version"] = design.version
        event = Event(kind, user, now, design.id, props)
        uow.events.add(event)
        if self.observers:
            self._pending.append(event)

    @property
    def _pending(self) -> list[Event]:
        """Events written in this thread's open transaction, for the observers once it commits."""
        if not hasattr(self._local, "events"):
            self._local.events = []
        return self._local.events

    def _observe(self) -> None:
        """Hand the events of the transaction just committed to the observers (after the commit: a metric never
        counts a change that was rolled back)."""
        pending = self._pending
        if not pending:
            return
        events, pending[:] = list(pending), []
        for observer in self.observers:
            for event in events:
                try:
                    observer(event)
                except Exception as exc:  # metrics are best-effort
                    log.warning("metrics observer failed: %s", exc)

    def _conflict(self, user: str, design_id: str, exc: Conflict) -> None:
        """Log a refused edit (its own transaction: the refused call itself changes nothing)."""
        self._pending[:] = []
        if not self.event_log:
            return
        event = Event("conflict", user, self._clock(), design_id, {"field": exc.field})
        try:
            with self._uow() as uow:
                uow.events.add(event)
                uow.commit()
        except Exception as err:  # the conflict is what the caller must hear about
            log.warning("conflict event not written: %s", err)
            return
        self._pending.append(event)
        self._observe()

    def _publish(self, design: Design, user: str, action: str, data: dict[str, Any]) -> None:
        self._observe()
        if self._events is None:
            return
        event = {"type": action, "design_id": design.id, "version": design.version, "user": user, "data": data,
                 "at": self._clock().isoformat()}
        try:
            self._events.publish(design.id, event)
        except Exception as exc:  # events are best-effort: the edit is already durable
            log.warning("event for design %s not published: %s", design.id, exc)

    # -- create / read -----------------------------------------------------------------------------------
    def create(self, user: str, name: Any, avatar_id: str | None = None, **fields: Any) -> Design:
        meta = validate(DesignMeta, {"name": name, "avatar_id": avatar_id, **fields})
        now = self._clock()
        with self._uow() as uow:
            if avatar_id is not None:
                avatar = uow.avatars.get(avatar_id) if plausible_id(avatar_id) else None
                if avatar is None or avatar.owner != user:
                    raise NotFound(f"avatar {show_value(avatar_id)} does not exist or is not yours; create one with "
                                   "ws.avatars.create(...)", field="avatar", value=avatar_id)
            limits = self.limits_for(uow, user)
            if limits.max_designs is not None and uow.designs.count_owned(user) >= limits.max_designs:
                raise LimitExceeded(f"{user!r} already has {limits.max_designs} designs, the most the tier "
                                    "allows; delete or archive one, or ask for a higher tier",
                                    field="designs", allowed=f"at most {limits.max_designs}")
            design = Design(id=self._ids(), owner=user, meta=meta, version=1, created_at=now, updated_at=now)
            uow.designs.add(design)
            self._record(uow, design, user, "create", {"name": meta.name, "category": meta.category, "touched": ["*"]})
            uow.commit()
        self._publish(design, user, "create", {"name": meta.name})
        return design

    def open(self, user: str, design_id: str, count_view: bool = False) -> tuple[Design, str]:
        with self._uow() as uow:
            design, role = self._load(uow, design_id, user, "read")
            if count_view and role != "owner":
                uow.designs.bump_counter(design.id, "view_count")
                uow.commit()
        self._remember(design)
        return design, role

    def open_for_edit(self, user: str, design_id: str) -> tuple[Design, str]:
        """The design an edit is about to change: for its owner, the state this process last read or saved,
        without a read; else :meth:`open`.

        The guess may be behind (another process saved since); the edit's save is conditional on the version,
        so :meth:`execute` then reads the design and applies the edit to it as if it had been opened fresh (no
        conflict check against changes its caller never saw, no error that the fresh state would not raise).
        Only for a handle that edits at once: what it shows before its first edit may be behind."""
        with self._recent_lock:
            design = self._recent.get(design_id)
            if design is None or design.owner != user or design.deleted_at is not None:
                design = None
            else:
                design = replace(design)   # its own object: a plain handle of the same state stays plain
                self._handed[id(design)] = design
                while len(self._handed) > _RECENT:
                    self._handed.popitem(last=False)
        if design is None:
            return self.open(user, design_id)
        return design, "owner"

    def _remember(self, design: Design) -> None:
        with self._recent_lock:
            known = self._recent.get(design.id)
            if known is not None and known.version > design.version:
                return   # a slower reader must not put an older state back
            self._recent[design.id] = design
            self._recent.move_to_end(design.id)
            while len(self._recent) > _RECENT:
                self._recent.popitem(last=False)

    def _forget(self, design_id: str) -> None:
        with self._recent_lock:
            self._recent.pop(design_id, None)

    def _was_guess(self, known: Design) -> bool:
        """Whether ``known`` was handed out by :meth:`open_for_edit` (each copy counts once)."""
        with self._recent_lock:
            return self._handed.pop(id(known), None) is known

    def list(self, user: str) -> list[tuple[Design, str]]:
        """Designs the user owns or collaborates on, with the user's role on each."""
        with self._uow() as uow:
            return [(d, "owner" if d.owner == user else uow.collaborators.role(d.id, user) or "viewer")
                    for d in uow.designs.list_for(user)]

    # -- edits ---------------------------------------------------------------------------------------------
    def execute(self, user: str, known: Design, command: Command, action: str | None = None,
                extra: dict[str, Any] | None = None, base_version: int | None = None) -> tuple[Design, Command]:
        try:
            return self._execute(user, known, command, action, extra, base_version)
        except Conflict as exc:
            self._conflict(user, known.id, exc)
            raise
        except Exception:
            self._pending[:] = []
            raise

    def _execute(self, user: str, known: Design, command: Command, action: str | None = None,
                 extra: dict[str, Any] | None = None, base_version: int | None = None) -> tuple[Design, Command]:
        """Apply ``command`` to the design and save it; return the saved design and the inverse command.

        ``known`` is the caller's copy. The first attempt is optimistic (no read: a conditional update on the
        version). If someone else saved in between, the second attempt locks the row, checks the history since
        ``known.version`` and re-applies the command on the fresh state when it touches nothing they touched
        (edits to different layers both survive); otherwise :class:`Conflict` is raised and nothing is saved.
        ``base_version``: the version the edit was decided on when that is older than ``known`` (a remote
        client's stale handle: the design service holds only the fresh state); the edit goes straight to the
        rebase check against the history since then.
        """
        action = action or command.action
        design = known
        guess = self._was_guess(known)   # open_for_edit's state: if it is behind, the fresh one decides
        if base_version is not None and base_version < known.version:
            known = replace(known, version=base_version)
        for attempt in range(_MAX_REBASES):
            rebasing = attempt > 0 or known is not design
            with self._uow() as uow:
                if rebasing and guess:
                    design = self._fresh(uow, known.id)
                elif rebasing:
                    design = self._fresh_for_rebase(uow, known, user, command)
                # the owner needs no lookup: saves a query on every edit
                collaborator = None if design.owner == user else uow.collaborators.role(design.id, user)
                role = permissions.role_of(design, user, collaborator)
                permissions.check(design, user, role, "edit")
                if isinstance(command, UpdateDesign) and "visibility" in command.changes:
                    permissions.check(design, user, role, "share")  # who may see it is the owner's call
                if isinstance(command, UpdateDesign) and command.changes.get("avatar_id") is not None:
                    self._check_avatar(uow, command.changes["avatar_id"], design.owner)
                ctx = EditContext(self._catalog.find, self.limits_for(uow, design.owner).max_layers_per_design)
                try:
                    new, inverse = command.apply(design, ctx)
                except (ValidationError, NotFound) as exc:
                    if guess and not rebasing:
                        continue   # perhaps only the guessed state lacks it: decide on the fresh one
                    if not rebasing or guess:
                        raise
                    raise Conflict(f"another session changed design {design.id!r} so that this edit no longer "
                                   f"applies ({exc}); call design.refresh() and decide again") from None
                if permissions.readable_by_all(new.meta) != permissions.readable_by_all(design.meta):
                    permissions.check(design, user, role, "publish")  # (a status edit too) the owner's call
                try:
                    saved = uow.designs.save(design, new, self._clock())
                except StaleVersion:
                    continue  # rolled back on leaving the block; retry with the row locked
                data = {**command.to_data(), **(extra or {}), "touched": sorted(command.footprint()),
                        "summary": _summary(action, design, new, command)}
                self._record(uow, saved, user, action, data, before=design)
                uow.commit()
            self._remember(saved)
            self._publish(saved, user, action, data)
            return saved, inverse
        raise Conflict(f"design {design.id!r} is being edited too busily to save this edit; try again")

    @staticmethod
    def _check_avatar(uow: UnitOfWork, avatar_id: Any, owner: str) -> None:
        """A design wears one of its owner's avatars (as at create); anything else is refused before any write."""
        avatar = uow.avatars.get(avatar_id) if isinstance(avatar_id, str) and plausible_id(avatar_id) else None
        if avatar is None or avatar.owner != owner:
            raise NotFound(f"avatar {show_value(avatar_id)} does not exist or is not the design owner's; create "
                           "one with ws.avatars.create(...)", field="avatar", value=avatar_id)

    @staticmethod
    def _fresh(uow: UnitOfWork, design_id: str) -> Design:
        """The stored design, row-locked for this transaction (NotFound once deleted)."""
        fresh = uow.designs.get(design_id, for_update=True)
        if fresh is None or fresh.deleted_at is not None:
            raise NotFound(f"design {design_id!r} was deleted by another session", field="design_id",
                           value=design_id)
        return fresh

    def _fresh_for_rebase(self, uow: UnitOfWork, known: Design, user: str, command: Command) -> Design:
        """The stored design, row-locked for this transaction, if nothing since ``known`` conflicts."""
        fresh = self._fresh(uow, known.id)
        for entry in uow.history.list(known.id, since_version=known.version):
            touched = entry.data.get("touched", ["*"])
            if footprints_overlap(command.footprint(), touched):
                raise Conflict(
                    f"{entry.user!r} changed the same thing first ({entry.action} at version "
                    f"{entry.version}, {entry.created_at:%H:%M:%S}); call design.refresh() to see it, "
                    "then redo your change if you still want it",
                    field="version", value=known.version, allowed=f"version {fresh.version}",
                )
        return fresh

    # -- publishing ----------------------------------------------------------------------------------------
    def publish(self, user: str, design_id: str, to: Any = "team") -> Design:
        """Publish (owner only): ``to="team"`` lets anyone signed in read it, ``"public"`` anyone with the link;
        nobody but its collaborators may edit it. Recorded in the history and the event log."""
        visibility = permissions.PUBLISH_TO.get(to) if isinstance(to, str) else None
        if visibility is None:
            raise ValidationError.bad("to", to, "'team' (everyone signed in to the hub) or 'public' (anyone "
                                      "with the link)")
        return self._set_published(user, design_id, "publish", {"visibility": visibility, "status": "published"},
                                   {"to": to})

    def unpublish(self, user: str, design_id: str) -> Design:
        """Back to a private draft (owner only): gone from the gallery, readable by its collaborators only."""
        return self._set_published(user, design_id, "unpublish", {"visibility": "private", "status": "draft"}, {})

    def _set_published(self, user: str, design_id: str, action: str, changes: dict[str, Any],
                       extra: dict[str, Any]) -> Design:
        with self._uow() as uow:
            design, role = self._load(uow, design_id, user, "read")
            permissions.check(design, user, role, "publish")
        return self.execute(user, design, UpdateDesign(changes), action=action, extra=extra)[0]

    def published(self, user: str) -> builtins.list[Design]:
        """Every design published to the team or public (any owner's, not deleted), newest edit first."""
        with self._uow() as uow:
            return [d for d in uow.designs.list_published() if permissions.readable_by_all(d.meta)]

    # -- versions ------------------------------------------------------------------------------------------
    def checkpoint(self, user: str, design_id: str, message: Any) -> Version:
        check_text("message", message, 500, allow_empty=True)
        with self._uow() as uow:
            design, _ = self._load(uow, design_id, user, "checkpoint")
            version = Version(design.id, uow.versions.next_number(design.id), message, snapshot(design),
                              design.version, user, self._clock())
            uow.versions.add(version)
            self._record(uow, design, user, "checkpoint", {"version_number": version.version_number,
                                                            "message": message, "touched": []})
            uow.commit()
        self._publish(design, user, "checkpoint", {"version_number": version.version_number})
        return version

    def _readable_many(self, uow: UnitOfWork, user: str, design_ids: Any
                       ) -> tuple[builtins.list[str], dict[str, builtins.list[Collaborator]]]:
        """The ids among ``design_ids`` that ``user`` may read (a fixed number of queries however many), and their
        collaborators (read for the roles anyway)."""
        ids = sorted({i for i in design_ids if plausible_id(i)})
        designs = uow.designs.get_many(ids)
        people = uow.collaborators.list_many([d.id for d in designs])
        readable = []
        for d in designs:
            role = permissions.role_of(d, user, next((c.role for c in people[d.id] if c.user == user), None))
            if role is not None and d.deleted_at is None:
                readable.append(d.id)
        return readable, people

    def versions_many(self, user: str, design_ids: Any) -> dict[str, builtins.list[Version]]:
        """The versions of each of ``design_ids`` that ``user`` may read, in a fixed number of queries (GraphQL
        batches nested fields with this); the others are left out, as if they did not exist."""
        with self._uow() as uow:
            readable, _ = self._readable_many(uow, user, design_ids)
            return uow.versions.list_many(readable)

    def collaborators_many(self, user: str, design_ids: Any) -> dict[str, builtins.list[Collaborator]]:
        """The collaborators of each of ``design_ids`` that ``user`` may read (fixed number of queries)."""
        with self._uow() as uow:
            readable, people = self._readable_many(uow, user, design_ids)
            return {i: people[i] for i in readable}

    def versions(self, user: str, design_id: str) -> builtins.list[Version]:
        with self._uow() as uow:
            self._load(uow, design_id, user, "read")
            return uow.versions.list(design_id)

    def version(self, user: str, design_id: str, number: Any) -> Version:
        with self._uow() as uow:
            self._load(uow, design_id, user, "read")
            valid = isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= 2**31 - 1
            found = uow.versions.get(design_id, number) if valid else None
            if found is None:
                numbers = [v.version_number for v in uow.versions.list(design_id)]
                raise NotFound(f"design {design_id!r} has no version {show_value(number)}; its versions are {numbers}",
                               field="version", value=number, allowed=str(numbers))
            return found

    def diff(self, user: str, design_id: str, a: Any, b: Any) -> builtins.list[dict[str, Any]]:
        return diff(self.version(user, design_id, a).snapshot, self.version(user, design_id, b).snapshot)

    def restore(self, user: str, known: Design, number: Any, base_version: int | None = None
                ) -> tuple[Design, Command]:
        version = self.version(user, known.id, number)
        return self.execute(user, known, ReplaceState(version.snapshot, note={"version_number": number}),
                            action="restore", base_version=base_version)

    def fork(self, user: str, design_id: str, name: Any = None) -> Design:
        now = self._clock()
        with self._uow() as uow:
            source, _ = self._load(uow, design_id, user, "fork")
            meta = validate(DesignMeta, {**source.meta.model_dump(), "visibility": "private", "status": "draft",
                                         "name": name if name is not None else f"{source.meta.name} (fork)"})
            limits = self.limits_for(uow, user)
            if limits.max_designs is not None and uow.designs.count_owned(user) >= limits.max_designs:
                raise LimitExceeded(f"{user!r} already has {limits.max_designs} designs, the most the tier "
                                    "allows", field="designs", allowed=f"at most {limits.max_designs}")
            fork = Design(id=self._ids(), owner=user, meta=meta, canvas=source.canvas, layers=source.layers,
                          version=1, fork_from=source.id, created_at=now, updated_at=now)
            uow.designs.add(fork)
            uow.designs.bump_counter(source.id, "fork_count")
            self._record(uow, fork, user, "fork", {"from": source.id, "from_version": source.version, "touched": ["*"]})
            self._record(uow, source, user, "forked", {"fork": fork.id, "touched": []})
            uow.commit()
        self._publish(source, user, "forked", {"fork": fork.id})
        return fork

    # -- people --------------------------------------------------------------------------------------------
    def share(self, user: str, design_id: str, other: Any, role: Any) -> Collaborator:
        if role not in ROLES:
            raise ValidationError.bad("role", role, "one of " + ", ".join(ROLES))
        check_text("user", other, 200)
        with self._uow() as uow:
            design, _ = self._load(uow, design_id, user, "share")
            if other == design.owner:
                raise ValidationError.bad("user", other, "someone other than the owner",
                                          "the owner already has every right")
            uow.users.ensure(other, self._clock())
            collaborator = Collaborator(design.id, other, role, user, self._clock())
            uow.collaborators.put(collaborator)
            self._record(uow, design, user, "share", {"user": other, "role": role, "touched": []})
            uow.commit()
        self._publish(design, user, "collaborator_joined", {"user": other, "role": role})
        return collaborator

    def unshare(self, user: str, design_id: str, other: str) -> None:
        with self._uow() as uow:
            design, _ = self._load(uow, design_id, user, "share")
            if not plausible_id(other, 200) or uow.collaborators.role(design.id, other) is None:
                raise NotFound(f"{show_value(other)} is not a collaborator of design {design_id!r}", field="user",
                               value=other)
            uow.collaborators.remove(design.id, other)
            self._record(uow, design, user, "unshare", {"user": other, "touched": []})
            uow.commit()
        self._publish(design, user, "collaborator_left", {"user": other})

    def collaborators(self, user: str, design_id: str) -> builtins.list[Collaborator]:
        with self._uow() as uow:
            self._load(uow, design_id, user, "read")
            return uow.collaborators.list(design_id)

    def comment(self, user: str, design_id: str, text: Any, layer_id: str | None = None) -> Comment:
        check_text("text", text, 5_000)
        with self._uow() as uow:
            design, _ = self._load(uow, design_id, user, "comment")
            if layer_id is not None:
                design.layer(layer_id)
            comment = Comment(self._ids(), design.id, user, text, self._clock(), layer_id)
            uow.comments.add(comment)
            self._record(uow, design, user, "comment", {"comment_id": comment.id, "layer_id": layer_id,
                                                         "touched": []})
            uow.commit()
        self._publish(design, user, "comment", {"comment_id": comment.id})
        return comment

    def comments(self, user: str, design_id: str) -> builtins.list[Comment]:
        with self._uow() as uow:
            self._load(uow, design_id, user, "read")
            return uow.comments.list(design_id)

    def history(self, user: str, design_id: str, limit: int | None = None) -> builtins.list[HistoryEntry]:
        with self._uow() as uow:
            self._load(uow, design_id, user, "read")
            return uow.history.list(design_id, limit=limit)

    def like(self, user: str, design_id: str) -> None:
        with self._uow() as uow:
            design, _ = self._load(uow, design_id, user, "read")
            uow.designs.bump_counter(design.id, "like_count")
            uow.commit()

    def delete(self, user: str, design_id: str) -> None:
        with self._uow() as uow:
            design, _ = self._load(uow, design_id, user, "delete")
            uow.designs.soft_delete(design.id, self._clock())
            self._record(uow, design, user, "delete", {"touched": ["*"]})
            uow.commit()
        self._forget(design.id)
        self._publish(design, user, "delete", {})


def _summary(action: str, before: Design, after: Design, command: Command) -> str:
    """The edit in words for the history and the studio ("Tailored Blazer: colour #2b2f3a → #7a1f3d")."""
    said = describe_change(before, after) or "no visible change"
    if action == "restore":
        return f"restored version {getattr(command, 'note', {}).get('version_number', '?')}: {said}"
    if action in ("undo", "redo"):
        return f"{action}: {said}"
    return said
