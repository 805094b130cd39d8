"""The sewing-pattern model: panels (flat pieces in centimetres), the seams between their edges, and the pattern.

Coordinates of a panel are centimetres in the plane of the fabric, ``y`` up. Panels that hang on the torso or
the legs use the body's height as ``y`` (``y = 0`` on the floor when the panel is worn), so a level of the body
(bust, waist, hips) is a horizontal line on the pattern; sleeves use ``y = 0`` at the cap top, negative down the
arm. Outlines are the sew lines (net); the cut line adds the seam allowance of each edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon

DEFAULT_SA = 1.0   # cm of seam allowance where an edge names none
HEM_SA = 3.0       # cm turned up at hems


@dataclass
class Edge:
    """A named stretch of a panel's outline.

    Attributes
    ----------
    name : str
        ``side``, ``shoulder``, ``armhole``, ``neck``, ``hem``, ``waist``, ``center``...
    points : (K, 2) float array, cm
        From the edge's start to its end in the outline's counter-clockwise order (K >= 2).
    seam_allowance : float, cm
    """

    name: str
    points: np.ndarray
    seam_allowance: float = DEFAULT_SA

    @property
    def length(self) -> float:
        """Length along the edge, cm."""
        return float(np.linalg.norm(np.diff(self.points, axis=0), axis=1).sum())


@dataclass
class Dart:
    """A dart (or a pleat) taken in inside a panel: ``intake`` cm at height ``y_wide``, tapering to nothing at
    ``y_top`` and ``y_bottom`` (equal to ``y_wide`` for a dart that opens on an edge)."""

    x: float
    y_top: float
    y_wide: float
    y_bottom: float
    intake: float
    kind: str = "dart"   # dart | pleat | gathers | lap
    open_top: bool = False   # the full intake continues from y_wide up to the edge at y_top (raised waists)

    def intake_at(self, y: float) -> float:
        """cm taken in on a horizontal line at ``y``."""
        if y > self.y_top or y < self.y_bottom:
            return 0.0
        if self.kind == "lap":  # a vent's underlap: the same width all the way
            return self.intake
        if y >= self.y_wide:
            if self.open_top:
                return self.intake
            span = self.y_top - self.y_wide
            return self.intake if span <= 1e-9 else self.intake * (self.y_top - y) / span
        span = self.y_wide - self.y_bottom
        return self.intake if span <= 1e-9 else self.intake * (y - self.y_bottom) / span

    def lines(self) -> list[np.ndarray]:
        """The dart legs as polylines (cm), for drawing and DXF internal lines."""
        h = self.intake / 2
        pts = [(self.x, self.y_top), (self.x - h, self.y_wide), (self.x, self.y_bottom)]
        other = [(self.x, self.y_top), (self.x + h, self.y_wide), (self.x, self.y_bottom)]
        return [np.array(pts), np.array(other)]


@dataclass
class Placement:
    """Where a panel is worn.

    Attributes
    ----------
    surface : str
        ``body`` (torso, y = height), ``sleeve_l``/``sleeve_r`` (y = cm below the cap top), ``legs_l``/``legs_r``
        (trousers: torso above the hip joints, the leg below), ``neck`` (collars, hoods), ``waist``
        (waistbands), ``wrist_l``/``wrist_r`` (cuffs).
    azimuth : (float, float)
        Degrees around the body at the panel's left and right extents (0 = centre front, 90 = the body's left,
        180 = centre back); for sleeves 0 is the top of the arm.
    fit_top : float
        Above this y (cm) the x -> azimuth scale is frozen (shoulders and caps keep their proportions).
    lift : float
        cm the panel stands outside the fitting surface (collars, pockets, lapels, waistbands).
    flare_deg : float
        Angle the side seams open below ``hang_y``; the vertical drop there is measured along the flare.
    hang_y : float
    fold : tuple or None
        ``(p, q)``: a line (cm) across which the part of the panel to its right folds back (lapels, turn-ups).
    """

    surface: str
    azimuth: tuple[float, float]
    fit_top: float = 1e9
    lift: float = 0.0
    flare_deg: float = 0.0
    hang_y: float = -1e9
    fold: tuple[tuple[float, float], tuple[float, float]] | None = None
    lie: bool = False   # a collar that lies down over the garment from the neckline instead of standing up


@dataclass
class Panel:
    """A pattern piece.

    Attributes
    ----------
    name : str
        e.g. ``front``, ``back left``, ``sleeve left``, ``collar``, ``waistband``.
    edges : list of Edge
        Consecutive edges of the closed outline, counter-clockwise.
    grain : (2, 2) float array, cm
        The grain line (two points, parallel to the warp).
    placement : Placement
    notches : list of (2,) arrays, cm, on the outline
    darts : list of Dart
    marks : list of (label, (K, 2) array)
        Internal lines: button positions, pocket placement, fold and roll lines.
    overlap : float
        cm the panel reaches past the centre line it closes on (button extension): not girth.
    quantity : int
        How many to cut (all panels are drawn as worn, so 1 unless a piece repeats).
    """

    name: str
    edges: list[Edge]
    grain: np.ndarray
    placement: Placement
    notches: list[np.ndarray] = field(default_factory=list)
    darts: list[Dart] = field(default_factory=list)
    marks: list[tuple[str, np.ndarray]] = field(default_factory=list)
    overlap: float = 0.0
    quantity: int = 1
    fabric: str = "self"   # self | rib | lining | interfacing
    centre_x: float = 0.0
    centre_side: int = 0   # +1: a half from its centre line at centre_x to +x; -1: to -x; 0: a whole piece

    @property
    def outline(self) -> np.ndarray:
        """(N, 2) cm, closed outline without the repeated first point."""
        return np.concatenate([e.points[:-1] for e in self.edges])

    def polygon(self) -> Polygon:
        return Polygon(self.outline)

    def edge(self, name: str) -> Edge:
        for e in self.edges:
            if e.name == name:
                return e
        raise KeyError(f"panel {self.name!r} has no edge {name!r}; edges: {[e.name for e in self.edges]}")

    def cut_polygon(self) -> Polygon:
        """The cut line: the sew line grown by each edge's seam allowance (square corners)."""
        shapes = [self.polygon()]
        for e in self.edges:
            if e.seam_allowance > 0:
                shapes.append(LineString(e.points).buffer(e.seam_allowance, cap_style="flat", join_style="mitre"))
        cut = shapely.union_all(shapes).buffer(0)
        if cut.geom_type != "Polygon":  # tiny slivers between buffers: keep the largest part
            cut = max(cut.geoms, key=lambda g: g.area)
        return Polygon(cut.exterior)

    def filled_polygon(self) -> Polygon:
        """The outline with its neck opening closed across (a V or scoop does not take away girth)."""
        poly = self.polygon()
        for e in self.edges:
            if e.name == "neck" and len(e.points) > 2:
                top = float(e.points[:, 1].max())
                ring = np.vstack([e.points, [[e.points[-1, 0], top], [e.points[0, 0], top]]])
                fill = Polygon(ring).buffer(0)
                if fill.area > 0:
                    merged = poly.union(fill)
                    poly = merged if merged.geom_type == "Polygon" else poly
        return poly

    def width_at(self, y: float) -> float:
        """Fabric width (cm) of the panel across a horizontal line at ``y``, less darts, pleats and overlap."""
        minx, miny, maxx, maxy = self.polygon().bounds
        if not miny - 0.01 <= y <= maxy + 0.01:
            return 0.0
        y = min(max(y, miny + 0.05), maxy - 0.05)  # a level on a waist seam: just inside the piece
        lo, hi = minx - 1, maxx + 1
        if self.centre_side > 0:  # a front or back half: girth counts from its centre line, not its overlap
            lo = max(lo, self.centre_x)
        elif self.centre_side < 0:
            hi = min(hi, self.centre_x)
        cut = self.filled_polygon().intersection(LineString([(lo, y), (hi, y)]))
        return max(0.0, float(cut.length) - sum(d.intake_at(y) for d in self.darts))

    def extent_at(self, y: float) -> tuple[float, float] | None:
        """Leftmost and rightmost x (cm) of the panel at height ``y``."""
        minx, miny, maxx, maxy = self.polygon().bounds
        y = min(max(y, miny + 1e-6), maxy - 1e-6)
        cut = self.polygon().intersection(LineString([(minx - 1, y), (maxx + 1, y)]))
        if cut.is_empty:
            return None
        b = cut.bounds
        return float(b[0]), float(b[2])

    def bounds(self) -> tuple[float, float, float, float]:
        """(min x, min y, max x, max y) of the outline, cm."""
        out = self.outline
        lo, hi = out.min(0), out.max(0)
        return float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1])

    def extents_at(self, ys: np.ndarray) -> np.ndarray:
        """:meth:`extent_at` for many heights at once: (K, 2) leftmost and rightmost x (cm), NaN where a
        height misses the panel. Vectorised over the outline's segments (no polygon per height)."""
        out = self.outline
        nxt = np.roll(out, -1, axis=0)
        miny, maxy = out[:, 1].min(), out[:, 1].max()
        y = np.minimum(np.maximum(np.asarray(ys, float), miny + 1e-6), maxy - 1e-6)[:, None]   # (K, 1)
        y0, y1, x0, x1 = out[:, 1], nxt[:, 1], out[:, 0], nxt[:, 0]                            # (N,)
        lo_y, hi_y = np.minimum(y0, y1), np.maximum(y0, y1)
        hit = (y >= lo_y) & (y <= hi_y)                                                          # (K, N)
        dy = y1 - y0
        flat = np.abs(dy) < 1e-12
        t = np.where(flat, 0.0, (y - y0) / np.where(flat, 1.0, dy))
        x = x0 + t * (x1 - x0)
        x_lo = np.where(flat, np.minimum(x0, x1), x)   # a horizontal segment on the line: both of its ends
        x_hi = np.where(flat, np.maximum(x0, x1), x)
        left = np.where(hit, x_lo, np.inf).min(1)
        right = np.where(hit, x_hi, -np.inf).max(1)
        miss = ~np.isfinite(left)
        return np.stack([np.where(miss, np.nan, left), np.where(miss, np.nan, right)], axis=1)

    def check(self) -> list[str]:
        """What is wrong with the outline (empty if it is a closed, simple, counter-clockwise polygon)."""
        problems = []
        for a, b in zip(self.edges, self.edges[1:] + self.edges[:1]):
            if np.linalg.norm(a.points[-1] - b.points[0]) > 1e-6:
                problems.append(f"{self.name}: edge {a.name!r} does not end where {b.name!r} starts")
        poly = self.polygon()
        if not poly.is_valid:
            problems.append(f"{self.name}: outline self-intersects ({shapely.is_valid_reason(poly)})")
        if poly.exterior.is_ccw is False:
            problems.append(f"{self.name}: outline is clockwise")
        return problems


