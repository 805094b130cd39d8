"""Layering rules and import-time behaviour."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold() -> None:
    exe = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(exe)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 6 kept, 0 broken" in result.stdout


def test_importing_connects_to_nothing_and_loads_no_driver() -> None:
    code = ("import sys, fw_kernel; heavy = {'sqlalchemy', 'pymongo', 'redis', 'psycopg', 'alembic'} & "
            "set(sys.modules); print(sorted(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_missing_optional_driver_names_the_extra() -> None:
    code = ("import sys; sys.modules['pymongo'] = None\n"
            "from fw_kernel.adapters.documents_mongo import MongoDocumentStore\n"
            "try:\n    MongoDocumentStore('mongodb://127.0.0.1:1')\nexcept ImportError as e:\n    print(e)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "fashion-wallet-studio[mongo]" in out


def test_no_import_cycles_between_the_client_halves_or_the_app_and_its_events() -> None:
    code = ("import sys\n"
            "import fw_kernel.adapters.remote_events\n"
            "print('fw_kernel.adapters.remote_http' in sys.modules)\n"
            "import fw_server.events\n"
            "print('fw_server.app' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]
