"""A cell's Word paragraph (csrgen.writers.docx_tables.para over docx_xml.run, both written as
XML text and parsed): whatever the text, a reader gets back exactly the printable text, with
the paragraph's properties as asked. The reference is the text itself and a hand-read of the
WordprocessingML elements (w:t, w:tab, w:br, w:noBreakHyphen)."""

from __future__ import annotations

from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st

from csrgen.writers.docx_tables import para
from csrgen.writers.docx_xml import run
from csrgen.writers.text import printable

TEXT = st.text(
    alphabet=st.sampled_from(list("ab -\t\n\r&<>\"'=é中\x00\x0b\x7f\ud800\ufffe") + ["\u00a0"]),
    max_size=30,
)
#: What each run child reads as.
READS = {qn("w:tab"): "\t", qn("w:br"): "\n", qn("w:noBreakHyphen"): "-"}


def _read(p) -> str:
    out = []
    for r in p.iter(qn("w:r")):
        for child in r:
            if child.tag == qn("w:t"):
                assert child.get("{http://www.w3.org/XML/1998/namespace}space") == "preserve"
                out.append(child.text or "")
            elif child.tag in READS:
                out.append(READS[child.tag])
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(
    text=TEXT,
    style=st.sampled_from(["TableText", "Listing Text", 'a"b&c<d']),
    bold=st.booleans(),
    italic=st.booleans(),
    size=st.sampled_from([0, 14, 17]),
    nobreak=st.booleans(),
    align=st.sampled_from(["", "left", "center", "right"]),
    keep=st.booleans(),
    indent=st.sampled_from([0, 0.5, 9, 18.25]),
)
def test_a_paragraph_reads_back_as_its_text(
    text, style, bold, italic, size, nobreak, align, keep, indent
):
    r = run(text, bold=bold, italic=italic, size_half_pt=size, nobreak_hyphens=nobreak)
    p = para(style, [r], align=align, keep_next=keep, indent_pt=indent, size_half_pt=size)
    assert _read(p) == printable(text)
    ppr = p.find(qn("w:pPr"))
    assert ppr.find(qn("w:pStyle")).get(qn("w:val")) == style
    assert (ppr.find(qn("w:keepNext")) is not None) == keep
    ind = ppr.find(qn("w:ind"))
    assert (ind.get(qn("w:left")) if ind is not None else None) == (
        str(int(indent * 20)) if indent else None
    )
    jc = ppr.find(qn("w:jc"))
    assert (jc.get(qn("w:val")) if jc is not None else "") == align
    rpr = p.find(qn("w:r")).find(qn("w:rPr"))
    assert (rpr is not None and rpr.find(qn("w:b")) is not None) == bold
    assert (rpr is not None and rpr.find(qn("w:i")) is not None) == italic
    sz = rpr.find(qn("w:sz")) if rpr is not None else None
    assert (sz.get(qn("w:val")) if sz is not None else None) == (str(size) if size else None)
    if not nobreak:
        assert p.find(f".//{qn('w:noBreakHyphen')}") is None
