"""Listing files: a long listing's rows as ``<listing id>.csv`` (and ``.xlsx``) beside the CSR.

Lays out what the :class:`~csrgen.document.model.Listing` holds (column labels, cell texts) and
nothing else: no value is computed, rounded or re-parsed (cells stay text, as printed).
The bytes depend only on the listing: the XLSX carries a fixed creation time (the data-lock date
when given) and its zip members fixed timestamps, in a fixed order.

CSV: RFC 4180 (comma, double quotes, CRLF), UTF-8 with a byte-order mark so that spreadsheet
programs read the accents right; one header row of column labels, then the rows; written to the
file as it goes. Only listings up to ``document.listing_xlsx_max_rows`` rows also get an XLSX
(the listing's ``external`` names the files to write).
XLSX: sheet ``Listing`` (header row bold and frozen, auto-filter, column widths) and sheet
``About`` (number, title, population, footnotes, source).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from csrgen.document.model import Block, Document, Listing, TextColumn, iter_blocks
from csrgen.writers.docx_xml import normalise_zip

_DEFAULT_STAMP = dt.datetime(2000, 1, 1)
#: Excel's limit on a sheet column's width (characters) and a reasonable one for listings.
_MAX_WIDTH = 60
#: Rows laid out at a time when writing (bounds the memory of a listing of millions of rows).
_CHUNK_ROWS = 65_536


def header_text(label: str) -> str:
    """A label on one line: ``"Age/\\nSex"`` -> ``"Age/Sex"``; other lines joined by a space."""
    lines = label.split("\n")
    out = lines[0]
    for line in lines[1:]:
        out += line if out.endswith(("/", "-")) else " " + line
    return out


def lock_stamp(doc: Document) -> dt.datetime:
    """The data-lock date as the files' creation time (never the run time); fixed if unlocked."""
    try:
        day = dt.date.fromisoformat(doc.meta.get("lock_date", ""))
    except ValueError:
        return _DEFAULT_STAMP
    return dt.datetime(day.year, day.month, day.day)


def external_listings(blocks: Iterable[Block]) -> list[Listing]:
    """Every listing in the document that names external files."""
    return [b for b in iter_blocks(tuple(blocks)) if isinstance(b, Listing) and b.external]


def write_listing_files(
    listing: Listing, folder: Path, stamp: dt.datetime | None = None
) -> list[Path]:
    """Write the files ``listing.external`` names (``.csv`` and/or ``.xlsx``) into ``folder``."""
    written = []
    for name in listing.external:
        path = folder / name
        if name.lower().endswith(".csv"):
            with path.open("w", encoding="utf-8", newline="") as stream:
                write_csv(listing, stream)
        elif name.lower().endswith(".xlsx"):
            path.write_bytes(listing_xlsx(listing, stamp))
        else:
            raise ValueError(f"{listing.number}: no writer for external file {name!r}")
        written.append(path)
    return written


def _header(listing: Listing) -> list[str]:
    return [header_text(c.label) for c in listing.columns]


def _row_chunks(columns: tuple[TextColumn, ...]) -> Iterator[Iterator[tuple[str, ...]]]:
    """The rows as tuples of texts, a chunk at a time (a listing may have millions of rows: only
    one chunk's texts are laid out at once)."""
    n_rows = len(columns[0]) if columns else 0
    for start in range(0, n_rows, _CHUNK_ROWS):
        yield zip(*(c.texts(start, start + _CHUNK_ROWS) for c in columns), strict=True)


def write_csv(listing: Listing, stream: TextIO) -> None:
    """The listing as CSV into a text ``stream`` opened with ``newline=""``: byte-order mark,
    header row, then the rows."""
    stream.write("\ufeff")
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(_header(listing))
    for rows in _row_chunks(listing.text_columns()):
        writer.writerows(rows)


def listing_csv(listing: Listing) -> bytes:
    """The bytes :func:`write_csv` writes (UTF-8)."""
    buffer = io.StringIO(newline="")
    write_csv(listing, buffer)
    return buffer.getvalue().encode("utf-8")


def listing_xlsx(listing: Listing, stamp: dt.datetime | None = None) -> bytes:
    """The listing as an Excel workbook: a ``Listing`` sheet (bold header, frozen, filter) and an
    ``About`` sheet (number, title, population, footnotes, source). openpyxl's write-only mode
    streams the rows (a listing may have many thousands)."""
    from openpyxl import Workbook  # only when a listing is long enough to need it
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    header = _header(listing)
    columns = listing.text_columns()
    n_rows = len(columns[0]) if columns else 0
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Listing")
    for i, (name, column) in enumerate(zip(header, columns, strict=True)):
        longest = max([len(name)] + [len(text) for text in column.labels])
        sheet.column_dimensions[get_column_letter(i + 1)].width = min(longest + 2, _MAX_WIDTH)
    sheet.freeze_panes = "A2"
    if n_rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{n_rows + 1}"
    bold, top = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font, cell.alignment = bold, top
        cells.append(cell)
    sheet.append(cells)
    for rows in _row_chunks(columns):
        for row in rows:
            sheet.append(row)

    about = book.create_sheet("About")
    about.column_dimensions["A"].width = 120
    for line in (
        [listing.number, listing.title, listing.population]
        + list(listing.footnotes)
        + [listing.source, f"Rows: {listing.total_rows or n_rows}"]
    ):
        about.append([line])

    when = stamp or _DEFAULT_STAMP
    props = book.properties
    props.title = f"{listing.number} {listing.title}"
    props.creator = "csrgen"
    props.lastModifiedBy = "csrgen"
    props.created = when
    props.modified = when

    # ExcelWriter directly: openpyxl's save() would stamp the current time as "modified".
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).write_data()
    return normalise_zip(raw.getvalue())
