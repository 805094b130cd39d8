"""The shared Voila dashboards in Chromium, each launched the three ways a user opens them: the stock ``voila
<notebook>`` command (no --template: the notebook's metadata and the Voila configuration the package installs
choose fw_offline), ``fw app <name>``, and JupyterLab's Voila server extension at ``/voila/render/...``.

Every page: no request leaves loopback, no console error. The gallery: two published designs as cards with
rendered thumbnails (pixels), the private design never there, search and category filters change the cards, an
unpublished design is gone after Refresh, Open shows the viewer. The metrics dashboard: four KPIs, charts drawn
(pixels), the designer filter redraws them; a date range after today empties KPIs and charts (``fw app metrics``).
Screenshots go to tests/artifacts/ (the README's come from here).
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

import fw_kernel as fw
from fw_widgets import viewer_app
from fw_widgets.dashboard import CHARTS, ROTATED
from tests.browser.helpers import (
    ROOT,
    ConsoleLog,
    Server,
    artifact,
    changed,
    chromium,
    is_loopback,
    not_background,
    pixels,
    server_env,
    wait_pixels,
)
from tests.support.net import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(1200)]

APPS = ROOT / "notebooks" / "apps"
THUMB_BACKGROUND = "#f4f4f6"  # the canvas default the renders keep
WHITE = "#ffffff"


def _team(home: Path) -> dict[str, Any]:
    """ada: a published dress and a private one; bob: a published coat and an export (for the dashboard)."""
    ids: dict[str, Any] = {}
    body = {"height": 168, "bust": 88, "waist": 70, "hips": 96}
    for user, looks in {"ada": [("Linen summer dress", "dress", "sil-aline-dress", "fab-linen-natural", "team"),
                                ("Secret prototype", "dress", "sil-wrap-dress", "fab-silk-satin", None)],
                        "bob": [("Tweed city coat", "outerwear", "sil-coat", "fab-tweed-wool", "public")]}.items():
        with fw.connect(home=str(home), user=user, autosave_thread=False) as ws:
            avatar = ws.avatars.create(f"{user} model", body, body_hint="female")
            for name, category, silhouette, fabric, to in looks:
                design = ws.designs.create(name, avatar=avatar, category=category)
                design.add_layer(silhouette, {"color": "#aa3344" if user == "ada" else "#335577"})
                design.add_layer(fabric)
                if to:
                    design.publish(to=to)
                    design.thumbnail(192)  # the render cache the gallery reads (its kernel renders no body)
                else:
                    design.update(name="Secret prototype")  # edited, so it is in the metrics too
                ids[name] = design.id
            if user == "bob":
                ws.designs.get(ids["Tweed city coat"]).export("image", width=64, height=64).wait(progress=False)
    return ids


def _environment(tmp: Path, home: Path, user: str) -> dict[str, str]:
    """A server's environment with the package's Voila template and configuration where a wheel installs them
    (Jupyter's data and config paths) and nothing else of fw's on the command line."""
    env = viewer_app.environment(server_env(tmp, home, user))
    env["FW_ANALYSTS"] = "lead"
    return env


def _voila(tmp: Path, env: dict[str, str], notebook: Path) -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "voila", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1", str(notebook)]
    return Server(cmd, env, tmp, port, tmp / f"voila-{notebook.stem}.log")


def _fw_app(tmp: Path, env: dict[str, str], app: str) -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "fw_kernel.cli", "app", app, f"--port={port}"]
    return Server(cmd, env, ROOT, port, tmp / f"fw-app-{app}.log")


def _lab(tmp: Path, env: dict[str, str]) -> tuple[Server, str]:
    root = tmp / "lab-root"
    root.mkdir(exist_ok=True)
    for name in ("gallery.ipynb", "design_metrics.ipynb"):
        shutil.copy(APPS / name, root / name)
    news = tmp / "lab-settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    token, port = uuid.uuid4().hex, free_port()
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", "--LabApp.news_url=",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    return Server(cmd, env, root, port, tmp / "lab.log"), token


def _cards(page: Any, *names: str) -> None:
    """Wait until the cards are those of ``names``, in that order."""
    page.wait_for_function("names => JSON.stringify([...document.querySelectorAll('.fw-gallery-card .fw-gallery-name')]"
                           ".map(e => e.textContent)) === JSON.stringify(names)", arg=list(names), timeout=120_000)


def check_gallery(page: Any, ids: dict[str, Any], shot: str, full: bool = False, unpublish: Any = None) -> None:
    _cards(page, "Tweed city coat", "Linen summer dress")  # newest first
    assert "Secret prototype" not in page.content()  # the private design: nowhere in the page
    thumbs = page.locator(".fw-gallery-thumb")
    assert thumbs.count() == 2
    for i in range(2):
        image = pixels(thumbs.nth(i).screenshot())
        share = not_background(image, THUMB_BACKGROUND).mean()
        assert 0.03 < share < 0.9, share  # a body and a garment on the render's background
    page.screenshot(path=str(artifact(shot)), full_page=True)
    search = page.locator(".fw-gallery .widget-text input").first
    search.fill("tweed")
    search.press("Enter")
    _cards(page, "Tweed city coat")
    search.fill("")
    search.press("Enter")
    _cards(page, "Tweed city coat", "Linen summer dress")
    page.locator(".fw-gallery .widget-dropdown", has_text="Category").locator("select").select_option("dress")
    _cards(page, "Linen summer dress")
    if full:
        page.locator(".fw-gallery-card button", has_text="Open").first.click()
        canvas = page.locator(".fw-viewer .fw-viewport canvas").first
        canvas.wait_for(timeout=120_000)
        wait_pixels(canvas.screenshot, lambda img: not_background(img, THUMB_BACKGROUND).mean() > 0.02, timeout=90)
        assert "Linen summer dress" in page.inner_text(".fw-viewer")
        page.screenshot(path=str(artifact(shot.replace(".png", "_open.png"))), full_page=True)
        page.locator("button", has_text="Back to the gallery").click()
    page.locator(".fw-gallery .widget-dropdown", has_text="Category").locator("select").select_option("(all)")
    _cards(page, "Tweed city coat", "Linen summer dress")
    if unpublish is not None:
        unpublish()
        page.locator(".fw-gallery button", has_text="Refresh").click()
        _cards(page, "Linen summer dress")


#: the boxes (client pixels) of a chart's plot area, x-axis title and x tick labels
LABEL_BOXES = """([name, xlabel]) => {
  const fig = document.querySelector('.fw-chart-' + name), f = fig.getBoundingClientRect();
  const plot = fig.querySelector('.plotarea_background').getBoundingClientRect();
  const title = [...fig.querySelectorAll('.axislabel')].find(t => t.textContent.trim() === xlabel);
  let axis = title;
  while (axis && !axis.querySelector('.tick text')) axis = axis.parentElement;
  const ticks = [...axis.querySelectorAll('.tick text')].filter(t => t.textContent.trim())
    .map(t => t.getBoundingClientRect()).map(r => [r.top, r.bottom, r.left, r.right]);
  return {plot_bottom: plot.bottom, label_top: title.getBoundingClientRect().top, fig_left: f.left,
          fig_bottom: f.bottom, ticks};
}"""


def check_dashboard(page: Any, shot: str, console: list[str] | None = None) -> None:
    page.wait_for_function("document.querySelectorAll('.fw-kpi').length === 4", timeout=120_000)
    kpis = page.inner_text(".fw-dashboard")
    assert "Designs" in kpis and "Median time to first export" in kpis
    chart = page.locator(".fw-chart-top_fabrics").first
    chart.wait_for(timeout=60_000)
    chart.scroll_into_view_if_needed()
    # three fabrics' bars in the chart's colour
    try:
        before, _ = wait_pixels(chart.screenshot, lambda img: not_background(img, WHITE).mean() > 0.03, timeout=60)
    except AssertionError as exc:
        raise AssertionError(f"{exc}; console: {console}") from None
    page.screenshot(path=str(artifact(shot)), full_page=True)
    for name, (*_, colours) in CHARTS.items():  # every chart has bars in its colours
        image = pixels(page.locator(f".fw-chart-{name}").first.screenshot())
        share = (~not_background(image, colours[0], tolerance=30)).mean()
        assert share > 0.002, (name, share)
    for name in ROTATED:  # rotated x labels: under the axis line, above the axis title, inside the figure
        box = page.evaluate(LABEL_BOXES, [name, CHARTS[name][1]])
        assert box["ticks"], (name, box)
        for top, bottom, left, _right in box["ticks"]:
            assert top >= box["plot_bottom"] - 1 and bottom <= box["label_top"] + 1, (name, box)
            assert left >= box["fig_left"] and bottom <= box["fig_bottom"], (name, box)
    page.locator(".fw-dashboard .widget-dropdown", has_text="Designer").locator("select").select_option("bob")
    wait_pixels(chart.screenshot, lambda img: changed(img, before) > 0.01, timeout=60)
    assert ">1<" in page.inner_html(".fw-kpi >> nth=0")  # Designs: bob's one


def test_gallery_and_dashboard_offline_however_opened(tmp_path: Path) -> None:
    home = tmp_path / "fw_home"
    ids = _team(home)
    outside: list[str] = []
    errors: dict[str, list[str]] = {}

    def unpublish_coat() -> None:
        with fw.connect(home=str(home), user="bob", autosave_thread=False) as ws:
            ws.designs.get(ids["Tweed city coat"]).unpublish()

    def republish_coat() -> None:
        with fw.connect(home=str(home), user="bob", autosave_thread=False) as ws:
            ws.designs.get(ids["Tweed city coat"]).publish(to="public")

    with chromium(tmp_path) as context:
        def guard(route: Any) -> None:  # fail on any request to a non-loopback address (and never send it)
            if is_loopback(route.request.url):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", guard)

        def visit(url: str, key: str) -> Any:
            page = context.new_page()
            page.on("request", lambda r: None if is_loopback(r.url) else outside.append(f"{key}: {r.url}"))
            console = ConsoleLog(page)
            errors[key] = console.errors
            page.goto(url, timeout=180_000)
            return page

        # 1. the stock voila command on each notebook
        for notebook, user in ((APPS / "gallery.ipynb", "eve"), (APPS / "design_metrics.ipynb", "lead")):
            server = _voila(tmp_path, _environment(tmp_path, home, user), notebook)
            try:
                page = visit(server.base, f"voila {notebook.name}")
                assert "cdn.jsdelivr" not in page.content()  # fw_offline, not the stock lab template
                if notebook.stem == "gallery":
                    check_gallery(page, ids, "gallery_voila.png", full=True, unpublish=unpublish_coat)
                    republish_coat()
                else:
                    check_dashboard(page, "dashboard_voila.png", errors[f"voila {notebook.name}"])
                page.close()
            finally:
                server.stop()

        # 2. fw app <name>
        for app, user in (("gallery", "eve"), ("metrics", "lead")):
            server = _fw_app(tmp_path, _environment(tmp_path, home, user), app)
            try:
                page = visit(server.base, f"fw app {app}")
                if app == "gallery":
                    check_gallery(page, ids, "gallery_fw_app.png")
                else:
                    check_dashboard(page, "dashboard_fw_app.png")
                page.close()
            finally:
                server.stop()

        # 3. JupyterLab's Voila server extension (what "Render with Voila" opens)
        lab, token = _lab(tmp_path, _environment(tmp_path, home, "lead"))
        try:
            page = visit(f"{lab.base}/voila/render/gallery.ipynb?token={token}", "lab gallery")
            assert "cdn.jsdelivr" not in page.content()
            check_gallery(page, ids, "gallery_lab.png")
            page.close()
            page = visit(f"{lab.base}/voila/render/design_metrics.ipynb?token={token}", "lab metrics")
            check_dashboard(page, "dashboard_lab.png")
            page.close()
        finally:
            lab.stop()
    assert outside == [], outside
    assert all(v == [] for v in errors.values()), errors


def _small_team(home: Path) -> None:
    """Designs with fabrics and silhouettes, created today (no bodies: the date range is what is under test)."""
    looks = {"ada": [("Linen dress", "dress", "sil-aline-dress", "fab-linen-natural")],
             "bob": [("Tweed coat", "outerwear", "sil-coat", "fab-tweed-wool")]}
    for user, designs in looks.items():
        with fw.connect(home=str(home), user=user, autosave_thread=False) as ws:
            for name, category, silhouette, fabric in designs:
                design = ws.designs.create(name, category=category)
                design.add_layer(silhouette)
                design.add_layer(fabric)


def test_the_dashboards_date_range_redraws_its_figures(tmp_path: Path) -> None:
    """``fw app metrics``: a date range after today empties the KPIs and the charts, clearing it brings them
    back; offline, no console error."""
    from datetime import UTC, datetime, timedelta

    home = tmp_path / "fw_home"
    _small_team(home)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d")
    outside: list[str] = []
    server = _fw_app(tmp_path, _environment(tmp_path, home, "lead"), "metrics")
    try:
        with chromium(tmp_path) as context:
            page = context.new_page()
            page.on("request", lambda r: None if is_loopback(r.url) else outside.append(r.url))
            console = ConsoleLog(page)
            page.goto(server.base, timeout=180_000)
            page.wait_for_function("document.querySelectorAll('.fw-kpi').length === 4", timeout=120_000)
            designs = page.locator(".fw-kpi .fw-kpi-value").first
            assert designs.inner_text() == "2"
            chart = page.locator(".fw-chart-top_fabrics").first
            chart.scroll_into_view_if_needed()
            before, _ = wait_pixels(chart.screenshot, lambda img: not_background(img, WHITE).mean() > 0.03,
                                    timeout=60)
            since = page.locator(".fw-dashboard .widget-datepicker input").first
            since.fill(tomorrow)
            since.dispatch_event("change")
            page.wait_for_function("document.querySelector('.fw-kpi .fw-kpi-value').textContent === '0'",
                                   timeout=60_000)
            after, _ = wait_pixels(chart.screenshot, lambda img: changed(img, before) > 0.01, timeout=60)
            share = (~not_background(after, CHARTS["top_fabrics"][3][0], tolerance=30)).mean()
            assert share < 0.001, share  # no fabric bars from tomorrow on
            page.screenshot(path=str(artifact("dashboard_date_range.png")), full_page=True)
            since.fill("")
            since.dispatch_event("change")
            page.wait_for_function("document.querySelector('.fw-kpi .fw-kpi-value').textContent === '2'",
                                   timeout=60_000)
            wait_pixels(chart.screenshot, lambda img: changed(img, before) < 0.01, timeout=60)
            assert console.errors == []
    finally:
        server.stop()
    assert outside == [], outside
