"""Fuzz /api/v1/graphql from its own schema (schemathesis over hypothesis-graphql): every generated query and
mutation is answered without a server error or an ``internal_error``, and a refusal carries a REST error code.
Half the ``id`` arguments aim at a real design. Small budget: the machine is shared."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from fw_server.config import ServiceConfig
from fw_server.errors import KINDS
from fw_server.graphql_api import make_schema
from tests.support.service import TOKENS, RunningService, kernel_services, service_config

pytestmark = pytest.mark.slow
#: the codes a GraphQL refusal may carry: REST's kinds, GraphQL's own, and the query cost limit
CODES = set(KINDS.values()) | {"limit_exceeded", "graphql_validation_failed", "query_too_costly"}


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    home: Path = tmp_path_factory.mktemp("gqlfuzz") / "fw"
    services = kernel_services(home)
    services.avatars.fitter = None  # measurements stored, no body fitted: fuzzing stays fast
    running = RunningService(services, service_config()).start()
    alice = running.client("alice")
    design = alice.post("/designs", json={"name": "Fuzzed"}).json()
    alice.post(f"/designs/{design['id']}/layers", json={"item_id": "sil-aline-dress"})
    running.seed = {"id": design["id"]}  # type: ignore[attr-defined]
    yield running
    running.stop()
    services.close()


def _ast(value: Any) -> Any:
    """A JSON value as a GraphQL literal (the ``JSON`` scalar's arguments)."""
    import graphql
    from hypothesis_graphql import nodes

    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    if isinstance(value, str):
        return nodes.String(value)
    if isinstance(value, list):
        return nodes.List([_ast(v) for v in value])
    return nodes.Object([graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=_ast(v))
                         for k, v in value.items()])


_KEYS = st.sampled_from(["bust", "waist", "hips", "height", "show_grid", "color", "position", "x", "fov"]) | \
    st.from_regex(r"[a-z_]{1,8}", fullmatch=True)
_JSON = st.recursive(st.none() | st.booleans() | st.integers(-10_000, 10_000)
                     | st.floats(allow_nan=False, allow_infinity=False, width=32) | st.text(max_size=12),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
                     max_leaves=8)
schemathesis.graphql.scalar("JSON", _JSON.map(_ast))
schema = schemathesis.graphql.from_file(str(make_schema(ServiceConfig())))


def _check(response: Any) -> None:
    """No server error; every GraphQL error (a refusal: schemathesis counts those as failures, so the answers are
    judged here) carries a known code, none ``internal_error``."""
    assert response.status_code < 500, response.text
    body = response.json()
    assert isinstance(body, dict) and ("data" in body or "errors" in body), body
    for error in body.get("errors") or ():
        code = (error.get("extensions") or {}).get("code")
        assert code != "internal_error", error
        assert code in CODES, error


@schema.parametrize()
@settings(max_examples=15, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_graphql_answers_every_generated_operation(case: Any, target: RunningService) -> None:
    query = case.body
    if isinstance(query, str) and "id:" in query and zlib.crc32(query.encode()) % 2 == 0:
        import re

        seed = target.seed["id"]  # type: ignore[attr-defined]
        case.body = re.sub(r'(\bid|designId): "[^"]*"', lambda m: f'{m.group(1)}: "{seed}"', query)
    _check(case.call(base_url=target.base + "/graphql", headers={"Authorization": f"token {TOKENS['alice']}"}))
