"""The Word writer, checked by reopening its file with python-docx and reading the XML."""

from dataclasses import replace

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn

from csrgen.document.model import Cell, Column, Document, Row, Section, Table
from csrgen.resources import PROJECT_TEMPLATES
from csrgen.writers.docx import write_docx
from csrgen.writers.layout import LayoutError
from tests.writers.sample import HOSTILE, LISTING_ROWS, TITLES, sample_document

REFERENCE = PROJECT_TEMPLATES / "reference.docx"


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    path = tmp_path_factory.mktemp("docx") / "csr.docx"
    write_docx(sample_document(), path, REFERENCE)
    return path


@pytest.fixture(scope="module")
def word(written):
    return docx.Document(str(written))


def body_text(word):
    """Paragraphs and table cells (a table's notes are its last row)."""
    cells = [c.text for t in word.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in word.paragraphs] + cells)


def test_headings_are_numbered_with_heading_styles(word):
    headings = [
        (p.style.name, p.text) for p in word.paragraphs if p.style.name.startswith("Heading")
    ]
    assert ("Heading 1", "12 Safety Evaluation") in headings
    assert ("Heading 2", "12.1 Adverse Events") in headings
    assert ("Heading 2", "16.2 Patient Data Listings") in headings
    assert ("Heading 1", "Synopsis") in headings
    toc_heading = [p.text for p in word.paragraphs if p.style.name == "TOC Heading"]
    assert toc_heading == ["Table of Contents"]


def test_header_and_footer_on_every_section(word):
    assert len(word.sections) >= 3  # portrait, landscape figure/listings, ...
    for sec in word.sections:
        header = sec.header.paragraphs[0].text
        assert header == "tiny | Protocol TINY-01\tCONFIDENTIAL | DRAFT | SYNTHETIC DATA"
        footer = sec.footer.paragraphs[0]
        instructions = [t.text.strip() for t in footer._p.iter(qn("w:instrText"))]
        assert instructions == ["PAGE", "NUMPAGES"]
        assert footer.text.startswith("tiny Clinical Study Report | data lock L-1 (2024-01-31)")
        assert "Page 1 of 1" in footer.text  # field results until a reader lays the pages out


def test_contents_and_lists_with_page_references(word):
    """Every entry links to its heading or caption and carries a PAGEREF field, which Word and
    LibreOffice both compute (a TOC field's entries LibreOffice prints as written)."""
    instr = [t.text.strip() for t in word.element.body.iter(qn("w:instrText"))]
    assert not [i for i in instr if i.startswith("TOC")]
    for anchor in ("sec_synopsis", "sec_12", "sec_12_1", "sec_16_2"):
        assert f"PAGEREF {anchor} \\h" in instr
    for output_id in ("t_ae", "t_null", "f_km", "l_ae", "l_big"):
        assert f"PAGEREF {output_id} \\h" in instr
    toc = [p for p in word.paragraphs if p.style.name in ("TOC 1", "TOC 2", "TOC 3")]
    assert [p.text.split("\t")[0] for p in toc][:3] == [
        "Synopsis",
        "List of Tables",
        "List of Figures",
    ]
    assert ("TOC 2", "12.1 Adverse Events") in [(p.style.name, p.text.split("\t")[0]) for p in toc]
    entries = [p.text for p in word.paragraphs if p.style.name == "Table of Figures"]
    assert [e.split("\t")[0] for e in entries] == [
        "Table 14.3.1 Adverse Events by Preferred Term",
        "Table 14.3.2 Deaths",
        "Figure 14.2.1 Kaplan-Meier Plot of Overall Survival",
        "Listing 16.2.7 Adverse Events",
        "Listing 16.2.8 Laboratory Values",
        "Listing 16.2.9 All Laboratory Records",
    ]
    # page numbers at a dotted right tab on the text's edge (A4: 8.27 - 2 inches)
    for p in toc + [p for p in word.paragraphs if p.style.name == "Table of Figures"]:
        tab = p._p.pPr.find(qn("w:tabs")).find(qn("w:tab"))
        assert (tab.get(qn("w:val")), tab.get(qn("w:leader"))) == ("right", "dot")
        assert abs(int(tab.get(qn("w:pos"))) - 6.27 * 1440) < 2  # twips
    settings = word.settings.element
    assert settings.find(qn("w:updateFields")).get(qn("w:val")) == "true"


