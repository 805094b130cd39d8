"""``MetricsDashboard``: the team metrics dashboard (the Voila app ``notebooks/apps/design_metrics.ipynb``).

KPIs (designs, active designers this week, exports, median time to first export) and bqplot charts (designs
created per week, edits per day, top fabrics and silhouettes, fabric consumption and cost by category, export
duration p50/p95) from ``ws.metrics``; the date range, category and designer filters redraw them. bqplot's
JavaScript ships in its wheel (a JupyterLab extension), so the page fetches nothing from a CDN.

:func:`figures` computes what is drawn from the DataFrames (plain pandas, tested without a browser).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import ipywidgets as w
import pandas as pd

from fw_kernel.domain.events import EDIT_TYPES

ALL = "(all)"
#: the charts: name -> (title, x label, y label, [bar colour])
CHARTS: dict[str, tuple[str, str, str, list[str]]] = {
    "created_per_week": ("Designs created per week", "week (from Monday)", "designs", ["#aa3344"]),
    "edits_per_day": ("Edits per day", "day", "edits", ["#335577"]),
    "top_fabrics": ("Top fabrics (layers added)", "fabric", "times added", ["#6a8f3a"]),
    "top_silhouettes": ("Top silhouettes (layers added)", "silhouette", "times added", ["#8a5a9a"]),
    "fabric_m_by_category": ("Fabric consumption by category", "category", "fabric (m)", ["#c07020"]),
    "cost_by_category": ("Fabric cost by category", "category", "cost (EUR)", ["#207080"]),
    "export_duration": ("Export duration (p50 / p95)", "export type, percentile", "seconds", ["#4477aa"]),
}


@dataclass
class Figures:
    """What the dashboard draws: ``kpis`` (label -> text) and per chart (x labels, y series)."""

    kpis: dict[str, str]
    charts: dict[str, tuple[list[str], list[list[float]]]]


def _utc(day: date | datetime | None) -> pd.Timestamp | None:
    return None if day is None else pd.Timestamp(day).tz_localize("UTC") if pd.Timestamp(day).tzinfo is None \
        else pd.Timestamp(day).tz_convert("UTC")


def figures(designs: pd.DataFrame, events: pd.DataFrame, exports: pd.DataFrame, *, since: date | None = None,
            until: date | None = None, category: str | None = None, designer: str | None = None,
            item_names: dict[str, str] | None = None, now: datetime | None = None) -> Figures:
    """KPIs and chart series for the designs of ``category`` by ``designer`` (None: all), counting what happened
    from ``since`` to ``until`` (days, UTC, both included; None: open). ``item_names``: catalog id -> name.
    "Active designers this week": people who edited those designs in the 7 days up to ``until`` (or now)."""
    names = item_names or {}
    start, end = _utc(since), _utc(until + timedelta(days=1)) if until is not None else None
    d = designs[designs["deleted"].isna()]
    if category is not None:
        d = d[d["category"] == category]
    if designer is not None:
        d = d[d["owner"] == designer]
    ids = set(d["id"].dropna())

    def in_range(times: pd.Series) -> pd.Series:
        keep = pd.Series(True, index=times.index)
        if start is not None:
            keep &= times >= start
        if end is not None:
            keep &= times < end
        return keep.fillna(False).astype(bool)

    ev = events[events["design_id"].isin(ids)]
    ev = ev[in_range(ev["time"])]
    created = d[in_range(d["created"])]
    edits = ev[ev["type"].isin(EDIT_TYPES)]
    requested = ev[ev["type"] == "export_requested"]
    horizon = end if end is not None else _utc(now or datetime.utcnow())
    week = edits[(edits["time"] >= horizon - pd.Timedelta(days=7)) & (edits["time"] < horizon)]
    firsts = requested.groupby("design_id")["time"].min()
    born = d.set_index("id")["created"]
    waits = (firsts - born.reindex(firsts.index)).dropna()
    median = waits.median() if len(waits) else None
    kpis = {"Designs": str(len(created)), "Active designers this week": str(week["actor"].nunique()),
            "Exports": str(len(requested)),
            "Median time to first export": _duration(median) if median is not None else "no export yet"}

    charts: dict[str, tuple[list[str], list[list[float]]]] = {}
    weeks = created["created"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time
    per_week = weeks.value_counts().sort_index()
    charts["created_per_week"] = ([f"{t:%Y-%m-%d}" for t in per_week.index], [[float(v) for v in per_week]])
    days = edits["time"].dt.tz_convert("UTC").dt.strftime("%Y-%m-%d").value_counts().sort_index()
    charts["edits_per_day"] = (list(days.index), [[float(v) for v in days]])
    added = ev[ev["type"] == "layer_added"]
    props = added["properties"].tolist()
    for chart, kind in (("top_fabrics", "fabric"), ("top_silhouettes", "silhouette")):
        items = pd.Series([p.get("catalog_item") for p in props if p.get("layer_type") == kind], dtype=object)
        top = items.value_counts().head(5)
        charts[chart] = ([names.get(i, i) for i in top.index], [[float(v) for v in top]])
    by_category = created.groupby("category", observed=True)[["fabric_m", "cost_eur"]].sum()
    by_category = by_category[(by_category["fabric_m"] > 0) | (by_category["cost_eur"] > 0)]
    labels = [str(c) for c in by_category.index]
    charts["fabric_m_by_category"] = (labels, [[round(float(v), 2) for v in by_category["fabric_m"]]])
    charts["cost_by_category"] = (labels, [[round(float(v), 2) for v in by_category["cost_eur"]]])
    ex = exports[exports["design_id"].isin(ids) & (exports["status"] == "completed")]
    ex = ex[in_range(ex["created"])].dropna(subset=["duration_s"])
    q = ex.groupby("type", observed=True)["duration_s"].quantile([0.5, 0.95]).unstack()
    labels, values = [], []
    for kind in q.index:  # one bar per type and percentile: "image p50", "image p95"
        for p in (0.5, 0.95):
            labels.append(f"{kind} p{round(p * 100)}")
            values.append(round(float(q.loc[kind, p]), 2))
    charts["export_duration"] = (labels, [values])
    return Figures(kpis, charts)


def _count_ticks(top: float) -> list[int]:
    """Whole-number y ticks from 0 to a count ``top`` (at least 1), at most 6 of them."""
    top = max(1, math.ceil(top))
    step = math.ceil(top / 5)
    return list(range(0, top + step, step))


def _short(labels: list[str], at: int = 16) -> list[str]:
    """Long catalog names cut to ``at`` characters (with an ellipsis) for a rotated axis, unless two would read the
    same."""
    cut = [label if len(label) <= at else label[:at - 1].rstrip() + "\u2026" for label in labels]
    return cut if len(set(cut)) == len(cut) else labels


def _duration(value: pd.Timedelta) -> str:
    seconds = value.total_seconds()
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} days"


#: charts whose x labels (dates, catalog names) are long: drawn at -30 degrees
ROTATED = ("created_per_week", "edits_per_day", "top_fabrics", "top_silhouettes")


class MetricsDashboard(w.VBox):
    """The dashboard over ``ws.metrics`` (whose scope decides the rows: a designer sees the designs they can
    read, a member of ``fw-analysts`` the whole team's). ``refresh()`` reads the metrics again."""

    def __init__(self, ws: Any, **kwargs: Any):
        import bqplot as bq  # the studio extra

        self._bq = bq
        self.ws = ws
        self.since = w.DatePicker(description="From")
        self.until = w.DatePicker(description="To")
        self.category = w.Dropdown(options=[ALL], value=ALL, description="Category")
        self.designer = w.Dropdown(options=[ALL], value=ALL, description="Designer")
        self.refresh_button = w.Button(description="Refresh", tooltip="read the metrics again")
        self.kpi_box = w.HBox([], layout=w.Layout(flex_flow="row wrap"))
        self.marks: dict[str, Any] = {}
        self.y_axes: dict[str, Any] = {}
        self.figures: dict[str, Any] = {}
        for name, (title, xlabel, ylabel, colours) in CHARTS.items():
            self.figures[name] = self._chart(name, title, xlabel, ylabel, colours)
        for control in (self.since, self.until, self.category, self.designer):
            control.observe(lambda _change: self.redraw(), "value")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.status = w.HTML("")
        grid = w.GridBox(list(self.figures.values()),
                         layout=w.Layout(grid_template_columns="repeat(auto-fill, 520px)", grid_gap="8px"))
        super().__init__([w.HTML("<h2 style='margin:4px 0'>Team design metrics</h2>"),
                          w.HBox([self.since, self.until, self.category, self.designer, self.refresh_button],
                                 layout=w.Layout(flex_flow="row wrap")), self.status, self.kpi_box, grid], **kwargs)
        self.add_class("fw-dashboard")
        self.current: Figures | None = None
        self.refresh()

    def _chart(self, name: str, title: str, xlabel: str, ylabel: str, colours: list[str]) -> Any:
        bq = self._bq
        x, y = bq.OrdinalScale(), bq.LinearScale(min=0)
        # 1-D bars only: bqplot's grouped 2-D bars left the y scale empty in the browser here
        mark = bq.Bars(x=[], y=[], scales={"x": x, "y": y}, colors=colours, labels=[ylabel], padding=0.3)
        x_axis = bq.Axis(scale=x, label=xlabel)
        if name in ROTATED:
            # rotated about their end, under their tick: rotated about the middle (bqplot's default anchor), half of
            # each label went up behind the bars; the axis label moves below the longest one
            x_axis.tick_rotate, x_axis.tick_style = -30, {"text-anchor": "end"}
            x_axis.label_offset = "72px"
        y_axis = bq.Axis(scale=y, orientation="vertical", label=ylabel)
        if name in ROTATED:  # counts: whole-number ticks (d3 put 0.2 steps on a count of 3)
            y_axis.tick_format = "d"
        self.y_axes[name] = y_axis
        axes = [x_axis, y_axis]
        self.marks[name] = mark
        figure = bq.Figure(marks=[mark], axes=axes, title=title, animation_duration=0,
                           fig_margin={"top": 40, "bottom": 90, "left": 60, "right": 20},
                           layout=w.Layout(width="520px", height="300px"))
        figure.add_class(f"fw-chart-{name}")
        return figure

    def refresh(self) -> None:
        """Read ``ws.metrics`` again (designs, events, exports) and redraw."""
        metrics = self.ws.metrics
        self.designs, self.events, self.exports = metrics.designs(), metrics.events(), metrics.exports()
        self.item_names = {i.id: i.name for i in self.ws.catalog.list()}
        for dropdown, column in ((self.category, "category"), (self.designer, "owner")):
            values = sorted(str(v) for v in self.designs[column].dropna().unique())
            keep = dropdown.value if dropdown.value in values else ALL
            with dropdown.hold_trait_notifications():
                dropdown.options = [ALL, *values]
                dropdown.value = keep
        self.redraw()

    def redraw(self) -> None:
        if self.since.value and self.until.value and self.since.value > self.until.value:
            self.status.value = "<span style='color:#b00020'>'From' is after 'To': nothing to show.</span>"
            return
        self.status.value = ""
        current = figures(self.designs, self.events, self.exports, since=self.since.value, until=self.until.value,
                          category=None if self.category.value == ALL else self.category.value,
                          designer=None if self.designer.value == ALL else self.designer.value,
                          item_names=self.item_names)
        self.current = current
        self.kpi_box.children = tuple(self._kpi(label, value) for label, value in current.kpis.items())
        for name, (labels, series) in current.charts.items():
            mark = self.marks[name]
            with mark.hold_sync():
                mark.x, mark.y = (_short(labels) if name in ROTATED else labels), series[0]
            if name in ROTATED:  # ROTATED charts count things: whole-number ticks, at most 6
                ticks = _count_ticks(max(series[0], default=1))
                self.y_axes[name].tick_values = ticks
                mark.scales["y"].max = float(ticks[-1])  # the top tick drawn, not cut at the tallest bar

    @staticmethod
    def _kpi(label: str, value: str) -> Any:
        box = w.HTML(f"<div style='padding:8px 16px;border:1px solid #ddd;border-radius:6px;margin:4px;"
                     f"min-width:150px'><div style='color:#666;font-size:12px'>{html.escape(label)}</div>"
                     f"<div class='fw-kpi-value' style='font-size:26px;font-weight:600'>{html.escape(value)}</div>"
                     "</div>")
        box.add_class("fw-kpi")
        return box
