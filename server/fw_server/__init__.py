"""The design service: the REST API (``/api/v1``), its OpenAPI document and WebSocket events over the kernel's
services, behind JupyterHub (or a static token table). Only this process holds the database credentials.

``fw service --port P`` (or ``python -m fw_server``) runs it; :func:`fw_server.app.make_app` builds the app.
"""

__version__ = "0.1.0"
