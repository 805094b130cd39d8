"""Optional imports that fail only when used, naming the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType


def require_driver(module: str, extra: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(
            f"{module} is needed for this setting; install it with: pip install 'fashion-wallet-studio[{extra}]'"
        ) from exc
