"""Listing files: a long listing's rows as ``<listing id>.csv`` (and ``.xlsx``) beside the CSR.

Lays out what the :class:`~csrgen.document.model.Listing` holds (column labels, cell texts and
the typed values behind them) and nothing else: no value is computed, rounded or re-parsed.
The bytes depend only on the listing: the XLSX carries a fixed creation time (the data-lock date
when given) and its zip members fixed timestamps, in a fixed order.

CSV: RFC 4180 (comma, double quotes, CRLF), UTF-8 with a byte-order mark so that spreadsheet
programs read the accents right; one header row of column labels, then the rows as printed;
written to the file as it goes. Only listings up to ``document.listing_xlsx_max_rows`` rows also
get an XLSX (the listing's ``external`` names the files to write).
XLSX: sheet ``Listing`` (header row bold and frozen, auto-filter, column widths) and sheet
``About`` (number, title, population, footnotes, source). A cell of a number column is a number
(with the column's fixed decimals as its format), of a date column a date (``yyyy-mm-dd``), any
other a text (never a formula, whatever it begins with).

Text a spreadsheet would run as a formula (beginning with ``=``, ``+``, ``-``, ``@``, tab or
carriage return: OWASP, CSV injection) is stored as text in the XLSX, and in the CSV prefixed
with a single quote; numbers (a negative number too) are left as they are.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from csrgen.document.model import Block, Document, Listing, TextColumn, iter_blocks
from csrgen.writers.docx_xml import normalise_zip
from csrgen.writers.text import printable

_DEFAULT_STAMP = dt.datetime(2000, 1, 1)
#: Excel's limit on a sheet column's width (characters) and a reasonable one for listings.
_MAX_WIDTH = 60
#: Rows laid out at a time when writing (bounds the memory of a listing of millions of rows).
_CHUNK_ROWS = 65_536
#: What makes a spreadsheet read a cell's text as a formula (OWASP: CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_DATE_FORMAT = "yyyy-mm-dd"


def neutral(text: str) -> str:
    """``text`` as a spreadsheet takes it literally: a single quote before a text that begins as
    a formula would (``=SUM(A1)`` -> ``'=SUM(A1)``), others unchanged."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def csv_column(column: TextColumn) -> TextColumn:
    """The column as the CSV writes it: numbers as printed, every other text :func:`neutral`."""
    values = column.values or (None,) * len(column.labels)
    labels = tuple(
        text if _is_number(v) else neutral(text)
        for text, v in zip(column.labels, values, strict=True)
    )
    return replace(column, labels=labels)


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
    writer.writerow([neutral(h) for h in _header(listing)])
    for rows in _row_chunks(tuple(csv_column(c) for c in listing.text_columns())):
        writer.writerows(rows)


def listing_csv(listing: Listing) -> bytes:
    """The bytes :func:`write_csv` writes (UTF-8)."""
    buffer = io.StringIO(newline="")
    write_csv(listing, buffer)
    return buffer.getvalue().encode("utf-8")


def _sheet_values(column: TextColumn) -> list:
    """What the sheet stores for each label of ``column``: ``None`` (blank), a number, a
    ``(value, number format)`` pair (a date; a number of fixed decimals), or the text."""
    values = column.values or (None,) * len(column.labels)
    fixed = None
    if column.decimals is not None:
        fixed = "0." + "0" * column.decimals if column.decimals else "0"
    out: list = []
    for label, value in zip(column.labels, values, strict=True):
        if isinstance(value, dt.date):
            out.append((value, _DATE_FORMAT))
        elif _is_number(value):
            out.append((value, fixed) if fixed else value)
        else:
            out.append(printable(label) or None)
    return out


def listing_xlsx(listing: Listing, stamp: dt.datetime | None = None) -> bytes:
    """The listing as an Excel workbook: a ``Listing`` sheet (bold header, frozen, filter; typed
    cells) and an ``About`` sheet (number, title, population, footnotes, source). openpyxl's
    write-only mode streams the rows (a listing may have many thousands)."""
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

    def as_text(value: str):
        """A text cell, also when it begins with "=" (openpyxl would make that a formula);
        the text is :func:`printable` already (openpyxl refuses what XML cannot hold)."""
        if not value.startswith("="):
            return value
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell

    def styled(value, number_format: str):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format
        return cell

    for i, (name, column) in enumerate(zip(header, columns, strict=True)):
        longest = max([len(name)] + [len(text) for text in column.labels])
        sheet.column_dimensions[get_column_letter(i + 1)].width = min(longest + 2, _MAX_WIDTH)
    sheet.freeze_panes = "A2"
    if n_rows:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{n_rows + 1}"
    bold, top = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=printable(name))
        cell.data_type = "s"
        cell.font, cell.alignment = bold, top
        cells.append(cell)
    sheet.append(cells)
    # per column, what each label is stored as: a number or a date (kept, made into a styled
    # cell per row: a cell object is written once), a text, or nothing for a blank
    kinds = [_sheet_values(c) for c in columns]
    for start in range(0, n_rows, _CHUNK_ROWS):
        parts = [
            [values[k] for k in column.codes[start : start + _CHUNK_ROWS].tolist()]
            for values, column in zip(kinds, columns, strict=True)
        ]
        for row in zip(*parts, strict=True):
            sheet.append(
                [
                    as_text(v)
                    if isinstance(v, str)
                    else styled(v[0], v[1])
                    if isinstance(v, tuple)
                    else v
                    for v in row
                ]
            )

    about = book.create_sheet("About")
    about.column_dimensions["A"].width = 120
    for line in (
        [listing.number, listing.title, listing.population]
        + list(listing.footnotes)
        + [listing.source, f"Rows: {listing.total_rows or n_rows}"]
    ):
        about.append([as_text(printable(line))])

    when = stamp or _DEFAULT_STAMP
    props = book.properties
    props.title = printable(f"{listing.number} {listing.title}")
    props.creator = "csrgen"
    props.lastModifiedBy = "csrgen"
    props.created = when
    props.modified = when

    # ExcelWriter directly: openpyxl's save() would stamp the current time as "modified".
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).write_data()
    return normalise_zip(raw.getvalue())
