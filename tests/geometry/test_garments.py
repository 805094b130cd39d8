"""Garments generated on fitted bodies: they never cut into the body, stay within budget, layer cleanly."""

from __future__ import annotations

import numpy as np
import pytest

from fw_kernel.adapters.catalog_files import load_manifests
from fw_kernel.geometry.body.fit import fit_body
from fw_kernel.geometry.body.parts import body_geometry
from fw_kernel.geometry.garment.garments import MAX_TRIANGLES, Garment, make_garment, spec_from

pytestmark = pytest.mark.slow

SKIN_OFFSET = 0.003  # m: CLO's default skin offset, the most a body vertex may stand outside the garment
BODIES = {
    "female_S": ({"height": 166, "bust": 86, "waist": 68, "hips": 94}, "female"),
    "male_L": ({"height": 182, "chest": 104, "waist": 92, "hips": 104}, "male"),
    "female_4XL": ({"height": 170, "bust": 132, "underbust": 114, "waist": 118, "hips": 138}, "female"),
}
SILHOUETTES = [i for i in load_manifests()[0] if i.type == "silhouette"]


@pytest.fixture(scope="module")
def bodies() -> dict:
    return {name: body_geometry(fit_body(m, hint)) for name, (m, hint) in BODIES.items()}


def _garment(body, item) -> Garment:
    spec = spec_from(item.id, item.compatibility.get("categories", []), item.tags, item.defaults())
    return make_garment(body, item.id, spec)


def _worst_poke(garment: Garment, points_by_region: dict[str, np.ndarray]) -> tuple[float, int]:
    worst, covered = -1.0, 0
    for piece in garment.pieces:
        points = points_by_region[piece.region]
        in_span, out_by = piece.contains(points)
        covered += int(in_span.sum())
        if in_span.any():
            worst = max(worst, float(out_by[in_span].max()))
    return worst, covered


def _body_regions(body) -> dict[str, np.ndarray]:
    v, p = body.vertices, body.parts
    torso = p["torso"] | p["leg_l"] | p["leg_r"]
    return {"torso": v[torso & ~p["head"]], "arm_l": v[p["arm_l"]], "arm_r": v[p["arm_r"]],
            "leg_l": v[p["leg_l"]], "leg_r": v[p["leg_r"]]}


@pytest.mark.parametrize("item", SILHOUETTES, ids=[i.id for i in SILHOUETTES])
def test_every_silhouette_on_every_body_never_cuts_into_it(bodies: dict, item) -> None:
    for name, body in bodies.items():
        garment = _garment(body, item)
        worst, covered = _worst_poke(garment, _body_regions(body))
        assert covered > 300, f"{item.id} on {name} covers only {covered} body vertices"
        assert worst <= SKIN_OFFSET, f"{item.id} on {name}: a body vertex is {worst * 1000:.1f} mm outside"
        assert len(garment.faces) <= MAX_TRIANGLES
        assert len(garment.uv) == len(garment.vertices) and np.isfinite(garment.vertices).all()
        assert garment.faces.max() < len(garment.vertices)


def test_parameters_change_the_garment(bodies: dict) -> None:
    body = bodies["female_S"]
    dress = next(i for i in SILHOUETTES if i.id == "sil-aline-dress")
    values = dress.defaults()
    short = make_garment(body, dress.id, spec_from(dress.id, ["dress"], dress.tags, {**values, "length": 0.85}))
    long = make_garment(body, dress.id, spec_from(dress.id, ["dress"], dress.tags, {**values, "length": 1.3}))
    assert long.vertices[:, 1].min() < short.vertices[:, 1].min() - 0.4
    narrow = make_garment(body, dress.id, spec_from(dress.id, ["dress"], dress.tags, {**values, "flare": 0.0}))
    wide = make_garment(body, dress.id, spec_from(dress.id, ["dress"], dress.tags, {**values, "flare": 1.0}))
    hem = lambda g: np.ptp(g.vertices[g.vertices[:, 1] < g.vertices[:, 1].min() + 0.02][:, 0])  # noqa: E731
    assert hem(wide) > hem(narrow) + 0.2


def test_a_coat_over_a_shirt_contains_it(bodies: dict) -> None:
    items = {i.id: i for i in SILHOUETTES}
    for body in bodies.values():
        shirt = _garment(body, items["sil-shirt"])
        coat_item = items["sil-coat"]
        coat = make_garment(body, coat_item.id, spec_from(coat_item.id, coat_item.compatibility["categories"],
                                                          coat_item.tags, coat_item.defaults()), under=[shirt])
        inner = {region: np.concatenate([p.vertices for p in shirt.pieces if p.region == region]).astype(float)
                 for region in {p.region for p in shirt.pieces}}
        inner.update({r: np.empty((0, 3)) for r in ("leg_l", "leg_r") if r not in inner})
        worst, covered = _worst_poke(coat, inner)
        assert covered > 1000 and worst <= 0.0, f"the shirt pokes {worst * 1000:.1f} mm through the coat"
