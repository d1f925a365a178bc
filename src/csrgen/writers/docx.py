"""Word writer: lays the document model out with python-docx; computes and rounds nothing.

Parts mirror the HTML writer: ``_heading`` (number, title, population), ``_column_labels``
(spanners + labels, repeated on every page), ``_body`` (rows never split across pages),
``_notes`` (footnotes and source). Wide tables, figures marked landscape and listings go into
landscape sections that keep the page header and footer.

Output is byte-identical for the same model: document properties carry the data-lock date, and
the zip is rewritten with fixed timestamps and a fixed member order.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

from docx import Document as open_docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Emu, Inches, Pt

from csrgen.document.model import (
    Document,
    Figure,
    Listing,
    Paragraph,
    Section,
    _Tabular,
)

FONT = "Arial"
BODY_PT = 10
TABLE_PT = 9
LISTING_PT = 8
NOTE_PT = 8
#: Left/right cell padding; narrower than Word's 0.08" so that four arm columns fit portrait.
CELL_MARGIN_PT = 3
_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
}
#: A4 portrait, 2.5 cm margins (ICH E3 leaves paper size to the region; A4 outside the US).
PAGE_W, PAGE_H, MARGIN = Inches(8.27), Inches(11.69), Inches(1.0)
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def write_docx(doc: Document, path: Path, reference: Path | None = None) -> None:
    """Write ``doc`` to ``path`` (.docx). ``reference`` is a styles template (reference.docx)."""
    word = open_docx(str(reference)) if reference and reference.exists() else open_docx()
    _clear_body(word)
    _setup_styles(word)
    _setup_first_section(word)
    _properties(word, doc)
    _title_page(word, doc)
    state = {"landscape": False}
    for section in doc.sections:
        _section(word, section, level=1, state=state)
    for sec in word.sections:
        _page_header(sec, doc)
        _page_footer(sec, doc)
    buffer = io.BytesIO()
    word.save(buffer)
    path.write_bytes(_normalise_zip(buffer.getvalue()))


# -- document set-up ------------------------------------------------------------------------------
def _clear_body(word) -> None:
    body = word.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)


def _setup_styles(word) -> None:
    styles = word.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    normal.paragraph_format.space_after = Pt(4)
    for level, size in ((1, 14), (2, 12), (3, 11)):
        style = styles[f"Heading {level}"]
        _font_family(style)
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = None
        style.paragraph_format.space_before = Pt(12)
        style.paragraph_format.space_after = Pt(6)
        style.paragraph_format.keep_with_next = True
    caption = styles["Caption"]
    _font_family(caption)
    caption.font.size = Pt(BODY_PT)
    caption.font.bold = True
    caption.font.italic = False
    caption.font.color.rgb = None
    caption.paragraph_format.keep_with_next = True
    caption.paragraph_format.space_before = Pt(6)
    caption.paragraph_format.space_after = Pt(2)


def _font_family(style) -> None:
    """One font family: set it explicitly and drop theme fonts that would override it."""
    style.font.name = FONT
    fonts = style.element.get_or_add_rPr().find(qn("w:rFonts"))
    if fonts is None:
        return
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _setup_first_section(word) -> None:
    sec = word.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = PAGE_W, PAGE_H
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, MARGIN)
    sec.header_distance = sec.footer_distance = Inches(0.5)


def _properties(word, doc: Document) -> None:
    props = word.core_properties
    props.title = doc.title
    props.subject = doc.study_id
    props.author = doc.meta.get("sponsor", "")
    props.last_modified_by = "csrgen"
    props.revision = 1
    props.keywords = "CSR; " + doc.study_id
    props.comments = ""
    stamp = _doc_datetime(doc)
    props.created = stamp
    props.modified = stamp
    props.last_printed = stamp


def _doc_datetime(doc: Document) -> dt.datetime:
    """The data-lock date (never the run time), or a fixed epoch for unlocked drafts."""
    try:
        day = dt.date.fromisoformat(doc.meta.get("lock_date", ""))
    except ValueError:
        day = dt.date(2000, 1, 1)
    return dt.datetime(day.year, day.month, day.day)


def _text_width(sec) -> Emu:
    return Emu(sec.page_width - sec.left_margin - sec.right_margin)


# -- page header and footer -----------------------------------------------------------------------
def _page_header(sec, doc: Document) -> None:
    sec.header.is_linked_to_previous = False
    header = sec.header
    left = " | ".join(doc.header[:2])
    right = " | ".join(list(doc.header[2:]) + list(doc.banners))
    par = header.paragraphs[0]
    par.text = ""
    _tab_right(par, _text_width(sec))
    _run(par, left, size=NOTE_PT)
    _run(par, "\t" + right, size=NOTE_PT, bold=True)
    _border(par, "bottom")


def _page_footer(sec, doc: Document) -> None:
    sec.footer.is_linked_to_previous = False
    par = sec.footer.paragraphs[0]
    par.text = ""
    _tab_right(par, _text_width(sec))
    _run(par, doc.footer, size=NOTE_PT)
    _run(par, "\tPage ", size=NOTE_PT)
    _field(par, "PAGE", "1")
    _run(par, " of ", size=NOTE_PT)
    _field(par, "NUMPAGES", "1")
    _border(par, "top")


def _tab_right(par, position) -> None:
    """One right tab at the text edge; the Header/Footer styles' own tab stops are cleared."""
    stops = par.paragraph_format.tab_stops
    for inherited in (Inches(3.25), Inches(6.5)):
        stops.add_tab_stop(inherited, WD_TAB_ALIGNMENT.CLEAR)
    stops.add_tab_stop(position, WD_TAB_ALIGNMENT.RIGHT)


