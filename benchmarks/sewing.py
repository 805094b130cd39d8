"""Sewing patterns: time to draft and to make the 3D garment of every silhouette, next to today's generated
garment in the same run (``python -m benchmarks.sewing``).

Per silhouette on the reference female body (fitted once): the draft (pattern from the body's measurements and
the defaults), the 3D garment from the pattern (fitting surfaces + triangulation + wrap + seams) and, as the
same-run baseline, today's garment generation (``make_garment``: the fitting surfaces alone). The pattern's own
3D cost is the difference. Median of 3 runs each.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from fw_kernel.adapters.catalog_files import load_manifests
from fw_kernel.geometry.body.fit import fit_body
from fw_kernel.geometry.body.parts import body_geometry
from fw_kernel.geometry.garment.garments import make_garment, spec_from
from fw_kernel.sewing import draft, from_body, spec_values
from fw_kernel.sewing.assemble import garment_from_pattern

REPEAT = 3


def _median_ms(fn, repeat: int = REPEAT) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), out


def run() -> dict:
    body = body_geometry(fit_body({"height": 168, "bust": 92, "waist": 74, "hips": 100}, "female"))
    measures = from_body(body)
    rows = {}
    for item in (i for i in load_manifests()[0] if i.type == "silhouette"):
        values = item.defaults()
        spec = spec_from(item.id, item.compatibility.get("categories", []), item.tags, spec_values(values))
        iid = item.id
        t_draft, pattern = _median_ms(lambda iid=iid, values=values: draft(iid, values, measures))
        t_today, _ = _median_ms(lambda iid=iid, spec=spec: make_garment(body, iid, spec))
        t_3d, garment = _median_ms(lambda iid=iid, spec=spec, pattern=pattern: garment_from_pattern(
            body, iid, spec, pattern))
        rows[item.id] = {"draft_ms": round(t_draft, 1), "today_ms": round(t_today, 1), "pattern_3d_ms": round(t_3d, 1),
                         "pattern_only_3d_ms": round(t_3d - t_today, 1), "panels": len(pattern.panels),
                         "triangles": len(garment.faces)}
    return rows


def main() -> None:
    rows = run()
    print(f"{'silhouette':24} {'draft':>8} {'today':>8} {'3D from pattern':>16} {'pattern part':>13} "
          f"{'panels':>6} {'tris':>6}")
    for k, r in rows.items():
        print(f"{k:24} {r['draft_ms']:7.1f}ms {r['today_ms']:7.0f}ms {r['pattern_3d_ms']:15.0f}ms "
              f"{r['pattern_only_3d_ms']:12.0f}ms {r['panels']:6d} {r['triangles']:6d}")
    out = Path(__file__).with_name("results-sewing.json")
    out.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
