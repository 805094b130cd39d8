"""Honest in-memory cloth drapers for the drape job's tests (``FW_DRAPER=tests.support.drapers:FakeDraper``):
they implement the ``ClothDraper`` port without physics. Each moves every vertex straight down by ``DROP``
metres over its frames, reports progress per frame, polls ``cancelled`` between frames and records its calls
(class-wide, since the job makes its own instance)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np

from fw_kernel.ports import DrapeCancelled


class FakeDraper:
    DROP = 0.05           # m
    FRAMES = 4
    FRAME_S = 0.0         # seconds each frame takes
    VERSION = "fake-1"
    calls: ClassVar[list[dict[str, Any]]] = []

    def version(self) -> str:
        return self.VERSION

    def drape(self, body: Any, garments: Sequence[tuple[Any, dict[str, Any]]], quality: str,
              progress: Callable[[float, str], None] | None = None,
              cancelled: Callable[[], bool] | None = None) -> list[np.ndarray]:
        type(self).calls.append({"quality": quality, "fabrics": [dict(p) for _, p in garments],
                                 "vertices": [len(g.vertices) for g, _ in garments], "body": len(body.vertices)})
        for frame in range(self.FRAMES):
            if cancelled is not None and cancelled():
                raise DrapeCancelled(f"cancelled at frame {frame}")
            time.sleep(self.FRAME_S)
            if progress is not None:
                progress((frame + 1) / self.FRAMES, f"frame {frame + 1}")
        return [(np.asarray(g.vertices, np.float32) - np.float32([0.0, self.DROP, 0.0])).astype(np.float32)
                for g, _ in garments]


class SlowDraper(FakeDraper):
    """Long enough to cancel it or kill its worker mid-drape: 200 frames of 50 ms (10 s)."""

    FRAMES = 200
    FRAME_S = 0.05
