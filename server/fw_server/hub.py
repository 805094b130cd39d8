"""A JupyterHub for the studio: ``fw hub --port P`` (or ``jupyterhub -f server/jupyterhub_config.py``).

- users and passwords from ``FW_HUB_USERS="alice:secret,bob:other"`` (:class:`PasswordTableAuthenticator`),
  admins from ``FW_HUB_ADMINS="alice"``;
- each user's JupyterLab runs as a local process (``SimpleLocalProcessSpawner``) under
  ``FW_HUB_HOME/users/<name>``, with ``FW_SERVICE_URL`` pointing at the design service and no database settings:
  ``fw.connect()`` there talks to the service with the server's ``JUPYTERHUB_API_TOKEN``;
- the design service (``fw service``) is a Hub-managed service at ``/services/fw/``: it gets every ``FW_*``
  setting (database, stores, secret) and checks tokens with the Hub; users and their servers' tokens get
  ``access:services!service=fw``;
- with ``FW_REDIS_URL`` (exports on RQ) a render worker (``fw worker``) runs as a second managed service;
- the Voila apps (gallery, team metrics, design viewer) are copied into each user's home as ``fw-apps/`` before
  their server starts (``pre_spawn_hook``), with the offline template on the server's Jupyter paths: a team lead
  shares :func:`app_link` (``/hub/user-redirect/voila/render/fw-apps/gallery.ipynb``), which opens the app on
  whoever follows it, signed in as themselves, in their own server (started on the way) without JupyterLab;
- ``FW_HUB_ADMIN_TOKEN``: a token for the Hub's admin REST API (``/hub/api``: users, servers, tokens);
- the proxy is configurable-http-proxy: ``FW_HUB_PROXY``, else ``.tools/node_modules/.bin/`` (``./dev test``
  installs it there), else ``configurable-http-proxy`` on the PATH.

Ports: ``FW_HUB_PORT`` (public, 8000), ``FW_HUB_API_PORT`` (the Hub itself), ``FW_HUB_PROXY_API_PORT`` and
``FW_HUB_SERVICE_PORT`` (the design service), all on 127.0.0.1 unless ``FW_HUB_IP`` says otherwise.
"""

from __future__ import annotations

import hmac
import os
import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fw_kernel.settings import Environment

CONFIG_FILE = """# JupyterHub for Fashion Wallet Studio: see fw_server/hub.py (settings are FW_HUB_* variables)
from fw_server.hub import configure

configure(get_config())  # noqa: F821 - given by JupyterHub
"""


APPS_FOLDER = "fw-apps"
"""Where each user's home holds the app notebooks on the hub (``/voila/render/fw-apps/<app>.ipynb``)."""


def app_link(app: str, hub_url: str = "", **query: str) -> str:
    """The link a team lead shares to app ``app`` (gallery, metrics, viewer; ``query``: e.g. ``design=<id>`` for
    the viewer): ``{hub_url}/hub/user-redirect/voila/render/fw-apps/<notebook>``. The hub asks whoever opens it to
    sign in, starts their server if needed and renders the app there as Voila (no JupyterLab)."""
    from fw_widgets.viewer_app import APPS

    if app not in APPS:
        raise ValueError(f"unknown app {app!r}: one of {', '.join(APPS)}")
    link = f"{hub_url.rstrip('/')}/hub/user-redirect/voila/render/{APPS_FOLDER}/{quote(APPS[app])}"
    return link + ("?" + urlencode(query) if query else "")


def install_apps(home: Path) -> list[Path]:
    """Copy the app notebooks into ``home/fw-apps/`` (replacing older copies: the hub's version wins)."""
    from fw_widgets.viewer_app import APPS, app_notebook

    folder = Path(home) / APPS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in APPS:
        target = folder / app_notebook(name).name
        shutil.copyfile(app_notebook(name), target)
        copied.append(target)
    return copied


def _pre_spawn(spawner: Any) -> None:
    install_apps(Path(spawner.home_dir))


def _table(value: str) -> dict[str, str]:
    """``"user:password,..."`` -> {user: password} (a password may contain ':')."""
    table: dict[str, str] = {}
    for entry in filter(None, (e.strip() for e in value.split(","))):
        user, sep, password = entry.partition(":")
        if not sep or not user or not password:
            raise ValueError(f"FW_HUB_USERS entry {entry.split(':')[0]!r}...: expected user:password")
        table[user] = password
    return table


def _authenticator_class() -> type:
    from jupyterhub.auth import Authenticator
    from traitlets import Dict

    class PasswordTableAuthenticator(Authenticator):
        """Users and passwords from a table (``FW_HUB_USERS``); anyone else is refused."""

        passwords = Dict(help="user name -> password").tag(config=True)

        async def authenticate(self, handler: Any, data: dict[str, str]) -> str | None:
            name, password = data.get("username", ""), data.get("password", "")
            expected = self.passwords.get(name)
            if expected is None or not hmac.compare_digest(expected.encode(), password.encode()):
                return None
            return name

    return PasswordTableAuthenticator


def find_proxy() -> str:
    explicit = Environment().hub_proxy
    if explicit:
        return explicit
    for root in (Path.cwd(), Path(__file__).resolve().parents[2]):
        local = root / ".tools" / "node_modules" / ".bin" / "configurable-http-proxy"
        if local.exists():
            return str(local)
    found = shutil.which("configurable-http-proxy")
    if found is None:
        raise RuntimeError("configurable-http-proxy not found: npm install configurable-http-proxy (./dev test puts "
                           "it in .tools/), or set FW_HUB_PROXY")
    return found


