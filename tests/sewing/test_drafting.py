"""Sewing patterns of every catalog silhouette: valid outlines, matching seams, fit from the body, every parameter
read, grading and made-to-measure. Pure drafting (no body mesh): fast."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from fw_kernel.adapters.catalog_files import load_manifests
from fw_kernel.sewing import STYLES, draft, from_measurements, grade, standard_size

SILHOUETTES = [i for i in load_manifests()[0] if i.type == "silhouette"]
BODIES = [(size, sex) for sex in ("female", "male") for size in ("XS", "M", "4XL")]


def test_every_silhouette_of_the_catalog_has_a_pattern() -> None:
    assert {i.id for i in SILHOUETTES} <= set(STYLES)


@pytest.mark.parametrize("item", SILHOUETTES, ids=[i.id for i in SILHOUETTES])
def test_panels_are_closed_simple_polygons_and_seams_match(item) -> None:
    for size, sex in BODIES:
        pattern = draft(item.id, item.defaults(), standard_size(size, sex), size)
        assert pattern.check() == [], f"{item.id} {sex} {size}"
        assert len(pattern.panels) >= 3 and len(pattern.seams) >= 3
        for panel in pattern.panels:
            assert panel.polygon().is_valid and panel.polygon().area > 10.0
            assert panel.cut_polygon().contains(panel.polygon().buffer(-0.01))  # allowance all round
            assert np.linalg.norm(panel.grain[1] - panel.grain[0]) > 1.0


@pytest.mark.parametrize("item", SILHOUETTES, ids=[i.id for i in SILHOUETTES])
def test_girths_are_body_plus_ease_within_a_centimetre(item) -> None:
    for size, sex in BODIES:
        body = standard_size(size, sex)
        pattern = draft(item.id, item.defaults(), body, size)
        levels = {t.level for t in pattern.fit}
        assert levels & {"bust", "hips"}, f"{item.id}: no fit target at bust or hips"
        for t in pattern.fit:
            assert t.body == pytest.approx(body.girth_at(t.y), abs=2.5)  # the body's girth at that level
            assert abs(pattern.girth_at(t) - (t.body + t.ease)) <= 1.0, (item.id, sex, size, t.level)
            assert t.ease >= -8.0  # (elastic waists may sit below the body girth)


def test_the_style_ease_is_the_bust_ease_of_a_top() -> None:
    tee = next(i for i in SILHOUETTES if i.id == "sil-tshirt")
    body = standard_size("M")
    for ease in (0, 8, 20):
        p = draft(tee.id, {**tee.defaults(), "ease": ease}, body)
        bust = next(t for t in p.fit if t.level == "bust")
        # the finished chest is the body's bust + the style's ease (measured under the armhole)
        assert bust.body + bust.ease == pytest.approx(body.bust + ease)
        assert abs(p.girth_at(bust) - body.bust - ease) < 0.2


def _alternatives(spec: dict) -> list:
    if spec["type"] == "choice":
        return [o for o in spec["options"] if o != spec["default"]]
    if spec["type"] == "boolean":
        return [not spec["default"]]
    if spec["type"] == "number":
        return [v for v in (spec["min"], spec["max"]) if v != spec["default"]]
    return []


@pytest.mark.parametrize("item", SILHOUETTES, ids=[i.id for i in SILHOUETTES])
def test_every_parameter_changes_the_pattern(item) -> None:
    body = standard_size("M")
    base = draft(item.id, item.defaults(), body).fingerprint()
    for name, spec in item.parameters.items():
        if spec["type"] == "color":  # colour dresses the 3D garment (tests/sewing/test_assemble.py), not the cut
            continue
        for value in _alternatives(spec):
            other = draft(item.id, {**item.defaults(), name: value}, body)
            assert other.check() == [], f"{item.id} {name}={value}: {other.check()[:2]}"
            assert other.fingerprint() != base, f"{item.id}: {name}={value!r} leaves the pattern unchanged"


def _names(p) -> set[str]:
    return {x.name for x in p.panels}


def _by(item_id: str):
    return next(i for i in SILHOUETTES if i.id == item_id)


def test_parameters_do_what_their_names_say() -> None:
    body = standard_size("M")
    blazer = _by("sil-blazer")
    d = blazer.defaults()
    single = draft(blazer.id, d, body)
    double = draft(blazer.id, {**d, "closure": "double_breasted"}, body)
    assert double.panel("front left").overlap > single.panel("front left").overlap + 4
    rows = lambda p: len({round(b[1][0], 1) for b in p.buttons})  # noqa: E731
    assert rows(double) == 2 and rows(single) == 1
    assert "collar" in _names(single) and "collar" not in _names(draft(blazer.id, {**d, "lapel": "shawl"}, body))
    peak, notch = draft(blazer.id, {**d, "lapel": "peak"}, body), single
    assert peak.panel("front left").edge("lapel").points[:, 1].max() > notch.panel("front left").edge("lapel") \
        .points[:, 1].max() - 50  # both lapels exist; shapes differ (fingerprint test)
    assert any(e.name == "vent" for e in single.panel("back left").edges)
    assert not any(e.name == "vent" for e in draft(blazer.id, {**d, "vents": "none"}, body).panel("back left").edges)
    side = draft(blazer.id, {**d, "vents": "side"}, body)
    assert any(e.name == "vent" for e in side.panel("front left").edges)

    trousers = _by("sil-straight-trousers")
    t = trousers.defaults()
    plain, cuffed = draft(trousers.id, t, body), draft(trousers.id, {**t, "cuffed": True}, body)
    assert cuffed.panel("front left").polygon().bounds[1] < plain.panel("front left").polygon().bounds[1] - 7
    assert any(label == "turn-up fold" for label, _ in cuffed.panel("front left").marks)
    low, high = draft(trousers.id, {**t, "rise": 0.18}, body), draft(trousers.id, {**t, "rise": 0.32}, body)
    assert high.panel("front left").polygon().bounds[3] - low.panel("front left").polygon().bounds[3] == \
        pytest.approx(14.0, abs=0.1)  # the rise moves the waistline
    narrow, wide = draft(trousers.id, {**t, "hem_width": 16}, body), draft(trousers.id, {**t, "hem_width": 30}, body)
    assert wide.panel("front left").edge("hem").length - narrow.panel("front left").edge("hem").length == \
        pytest.approx(14.0, abs=0.5)
    elastic = draft(trousers.id, {**t, "waistband": "elastic"}, body)
    assert any(s.kind == "elastic" for s in elastic.seams)

    shirt = _by("sil-shirt")
    s = shirt.defaults()
    curved, straight = draft(shirt.id, s, body), draft(shirt.id, {**s, "hem_shape": "straight"}, body)
    hem_c, hem_s = curved.panel("back").edge("hem").points, straight.panel("back").edge("hem").points
    assert np.ptp(hem_c[:, 1]) > 5 and np.ptp(hem_s[:, 1]) < 0.5
    assert "back yoke" in _names(curved) and "back yoke" not in _names(draft(shirt.id, {**s, "has_back_yoke": False},
                                                                               body))
    hoodie = _by("sil-hoodie")
    h = hoodie.defaults()
    assert {"hood left", "hood right", "kangaroo pocket"} <= _names(draft(hoodie.id, h, body))
    zipped = draft(hoodie.id, {**h, "front": "full_zip"}, body)
    assert {"front left", "front right"} <= _names(zipped) and any(x.kind == "zip" for x in zipped.seams)
    maxi = _by("sil-maxi-dress")
    slit = draft(maxi.id, {**maxi.defaults(), "slit_height": 40}, body)
    assert any(e.name == "slit" for e in slit.panel("skirt front").edges)
    wrap = _by("sil-wrap-dress")
    left = draft(wrap.id, wrap.defaults(), body)
    right = draft(wrap.id, {**wrap.defaults(), "tie_side": "right"}, body)
    assert left.panel("tie left").edge("a").length > right.panel("tie left").edge("a").length
    tee = _by("sil-tshirt")
    sleeveless = draft(tee.id, {**tee.defaults(), "sleeve_length": 0.0}, body)
    assert "sleeve left" not in _names(sleeveless) and "armhole binding left" in _names(sleeveless)
    long_ = draft(tee.id, {**tee.defaults(), "sleeve_length": 0.6}, body)
    assert long_.panel("sleeve left").polygon().bounds[1] < -55


def test_set_in_sleeves_carry_their_cap_ease() -> None:
    blazer = _by("sil-blazer")
    p = draft(blazer.id, blazer.defaults(), standard_size("M"))
    cap = [s for s in p.seams if s.a[0] == "top sleeve left" and s.a[1].startswith("cap")]
    assert len(cap) == 2
    for s in cap:
        la, lb = p.seam_lengths(s)
        assert 1.0 <= la - lb <= 2.0 and s.ease == pytest.approx(la - lb, abs=0.2)


def test_grading_follows_the_size_chart() -> None:
    item = _by("sil-sheath-dress")
    graded = grade(item.id, item.defaults())
    assert list(graded) == ["XS", "S", "M", "L", "XL", "XXL", "3XL", "4XL"]
    busts = [p.girth_at(next(t for t in p.fit if t.level == "bust")) for p in graded.values()]
    assert all(b > a + 5 for a, b in itertools.pairwise(busts))
    assert all(p.size == s for s, p in graded.items())


def test_made_to_measure_drafts_for_the_avatar() -> None:
    item = _by("sil-tshirt")
    own = from_measurements({"height": 158, "bust": 101, "waist": 83, "hips": 109})
    p = draft(item.id, item.defaults(), own)
    bust = next(t for t in p.fit if t.level == "bust")
    assert bust.body <= 101 and abs(p.girth_at(bust) - 101 - 8) < 0.5
    assert p.size == "made-to-measure"


def test_an_unknown_silhouette_is_refused() -> None:
    with pytest.raises(KeyError, match="no pattern for silhouette"):
        draft("sil-nope", {}, standard_size("M"))


# cap height / armhole, bicep - upper arm (cm), cap - armhole (cm): Aldrich's ranges for each kind of sleeve
SLEEVES = {"sil-tshirt": ((0.15, 0.30), (3.0, 14.0), (-0.1, 1.0)),      # knit: shallow cap, no ease
           "sil-hoodie": ((0.08, 0.20), (8.0, 25.0), (-0.1, 1.0)),      # dropped shoulder: almost flat
           "sil-shirt": ((0.17, 0.30), (7.0, 16.0), (1.0, 3.0)),
           "sil-blouse": ((0.20, 0.36), (5.0, 11.0), (1.0, 3.0)),
           "sil-wrap-dress": ((0.20, 0.36), (4.0, 9.0), (1.0, 3.0)),
           "sil-blazer": ((0.25, 0.38), (5.0, 10.0), (1.0, 3.0)),
           "sil-coat": ((0.24, 0.38), (8.0, 14.0), (1.0, 3.0))}


@pytest.mark.parametrize("sil", list(SLEEVES))
def test_sleeves_are_drafted_to_the_armhole_and_the_arm(sil) -> None:
    (h_lo, h_hi), (b_lo, b_hi), (e_lo, e_hi) = SLEEVES[sil]
    item = _by(sil)
    for size, sex in BODIES:
        body = standard_size(size, sex)
        p = draft(sil, item.defaults(), body, size)
        pieces = [x for x in p.panels if x.placement.surface == "sleeve_l"]   # one piece, or top + under sleeve
        assert len(pieces) == (2 if sil == "sil-blazer" else 1)
        underarm = pieces[0].placement.fit_top
        top = max(x.outline[:, 1].max() for x in pieces)
        cap_h = top - underarm
        bicep = sum(float(np.diff(x.extents_at(np.array([underarm - 0.05]))[0])[0]) for x in pieces)
        names = {x.name for x in pieces}
        caps = [x for x in p.seams if x.a[0] in names and "cap" in x.a[1]]
        cap = sum(p.seam_lengths(x)[0] for x in caps)
        armhole = sum(p.seam_lengths(x)[1] for x in caps)
        what = f"{sil} {sex} {size}"
        assert h_lo <= cap_h / armhole <= h_hi, f"{what}: cap height {cap_h:.1f} for an armhole of {armhole:.1f}"
        assert b_lo <= bicep - body.upper_arm <= b_hi, f"{what}: bicep {bicep:.1f} on an arm of {body.upper_arm:.1f}"
        assert e_lo - 0.2 <= cap - armhole <= e_hi + 0.2, f"{what}: cap {cap:.1f} vs armhole {armhole:.1f}"
        # no more cloth than a block sleeve of that bicep, cap and cuff: the cap about two thirds of its box
        # (two humps), below it a trapezoid from the bicep to the hem
        length_ = top - min(x.outline[:, 1].min() for x in pieces)
        hem = sum(x.edge("hem").length for x in pieces)
        block = 2 / 3 * bicep * cap_h + (bicep + hem) / 2 * (length_ - cap_h)
        area = sum(x.polygon().area for x in pieces)
        assert 0.85 < area / block < 1.1, f"{what}: {area:.0f} cm2 vs block {block:.0f}"


def test_a_blazer_has_a_two_piece_sleeve_and_a_shirt_a_back_yoke() -> None:
    body = standard_size("M")
    blazer = draft("sil-blazer", _by("sil-blazer").defaults(), body)
    for side in ("left", "right"):
        top, under = blazer.panel(f"top sleeve {side}"), blazer.panel(f"under sleeve {side}")
        assert top.polygon().area > 1.5 * under.polygon().area       # the seams sit under the arm
        sewn = {(x.a, x.b) for x in blazer.seams}
        assert ((top.name, "forearm"), (under.name, "forearm")) in sewn
        assert ((top.name, "hindarm"), (under.name, "hindarm")) in sewn
        assert not [n for n in _names(blazer) if n == f"sleeve {side}"]
    shirt = draft("sil-shirt", _by("sil-shirt").defaults(), body)
    yoke, back = shirt.panel("back yoke"), shirt.panel("back")
    assert ("back yoke", "yoke seam") in {x.a for x in shirt.seams}
    assert abs(yoke.edge("yoke seam").length - back.edge("yoke seam").length) < 0.01
    assert yoke.bounds()[1] == pytest.approx(back.bounds()[3])       # the yoke sits on the back, no overlap
    assert {x.b for x in shirt.seams if x.b[1].startswith("shoulder")} == {("back yoke", "shoulder left"),
                                                                          ("back yoke", "shoulder right")}
    assert shirt.check() == []
