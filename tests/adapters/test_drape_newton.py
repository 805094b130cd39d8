import pytest
import yaml

from fw_kernel.adapters import drape_newton as d
from fw_kernel.domain.cloth import cloth_params


def _fabric(fid):
    with open("catalog_data/fabrics.yaml") as fh:
        items = yaml.safe_load(fh)["items"]
    return cloth_params(next(i for i in items if i["id"] == fid)["physical"])


@pytest.mark.slow
def test_cusick_orders_soft_to_stiff_on_a_coarse_disc():
    dc = {f: d.cusick(_fabric(f))[0] for f in ("fab-silk-satin", "fab-cotton-jersey", "fab-denim-indigo")}
    assert dc["fab-silk-satin"] < dc["fab-cotton-jersey"] < dc["fab-denim-indigo"]
    assert dc["fab-denim-indigo"] - dc["fab-silk-satin"] >= 0.3


def test_cusick_run_keeps_woven_stretch_small():
    p2, faces = d.disc_mesh(0.15, 0.015)
    _, run = d.cusick(_fabric("fab-silk-satin"))
    assert run.frames > 10
    assert float(__import__("numpy").quantile(d.edge_strain(p2, faces, run.vertices), 0.9)) <= 0.05
