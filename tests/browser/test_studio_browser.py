"""The studio in a real browser: JupyterLab runs notebooks/01_design_studio.ipynb, the viewport shows the design,
a visibility toggle and undo change the pixels; the Voila viewer app renders a design from its URL, offline.

Debian's chromium through Playwright (DESIGN.md flags; WebGL through SwiftShader). Screenshots go to
tests/artifacts/.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

import fw_kernel as fw
from tests.browser.helpers import (
    ROOT,
    ConsoleLog,
    artifact,
    changed,
    chromium,
    is_loopback,
    not_background,
    pixels,
    run_notebook,
    start_lab,
    start_voila,
    wait_pixels,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]  # a cold body model: minutes

NOTEBOOKS = ROOT / "notebooks"
BACKGROUND = "#f4f4f6"  # the canvas default the notebook keeps


def drawn(image: np.ndarray) -> bool:
    """The avatar and garments are in the middle of the viewport, and the sides are mostly background."""
    h, w = image.shape[:2]
    middle = not_background(image[int(0.15 * h):int(0.85 * h), int(0.45 * w):int(0.55 * w)], BACKGROUND).mean()
    side = not_background(image[:int(0.5 * h), :int(0.1 * w)], BACKGROUND).mean()
    return bool(middle > 0.5 and side < 0.05)


LAB_READY = ("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
             " && window.jupyterapp.shell.currentWidget.sessionContext")
RUN_ALL = """async () => {
  const panel = window.jupyterapp.shell.currentWidget;
  await panel.sessionContext.ready;
  await window.jupyterapp.commands.execute('notebook:run-all-cells');
}"""
ALL_RUN = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return kernel && kernel.status === 'idle'
    && panel.content.widgets.every(c => c.model.type !== 'code' || c.model.executionCount);
}"""
RUN_CODE = """async (code) => {
  const app = window.jupyterapp, notebook = app.shell.currentWidget.content;
  notebook.activeCellIndex = notebook.widgets.length - 1;
  await app.commands.execute('notebook:insert-cell-below');
  notebook.activeCell.model.sharedModel.setSource(code);
  await app.commands.execute('notebook:run-cell');
}"""
ERRORS_IN_OUTPUTS = """() => Array.from(document.querySelectorAll('.jp-OutputArea-output[data-mime-type*="stderr"],'
  + ' .jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]')).map(e => e.innerText)"""


def test_studio_in_jupyterlab(tmp_path: Path) -> None:
    home = tmp_path / "fw_home"
    lab, token = start_lab(tmp_path, home, [NOTEBOOKS / "01_design_studio.ipynb"])
    try:
        with chromium(tmp_path) as context:
            page = context.new_page()
            console = ConsoleLog(page)
            assert run_notebook(page, lab.base, token, "01_design_studio.ipynb") == []

            canvas = page.locator(".fw-studio .fw-viewport canvas").first
            canvas.scroll_into_view_if_needed()
            before, _ = wait_pixels(canvas.screenshot, drawn, timeout=60)
            artifact("studio_lab_viewport.png").write_bytes(canvas.screenshot())
            page.locator(".fw-studio").first.screenshot(path=str(artifact("studio_lab.png")))

            # hide the dress: the middle of the viewport changes, mostly where the dress was
            row = page.locator(".fw-layer-row", has_text="(silhouette)").first
            clicked = time.perf_counter()
            row.locator(".fw-layer-visible").click()
            hidden, _ = wait_pixels(canvas.screenshot, lambda img: changed(img, before) > 0.01, timeout=60)
            latency_s = time.perf_counter() - clicked
            artifact("studio_lab_dress_hidden.png").write_bytes(canvas.screenshot())
            diff = np.abs(hidden.astype(np.int16) - before.astype(np.int16)).max(axis=2) > 40
            w = diff.shape[1]
            assert diff[:, int(0.3 * w):int(0.7 * w)].sum() > 0.9 * diff.sum()  # the dress is in the middle
            assert "hidden" in row.locator(".fw-layer-visible").inner_text()

            # undo from the history tab: the dress comes back
            page.locator(".fw-studio .lm-TabBar-tab", has_text="History").first.click()
            page.locator(".fw-studio .fw-undo").first.click()
            page.screenshot(path=str(artifact("studio_lab_page_undo.png")))
            after, _ = wait_pixels(canvas.screenshot, lambda img: changed(img, before) < 0.002, timeout=60)
            artifact("studio_lab_after_undo.png").write_bytes(canvas.screenshot())
            assert drawn(after)

            # an edit typed in a new cell shows in the open viewport (a transform: position and quaternion)
            page.evaluate(RUN_CODE, 'design.update_layer(dress.id, transform={"position": {"x": 0.35}, '
                                    '"rotation": {"y": 60}})')
            page.wait_for_function(ALL_RUN, timeout=120_000, polling=200)
            moved, _ = wait_pixels(canvas.screenshot, lambda img: changed(img, after) > 0.01, timeout=60)
            artifact("studio_lab_moved_in_code.png").write_bytes(canvas.screenshot())
            diff = np.abs(moved.astype(np.int16) - after.astype(np.int16)).max(axis=2) > 40
            cols = np.nonzero(diff.any(axis=0))[0]
            assert cols.max() > 0.62 * w  # the dress moved to the right of where it was (+x faces the viewer's right)

            widget_errors = [e for e in console.errors if "favicon" not in e]
            assert widget_errors == [], widget_errors
            artifact("studio_lab_timing.json").write_text(json.dumps({"hide_to_pixels_s": latency_s}))
    finally:
        lab.stop()
    # the clicks went through the API: saved, in the history
    ws = fw.connect(home=str(home), user="ada", autosave_thread=False)
    try:
        (design,) = [d for d in ws.designs.list() if d.name == "Summer look"]
        assert [h.action for h in design.history[-3:]] == ["update_layer", "undo", "update_layer"]
        assert all(layer.is_visible for layer in design.layers)
        assert design.layers[0].transform.position.x == pytest.approx(0.35)
    finally:
        ws.close()


