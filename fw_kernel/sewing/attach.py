"""Where a garment hangs from: the attachment line a cloth solver pins (solver-agnostic).

A garment sewn from a pattern is held up on the body along one line, the rest hangs from it:

- skirts and trousers hang from the waist: every vertex of a waistband panel (placement ``waist``) and of the
  ``waist`` edges of the body/leg panels (a skirt without a waistband);
- tops, dresses and coats hang from the shoulders: the ``shoulder*`` and ``neck`` edges of the body panels, the
  ``top`` edge of a yoke, and every vertex of a neck panel (collars, stands, neckbands: placement ``neck``);
- straps and anything else the names miss: when the rule finds fewer than :data:`MIN_PINNED` vertices, the
  vertices within :data:`TOP_BAND_M` of the garment's highest point.

Seam partners are pinned together (a vertex sewn to a pinned one is pinned), so the line is the same on both
sides of a seam. Works on :class:`~fw_kernel.sewing.assemble.PatternGarment` (its panel meshes, their named edge
vertices and ``seam_pairs``); indices are in the order of ``garment.vertices``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

HANG_FROM_WAIST = ("skirt", "trousers")
MIN_PINNED = 3
TOP_BAND_M = 0.02


def _edge_pins(kind: str, surface: str, edge: str) -> bool:
    if kind in HANG_FROM_WAIST:
        return surface in ("body", "legs_l", "legs_r") and edge == "waist"
    if surface != "body":
        return False
    return edge.startswith("shoulder") or edge == "neck" or edge == "top"


def attachment(garment: Any) -> np.ndarray:
    """(N,) bool: the vertices of ``garment`` (a ``PatternGarment``) held on the body, in ``garment.vertices``
    order."""
    kind = garment.spec.kind
    n = sum(len(m.vertices) for m in garment.meshes)
    pinned = np.zeros(n, bool)
    offset = 0
    for m in garment.meshes:
        surface = m.panel.placement.surface
        whole = surface == ("waist" if kind in HANG_FROM_WAIST else "neck")
        if whole:
            pinned[offset:offset + len(m.vertices)] = True
        else:
            for name, idx in m.edge_vertices.items():
                if _edge_pins(kind, surface, name):
                    pinned[offset + np.asarray(idx, int)] = True
        offset += len(m.vertices)
    if pinned.sum() < MIN_PINNED and n:
        y = garment.vertices[:, 1]
        pinned = y >= float(y.max()) - TOP_BAND_M
    return _through_seams(pinned, np.asarray(garment.seam_pairs, int).reshape(-1, 2))


def _through_seams(pinned: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """Pin every vertex sewn (directly or through a chain of seams) to a pinned one."""
    out = pinned.copy()
    for _ in range(4):  # corners join at most a few seams
        before = int(out.sum())
        hit = out[pairs[:, 0]] | out[pairs[:, 1]]
        out[pairs[hit, 0]] = True
        out[pairs[hit, 1]] = True
        if int(out.sum()) == before:
            break
    return out
