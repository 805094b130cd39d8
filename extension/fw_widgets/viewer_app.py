"""``python -m fw_widgets.viewer_app [NOTEBOOK] [voila options]``: serve the design viewer with Voila, offline.

Uses the ``fw_offline`` template shipped in this package (Voila's lab template without its CDN links), so the page
asks nothing of any host but the Voila server. Open ``http://127.0.0.1:8866/?design=<design id>``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = "fw_offline"
DEFAULT_NOTEBOOK = "notebooks/apps/design_viewer.ipynb"
#: the only JupyterLab extensions the app page loads: the widgets it shows. Others installed beside them (e.g.
#: jupyter-server-proxy's launcher) expect JupyterLab's shell, which Voila does not provide, and fail in the page.
EXTENSIONS = ("@voila-dashboards/widgets-manager8", "@voila-dashboards/widgets-manager7",
              "@jupyter-widgets/jupyterlab-manager", "jupyter-threejs", "jupyterlab-datawidgets", "jupyterlab_pygments")


def environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process' environment) with this package's templates on JUPYTER_PATH."""
    env = dict(os.environ if base is None else base)
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(HERE), env.get("JUPYTER_PATH", "")) if p)
    return env


def command(notebook: str = DEFAULT_NOTEBOOK, *options: str) -> list[str]:
    """The Voila command line for ``notebook`` with the offline template."""
    allow = [f"--VoilaConfiguration.extension_allowlist={name}" for name in EXTENSIONS]
    return [sys.executable, "-m", "voila", f"--template={TEMPLATE}", "--no-browser", *allow, notebook, *options]


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    notebook = args.pop(0) if args and not args[0].startswith("-") else DEFAULT_NOTEBOOK
    cmd = command(notebook, *args)
    os.execvpe(cmd[0], cmd, environment())


if __name__ == "__main__":
    main()