def test_viewer_app_in_voila_offline(tmp_path: Path) -> None:
    home = tmp_path / "fw_home"
    ws = fw.connect(home=str(home), user="ada", autosave_thread=False)
    try:
        avatar = ws.avatars.create("Ada", {"height": 168, "bust": 88, "waist": 70, "hips": 96}, body_hint="female")
        design = ws.designs.create("Published look", avatar=avatar)
        design.add_layer("sil-straight-trousers", {"color": "#334466"})
        tee = design.add_layer("sil-tshirt", {"color": "#aa3344"})
        design.add_layer("fab-denim-indigo", {"target": design.layers[0].id})
        design.add_layer("pat-breton-stripes", {"target": tee.id, "color_b": "#e0b040"})  # no white: drawn()
        version = design.version
    finally:
        ws.close()
    voila = start_voila(tmp_path, home, NOTEBOOKS / "apps" / "design_viewer.ipynb")
    outside: list[str] = []
    try:
        with chromium(tmp_path) as context:
            def guard(route):  # fail on any request to a non-loopback address (and never send it)
                if is_loopback(route.request.url):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            context.route("**/*", guard)
            page = context.new_page()
            page.on("request", lambda r: None if is_loopback(r.url) else outside.append(r.url))
            console = ConsoleLog(page)
            page.goto(f"{voila.base}/?design={design.id}", timeout=180_000)
            canvas = page.locator(".fw-viewer .fw-viewport canvas").first
            canvas.wait_for(timeout=180_000)
            canvas.scroll_into_view_if_needed()
            before, _ = wait_pixels(canvas.screenshot, drawn, timeout=60)
            page.screenshot(path=str(artifact("viewer_voila.png")), full_page=True)
            assert "Published look" in page.inner_text("body") and "4 layer(s)" in page.inner_text("body")
            assert page.locator(".fw-viewer-toggle").count() == 4  # the fabric and the print too

            stripes = page.locator(".fw-viewer-toggle", has_text="Breton").first
            stripes.click()  # the T-shirt loses its stripes in this view (redrawn by the kernel)
            wait_pixels(canvas.screenshot, lambda img: changed(img, before) > 0.005, timeout=60)
            stripes.click()
            wait_pixels(canvas.screenshot, lambda img: changed(img, before) < 0.002, timeout=60)

            toggle = page.locator(".fw-viewer-toggle", has_text="Classic Crew-Neck T-Shirt").first
            toggle.click()
            wait_pixels(canvas.screenshot, lambda img: changed(img, before) > 0.01, timeout=60)
            toggle.click()
            wait_pixels(canvas.screenshot, lambda img: changed(img, before) < 0.002, timeout=60)
            artifact("viewer_voila_viewport.png").write_bytes(canvas.screenshot())

            # the turntable: play turns the design (the slider follows in the browser, the kernel turns the group)
            page.locator(".fw-viewer .widget-play button").first.click()
            wait_pixels(canvas.screenshot, lambda img: changed(img, before) > 0.01, timeout=60)
            artifact("viewer_voila_turned.png").write_bytes(canvas.screenshot())

            assert console.errors == [], (console.errors, console.bad_responses)

            # a new page: leaving a Voila page asks the server to shut its kernel down (refused with a 403 here)
            other = context.new_page()
            other.on("request", lambda r: None if is_loopback(r.url) else outside.append(r.url))
            other_console = ConsoleLog(other)
            other.goto(f"{voila.base}/?design=no-such-design", timeout=180_000)
            message = other.locator(".fw-viewer-message").first
            message.wait_for(timeout=180_000)
            assert "no-such-design" in message.inner_text() and "was not found" in message.inner_text()
            other.screenshot(path=str(artifact("viewer_voila_bad_id.png")), full_page=True)
            assert other_console.errors == [], (other_console.errors, other_console.bad_responses)
    finally:
        voila.stop()
    assert outside == [], outside
    ws = fw.connect(home=str(home), user="ada", autosave_thread=False)
    try:  # the viewer's toggles change the view only
        seen = ws.designs.get(design.id)
        assert seen.version == version and seen.layer(tee.id).is_visible
    finally:
        ws.close()


def test_pixels_helper_reads_screenshots() -> None:
    """The pixel helpers agree with PIL on a known image (so the checks above can fail)."""
    import io

    from PIL import Image

    image = Image.new("RGB", (10, 10), BACKGROUND)
    image.paste((200, 0, 0), (4, 2, 6, 8))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    arr = pixels(buffer.getvalue())
    assert not_background(arr, BACKGROUND).sum() == 12
    assert changed(arr, np.asarray(Image.new("RGB", (10, 10), BACKGROUND))) == pytest.approx(0.12)
