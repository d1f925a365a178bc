"""Long listings as CSV/XLSX beside the documents: written by ``csrgen report``, listed in the
manifest, the same bytes on a rerun, the same content as the listing; DOCX and HTML show the
reference to the files (a printed listing's HTML rows carry their anchors); no XLSX above
``document.listing_xlsx_max_rows``; an external listing's column data survives pickling."""

import csv
import datetime as dt
import io
import json
import pickle
import zipfile

import docx
import numpy as np
import openpyxl
import pandas as pd
import pydantic
import pytest
from openpyxl.utils.escape import unescape

from csrgen.cli import main
from csrgen.config import DocumentSettings
from csrgen.document.model import Cell, Column, Listing, Row, TextColumn, iter_blocks
from csrgen.outputs.listing_common import ListingColumn, column_text
from csrgen.writers.listings import header_text, listing_csv, listing_xlsx, write_listing_files
from tests.studies import tiny_adsl, write_tiny_study

TINY_AE = """
[[outputs]]
id = "l_ae"
number = "Listing 16.2.7.1"
title = "All Adverse Events"
population = "SAF"

[[outputs]]
id = "l_sae"
number = "Listing 16.2.7.2"
title = "Serious Adverse Events"
population = "SAF"
"""


def _document(**settings) -> str:
    return "\n[document]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items())


def tiny_adae() -> pd.DataFrame:
    """Five events of four safety subjects, one of T-08 (not in the safety population)."""
    return pd.DataFrame(
        {
            "STUDYID": ["TINY"] * 6,
            "USUBJID": ["T-03", "T-01", "T-01", "T-02", "T-08", "T-04"],
            "AETERM": ["Headache", "rash, itchy", 'said "dizzy"', "Nausea", "Fever", "Fall"],
            "AEBODSYS": ["NERV", "SKIN", "NERV", "GI", "GEN", "INJ"],
            "AEDECOD": ["Headache", "Rash", "Dizziness", "Nausea", "Pyrexia", "Fall"],
            "AESEV": ["MILD", "MODERATE", "MILD", "SEVERE", "MILD", "MILD"],
            "AESER": ["N", "N", "N", "Y", "N", "N"],
            "AEREL": ["RELATED", "NOT RELATED", "RELATED", "NOT RELATED", "RELATED", ""],
            "AEACN": ["NOT APPLICABLE"] * 6,
            "AEOUT": ["RECOVERED/RESOLVED"] * 5 + ["NOT RECOVERED/NOT RESOLVED"],
            "ASTDT": ["2020-01-05", "2020-01-09", "2020-01-03", "2020-01-02", "2020-01-02", ""],
            "AENDT": ["2020-01-06", "2020-01-10", "2020-01-03", "2020-01-04", "2020-01-02", ""],
            "ASTDY": ["5", "9", "3", "2", "2", ""],
            "AENDY": ["6", "10", "3", "4", "2", ""],
            "ADURN": ["2", "2", "1", "3", "1", ""],
            "TRTEMFL": ["Y"] * 5 + [""],
        }
    )


def run_tiny(folder, runs=("one",), **limits):
    """Report the tiny AE study with the given ``[document]`` limits; the output folders."""
    study = write_tiny_study(
        folder, {"adsl": tiny_adsl(), "adae": tiny_adae()}, extra=TINY_AE + _document(**limits)
    )
    outs = []
    for name in runs:
        out = folder / name
        assert main(["report", str(study), "--out", str(out)]) == 0
        outs.append(out)
    return outs


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    # l_ae has 5 rows: over the limit of 3
    return run_tiny(
        tmp_path_factory.mktemp("tiny"),
        ("one", "two"),
        listing_max_rows=3,
        html_listing_max_rows=3,
    )


def test_files_beside_the_documents_and_in_the_manifest(reports):
    out = reports[0]
    names = sorted(p.name for p in out.iterdir())
    # l_ae has 5 rows (over the limit of 3); l_sae has 1 row: no files for it.
    assert names == [
        "ard.csv",
        "csr.docx",
        "csr.html",
        "l_ae.csv",
        "l_ae.xlsx",
        "manifest.json",
        "snapshot.json.gz",
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"l_ae.csv", "l_ae.xlsx"} <= set(manifest["outputs"])