def test_bookmarks_for_sections_and_outputs(word):
    names = {b.get(qn("w:name")) for b in word.element.body.iter(qn("w:bookmarkStart"))}
    assert {"sec_12", "sec_12_1", "sec_synopsis", "t_ae", "f_km", "l_ae", "l_big", "l_ext"} <= names
    ids = [b.get(qn("w:id")) for b in word.element.body.iter(qn("w:bookmarkStart"))]
    assert len(ids) == len(set(ids))
    links = {h.get(qn("w:anchor")) for h in word.element.body.iter(qn("w:hyperlink"))}
    assert "t_ae" in links and "sec_12_1" in links


def test_every_output_title_and_notes(word):
    captions = [p.text.replace("\u00a0", " ") for p in word.paragraphs if p.style.name == "Caption"]
    for title in TITLES.values():
        assert title in captions
    text = body_text(word)
    assert "Population: Safety population (N=8)" in text
    assert "Subjects are counted once per term." in text
    assert "Source: adae.csv; output t_ae; data lock L-1 (2024-01-31)." in text
    assert "No data to report" in text
    assert (
        "This listing has 123,456 rows; it is provided as l_ext.csv and l_ext.xlsx beside this document."  # noqa: E501
        in text
    )


def table_by_first_header(word, text):
    for table in word.tables:
        if table.rows and table.rows[0].cells[0].text == text:
            return table
    raise AssertionError(text)


def test_table_header_rows_repeat_and_rows_never_split(word):
    table = table_by_first_header(word, "")  # the AE table starts with its spanner row
    rows = table._tbl.findall(qn("w:tr"))
    header = [r for r in rows if r.find(qn("w:trPr")).find(qn("w:tblHeader")) is not None]
    assert len(header) == 2  # spanner row and column labels
    assert all(r.find(qn("w:trPr")).find(qn("w:cantSplit")) is not None for r in rows)
    assert (
        table.rows[0].cells[1].text == "Treatment arm"
        and table.rows[0].cells[2].text == "Treatment arm"
    )
    assert [c.text for c in table.rows[1].cells] == [
        "System organ class\n  Preferred term",
        "Placebo\n(N=4)",
        "Drug\n(N=4)",
        "p-value",
    ]
    hostile = table.rows[4].cells[0].paragraphs[0]
    assert hostile.text == HOSTILE
    assert hostile.paragraph_format.left_indent == 10 * 12700  # one indent level = 10 pt
    assert table.rows[1].cells[1].paragraphs[0].alignment == 1  # centred number columns


def section_of(element):
    """The sectPr that governs a body element: the next section break after it, or the last."""
    node = element.getnext()
    while node is not None:
        ppr = node.find(qn("w:pPr"))
        if ppr is not None and ppr.find(qn("w:sectPr")) is not None:
            return ppr.find(qn("w:sectPr"))
        if node.tag == qn("w:sectPr"):
            return node
        node = node.getnext()
    raise AssertionError("no section")


def test_listings_are_landscape_and_complete(word):
    listings = [t for t in word.tables if t.rows and t.rows[0].cells[0].text == "Subject"]
    assert len(listings) == 2
    assert len(listings[1].rows) == 1 + LISTING_ROWS + 1  # labels, rows, notes
    assert listings[1].rows[5].cells[4].paragraphs[0].alignment == 2  # right-aligned numbers
    for listing in listings:
        size = section_of(listing._tbl).find(qn("w:pgSz"))
        assert int(size.get(qn("w:w"))) > int(size.get(qn("w:h")))  # landscape
        assert size.get(qn("w:orient")) == "landscape"
    first = word.tables[1]  # the synopsis-free sample: title page table, then the AE table
    size = section_of(first._tbl).find(qn("w:pgSz"))
    assert int(size.get(qn("w:w"))) < int(size.get(qn("w:h")))  # the AE table stays portrait


def test_figure_fits_the_landscape_page(word):
    inline = word.inline_shapes[0]
    assert inline._inline.docPr.get("descr") == "Kaplan-Meier curves of overall survival by arm"
    landscape = [s for s in word.sections if s.orientation == WD_ORIENT.LANDSCAPE][0]
    assert inline.width <= landscape.page_width - landscape.left_margin - landscape.right_margin
    assert inline.height <= landscape.page_height - landscape.top_margin - landscape.bottom_margin


def test_placeholder_style_and_one_font_family(written, word):
    placeholders = [p.text for p in word.paragraphs if p.style.name == "Placeholder"]
    assert placeholders == ["[Medical writer: summarise.]"]
    fonts = set()
    for node in word.styles.element.iter(qn("w:rFonts")):
        fonts.update(
            v
            for k, v in node.attrib.items()
            if not k.endswith("Theme") and not k.endswith("cstheme")
        )
    assert fonts == {"Arial"}


