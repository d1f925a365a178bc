"""Tables and listings in Word: named parts as in the HTML writer (``heading``,
``column_labels``, ``body``, ``notes``), written as WordprocessingML directly.

python-docx's table API looks rows up by scanning the whole table, which makes a 2,000-row
listing take minutes; building the ``w:tbl`` element here keeps it linear.

The layout (``writers/layout.py``) decides column widths, type size and orientation; this module
writes it so that LibreOffice and Word keep it (each checked by experiment on LibreOffice's
PDF): header rows repeat on every page (``w:tblHeader``); no row splits across pages
(``w:cantSplit``); rows are kept with the next by ``w:keepNext`` on their paragraphs (both
renderers honour it row by row: a table that fits on a page is kept whole, a longer one keeps
its first rows with the caption and its last rows with the notes); a line that has to wrap gets
non-breaking hyphens (``w:noBreakHyphen``), so that it breaks only at spaces.
"""

from __future__ import annotations

from docx.oxml.parser import parse_xml

from csrgen.document.model import Listing, _Tabular
from csrgen.writers import layout as lay
from csrgen.writers.docx_xml import (
    W_NS,
    add_bookmark,
    el,
    parse_w,
    run,
    run_xml,
    xml_attr,
)

_JC = {"left": "left", "center": "center", "right": "right"}


def text_styles(block: _Tabular) -> tuple[str, str]:
    """(body style, header style) names for a table or a listing."""
    if isinstance(block, Listing):
        return "Listing Text", "Listing Heading"
    return "Table Text", "Table Heading"


def para(
    style_id: str,
    runs=(),
    align: str = "",
    keep_next: bool = False,
    indent_pt: float = 0,
    size_half_pt: int = 0,
):
    """A ``w:p`` of ``runs`` (elements; see :func:`para_xml`)."""
    p = parse_w(para_xml(xml_attr(style_id), "", align, keep_next, indent_pt, size_half_pt))
    for r in runs:
        p.append(r)
    return p


def heading(block, bookmarks: dict[str, int], st: dict[str, str]) -> list:
    """Caption ("Table 14.1.1 Title", bookmarked with the output id) and population line,
    kept with what follows (the style says so; set here too for a sponsor's styles).

    The space after the number is non-breaking so that the number never ends a line."""
    text = block.caption.replace(" ", "\u00a0", 1 if block.number else 0)
    caption = para(st["Caption"], [run(text)], keep_next=True)
    add_bookmark(caption, block.id, bookmarks)
    out = [caption]
    if block.population:
        out.append(para(st["Population"], [run(block.population)], keep_next=True))
    return out


def notes(footnotes, source: str, st: dict[str, str]) -> list:
    """Footnotes and source line under a figure or a table without rows, kept together (each
    keeps with the next, the last does not) so that they never start a page on their own."""
    texts = [(st["Table Note"], note) for note in footnotes]
    if source:
        texts.append((st["Source Note"], source))
    last = len(texts) - 1
    return [para(style, [run(text)], keep_next=i < last) for i, (style, text) in enumerate(texts)]


def notes_row(block: _Tabular, width: int, st: dict[str, str]):
    """The footnotes and source line of a table as its last row: one cell across the columns,
    ruled above, without padding. In the table rather than after it because LibreOffice keeps
    a row with the next row on every page but with the paragraph after the table only on the
    table's first page (checked on its PDF): the notes of a long table would start a page."""
    tr = _row(header=False)
    tc = el("w:tc")
    pr = el("w:tcPr")
    pr.append(el("w:tcW", w=str(width), type="dxa"))
    pr.append(el("w:gridSpan", val=str(len(block.columns))))
    borders = el("w:tcBorders")
    borders.append(el("w:top", val="single", sz="8", space="0", color="000000"))
    pr.append(borders)
    margins = el("w:tcMar")
    for side in ("left", "right"):
        margins.append(el(f"w:{side}", w="0", type="dxa"))
    pr.append(margins)
    tc.append(pr)
    for p in notes(block.footnotes, block.source, st):
        tc.append(p)
    tr.append(tc)
    return tr