def test_rerun_gives_the_same_bytes(reports):
    one, two = reports
    for name in ("l_ae.csv", "l_ae.xlsx", "csr.docx", "csr.html", "ard.csv", "manifest.json"):
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_csv_and_xlsx_hold_the_listing_sorted(reports):
    out = reports[0]
    text = (out / "l_ae.csv").read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["Subject", "Treatment", "Age/Sex", "Verbatim term"]
    # Safety population only (T-08 is not), arm order Placebo then Drug, subject, start date;
    # the event without a start date last within its subject.
    assert [(r[0], r[3]) for r in rows[1:]] == [
        ("T-02", "Nausea"),
        ("T-04", "Fall"),
        ("T-01", 'said "dizzy"'),
        ("T-01", "rash, itchy"),
        ("T-03", "Headache"),
    ]
    book = openpyxl.load_workbook(out / "l_ae.xlsx")
    sheet = [
        [c if c is not None else "" for c in r] for r in book["Listing"].iter_rows(values_only=True)
    ]
    # the same cells; a number column's cells are numbers (the CSV prints them)
    duration = rows[0].index("Duration (days)")
    assert [r[:duration] + r[duration + 1 :] for r in sheet] == [
        r[:duration] + r[duration + 1 :] for r in rows
    ]
    assert [r[duration] for r in sheet[1:]] == [3, "", 1, 2, 2]
    about = [r[0] for r in book["About"].iter_rows(values_only=True)]
    assert about[:2] == ["Listing 16.2.7.1", "All Adverse Events"]
    assert book.properties.created == dt.datetime(2024, 1, 31)  # the lock date, not the run


def test_docx_and_html_refer_to_the_files(reports):
    out = reports[0]
    text = "\n".join(p.text for p in docx.Document(str(out / "csr.docx")).paragraphs)
    assert "This listing has 5 rows; it is provided as l_ae.csv and l_ae.xlsx" in text
    html = (out / "csr.html").read_text()
    block = html[html.index('<div class="output listing" id="l_ae">') :]
    block = block[: block.index("</div>\n</div>")]
    assert "This listing has 5 rows; it is provided as" in block
    assert '<a href="l_ae.csv">l_ae.csv</a> and <a href="l_ae.xlsx">l_ae.xlsx</a>' in block
    assert "<table" not in block and "Headache" not in block  # the rows are in the files only
    assert 'id="l_ae-' not in html


def test_printed_listing_rows_keep_their_html_anchors(tmp_path):
    (out,) = run_tiny(tmp_path, listing_max_rows=10)
    assert not (out / "l_ae.csv").exists()
    html = (out / "csr.html").read_text()
    assert 'id="l_ae-T-01-1"' in html and 'id="l_ae-T-01-2"' in html
    assert html.count('id="l_ae-') == 5


def test_html_keeps_the_rows_of_a_listing_the_docx_refers_to(tmp_path):
    """Between listing_max_rows and html_listing_max_rows: files written, the DOCX refers to
    them, the HTML shows the rows (with their anchors) and names the files beneath."""
    (out,) = run_tiny(tmp_path, listing_max_rows=3, html_listing_max_rows=5)
    assert (out / "l_ae.csv").exists() and (out / "l_ae.xlsx").exists()
    text = "\n".join(p.text for p in docx.Document(str(out / "csr.docx")).paragraphs)
    assert "This listing has 5 rows; it is provided as l_ae.csv and l_ae.xlsx" in text
    html = (out / "csr.html").read_text()
    block = html[html.index('<div class="output listing" id="l_ae">') :]
    block = block[: block.index("</div>\n</div>")]
    assert "<table" in block and "Headache" in block and block.count('id="l_ae-') == 5
    assert "All 5 rows are also provided as" in block
    assert '<a href="l_ae.csv">l_ae.csv</a> and <a href="l_ae.xlsx">l_ae.xlsx</a>' in block
    assert "This listing has 5 rows" not in block


def test_no_xlsx_above_its_limit(tmp_path):
    (out,) = run_tiny(
        tmp_path, listing_max_rows=3, listing_xlsx_max_rows=4, html_listing_max_rows=3
    )
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("l_")) == ["l_ae.csv"]
    assert set(json.loads((out / "manifest.json").read_text())["outputs"]) >= {"l_ae.csv"}
    text = "\n".join(p.text for p in docx.Document(str(out / "csr.docx")).paragraphs)
    assert "This listing has 5 rows; it is provided as l_ae.csv beside this document." in text
    html = (out / "csr.html").read_text()
    assert '<a href="l_ae.csv">l_ae.csv</a> beside this document.' in html
    assert "l_ae.xlsx" not in html
    assert (out / "l_ae.csv").read_bytes().count(b"\r\n") == 6  # header and the 5 rows


