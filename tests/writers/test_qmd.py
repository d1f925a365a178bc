"""``csr.qmd``, the Quarto source of the CSR: read by pandoc (the binary of the pypandoc-binary
wheel, reader ``markdown``: Quarto's dialect without Quarto's own extensions), it converts
without a warning and holds every numbered output with its caption, every table's cells as the
document model has them, every figure's file, and every link's target. Hostile text prints as
itself and never changes the structure."""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest
from lxml import html as lxml_html

from csrgen.document.model import (
    Cell,
    Column,
    Document,
    Figure,
    Listing,
    Paragraph,
    Row,
    Run,
    Section,
    Table,
    _Tabular,
    iter_blocks,
)
from csrgen.writers.qmd import FIGURE_DIR, block_text, inline, labels, render_qmd, write_qmd
from tests.shipped import shipped
from tests.writers.sample import sample_document

#: Quarto's Markdown as pandoc knows it (pandoc's ``markdown`` has these on; named so that a
#: change of pandoc's defaults cannot drop one silently).
READER = (
    "markdown+pipe_tables+table_captions+raw_html+fenced_divs+bracketed_spans+link_attributes"
    "+implicit_figures+yaml_metadata_block+escaped_line_breaks+all_symbols_escapable+smart"
)


def pandoc_html(qmd: Path) -> lxml_html.HtmlElement:
    """``qmd`` converted by pandoc to a standalone HTML page (any warning fails), parsed."""
    import pypandoc

    out = qmd.with_suffix(".pandoc.html")
    done = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", READER, "-t", "html5", "-s", "--fail-if-warnings"]
        + [qmd.name, "-o", out.name],
        cwd=qmd.parent,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return lxml_html.fromstring(out.read_bytes())


