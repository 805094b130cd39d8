"""Authorization matrix (issue #21): every route of the OpenAPI document x every kind of caller x every design
visibility, each cell's expected answer written below (from the documented policy, not from the code), every
cell sent to a running service and compared.

The policy (``fw_kernel.domain.permissions`` and the service docs): no valid token -> 401 everywhere (except the
signed download, whose signature is the credential); a design the caller cannot read -> 404, byte-for-byte the
404 of a missing id; readable but the role is too low -> 403; admin routes -> 403 for anyone but an admin, before
anything else; a user's own avatars are theirs alone (404 for others). Roles on a design: the owner; the
collaborators' roles (viewer, commenter, editor) on shared and published designs; "viewer" for everyone signed
in on a design published to the team; nothing otherwise.

The cell counts are printed and written to ``$FW_RELIABILITY_REPORT`` (one JSON line each) when it is set.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from websockets.sync.client import connect as ws_connect

from tests.reliability.world import (
    BAD_TOKENS,
    DESIGN_ROLE,
    RANK,
    ROLES,
    USERS,
    VISIBILITIES,
    Caller,
    Fixture,
    make_design,
    record,
    start_service,
    token_of,
    wait_export,
)
from tests.support.servers import fresh_postgres_database

pytestmark = pytest.mark.service

SECRET_NAME = "Matrix-secret-name"

# -- the expected answers ----------------------------------------------------------------------------------------------
# route -> (access it needs, status when allowed). Access: "any" (a valid token), "admin", "self" (alice's own
# avatar: hers alone), "signature" (the signed download), "forged" (a signed public link with a forged signature:
# refused whatever token comes with it), or the lowest role on the design (viewer, commenter,
# editor, owner). A status other than 2xx "when allowed" is the answer every allowed caller gets (a request that
# passes authorization and is then refused on its content, or looks for a process only its starter sees).
ROUTE_TABLE: dict[tuple[str, str], tuple[str, int]] = {
    ("GET", "/user"): ("any", 200),
    ("GET", "/designs"): ("any", 200),
    ("POST", "/designs"): ("any", 201),
    ("GET", "/gallery"): ("any", 200),
    ("GET", "/designs/{design_id}"): ("viewer", 200),
    ("GET", "/designs/{design_id}/thumbnail"): ("viewer", 200),
    ("GET", "/designs/{design_id}/recommendations"): ("viewer", 200),
    ("GET", "/designs/{design_id}/layers"): ("viewer", 200),
    ("GET", "/designs/{design_id}/versions"): ("viewer", 200),
    ("GET", "/designs/{design_id}/versions/{a}/diff/{b}"): ("viewer", 200),
    ("GET", "/designs/{design_id}/history"): ("viewer", 200),
    ("GET", "/designs/{design_id}/collaborators"): ("viewer", 200),
    ("GET", "/designs/{design_id}/comments"): ("viewer", 200),
    ("GET", "/designs/{design_id}/exports"): ("viewer", 200),
    ("GET", "/designs/{design_id}/avatar"): ("viewer", 200),
    ("GET", "/exports/{job_id}"): ("viewer", 200),
    ("GET", "/exports/{job_id}/download"): ("signature", 200),
    ("POST", "/exports/{job_id}/cancel"): ("viewer", 200),        # anyone who may export; an ended job as it is
    ("POST", "/designs/{design_id}/drapes/find"): ("viewer", 404),  # no finished drape of an empty stack
    ("POST", "/designs/{design_id}/public-link"): ("owner", 422),   # none of the fixtures is published to public
    ("GET", "/public/designs/{design_id}"): ("forged", 403),        # a forged signature, whoever sends it
    ("GET", "/public/designs/{design_id}/thumbnail"): ("forged", 403),
    ("POST", "/designs/{design_id}/fork"): ("viewer", 201),
    ("POST", "/designs/{design_id}/like"): ("viewer", 200),
    ("POST", "/designs/{design_id}/exports"): ("viewer", 202),
    ("POST", "/designs/{design_id}/comments"): ("commenter", 201),
    ("PATCH", "/designs/{design_id}"): ("editor", 200),
    ("POST", "/designs/{design_id}/undo"): ("editor", 200),
    ("POST", "/designs/{design_id}/redo"): ("editor", 200),
    ("POST", "/designs/{design_id}/layers"): ("editor", 201),
    ("PUT", "/designs/{design_id}/layers/order"): ("editor", 200),
    ("PUT", "/designs/{design_id}/layers/group"): ("editor", 200),
    ("PATCH", "/designs/{design_id}/layers/{layer_id}"): ("editor", 200),
    ("DELETE", "/designs/{design_id}/layers/{layer_id}"): ("editor", 204),
    ("POST", "/designs/{design_id}/versions"): ("editor", 201),
    ("POST", "/designs/{design_id}/versions/{number}/restore"): ("editor", 200),
    ("POST", "/designs/{design_id}/collaborators"): ("owner", 201),
    ("DELETE", "/designs/{design_id}/collaborators/{user}"): ("owner", 204),
    ("POST", "/designs/{design_id}/publish"): ("owner", 200),
    ("POST", "/designs/{design_id}/unpublish"): ("owner", 200),
    ("DELETE", "/designs/{design_id}"): ("owner", 204),
    ("GET", "/designs/{design_id}/audit"): ("owner", 200),
    ("GET", "/avatars"): ("any", 200),
    ("POST", "/avatars"): ("any", 201),
    ("GET", "/avatars/{avatar_id}"): ("self", 200),
    ("PATCH", "/avatars/{avatar_id}"): ("self", 200),
    ("GET", "/avatars/{avatar_id}/photos"): ("any", 404),      # none kept (alice: "no stored photos")
    ("DELETE", "/avatars/{avatar_id}/photos"): ("self", 200),
    ("POST", "/avatars/from-photos"): ("any", 422),       # a 40 px photo: below the size limit
    ("POST", "/avatars/measure-photos"): ("any", 422),
    ("GET", "/avatars/processes/{process_id}"): ("any", 404),  # alice's avatar id: no photo process of anyone's
    ("GET", "/catalog/items"): ("any", 200),
    ("GET", "/catalog/items/{item_id}"): ("any", 200),
    ("GET", "/catalog/items/{item_id}/thumbnail"): ("any", 200),
    ("GET", "/catalog/search"): ("any", 200),
    ("GET", "/catalog/silhouettes"): ("any", 200),
    ("GET", "/catalog/fabrics"): ("any", 200),
    ("GET", "/catalog/patterns"): ("any", 200),
    ("GET", "/catalog/elements"): ("any", 200),
    ("GET", "/catalog/accessorys"): ("any", 200),
    ("GET", "/metrics/designs"): ("any", 200),
    ("GET", "/metrics/events"): ("any", 200),
    ("GET", "/metrics/activity"): ("any", 200),
    ("GET", "/metrics/catalog"): ("any", 200),
    ("GET", "/metrics/exports"): ("any", 200),
    ("POST", "/metrics/sessions"): ("any", 204),
    ("GET", "/admin/designs"): ("admin", 200),
    ("GET", "/admin/designs/{design_id}"): ("admin", 200),
    ("GET", "/admin/designs/{design_id}/versions"): ("admin", 200),
    ("GET", "/admin/designs/{design_id}/history"): ("admin", 200),
    ("GET", "/admin/designs/{design_id}/exports"): ("admin", 200),
    ("GET", "/admin/audit"): ("admin", 200),
}



def expected(route: tuple[str, str], role: str, visibility: str | None) -> int:
    need, allowed = ROUTE_TABLE[route]
    if need == "signature":
        # the link the caller got from GET /exports/{id} (readers), else the owner's link re-signed by nobody:
        # with the caller's name in it (tampered user) -> 403
        if role in BAD_TOKENS or visibility is None or DESIGN_ROLE[role][visibility] is None:
            return 403
        return allowed
    if need == "forged":
        return allowed
    if role in BAD_TOKENS:
        return 401
    if need == "any":
        return allowed
    if need == "admin":
        return allowed if role == "admin" else 403
    if need == "self":
        return allowed if role == "owner" else 404
    assert visibility is not None
    has = DESIGN_ROLE[role][visibility]
    if has is None:
        return 404
    return allowed if RANK[has] >= RANK[need] else 403


def design_route(route: tuple[str, str]) -> bool:
    return "{design_id}" in route[1] or "{job_id}" in route[1]


# -- the requests ------------------------------------------------------------------------------------------------------
#: what is sent to each route (path parameters filled in from the fixture; ``body`` JSON; ``query``; ``headers``)
TINY_PNG: str = ""


def _tiny_png() -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


@dataclass
class World:
    base: str
    host: str
    callers: dict[str, Caller]
    designs: dict[str, Fixture]        # visibility -> the design every role works on
    victims: dict[str, Fixture]        # visibility -> the design the owner publishes, unpublishes and deletes
    avatar_id: str
    item_id: str
    links: dict[tuple[str, str], str]  # (visibility, role) -> the download link that caller was given
    photo: str


def request_for(world: World, route: tuple[str, str], role: str, visibility: str | None) -> dict[str, Any]:
    method, template = route
    fx = world.designs[visibility] if visibility else None
    if fx is not None and role == "owner" and route in {("POST", "/designs/{design_id}/publish"),
                                                        ("POST", "/designs/{design_id}/unpublish"),
                                                        ("DELETE", "/designs/{design_id}")}:
        fx = world.victims[visibility]          # the owner's own copy: the others keep their visibility
    values: dict[str, Any] = {"avatar_id": world.avatar_id, "process_id": world.avatar_id, "item_id": world.item_id,
                              "a": 1, "b": 1, "number": 1, "user": "zed"}
    if fx is not None:
        values.update(design_id=fx.design_id, layer_id=fx.layer_id, job_id=fx.export_id)
        if route == ("DELETE", "/designs/{design_id}/layers/{layer_id}"):
            values["layer_id"] = fx.spare_layer_ids[1 if role == "owner" else 0]
    path = template.format(**values)
    out: dict[str, Any] = {"method": method, "path": path}
    body: Any = None
    query: dict[str, Any] = {}
    if method in ("POST", "PUT", "PATCH"):
        body = {
            "/designs": {"name": "New"},
            "/designs/{design_id}": {"description": "changed"},
            "/designs/{design_id}/fork": {},
            "/designs/{design_id}/publish": {"to": "team"},
            "/designs/{design_id}/layers": {"item_id": "acc-leather-belt"},
            "/designs/{design_id}/layers/group": {"layer_ids": [values.get("layer_id")], "group": "g"},
            "/designs/{design_id}/layers/{layer_id}": {"opacity": 50},
            "/designs/{design_id}/versions": {"message": "m"},
            "/designs/{design_id}/collaborators": {"user": "zed", "role": "viewer"},
            "/designs/{design_id}/comments": {"text": "hi"},
            "/designs/{design_id}/exports": {"type": "image", "options": {"width": 16, "height": 16}},
            "/avatars": {"name": "A", "measurements": {"height": 170}},
            "/avatars/from-photos": {"name": "P", "front": world.photo, "side": world.photo, "height": 170},
            "/avatars/measure-photos": {"front": world.photo, "side": world.photo, "height": 170},
            "/avatars/{avatar_id}": {"name": "Renamed"},
            "/designs/{design_id}/public-link": {},
            "/designs/{design_id}/drapes/find": {"stack": []},
            "/metrics/sessions": {"event": "opened"},
        }.get(template)
        if template == "/designs/{design_id}/layers/order":
            assert fx is not None
            layers = world.callers["owner"].request("GET", f"/designs/{fx.design_id}/layers").json()
            body = {"layer_ids": [x["id"] for x in layers]}
    if template.startswith("/admin/designs"):
        query = {"reason": "authorization matrix"}
        if template == "/admin/designs":
            query["owner"] = "alice"
    if template.endswith("/thumbnail") and fx is not None:
        query = {"size": 32}
    if template.startswith("/public/"):
        query = {**query, "user": "alice", "expires": 4102444800, "signature": "0" * 64}
    if template.endswith("/undo") or template.endswith("/redo"):
        out["headers"] = {"X-FW-Session": f"matrix-{role}"}
    if body is not None:
        out["json"] = body
    if query:
        out["params"] = query
    return out


def send(world: World, route: tuple[str, str], role: str, visibility: str | None) -> requests.Response:
    if ROUTE_TABLE[route][0] == "signature":
        link = world.links.get((visibility or "", role))
        if link is None:   # no link of their own: the owner's, with the caller's name put in (tampered user)
            owner_link = world.links[(visibility or "", "owner")]
            parts = urlsplit(owner_link)
            q = {k: v[0] for k, v in parse_qs(parts.query).items()}
            q["user"] = USERS.get(role, "mallory")
            link = f"{parts.path}?{urlencode(q)}"
        return requests.get(world.host + link, timeout=60, allow_redirects=False)
    spec = request_for(world, route, role, visibility)
    return world.callers[role].request(spec.pop("method"), spec.pop("path"), **spec)


# -- the fixture -------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.slow)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The matrix on the embedded SQLite default, and (slow) on PostgreSQL."""
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(fresh_postgres_database("fw_authz")) if request.param == "postgres" else None
        yield from _world(tmp_path_factory.mktemp("authz"), url)