def test_xlsx_limit_is_excels_sheet_limit():
    assert DocumentSettings().listing_xlsx_max_rows == 50_000
    assert DocumentSettings(listing_xlsx_max_rows=1_048_575).listing_xlsx_max_rows == 1_048_575
    with pytest.raises(pydantic.ValidationError, match="less than or equal to 1048575"):
        DocumentSettings(listing_xlsx_max_rows=1_048_576)


def test_short_listing_is_printed_in_the_docx(reports):
    doc = docx.Document(str(reports[0] / "csr.docx"))
    sae = [t for t in doc.tables if any("Nausea" in c.text for r in t.rows for c in r.cells)]
    assert sae, "the one-row SAE listing is a table in the DOCX"
    header = sae[-1].rows[0]
    assert (
        header._tr.trPr.find(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblHeader"
        )
        is not None
    )


def _listing(rows):
    return Listing(
        id="l_x",
        number="Listing 16.2.9",
        title="X",
        population="Population: P (N=2)",
        columns=(Column("Age/\nSex"), Column("Start\nday")),
        rows=tuple(Row((Cell(a), Cell(b))) for a, b in rows),
        external=("l_x.csv", "l_x.xlsx"),
        total_rows=len(rows),
    )


def test_header_text_joins_label_lines():
    assert header_text("Age/\nSex") == "Age/Sex"
    assert header_text("Start\nday") == "Start day"


def test_csv_quotes_and_bom():
    data = listing_csv(_listing([("a,b", 'x"y'), ("line\nbreak", "")]))
    assert data.startswith("\ufeff".encode())
    assert data.decode("utf-8-sig") == ('Age/Sex,Start day\r\n"a,b","x""y"\r\n"line\nbreak",\r\n')


def test_xlsx_bytes_depend_only_on_the_listing_and_stamp():
    first = listing_xlsx(_listing([("1", "2")]), dt.datetime(2021, 5, 1))
    again = listing_xlsx(_listing([("1", "2")]), dt.datetime(2021, 5, 1))
    assert first == again
    members = zipfile.ZipFile(io.BytesIO(first)).infolist()
    assert {m.date_time for m in members} == {(1980, 1, 1, 0, 0, 0)}
    core = zipfile.ZipFile(io.BytesIO(first)).read("docProps/core.xml").decode()
    assert "2021-05-01T00:00:00Z" in core


def _external(rows) -> Listing:
    """``_listing(rows)`` as a long listing holds it: column data, no rows of cells."""
    printed = _listing(rows)
    return Listing(
        id=printed.id,
        number=printed.number,
        title=printed.title,
        population=printed.population,
        columns=printed.columns,
        rows=(),
        external=printed.external,
        total_rows=len(rows),
        data=printed.text_columns(),
    )


ROWS = [("a,b", 'x"y'), ("line\nbreak", ""), ("a,b", ""), ("12", 'x"y')]


def test_column_data_and_rows_give_the_same_files():
    printed, external = _listing(ROWS), _external(ROWS)
    assert not external.rows and len(external.data) == 2
    assert listing_csv(external) == listing_csv(printed)
    stamp = dt.datetime(2021, 5, 1)
    assert listing_xlsx(external, stamp) == listing_xlsx(printed, stamp)


def test_csv_is_streamed_to_the_file_with_the_same_bytes(tmp_path):
    (path, xlsx) = write_listing_files(_external(ROWS), tmp_path)
    assert path.read_bytes() == listing_csv(_listing(ROWS))
    assert xlsx.name == "l_x.xlsx"


def test_external_listing_survives_pickling():
    # outputs run in forked workers: the listing comes back to the parent pickled
    listing = _external(ROWS)
    again = pickle.loads(pickle.dumps(listing))
    assert [c.texts().tolist() for c in again.text_columns()] == [
        list(col) for col in zip(*ROWS, strict=True)
    ]
    assert again.columns == listing.columns and again.total_rows == 4
    assert listing_csv(again) == listing_csv(listing)


