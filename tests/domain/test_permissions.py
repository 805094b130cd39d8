"""Who may do what: roles, visibility, and NotFound (never PermissionDenied) for people without access."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fw_kernel.domain import permissions
from fw_kernel.domain.errors import FWError, NotFound, PermissionDenied
from fw_kernel.domain.values import ROLES

from .helpers import make_design

OPERATIONS = ["read", "fork", "export", "comment", "edit", "checkpoint", "restore", "share", "publish", "delete"]
ALLOWED = {
    "viewer": {"read", "fork", "export"},
    "commenter": {"read", "fork", "export", "comment"},
    "editor": {"read", "fork", "export", "comment", "edit", "checkpoint", "restore"},
    "owner": set(OPERATIONS),
}


def test_every_operation_has_a_rule_and_ranks_are_ordered() -> None:
    assert set(permissions.NEEDS) == set(OPERATIONS)
    assert sorted(ROLES, key=permissions.RANK.__getitem__) == ["viewer", "commenter", "editor", "owner"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_role_matrix(role: str, operation: str) -> None:
    design = make_design(name="Look")
    if operation in ALLOWED[role]:
        assert permissions.check(design, "bob", role, operation) == role
    else:
        with pytest.raises(PermissionDenied) as info:
            permissions.check(design, "bob", role, operation)
        message = str(info.value)
        assert "bob" in message and role in message and operation in message
        assert permissions.NEEDS[operation] in message and "ada" in message  # who to ask
        assert info.value.allowed == f"{permissions.NEEDS[operation]} or above"
        assert isinstance(info.value, FWError)


@pytest.mark.parametrize(("visibility", "collaborator", "user", "expected"), [
    ("private", None, "ada", "owner"),
    ("public", None, "ada", "owner"),
    ("private", "editor", "ada", "owner"),        # the owner stays owner
    ("private", None, "bob", None),
    ("shared", None, "bob", None),
    ("public", None, "bob", "viewer"),
    ("private", "commenter", "bob", "commenter"),
    ("public", "editor", "bob", "editor"),        # a role beats public viewing
    ("public", "viewer", "bob", "viewer"),
    ("shared+published", None, "bob", "viewer"),  # published to the team
    ("private+published", None, "bob", None),     # a status alone publishes nothing
])
def test_role_of(visibility: str, collaborator: str | None, user: str, expected: str | None) -> None:
    visibility, _, status = visibility.partition("+")
    design = make_design(visibility=visibility, status=status or "draft")
    assert permissions.role_of(design, user, collaborator) == expected


@pytest.mark.parametrize("visibility", ["private", "shared"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_strangers_get_not_found_on_non_public_designs(visibility: str, operation: str) -> None:
    design = make_design(visibility=visibility, name="Secret name")
    role = permissions.role_of(design, "eve", None)
    with pytest.raises(NotFound) as info:
        permissions.check(design, "eve", role, operation)
    assert "Secret name" not in str(info.value)  # existence and name are not revealed
    assert info.value.field == "design_id"


def test_public_design_makes_strangers_viewers() -> None:
    design = make_design(visibility="public")
    role = permissions.role_of(design, "eve", None)
    assert permissions.check(design, "eve", role, "read") == "viewer"
    assert permissions.check(design, "eve", role, "fork") == "viewer"
    for operation in ("comment", "edit", "share", "delete"):
        with pytest.raises(PermissionDenied):
            permissions.check(design, "eve", role, operation)


def test_deleted_design_is_not_found_even_for_its_owner() -> None:
    design = make_design().replace(deleted_at=datetime(2024, 1, 1, tzinfo=UTC))
    with pytest.raises(NotFound):
        permissions.check(design, "ada", "owner", "read")
