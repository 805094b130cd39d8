"""The body fitter on the ``anny`` model (torch, CPU): fits, rebuilds and caches bodies by their parameters."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from typing import Any

from ..domain.errors import ValidationError


class AnnyBodyFitter:
    """Implements ``ports.BodyFitter``; anny/torch are imported on first use (``[body]`` extra)."""

    def __init__(self, capacity: int = 32):
        self._bodies: OrderedDict[str, Any] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    @staticmethod
    def key(params: dict[str, Any]) -> str:
        return hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()

    def fit(self, measurements_cm: dict[str, float], body_hint: str) -> tuple[dict[str, float], dict[str, Any]]:
        from ..geometry.body.fit import FitError, fit_body

        try:
            body = fit_body(measurements_cm, body_hint)
        except FitError as exc:
            raise ValidationError(f"measurements: these cannot be reached together on a human body: {exc}",
                                  field="measurements", value=measurements_cm) from None
        self._remember(body.params, body)
        return dict(body.measured), dict(body.params)

    def _remember(self, params: dict[str, Any], body: Any) -> None:
        with self._lock:
            self._bodies[self.key(params)] = {"body": body}
            while len(self._bodies) > self._capacity:
                self._bodies.popitem(last=False)

    def _entry(self, params: dict[str, Any]) -> dict[str, Any]:
        from ..geometry.body.model import build_body

        key = self.key(params)
        with self._lock:
            entry = self._bodies.get(key)
        if entry is None:
            self._remember(params, build_body(params))
            with self._lock:
                entry = self._bodies[key]
        return entry

    def body(self, params: dict[str, Any]) -> Any:
        """The :class:`~fw_kernel.geometry.body.model.FittedBody` (mesh, landmarks, measurements)."""
        return self._entry(params)["body"]

    def geometry(self, params: dict[str, Any]) -> Any:
        """The :class:`~fw_kernel.geometry.garment.garments.BodyGeometry` garments are generated on (cached)."""
        entry = self._entry(params)
        if "geometry" not in entry:
            from ..geometry.body.parts import body_geometry

            entry["geometry"] = body_geometry(entry["body"])
        return entry["geometry"]
