"""The team metrics dashboard in the kernel: KPIs and chart series from ``ws.metrics``, and filters (category,
designer, date range) that change them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import fw_kernel as fw
from fw_widgets.dashboard import MetricsDashboard, figures


@pytest.fixture
def team(tmp_path):
    home = str(tmp_path / "fw")
    for user, looks in {"ada": [("Linen dress", "dress", "sil-aline-dress", "fab-linen-natural")],
                        "bo": [("Weekend tee", "top", "sil-tshirt", "fab-cotton-jersey"),
                               ("Denim skirt", "bottom", "sil-pencil-skirt", "fab-denim-indigo")]}.items():
        with fw.connect(home=home, user=user, autosave_thread=False) as ws:
            for name, category, silhouette, fabric in looks:
                design = ws.designs.create(name, category=category)
                design.add_layer(silhouette)
                cloth = design.add_layer(fabric)
                design.update_layer(cloth.id, opacity=90)
                if user == "bo":
                    design.export("image", width=32, height=32).wait(progress=False)
    ws = fw.connect(home=home, user="lead", autosave_thread=False, analysts=("lead",))
    yield ws
    ws.close()


def test_figures_follow_the_filters(team) -> None:
    m = team.metrics
    designs, events, exports = m.designs(), m.events(), m.exports()
    names = {i.id: i.name for i in team.catalog.list()}
    every = figures(designs, events, exports, item_names=names)
    assert every.kpis["Designs"] == "3" and every.kpis["Exports"] == "2"
    assert every.kpis["Active designers this week"] == "2"
    assert every.kpis["Median time to first export"].endswith(" s")
    fabrics = dict(zip(*[every.charts["top_fabrics"][0], every.charts["top_fabrics"][1][0]], strict=True))
    assert set(fabrics) == {names["fab-linen-natural"], names["fab-cotton-jersey"], names["fab-denim-indigo"]}
    assert sum(every.charts["edits_per_day"][1][0]) == 9  # 3 designs x (2 layers added + 1 update)
    assert every.charts["export_duration"][0] == ["image p50", "image p95"]
    p50, p95 = every.charts["export_duration"][1][0]
    assert 0 < p50 <= p95
    assert sorted(every.charts["fabric_m_by_category"][0]) == ["bottom", "dress", "top"]

    ada = figures(designs, events, exports, designer="ada", item_names=names)
    assert ada.kpis["Designs"] == "1" and ada.kpis["Exports"] == "0"
    assert ada.kpis["Median time to first export"] == "no export yet"
    assert ada.charts["top_fabrics"][0] == [names["fab-linen-natural"]]
    assert ada.charts["export_duration"][0] == []
    tops = figures(designs, events, exports, category="top", item_names=names)
    assert tops.charts["top_silhouettes"][0] == [names["sil-tshirt"]]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    later = figures(designs, events, exports, since=tomorrow, item_names=names)
    assert later.kpis["Designs"] == "0" and later.charts["edits_per_day"] == ([], [[]])


def test_dashboard_widget_redraws_its_charts_on_a_filter(team) -> None:
    board = MetricsDashboard(team)
    assert set(board.designer.options) == {"(all)", "ada", "bo"}
    bars = board.marks["top_fabrics"]
    assert len(bars.x) == 3
    assert ">3<" in board.kpi_box.children[0].value  # Designs
    board.designer.value = "ada"
    assert len(bars.x) == 1 and list(board.marks["created_per_week"].y) == [1.0]
    board.designer.value = "(all)"
    board.since.value = (datetime.now(UTC) + timedelta(days=2)).date()
    board.until.value = (datetime.now(UTC) + timedelta(days=1)).date()
    assert "after" in board.status.value  # a backwards range is said, the charts keep what they showed
    board.until.value = None
    assert len(bars.x) == 0


def test_long_catalog_names_are_cut_for_the_rotated_axis_unless_two_would_read_the_same() -> None:
    from fw_widgets.dashboard import _short

    assert _short(["Classic Crew-Neck T-Shirt", "Wrap Dress"]) == ["Classic Crew-Ne\u2026", "Wrap Dress"]
    same = ["Heritage Wool Tweed Blue", "Heritage Wool Tweed Red"]
    assert _short(same) == same


def test_count_charts_have_whole_number_ticks(team) -> None:
    board = MetricsDashboard(team)
    axis = board.y_axes["top_fabrics"]
    top = max(board.marks["top_fabrics"].y)
    assert axis.tick_format == "d" and list(axis.tick_values) == list(range(int(top) + 1))
    assert board.y_axes["cost_by_category"].tick_format != "d"   # money keeps its decimals
    from fw_widgets.dashboard import _count_ticks

    assert _count_ticks(0) == [0, 1] and _count_ticks(3) == [0, 1, 2, 3] and _count_ticks(7) == [0, 2, 4, 6, 8]
    assert _count_ticks(23) == [0, 5, 10, 15, 20, 25]
