"""The world the authorization matrix runs in: one design service (a real Tornado server on a port) with every
kind of caller, and designs in each visibility, each with a layer, a checkpoint, a comment and a finished export.

Callers (role -> user): the owner ``alice``; her collaborators ``bob`` (viewer), ``carol`` (commenter) and
``dave`` (editor) on shared and published designs (strangers on private ones); ``eve`` (any other user), ``ann``
(an analyst, ``FW_ANALYSTS``), ``root`` (an admin, ``FW_SERVICE_ADMINS``); and four callers without a valid
token: none, a forged one, an expired one and a revoked one.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from fw_kernel.bootstrap import Services
from tests.support.service import RunningService, kernel_services, service_config

USERS = {"owner": "alice", "viewer": "bob", "commenter": "carol", "editor": "dave", "other": "eve",
         "analyst": "ann", "admin": "root"}
TOKENS = {user: f"tok-{user}-{uuid.uuid4().hex}" for user in USERS.values()}
FORGED = "tok-forged-" + uuid.uuid4().hex
EXPIRED = "tok-expired-" + uuid.uuid4().hex
REVOKED = "tok-revoked-" + uuid.uuid4().hex
BAD_TOKENS = {"anonymous": None, "forged": FORGED, "expired": EXPIRED, "revoked": REVOKED}
ROLES = (*BAD_TOKENS, *USERS)
VISIBILITIES = ("private", "shared", "published")

#: the expected role of each caller on a design of alice's in each visibility (None: no access at all), from the
#: documented policy (the owner; collaborators on shared and published designs; viewer for everyone signed in on a
#: design published to the team): the expectation both authorization matrices check against, REST and GraphQL
DESIGN_ROLE: dict[str, dict[str, str | None]] = {
    #             private   shared        published
    "owner":     {"private": "owner", "shared": "owner", "published": "owner"},
    "viewer":    {"private": None, "shared": "viewer", "published": "viewer"},
    "commenter": {"private": None, "shared": "commenter", "published": "commenter"},
    "editor":    {"private": None, "shared": "editor", "published": "editor"},
    "other":     {"private": None, "shared": None, "published": "viewer"},
    "analyst":   {"private": None, "shared": None, "published": "viewer"},
    "admin":     {"private": None, "shared": None, "published": "viewer"},
}
RANK = {"viewer": 0, "commenter": 1, "editor": 2, "owner": 3}
COLLABORATORS = (("bob", "viewer"), ("carol", "commenter"), ("dave", "editor"))


def token_of(role: str) -> str | None:
    return BAD_TOKENS[role] if role in BAD_TOKENS else TOKENS[USERS[role]]


class Caller:
    """requests with one role's token (or none)."""

    def __init__(self, base: str, role: str):
        self.base, self.role = base, role
        self.session = requests.Session()
        token = token_of(role)
        if token:
            self.session.headers["Authorization"] = f"token {token}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.base + path, timeout=60, **kwargs)


@dataclass
class Fixture:
    """One design and what hangs off it (ids the routes' paths need)."""

    design_id: str
    layer_id: str
    spare_layer_ids: list[str]
    export_id: str
    visibility: str
    extra: dict[str, Any] = field(default_factory=dict)


def start_service(home: Path, **settings: Any) -> tuple[Services, RunningService]:
    services = kernel_services(home, analysts=("ann",), **settings)
    services.avatars.fitter = None
    table: dict[str, tuple[str, float | None]] = {token: (user, None) for user, token in TOKENS.items()}
    table[EXPIRED] = ("alice", time.time() - 1)
    table[REVOKED] = ("alice", None)
    running = RunningService(services, service_config(tokens=table, admins=("root",))).start()
    running.service.authenticator.revoke(REVOKED)  # a token alice had; it no longer works
    return services, running


def wait_export(owner: Caller, job_id: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = owner.request("GET", f"/exports/{job_id}").json()
        if job["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def make_design(owner: Caller, visibility: str, name: str = "Matrix", spare_layers: int = 0,
                export: bool = True, avatar_id: str | None = None) -> Fixture:
    """A design of alice's in ``visibility``: private (no one else), shared (bob, carol, dave collaborate) or
    published (shared and published to the team)."""
    def ok(r: requests.Response) -> Any:
        assert r.status_code < 300, r.text
        return r.json() if r.content else None

    did = ok(owner.request("POST", "/designs", json={"name": name, "avatar_id": avatar_id}))["id"]
    layer = ok(owner.request("POST", f"/designs/{did}/layers", json={"item_id": "sil-aline-dress"}))["id"]
    spares = [ok(owner.request("POST", f"/designs/{did}/layers", json={"item_id": "acc-leather-belt"}))["id"]
              for _ in range(spare_layers)]
    if visibility in ("shared", "published"):
        for user, role in COLLABORATORS:
            ok(owner.request("POST", f"/designs/{did}/collaborators", json={"user": user, "role": role}))
    ok(owner.request("POST", f"/designs/{did}/collaborators", json={"user": "zed", "role": "viewer"}))
    if visibility == "published":
        ok(owner.request("POST", f"/designs/{did}/publish", json={"to": "team"}))
    # checkpointed once in its visibility (restoring version 1 keeps it; an older snapshot would unpublish)
    ok(owner.request("POST", f"/designs/{did}/versions", json={"message": "v1"}))
    ok(owner.request("POST", f"/designs/{did}/comments", json={"text": "first"}))
    job_id = ""
    if export:
        job_id = ok(owner.request("POST", f"/designs/{did}/exports",
                                  json={"type": "image", "options": {"width": 16, "height": 16}}))["id"]
    return Fixture(did, layer, spares, job_id, visibility)


def record(name: str, **figures: Any) -> None:
    """Print a test's figures and append them to ``$FW_RELIABILITY_REPORT`` (JSON lines) when it is set."""
    print(f"\n[reliability] {name}: {figures}")
    path = os.environ.get("FW_RELIABILITY_REPORT")
    if path:
        with Path(path).open("a") as f:
            f.write(json.dumps({"test": name, **figures}) + "\n")
