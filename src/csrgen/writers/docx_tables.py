"""Tables and listings in Word: named parts as in the HTML writer (``heading``,
``column_labels``, ``body``, ``notes``), written as WordprocessingML directly.

python-docx's table API looks rows up by scanning the whole table, which makes a 2,000-row
listing take minutes; building the ``w:tbl`` element here keeps it linear. Header rows repeat on
every page (``w:tblHeader``), no row splits across pages (``w:cantSplit``), group rows keep with
the row after them, column widths come from the content.
"""

from __future__ import annotations

import re

from docx.shared import Emu, Pt

from csrgen.document.model import Listing, _Tabular
from csrgen.writers.docx_xml import add_bookmark, el, run

TABLE_PT = 9
LISTING_PT = 8
#: Left/right cell padding; narrower than Word's 0.08" so that four arm columns fit portrait,
#: and narrower still in listings (a dozen text columns on a landscape page).
CELL_MARGIN_PT = 3
LISTING_MARGIN_PT = 2


def cell_margin(block: _Tabular) -> int:
    return LISTING_MARGIN_PT if isinstance(block, Listing) else CELL_MARGIN_PT


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
    """Footnotes and source line, kept together (each keeps with the next, the last does not)
    so that they never start a page on their own."""
    texts = [(st["Table Note"], note) for note in footnotes]
    if source:
        texts.append((st["Source Note"], source))
    last = len(texts) - 1
    return [para(style, [run(text)], keep_next=i < last) for i, (style, text) in enumerate(texts)]


def table(block: _Tabular, available: int, st: dict[str, str]) -> object:
    """The ``w:tbl`` of a table or listing whose body is not null."""
    body_name, head_name, size = text_styles(block)
    body_style, head_style = st[body_name], st[head_name]
    widths = [int(w / 635) for w in fit_widths(block, available, size)]  # EMU -> twips
    boxed = all(not c.label for c in block.columns)
    tbl = el("w:tbl")
    tbl.append(_tbl_pr(sum(widths), boxed, block.caption, cell_margin(block)))
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


def _tbl_pr(width: int, boxed: bool, caption: str, margin_pt: int):
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
        margins.append(el(f"w:{side}", w=str(margin_pt * 20), type="dxa"))
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
    last = len(block.rows) - 1
    for k, model in enumerate(block.rows):
        tr = _row(header=False)
        # A group row stays with the row under it; the last row with the footnotes.
        keep = model.kind == "group" or k == last
        for col, width, cell in zip(block.columns, widths, model.cells, strict=True):
            bold = cell.bold or (model.kind == "group" and col is block.columns[0])
            r = run(cell.text, bold=bold)
            p = para(style, [r], align=col.align, keep_next=keep, indent_pt=10 * cell.indent)
            tr.append(_cell(width, p))
        rows.append(tr)
    return rows


def natural_width(block: _Tabular, size: float) -> int:
    """Width (EMU) the table needs with no cell wrapping except inside left-aligned text columns
    (those count with their longest word)."""
    return int(sum(_measure(block, size)[1]))


def _measure(block: _Tabular, size: float) -> tuple[list[float], list[float], list[float]]:
    """Per column, three widths (EMU, padding included):

    * ``hard``: the narrowest without breaking inside a word, where a line may also break after
      a slash or hyphen ("RECOVERED/" "RESOLVED");
    * ``soft``: the narrowest breaking at spaces only ("UCMSC-DLC-01-0034" kept whole);
    * ``high``: the longest line.

    Number columns (centred or right-aligned) never wrap: all three are their longest cell.
    Header labels wrap at spaces (bold: 8 % wider).
    """
    pad = Pt(2 * cell_margin(block) + 2)
    hards, softs, highs = [], [], []
    for i, col in enumerate(block.columns):
        soft = max((_text_pt(w, size) * 1.08 for w in col.label.split()), default=0.0)
        high = max((_text_pt(line, size) * 1.08 for line in col.label.split("\n")), default=0.0)
        hard = soft
        wraps = col.align == "left"
        for row in block.rows:
            cell = row.cells[i]
            indent = 10 * cell.indent
            full = _text_pt(cell.text, size) + indent
            high = max(high, full)
            if wraps:
                words = cell.text.split()
                soft = max(soft, max((_text_pt(w, size) for w in words), default=0.0) + indent)
                pieces = _pieces(cell.text)
                hard = max(hard, max((_text_pt(w, size) for w in pieces), default=0.0) + indent)
            else:
                soft, hard = max(soft, full), max(hard, full)
        # 4 % slack: renderers round glyph advances and kern differently from the AFM sums.
        hards.append(Pt(hard * 1.04) + pad)
        softs.append(Pt(soft * 1.04) + pad)
        highs.append(Pt(max(high, soft) * 1.04) + pad)
    return hards, softs, highs


def fit_widths(block: _Tabular, available: int, size: float) -> list[Emu]:
    """Column widths from content, as browsers lay out automatic tables (CSS 2.1 17.5.2.2):

    * everything fits on one line: each column gets its longest line, and the spare width is
      shared by the columns' width hints;
    * otherwise, when no word has to break: each column gets its longest word (number columns
      their whole text; words with hyphens kept whole where the page allows, leftmost columns
      first, as identifiers lead) plus a
      share of the rest in proportion to how much more it could use;
    * otherwise (too many columns for the page): widths in proportion to the minimums.
    """
    hards, softs, highs = _measure(block, size)
    hints = [c.width for c in block.columns]
    if sum(highs) <= available:
        spare = available - sum(highs)
        return [Emu(int(h + spare * w / sum(hints))) for h, w in zip(highs, hints, strict=True)]
    if sum(hards) <= available:
        lows = list(hards)
        for i in range(len(lows)):  # left to right: identifiers lead a listing
            if sum(lows) + softs[i] - lows[i] <= available:
                lows[i] = softs[i]
        room = available - sum(lows)
        extra = [h - lo for lo, h in zip(lows, highs, strict=True)]
        total = sum(extra) or 1.0
        return [Emu(int(lo + room * e / total)) for lo, e in zip(lows, extra, strict=True)]
    scale = available / sum(hards)
    return [Emu(int(lo * scale)) for lo in hards]


#: Advance widths (1/1000 em) of Helvetica, whose metrics Arial and Liberation Sans share,
#: for ASCII 32-126 (Adobe's Helvetica AFM); other characters count as 556.
# fmt: off
_WIDTHS = dict(
    zip(
        map(chr, range(32, 127)),
        (
            278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
            556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
            1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
            667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
            333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
            556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
        ),
        strict=True,
    )
)
# fmt: on
_BREAK_AFTER = re.compile(r"(?<=[/-])|\s+")


def _text_pt(text: str, size: float) -> float:
    """Printed width of ``text`` in points (its longest line)."""
    return max(
        (sum(_WIDTHS.get(ch, 556) for ch in line) * size / 1000 for line in text.split("\n")),
        default=0.0,
    )


def _pieces(text: str) -> list[str]:
    """Pieces a line may break between: at spaces, and after a slash or a hyphen (as Word and
    LibreOffice do: "RECOVERED/RESOLVED", "UCMSC-DLC-01-0034")."""
    return [w for w in _BREAK_AFTER.split(text) if w]


def find_style_ids(styles) -> dict[str, str]:
    """Style name -> style id ("Table Text" -> "TableText"; a sponsor's ids may differ)."""
    return {style.name: style.style_id for style in styles if style.name}
