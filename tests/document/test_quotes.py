"""The narrative quotes every estimate, CI and p-value exactly as the table it cites prints it:
the check on a deliberately broken document, then on both shipped studies' documents."""

from __future__ import annotations

import pytest

from csrgen.document.model import Cell, Column, Document, Paragraph, Row, Run, Section, Table
from tests.document.quotes import misquotes, quotes, uncited_quotes
from tests.shipped import STUDIES, shipped_document


def document(paragraph: Paragraph) -> Document:
    table = Table(
        id="t_alb",
        number="Table 14.2.5.1",
        title="ANCOVA",
        population="",
        columns=(Column(""), Column("UC-MSC")),
        rows=(
            Row((Cell("Difference vs Control (95% CI)"), Cell("3.90 (2.73, 5.07)"))),
            Row((Cell("p-value (ANCOVA)"), Cell("<0.001"))),
        ),
    )
    section = Section("14.2", "Efficacy Data", "sec-14-2", (paragraph, table))
    return Document("s", "t", (), "", (), (), (section,))


def cited(text: str, link: str = "#t_alb") -> Paragraph:
    return Paragraph((Run(text), Run("Table 14.2.5.1", link=link), Run(".")))


def test_quotes_are_found():
    text = "difference 3.90 (2.73, 5.07), p<0.001; HR 0.63 (0.42, NE); p = 0.023; week 48 (n=3)"
    assert quotes(text) == ["3.90 (2.73, 5.07)", "0.63 (0.42, NE)", "<0.001", "0.023"]


def test_a_quote_as_the_table_prints_it_passes():
    assert misquotes(document(cited("Difference 3.90 (2.73, 5.07), p<0.001 ("))) == []


def test_a_number_printed_another_way_is_found():
    found = misquotes(document(cited("Difference 3.9 (2.7, 5.1), p<0.001 (")))
    assert [m.quote for m in found] == ["3.9 (2.7, 5.1)"]
    assert found[0].tables == ("Table 14.2.5.1",)


def test_a_p_value_not_in_the_table_is_found():
    found = misquotes(document(cited("Difference 3.90 (2.73, 5.07), p=0.0004 (")))
    assert [m.quote for m in found] == ["0.0004"]


def test_a_quote_without_a_citation_is_found():
    doc = document(Paragraph((Run("The hazard ratio was 0.63 (0.42, 0.94)."),)))
    assert misquotes(doc) == [] and len(uncited_quotes(doc)) == 1


@pytest.fixture(params=list(STUDIES))
def shipped(request):
    return shipped_document(request.param)


@pytest.mark.e2e
def test_shipped_narratives_quote_their_tables_exactly(shipped):
    assert [str(m) for m in misquotes(shipped)] == []
    assert uncited_quotes(shipped) == []
    # the check has something to check: the synopsis quotes estimates with CIs and p-values
    assert sum(len(quotes(p)) for p in _paragraphs(shipped)) > 10


def _paragraphs(doc):
    from csrgen.document.model import iter_blocks

    return [b.text for b in iter_blocks(doc.sections) if isinstance(b, Paragraph)]
