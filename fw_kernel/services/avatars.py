"""Avatar records (the fitted body geometry arrives with the avatar fitting work)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
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

    def update(self, user: str, avatar_id: str, name: Any = None, measurements: Any = None,
               body_hint: Any = None) -> Avatar:
        """Rename an avatar of ``user`` or re-fit it: ``measurements`` (cm) are merged into the ones asked before
        (``{"waist": 72}`` changes the waist only; the body is fitted again to the result), ``body_hint`` re-fits
        with the other body model. None leaves a field as it is. Everything is checked before anything changes
        (a refusal leaves the avatar as it was); someone else's avatar is :class:`NotFound`, as in :meth:`get`."""
        if name is None and measurements is None and body_hint is None:
            raise ValidationError.bad("updates", {}, "at least one of name, measurements, body_hint",
                                      "nothing to change")
        if name is not None:
            check_text("name", name, 200)
        if body_hint is not None and body_hint not in BODY_HINTS:
            raise ValidationError.bad("body_hint", body_hint, "one of " + ", ".join(BODY_HINTS))
        if measurements is not None and (not isinstance(measurements, Mapping) or not measurements):
            raise ValidationError.bad("measurements", measurements,
                                      "a non-empty dict like {'waist': 72} (cm) of the measurements to change")
        if measurements is not None:
            validate_measurements(dict(measurements))  # each value alone first: the error names the one given
        old = self.get(user, avatar_id)
        changed: dict[str, Any] = {}
        if name is not None and name != old.name:
            changed["name"] = name
        hint = old.body_hint if body_hint is None else body_hint
        base = dict(old.requested or old.measurements)
        wanted = validate_measurements({**base, **dict(measurements)}) if measurements is not None else base
        if hint != old.body_hint or wanted != base:
            measured, body = (wanted, {}) if self.fitter is None else self.fitter.fit(wanted, hint)
            confidence = dict(old.confidence)
            if confidence:  # a photo avatar: what the user gives now is measured, not estimated
                confidence = {k: (1.0 if k in (measurements or {}) else confidence.get(k, 0.0)) for k in measured}
            changed.update(body_hint=hint, requested=wanted, measurements=measured, body=body,
                           confidence=confidence)
        if not changed:
            return old
        avatar = dataclasses.replace(old, **changed)
        with self._uow() as uow:
            uow.avatars.update(avatar)
            uow.events.add(Event("avatar_updated", user, self._clock(), None,
                                 {"avatar_id": avatar.id, "fields": [k for k, was, now in (
                                     ("body_hint", old.body_hint, hint), ("measurements", base, wanted),
                                     ("name", old.name, avatar.name)) if was != now]}))
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
