"""A small Markdown subset -> document model (sections, paragraphs, in-text tables).

The narrative templates (``templates/narrative/*.md.j2``) render to this subset; the parser turns
it into :class:`Section` / :class:`Paragraph` / :class:`Table` / :class:`Contents` blocks that
both writers lay out. Supported, and nothing else (every other character is text):

=================================  ==========================================================
``# 9 Investigational Plan``       heading; ``#`` count = level; a leading number becomes the
                                   section number; ``{anchor=x}`` at the end sets the anchor
``[Medical writer: ...]``          a paragraph starting so is a placeholder (shaded)
``- item`` (2 spaces per level)    bullet
``> text``                         a note (small print)
``| a | b |`` rows                 in-text table; ``|---|--:|`` sets alignment; a line
                                   ``Table: title`` right before it gives its title; ``~``
                                   at the start of a cell indents it; ``<br>`` breaks a header
``[TOC]``, ``[TOC Table]`` ...     table of contents / list of tables, figures or listings
``**bold**``, ``*italic*``         inline emphasis
``[text](#anchor)``                link to a section or an output
``\\*``                            a literal character (values from data are escaped so)
=================================  ==========================================================

Paragraph lines are joined with spaces; a blank line ends a paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from markupsafe import Markup

from csrgen.document.model import (
    Block,
    Cell,
    Column,
    Contents,
    Paragraph,
    Row,
    Run,
    Section,
    Table,
    split_link,
)

#: Characters with a meaning in the subset; :func:`md_escape` puts a backslash before them.
SPECIAL = "\\*[]|#->`~"
PLACEHOLDER_PREFIX = "[Medical writer:"
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*$")
_ANCHOR = re.compile(r"\s*\{anchor=([A-Za-z][A-Za-z0-9_-]*)\}$")
_NUMBER = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+(.*)$")
_TOC = re.compile(r"^\[TOC(?:\s+(Table|Figure|Listing))?\]$")
_BULLET = re.compile(r"^( *)[-*]\s+(.*)$")
_RULE = re.compile(r"^\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?$")


class NarrativeError(ValueError):
    """The rendered text does not follow the subset (message names the line)."""


def md_escape(text: str) -> str:
    """Make ``text`` literal in the subset: special characters escaped, line breaks to spaces."""
    text = " ".join(str(text).splitlines())
    return "".join("\\" + ch if ch in SPECIAL else ch for ch in text)


class MdSafe(Markup):
    """Markdown made by csrgen itself (a link, a list); inserted without escaping.

    A :class:`markupsafe.Markup` so that the template engine's escaping step (which is how a
    macro's already-escaped output is kept from being escaped twice) lets it through.
    """


def anchor_for(number: str, title: str) -> str:
    if number:
        return "sec-" + number.replace(".", "-")
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return "sec-" + (slug or "x")


# -- inline ----------------------------------------------------------------------------------------
def parse_inline(text: str) -> tuple[Run, ...]:
    """Runs of ``text``: emphasis, links and escapes resolved; adjacent equal runs merged."""
    runs: list[Run] = []
    _inline(text, runs, bold=False, italic=False, link="")
    merged: list[Run] = []
    for run in runs:
        if merged and replace(merged[-1], text="") == replace(run, text=""):
            merged[-1] = replace(run, text=merged[-1].text + run.text)
        elif run.text:
            merged.append(run)
    return tuple(merged)


def _inline(text: str, out: list[Run], bold: bool, italic: bool, link: str) -> None:
    buf: list[str] = []
    i = 0

    def flush() -> None:
        if buf:
            # a link to a listing's rows (#l_ae?AEDECOD=X&te=Y): the anchor and a typed filter
            anchor, rows = split_link(link)
            out.append(Run("".join(buf), bold, italic, anchor, rows))
            buf.clear()

    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            buf.append(text[i + 1])
            i += 2
            continue
        if text.startswith("**", i):
            end = _find(text, "**", i + 2)
            if end > i + 2:
                flush()
                _inline(text[i + 2 : end], out, True, italic, link)
                i = end + 2
                continue
        elif ch == "*":
            end = _find(text, "*", i + 1)
            if end > i + 1:
                flush()
                _inline(text[i + 1 : end], out, bold, True, link)
                i = end + 1
                continue
        elif ch == "[" and not link:
            close = _find(text, "]", i + 1)
            if close > i and text.startswith("(", close + 1):
                end = _find(text, ")", close + 2)
                if end > close:
                    flush()
                    target = text[close + 2 : end].strip()
                    _inline(text[i + 1 : close], out, bold, italic, target)
                    i = end + 1
                    continue
        buf.append(ch)
        i += 1
    flush()


def _find(text: str, token: str, start: int) -> int:
    """Index of the next unescaped ``token`` at or after ``start``; -1 when absent."""
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text.startswith(token, i):
            return i
        i += 1
    return -1


def _split_cells(line: str) -> list[str]:
    """Cells of a pipe-table line; escaped pipes stay in the cell."""
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells, buf, i = [], [], 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            buf.append(line[i : i + 2])
            i += 2
            continue
        if line[i] == "|":
            cells.append("".join(buf).strip())
            buf = []
        else:
            buf.append(line[i])
        i += 1
    cells.append("".join(buf).strip())
    return cells


def _plain(text: str) -> str:
    return "".join(r.text for r in parse_inline(text))


# -- blocks ----------------------------------------------------------------------------------------
@dataclass
class _Open:
    level: int
    number: str
    title: str
    anchor: str
    blocks: list[Block] = field(default_factory=list)

    def close(self) -> Section:
        return Section(self.number, self.title, self.anchor, tuple(self.blocks))


def parse_narrative(text: str, source: str = "narrative") -> tuple[Block, ...]:
    """Blocks of a rendered narrative template; headings open (nested) sections.

    Text before the first heading stays at the top level. ``source`` names the template in errors.
    """
    root = _Open(0, "", "", "")
    stack = [root]
    lines = text.splitlines()
    i = 0
    tables = 0
    para: list[str] = []

    def end_para() -> None:
        if para:
            stack[-1].blocks.append(_paragraph(" ".join(para)))
            para.clear()

    while i < len(lines):
        raw = lines[i]
        line = raw.strip()
        if not line:
            end_para()
            i += 1
            continue
        heading = _HEADING.match(raw)
        if heading and not raw.startswith(" "):
            end_para()
            level = len(heading.group(1))
            number, title, anchor = _heading_parts(heading.group(2))
            while len(stack) > 1 and stack[-1].level >= level:
                done = stack.pop()
                stack[-1].blocks.append(done.close())
            stack.append(_Open(level, number, title, anchor))
            i += 1
            continue
        toc = _TOC.match(line)
        if toc:
            end_para()
            stack[-1].blocks.append(Contents(kind=toc.group(1) or "sections"))  # type: ignore[arg-type]
            i += 1
            continue
        if line.startswith("Table:") or line.startswith("|"):
            end_para()
            title = ""
            if line.startswith("Table:"):
                title = line[len("Table:") :].strip()
                i += 1
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(lines[i].strip())
                i += 1
            if not rows:
                raise NarrativeError(f"{source}: line {i}: 'Table:' without a table after it")
            tables += 1
            table_id = f"{stack[-1].anchor or 'intext'}-t{tables}"
            stack[-1].blocks.append(_table(rows, title, table_id, source, i - len(rows) + 1))
            continue
        bullet = _BULLET.match(raw)
        if bullet:
            end_para()  # a list interrupts a paragraph, as in CommonMark
            level = len(bullet.group(1)) // 2
            stack[-1].blocks.append(
                Paragraph(parse_inline(bullet.group(2)), style="bullet", level=level)
            )
            i += 1
            continue
        if line.startswith(">"):
            end_para()
            para_lines = []
            while i < len(lines) and lines[i].strip().startswith(">"):
                para_lines.append(lines[i].strip()[1:].strip())
                i += 1
            stack[-1].blocks.append(Paragraph(parse_inline(" ".join(para_lines)), style="note"))
            continue
        para.append(line)
        i += 1
    end_para()
    while len(stack) > 1:
        done = stack.pop()
        stack[-1].blocks.append(done.close())
    return tuple(root.blocks)


def _heading_parts(text: str) -> tuple[str, str, str]:
    explicit = _ANCHOR.search(text)
    if explicit:
        text = text[: explicit.start()]
    number, title = "", text
    numbered = _NUMBER.match(text)
    if numbered:
        number, title = numbered.group(1), numbered.group(2)
    title = _plain(title)
    return number, title, explicit.group(1) if explicit else anchor_for(number, title)


def _paragraph(text: str) -> Paragraph:
    style = "placeholder" if text.startswith(PLACEHOLDER_PREFIX) else "body"
    if style == "placeholder":
        # The brackets are part of the visible marker: literal, so no link is made of them.
        return Paragraph(parse_inline(text.replace("[", "\\[").replace("]", "\\]")), style)
    return Paragraph(parse_inline(text), style="body")


def _table(rows: list[str], title: str, table_id: str, source: str, first_line: int) -> Table:
    header = _split_cells(rows[0])
    aligns = ["left"] + ["center"] * (len(header) - 1)
    body = rows[1:]
    if body and _RULE.match(body[0]):
        for k, spec in enumerate(_split_cells(body[0])[: len(header)]):
            if spec.startswith(":") and spec.endswith(":"):
                aligns[k] = "center"
            elif spec.endswith(":"):
                aligns[k] = "right"
            elif spec.startswith(":"):
                aligns[k] = "left"
        body = body[1:]
    columns = tuple(
        Column(_plain(label).replace("<br>", "\n"), align=align, key=f"c{k}")  # type: ignore[arg-type]
        for k, (label, align) in enumerate(zip(header, aligns, strict=True))
    )
    out_rows = []
    for offset, line in enumerate(body):
        cells = _split_cells(line)
        if len(cells) != len(columns):
            raise NarrativeError(
                f"{source}: line {first_line + offset + 2}: table row has {len(cells)} cells, "
                f"the header {len(columns)}"
            )
        group = all(not c for c in cells[1:]) and cells[0].startswith("**")
        out_rows.append(
            Row(
                tuple(_cell(c) for c in cells),
                kind="group" if group and len(cells) > 1 else "data",
            )
        )
    return Table(
        id=table_id,
        number="",
        title=_plain(title),
        population="",
        columns=columns,
        rows=tuple(out_rows),
    )


def _cell(text: str) -> Cell:
    indent = 0
    while text.startswith("~"):  # "~" indents a stub cell (one level each)
        indent += 1
        text = text[1:].lstrip()
    runs = parse_inline(text)
    bold = bool(runs) and all(r.bold for r in runs)
    link, rows = (runs[0].link, runs[0].filter) if len(runs) == 1 else ("", None)
    return Cell("".join(r.text for r in runs), indent=indent, bold=bold, link=link, filter=rows)
