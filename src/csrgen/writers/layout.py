"""Table layout for the writers: the printed width of text, column widths from content, and the
orientation and type size a table needs to print without breaking a word or a number.

The rules a laid-out table keeps:

* A line breaks only at a space. A number column (centred or right-aligned) never wraps, so
  it is at least as wide as its longest cell; a text column (left-aligned: the stub, listing
  text) is at least as wide as its longest word; a header at least as wide as its longest word
  (bold). The DOCX writer makes the hyphens of a line that wraps non-breaking, because
  LibreOffice and Word would otherwise break after them ("(-16.0, -" / "6.0)").
* Widths come from the text measured with the font's own advance widths (Liberation Sans,
  metric-compatible with Arial: ``font_metrics.json``, made by ``tools/make_font_metrics.py``),
  plus a small slack for the renderers' rounding (LibreOffice wraps a line 0.25 pt narrower
  than its width, checked by experiment).
* When everything fits on one line, every column gets its longest line and the spare width goes
  to the columns that hold values in most rows (never to a mostly empty column such as a
  p-value column); otherwise each column gets its narrowest plus a share of the rest in
  proportion to how much more it could use.
* A table too wide for a portrait page goes landscape; too wide for landscape, it is set in a
  smaller type (8, then 7 pt) with narrower cell padding. A table that still cannot fit raises
  :class:`LayoutError` rather than print broken numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files

from csrgen.document.model import Listing, _Tabular
from csrgen.errors import CsrgenError

#: Indent of one stub level (points).
INDENT_PT = 10.0
#: Measured widths are stretched by this factor and this many points: LibreOffice wraps a line
#: that is 0.25 pt wider than its room (experiment), Word rounds advances to twips.
SLACK = 1.02
SLACK_PT = 1.0
#: Extra room (in ems) a number column gets beside its widest cell when the page allows.
AIR = 0.8
#: Line height as a multiple of the type size (Liberation Sans / Arial: ascent + descent + gap).
LINE_HEIGHT = 1.15
#: A column whose body cells are empty in more than this share of rows is "mostly empty": it gets
#: what its content needs and none of the spare width.
SPARSE_SHARE = 0.5


@dataclass(frozen=True)
class Scale:
    """A type size (points) and the left/right padding of each cell (points)."""

    size: float
    margin: float
    #: Space before each cell paragraph (the Table Text style's 1 pt; listings none).
    space: float = 1.0


#: Type scales tried in order: tables start at 9 pt, listings at 8 pt; 7 pt is the floor.
TABLE_SCALES = (Scale(9, 3), Scale(8, 2), Scale(7, 1.5))
LISTING_SCALES = (Scale(8, 2, 0.0), Scale(7, 1.5, 0.0))


@dataclass(frozen=True)
class Layout:
    """How one table is printed: page orientation, type scale, column widths (points, padding
    included), and whether the whole table fits on one page (then it is kept on one)."""

    landscape: bool
    scale: Scale
    widths: tuple[float, ...]
    whole: bool = False

    @property
    def width(self) -> float:
        return sum(self.widths)


class LayoutError(CsrgenError):
    """A table that cannot print on the page without breaking a word or a number."""


@dataclass(frozen=True)
class Page:
    """The text area of a portrait page (points)."""

    width: float
    height: float

    def area(self, landscape: bool) -> tuple[float, float]:
        """(width, height) of the text area in the given orientation."""
        return (self.height, self.width) if landscape else (self.width, self.height)


#: Paper sizes (portrait width, height; inches) and the page margin all round (inches).
PAPER_IN = {"A4": (8.27, 11.69), "Letter": (8.5, 11.0)}
MARGIN_IN = 1.0


def text_area(paper: str) -> Page:
    """The portrait text area of a page of ``paper`` (A4 or Letter) with the writers' margins."""
    width, height = PAPER_IN.get(paper, PAPER_IN["A4"])
    return Page((width - 2 * MARGIN_IN) * 72, (height - 2 * MARGIN_IN) * 72)


