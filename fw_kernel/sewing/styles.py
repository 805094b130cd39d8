"""Every silhouette of the catalog drafted as a sewing pattern, every one of its parameters read.

``draft(silhouette_id, values, body)`` is the entry point: ``values`` are the silhouette's resolved parameters
(defaults overlaid with the layer's customization), ``body`` a :class:`~.measures.BodyMeasures`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .blocks import (
    BodiceHalf,
    BodiceSpec,
    band,
    bezier,
    bodice_half,
    cut_panel,
    full_panel,
    glue,
    half_panel,
    join,
    line,
    mirror_panel,
    patch,
    sleeve,
    split_edge,
)
from .measures import BodyMeasures
from .model import HEM_SA, Dart, Edge, FitTarget, Panel, Pattern, Placement, Seam

FIT = {"slim": 0.6, "regular": 1.0, "loose": 1.5}     # how much of the style's ease a fit keeps
FIT_ARMHOLE = {"slim": -0.5, "regular": 0.0, "loose": 2.0}  # cm the armhole drops
STYLES: dict[str, Callable[[BodyMeasures, dict[str, Any]], Pattern]] = {}


def style(name: str) -> Callable:
    def register(fn: Callable[[BodyMeasures, dict[str, Any]], Pattern]) -> Callable:
        STYLES[name] = fn
        return fn
    return register


def draft(silhouette: str, values: dict[str, Any], body: BodyMeasures, size: str = "made-to-measure") -> Pattern:
    """The pattern of ``silhouette`` for ``body`` with ``values`` (its resolved parameters)."""
    if silhouette not in STYLES:
        raise KeyError(f"no pattern for silhouette {silhouette!r}; drafted: {', '.join(sorted(STYLES))}")
    pattern = STYLES[silhouette](body, dict(values))
    pattern.silhouette, pattern.size = silhouette, size
    pattern.measurements = body.as_dict()
    pattern.parameters = dict(values)
    return pattern


# -- the draft being assembled ----------------------------------------------------------------------------------
class Draft:
    def __init__(self, kind: str):
        self.kind = kind
        self.panels: list[Panel] = []
        self.seams: list[Seam] = []
        self.fit: list[FitTarget] = []
        self.buttons: list[tuple[str, np.ndarray]] = []

    def add(self, *panels: Panel) -> None:
        self.panels.extend(panels)

    def panel(self, name: str) -> Panel:
        return next(p for p in self.panels if p.name == name)

    def sew(self, a: tuple[str, str], b: tuple[str, str], ease: float | None = None, kind: str = "plain",
            same: bool | None = None) -> None:
        """Sew edge a to edge b. ``ease`` None: whatever a is longer than b (gathers, elastic)."""
        ea, eb = self.panel(a[0]).edge(a[1]), self.panel(b[0]).edge(b[1])
        if same is None:  # panels worn in the same frame: the ends that meet are the nearer (|x|, y) pairs
            fa, fb = np.abs(ea.points[[0, -1]]), np.abs(eb.points[[0, -1]])
            same = np.linalg.norm(fa[0] - fb[0]) + np.linalg.norm(fa[1] - fb[1]) <= \
                np.linalg.norm(fa[0] - fb[1]) + np.linalg.norm(fa[1] - fb[0])
        self.seams.append(Seam(a, b, bool(same), ea.length - eb.length if ease is None else ease, kind))

    def join(self, a: Any, b: Any, ease: float | None = None, kind: str = "plain") -> None:
        """Sew a chain of edges (a band) to another chain (a neckline of several pieces); ``ease`` None: the
        difference of their lengths with darts closed (gathers)."""
        a = [a] if isinstance(a[0], str) else list(a)
        b = [b] if isinstance(b[0], str) else list(b)
        seam = Seam(a[0], b[0], False, 0.0, kind, tuple(a[1:]), tuple(b[1:]))
        if ease is None:
            la, lb = self.pattern().seam_lengths(seam)
            ease = la - lb
        seam.ease = ease
        self.seams.append(seam)

    def true_seams(self) -> None:
        """Make the two sides of each plain seam the same length by trimming the longer at its lower end (the
        hem), as a pattern maker walks and trues seams."""
        pat = self.pattern()
        for seam in self.seams:
            if seam.a_more or seam.b_more or seam.kind not in ("plain", "fly"):
                continue
            la, lb = pat.seam_lengths(seam)
            excess = la - lb - seam.ease
            if abs(excess) < 0.05 or abs(excess) > 3.0:
                continue
            ref = seam.a if excess > 0 else seam.b
            _trim_low_end(self.panel(ref[0]), ref[1], abs(excess))

    def target(self, level: str, values: tuple[float, float, float], panels: list[str]) -> None:
        y, body, ease = values
        self.fit.append(FitTarget(level, y, body, ease, tuple(panels)))

    def pattern(self) -> Pattern:
        return Pattern("", "", {}, {}, self.panels, self.seams, self.fit, self.buttons, self.kind)

    def finish(self) -> Pattern:
        self.true_seams()
        return self.pattern()


def _trim_low_end(panel: Panel, edge: str, cut: float) -> None:
    """Shorten an edge by ``cut`` cm at its lower end; the neighbouring edge follows the moved corner."""
    i = next(k for k, e in enumerate(panel.edges) if e.name == edge)
    e = panel.edges[i]
    p = e.points
    at_start = p[0, 1] <= p[-1, 1]
    q = p if at_start else p[::-1]
    seg = np.linalg.norm(np.diff(q, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    k = int(np.searchsorted(cum, cut))
    k = min(max(k, 1), len(q) - 1)
    f = (cut - cum[k - 1]) / max(seg[k - 1], 1e-9)
    new = q[k - 1] * (1 - f) + q[k] * f
    q = np.vstack([new, q[k:]])
    e.points = q if at_start else q[::-1]
    n = len(panel.edges)
    if at_start:
        prev = panel.edges[(i - 1) % n]
        prev.points = prev.points.copy()
        prev.points[-1] = new
    else:
        nxt = panel.edges[(i + 1) % n]
        nxt.points = nxt.points.copy()
        nxt.points[0] = new


def _ease(values: dict[str, Any], default: float = 6.0) -> float:
    return float(values.get("ease", default)) * FIT.get(str(values.get("fit", "regular")), 1.0)


def _flare_deg(values: dict[str, Any], full: float = 65.0) -> float:
    return float(values.get("flare", 0.0)) * full


# -- bodies ------------------------------------------------------------------------------------------------------
def _torso(d: Draft, m: BodyMeasures, spec: BodiceSpec, front: str = "fold", back: str = "fold",
           overlap: float = 0.0, prefix: str = "", back_spec: BodiceSpec | None = None) -> dict[str, Any]:
    """Front and back pieces, side and shoulder seams; returns how to find each piece's edges.

    front: ``fold`` (one piece) | ``open`` (left and right fronts with ``overlap`` cm of button stand) |
    ``zip`` (left and right, edge to edge). back: ``fold`` | ``cb`` (centre back seam).
    """
    fh, bh = bodice_half(m, spec, True), bodice_half(m, back_spec or spec, False)
    ua = fh.underarm_y
    names: dict[str, Any] = {"front": [], "back": [], "fh": fh, "bh": bh}
    fn, bn = f"{prefix}front", f"{prefix}back"
    if front == "fold":
        d.add(full_panel(fn, fh, Placement("body", (-90.0, 90.0), fit_top=ua), " left", " right"))
        names["front"] = [fn]
    else:
        ov = overlap if front == "open" else 0.0
        w = float(fh.edges[1].points[:, 0].max())
        a = 90.0 * ov / max(w, 1.0)
        left = half_panel(f"{fn} left", fh, Placement("body", (-a, 90.0), fit_top=ua), ov)
        right = half_panel(f"{fn} right", fh, Placement("body", (-90.0, a), fit_top=ua), ov, mirror=True)
        (right if m.sex == "female" else left).placement.lift = 0.25 if ov > 0 else 0.0
        d.add(left, right)
        names["front"] = [left.name, right.name]
        if front == "zip":
            d.sew((left.name, "center"), (right.name, "center"), 0.0, kind="zip")
    if back == "fold":
        d.add(full_panel(bn, bh, Placement("body", (90.0, 270.0), fit_top=ua), " right", " left"))
        names["back"] = [bn]
    else:
        right = half_panel(f"{bn} right", bh, Placement("body", (180.0, 270.0), fit_top=ua))
        left = half_panel(f"{bn} left", bh, Placement("body", (90.0, 180.0), fit_top=ua), mirror=True)
        d.add(right, left)
        names["back"] = [right.name, left.name]
    return names


def _ref(names: dict[str, Any], part: str, side: str, edge: str) -> tuple[str, str]:
    """(panel, edge) of the ``edge`` on the body's ``side`` of the front or back."""
    pieces = names[part]
    if len(pieces) == 1:
        return pieces[0], f"{edge} {side}"
    return next(p for p in pieces if p.endswith(side)), edge


