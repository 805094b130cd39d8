"""The design service behind jupyter-server-proxy: ``/fw-service/`` in a single-user Jupyter server without a hub.

Registered as the ``fw-service`` server process through the ``jupyter_serverproxy_servers`` entry point (see
``pyproject.toml``). The first request to ``{base_url}fw-service/...`` makes jupyter-server-proxy start
``fw service --ip 127.0.0.1 --port {port}``; later requests are forwarded to it, WebSockets included. The service
reads the same ``FW_*`` settings (``FW_HOME`` and the embedded SQLite default, unless a database is configured) as
the notebook kernels started by the same Jupyter server, so the designs made in a notebook are the ones the REST
API serves. It answers at ``{base_url}fw-service/api/v1/...`` (``absolute_url``: the proxy keeps the path, so the
links the service writes, such as signed download URLs, point back through the proxy).

Who may call it:

- jupyter-server-proxy lets a request through only when the Jupyter server authenticated it (its token or login
  cookie), and then replaces the request's ``Authorization`` header with a per-launch secret token
  (``request_headers_override``): the Jupyter token never reaches the service;
- the service runs with the static token table (``FW_SERVICE_AUTH=static``) holding only that secret, mapped to
  the local user (``FW_USER``, else ``JUPYTERHUB_USER``, else the OS user: the kernels' user). The secret is made
  anew each time the Jupyter server starts and travels in the service's environment, never on a command line;
- the service listens on 127.0.0.1 only. A process on the machine that reaches the port directly, without the
  secret, gets 401.

In a hub's single-user server (``FW_SERVICE_URL`` set: the kernels use the hub's design service) the launcher
tile is hidden; ``/fw-service/`` still serves the user's own embedded storage there if opened by hand.
"""

from __future__ import annotations

import getpass
import os
import secrets
import sys
from pathlib import Path
from typing import Any

NAME = "fw-service"
TITLE = "Fashion Wallet API"
ICON = Path(__file__).with_name("fw-service.svg")
START_TIMEOUT_S = 120.0  # a cold start imports the kernel and migrates the SQLite file: seconds, more on a busy box
_FORBIDDEN_IN_USER = set(":,{}")  # the token table's separators and str.format's braces (the proxy formats env)


def local_user() -> str:
    """The kernels' default user (as :class:`fw_kernel.settings.Settings` picks it), without importing the kernel
    into the Jupyter server at start-up."""
    return os.environ.get("FW_USER") or os.environ.get("JUPYTERHUB_USER") or getpass.getuser()


def setup() -> dict[str, Any]:
    """The jupyter-server-proxy configuration of ``fw-service`` (called once when the Jupyter server starts)."""
    user = local_user()
    if not user or _FORBIDDEN_IN_USER & set(user):
        raise ValueError(f"the local user name {user!r} cannot name the design service's user: set FW_USER to a "
                         "name without ':', ',', '{' or '}'")
    token = secrets.token_urlsafe(32)  # URL-safe alphabet: no ':', ',' or braces
    return {
        "command": [sys.executable, "-m", "fw_kernel.cli", "service", "--ip", "127.0.0.1", "--port", "{port}"],
        "environment": {
            "FW_SERVICE_PREFIX": "{base_url}" + NAME + "/api/v1",  # base_url ends with '/'
            "FW_SERVICE_AUTH": "static",  # even inside a hub's single-user server: not the hub's tokens
            "FW_SERVICE_TOKENS": f"{token}:{user}",
            "FW_SERVICE_SECRET": secrets.token_hex(32),  # signs this run's download links and undo stacks
        },
        "absolute_url": True,
        "timeout": START_TIMEOUT_S,
        "request_headers_override": {"Authorization": f"token {token}"},
        "new_browser_tab": True,
        "launcher_entry": {
            # on a hub (FW_SERVICE_URL set) the kernels use the hub's service: no tile for a private one
            "enabled": not os.environ.get("FW_SERVICE_URL"),
            "title": TITLE,
            "icon_path": str(ICON),
            "path_info": f"{NAME}/api/v1/openapi.json",  # the service's root is not a page: open its API document
            "category": "Other",
        },
    }