def table(block: _Tabular, layout: lay.Layout, st: dict[str, str]) -> object:
    """The ``w:tbl`` of a table or listing whose body is not null, laid out by ``layout``."""
    body_name, head_name = text_styles(block)
    widths = [int(w * 20) for w in layout.widths]  # points -> twips (rounded down)
    boxed = _boxed(block)
    tbl = el("w:tbl")
    noted = notes_inside(block)
    tbl.append(_tbl_pr(sum(widths), boxed, block.caption, layout.scale.margin, ruled=not noted))
    grid = el("w:tblGrid")
    for w in widths:
        grid.append(el("w:gridCol", w=str(w)))
    tbl.append(grid)
    writer = _Cells(block, layout, widths)
    if not boxed:
        for row in column_labels(block, writer, st[head_name]):
            tbl.append(row)
    for row in body(block, writer, st[body_name]):
        tbl.append(row)
    if noted:
        tbl.append(notes_row(block, sum(widths), st))
    return tbl


def _boxed(block: _Tabular) -> bool:
    """A table without column labels (title page, synopsis) is ruled as a grid."""
    return all(not c.label for c in block.columns)


def notes_inside(block: _Tabular) -> bool:
    """Whether the table's notes are its last row (see :func:`notes_row`)."""
    return bool(block.footnotes or block.source) and not _boxed(block) and bool(block.rows)


def _tbl_pr(width: int, boxed: bool, caption: str, margin_pt: float, ruled: bool = True):
    """Table properties; ``ruled``: a rule under the last row (a notes row has one above)."""
    pr = el("w:tblPr")
    pr.append(el("w:tblW", w=str(width), type="dxa"))
    pr.append(el("w:jc", val="center"))
    borders = el("w:tblBorders")
    if boxed:
        sides = ("top", "left", "bottom", "right", "insideH", "insideV")
    else:
        sides = ("top", "bottom") if ruled else ("top",)
    for side in sides:
        borders.append(
            el(f"w:{side}", val="single", sz="4" if boxed else "8", space="0", color="000000")
        )
    pr.append(borders)
    pr.append(el("w:tblLayout", type="fixed"))
    margins = el("w:tblCellMar")
    for side in ("left", "right"):
        margins.append(el(f"w:{side}", w=str(round(margin_pt * 20)), type="dxa"))
    pr.append(margins)
    pr.append(
        el(
            "w:tblLook",
            val="0020",
            firstRow="1",
            lastRow="0",
            firstColumn="0",
            lastColumn="0",
            noHBand="1",
            noVBand="1",
        )
    )
    if caption:
        pr.append(el("w:tblCaption", val=caption[:255]))
    return pr


def _row(header: bool):
    tr = el("w:tr")
    trpr = el("w:trPr")
    trpr.append(el("w:cantSplit"))
    if header:
        trpr.append(el("w:tblHeader"))
    tr.append(trpr)
    return tr


def _cell(width: int, paragraph, span: int = 1, bottom_rule: bool = False, valign: str = ""):
    tc = el("w:tc")
    pr = el("w:tcPr")
    pr.append(el("w:tcW", w=str(width), type="dxa"))
    if span > 1:
        pr.append(el("w:gridSpan", val=str(span)))
    if bottom_rule:
        borders = el("w:tcBorders")
        borders.append(el("w:bottom", val="single", sz="6", space="0", color="000000"))
        pr.append(borders)
    if valign:
        pr.append(el("w:vAlign", val=valign))
    tc.append(pr)
    tc.append(paragraph)
    return tc


class _Cells:
    """Writes cell paragraphs at the layout's type size; a text that will wrap gets
    non-breaking hyphens so that it breaks at spaces only."""

    def __init__(self, block: _Tabular, layout: lay.Layout, widths: list[int]) -> None:
        self.layout = layout
        self.widths = widths
        base = lay.scales(block)[0].size
        size = layout.scale.size
        self.half_pt = int(round(size * 2)) if size != base else 0

    def paragraph(self, style, text, width_pt, align, bold=False, keep=False, indent=0, head=False):
        """A cell's paragraph; ``head``: a header cell (bold by its style)."""
        xml = self.paragraph_xml(xml_attr(style), text, width_pt, align, bold, keep, indent, head)
        return parse_w(xml)

    def paragraph_xml(
        self, style_id, text, width_pt, align, bold=False, keep=False, indent=0, head=False
    ):
        """:meth:`paragraph` as XML text (``style_id`` escaped already)."""
        scale = self.layout.scale
        room = width_pt - 2 * scale.margin - lay.INDENT_PT * indent
        nobreak = "-" in text and not lay.fits_line(text, room, scale.size, bold or head)
        r = run_xml(text, bold=bold, size_half_pt=self.half_pt, nobreak_hyphens=nobreak)
        return para_xml(
            style_id,
            r,
            align=align,
            keep_next=keep,
            indent_pt=lay.INDENT_PT * indent,
            size_half_pt=self.half_pt,
        )