def test_same_document_same_bytes(written, tmp_path):
    again = tmp_path / "again.docx"
    write_docx(sample_document(), again, REFERENCE)
    assert again.read_bytes() == written.read_bytes()


def test_reference_docx_is_reproducible(tmp_path):
    import runpy

    tool = runpy.run_path(str(PROJECT_TEMPLATES.parent / "tools" / "make_reference_docx.py"))
    out = tool["build"](tmp_path / "reference.docx")
    assert out.read_bytes() == REFERENCE.read_bytes(), "run tools/make_reference_docx.py and commit"


def test_notes_are_the_tables_last_row_ruled_above(word):
    """In the table, so that LibreOffice keeps them with its last rows on any page."""
    table = table_by_first_header(word, "")
    tbl = table._tbl
    last = tbl.findall(qn("w:tr"))[-1]
    cells = last.findall(qn("w:tc"))
    assert len(cells) == 1
    assert cells[0].find(qn("w:tcPr")).find(qn("w:gridSpan")).get(qn("w:val")) == "4"
    top = cells[0].find(qn("w:tcPr")).find(qn("w:tcBorders")).find(qn("w:top"))
    assert top.get(qn("w:val")) == "single"
    texts = [p.text for p in table.rows[-1].cells[0].paragraphs]
    assert texts == [
        "Subjects are counted once per term.",
        "PT = preferred term.",
        "Source: adae.csv; output t_ae; data lock L-1 (2024-01-31).",
    ]
    borders = tbl.tblPr.find(qn("w:tblBorders"))
    assert borders.find(qn("w:top")) is not None and borders.find(qn("w:bottom")) is None


def test_a_short_table_is_kept_whole_with_its_notes(word):
    table = table_by_first_header(word, "")
    body = table._tbl.findall(qn("w:tr"))[2:-1]  # spanners and labels, rows, notes
    assert len(body) == 4
    for row in body:
        for p in row.iter(qn("w:p")):
            assert p.find(qn("w:pPr")).find(qn("w:keepNext")) is not None


def crowded(n_arms: int, stub: str) -> Document:
    columns = (Column("", align="left", width=2.5),) + tuple(
        Column(f"Dose {i}\n(N=84)") for i in range(n_arms)
    )
    row = Row((Cell(stub),) + tuple(Cell("-11.0 (-16.0, -6.0)") for _ in range(n_arms)))
    t = Table(
        id="t_wide",
        number="Table 14.2.9",
        title="Crowded",
        population="",
        columns=columns,
        rows=(row,),
    )
    doc = sample_document(listing_rows=3)
    return replace(doc, sections=(Section("14", "Tables", "sec-14", (t,)),))


def written_table(doc, tmp_path):
    path = tmp_path / "crowded.docx"
    write_docx(doc, path, REFERENCE)
    word = docx.Document(str(path))
    return word, next(t for t in word.tables if t.rows[0].cells[-1].text.startswith("Dose"))


def test_a_line_that_wraps_gets_non_breaking_hyphens(tmp_path):
    stub = "Log-rank test stratified by Child-Pugh class at randomisation"
    word, table = written_table(crowded(4, stub), tmp_path)
    stub_run = table.rows[1].cells[0].paragraphs[0].runs[0]._r
    assert len(stub_run.findall(qn("w:noBreakHyphen"))) == 2  # it wraps: no break after "-"
    assert "-" not in "".join(t.text for t in stub_run.findall(qn("w:t")))
    assert table.rows[1].cells[0].text == stub  # read back (and copied) with its hyphens
    value = table.rows[1].cells[1].paragraphs[0].runs[0]._r
    assert value.findall(qn("w:noBreakHyphen")) == []  # it fits: plain text, searchable


def test_a_table_too_wide_for_landscape_gets_smaller_type(tmp_path):
    word, table = written_table(crowded(10, "Difference"), tmp_path)
    size = section_of(table._tbl).find(qn("w:pgSz"))
    assert size.get(qn("w:orient")) == "landscape"
    sizes = {s.get(qn("w:val")) for s in table._tbl.iter(qn("w:sz"))}
    assert sizes == {"14"}  # 7 pt: 8 pt does not fit ten CIs and a stub on 9.69 inches
    margin = table._tbl.tblPr.find(qn("w:tblCellMar")).find(qn("w:left"))
    assert margin.get(qn("w:w")) == "30"  # 1.5 pt


def test_a_table_that_cannot_fit_stops_the_writer(tmp_path):
    with pytest.raises(LayoutError, match=r"^Table 14\.2\.9 Crowded: 15 columns need"):
        write_docx(crowded(14, "Difference"), tmp_path / "x.docx", REFERENCE)