def _world(home: Path, database_url: str | None) -> Iterator[World]:
    services, running = start_service(home, database_url=database_url)
    try:
        callers = {role: Caller(running.base, role) for role in ROLES}
        owner = callers["owner"]
        avatar = owner.request("POST", "/avatars", json={"name": "Ada", "measurements": {"height": 170}}).json()
        designs, victims = {}, {}
        for vis in VISIBILITIES:
            designs[vis] = make_design(owner, vis, SECRET_NAME, spare_layers=2, avatar_id=avatar["id"])
            victims[vis] = make_design(owner, vis, SECRET_NAME, export=False, avatar_id=avatar["id"])
        links: dict[tuple[str, str], str] = {}
        for vis, fx in designs.items():
            job = wait_export(owner, fx.export_id)
            assert job["status"] == "completed", job
            for role in USERS:
                got = callers[role].request("GET", f"/exports/{fx.export_id}")
                if got.status_code == 200:
                    links[(vis, role)] = got.json()["download_url"]
        prefix = running.config.prefix
        item = "acc-leather-belt"
        yield World(running.base, running.base[: -len(prefix)], callers, designs, victims, avatar["id"], item,
                    links, _tiny_png())
    finally:
        running.stop()
        services.close()


# -- the tests ---------------------------------------------------------------------------------------------------------
def test_every_openapi_route_has_rows_in_the_table(world: World) -> None:
    doc = requests.get(world.base + "/openapi.json", timeout=30).json()
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops
                  if m.lower() in ("get", "post", "put", "patch", "delete")}
    assert documented, "the OpenAPI document lists no operations"
    missing = sorted(documented - set(ROUTE_TABLE))
    stale = sorted(set(ROUTE_TABLE) - documented)
    assert not missing, f"routes without expected answers in ROUTE_TABLE (add rows): {missing}"
    assert not stale, f"ROUTE_TABLE rows of routes the service no longer documents: {stale}"


