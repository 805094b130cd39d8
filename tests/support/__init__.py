"""Helpers shared by the tests: free ports (``net``), test servers (``servers``), the design service
(``service``). Fixtures over them live in the ``conftest.py`` files."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
"""The repository root."""
