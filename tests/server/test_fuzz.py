"""Fuzz the API against its own OpenAPI document (schemathesis): no 5xx, and every answer matches the document
(status codes, content types, bodies, headers). Half the cases aim at a real design with a layer, so request
bodies are judged by the kernel rather than all ending in 404. Small budget: the machine is shared."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fw_server import __version__
from fw_server.openapi import document
from tests.support.service import TOKENS, RunningService, kernel_services, service_config

pytestmark = pytest.mark.slow
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance, ignored_auth]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.service)])
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The service on SQLite, and on PostgreSQL + MongoDB-protocol + Redis (other limits: NUL, integer sizes)."""
    home: Path = tmp_path_factory.mktemp("fuzz") / "fw"
    stores = {} if request.param == "sqlite" else {
        "database_url": request.getfixturevalue("postgres_url"), "mongo_url": request.getfixturevalue("mongo_url"),
        "redis_url": request.getfixturevalue("redis_url")}
    services = kernel_services(home, **stores)
    services.avatars.fitter = None  # measurements stored, no body fitted: fuzzing stays fast
    running = RunningService(services, service_config()).start()
    alice = running.client("alice")
    design = alice.post("/designs", json={"name": "Fuzzed"}).json()
    layer = alice.post(f"/designs/{design['id']}/layers", json={"item_id": "sil-aline-dress"}).json()
    alice.post(f"/designs/{design['id']}/versions", json={"message": "v1"})
    running.seed = {"design_id": design["id"], "layer_id": layer["id"], "item_id": "sil-aline-dress"}
    yield running
    running.stop()
    services.close()


# the document is generated without a running service: the same function serves it (checked below)
schema = schemathesis.openapi.from_dict(document("/api/v1", __version__))
# valid and invalid requests (invalid ones must be refused with a documented 4xx, never a 5xx); NUL bytes too
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], allow_x00=True)


def test_openapi_document_is_served_and_complete(target: RunningService) -> None:
    r = requests.get(target.base + "/openapi.json", timeout=30)      # no token needed
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    doc = r.json()
    assert doc == document("/api/v1", __version__)                    # what the fuzzer below reads
    assert doc["openapi"].startswith("3.1") and doc["servers"] == [{"url": target.config.prefix}]
    operations = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    for needed in [("GET", "/designs"), ("POST", "/designs"), ("PATCH", "/designs/{design_id}"),
                   ("DELETE", "/designs/{design_id}"), ("POST", "/designs/{design_id}/fork"),
                   ("POST", "/designs/{design_id}/exports"), ("POST", "/designs/{design_id}/layers"),
                   ("PATCH", "/designs/{design_id}/layers/{layer_id}"), ("PUT", "/designs/{design_id}/layers/order"),
                   ("POST", "/designs/{design_id}/versions"), ("GET", "/designs/{design_id}/versions/{a}/diff/{b}"),
                   ("POST", "/designs/{design_id}/versions/{number}/restore"),
                   ("POST", "/designs/{design_id}/collaborators"), ("POST", "/designs/{design_id}/comments"),
                   ("POST", "/avatars"), ("GET", "/catalog/search"), ("GET", "/catalog/fabrics"),
                   ("GET", "/exports/{job_id}"), ("GET", "/exports/{job_id}/download")]:
        assert needed in operations
    create = doc["paths"]["/designs"]["post"]
    body = doc["components"]["schemas"][create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                                       .rsplit("/", 1)[1]]
    assert "outfit" in str(body["properties"]["category"]) and body["additionalProperties"] is False


@schema.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_openapi_document(case: Any, target: RunningService) -> None:
    path = case.path_parameters or {}
    # aim half the cases at real objects (chosen from the generated data, so the run stays reproducible)
    if path and zlib.crc32(repr(sorted(path.items())).encode()) % 2 == 0:
        for name in ("design_id", "layer_id"):
            if name in path:
                path[name] = target.seed[name]
    case.call_and_validate(base_url=target.base, headers={"Authorization": f"token {TOKENS['alice']}"},
                           checks=CHECKS)


def test_stateful_workflows_along_the_documented_links(target: RunningService) -> None:
    # bounded: a few short scenarios that create designs, layers, checkpoints, exports and avatars and follow the
    # links of their answers (OpenAPI `links`, fw_server.openapi.CREATES) into the operations that take them
    document_links = sum(len(r.get("links", {})) for ops in document("/api/v1", __version__)["paths"].values()
                         for op in ops.values() for r in op["responses"].values())
    assert document_links >= 50
    calls: list[tuple[str, int]] = []
    base = schema.as_state_machine()

    class Workflow(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": target.base, "headers": {"Authorization": f"token {TOKENS['alice']}"}}

        def after_call(self, response: Any, case: Any) -> None:
            calls.append((f"{case.method} {case.path}", response.status_code))

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
                              ) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

    Workflow.run(settings=settings(max_examples=40, stateful_step_count=8, deadline=None, derandomize=True,
                                   suppress_health_check=list(HealthCheck)))
    linked = [c for c in calls if "{" in c[0]]
    followed_ok = [c for c in linked if c[1] < 300]
    assert not [c for c in calls if c[1] >= 500]
    assert len(calls) >= 100 and len(followed_ok) >= 5, (len(calls), followed_ok[:5])
    print(f"\n[fuzz] stateful: {len(calls)} calls, {len(linked)} on linked objects, {len(followed_ok)} of them 2xx")
