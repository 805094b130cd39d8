"""3D garments sewn from the patterns: on the collision-free fitting surfaces, seams joined, UVs in fabric cm,
layers layered, every parameter visible in 3D, and the solver hand-off."""

from __future__ import annotations

import numpy as np
import pytest

from fw_kernel.adapters.catalog_files import load_manifests
from fw_kernel.geometry.body.fit import fit_body
from fw_kernel.geometry.body.parts import body_geometry
from fw_kernel.geometry.garment.garments import spec_from
from fw_kernel.sewing import draft, from_body, spec_values
from fw_kernel.sewing.assemble import PatternGarment, garment_from_pattern, sim_input

pytestmark = pytest.mark.slow

SILHOUETTES = [i for i in load_manifests()[0] if i.type == "silhouette"]
BODIES = {"female_M": ({"height": 168, "bust": 92, "waist": 74, "hips": 100}, "female"),
          "male_4XL": ({"height": 184, "chest": 140, "waist": 128, "hips": 130}, "male")}


@pytest.fixture(scope="module")
def bodies() -> dict:
    import trimesh
    from scipy.spatial import cKDTree

    out = {name: body_geometry(fit_body(m, hint)) for name, (m, hint) in BODIES.items()}
    for name in list(out):
        mesh = trimesh.Trimesh(out[name].vertices, out[name].faces, process=False)
        out[f"{name}_normals"] = (cKDTree(mesh.vertices), np.asarray(mesh.vertex_normals))
    return out


def _make(body, item, values=None, under=(), quality="standard") -> PatternGarment:
    values = {**item.defaults(), **(values or {})}
    spec = spec_from(item.id, item.compatibility.get("categories", []), item.tags, spec_values(values))
    return garment_from_pattern(body, item.id, spec, draft(item.id, values, from_body(body)), under, quality)


@pytest.mark.parametrize("item", SILHOUETTES, ids=[i.id for i in SILHOUETTES])
def test_garments_from_patterns_sit_on_the_fitting_surfaces(bodies: dict, item) -> None:
    for name, body in ((n, b) for n, b in bodies.items() if not n.endswith("_normals")):
        g = _make(body, item)
        skin, normals = bodies[f"{name}_normals"]
        for mesh in g.meshes:
            # no garment vertex under the skin: it lies on the outer side of the nearest body vertex
            _, nearest = skin.query(mesh.vertices)
            outward = ((mesh.vertices - skin.data[nearest]) * normals[nearest]).sum(1)
            assert (outward > -0.002).mean() > 0.995, f"{item.id} on {name}: {mesh.panel.name} cuts into the body"
            assert np.isfinite(mesh.vertices).all() and mesh.faces.max() < len(mesh.vertices)
            assert np.isfinite(mesh.uv).all() and len(mesh.uv) == len(mesh.vertices)
        assert len(g.faces) <= 30_000 and len(g.uv) == len(g.vertices)
        v = g.vertices
        pairs = g.seam_pairs
        assert len(pairs) > 20, f"{item.id}: seams were not joined"
        assert np.abs(v[pairs[:, 0]] - v[pairs[:, 1]]).max() < 1e-6


def test_uvs_are_the_flat_panel_in_centimetres(bodies: dict) -> None:
    item = next(i for i in SILHOUETTES if i.id == "sil-aline-skirt")
    g = _make(bodies["female_M"], item)
    front = next(m for m in g.meshes if m.panel.name == "skirt front")
    # the triangulation's outline is the panel's own outline, in cm: same area as the pattern piece
    tri = front.uv[front.faces]
    area = 0.5 * np.abs(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])).sum()
    assert area == pytest.approx(front.panel.polygon().area, rel=0.01)
    # one metre of the garment's 3D surface is about one metre of fabric (the wrap neither shrinks nor doubles)
    for mesh in g.meshes:
        tri = mesh.uv[mesh.faces]
        flat = 0.5 * np.abs(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]))
        v = mesh.vertices[mesh.faces]
        area3 = 0.5 * np.linalg.norm(np.cross(v[:, 1] - v[:, 0], v[:, 2] - v[:, 0]), axis=1) * 1e4
        assert 0.7 < area3.sum() / flat.sum() < 1.6, mesh.panel.name
        assert 0.7 < np.median(area3 / flat) < 1.5, mesh.panel.name


def test_a_coat_over_a_shirt_contains_it(bodies: dict) -> None:
    items = {i.id: i for i in SILHOUETTES}
    body = bodies["female_M"]
    shirt = _make(body, items["sil-shirt"])
    coat = _make(body, items["sil-coat"], under=[shirt])
    for piece in coat.pieces:
        points = np.concatenate([m.vertices for m in shirt.meshes if m.piece == piece.name] or [np.zeros((0, 3))])
        if len(points):
            in_span, out_by = piece.contains(points.astype(np.float64))
            assert in_span.sum() > 50 and out_by[in_span].max() <= 0.003