def _side_and_shoulder(d: Draft, names: dict[str, Any], shoulders: bool = True) -> None:
    for side in ("left", "right"):
        d.sew(_ref(names, "front", side, "side"), _ref(names, "back", side, "side"), 0.0)
        if shoulders:
            d.sew(_ref(names, "front", side, "shoulder"), _ref(names, "back", side, "shoulder"), 0.0)
    if len(names["back"]) == 2 and names["back"][0].endswith("right"):
        d.sew((names["back"][0], "center"), (names["back"][1], "center"), 0.0)


def _fit_targets(d: Draft, names: dict[str, Any], levels: tuple[str, ...] = ("bust", "waist", "hips")) -> None:
    for level in levels:
        if level in names["fh"].targets:
            d.target(level, names["fh"].targets[level], names["front"] + names["back"])


def _sleeves(d: Draft, m: BodyMeasures, names: dict[str, Any], values: dict[str, Any], cap_ease: float,
             ease_arm: float, style_: str = "set_in", cuff: float = 0.0, wrist_ease: float = 6.0,
             cap_ratio: float = 0.3, two_piece: bool = False) -> None:
    """Sleeves set into the armholes (or armhole bindings when sleeveless). A back cut at a yoke
    (``names["armhole_back"]``: per side the back armhole's pieces from the shoulder down) gets a cap back in as
    many parts; ``two_piece``: a tailored top sleeve and under sleeve instead of one piece."""
    length_cm = float(values.get("sleeve_length", 0.0)) * 100 - cuff
    if length_cm < 2.0:
        for side in ("left", "right"):  # sleeveless: a facing finishes each armhole
            fa, ba = _ref(names, "front", side, "armhole"), _ref(names, "back", side, "armhole")
            la = d.panel(fa[0]).edge(fa[1]).length + d.panel(ba[0]).edge(ba[1]).length
            p = band(f"armhole binding {side}", la, 2.5, Placement("inside", (0, 0)), "self")
            d.add(p)
            d.join((p.name, "seam"), [fa, ba], 0.0, "binding")
        return
    for side in ("left", "right"):
        fa = _ref(names, "front", side, "armhole")
        backs = names.get("armhole_back", {}).get(side) or [_ref(names, "back", side, "armhole")]
        lbs = [d.panel(r[0]).edge(r[1]).length for r in backs]
        lf, lb = d.panel(fa[0]).edge(fa[1]).length, sum(lbs)
        s = sleeve(m, lf, lb, length_cm, cap_ease, ease_arm, m.wrist + wrist_ease, style_, f"sleeve {side}",
                   Placement(f"sleeve_{side[0]}", (-180.0, 180.0)), hem_shape="straight",
                   cap_ratio=cap_ratio * (1.15 if style_ == "puff" else 1.0))
        s.placement.fit_top = float(s.edge("underarm front").points[:, 1].max())
        kind = "gathered" if style_ in ("puff", "bishop") else "plain"
        if two_piece:
            _two_piece_sleeve(d, s, side, fa, backs[-1], cap_ease, kind)
            continue
        if len(backs) > 1:  # the cap back, drafted from its top down, meets the yoke first
            split_edge(s, "cap back", s.edge("cap back").length * lbs[0] / lb, "cap back yoke", "cap back")
        if side == "right":
            s = mirror_panel(s, s.name, s.placement)
        d.add(s)
        d.sew((s.name, "cap front"), fa, cap_ease / 2, kind, same=True)
        if len(backs) > 1:
            d.sew((s.name, "cap back yoke"), backs[0], cap_ease / 2 * lbs[0] / lb, kind, same=True)
        d.sew((s.name, "cap back"), backs[-1], cap_ease / 2 * lbs[-1] / lb, kind, same=True)
        d.sew((s.name, "underarm front"), (s.name, "underarm back"), 0.0, same=False)
        if cuff > 0:
            hem = s.edge("hem")
            c = band(f"cuff {side}", m.wrist + wrist_ease + 2.0, cuff, Placement(f"wrist_{side[0]}", (-180, 180),
                                                                                    lift=0.2))
            d.add(c)
            d.sew((s.name, "hem"), (c.name, "seam"), hem.length - c.edge("seam").length,
                  "gathered" if hem.length - c.edge("seam").length > 1 else "plain")


def _two_piece_sleeve(d: Draft, s: Panel, side: str, fa: tuple[str, str], ba: tuple[str, str], cap_ease: float,
                      kind: str) -> None:
    """A tailored sleeve in two pieces, cut from the one-piece draft ``s`` (drafted as the left sleeve): the top
    sleeve between a forearm seam and a hindarm seam 62 % of the half bicep either side of the cap's centre line,
    the under sleeve the two outer strips joined along the old underarm seam. The armholes' lower stretches take
    the under sleeve's cap; the top sleeve's cap carries all the ease."""
    fit_top = s.placement.fit_top
    xl, xr = s.extents_at(np.array([fit_top - 0.05]))[0]
    c, half = (xl + xr) / 2, (xr - xl) / 2
    x_f, x_b = c + 0.62 * half, c - 0.62 * half
    rest, front_strip = cut_panel(s, (x_f, 0.0), (0.0, 1.0), ("rest", "front strip"), ("forearm", "forearm"))
    back_strip, top = cut_panel(rest, (x_b, 0.0), (0.0, 1.0), ("back strip", f"top sleeve {side}"),
                                ("hindarm", "hindarm"))
    front_strip.edge("cap front").name = "under cap front"
    back_strip.edge("cap back").name = "under cap back"

    def az(x: float) -> float:
        return -180.0 + 360.0 * (x - xl) / (xr - xl)

    a_f, a_b = az(x_f), az(x_b)
    top.placement = Placement(f"sleeve_{side[0]}", (a_b, a_f), fit_top=fit_top)
    under = glue(front_strip, "underarm front", back_strip, "underarm back", f"under sleeve {side}",
                 Placement(f"sleeve_{side[0]}", (a_f, a_b + 360.0), fit_top=fit_top))
    if side == "right":
        top = mirror_panel(top, top.name, Placement("sleeve_r", (-a_f, -a_b), fit_top=fit_top))
        under = mirror_panel(under, under.name, Placement("sleeve_r", (-a_b - 360.0, -a_f), fit_top=fit_top))
    d.add(top, under)
    for ref, cap_name in ((fa, "under cap front"), (ba, "under cap back")):
        panel = d.panel(ref[0])
        arm = panel.edge(ref[1])
        under_len = under.edge(cap_name).length
        low_first = arm.points[0, 1] < arm.points[-1, 1]   # the armhole starts at the underarm
        if low_first:
            split_edge(panel, ref[1], under_len, f"{ref[1]} under", ref[1])
        else:
            split_edge(panel, ref[1], arm.length - under_len, ref[1], f"{ref[1]} under")
        d.sew((under.name, cap_name), (ref[0], f"{ref[1]} under"), 0.0, kind, same=True)
    d.sew((top.name, "cap front"), fa, cap_ease / 2, kind, same=True)
    d.sew((top.name, "cap back"), ba, cap_ease / 2, kind, same=True)
    d.sew((top.name, "forearm"), (under.name, "forearm"), 0.0, same=False)
    d.sew((top.name, "hindarm"), (under.name, "hindarm"), 0.0, same=False)


def _neck_panels(names: dict[str, Any]) -> list[str]:
    return names.get("neck_panels") or names["front"] + names["back"]


def _neck_refs(names: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p, "neck") for p in _neck_panels(names)]


def _neck_length(d: Draft, names: dict[str, Any]) -> float:
    total = 0.0
    for p in _neck_panels(names):
        total += d.panel(p).edge("neck").length
    return total


def _neckband(d: Draft, names: dict[str, Any], height: float = 2.0, stretch: float = 0.9,
              name: str = "neckband", fabric: str = "rib") -> None:
    nl = _neck_length(d, names)
    inside = "facing" in name or "binding" in name
    p = band(name, nl * stretch, height, Placement("inside" if inside else "neck", (0.0, 360.0), lift=0.2), fabric)
    d.add(p)
    d.join((p.name, "seam"), _neck_refs(names), (stretch - 1.0) * nl, "elastic" if stretch < 1 else "plain")


def _collar(d: Draft, names: dict[str, Any], stand: float, fall: float, shape: str = "point") -> None:
    """A shirt collar: stand + fall (or one flat collar), its neck edge as long as the neckline."""
    nl = _neck_length(d, names)
    st = band("collar stand", nl, stand, Placement("neck", (0.0, 360.0), lift=0.25), curve=1.2)
    d.add(st)
    d.join(("collar stand", "seam"), _neck_refs(names), 0.0)
    if fall > 0:
        tip = 2.5 if shape == "point" else 0.0
        top = st.edge("top").points[::-1]
        w = top[-1, 0] - top[0, 0]
        bottom = line(top[0], top[-1], 24)
        outer = join(line(top[-1], (w / 2 + tip, top[-1, 1] + fall), 4),
                     line((w / 2 + tip, top[-1, 1] + fall), (-w / 2 - tip, top[0, 1] + fall), 16),
                     line((-w / 2 - tip, top[0, 1] + fall), top[0], 4))
        edges = [Edge("seam", bottom), Edge("outer", outer)]
        col = Panel("collar", edges, np.array([[0, top[0, 1] + 1], [0, top[0, 1] + fall - 1]]),
                    Placement("neck", (0.0, 360.0), lift=0.5, fit_top=1e9, lie=True))
        col.marks.append(("fold line", bottom.copy()))
        d.add(col)
        d.sew(("collar", "seam"), ("collar stand", "top"), 0.0, same=False)


