"""What a drape stack is made of (numpy only): the scene builder describes a design's draped garments with it,
and the drape cache (:mod:`fw_kernel.services.drape`) keys finished drapes by it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: the fabric of a garment no fabric layer dresses: a medium plain-woven cotton
DEFAULT_PHYSICAL: dict[str, Any] = {"composition": {"cotton": 100}, "weight_gsm": 150, "thickness_mm": 0.4,
                                    "stretch": "none", "drape": 0.6}


@dataclass(frozen=True)
class StackEntry:
    """One garment of a drape stack: the scene builder's geometry key, topology digest, vertex count, fabric."""

    layer_id: str
    geometry_key: str
    faces_digest: str
    vertex_count: int
    physical: Mapping[str, Any] = field(default_factory=dict)

    def content(self) -> dict[str, Any]:
        """What the key hashes (the layer id is not: a fork or a re-added layer reuses the drape)."""
        return {"geometry": self.geometry_key, "faces": self.faces_digest, "n": self.vertex_count,
                "physical": dict(self.physical)}


def faces_digest(faces: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(faces, dtype=np.int64).tobytes()).hexdigest()[:32]
