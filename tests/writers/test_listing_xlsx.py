"""A long listing's XLSX read back by openpyxl (an independent reader) cell by cell against the
listing's data: numbers as numbers with the column's format, dates as dates, texts exactly (also
those a spreadsheet would take for a formula, number or link), control characters replaced,
blanks empty; the sheet's header, freeze pane, filter and widths; the About sheet; the document
properties; the same bytes on every call; Excel's cell limit; and LibreOffice reading it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
import zipfile

import numpy as np
import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils.escape import unescape

from csrgen.document.model import Column, Listing, TextColumn
from csrgen.writers.listings import CUT_NOTE, listing_xlsx

STAMP = dt.datetime(2024, 1, 31)

#: (label as printed, expected cell value) of the text column: what a spreadsheet would take for
#: a formula, a number or a hyperlink stays the text; characters XML cannot hold are replaced
#: (U+FFFD, a vertical tab or form feed by a space); an empty text is a blank.
TEXTS = [
    ("=SUM(A1:A9)", "=SUM(A1:A9)"),
    ("+1", "+1"),
    ("-2", "-2"),
    ("@cmd", "@cmd"),
    ("007", "007"),
    ("1e5", "1e5"),
    ("TRUE", "TRUE"),
    ("https://example.org/a?b=1", "https://example.org/a?b=1"),
    ("mailto:x@example.org", "mailto:x@example.org"),
    ("Ödem, 頭痛 😀", "Ödem, 頭痛 😀"),
    ("nul\x00bell\x07", "nul\ufffdbell\ufffd"),
    ("v\x0btab\x0cff", "v tab ff"),
    ("tab\there\nline\rcr", "tab\there\nline\rcr"),
    ("_x0041_", "_x0041_"),  # Excel's own escape, as text
    ("  spaced  ", "  spaced  "),
    ("<b>&amp;</b>", "<b>&amp;</b>"),
    ("", None),
]
N = len(TEXTS)


def _column(labels, values=(), decimals=None) -> TextColumn:
    """A column whose row ``i`` holds label ``i`` (no factorising: the codes are the rows)."""
    return TextColumn(tuple(labels), np.arange(len(labels), dtype=np.uint32), values, decimals)


INTS = [3, -7, 0, 1_000_000, None] + [12] * (N - 5)
FLOATS = [2.5, -0.25, 10.0, None, 1234.57] + [0.1] * (N - 5)
DATES = [dt.date(2020, 2, 29), dt.date(1900, 3, 1), None, dt.date(9999, 12, 31)]
DATES += [dt.date(2021, 1, 1)] * (N - 4)


def _printed(value, decimals=None) -> str:
    if value is None:
        return ""
    if decimals is not None:
        return f"{value:.{decimals}f}"
    return str(value)


def sample_listing() -> Listing:
    columns = (
        _column([label for label, _ in TEXTS]),
        _column([_printed(v) for v in INTS], tuple(INTS)),
        _column([_printed(v, 2) for v in FLOATS], tuple(FLOATS), decimals=2),
        _column([_printed(v) for v in DATES], tuple(DATES)),
        _column([_printed(v, 0) for v in INTS], tuple(INTS), decimals=0),
    )
    return Listing(
        id="l_x",
        number="Listing 16.2.9",
        title="Hostile =Texts",
        population="Population: Safety (N=3)",
        columns=(
            Column("Verbatim\nterm"),
            Column("Study/\nday"),
            Column("Value"),
            Column("Date"),
            Column("Count"),
        ),
        rows=(),
        external=("l_x.csv", "l_x.xlsx"),
        total_rows=N,
        data=columns,
        footnotes=("=1+1 is a footnote.", "Second footnote."),
        source="Source: adlb.csv; output l_x.",
    )


@pytest.fixture(scope="module")
def workbook_bytes() -> bytes:
    return listing_xlsx(sample_listing(), STAMP)


@pytest.fixture(scope="module")
def book(workbook_bytes):
    return openpyxl.load_workbook(io.BytesIO(workbook_bytes))


def _text(cell):
    """A text cell's value as Excel reads it: openpyxl leaves Excel's ``_xHHHH_`` escapes
    (ECMA-376 ST_Xstring, how a carriage return or a literal ``_x0041_`` is stored) to
    :func:`unescape`."""
    return None if cell.value is None else unescape(cell.value)


def test_text_cells_hold_the_text_exactly(book):
    rows = list(book["Listing"].iter_rows(min_row=2))
    assert len(rows) == N
    for row, (label, expected) in zip(rows, TEXTS, strict=True):
        cell = row[0]
        assert _text(cell) == expected, label
        assert cell.data_type == ("s" if expected is not None else "n"), label


def test_number_cells_are_numbers_with_the_columns_format(book):
    rows = list(book["Listing"].iter_rows(min_row=2))
    for row, whole, fraction in zip(rows, INTS, FLOATS, strict=True):
        day, value, count = row[1], row[2], row[4]
        assert day.value == whole
        assert value.value == fraction
        assert count.value == whole
        if whole is not None:
            assert day.data_type == "n" and isinstance(day.value, int)
            assert day.number_format == "General"
            assert count.number_format == "0"
        if fraction is not None:
            assert value.data_type == "n" and value.number_format == "0.00"


def test_date_cells_are_dates(book):
    rows = list(book["Listing"].iter_rows(min_row=2))
    for row, day in zip(rows, DATES, strict=True):
        cell = row[3]
        if day is None:
            assert cell.value is None
            continue
        assert cell.is_date and cell.number_format == "yyyy-mm-dd"
        assert cell.value == dt.datetime(day.year, day.month, day.day)


def test_header_freeze_filter_and_widths(book):
    sheet = book["Listing"]
    header = next(sheet.iter_rows(max_row=1))
    assert [c.value for c in header] == ["Verbatim term", "Study/day", "Value", "Date", "Count"]
    assert all(c.font.b and c.alignment.wrap_text and c.data_type == "s" for c in header)
    assert all(c.alignment.vertical == "top" for c in header)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:E{N + 1}"
    # the longest text of a column (label or cell) plus 2, at most 60 characters; XlsxWriter
    # stores Excel's width with the cell padding (5 pixels of a 7-pixel digit)
    widths = {k: d.width for k, d in sheet.column_dimensions.items()}
    longest_a = max(len(label) for label, _ in TEXTS)
    assert widths["A"] == pytest.approx(longest_a + 2 + 5 / 7, abs=0.01)
    assert widths["B"] == pytest.approx(len("Study/day") + 2 + 5 / 7, abs=0.01)  # header
    assert widths["D"] == pytest.approx(len("2020-02-29") + 2 + 5 / 7, abs=0.01)
    assert book.sheetnames == ["Listing", "About"]


def test_about_sheet_and_properties(book):
    lines = [c.value for (c,) in book["About"].iter_rows(max_col=1)]
    assert lines == [
        "Listing 16.2.9",
        "Hostile =Texts",
        "Population: Safety (N=3)",
        "=1+1 is a footnote.",
        "Second footnote.",
        "Source: adlb.csv; output l_x.",
        f"Rows: {N}",
    ]
    assert all(c.data_type == "s" for (c,) in book["About"].iter_rows(max_col=1))
    props = book.properties
    assert props.title == "Listing 16.2.9 Hostile =Texts"
    assert props.creator == "csrgen" and props.lastModifiedBy == "csrgen"
    assert props.created == STAMP and props.modified == STAMP


def test_no_formula_link_or_shared_state_in_the_file(workbook_bytes):
    archive = zipfile.ZipFile(io.BytesIO(workbook_bytes))
    names = archive.namelist()
    assert names[0] == "[Content_Types].xml" and names[1:] == sorted(names[1:])
    assert {m.date_time for m in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "hyperlink" not in sheet
    assert not any(n.startswith("xl/worksheets/_rels") for n in names)
    core = archive.read("docProps/core.xml").decode()
    assert core.count("2024-01-31T00:00:00Z") == 2  # created and modified: the stamp


def test_same_bytes_on_every_call(workbook_bytes):
    assert listing_xlsx(sample_listing(), STAMP) == workbook_bytes
    assert listing_xlsx(sample_listing(), dt.datetime(2024, 2, 1)) != workbook_bytes


def _one_column(labels, values=(), decimals=None) -> Listing:
    return Listing(
        id="l_y",
        number="Listing 1",
        title="T",
        population="",
        columns=(Column("A"),),
        rows=(),
        external=("l_y.xlsx",),
        total_rows=len(labels),
        data=(_column(labels, values, decimals),),
    )


def test_text_longer_than_excels_cell_limit_is_cut_with_a_note():
    long_ascii = "x" * 40_000
    long_astral = "😀" * 20_000  # 40,000 UTF-16 units
    exact = "y" * 32_767
    data = listing_xlsx(_one_column([long_ascii, long_astral, exact]))
    cells = [c for (c,) in openpyxl.load_workbook(io.BytesIO(data))["Listing"].iter_rows(2)]
    assert cells[0].value == "x" * (32_767 - len(CUT_NOTE)) + CUT_NOTE
    assert len(cells[0].value) == 32_767
    kept = (32_767 - len(CUT_NOTE)) // 2  # an emoji is two UTF-16 units: never half of one
    assert cells[1].value == "😀" * kept + CUT_NOTE
    assert cells[2].value == exact  # at the limit: whole


def test_values_excel_cannot_hold_are_their_printed_text():
    """A date before 1 March 1900 (Excel's serials are off before it) and an infinite number
    are stored as the text they print."""
    labels = ["1899-12-31", "1900-02-28", "inf", "-inf", "2.0"]
    values = (dt.date(1899, 12, 31), dt.date(1900, 2, 28), float("inf"), float("-inf"), 2.0)
    data = listing_xlsx(_one_column(labels, values))
    cells = [c for (c,) in openpyxl.load_workbook(io.BytesIO(data))["Listing"].iter_rows(2)]
    assert [(c.value, c.data_type) for c in cells] == [
        ("1899-12-31", "s"),
        ("1900-02-28", "s"),
        ("inf", "s"),
        ("-inf", "s"),
        (2, "n"),
    ]


# -- property: whatever the columns hold, the sheet reads back as the listing -----------------

#: Text XML can hold (no surrogates, no control characters but tab, line feed and CR), so that
#: the text read back is the text written.
_XML_TEXT = st.text(
    st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters=[chr(c) for c in range(32) if c not in (9, 10, 13)]
        + ["\x7f", "\ufffe", "\uffff"],
    ),
    max_size=30,
)


@st.composite
def _columns(draw):
    n_rows = draw(st.integers(1, 12))
    kinds = draw(
        st.lists(st.sampled_from(["text", "int", "fixed", "date"]), min_size=1, max_size=5)
    )
    out = []
    for kind in kinds:
        if kind == "text":
            texts = draw(st.lists(_XML_TEXT, min_size=n_rows, max_size=n_rows))
            out.append((kind, texts, None))
            continue
        if kind == "int":
            values = st.integers(-(10**12), 10**12)
        elif kind == "date":
            values = st.dates(dt.date(1900, 3, 1), dt.date(9999, 12, 31))
        else:
            decimals = draw(st.integers(0, 4))
            values = st.floats(-1e6, 1e6).map(lambda v, d=decimals: round(v, d))
        cells = draw(st.lists(st.none() | values, min_size=n_rows, max_size=n_rows))
        out.append((kind, cells, decimals if kind == "fixed" else None))
    return n_rows, out


@settings(max_examples=60, deadline=None)
@given(_columns())
def test_read_back_equals_the_listing(drawn):
    n_rows, spec = drawn
    columns, expected = [], []
    for kind, cells, decimals in spec:
        if kind == "text":
            columns.append(TextColumn.of(cells))
            expected.append([c or None for c in cells])
            continue
        labels = [_printed(v, decimals) for v in cells]
        codes, labels_seen, values = [], {}, []
        for label, value in zip(labels, cells, strict=True):
            if label not in labels_seen:
                labels_seen[label] = len(labels_seen)
                values.append(value)
            codes.append(labels_seen[label])
        columns.append(
            TextColumn(tuple(labels_seen), np.asarray(codes, np.uint8), tuple(values), decimals)
        )
        if kind == "date":
            expected.append(
                [None if v is None else dt.datetime(v.year, v.month, v.day) for v in cells]
            )
        else:
            expected.append(cells)
    listing = Listing(
        id="l_p",
        number="Listing 1",
        title="P",
        population="",
        columns=tuple(Column(f"C{i}") for i in range(len(columns))),
        rows=(),
        external=("l_p.xlsx",),
        total_rows=n_rows,
        data=tuple(columns),
    )
    sheet = openpyxl.load_workbook(io.BytesIO(listing_xlsx(listing)))["Listing"]
    rows = list(sheet.iter_rows(min_row=2, max_row=n_rows + 1, max_col=len(columns)))
    got = [
        [_text(row[i]) if spec[i][0] == "text" else row[i].value for row in rows]
        for i in range(len(columns))
    ]
    assert got == expected
    for i, (kind, cells, decimals) in enumerate(spec):
        for row, value in zip(rows, cells, strict=True):
            if value is None or value == "":
                continue
            cell = row[i]
            if kind == "text":
                assert cell.data_type == "s"
            elif kind == "date":
                assert cell.is_date and cell.number_format == "yyyy-mm-dd"
            else:
                assert cell.data_type == "n"
                fixed = "0." + "0" * decimals if decimals else "0"
                assert cell.number_format == (fixed if kind == "fixed" else "General")


@pytest.mark.render
def test_libreoffice_reads_the_texts_dates_and_numbers(tmp_path, workbook_bytes):
    """Another spreadsheet program reads the file as written: LibreOffice's CSV of the sheet
    shows every text (a carriage return and a literal ``_x0041_`` included), the dates in their
    format and the numbers with their decimals."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is needed"
    path = tmp_path / "l_x.xlsx"
    path.write_bytes(workbook_bytes)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76",
            "--outdir",
            str(tmp_path),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    text = (tmp_path / "l_x.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["Verbatim term", "Study/day", "Value", "Date", "Count"]
    # LibreOffice gives a carriage return inside a cell as a line feed
    assert [r[0] for r in rows[1:]] == [(e or "").replace("\r", "\n") for _, e in TEXTS]
    assert [r[1] for r in rows[1:]] == [_printed(v) for v in INTS]
    assert [r[2] for r in rows[1:]] == [_printed(v, 2) for v in FLOATS]
    assert [r[3] for r in rows[1:]] == [_printed(v) for v in DATES]
    assert [r[4] for r in rows[1:]] == [_printed(v, 0) for v in INTS]