def _hood(d: Draft, m: BodyMeasures, names: dict[str, Any]) -> None:
    nl = _neck_length(d, names) / 2
    hh = m.height * 0.2 + 8  # over the head from the neck
    depth = m.height * 0.14 + 6
    for side in ("left", "right"):
        neck = bezier((0, 0), (nl * 0.4, -1.5), (nl * 0.8, -0.5), (nl, 2.0), 20)
        for _ in range(4):  # exactly half the neckline long
            neck = neck * np.array([nl / max(float(np.linalg.norm(np.diff(neck, axis=0), axis=1).sum()), 1e-9),
                                    1.0])
        nl_x = float(neck[-1, 0])
        back = bezier((nl_x, 2.0), (nl_x + 6, hh * 0.5), (nl_x + 2, hh * 0.9), (nl_x - 4, hh), 20)
        top = line((nl_x - 4, hh), (nl_x - depth, hh), 8)
        front = bezier((nl_x - depth, hh), (-4, hh * 0.7), (-2, hh * 0.3), (0, 0), 20)
        p = Panel(f"hood {side}", [Edge("neck", neck), Edge("back", back), Edge("top", top),
                                   Edge("face", front, 2.5)],
                  np.array([[nl * 0.4, hh * 0.2], [nl * 0.4, hh * 0.8]]),
                  Placement("hood", (0.0, 180.0) if side == "left" else (0.0, -180.0), lift=0.6))
        if side == "right":
            p = mirror_panel(p, p.name, p.placement)
        d.add(p)
    d.sew(("hood left", "back"), ("hood right", "back"), 0.0)
    d.sew(("hood left", "top"), ("hood right", "top"), 0.0)
    d.join([("hood left", "neck"), ("hood right", "neck")], _neck_refs(names), 0.0)


def _buttons(d: Draft, panel: str, x: float, y_top: float, y_bottom: float, n: int) -> None:
    for y in np.linspace(y_top, y_bottom, n):
        d.buttons.append((panel, np.array([x, float(y)])))
        d.panel(panel).marks.append(("button", np.array([[x, float(y)]])))


def _hem_band(d: Draft, names: dict[str, Any], height: float, stretch: float = 0.9) -> None:
    hl = sum(d.panel(p).edge("hem").length for p in names["front"] + names["back"])
    p = band("hem band", hl * stretch, height, Placement("hem", (0, 0), lift=0.2), "rib")
    d.add(p)
    d.join(("hem band", "seam"), [(n, "hem") for n in names["front"] + names["back"]], (stretch - 1.0) * hl,
           "elastic")


def _split(panel: Panel, edge: str, y: float, lower_name: str) -> None:
    """Split an edge at height y: the part below becomes ``lower_name`` (a vent or slit, not sewn)."""
    i = next(k for k, e in enumerate(panel.edges) if e.name == edge)
    e = panel.edges[i]
    p = e.points
    up = p[-1, 1] > p[0, 1]
    ys = p[:, 1]
    t = np.interp(y, ys if up else ys[::-1], np.arange(len(p)) if up else np.arange(len(p))[::-1])
    k = int(np.floor(t))
    k = min(max(k, 0), len(p) - 2)
    f = t - k
    mid = p[k] * (1 - f) + p[k + 1] * f
    first, second = np.vstack([p[:k + 1], mid]), np.vstack([mid, p[k + 1:]])
    if up:
        panel.edges[i:i + 1] = [Edge(lower_name, first, 2.0), Edge(e.name, second, e.seam_allowance)]
    else:
        panel.edges[i:i + 1] = [Edge(e.name, first, e.seam_allowance), Edge(lower_name, second, 2.0)]


def _centre_vent(panel: Panel, height: float, width: float = 4.0) -> None:
    """A back vent: the centre seam stops ``height`` cm above the hem and the piece laps ``width`` cm over."""
    ci = next(k for k, e in enumerate(panel.edges) if e.name == "center")
    c = panel.edges[ci]
    hem_i = next(k for k, e in enumerate(panel.edges) if e.name == "hem")
    hem = panel.edges[hem_i]
    x0 = float(c.points[0, 0])
    sign = -1.0 if hem.points[:, 0].mean() > x0 else 1.0   # the lap reaches away from the side seam
    going_down = c.points[-1, 1] < c.points[0, 1]
    y_hem = float(hem.points[:, 1].min())
    top_y = y_hem + height
    lap = [(x0, top_y), (x0 + sign * width, top_y - 2.0), (x0 + sign * width, y_hem)]
    if going_down:  # centre runs down to the hem, then the hem starts
        c.points = line(c.points[0], (x0, top_y), 6)
        vent = Edge("vent", np.array(lap), 2.0)
        hem.points = join(line(lap[-1], hem.points[0], 2), hem.points)
        panel.edges.insert(ci + 1, vent)
    else:  # the hem ends at the centre, then the centre runs up
        c.points = line((x0, top_y), c.points[-1], 6)
        vent = Edge("vent", np.array(lap[::-1]), 2.0)
        hem.points = join(hem.points, line(hem.points[-1], lap[-1], 2))
        panel.edges.insert(ci, vent)


# -- tops ---------------------------------------------------------------------------------------------------------
@style("sil-tshirt")
def tshirt(m: BodyMeasures, v: dict[str, Any]) -> Pattern:
    d = Draft("top")
    e = _ease(v, 8)
    spec = BodiceSpec(hem_y=m.hps_y - v["length"] * 100, ease_bust=e, neckline=v.get("neckline", "crew"),
                      armhole_drop=FIT_ARMHOLE[v.get("fit", "regular")])
    names = _torso(d, m, spec)
    _side_and_shoulder(d, names)
    _sleeves(d, m, names, v, cap_ease=0.0, ease_arm=2 + e * 0.3, cap_ratio=0.22)  # a knit: a shallow cap
    _neckband(d, names, 2.0, 0.88 if v.get("neckline") != "v" else 0.95)
    _fit_targets(d, names)
    return d.finish()


def _yoke(d: Draft, names: dict[str, Any], y_cut: float) -> None:
    """Cut the (one-piece) back at ``y_cut``: a ``back yoke`` with the neck, the shoulders and the armholes' tops,
    sewn across to the ``back`` (with a box pleat at the centre) along the ``yoke seam``."""
    back = d.panel("back")
    yoke, lower = cut_panel(back, (0.0, y_cut), (1.0, 0.0), ("back yoke", "back"), ("yoke seam", "yoke seam"))
    # the yoke worn where the back would be: its x -> azimuth scale is the back's above the underarm
    plc = back.placement
    lo, hi = back.extent_at(plc.fit_top) or (-1.0, 1.0)
    k = (plc.azimuth[1] - plc.azimuth[0]) / max(hi - lo, 1e-6)
    xl, xr = yoke.extent_at(y_cut + 0.05) or (lo, hi)
    yoke.placement = Placement("body", (plc.azimuth[0] + (xl - lo) * k, plc.azimuth[0] + (xr - lo) * k),
                               fit_top=y_cut)
    lower.marks.append(("box pleat", np.array([[0.0, y_cut], [0.0, y_cut - 4.0]])))
    lower.darts.append(Dart(0.0, y_cut, y_cut, y_cut - 4.0, 0.0, "pleat"))
    i = d.panels.index(back)
    d.panels[i:i + 1] = [yoke, lower]
    for seam in d.seams:   # the shoulders are sewn to the yoke now
        if seam.b[0] == "back" and seam.b[1].startswith("shoulder"):
            seam.b = ("back yoke", seam.b[1])
    d.sew(("back yoke", "yoke seam"), ("back", "yoke seam"), 0.0, same=False)
    names["neck_panels"] = [*names["front"], "back yoke"]
    names["armhole_back"] = {side: [("back yoke", f"armhole {side}"), ("back", f"armhole {side}")]
                             for side in ("left", "right") if any(e.name == f"armhole {side}" for e in yoke.edges)}


