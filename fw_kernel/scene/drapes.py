"""What a drape stack is made of (numpy only): the scene builder describes a design's draped garments with it,
and the drape cache (:mod:`fw_kernel.services.drape`) keys finished drapes by it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: the fabric of a garment no fabric layer dresses: a medium plain-woven cotton
DEFAULT_PHYSICAL: dict[str, Any] = {"composition": {"cotton": 100}, "weight_gsm": 150, "thickness_mm": 0.4,
                                    "stretch": "none", "drape": 0.6}


@dataclass(frozen=True)
class StackEntry:
    """One garment of a drape stack: the key of what its shape is made from (body parameters, silhouette,
    shape parameters, the garments beneath), its vertex and triangle counts (a remeshed pattern changes them),
    and its fabric's ``physical`` block.

    The faces' bytes are not hashed: the panel triangulation is not reproducible from one process to another
    (a few triangles of a skirt's ~1900 differ, the vertices do not), and a worker must find the kernel's key."""

    layer_id: str
    geometry_key: str
    vertex_count: int
    face_count: int
    physical: Mapping[str, Any] = field(default_factory=dict)

    def content(self) -> dict[str, Any]:
        """What the key hashes (the layer id is not: a fork or a re-added layer reuses the drape)."""
        return {"geometry": self.geometry_key, "n": self.vertex_count, "faces": self.face_count,
                "physical": dict(self.physical)}

