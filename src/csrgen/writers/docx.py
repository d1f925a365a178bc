"""Word writer: lays the document model out with python-docx; computes and rounds nothing.

Styles come from ``templates/reference.docx`` (made by ``tools/make_reference_docx.py``; a
sponsor's own may replace it if it defines :data:`REQUIRED_STYLES`). Parts mirror the HTML
writer: title page, contents (a TOC field that Word refreshes on opening; lists of tables,
figures and listings with page references), sections with bookmarked numbered headings,
tables/listings (``docx_tables``), figures. Tables too wide for portrait, figures marked
landscape and every listing go into landscape sections that keep the page header and footer.

Output is byte-identical for the same model: document properties carry the data-lock date, and
the zip is rewritten with fixed timestamps and a fixed member order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path

from docx import Document as open_docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.oxml.ns import qn
from docx.oxml.parser import parse_xml
from docx.shared import Emu, Inches
from lxml import etree

from csrgen import __version__
from csrgen import formatting as fmt
from csrgen.document.model import (
    Contents,
    Document,
    Figure,
    Listing,
    Paragraph,
    Section,
    _Tabular,
    iter_blocks,
)
from csrgen.errors import ConfigError
from csrgen.writers import docx_tables as tables
from csrgen.writers import layout as lay
from csrgen.writers.docx_xml import (
    add_bookmark,
    bookmark_name,
    el,
    field,
    hyperlink,
    hyperlink_xml,
    normalise_zip,
    parse_w,
    run,
    run_xml,
    xml_attr,
)
from csrgen.writers.pages import TableMeasure, estimate_pages, line_only, measure_table
from csrgen.writers.text import printable

#: Paragraph and character styles the writer uses; reference.docx must define them.
REQUIRED_STYLES = (
    "Normal",
    "Title",
    "Subtitle",
    "Heading 1",
    "Heading 2",
    "Heading 3",
    "Heading 4",
    "TOC Heading",
    "TOC 1",
    "TOC 2",
    "TOC 3",
    "Table of Figures",
    "Caption",
    "Population",
    "Table Text",
    "Table Heading",
    "Listing Text",
    "Listing Heading",
    "Table Note",
    "Source Note",
    "Placeholder",
    "Note",
    "Banner",
    "Title Page Text",
    "Header",
    "Footer",
    "List Bullet",
    "List Bullet 2",
    "Hyperlink",
)
#: Paper sizes (portrait width, height) and margins, as the table layout knows them.
PAPER = {name: (Inches(w), Inches(h)) for name, (w, h) in lay.PAPER_IN.items()}
MARGIN = Inches(lay.MARGIN_IN)
#: Raised when the kept tables' layout changes (see :func:`write_docx`).
FRAGMENTS = 2
#: Room under a figure for its caption, population line and notes.
FIGURE_ALLOWANCE = Inches(1.6)


class _Writer:
    def __init__(self, doc: Document, reference: Path | None, fragments=None) -> None:
        self.doc = doc
        if reference is None:  # the project's styles
            from csrgen.resources import find_template

            reference = find_template("reference.docx")
        self.word = open_docx(str(reference)) if reference and reference.exists() else open_docx()
        #: Tables laid out by an earlier run (see :func:`write_docx`), and their keys by block.
        self.fragments = fragments
        self.kept: dict[int, tuple | None] = {}
        self.keys: dict[int, str] = {}
        styles = reference.read_bytes() if reference and reference.exists() else b""
        self.salt = (FRAGMENTS, __version__, hashlib.sha256(styles).hexdigest(), doc.paper)
        self.st = tables.find_style_ids(self.word.styles)
        missing = [name for name in REQUIRED_STYLES if name not in self.st]
        if missing:
            raise ConfigError(f"{reference}: reference.docx lacks the styles {', '.join(missing)}")
        self.page_w, self.page_h = PAPER.get(doc.paper, PAPER["A4"])
        self.page = lay.text_area(doc.paper)
        self.layouts: dict[int, lay.Layout] = {}
        self.measures: dict[int, TableMeasure] = {}
        self.landscape = False
        self.bookmarks: dict[str, int] = {}
        self.shape_id: int | None = None
        _index_images(self.word)
        body = self.word.element.body
        for child in list(body):
            if child.tag != qn("w:sectPr"):
                body.remove(child)

    # -- plumbing -------------------------------------------------------------------------------
    def _sentinel(self):
        """The body's own ``w:sectPr``: its last child (python-docx keeps it last, and a new
        section leaves the same element last), found at once (``find`` walks every child)."""
        body = self.word.element.body
        try:
            last = body[-1]  # lxml walks from the end: at once (len() would count them all)
        except IndexError:
            last = None
        return last if last is not None and last.tag == _SECTPR else body.find(_SECTPR)

    def append(self, element) -> None:
        self._sentinel().addprevious(element)

    def para(self, style: str, runs=(), **kw):
        p = tables.para(self.st[style], runs, **kw)
        self.append(p)
        return p

    def _last_section(self):
        """The section being written: the body's own ``w:sectPr`` (a direct child, found at
        once; ``Document.sections[-1]`` searches the whole document for every section)."""
        from docx.section import Section

        return Section(self._sentinel(), self.word.part)

    def text_width(self) -> int:
        sec = self._last_section()
        return int(sec.page_width - sec.left_margin - sec.right_margin)

    def text_height(self) -> int:
        sec = self._last_section()
        return int(sec.page_height - sec.top_margin - sec.bottom_margin)

    def _picture(self, par, png: bytes, width: int):
        """Add ``png`` to paragraph ``par`` at ``width`` (EMU) and return its ``wp:inline``.

        As python-docx's ``Run.add_picture``, but its shape id counted here: python-docx
        finds the next id by reading every id of the document for every picture, which grows
        with the document (n²/2 for n pictures). The first id is python-docx's own; each
        picture adds the largest id, so the next is one more, as python-docx would find."""
        from docx.oxml.shape import CT_Inline

        part = self.word.part
        if self.shape_id is None:
            self.shape_id = part.next_id
        rid, image = part.get_or_add_image(io.BytesIO(png))
        cx, cy = image.scaled_dimensions(width, None)
        inline = CT_Inline.new_pic_inline(self.shape_id, rid, image.filename, cx, cy)
        self.shape_id += 1
        par.add_run()._r.add_drawing(inline)
        return inline

    # -- document -------------------------------------------------------------------------------
    def write(self, path: Path) -> None:
        self._setup_first_section()
        self._properties()
        self._title_page()
        for section in self.doc.sections:
            self._section(section, level=1)
        for sec in self.word.sections:
            self._page_header(sec)
            self._page_footer(sec)
        settings = self.word.settings.element
        if settings.find(qn("w:updateFields")) is None:
            # Word refreshes the table of contents and page references when it opens the file.
            settings.append(el("w:updateFields", val="true"))
        buffer = io.BytesIO()
        self.word.save(buffer)
        path.write_bytes(normalise_zip(buffer.getvalue()))

    def _setup_first_section(self) -> None:
        sec = self.word.sections[0]
        sec.orientation = WD_ORIENT.PORTRAIT
        sec.page_width, sec.page_height = self.page_w, self.page_h
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(sec, side, MARGIN)
        sec.header_distance = sec.footer_distance = Inches(0.5)

    def _properties(self) -> None:
        props = self.word.core_properties
        doc = self.doc
        props.title = printable(doc.title)
        props.subject = printable(doc.study_id)
        props.author = printable(doc.meta.get("sponsor", ""))
        props.last_modified_by = "csrgen"
        props.revision = 1
        props.keywords = "CSR; " + printable(doc.study_id)
        props.comments = ""
        props.language = doc.language
        stamp = _doc_datetime(doc)
        props.created = props.modified = props.last_printed = stamp

    # -- page header and footer -----------------------------------------------------------------
    def _page_header(self, sec) -> None:
        sec.header.is_linked_to_previous = False
        par = sec.header.paragraphs[0]
        par.text = ""
        par.style = self.word.styles["Header"]
        width = Emu(sec.page_width - sec.left_margin - sec.right_margin)
        _tab_right(par, width)
        left = " | ".join(self.doc.header[:2])
        right = " | ".join(list(self.doc.header[2:]) + list(self.doc.banners))
        par.add_run(printable(left))
        par.add_run("\t" + printable(right)).bold = True
        _border(par, "bottom")

    def _page_footer(self, sec) -> None:
        sec.footer.is_linked_to_previous = False
        par = sec.footer.paragraphs[0]
        par.text = ""
        par.style = self.word.styles["Footer"]
        width = Emu(sec.page_width - sec.left_margin - sec.right_margin)
        _tab_right(par, width)
        p = par._p
        p.append(run(self.doc.footer + "\tPage "))
        for r in field("PAGE", "1"):
            p.append(r)
        p.append(run(" of "))
        for r in field("NUMPAGES", "1"):
            p.append(r)
        _border(par, "top")

    # -- title page and sections ----------------------------------------------------------------
    def _title_page(self) -> None:
        doc = self.doc
        for banner in doc.banners:
            self.para("Banner", [run(banner)])
        self.para("Title", [run("CLINICAL STUDY REPORT")])
        self.para("Subtitle", [run(doc.title)])
        block = _title_table(doc)
        self.append(tables.table(block, self._layout(block), self.st))
        self.para("Normal").append(_page_break())

    def _section(self, section: Section, level: int) -> None:
        if section.title:
            # A heading goes onto the page of the block it introduces (a landscape listing).
            self._orient(self._first_landscape(section))
            is_contents = any(
                isinstance(b, Contents) and b.kind == "sections" for b in section.blocks
            )
            style = "TOC Heading" if is_contents else f"Heading {min(level, 4)}"
            p = self.para(style, [run(section.heading)])
            add_bookmark(p, section.anchor, self.bookmarks)
        for block in section.blocks:
            if isinstance(block, Section):
                self._section(block, level + 1)
            elif isinstance(block, Paragraph):
                self._orient(False)
                self._paragraph(block)
            elif isinstance(block, Contents):
                self._contents(block)
            elif isinstance(block, Figure):
                self._orient(block.landscape)
                self._figure(block)
            elif isinstance(block, _Tabular):
                self._orient(self._wants_landscape(block))
                self._tabular(block)

    def _first_landscape(self, section: Section) -> bool:
        for block in section.blocks:
            if isinstance(block, Section):
                return self._first_landscape(block)
            if isinstance(block, Figure):
                return block.landscape
            if isinstance(block, _Tabular):
                return self._wants_landscape(block)
            return False
        return False

    def _wants_landscape(self, block: _Tabular) -> bool:
        """Listings, tables marked landscape, and tables too wide for a portrait page."""
        if isinstance(block, Listing) or block.landscape:
            return True
        if block.null_reason or not block.rows:
            return False
        return self._layout(block).landscape

    def _layout(self, block: _Tabular) -> lay.Layout:
        """The block's layout, planned once (orientation first, the table itself later)."""
        key = id(block)
        if key not in self.layouts:
            kept = self._kept(block)
            self.layouts[key] = kept[0] if kept else lay.plan(block, self.page)
        return self.layouts[key]

    def _kept(self, block: _Tabular) -> tuple | None:
        """(layout, table XML, page measure) of the same block laid out by an earlier run, if
        kept."""
        if self.fragments is None or self._key(block) is None:
            return None
        if id(block) not in self.kept:
            kept = self.fragments.get(self._key(block))
            self.kept[id(block)] = kept if isinstance(kept, tuple) and len(kept) == 3 else None
        return self.kept[id(block)]

    def _measure(self, block: _Tabular) -> TableMeasure:
        """What the table occupies on the page (:mod:`csrgen.writers.pages`), kept with it."""
        if line_only(block):  # a line, not a table: nothing kept (nor worth keying)
            return measure_table(block, None, self.page)
        kept = self._kept(block)
        if kept is not None:
            return kept[2]
        if id(block) not in self.measures:
            self.measures[id(block)] = measure_table(block, self._layout(block), self.page)
        return self.measures[id(block)]

    def _key(self, block: _Tabular) -> str | None:
        """Everything a table's XML is made from: the block, the styles, the paper, csrgen."""
        if id(block) not in self.keys:
            self.keys[id(block)] = self.fragments.key(self.salt, block)
        return self.keys[id(block)]

    def _table(self, block: _Tabular):
        kept = self._kept(block)
        if kept is not None:
            return parse_xml(kept[1])
        tbl = tables.table(block, self._layout(block), self.st)
        if self.fragments is not None and self._key(block) is not None:
            kept = (self._layout(block), etree.tostring(tbl), self._measure(block))
            self.fragments.put(self._key(block), kept)
        return tbl

    def _orient(self, landscape: bool) -> None:
        """Start a new section when the orientation changes; headers are written per section."""
        if self.landscape == landscape:
            return
        sec = self.word.add_section(WD_SECTION.NEW_PAGE)
        sec.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
        w, h = self.page_w, self.page_h
        sec.page_width, sec.page_height = (h, w) if landscape else (w, h)
        self.landscape = landscape

    def _runs_xml(self, block: Paragraph) -> str:
        """The paragraph's runs as XML text (internal links as hyperlinks)."""
        out = []
        for r in block.runs:
            if r.link:
                target = r.link.split("?", 1)[0]
                if target.startswith("#"):
                    link = run_xml(r.text, self.st["Hyperlink"], r.bold, r.italic)
                    out.append(hyperlink_xml(target[1:], link))
                    continue
            out.append(run_xml(r.text, bold=r.bold, italic=r.italic))
        return "".join(out)

    def _paragraph(self, block: Paragraph) -> None:
        """A paragraph written as XML text and parsed once (a narrative has thousands)."""
        if block.style == "bullet":
            style = "List Bullet 2" if block.level else "List Bullet"
        else:
            style = {"placeholder": "Placeholder", "note": "Note"}.get(block.style, "Normal")
        style_id = xml_attr(self.st[style])
        self.append(parse_w(tables.para_xml(style_id, self._runs_xml(block))))

    # -- contents -------------------------------------------------------------------------------
    def _contents(self, block: Contents) -> None:
        """The table of contents and the lists of tables, figures and listings: one entry per
        heading or caption, a link to its bookmark and a PAGEREF field for its page, at a dotted
        right tab on the text's edge.

        Not a TOC field: LibreOffice imports one as an index and prints the entries it holds as
        they are, page numbers included, without computing them (checked on its PDF); page
        references it computes, and Word refreshes them on opening (``updateFields``)."""
        if block.kind == "sections":
            entries = [
                (f"TOC {min(level, 3)}", s.anchor, s.heading)
                for s, level in _headings(self.doc.sections)
                if level <= block.depth
                and not any(isinstance(b, Contents) and b.kind == "sections" for b in s.blocks)
            ]
        else:
            entries = [
                ("Table of Figures", out.id, out.caption)
                for out in iter_blocks(self.doc.sections)
                if _is_output(out, block.kind)
            ]
        edge = str(int(self.text_width() / 635))  # EMU -> twips
        for style, anchor, text in entries:
            p = self.para(style)
            tabs = el("w:tabs")
            tabs.append(el("w:tab", val="right", leader="dot", pos=edge))
            p.find(qn("w:pPr")).append(tabs)
            p.append(hyperlink(anchor, [run(text + "\t")]))
            for r in field(f"PAGEREF {bookmark_name(anchor)} \\h"):
                p.append(r)

    # -- tables, listings, figures --------------------------------------------------------------
    def _tabular(self, block: _Tabular) -> None:
        for p in tables.heading(block, self.bookmarks, self.st):
            self.append(p)
        size_style = tables.text_styles(block)[0]
        keep = bool(block.footnotes or block.source)  # with the notes
        if block.null_reason:
            self.para(size_style, [run(block.null_reason, italic=True)], keep_next=keep)
        elif isinstance(block, Listing) and block.external:
            files = " and ".join(block.external)
            self.para(
                size_style,
                [
                    run(
                        f"This listing has {fmt.fmt_count(block.total_rows)} rows; "
                        f"it is provided as {files} beside this document.",
                        italic=True,
                    )
                ],
                keep_next=keep,
            )
        elif block.rows:
            self.append(self._table(block))
            if tables.notes_inside(block):
                return
        for p in tables.notes(block.footnotes, block.source, self.st):
            self.append(p)

    def _figure(self, block: Figure) -> None:
        for p in tables.heading(block, self.bookmarks, self.st):
            self.append(p)
        if block.null_reason:
            keep = bool(block.footnotes or block.source)
            self.para("Table Text", [run(block.null_reason, italic=True)], keep_next=keep)
        else:
            scale = min(
                1.0,
                self.text_width() / Inches(block.width_in),
                (self.text_height() - FIGURE_ALLOWANCE) / Inches(block.height_in),
            )
            par = self.word.add_paragraph()
            par.alignment = 1
            par.paragraph_format.keep_with_next = True
            inline = self._picture(par, block.png, Emu(int(Inches(block.width_in) * scale)))
            inline.docPr.set("descr", block.alt)
            inline.docPr.set("name", block.id)
        for p in tables.notes(block.footnotes, block.source, self.st):
            self.append(p)