# destructive routes go last, the owner (who succeeds) last of all
_LAST = [("DELETE", "/designs/{design_id}/collaborators/{user}"), ("POST", "/designs/{design_id}/unpublish"),
         ("POST", "/designs/{design_id}/publish"), ("DELETE", "/designs/{design_id}/layers/{layer_id}"),
         ("DELETE", "/designs/{design_id}")]
ROLE_ORDER = ("anonymous", "forged", "expired", "revoked", "other", "analyst", "admin", "viewer", "commenter",
              "editor", "owner")


def test_authorization_matrix(world: World) -> None:
    assert set(ROLE_ORDER) == set(ROLES)
    routes = [r for r in ROUTE_TABLE if r not in _LAST] + _LAST
    mismatches: list[str] = []
    leaks: list[str] = []
    errors_5xx: list[str] = []
    cells = 0
    for route in routes:
        for vis in (VISIBILITIES if design_route(route) else (None,)):
            for role in ROLE_ORDER:
                r = send(world, route, role, vis)
                cells += 1
                want = expected(route, role, vis)
                where = f"{route[0]} {route[1]} as {role} on {vis or '-'}"
                if r.status_code >= 500:
                    errors_5xx.append(f"{where}: {r.status_code} {r.text[:200]}")
                if r.status_code != want:
                    mismatches.append(f"{where}: expected {want}, got {r.status_code} {r.text[:160]}")
                if r.status_code >= 400 and SECRET_NAME in r.text and (
                        vis is None or DESIGN_ROLE.get(role, {}).get(vis) is None):
                    leaks.append(f"{where}: the refusal names the design ({r.text[:160]})")
    record("authz_matrix", cells=cells, routes=len(ROUTE_TABLE), roles=len(ROLE_ORDER),
            visibilities=len(VISIBILITIES), mismatches=len(mismatches), leaks=len(leaks), errors_5xx=len(errors_5xx))
    assert not errors_5xx, "\n".join(errors_5xx)
    assert not leaks, "\n".join(leaks)
    assert not mismatches, f"{len(mismatches)} of {cells} cells differ:\n" + "\n".join(mismatches)


