"""Hostile text stays inert in every output: HTML markup in the data and in the study file is
escaped, control characters (a vertical tab, a backspace, a NUL from a Parquet file) never make
Word's XML invalid, and formula text in listing files stays text."""

from __future__ import annotations

import csv
import zipfile

import pytest
from lxml import etree

from csrgen.cli import main
from csrgen.writers.text import REPLACEMENT, printable
from tests.broken import tiny_frames, tiny_study

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://x")'


def test_printable_keeps_text_and_replaces_what_xml_cannot_hold():
    assert printable("Grade 3\tsevere\r\nline") == "Grade 3\tsevere\r\nline"
    assert printable("a\x0bb\x0cc") == "a b c"  # Word's manual line break, a form feed
    assert printable("a\x00b\x08c\x1fd\ud800e") == "a" + f"{REPLACEMENT}b{REPLACEMENT}c" + (
        f"{REPLACEMENT}d{REPLACEMENT}e"
    )
    assert printable(SCRIPT) == SCRIPT  # escaping is the writers' job, not this


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    frames = tiny_frames()
    adae = frames["adae"]
    adae.loc[0, "AEDECOD"] = SCRIPT
    adae.loc[1, "AEDECOD"] = IMG
    adae.loc[2, "AEDECOD"] = FORMULA
    adae.loc[3, "AEDECOD"] = "tab\x0bvt\x08bs\x00nul"
    adae["AETERM"] = adae["AEDECOD"] + " (verbatim)"
    adae[["AENDT", "ASTDY", "AENDY", "ADURN"]] = ""  # what the listing shows; blank here
    study = tiny_study(folder, "parquet", frames)
    text = study.read_text(encoding="utf-8")
    text = text.replace('title = "A tiny study"', f'title = "{SCRIPT} \\u000b study"')
    text = text.replace('"A footnote from the study file."', '"\\"><img src=x onerror=1> \\u0007"')
    text += (
        '\n[[outputs]]\nid = "l_ae"\nnumber = "Listing 16.2.7.1"\ntitle = "All AEs"\n'
        'population = "SAF"\n\n[document]\nlisting_max_rows = 2\n'
    )
    study.write_text(text, encoding="utf-8")
    out = folder / "out"
    assert main(["report", str(study), "--draft", "--out", str(out)]) == 0
    return out


def test_html_escapes_markup_from_data_and_study_file(report):
    html = (report / "csr.html").read_text(encoding="utf-8")
    assert SCRIPT not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert not any(c in html for c in "\x00\x07\x08\x0b")


def test_docx_xml_is_well_formed_with_control_characters(report):
    import docx

    with zipfile.ZipFile(report / "csr.docx") as archive:
        for name in archive.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(archive.read(name))  # raises on invalid XML
        body = archive.read("word/document.xml").decode("utf-8")
    assert "tab vt\ufffdbs\ufffdnul" in body
    assert "&lt;script&gt;" in body  # text, not markup
    texts = [p.text for p in docx.Document(str(report / "csr.docx")).paragraphs]
    assert any(t.startswith(SCRIPT) for t in texts)


def test_listing_files_keep_formulas_as_text(report):
    from openpyxl import load_workbook

    with open(report / "l_ae.csv", encoding="utf-8-sig", newline="") as handle:
        cells = [c for row in csv.reader(handle) for c in row]
    assert "'" + FORMULA in cells and FORMULA not in cells
    sheet = load_workbook(report / "l_ae.xlsx")["Listing"]
    stored = [c for row in sheet.iter_rows() for c in row if c.value == FORMULA]
    assert stored and all(c.data_type == "s" for c in stored)
    values = {c.value for row in sheet.iter_rows() for c in row}
    assert "tab vt\ufffdbs\ufffdnul" in values
