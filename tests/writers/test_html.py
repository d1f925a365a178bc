"""The HTML writer: fragments of the page, escaping, anchors, links into listings, no external
requests, byte-identical output."""

import re
from html.parser import HTMLParser

import pytest

from csrgen.document.model import ListingFilter, split_link
from csrgen.resources import template_dirs
from csrgen.writers.html import render_html
from tests.writers.sample import TITLES, sample_document


@pytest.fixture(scope="module")
def page():
    return render_html(sample_document(listing_rows=50), template_dirs())


class Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.tags, self.scripts, self.urls = [], [], 0, []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "script":
            self.scripts += 1
        for key in ("src", "href", "action", "data", "poster"):
            if attrs.get(key):
                self.urls.append(attrs[key])


def parsed(page):
    collector = Collector()
    collector.feed(page)
    return collector


def test_hostile_term_renders_as_text(page):
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;Headache&#34;" in page
    assert parsed(page).scripts == 1  # only the page's own script


def test_every_output_and_section_has_a_unique_anchor(page):
    ids = parsed(page).ids
    assert len(ids) == len(set(ids))
    for anchor in (*TITLES, "l_ext", "sec-12", "sec-12-1", "sec-synopsis", "sec-16-2", "l_ae-r1"):
        assert anchor in ids
    toc = page[page.index('<nav id="toc"') : page.index("</nav>")]
    for anchor in ("#sec-12-1", "#t_ae", "#l_big", "#f_km"):
        assert f'href="{anchor}"' in toc


def test_summary_rows_link_to_their_listing(page):
    # the link jumps to the listing without script; the script selects the rows whose fields
    # hold exactly the texts of data-filter (the query of the cell's ListingFilter)
    assert (
        '<a href="#l_ae" data-filter="AEDECOD=Dizziness&amp;te=Y&amp;back=t_ae">Dizziness' in page
    )
    count = 'data-filter="AEDECOD=Dizziness&amp;ARM=Placebo&amp;te=Y&amp;back=t_ae">1 (25.0)</a>'
    assert f'<td class="a-center"><a href="#l_ae" {count}</td>' in page
    # a hostile term is percent-encoded in the query (no markup, no quote, no ampersand)
    assert (
        'data-filter="AEDECOD=%3Cscript%3Ealert%28%27x%27%29%3C%2Fscript%3E %26 %22Headache%22'
        in page
    )
    # the listing's rows carry their hidden facts, the listing their labels
    assert page.count('data-f-te="Y"') == 5 and page.count('data-f-te="N"') == 1
    assert 'data-facts="{&#34;te&#34;: &#34;Treatment-emergent&#34;}"' in page


def test_listing_filter_query_round_trip():
    rows = ListingFilter.of("t_x", AEDECOD="Head ache?+&=%", TRT01A="Drug (high)", te="")
    # sorted by key (one spelling per filter); spaces kept, everything else a URL reserves encoded
    assert rows.query() == "AEDECOD=Head ache%3F%2B%26%3D%25&TRT01A=Drug %28high%29&te=&back=t_x"
    assert rows == ListingFilter.of("t_x", te="", TRT01A="Drug (high)", AEDECOD="Head ache?+&=%")
    assert ListingFilter.from_query(rows.query()) == rows
    assert split_link("#l_ae?" + rows.query()) == ("#l_ae", rows)
    assert split_link("#t_os") == ("#t_os", None)
    with pytest.raises(ValueError):
        ListingFilter.of(back="t_x", **{"a b": "x"})  # a field key is a name
    with pytest.raises(ValueError):
        ListingFilter((("back", "x"),))  # reserved for the way back
    with pytest.raises(ValueError):
        ListingFilter((("te", "Y"), ("te", "N")))  # one value per field