def test_refused_404_is_the_404_of_a_missing_design(world: World) -> None:
    """Someone else's private design and a missing id get the same answer (no existence leak), route by route."""
    fx = world.designs["private"]
    eve = world.callers["other"]
    missing = "0" * 32
    checked = 0
    for (method, template), (need, _) in ROUTE_TABLE.items():
        if "{design_id}" not in template or need == "admin":
            continue
        spec = request_for(world, (method, template), "other", "private")
        spec.pop("method")
        path = spec.pop("path")
        theirs = eve.request(method, path, **spec)
        absent = eve.request(method, path.replace(fx.design_id, missing), **spec)
        refused = 403 if need == "forged" else 404   # a forged public link is refused before any lookup
        assert theirs.status_code == absent.status_code == refused, (method, template, theirs.text, absent.text)
        assert theirs.text.replace(fx.design_id, "ID") == absent.text.replace(missing, "ID"), (method, template)
        checked += 1
    assert checked >= 30


def test_signed_download_links_refuse_tampering(world: World) -> None:
    link = world.links[("shared", "viewer")]         # bob's link to an export of a design shared with him
    parts = urlsplit(link)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}

    def get(**changes: Any) -> requests.Response:
        return requests.get(world.host + parts.path + "?" + urlencode({**q, **changes}), timeout=30,
                            allow_redirects=False)

    assert get().status_code == 200
    sig = q["signature"]
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    tampered = {
        "user": get(user="eve"), "user-owner": get(user="alice"), "expiry+1": get(expires=str(int(q["expires"]) + 1)),
        "expiry-far": get(expires=str(2**40)), "signature": get(signature=flipped),
        "signature-upper": get(signature=sig.upper()), "signature-short": get(signature=sig[:32]),
        "expired": get(expires="1"),
    }
    for what, r in tampered.items():
        assert r.status_code == 403, (what, r.status_code, r.text)
    other_job = world.designs["private"].export_id    # bob's signature does not open another export
    r = requests.get(world.host + parts.path.replace(world.designs["shared"].export_id, other_job) + "?" +
                     urlencode(q), timeout=30)
    assert r.status_code == 403
    for missing in ("expires", "user", "signature"):
        r = requests.get(world.host + parts.path + "?" + urlencode({k: v for k, v in q.items() if k != missing}),
                         timeout=30)
        assert r.status_code == 422, (missing, r.text)
    # a valid link stops working once its user may no longer see the design
    fx = make_design(world.callers["owner"], "shared", "Unshared later")
    job = wait_export(world.callers["owner"], fx.export_id)
    assert job["status"] == "completed"
    bobs = world.callers["viewer"].request("GET", f"/exports/{fx.export_id}").json()["download_url"]
    assert requests.get(world.host + bobs, timeout=30, allow_redirects=False).status_code == 200
    assert world.callers["owner"].request("DELETE", f"/designs/{fx.design_id}/collaborators/bob").status_code == 204
    assert requests.get(world.host + bobs, timeout=30, allow_redirects=False).status_code == 404