def configure(c: Any) -> None:
    """Fill a JupyterHub config object from the ``FW_HUB_*`` settings."""
    env = os.environ
    fw = Environment()  # every FW_* variable, with its help text (fw_kernel.settings)
    ip = fw.hub_ip or "127.0.0.1"
    port = fw.hub_port or 8000
    api_port = fw.hub_api_port or port + 1
    proxy_api_port = fw.hub_proxy_api_port or port + 2
    service_port = fw.hub_service_port or port + 3
    home = Path(fw.hub_home or Path(fw.home or "~/.fashion-wallet").expanduser() / "hub")
    home.mkdir(parents=True, exist_ok=True)
    users = _table(fw.hub_users or "")
    if not users:
        raise ValueError("FW_HUB_USERS is empty: give the hub's users as user:password,...")
    admins = {a.strip() for a in (fw.hub_admins or "").split(",") if a.strip()}

    c.JupyterHub.bind_url = f"http://{ip}:{port}"
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{api_port}"
    c.JupyterHub.db_url = f"sqlite:///{home / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(home / "jupyterhub_cookie_secret")
    c.JupyterHub.cleanup_servers = True
    c.ConfigurableHTTPProxy.command = [find_proxy()]
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{proxy_api_port}"
    c.ConfigurableHTTPProxy.pid_file = str(home / "proxy.pid")

    c.JupyterHub.authenticator_class = _authenticator_class()
    c.PasswordTableAuthenticator.passwords = users
    c.Authenticator.allowed_users = set(users)
    c.Authenticator.admin_users = admins

    c.JupyterHub.spawner_class = "jupyterhub.spawner.SimpleLocalProcessSpawner"
    c.SimpleLocalProcessSpawner.home_dir_template = str(home / "users" / "{username}")
    c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
    c.Spawner.default_url = "/lab"
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI run as root; Jupyter refuses it otherwise
        c.Spawner.args = ["--allow-root"]
    c.Spawner.start_timeout = 180
    c.Spawner.http_timeout = 180
    service_url = f"http://127.0.0.1:{port}/services/fw/"
    # the user's kernels: the service's address, and no FW_* database settings (env_keep does not pass them)
    # anny's body-model cache (built once per machine: 1-2 min, ~0.8 GB) is the hub's, not one per user home
    # (the local spawner gives each user a fresh HOME), so a kernel's first studio loads it in seconds
    anny_cache = env.get("ANNY_CACHE_DIR") or str(Path("~/.cache/anny").expanduser())
    from fw_widgets.viewer_app import environment as voila_paths

    # the offline Voila template and configuration on the servers' Jupyter paths (a checkout or editable install)
    paths = {k: v for k, v in voila_paths({}).items() if k in ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH")}
    c.Spawner.environment = {"FW_SERVICE_URL": service_url, "ANNY_CACHE_DIR": anny_cache, **paths}
    c.Spawner.pre_spawn_hook = _pre_spawn  # the apps in each user's home, for app_link()
    c.JupyterHub.implicit_spawn_seconds = 2  # a shared link to a stopped server starts it (after a 2 s notice)

    # the design service gets the FW_* settings (database, stores, secret); the Hub adds its JUPYTERHUB_* ones
    service_env = {k: v for k, v in env.items() if not k.startswith(("JUPYTERHUB_", "FW_HUB_"))}
    services: list[dict[str, Any]] = [{
        "name": "fw", "url": f"http://127.0.0.1:{service_port}", "oauth_no_confirm": True,
        "command": [sys.executable, "-m", "fw_kernel.cli", "service", "--port", str(service_port)],
        "environment": service_env,
    }]
    queue = fw.queue or ("rq" if fw.redis_url else "local")
    if queue == "rq":  # exports go to RQ: a render worker beside the service (more on GPU machines: `fw worker`)
        services.append({"name": "fw-worker", "environment": service_env,
                         "command": [sys.executable, "-m", "fw_kernel.cli", "worker"]})
    access = "access:services!service=fw"
    roles: list[dict[str, Any]] = [
        {"name": "user", "scopes": ["self", access]},
        {"name": "server", "scopes": ["users:activity!user", "access:servers!server", access]},
    ]
    admin_token = fw.hub_admin_token
    if admin_token:
        services.append({"name": "fw-admin", "api_token": admin_token})
        roles.append({"name": "fw-admin", "services": ["fw-admin"],
                      "scopes": ["admin:users", "admin:servers", "tokens", "access:servers", "access:services",
                                 "read:services", "read:hub"]})
    c.JupyterHub.services = services
    c.JupyterHub.load_roles = roles


def run(port: int, ip: str = "127.0.0.1") -> int:
    """``fw hub``: write the config into the hub's home and run JupyterHub in this process."""
    import socket

    def free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    os.environ["FW_HUB_PORT"] = str(port)
    os.environ["FW_HUB_IP"] = ip
    for name in ("FW_HUB_API_PORT", "FW_HUB_PROXY_API_PORT", "FW_HUB_SERVICE_PORT"):
        os.environ.setdefault(name, str(free_port()))
    fw = Environment()
    home = Path(fw.hub_home or Path(fw.home or "~/.fashion-wallet").expanduser() / "hub")
    home.mkdir(parents=True, exist_ok=True)
    config = home / "jupyterhub_config.py"
    config.write_text(CONFIG_FILE)
    from jupyterhub.app import main

    main(argv=["-f", str(config)])
    return 0
