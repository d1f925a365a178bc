"""Make ``templates/reference.docx``: the Word styles of the CSR, reproducibly.

    .venv/bin/python tools/make_reference_docx.py [OUT]

Starts from python-docx's default template and defines every style the DOCX writer uses (one
font family, Arial; numbered headings carry their number in the text, taken from the ICH E3
templates and the study file). The file is byte-identical on every run: fixed document
properties, sorted zip members with a fixed timestamp. A sponsor may replace it with their own
reference.docx (``document.templates``) that defines the same style names
(``csrgen.writers.docx.REQUIRED_STYLES``).
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

FONT = "Arial"
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "templates" / "reference.docx"
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

#: name -> (base, size pt, bold, italic, space before, space after, keep with next)
PARAGRAPH_STYLES = {
    "Normal": (None, 10, False, False, 0, 4, False),
    "Title": ("Normal", 18, True, False, 72, 12, False),
    "Subtitle": ("Normal", 14, True, False, 0, 24, False),
    "Heading 1": ("Normal", 14, True, False, 18, 6, True),
    "Heading 2": ("Normal", 12, True, False, 12, 6, True),
    "Heading 3": ("Normal", 11, True, False, 10, 4, True),
    "Heading 4": ("Normal", 10, True, False, 8, 4, True),
    "TOC Heading": ("Normal", 14, True, False, 18, 6, True),
    "TOC 1": ("Normal", 10, True, False, 4, 0, False),
    "TOC 2": ("Normal", 10, False, False, 0, 0, False),
    "TOC 3": ("Normal", 10, False, False, 0, 0, False),
    "Table of Figures": ("Normal", 10, False, False, 0, 2, False),
    "Caption": ("Normal", 10, True, False, 8, 2, True),
    "Population": ("Normal", 9, False, False, 0, 4, True),
    "Table Text": ("Normal", 9, False, False, 1, 0, False),
    "Table Heading": ("Table Text", 9, True, False, 1, 0, False),
    "Listing Text": ("Normal", 8, False, False, 0, 0, False),
    "Listing Heading": ("Listing Text", 8, True, False, 0, 0, False),
    "Table Note": ("Normal", 8, False, False, 0, 0, False),
    "Source Note": ("Table Note", 8, False, True, 0, 10, False),
    "Placeholder": ("Normal", 10, False, True, 4, 8, False),
    "Note": ("Normal", 8, False, False, 0, 4, False),
    "Banner": ("Normal", 14, True, False, 0, 6, False),
    "Title Page Text": ("Normal", 10, False, False, 2, 2, False),
    "Header": ("Normal", 8, False, False, 0, 0, False),
    "Footer": ("Normal", 8, False, False, 0, 0, False),
    "List Bullet": ("Normal", 10, False, False, 0, 2, False),
    "List Bullet 2": ("Normal", 10, False, False, 0, 2, False),
}
#: Indent (pt) of the contents levels. Their page numbers sit at a dotted right tab that the
#: writer sets on each entry at the edge of the real page's text (A4 or Letter).
TOC_INDENT = {"TOC 1": 0, "TOC 2": 12, "TOC 3": 24, "Table of Figures": 0}


def build(out: Path = DEFAULT_OUT) -> Path:
    word = Document()
    styles = word.styles
    _defaults(word)
    for name, spec in PARAGRAPH_STYLES.items():
        base, size, bold, italic, before, after, keep = spec
        try:
            style = styles[name]
        except KeyError:
            style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        if base:
            style.base_style = styles[base]
        style.quick_style = True
        _font(style)
        style.font.size = Pt(size)
        style.font.bold = bold
        style.font.italic = italic
        style.font.color.rgb = RGBColor(0, 0, 0)
        fmt = style.paragraph_format
        fmt.space_before = Pt(before)
        fmt.space_after = Pt(after)
        fmt.keep_with_next = keep
    for level in (1, 2, 3, 4):
        _outline(styles[f"Heading {level}"], level - 1)
    for name, indent in TOC_INDENT.items():
        fmt = styles[name].paragraph_format
        fmt.left_indent = Pt(indent)
    _shade(styles["Placeholder"], "FFF2CC", "BF9000")
    styles["Note"].font.color.rgb = RGBColor(0x40, 0x40, 0x40)
    styles["TOC Heading"].paragraph_format.page_break_before = True
    styles["Banner"].paragraph_format.alignment = 1  # centre
    for name in ("Title", "Subtitle"):
        styles[name].paragraph_format.alignment = 1
        _drop_borders(styles[name])
    _hyperlink_style(word)
    for style in styles:
        if style.type in (WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER):
            _font(style, only_existing=True)
    _properties(word)
    buffer = io.BytesIO()
    word.save(buffer)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(normalise_zip(buffer.getvalue()))
    return out


def _defaults(word) -> None:
    """Document defaults: Arial everywhere (theme fonts removed), English."""
    rpr = word.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    _set_fonts(fonts)


def _set_fonts(fonts) -> None:
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _font(style, only_existing: bool = False) -> None:
    rpr = style.element.rPr
    if rpr is None:
        if only_existing:
            return
        rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        if only_existing:
            return
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    _set_fonts(fonts)


def _outline(style, level: int) -> None:
    ppr = style.element.get_or_add_pPr()
    for old in ppr.findall(qn("w:outlineLvl")):
        ppr.remove(old)
    outline = OxmlElement("w:outlineLvl")
    outline.set(qn("w:val"), str(level))
    ppr.append(outline)


def _shade(style, fill: str, border: str) -> None:
    ppr = style.element.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    left = OxmlElement("w:left")
    for key, value in (("w:val", "single"), ("w:sz", "24"), ("w:space", "4"), ("w:color", border)):
        left.set(qn(key), value)
    borders.append(left)
    ppr.append(borders)
    shd = OxmlElement("w:shd")
    for key, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", fill)):
        shd.set(qn(key), value)
    ppr.append(shd)


def _drop_borders(style) -> None:
    ppr = style.element.get_or_add_pPr()
    for old in ppr.findall(qn("w:pBdr")):
        ppr.remove(old)


def _hyperlink_style(word) -> None:
    try:
        style = word.styles["Hyperlink"]
    except KeyError:
        style = word.styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
    style.font.color.rgb = RGBColor(0x1F, 0x4E, 0x79)
    style.font.underline = True


def _properties(word) -> None:
    props = word.core_properties
    stamp = dt.datetime(2000, 1, 1)
    props.title = "csrgen reference styles"
    props.author = "csrgen"
    props.last_modified_by = "csrgen"
    props.revision = 1
    props.created = props.modified = props.last_printed = stamp
    props.comments = "Styles for csrgen's CSR writer; regenerate with tools/make_reference_docx.py"


def normalise_zip(data: bytes) -> bytes:
    """Sorted members ([Content_Types].xml first), fixed timestamps: the same bytes every run."""
    src = zipfile.ZipFile(io.BytesIO(data))
    names = sorted(src.namelist(), key=lambda n: (n != "[Content_Types].xml", n))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, src.read(name))
    return out.getvalue()


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT))