def test_events_websocket_refuses_others_designs(world: World) -> None:
    url = world.base.replace("http://", "ws://") + "/events"
    for role in BAD_TOKENS:
        token = token_of(role)
        headers = {"Authorization": f"token {token}"} if token else {}
        with pytest.raises(Exception, match="401"):
            ws_connect(url, additional_headers=headers, open_timeout=10)
    cells = 0
    for role in USERS:
        with ws_connect(url, additional_headers={"Authorization": f"token {token_of(role)}"}, open_timeout=10) as ws:
            for vis in VISIBILITIES:
                did = world.designs[vis].design_id
                ws.send(json.dumps({"action": "subscribe", "namespace": "/design", "design_id": did}))
                while "type" not in (reply := json.loads(ws.recv(timeout=10))):
                    pass
                readable = DESIGN_ROLE[role][vis] is not None
                assert reply["type"] == ("subscribed" if readable else "error"), (role, vis, reply)
                if not readable:
                    assert SECRET_NAME not in json.dumps(reply)
                    ws.send(json.dumps({"action": "cursor", "design_id": did, "position": {"x": 1}}))
                    while "type" not in (reply := json.loads(ws.recv(timeout=10))):
                        pass
                    assert reply["type"] == "error", (role, vis, reply)
                cells += 1
    record("authz_websocket", cells=cells + len(BAD_TOKENS))


def test_restoring_a_pre_publication_version_is_for_the_owner(world: World) -> None:
    """Restoring a snapshot taken before publication would unpublish the design: an editor is refused (403, the
    design unchanged), the owner may."""
    owner, editor = world.callers["owner"], world.callers["editor"]
    fx = make_design(owner, "shared", "Restore", export=False)
    assert owner.request("POST", f"/designs/{fx.design_id}/publish", json={"to": "team"}).status_code == 200
    before = owner.request("GET", f"/designs/{fx.design_id}").json()
    r = editor.request("POST", f"/designs/{fx.design_id}/versions/1/restore")
    assert r.status_code == 403 and "publish" in r.json()["message"], r.text
    after = owner.request("GET", f"/designs/{fx.design_id}").json()
    assert (after["version"], after["status"]) == (before["version"], "published")
    assert owner.request("POST", f"/designs/{fx.design_id}/versions/1/restore").json()["status"] == "draft"
