# JupyterHub for Fashion Wallet Studio: `jupyterhub -f server/jupyterhub_config.py` (or `fw hub --port P`).
# Settings are FW_HUB_* variables (users, admin token, ports, proxy) and the design service's FW_* ones:
# see server/fw_server/hub.py.
from fw_server.hub import configure

configure(get_config())  # noqa: F821 - given by JupyterHub
