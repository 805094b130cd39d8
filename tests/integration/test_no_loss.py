"""An edit that has returned is never lost: SIGKILL the editing process, reopen, find every edit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

import fw_kernel as fw

CHILD = textwrap.dedent("""
    import json, sys
    import fw_kernel as fw
    cfg = json.loads(sys.argv[1])
    ws = fw.connect(**cfg, autosave_debounce_s=3600)   # auto-save never runs: only the edits themselves
    design = ws.designs.create("kill me")
    print("design", design.id, flush=True)
    i = 0
    while True:                                        # edit until killed
        layer = design.add_layer("sil-tshirt", name=f"layer {i}")
        design.update_layer(layer.id, opacity=i % 101, notes=f"edit {i}")
        print("done", i, layer.id, flush=True)
        i += 1
""")


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [1, 12])
def test_sigkill_right_after_an_edit_returns_loses_nothing(backend: dict, unique_user: str, kill_after: int) -> None:
    cfg = {**backend, "user": unique_user}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(cfg)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    design_id = proc.stdout.readline().split()[1]
    done: list[tuple[int, str]] = []
    while len(done) < kill_after:
        line = proc.stdout.readline()
        assert line.startswith("done"), f"child stopped early: {line!r}"
        _, i, layer_id = line.split()
        done.append((int(i), layer_id))
    os.kill(proc.pid, signal.SIGKILL)  # the moment the last edit has returned
    proc.wait()
    assert proc.returncode == -signal.SIGKILL

    ws = fw.connect(**cfg, autosave_thread=False)
    try:
        design = ws.designs.get(design_id)
        by_id = {layer.id: layer for layer in design.layers}
        for i, layer_id in done:
            assert layer_id in by_id, f"edit {i} was lost"
            assert by_id[layer_id].opacity == i % 101 and by_id[layer_id].notes == f"edit {i}"
        # The history agrees with the state (2 entries per completed edit, plus create).
        actions = [h.action for h in design.history]
        assert actions.count("update_layer") >= len(done)
        # Auto-save catches up after the crash: the pending state is found in the store, not in memory.
        report = ws._services.autosaver.run_once(force=True)
        assert report.saved == 1 and not report.errors
        latest = ws._services.documents.latest_autosave(design_id)
        assert latest is not None and latest["designVersion"] == design.version
        assert latest["state"] == design.snapshot()
    finally:
        ws.close()
