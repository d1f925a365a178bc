"""The DOCX table body written as XML text (csrgen.writers.docx_tables.para_xml, run_xml) is the
same XML as the elements para() and run() build (the reference: python-docx's elements, made
one by one), for any text a cell may hold."""

from __future__ import annotations

from docx.oxml.parser import parse_xml
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from csrgen.writers.docx_tables import W_NS, _attr, para, para_xml, run_xml
from csrgen.writers.docx_xml import run

TEXT = st.text(
    alphabet=st.sampled_from(list("ab -\t\n\r&<>\"'=é中\x00\x0b\x7f\ud800\ufffe") + ["\u00a0"]),
    max_size=30,
)


def _parsed(xml: str):
    return parse_xml(f'<w:tbl xmlns:w="{W_NS}">{xml}</w:tbl>')[0]


@settings(max_examples=300, deadline=None)
@given(
    text=TEXT,
    style=st.sampled_from(["TableText", "Listing Text", 'a"b&c<d']),
    bold=st.booleans(),
    size=st.sampled_from([0, 14, 17]),
    nobreak=st.booleans(),
    align=st.sampled_from(["", "left", "center", "right", "decimal"]),
    keep=st.booleans(),
    indent=st.sampled_from([0, 0.5, 9, 18.25]),
)
def test_text_xml_equals_the_elements(text, style, bold, size, nobreak, align, keep, indent):
    built = para(
        style,
        [run(text, bold=bold, size_half_pt=size, nobreak_hyphens=nobreak)],
        align=align,
        keep_next=keep,
        indent_pt=indent,
        size_half_pt=size,
    )
    written = _parsed(
        para_xml(
            _attr(style),
            run_xml(text, bold=bold, size_half_pt=size, nobreak_hyphens=nobreak),
            align=align,
            keep_next=keep,
            indent_pt=indent,
            size_half_pt=size,
        )
    )
    assert etree.tostring(written) == etree.tostring(built)
    # and a reader gets the same text back
    assert "".join(written.itertext()) == "".join(built.itertext())