def column_labels(block: _Tabular, cells: _Cells, style: str) -> list:
    """Spanner row (when any) and the column-label row, both repeated on every page."""
    widths = cells.widths
    rows = []
    if block.spanners:
        tr = _row(header=True)
        starts = {sp.first: sp for sp in block.spanners}
        i = 0
        while i < len(block.columns):
            sp = starts.get(i)
            if sp:
                width = sum(widths[sp.first : sp.last + 1])
                p = cells.paragraph(style, sp.label, width / 20, "center", keep=True, head=True)
                tr.append(_cell(width, p, span=sp.last - sp.first + 1, bottom_rule=True))
                i = sp.last + 1
            else:
                tr.append(_cell(widths[i], cells.paragraph(style, "", 0, "", keep=True)))
                i += 1
        rows.append(tr)
    tr = _row(header=True)
    for col, width in zip(block.columns, widths, strict=True):
        p = cells.paragraph(style, col.label, width / 20, col.align, keep=True, head=True)
        tr.append(_cell(width, p, bottom_rule=True, valign="bottom"))
    rows.append(tr)
    return rows


def body(block: _Tabular, cells: _Cells, style: str) -> list:
    """The body rows. Written as XML text and parsed once (a listing has tens of thousands of
    cells, and an lxml element made per call costs several times its share of a parse); the
    elements are those :func:`para`, :func:`~csrgen.writers.docx_xml.run` and :func:`_cell`
    make, one row's XML after another."""
    keeps = lay.keep_with_next(block, cells.layout.whole)
    widths = [
        (width, f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>')
        for width in cells.widths
    ]
    style_id = xml_attr(style)
    parts = [f'<w:tbl xmlns:w="{W_NS}">']
    for model, keep in zip(block.rows, keeps, strict=True):
        parts.append(_ROW_START)
        for i, (col, (width, start), cell) in enumerate(
            zip(block.columns, widths, model.cells, strict=True)
        ):
            bold = cell.bold or (model.kind == "group" and i == 0)
            parts.append(start)
            parts.append(
                cells.paragraph_xml(
                    style_id, cell.text, width / 20, col.align, bold, keep, cell.indent
                )
            )
            parts.append("</w:tc>")
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    return list(parse_xml("".join(parts)))


_ROW_START = "<w:tr><w:trPr><w:cantSplit/></w:trPr>"


def para_xml(
    style_id: str,
    runs: str = "",
    align: str = "",
    keep_next: bool = False,
    indent_pt: float = 0,
    size_half_pt: int = 0,
) -> str:
    """A ``w:p`` as XML text (``style_id`` escaped already, ``runs`` XML text)."""
    out = [f'<w:p><w:pPr><w:pStyle w:val="{style_id}"/>']
    if keep_next:
        out.append("<w:keepNext/>")
    if indent_pt:
        out.append(f'<w:ind w:left="{int(indent_pt * 20)}"/>')
    if align:
        out.append(f'<w:jc w:val="{_JC.get(align, "left")}"/>')
    if size_half_pt:
        out.append(f'<w:rPr><w:sz w:val="{size_half_pt}"/></w:rPr>')
    out.append("</w:pPr>")
    out.append(runs)
    out.append("</w:p>")
    return "".join(out)


def find_style_ids(styles) -> dict[str, str]:
    """Style name -> style id ("Table Text" -> "TableText"; a sponsor's ids may differ)."""
    return {style.name: style.style_id for style in styles if style.name}
