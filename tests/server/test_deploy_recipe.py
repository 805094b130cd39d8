"""The production recipe (``server/helm/``, ``server/docker/``): Helm's own Go SDK (helm-python-sdk, no helm binary)
lints and renders our chart, and the rendered manifests are checked: the service gets its settings from Secrets
and its probes hit an endpoint the service really serves, workers ask for a GPU when told to, the single-user
servers of the Zero to JupyterHub values hold no database setting. The Dockerfiles are parsed: what they copy
exists, the settings they name are read by the code, the commands they run exist.

Not covered (cannot be, here): the z2jh chart itself is not rendered (it is not vendored and nothing can be
fetched); its values are checked structurally against what ``fw hub`` configures. No image is built."""

from __future__ import annotations

import copy
import io
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import requests
import yaml
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parents[2]
HELM = ROOT / "server" / "helm"
CHART = HELM / "fashion-wallet"
DOCKER = ROOT / "server" / "docker"
RELEASE = "studio"  # the release name jupyterhub-values.yaml assumes
SUBCHARTS = {"postgresql", "mongodb", "redis", "minio"}
EXTERNAL = {"secrets": {"databaseUrl": "postgresql://fw:pw@db.internal:5432/fashion_wallet",
                        "redisUrl": "redis://:pw@redis.internal:6379/0", "storageUrl": "s3://fw-blobs/prod",
                        "mongoUrl": "mongodb://fw:pw@mongo.internal:27017/?authSource=admin"}}
