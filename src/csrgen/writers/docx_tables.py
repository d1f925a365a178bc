"""Tables and listings in Word: named parts as in the HTML writer (``heading``,
``column_labels``, ``body``, ``notes``), written as WordprocessingML directly.

python-docx's table API looks rows up by scanning the whole table, which makes a 2,000-row
listing take minutes; building the ``w:tbl`` element here keeps it linear. Header rows repeat on
every page (``w:tblHeader``), no row splits across pages (``w:cantSplit``), group rows keep with
the row after them, column widths come from the content.
"""

from __future__ import annotations

from docx.shared import Emu, Inches, Pt

from csrgen.document.model import Listing, _Tabular
from csrgen.writers.docx_xml import add_bookmark, el, run

TABLE_PT = 9
LISTING_PT = 8
#: Left/right cell padding; narrower than Word's 0.08" so that four arm columns fit portrait.
CELL_MARGIN_PT = 3
_JC = {"left": "left", "center": "center", "right": "right"}


def text_styles(block: _Tabular) -> tuple[str, str, float]:
    """(body style id, header style id, font size) for a table or a listing."""
    if isinstance(block, Listing):
        return "Listing Text", "Listing Heading", LISTING_PT
    return "Table Text", "Table Heading", TABLE_PT


def para(style_id: str, runs=(), align: str = "", keep_next: bool = False, indent_pt: float = 0):
    p = el("w:p")
    ppr = el("w:pPr")
    ppr.append(el("w:pStyle", val=style_id))
    if keep_next:
        ppr.append(el("w:keepNext"))
    if indent_pt:
        ppr.append(el("w:ind", left=str(int(indent_pt * 20))))
    if align:
        ppr.append(el("w:jc", val=_JC.get(align, "left")))
    p.append(ppr)
    for r in runs:
        p.append(r)
    return p


def heading(block, bookmarks: dict[str, int], st: dict[str, str]) -> list:
    """Caption ("Table 14.1.1 Title", bookmarked with the output id) and population line.

    The space after the number is non-breaking so that the number never ends a line."""
    text = block.caption.replace(" ", "\u00a0", 1 if block.number else 0)
    caption = para(st["Caption"], [run(text)])
    add_bookmark(caption, block.id, bookmarks)
    out = [caption]
    if block.population:
        out.append(para(st["Population"], [run(block.population)]))
    return out


def notes(footnotes, source: str, st: dict[str, str]) -> list:
    out = [para(st["Table Note"], [run(note)]) for note in footnotes]
    if source:
        out.append(para(st["Source Note"], [run(source)]))
    return out


def table(block: _Tabular, available: int, st: dict[str, str]) -> object:
    """The ``w:tbl`` of a table or listing whose body is not null."""
    body_name, head_name, size = text_styles(block)
    body_style, head_style = st[body_name], st[head_name]
    widths = [int(w / 635) for w in fit_widths(block, available, size)]  # EMU -> twips
    boxed = all(not c.label for c in block.columns)
    tbl = el("w:tbl")
    tbl.append(_tbl_pr(sum(widths), boxed, block.caption))
    grid = el("w:tblGrid")
    for w in widths:
        grid.append(el("w:gridCol", w=str(w)))
    tbl.append(grid)
    if not boxed:
        for row in column_labels(block, widths, head_style):
            tbl.append(row)
    for row in body(block, widths, body_style):
        tbl.append(row)
    return tbl


def _tbl_pr(width: int, boxed: bool, caption: str):
    pr = el("w:tblPr")
    pr.append(el("w:tblW", w=str(width), type="dxa"))
    pr.append(el("w:jc", val="center"))
    borders = el("w:tblBorders")
    sides = ("top", "left", "bottom", "right", "insideH", "insideV") if boxed else ("top", "bottom")
    for side in sides:
        borders.append(
            el(f"w:{side}", val="single", sz="4" if boxed else "8", space="0", color="000000")
        )
    pr.append(borders)
    pr.append(el("w:tblLayout", type="fixed"))
    margins = el("w:tblCellMar")
    for side in ("left", "right"):
        margins.append(el(f"w:{side}", w=str(CELL_MARGIN_PT * 20), type="dxa"))
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


