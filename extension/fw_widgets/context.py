"""What every studio panel shares: the design handle, its workspace, the selection, permissions and the inline
status line where API errors show (as a sentence, never as a traceback)."""

from __future__ import annotations

import html
import logging
import warnings
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from fw_kernel.domain.errors import FWError, FWWarning

log = logging.getLogger("fw_widgets")

EDIT_ROLES = ("owner", "editor")


def workspace_of(design: Any) -> Any:
    """The workspace a design handle was opened from (catalog, avatars)."""
    return design.workspace


class Status:
    """One line of inline feedback: errors in red, confirmations in grey."""

    def __init__(self) -> None:
        self.widget = w.HTML(value="", layout=w.Layout(min_height="1.6em"))
        self.widget.add_class("fw-status")
        self.last_error: Exception | None = None

    def error(self, exc: Exception) -> None:
        self.last_error = exc
        kind = type(exc).__name__
        self.widget.value = (f"<div class='fw-error' style='color:#b00020'><b>{html.escape(kind)}</b>: "
                             f"{html.escape(str(exc))}</div>")

    def warn(self, message: str) -> None:
        """Done, but probably not as meant (an ``fw.FWWarning``): amber, kept until the next message."""
        self.last_error = None
        self.widget.value = f"<div class='fw-warning' style='color:#8a5a00'>{html.escape(message)}</div>"

    def ok(self, message: str) -> None:
        self.last_error = None
        self.widget.value = f"<div class='fw-ok' style='color:#555'>{html.escape(message)}</div>"

    def clear(self) -> None:
        self.last_error = None
        self.widget.value = ""


class StudioContext:
    """The design, its workspace, the selected layer and the permission rules the panels apply."""

    def __init__(self, design: Any, read_only: bool = False):
        self.design = design
        self.ws = workspace_of(design)
        self.status = Status()
        self.read_only = read_only
        self.selected: str | None = None
        self._on_select: list[Callable[[str | None], None]] = []

    # -- permissions -------------------------------------------------------------------------------------------
    def edit_block(self) -> str | None:
        """Why this session may not edit the design, or None when it may."""
        if self.read_only:
            return "read-only view: open the design in the studio to edit it"
        role = self.design.role
        if role not in EDIT_ROLES:
            return f"you are a {role or 'guest'} on this design: editing needs the editor or owner role"
        return None

    def layer_block(self, layer: Any) -> str | None:
        """Why ``layer`` may not be edited (design permission, then its lock), or None."""
        block = self.edit_block()
        if block is not None:
            return block
        if layer.is_locked:
            return f"layer {layer.name!r} is locked: unlock it (layer panel) to edit it"
        return None

    # -- selection ---------------------------------------------------------------------------------------------
    def select(self, layer_id: str | None) -> None:
        self.selected = layer_id
        for callback in list(self._on_select):
            callback(layer_id)

    def on_select(self, callback: Callable[[str | None], None]) -> None:
        self._on_select.append(callback)

    def selected_layer(self) -> Any | None:
        if self.selected is None:
            return None
        for layer in self.design.layers:
            if layer.id == self.selected:
                return layer
        return None

    # -- calls -------------------------------------------------------------------------------------------------
    def call(self, fn: Callable[..., Any], *args: Any, done: str | None = None, **kwargs: Any) -> Any:
        """Run an API call; show its error inline (and return None) instead of raising."""
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", FWWarning)
                result = fn(*args, **kwargs)
        except FWError as exc:
            self.status.error(exc)
            return None
        except Exception as exc:  # a bug or an outage: still a sentence in the panel, with the log for details
            log.exception("studio call %s failed", getattr(fn, "__name__", fn))
            self.status.error(exc)
            return None
        said = [str(w.message) for w in caught if issubclass(w.category, FWWarning)]
        if said:
            self.status.warn(" ".join(said))
        elif done:
            self.status.ok(done)
        return result


def disable(widget: Any, reason: str | None, hint: str = "") -> None:
    """Disable a control with a tooltip that says why (or enable it, with ``hint`` as its tooltip)."""
    disabled = reason is not None
    if widget.disabled != disabled:
        widget.disabled = disabled
    tooltip = reason or hint
    if getattr(widget, "tooltip", None) != tooltip:
        widget.tooltip = tooltip
