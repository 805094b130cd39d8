"""The chart's metrics options: the workers' metrics port, a ServiceMonitor for both, and the Grafana dashboard
whose every query names a metric the code exposes."""

from __future__ import annotations

import json
import re

from tests.server.test_deploy_recipe import CHART, RELEASE, container, deployment, env_of, render

DASHBOARD = CHART / "dashboards" / "fw-design-metrics.json"


def test_workers_serve_metrics_and_the_service_monitor_scrapes_both() -> None:
    manifests = render({"metrics": {"serviceMonitor": {"enabled": True, "labels": {"release": "kps"}},
                                    "analysts": "ann,bo", "eventRetentionDays": 400}})
    worker = container(deployment(manifests, "render-worker"))
    assert worker["command"][-2:] == ["--metrics-port", "9464"]
    assert worker["ports"] == [{"name": "metrics", "containerPort": 9464}]
    (monitor,) = manifests["ServiceMonitor"]
    assert monitor["metadata"]["labels"]["release"] == "kps"
    paths = {e["port"]: e["path"] for e in monitor["spec"]["endpoints"]}
    assert paths == {"http": "/services/fw/metrics", "metrics": "/metrics"}  # next to /services/fw/api/v1
    services = {s["metadata"]["name"]: s for s in manifests["Service"]}
    metrics_svc = services[f"{RELEASE}-fashion-wallet-worker-metrics"]
    assert metrics_svc["spec"]["ports"][0]["targetPort"] == "metrics"
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert all(selector.items() <= s["metadata"]["labels"].items() for s in services.values())
    env = env_of(container(deployment(manifests, "design-service")))
    assert env["FW_ANALYSTS"]["value"] == "ann,bo" and env["FW_EVENT_RETENTION_DAYS"]["value"] == "400"
    plain = render()
    assert "ServiceMonitor" not in plain and "ConfigMap" not in plain
    assert "--metrics-port" in container(deployment(plain, "render-worker"))["command"]
    off = render({"metrics": {"enabled": False}})
    assert "--metrics-port" not in container(deployment(off, "render-worker"))["command"]


def test_grafana_dashboard_queries_metrics_the_code_exposes() -> None:
    from fw_kernel.adapters import prom

    exposed = set()
    for value in vars(prom).values():
        name = getattr(value, "_name", None)
        if isinstance(name, str) and name.startswith("fw_"):
            exposed.add(name)
    exposed.add("fw_render_queue_depth")  # a collector read at scrape time
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(dashboard["panels"]) >= 10
    for expr in exprs:
        for name in re.findall(r"\bfw_[a-z_]+", expr):
            base = re.sub(r"_(bucket|count|sum|total)$", "", name)
            assert name in exposed or base in exposed or f"{base}_total" in exposed, (name, expr)
    (config_map,) = render({"metrics": {"grafanaDashboard": {"enabled": True}}})["ConfigMap"]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert json.loads(config_map["data"]["fw-design-metrics.json"]) == dashboard
