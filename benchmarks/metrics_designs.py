"""``ws.metrics.designs()`` as an analyst, before and after the bill-of-materials fast path, in one run
(``python -m benchmarks.metrics_designs``): 10,000 designs of 4 layers on PostgreSQL (the bulk load of
``benchmarks/metrics.py``, few events: the events do not enter the bill of materials), turns alternating.

``before``: the previous path, kept here: every layer as a dict (customization's target and count as text from
SQL), grouped per design, :func:`~fw_kernel.domain.metrics.bom_estimate` per design, and pandas' conversion of
the aware datetimes. ``after``: the current ``ws.metrics.designs()`` (``SqlMetricsReader.bom_layers`` +
``bom_estimates``, times made naive UTC first). Both DataFrames are checked equal.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))

from benchmarks import infra  # noqa: E402
from benchmarks.metrics import load  # noqa: E402


def _previous_designs(service: Any, scope: Any) -> dict[str, list[Any]]:
    """``MetricsService.designs`` before the fast path (its layer query and per-design loop)."""
    from sqlalchemy import select

    from fw_kernel.adapters.sql import tables as t
    from fw_kernel.domain.metrics import bom_estimate

    reader, lay = service._reader, t.layers
    cols = reader.designs(scope)
    query = select(lay.c.design_id, lay.c.id, lay.c.type, lay.c.catalog_item_id, lay.c.is_visible,
                   lay.c.order_index, lay.c.customization["target"].as_string(),
                   lay.c.customization["count"].as_string())
    with reader._connect() as c:
        rows = c.execute(query).all()
    by_design: dict[str, list[dict[str, Any]]] = {}
    for design_id, layer_id, kind, item, visible, order, target, count in rows:
        custom: dict[str, Any] = {}
        if target is not None:
            custom["target"] = target
        if count is not None:
            with suppress(ValueError):
                custom["count"] = float(count)
        by_design.setdefault(design_id, []).append(
            {"design_id": design_id, "id": layer_id, "type": kind, "catalog_item_id": item, "is_visible": visible,
             "order_index": order, "customization": custom})
    bom = [bom_estimate(by_design.get(i, ()), service._item_of) for i in cols["id"]]
    cols["fabric_m"] = [b[0] for b in bom]
    cols["cost_eur"] = [b[1] for b in bom]
    cols["name"] = [n if ok else None for n, ok in zip(cols["name"], cols["readable"], strict=True)]
    return cols


def _previous_times(values: list[Any]) -> Any:
    """``api.metrics._times`` before: pandas' own conversion of the aware datetimes."""
    import pandas as pd

    return pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601")


def _previous_frame(cols: dict[str, list[Any]]) -> Any:
    from fw_kernel.api import metrics as api

    current, api._times = api._times, _previous_times
    try:
        return api.designs_frame(cols)
    finally:
        api._times = current


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--designs", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "results-metrics-designs.json")
    args = parser.parse_args(argv)
    import os

    import fw_kernel as fw
    from fw_kernel.adapters.sql.migrate import ensure_monthly_partitions
    started = (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), os.getloadavg())
    with infra.temp_home("fw_bench_designs_") as home, infra.postgres_database() as url:
        with fw.connect(home=str(home), database_url=url, user="analyst", autosave_thread=False) as ws:
            ensure_monthly_partitions(ws.services.engine, "analytics", "events", months_back=13)
        load(url, args.designs, args.events)
        with fw.connect(home=str(home), database_url=url, user="analyst", analysts=("analyst",),
                        autosave_thread=False, event_log=False) as ws:
            service = ws.services.metrics
            scope = service.scope(ws.user)
            ws.metrics.exports()  # pandas and the catalog loaded
            before = _previous_frame(_previous_designs(service, scope))
            after = ws.metrics.designs()  # the roll-up is done by the first call
            assert before.equals(after), "the fast path changed the answer"
            sides = {"before": lambda: _previous_frame(_previous_designs(service, scope)), "after": ws.metrics.designs,
                     "sql_designs_only": lambda: service._reader.designs(scope),
                     "after_service_only": lambda: service.designs(scope)}
            times: dict[str, list[float]] = {k: [] for k in sides}
            for _ in range(args.repeat):
                for name, fn in sides.items():
                    t = time.perf_counter()
                    fn()
                    times[name].append(time.perf_counter() - t)
    result = {"date": started[0], "loadavg_start": started[1], "loadavg_end": os.getloadavg(),
              "events": args.events, "designs": args.designs, "layers": 4 * args.designs, "rows": len(after),
              "fabric_m_total": float(after["fabric_m"].sum()), "cost_eur_total": float(after["cost_eur"].sum()),
              **{k: {"median_s": statistics.median(v), "min_s": min(v), "max_s": max(v)} for k, v in times.items()}}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
