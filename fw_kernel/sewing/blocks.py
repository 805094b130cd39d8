"""Drafting blocks: bodice halves, skirts, trouser legs, sleeves and bands, from body measurements (cm).

Drafting follows the usual block construction (Aldrich, *Metric Pattern Cutting*): girths split into quarters
with the front a little wider than the back, the neck width from the neck girth, the armhole from the shoulder
point to the underarm level, a sleeve cap whose height is solved so its length equals the armhole plus the
designed cap ease. Edge polylines are sampled densely enough for 2 mm seam-length accuracy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from scipy.interpolate import PchipInterpolator

from .measures import BodyMeasures
from .model import HEM_SA, Dart, Edge, Panel, Placement

Pts = np.ndarray  # (n, 2) points, cm
PtsLike = ArrayLike  # what the drafting helpers accept: arrays, or tuples of (x, y) in cm


def bezier(p0: PtsLike, p1: PtsLike, p2: PtsLike, p3: PtsLike, n: int = 24) -> Pts:
    """Cubic Bezier through p0..p3 (control points p1, p2), (n, 2) cm."""
    t = np.linspace(0.0, 1.0, n)[:, None]
    a, b, c, d = (np.asarray(p, dtype=float) for p in (p0, p1, p2, p3))
    return (1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t ** 2 * c + t ** 3 * d


def line(a: PtsLike, b: PtsLike, n: int = 2) -> Pts:
    t = np.linspace(0.0, 1.0, n)[:, None]
    return np.asarray(a, float) * (1 - t) + np.asarray(b, float) * t


def polyline(*pts: PtsLike) -> Pts:
    return np.asarray(pts, dtype=float)


def join(*parts: PtsLike) -> Pts:
    """Concatenate polylines that meet end to start."""
    out = [np.asarray(parts[0], float)]
    for p in parts[1:]:
        out.append(np.asarray(p, float)[1:])
    return np.concatenate(out)


def length(p: Pts) -> float:
    return float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum())


def resample(p: Pts, n: int) -> Pts:
    """n points evenly spaced by arc length along polyline p."""
    seg = np.linalg.norm(np.diff(p, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    t = np.linspace(0.0, cum[-1], n)
    return np.stack([np.interp(t, cum, p[:, 0]), np.interp(t, cum, p[:, 1])], axis=1)


def mirror_x(p: Pts) -> Pts:
    return np.asarray(p, float) * np.array([-1.0, 1.0])


# -- bodice -----------------------------------------------------------------------------------------------------
@dataclass
class BodiceSpec:
    """What a bodice half needs besides the body (cm, degrees)."""

    hem_y: float
    ease_bust: float
    ease_waist: float | None = None    # None: straight sides from the bust (no waist shaping)
    ease_hip: float | None = None
    neckline: str = "crew"
    neck_extra: float = 0.0            # wider neck for layers (coats, hoods)
    shoulder_drop: float = 0.0         # dropped shoulders (hoodies)
    armhole_drop: float = 0.0          # lower armhole for loose or outer garments
    flare_deg: float = 0.0
    hang_y: float | None = None
    hem_shape: str = "straight"
    waist_seam: bool = False           # the half ends at the waist (hem_y is ignored for widths below)


@dataclass
class BodiceHalf:
    """Edges of a bodice half from centre (x = 0) to the side (x > 0), counter-clockwise from the centre hem."""

    edges: list[Edge]
    darts: list[Dart] = field(default_factory=list)
    targets: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # level -> (y, body, ease) of 2x half
    underarm_y: float = 0.0


def neck_shape(m: BodyMeasures, neckline: str, front: bool, extra: float = 0.0) -> tuple[float, float]:
    """Neck width (half, cm from the centre to the high shoulder point) and depth below it."""
    w = m.neck / 6 + 0.8 + extra
    d = (m.neck / 6 + 1.8 + extra) if front else 2.2 + extra * 0.3
    if neckline == "scoop":
        w, d = w + 3.0, (d + 8.0 if front else d + 2.0)
    elif neckline in ("v", "v_neck"):
        w, d = w + 1.0, (d + 13.0 if front else d)
    elif neckline == "boat":
        w, d = w + 6.0, (3.5 if front else 2.0)
    elif neckline == "square":
        w, d = w + 3.0, (d + 6.0 if front else d + 1.0)
    elif neckline in ("collar", "hood"):
        w = w + 0.5
    return w, d


def bodice_half(m: BodyMeasures, b: BodiceSpec, front: bool) -> BodiceHalf:
    """One half of a front or back bodice (from centre to side seam), edges counter-clockwise from the centre hem."""
    delta = (1.0 if m.sex == "female" else 0.5) * (1 if front else -1)  # front a little wider than the back
    q_b = (m.bust + b.ease_bust) / 4   # finished quarter girths; delta moves width from back to front
    wb = q_b + delta
    ua_y = max(m.underarm_y - 2.0 - 0.12 * b.ease_bust - b.armhole_drop, m.bust_y - 3.0)
    # the chest is measured across the garment 2 cm under the armhole where the armhole reaches below the bust
    y_b = min(m.bust_y, ua_y - 2.0)
    body_b = m.girth_at(y_b)
    ease_b = b.ease_bust + (m.bust - body_b)   # the same finished girth, over a body a little narrower there
    top = m.hps_y
    targets: dict[str, tuple[float, float, float]] = {"bust": (y_b, body_b, ease_b)}
    darts: list[Dart] = []
    levels = [(ua_y, wb), (y_b, wb)]
    low_y = m.waist_y if b.waist_seam else b.hem_y
    q_w = q_b
    side_waist = wb
    if low_y < m.waist_y + 1:
        q_w = q_b if b.ease_waist is None else (m.waist + b.ease_waist) / 4
        w_target = q_w + delta
        intake = wb - w_target
        side_take = intake if (b.ease_waist is None or intake < 0) else min(intake, 2.0)
        side_waist = wb - side_take
        if intake - side_take > 0.05:
            bottom = m.waist_y if b.waist_seam else max(min(m.hip_y + 4, m.waist_y - 4), low_y + 1)
            darts.append(Dart(x=wb * 0.45, y_top=min(m.bust_y - 2.5, y_b - 0.5), y_wide=m.waist_y, y_bottom=bottom,
                              intake=intake - side_take))
        levels.append((m.waist_y, side_waist))
        targets["waist"] = (m.waist_y, m.waist, 4 * q_w - m.waist)
    if not b.waist_seam and low_y < m.hip_y + 1:
        q_h = max(q_w, (m.hips + 2.0) / 4) if b.ease_hip is None else (m.hips + b.ease_hip) / 4
        levels.append((m.hip_y, q_h + delta))
        targets["hips"] = (m.hip_y, m.hips, 4 * q_h - m.hips)
    hang = b.hang_y if b.hang_y is not None else low_y
    ys = np.array([y for y, _ in levels])
    ws = np.array([w for _, w in levels])
    order = np.argsort(ys)
    ys, ws = ys[order], ws[order]
    keep = np.concatenate([[True], np.diff(ys) > 0.5])
    ys, ws = ys[keep], ws[keep]
    if low_y < ys[0] - 0.5:
        w_low = ws[0] if b.flare_deg == 0 else float(np.interp(min(hang, ys[-1]), ys, ws))
        ys, ws = np.concatenate([[low_y], ys]), np.concatenate([[w_low], ws])
    side_x = PchipInterpolator(ys, ws) if len(ys) > 2 else (lambda y: np.interp(y, ys, ws))
    tan = np.tan(np.radians(b.flare_deg))
    y_side = np.linspace(low_y, ua_y, 48)
    x_side = np.asarray(side_x(y_side), dtype=float)
    below = y_side < hang
    hang_w = float(np.asarray(side_x(min(hang, ua_y))))
    x_side[below] = np.maximum(x_side[below], hang_w) + (hang - y_side[below]) * tan
    hem_side_y = low_y
    if b.flare_deg > 0 and not b.waist_seam and hang > low_y:
        drop = hang - low_y  # keep the side as long as the centre: the hem rises towards the side seam
        hem_side_y = hang - drop * np.cos(np.radians(b.flare_deg))
        y_side = np.linspace(hem_side_y, ua_y, 48)
        x_side = np.asarray(side_x(np.clip(y_side, low_y, None)), dtype=float)
        below = y_side < hang
        x_side[below] = hang_w + (hang - y_side[below]) / np.cos(np.radians(b.flare_deg)) * np.sin(
            np.radians(b.flare_deg))
    if b.hem_shape == "curved" and not b.waist_seam:
        hem_side_y = low_y + 7.0
        keep = y_side >= hem_side_y
        y_side, x_side = np.concatenate([[hem_side_y], y_side[keep]]), np.concatenate(
            [[float(np.asarray(side_x(hem_side_y)))], x_side[keep]])
    side = np.stack([x_side, y_side], axis=1)
    xs_hem = side[0, 0]
    if b.hem_shape == "curved" and not b.waist_seam:
        hem = bezier((0, low_y), (xs_hem * 0.55, low_y), (xs_hem * 0.9, low_y + 1.5), (xs_hem, hem_side_y), 28)
    elif hem_side_y > low_y + 0.01:
        t = np.linspace(0, 1, 28)
        hem = np.stack([t * xs_hem, low_y + (hem_side_y - low_y) * t ** 2], axis=1)
    else:
        hem = line((0, low_y), (xs_hem, low_y))
    nw, nd = neck_shape(m, b.neckline, front, b.neck_extra)
    sp = np.array([m.shoulder_width / 2 + b.shoulder_drop + 0.5, m.shoulder_y - (0.6 * b.shoulder_drop)])
    hps = np.array([nw, top])
    ua = side[-1]
    arm = armhole(ua, sp, front, b.shoulder_drop)
    shoulder = line(sp, hps, 8)
    cf_top = np.array([0.0, top - nd])
    if b.neckline in ("v", "v_neck") and front:
        neck = line(hps, cf_top, 16)
    elif b.neckline == "square" and front:
        neck = join(line(hps, (nw, top - nd), 10), line((nw, top - nd), cf_top, 10))
    else:
        neck = bezier(hps, (nw, top - nd * 0.55), (nw * 0.55, top - nd), cf_top, 24)
    centre = line(cf_top, (0.0, low_y), 4)
    hem_sa = 1.0 if b.waist_seam else HEM_SA
    edges = [Edge("hem", hem, hem_sa), Edge("side", side), Edge("armhole", arm), Edge("shoulder", shoulder),
             Edge("neck", neck, 0.6), Edge("center", centre)]
    return BodiceHalf(edges, darts, targets, float(ua[1]))


def armhole(ua: PtsLike, sp: PtsLike, front: bool, shoulder_drop: float = 0.0) -> Pts:
    """The armhole from the underarm point ``ua`` (on the side seam) to the shoulder point ``sp``, (28, 2) cm.

    As in Aldrich's bodice block: the curve leaves the side seam square (horizontal), scoops in to the across
    front (across back) line, half the across measurement from the centre, which it meets vertically at about 40 %
    (45 % at the back) of the armhole depth, and rises to the shoulder point, meeting the shoulder about square.
    The across line lies 2.5 cm (front) and 1.5 cm (back) inside the shoulder point; a dropped shoulder moves the
    shoulder point out and down the arm while the across line stays (a longer, deeper armhole).
    """
    ua, sp = np.asarray(ua, float), np.asarray(sp, float)
    depth = sp[1] - ua[1]
    inset = (2.5 if front else 1.5) + shoulder_drop   # a dropped shoulder moves out, the across line stays
    across_x = min(sp[0] - inset, ua[0] - 1.0)
    a = np.array([across_x, ua[1] + depth * (0.40 if front else 0.45)])
    lower = bezier(ua, (ua[0] - 0.55 * (ua[0] - a[0]), ua[1]), (a[0], a[1] - 0.55 * (a[1] - ua[1])), a, 15)
    upper = bezier(a, (a[0], a[1] + 0.4 * (sp[1] - a[1])), (sp[0] - 0.35, sp[1] - 0.3 * (sp[1] - a[1])), sp, 14)
    return join(lower, upper)


def full_panel(name: str, half: BodiceHalf, placement: Placement, right_suffix: str, left_suffix: str,
               grain_x: float = 0.0) -> Panel:
    """A cut-on-fold piece drawn whole: the half (x > 0) and its mirror (x < 0) joined at the centre."""
    chain = [e for e in half.edges if e.name != "center"]
    mirrored = [Edge(e.name, mirror_x(e.points)[::-1], e.seam_allowance) for e in reversed(chain)]
    hem_r, neck_r = chain[0], chain[-1]
    neck_l, hem_l = mirrored[0], mirrored[-1]
    edges = [Edge(e.name + right_suffix, e.points, e.seam_allowance) for e in chain[1:-1]]
    edges.insert(0, Edge("hem", join(hem_l.points, hem_r.points), hem_r.seam_allowance))
    edges.append(Edge("neck", join(neck_r.points, neck_l.points), neck_r.seam_allowance))
    edges += [Edge(e.name + left_suffix, e.points, e.seam_allowance) for e in mirrored[1:-1]]
    darts = half.darts + [Dart(-d.x, d.y_top, d.y_wide, d.y_bottom, d.intake, d.kind) for d in half.darts]
    ys = [e.points[:, 1] for e in edges]
    lo, hi = min(y.min() for y in ys), max(y.max() for y in ys)
    grain = np.array([[grain_x, lo + 0.2 * (hi - lo)], [grain_x, lo + 0.8 * (hi - lo)]])
    notches = [np.array([0.0, lo]), np.array([0.0, hi - 0.0])]
    return Panel(name, edges, grain, placement, notches=notches, darts=darts)


def half_panel(name: str, half: BodiceHalf, placement: Placement, overlap: float = 0.0,
               mirror: bool = False) -> Panel:
    """A piece with a centre seam or opening: the half, its centre moved out by ``overlap`` (button stand).

    ``mirror`` draws the other side's piece (x < 0 becomes x > 0 after mirroring, order kept counter-clockwise).
    """
    edges = [Edge(e.name, e.points.copy(), e.seam_allowance) for e in half.edges]
    if overlap > 0:
        hem, neck, centre = edges[0], edges[-2], edges[-1]
        hem.points = join(line((-overlap, hem.points[0, 1]), hem.points[0], 2), hem.points)
        neck.points = join(neck.points, line(neck.points[-1], (-overlap, neck.points[-1, 1]), 2))
        centre.points = line(neck.points[-1], hem.points[0], 4)
    darts = list(half.darts)
    if mirror:
        edges = [Edge(e.name, mirror_x(e.points)[::-1], e.seam_allowance) for e in reversed(edges)]
        darts = [Dart(-d.x, d.y_top, d.y_wide, d.y_bottom, d.intake, d.kind) for d in darts]
    pts = np.concatenate([e.points for e in edges])
    lo, hi = pts[:, 1].min(), pts[:, 1].max()
    gx = float(np.median(pts[:, 0]))
    grain = np.array([[gx, lo + 0.2 * (hi - lo)], [gx, lo + 0.8 * (hi - lo)]])
    return Panel(name, edges, grain, placement, darts=darts, overlap=overlap, centre_x=0.0,
                 centre_side=-1 if mirror else 1)


# -- sleeves ----------------------------------------------------------------------------------------------------
def sleeve(m: BodyMeasures, armhole_front: float, armhole_back: float, length_cm: float, cap_ease: float,
           ease_arm: float, wrist_width: float, style: str = "set_in", name: str = "sleeve left",
           placement: Placement | None = None, hem_shape: str = "straight", cap_ratio: float = 0.3) -> Panel:
    """A one-piece sleeve whose cap is as long as the armhole plus ``cap_ease`` (each half).

    As in block drafting, the cap height comes first (``cap_ratio`` of the armhole's length: about 0.3 for a
    woven set-in sleeve, less for knits and dropped shoulders) and the width follows from the armhole; where that
    width would be tighter than the arm plus its ease, the width wins and the cap is lowered.
    """
    bw = m.upper_arm + ease_arm
    length_cm = max(length_cm, 8.0)
    target_f, target_b = armhole_front + cap_ease / 2, armhole_back + cap_ease / 2

    def cap_halves(h: float, w: float) -> tuple[Pts, Pts]:
        back = bezier((-w / 2, -h), (-w * 0.28, -h * 0.75), (-w * 0.2, 0.0), (0.0, 0.0), 28)
        front = bezier((0.0, 0.0), (w * 0.2, 0.0), (w * 0.3, -h * 0.7), (w / 2, -h), 28)
        return back, front

    total = target_f + target_b
    h = cap_ratio * total
    w = _cap_width(cap_halves, h, total)  # the width that makes a cap of height h as long as the armhole
    if w < bw:  # too tight for the arm: keep the width, lower the cap until the lengths match
        h_min = 0.55 * h   # ...but not below about half its height (a flat cap is no set-in sleeve)
        w_h = _cap_width(cap_halves, h_min, total)
        if w_h < bw:       # a short armhole for a big arm: the cap keeps h_min, the arm gets what ease is left
            h, w = h_min, max(w_h, min(bw, m.upper_arm + 2.0))
        else:
            w = bw
            h = _cap_height(cap_halves, w, h_min, h, total)
    back, front = cap_halves(h, w)
    back, front = _fit_half(back, target_b), _fit_half(front, target_f)
    bottom = -length_cm
    hem_w = {"bishop": bw * 1.25, "flutter": bw * 1.8, "puff": bw * 1.1}.get(style, wrist_width)
    mid = (front[-1, 0] + back[0, 0]) / 2  # centre the hem between the cap ends: equal underarm seams
    hl, hr = mid - hem_w / 2, mid + hem_w / 2
    drop = 3.0 if style == "flutter" else 0.0
    if style == "flutter":
        hem = bezier((hl, bottom + drop), (mid + (hl - mid) * 0.5, bottom - 2), (mid + (hr - mid) * 0.5, bottom - 2),
                     (hr, bottom + drop), 24)
    elif hem_shape == "straight":
        hem = line((hl, bottom), (hr, bottom), 2)
    else:
        hem = bezier((hl, bottom), (mid + (hl - mid) * 0.4, bottom - 1.0), (mid + (hr - mid) * 0.4, bottom - 1.0),
                     (hr, bottom), 16)
    # counter-clockwise: hem left->right, up the front underarm, over the cap from the front to the back, down
    edges = [Edge("hem", hem, HEM_SA), Edge("underarm front", line(hem[-1], front[-1], 12)),
             Edge("cap front", front[::-1].copy()), Edge("cap back", back[::-1].copy()),
             Edge("underarm back", line(back[0], hem[0], 12))]
    grain = np.array([[0.0, -0.3 * h], [0.0, bottom + 0.15 * length_cm]])   # centre line, cap to hem
    plc = placement or Placement("sleeve_l", (-180.0, 180.0), fit_top=-h)
    notches = [np.array([0.0, 0.0]), front[len(front) // 2], back[len(back) // 2]]
    panel = Panel(name, edges, grain, plc, notches=notches)
    if style in ("puff", "bishop"):
        panel.darts.append(Dart(0.0, 0.0, -h * 0.3, -h * 0.3, 0.0, "gathers"))
    return panel


def _cap_width(cap_halves: Callable[[float, float], tuple[Pts, Pts]], h: float, total: float) -> float:
    """The width (cm) at which a cap of height ``h`` is ``total`` long."""
    lo, hi = 1.0, total
    for _ in range(50):
        w = (lo + hi) / 2
        back, front = cap_halves(h, w)
        if (length(back) + length(front)) < total:
            lo = w
        else:
            hi = w
    return (lo + hi) / 2


def _cap_height(cap_halves: Callable[[float, float], tuple[Pts, Pts]], w: float, lo: float, hi: float,
                total: float) -> float:
    """The height (cm, between ``lo`` and ``hi``) at which a cap of width ``w`` is ``total`` long."""
    for _ in range(50):
        h = (lo + hi) / 2
        back, front = cap_halves(h, w)
        if (length(back) + length(front)) < total:
            lo = h
        else:
            hi = h
    return (lo + hi) / 2


def _fit_half(p: Pts, target: float) -> Pts:
    """Scale a cap half horizontally about its top until its length is ``target`` (cm)."""
    top = p[np.argmax(p[:, 1])]
    lo, hi = 0.2, 3.0
    for _ in range(40):
        k = (lo + hi) / 2
        q = p.copy()
        q[:, 0] = top[0] + (p[:, 0] - top[0]) * k
        if length(q) < target:
            lo = k
        else:
            hi = k
    q = p.copy()
    q[:, 0] = top[0] + (p[:, 0] - top[0]) * (lo + hi) / 2
    return q


def mirror_panel(panel: Panel, name: str, placement: Placement) -> Panel:
    """The same piece for the other side (mirrored in x, still counter-clockwise)."""
    edges = [Edge(e.name, mirror_x(e.points)[::-1], e.seam_allowance) for e in reversed(panel.edges)]
    darts = [Dart(-d.x, d.y_top, d.y_wide, d.y_bottom, d.intake, d.kind) for d in panel.darts]
    marks = [(label, mirror_x(p)) for label, p in panel.marks]
    return Panel(name, edges, mirror_x(panel.grain), placement, notches=[mirror_x(n[None])[0] for n in panel.notches],
                 darts=darts, marks=marks, overlap=panel.overlap, quantity=panel.quantity, fabric=panel.fabric,
                 centre_x=-panel.centre_x, centre_side=-panel.centre_side)


def band(name: str, length_cm: float, height: float, placement: Placement, fabric: str = "self",
         curve: float = 0.0, names: tuple[str, str, str, str] = ("seam", "end right", "top", "end left")) -> Panel:
    """A rectangular (or, with ``curve`` cm, gently curved) band: waistbands, cuffs, collar stands, neckbands.

    Edges counter-clockwise: the bottom (sewn to the garment, exactly ``length_cm`` long), right end, top, left end.
    """
    if curve > 0:
        bottom = bezier((-length_cm / 2, 0), (-length_cm / 6, -curve), (length_cm / 6, -curve), (length_cm / 2, 0),
                        32)
        bottom = bottom * np.array([length_cm / length(bottom), 1.0])
        top = bottom + np.array([0.0, height])
    else:
        bottom = line((-length_cm / 2, 0), (length_cm / 2, 0), 24)
        top = bottom + np.array([0.0, height])
    edges = [Edge(names[0], bottom), Edge(names[1], line(bottom[-1], top[-1], 2)), Edge(names[2], top[::-1]),
             Edge(names[3], line(top[0], bottom[0], 2))]
    grain = np.array([[-length_cm / 4, height / 2], [length_cm / 4, height / 2]])
    return Panel(name, edges, grain, placement, fabric=fabric)


def patch(name: str, corners: PtsLike, placement: Placement, edge_names: list[str] | None = None) -> Panel:
    """A flat piece from its corner points (counter-clockwise): pockets, ties, belt, hood pieces."""
    corners = np.asarray(corners, float)
    names = edge_names or [f"edge {i}" for i in range(len(corners))]
    edges = [Edge(names[i], line(corners[i], corners[(i + 1) % len(corners)], 6)) for i in range(len(corners))]
    c = corners.mean(0)
    h = np.ptp(corners[:, 1])
    return Panel(name, edges, np.array([[c[0], c[1] - h / 3], [c[0], c[1] + h / 3]]), placement)


# -- cutting and joining pieces ---------------------------------------------------------------------------------
def split_edge(panel: Panel, name: str, at: float, first: str, second: str) -> None:
    """Split edge ``name`` at ``at`` cm along it (from its start) into ``first`` and ``second`` (in place)."""
    i = next(k for k, e in enumerate(panel.edges) if e.name == name)
    e = panel.edges[i]
    p = e.points
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(p, axis=0), axis=1))])
    at = float(np.clip(at, 1e-3, cum[-1] - 1e-3))
    k = int(np.searchsorted(cum, at))
    f = (at - cum[k - 1]) / max(cum[k] - cum[k - 1], 1e-12)
    mid = p[k - 1] * (1 - f) + p[k] * f
    a, b = np.vstack([p[:k], mid]), np.vstack([mid, p[k:]])
    panel.edges[i:i + 1] = [Edge(first, a, e.seam_allowance), Edge(second, b, e.seam_allowance)]


def cut_panel(panel: Panel, point: PtsLike, direction: PtsLike, names: tuple[str, str],
              cut: tuple[str, str]) -> tuple[Panel, Panel]:
    """Cut a piece in two along a straight line (a yoke line, the seams of a two-piece sleeve).

    The line passes through ``point`` along ``direction`` and must cross the outline twice. Returns the piece on
    its left (``names[0]``, new edge ``cut[0]``) and the one on its right (``names[1]``, ``cut[1]``); edges that
    cross the line keep their name in both. Darts, marks and notches go with the side they lie on.
    """
    p0, d = np.asarray(point, float), np.asarray(direction, float)
    d = d / np.linalg.norm(d)

    def side(q: np.ndarray) -> np.ndarray:
        q = np.atleast_2d(q)
        return d[0] * (q[:, 1] - p0[1]) - d[1] * (q[:, 0] - p0[0])

    pieces: list[tuple[str, float, list[np.ndarray], bool]] = []   # (edge, allowance, points, left?)
    for e in panel.edges:
        s = side(e.points)
        left = bool(s[0] >= 0)
        cur = [e.points[0]]
        for a, b, sa, sb in zip(e.points[:-1], e.points[1:], s[:-1], s[1:]):
            if (sb >= 0) != left:
                c = a + (b - a) * (sa / (sa - sb))
                cur.append(c)
                pieces.append((e.name, e.seam_allowance, cur, left))
                cur, left = [c], not left
            cur.append(b)
        pieces.append((e.name, e.seam_allowance, cur, left))
    crossings = [k for k in range(len(pieces)) if pieces[k][3] != pieces[k - 1][3]]
    if len(crossings) != 2:
        raise ValueError(f"{panel.name}: the cut line crosses the outline {len(crossings)} times, not twice")
    start = crossings[0]
    pieces = pieces[start:] + pieces[:start]
    k2 = crossings[1] - start
    runs = {pieces[0][3]: pieces[:k2], pieces[k2][3]: pieces[k2:]}
    out = []
    for left, name, cut_name in ((True, names[0], cut[0]), (False, names[1], cut[1])):
        run = runs[left]
        edges = [Edge(n, np.asarray(p), sa) for n, sa, p, _ in run if len(p) >= 2 and length(np.asarray(p)) > 1e-9]
        merged: list[Edge] = []
        for e in edges:   # pieces of one edge on one side stay one edge
            if merged and merged[-1].name == e.name:
                merged[-1] = Edge(e.name, join(merged[-1].points, e.points), e.seam_allowance)
            else:
                merged.append(e)
        merged.append(Edge(cut_name, line(merged[-1].points[-1], merged[0].points[0], 12)))
        def keep(q: PtsLike, left: bool = left) -> bool:
            return bool((side(np.asarray(q, float)) >= 0).all() == left)

        pts = np.concatenate([e.points for e in merged])
        grain = panel.grain if keep(panel.grain) else np.array(
            [pts.mean(0) - (panel.grain[1] - panel.grain[0]) * 0.25, pts.mean(0) + (panel.grain[1] - panel.grain[0])
             * 0.25])
        out.append(Panel(name, merged, grain, Placement(**vars(panel.placement)),
                         notches=[n for n in panel.notches if keep(n)],
                         darts=[x for x in panel.darts if keep((x.x, x.y_wide))],
                         marks=[mk for mk in panel.marks if keep(mk[1].mean(0))], overlap=panel.overlap,
                         quantity=panel.quantity, fabric=panel.fabric, centre_x=panel.centre_x,
                         centre_side=panel.centre_side))
    return out[0], out[1]


def glue(a: Panel, edge_a: str, b: Panel, edge_b: str, name: str, placement: Placement) -> Panel:
    """One piece from two sewn along an edge (the under sleeve from its two halves): ``b`` turned and moved so
    its ``edge_b`` lies on ``edge_a`` (start on end, end on start); the two edges disappear."""
    ea, eb = a.edge(edge_a), b.edge(edge_b)
    A0, A1, B0, B1 = ea.points[0], ea.points[-1], eb.points[0], eb.points[-1]
    u, v = B1 - B0, A0 - A1
    ang = np.arctan2(v[1], v[0]) - np.arctan2(u[1], u[0])
    rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])

    def move(p: np.ndarray) -> np.ndarray:
        return (np.asarray(p, float) - B0) @ rot.T + A1

    ia, ib = a.edges.index(ea), b.edges.index(eb)
    chain = a.edges[ia + 1:] + a.edges[:ia]
    chain += [Edge(e.name, move(e.points), e.seam_allowance) for e in b.edges[ib + 1:] + b.edges[:ib]]
    chain[0].points = chain[0].points.copy()
    chain[-1].points = chain[-1].points.copy()
    merged: list[Edge] = []
    for e in chain:   # the halves of an edge cut in two (the hem) are one edge again
        if merged and merged[-1].name == e.name:
            merged[-1] = Edge(e.name, join(merged[-1].points, e.points), e.seam_allowance)
        else:
            merged.append(e)
    if len(merged) > 1 and merged[-1].name == merged[0].name:
        first = merged.pop(0)
        merged[-1] = Edge(first.name, join(merged[-1].points, first.points), first.seam_allowance)
    for e0, e1 in zip(merged, merged[1:] + merged[:1]):   # exact corners where the pieces meet
        e1.points = e1.points.copy()
        e1.points[0] = e0.points[-1]
    marks = a.marks + [(label, move(p)) for label, p in b.marks]
    return Panel(name, merged, a.grain.copy(), placement, notches=list(a.notches), marks=marks,
                 fabric=a.fabric, quantity=a.quantity)