def test_every_parameter_changes_the_3d_garment(bodies: dict) -> None:
    body = bodies["female_M"]
    for item in SILHOUETTES:
        base = _make(body, item, quality="draft")
        for name, spec in item.parameters.items():
            if spec["type"] == "color":
                continue
            if spec["type"] == "choice":
                value = next(o for o in spec["options"] if o != spec["default"])
            elif spec["type"] == "boolean":
                value = not spec["default"]
            else:
                value = spec["max"] if spec["max"] != spec["default"] else spec["min"]
            other = _make(body, item, {name: value}, quality="draft")
            same = other.vertices.shape == base.vertices.shape and np.allclose(other.vertices, base.vertices)
            assert not same, f"{item.id}: {name}={value!r} leaves the 3D garment unchanged"


def test_the_solver_gets_panels_seams_and_placement(bodies: dict) -> None:
    item = next(i for i in SILHOUETTES if i.id == "sil-tshirt")
    g = _make(bodies["female_M"], item)
    sim = sim_input(g)
    assert sim["vertices"].shape == (len(sim["uv_cm"]), 3) and sim["faces"].max() < len(sim["vertices"])
    names = [p["name"] for p in sim["panels"]]
    assert {"front", "back", "sleeve left", "sleeve right"} <= set(names)
    for p in sim["panels"]:
        assert p["uv_cm"].shape[1] == 2 and p["faces"].max() < len(p["uv_cm"])
    assert sim["seam_pairs"].shape[1] == 2 and len(sim["seam_pairs"]) > 40


def test_buttons_sit_where_the_pattern_marks_them(bodies: dict) -> None:
    from fw_kernel.geometry.garment.trims import element_mesh

    body = bodies["female_M"]
    blazer = next(i for i in SILHOUETTES if i.id == "sil-blazer")
    g = _make(body, blazer, {"closure": "double_breasted"})
    anchors = g.button_anchors()
    assert len(anchors) == len(g.pattern.buttons) == 4
    xs = sorted(round(float(at[0]), 2) for at, _ in anchors)
    assert xs[-1] - xs[0] > 0.08                                    # two rows, either side of the centre front
    mesh = element_mesh("button", g, {"count": 4, "diameter": 20})
    for at, _ in anchors:                                            # a button disc at each marked point
        assert np.linalg.norm(mesh.vertices - at, axis=1).min() < 0.012


def test_pockets_and_zips_sit_where_the_pattern_puts_them(bodies: dict) -> None:
    from scipy.spatial import cKDTree

    from fw_kernel.geometry.garment.trims import element_mesh

    items = {i.id: i for i in SILHOUETTES}
    body = bodies["female_M"]
    blazer = _make(body, items["sil-blazer"])
    spots = blazer.element_spots("pocket", 2)
    assert sorted(n for n, _ in spots) == ["front left", "front right"]       # the welt pockets' marks
    mesh = element_mesh("pocket", blazer, {"count": 2, "width": 14, "height": 16})
    fronts = cKDTree(np.concatenate([m.vertices for m in blazer.meshes if m.panel.name.startswith("front")]))
    for name, uv in spots:
        at, _ = blazer.point_3d(name, uv[0])
        assert np.linalg.norm(mesh.vertices - at, axis=1).min() < 0.01       # a pocket round each mark
    assert np.median(fronts.query(mesh.vertices)[0]) < 0.01                  # lying on the fronts
    trousers = _make(body, items["sil-straight-trousers"])
    (panel, line_), = trousers.element_spots("zipper", 1)
    assert panel == "front left"                                             # down the fly
    zip_ = element_mesh("zipper", trousers, {"length": 18})
    for uv in (line_[0], line_[-1]):
        at, _ = trousers.point_3d(panel, uv)
        assert np.linalg.norm(zip_.vertices - at, axis=1).min() < 0.02


@pytest.mark.parametrize("item_id", ["sil-straight-trousers", "sil-wide-leg-trousers"])
def test_trouser_legs_wrap_as_mirror_images_with_the_side_seams_at_the_sides(bodies: dict, item_id: str) -> None:
    # the right legs are mirrored panels: they were wrapped centre-to-side, their side seam at the centre back
    item = next(i for i in SILHOUETTES if i.id == item_id)
    garment = _make(bodies["female_M"], item, quality="draft")
    offsets, meshes = {}, {}
    k = 0
    for m in garment.meshes:
        offsets[m.panel.name], meshes[m.panel.name] = k, m
        k += len(m.vertices)
    for part in ("front", "back"):
        edge = {side: garment.vertices[offsets[f"{part} {side}"]
                                       + np.asarray(meshes[f"{part} {side}"].edge_vertices["side"])]
                for side in ("left", "right")}
        assert edge["left"][:, 0].min() > 0.08 and edge["right"][:, 0].max() < -0.08   # at the hips, not the centre
        left = np.sort(edge["left"] * [1, 1, 1], axis=0)
        right = np.sort(edge["right"] * [-1, 1, 1], axis=0)
        assert np.abs(left - right).max() < 0.005
        for side in ("left", "right"):   # the crotch seam runs down the centre
            crotch = garment.vertices[offsets[f"{part} {side}"]
                                      + np.asarray(meshes[f"{part} {side}"].edge_vertices["crotch"])]
            assert np.abs(crotch[:, 0]).max() < 0.03
