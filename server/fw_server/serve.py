"""Run the service: ``fw service --port P`` / ``python -m fw_server --port P``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from typing import Any

from .config import ServiceConfig

log = logging.getLogger("fw_server")


async def run(port: int, address: str = "127.0.0.1", config: ServiceConfig | None = None,
              ready: Any = None, **settings: Any) -> None:
    """Serve until SIGINT/SIGTERM. ``settings``: kernel :class:`Settings` overrides (else ``FW_*``)."""
    import tornado.httpserver

    from fw_kernel.bootstrap import local_services
    from fw_kernel.settings import Settings

    from .app import make_app

    config = config or ServiceConfig.from_env()
    if "FW_SERVICE_SECRET" not in os.environ:
        log.warning("FW_SERVICE_SECRET is not set: a random secret signs this process's download links and undo "
                    "stacks; give every service process the same secret")
    settings.setdefault("user", "fw-service")  # never acts as itself: every call names the request's user
    services = local_services(Settings.from_env(**settings))  # the service holds the stores
    app = make_app(services, config)
    service = app.settings["fw_service"]
    await service.events.start()
    # bodies over the limit get a 413 from the handler; this cap only bounds what Tornado buffers before it
    cap = max(config.max_body_bytes * 2, config.max_photo_body_bytes, 10_000_000)  # photo uploads are larger
    server = tornado.httpserver.HTTPServer(app, max_body_size=cap, xheaders=True)
    server.listen(port, address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.warning("fw service on http://%s:%d%s (auth: %s, database: %s)", address, port, service.prefix, config.auth,
                services.settings.resolved_database_url.split("@")[-1])
    if ready is not None:
        ready()
    await stop.wait()
    server.stop()
    await service.events.stop()
    await service.limiter.close()
    service.close()
    services.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="fw service", description="the design service (REST API + events)")
    add_arguments(parser)
    return start(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--ip", default="127.0.0.1", help="address to listen on")


def start(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(run(args.port, args.ip))
    return 0
