"""Avatar records (the fitted body geometry arrives with the avatar fitting work)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ..domain.avatar import BODY_HINTS, Avatar, validate_measurements
from ..domain.errors import NotFound, ValidationError, check_text, plausible_id, show_value
from ..domain.events import Event
from ..ports import BodyFitter, UnitOfWorkFactory
from .clock import new_id, utcnow


class AvatarService:
    def __init__(self, uow: UnitOfWorkFactory, fitter: BodyFitter | None = None,
                 clock: Callable[[], datetime] = utcnow, ids: Callable[[], str] = new_id):
        self._uow = uow
        self.fitter = fitter
        self._clock = clock
        self._ids = ids

    def create(self, user: str, name: Any, measurements: Any, body_hint: Any = "neutral") -> Avatar:
        check_text("name", name, 200)
        if body_hint not in BODY_HINTS:
            raise ValidationError.bad("body_hint", body_hint, "one of " + ", ".join(BODY_HINTS))
        values = validate_measurements(measurements)
        measured, body = (values, {}) if self.fitter is None else self.fitter.fit(values, body_hint)
        avatar = Avatar(self._ids(), user, name, measured, body_hint, self._clock(), requested=values, body=body)
        with self._uow() as uow:
            uow.users.ensure(user, self._clock())
            uow.avatars.add(avatar)
            uow.events.add(Event("avatar_created", user, avatar.created_at or self._clock(), None,
                                 {"avatar_id": avatar.id, "source": avatar.source, "body_hint": body_hint}))
            uow.commit()
        return avatar

    def get(self, user: str, avatar_id: str) -> Avatar:
        with self._uow() as uow:
            avatar = uow.avatars.get(avatar_id) if plausible_id(avatar_id) else None
        if avatar is None or avatar.owner != user:
            raise NotFound(f"avatar {show_value(avatar_id)} does not exist or is not yours", field="avatar_id",
                           value=avatar_id)
        return avatar

    def of_design(self, avatar_id: str | None) -> Avatar | None:
        """The avatar a design wears (callers have checked the user may read that design)."""
        if not plausible_id(avatar_id):
            return None
        with self._uow() as uow:
            return uow.avatars.get(avatar_id)  # type: ignore[arg-type]

    def of_designs(self, avatar_ids: Any) -> dict[str, Avatar]:
        """The avatars several designs wear, in one query (callers have checked the user may read them)."""
        ids = sorted({i for i in avatar_ids if plausible_id(i)})
        if not ids:
            return {}
        with self._uow() as uow:
            return uow.avatars.get_many(ids)

    def list(self, user: str) -> list[Avatar]:
        with self._uow() as uow:
            return uow.avatars.list(user)
