"""Every notebook runs top to bottom (nbclient, a real kernel) on the embedded default in a temporary FW_HOME."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import fw_kernel as fw

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # the first avatar on a machine builds the body model

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture
def fw_env(tmp_path, monkeypatch) -> Path:
    """A fresh FW_HOME and user for the kernels the notebooks start (they inherit this environment)."""
    home = tmp_path / "fw_home"
    monkeypatch.setenv("FW_HOME", str(home))
    monkeypatch.setenv("FW_USER", "ada")
    monkeypatch.delenv("FW_DATABASE_URL", raising=False)
    monkeypatch.delenv("QUERY_STRING", raising=False)
    return home


def run(path: Path, timeout: int = 900) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return nb


def outputs(nb: nbformat.NotebookNode) -> list[dict]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]


def text_of(nb: nbformat.NotebookNode) -> str:
    parts = []
    for out in outputs(nb):
        parts.append(out.get("text", ""))
        parts.append(json.dumps(out.get("data", {})))
    return "\n".join(parts)


def widget_views(nb: nbformat.NotebookNode) -> list[str]:
    return [out["data"]["text/plain"] for out in outputs(nb) if WIDGET_VIEW in out.get("data", {})]


def widget_state(nb: nbformat.NotebookNode, view_repr_start: str) -> dict:
    """The saved model state of the (last) displayed widget whose repr starts with ``view_repr_start``."""
    states = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    (model_id,) = [out["data"][WIDGET_VIEW]["model_id"] for out in outputs(nb)
                   if WIDGET_VIEW in out.get("data", {}) and out["data"]["text/plain"].startswith(view_repr_start)][-1:]
    return states[model_id]["state"]


def test_01_design_studio(fw_env):
    nb = run(NOTEBOOKS / "01_design_studio.ipynb")
    assert not [o for o in outputs(nb) if o.get("output_type") == "error"]
    assert any(view.startswith("DesignStudio(") for view in widget_views(nb))
    ws = fw.connect(home=str(fw_env), user="ada", autosave_thread=False)
    try:
        (design,) = [d for d in ws.designs.list() if d.name == "Summer look"]
        assert [x.catalog_item_id for x in design.layers] == ["sil-aline-dress", "fab-linen-natural",
                                                              "acc-sneakers"]
        assert [v.message for v in design.versions] == ["first draft", "longer dress"]
        assert design.layers[2].customization["upper_color"] == "#2a4d8f"
        assert design.id in text_of(nb)
    finally:
        ws.close()


def test_02_avatar_from_measurements(fw_env):
    nb = run(NOTEBOOKS / "02_avatar_from_measurements.ipynb")
    text = text_of(nb)
    assert "waist" in text and "vertices" in text
    assert any(view.startswith("DesignStudio(") for view in widget_views(nb))
    ws = fw.connect(home=str(fw_env), user="ada", autosave_thread=False)
    try:
        names = sorted(a.name for a in ws.avatars.list())
        assert names == ["Ada", "size M", "size S", "size XL"]
    finally:
        ws.close()


def test_03_catalog(fw_env):
    nb = run(NOTEBOOKS / "03_catalog.ipynb")
    views = widget_views(nb)
    assert len(views) >= 4 and all(v.startswith("Box(") for v in views)
    counts = {kind: len(ws_items) for kind, ws_items in _catalog_by_type().items()}
    assert f"'silhouette': {counts['silhouette']}" in text_of(nb)
    assert f"'fabric': {counts['fabric']}" in text_of(nb)


def _catalog_by_type() -> dict[str, list]:
    from fw_kernel.adapters.catalog_files import load_manifests

    items, _ = load_manifests()
    out: dict[str, list] = {}
    for item in items:
        out.setdefault(item.type, []).append(item)
    return out


def test_design_viewer_app(fw_env, monkeypatch):
    ws = fw.connect(home=str(fw_env), user="ada", autosave_thread=False)
    zoe = fw.connect(home=str(fw_env), user="zoe", autosave_thread=False)
    try:
        avatar = ws.avatars.create("Ada", {"height": 168, "bust": 88, "waist": 70, "hips": 96}, body_hint="female")
        design = ws.designs.create("Viewer look", avatar=avatar)
        design.add_layer("sil-tshirt", {"color": "#aa3344"})
        private = zoe.designs.create("Zoe's secret")
    finally:
        ws.close()
        zoe.close()
    app = NOTEBOOKS / "apps" / "design_viewer.ipynb"

    monkeypatch.setenv("QUERY_STRING", f"design={design.id}")
    views = widget_views(run(app))
    assert len(views) == 1 and views[0].startswith("DesignViewer(")

    for query, expected in ((f"design={private.id}", "was not found, or it is private"),
                            ("design=no-such-design", "was not found"), ("", "No design given")):
        monkeypatch.setenv("QUERY_STRING", query)
        nb = run(app)
        (view,) = widget_views(nb)
        assert view.startswith("HTML(")
        assert expected in widget_state(nb, "HTML(")["value"]


def test_05_design_metrics(fw_env):
    nb = run(NOTEBOOKS / "05_design_metrics.ipynb")
    assert not [o for o in outputs(nb) if o.get("output_type") == "error"]
    text = text_of(nb)
    assert "team work done" in text and "image/png" in text  # the plots were drawn
    ws = fw.connect(home=str(fw_env), user="cy", autosave_thread=False, analysts=("cy",))
    try:
        designs = ws.metrics.designs()
        assert len(designs) == 8 and set(designs["owner"]) == {"ada", "bo", "cy"}
        usage = ws.metrics.catalog_usage().set_index("catalog_item")
        assert usage.loc["fab-denim-indigo", "designs"] == 3  # the most used fabric, as the notebook shows
        assert (designs["exports"] == 1).sum() == 5 and (ws.metrics.exports()["status"] == "completed").all()
    finally:
        ws.close()
    assert (fw_env / "metrics_lake" / "designs.parquet").exists()
