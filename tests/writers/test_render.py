"""Real renderers: the DOCX through LibreOffice (headless) to PDF, read back with poppler's
pdftotext; the HTML in headless Chromium through the DevTools protocol."""

import io
import json
import re
import subprocess

import pytest

from csrgen.resources import PROJECT_TEMPLATES, template_dirs
from csrgen.writers.docx import write_docx
from csrgen.writers.html import write_html
from tests.render.pdftext import soffice_pdf
from tests.writers.browser import CHROMIUM, load_page
from tests.writers.sample import TITLES, sample_document

pytestmark = pytest.mark.render
LISTING_ROWS = 600  # 8 pt landscape rows: about 40 a page


def test_docx_converts_with_every_title_and_plausible_pages(tmp_path):
    docx_path = tmp_path / "csr.docx"
    write_docx(
        sample_document(listing_rows=LISTING_ROWS), docx_path, PROJECT_TEMPLATES / "reference.docx"
    )
    pdf = soffice_pdf(docx_path, tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    # title, synopsis, contents, figure, tables, listings: the 600-row listing alone needs 12+
    assert 15 <= pages <= 40, pages
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", " ", text.replace("\u00a0", " "))
    for title in TITLES.values():
        assert title in flat, title
    assert "Listing 16.2.9 All Laboratory Records" in flat
    # page X of Y computed by the renderer on every page
    assert f"Page {pages} of {pages}" in flat
    # list of tables: LibreOffice resolves the page references (a number, not the placeholder)
    assert re.search(r"Table 14\.3\.1 Adverse Events by Preferred Term ?\.+ ?\d+", flat)


def test_html_in_chromium(tmp_path):
    from PIL import Image

    page = tmp_path / "csr.html"
    write_html(sample_document(listing_rows=200), page, template_dirs())
    ids = list(TITLES) + ["l_ext"]
    report = load_page(
        page,
        tmp_path / "chrome",
        {
            "present": f"JSON.stringify({json.dumps(ids)}.filter(id => document.getElementById(id)))",  # noqa: E501
            "tables": "document.querySelectorAll('table.csr').length",
            "tools": "document.querySelectorAll('.listing-tools input').length",
            "filtered": (
                "(() => { document.querySelector('a[data-filter^=\"AEDECOD=Dizziness\"]').click();"
                " const rows = [...document.querySelectorAll('#l_ae tbody tr')];"
                " return rows.filter(r => !r.hidden).map(r => r.cells[2].textContent).join('|'); })()"  # noqa: E501
            ),
            "sorted": (
                "(() => { const th = document.querySelectorAll('#l_ae thead th')[3];"
                " th.querySelector('button').click(); th.querySelector('button').click();"
                " return th.getAttribute('aria-sort') + ':' + document.querySelector('#l_ae tbody tr').cells[3].textContent; })()"  # noqa: E501
            ),
            "hostile": "document.querySelectorAll('script').length",
        },
    )
    assert report.errors == []
    assert [u for u in report.requests if not u.startswith("file://")] == []
    assert json.loads(report.results["present"]) == ids
    assert report.results["tables"] == 3  # the AE table and two listings; the others are null
    assert report.results["tools"] == 2
    # exactly the treatment-emergent Dizziness rows (T-01's is not: te = N)
    assert report.results["filtered"] == "Dizziness"
    assert report.results["sorted"] == "descending:18"  # study days 3..18, sorted numerically
    assert report.results["hostile"] == 1
    image = Image.open(io.BytesIO(report.screenshot)).convert("RGB")
    assert image.size[0] == 1400 and image.size[1] > 500
    assert len(image.getcolors(maxcolors=1 << 20)) > 50  # text, sidebar, banner: not blank


def wide_document(paper: str = "Letter"):
    """The sample with a listing of 24 columns, far wider than the page."""
    from dataclasses import replace

    from csrgen.document.model import Cell, Column, Listing, Row, Section

    columns = tuple(Column(f"Variable {i}", align="left") for i in range(24))
    rows = tuple(Row(tuple(Cell(f"value {r}.{i}") for i in range(24))) for r in range(30))
    wide = Listing(
        id="l_wide",
        number="Listing 16.2.10",
        title="Wide",
        population="",
        columns=columns,
        rows=rows,
    )
    doc = sample_document(listing_rows=20)
    return replace(doc, paper=paper, sections=(*doc.sections, Section("17", "W", "sec-w", (wide,))))


def test_wide_table_scrolls_in_its_box_not_the_page(tmp_path):
    page = tmp_path / "csr.html"
    write_html(wide_document(), page, template_dirs())
    report = load_page(
        page,
        tmp_path / "chrome",
        {
            "box": (
                "(() => { const b = document.querySelector('#l_wide .table-scroll');"
                " return [b.scrollWidth > b.clientWidth + 500, b.clientWidth > 0]; })()"
            ),
            "page": "document.documentElement.scrollWidth <= window.innerWidth",
            # the listing's filter box sits above the scrolling box and names the listing
            "tools": (
                "document.querySelector('#l_wide > .listing-tools input')"
                ".getAttribute('aria-controls')"
            ),
        },
    )
    assert report.errors == []
    assert report.results == {"box": [True, True], "page": True, "tools": "l_wide"}


def test_html_prints_on_the_documents_paper(tmp_path):
    chromium = CHROMIUM
    page = tmp_path / "csr.html"
    write_html(wide_document("Letter"), page, template_dirs())
    pdf = tmp_path / "printed.pdf"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    info = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    sizes = set(re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info))
    assert sizes == {("612", "792"), ("792", "612")}  # Letter, portrait and landscape


