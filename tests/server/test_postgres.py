"""The same API on the production stores: PostgreSQL (designs), the MongoDB-protocol server (documents) and
Redis (state cache, events, rate limits)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.server import test_api, test_auth
from tests.support.service import RunningService, kernel_services, service_config

pytestmark = pytest.mark.service


@pytest.fixture(scope="class")
def pg_service(tmp_path_factory: pytest.TempPathFactory, postgres_url: str, mongo_url: str,
               redis_url: str) -> Any:
    home: Path = tmp_path_factory.mktemp("pg") / "fw"
    services = kernel_services(home, database_url=postgres_url, mongo_url=mongo_url, redis_url=redis_url)
    services.avatars.fitter = None
    running = RunningService(services, service_config(redis_url=redis_url, rate_prefix=f"fw:t:{uuid.uuid4().hex}"))
    yield running.start()
    running.stop()
    services.close()


class TestOnPostgres:
    """Users are fresh per test (the database lives for the session): names get a suffix."""

    @pytest.fixture(autouse=True)
    def _users(self, pg_service: RunningService, monkeypatch: pytest.MonkeyPatch) -> None:
        from tests.support import service as conftest

        suffix = uuid.uuid4().hex[:6]
        tokens = {user: f"{token}-{suffix}" for user, token in conftest.TOKENS.items()}
        for user, token in tokens.items():
            pg_service.service.authenticator.add(token, f"{user}_{suffix}")
        monkeypatch.setattr(conftest, "TOKENS", tokens)
        self.suffix = suffix

    def test_design_flow(self, pg_service: RunningService) -> None:
        alice = pg_service.client("alice")
        assert alice.get("/user").json()["user"] == f"alice_{self.suffix}"
        did = alice.post("/designs", json={"name": "On PG", "tags": ["a"]}).json()["id"]
        layer = alice.post(f"/designs/{did}/layers", json={"item_id": "sil-aline-dress"}).json()
        assert alice.patch(f"/designs/{did}/layers/{layer['id']}", json={"opacity": 30}).json()["opacity"] == 30
        alice.post(f"/designs/{did}/versions", json={"message": "one"})
        alice.patch(f"/designs/{did}", json={"name": "On PG 2"})
        alice.post(f"/designs/{did}/versions", json={"message": "two"})
        assert {"op": "replace", "path": "/name", "value": "On PG 2"} in alice.get(
            f"/designs/{did}/versions/1/diff/2").json()
        r = alice.post("/designs", json={"name": "nul \x00 inside"})
        assert r.status_code == 422 and r.json()["field"] == "name"            # PostgreSQL cannot store NUL
        assert alice.get(f"/designs/{did}/versions/{2**40}/diff/1").status_code == 404
        fabrics = alice.get("/catalog/search", params={"q": "denm", "type": "fabric"}).json()   # pg_trgm typos
        assert fabrics and all(i["type"] == "fabric" for i in fabrics)

    def test_private_designs_and_roles(self, pg_service: RunningService) -> None:
        alice, bob = pg_service.client("alice"), pg_service.client("bob")
        test_auth.test_others_cannot_see_or_touch_a_private_design(pg_service, alice, bob)

    def test_roles(self, pg_service: RunningService) -> None:
        alice = pg_service.client("alice")
        did = alice.post("/designs", json={"name": "Shared"}).json()["id"]
        bob_name = f"bob_{self.suffix}"
        assert alice.post(f"/designs/{did}/collaborators", json={"user": bob_name, "role": "commenter"}
                          ).status_code == 201
        bob = pg_service.client("bob")
        assert bob.post(f"/designs/{did}/comments", json={"text": "ok"}).status_code == 201
        assert bob.patch(f"/designs/{did}", json={"name": "x"}).status_code == 403

    def test_refusals(self, pg_service: RunningService) -> None:
        test_api.test_refusals_map_to_statuses_with_field_and_allowed(pg_service.client("alice"))