def write_docx(doc: Document, path: Path, reference: Path | None = None, fragments=None) -> int:
    """Write ``doc`` to ``path`` (.docx) and return its estimated page count
    (:mod:`csrgen.writers.pages`). ``reference`` is a styles template (reference.docx; default
    the project's).

    ``fragments`` (optional; ``key(*parts)`` -> a key of their content, ``get(key)`` -> value
    or None, ``put(key, value)``) keeps each
    table's layout and XML between runs, by a key of everything they are made from: a run
    after a title edit lays out again only the edited table. The XML is the same bytes either
    way (a kept table is parsed back; lxml writes it as it wrote the one built)."""
    writer = _Writer(doc, reference, fragments)
    writer.write(path)
    return estimate_pages(doc, writer._layout, writer._measure)


# -- helpers ------------------------------------------------------------------------------------
_SECTPR = qn("w:sectPr")


def _index_images(word) -> None:
    """Add pictures in constant time each. python-docx looks every added image up among the
    document's images by hashing each of them again (``ImagePart.sha1`` hashes the blob at
    each access), and numbers it by scanning every part name: adding n figures costs n²/2
    hashes (a second for the narratives' 145 timelines). Here each image's hash and number is
    noted once; the same images get the same part names as python-docx would give them. With
    another python-docx whose internals differ, nothing is changed (tests/writers check that
    an image added twice is stored once)."""
    from docx.opc.packuri import PackURI

    parts = getattr(word.part.package, "image_parts", None)
    needed = ("_get_by_sha1", "_add_image_part", "_next_image_partname", "_image_parts")
    if parts is None or not all(hasattr(parts, name) for name in needed):
        return
    known = {part.sha1: part for part in parts}
    used = {part.partname.idx for part in parts}
    free = [1]
    add = parts._add_image_part

    def add_part(image):
        part = add(image)
        known[image.sha1] = part
        used.add(part.partname.idx)
        return part

    def next_name(ext: str):
        while free[0] in used:  # the lowest unused number, as python-docx chooses it
            free[0] += 1
        return PackURI(f"/word/media/image{free[0]}.{ext}")

    parts._get_by_sha1 = known.get
    parts._add_image_part = add_part
    parts._next_image_partname = next_name


