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
``About`` (number, title, population, footnotes, source), written by XlsxWriter a row at a time.
A cell of a number column is a number (with the column's fixed decimals as its format), of a
date column a date (``yyyy-mm-dd``), any other a text (never a formula, number or hyperlink,
whatever it looks like); what Excel cannot hold is the text as printed: an infinite number, a
date before 1 March 1900, and past 32,767 characters a text is cut with a note (the CSV keeps
it whole).

Text a spreadsheet would run as a formula (beginning with ``=``, ``+``, ``-``, ``@``, tab or
carriage return: OWASP, CSV injection) is stored as text in the XLSX, and in the CSV prefixed
with a single quote; numbers (a negative number too) are left as they are.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
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
#: Excel's limit on a cell's text (UTF-16 units), and what ends a text cut to it.
_MAX_CELL = 32_767
CUT_NOTE = " [cut at Excel's limit of 32,767 characters: the CSV holds the whole text]"
#: Day 0 of Excel's 1900 date system as counted from 1 March 1900 on (past its 29 February
#: 1900, a day that never was); earlier dates are written as text.
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_FIRST_EXCEL_DAY = dt.date(1900, 3, 1)


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


def _fixed_format(decimals: int | None) -> str | None:
    """The number format of a column's fixed decimals (``0.00``); None: as recorded."""
    if decimals is None:
        return None
    return "0." + "0" * decimals if decimals else "0"


def excel_text(text: str) -> str | None:
    """What a text cell stores: :func:`printable` (XML cannot hold the rest), cut to Excel's
    limit of 32,767 characters (UTF-16 units) with a note saying so (the CSV keeps it whole);
    ``None`` for a blank."""
    text = printable(text)
    if len(text) > _MAX_CELL // 2 and len(text.encode("utf-16-le")) // 2 > _MAX_CELL:
        keep = _MAX_CELL - len(CUT_NOTE)
        # keep ``keep`` UTF-16 units, never half a surrogate pair
        text = text.encode("utf-16-le")[: 2 * keep].decode("utf-16-le", "ignore") + CUT_NOTE
    return text or None


def excel_serial(day: dt.date) -> int | None:
    """A date as Excel's serial day number (1900 date system); ``None`` before 1 March 1900,
    where Excel's serials are off by its 29 February 1900 or undefined (written as text)."""
    if day < _FIRST_EXCEL_DAY:
        return None
    return (day - _EXCEL_EPOCH).days


def _sheet_values(column: TextColumn) -> list:
    """What the sheet stores for each label of ``column``: ``None`` (blank), the text, or a
    ``(number, number format)`` pair (a number; a date as its serial day with the date format;
    the format None for a number as recorded). A number Excel cannot hold (infinite) or a date
    before 1 March 1900 is stored as the text it prints."""
    values = column.values or (None,) * len(column.labels)
    fixed = _fixed_format(column.decimals)
    out: list = []
    for label, value in zip(column.labels, values, strict=True):
        if isinstance(value, dt.date):
            serial = excel_serial(value)
            out.append((serial, _DATE_FORMAT) if serial is not None else excel_text(label))
        elif _is_number(value) and math.isfinite(value):
            out.append((value, fixed))
        else:
            out.append(excel_text(label))
    return out


def listing_xlsx(listing: Listing, stamp: dt.datetime | None = None) -> bytes:
    """The listing as an Excel workbook: a ``Listing`` sheet (bold header, frozen, filter; typed
    cells) and an ``About`` sheet (number, title, population, footnotes, source, rows).
    XlsxWriter streams the rows (``constant_memory``: a row at a time, to a temporary file)."""
    import xlsxwriter  # only when a listing is long enough to need it

    header = _header(listing)
    columns = listing.text_columns()
    n_rows = len(columns[0]) if columns else 0
    raw = io.BytesIO()
    book = xlsxwriter.Workbook(
        raw,
        {
            "constant_memory": True,
            # a text is stored as the text it is: never a formula, number or hyperlink
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    formats: dict[str | None, object] = {None: None}

    def number_format(code: str | None):
        if code not in formats:
            formats[code] = book.add_format({"num_format": code})
        return formats[code]

    sheet = book.add_worksheet("Listing")
    for i, (name, column) in enumerate(zip(header, columns, strict=True)):
        longest = max([len(name)] + [len(text) for text in column.labels])
        sheet.set_column(i, i, min(longest + 2, _MAX_WIDTH))
    sheet.freeze_panes(1, 0)
    if n_rows:
        sheet.autofilter(0, 0, n_rows, len(header) - 1)
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    for i, name in enumerate(header):
        text = excel_text(name)
        if text is None:
            sheet.write_blank(0, i, None, bold)
        else:
            sheet.write_string(0, i, text, bold)

    # per column and label: the write call with its arguments (made once per distinct text),
    # or None for a blank (no cell)
    text, number = sheet.write_string, sheet.write_number
    calls = [
        [
            None
            if v is None
            else (text, v, None)
            if isinstance(v, str)
            else (number, v[0], number_format(v[1]))
            for v in _sheet_values(c)
        ]
        for c in columns
    ]
    row = 1
    for start in range(0, n_rows, _CHUNK_ROWS):
        parts = [
            [cells[k] for k in column.codes[start : start + _CHUNK_ROWS].tolist()]
            for cells, column in zip(calls, columns, strict=True)
        ]
        for cells in zip(*parts, strict=True):
            for col, cell in enumerate(cells):
                if cell is not None:
                    cell[0](row, col, cell[1], cell[2])
            row += 1

    about = book.add_worksheet("About")
    about.set_column(0, 0, 120)
    lines = (
        [listing.number, listing.title, listing.population]
        + list(listing.footnotes)
        + [listing.source, f"Rows: {listing.total_rows or n_rows}"]
    )
    for i, line in enumerate(lines):
        text = excel_text(line)
        if text is not None:
            about.write_string(i, 0, text)

    when = stamp or _DEFAULT_STAMP
    book.set_properties(
        {
            "title": printable(f"{listing.number} {listing.title}"),
            "author": "csrgen",  # creator and last modified by
            "created": when,  # and modified: XlsxWriter writes the same time for both
        }
    )
    book.close()
    return normalise_zip(raw.getvalue())