@style("sil-shirt")
def shirt(m: BodyMeasures, v: dict[str, Any]) -> Pattern:
    d = Draft("top")
    e = _ease(v, 10)
    collar = v.get("neckline", "collar") == "collar"
    spec = BodiceSpec(hem_y=m.hps_y - v["length"] * 100, ease_bust=e, neckline="collar" if collar else "v",
                      hem_shape=v.get("hem_shape", "curved"), armhole_drop=1.0 + FIT_ARMHOLE[v.get("fit", "regular")])
    names = _torso(d, m, spec, front="open", overlap=1.75)
    _side_and_shoulder(d, names)
    if v.get("has_back_yoke", True):  # the back is cut 9 cm below the neck: a yoke across the shoulders
        _yoke(d, names, min(m.hps_y - 9.0, m.shoulder_y - 3.0))   # across the armholes, below the shoulders
    long_sleeve = float(v.get("sleeve_length", 0.62)) >= 0.4
    _sleeves(d, m, names, v, cap_ease=1.0, ease_arm=6 + e * 0.3, cuff=6.0 if long_sleeve else 0.0, cap_ratio=0.22,
             wrist_ease=6.0 if long_sleeve else 14.0)
    if long_sleeve:
        for side in ("left", "right"):
            d.panel(f"sleeve {side}").marks.append(("sleeve placket", np.array([[4.0, -v["sleeve_length"] * 100
                                                                                 + 6 + 12], [4.0, -v["sleeve_length"]
                                                                                             * 100 + 6]])))
    if collar:
        _collar(d, names, 3.2, 4.5)
    else:
        for side in ("left", "right"):  # an open V: a facing turns the front edge back
            p = d.panel(f"front {side}")
            p.marks.append(("facing line", p.edge("center").points + np.array([6.0 if side == "left" else -6.0, 0])))
    top = d.panel("front left")
    ny = float(top.edge("neck").points[-1, 1])
    _buttons(d, "front left", 0.0, ny - 1.5, float(top.edge("hem").points[0, 1]) + 8, 7 if collar else 5)
    _fit_targets(d, names)
    return d.finish()


@style("sil-blouse")
def blouse(m: BodyMeasures, v: dict[str, Any]) -> Pattern:
    d = Draft("top")
    e = _ease(v, 8)
    neck = v.get("neckline", "v")
    spec = BodiceSpec(hem_y=m.hps_y - v["length"] * 100, ease_bust=e, ease_waist=e + 6,
                      neckline="crew" if neck == "collar" else neck,
                      armhole_drop=FIT_ARMHOLE[v.get("fit", "regular")])
    names = _torso(d, m, spec, back="cb")
    _side_and_shoulder(d, names)
    st = v.get("sleeve_style", "set_in")
    cap = {"set_in": 1.5, "puff": 10.0, "bishop": 2.0, "flutter": 0.5}[st]
    _sleeves(d, m, names, v, cap_ease=cap, ease_arm=5 + e * 0.3 + (8 if st == "puff" else 0), style_=st,
             cuff=4.0 if st == "bishop" and float(v.get("sleeve_length", 0)) > 0.3 else 0.0,
             wrist_ease=3.0 if st == "bishop" else 12.0)
    if neck == "collar":
        _collar(d, names, 0.0 + 0.01, 0.0)  # a placeholder stand replaced just below by a flat collar
        d.panels = [p for p in d.panels if p.name != "collar stand"]
        d.seams = [s for s in d.seams if s.a[0] != "collar stand"]
        nl = _neck_length(d, names)
        c = band("collar", nl, 6.0, Placement("neck", (0.0, 360.0), lift=0.4, lie=True), curve=5.0)
        d.add(c)
        d.join(("collar", "seam"), _neck_refs(names), 0.0)
    else:
        _neckband(d, names, 1.2, 1.0, "neck binding", "self")
    d.panel("back right").marks.append(("button loop", np.array([[0.0, m.hps_y - 4.0]])))
    _fit_targets(d, names)
    return d.finish()


@style("sil-hoodie")
def hoodie(m: BodyMeasures, v: dict[str, Any]) -> Pattern:
    d = Draft("top")
    e = _ease(v, 16)
    hood = v.get("neckline", "hood") == "hood"
    spec = BodiceSpec(hem_y=m.hps_y - v["length"] * 100 + 6.0, ease_bust=e, neckline="hood" if hood else "crew",
                      shoulder_drop=5.0, armhole_drop=3.0 + FIT_ARMHOLE[v.get("fit", "loose")], neck_extra=1.0)
    zip_ = v.get("front", "pullover") == "full_zip"
    names = _torso(d, m, spec, front="zip" if zip_ else "fold")
    _side_and_shoulder(d, names)
    _sleeves(d, m, names, v, cap_ease=0.0, ease_arm=6 + e * 0.2, cuff=7.0, wrist_ease=2.0, cap_ratio=0.12)
    if hood:
        _hood(d, m, names)
    else:
        _neckband(d, names, 2.5, 0.85)
    _hem_band(d, names, 6.0)
    if v.get("has_kangaroo_pocket", True):
        y0 = spec.hem_y + 2.0
        if zip_:  # a zip splits the kangaroo pocket into two patch pockets
            for side, sx in (("left", 1), ("right", -1)):
                pts = [(sx * 3, y0), (sx * 17, y0), (sx * 13, y0 + 18), (sx * 3, y0 + 18)]
                p = patch(f"pocket {side}", pts if sx > 0 else pts[::-1],
                          Placement("body", (0, 0), lift=0.3), None)
                p.marks.append(("pocket on", np.array([[0.0, 0.0]])))
                d.add(p)
        else:
            p = patch("kangaroo pocket", [(-16, y0), (16, y0), (12, y0 + 20), (-12, y0 + 20)],
                      Placement("body", (0, 0), lift=0.3), ["bottom", "side r", "top", "side l"])
            d.add(p)
            d.panel("front").marks.append(("pocket placement", np.array([[-16, y0], [16, y0], [12, y0 + 20],
                                                                          [-12, y0 + 20], [-16, y0]])))
    if zip_:
        d.panel("front left").marks.append(("zip", d.panel("front left").edge("center").points.copy()))
    _fit_targets(d, names)
    return d.finish()


# -- dresses ------------------------------------------------------------------------------------------------------
@style("sil-sheath-dress")
def sheath(m: BodyMeasures, v: dict[str, Any]) -> Pattern:
    d = Draft("dress")
    e = _ease(v, 4)
    spec = BodiceSpec(hem_y=m.hps_y - v["length"] * 100, ease_bust=e, ease_waist=e + 2, ease_hip=e + 1,
                      neckline=v.get("neckline", "boat"), flare_deg=-2.0 + 30 * float(v.get("flare", 0.05)),
                      hang_y=m.hip_y - 2, armhole_drop=FIT_ARMHOLE[v.get("fit", "slim")])
    names = _torso(d, m, spec, back="cb")
    _side_and_shoulder(d, names)
    if v.get("back_vent", True):
        for p in names["back"]:
            _centre_vent(d.panel(p), 18.0)
    _sleeves(d, m, names, v, cap_ease=1.5, ease_arm=4 + e * 0.3, wrist_ease=10.0)
    _neckband(d, names, 3.0, 1.0, "neck facing", "self")
    d.panel("back right").marks.append(("invisible zip", np.array([[0.0, m.hps_y - 4], [0.0, m.hip_y - 5]])))
    _fit_targets(d, names)
    return d.finish()


def _skirt_halves(m: BodyMeasures, top_y: float, hem_y: float, ease_hip: float, ease_waist: float,
                  flare_deg: float, front: bool, hang_y: float | None = None) -> BodiceHalf:
    """A skirt half from the centre (x = 0) to the side, edges counter-clockwise from the centre hem."""
    delta = (0.5 if front else -0.5)
    q_h = (m.hips + ease_hip) / 4
    q_w = (m.waist + ease_waist) / 4
    hip_w = q_h + delta
    intake = hip_w - (q_w + delta)
    side_take = min(max(intake, 0.0), 3.0)
    waist_side = hip_w - side_take
    hang = m.hip_y if hang_y is None else hang_y
    darts = []
    if intake - side_take > 0.05:
        n = 1 if (intake - side_take) < 3.0 else 2
        for k in range(n):
            x = hip_w * (0.33 + 0.25 * k)
            darts.append(Dart(x, top_y, min(top_y, m.waist_y), m.waist_y - (9.0 if front else 14.0),
                              (intake - side_take) / n, open_top=True))
    ang = np.radians(flare_deg)
    if hang >= m.hip_y - 0.5:  # flare from the hips: straight to the hip, then opening out
        ys = np.linspace(m.hip_y, top_y, 16)
        xs = np.interp(ys, [m.hip_y, m.waist_y, max(top_y, m.waist_y + 0.01)],
                       [hip_w, waist_side, waist_side + (0.5 if top_y > m.waist_y + 0.5 else 0.0)])
        drop = m.hip_y - hem_y
        side_hem = np.array([hip_w + drop * np.sin(ang), m.hip_y - drop * np.cos(ang)])
        lower = line(side_hem, (hip_w, m.hip_y), 16)
        side = join(lower, np.stack([xs, ys], 1))
    else:  # flare from the waist (maxi, circle): a straight line from the waist at the flare angle
        drop = top_y - hem_y
        base = max(waist_side, hip_w - (m.waist_y - m.hip_y) * np.tan(ang)) if ang > 0 else waist_side
        side_hem = np.array([base + drop * np.sin(ang), top_y - drop * np.cos(ang)])
        side = line(side_hem, (base, top_y), 32)
        # hips must still fit: push the side out where the straight line would cut in
        need = np.interp(side[:, 1], [hem_y - 1, m.hip_y, m.waist_y, top_y + 1],
                         [hip_w, hip_w, waist_side, waist_side])
        side[:, 0] = np.maximum(side[:, 0], need)
    t = np.linspace(0, 1, 28)
    hem = np.stack([t * side[0, 0], hem_y + (side[0, 1] - hem_y) * t ** 2], axis=1)
    waist = line((side[-1, 0], top_y), (0.0, top_y), 12)
    edges = [Edge("hem", hem, HEM_SA), Edge("side", side), Edge("waist", waist), Edge("center", line((0, top_y),
                                                                                                    (0, hem_y), 4))]
    body_q = m.hips / 4
    targets = {"hips": (m.hip_y, m.hips, 4 * q_h - m.hips), "waist": (m.waist_y, m.waist, 4 * q_w - m.waist)}
    del body_q
    return BodiceHalf(edges, darts, targets, top_y)


