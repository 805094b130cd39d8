"""Audit use cases: an admin reads any design, with a reason, and every read is recorded (the owner sees it).

The ordinary design use cases keep answering NotFound for others' private designs, admins included, so no
non-audit path can read them; these read the stores directly after :func:`~fw_kernel.domain.audit.check_auditor`.
The record is written before the data is returned: an access that cannot be recorded is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from ..domain import permissions
from ..domain.audit import AuditRecord, check_auditor, check_reason
from ..domain.design import Design
from ..domain.errors import NotFound, PermissionDenied, ValidationError, check_text, plausible_id, show_value
from ..ports import UnitOfWork, UnitOfWorkFactory
from .clock import new_id, utcnow

T = TypeVar("T")
MAX_LIMIT = 1000


class AuditLog(Protocol):
    """Durable audit records (``adapters.audit_sql.SqlAuditLog``)."""

    def add(self, records: list[AuditRecord]) -> None: ...

    def list(self, *, design_id: str | None = None, admin: str | None = None, owner: str | None = None,
             limit: int = 100) -> list[AuditRecord]: ...


def _limit(limit: Any) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError.bad("limit", limit, f"an integer from 1 to {MAX_LIMIT}")
    return limit


class AuditService:
    def __init__(self, uow: UnitOfWorkFactory, log: AuditLog, exports: Any = None,
                 clock: Callable[[], datetime] = utcnow, ids: Callable[[], str] = new_id):
        self._uow = uow
        self._log = log
        self._exports = exports
        self._clock = clock
        self._ids = ids

    def _record(self, admin: str, designs: list[Design], reason: str, endpoint: str) -> None:
        now = self._clock()
        self._log.add([AuditRecord(self._ids(), admin, d.id, d.owner, endpoint, reason, now) for d in designs])

    @staticmethod
    def _any_design(uow: UnitOfWork, design_id: Any) -> Design:
        design = uow.designs.get(design_id) if plausible_id(design_id) else None
        if design is None:
            raise NotFound(f"design {show_value(design_id)} does not exist", field="design_id", value=design_id)
        return design

    def read(self, admin: str, is_admin: bool, design_id: str, reason: Any, endpoint: str,
             what: Callable[[Design], T]) -> T:
        """``what(design)`` of any design (soft-deleted ones too), recorded first."""
        check_auditor(admin, is_admin)
        why = check_reason(reason)
        with self._uow() as uow:
            design = self._any_design(uow, design_id)
        self._record(admin, [design], why, endpoint)  # its own transaction (SQLite: one writer at a time)
        return what(design)

    def _in_uow(self, read: Callable[[UnitOfWork, Design], T]) -> Callable[[Design], T]:
        def run(design: Design) -> T:
            with self._uow() as uow:
                return read(uow, design)

        return run

    def design(self, admin: str, is_admin: bool, design_id: str, reason: Any, endpoint: str) -> Design:
        return self.read(admin, is_admin, design_id, reason, endpoint, lambda d: d)

    def versions(self, admin: str, is_admin: bool, design_id: str, reason: Any, endpoint: str) -> list[Any]:
        return self.read(admin, is_admin, design_id, reason, endpoint,
                         self._in_uow(lambda uow, d: uow.versions.list(d.id)))

    def history(self, admin: str, is_admin: bool, design_id: str, reason: Any, endpoint: str) -> list[Any]:
        return self.read(admin, is_admin, design_id, reason, endpoint,
                         self._in_uow(lambda uow, d: uow.history.list(d.id)))

    def exports(self, admin: str, is_admin: bool, design_id: str, reason: Any, endpoint: str) -> list[Any]:
        jobs = self._exports.list if self._exports is not None else (lambda _: [])
        return self.read(admin, is_admin, design_id, reason, endpoint, lambda d: jobs(d.id))

    def designs(self, admin: str, is_admin: bool, owner: Any, reason: Any, endpoint: str,
                limit: int = 100) -> list[Design]:
        """The designs ``owner`` owns (private ones too), most recently edited first; one record per design."""
        check_auditor(admin, is_admin)
        why = check_reason(reason)
        check_text("owner", owner, 200)
        limit = _limit(limit)
        with self._uow() as uow:
            found = [d for d in uow.designs.list_for(owner) if d.owner == owner][:limit]
        self._record(admin, found, why, endpoint)
        return found

    def records(self, admin: str, is_admin: bool, *, design_id: str | None = None, of_admin: str | None = None,
                owner: str | None = None, limit: int = 100) -> list[AuditRecord]:
        """The audit log, newest first (admins only; reading it is not itself an audit of a design)."""
        check_auditor(admin, is_admin)
        return self._log.list(design_id=design_id, admin=of_admin, owner=owner, limit=_limit(limit))

    def of_design(self, user: str, design_id: str, limit: int = 100) -> list[AuditRecord]:
        """Who audited the user's own design, when, how and why, newest first (the owner only)."""
        with self._uow() as uow:
            design = uow.designs.get(design_id) if plausible_id(design_id) else None
            if design is None:
                raise NotFound(f"design {show_value(design_id)} does not exist or is not shared with {user!r}",
                               field="design_id", value=design_id)
            role = permissions.role_of(design, user, uow.collaborators.role(design.id, user))
            permissions.check(design, user, role, "read")
            if role != "owner":
                raise PermissionDenied(f"only the owner ({design.owner!r}) sees who audited design "
                                       f"{design.meta.name!r}", field="role", value=role, allowed="owner")
        return self._log.list(design_id=design.id, limit=_limit(limit))
