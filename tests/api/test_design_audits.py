"""``design.audits()`` on the embedded default: the owner reads who audited the design (admins read designs only
through the audit use cases, each read recorded); anyone else is refused. On SQLite and on PostgreSQL + MongoDB
protocol + Redis. Over HTTP: tests/server/test_audit.py."""

from __future__ import annotations

import pytest

from fw_kernel.api import Workspace
from fw_kernel.domain.errors import NotFound, PermissionDenied, ValidationError

REASON = "support ticket 4711: the owner reports a lost layer"


def test_the_owner_reads_who_audited_the_design_newest_first(connect, unique_user) -> None:
    ws = connect()
    design = ws.designs.create("Secret")
    other = ws.designs.create("Other")
    assert design.audits() == []

    audit = ws.services.audit   # what the design service's /admin endpoints call (as an admin)
    admin = f"{unique_user}_admin"
    audit.design(admin, True, design.id, REASON, "GET /admin/designs/{design_id}")
    audit.history(admin, True, design.id, "second look", "GET /admin/designs/{design_id}/history")
    audit.design(admin, True, other.id, REASON, "GET /admin/designs/{design_id}")

    found = design.audits()
    assert [(r.admin, r.design_id, r.owner, r.endpoint, r.reason) for r in found] == [
        (admin, design.id, unique_user, "GET /admin/designs/{design_id}/history", "second look"),
        (admin, design.id, unique_user, "GET /admin/designs/{design_id}", REASON)]
    assert found[0].created_at >= found[1].created_at
    assert [r.id for r in design.audits(limit=1)] == [found[0].id]
    assert [r.design_id for r in other.audits()] == [other.id]
    assert [r.id for r in ws.designs.get(design.id).audits()] == [r.id for r in found]   # a fresh handle too


def test_others_are_refused_and_bad_limits_change_nothing(connect, unique_user) -> None:
    owner = connect()
    design = owner.designs.create("Shared")
    owner.services.audit.design(f"{unique_user}_admin", True, design.id, REASON, "GET /admin/designs/{design_id}")
    bob = f"{unique_user}_bob"
    design.share(bob, "editor")
    with pytest.raises(PermissionDenied, match="only the owner") as refused:
        connect(user=bob).designs.get(design.id).audits()
    assert refused.value.field == "role" and refused.value.allowed == "owner"
    assert unique_user in str(refused.value)

    for limit in (0, 1001, "5", True, 2.0):
        with pytest.raises(ValidationError) as bad:
            design.audits(limit=limit)
        assert bad.value.field == "limit" and "1 to 1000" in str(bad.value.allowed), limit
    assert len(design.audits()) == 1


def test_a_workspace_without_an_audit_log_says_so(memory_services) -> None:
    design = Workspace(memory_services).designs.create("Look")
    with pytest.raises(NotFound, match="keeps no audit log") as missing:
        design.audits()
    assert missing.value.field == "audits"
