"""The design service's audit use case: admins read any design through ``/admin/...`` with a reason, and each
read is recorded in ``design.audit_log`` (see :mod:`fw_kernel.services.audit`)."""

from __future__ import annotations

from typing import Any

from fw_kernel.services.audit import AuditService


def audit_service(services: Any) -> AuditService | None:
    """Audits over the service's relational store; None without one (in-memory test services)."""
    if services.engine is None:
        return None
    from fw_kernel.adapters.audit_sql import SqlAuditLog

    return AuditService(services.uow, SqlAuditLog(services.engine), services.exports)