CREDENTIAL_WORDS = ("DATABASE", "PASSWORD", "MONGO", "REDIS", "SECRET", "STORAGE", "AWS_")


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def render(values: dict[str, Any] | None = None) -> dict[str, list[dict[str, Any]]]:
    """The chart rendered offline (as ``helm template``) -> {kind: [manifest, ...]}."""
    with helm.Chart.load(str(CHART)) as chart:
        files = chart.render(_merge(EXTERNAL, values or {}), name=RELEASE, namespace="fashion")
    out: dict[str, list[dict[str, Any]]] = {}
    for path, text in files.items():
        if path.endswith(".txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                out.setdefault(doc["kind"], []).append(doc)
    return out


def deployment(manifests: dict[str, list[dict[str, Any]]], component: str) -> dict[str, Any]:
    (found,) = [d for d in manifests.get("Deployment", [])
                if d["metadata"]["labels"]["app.kubernetes.io/component"] == component]
    return found


def container(dep: dict[str, Any]) -> dict[str, Any]:
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    return c


def env_of(c: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in c["env"]}


def code_env_names() -> set[str]:
    """Every FW_* name the Python code reads (the fields of fw_kernel.settings.Environment) or mentions (its docs
    and messages)."""
    from fw_kernel.settings import Environment

    names = {f"FW_{name.upper()}" for name in Environment.model_fields}
    for folder in ("fw_kernel", "server/fw_server", "extension/fw_widgets"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(re.findall(r"\bFW_[A-Z0-9_]*[A-Z0-9]\b", path.read_text()))
    return names


def cli_options(*command: str) -> str:
    out = subprocess.run([sys.executable, "-m", "fw_kernel.cli", *command, "--help"], capture_output=True,
                         text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    return out.stdout


# -- YAML and lint ----------------------------------------------------------------------------------------------
def test_every_yaml_file_parses() -> None:
    files = [p for p in HELM.rglob("*.yaml") if "templates" not in p.parts]
    assert {p.name for p in files} >= {"jupyterhub-values.yaml", "Chart.yaml", "values.yaml"}
    for path in files:
        assert isinstance(yaml.safe_load(path.read_text()), dict), path
    assert json.loads((CHART / "values.schema.json").read_text())["type"] == "object"


def test_helm_lint_finds_no_error() -> None:
    report = helm.lint(str(CHART), EXTERNAL)
    assert report["total_charts_linted"] == 1
    assert report["errors"] == [], report
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    # the Bitnami subcharts are optional and not vendored (`helm dependency build` fetches them): that warning only
    assert [m["error"] for m in problems] == ["chart directory is missing these dependencies: "
                                              "postgresql,mongodb,redis,minio"], problems
    deps = yaml.safe_load((CHART / "Chart.yaml").read_text())["dependencies"]
    assert {d["name"] for d in deps} == SUBCHARTS
    assert all(d["condition"] == f"{d['name']}.enabled" for d in deps)
    assert not (CHART / "charts").exists()  # not vendored


# -- the design service ---------------------------------------------------------------------------------------
def test_the_service_gets_its_settings_from_secrets() -> None:
    manifests = render()
    (secret,) = manifests["Secret"]
    secret_name = secret["metadata"]["name"]
    assert secret["stringData"]["FW_DATABASE_URL"] == EXTERNAL["secrets"]["databaseUrl"]
    assert len(secret["stringData"]["FW_SERVICE_SECRET"]) == 64  # generated when not given
    dep = deployment(manifests, "design-service")
    c = container(dep)
    env = env_of(c)
    for name in ("FW_DATABASE_URL", "FW_REDIS_URL", "FW_STORAGE_URL", "FW_SERVICE_SECRET", "FW_MONGO_URL",
                 "FW_PHOTO_KEY"):
        ref = env[name]["valueFrom"]["secretKeyRef"]
        assert ref["name"] == secret_name and ref["key"] == name
        assert "value" not in env[name]
    assert env["JUPYTERHUB_API_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "hub",
                                                                       "key": "hub.services.fw.apiToken"}
    # no credential sits in plain text in the Deployment
    plain = yaml.safe_dump(dep)
    for value in EXTERNAL["secrets"].values():
        assert value not in plain
    assert env["FW_SERVICE_AUTH"]["value"] == "hub" and env["FW_QUEUE"]["value"] == "rq"
    assert env["JUPYTERHUB_SERVICE_PREFIX"]["value"] == "/services/fw/"
    assert dep["spec"]["replicas"] == 2
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert labels["hub.jupyter.org/network-access-hub"] == "true"  # z2jh's hub NetworkPolicy lets it in
    assert c["command"][:2] == ["fw", "service"]
    help_text = cli_options("service")
    assert all(option in help_text for option in c["command"][2::2])  # --ip, --port: options fw service has
    # every FW_* setting the chart sets is one the code knows
    names = {n for n in env if n.startswith("FW_")}
    assert names <= code_env_names(), names - code_env_names()
    (svc,) = manifests["Service"]
    assert svc["spec"]["ports"][0]["port"] == int(c["ports"][0]["containerPort"])


def test_the_probes_hit_an_endpoint_the_service_serves(tmp_path: Path) -> None:
    from tests.support.service import RunningService, kernel_services, service_config

    c = container(deployment(render(), "design-service"))
    paths = {c[probe]["httpGet"]["path"] for probe in ("readinessProbe", "livenessProbe", "startupProbe")}
    (path,) = paths
    assert path == "/services/fw/api/v1/openapi.json"
    # the prefix the service takes from JUPYTERHUB_SERVICE_PREFIX on a hub; probes carry no token
    services = kernel_services(tmp_path / "fw")
    running = RunningService(services, service_config(prefix="/services/fw/api/v1")).start()
    try:
        r = requests.get(f"http://127.0.0.1:{running.port}{path}", timeout=30)
        assert r.status_code == 200 and r.json()["openapi"].startswith("3.")
        assert requests.get(f"http://127.0.0.1:{running.port}/services/fw/api/v1/designs",
                            timeout=30).status_code == 401  # while the API itself needs a token
    finally:
        running.stop()
        services.close()


def test_autoscaling_and_an_existing_secret() -> None:
    manifests = render({"service": {"autoscaling": {"enabled": True, "maxReplicas": 12}},
                        "secrets": {"existingSecret": "fw-prod-data"}})
    assert "Secret" not in manifests  # the operator's own Secret is used as is
    (hpa,) = manifests["HorizontalPodAutoscaler"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == f"{RELEASE}-fashion-wallet-service"
    assert hpa["spec"]["maxReplicas"] == 12
    dep = deployment(manifests, "design-service")
    assert "replicas" not in dep["spec"]  # the HPA owns it
    env = env_of(container(dep))
    assert env["FW_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "fw-prod-data"


def test_missing_settings_are_refused_with_what_is_allowed() -> None:
    with pytest.raises(helm.HelmError, match=r"secrets\.databaseUrl is required"):
        render({"secrets": {"databaseUrl": ""}})
    with pytest.raises(helm.HelmError, match=r"secrets\.storageUrl is required .*not shared"):
        render({"secrets": {"storageUrl": ""}})
    with pytest.raises(helm.HelmError, match=r"postgresql\.auth\.password is required"):
        render({"postgresql": {"enabled": True}})
    # values.schema.json: wrong types and shapes are refused before anything renders, naming the value
    with pytest.raises(helm.HelmError, match=r"/service/replicas': got string, want integer"):
        render({"service": {"replicas": "two"}})
    with pytest.raises(helm.HelmError, match=r"/worker/gpu/count': minimum: got 0, want 1"):
        render({"worker": {"gpu": {"count": 0}}})
    with pytest.raises(helm.HelmError, match=r"/secrets/databaseUrl': 'mysql://db/fw' does not match"):
        render({"secrets": {"databaseUrl": "mysql://db/fw"}})
    assert helm.lint(str(CHART), _merge(EXTERNAL, {"service": {"replicas": "two"}}))["errors"]


def test_subcharts_give_their_in_cluster_urls() -> None:
    manifests = render({"secrets": {"databaseUrl": "", "redisUrl": "", "storageUrl": "", "mongoUrl": ""},
                        "postgresql": {"enabled": True, "auth": {"password": "p@ss"}},
                        "mongodb": {"enabled": True, "auth": {"rootPassword": "m"}},
                        "redis": {"enabled": True, "auth": {"password": "r"}},
                        "minio": {"enabled": True, "auth": {"rootPassword": "s"}}})
    data = manifests["Secret"][0]["stringData"]
    assert data["FW_DATABASE_URL"] == f"postgresql://fw:p%40ss@{RELEASE}-postgresql:5432/fashion_wallet"
    assert data["FW_MONGO_URL"] == f"mongodb://root:m@{RELEASE}-mongodb:27017/?authSource=admin"
    assert data["FW_REDIS_URL"] == f"redis://:r@{RELEASE}-redis-master:6379/0"
    assert data["FW_STORAGE_URL"] == "s3://fw-blobs"
    assert data["AWS_ENDPOINT_URL"] == f"http://{RELEASE}-minio:9000"


# -- render workers ---------------------------------------------------------------------------------------------
def test_workers_ask_for_a_gpu_when_enabled() -> None:
    dep = deployment(render(), "render-worker")
    spec = dep["spec"]["template"]["spec"]
    c = container(dep)
    assert c["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"]
    env = env_of(c)
    assert env["FW_QUEUE"]["value"] == "rq" and env["PYOPENGL_PLATFORM"]["value"] == "egl"
    assert "graphics" in env["NVIDIA_DRIVER_CAPABILITIES"]["value"]  # NVIDIA EGL in a container
    assert env["FW_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "FW_DATABASE_URL"
    assert c["command"][:2] == ["fw", "worker"]
    help_text = cli_options("worker")
    assert all(option in help_text for option in c["command"][2::2])  # --heartbeat, --grace

    two = deployment(render({"worker": {"replicas": 4, "gpu": {"count": 2, "resourceName": "amd.com/gpu",
                                                                # null drops the default label (Helm merges maps)
                                                                "nodeSelector": {"pool": "render",
                                                                                 "nvidia.com/gpu.present": None}}}}),
                     "render-worker")
    assert two["spec"]["replicas"] == 4
    assert container(two)["resources"]["limits"]["amd.com/gpu"] == 2
    assert two["spec"]["template"]["spec"]["nodeSelector"] == {"pool": "render"}

    cpu = deployment(render({"worker": {"gpu": {"enabled": False}}}), "render-worker")
    cpu_c = container(cpu)
    assert not any("gpu" in k for k in cpu_c["resources"].get("limits", {}))
    assert "nodeSelector" not in cpu["spec"]["template"]["spec"]
    assert "NVIDIA_DRIVER_CAPABILITIES" not in env_of(cpu_c)

    none = render({"worker": {"enabled": False}})
    assert [d["metadata"]["name"] for d in none["Deployment"]] == [f"{RELEASE}-fashion-wallet-service"]
    assert env_of(container(deployment(none, "design-service")))["FW_QUEUE"]["value"] == "local"


# -- Zero to JupyterHub -----------------------------------------------------------------------------------------
def test_jupyterhub_values_register_the_service_and_keep_credentials_out_of_user_servers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    z2jh = yaml.safe_load((HELM / "jupyterhub-values.yaml").read_text())
    service = z2jh["hub"]["services"]["fw"]
    assert "apiToken" not in service  # generated by z2jh into its `hub` Secret, which our chart reads
    manifests = render()
    (svc,) = manifests["Service"]
    in_cluster = f"http://{svc['metadata']['name']}:{svc['spec']['ports'][0]['port']}"
    assert service["url"] == in_cluster

    # the roles are those `fw hub` gives on one machine
    from traitlets.config import Config

    from fw_server.hub import configure

    monkeypatch.setenv("FW_HUB_USERS", "alice:a")
    monkeypatch.setenv("FW_HUB_HOME", str(tmp_path / "hub"))
    monkeypatch.setenv("FW_HUB_PROXY", "/bin/true")
    monkeypatch.delenv("FW_HUB_ADMIN_TOKEN", raising=False)
    c = Config()
    configure(c)
    local = {r["name"]: set(r["scopes"]) for r in c.JupyterHub.load_roles}
    roles = z2jh["hub"]["loadRoles"]
    assert {name: set(r["scopes"]) for name, r in roles.items()} == local

    # single-user servers: the service's address and nothing that opens a database
    single = z2jh["singleuser"]
    env = single["extraEnv"]
    assert env["FW_SERVICE_URL"] == f"{in_cluster}/services/fw/"
    assert set(env) <= code_env_names() | {"FW_SERVICE_URL"}
    for name, value in env.items():
        assert not any(word in name.upper() for word in CREDENTIAL_WORDS), name
        assert "@" not in str(value) and "password" not in str(value).lower(), name
    # `fw hub` gives its user servers the same FW_* settings (just the service's address)
    assert {k for k in c.Spawner.environment if k.startswith("FW_")} == set(env)
    # the user pods may reach the service's port (z2jh blocks private IPs by default), as may the proxy and hub
    selector = {"app.kubernetes.io/name": "fashion-wallet", "app.kubernetes.io/component": "design-service"}
    deployed = deployment(manifests, "design-service")["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= deployed.items()
    for policy in (single["networkPolicy"], z2jh["hub"]["networkPolicy"], z2jh["proxy"]["chp"]["networkPolicy"]):
        (rule,) = policy["egress"]
        assert rule["to"][0]["podSelector"]["matchLabels"] == selector
        assert rule["ports"][0]["port"] == svc["spec"]["ports"][0]["port"]
    assert single["image"]["name"].endswith("/singleuser")


# -- Dockerfiles ------------------------------------------------------------------------------------------------
def _dockerfile(name: str) -> DockerfileParser:
    return DockerfileParser(fileobj=io.BytesIO((DOCKER / name).read_bytes()))  # read only: nothing written


@pytest.mark.parametrize("name", ["Dockerfile.service", "Dockerfile.singleuser"])
def test_dockerfiles_copy_what_exists_and_name_real_settings(name: str) -> None:
    parser = _dockerfile(name)
    assert parser.baseimage in ("python:3.11-slim-bookworm", "quay.io/jupyter/base-notebook:python-3.11")
    ignore = (DOCKER / f"{name}.dockerignore").read_text().splitlines()
    allowed = [line[1:].removesuffix("/**") for line in ignore if line.startswith("!")]
    copies = [i for i in parser.structure if i["instruction"] == "COPY"]
    assert copies
    for instruction in copies:
        words = [w for w in instruction["value"].split() if not w.startswith("--")]
        for source in words[:-1]:
            assert (ROOT / source).exists(), f"{name}: COPY {source} (not in the repository)"
            assert source in allowed, f"{name}: COPY {source} is excluded by {name}.dockerignore"
    text = parser.content
    # the EGL/Mesa packages ./dev installs for rendering
    dev_packages = re.search(r"apt_install (libegl1[^\n]*)", (ROOT / "dev").read_text()).group(1).split()
    assert all(re.search(rf"\b{re.escape(p)}\b", text) for p in dev_packages)
    # settings the images set are ones the code reads
    fw_names = set(re.findall(r"\bFW_[A-Z0-9_]*[A-Z0-9]\b", text))
    assert fw_names <= code_env_names(), fw_names - code_env_names()
    assert "ANNY_CACHE_DIR" in parser.envs
    # the extras installed exist in pyproject
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    (spec,) = re.findall(r'pip install "\.\[([a-z,]+)\]"', text)
    assert set(spec.split(",")) <= set(extras), set(spec.split(",")) - set(extras)
    # the anny model is built at image build time by a call that exists (importing it builds nothing)
    (build,) = re.findall(r'python -c "(from fw_kernel[^"]+)"', text)
    module, func = re.match(r"from ([\w.]+) import (\w+); \2\(\)", build).groups()
    imported = __import__(module, fromlist=[func])
    assert callable(getattr(imported, func))
    # never a credential baked into an image
    for instruction in parser.structure:
        if instruction["instruction"] in ("ENV", "ARG"):
            assert not re.search(r"DATABASE_URL|PASSWORD|SECRET|TOKEN", instruction["value"]), instruction
    if name == "Dockerfile.service":
        cmd = parser.structure[-1]
        assert cmd["instruction"] == "CMD" and '"fw", "service"' in cmd["value"]
        assert "USER 1000:100" in text  # the chart's runAsUser / runAsGroup