def test_text_column_codes_are_small_and_checked():
    column = TextColumn.of(["b", "a", "b", "b"])
    assert column.labels == ("b", "a") and column.codes.dtype == np.uint8
    assert column.texts(1, 3).tolist() == ["a", "b"]
    with pytest.raises(ValueError, match="data columns"):
        Listing(
            id="l_x",
            number="Listing 16.2.9",
            title="X",
            population="",
            columns=(Column("A"),),
            rows=(),
            total_rows=3,
            data=(column,),
        )


def _cells(path, sheet="Listing"):
    return list(openpyxl.load_workbook(path)[sheet].iter_rows(min_row=2))


def test_xlsx_cells_are_typed_and_soc_pt_have_columns_of_their_own(tmp_path):
    """Numbers as numbers, text as text, SOC and PT each in its column: against the source."""
    (out,) = run_tiny(tmp_path, listing_max_rows=3)
    header = [c.value for c in next(openpyxl.load_workbook(out / "l_ae.xlsx")["Listing"].rows)]
    rows = _cells(out / "l_ae.xlsx")
    col = {name: header.index(name) for name in header}
    source = tiny_adae().set_index("AETERM")
    for row in rows:
        term = row[col["Verbatim term"]].value
        record = source.loc[term]
        assert row[col["System organ class"]].value == record.AEBODSYS
        assert row[col["Preferred term"]].value == record.AEDECOD
        assert row[col["System organ class"]].data_type == "s"
        duration = row[col["Duration (days)"]]
        if record.ADURN:
            assert duration.data_type == "n" and duration.value == int(record.ADURN)
        else:
            assert duration.value is None
        # a column of two variables ("34/M") is text
        assert row[col["Age/Sex"]].data_type == "s"


DEATHS_TOML = """
[[outputs]]
id = "l_deaths"
number = "Listing 16.2.7.3"
title = "Deaths"
population = "SAF"
"""


def test_xlsx_dates_are_dates(tmp_path):
    adsl = tiny_adsl().assign(
        DTHFL=["Y", "", "Y", "", "", "", "", ""],
        DTHDT=["2020-03-04", "", "2020-07-01", "", "", "", "", ""],
        DTHCAUS=["Sepsis", "", "=cmd|' /C calc'!A0", "", "", "", "", ""],
    )
    study = write_tiny_study(
        tmp_path, {"adsl": adsl}, extra=DEATHS_TOML + _document(listing_max_rows=1)
    )
    assert main(["report", str(study), "--out", str(tmp_path / "out")]) == 0
    path = tmp_path / "out" / "l_deaths.xlsx"
    header = [c.value for c in next(openpyxl.load_workbook(path)["Listing"].rows)]
    rows = _cells(path)
    start, death = header.index("Treatment start"), header.index("Date of death")
    assert [r[0].value for r in rows] == ["T-01", "T-03"]
    for row, day in zip(rows, ("2020-03-04", "2020-07-01"), strict=True):
        assert row[death].is_date and row[death].value == dt.datetime.fromisoformat(day)
        assert row[death].number_format == "yyyy-mm-dd"
        assert row[start].is_date and row[start].value == dt.datetime(2020, 1, 1)
    # a cause that reads as a formula stays the text it is
    cause = rows[1][header.index("Cause of death")]
    assert cause.data_type == "s" and cause.value == "=cmd|' /C calc'!A0"
    # study day of death: a number (day 64 = 2020-03-04 - 2020-01-01 + 1)
    assert rows[0][header.index("Study day of death")].value == 64


HOSTILE_TEXTS = ["=1+2", "+1", "-2", "@SUM(A1)", "\tx", "\ry", "plain", "-"]


def _hostile() -> Listing:
    """Texts a spreadsheet would run as formulas, beside numbers (a negative one too)."""
    texts = TextColumn.of(HOSTILE_TEXTS)
    numbers = TextColumn(
        tuple(str(v) for v in (-3, 2.5, 0, -0.25, 7, 1, 2, 3)),
        np.arange(8, dtype=np.uint8),
        (-3, 2.5, 0, -0.25, 7, 1, 2, 3),
    )
    return Listing(
        id="l_h",
        number="Listing 16.2.9",
        title="=HYPERLINK(x)",
        population="",
        columns=(Column("-Term"), Column("Value")),
        rows=(),
        external=("l_h.csv", "l_h.xlsx"),
        total_rows=8,
        data=(texts, numbers),
    )


