"""A process that imports the design service once, then forks a fresh ``fw_server.serve.run`` process per
``spawn PORT`` line on stdin (answering ``pid PID``): each service process starts in about a second instead of ten,
so a test can SIGKILL and restart one many times. Run as ``python -m tests.reliability.zygote``; its ``FW_*`` and
``FW_SERVICE_*`` environment configures the services."""

from __future__ import annotations

import asyncio
import os
import signal
import sys


def main() -> None:
    import tempfile
    import threading

    from fw_kernel.bootstrap import local_services
    from fw_kernel.settings import Settings
    from fw_server.app import make_app
    from fw_server.config import ServiceConfig
    from fw_server.serve import run

    with tempfile.TemporaryDirectory() as scratch:  # warm up: every lazy import, once, before any fork
        services = local_services(Settings(home=scratch, user="fw-service", queue="local", autosave_thread=False))
        make_app(services, ServiceConfig()).settings["fw_service"].close()
        services.close()
    assert threading.active_count() == 1, f"threads left before fork: {threading.enumerate()}"

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    for line in sys.stdin:
        words = line.split()
        if words[:1] != ["spawn"]:
            break
        port = int(words[1])
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                asyncio.run(run(port))
            finally:
                os._exit(0)
        print("pid", pid, flush=True)


if __name__ == "__main__":
    main()
