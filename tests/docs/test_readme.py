"""Every Python block of the README runs as written, in order, in one namespace (as a newcomer would paste them),
on a fresh embedded default; and the tour leaves a clone clean."""

from __future__ import annotations

import re
import subprocess
import warnings
from pathlib import Path

import pytest

import fw_kernel as fw
from tests.support.s3 import s3_endpoint  # noqa: F401  (the fixture: the README's s3:// URL on moto's S3)

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def readme_blocks() -> list[str]:
    return BLOCK.findall((ROOT / "README.md").read_text())


def test_the_readme_has_python_blocks() -> None:
    blocks = readme_blocks()
    assert len(blocks) >= 2 and "fw.connect()" in blocks[0]


@pytest.mark.slow
@pytest.mark.service
@pytest.mark.timeout(1200)
@pytest.mark.usefixtures("s3_endpoint")
def test_every_python_block_of_the_readme_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    boto3.client("s3").create_bucket(Bucket="bucket")  # ws.metrics.to_parquet("s3://bucket/fw-metrics")
    (tmp_path / "notebooks").symlink_to(ROOT / "notebooks")  # the blocks name the sample photos from the root
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("FW_USER", "ada")
    for name in ("FW_DATABASE_URL", "FW_MONGO_URL", "FW_REDIS_URL", "FW_STORAGE_URL", "FW_SERVICE_URL"):
        monkeypatch.delenv(name, raising=False)
    namespace: dict[str, object] = {}
    try:
        for n, block in enumerate(readme_blocks()):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", fw.FWWarning)
                exec(compile(block, f"README.md python block {n + 1}", "exec"), namespace)
            assert [str(w.message) for w in caught if w.category is fw.FWWarning] == []
        design = namespace["design"]
        assert len(design.versions) == 2 and namespace["job"].job.status == "completed"  # type: ignore[attr-defined]
        assert (tmp_path / "look.glb").stat().st_size > 10_000
        assert {e.type for e in design.exports if e.status == "completed"} >= {"image", "video", "model",
                                                                             "techpack"}  # type: ignore[attr-defined]
        assert namespace["avatar"].source == "photo"  # type: ignore[attr-defined]
    finally:
        ws = namespace.get("ws")
        if ws is not None:
            ws.close()  # type: ignore[attr-defined]


def test_a_fabric_with_no_garment_to_dress_warns(connect) -> None:
    ws = connect()
    design = ws.designs.create("Bare")
    with pytest.warns(fw.FWWarning, match="no garment"):
        design.add_layer("fab-denim-indigo")
    assert [x.type for x in design.layers] == ["fabric"]  # added as asked
    with warnings.catch_warnings():
        warnings.simplefilter("error", fw.FWWarning)
        dress = design.add_layer("sil-aline-dress", index=0)      # under it: the fabric now dresses it
        design.add_layer("pat-breton-stripes", {"target": dress.id})
    with pytest.warns(fw.FWWarning, match="not a garment"):
        design.add_layer("pat-breton-stripes", {"target": design.layers[1].id})  # the fabric is no garment


def test_shipped_notebooks_have_no_outputs_and_checkpoints_are_ignored() -> None:
    import json

    for path in sorted((ROOT / "notebooks").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        cells = json.loads(path.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), path
    ignored = subprocess.run(["git", "check-ignore", "-q", "notebooks/.ipynb_checkpoints/x-checkpoint.ipynb"],
                             cwd=ROOT, check=False)
    assert ignored.returncode == 0


def test_running_the_tour_leaves_a_clone_clean(tmp_path: Path) -> None:
    """``./dev run`` opens a working copy (``my-notebooks/``): Run All and save, checkpoints included, leave
    ``git status`` clean, and a second run keeps the user's saved notebook."""
    import json

    dev = (ROOT / "dev").read_text()
    run = dev.split("\n  run)", 1)[1].split(";;", 1)[0]
    assert "setup_working_copy" in run and "my-notebooks/01_design_studio.ipynb" in run
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{ROOT}", str(clone)], check=True)
    subprocess.run(["bash", "dev", "working-copy"], cwd=clone, check=True)
    work = clone / "my-notebooks"
    shipped = sorted(p.relative_to(clone / "notebooks") for p in (clone / "notebooks").rglob("*") if p.is_file())
    assert shipped and sorted(p.relative_to(work) for p in work.rglob("*") if p.is_file()) == shipped
    notebook = work / "01_design_studio.ipynb"
    data = json.loads(notebook.read_text())
    for n, cell in enumerate(c for c in data["cells"] if c["cell_type"] == "code"):  # as Run All and save leave it
        cell["execution_count"] = n + 1
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ran\n"]}]
    notebook.write_text(json.dumps(data, indent=1))
    for folder in (work, clone / "notebooks"):
        (folder / ".ipynb_checkpoints").mkdir(exist_ok=True)
        (folder / ".ipynb_checkpoints" / "01_design_studio-checkpoint.ipynb").write_text("{}")
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=clone,
                            capture_output=True, text=True, check=True).stdout
    assert status == "", status
    subprocess.run(["bash", "dev", "working-copy"], cwd=clone, check=True)  # the next ./dev run
    assert "ran" in notebook.read_text()  # the user's work is kept
