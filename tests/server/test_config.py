"""Service settings from the environment: a Hub-managed service answers under its service prefix with Hub auth."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fw_server.auth import HubTokens, StaticTokens, make_authenticator
from fw_server.config import ServiceConfig


def test_on_a_hub_the_prefix_and_auth_come_from_jupyterhub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "service-token")
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/services/fw/")
    monkeypatch.setenv("JUPYTERHUB_API_URL", "http://127.0.0.1:8081/hub/api")
    monkeypatch.setenv("JUPYTERHUB_SERVICE_NAME", "fw")
    monkeypatch.delenv("JUPYTERHUB_CLIENT_ID", raising=False)
    config = ServiceConfig.from_env()
    assert config.prefix == "/services/fw/api/v1" and config.auth == "hub"
    auth = make_authenticator(config)
    assert isinstance(auth, HubTokens) and auth.scopes == {"access:services!service=fw"}
    assert auth.hub_auth.api_url == "http://127.0.0.1:8081/hub/api"


def test_a_laptop_uses_the_token_table(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JUPYTERHUB_API_TOKEN", "JUPYTERHUB_SERVICE_PREFIX", "FW_SERVICE_AUTH", "FW_SERVICE_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FW_SERVICE_TOKENS", "t1:ada, t2:bob:1700000000")
    config = ServiceConfig.from_env(rate_limit=5)
    assert config.prefix == "/api/v1" and config.rate_limit == 5
    assert config.tokens == {"t1": ("ada", None), "t2": ("bob", 1700000000.0)}
    assert isinstance(make_authenticator(config), StaticTokens)
    assert "secret" not in repr(config)
    with pytest.raises(ValidationError, match="token:user"):
        ServiceConfig(tokens="just-a-token")