def _headings(sections, level: int = 1):
    for s in sections:
        if isinstance(s, Section):
            if s.title:
                yield s, level
            yield from _headings([b for b in s.blocks if isinstance(b, Section)], level + 1)


def _is_output(block, kind: str) -> bool:
    return (
        isinstance(block, Figure | _Tabular)
        and bool(block.number)
        and block.number.startswith(kind + " ")
    )


def _title_table(doc: Document):
    from csrgen.document.model import Cell, Column, Row, Table

    return Table(
        id="title-page",
        number="",
        title="",
        population="",
        columns=(Column("", align="left", width=1.0), Column("", align="left", width=2.2)),
        rows=tuple(Row((Cell(k, bold=True), Cell(v))) for k, v in doc.title_page),
    )


def _page_break():
    r = el("w:r")
    r.append(el("w:br", type="page"))
    return r


def _doc_datetime(doc: Document) -> dt.datetime:
    """The data-lock date (never the run time), or a fixed epoch for unlocked drafts."""
    try:
        day = dt.date.fromisoformat(doc.meta.get("lock_date", ""))
    except ValueError:
        day = dt.date(2000, 1, 1)
    return dt.datetime(day.year, day.month, day.day)


def _tab_right(par, position) -> None:
    """One right tab at the text edge; the Header/Footer styles' own tab stops are cleared."""
    stops = par.paragraph_format.tab_stops
    for inherited in (Inches(3.25), Inches(6.5)):
        stops.add_tab_stop(inherited, WD_TAB_ALIGNMENT.CLEAR)
    stops.add_tab_stop(position, WD_TAB_ALIGNMENT.RIGHT)


def _border(par, side: str) -> None:
    ppr = par._p.get_or_add_pPr()
    borders = el("w:pBdr")
    borders.append(el(f"w:{side}", val="single", sz="4", space="1", color="000000"))
    # pBdr must come before tabs/spacing in pPr (schema order); insert after pStyle.
    style = ppr.find(qn("w:pStyle"))
    if style is not None:
        style.addnext(borders)
    else:
        ppr.insert(0, borders)
