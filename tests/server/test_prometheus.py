"""Prometheus metrics: a real Prometheus server (Debian's ``prometheus``) scrapes the design service's
``/metrics`` and its HTTP API answers for counters this test incremented; the worker's metrics port; and
multiprocess mode summing several processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client import REGISTRY

from fw_kernel.adapters import prom
from tests.support import ROOT
from tests.support.net import free_port, wait_port
from tests.support.service import RunningService

NAMES = ("fw_designs_created_total", "fw_design_active_sessions", "fw_autosave_duration_seconds",
         "fw_layer_operations_total", "fw_render_frame_seconds", "fw_render_queue_depth",
         "fw_export_duration_seconds", "fw_concurrent_editors_per_design", "fw_websocket_connections",
         "fw_collaboration_conflicts_total", "fw_api_request_duration_seconds", "fw_cache_hits_total",
         "fw_cache_misses_total", "fw_process_resident_memory_bytes")


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Prometheus:
    def __init__(self, tmp: Path, targets: dict[str, tuple[int, str]]):
        exe = shutil.which("prometheus") or "/usr/bin/prometheus"
        assert Path(exe).exists(), "Debian's prometheus is needed (./dev installs it: apt-get install prometheus)"
        jobs = "".join(f"  - job_name: {job}\n    metrics_path: {path}\n    static_configs:\n"
                       f"      - targets: ['127.0.0.1:{port}']\n" for job, (port, path) in targets.items())
        config = tmp / "prometheus.yml"
        config.write_text(f"global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n{jobs}")
        self.port = free_port()
        self.log = open(tmp / "prometheus.log", "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen([exe, f"--config.file={config}", f"--storage.tsdb.path={tmp / 'tsdb'}",
                                      f"--web.listen-address=127.0.0.1:{self.port}"],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port, 60)

    def query(self, expr: str) -> list[dict[str, Any]]:
        r = requests.get(f"http://127.0.0.1:{self.port}/api/v1/query", params={"query": expr}, timeout=10)
        r.raise_for_status()
        return r.json()["data"]["result"]

    def wait_for(self, expr: str, expected: float, timeout: float = 60.0) -> float:
        deadline, seen = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            result = self.query(expr)
            if result:
                seen = float(result[0]["value"][1])
                if seen == expected:
                    return seen
            time.sleep(0.5)
        raise AssertionError(f"{expr}: Prometheus has {seen}, the service counted {expected}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.mark.service
def test_prometheus_scrapes_the_design_service(sqlite_service: RunningService, tmp_path: Path) -> None:
    alice = sqlite_service.client("alice")
    body = requests.get(f"http://127.0.0.1:{sqlite_service.port}/metrics", timeout=10).text
    for name in NAMES:
        assert f"# HELP {name} " in body, name
    server = Prometheus(tmp_path, {"fw-service": (sqlite_service.port, "/metrics")})
    try:
        for n in range(3):
            did = alice.post("/designs", json={"name": f"Look {n}"}).json()["id"]
            assert alice.post(f"/designs/{did}/layers", json={"item_id": "sil-tshirt"}).status_code == 201
        created = _value("fw_designs_created_total")
        adds = _value("fw_layer_operations_total", operation="add")
        posts = _value("fw_api_request_duration_seconds_count", route="/designs", method="POST", status="201")
        assert created >= 3 and adds >= 3 and posts >= 3
        assert server.wait_for('fw_designs_created_total{job="fw-service"}', created) == created
        assert server.wait_for('fw_layer_operations_total{job="fw-service",operation="add"}', adds) == adds
        assert server.wait_for('fw_api_request_duration_seconds_count{job="fw-service",route="/designs",'
                               'method="POST",status="201"}', posts) == posts
        memory = server.query('fw_process_resident_memory_bytes{job="fw-service"}')
        assert memory and float(memory[0]["value"][1]) > 10_000_000
        up = server.query('up{job="fw-service"}')
        assert up and up[0]["value"][1] == "1"
    finally:
        server.stop()


def test_worker_metrics_port_serves_the_queue_depth() -> None:
    class FakeQueue:
        _queue = type("Q", (), {"qsize": staticmethod(lambda: 4)})()

    prom.register_queue(FakeQueue())
    port = free_port()
    server = prom.serve(port, "127.0.0.1")
    try:
        body = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
        assert 'fw_render_queue_depth{priority="default"} 4.0' in body
        assert 'fw_process_resident_memory_bytes{process="worker"}' in body
        assert requests.get(f"http://127.0.0.1:{port}/other", timeout=10).status_code == 404
    finally:
        server.shutdown()


def test_multiprocess_mode_sums_the_processes(tmp_path: Path) -> None:
    """Several processes behind one port (PROMETHEUS_MULTIPROC_DIR): one scrape sums their counters."""
    folder = tmp_path / "prom"
    folder.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder),
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "extension"), str(ROOT / "server")])}
    bump = ("from fw_kernel.adapters import prom; from fw_kernel.domain.events import Event; "
            "from datetime import datetime, UTC; o = prom.EventMetrics(); "
            "[o(Event('design_created', 'u', datetime.now(UTC))) for _ in range({n})]")
    for n in (2, 5):
        subprocess.run([sys.executable, "-c", bump.format(n=n)], env=env, check=True, timeout=120)
    out = subprocess.run([sys.executable, "-c", "from fw_kernel.adapters import prom; "
                          "import sys; sys.stdout.write(prom.exposition()[0].decode())"],
                         env=env, check=True, timeout=120, capture_output=True, text=True).stdout
    assert "fw_designs_created_total 7.0" in out