def test_accessible_tables_and_figures(page):
    table = page[page.index('id="t_ae"') :]
    table = table[: table.index("</table>")]
    assert (
        '<caption><span class="output-title"><span class="number">Table 14.3.1</span> Adverse Events by Preferred Term</span>'  # noqa: E501
        in table
    )
    assert '<th scope="colgroup" colspan="2">Treatment arm</th>' in table
    assert '<th scope="col" class="a-center" data-key="Placebo">Placebo<br>(N=4)</th>' in table
    assert '<th scope="row" class="a-left indent-1">' in table
    assert 'role="img" aria-label="Kaplan-Meier curves of overall survival by arm"' in page
    assert '<table class="csr sortable">' in page  # a listing without hidden facts
    assert '<p class="placeholder">[Medical writer: summarise.]</p>' in page
    assert '<ul class="bullets">\n<li>first point</li>\n<li>second point</li>\n</ul>' in page


def test_lists_of_outputs(page):
    lot = page[page.index('id="sec-list-table"') :]
    lot = lot[: lot.index("</section>")]
    assert re.findall(r'<li><a href="#(\w+)">', lot) == ["t_ae", "t_null"]


def test_long_listing_names_its_files_instead_of_rows(page):
    block = page[page.index('id="l_ext"') :]
    block = block[: block.index("</div>")]
    assert "Listing 16.2.9" in block and "Population: Safety population (N=8)" in block
    assert (
        "This listing has 123,456 rows; it is provided as\n"
        '<a href="l_ext.csv">l_ext.csv</a> and <a href="l_ext.xlsx">l_ext.xlsx</a> beside this '
        "document." in block
    )
    assert "<table" not in block
    # a printed listing keeps its rows and their anchors
    assert 'id="l_ae-r1"' in page and page.count('<tr id="l_ae-r') == 6


def test_no_external_requests(page):
    urls = parsed(page).urls
    # only in-page anchors and the listing files that sit beside the document
    assert all(u.startswith("#") or u in ("l_ext.csv", "l_ext.xlsx") for u in urls), urls
    assert not re.search(r"(src|href)=\"(https?:)?//", page)
    assert "@import" not in page and "url(http" not in page


def test_same_document_same_bytes(page):
    assert render_html(sample_document(listing_rows=50), template_dirs()) == page


def test_tables_scroll_in_their_own_box(page):
    """Each printed table sits in a focusable scrolling region named by its caption."""
    boxes = re.findall(
        r'<div class="table-scroll" role="region" tabindex="0" aria-label="([^"]*)">', page
    )
    assert boxes == [
        "Table 14.3.1 Adverse Events by Preferred Term",
        "Listing 16.2.7 Adverse Events",
        "Listing 16.2.8 Laboratory Values",
    ]
    assert ".table-scroll { overflow: auto;" in page


def test_print_pages_take_the_documents_paper(page):
    from dataclasses import replace

    assert (
        "@page { size: A4 portrait; }" in page and "@page landscape { size: A4 landscape; }" in page
    )
    letter = render_html(replace(sample_document(listing_rows=5), paper="Letter"), template_dirs())
    assert "@page { size: Letter portrait; }" in letter
    assert "size: A4" not in letter
    # listings print landscape (their class says so); the AE table fits a portrait page, as
    # in the DOCX; a table too wide for one is marked landscape
    assert '<div class="output listing" id="l_ae">' in page
    assert '<div class="output" id="t_ae">' in page
    assert ".listing, .output.landscape, figure.landscape { page: landscape; }" in page


def test_a_table_too_wide_for_portrait_prints_landscape():
    from dataclasses import replace

    from csrgen.document.model import Cell, Column, Row, Section, Table

    columns = (Column("", align="left"),) + tuple(Column(f"Dose {i}") for i in range(8))
    wide = Table(
        id="t_wide",
        number="Table 14.2.9",
        title="Wide",
        population="",
        columns=columns,
        rows=(Row((Cell("Difference"),) + (Cell("-11.0 (-16.0, -6.0)"),) * 8),),
    )
    doc = sample_document(listing_rows=5)
    doc = replace(doc, sections=(Section("14", "T", "sec-14", (wide,)),))
    assert '<div class="output landscape" id="t_wide">' in render_html(doc, template_dirs())