def _field(par, instruction: str, placeholder: str) -> None:
    """A complex field (PAGE, NUMPAGES, TOC); Word and LibreOffice fill it in when laid out."""

    def fld(kind):
        run = par.add_run()
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            el.set(qn("w:dirty"), "true")
        run._r.append(el)
        run.font.size = Pt(NOTE_PT)

    fld("begin")
    run = par.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    fld("separate")
    _run(par, placeholder, size=NOTE_PT)
    fld("end")


def _border(par, side: str) -> None:
    ppr = par._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    edge = OxmlElement(f"w:{side}")
    for key, value in (("w:val", "single"), ("w:sz", "4"), ("w:space", "1"), ("w:color", "000000")):
        edge.set(qn(key), value)
    borders.append(edge)
    ppr.append(borders)


def _run(par, text: str, size: float | None = None, bold: bool = False, italic: bool = False):
    run = par.add_run(text)
    if size:
        run.font.size = Pt(size)
    run.bold = bold or None
    run.italic = italic or None
    return run


# -- title page and sections ---------------------------------------------------------------------
def _title_page(word, doc: Document) -> None:
    for banner in doc.banners:
        par = word.add_paragraph()
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(par, banner, size=14, bold=True)
    par = word.add_paragraph()
    par.paragraph_format.space_before = Pt(72)
    par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(par, "CLINICAL STUDY REPORT", size=16, bold=True)
    par = word.add_paragraph()
    par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    par.paragraph_format.space_after = Pt(36)
    _run(par, doc.title, size=14, bold=True)
    table = word.add_table(rows=0, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, value in doc.title_page:
        cells = table.add_row().cells
        _cell_text(cells[0], label, bold=True, size=BODY_PT)
        _cell_text(cells[1], value, size=BODY_PT)
    _set_widths(table, [Inches(2.0), Inches(4.2)])
    word.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _section(word, section: Section, level: int, state: dict) -> None:
    if section.title:
        word.add_heading(section.heading, level=min(level, 3))
    for block in section.blocks:
        if isinstance(block, Section):
            _section(word, block, level + 1, state)
        elif isinstance(block, Paragraph):
            _paragraph(word, block)
        else:
            _orient(word, state, landscape=block.landscape)
            if isinstance(block, Figure):
                _figure(word, block)
            else:
                _tabular(word, block)


def _orient(word, state: dict, landscape: bool) -> None:
    """Start a new section when the orientation changes; headers are re-written per section."""
    if state["landscape"] == landscape:
        return
    sec = word.add_section(WD_SECTION.NEW_PAGE)
    sec.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = (PAGE_H, PAGE_W) if landscape else (PAGE_W, PAGE_H)
    state["landscape"] = landscape


def _paragraph(word, block: Paragraph) -> None:
    style = "List Bullet" if block.style == "bullet" else None
    par = word.add_paragraph(style=style)
    for run in block.runs:
        _run(par, run.text, bold=run.bold, italic=run.italic or block.style == "placeholder")
    if block.style == "placeholder":
        _shade(par._p.get_or_add_pPr(), "FFF2CC")
    elif block.style == "note":
        for run in par.runs:
            run.font.size = Pt(NOTE_PT)


def _shade(parent, fill: str) -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    parent.append(shd)


# -- tables and listings ---------------------------------------------------------------------------
def _tabular(word, block: _Tabular) -> None:
    _heading(word, block)
    size = LISTING_PT if isinstance(block, Listing) else TABLE_PT
    if block.null_reason:
        par = word.add_paragraph()
        _run(par, block.null_reason, size=size, italic=True)
        par.paragraph_format.space_before = Pt(12)
        par.paragraph_format.space_after = Pt(12)
    elif isinstance(block, Listing) and block.external:
        par = word.add_paragraph()
        _run(
            par,
            f"This listing has {block.total_rows} rows; it is provided as "
            + " and ".join(block.external)
            + " beside this document.",
            size=size,
            italic=True,
        )
    else:
        table = word.add_table(rows=0, cols=len(block.columns))
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        _column_labels(table, block, size)
        _body(table, block, size)
        _set_widths(table, fit_widths(block, _text_width(word.sections[-1]), size))
        _rules(table)
    _notes(word, block.footnotes, block.source)


def _heading(word, block) -> None:
    par = word.add_paragraph(style="Caption")
    _bookmark(par, block.id)
    _run(par, f"{block.number}  {block.title}")
    if block.population:
        par = word.add_paragraph()
        par.paragraph_format.keep_with_next = True
        par.paragraph_format.space_after = Pt(4)
        _run(par, block.population, size=TABLE_PT)


def _bookmark(par, name: str) -> None:
    # Bookmark ids only need to be unique in the document: number them in document order.
    body = par._p.getparent()
    bid = str(len(body.xpath("//w:bookmarkStart")) + 1)
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), bid)
    start.set(qn("w:name"), name[:40])
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), bid)
    par._p.insert(0, start)
    par._p.append(end)


