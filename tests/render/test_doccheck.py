"""Each check of the rendered document fails on a document broken on purpose and passes on a
good one. The PDF checks read what LibreOffice prints from the DOCX writer's file; the broken
DOCX comes from the same writer with its layout undone (a column narrower than its numbers, rows
no longer kept together) or with the table of contents as a TOC field, as the writer once made
them."""

from __future__ import annotations

import re
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from csrgen.document.model import Cell, Column, Paragraph, Row, Run, Section, Table
from csrgen.resources import PROJECT_TEMPLATES, template_dirs
from csrgen.writers import layout
from csrgen.writers.docx import write_docx
from csrgen.writers.html import write_html
from tests.render import doccheck as dc
from tests.render import samples
from tests.render.pdftext import pdf_lines, soffice_pdf

REFERENCE = PROJECT_TEMPLATES / "reference.docx"


def render(doc, folder: Path, name: str, after=None):
    docx = folder / f"{name}.docx"
    write_docx(doc, docx, REFERENCE)
    if after:
        after(docx)
    return pdf_lines(soffice_pdf(docx, folder / name))


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    doc = samples.checked_document()
    return doc, render(doc, tmp_path_factory.mktemp("good"), "good")


def narrow(block, page):
    """The layout the writer once made: the lab table's arm columns narrower than their
    numbers and header words, the difference column narrower than its CI."""
    plan = REAL_PLAN(block, page)
    if block.id != "t_lab":
        return plan
    widths = list(plan.widths)
    widths[1] = 30.0  # "Placebo" (bold) is 34 pt, "140.3 (2.74)" 51 pt
    widths[3] = 60.0  # "-11.0 (-16.0, -6.0)" is 76 pt
    return layout.Layout(plan.landscape, plan.scale, tuple(widths), plan.whole)


REAL_PLAN = layout.plan


