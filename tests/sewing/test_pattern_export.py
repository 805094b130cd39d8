"""design.export("pattern") through the job queue, design.patterns(), and the tech pack's pattern pages."""

from __future__ import annotations

from pathlib import Path

import ezdxf
import pytest

import fw_kernel as fw

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]


@pytest.fixture
def dressed(connect):
    ws = connect()
    avatar = ws.avatars.create("Ada", {"height": 168, "bust": 88, "waist": 70, "hips": 96}, body_hint="female")
    design = ws.designs.create("Suit", avatar=avatar)
    jacket = design.add_layer("sil-blazer", customization={"closure": "double_breasted"})
    design.add_layer("sil-straight-trousers")
    return ws, design, jacket


def test_pattern_exports_in_every_format(dressed, tmp_path) -> None:
    from pypdf import PdfReader

    _, design, _ = dressed
    dxf = design.export("pattern", format="dxf").wait(progress=False)
    assert dxf.status == "completed", dxf.error
    assert dxf.file_name.endswith(".dxf")
    doc = ezdxf.readfile(dxf.path)
    names = [b.name for b in doc.blocks if not b.name.startswith("*")]
    assert any(n == "sil-blazer-front_left" for n in names) and any(n == "sil-straight-trousers-back_right"
                                                                      for n in names)
    svg = design.export("pattern", format="svg").wait(progress=False)
    assert svg.status == "completed" and Path(svg.path).read_bytes().startswith(b"<svg")
    pdf = design.export("pattern", format="pdf", paper="letter", size="L").wait(progress=False)
    assert pdf.status == "completed", pdf.error
    reader = PdfReader(pdf.path)
    assert "size L" in reader.pages[0].extract_text() and len(reader.pages) > 4


def test_patterns_are_made_to_measure_and_follow_edits(dressed) -> None:
    ws, design, jacket = dressed
    bust = ws.avatars.get(design._state.meta.avatar_id).measurements["bust"]
    [blazer, trousers] = design.patterns()
    assert blazer.size == "made-to-measure" and trousers.silhouette == "sil-straight-trousers"
    target = next(t for t in blazer.fit if t.level == "bust")
    assert abs(target.body - bust) < 8.0             # the avatar's fitted body (its chest, under the armhole)
    assert abs(blazer.girth_at(target) - target.body - target.ease) < 1.0
    before = blazer.panel("front left").overlap
    design.update_layer(jacket.id, customization={"closure": "single_breasted"})
    assert design.patterns()[0].panel("front left").overlap < before
    assert design.patterns(size="4XL", sex="male")[0].size == "4XL"
    with pytest.raises(fw.ValidationError, match="size"):
        design.patterns(size="XXXXL")


def test_bad_pattern_requests_are_refused(dressed) -> None:
    _, design, _ = dressed
    for options in ({"format": "dwg"}, {"paper": "a3"}, {"size": "huge"}, {"colour": "red"}):
        with pytest.raises(fw.ValidationError):
            design.export("pattern", **options)


def test_nothing_to_export_without_garments(connect) -> None:
    ws = connect()
    design = ws.designs.create("Empty")
    job = design.export("pattern", format="svg").wait(progress=False)
    assert job.status == "failed" and "no visible garment" in job.error
