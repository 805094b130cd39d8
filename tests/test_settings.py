"""One model of every ``FW_*`` variable (``fw_kernel.settings.Environment``): the README's table is its table, every
variable the code reads is in it, and the kernel's, the service's and the hub's settings come from it."""

from __future__ import annotations

import re
import subprocess

import pytest

from fw_kernel.settings import Environment, Settings, settings_table
from tests.support import ROOT


def test_the_readme_settings_table_is_the_model() -> None:
    assert settings_table() in (ROOT / "README.md").read_text()


def test_every_variable_has_help_text() -> None:
    for name, info in Environment.model_fields.items():
        assert info.description and len(info.description) > 8, name


def test_every_fw_variable_the_code_reads_is_in_the_model() -> None:
    files = subprocess.run(["git", "ls-files", "fw_kernel", "server", "extension"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    used: set[str] = set()
    for path in files:
        if path.endswith(".py"):
            used |= set(re.findall(r"\bFW_([A-Z0-9_]+[A-Z0-9])\b", (ROOT / path).read_text()))
    known = {name.upper() for name in Environment.model_fields}
    assert used - known == set()


def test_the_kernel_service_and_hub_read_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from fw_server.config import ServiceConfig

    monkeypatch.setenv("FW_QUEUE_PREFIX", "pfx")
    monkeypatch.setenv("FW_EXPORT_RETRY_BACKOFF", "5")
    monkeypatch.setenv("FW_SERVICE_RATE_LIMIT", "7")
    monkeypatch.setenv("FW_SERVICE_ADMINS", "root, ada")
    settings = Settings.from_env(home="/tmp/fw-settings-test")
    assert settings.queue_prefix == "pfx" and settings.export_retry_backoff_s == (5,)
    config = ServiceConfig.from_env()
    assert config.rate_limit == 7 and config.admins == ("root", "ada")