def toc_field(docx: Path) -> None:
    """Wrap the contents entries in a TOC field, as the writer once did (LibreOffice then
    prints the entries as they are written, without page numbers)."""
    with zipfile.ZipFile(docx) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts["word/document.xml"].decode()
    entries = [m for m in re.finditer(r'<w:p><w:pPr><w:pStyle w:val="TOC[123]"/>', xml)]
    begin = (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve">'
        ' TOC \\o "1-3" \\h \\z \\u </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/>'
        "</w:r>"
    )
    last_end = xml.index("</w:p>", entries[-1].start())
    xml = xml[:last_end] + '<w:r><w:fldChar w:fldCharType="end"/></w:r>' + xml[last_end:]
    first_ppr = xml.index("</w:pPr>", entries[0].start()) + len("</w:pPr>")
    xml = xml[:first_ppr] + begin + xml[first_ppr:]
    parts["word/document.xml"] = xml.encode()
    with zipfile.ZipFile(docx, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    doc = samples.checked_document()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(layout, "plan", narrow)
        mp.setattr(layout, "keep_with_next", lambda block, whole: [False] * len(block.rows))
        lines = render(doc, tmp_path_factory.mktemp("broken"), "broken", after=toc_field)
    return doc, lines


# -- broken words ----------------------------------------------------------------------------------
@pytest.mark.render
def test_broken_word_found_in_a_too_narrow_column(broken):
    found = dc.check_broken_words(*broken)
    pieces = {p for f in found for p in re.findall(r"'([^']*)'", f.message.split(" in ")[0])}
    assert all(f.where.startswith("Table 14.2.1") for f in found)
    assert {"Place", "bo"} <= pieces  # the header "Placebo" split
    assert {"(N=8", "6)"} <= pieces  # and "(N=86)"


@pytest.mark.render
def test_no_broken_word_in_the_writers_layout(good):
    assert dc.check_broken_words(*good) == []


# -- statistics beside their labels ----------------------------------------------------------------
@pytest.mark.render
def test_wrapped_stacked_cell_puts_values_beside_the_wrong_label(broken):
    found = dc.check_row_labels(*broken)
    assert found and all(f.check == "wrong_label" for f in found)
    # "140.3 (2.74)" wraps in the narrow Placebo column: "(2.74)" moves down to Median's line
    medians = [f for f in found if "'Median | 140.0" in f.message]
    assert medians and "(2.74)" in medians[0].message


@pytest.mark.render
def test_a_shifted_row_is_beside_the_wrong_label(good):
    """The printed page checked against a model whose rows are one line off: every value sits
    beside the label above its own."""
    doc, lines = good
    table = samples.lab_table()
    rows = list(table.rows)
    stub, *values = rows[3].cells
    shifted = "\n".join(stub.text.split("\n")[1:] + ["n"])
    rows[3] = Row((Cell(shifted, indent=1), *values))
    model = samples.checked_document()
    model = _replace_table(model, replace(table, rows=tuple(rows)))
    found = dc.check_row_labels(model, lines)
    assert {f.where for f in found} == {"Table 14.2.1 Albumin by Visit, row 4"} | {
        f"Table 14.2.1 Albumin by Visit, row 4 line {k}" for k in range(2, 6)
    }


@pytest.mark.render
def test_every_row_beside_its_label_in_the_writers_layout(good):
    assert dc.check_row_labels(*good) == []


def _replace_table(doc, table):
    def swap(blocks):
        out = []
        for b in blocks:
            if isinstance(b, Section):
                out.append(Section(b.number, b.title, b.anchor, swap(b.blocks)))
            elif getattr(b, "id", None) == table.id:
                out.append(table)
            else:
                out.append(b)
        return tuple(out)

    return replace(doc, sections=swap(doc.sections))


# -- kept together ---------------------------------------------------------------------------------
@pytest.mark.render
def test_torn_tables_found_when_rows_are_not_kept(broken):
    found = dc.check_kept_together(*broken)
    kinds = {re.sub(r"\d+", "#", f.message) for f in found}
    assert "starts with one row at the foot of #" in kinds
    assert "notes start page #, last row on #" in kinds


@pytest.mark.render
def test_tables_kept_together_by_the_writer(good):
    assert dc.check_kept_together(*good) == []


# -- contents --------------------------------------------------------------------------------------
@pytest.mark.render
def test_contents_without_page_numbers_found(broken):
    found = dc.check_contents_pages(*broken)
    headings = {f.where for f in found if f.message == "no entry with a page number"}
    assert {"11 Efficacy Evaluation", "14.2 Efficacy Data", "16 Appendices"} <= headings
    assert not [f for f in found if f.where.startswith("Table 14")]  # its lists are fine


@pytest.mark.render
def test_contents_and_lists_end_in_the_right_page(good):
    doc, lines = good
    assert dc.check_contents_pages(doc, lines) == []
    # the same lines with page 3 printed as page 4: its caption and heading move a page
    moved = [line if line.page != 3 else type(line)(4, line.bottom, line.words) for line in lines]
    found = dc.check_contents_pages(doc, moved)
    assert {"Table 14.2.1 Albumin by Visit", "14.2 Efficacy Data"} <= {f.where for f in found}


# -- narrative numbers -----------------------------------------------------------------------------
def test_narrative_number_that_differs_from_its_table():
    doc = samples.checked_document(samples.narrative(quote="3.9 (2.7, 5.1)"), n_probes=0)
    found = dc.check_narrative_numbers(doc)
    assert len(found) == 1
    assert found[0].message == "3.9, 2.7, 5.1 not printed in Table 14.2.1"


def test_narrative_cited_by_link_only():
    linked = Paragraph(
        (Run("Albumin ("), Run("see there", link="#t_lab"), Run("): 3.91 (2.73, 5.07)."))
    )
    doc = samples.checked_document((linked,), n_probes=0)
    assert [f.message for f in dc.check_narrative_numbers(doc)] == [
        "3.91 not printed in Table 14.2.1"
    ]


def test_narrative_numbers_equal_to_their_table():
    assert dc.check_narrative_numbers(samples.checked_document(n_probes=0)) == []


def test_numbers_leave_out_output_numbers_and_integers():
    text = "In Table 14.2.5.1, 12 of 86 (14.0%): 3.90 (2.73, 5.07), p<0.001 and p=0.023."
    assert dc.numbers(text) == ["14.0", "3.90", "2.73", "5.07", "<0.001", "0.023"]
    assert dc.numbers("listed in Appendix 16.2 and Section 9.7; Figure 14.2 shows 2.5") == ["2.5"]


# -- links -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dangling(tmp_path_factory):
    folder = tmp_path_factory.mktemp("links")
    doc = samples.checked_document(samples.narrative(link="#t_lab_summary"), n_probes=0)
    write_docx(doc, folder / "csr.docx", REFERENCE)
    write_html(doc, folder / "csr.html", template_dirs())
    return folder


def test_dangling_links_found(dangling):
    assert [f.message for f in dc.check_docx_links(dangling / "csr.docx")] == [
        "link to bookmark 't_lab_summary', which does not exist"
    ]
    assert [f.message for f in dc.check_html_links(dangling / "csr.html")] == [
        "'#t_lab_summary' lands on no id"
    ]


def test_every_link_lands(tmp_path):
    doc = samples.checked_document(n_probes=0)
    write_docx(doc, tmp_path / "csr.docx", REFERENCE)
    write_html(doc, tmp_path / "csr.html", template_dirs())
    assert dc.check_docx_links(tmp_path / "csr.docx") == []
    assert dc.check_html_links(tmp_path / "csr.html") == []


def test_filter_links_land_on_their_listing():
    page = '<p id="l_ae"></p><a href="#l_ae?q=APPLICATION%20SITE%20ERYTHEMA">n</a>'
    assert dc.check_html_links(page) == []
    assert [f.message for f in dc.check_html_links(page + '<a href="#l_sae?q=X">n</a>')] == [
        "'#l_sae?q=X' lands on no id"
    ]


# -- variable names --------------------------------------------------------------------------------
VARIABLES = {
    "ITTFL": "Intent-To-Treat Population Flag",
    "DCTREAS": "Reason for Discontinuation of Treatment",
    "AEDECOD": "Dictionary-Derived Term",
    "AGE": "Age",
    "SEX": "",
}


def population_table(labels, header="Population") -> Table:
    return Table(
        id="t_pop",
        number="Table 14.1.1",
        title="Populations",
        population="",
        columns=(Column(header, align="left"), Column("Placebo")),
        rows=tuple(Row((Cell(label), Cell("86"))) for label in labels),
    )


def with_table(table):
    doc = samples.checked_document(n_probes=0)
    return replace(doc, sections=(*doc.sections, Section("15", "More", "sec-15", (table,))))


def test_variable_names_as_labels_found():
    doc = with_table(population_table(["Ittfl", "Dctreas NE", "Age (years)"], header="AEDECOD"))
    found = dc.check_variable_names(doc, VARIABLES)
    assert [f.message for f in found] == [
        "'AEDECOD' shows variable name(s) AEDECOD",
        "'Ittfl' shows variable name(s) Ittfl",
        "'Dctreas NE' shows variable name(s) Dctreas",
    ]


def test_words_that_are_also_variable_names_pass():
    """ "Age" is AGE's label; "sex" (SEX has no label here) is a word of the narrative."""
    labels = ["Intent-to-treat population", "Age (years)", "Sex, n (%)"]
    doc = with_table(population_table(labels))
    doc = _add_paragraph(doc, "Patients by sex and age.")
    assert dc.check_variable_names(doc, VARIABLES) == []


def _add_paragraph(doc, text):
    words = Section("17", "Words", "sec-17", (Paragraph.of(text),))
    return replace(doc, sections=(*doc.sections, words))
