"""A notebook kernel that imports the notebook API once, then forks one editing kernel per ``spawn JSON`` line on
stdin (answering ``pid PID``), so a test can SIGKILL kernels at random points many times (a fresh interpreter
takes ~10 s to import and open a workspace; a fork ~0.3 s). Run as ``python -m tests.reliability.kernel_zygote``.

Each kernel (``JSON``: ``home``, ``user``, ``seed``, ``log``) opens the workspace with auto-save on (a short
debounce, so kills land during auto-saves too), creates a design and edits it until killed: layer adds and
updates, comments, checkpoints, undo + redo, restores and forks. It appends ``send {op}`` before and ``ack {op}``
after each call returns to the ``log`` file (one ``write`` per line: what was written survives the kill)."""

from __future__ import annotations

import json
import os
import random
import signal
import sys
import tempfile
import threading
from typing import Any

MAX_LAYERS = 36   # under the free tier's 50 layers per design


def _line(fd: int, kind: str, op: dict[str, Any]) -> None:
    os.write(fd, f"{kind} {json.dumps(op)}\n".encode())


def edit_until_killed(cfg: dict[str, Any]) -> None:
    import fw_kernel as fw

    rng = random.Random(cfg["seed"])
    fd = os.open(cfg["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    ws = fw.connect(home=cfg["home"], user=cfg["user"], autosave_debounce_s=0.05)
    design = ws.designs.create(f"kernel trial {cfg['seed']}")
    _line(fd, "ack", {"op": "create", "design": design.id})
    checkpoints: list[int] = []
    last = ""
    i = forks = 0  # forks: under the free tier's 100 designs
    while True:
        layers = design.layers
        choices = ["add"] * 3 + ["update"] * 3 * bool(layers) + ["comment", "checkpoint"]
        choices += ["undo"] * 2 * (last == "update") + ["restore"] * bool(checkpoints) + ["fork"] * (forks < 40)
        kind = "add" if not layers else rng.choice(choices)
        if kind == "add" and len(layers) >= MAX_LAYERS:
            kind = "update"
        op: dict[str, Any] = {"op": kind, "i": i}
        if kind == "add":
            op["name"] = f"layer-{i}"
            _line(fd, "send", op)
            design.add_layer("acc-leather-belt", name=op["name"])
        elif kind == "update":
            target = rng.choice(layers)
            op.update(name=target.name, opacity=rng.randint(0, 100), notes=f"edit {i}")
            _line(fd, "send", op)
            design.update_layer(target.id, opacity=op["opacity"], notes=op["notes"])
        elif kind == "comment":
            op["text"] = f"comment {i}"
            _line(fd, "send", op)
            design.comment(op["text"])
        elif kind == "checkpoint":
            op["message"] = f"checkpoint {i}"
            _line(fd, "send", op)
            op["number"] = design.checkpoint(op["message"]).version_number
            checkpoints.append(op["number"])
        elif kind == "undo":  # undo the update just made, then redo it: two edits, each acknowledged
            _line(fd, "send", op)
            assert design.undo()
            _line(fd, "ack", op)
            op = {"op": "redo", "i": i}
            _line(fd, "send", op)
            assert design.redo()
        elif kind == "restore":
            op["number"] = rng.choice(checkpoints)
            _line(fd, "send", op)
            design.restore(op["number"])
        else:
            _line(fd, "send", op)
            op["design"] = design.fork(f"fork {i}").id
            forks += 1
        _line(fd, "ack", op)
        last = kind
        i += 1


def main() -> None:
    import fw_kernel as fw

    # warm up every lazy import once, before any fork
    with tempfile.TemporaryDirectory() as scratch, \
            fw.connect(home=scratch, user="warm-up", autosave_thread=False) as ws:
        design = ws.designs.create("warm up")
        layer = design.add_layer("acc-leather-belt", name="x")
        design.update_layer(layer.id, opacity=5)
        design.comment("x")
        design.restore(design.checkpoint("x").version_number)
        design.fork("x")
    assert threading.active_count() == 1, f"threads left before fork: {threading.enumerate()}"

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    for line in sys.stdin:
        words = line.split(maxsplit=1)
        if words[:1] != ["spawn"]:
            break
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            cfg = json.loads(words[1])
            try:
                edit_until_killed(cfg)
            except BaseException as exc:  # os._exit skips the traceback: the test reads the error in the log
                fd = os.open(cfg["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                os.write(fd, f"error {json.dumps(f'{type(exc).__name__}: {exc}')}\n".encode())
            finally:
                os._exit(1)
        print("pid", pid, flush=True)


if __name__ == "__main__":
    main()
