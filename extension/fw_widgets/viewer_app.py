"""``python -m fw_widgets.viewer_app [APP|NOTEBOOK] [voila options]`` (also ``fw app APP``): serve a Voila app
offline: ``viewer`` (one design, ``?design=<id>``), ``gallery`` (the published designs) or ``metrics`` (the team
metrics dashboard), or any notebook path.

Uses the ``fw_offline`` template shipped in this package (Voila's lab template without its CDN links), so the page
asks nothing of any host but the Voila server. Opened any other way (``voila <notebook>``, JupyterLab's
``/voila/render/...``, a hub service) the apps still get it: their notebooks name it in their metadata, and the
wheel installs the template under ``share/jupyter/voila/templates/`` and Voila's configuration
(``etc/jupyter/voila.json``: the template and the extension allowlist) beside it, which the ``voila`` command and
the server extension both read. Open ``http://127.0.0.1:8866/``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = "fw_offline"
CONFIG = HERE / "jupyter_config"  # what the wheel installs as etc/jupyter/voila.json
#: the app notebooks: in a checkout, notebooks/apps/; in a wheel, fw_widgets/apps/
APPS = {"viewer": "design_viewer.ipynb", "gallery": "gallery.ipynb", "metrics": "design_metrics.ipynb"}
DEFAULT_NOTEBOOK = "notebooks/apps/design_viewer.ipynb"
#: the only JupyterLab extensions an app page loads: the widgets it shows. Others installed beside them (e.g.
#: jupyter-server-proxy's launcher) expect JupyterLab's shell, which Voila does not provide, and fail in the page.
EXTENSIONS: tuple[str, ...] = tuple(json.loads((CONFIG / "voila.json").read_text())["VoilaConfiguration"]
                                    ["extension_allowlist"])


def app_notebook(name: str) -> Path:
    """The notebook of app ``name`` (viewer, gallery, metrics), or ``name`` itself when it is a path."""
    if name not in APPS:
        return Path(name)
    for folder in (HERE / "apps", HERE.parent.parent / "notebooks" / "apps"):
        if (folder / APPS[name]).is_file():
            return folder / APPS[name]
    raise FileNotFoundError(f"the {name} app's notebook {APPS[name]} is not installed (looked in fw_widgets/apps "
                            "and notebooks/apps)")


def environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process' environment) with this package's templates on JUPYTER_PATH and its Voila
    configuration on JUPYTER_CONFIG_PATH (where a wheel install puts them already: for checkouts)."""
    env = dict(os.environ if base is None else base)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(HERE), env.get("JUPYTER_PATH", "")) if p)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(p for p in (str(CONFIG), env.get("JUPYTER_CONFIG_PATH", "")) if p)
    return env


def command(notebook: str = DEFAULT_NOTEBOOK, *options: str) -> list[str]:
    """The Voila command line for ``notebook`` (a path, or an app name) with the offline template."""
    allow = [f"--VoilaConfiguration.extension_allowlist={name}" for name in EXTENSIONS]
    return [sys.executable, "-m", "voila", f"--template={TEMPLATE}", "--no-browser", *allow,
            str(app_notebook(notebook)), *options]


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    notebook = args.pop(0) if args and not args[0].startswith("-") else DEFAULT_NOTEBOOK
    cmd = command(notebook, *args)
    os.execvpe(cmd[0], cmd, environment())


if __name__ == "__main__":
    main()
