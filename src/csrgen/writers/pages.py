"""How many pages the Word document prints on: an estimate from the same text metrics the DOCX
writer lays tables out with (only a renderer knows the exact count; ``csrgen report`` says
"about").

The model follows the writer: a title page; the contents on a new page; headings, paragraphs,
captions and notes in the reference styles' sizes and spacing, wrapped at the text width; a
table that fits a page kept whole (moved to the next page when it does not fit the rest of
this one), a longer one flowing over pages with its column labels repeated; figures kept
whole; a change of orientation starting a new page. tests/render compares it with the page
count of LibreOffice's PDF of each shipped study.
"""

from __future__ import annotations

from dataclasses import dataclass

from csrgen.document.model import (
    Contents,
    Document,
    Figure,
    Listing,
    Paragraph,
    Section,
    _Tabular,
    iter_blocks,
)
from csrgen.writers import layout as lay

#: style -> (size pt, space before, space after), as templates/reference.docx defines them.
STYLES = {
    "Normal": (10, 0, 4),
    "Heading 1": (14, 18, 6),
    "Heading 2": (12, 12, 6),
    "Heading 3": (11, 10, 4),
    "Heading 4": (10, 8, 4),
    "TOC Heading": (14, 18, 6),
    "TOC": (10, 1, 1),
    "Caption": (10, 8, 2),
    "Population": (9, 0, 4),
    "Table Note": (8, 0, 0),
    "Source Note": (8, 0, 10),
    "Placeholder": (10, 4, 8),
    "Note": (8, 0, 4),
    "List Bullet": (10, 0, 2),
}
#: A line's height per point of type: Liberation Sans's line (1.149 em) at the reference
#: styles' 1.15 line spacing, as measured on LibreOffice's PDF (9 pt rows 12.9 pt apart).
PITCH = 1.149 * 1.15
#: Room a figure leaves under it for its caption and notes (as the writer scales it).
FIGURE_ALLOWANCE_PT = 1.6 * 72


@dataclass
class _Flow:
    height: float  # text height of the current orientation
    width: float
    used: float = 0.0
    pages: int = 1

    def new_page(self) -> None:
        if self.used > 0:
            self.pages += 1
            self.used = 0.0

    def add(self, height: float, keep: bool = False) -> None:
        """Add ``height``; with ``keep`` it must fit on one page (else it starts the next)."""
        if keep and self.used + height > self.height and self.used > 0:
            self.new_page()
        while self.used + height > self.height:
            height -= self.height - self.used
            self.pages += 1
            self.used = 0.0
        self.used += height


def _text(text: str, style: str, width: float, bold: bool = False) -> float:
    size, before, after = STYLES[style]
    lines = sum(len(lay.wrap(line, width, size, bold)) or 1 for line in text.split("\n"))
    return lines * size * PITCH + before + after


@dataclass(frozen=True)
class TableMeasure:
    """What a table or listing occupies, in points, at the text width of its orientation: all
    the page count needs of it (kept with the table's XML between runs, see
    :func:`csrgen.writers.docx.write_docx`)."""

    landscape: bool
    #: The writer keeps it on one page when it fits one.
    whole: bool
    #: Caption, population line and column labels.
    top: float
    #: The column labels, repeated on each page it flows over.
    header: float
    #: Each body row (empty: the writer prints one line instead of the table).
    rows: tuple[float, ...]
    #: Whether each row is kept with the next.
    keep: tuple[bool, ...]
    #: Footnotes and the source line.
    notes: float


def _heading(b, width: float) -> float:
    h = _text(b.caption, "Caption", width, bold=True)
    return h + (_text(b.population, "Population", width) if b.population else 0.0)


def _notes(b, width: float) -> float:
    h = sum(_text(n, "Table Note", width) for n in b.footnotes)
    return h + (_text(b.source, "Source Note", width) if b.source else 0.0)


def measure_table(b: _Tabular, layout: lay.Layout | None, page: lay.Page) -> TableMeasure:
    """The measure of ``b`` laid out as ``layout`` (the writer's; None when the writer prints a
    line instead of the table: a reason, or an external listing's files)."""
    if line_only(b):
        landscape = isinstance(b, Listing) or b.landscape
        width = page.area(landscape)[0]
        text = b.null_reason or "This listing is provided as files beside this document."
        top = _heading(b, width) + _text(text, "Normal", width)
        return TableMeasure(landscape, True, top, 0.0, (), (), _notes(b, width))
    assert layout is not None
    landscape = isinstance(b, Listing) or b.landscape or layout.landscape
    width = page.area(landscape)[0]
    line = layout.scale.size * PITCH + layout.scale.space
    header = lay.header_lines(b, layout) * line
    rows = tuple(n * line for n in lay.row_lines(b, layout))
    keep = tuple(lay.keep_with_next(b, False))
    return TableMeasure(
        landscape, layout.whole, _heading(b, width) + header, header, rows, keep, _notes(b, width)
    )