def test_formula_like_text_stays_text_and_numbers_stay_numbers(tmp_path):
    csv_path, xlsx_path = write_listing_files(_hostile(), tmp_path)
    with csv_path.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream))
    # OWASP: a single quote before text that begins with = + - @ tab or CR; numbers untouched
    assert rows[0] == ["'-Term", "Value"]
    assert [r[0] for r in rows[1:]] == [
        "'=1+2",
        "'+1",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\ry",
        "plain",
        "'-",
    ]
    assert [r[1] for r in rows[1:]] == ["-3", "2.5", "0", "-0.25", "7", "1", "2", "3"]
    book = openpyxl.load_workbook(xlsx_path)
    cells = list(book["Listing"].iter_rows(min_row=2))
    # a carriage return is stored as Excel escapes it (_x000D_, ECMA-376 ST_Xstring), which
    # Excel and LibreOffice read back and openpyxl leaves to its unescape
    assert [(unescape(c[0].value), c[0].data_type) for c in cells] == [
        (t, "s") for t in HOSTILE_TEXTS
    ]
    assert [(c[1].value, c[1].data_type) for c in cells] == [
        (v, "n") for v in (-3, 2.5, 0, -0.25, 7, 1, 2, 3)
    ]
    assert book["Listing"]["A1"].data_type == "s"
    about = next(book["About"].iter_rows(min_row=2))[0]
    assert (about.value, about.data_type) == ("=HYPERLINK(x)", "s")
    raw = zipfile.ZipFile(xlsx_path).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in raw  # no formula anywhere


def test_fixed_decimals_are_numbers_with_that_format(tmp_path):
    frame = pd.DataFrame({"V": [2.675, -1.0, np.nan]})
    column = column_text(frame, ListingColumn(label="V", vars=["V"], decimals=2))
    assert column.labels == ("2.68", "-1.00", "") and column.values == (2.68, -1, None)
    listing = Listing(
        id="l_d",
        number="Listing 16.2.9",
        title="D",
        population="",
        columns=(Column("V"),),
        rows=(),
        external=("l_d.xlsx",),
        total_rows=3,
        data=(column,),
    )
    (path,) = write_listing_files(listing, tmp_path)
    cells = [r[0] for r in openpyxl.load_workbook(path)["Listing"].iter_rows(min_row=2)]
    # the blank is no cell at all (a last row of blanks is not even written)
    assert [c.value for c in cells] + [None] * (3 - len(cells)) == [2.68, -1, None]
    assert [c.number_format for c in cells[:2]] == ["0.00", "0.00"]


@pytest.mark.e2e
def test_pilot_ae_listing_xlsx_against_adae(tmp_path):
    """The pilot's AE listing as written beside its CSR: SOC, PT and duration in their own
    typed columns, record for record the safety population's ADAE records."""
    from tests.shipped import shipped_document
    from tests.studies import PILOT_DATA

    (listing,) = [
        b for b in iter_blocks(shipped_document("pilot").sections) if getattr(b, "id", "") == "l_ae"
    ]
    path = next(p for p in write_listing_files(listing, tmp_path) if p.suffix == ".xlsx")
    sheet = openpyxl.load_workbook(path)["Listing"]
    header = [c.value for c in next(sheet.rows)]
    at = {name: header.index(name) for name in ("Subject", "System organ class", "Preferred term")}
    duration = header.index("Duration (days)")
    got = []
    for row in sheet.iter_rows(min_row=2):
        assert all(row[i].data_type == "s" for i in at.values())
        assert row[duration].value is None or row[duration].data_type == "n"
        value = row[duration].value
        got.append(
            tuple(row[i].value for i in at.values()) + (None if value is None else float(value),)
        )
    adsl = pd.read_sas(PILOT_DATA / "adsl.xpt", encoding="latin-1")
    adae = pd.read_sas(PILOT_DATA / "adae.xpt", encoding="latin-1")
    adae = adae[adae.USUBJID.isin(adsl.loc[adsl.SAFFL == "Y", "USUBJID"])]
    expected = [
        (u, s, p, None if pd.isna(d) else float(d))
        for u, s, p, d in zip(adae.USUBJID, adae.AEBODSYS, adae.AEDECOD, adae.ADURN, strict=True)
    ]
    assert sorted(got, key=repr) == sorted(expected, key=repr)
    assert len(got) == 1191