def net_length(panel: Panel, edge: Edge) -> float:
    """An edge's length less the intake of the darts and pleats that open on it (cm): where the edge crosses a
    dart's centre line within the dart's span."""
    total = edge.length
    line_ = LineString(edge.points)
    for d in panel.darts:
        if d.kind not in ("dart", "pleat") or d.intake <= 0:
            continue
        lo, hi = line_.bounds[1] - 1, line_.bounds[3] + 1
        hit = line_.intersection(LineString([(d.x, lo), (d.x, hi)]))
        for pt in getattr(hit, "geoms", [hit]):
            if pt.is_empty or pt.geom_type != "Point":
                continue
            if d.y_bottom - 0.3 <= pt.y <= d.y_top + 0.3:
                total -= d.intake_at(min(max(pt.y, d.y_bottom), d.y_top))
    return total


@dataclass
class Seam:
    """Two edges sewn together. ``same_direction``: the edges run the same way when sewn (else start meets
    end). ``ease``: designed extra length of edge ``a`` over edge ``b`` (cm), e.g. a sleeve cap over the armhole;
    ``gathered`` seams take in their ease as gathers."""

    a: tuple[str, str]
    b: tuple[str, str]
    same_direction: bool = False
    ease: float = 0.0
    kind: str = "plain"   # plain | gathered | elastic | zip | binding ...
    a_more: tuple[tuple[str, str], ...] = ()   # further edges of side a, in sewing order (a band round a neck)
    b_more: tuple[tuple[str, str], ...] = ()

    @property
    def a_chain(self) -> tuple[tuple[str, str], ...]:
        return (self.a, *self.a_more)

    @property
    def b_chain(self) -> tuple[tuple[str, str], ...]:
        return (self.b, *self.b_more)