def line_only(b: _Tabular) -> bool:
    """Whether the writer prints one line instead of the table: a reason, or a long listing's
    files."""
    return bool(b.null_reason) or not b.rows or (isinstance(b, Listing) and bool(b.external))


def estimate_pages(doc: Document, plan=None, measure=None) -> int:
    """The estimated page count of the document's DOCX; ``plan(block)`` gives a table's layout
    (the writer's own, planned once; default :func:`csrgen.writers.layout.plan`);
    ``measure(block)`` its :class:`TableMeasure` (default :func:`measure_table`)."""
    page = lay.text_area(doc.paper)
    plan = plan or (lambda block: lay.plan(block, page))
    if measure is None:

        def measure(block: _Tabular) -> TableMeasure:
            return measure_table(block, None if line_only(block) else plan(block), page)

    flow = _Flow(page.height, page.width)
    flow.new_page()  # the title page
    flow.pages, flow.used = 2, 0.0
    state = {"landscape": False}

    def orient(landscape: bool) -> None:
        if landscape != state["landscape"]:
            flow.new_page()
            flow.width, flow.height = page.area(landscape)
            state["landscape"] = landscape

    def section(s: Section, level: int) -> None:
        if s.title:
            if any(isinstance(b, Contents) and b.kind == "sections" for b in s.blocks):
                flow.new_page()  # the contents heading starts a page
            style = f"Heading {min(level, 4)}"
            # kept with what follows: counted with the first lines of the next block
            state["pending"] = state.get("pending", 0.0) + _text(s.heading, style, flow.width)
        for b in s.blocks:
            if isinstance(b, Section):
                section(b, level + 1)
            elif isinstance(b, Paragraph):
                orient(False)
                style = {"placeholder": "Placeholder", "note": "Note", "bullet": "List Bullet"}
                height = _text(
                    "".join(r.text for r in b.runs), style.get(b.style, "Normal"), flow.width
                )
                put(height)
            elif isinstance(b, Contents):
                put(sum(_text(e, "TOC", flow.width) for e in _entries(doc, b)))
            elif isinstance(b, Figure):
                orient(b.landscape)
                figure(b)
            elif isinstance(b, _Tabular):
                tabular(measure(b))

    def put(height: float, keep: bool = False, first: float | None = None) -> None:
        """Place a block; a pending heading goes with the block's first part."""
        pending = state.pop("pending", 0.0)
        if pending:
            lead = pending + (height if first is None else first)
            if flow.used + lead > flow.height and flow.used > 0:
                flow.new_page()
            flow.add(pending)
        flow.add(height, keep)

    def figure(b: Figure) -> None:
        top, notes = _heading(b, flow.width), _notes(b, flow.width)
        if b.null_reason:
            put(top + _text(b.null_reason, "Normal", flow.width) + notes, True)
            return
        scale = min(
            1.0,
            flow.width / (b.width_in * 72),
            (flow.height - FIGURE_ALLOWANCE_PT) / (b.height_in * 72),
        )
        put(top + b.height_in * 72 * scale + 6 + notes, keep=True)

    def tabular(m: TableMeasure) -> None:
        orient(m.landscape)
        total = m.top + sum(m.rows) + m.notes
        if not m.rows or (m.whole and total <= flow.height):
            put(total, keep=True)
            return
        # rows flow in the units the writer keeps together (a group, the first and last rows)
        units, unit = [], 0.0
        for height, keep in zip(m.rows, m.keep, strict=True):
            unit += height
            if not keep:
                units.append(unit)
                unit = 0.0
        units.append(unit + m.notes)
        put(m.top, first=units[0])
        for height in units:
            if flow.used + height > flow.height and height <= flow.height - m.header:
                flow.new_page()
                flow.add(m.header)
            flow.add(height)

    for s in doc.sections:
        section(s, 1)
    return flow.pages


def _entries(doc: Document, block: Contents) -> list[str]:
    """The lines of the table of contents or of a list of outputs (as the writer makes them;
    a page number at the end of each)."""
    from csrgen.writers.docx import _headings, _is_output

    if block.kind == "sections":
        return [
            s.heading + " 000"
            for s, level in _headings(doc.sections)
            if level <= block.depth
            and not any(isinstance(b, Contents) and b.kind == "sections" for b in s.blocks)
        ]
    return [b.caption + " 000" for b in iter_blocks(doc.sections) if _is_output(b, block.kind)]