def _skirt_panel(name: str, half: BodiceHalf, placement: Placement, mirror: bool = False, fold: bool = False
                 ) -> Panel:
    if fold:
        chain = half.edges[:-1]
        mirrored = [Edge(e.name, e.points * np.array([-1.0, 1.0]), e.seam_allowance) for e in reversed(chain)]
        mirrored = [Edge(e.name, e.points[::-1], e.seam_allowance) for e in mirrored]
        hem = Edge("hem", join(mirrored[-1].points, chain[0].points), HEM_SA)
        waist = Edge("waist", join(chain[-1].points, mirrored[0].points), 1.0)
        sr = placement.azimuth[1] > 180
        edges = [hem, Edge("side " + ("right" if sr else "left"), chain[1].points), waist,
                 Edge("side " + ("left" if sr else "right"), mirrored[1].points)]
        darts = half.darts + [Dart(-x.x, x.y_top, x.y_wide, x.y_bottom, x.intake, x.kind) for x in half.darts]
        pts = np.concatenate([e.points for e in edges])
        grain = np.array([[0.0, pts[:, 1].min() + 10], [0.0, pts[:, 1].max() - 10]])
        return Panel(name, edges, grain, placement, darts=darts)
    return half_panel(name, half, placement, mirror=mirror)


def _skirt(d: Draft, m: BodyMeasures, top_y: float, hem_y: float, ease_hip: float, ease_waist: float,
           flare_deg: float, back_cb: bool = True, prefix: str = "skirt ", hang_y: float | None = None
           ) -> dict[str, Any]:
    fh = _skirt_halves(m, top_y, hem_y, ease_hip, ease_waist, flare_deg, True, hang_y)
    bh = _skirt_halves(m, top_y, hem_y, ease_hip, ease_waist, flare_deg, False, hang_y)
    hang = m.hip_y if hang_y is None else hang_y
    kw: dict[str, Any] = {"fit_top": 1e9, "flare_deg": flare_deg, "hang_y": hang}
    d.add(_skirt_panel(f"{prefix}front", fh, Placement("body", (-90.0, 90.0), **kw), fold=True))
    names: dict[str, Any] = {"front": [f"{prefix}front"], "fh": fh}
    if back_cb:
        d.add(half_panel(f"{prefix}back right", bh, Placement("body", (180.0, 270.0), **kw)),
              half_panel(f"{prefix}back left", bh, Placement("body", (90.0, 180.0), **kw), mirror=True))
        names["back"] = [f"{prefix}back right", f"{prefix}back left"]
        d.sew((names["back"][0], "center"), (names["back"][1], "center"), 0.0)
    else:
        d.add(_skirt_panel(f"{prefix}back", bh, Placement("body", (90.0, 270.0), **kw), fold=True))
        names["back"] = [f"{prefix}back"]
    for side in ("left", "right"):
        d.sew(_ref(names, "front", side, "side"), _ref(names, "back", side, "side"), 0.0)
    return names


def _waistband(d: Draft, m: BodyMeasures, names: dict[str, Any], kind: str, top_y: float) -> float:
    """Waistband of a skirt or trousers; returns how far it raises the top (cm)."""
    wl = sum(d.pattern().net_length((p, "waist")) for p in names["front"] + names["back"])
    if kind == "elastic":
        p = band("waistband", m.waist * 0.92, 3.5, Placement("waist", (0, 0), lift=0.25), "self")
        for pn in names["front"] + names["back"]:
            d.panel(pn).darts = [x for x in d.panel(pn).darts if x.y_top < top_y - 0.1]
        kind_ = "elastic"
    elif kind == "high_waisted":
        p = band("waistband", wl + 3.0, 8.0, Placement("waist", (0, 0), lift=0.25), "self", curve=2.5)
        kind_ = "plain"
    else:
        p = band("waistband", wl + 3.0, 4.0, Placement("waist", (0, 0), lift=0.25), "self")
        kind_ = "plain"
    p.marks.append(("underlap 3 cm", np.array([[p.edge("seam").points[-1, 0] - 3.0, 0.0],
                                               [p.edge("seam").points[-1, 0] - 3.0, 3.0]])))
    d.add(p)
    total = sum(d.panel(pn).edge("waist").length for pn in names["front"] + names["back"])
    d.join(("waistband", "seam"), [(n, "waist") for n in names["front"] + names["back"]],
           None if kind == "elastic" else 3.0, kind_)
    del total
    return {"elastic": 3.5, "high_waisted": 8.0}.get(kind, 4.0)


@style("sil-aline-dress")
def aline_dress(m: BodyMeasures, v: dict[str, Any]) -> Pattern:
    d = Draft("dress")
    e = _ease(v, 6)
    neck = {"round": "crew", "v_neck": "v"}.get(v.get("neckline", "round"), v.get("neckline", "round"))
    hem_y = m.hps_y - v["length"] * 100
    flare = _flare_deg(v, 55.0)
    fit_ah = FIT_ARMHOLE[v.get("fit", "regular")]
    if v.get("has_waist_seam", True):
        spec = BodiceSpec(hem_y=m.waist_y, ease_bust=e, ease_waist=e * 0.5 + 2, neckline=neck, waist_seam=True,
                          armhole_drop=fit_ah)
        names = _torso(d, m, spec, back="cb", prefix="bodice ")
        _side_and_shoulder(d, names)
        sk = _skirt(d, m, m.waist_y, hem_y, e + 4, e * 0.5 + 2, flare, prefix="skirt ")
        bl = sum(d.panel(p).edge("hem").length for p in names["front"] + names["back"])
        d.join([(p, "waist") for p in sk["front"] + sk["back"]], [(p, "hem") for p in names["front"] + names["back"]],
               0.0)
        del bl
        _fit_targets(d, names, ("bust",))
        d.target("waist", sk["fh"].targets["waist"], sk["front"] + sk["back"])
        d.target("hips", sk["fh"].targets["hips"], sk["front"] + sk["back"])
    else:  # one piece from shoulder to hem, flaring from the waist
        spec = BodiceSpec(hem_y=hem_y, ease_bust=e, ease_waist=e * 0.5 + 2, ease_hip=e + 4, neckline=neck,
                          flare_deg=flare * 0.6, hang_y=m.hip_y, armhole_drop=fit_ah)
        names = _torso(d, m, spec, back="cb")
        _side_and_shoulder(d, names)
        _fit_targets(d, names)
    _sleeves(d, m, names, v, cap_ease=1.5, ease_arm=4 + e * 0.3, wrist_ease=10.0)
    _neckband(d, names, 3.0, 1.0, "neck facing", "self")
    return d.finish()


@style("sil-wrap-dress")
def wrap_dress(m: BodyMeasures, v: dict[str, Any]) -> Pattern:
    d = Draft("dress")
    e = _ease(v, 6)
    hem_y = m.hps_y - v["length"] * 100
    neck = v.get("neckline", "v")
    spec = BodiceSpec(hem_y=m.waist_y, ease_bust=e, ease_waist=e * 0.5 + 2, neckline="crew", waist_seam=True,
                      armhole_drop=FIT_ARMHOLE[v.get("fit", "regular")])
    wrap = (m.bust + e) / 4 + 1.0  # each front crosses over to the other side seam
    names = _torso(d, m, spec, front="open", overlap=wrap * 0.8, prefix="bodice ")
    tie = v.get("tie_side", "left")
    for side in ("left", "right"):  # the crossing edge: straight (v) or curved (scoop) from shoulder to waist
        p = d.panel(f"bodice front {side}")
        neck_e, centre, hem = p.edge("neck"), p.edge("center"), p.edge("hem")
        hps = max((neck_e.points[0], neck_e.points[-1]), key=lambda q: q[1])
        low = min((centre.points[0], centre.points[-1]), key=lambda q: q[1])
        if neck == "v":
            cross = line(hps, low, 24)
        else:
            cross = bezier(hps, (hps[0] * 0.8, hps[1] - 14), (low[0] * 0.7, low[1] + 14), low, 24)
        if p.edges.index(neck_e) < p.edges.index(centre):
            neck_e.points, centre.points = cross[:12 + 1], cross[12:]
        else:
            rc = cross[::-1]
            centre.points, neck_e.points = rc[:12 + 1], rc[12:]
        del hem
        p.placement.lift = 0.3 if side == tie else 0.0
        p.overlap = 0.0
    _side_and_shoulder(d, names)
    sk = _skirt(d, m, m.waist_y, hem_y, e + 6, e * 0.5 + 2, _flare_deg(v, 50.0), prefix="skirt ", back_cb=False)
    d.panels = [p for p in d.panels if p.name != "skirt front"]
    d.seams = [s for s in d.seams if "skirt front" not in (s.a[0], s.b[0])]
    fh = sk["fh"]
    for side in ("left", "right"):  # two wrap skirt fronts, each with the overlap of its bodice
        p = half_panel(f"skirt front {side}", fh, Placement("body", (-40.0, 90.0) if side == "left" else
                                                               (-90.0, 40.0), flare_deg=_flare_deg(v, 50.0),
                                                               hang_y=m.hip_y), wrap * 0.8, mirror=side == "right")
        p.placement.lift = 0.3 if side == tie else 0.0
        d.add(p)
        d.sew((p.name, "side"), ("skirt back", f"side {side}"), 0.0)
    sk["front"] = ["skirt front left", "skirt front right"]
    tl = 75.0
    for side in ("left", "right"):
        length_ = tl * (1.6 if side == tie else 1.0)
        t = patch(f"tie {side}", [(0, 0), (length_, 0), (length_, 4.0), (0, 4.0)],
                  Placement("waist", (90.0 if tie == "left" else -90.0, 0.0), lift=0.5), ["a", "b", "c", "d"])
        d.add(t)
    d.panel(f"bodice front {'right' if tie == 'left' else 'left'}").marks.append(
        ("tie opening", np.array([[0.0, m.waist_y + 1.0], [0.0, m.waist_y + 3.0]])))
    _fit_targets(d, names, ("bust",))
    d.target("waist", fh.targets["waist"], sk["front"] + sk["back"])
    d.target("hips", fh.targets["hips"], sk["front"] + sk["back"])
    _sleeves(d, m, names, v, cap_ease=1.0, ease_arm=4 + e * 0.3, wrist_ease=10.0)
    _neckband(d, names, 1.5, 1.0, "neck binding", "self")
    return d.finish()