def _column_labels(table, block: _Tabular, size: float) -> None:
    if block.spanners:
        row = table.add_row()
        _row_props(row, header=True)
        covered = {}
        for sp in block.spanners:
            covered[sp.first] = sp
        i = 0
        while i < len(block.columns):
            sp = covered.get(i)
            if sp:
                cell = (
                    row.cells[sp.first].merge(row.cells[sp.last])
                    if sp.last > sp.first
                    else row.cells[i]
                )
                _cell_text(cell, sp.label, size=size, bold=True, align="center")
                _cell_border(cell, "bottom")
                i = sp.last + 1
            else:
                i += 1
    row = table.add_row()
    _row_props(row, header=True)
    for cell, col in zip(row.cells, block.columns, strict=True):
        _cell_text(cell, col.label, size=size, bold=True, align=col.align)
        _cell_border(cell, "bottom")


def _body(table, block: _Tabular, size: float) -> None:
    for row_model in block.rows:
        row = table.add_row()
        _row_props(row, header=False, keep_next=row_model.kind == "group")
        for cell, col, model in zip(row.cells, block.columns, row_model.cells, strict=True):
            align = col.align if model.indent == 0 or col.align != "left" else "left"
            _cell_text(
                cell, model.text, size=size, bold=model.bold, align=align, indent=model.indent
            )


def _row_props(row, header: bool, keep_next: bool = False) -> None:
    trpr = row._tr.get_or_add_trPr()
    cant = OxmlElement("w:cantSplit")
    trpr.append(cant)
    if header:
        trpr.append(OxmlElement("w:tblHeader"))
    if keep_next:
        for cell in row.cells:
            for par in cell.paragraphs:
                par.paragraph_format.keep_with_next = True


def _cell_text(
    cell, text: str, size: float, bold: bool = False, align: str = "left", indent: int = 0
) -> None:
    lines = text.split("\n")
    par = cell.paragraphs[0]
    par.paragraph_format.space_after = Pt(0)
    par.paragraph_format.space_before = Pt(1)
    par.alignment = _ALIGN.get(align, WD_ALIGN_PARAGRAPH.LEFT)
    if indent:
        par.paragraph_format.left_indent = Pt(10 * indent)
    for i, line in enumerate(lines):
        run = _run(par, line, size=size, bold=bold)
        if i < len(lines) - 1:
            run.add_break()