# -- measuring text --------------------------------------------------------------------------------
@cache
def _metrics() -> tuple[float, dict[int, int], dict[int, int]]:
    data = json.loads(files("csrgen.writers").joinpath("font_metrics.json").read_text("utf-8"))
    regular = {int(k): v for k, v in data["regular"].items()}
    bold = {int(k): v for k, v in data["bold"].items()}
    return float(data["units_per_em"]), regular, bold


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Printed width (points) of the longest line of ``text`` at ``size`` points.

    A character the font lacks counts as one em (wide, so that it never wraps unseen)."""
    return max((_units(line, bold) for line in text.split("\n")), default=0) * size / _metrics()[0]


@lru_cache(maxsize=1 << 16)
def _units(line: str, bold: bool) -> int:
    """Advance width of a line in font units (tables repeat their texts: "0", "1 (1.2)")."""
    em, regular, heavy = _metrics()
    table = heavy if bold else regular
    return sum(table.get(ord(ch), int(em)) for ch in line)


def words(line: str) -> list[str]:
    """The pieces of a line between which it may break: at (ASCII) spaces only."""
    return [w for w in line.split(" ") if w]


def _need(width: float) -> float:
    """Room (points) a text of measured ``width`` needs not to wrap."""
    return width * SLACK + SLACK_PT if width else 0.0


def fits_line(text: str, room: float, size: float, bold: bool = False) -> bool:
    """Whether every line of ``text`` prints without wrapping in ``room`` points."""
    return _need(text_width(text, size, bold)) <= room


def wrap(line: str, room: float, size: float, bold: bool = False) -> list[str]:
    """``line`` broken greedily at spaces to ``room`` points, as the renderers do; a word wider
    than the room stays whole on a line of its own."""
    # A line's advance is the sum of its characters', so a trial's is the line's so far plus a
    # space and the word: each word is measured once, not each trial line again. A word may
    # hold a line break; a trial is then as wide as its widest piece (text_width's rule).
    em = _metrics()[0]
    space = _units(" ", bold)
    out: list[str] = []
    current, done, tail = "", 0, 0  # the line so far: its widest closed piece, its last piece
    for word in words(line):
        pieces = [_units(piece, bold) for piece in word.split("\n")]
        if current:
            joined = tail + space + pieces[0]
            trial_done = max([done, joined, *pieces[1:-1]]) if len(pieces) > 1 else done
            trial_tail = pieces[-1] if len(pieces) > 1 else joined
            if _need(max(trial_done, trial_tail) * size / em) <= room:
                current, done, tail = f"{current} {word}", trial_done, trial_tail
                continue
            out.append(current)
        current, done, tail = word, max(pieces[:-1], default=0), pieces[-1]
    out.append(current)
    return out


# -- columns ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Need:
    """What a column needs (points, without padding)."""

    #: The narrowest without breaking a word (text columns, headers) or a line (number cells).
    low: float
    #: Every cell and header line on one line.
    high: float
    #: Mostly empty: gets no share of the spare width.
    sparse: bool
    #: How much its texts overflow ``low`` in all (points): its claim on width between.
    excess: float = 0.0


def wraps(align: str) -> bool:
    """Text (left-aligned) columns wrap at spaces; number columns never wrap."""
    return align == "left"


def column_needs(block: _Tabular, size: float) -> list[Need]:
    """Per column: the narrowest and the widest it can use, at type size ``size``."""
    needs = []
    # Rows that hold values (not only a label): a column is mostly empty when it is blank in
    # most of them, like a p-value column beside the arms' statistics.
    valued = sum(1 for row in block.rows if any(c.text.strip() for c in row.cells[1:]))
    for i, col in enumerate(block.columns):
        label_words = words(col.label.replace("\n", " "))
        low = max((text_width(w, size, True) for w in label_words), default=0.0)
        head = text_width(col.label, size, True)
        lines = []  # printed width of each cell line
        filled = 0
        for row in block.rows:
            cell = row.cells[i]
            if not cell.text.strip():
                continue
            filled += 1
            bold = cell.bold or (row.kind == "group" and i == 0)
            indent = INDENT_PT * cell.indent
            for line in cell.text.split("\n"):
                full = text_width(line, size, bold) + indent
                lines.append(full)
                if wraps(col.align):
                    longest = max((text_width(w, size, bold) for w in words(line)), default=0)
                    low = max(low, longest + indent)
                else:
                    low = max(low, full)
        body = max(lines, default=0.0)
        sparse = i > 0 and valued >= 4 and filled < SPARSE_SHARE * valued
        high = max(low, body) if sparse else max(low, body, head)
        excess = sum(max(0.0, w - low) for w in lines) + max(0.0, head - low)
        needs.append(Need(_need(low), _need(high), sparse, excess))
    return _spanner_needs(block, size, needs)


def _spanner_needs(block: _Tabular, size: float, needs: list[Need]) -> list[Need]:
    """Widen the columns under a spanner: to its longest word at least, to its whole label
    when everything fits on one line."""
    for sp in block.spanners:
        span = range(sp.first, sp.last + 1)
        longest = max((text_width(w, size, True) for w in words(sp.label)), default=0.0)
        short_low = max(0.0, _need(longest) - sum(needs[i].low for i in span)) / len(span)
        short_high = _need(text_width(sp.label, size, True)) - sum(needs[i].high for i in span)
        short_high = max(0.0, short_high) / len(span)
        for i in span:
            need = needs[i]
            low = need.low + short_low
            high = max(low, need.high + short_high)
            needs[i] = Need(low, high, need.sparse, need.excess + short_high)
    return needs


def fit_widths(block: _Tabular, available: float, scale: Scale) -> tuple[float, ...] | None:
    """Column widths (points, padding included) filling ``available`` points, or None when the
    table cannot fit without breaking a word or a number."""
    needs = column_needs(block, scale.size)
    pad = 2 * scale.margin
    room = available - pad * len(needs)
    lows = [n.low for n in needs]
    highs = [n.high for n in needs]
    if sum(lows) > room:
        return None
    # Numbers set close together read as one: give each number column some air when it fits.
    air = [0.0 if wraps(c.align) else AIR * scale.size for c in block.columns]
    airy = [lo + a for lo, a in zip(lows, air, strict=True)]
    if sum(airy) <= room:
        lows = airy
        highs = [max(h, lo) for h, lo in zip(highs, lows, strict=True)]
    if sum(highs) <= room:
        takers = [i for i, n in enumerate(needs) if not n.sparse] or list(range(len(needs)))
        hints = {i: block.columns[i].width for i in takers}
        spare = room - sum(highs)
        total = sum(hints.values()) or 1.0
        widths = [h + spare * hints.get(i, 0.0) / total for i, h in enumerate(highs)]
    else:
        widths = _share(lows, highs, [n.excess for n in needs], room - sum(lows))
    return tuple(w + pad for w in widths)


def _share(lows: list[float], highs: list[float], claims: list[float], room: float) -> list:
    """``lows`` grown by ``room`` in all, each column in proportion to its claim (how much its
    texts overflow its narrowest width, so that the columns that would wrap most get most),
    none beyond its ``highs``; what a capped column leaves goes to the others."""
    widths = list(lows)
    active = [i for i in range(len(widths)) if highs[i] > widths[i]]
    while room > 1e-6 and active:
        total = sum(claims[i] for i in active)
        grant = {i: room * (claims[i] / total if total > 0 else 1 / len(active)) for i in active}
        room = 0.0
        for i, extra in grant.items():
            take = min(extra, highs[i] - widths[i])
            widths[i] += take
            room += extra - take
        active = [i for i in active if highs[i] - widths[i] > 1e-6]
    return widths


# -- the table's layout ----------------------------------------------------------------------------
def scales(block: _Tabular) -> tuple[Scale, ...]:
    return LISTING_SCALES if isinstance(block, Listing) else TABLE_SCALES


def orientations(block: _Tabular) -> tuple[bool, ...]:
    """Orientations to try, in order: listings and tables marked landscape only landscape;
    in-text tables (no number) stay among the narrative's portrait pages."""
    if isinstance(block, Listing) or block.landscape:
        return (True,)
    if not block.number:
        return (False,)
    return (False, True)