def column_labels(block: _Tabular, widths: list[int], style: str) -> list:
    """Spanner row (when any) and the column-label row, both repeated on every page."""
    rows = []
    if block.spanners:
        tr = _row(header=True)
        starts = {sp.first: sp for sp in block.spanners}
        i = 0
        while i < len(block.columns):
            sp = starts.get(i)
            if sp:
                width = sum(widths[sp.first : sp.last + 1])
                p = para(style, [run(sp.label)], align="center", keep_next=True)
                tr.append(_cell(width, p, span=sp.last - sp.first + 1, bottom_rule=True))
                i = sp.last + 1
            else:
                tr.append(_cell(widths[i], para(style, [], keep_next=True)))
                i += 1
        rows.append(tr)
    tr = _row(header=True)
    for col, width in zip(block.columns, widths, strict=True):
        p = para(style, [run(col.label)], align=col.align, keep_next=True)
        tr.append(_cell(width, p, bottom_rule=True, valign="bottom"))
    rows.append(tr)
    return rows


def body(block: _Tabular, widths: list[int], style: str) -> list:
    rows = []
    for model in block.rows:
        tr = _row(header=False)
        keep = model.kind == "group"
        for col, width, cell in zip(block.columns, widths, model.cells, strict=True):
            r = run(cell.text, bold=cell.bold or (keep and col is block.columns[0]))
            p = para(style, [r], align=col.align, keep_next=keep, indent_pt=10 * cell.indent)
            tr.append(_cell(width, p))
        rows.append(tr)
    return rows


def natural_width(block: _Tabular, size: float) -> int:
    """Width (EMU) the table needs so that no number column wraps (a left-aligned stub column
    counts with its minimum: its text may wrap)."""
    natural = _natural(block, size)
    if block.columns[0].align == "left":
        natural[0] = min(natural[0], Inches(1.1))
    return int(sum(natural))


def _natural(block: _Tabular, size: float) -> list[float]:
    pad = Pt(2 * CELL_MARGIN_PT + 2)
    natural = []
    for i, col in enumerate(block.columns):
        longest = max((_text_pt(w, size) * 1.08 for w in col.label.split()), default=0.0)  # bold
        for row in block.rows:
            cell = row.cells[i]
            longest = max(longest, _text_pt(cell.text, size) + 10 * cell.indent)
        natural.append(Pt(longest) + pad)
    return natural


def fit_widths(block: _Tabular, available: int, size: float) -> list[Emu]:
    """Column widths from content: every number column as wide as its longest cell (so that
    "42.65 (30.242)" never wraps), headers by their longest word, the stub column taking what is
    left; when even that does not fit, all columns shrink in proportion (text then wraps).
    Listings (long free text in several columns) share the page in proportion to their needs.
    """
    natural = _natural(block, size)
    hints = [c.width for c in block.columns]
    total = sum(natural)
    if total <= available:
        spare = available - total
        return [Emu(int(n + spare * h / sum(hints))) for n, h in zip(natural, hints, strict=True)]
    others = total - natural[0]
    stub_min = Inches(1.1)
    stub_fits = others + stub_min <= available
    if not isinstance(block, Listing) and block.columns[0].align == "left" and stub_fits:
        return [Emu(int(available - others))] + [Emu(int(n)) for n in natural[1:]]
    # Shrink the widest columns first: cap every column at a width w so that the sum fits.
    capped = _cap(natural, available)
    return [Emu(int(c)) for c in capped]


def _cap(natural: list[float], available: float) -> list[float]:
    """Widths min(n, w) with w chosen so that they add up to ``available``."""
    order = sorted(natural)
    rest, count = available, len(order)
    for n in order:
        if n * count <= rest:
            rest -= n
            count -= 1
        else:
            cap = rest / count
            return [min(n2, cap) for n2 in natural]
    return natural


#: Advance widths of Arial / Liberation Sans in ems, by character class.
_NARROW = set(" \u00a0.,:;'!|il")
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


def find_style_ids(styles) -> dict[str, str]:
    """Style name -> style id ("Table Text" -> "TableText"; a sponsor's ids may differ)."""
    return {style.name: style.style_id for style in styles if style.name}