def _cell_border(cell, side: str) -> None:
    tcpr = cell._tc.get_or_add_tcPr()
    borders = tcpr.find(qn("w:tcBorders"))
    if borders is None:
        borders = OxmlElement("w:tcBorders")
        tcpr.append(borders)
    edge = OxmlElement(f"w:{side}")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "0"), ("w:color", "000000")):
        edge.set(qn(key), value)
    borders.append(edge)


def _rules(table) -> None:
    """Top and bottom rules only (no vertical lines), as in most CSR table shells."""
    tblpr = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), str(CELL_MARGIN_PT * 20))
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)
    tblpr.append(margins)
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "bottom"):
        edge = OxmlElement(f"w:{side}")
        for key, value in (
            ("w:val", "single"),
            ("w:sz", "8"),
            ("w:space", "0"),
            ("w:color", "000000"),
        ):
            edge.set(qn(key), value)
        borders.append(edge)
    tblpr.append(borders)


def fit_widths(block: _Tabular, available: int, size: float) -> list[Emu]:
    """Column widths from content: every number column as wide as its longest cell (so that
    "42.65 (30.242)" never wraps), headers by their longest word, the stub column taking what is
    left; when even that does not fit, all columns shrink in proportion (text then wraps).
    """
    pad = Pt(2 * CELL_MARGIN_PT + 2)
    natural = []
    for i, col in enumerate(block.columns):
        longest = max((_text_pt(w, size) * 1.08 for w in col.label.split()), default=0.0)  # bold
        for row in block.rows:
            cell = row.cells[i]
            longest = max(longest, _text_pt(cell.text, size) + 10 * cell.indent)
        natural.append(Pt(longest) + pad)
    hints = [c.width for c in block.columns]
    total = sum(natural)
    if total <= available:
        spare = available - total
        return [Emu(int(n + spare * h / sum(hints))) for n, h in zip(natural, hints, strict=True)]
    others = total - natural[0]
    stub_min = Inches(1.1)
    if block.columns[0].align == "left" and others + stub_min <= available:
        return [Emu(int(available - others))] + [Emu(int(n)) for n in natural[1:]]
    return [Emu(int(available * n / total)) for n in natural]


#: Advance widths of Arial / Liberation Sans in ems, by character class.
_NARROW = set(" .,:;'!|il")
_PAREN = set("()[]{}-/ft")


def _text_pt(text: str, size: float) -> float:
    """Approximate printed width of ``text`` in points (longest line)."""
    best = 0.0
    for line in text.split("\n"):
        ems = 0.0
        for ch in line:
            if ch in _NARROW:
                ems += 0.278
            elif ch in _PAREN:
                ems += 0.333
            elif ch.isupper() or ch in "mw%@":
                ems += 0.70
            else:
                ems += 0.556
        best = max(best, ems * size)
    return best


def _set_widths(table, widths) -> None:
    table.autofit = False
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths, strict=False):
        col.set(qn("w:w"), str(int(width / 635)))  # EMU -> twentieths of a point
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=False):
            cell.width = width


def _notes(word, footnotes, source: str) -> None:
    for note in footnotes:
        par = word.add_paragraph()
        par.paragraph_format.space_after = Pt(0)
        _run(par, note, size=NOTE_PT)
    if source:
        par = word.add_paragraph()
        par.paragraph_format.space_after = Pt(10)
        _run(par, source, size=NOTE_PT, italic=True)


# -- figures ------------------------------------------------------------------------------------
def _figure(word, block: Figure) -> None:
    _heading(word, block)
    if block.null_reason:
        par = word.add_paragraph()
        _run(par, block.null_reason, size=TABLE_PT, italic=True)
    else:
        width = _text_width(word.sections[-1])
        scale = min(1.0, width / Inches(block.width_in))
        par = word.add_paragraph()
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        par.paragraph_format.keep_with_next = True
        par.add_run().add_picture(
            io.BytesIO(block.png), width=Emu(int(Inches(block.width_in) * scale))
        )
        pic = par._p.xpath(".//wp:docPr")
        if pic:
            pic[0].set("descr", block.alt)
            pic[0].set("name", block.id)
    _notes(word, block.footnotes, block.source)


# -- reproducible packaging ----------------------------------------------------------------------
def _normalise_zip(data: bytes) -> bytes:
    """Re-pack the DOCX with fixed timestamps and sorted members ([Content_Types].xml first)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    names = sorted(src.namelist(), key=lambda n: (n != "[Content_Types].xml", n))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name))
    return out.getvalue()