def plan(block: _Tabular, page: Page) -> Layout:
    """The first of portrait, landscape, then smaller type on landscape, in which ``block``
    prints without breaking a word or a number.

    Raises :class:`LayoutError` when none does (too many columns even at 7 pt)."""
    tried = []
    for scale in scales(block):
        for landscape in orientations(block):
            width, height = page.area(landscape)
            widths = fit_widths(block, width, scale)
            if widths is not None:
                layout = Layout(landscape, scale, widths)
                return Layout(landscape, scale, widths, fits_page(block, layout, width, height))
            tried.append((landscape, scale, width))
    landscape, scale, width = tried[-1]
    needs = column_needs(block, scale.size)
    wanted = sum(n.low for n in needs) + 2 * scale.margin * len(needs)
    widest = sorted(range(len(needs)), key=lambda i: -needs[i].low)[:3]
    names = ", ".join(f"{block.columns[i].label.splitlines()[0] or '(stub)'!r}" for i in widest)
    raise LayoutError(
        f"{block.caption or block.id}: {len(needs)} columns need {wanted:.0f} pt at "
        f"{scale.size:g} pt type, {'a landscape' if landscape else 'the'} page has {width:.0f} pt "
        f"(widest: {names}); the table cannot print without breaking words or numbers. "
        "Use fewer columns (e.g. split the table by arm or by parameter in the study file)."
    )


