"""Two notebooks on the same design: no lost update, a real conflict raises Conflict."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import fw_kernel as fw


def test_edits_to_different_layers_both_survive(connect, unique_user: str) -> None:
    ws_a, ws_b = connect(), connect()
    design_a = ws_a.designs.create("shared")
    top = design_a.add_layer("sil-tshirt")
    bottom = design_a.add_layer("sil-straight-trousers")
    design_b = ws_b.designs.get(design_a.id)          # the second notebook opens it

    design_a.update_layer(top.id, opacity=10)
    design_b.update_layer(bottom.id, opacity=20)       # stale copy: rebased, not refused
    design_b.add_layer("acc-leather-belt")

    final = connect().designs.get(design_a.id)
    assert final.layer(top.id).opacity == 10 and final.layer(bottom.id).opacity == 20
    assert len(final.layers) == 3
    assert design_b.layer(top.id).opacity == 10        # B's copy now includes A's edit


def test_same_field_conflict_changes_nothing(connect) -> None:
    ws_a, ws_b = connect(), connect()
    design_a = ws_a.designs.create("contested")
    layer = design_a.add_layer("sil-tshirt")
    design_b = ws_b.designs.get(design_a.id)
    design_a.update_layer(layer.id, opacity=10)
    before = connect().designs.get(design_a.id)
    with pytest.raises(fw.Conflict, match="refresh"):
        design_b.update_layer(layer.id, opacity=99)
    after = connect().designs.get(design_a.id)
    assert after.snapshot() == before.snapshot() and after.version == before.version
    design_b.refresh()
    design_b.update_layer(layer.id, opacity=99)        # after a refresh the edit goes through
    assert connect().designs.get(design_a.id).layer(layer.id).opacity == 99


CHILD = textwrap.dedent("""
    import json, sys
    import fw_kernel as fw
    cfg, design_id, tag, n = json.loads(sys.argv[1])
    ws = fw.connect(**cfg, autosave_thread=False)
    design = ws.designs.get(design_id)
    for i in range(n):
        layer = design.add_layer("sil-tshirt", name=f"{tag} {i}")
        design.update_layer(layer.id, opacity=i, notes=tag)
    ws.close()
""")


@pytest.mark.slow
def test_two_processes_editing_at_once_lose_nothing(backend: dict, unique_user: str, connect) -> None:
    design = connect().designs.create("busy")
    cfg = {**backend, "user": unique_user}
    n = 15
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, json.dumps([cfg, design.id, tag, n])])
             for tag in ("left", "right")]
    assert [p.wait(timeout=240) for p in procs] == [0, 0]
    final = connect().designs.get(design.id)
    assert len(final.layers) == 2 * n
    for tag in ("left", "right"):
        mine = sorted((x for x in final.layers if x.notes == tag), key=lambda x: int(x.name.split()[1]))
        assert [x.opacity for x in mine] == list(range(n))
    assert final.version == 1 + 2 * 2 * n              # every edit got its own version, none overwritten