MEASURED = ("Placebo", "Relationship", "74 (66.7) [135]", "(-16.0, -6.0)", "<0.001", "AVAWTeTo")


def test_measured_widths_are_what_libreoffice_prints(tmp_path, monkeypatch):
    """A cell as wide as the layout says its text needs prints the text on one line; a cell
    1 pt narrower than the text itself wraps it: the measure is neither short nor loose."""
    from dataclasses import replace

    from csrgen.document.model import Cell, Column, Row, Section, Table
    from csrgen.writers import layout

    tables, widths = [], {}
    for i, text in enumerate(MEASURED):
        for bold in (False, True):
            for fits in (True, False):
                key = f"t{i}{int(bold)}{int(fits)}"
                tables.append(
                    Table(
                        id=key,
                        number="",
                        title=f"case {key}",
                        population="",
                        columns=(Column("", align="left"),),
                        rows=(Row((Cell(text, bold=bold),)),),
                    )
                )
                width = layout.text_width(text, 9, bold)
                room = width * layout.SLACK + layout.SLACK_PT if fits else width - 1
                widths[key] = room + 2 * layout.TABLE_SCALES[0].margin
    real = layout.plan

    def exact(block, page):
        plan = real(block, page)
        return replace(plan, widths=(widths[block.id],)) if block.id in widths else plan

    monkeypatch.setattr(layout, "plan", exact)
    doc = replace(sample_document(listing_rows=3), sections=(Section("1", "M", "m", tables),))
    write_docx(doc, tmp_path / "m.docx", PROJECT_TEMPLATES / "reference.docx")
    text = subprocess.run(
        ["pdftotext", "-raw", str(soffice_pdf(tmp_path / "m.docx", tmp_path)), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    printed = {}
    for i, line in enumerate(text):
        m = re.fullmatch(r"case (t\d+)", line.strip())
        if m:
            printed[m.group(1)] = text[i + 1].strip()
    for i, word in enumerate(MEASURED):
        for bold in (0, 1):
            assert printed[f"t{i}{bold}1"] == word
            assert printed[f"t{i}{bold}0"] != word