def row_lines(block: _Tabular, layout: Layout) -> list[int]:
    """Printed lines of each body row: its tallest cell, text columns wrapped at spaces."""
    size, margin = layout.scale.size, layout.scale.margin
    out = []
    for row in block.rows:
        lines = 1
        for i, (col, cell) in enumerate(zip(block.columns, row.cells, strict=True)):
            room = layout.widths[i] - 2 * margin - INDENT_PT * cell.indent
            bold = cell.bold or (row.kind == "group" and i == 0)
            n = sum(
                len(wrap(line, room, size, bold)) if wraps(col.align) else 1
                for line in cell.text.split("\n")
            )
            lines = max(lines, n)
        out.append(lines)
    return out


def header_lines(block: _Tabular, layout: Layout) -> int:
    """Printed lines of the column labels (and the spanner row)."""
    size, margin = layout.scale.size, layout.scale.margin
    lines = 1
    for col, width in zip(block.columns, layout.widths, strict=True):
        room = width - 2 * margin
        lines = max(lines, sum(len(wrap(s, room, size, True)) for s in col.label.split("\n")))
    return lines + (1 if block.spanners else 0)


def fits_page(block: _Tabular, layout: Layout, width: float, height: float) -> bool:
    """Whether caption, population, column labels, body and notes fit in 90 % of one page (an
    estimate from the text; the 10 % spare allows for its error)."""
    scale = layout.scale
    line = scale.size * LINE_HEIGHT + scale.space
    body = sum(row_lines(block, layout)) * line + header_lines(block, layout) * line
    heading = 20 + 14 * (1 + len(wrap(block.caption, width, 10, True)))
    notes = sum(len(wrap(n, width, 8)) for n in (*block.footnotes, block.source) if n) * 9.5
    return heading + body + notes <= 0.9 * height


def keep_with_next(block: _Tabular, whole: bool) -> list[bool]:
    """For each body row, whether it stays on the page of the row after it (the last row: of
    the notes after the table).

    A table that fits on one page is kept whole. A longer one keeps its first three rows with
    the caption and column labels, its last two rows with the notes, and each group whole when
    it has at most :data:`WHOLE_GROUP_ROWS` rows (a visit with its statistics: no "Q1, Q3" on a
    page without its visit); a longer group keeps its heading with the next two rows and its
    last two rows together, so that no page starts or ends with a lone row of a table or a
    group (a "p-value" under a heading on the page before).
    """
    n = len(block.rows)
    notes = bool(block.footnotes or block.source)
    if not n:
        return []
    if whole:
        return [True] * (n - 1) + [notes]
    keep = [False] * n
    for i in range(min(2, n - 1)):
        keep[i] = True
    if n >= 2:
        keep[n - 2] = True
    keep[n - 1] = notes
    starts = [i for i, row in enumerate(block.rows) if row.kind == "group"]
    for g, end in zip(starts, [*starts[1:], n][: len(starts)], strict=True):
        if g < n - 1:
            keep[g] = True
        if end - g <= WHOLE_GROUP_ROWS:
            for i in range(g, min(end - 1, n - 1)):
                keep[i] = True
        elif end - g - 1 >= 2:
            keep[g + 1] = True
            keep[end - 2] = True
    return keep


#: A group of at most this many rows (its heading included) is never split across pages.
WHOLE_GROUP_ROWS = 12
