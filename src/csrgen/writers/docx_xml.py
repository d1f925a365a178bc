"""Low-level WordprocessingML pieces python-docx has no API for: fields, bookmarks, internal
hyperlinks, shading, reproducible zip packaging. Used by the DOCX writer only."""

from __future__ import annotations

import functools
import io
import re
import zipfile
from xml.sax.saxutils import escape

from docx.oxml.ns import NamespacePrefixedTag, qn
from docx.oxml.parser import oxml_parser, parse_xml

from csrgen.writers.text import printable

_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def el(tag: str, **attrs: str):
    """``w:tag`` with ``w:`` attributes (``el("w:jc", val="center")``): python-docx's
    ``OxmlElement`` with the tag's and attributes' qualified names worked out once per name (a
    long table makes hundreds of thousands of elements)."""
    clark, nsmap = _tag(tag)
    return oxml_parser.makeelement(clark, {_attr(k): v for k, v in attrs.items()}, nsmap=nsmap)


@functools.cache
def _tag(tag: str) -> tuple[str, dict[str, str]]:
    name = NamespacePrefixedTag(tag)
    return name.clark_name, name.nsmap


@functools.cache
def _attr(key: str) -> str:
    return qn(f"w:{key}")


def bookmark_name(anchor: str) -> str:
    """A valid Word bookmark name for an anchor: letters, digits, ``_``; at most 40 characters;
    starting with a letter (``sec-9-1`` -> ``sec_9_1``)."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", anchor)
    if not name[:1].isalpha():
        name = "b" + name
    return name[:40]


def add_bookmark(p, anchor: str, ids: dict[str, int]) -> None:
    """Wrap paragraph ``p``'s content in a bookmark; ``ids`` numbers them in document order."""
    name = bookmark_name(anchor)
    if name in ids:
        return  # first occurrence wins; Word rejects duplicate names
    ids[name] = len(ids) + 1
    start = el("w:bookmarkStart", id=str(ids[name]), name=name)
    end = el("w:bookmarkEnd", id=str(ids[name]))
    ppr = p.find(qn("w:pPr"))
    p.insert(p.index(ppr) + 1 if ppr is not None else 0, start)
    p.append(end)


W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def xml_attr(value: str) -> str:
    """An attribute value's text, escaped."""
    return escape(value, {'"': "&quot;"})


def xml_text(value: str) -> str:
    """Element text, escaped (a carriage return as a reference: a parser reads a literal one
    as a line feed)."""
    return escape(value).replace("\r", "&#13;")


def parse_w(xml: str):
    """The element of ``xml``: one ``w:`` element as text, without namespace declarations."""
    name = _TAG.match(xml).end()
    return parse_xml(f'{xml[:name]} xmlns:w="{W_NS}"{xml[name:]}')


_TAG = re.compile(r"<w:[A-Za-z]+")


def run(
    text: str,
    style: str = "",
    bold: bool = False,
    italic: bool = False,
    size_half_pt=0,
    nobreak_hyphens: bool = False,
):
    """A ``w:r`` with text (see :func:`run_xml`)."""
    return parse_w(run_xml(text, style, bold, italic, size_half_pt, nobreak_hyphens))


def run_xml(
    text: str,
    style: str = "",
    bold: bool = False,
    italic: bool = False,
    size_half_pt=0,
    nobreak_hyphens: bool = False,
) -> str:
    """A ``w:r`` with text, as XML text (tabs become ``w:tab``, line breaks ``w:br``; with
    ``nobreak_hyphens``, hyphens become ``w:noBreakHyphen``, which print and copy as "-" but
    never end a line). A table body is written as text and parsed once (a listing has tens of
    thousands of cells, and an lxml element made per call costs several times its share of a
    parse)."""
    out = ["<w:r>"]
    if style or bold or italic or size_half_pt:
        out.append("<w:rPr>")
        if style:
            out.append(f'<w:rStyle w:val="{xml_attr(style)}"/>')
        if bold:
            out.append("<w:b/>")
        if italic:
            out.append("<w:i/>")
        if size_half_pt:
            out.append(f'<w:sz w:val="{size_half_pt}"/>')
        out.append("</w:rPr>")
    for i, line in enumerate(printable(text).split("\n")):
        if i:
            out.append("<w:br/>")
        for j, part in enumerate(line.split("\t")):
            if j:
                out.append("<w:tab/>")
            pieces = part.split("-") if nobreak_hyphens else [part]
            for k, piece in enumerate(pieces):
                if k:
                    out.append("<w:noBreakHyphen/>")
                if piece:
                    out.append(f'<w:t xml:space="preserve">{xml_text(piece)}</w:t>')
    out.append("</w:r>")
    return "".join(out)


def field(instruction: str, placeholder: str = "", dirty: bool = True) -> list:
    """The runs of a complex field (PAGE, NUMPAGES, PAGEREF x, TOC ...); Word recomputes a
    dirty field when the document is opened, LibreOffice computes page fields when laid out."""
    begin = el("w:r")
    char = el("w:fldChar", fldCharType="begin")
    if dirty:
        char.set(qn("w:dirty"), "true")
    begin.append(char)
    instr_run = el("w:r")
    instr = el("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    instr_run.append(instr)
    sep = el("w:r")
    sep.append(el("w:fldChar", fldCharType="separate"))
    end = el("w:r")
    end.append(el("w:fldChar", fldCharType="end"))
    middle = [run(placeholder)] if placeholder else []
    return [begin, instr_run, sep, *middle, end]


def hyperlink(anchor: str, runs: list):
    """An internal hyperlink to a bookmark (see :func:`hyperlink_xml`)."""
    link = parse_w(hyperlink_xml(anchor))
    for r in runs:
        link.append(r)
    return link


def hyperlink_xml(anchor: str, runs: str = "") -> str:
    """An internal hyperlink to a bookmark, as XML text (``runs`` XML text)."""
    name = xml_attr(bookmark_name(anchor))
    return f'<w:hyperlink w:anchor="{name}" w:history="1">{runs}</w:hyperlink>'


def shade(ppr_or_tcpr, fill: str) -> None:
    ppr_or_tcpr.append(el("w:shd", val="clear", color="auto", fill=fill))


def normalise_zip(data: bytes) -> bytes:
    """Re-pack the DOCX with fixed timestamps and sorted members ([Content_Types].xml first)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    names = sorted(src.namelist(), key=lambda n: (n != "[Content_Types].xml", n))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name))
    return out.getvalue()
