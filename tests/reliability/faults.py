"""Fault injection helpers: the service processes (forked from :mod:`tests.reliability.zygote`) and a private
PostgreSQL server, all on their own ports; the shared servers on 5432/6379 are never touched."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.support.net import free_port, wait_port
from tests.support.servers import ServerProcess

ROOT = Path(__file__).resolve().parents[2]


class Zygote:
    """A warmed-up process (``python -m MODULE ARGS``) that forks one child per line written to its stdin and
    answers ``pid PID``; :mod:`tests.reliability.zygote`, ``kernel_zygote`` and ``worker_zygote`` are such."""

    def __init__(self, module: str, env: dict[str, str | None], args: tuple[str, ...] = (), quiet: bool = True):
        """``env``: added to this process's environment (with the repository on PYTHONPATH); a None value removes a
        variable. ``quiet``: drop the zygote's stderr."""
        path = os.pathsep.join([str(ROOT), str(ROOT / "extension"), str(ROOT / "server"),
                                os.environ.get("PYTHONPATH", "")])
        self.proc = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, text=True,
                                     env={k: v for k, v in {**os.environ, "PYTHONPATH": path, **env}.items()
                                          if v is not None}, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL if quiet else None)

    def fork(self, line: str) -> int:
        """Send ``line``; the pid of the child forked for it."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{line}\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().split()
        assert answer[:1] == ["pid"], f"the zygote did not fork: {answer}"
        return int(answer[1])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class ServiceZygote(Zygote):
    """``spawn()`` a service process on a fresh port (same home and stores each time), ``kill()`` it with SIGKILL."""

    def __init__(self, env: dict[str, str | None]):
        """``env``: ``FW_*`` settings of the services; a None value removes a variable of this process."""
        super().__init__("tests.reliability.zygote", env)
        self.pid: int | None = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def spawn(self, timeout: float = 120) -> None:
        self.port = free_port()
        self.pid = self.fork(f"spawn {self.port}")
        wait_port(self.port, timeout)

    def kill(self) -> None:
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
            while _alive(self.pid) and time.monotonic() < deadline:
                time.sleep(0.01)
            self.pid = None

    def close(self) -> None:
        self.kill()
        super().close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers kill(0): look at its state
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise RuntimeError(f"PostgreSQL's {name} is needed for the fault tests")


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the ``postgres`` user when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class PostgresServer(ServerProcess):
    """A private PostgreSQL cluster (initdb in a temporary directory; fsync off: a killed server, not a killed
    machine, so the operating system keeps what was written; synchronous_commit stays on) on its own port;
    ``stop()`` SIGKILLs the postmaster and its backends, ``start()`` recovers from the WAL."""

    scheme = "postgresql"

    def __init__(self, port: int | None = None):
        import tempfile

        super().__init__(port)
        # its own directory under /tmp (pytest's are private to root; the server runs as ``postgres``)
        self.data_dir = data_dir = Path(tempfile.mkdtemp(prefix="fw-test-pg-"))
        if os.geteuid() == 0:
            shutil.chown(data_dir, "postgres")
        subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(data_dir), "-U", "postgres", "-A", "trust",
                                     "--no-sync"]), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def command(self) -> list[str]:
        return _as_postgres([_pg_bin("postgres"), "-D", str(self.data_dir), "-p", str(self.port), "-h", "127.0.0.1",
                             "-k", "", "-c", "fsync=off", "-c", "full_page_writes=off",
                             "-c", "max_connections=60"])  # commits are written (not fsynced) before they return

    def remove(self) -> None:
        """Stop it and delete its data directory."""
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def start(self) -> PostgresServer:
        log = (self.data_dir / "server.log").open("ab")
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=log)
        log.close()
        wait_port(self.port, 60)
        return self

    def stop(self) -> None:
        """SIGKILL the postmaster and its backends (a crashed server), wait until they are gone."""
        if self.proc is None:
            return
        master = _postmaster_pid(self.data_dir) or self.proc.pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(master, signal.SIGSTOP)          # it forks no backend from now on
        victims = [master, *_children(master)]
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in victims) and time.monotonic() < deadline:
            time.sleep(0.02)
        # a killed postmaster may linger as a zombie (no init reaps it in a container) and its pid file would
        # stop the next one: gone processes leave the lock to whoever starts next, as after a real crash
        if not any(_alive(pid) for pid in victims):
            (self.data_dir / "postmaster.pid").unlink(missing_ok=True)


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _children(pid: int) -> list[int]:
    out = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if int((p / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(p.name))
            except (OSError, ValueError, IndexError):
                pass
    return out


def wait_http(url: str, timeout: float = 60) -> Any:
    import requests

    deadline = time.monotonic() + timeout
    while True:
        try:
            return requests.get(url, timeout=5)
        except requests.RequestException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