@dataclass
class FitTarget:
    """A girth the pattern is built to: at height ``y`` (cm) the panels' widths add up to ``body + ease``."""

    level: str
    y: float
    body: float
    ease: float
    panels: tuple[str, ...]


@dataclass
class Pattern:
    """A garment as a sewing pattern."""

    silhouette: str
    size: str
    measurements: dict[str, float]
    parameters: dict[str, Any]
    panels: list[Panel]
    seams: list[Seam]
    fit: list[FitTarget] = field(default_factory=list)
    buttons: list[tuple[str, np.ndarray]] = field(default_factory=list)   # (panel, (2,) cm) button centres
    kind: str = "top"

    def panel(self, name: str) -> Panel:
        for p in self.panels:
            if p.name == name:
                return p
        raise KeyError(f"pattern {self.silhouette} has no panel {name!r}; panels: {[p.name for p in self.panels]}")

    def edge(self, ref: tuple[str, str]) -> Edge:
        return self.panel(ref[0]).edge(ref[1])

    def net_length(self, ref: tuple[str, str]) -> float:
        """Length of an edge once the darts and pleats that open on it are closed, cm."""
        panel = self.panel(ref[0])
        return net_length(panel, panel.edge(ref[1]))

    def seam_lengths(self, seam: Seam) -> tuple[float, float]:
        return (sum(self.net_length(r) for r in seam.a_chain), sum(self.net_length(r) for r in seam.b_chain))

    def girth_at(self, target: FitTarget) -> float:
        """The finished girth (cm) at a fit target's level, measured on the panels."""
        return sum(self.panel(n).width_at(target.y) for n in target.panels)

    def points_of_measure(self) -> dict[str, float]:
        """Finished measurements (cm) a tech pack lists: girths at the fit levels, lengths of the main pieces."""
        pom = {f"{t.level} girth": round(self.girth_at(t), 1) for t in self.fit}
        for p in self.panels:
            b = p.polygon().bounds
            if p.placement.surface in ("body", "legs_l") or p.placement.surface.startswith("sleeve_l"):
                pom[f"{p.name} length"] = round(b[3] - b[1], 1)
        return pom

    def check(self) -> list[str]:
        """Problems of outlines and seams (lengths that differ from the designed ease by more than 2 mm)."""
        problems = [msg for p in self.panels for msg in p.check()]
        for s in self.seams:
            la, lb = self.seam_lengths(s)
            if abs(la - lb - s.ease) > 0.2:
                problems.append(f"seam {s.a}-{s.b}: {la:.2f} vs {lb:.2f} cm, designed ease {s.ease:.2f}")
        return problems

    def fingerprint(self) -> tuple:
        """Everything that makes this pattern what it is, rounded (two drafts differ iff this differs)."""
        return (tuple((p.name, np.round(p.outline, 2).tobytes(), len(p.darts), tuple(m[0] for m in p.marks),
                       round(p.placement.lift, 2), p.placement.fold) for p in self.panels),
                tuple((s.a, s.b, round(s.ease, 2), s.kind) for s in self.seams),
                tuple((b[0], np.round(b[1], 2).tobytes()) for b in self.buttons))