@style("sil-maxi-dress")
def maxi(m: BodyMeasures, v: dict[str, Any]) -> Pattern:
    d = Draft("dress")
    e = _ease(v, 10)
    hem_y = m.hps_y - v["length"] * 100
    neck = v.get("neckline", "v")
    flare = _flare_deg(v, 55.0)
    wl = v.get("waistline", "natural")
    fit_ah = FIT_ARMHOLE[v.get("fit", "regular")]
    if wl == "none":
        spec = BodiceSpec(hem_y=hem_y, ease_bust=e, ease_waist=e + 4, ease_hip=e + 6, neckline=neck,
                          flare_deg=flare * 0.5, hang_y=m.hip_y, armhole_drop=fit_ah)
        names = _torso(d, m, spec, back="cb")
        _side_and_shoulder(d, names)
        _fit_targets(d, names)
        skirt_names = names
    else:
        seam_y = m.waist_y if wl == "natural" else m.bust_y - 7.0
        mm = m
        if wl == "empire":  # the bodice ends under the bust: the bodice block's "waist" is the underbust
            from dataclasses import replace
            mm = replace(m, waist_y=seam_y, waist=m.girth_at(seam_y) - 2.0)
        spec = BodiceSpec(hem_y=seam_y, ease_bust=e, ease_waist=e * 0.5 + 2, neckline=neck, waist_seam=True,
                          armhole_drop=fit_ah)
        names = _torso(d, mm, spec, back="cb", prefix="bodice ")
        _side_and_shoulder(d, names)
        skirt_w_ease = e * 0.5 + 2
        skirt_m = mm
        sk = _skirt(d, skirt_m, seam_y, hem_y, e + 6, skirt_w_ease, flare, prefix="skirt ",
                    hang_y=seam_y if wl == "empire" else None)
        bl = sum(d.panel(p).edge("hem").length for p in names["front"] + names["back"])
        d.join([(p, "waist") for p in sk["front"] + sk["back"]], [(p, "hem") for p in names["front"] + names["back"]],
               0.0)
        del bl
        _fit_targets(d, names, ("bust",))
        if wl == "natural":
            d.target("waist", sk["fh"].targets["waist"], sk["front"] + sk["back"])
        else:
            d.target("underbust", (seam_y, mm.waist, skirt_w_ease), sk["front"] + sk["back"])
        if hem_y < m.hip_y and wl == "natural":
            d.target("hips", sk["fh"].targets["hips"], sk["front"] + sk["back"])
        skirt_names = sk
    slit = float(v.get("slit_height", 0))
    if slit > 0:  # a slit up the left side seam from the hem
        fp = d.panel(skirt_names["front"][0])
        bp = d.panel(next(p for p in skirt_names["back"] if p.endswith("left")))
        for p, edge in ((fp, "side left"), (bp, "side")):
            hem_side = min(p.edge(edge).points[0, 1], p.edge(edge).points[-1, 1])
            _split(p, edge, hem_side + slit, "slit")
            p.marks.append(("slit top", np.array([p.edge("slit").points[-1 if p.edge("slit").points[-1, 1] >
                                                                        p.edge("slit").points[0, 1] else 0]])))
        d.seams = [s for s in d.seams if s.a != (fp.name, "side left")]
        d.sew((fp.name, "side left"), (bp.name, "side"), 0.0)
    _sleeves(d, m, names, v, cap_ease=1.0, ease_arm=5 + e * 0.3, wrist_ease=12.0)
    _neckband(d, names, 3.0, 1.0, "neck facing", "self")
    return d.finish()


# -- bottoms -------------------------------------------------------------------------------------------------------
@style("sil-pencil-skirt")
def pencil(m: BodyMeasures, v: dict[str, Any]) -> Pattern:
    d = Draft("skirt")
    e = _ease(v, 2)
    high = v.get("waist_height", "high") == "high"
    top = m.waist_y + (5.0 if high else 0.0)
    hem_y = m.waist_y - v["length"] * 100
    names = _skirt(d, m, top, hem_y, e + 2, 1.0, -4.0 + 45 * float(v.get("flare", 0.0)))
    if v.get("back_vent", True):
        for p in names["back"]:
            _centre_vent(d.panel(p), 20.0)
    if high:  # a shaped facing finishes the raised waist instead of a band
        wl = sum(d.pattern().net_length((p, "waist")) for p in names["front"] + names["back"])
        f = band("waist facing", wl, 6.0, Placement("inside", (0, 0)), "self", curve=1.5)
        d.add(f)
        d.join(("waist facing", "seam"), [(p, "waist") for p in names["front"] + names["back"]], 0.0)
    else:
        _waistband(d, m, names, "standard", top)
    d.panel(names["back"][0]).marks.append(("invisible zip", np.array([[0.0, top], [0.0, top - 20]])))
    d.target("waist", names["fh"].targets["waist"], names["front"] + names["back"])
    d.target("hips", names["fh"].targets["hips"], names["front"] + names["back"])
    return d.finish()


@style("sil-aline-skirt")
def aline_skirt(m: BodyMeasures, v: dict[str, Any]) -> Pattern:
    d = Draft("skirt")
    e = _ease(v, 6)
    wb = v.get("waistband", "standard")
    top = m.waist_y + (4.0 if wb == "high_waisted" else 0.0)
    hem_y = m.waist_y - v["length"] * 100
    flare = _flare_deg(v, 70.0)
    waist_ease = 1.0 if wb != "elastic" else (m.hips + e + 4) - m.waist  # elastic: pulls on over the hips
    names = _skirt(d, m, top, hem_y, e + 4, waist_ease, flare, back_cb=wb != "elastic",
                   hang_y=m.waist_y if flare > 25 else None)
    _waistband(d, m, names, wb, top)
    d.target("waist", names["fh"].targets["waist"], names["front"] + names["back"])
    d.target("hips", names["fh"].targets["hips"], names["front"] + names["back"])
    return d.finish()