def norm(text: str) -> str:
    """Text as a reader sees it: runs of white space (no-break spaces too) as one space."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def bare(text: str) -> str:
    return re.sub(r"\s", "", text)


def cells_of(table) -> list[list[str]]:
    return [[norm(c.text_content()) for c in tr.xpath("./td|./th")] for tr in table.xpath(".//tr")]


def model_cells(rows) -> list[list[str]]:
    return [[norm(c.text) for c in r.cells] for r in rows]


def printed_tables(doc: Document) -> list[_Tabular]:
    """The tables and listings ``csr.qmd`` prints as tables, in document order."""
    return [
        b
        for b in iter_blocks(doc.sections)
        if isinstance(b, _Tabular)
        and not b.null_reason
        and not (isinstance(b, Listing) and b.external)
    ]


@cache
def converted(name: str, folder: Path):
    doc = shipped(name).doc
    write_qmd(doc, folder / "csr.qmd")
    return doc, pandoc_html(folder / "csr.qmd")


@pytest.fixture(scope="module", params=["seed", "pilot"])
def study(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"qmd-{request.param}")
    doc, page = converted(request.param, folder)
    return doc, page, folder


def test_every_numbered_output_is_there_with_its_caption(study):
    doc, page, folder = study
    ids = labels(doc)
    outputs = [b for b in iter_blocks(doc.sections) if isinstance(b, _Tabular | Figure)]
    numbered = [b for b in outputs if b.number]
    assert len(numbered) > 20
    for block in numbered:
        found = page.xpath(f'//*[@id="{ids[block.id]}"]')
        assert len(found) == 1, block.number
        element = found[0]
        text = norm(element.text_content())
        assert norm(f"{block.number} {block.title}") in text, block.number
        if block.population:
            assert norm(block.population) in text, block.number
        if isinstance(block, Figure) and not block.null_reason:
            assert element.tag == "figure"
            assert norm(block.caption) in norm(element.xpath("./figcaption")[0].text_content())
            src = element.xpath(".//img/@src")[0]
            assert src.startswith(FIGURE_DIR + "/")
            assert (folder / src).read_bytes() == block.png  # the DOCX's own image
        elif isinstance(block, _Tabular) and block in printed_tables(doc):
            assert element.tag == "table", block.number
            assert norm(block.caption) in norm(element.xpath("./caption")[0].text_content())
        elif isinstance(block, Listing) and block.external and not block.null_reason:
            for name in block.external:
                assert element.xpath(f'.//a[@href="{name}"]'), (block.number, name)


def test_every_table_holds_the_models_cells(study):
    doc, page, _ = study
    tables = page.xpath("//table")
    expected = printed_tables(doc)
    # the title page's label/value table comes first
    assert len(tables) == len(expected) + 1
    title_page = [[norm(k), norm(v)] for k, v in doc.title_page]
    assert cells_of(tables[0]) == title_page
    for table, block in zip(tables[1:], expected, strict=True):
        body = [
            [norm(c.text_content()) for c in tr.xpath("./td|./th")]
            for tr in table.xpath("./tbody/tr")
        ]
        assert body == model_cells(block.rows), block.caption or block.id
        if any(c.label for c in block.columns):
            # one header row: a spanner's label before each label it spans; a label's lines
            # joined (compared without white space: "Age/" + "Sex" reads "Age/Sex")
            spans = {i: sp.label for sp in block.spanners for i in range(sp.first, sp.last + 1)}
            want = [
                (f"{spans[i]}: " if spans.get(i) else "") + c.label
                for i, c in enumerate(block.columns)
            ]
            got = [th.text_content() for th in table.xpath("./thead/tr/th")]
            assert [bare(x) for x in got] == [bare(x) for x in want], block.caption


def test_every_section_heading_and_link_target_is_there(study):
    doc, page, _ = study
    ids = set(page.xpath("//@id"))
    for section in (b for b in iter_blocks(doc.sections) if isinstance(b, Section)):
        if section.title:
            heading = page.xpath(f'//*[@id="{section.anchor}"]')
            assert heading and norm(heading[0].text_content()) == norm(section.heading)
    links = [h[1:] for h in page.xpath("//a/@href") if h.startswith("#")]
    assert len(links) > 50
    assert not [h for h in links if h not in ids]


def test_same_document_same_bytes(tmp_path):
    doc = shipped("seed").doc
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
        write_qmd(doc, folder / "csr.qmd")
    files = sorted(p.relative_to(first) for p in first.rglob("*"))
    assert files == sorted(p.relative_to(second) for p in second.rglob("*"))
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files if f.suffix)


# -- hostile text --------------------------------------------------------------------------------
HOSTILE = [
    "*em* **strong** _u_ `code` ~sub~ ^sup^ ~~strike~~",
    "a | pipe || two",
    "<b>bold</b> <script>alert(1)</script> &amp; &lt;",
    "[link](http://x) ![img](x.png) [^1] ^[note] [@cite]",
    "@fig-x @tbl-y {{< pagebreak >}} {#id .class}",
    "$x^2$ \\(y\\) \\ back\\slash\\",
    "'single' \"double\" -- dash --- em ... dots",
    "1. ordered",
    "a) fancy",
    "(a) paren",
    "- bullet",
    "+ plus",
    "# heading #",
    "> quote",
    ": definition",
    "| line block",
    "::: {.div}",
    "```",
    "~~~",
    "=====",
    "---",
    "    four spaces",
    "% title",
    "(@) example",
    "#. hash list",
    "",
]


def hostile_document() -> Document:
    columns = (Column("Term *x* | <y>", align="left"), Column("n\n(%)"), Column("@z"))
    rows = tuple(
        Row((Cell(text, indent=i % 2), Cell(f"{i} (1.0)", link="#tbl_x"), Cell(text, bold=True)))
        for i, text in enumerate(HOSTILE)
    )
    table = Table(
        id="tbl_x",
        number="Table 14.9.9",
        title="Hostile *title* | <b>x</b> {#no}",
        population="Population: [ITT] (N=3) @all",
        columns=columns,
        rows=rows,
        footnotes=tuple(HOSTILE[:8]),
        source="Source: a_b.csv; `x`",
    )
    paragraphs = tuple(Paragraph.of(text) for text in HOSTILE if text) + tuple(
        Paragraph.of(text, "bullet") for text in HOSTILE if text
    )
    runs = Paragraph(
        (
            Run("Bold: ", bold=True),
            Run("*not em* "),
            Run("Table 14.9.9", link="#tbl_x"),
            Run(" line\n# two\n1. three", italic=True),
        )
    )
    section = Section("14.9", "Hostile # heading {#x} *", "sec-14-9", paragraphs + (runs, table))
    return Document(
        study_id="hostile *id*",
        title='A "title" with *stars*, | pipes, <tags> and: colons',
        header=("hostile",),
        footer="footer | x",
        banners=("*SYNTHETIC*",),
        title_page=(("Study *id*", "a | b"),),
        sections=(section,),
    )


def test_hostile_text_keeps_the_structure(tmp_path):
    doc = hostile_document()
    write_qmd(doc, tmp_path / "csr.qmd")
    page = pandoc_html(tmp_path / "csr.qmd")
    assert norm(page.xpath("//h1[@class='title']")[0].text_content()) == norm(doc.title)
    # no markup came out of the text: no emphasis, code, script, image, math or list but ours
    assert not page.xpath("//script|//code|//img|//sub|//sup|//del|//span[@class='math']")
    assert not page.xpath("//ol|//dl|//blockquote|//pre|//hr|//h2|//h3")
    assert len(page.xpath("//em")) == 1  # the one italic run
    tables = page.xpath("//table")
    assert len(tables) == 2  # the title page and the hostile table
    assert cells_of(tables[0]) == [["Study *id*", "a | b"]]
    table = tables[1]
    assert table.get("id") == "tbl-tbl-x"
    caption = norm(table.xpath("./caption")[0].text_content())
    assert caption == norm(f"{doc.sections[0].blocks[-1].caption} {'Population: [ITT] (N=3) @all'}")
    header = [norm(th.text_content()) for th in table.xpath("./thead/tr/th")]
    assert header == ["Term *x* | <y>", "n (%)", "@z"]
    body = [[norm(c.text_content()) for c in tr.xpath("./td")] for tr in table.xpath("./tbody/tr")]
    assert body == [[norm(t), f"{i} (1.0)", norm(t)] for i, t in enumerate(HOSTILE)]
    assert len(table.xpath(".//a[@href='#tbl-tbl-x']")) == len(HOSTILE)
    # paragraphs and bullets: one each per text, printed as written
    paras = [norm(p.text_content()) for p in page.xpath("//body/p")]
    for text in HOSTILE:
        if text:
            assert norm(text) in paras, text
    items = [norm(li.text_content()) for li in page.xpath("//ul/li")]
    assert items == [norm(t) for t in HOSTILE if t]
    heading = page.xpath("//*[@id='sec-14-9']")[0]
    assert norm(heading.text_content()) == "14.9 Hostile # heading {#x} *"
    runs = [p for p in page.xpath("//p") if "Bold:" in p.text_content()][0]
    assert runs.xpath("./strong")[0].text_content() == "Bold:"
    assert norm(runs.text_content()) == "Bold: *not em* Table 14.9.9 line # two 1. three"
    assert len(runs.xpath(".//br")) == 2  # the run's line breaks


def test_escaping_is_exact():
    assert inline("a*b|c") == r"a\*b\|c"
    assert inline("x -- y") == r"x -\- y"
    assert block_text("1. x") == r"1\. x"
    assert block_text("- x") == r"\- x"
    assert block_text("a\n# b") == "a\\\n\\# b"
    assert block_text("- x", line_start=False) == r"\- x".lstrip("\\")


def test_sample_document_converts(tmp_path):
    """The writers' sample: a landscape figure, a listing kept in files, a null table, a
    2,000-row listing, contents lists."""
    doc = sample_document()
    text, figures = render_qmd(doc)
    write_qmd(doc, tmp_path / "csr.qmd")
    page = pandoc_html(tmp_path / "csr.qmd")
    assert list(figures) == [f"{FIGURE_DIR}/f-km.png"]
    assert (
        page.xpath("//*[@id='tbl-t-null']")
        and "Deaths" in page.xpath("//*[@id='tbl-t-null']")[0].text_content()
    )
    external = page.xpath("//*[@id='tbl-l-ext']")[0]
    assert external.xpath(".//a[@href='l_ext.csv']") and "123,456" in external.text_content()
    big = [t for t in printed_tables(doc) if t.id == "l_big"][0]
    table = page.xpath("//table[@id='tbl-l-big']")[0]
    assert len(table.xpath("./tbody/tr")) == len(big.rows) == 2000
    toc = [a.get("href") for a in page.xpath("//a") if a.get("href", "").startswith("#sec-")]
    assert "#sec-12-1" in toc and "#sec-contents" not in toc


# -- the report ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def figure_study(tmp_path_factory):
    """A tiny study with two figures (Kaplan-Meier, cumulative incidence)."""
    from tests.outputs.test_tte import study as tte_study

    return tte_study(tmp_path_factory.mktemp("qmd-report"))


def sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_report_writes_the_quarto_source_on_request(figure_study, tmp_path):
    import json

    from csrgen.cli import main

    plain, quarto, again = tmp_path / "plain", tmp_path / "quarto", tmp_path / "again"
    assert main(["report", str(figure_study), "--out", str(plain)]) == 0
    assert not (plain / "csr.qmd").exists() and not (plain / FIGURE_DIR).exists()
    assert main(["report", str(figure_study), "--out", str(quarto), "--qmd"]) == 0
    figures = sorted(p.name for p in (quarto / FIGURE_DIR).iterdir())
    assert figures == ["f-cif-hcc.png", "f-km-os.png"]
    manifest = json.loads((quarto / "manifest.json").read_text(encoding="utf-8"))
    for name in ["csr.qmd"] + [f"{FIGURE_DIR}/{f}" for f in figures]:
        assert manifest["outputs"][name] == sha256(quarto / name), name
    # the other files are those of a run without the switch
    for name in ("csr.docx", "csr.html", "ard.csv"):
        assert (quarto / name).read_bytes() == (plain / name).read_bytes(), name
    assert main(["report", str(figure_study), "--out", str(again), "--qmd"]) == 0
    for path in quarto.rglob("*"):
        if path.is_file():
            assert (again / path.relative_to(quarto)).read_bytes() == path.read_bytes(), path
    text = (quarto / "csr.qmd").read_text(encoding="utf-8")
    assert f"]({FIGURE_DIR}/f-km-os.png){{#fig-f-km-os " in text
    page = pandoc_html(quarto / "csr.qmd")
    assert page.xpath("//figure[@id='fig-f-km-os']//img")


def test_study_file_switch(figure_study, tmp_path, capsys):
    from csrgen.cli import main

    text = figure_study.read_text(encoding="utf-8")
    on = tmp_path / "on.toml"
    on.write_text(text + "\n[document]\nqmd = true\n", encoding="utf-8")
    (tmp_path / "data").symlink_to(figure_study.parent / "data")
    assert main(["report", str(on), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "csr.qmd").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text(text + '\n[document]\nqmd = "yes"\n', encoding="utf-8")
    assert main(["report", str(bad), "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert "document.qmd" in err and "Traceback" not in err


def test_front_matter_is_yaml_quarto_reads(tmp_path):
    """pandoc's reading of the front matter: the title as written, Quarto's options in place
    (its own files named apart from csrgen's), no date."""
    import json

    import pypandoc

    doc = hostile_document()
    write_qmd(doc, tmp_path / "csr.qmd")
    done = subprocess.run(
        [pypandoc.get_pandoc_path(), "-f", READER, "-t", "json", "csr.qmd"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    meta = json.loads(done.stdout)["meta"]
    assert meta["number-sections"] == {"t": "MetaBool", "c": False}
    formats = meta["format"]["c"]
    assert set(formats) == {"html", "docx"}
    assert formats["html"]["c"]["output-file"]["c"][0]["c"] == "csr-quarto.html"
    assert formats["docx"]["c"]["output-file"]["c"][0]["c"] == "csr-quarto.docx"
    assert formats["html"]["c"]["embed-resources"] == {"t": "MetaBool", "c": True}
    assert "date" not in meta
