"""``Gallery``: the published designs of a team as cards (the Voila app ``notebooks/apps/gallery.ipynb``).

Each card shows a rendered thumbnail (``design.thumbnail()``: the render cache, one render per design state),
the name, designer, category, last update and likes; search, filters (category, designer, fabric) and the sort
(newest, most liked) query ``ws.designs.published`` again, so a design unpublished meanwhile is gone and a new
one appears. "Open" shows the read-only :class:`~fw_widgets.viewer.DesignViewer` in the page (a Voila app
served alone has no other page to go to)."""

from __future__ import annotations

import html
import logging
from typing import Any

import ipywidgets as w

from fw_kernel.domain.errors import FWError
from fw_kernel.domain.values import CATEGORIES

log = logging.getLogger("fw_widgets")
ALL = "(all)"


class Gallery(w.VBox):
    """Cards of the designs published to the team or public; private ones never appear (the query cannot
    return them). ``thumb_size``: the thumbnails' side in pixels."""

    def __init__(self, ws: Any, thumb_size: int = 192, **kwargs: Any):
        self.ws = ws
        self.thumb_size = thumb_size
        self._thumbs: dict[tuple[str, int], bytes | None] = {}  # (design id, version) -> PNG
        self.search = w.Text(placeholder="name, tag, designer", description="Search", continuous_update=False)
        self.category = w.Dropdown(options=[ALL, *CATEGORIES], value=ALL, description="Category")
        self.designer = w.Dropdown(options=[ALL], value=ALL, description="Designer")
        self.fabric = w.Dropdown(options=[ALL], value=ALL, description="Fabric")
        self.sort = w.ToggleButtons(options=[("Newest", "newest"), ("Most liked", "most_liked")], value="newest")
        self.refresh_button = w.Button(description="Refresh", tooltip="ask the store again (new and unpublished "
                                       "designs)")
        self.status = w.HTML("")
        self.grid = w.GridBox([], layout=w.Layout(grid_template_columns=f"repeat(auto-fill, {thumb_size + 28}px)",
                                                  grid_gap="12px", width="100%"))
        self.grid.add_class("fw-gallery-grid")
        self.detail = w.VBox([])
        for control in (self.search, self.category, self.designer, self.fabric, self.sort):
            control.observe(lambda _change: self.show(), "value")
        self.refresh_button.on_click(lambda _button: self.refresh())
        filters = w.HBox([self.search, self.category, self.designer, self.fabric],
                         layout=w.Layout(flex_flow="row wrap"))
        self.browse = w.VBox([filters, w.HBox([self.sort, self.refresh_button]), self.status, self.grid])
        super().__init__([w.HTML("<h2 style='margin:4px 0'>Published designs</h2>"), self.browse, self.detail],
                         **kwargs)
        self.add_class("fw-gallery")
        self.viewer: Any = None
        self.cards: dict[str, w.VBox] = {}
        self._card_keys: dict[str, tuple[int, int]] = {}
        self.refresh()

    # -- data --------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the published designs: the designer and fabric choices, then the cards."""
        try:
            everything = self.ws.designs.published()
        except FWError as exc:
            self.status.value = f"<span style='color:#b00020'>{html.escape(str(exc))}</span>"
            return
        published = {d.id for d in everything}
        for design_id in set(self.cards) - published:  # unpublished or deleted meanwhile
            self._card_keys.pop(design_id, None)
            self.cards.pop(design_id).close()
        designers = sorted({d.owner for d in everything})
        fabrics: dict[str, str] = {}
        for d in everything:
            for layer in d.layers:
                if layer.type == "fabric":
                    item = self.ws.catalog.get(layer.catalog_item_id)
                    fabrics[item.name] = item.id
        self._choices(self.designer, designers)
        self._choices(self.fabric, sorted(fabrics))
        self.show()

    @staticmethod
    def _choices(dropdown: w.Dropdown, values: list[str]) -> None:
        keep = dropdown.value if dropdown.value in values else ALL
        with dropdown.hold_trait_notifications():
            dropdown.options = [ALL, *values]
            dropdown.value = keep

    def query(self) -> dict[str, Any]:
        """The arguments of ``ws.designs.published`` the controls stand for."""
        def chosen(dropdown: w.Dropdown) -> str | None:
            return None if dropdown.value == ALL else dropdown.value

        return {"search": self.search.value, "category": chosen(self.category), "designer": chosen(self.designer),
                "fabric": chosen(self.fabric), "sort": self.sort.value}

    def show(self) -> None:
        """Query with the current filters and lay out one card per design."""
        query = self.query()
        search = query.pop("search")
        try:
            designs = self.ws.designs.published(search, **query)
        except FWError as exc:
            self.status.value = f"<span style='color:#b00020'>{html.escape(str(exc))}</span>"
            return
        self.status.value = (f"<span class='fw-gallery-count'>{len(designs)} design(s)</span>" if designs else
                             "<span class='fw-gallery-count'>No published design matches.</span>")
        cards = [self._card(d) for d in designs]
        self.grid.children = tuple(cards)  # cards filtered out are kept: the next filter may bring them back

    def thumbnail(self, design: Any) -> bytes | None:
        key = (design.id, design.version)
        if key not in self._thumbs:
            try:
                self._thumbs[key] = design.thumbnail(self.thumb_size)
            except Exception as exc:  # a card without a picture still opens
                log.warning("no thumbnail for design %s: %s", design.id, exc)
                self._thumbs[key] = None
        return self._thumbs[key]

    def _card(self, design: Any) -> w.VBox:
        key = (design.version, design.counts["likes"])
        old = self.cards.get(design.id)
        if old is not None and self._card_keys.get(design.id) == key:
            return old  # unchanged: the page keeps its card (no flicker, no new image sent)
        if old is not None:
            self.cards.pop(design.id).close()
        self._card_keys[design.id] = key
        size = self.thumb_size
        png = self.thumbnail(design)
        picture: w.Widget
        if png is not None:
            picture = w.Image(value=png, format="png", width=size, height=size)
            picture.add_class("fw-gallery-thumb")
        else:
            picture = w.HTML(f"<div style='width:{size}px;height:{size}px;background:#eee;color:#777;display:flex;"
                             "align-items:center;justify-content:center'>no picture</div>")
        m = design.meta
        updated = design.state.updated_at
        fabrics = [layer.name for layer in design.layers if layer.type == "fabric"]
        info = w.HTML(
            f"<div class='fw-gallery-info' style='line-height:1.35'><b class='fw-gallery-name'>"
            f"{html.escape(design.name)}</b><br>{html.escape(m.category)} by "
            f"<span class='fw-gallery-designer'>{html.escape(design.owner)}</span><br>"
            f"<span style='color:#666'>updated {updated:%Y-%m-%d %H:%M} UTC</span><br>"
            f"<span class='fw-gallery-likes'>{design.counts['likes']} like(s)</span>"
            + (f"<br><span style='color:#666'>{html.escape(', '.join(fabrics))}</span>" if fabrics else "")
            + "</div>")
        button = w.Button(description="Open", tooltip=f"view {design.name!r} (read-only)",
                          layout=w.Layout(width="auto"))
        button.on_click(lambda _b, design_id=design.id: self.open_design(design_id))
        card = w.VBox([picture, info, button], layout=w.Layout(border="1px solid #ddd", padding="6px",
                                                               width=f"{size + 16}px"))
        card.add_class("fw-gallery-card")
        self.cards[design.id] = card
        return card

    # -- the viewer ----------------------------------------------------------------------------------------
    def open_design(self, design_id: str) -> None:
        """Show the design in the read-only viewer instead of the cards (counts a view)."""
        from .viewer import DesignViewer, message

        self.close_viewer()
        back = w.Button(description="Back to the gallery", layout=w.Layout(width="auto"))
        back.on_click(lambda _b: self.close_viewer())
        try:
            self.viewer = DesignViewer(self.ws.designs.get(design_id))
        except FWError:  # unpublished since the cards were drawn
            self.viewer = message(f"Design {design_id!r} is no longer published.")
        self.detail.children = (back, self.viewer)
        self.browse.layout.display = "none"

    def close_viewer(self) -> None:
        if self.viewer is not None:
            self.viewer.close()
            self.viewer = None
        self.detail.children = ()
        self.browse.layout.display = None