def _trouser_leg(m: BodyMeasures, top_y: float, hem_y: float, ease_hip: float, ease_waist: float,
                 hem_w: float, knee_w: float, front: bool, pleat: float = 0.0, turn_up: float = 0.0
                 ) -> tuple[list[Edge], list[Dart], dict[str, tuple[float, float, float]]]:
    """A trouser leg piece (the body's left leg): x = 0 at the side seam, the centre front or back towards +x.

    The finished waist (at the garment's own waistline ``top_y``, which the rise sets) is the body's girth there
    plus ``ease_waist``; what the hip width has over it goes into the side seam, darts and pleats.
    """
    q_h = (m.hips + ease_hip) / 4
    body_top = m.girth_at(top_y)
    q_w = (body_top + ease_waist) / 4
    delta = -1.0 if front else 1.0
    hip_w = q_h + delta
    ext = (m.hips + ease_hip) / (16 if front else 9.5)
    crotch_y = m.crotch_y - (0.5 if front else 1.5)
    crease = (hip_w + ext) / 2 - (0.0 if front else 1.0)
    waist_target = q_w + delta
    cf_top_x = hip_w + (0.0 if front else 1.5)   # the back's centre slants out to the raised centre back
    cb_raise = 0.0 if front else 3.0
    intake = cf_top_x - waist_target             # what the top has over the finished waist
    side_in = min(max(intake, 0.0), 1.5)
    waist_side = side_in - pleat                 # a pleat adds its fabric at the top of the side seam
    darts = []
    if pleat > 0:
        darts.append(Dart(crease, top_y, top_y, top_y - 12.0, pleat, "pleat"))
    rest = intake - side_in
    if rest > 0.05:
        darts.append(Dart(crease + (2.5 if front else 3.0), top_y, top_y, top_y - (8.0 if front else 13.0), rest))
    hem_y2 = hem_y - 2 * turn_up
    knee = m.knee_y > hem_y + 6
    if knee:
        side = join(line((crease - hem_w / 2, hem_y2), (crease - hem_w / 2, hem_y), 2),
                    line((crease - hem_w / 2, hem_y), (crease - knee_w / 2, m.knee_y), 8),
                    bezier((crease - knee_w / 2, m.knee_y), (crease - knee_w / 2 - 1.0, m.knee_y + 15),
                           (0.0, m.hip_y - 12), (0.0, m.hip_y), 16))
        inseam = join(bezier((hip_w + ext, crotch_y), (hip_w + ext - 2.0, crotch_y - 12),
                             (crease + knee_w / 2 + 1.0, m.knee_y + 15), (crease + knee_w / 2, m.knee_y), 16),
                      line((crease + knee_w / 2, m.knee_y), (crease + hem_w / 2, hem_y), 8))
    else:
        side = join(line((crease - hem_w / 2, hem_y2), (crease - hem_w / 2, hem_y), 2),
                    bezier((crease - hem_w / 2, hem_y), (crease - hem_w / 2, hem_y + (m.hip_y - hem_y) * 0.4),
                           (0.0, m.hip_y - 8), (0.0, m.hip_y), 16))
        inseam = bezier((hip_w + ext, crotch_y), (hip_w + ext - 1.5, crotch_y - 4), (crease + hem_w / 2,
                                                                                   hem_y + 3),
                        (crease + hem_w / 2, hem_y), 16)
    side = join(side, line((0.0, m.hip_y), (waist_side, top_y), 8))
    inseam = join(inseam, line((crease + hem_w / 2, hem_y), (crease + hem_w / 2, hem_y2), 2))
    waist = line((waist_side, top_y), (cf_top_x, top_y + cb_raise), 12)
    centre = join(line((cf_top_x, top_y + cb_raise), (hip_w, m.hip_y - 2), 6),
                  bezier((hip_w, m.hip_y - 2), (hip_w, crotch_y + 2), (hip_w + ext * 0.4, crotch_y),
                         (hip_w + ext, crotch_y), 16))
    hem = line((crease + hem_w / 2, hem_y2), (crease - hem_w / 2, hem_y2), 4)
    # that chain runs clockwise (side up, waist across, centre down): reverse it for counter-clockwise
    chain = [Edge("side", side), Edge("waist", waist, 1.0), Edge("crotch", centre, 1.0), Edge("inseam", inseam),
             Edge("hem", hem, HEM_SA if turn_up == 0 else 1.0)]
    edges = [Edge(e.name, e.points[::-1], e.seam_allowance) for e in reversed(chain)]
    level = "waist" if abs(top_y - m.waist_y) < 0.05 else "waistline"  # where the rise puts the garment's waist
    targets = {"hips": (m.hip_y, m.hips, 4 * q_h - m.hips), level: (top_y, body_top, ease_waist)}
    return edges, darts, targets


def _trousers(d: Draft, m: BodyMeasures, v: dict[str, Any], top_y: float, hem_y: float, ease_hip: float,
              hem_w: float, knee_w: float, pleat: float = 0.0, waist_ease: float = 1.0) -> dict[str, Any]:
    turn_up = 4.0 if v.get("cuffed", False) else 0.0
    names: dict[str, Any] = {"front": [], "back": []}
    targets = {}
    for part, front in (("front", True), ("back", False)):
        edges, darts, t = _trouser_leg(m, top_y, hem_y, ease_hip, waist_ease, hem_w + (-1 if front else 1),
                                       knee_w + (-1 if front else 1), front, pleat, turn_up)
        targets = t
        pts = np.concatenate([e.points for e in edges])
        crease = float(np.median(pts[:, 0]))
        grain = np.array([[crease, hem_y + 10], [crease, m.hip_y - 5]])
        # left leg: the side seam (x = 0) at the body's left (+90); front: centre front at 0, back: centre back
        left = Panel(f"{part} left", edges, grain, Placement("legs_l", (90.0, 0.0 if front else 180.0),
                                                             fit_top=1e9), darts=darts)
        if turn_up:
            left.marks.append(("turn-up fold", np.array([[pts[:, 0].min(), hem_y - turn_up],
                                                         [pts[:, 0].max(), hem_y - turn_up]])))
            left.marks.append(("hem fold", np.array([[pts[:, 0].min(), hem_y], [pts[:, 0].max(), hem_y]])))
            left.placement.fold = ((0.0, hem_y), (1.0, hem_y))
        right = mirror_panel(left, f"{part} right", Placement("legs_r", (-90.0, 0.0 if front else -180.0),
                                                              fit_top=1e9, fold=left.placement.fold))
        d.add(left, right)
        names[part] += [left.name, right.name]
    for side in ("left", "right"):
        d.sew((f"front {side}", "side"), (f"back {side}", "side"), 0.0)
        d.sew((f"front {side}", "inseam"), (f"back {side}", "inseam"), 0.0)
    d.sew(("front left", "crotch"), ("front right", "crotch"), 0.0, kind="fly")
    d.sew(("back left", "crotch"), ("back right", "crotch"), 0.0)
    d.panel("front left").marks.append(("fly", np.array([[d.panel("front left").edge("crotch").points[-1, 0] - 3.5,
                                                          top_y], [d.panel("front left").edge("crotch").points[-1, 0]
                                                                   - 3.5, m.hip_y - 4]])))
    names["targets"] = targets
    return names


def _trouser_targets(d: Draft, names: dict[str, Any]) -> None:
    for level, t in names["targets"].items():
        d.target(level, t, names["front"] + names["back"])


@style("sil-straight-trousers")
def straight_trousers(m: BodyMeasures, v: dict[str, Any]) -> Pattern:
    d = Draft("trousers")
    e = _ease(v, 6)
    wb = v.get("waistband", "standard")
    top = m.crotch_y + float(v.get("rise", 0.25)) * 100 + (4.0 if wb == "high_waisted" else 0.0)
    hem_y = m.crotch_y - float(v.get("inseam", 0.78)) * 100  # longer than the leg: it breaks on the shoe
    hw = float(v.get("hem_width", 21))
    names = _trousers(d, m, v, top, hem_y, e + 4, hw, hw + 1.0,
                      waist_ease=1.0 if wb != "elastic" else (m.hips + e) - m.girth_at(min(top, m.waist_y)))
    _waistband(d, m, names, wb, top)
    _trouser_targets(d, names)
    return d.finish()


@style("sil-wide-leg-trousers")
def wide_leg(m: BodyMeasures, v: dict[str, Any]) -> Pattern:
    d = Draft("trousers")
    e = _ease(v, 10)
    top = m.crotch_y + float(v.get("rise", 0.29)) * 100
    hem_y = top - v["length"] * 100
    hw = 24 + 22 * float(v.get("flare", 0.6))
    names = _trousers(d, m, v, top, hem_y, e + 4, hw, 22 + 10 * float(v.get("flare", 0.6)),
                      pleat=3.0 if v.get("front_pleats", True) else 0.0)
    _waistband(d, m, names, "high_waisted" if top > m.waist_y + 2 else "standard", top)
    _trouser_targets(d, names)
    return d.finish()


@style("sil-shorts")
def shorts(m: BodyMeasures, v: dict[str, Any]) -> Pattern:
    d = Draft("trousers")
    e = _ease(v, 6)
    top = m.crotch_y + float(v.get("rise", 0.25)) * 100
    hem_y = top - v["length"] * 100
    thigh = (m.thigh + 8) / 2
    hw = thigh + 8 * float(v.get("flare", 0.2))
    from dataclasses import replace
    mm = replace(m, knee_y=min(m.knee_y, hem_y - 1))
    names = _trousers(d, mm, v, top, hem_y, e + 4, hw, hw, waist_ease=1.0)
    _waistband(d, m, names, "standard", top)
    _trouser_targets(d, names)
    return d.finish()


