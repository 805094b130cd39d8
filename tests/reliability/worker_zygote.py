"""An export worker that imports ``fw worker``'s code once, then forks one ``fw worker`` process per ``spawn LOG``
line on stdin (answering ``pid PID``), so a test can SIGKILL workers at random points many times (a fresh
interpreter takes ~8 s to import the renderer and the queue; a fork starts working at once). Each worker runs in
its own session (``killpg`` takes RQ's scheduler child too) with stdout and stderr in ``LOG``. Run as
``python -m tests.reliability.worker_zygote WORKER-ARGS...``; its ``FW_*`` environment configures the services
(``FW_REDIS_URL``, ``FW_QUEUE_PREFIX``, ``FW_HOME``...)."""

from __future__ import annotations

import os
import signal
import sys


def main() -> None:
    import tempfile
    import threading

    import av  # noqa: F401 (every lazy import of an export, once, before any fork)
    import pyrender  # noqa: F401
    import rq
    import rq.worker  # noqa: F401
    from PIL import Image  # noqa: F401

    from fw_kernel import cli, worker  # noqa: F401
    from fw_kernel.bootstrap import local_services
    from fw_kernel.settings import Settings

    with tempfile.TemporaryDirectory() as scratch:
        local_services(Settings(home=scratch, user="fw-worker", queue="local", autosave_thread=False)).close()
    # no GL context and no thread before a fork: each worker makes its own
    assert threading.active_count() == 1, f"threads left before fork: {threading.enumerate()}"

    args = sys.argv[1:]
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    for line in sys.stdin:
        words = line.split(maxsplit=1)
        if words[:1] != ["spawn"] or len(words) != 2:
            break
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.setsid()
            fd = os.open(words[1].strip(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            code = 1
            try:
                code = cli.main(["worker", *args])
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code or 0)
        print("pid", pid, flush=True)


if __name__ == "__main__":
    main()
