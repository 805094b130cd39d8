"""Where a garment hangs from: the attachment line a cloth solver pins (solver-agnostic).

A garment sewn from a pattern is held up on the body along one line, the rest hangs from it:

- skirts and trousers hang from the waist: every vertex of the waistband panel (placement ``waist``), or without
  one the ``waist`` edges of the body/leg panels (the panels hang from the band by their seam, :func:`stitches`);
- tops, dresses and coats hang from the shoulders: the ``shoulder*`` and ``neck`` edges of the body panels and
  the ``top`` edge of a yoke (collars and bands are sewn on the neckline and carried by it);
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
NEAREST_FALLBACK_M = 0.02   # a seam whose partners by length fraction lie further apart is paired by 3D proximity


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
    bottoms = kind in HANG_FROM_WAIST
    band = bottoms and any(m.panel.placement.surface == "waist" for m in garment.meshes)
    for m in garment.meshes:
        surface = m.panel.placement.surface
        if bottoms and surface == "waist":   # the waistband holds a skirt or trousers up
            pinned[offset:offset + len(m.vertices)] = True
        elif not band:                       # no waistband: the waist edges; a top: shoulders and neckline
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


def stitches(garment: Any) -> np.ndarray:
    """(P, 2) vertex pairs (``garment.vertices`` order) that sew every seam of the pattern, including those the
    3D wrap does not weld (gathered or eased seams, chains of edges such as a band round a neckline, seams
    between panels at different lifts such as a waistband): each vertex of either side is paired with the vertex
    of the other side at the nearest fraction of the seam's length (measured on the flat pattern), so the longer
    side gathers onto the shorter one."""
    if garment.pattern is None:
        return np.empty((0, 2), np.int64)
    offsets, meshes = {}, {}
    verts = np.asarray(garment.vertices, np.float64)
    k = 0
    for m in garment.meshes:
        offsets[m.panel.name], meshes[m.panel.name] = k, m
        k += len(m.vertices)
    pairs = []
    for seam in garment.pattern.seams:
        sides = [_side(chain, meshes, offsets) for chain in (seam.a_chain, seam.b_chain)]
        if sides[0] is None or sides[1] is None:
            continue
        ia, ta = _join(sides[0])
        best: tuple[float, np.ndarray] | None = None
        # which way round the other side runs, checked on the 3D wrap (it puts seam partners side by side): as
        # drawn, the whole chain reversed, or each of its edges reversed in place; for a closed band, from where
        for edges in (sides[1], [(i[::-1], st[::-1]) for i, st in reversed(sides[1])],
                      [(i[::-1], st[::-1]) for i, st in sides[1]]):
            ib, tb = _join(edges)
            loop = bool(np.linalg.norm(verts[ib[0]] - verts[ib[-1]]) < 0.03)
            for shift in (np.linspace(0.0, 1.0, 64, endpoint=False) if loop else (0.0,)):
                sb = (tb + shift) % 1.0 if loop else tb
                dist = np.abs(ta[:, None] - sb[None, :])
                if loop:
                    dist = np.minimum(dist, 1.0 - dist)
                cand = np.concatenate([np.c_[ia, ib[dist.argmin(1)]], np.c_[ia[dist.argmin(0)], ib]])
                gap = float(np.median(np.linalg.norm(verts[cand[:, 0]] - verts[cand[:, 1]], axis=1)))
                if best is None or gap < best[0]:
                    best = (gap, cand)
        if best is not None and best[0] > NEAREST_FALLBACK_M:   # the chain's order is not the sewing order:
            ib = _join(sides[1])[0]                             # partners are where the wrap put them
            da = np.linalg.norm(verts[ia][:, None] - verts[ib][None, :], axis=2)
            best = (0.0, np.concatenate([np.c_[ia, ib[da.argmin(1)]], np.c_[ia[da.argmin(0)], ib]]))
        if best is not None:
            pairs.append(best[1])
    if not pairs:
        return np.empty((0, 2), np.int64)
    out = np.unique(np.sort(np.concatenate(pairs), axis=1), axis=0)
    return out[out[:, 0] != out[:, 1]].astype(np.int64)


def _side(chain: Any, meshes: dict[str, Any], offsets: dict[str, int]
          ) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Per edge of a seam side: its global vertex indices and the flat steps (cm) between them (None when a
    panel of the chain is not in the 3D garment)."""
    out = []
    for panel, edge in chain:
        m = meshes.get(panel)
        if m is None or edge not in m.edge_vertices:
            return None
        e = np.asarray(m.edge_vertices[edge], int)
        out.append((e + offsets[panel], np.linalg.norm(np.diff(m.uv[e], axis=0), axis=1)))
    return out or None


def _join(edges: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """A seam side's vertices in sewing order and the fraction (0..1) of its length at each."""
    idx = np.concatenate([i for i, _ in edges])
    steps = np.concatenate([np.concatenate([[0.0], st]) for _, st in edges])   # no length between two edges
    cum = np.cumsum(steps)
    return idx, cum / max(float(cum[-1]), 1e-9)
