"""The catalog browser: a search box (typos tolerated), a type filter, thumbnails and an add button per item."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from fw_kernel.domain.values import LAYER_TYPES

from .context import StudioContext, disable

THUMB_PX = 96
MAX_RESULTS = 200  # every item of a catalog this size; the results scroll inside the panel
#: the browsing order without a search: garments first, then what dresses them, then what goes with them
TYPE_ORDER = ("silhouette", "fabric", "pattern", "element", "accessory")
RESULTS_HEIGHT = "420px"  # the panel scrolls inside itself, so the viewport beside it stays in view


def thumbnail_bytes(ws: Any, item: Any) -> bytes | None:
    """PNG bytes of an item's thumbnail through the notebook API (over the design service: the service's
    catalog), or None when it has none."""
    return ws.catalog.thumbnail(item) if item.thumbnail else None


def item_card(ws: Any, item: Any, on_add: Any = None, block: str | None = None) -> Any:
    """A thumbnail, the name and type, and (with ``on_add``) an add button."""
    data = thumbnail_bytes(ws, item)
    picture = (w.Image(value=data, format="png", width=THUMB_PX, height=THUMB_PX) if data is not None
               else w.HTML(f"<div style='width:{THUMB_PX}px;height:{THUMB_PX}px;background:#ddd'></div>"))
    label = w.HTML(f"<div style='width:{THUMB_PX + 24}px;font-size:11px;line-height:1.2'>"
                   f"{html.escape(item.name)}<br><span style='color:#777'>{item.type}"
                   f"{' · ' + format(item.price, '.2f') + ' ' + item.currency if item.price else ''}</span></div>")
    children = [picture, label]
    if on_add is not None:
        add = w.Button(description="add", layout=w.Layout(width=f"{THUMB_PX}px"))
        add.add_class("fw-catalog-add")
        add.on_click(lambda _: on_add(item))
        disable(add, block, f"add {item.name!r} on top of the design")
        children.append(add)
    card = w.VBox(children, layout=w.Layout(margin="4px", width=f"{THUMB_PX + 28}px"))
    card.add_class("fw-catalog-card")
    return card


class CatalogPanel:
    """Search the catalog and add items as layers."""

    def __init__(self, ctx: StudioContext):
        self.ctx = ctx
        self.query = w.Text(value="", placeholder="search: denim, linen dress, stripes...", description="search",
                            continuous_update=False)
        self.type = w.Dropdown(options=[("all types", "")] + [(t, t) for t in LAYER_TYPES], value="",
                               description="type")
        self.count = w.HTML("")
        self.results = w.Box([], layout=w.Layout(display="flex", flex_flow="row wrap", max_height=RESULTS_HEIGHT,
                                                  overflow="auto", align_content="flex-start"))
        self.results.add_class("fw-catalog-results")
        self.query.observe(lambda _: self.refresh(), "value")
        self.type.observe(lambda _: self.refresh(), "value")
        self.widget = w.VBox([w.HBox([self.query, self.type]), self.count, self.results])
        self.widget.add_class("fw-catalog")
        self.items: list[Any] = []
        self.shown = False  # cards are built when the tab is first opened (or a search is typed)
        self._cards: dict[str, tuple[Any, Any, str | None]] = {}  # item id -> (card, item, edit block)

    def search(self) -> list[Any]:
        kind = self.type.value or None
        text = self.query.value.strip()
        if text:
            return self.ctx.call(self.ctx.ws.catalog.search, text, type=kind, limit=MAX_RESULTS) or []
        items = self.ctx.call(self.ctx.ws.catalog.list, kind) or []
        rank = {t: i for i, t in enumerate(TYPE_ORDER)}
        return sorted(items, key=lambda item: (rank.get(item.type, len(rank)), item.name))[:MAX_RESULTS]

    def add(self, item: Any) -> Any:
        layer = self.ctx.call(self.ctx.design.add_layer, item, done=f"added {item.name!r}")
        if layer is not None:
            self.ctx.select(layer.id)
        return layer

    def refresh(self) -> None:
        """Show the search's results; a card is built once per item and kept while the item, and whether you may
        edit, stay the same (each card is a few widgets with a thumbnail: rebuilding 24 took 250-600 ms)."""
        self.shown = True
        self.items = self.search()
        block = self.ctx.edit_block()
        shown = []
        for item in self.items:
            entry = self._cards.get(item.id)
            if entry is None or entry[1] != item or entry[2] != block:
                if entry is not None:
                    _close_card(entry[0])
                entry = self._cards[item.id] = (item_card(self.ctx.ws, item, self.add, block), item, block)
            shown.append(entry[0])
        wanted = {item.id for item in self.items}
        for item_id in [i for i in self._cards if i not in wanted]:
            _close_card(self._cards.pop(item_id)[0])
        if self.results.children != tuple(shown):
            self.results.children = tuple(shown)
        self.count.value = f"<span style='color:#555'>{len(self.items)} item(s)</span>"

    def refresh_if_shown(self) -> None:
        """Refresh when the tab has been opened (building every card of the catalog waits until it is)."""
        if self.shown:
            self.refresh()


def _close_card(card: Any) -> None:
    for child in card.children:  # the picture, label and button: closing the box alone leaves them in the kernel
        child.close()
    card.close()
