"""Pattern files: DXF-AAMA reopened with ezdxf, true-scale SVG, tiled 1:1 PDF with a 10 cm test square."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import ezdxf
import numpy as np
import pytest

from fw_kernel.adapters.catalog_files import load_manifests
from fw_kernel.adapters.pattern_files import techpack_pages, write
from fw_kernel.sewing import draft, standard_size

ITEMS = {i.id: i for i in load_manifests()[0] if i.type == "silhouette"}


@pytest.fixture(scope="module")
def patterns() -> list:
    body = standard_size("M")
    return [draft(i, ITEMS[i].defaults(), body, "M") for i in ("sil-blazer", "sil-straight-trousers")]


def test_dxf_has_one_block_per_piece_on_the_aama_layers(patterns, tmp_path) -> None:
    data, name = write(patterns, "dxf")
    assert name.endswith(".dxf")
    path = tmp_path / name
    path.write_bytes(data)
    doc = ezdxf.readfile(path)
    assert {"1", "4", "7", "8", "14"} <= {layer.dxf.name for layer in doc.layers}
    assert doc.header["$INSUNITS"] == 4
    pieces = [p for pat in patterns for p in pat.panels]
    inserts = list(doc.modelspace().query("INSERT"))
    assert len(inserts) == len(pieces)
    for insert, piece in zip(inserts, pieces):
        block = doc.blocks[insert.dxf.name]
        by_layer: dict[str, list] = {}
        for e in block:
            by_layer.setdefault(e.dxf.layer, []).append(e)
        cut = next(e for e in by_layer["1"] if e.dxftype() == "LWPOLYLINE")
        sew = next(e for e in by_layer["14"] if e.dxftype() == "LWPOLYLINE")
        assert cut.closed and sew.closed
        pts = np.array([p[:2] for p in sew.get_points()]) / 10.0   # mm -> cm
        assert np.allclose(pts, piece.outline, atol=0.01)           # the sew line is the pattern's, at 1:1
        assert any(e.dxftype() == "LINE" for e in by_layer["7"])    # grain line
        texts = [e.dxf.text for e in by_layer["1"] if e.dxftype() == "TEXT"]
        assert f"Piece Name: {piece.name}" in texts and "Size: M" in texts and "Quantity: 1" in texts
        if piece.notches:
            assert len(by_layer["4"]) == len(piece.notches)


def test_svg_is_at_true_scale(patterns) -> None:
    data, name = write(patterns[:1], "svg")
    assert name.endswith(".svg")
    root = ET.fromstring(data)
    ns = {"s": "http://www.w3.org/2000/svg"}
    width_mm = float(root.get("width").removesuffix("mm"))
    view_w = float(root.get("viewBox").split()[2])
    assert abs(width_mm - view_w) < 1.0                             # 1 user unit = 1 mm
    inner = root.find("s:svg", ns)
    group = next(g for g in inner.iter("{http://www.w3.org/2000/svg}g") if g.get("id") == "front_left")
    sew = next(p for p in group if p.get("class") == "sew")
    xs = [float(v.split(",")[0]) for v in re.findall(r"-?\d+\.\d,-?\d+\.\d", sew.get("d"))]
    front = patterns[0].panel("front left")
    assert (max(xs) - min(xs)) / 10 == pytest.approx(np.ptp(front.outline[:, 0]), abs=0.05)


def test_pdf_is_tiled_at_one_to_one_with_a_10cm_test_square(patterns) -> None:
    from pypdf import PdfReader

    for paper, (w_mm, h_mm) in (("a4", (210.0, 297.0)), ("letter", (215.9, 279.4))):
        data, _ = write(patterns[:1], "pdf", paper)
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) >= 5                               # the assembly sheet + tiles
        box = reader.pages[0].mediabox
        assert float(box.width) == pytest.approx(w_mm / 25.4 * 72, abs=0.1)
        assert float(box.height) == pytest.approx(h_mm / 25.4 * 72, abs=0.1)
        content = reader.pages[0].get_contents().get_data().decode("latin-1")
        squares = re.findall(r"(-?[\d.]+) (-?[\d.]+) ([\d.]+) ([\d.]+) re", content)
        assert any(abs(float(w) - 283.46) < 0.01 and abs(float(h) - 283.46) < 0.01 for _, _, w, h in squares)
        text = reader.pages[1].extract_text()
        assert "row 1" in text and "column 1" in text


def test_techpack_pattern_pages_carry_the_pieces_and_points_of_measure(patterns) -> None:
    pages = techpack_pages(patterns)
    assert len(pages) == 2
    title, png, pom = pages[0]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and "sil-blazer" in title
    assert pom["bust girth"] == pytest.approx(standard_size("M").bust + 10.0, abs=1.0)
