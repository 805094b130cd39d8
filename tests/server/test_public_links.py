"""Signed public links to published designs: the owner of a design published to "public" makes an expiring
HMAC-signed link; anyone holding it reads the design (and its thumbnail) without a token, never edits it; an
altered, forged or expired link is refused, and unpublishing revokes every link."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from tests.support.service import Client, RunningService


def _published(alice: Client, to: str = "public") -> str:
    did = alice.post("/designs", json={"name": "Open look", "category": "dress"}).json()["id"]
    assert alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress"}).status_code == 201
    r = alice.post(f"/designs/{did}/publish", json={"to": to})
    assert r.status_code == 200, r.text
    return did  # type: ignore[no-any-return]


def _host(running: RunningService) -> str:
    return f"http://127.0.0.1:{running.port}"


def test_a_public_link_opens_the_design_read_only_without_signing_in(sqlite_service: RunningService,
                                                                     alice: Client, bob: Client) -> None:
    did = _published(alice)
    r = alice.post(f"/designs/{did}/public-link", json={"expires_in_s": 3600})
    assert r.status_code == 201, r.text
    link = r.json()
    assert link["url"].startswith(f"{sqlite_service.config.prefix}/public/designs/{did}?")
    opened = requests.get(_host(sqlite_service) + link["url"], timeout=60)  # no Authorization header
    assert opened.status_code == 200, opened.text
    design = opened.json()
    assert design["id"] == did and design["role"] == "viewer" and design["layers"][0]["catalog_item_id"] == \
        "sil-aline-dress"
    png = requests.get(_host(sqlite_service) + link["thumbnail_url"], timeout=120)
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    # read-only: the link is no token for the API
    assert requests.patch(sqlite_service.base + f"/designs/{did}", json={"name": "x"}, timeout=30).status_code == 401
    # only the owner makes links, and only to designs published to public
    assert bob.post(f"/designs/{did}/public-link", json={}).status_code == 403
    team = _published(alice, "team")
    refused = alice.post(f"/designs/{team}/public-link", json={})
    assert refused.status_code == 422 and refused.json()["field"] == "visibility"


def test_altered_forged_and_expired_links_are_refused(sqlite_service: RunningService, alice: Client) -> None:
    did = _published(alice)
    other = _published(alice)
    url = alice.post(f"/designs/{did}/public-link", json={}).json()["url"]
    parts = urlsplit(url)
    q = {k: v[0] for k, v in parse_qs(parts.query).items()}

    def get(design_id: str, **changes: object) -> requests.Response:
        query = urlencode({**q, **changes})
        return requests.get(f"{_host(sqlite_service)}{sqlite_service.config.prefix}/public/designs/{design_id}?"
                            f"{query}", timeout=30)

    assert get(did).status_code == 200
    for response in (get(other), get(did, expires=int(q["expires"]) + 86_400), get(did, user="bob"),
                     get(did, signature="0" * 64)):
        assert response.status_code == 403 and response.json()["field"] == "signature", response.text
    # the export download links' signatures are no design links (another key is signed)
    signer = sqlite_service.service.signer
    export_like = signer.signature(did, "alice", int(q["expires"]))
    assert get(did, signature=export_like).status_code == 403
    past = int(time.time()) - 10
    expired = get(did, expires=past, signature=signer.signature(signer.design_key(did), "alice", past))
    assert expired.status_code == 403 and "expired" in expired.json()["message"]
    assert alice.post(f"/designs/{did}/unpublish").status_code == 200
    gone = get(did)
    assert gone.status_code == 404 and "no longer public" in gone.json()["message"]