# -- outerwear -----------------------------------------------------------------------------------------------------
def _lapel(d: Draft, m: BodyMeasures, side: str, kind: str, overlap: float, break_y: float) -> None:
    """Shape the front edge above the break point into a lapel that folds back along the roll line."""
    p = d.panel(f"front {side}")
    mirror = -1.0 if side == "right" else 1.0
    neck, centre = p.edge("neck"), p.edge("center")
    hps = neck.points[0] if neck.points[0, 1] > neck.points[-1, 1] else neck.points[-1]
    x_edge = -overlap * mirror
    width = 9.0 if kind != "shawl" else 8.0
    if kind == "shawl":  # the lapel runs up into a collar that meets its twin at the centre back
        gorge = np.array([hps[0] - mirror * 1.0, m.hps_y + m.neck / 4])
        out = bezier((x_edge, break_y), (x_edge - mirror * width, break_y + 18), (hps[0] - mirror * (width + 2),
                                                                                 m.hps_y - 2), gorge, 28)
    else:
        notch_y = m.hps_y - 12.0
        tip = np.array([x_edge - mirror * width, notch_y + (4.0 if kind == "peak" else 0.0)])
        gorge = np.array([hps[0] - mirror * 3.0, notch_y + (1.0 if kind == "peak" else 2.0)])
        out = join(bezier((x_edge, break_y), (x_edge - mirror * width * 0.6, break_y + 8),
                          (tip[0], tip[1] - 12), tip, 20),
                   line(tip, (tip[0] + mirror * (2.5 if kind == "peak" else 3.5),
                              tip[1] - (0.5 if kind == "peak" else 3.0)), 3)[0:],
                   line((tip[0] + mirror * (2.5 if kind == "peak" else 3.5), tip[1] - (0.5 if kind == "peak" else 3.0)),
                        gorge, 4),
                   line(gorge, hps, 8))
    if kind == "shawl":
        out = join(out, line(gorge, hps, 6))
    # rebuild the front edge: straight from the hem to the break point, then the lapel up to the shoulder
    hem_end = centre.points[-1] if centre.points[-1, 1] < centre.points[0, 1] else centre.points[0]
    front_edge = line(hem_end, (x_edge, break_y), 8)
    up = join(front_edge, out)
    ni, ci = p.edges.index(neck), p.edges.index(centre)
    if ni < ci:  # neck then centre (left front): the edge runs down from the shoulder
        p.edges[ni:ci + 1] = [Edge("lapel", up[len(front_edge) - 1:][::-1]), Edge("center", front_edge[::-1])]
    else:        # centre then neck (right front): the edge runs up
        p.edges[ci:ni + 1] = [Edge("center", front_edge), Edge("lapel", up[len(front_edge) - 1:])]
    roll = np.array([[x_edge, break_y], [hps[0] - mirror * 1.5, m.hps_y]])
    p.marks.append(("roll line", roll))
    p.placement.fold = (tuple(roll[1]), tuple(roll[0])) if side == "left" else (tuple(roll[0]), tuple(roll[1]))
    # the neck seam is now only the short stretch from the gorge to the shoulder: keep an edge named neck
    lap = p.edge("lapel")
    k = int(np.argmin(np.linalg.norm(lap.points - hps, axis=1)))
    gi = len(lap.points) - 8 if ni < ci else 7
    if kind != "shawl":
        pts = lap.points
        if ni < ci:
            neck_pts, lap_pts = pts[: 8], pts[7:]
        else:
            lap_pts, neck_pts = pts[: len(pts) - 7], pts[len(pts) - 8:]
        i = p.edges.index(lap)
        p.edges[i:i + 1] = ([Edge("neck", neck_pts, 1.0), Edge("lapel", lap_pts)] if ni < ci else
                            [Edge("lapel", lap_pts), Edge("neck", neck_pts, 1.0)])
    del k, gi


def _jacket(d: Draft, m: BodyMeasures, v: dict[str, Any], e: float, hem_y: float, flare: float, coat: bool
            ) -> dict[str, Any]:
    closure = v.get("closure", "single_breasted")
    overlap = {"single_breasted": 2.5, "double_breasted": 8.0, "belted_wrap": 12.0}[closure]
    spec = BodiceSpec(hem_y=hem_y, ease_bust=e, ease_waist=e + (6 if coat else 2), ease_hip=e + (2 if coat else 0),
                      neckline="collar", neck_extra=1.0 if coat else 0.5, armhole_drop=(3.0 if coat else 1.5) +
                      FIT_ARMHOLE[v.get("fit", "regular")], flare_deg=flare, hang_y=m.hip_y)
    names = _torso(d, m, spec, front="open", overlap=overlap, back="cb")
    return {"names": names, "overlap": overlap, "closure": closure}


@style("sil-blazer")
def blazer(m: BodyMeasures, v: dict[str, Any]) -> Pattern:
    d = Draft("top")
    e = _ease(v, 10)
    hem_y = m.hps_y - v["length"] * 100
    j = _jacket(d, m, v, e, hem_y, 0.0, coat=False)
    names, ov = j["names"], j["overlap"]
    break_y = m.waist_y + (4.0 if j["closure"] == "single_breasted" else 8.0)
    lapel = v.get("lapel", "notch")
    for side in ("left", "right"):
        _lapel(d, m, side, lapel, ov, break_y)
    _side_and_shoulder(d, names)
    if lapel != "shawl":
        nl = sum(d.panel(p).edge("neck").length for p in names["front"] + names["back"])
        c = band("collar", nl, 7.5, Placement("neck", (0.0, 360.0), lift=0.4, lie=True), curve=3.0)
        c.marks.append(("roll line", c.edge("seam").points + np.array([0, 3.0])))
        d.add(c)
        d.join(("collar", "seam"), _neck_refs(names), 0.0)
    else:
        d.sew(("front left", "lapel"), ("front right", "lapel"), None, kind="collar centre back")
    vents = v.get("vents", "center")
    if vents == "center":
        for p in names["back"]:
            _centre_vent(d.panel(p), 22.0)
    elif vents == "side":
        for side in ("left", "right"):
            fr, bk = _ref(names, "front", side, "side"), _ref(names, "back", side, "side")
            for pn, en in (fr, bk):
                p = d.panel(pn)
                edge = p.edge(en)
                _split(p, en, float(edge.points[:, 1].min()) + 22.0, "vent")
                p.darts.append(Dart(0.0, edge.points[:, 1].min() + 22.0, edge.points[:, 1].min() + 22.0,
                                    edge.points[:, 1].min(), 0.0, "lap"))
        d.seams = [s for s in d.seams if not (s.a[1].startswith("side") and s.b[1].startswith("side"))]
        for side in ("left", "right"):
            d.sew(_ref(names, "front", side, "side"), _ref(names, "back", side, "side"), 0.0)
    _sleeves(d, m, names, v, cap_ease=3.0, ease_arm=4 + e * 0.3, wrist_ease=14.0, cap_ratio=0.33, two_piece=True)
    for side in ("left", "right"):  # welt pockets and the chest pocket
        p = d.panel(f"front {side}")
        s = 1 if side == "left" else -1
        x0 = s * 8.0
        p.marks.append(("welt pocket", np.array([[x0, m.hip_y + 4], [x0 + s * 15, m.hip_y + 5]])))
        if side == "left":
            p.marks.append(("breast welt", np.array([[s * 11, m.bust_y + 3], [s * 21, m.bust_y + 4]])))
    rows = 1 if j["closure"] == "single_breasted" else 2
    top = "front right" if m.sex == "female" else "front left"
    for r in range(rows):
        x = 0.0 if rows == 1 else (ov - 2.5) * (1 if r == 0 else -1) * (-1 if top == "front right" else 1)
        _buttons(d, top, x, break_y - 1, break_y - 11.0, 2)
    _fit_targets(d, names)
    return d.finish()


@style("sil-coat")
def coat(m: BodyMeasures, v: dict[str, Any]) -> Pattern:
    d = Draft("top")
    e = _ease(v, 14)
    hem_y = m.hps_y - v["length"] * 100
    j = _jacket(d, m, v, e, hem_y, _flare_deg(v, 20.0), coat=True)
    names, ov = j["names"], j["overlap"]
    _side_and_shoulder(d, names)
    for p in names["back"]:
        _centre_vent(d.panel(p), 30.0)
    _sleeves(d, m, names, v, cap_ease=3.0, ease_arm=6 + e * 0.3, wrist_ease=16.0, cap_ratio=0.32)
    if v.get("neckline", "collar") == "hood":
        _hood(d, m, names)
    else:
        _collar(d, names, 4.0, 7.0, "point")
    closure = j["closure"]
    top = "front right" if m.sex == "female" else "front left"
    neck_y = float(d.panel(top).edge("center").points[:, 1].max())
    if closure == "belted_wrap":
        belt_len = m.waist + e + 60.0
        d.add(patch("belt", [(0, 0), (belt_len, 0), (belt_len, 5.0), (0, 5.0)],
                    Placement("waist", (0, 0), lift=0.6), ["a", "b", "c", "d"]))
        for side in ("left", "right"):
            d.panel(f"front {side}").marks.append(("belt loop", np.array([[(1 if side == "left" else -1) * 20.0,
                                                                           m.waist_y - 2], [(1 if side == "left"
                                                                                              else -1) * 20.0,
                                                                                             m.waist_y + 3]])))
    else:
        rows = 1 if closure == "single_breasted" else 2
        for r in range(rows):
            x = 0.0 if rows == 1 else (ov - 3.0) * (1 if r == 0 else -1) * (-1 if top == "front right" else 1)
            _buttons(d, top, x, neck_y - 3, m.hip_y - 5, 4 if rows == 1 else 3)
    for side in ("left", "right"):
        s = 1 if side == "left" else -1
        d.panel(f"front {side}").marks.append(("pocket flap", np.array([[s * 9, m.hip_y + 1], [s * 26, m.hip_y + 2]])))
    _fit_targets(d, names)
    return d.finish()
