"""Quarto writer: the whole CSR as ``csr.qmd`` (Quarto/pandoc Markdown) with its figures beside it.

For sites that have Quarto: ``quarto render csr.qmd`` makes HTML and Word (``csr-quarto.html``,
``csr-quarto.docx``; ``--to pdf`` with a LaTeX installation) without edits. Nothing here runs
Quarto or pandoc. Lays out the same document model as the DOCX and HTML writers, and computes
and rounds nothing:

- YAML front matter: title, subtitle, language, paper, and options for the ``html`` and
  ``docx`` formats; sections carry the model's own numbers (``number-sections: false``, every
  heading ``.unnumbered``), so no date or number is Quarto's.
- Numbered tables and listings are pipe tables whose caption carries the Quarto label
  ``{#tbl-<id>}``; figures are the model's PNG (the bytes the Word writer embeds) written to
  ``csr-figures/<id>.png`` and labelled ``{#fig-<id>}``. Ids are the model's with ``_`` made
  ``-`` (Quarto's advice: underscores break LaTeX labels). The CSR's own number ("Table
  14.1.1") stays in each caption; Quarto adds its running number before it.
- Links are Markdown links to those labels and to the section anchors, with the model's text
  (a Quarto ``@tbl-`` reference would print Quarto's running number instead of the CSR's). A
  link to a listing's rows goes to the listing, as in Word.
- A listing kept in CSV/XLSX files (``Listing.external``) refers to them, as in Word.
- What the DOCX prints on landscape pages is in a ``.landscape`` div (Quarto's landscape
  pages in Word and PDF).
- Every text from the model is escaped (:func:`inline`, :func:`block_text`): a ``*``, ``|``,
  ``<``, ``@``, ``$``, a leading ``1.`` or ``-`` prints as itself and never changes the
  structure; quotes, ``--`` and ``...`` stay as written (not made typographic).

The folder is ``csr-figures`` rather than Quarto's ``csr_files``, which Quarto clears when it
renders a self-contained page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from csrgen import __version__
from csrgen import formatting as fmt
from csrgen.document.model import (
    Cell,
    Contents,
    Document,
    Figure,
    Listing,
    Paragraph,
    Row,
    Section,
    _Tabular,
    iter_blocks,
)
from csrgen.writers.listings import header_text
from csrgen.writers.text import printable

#: Folder of the figure files, beside ``csr.qmd``.
FIGURE_DIR = "csr-figures"
#: What Quarto's HTML and Word are called (not csrgen's ``csr.html`` and ``csr.docx``, which a
#: render in the report folder would otherwise replace).
QUARTO_OUTPUT = "csr-quarto"
#: Characters escaped wherever they are (all_symbols_escapable): emphasis, code, links, spans
#: and attributes, raw HTML and entities, pipes, sub/superscript, math, citations and Quarto
#: references, typographic quotes.
_INLINE = re.compile(r"([\\`*_{}\[\]<>|~^$@&\"'])")
#: What opens a block at the start of a line: a header, list, quote, definition, line block,
#: fenced div or code, setext underline, title block; and an enumerator (``1.``, ``a)``, ``#.``).
_LINE_START = re.compile(r"^(?:[-+*#>:=%(!])|^(\w+)([.)])")
#: Indentation of a stub cell per level: no-break spaces (a pipe table trims plain spaces).
_INDENT = "\u00a0" * 3
#: Quarto prints what this div holds on landscape pages (Word, PDF), as the DOCX does: listings,
#: tables marked landscape or too wide for a portrait page, landscape figures.
_LANDSCAPE = "::: {.landscape}"
#: Type sizes at which a table's column widths are planned, in order: Quarto's Word body text
#: is 11 pt, planned at 12 pt for a font wider than the metrics' Liberation Sans (Word's Aptos
#: where it is missing: LibreOffice's DejaVu Sans).
_TYPE_SIZES = (12.0, 11.0, 10.0, 9.0)
#: A page style for Quarto's HTML: placeholders stand out, notes are small (as csr.html).
_HTML_STYLE = """\
<style>
.banner { color: #b00020; font-weight: bold; letter-spacing: 0.05em; }
.page-header, .page-footer, .csr-notes { font-size: 0.85em; color: #444; }
.population { font-style: italic; }
.placeholder { background: #fff3cd; border-left: 3px solid #e0a800; padding: 0.2em 0.5em; }
.note { font-size: 0.9em; }
</style>"""


# -- text ----------------------------------------------------------------------------------------
def inline(text: str) -> str:
    """``text`` as Markdown that prints exactly it, within a line (a table cell, a caption):
    every character with a meaning escaped; ``--`` and ``...`` kept from becoming dashes and
    ellipses; a line break read as a space (a pipe table's cell is one line)."""
    text = printable(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    text = _INLINE.sub(r"\\\1", text)
    text = re.sub(r"(?<=-)-", r"\\-", text)
    return text.replace("...", r"\.\.\.")


def block_text(text: str, line_start: bool = True) -> str:
    """``text`` in a paragraph: :func:`inline` line by line (line breaks kept as Markdown hard
    breaks), and what would open a block at the start of a line escaped (``# x``, ``- x``,
    ``1. x``, ``: x``). ``line_start``: whether the text begins a line."""
    lines = printable(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out = []
    for i, line in enumerate(lines):
        at_start = line_start or i > 0
        if at_start:
            line = line.lstrip()
        if i < len(lines) - 1:  # spaces before a line break would make another break
            line = line.rstrip()
        line = inline(line)
        if at_start:
            line = _LINE_START.sub(_escape_start, line, count=1)
        out.append(line)
    return "\\\n".join(out)


def _escape_start(match: re.Match) -> str:
    if match.group(1) is not None:  # an enumerator: escape its delimiter
        return match.group(1) + "\\" + match.group(2)
    return "\\" + match.group(0)


def _yaml(text: str) -> str:
    """A YAML double-quoted scalar holding Markdown (pandoc reads metadata as Markdown)."""
    return json.dumps(block_text(text), ensure_ascii=False)


def _attr(value: str) -> str:
    """A double-quoted attribute value (``fig-alt="..."``)."""
    return '"' + printable(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- labels and links ---------------------------------------------------------------------------
def _slug(block_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", block_id)


def labels(doc: Document) -> dict[str, str]:
    """Each block id and section anchor -> its id in ``csr.qmd``: ``tbl-<id>`` for numbered
    tables and listings, ``fig-<id>`` for numbered figures, ``out-<id>`` for unnumbered in-text
    tables (a Quarto label would number them), section anchors as they are; ``_`` -> ``-``."""
    out: dict[str, str] = {}
    for block in iter_blocks(doc.sections):
        if isinstance(block, Section):
            out[block.anchor] = _slug(block.anchor)
        elif isinstance(block, Figure):
            out[block.id] = ("fig-" if block.number else "out-") + _slug(block.id)
        elif isinstance(block, _Tabular):
            out[block.id] = ("tbl-" if block.number else "out-") + _slug(block.id)
            out.update({r.anchor: "row-" + _slug(r.anchor) for r in block.rows if r.anchor})
    seen: dict[str, str] = {}
    for key, label in out.items():
        if label in seen:
            raise ValueError(f"csr.qmd: {seen[label]!r} and {key!r} both make the id {label!r}")
        seen[label] = key
    return out


class _Writer:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.labels = labels(doc)
        self.targets = {
            item.link[1:]
            for block in iter_blocks(doc.sections)
            for item in _linked(block)
            if item.link.startswith("#")
        }
        self.lines: list[str] = []
        self.figures: dict[str, bytes] = {}

    def href(self, link: str) -> str:
        """A model link (``#id`` or a file name) as a Markdown link target."""
        if link.startswith("#"):
            return "#" + self.labels.get(link[1:], _slug(link[1:]))
        return "<" + link.replace("<", "%3C").replace(">", "%3E") + ">"

    # -- document -------------------------------------------------------------------------------
    def write(self) -> str:
        self._front_matter()
        for banner in self.doc.banners:
            self.block(f"::: {{.banner}}\n**{block_text(banner)}**\n:::")
        if self.doc.header:
            self.block(f"[{inline(' | '.join(self.doc.header))}]{{.page-header}}")
        rows = tuple(Row((Cell(k, bold=True), Cell(v))) for k, v in self.doc.title_page)
        self.block(self._pipe_table(rows, [("", "left", 1.0), ("", "left", 2.2)]))
        for section in self.doc.sections:
            self.section(section, 1)
        if self.doc.footer:
            self.block(f"::: {{.page-footer}}\n{block_text(self.doc.footer)}\n:::")
        return "\n\n".join(self.lines) + "\n"

    def block(self, text: str) -> None:
        self.lines.append(text)

    def _front_matter(self) -> None:
        doc = self.doc
        style = "\n".join("          " + line for line in _HTML_STYLE.splitlines())
        self.lines.append(
            "---\n"
            f"# csr.qmd of study {json.dumps(doc.study_id, ensure_ascii=False)}, written by "
            f"csrgen {__version__}; render with `quarto render csr.qmd`\n"
            f"title: {_yaml(doc.title)}\n"
            f"subtitle: {_yaml('Clinical Study Report: ' + doc.study_id)}\n"
            f"lang: {json.dumps(doc.language)}\n"
            f"papersize: {doc.paper.lower()}\n"
            "number-sections: false\n"
            "format:\n"
            "  html:\n"
            f"    output-file: {QUARTO_OUTPUT}.html\n"
            "    toc: true\n"
            "    toc-depth: 3\n"
            "    embed-resources: true\n"
            "    include-in-header:\n"
            "      text: |\n"
            f"{style}\n"
            "  docx:\n"
            f"    output-file: {QUARTO_OUTPUT}.docx\n"
            "    toc: false\n"
            "---"
        )

    def section(self, section: Section, level: int) -> None:
        if section.title:
            anchor = self.labels[section.anchor]
            hashes = "#" * min(level, 6)
            # "#" and "{" are escaped by inline(): a trailing "#" or "{...}" is the heading's text
            self.block(f"{hashes} {inline(section.heading)} {{#{anchor} .unnumbered}}")
            self.blocks(section.blocks, level)
        else:
            self.block(f"::: {{#{self.labels[section.anchor]}}}")
            self.blocks(section.blocks, level - 1)
            self.block(":::")

    def blocks(self, blocks, level: int) -> None:
        bullets: list[str] = []
        for block in blocks:
            if isinstance(block, Paragraph) and block.style == "bullet":
                bullets.append("    " * block.level + "- " + self.runs(block))
                continue
            if bullets:
                self.block("\n".join(bullets))
                bullets = []
            if isinstance(block, Section):
                self.section(block, level + 1)
            elif isinstance(block, Paragraph):
                self.paragraph(block)
            elif isinstance(block, Contents):
                self.contents(block)
            elif isinstance(block, Figure):
                self.figure(block)
            elif isinstance(block, _Tabular):
                self.tabular(block)
            else:
                raise TypeError(f"csr.qmd: unknown block {type(block).__name__}")
        if bullets:
            self.block("\n".join(bullets))

    # -- text -----------------------------------------------------------------------------------
    def runs(self, p: Paragraph) -> str:
        out = []
        for i, r in enumerate(p.runs):
            text = block_text(r.text, line_start=i == 0)
            if r.bold or r.italic:
                text = _styled(text, "**" if r.bold else "", "*" if r.italic else "")
            if r.link and text.strip():
                text = f"[{text}]({self.href(r.link)})"
            out.append(text)
        # a continuation line of a bullet is indented to its text
        return "".join(out).replace("\\\n", "\\\n" + "  " * (p.style == "bullet"))

    def paragraph(self, p: Paragraph) -> None:
        text = self.runs(p)
        if p.style in ("placeholder", "note"):
            style = "Placeholder" if p.style == "placeholder" else "Note"
            text = f'::: {{.{p.style} custom-style="{style}"}}\n{text}\n:::'
        self.block(text)

    def contents(self, c: Contents) -> None:
        items = []
        if c.kind == "sections":
            for s, level in _headings(self.doc.sections):
                if level <= c.depth and not any(
                    isinstance(b, Contents) and b.kind == "sections" for b in s.blocks
                ):
                    link = f"[{inline(s.heading)}](#{self.labels[s.anchor]})"
                    items.append("    " * (level - 1) + "- " + link)
        else:
            for b in iter_blocks(self.doc.sections):
                if isinstance(b, Figure | _Tabular) and b.number.startswith(c.kind + " "):
                    items.append(f"- [{inline(b.caption)}](#{self.labels[b.id]})")
        if items:
            self.block("\n".join(items))

    # -- tables, listings, figures --------------------------------------------------------------
    def caption(self, b) -> str:
        """The caption: number and title, then the population on a line of its own."""
        text = block_text(b.caption)
        if b.population:
            text += "\\\n" + f"[{block_text(b.population)}]{{.population}}"
        return text

    def notes(self, b) -> None:
        lines = [block_text(n) for n in b.footnotes]
        if b.source:
            lines.append(f"[{block_text(b.source)}]{{.source}}")
        if lines:
            self.block("::: {.csr-notes}\n" + "\n\n".join(lines) + "\n:::")

    def float_div(self, b, content: str) -> None:
        """A table or figure without a body: Quarto reads a labelled div's last paragraph as
        its caption."""
        self.block(f"::: {{#{self.labels[b.id]}}}\n{content}\n\n{self.caption(b)}\n:::")

    def tabular(self, t: _Tabular) -> None:
        from csrgen.writers.html import print_landscape

        landscape = print_landscape(t, self.doc.paper)
        if landscape:
            self.block(_LANDSCAPE)
        if t.null_reason:
            self.float_div(t, f"*{block_text(t.null_reason)}*")
        elif isinstance(t, Listing) and t.external:
            files = " and ".join(f"[{inline(f)}]({self.href(f)})" for f in t.external)
            self.float_div(
                t,
                f"*This listing has {fmt.fmt_count(t.total_rows)} rows; it is provided as "
                f"{files} beside this document.*",
            )
        elif not t.number and not t.title:
            self.block(self._pipe_table(t.rows, _columns(t, landscape)))
        else:
            table = self._pipe_table(t.rows, _columns(t, landscape))
            self.block(f"{table}\n\n: {self.caption(t)} {{#{self.labels[t.id]}}}")
        self.notes(t)
        if landscape:
            self.block(":::")

    def _pipe_table(self, rows, columns) -> str:
        """A pipe table; ``columns`` are (label, align, relative width). Widths become the
        lengths of the separator's dashes (pandoc shares the page in their proportion)."""
        rule = {"left": ":{}", "right": "{}:", "center": ":{}:"}
        head = "| " + " | ".join(inline(label) for label, _, _ in columns) + " |"
        sep = "|" + "|".join(rule[a].format("-" * max(3, round(w * 8))) for _, a, w in columns)
        out = [head, sep + "|"]
        for row in rows:
            cells = [self.cell(c) for c in row.cells]
            if row.anchor and row.anchor in self.targets:
                cells[0] = f"[]{{#{self.labels[row.anchor]}}}" + cells[0]
            out.append("| " + " | ".join(cells) + " |")
        return "\n".join(out)

    def cell(self, c: Cell) -> str:
        text = inline(c.text).strip()
        if text and c.bold:
            text = f"**{text}**"
        if text and c.link:
            text = f"[{text}]({self.href(c.link)})"
        return _INDENT * c.indent + text

    def figure(self, f: Figure) -> None:
        if f.landscape:
            self.block(_LANDSCAPE)
        if f.null_reason:
            self.float_div(f, f"*{block_text(f.null_reason)}*")
        else:
            name = f"{FIGURE_DIR}/{_slug(f.id)}.png"
            self.figures[name] = f.png
            self.block(
                f"![{self.caption(f)}]({name}){{#{self.labels[f.id]} "
                f'width="{f.width_in}in" fig-alt={_attr(f.alt)}}}'
            )
        self.notes(f)
        if f.landscape:
            self.block(":::")


def _styled(text: str, bold: str, italic: str) -> str:
    """``text`` in emphasis markers; spaces at its ends stay outside (Markdown ignores a marker
    next to a space)."""
    core = text.strip(" ")
    if not core:
        return text
    lead, tail = text[: len(text) - len(text.lstrip(" "))], text[len(text.rstrip(" ")) :]
    return f"{lead}{bold}{italic}{core}{italic}{bold}{tail}"


def _columns(t: _Tabular, landscape: bool) -> list[tuple[str, str, float]]:
    """Each column's one-line label (a spanner's label before those it spans: a pipe table has
    one header row), alignment and relative width (:func:`_widths`)."""
    widths = _widths(t, landscape)
    span = {i: sp.label for sp in t.spanners for i in range(sp.first, sp.last + 1)}
    out = []
    for i, c in enumerate(t.columns):
        label = header_text(c.label)
        if i in span and span[i]:
            label = f"{span[i]}: {label}"
        out.append((label, c.align, widths[i]))
    return out


def _widths(t: _Tabular, landscape: bool) -> list[float]:
    """Relative column widths with which no number or word breaks in Quarto's Word and PDF
    (pandoc shares the text width in these proportions when a table's lines are long): the
    DOCX writer's column widths for Quarto's type (:data:`_TYPE_SIZES`, on its Letter page with
    1 inch margins), a smaller type where it needs one, else the model's relative widths."""
    from csrgen.writers import layout

    room = (11.0 if landscape else 8.5) * 72 - 2 * 72
    for size in _TYPE_SIZES:
        widths = layout.fit_widths(t, room, layout.Scale(size, size / 2))
        if widths is not None:
            return [w / sum(widths) * 10 for w in widths]
    return [c.width for c in t.columns]


def _linked(block):
    if isinstance(block, Paragraph):
        return [r for r in block.runs if r.link]
    if isinstance(block, _Tabular):
        return [c for r in block.rows for c in r.cells if c.link]
    return []


def _headings(sections, level: int = 1):
    for s in sections:
        if isinstance(s, Section):
            if s.title:
                yield s, level
            yield from _headings([b for b in s.blocks if isinstance(b, Section)], level + 1)


def render_qmd(doc: Document) -> tuple[str, dict[str, bytes]]:
    """``csr.qmd``'s text and its figure files (path relative to it -> bytes)."""
    writer = _Writer(doc)
    return writer.write(), writer.figures


def write_qmd(doc: Document, path: Path) -> list[Path]:
    """Write ``csr.qmd`` to ``path`` and its figures into ``csr-figures/`` beside it; returns
    the files written."""
    text, figures = render_qmd(doc)
    path.write_text(text, encoding="utf-8", newline="\n")
    written = [path]
    for name, data in sorted(figures.items()):
        target = path.parent / name
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written
