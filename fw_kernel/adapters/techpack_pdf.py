"""The tech pack as a PDF (reportlab): cover, views, line views, bill of materials, measurements, layers."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from ..domain.techpack import TechPack
from .require_ import require_driver

INK = "#1f2430"
MUTED = "#6b7080"
RULE = "#d8dae0"


def line_view(rgba: np.ndarray) -> bytes:
    """A flat-style line drawing of a render: the outline (from alpha) and the seams/edges between colours.

    Parameters
    ----------
    rgba
        (H, W, 4) uint8 render with a transparent background.

    Returns
    -------
    PNG bytes, black lines on white, same size.
    """
    from PIL import Image, ImageFilter

    alpha = Image.fromarray(rgba[..., 3])
    outline = np.asarray(alpha.filter(ImageFilter.FIND_EDGES)) > 60
    # a median first: skin and weave textures are not seams
    grey = Image.fromarray(rgba[..., :3]).convert("L").filter(ImageFilter.MedianFilter(5))
    inner = (np.asarray(grey.filter(ImageFilter.FIND_EDGES)) > 40) & (rgba[..., 3] > 0)
    lines = Image.fromarray(np.where(outline | inner, 0, 255).astype(np.uint8)).filter(ImageFilter.MinFilter(3))
    out = io.BytesIO()
    lines.save(out, format="PNG")
    return out.getvalue()


def render_pdf(pack: TechPack, images: dict[str, bytes],
               patterns: list[tuple[str, bytes, dict[str, float]]] | None = None) -> bytes:
    """Lay ``pack`` out on A4 landscape pages.

    Parameters
    ----------
    images
        PNG bytes by name: ``hero``, ``front``, ``back``, ``left``, ``right`` (renders) and ``line_front``,
        ``line_back`` (line views); a missing one leaves its frame out.
    """
    require_driver("reportlab", "techpack")
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    styles = getSampleStyleSheet()
    h1 = ParagraphStyle("h1", parent=styles["Title"], alignment=0, fontSize=24, leading=28,
                        textColor=colors.HexColor(INK))
    h2 = ParagraphStyle("h2", parent=styles["Heading2"], textColor=colors.HexColor(INK), spaceBefore=2)
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor=colors.HexColor(MUTED))
    page_w, page_h = landscape(A4)
    margin = 14 * mm
    width = page_w - 2 * margin

    def esc(text: Any) -> str:
        return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def picture(name: str, max_w: float, max_h: float) -> Any:
        data = images.get(name)
        if data is None:
            return Paragraph(f"({name}: no render)", small)
        from PIL import Image as PILImage

        w, h = PILImage.open(io.BytesIO(data)).size
        scale = min(max_w / w, max_h / h)
        return Image(io.BytesIO(data), width=w * scale, height=h * scale)

    def picture_bytes(data: bytes, max_w: float, max_h: float) -> Any:
        from PIL import Image as PILImage

        w, h = PILImage.open(io.BytesIO(data)).size
        scale = min(max_w / w, max_h / h)
        return Image(io.BytesIO(data), width=w * scale, height=h * scale)

    def grid(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
        table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
        style = [("FONT", (0, 0), (-1, -1), "Helvetica", 8), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor(RULE)),
                 ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
        if header:
            style += [("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                      ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef0f4"))]
        table.setStyle(TableStyle(style))
        return table

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor(MUTED))
        made_from = f"checkpoint v{pack.checkpoint}" if pack.checkpoint else "no checkpoint"
        canvas.drawString(margin, 8 * mm, f"{pack.style_number}  {pack.style_name}  -  revision {pack.revision} "
                                           f"({made_from})  -  {pack.date}")
        canvas.drawRightString(page_w - margin, 8 * mm, f"Fashion Wallet Studio tech pack  -  page {doc.page}")
        canvas.restoreState()

    story: list[Any] = []
    # -- cover -------------------------------------------------------------------------------------------------
    made_from = (f"checkpoint v{pack.checkpoint}" + (f" \"{esc(pack.checkpoint_message)}\"" if
                 pack.checkpoint_message else "")) if pack.checkpoint else "unsaved working state (no checkpoint)"
    facts = [["Style number", pack.style_number], ["Style name", Paragraph(esc(pack.style_name), body)],
             ["Category", pack.category], ["Season", pack.season], ["Designer", pack.designer],
             ["Date", pack.date], ["Made from", Paragraph(f"revision {pack.revision}, {made_from}", body)],
             ["Fit model", pack.avatar_name or "none"], ["Colourway", pack.colourway],
             ["Cost of materials", f"{pack.total_cost:.2f} {pack.bom[0].currency if pack.bom else 'EUR'}"]]
    left = [Paragraph(esc(pack.style_name), h1), Spacer(1, 4 * mm), grid(facts, [38 * mm, 92 * mm], header=False)]
    if pack.description:
        left += [Spacer(1, 4 * mm), Paragraph(esc(pack.description), body)]
    cover = Table([[left, picture("hero", width - 140 * mm, page_h - 2 * margin - 20 * mm)]],
                  colWidths=[135 * mm, width - 135 * mm])
    cover.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "CENTER")]))
    story += [cover, PageBreak()]
    # -- views -------------------------------------------------------------------------------------------------
    names = [n for n in ("front", "back", "left", "right") if n in images]
    cell_w = width / max(1, len(names))
    story += [Paragraph("Views", h2),
              Table([[picture(n, cell_w - 4 * mm, 120 * mm) for n in names], [Paragraph(n, small) for n in names]],
                    colWidths=[cell_w] * len(names)) if names else Paragraph("no renders", small)]
    lines = [n for n in ("line_front", "line_back") if n in images]
    if lines:
        story += [PageBreak(), Paragraph("Line views (flats traced from the renders)", h2),
                  Table([[picture(n, width / 2 - 6 * mm, 150 * mm) for n in lines],
                         [Paragraph(n.replace("line_", ""), small) for n in lines]],
                        colWidths=[width / 2] * len(lines))]
    story.append(PageBreak())
    # -- bill of materials -------------------------------------------------------------------------------------
    story.append(Paragraph(f"Bill of materials - colourway 1: {esc(pack.colourway)}", h2))
    rows: list[list[Any]] = [["Component", "Layer", "Item", "Material / composition", "Colour", "Qty", "Unit",
                              "Unit price", "Placement"]]
    swatch_rows = []
    for i, r in enumerate(pack.bom, start=1):
        rows.append([r.component, Paragraph(esc(r.layer), body), Paragraph(f"{esc(r.item_name)}<br/>"
                     f"<font size=7 color='{MUTED}'>{esc(r.item_id)}</font>", body), Paragraph(esc(r.material), body),
                     Paragraph("<br/>".join(r.colours) or "-", body), f"{r.quantity:g}", r.unit,
                     f"{r.unit_price:.2f} {r.currency}", Paragraph(esc(r.placement), body)])
        swatch_rows.append((i, r.colours[0] if r.colours else None))
    bom = grid(rows, [20 * mm, 34 * mm, 45 * mm, 58 * mm, 24 * mm, 13 * mm, 18 * mm, 22 * mm, width - 234 * mm])
    bom.setStyle(TableStyle([("BACKGROUND", (4, i), (4, i), colors.HexColor(c)) for i, c in swatch_rows if c]
                            + [("TEXTCOLOR", (4, i), (4, i), colors.white if _dark(c) else colors.black)
                               for i, c in swatch_rows if c]))
    story += [bom, Spacer(1, 3 * mm), Paragraph(
        f"Fabric in running metres of a {1.45:g} m roll, garment surface + 20 % cutting allowance. "
        f"Total materials: {pack.total_cost:.2f}.", small)]
    for note in pack.notes:
        story.append(Paragraph("Note: " + esc(note), small))
    story.append(PageBreak())
    # -- measurements and layers -------------------------------------------------------------------------------
    pom_rows: list[list[Any]] = [["POM", "Point of measure", "Fit model (cm)", "Tolerance (+/- cm)"]]
    pom_rows += [[p.code, p.point, f"{p.value_cm:.1f}", f"{p.tolerance_cm:g}"] for p in pack.pom]
    pom = [Paragraph(f"Measurements - fit model {esc(pack.avatar_name)}", h2),
           grid(pom_rows, [14 * mm, 70 * mm, 28 * mm, 30 * mm]) if pack.pom else
           Paragraph("The design has no avatar: no fit-model measurements.", body)]
    layer_rows: list[list[Any]] = [["#", "Layer", "Type", "Item", "Settings", "Notes"]]
    layer_rows += [[str(r.order), Paragraph(esc(r.name) + ("" if r.visible else " <i>(hidden)</i>"), body),
                    r.type, Paragraph(esc(r.item_id), small), Paragraph(esc(r.settings), small),
                    Paragraph(esc(r.notes) or "-", body)] for r in pack.layers]
    story += [KeepTogether(pom), Spacer(1, 6 * mm), Paragraph("Layers (bottom to top)", h2),
              grid(layer_rows, [8 * mm, 45 * mm, 22 * mm, 45 * mm, 85 * mm, width - 205 * mm])]
    for title, png, pom_cm in patterns or []:  # the sewing pattern's pieces and points of measure
        story += [PageBreak(), Paragraph(f"Pattern - {esc(title)}", h2), picture_bytes(png, width, 120 * mm),
                  grid([["Pattern point of measure", "cm"]] + [[k, f"{v:.1f}"] for k, v in pom_cm.items()],
                       [90 * mm, 25 * mm])]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=margin, rightMargin=margin, topMargin=margin,
                            bottomMargin=16 * mm, title=f"{pack.style_number} {pack.style_name} tech pack",
                            author=pack.designer, subject="tech pack", creator="Fashion Wallet Studio")
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _dark(hex_colour: str) -> bool:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.299 * r + 0.587 * g + 0.114 * b < 140
