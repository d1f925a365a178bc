"""Real renderers: the DOCX through LibreOffice (headless) to PDF, read back with poppler's
pdftotext; the HTML in headless Chromium through the DevTools protocol."""

import io
import json
import re
import shutil
import subprocess

import pytest

from csrgen.resources import PROJECT_TEMPLATES, template_dirs
from csrgen.writers.docx import write_docx
from csrgen.writers.html import write_html
from tests.writers.browser import load_page
from tests.writers.sample import TITLES, sample_document

pytestmark = pytest.mark.render
LISTING_ROWS = 600  # 8 pt landscape rows: about 40 a page


def soffice_pdf(docx, folder):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (libreoffice-writer) is needed; .ci/run installs it"
    profile = folder / "lo-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(docx),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return folder / (docx.stem + ".pdf")


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
