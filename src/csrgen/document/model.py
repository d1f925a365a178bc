"""The document model: frozen dataclasses holding formatted text only.

Outputs build :class:`Table`, :class:`Figure` and :class:`Listing`; the document layer assembles
them with narrative :class:`Paragraph` s into :class:`Section` s of a :class:`Document`; the
writers lay the model out (DOCX, HTML) without computing or rounding anything.

Named parts follow great_tables: heading (number, title, population), column labels (with
optional spanners), stub/body rows, footnotes, source note.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal, Union
from urllib.parse import quote, unquote

import numpy as np

Align = Literal["left", "center", "right"]


#: A listing field's key: a column's key (``AEDECOD``, ``TRT01A``) or a hidden fact's (``te``).
_FIELD_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
#: The query key of :attr:`ListingFilter.back` (never a field's key: fields are checked).
BACK = "back"


@dataclass(frozen=True)
class ListingFilter:
    """The rows of a listing that a link selects: those whose field ``key`` holds exactly
    ``value`` for every pair of ``where`` (exact text, not a substring).

    A field is a column of the listing (its :attr:`Column.key`; the cell's text is compared) or
    a hidden fact of its rows (:attr:`Listing.facts`, :attr:`Row.facts`). ``back`` is the id of
    the block the link comes from, so that the filtered listing can lead back to it.

    Written as a query, ``AEDECOD=ERYTHEMA&TRT01A=Placebo&te=Y&back=t_ae_soc_pt`` (keys and
    values percent-encoded, spaces kept), after the listing's anchor in a link:
    ``#l_ae?AEDECOD=ERYTHEMA&...``.
    """

    #: (field key, exact text) pairs, kept sorted by key (one spelling per filter).
    where: tuple[tuple[str, str], ...]
    back: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "where", tuple(sorted(self.where)))
        if len({k for k, _ in self.where}) != len(self.where):
            raise ValueError(f"listing filter: a field twice in {self.where}")
        for key, value in self.where:
            if not _FIELD_KEY.fullmatch(key) or key == BACK:
                raise ValueError(f"listing filter: {key!r} is not a field key")
            if not isinstance(value, str):
                raise TypeError(f"listing filter: {key}={value!r} is not text")

    @classmethod
    def of(cls, back: str = "", **where: str) -> ListingFilter:
        return cls(tuple(where.items()), back)

    def query(self) -> str:
        """``key=value&...&back=id``: each part percent-encoded except spaces (what a browser's
        ``URLSearchParams`` reads back; ``+`` is encoded, so it never reads as a space)."""
        pairs = list(self.where) + ([(BACK, self.back)] if self.back else [])
        return "&".join(f"{quote(k, safe='')}={quote(v, safe=' ')}" for k, v in pairs)

    @classmethod
    def from_query(cls, query: str) -> ListingFilter:
        """The inverse of :meth:`query`."""
        where, back = [], ""
        for part in query.split("&"):
            if not part:
                continue
            key, _, value = part.partition("=")
            key, value = unquote(key), unquote(value)
            if key == BACK:
                back = value
            else:
                where.append((key, value))
        return cls(tuple(where), back)


def split_link(url: str) -> tuple[str, ListingFilter | None]:
    """``#l_ae?AEDECOD=X&te=Y`` -> (``#l_ae``, the filter); ``#t_os`` -> (``#t_os``, None)."""
    anchor, sep, query = url.partition("?")
    return anchor, (ListingFilter.from_query(query) if sep else None)


def _check_link(link: str) -> None:
    """A link is an anchor (``#id``) or a file name: which rows of a listing it selects is its
    :class:`ListingFilter`, never text after the anchor (a writer would have to parse it)."""
    if "?" in link:
        raise ValueError(f"link {link!r}: give the listing's rows as a ListingFilter")


@dataclass(frozen=True)
class Run:
    """A stretch of paragraph text with one style."""

    text: str
    bold: bool = False
    italic: bool = False
    #: Anchor (``#id``) or empty.
    link: str = ""
    #: With a link to a listing: the listing's rows it selects (HTML only; Word shows them all).
    filter: ListingFilter | None = None

    def __post_init__(self) -> None:
        _check_link(self.link)


@dataclass(frozen=True)
class Paragraph:
    """Narrative text. ``style``: body, bullet, placeholder (for the medical writer), note."""

    runs: tuple[Run, ...]
    style: Literal["body", "bullet", "placeholder", "note"] = "body"
    #: Nesting level of a bullet (0 = top level).
    level: int = 0

    @classmethod
    def of(cls, text: str, style: str = "body") -> Paragraph:
        return cls(runs=(Run(text),), style=style)  # type: ignore[arg-type]

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


@dataclass(frozen=True)
class Cell:
    text: str
    #: Indentation level in the stub column (0 = flush left).
    indent: int = 0
    bold: bool = False
    #: Anchor this cell links to (``#id``), e.g. a count to the listing of its records.
    link: str = ""
    #: With a link to a listing: exactly the rows behind the count (HTML only; Word has no
    #: filters and the DOCX writer ignores it).
    filter: ListingFilter | None = None
    #: The text the cell printed in the previous data lock's report, when it changed (the HTML
    #: marks the cell and shows it; see csrgen.document.delta); ``None`` when unchanged.
    previous: str | None = None

    def __post_init__(self) -> None:
        _check_link(self.link)


@dataclass(frozen=True)
class Column:
    #: Header text; ``\n`` breaks the line (``"UC-MSC\n(N=108)"``).
    label: str
    align: Align = "center"
    #: Relative width; the writer shares the page width in proportion.
    width: float = 1.0
    #: Key used by HTML sort/filter and CSV export of listings.
    key: str = ""
    #: The header's text in the previous data lock's report, when it changed (as Cell's).
    previous: str | None = None


@dataclass(frozen=True)
class Spanner:
    """A header cell spanning columns ``first``..``last`` (inclusive, 0-based)."""

    label: str
    first: int
    last: int
    #: The label's text in the previous data lock's report, when it changed (as Cell's).
    previous: str | None = None


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    #: ``group``: a heading row inside the body (variable label, SOC); kept with the next row.
    kind: Literal["data", "group"] = "data"
    #: HTML id for this row (listing rows linked from summary tables); empty for none.
    anchor: str = ""
    #: A listing row's hidden facts, one text per :attr:`Listing.facts` (``te`` = "Y", the
    #: subject's maximum severity in the PT, ...): fields a :class:`ListingFilter` selects by
    #: that no column shows as such. Empty for other rows.
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Tabular:
    id: str
    number: str
    title: str
    #: "Population: Intent-to-treat (N=219)"
    population: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    spanners: tuple[Spanner, ...] = ()
    footnotes: tuple[str, ...] = ()
    #: "Source: adsl.csv; output t_demog; data lock L-1234 (2017-12-01)"
    source: str = ""
    landscape: bool = False
    #: When set, the body is replaced by this text ("No data to report").
    null_reason: str = ""

    def __post_init__(self) -> None:
        width = len(self.columns)
        for i, row in enumerate(self.rows):
            if len(row.cells) != width:
                raise ValueError(
                    f"{self.number}: row {i} has {len(row.cells)} cells for {width} columns"
                )
        for sp in self.spanners:
            if not (0 <= sp.first <= sp.last < width):
                raise ValueError(f"{self.number}: spanner {sp.label!r} outside the columns")

    @property
    def caption(self) -> str:
        """ "Table 14.1.1 Title"; an unnumbered in-text table has its title only."""
        return f"{self.number} {self.title}" if self.number else self.title


@dataclass(frozen=True)
class Table(_Tabular):
    pass


@dataclass(frozen=True, eq=False)
class TextColumn:
    """One listing column's cell texts, factorised: row ``i`` prints ``labels[codes[i]]``.

    A long listing holds its texts this way rather than as rows of cells: each distinct text is
    one string, the rows a small integer array, so that millions of rows stay cheap to keep and
    to send back from the worker process. Compared by identity (the codes are an array).
    """

    labels: tuple[str, ...]
    #: One code per row, an index into ``labels``.
    codes: np.ndarray
    #: What each label stands for when it is not text, for spreadsheets: a number (``int`` or
    #: ``float``, as printed: rounded where the column fixes decimals) or a date; ``None`` for a
    #: text or a blank. Empty: every label is text.
    values: tuple[int | float | dt.date | None, ...] = ()
    #: The fixed decimals its numbers print with; None: as recorded.
    decimals: int | None = None

    def __post_init__(self) -> None:
        if self.values and len(self.values) != len(self.labels):
            raise ValueError(f"{len(self.values)} typed values for {len(self.labels)} labels")

    def __len__(self) -> int:
        return len(self.codes)

    def __repr__(self) -> str:
        return f"TextColumn({len(self.codes)} rows, {len(self.labels)} distinct texts)"

    def texts(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """The texts of rows ``start:stop`` (all by default), an object array of ``str``."""
        labels = np.empty(len(self.labels), dtype=object)
        labels[:] = self.labels
        return labels[self.codes[start:stop]]

    @classmethod
    def of(cls, texts) -> TextColumn:
        """The column of a sequence of texts (each distinct text kept once)."""
        import pandas as pd  # the model is plain data; pandas only to factorise

        codes, labels = pd.factorize(np.asarray(list(texts), dtype=object))
        return cls(tuple(labels), small_codes(codes, len(labels)))


def small_codes(codes: np.ndarray, n_labels: int) -> np.ndarray:
    """``codes`` in the smallest unsigned integer type that holds ``n_labels`` labels."""
    for kind in (np.uint8, np.uint16, np.uint32):
        if n_labels <= np.iinfo(kind).max + 1:
            return codes.astype(kind, copy=False)
    return codes.astype(np.int64, copy=False)


@dataclass(frozen=True)
class Listing(_Tabular):
    """A patient data listing; landscape, header repeated, sortable in HTML.

    ``external`` names the files (CSV, and XLSX when not too long for a spreadsheet; relative
    to the document) that hold all ``total_rows`` rows of a listing too long to print; the DOCX
    then refers to them, and such a listing holds its cells column by column in ``data`` (one
    :class:`TextColumn` per column, with the typed values the spreadsheet stores). A listing the
    HTML shows holds its ``rows`` (cells, anchors, hidden facts), an external one besides its
    ``data``; a longer one holds ``data`` only.
    """

    landscape: bool = True
    external: tuple[str, ...] = ()
    total_rows: int = 0
    #: The cells of an external listing, column by column (empty when it has no files).
    data: tuple[TextColumn, ...] = ()
    #: The hidden facts of the rows (``key`` and ``label`` of each; the values are
    #: :attr:`Row.facts`): fields by which a link's :class:`ListingFilter` selects rows.
    facts: tuple[Column, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        facts = [f.key for f in self.facts]
        if len(set(facts)) != len(facts) or set(facts) & {c.key for c in self.columns}:
            raise ValueError(f"{self.number}: fact keys {facts} repeat or name a column")
        if any(not _FIELD_KEY.fullmatch(f.key) or f.key == BACK for f in self.facts):
            raise ValueError(f"{self.number}: fact keys {[f.key for f in self.facts]}")
        if any(len(r.facts) != len(self.facts) for r in self.rows):
            raise ValueError(f"{self.number}: rows with other than {len(self.facts)} facts")
        if self.data and self.rows and len(self.rows) != self.total_rows:
            raise ValueError(f"{self.number}: {len(self.rows)} rows for {self.total_rows}")
        if self.data and len(self.data) != len(self.columns):
            raise ValueError(
                f"{self.number}: {len(self.data)} data columns for {len(self.columns)} columns"
            )
        if any(len(c) != self.total_rows for c in self.data):
            raise ValueError(f"{self.number}: data columns of other than {self.total_rows} rows")

    def text_columns(self) -> tuple[TextColumn, ...]:
        """The cells column by column, from ``data`` or else from the ``rows`` (texts only)."""
        if self.data:
            return self.data
        return tuple(
            TextColumn.of(row.cells[i].text for row in self.rows) for i in range(len(self.columns))
        )


@dataclass(frozen=True)
class FigurePlan:
    """A figure not drawn yet: what draws it and with what, so that the figures of a run are
    drawn together after every output is built (spread over the workers, each drawn once and
    kept between runs; see :mod:`csrgen.figures`).

    ``func`` names the draw function (``"package.module:function"``), which returns the SVG text
    and PNG bytes; ``args`` and ``kwargs`` are plain data (numbers, texts, tuples, numpy arrays,
    frozen dataclasses), which pickle, and whose pickle identifies the figure.
    """

    func: str
    args: tuple = ()
    kwargs: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class Figure:
    id: str
    number: str
    title: str
    population: str
    #: Vector image for HTML (a complete ``<svg>`` element, deterministic ids); empty while
    #: :attr:`plan` is pending.
    svg: str
    #: Raster image for DOCX (PNG bytes, high resolution); empty while :attr:`plan` is pending.
    png: bytes
    width_in: float
    height_in: float
    #: Text alternative for screen readers.
    alt: str
    footnotes: tuple[str, ...] = ()
    source: str = ""
    landscape: bool = False
    null_reason: str = ""
    #: How to draw the figure, while it is not drawn yet (``svg`` and ``png`` empty); ``None``
    #: once drawn (the writers see drawn figures only).
    plan: FigurePlan | None = None

    @property
    def caption(self) -> str:
        """ "Table 14.1.1 Title"; an unnumbered in-text table has its title only."""
        return f"{self.number} {self.title}" if self.number else self.title


@dataclass(frozen=True)
class Contents:
    """Where a generated list goes: the table of contents or the list of tables, figures or
    listings. The writers fill it from the document (DOCX: a TOC field or entries with page
    references; HTML: links)."""

    kind: Literal["sections", "Table", "Figure", "Listing"] = "sections"
    #: Heading levels the table of contents shows.
    depth: int = 3


Block = Union[Paragraph, Table, Listing, Figure, Contents, "Section", "Attachment"]


@dataclass(frozen=True)
class Section:
    #: ICH E3 number ("14.2"), or empty for unnumbered front matter.
    number: str
    title: str
    anchor: str
    blocks: tuple[Block, ...] = ()

    @property
    def heading(self) -> str:
        return f"{self.number} {self.title}" if self.number else self.title


@dataclass(frozen=True)
class Attachment:
    """Sections an output puts in a document of their own beside the CSR (``<name>.docx`` and
    ``<name>.html``: the patient narratives when there are many); the output's other blocks
    say in the CSR where they are. The document layer takes it out of the CSR's sections into
    :attr:`Document.attachments`; the writers never see it among blocks."""

    #: File stem (``narratives``): letters, digits, ``_`` and ``-``.
    name: str
    title: str
    sections: tuple[Section, ...]

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", self.name):
            raise ValueError(f"attachment name {self.name!r}")


@dataclass(frozen=True)
class Document:
    study_id: str
    title: str
    #: Lines for the page header (study id, protocol, CONFIDENTIAL, status, ...).
    header: tuple[str, ...]
    #: Source line for the page footer.
    footer: str
    #: Text that must be on every page (``SYNTHETIC DATA``, ``DRAFT - DATA NOT LOCKED``).
    banners: tuple[str, ...]
    #: Label/value pairs for the title page, in order.
    title_page: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]
    #: Document language for HTML ``lang`` and DOCX proofing.
    language: str = "en"
    #: Paper size of the DOCX pages.
    paper: Literal["A4", "Letter"] = "A4"
    meta: dict[str, str] = field(default_factory=dict, compare=False)
    #: Documents written beside this one (file stem, document), from the outputs'
    #: :class:`Attachment` s, with this document's header, footer and banners.
    attachments: tuple[tuple[str, Document], ...] = ()


def iter_blocks(blocks: tuple[Block, ...]):
    """Depth-first walk yielding every block, sections included."""
    for block in blocks:
        yield block
        if isinstance(block, Section):
            yield from iter_blocks(block.blocks)


def iter_outputs(blocks: tuple[Block, ...]):
    """Every numbered table, figure and listing, in document order."""
    for block in iter_blocks(blocks):
        if isinstance(block, Table | Listing | Figure) and block.number:
            yield block


def null_table(
    id: str, number: str, title: str, population: str, reason: str = "No data to report"
) -> Table:
    """The standard null report: heading kept, body replaced by ``reason``."""
    return Table(
        id=id,
        number=number,
        title=title,
        population=population,
        columns=(Column(""),),
        rows=(),
        null_reason=reason,
    )
