"""``DesignStudio(design)``: the viewport and the panels (layers, inspector, catalog, avatar, history, exports).

Every control goes through the design handle's public methods, so a widget edit is saved, undoable and in the
history like one typed in a cell; ``design.on_change`` brings edits made in code into the open studio.
"""

from __future__ import annotations

import html
import logging
from typing import Any

import ipywidgets as w

from fw_kernel.domain.describe import describe_change

from .avatar_panel import AvatarPanel
from .catalog_panel import CatalogPanel
from .context import StudioContext
from .drape_panel import DrapeControl
from .export_panel import ExportPanel
from .history_panel import HistoryPanel
from .inspector import Inspector
from .layers_panel import LayersPanel
from .links import VisibilityLinks
from .live import follow
from .sync import SceneSync
from .three import Viewport

log = logging.getLogger("fw_widgets")

TABS = ("Layers", "Inspector", "Catalog", "Avatar", "History", "Export")


class DesignStudio(w.VBox):
    """The design studio for one open design (``design.show()``).

    Attributes: ``viewport`` (pythreejs scene), ``sync`` (incremental updates; ``sync.stats`` counts fast and full
    updates), ``links`` (browser-side visibility links, :mod:`fw_widgets.links`; None with
    ``instant_visibility=False``), ``layers``, ``inspector``, ``catalog``, ``avatar``, ``history``, ``exports``
    (panels), ``drape`` (the Drape button, auto-drape toggle and "draping… 40 %" line under the viewport; with
    ``auto_drape`` every edit that leaves a garment undraped starts a drape of ``drape_quality``), ``status``.
    """

    def __init__(self, design: Any, width: int = 640, height: int = 560, instant_visibility: bool = True,
                 auto_drape: bool = False, drape_quality: str = "standard", **kwargs: Any):
        self.design = design
        #: visibility toggles drive their meshes in the browser too (no kernel round trip before the frame)
        self.links = VisibilityLinks() if instant_visibility else None
        self.ctx = StudioContext(design)
        self.status = self.ctx.status
        self.viewport = Viewport(width, height, antialias=bool(design.canvas.antialiasing))
        self.sync = SceneSync(design, self.viewport)
        self.layers = LayersPanel(self.ctx)
        self.inspector = Inspector(self.ctx)
        self.catalog = CatalogPanel(self.ctx)
        self.avatar = AvatarPanel(self.ctx)
        self.history = HistoryPanel(self.ctx)
        self.exports = ExportPanel(self.ctx)
        self.tabs = w.Tab(children=[self.layers.widget, self.inspector.widget, self.catalog.widget,
                                    self.avatar.widget, self.history.widget, self.exports.widget],
                          layout=w.Layout(flex="1 1 460px", min_width="460px", max_width="660px"))
        for index, title in enumerate(TABS):
            self.tabs.set_title(index, title)
        self.header = w.HTML("")
        block = self.ctx.edit_block()
        banner = w.HTML(f"<div class='fw-readonly' style='color:#8a5a00'>{html.escape(block)}</div>") if block \
            else w.HTML("")
        self.sync.full()
        self.drape = DrapeControl(self.ctx, self.sync, quality=drape_quality, auto=False)
        viewport_box = w.VBox([self.viewport.widget, self.drape.widget], layout=w.Layout(flex="0 0 auto"))
        viewport_box.add_class("fw-viewport")
        body = w.HBox([viewport_box, self.tabs], layout=w.Layout(flex_flow="row wrap"))  # panels wrap below
        super().__init__([self.header, banner, self.status.widget, body], **kwargs)
        self.add_class("fw-studio")
        self.tabs.observe(self._on_tab, "selected_index")
        self._seen = design.state  # what the panels show: the next edit is described against it
        self._refresh_panels(all_panels=True)
        self._link()
        self._unsubscribe: Any = design.on_change(self._on_change)
        self.live = follow(self)  # edits saved elsewhere (other handles, collaborators, the service): live.py
        self.drape.auto.value = auto_drape  # on: drapes now if the design is not draped yet

    def _on_tab(self, change: dict[str, Any]) -> None:
        if change["new"] == TABS.index("History"):
            self.history.refresh()
        elif change["new"] == TABS.index("Catalog") and not self.catalog.shown:
            self.catalog.refresh()

    def _on_change(self, design: Any, action: str) -> None:
        """After every edit through the design handle (a widget's or a cell's): update the view incrementally."""
        try:
            self.sync.update()
            self.drape.after_edit()  # the fitted shape is shown; auto-drape queues the drape (never waits)
            self._refresh_panels(all_panels=action in ("update_design", "restore", "refresh"))
            self._link()
            self._say(action)
        except Exception as exc:  # the edit is saved; the view says it could not follow instead of raising
            log.exception("studio update after %s failed", action)
            self.status.error(exc)

    def _say(self, action: str) -> None:
        """The status line names what this edit changed (a collaborator's edit: ``live.announce`` says who)."""
        before, self._seen = self._seen, self.design.state
        if action in ("follow", "refresh"):
            return
        said = describe_change(before, self._seen)
        if said:
            self.status.ok(f"{action}: {said}" if action in ("undo", "redo", "restore") else said)

    def _link(self) -> None:
        if self.links is not None:
            self.links.sync({layer_id: row.visible for layer_id, row in self.layers.rows.items()}, self.viewport)

    def _refresh_panels(self, all_panels: bool = False) -> None:
        m = self.design.meta
        self.header.value = (f"<b>{html.escape(self.design.name)}</b> <span style='color:#777'>({m.category}, "
                             f"{m.status}, version {self.design.version}, you are {self.design.role})</span>")
        self.layers.refresh()
        self.inspector.refresh()
        if all_panels or self.tabs.selected_index == TABS.index("History"):
            self.history.refresh()  # versions and recent actions come from the store: only when shown
        else:
            self.history.refresh_buttons()
        self.avatar.refresh()  # cheap unless the design's avatar changed (a refit, its undo, a restore)
        if all_panels:
            self.catalog.refresh_if_shown()
            self.exports.refresh()

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.live is not None:
            self.live()
            self.live = None
        if self.links is not None:
            self.links.close()
        self.drape.handle = None  # its follower thread stops at the next poll; the job itself goes on
        self.viewport.close()
        super().close()
