"""The avatar panel: measurement sliders (cm) that refit the body. A refit makes a new avatar from the changed
measurements (``ws.avatars.create``) and points the design at it (``design.update(avatar_id=...)``), so it is
saved, in the history and undoable like any edit."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import ipywidgets as w

from fw_kernel.domain.avatar import MEASUREMENT_RANGES_CM

from .context import StudioContext, disable

#: The sliders shown (others the avatar was fitted to are kept as they are).
SHOWN = ("height", "bust", "waist", "hips", "inseam")
DEFAULTS = {"height": 168.0, "bust": 88.0, "waist": 70.0, "hips": 96.0, "inseam": 78.0}


def check_with_tape_html(names: Sequence[str]) -> str:
    """The line asking to measure the least sure photo estimates (``check_with_tape``, in its order) with a tape:
    ``"Check with a tape: bust, hips"`` as escaped HTML; empty when there is nothing to check."""
    if not names:
        return ""
    listed = ", ".join(html.escape(str(name)) for name in names)
    return f"<div class='fw-check-tape' style='color:#a15c00'><b>Check with a tape:</b> {listed}</div>"


def avatar_info_html(avatar: Any) -> str:
    """The panel's line about ``avatar`` (an ``fw_kernel.api.avatars.Avatar``): its name, body and measurements
    (cm), and for a photo avatar the measurements to check with a tape."""
    m = avatar.measurements
    shown = ", ".join(f"{k} {m[k]:.1f}" for k in SHOWN if k in m)
    info = f"<b>{html.escape(avatar.name)}</b> ({html.escape(avatar.body_hint)}; measured: {shown} cm)"
    if avatar.source == "photo":
        info += check_with_tape_html(avatar.check_with_tape)
    return info


class AvatarPanel:
    def __init__(self, ctx: StudioContext):
        self.ctx = ctx
        self.updating = False
        self.info = w.HTML("")
        self.sliders: dict[str, w.FloatSlider] = {}
        for key in SHOWN:
            low, high = MEASUREMENT_RANGES_CM[key]
            slider = w.FloatSlider(value=DEFAULTS[key], min=low, max=high, step=0.5, description=f"{key} (cm)",
                                   continuous_update=False, style={"description_width": "90px"})
            slider.observe(lambda change, key=key: self._on_slider(key, change), "value")
            self.sliders[key] = slider
        self.body_hint = w.Dropdown(options=["female", "male", "neutral"], value="female", description="body")
        self.body_hint.observe(lambda change: self._on_slider("body_hint", change), "value")
        self.widget = w.VBox([self.info, self.body_hint, *self.sliders.values(),
                              w.HTML("<span style='color:#777'>Each change refits the body (about a second) and "
                                     "regenerates the garments on it.</span>")])
        self.widget.add_class("fw-avatar")
        self.avatar: Any = None

    def _current(self) -> Any:
        avatar_id = self.ctx.design.meta.avatar_id
        if avatar_id is None:
            return None
        if self.avatar is None or self.avatar.id != avatar_id:
            self.avatar = self.ctx.call(self.ctx.ws.avatars.get, avatar_id)
        return self.avatar

    def _on_slider(self, key: str, change: dict[str, Any]) -> None:
        if not self.updating:
            self.refit()

    def refit(self) -> Any:
        """Fit a body to the sliders' measurements and put it on the design; returns the new avatar."""
        current = self._current()
        measurements = dict(current.requested) if current is not None else {}
        measurements.update({key: float(slider.value) for key, slider in self.sliders.items()})
        name = current.name if current is not None else "Avatar"
        self.ctx.status.ok("fitting the body...")
        avatar = self.ctx.call(self.ctx.ws.avatars.create, name, measurements, self.body_hint.value)
        if avatar is None:
            self.refresh()
            return None
        if self.ctx.call(self.ctx.design.update, avatar_id=avatar.id, done=f"refitted {name}") is None and \
                self.ctx.status.last_error is not None:
            self.refresh()
            return None
        self.avatar = avatar
        self.refresh()
        return avatar

    def refresh(self) -> None:
        self.updating = True
        try:
            avatar = self._current()
            if avatar is None:
                self.info.value = "<i>No avatar yet: move a slider to fit one to these measurements.</i>"
            else:
                m = avatar.measurements
                self.info.value = avatar_info_html(avatar)
                requested = avatar.requested
                for key, slider in self.sliders.items():
                    value = requested.get(key, m.get(key))
                    if value is not None:
                        slider.value = float(min(max(value, slider.min), slider.max))
                if avatar.body_hint in self.body_hint.options:
                    self.body_hint.value = avatar.body_hint
            block = self.ctx.edit_block()
            for control in (*self.sliders.values(), self.body_hint):
                disable(control, block)
        finally:
            self.updating = False
