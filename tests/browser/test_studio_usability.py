"""The studio used with the mouse in JupyterLab (notebooks/01_design_studio.ipynb, Run All): the catalog shows every
item, garments first, and scrolls inside itself so the viewport stays in view; the transform sliders have a usable
track; a colour typed in the inspector applies on Enter; an image export ends in a download link that downloads the
file in the browser, with a preview; the status line says what changed.

Debian's chromium through Playwright (DESIGN.md flags). Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import base64
import itertools
from pathlib import Path

import pytest

import fw_kernel as fw
from tests.browser.helpers import ROOT, ConsoleLog, artifact, chromium, run_notebook, start_lab

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]

FETCH = """async (href) => { const r = await fetch(href); const b = new Uint8Array(await r.arrayBuffer());
  let s = ''; for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]); return btoa(s); }"""


def test_the_studio_with_the_mouse(tmp_path: Path) -> None:
    home = tmp_path / "fw_home"
    lab, token = start_lab(tmp_path, home, [ROOT / "notebooks" / "01_design_studio.ipynb"])
    try:
        with chromium(tmp_path) as context:
            page = context.new_page()
            console = ConsoleLog(page)
            assert run_notebook(page, lab.base, token, "01_design_studio.ipynb") == []
            studio = page.locator(".fw-studio").first
            studio.scroll_into_view_if_needed()
            tab = studio.locator(".lm-TabBar-tab")

            # the catalog: every item, garments first, scrolling inside the panel
            height_before = studio.bounding_box()["height"]
            tab.filter(has_text="Catalog").first.click()
            page.wait_for_function("() => document.querySelectorAll('.fw-studio .fw-catalog-card').length >= 60",
                                   timeout=60_000)
            studio.screenshot(path=str(artifact("usability_catalog.png")))
            first = studio.locator(".fw-catalog-card").first.inner_text()
            assert "silhouette" in first
            assert "60 item(s)" in studio.locator(".fw-catalog").first.inner_text()
            results = studio.locator(".fw-catalog-results").first
            scroll = results.evaluate("e => [e.scrollHeight, e.clientHeight]")
            assert scroll[0] > scroll[1] + 100  # the panel scrolls inside itself...
            assert studio.bounding_box()["height"] < max(height_before, 700) + 120  # ...the studio stays its size

            # the inspector: a usable slider track, a colour typed and applied with Enter
            tab.filter(has_text="Layers").first.click()
            studio.locator(".fw-layer-row", has_text="(silhouette)").first.locator(".fw-layer-select").click()
            tab.filter(has_text="Inspector").first.click()
            sliders = studio.locator(".fw-inspector .slider-container")
            page.wait_for_function("() => document.querySelectorAll('.fw-studio .fw-inspector .slider-container')"
                                   ".length >= 13", timeout=30_000)  # 9 transform axes, 4 dress parameters
            tracks = [sliders.nth(i).bounding_box() for i in range(sliders.count())]
            assert all(t["width"] >= 150 for t in tracks), tracks
            tops = sorted(t["y"] for t in tracks)
            assert all(b - a >= 20 for a, b in itertools.pairwise(tops)), tops  # one per line, none over another
            field = studio.locator(".fw-color-text input").first
            field.fill("#7a1f3d")
            field.press("Enter")
            status = studio.locator(".fw-status").first
            page.wait_for_function("() => document.querySelector('.fw-studio .fw-status').innerText"
                                   ".includes('#7a1f3d')", timeout=30_000)
            assert "colour" in status.inner_text() and "→ #7a1f3d" in status.inner_text()
            studio.screenshot(path=str(artifact("usability_inspector.png")))

            # an image export: a download link (the file itself, in the browser), its name and size, a preview
            tab.filter(has_text="Export").first.click()
            studio.locator(".fw-export-image").first.click()
            link = studio.locator(".fw-download").first
            link.wait_for(timeout=300_000)
            name = link.get_attribute("download")
            assert name and name.endswith(".png")
            data = base64.b64decode(page.evaluate(FETCH, link.get_attribute("href")))
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
            button = studio.locator(".fw-export-image").first.bounding_box()
            assert button["width"] >= 140  # not squashed by what the row says
            preview = studio.locator(".fw-export-preview").first
            assert preview.bounding_box()["width"] > 100
            studio.screenshot(path=str(artifact("usability_export.png")))
            errors = [e for e in console.errors if "favicon" not in e]
            assert errors == [], errors
    finally:
        lab.stop()
    ws = fw.connect(home=str(home), user="ada", autosave_thread=False)
    try:
        (design,) = [d for d in ws.designs.list() if d.name == "Summer look"]
        assert design.layers[0].customization["color"] == "#7a1f3d"
        assert [e.type for e in design.exports if e.status == "completed"] == ["image"]
    finally:
        ws.close()
