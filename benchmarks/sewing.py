"""Sewing patterns: time to draft and to make the 3D garment of every silhouette, before and after the speed work,
in the same run (``python -m benchmarks.sewing [--before REV] [--repeat 3]``).

The reference female body (168 cm, 92/74/100) is fitted once and handed to two worker processes: one runs the
working tree's ``fw_kernel``, the other the code of revision ``--before`` (default :data:`BEFORE_REV`, the last
commit before the 3D speed work), extracted with ``git archive``. Per silhouette (default parameters) the two
workers are asked in turn, so both see the same machine load. Each reports, in ms:

- ``draft``: the pattern from the body's measurements (median of ``--repeat``);
- ``today``: the fitting surfaces alone (``make_garment``, the pre-pattern garment generation);
- ``3D``: the whole garment from the pattern (``garment_from_pattern``: fitting surfaces, triangulation, wrap,
  seams, skin push-out) on a body that has carried garments before (per-body work done) with no panel
  triangulated before (median of ``--repeat``);
- ``first``: the same on a body seen for the first time (a fresh copy: per-body work included), one run.

Only APIs that exist in both revisions are called.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BEFORE_REV = "540dded"   # sewing branch before the 3D speed work (KD-tree axis queries, per-body caches...)
ROOT = Path(__file__).resolve().parents[1]


# -- worker (runs against one revision's fw_kernel) ------------------------------------------------------------------
def _worker(root: str, body_file: str) -> None:
    sys.path.insert(0, root)
    import fw_kernel
    from fw_kernel.adapters.catalog_files import load_manifests
    from fw_kernel.geometry.garment.garments import make_garment, spec_from
    from fw_kernel.sewing import assemble, draft, from_body, spec_values

    assert Path(fw_kernel.__file__).resolve().is_relative_to(Path(root).resolve()), fw_kernel.__file__
    blob = Path(body_file).read_bytes()
    body = pickle.loads(blob)
    measures = from_body(body)
    items = {i.id: i for i in load_manifests()[0] if i.type == "silhouette"}
    assemble.garment_from_pattern(body, "sil-tshirt", *_spec_and_pattern(items["sil-tshirt"], measures, spec_from,
                                                                        spec_values, draft))  # imports, warm-up
    print(json.dumps({"ready": True}), flush=True)

    def clear() -> None:
        getattr(assemble, "_TRIANGULATIONS", {}).clear()

    def timed(fn, repeat: int, before=None) -> tuple[float, object]:
        times, out = [], None
        for _ in range(repeat):
            if before:
                before()
            t = time.perf_counter()
            out = fn()
            times.append((time.perf_counter() - t) * 1000)
        return statistics.median(times), out

    for line in sys.stdin:
        req = json.loads(line)
        item, repeat = items[req["id"]], int(req["repeat"])
        spec, pattern = _spec_and_pattern(item, measures, spec_from, spec_values, draft)
        values = item.defaults()
        sil = item.id
        t_draft, _ = timed(lambda sil=sil, values=values: draft(sil, values, measures), repeat)
        t_today, _ = timed(lambda sil=sil, spec=spec: make_garment(body, sil, spec), repeat)
        t_3d, garment = timed(lambda sil=sil, spec=spec, pattern=pattern: assemble.garment_from_pattern(
            body, sil, spec, pattern), repeat, clear)
        fresh = pickle.loads(blob)
        clear()
        t = time.perf_counter()
        assemble.garment_from_pattern(fresh, item.id, spec, pattern)
        t_first = (time.perf_counter() - t) * 1000
        print(json.dumps({"draft_ms": round(t_draft, 1), "today_ms": round(t_today, 1), "pattern_3d_ms": round(t_3d, 1),
                          "first_3d_ms": round(t_first, 1), "panels": len(pattern.panels),
                          "triangles": len(garment.faces)}), flush=True)


def _spec_and_pattern(item, measures, spec_from, spec_values, draft) -> tuple:
    values = item.defaults()
    spec = spec_from(item.id, item.compatibility.get("categories", []), item.tags, spec_values(values))
    return spec, draft(item.id, values, measures)


# -- driver ----------------------------------------------------------------------------------------------------------
def _start(root: Path, body_file: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root / "extension"), str(root / "server")])}
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker", str(root), body_file],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=str(root))
    assert proc.stdout is not None
    ready = json.loads(proc.stdout.readline() or "{}")
    if not ready.get("ready"):
        raise RuntimeError(f"benchmark worker for {root} did not start")
    return proc


def _ask(proc: subprocess.Popen, sil: str, repeat: int) -> dict:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(json.dumps({"id": sil, "repeat": repeat}) + "\n")
    proc.stdin.flush()
    return json.loads(proc.stdout.readline())


def run(before: str = BEFORE_REV, repeat: int = 3) -> dict:
    sys.path.insert(0, str(ROOT))
    from fw_kernel.adapters.catalog_files import load_manifests
    from fw_kernel.geometry.body.fit import fit_body
    from fw_kernel.geometry.body.parts import body_geometry

    body = body_geometry(fit_body({"height": 168, "bust": 92, "waist": 74, "hips": 100}, "female"))
    sils = [i.id for i in load_manifests()[0] if i.type == "silhouette"]
    with tempfile.TemporaryDirectory() as tmp:
        body_file = str(Path(tmp) / "body.pkl")
        Path(body_file).write_bytes(pickle.dumps(body))
        old = Path(tmp) / "before"
        old.mkdir()
        archive = subprocess.run(["git", "archive", before, "fw_kernel"], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
        (old / "catalog_data").symlink_to(ROOT / "catalog_data")
        workers = {"before": _start(old, body_file), "after": _start(ROOT, body_file)}
        rows: dict[str, dict] = {}
        try:
            for sil in sils:
                rows[sil] = {name: _ask(w, sil, repeat) for name, w in workers.items()}
        finally:
            for w in workers.values():
                if w.stdin:
                    w.stdin.close()
                w.wait(timeout=60)
    return {"before_rev": before, "repeat": repeat, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--worker", nargs=2, metavar=("ROOT", "BODY"), help=argparse.SUPPRESS)
    ap.add_argument("--before", default=BEFORE_REV, help="git revision to compare with")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if args.worker:
        _worker(*args.worker)
        return
    res = run(args.before, args.repeat)
    print(f"before = {res['before_rev']}, after = working tree; ms, median of {res['repeat']} ('first': one run)")
    print(f"{'silhouette':22} {'draft':>6} | {'today':>6} {'3D':>6} | {'today':>6} {'3D':>6} {'first':>6} | "
          f"{'3D x':>5} {'tris':>6}")
    print(f"{'':22} {'':>6} | {'before':^13} | {'after':^20} |")
    ratios = []
    for sil, r in res["rows"].items():
        b, a = r["before"], r["after"]
        ratio = b["pattern_3d_ms"] / max(a["pattern_3d_ms"], 1e-9)
        ratios.append(ratio)
        print(f"{sil:22} {a['draft_ms']:6.1f} | {b['today_ms']:6.0f} {b['pattern_3d_ms']:6.0f} | {a['today_ms']:6.0f} "
              f"{a['pattern_3d_ms']:6.0f} {a['first_3d_ms']:6.0f} | {ratio:5.1f} {a['triangles']:6d}")
    print(f"3D speed-up: median {statistics.median(ratios):.1f}x, min {min(ratios):.1f}x, max {max(ratios):.1f}x")
    out = Path(__file__).with_name("results-sewing.json")
    out.write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
