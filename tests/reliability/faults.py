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


class ServiceZygote:
    """``spawn()`` a service process on a fresh port (same home and stores each time), ``kill()`` it with SIGKILL."""

    def __init__(self, env: dict[str, str | None]):
        """``env``: ``FW_*`` settings of the services; a None value removes a variable of this process."""
        path = os.pathsep.join([str(ROOT), str(ROOT / "extension"), str(ROOT / "server"),
                                os.environ.get("PYTHONPATH", "")])
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.zygote"], cwd=ROOT, text=True,
                                     env={k: v for k, v in {**os.environ, "PYTHONPATH": path, **env}.items()
                                          if v is not None}, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.pid: int | None = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def spawn(self, timeout: float = 120) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.port = free_port()
        self.proc.stdin.write(f"spawn {self.port}\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().split()
        assert answer[:1] == ["pid"], f"the zygote did not fork: {answer}"
        self.pid = int(answer[1])
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
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


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
    """A private PostgreSQL cluster (initdb in a temporary directory, fsync off: a killed server, not a killed
    machine) on its own port; ``stop()`` SIGKILLs the postmaster, ``start()`` recovers from the WAL."""

    scheme = "postgresql"

    def __init__(self, data_dir: Path, port: int | None = None):
        super().__init__(port)
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(data_dir, "postgres")
            os.chmod(data_dir, 0o700)
        subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(data_dir), "-U", "postgres", "-A", "trust",
                                     "--no-sync"]), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def command(self) -> list[str]:
        return _as_postgres([_pg_bin("postgres"), "-D", str(self.data_dir), "-p", str(self.port), "-h", "127.0.0.1",
                             "-k", str(self.data_dir), "-c", "fsync=off", "-c", "synchronous_commit=off",
                             "-c", "full_page_writes=off", "-c", "max_connections=60"])

    def start(self) -> PostgresServer:
        super().start()
        wait_port(self.port)
        return self

    def stop(self) -> None:
        """SIGKILL the postmaster (its backends exit when they notice), wait until the port is free."""
        if self.proc is None:
            return
        pid = _postmaster_pid(self.data_dir) or self.proc.pid
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # orphaned backends go when the postmaster does
            if not any(_cmdline_has(p, str(self.data_dir)) for p in _pids()):
                break
            time.sleep(0.05)


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _cmdline_has(pid: int, text: str) -> bool:
    try:
        return text in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False


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
