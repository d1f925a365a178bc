"""Checks of a rendered CSR against the document model it was written from.

The PDF checks read the PDF that LibreOffice makes from ``csr.docx`` (word boxes grouped into
printed lines, :mod:`tests.render.pdftext`) and find each table by its caption:

* :func:`check_broken_words`: a word or number printed in pieces inside a table ("Placeb" /
  "o", "<0.00" / "1"): a printed word that is no word of the table;
* :func:`check_row_labels`: a statistic beside the wrong label: each row of the model (each
  line of a multi-line cell) must print on one line with its stub label, values in column order;
* :func:`check_kept_together`: a caption away from its table, a table starting with one row at
  the foot of a page, a lone row of a table or group heading a page, notes starting a page;
* :func:`check_contents_pages`: each entry of the table of contents and of the lists of
  tables, figures and listings ends in the page its heading or caption prints on.

The model and file checks need no rendering:

* :func:`check_narrative_numbers`: an estimate, CI or p-value a paragraph quotes while citing a
  numbered table ("(Table 14.2.1)" or a link to it) is printed, character for character, in
  that table;
* :func:`check_docx_links` / :func:`check_html_links`: every internal link lands on a bookmark
  or an element id;
* :func:`check_variable_names`: a row label or column header that is a dataset variable name
  ("ITTFL", "Ittfl", "Dctreas NE").

Each returns a list of :class:`Finding`; an empty list is a pass.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

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
from tests.render.pdftext import Line, norm, tokens

#: Printed lines searched for the next row of a table (wrapped labels and a repeated header
#: on a new page lie in between).
ROW_WINDOW = 14


@dataclass(frozen=True)
class Finding:
    check: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.where}: {self.message}"


# -- where each table prints -----------------------------------------------------------------------
@dataclass
class Placed:
    """Where a table or figure prints: the line of its caption, its first line after the
    caption and population, the line its notes start on (or where its rows end), and the
    line each expected row line printed on (None: not found)."""

    block: object
    caption: int
    start: int
    end: int
    notes: int | None = None
    rows: list[tuple[int, int, int | None]] = field(default_factory=list)


def captioned(doc: Document) -> list:
    """Tables, listings and figures with a caption, in document order."""
    return [
        block
        for block in iter_blocks(doc.sections)
        if isinstance(block, Figure | _Tabular) and block.caption
    ]


def prints_rows(block) -> bool:
    """A table or listing whose rows the DOCX prints (not null, not kept in external files)."""
    return (
        isinstance(block, _Tabular)
        and bool(block.rows)
        and not block.null_reason
        and not (isinstance(block, Listing) and block.external)
    )


def _is_leader(line: Line) -> bool:
    """A contents entry (dot leader) rather than a caption."""
    return any("...." in t for t in line.tokens)


def _joined(parts: list[str]) -> str:
    """Lines' texts as one: a line ending in a hyphen (a word broken after it, as paragraphs
    may) runs on into the next."""
    out = ""
    for part in parts:
        out += part if not out or out.endswith("-") else " " + part
    return out


def _match_text(lines: list[Line], at: int, words: list[str]) -> int | None:
    """If ``words`` print from line ``at`` on, as whole lines, the index after the last."""
    want = " ".join(words)
    parts: list[str] = []
    for i in range(at, min(at + 6, len(lines))):
        parts.append(lines[i].text)
        got = _joined(parts)
        if got == want:
            return i + 1
        if not want.startswith(got):
            return None
    return None


def _find_text(lines, start, stop, words, skip_leaders=True) -> tuple[int, int] | None:
    """The first (line, line after) from ``start`` where ``words`` print as whole lines."""
    for i in range(start, min(stop, len(lines))):
        if skip_leaders and _is_leader(lines[i]):
            continue
        if lines[i].tokens and words[0].startswith(lines[i].tokens[0]):
            after = _match_text(lines, i, words)
            if after is not None:
                return i, after
    return None


def place_outputs(doc: Document, lines: list[Line]) -> tuple[list[Placed], list[Finding]]:
    """Find each output's caption in order, then its notes and rows."""
    placed, findings = [], []
    cursor = 0
    for block in captioned(doc):
        found = _find_text(lines, cursor, len(lines), tokens(block.caption))
        if found is None:
            findings.append(Finding("missing", block.caption, "caption not found in the PDF"))
            continue
        caption, start = found
        if block.population:
            pop = _find_text(lines, start, start + 3, tokens(block.population))
            start = pop[1] if pop else start
        notes_text = (*block.footnotes, block.source) if block.footnotes or block.source else ()
        notes = None
        if notes_text:
            first = tokens(next(t for t in notes_text if t))[:6]
            for i in range(start, len(lines)):
                if lines[i].tokens[: len(first)] == first:
                    notes = i
                    break
        end = notes if notes is not None else len(lines)
        place = Placed(block, caption, start, end, notes)
        if prints_rows(block):
            place.rows = _match_rows(block, lines, start, end)
            if notes is None:
                place.end = max((j for _, _, j in place.rows if j is not None), default=start) + 1
        placed.append(place)
        cursor = place.end if prints_rows(block) else start
    return placed, findings


# -- rows beside their labels ----------------------------------------------------------------------
def expected_lines(block: _Tabular) -> list[tuple[int, int, list[list[str]]]]:
    """(row, line of the row, words per cell that must print on one line): every line of a
    table's rows; the first line of a listing's rows (its text cells wrap freely). A number
    cell's line prints whole; a text cell's first word starts its line."""
    out = []
    listing = isinstance(block, Listing)
    for r, row in enumerate(block.rows):
        cells = [c.text.split("\n") for c in row.cells]
        depth = 1 if listing else max(len(c) for c in cells)
        for k in range(depth):
            groups = []
            for col, parts in zip(block.columns, cells, strict=True):
                words = tokens(parts[k]) if k < len(parts) else []
                groups.append(words[:1] if col.align == "left" else words)
            if any(groups):
                out.append((r, k, groups))
    return out


def _contains_in_order(line: list[str], groups: list[list[str]]) -> bool:
    """Each group prints as consecutive words, the groups left to right."""
    i = 0
    for group in groups:
        if not group:
            continue
        n = len(group)
        while i + n <= len(line) and line[i : i + n] != group:
            i += 1
        if i + n > len(line):
            return False
        i += n
    return True


def _match_rows(block: _Tabular, lines: list[Line], start: int, end: int):
    """The printed line of each expected row line: the next line that starts with the row's
    first word and holds its values in order; failing that (a value printed elsewhere), the
    next line that starts with the row's first word, which the next rows are not searched
    after (None: no such line)."""
    matched = []
    cursor = start
    for r, k, groups in expected_lines(block):
        anchor = next(g[0] for g in groups if g)
        window = range(cursor, min(end, cursor + ROW_WINDOW))
        starts = [j for j in window if lines[j].tokens[:1] == [anchor]]
        full = [j for j in starts if _contains_in_order(lines[j].tokens, groups)]
        hit = (full or starts or [None])[0]
        matched.append((r, k, hit))
        if full:
            cursor = hit + 1
    return matched


def check_row_labels(doc: Document, lines: list[Line]) -> list[Finding]:
    placed, findings = place_outputs(doc, lines)
    for place in placed:
        if not prints_rows(place.block):
            continue
        expected = {(r, k): groups for r, k, groups in expected_lines(place.block)}
        for r, k, j in place.rows:
            groups = expected[(r, k)]
            want = " | ".join(" ".join(g) for g in groups if g)
            where = f"{place.block.caption[:40]}, row {r + 1}" + (f" line {k + 1}" if k else "")
            if j is None:
                findings.append(Finding("wrong_label", where, f"no printed line starts {want!r}"))
            elif not _contains_in_order(lines[j].tokens, groups):
                findings.append(
                    Finding(
                        "wrong_label",
                        where,
                        f"expected {want!r} on one line, page {lines[j].page} prints "
                        f"{lines[j].text!r}",
                    )
                )
    return findings


# -- broken words ----------------------------------------------------------------------------------
def table_words(block: _Tabular) -> set[str]:
    words = set()
    for text in [c.label for c in block.columns] + [s.label for s in block.spanners]:
        words.update(tokens(text))
    for row in block.rows:
        for cell in row.cells:
            words.update(tokens(cell.text))
    return words


def check_broken_words(doc: Document, lines: list[Line]) -> list[Finding]:
    """Printed words inside a table (between its population line and its notes) that are no
    word of its header or cells: the pieces of a word broken across lines."""
    placed, findings = place_outputs(doc, lines)
    for place in placed:
        if not prints_rows(place.block):
            continue
        known = table_words(place.block)
        for line in lines[place.start : place.end]:
            pieces = [t for t in line.tokens if t not in known]
            if pieces:
                findings.append(
                    Finding(
                        "broken_word",
                        f"{place.block.caption[:40]}, page {line.page}",
                        f"{', '.join(map(repr, pieces))} in {line.text!r}",
                    )
                )
    return findings


# -- kept together ---------------------------------------------------------------------------------
def check_kept_together(doc: Document, lines: list[Line]) -> list[Finding]:
    """Pieces of a table torn apart across a page break."""
    placed, findings = place_outputs(doc, lines)
    for place in placed:
        block = place.block
        if not prints_rows(block):
            continue
        name = block.caption[:40]
        rows = {}  # body row -> page of its first line
        for r, k, j in place.rows:
            if j is not None and k == 0:
                rows[r] = lines[j].page
        if not rows:
            continue
        cap_page = lines[place.caption].page
        first = rows[min(rows)]
        if first != cap_page:
            findings.append(Finding("torn", name, f"caption on page {cap_page}, rows from {first}"))
        per_page: dict[int, list[int]] = {}
        for r, page in sorted(rows.items()):
            per_page.setdefault(page, []).append(r)
        pages = sorted(per_page)
        n = len(block.rows)
        if len(pages) > 1 and len(per_page[pages[0]]) == 1:
            findings.append(Finding("torn", name, f"starts with one row at the foot of {first}"))
        groups = _group_bounds(block)
        for page in pages[1:]:
            top = per_page[page][0]
            if top == n - 1:
                findings.append(Finding("torn", name, f"its last row alone heads page {page}"))
            elif top in groups["last"] and groups["size"].get(top, 0) >= 2:
                findings.append(
                    Finding("torn", name, f"the last row of a group heads page {page}: row {top}")
                )
        for page in pages[:-1]:
            bottom = per_page[page][-1]
            if block.rows[bottom].kind == "group" and bottom + 1 < n:
                findings.append(Finding("torn", name, f"group row {bottom} ends page {page}"))
        if place.notes is not None:
            last = rows.get(n - 1)
            note_page = lines[place.notes].page
            if last is not None and note_page != last:
                findings.append(
                    Finding("torn", name, f"notes start page {note_page}, last row on {last}")
                )
    return findings


def _group_bounds(block: _Tabular) -> dict:
    """Rows that end a group (and the size of their group)."""
    starts = [i for i, row in enumerate(block.rows) if row.kind == "group"]
    last, size = set(), {}
    for g, end in zip(starts, [*starts[1:], len(block.rows)][: len(starts)], strict=True):
        if end - 1 > g:
            last.add(end - 1)
            size[end - 1] = end - g - 1
    return {"last": last, "size": size}


# -- contents with page numbers --------------------------------------------------------------------
def _headings(sections, level: int = 1):
    for s in sections:
        if isinstance(s, Section):
            if s.title:
                yield s, level
            yield from _headings([b for b in s.blocks if isinstance(b, Section)], level + 1)


def _contents_entries(doc: Document, block: Contents) -> list[tuple[str, str]]:
    """(entry text, kind) as the writers list them: headings or captions."""
    if block.kind == "sections":
        return [
            (s.heading, "heading")
            for s, level in _headings(doc.sections)
            if level <= block.depth
            and not any(isinstance(b, Contents) and b.kind == "sections" for b in s.blocks)
        ]
    return [
        (b.caption, "caption")
        for b in iter_blocks(doc.sections)
        if isinstance(b, _Tabular | Figure) and b.number.startswith(block.kind + " ")
    ]


_LEADER = re.compile(r"\s*(?:\.\s*){2,}(\d+)$")


#: An entry whose text fills its line leaves no room for dots: the number follows a space.
_BARE_NUMBER = re.compile(r"\s+(\d+)$")


def _entry_edges(lines: list[Line]) -> dict[int, float]:
    """Per page, the right edge of its dotted contents entries (where their numbers end)."""
    edges: dict[int, float] = {}
    for line in lines:
        if line.words and _LEADER.search(line.text):
            edges[line.page] = max(edges.get(line.page, 0.0), line.words[-1].x1)
    return edges


def _listed(
    lines: list[Line], start: int, text: str, edges: dict[int, float]
) -> tuple[int, int] | None:
    """(line after, page number) of the next contents entry reading ``text``: its words on
    one to three lines, the last ending in a dot leader and a number (or, when the words fill
    the line up to the right edge of the entries, in the number alone)."""
    want = " ".join(tokens(text))
    for i in range(start, len(lines)):
        m = _LEADER.search(lines[i].text)
        line = lines[i]
        if not m and line.words and line.words[-1].x1 >= edges.get(line.page, 1e9) - 2:
            m = _BARE_NUMBER.search(line.text)  # the words fill the line: no room for dots
        if not m:
            continue
        for back in range(3):
            if i - back < start:
                break
            joined = _joined([lines[j].text for j in range(i - back, i + 1)])
            if joined[: len(joined) - len(m.group(0))].rstrip(". ") == want or (
                _LEADER.sub("", joined) == want
            ):
                return i + 1, int(m.group(1))
    return None


def check_contents_pages(doc: Document, lines: list[Line]) -> list[Finding]:
    """Every entry of the contents and the lists of outputs ends in its target's page."""
    findings = []
    placed, _ = place_outputs(doc, lines)
    caption_page = {tuple(tokens(p.block.caption)): lines[p.caption].page for p in placed}
    cursor = 0
    listed: list[tuple[str, str, int]] = []
    edges = _entry_edges(lines)
    for block in (b for b in iter_blocks(doc.sections) if isinstance(b, Contents)):
        for text, kind in _contents_entries(doc, block):
            found = _listed(lines, cursor, text, edges)
            if found is None:
                findings.append(Finding("contents", text, "no entry with a page number"))
                continue
            cursor, page = found
            listed.append((text, kind, page))
    cursor = 0  # headings of the front matter print before the contents
    for text, kind, page in listed:
        words = tokens(text)
        if kind == "caption":
            printed = caption_page.get(tuple(words))
        else:
            at = _find_text(lines, cursor, len(lines), words)
            printed = lines[at[0]].page if at else None
            cursor = at[1] if at else cursor
        if printed is None:
            findings.append(Finding("contents", text, "its heading or caption is not printed"))
        elif page != printed:
            message = f"listed on page {page}, printed on {printed}"
            findings.append(Finding("contents", text, message))
    return findings


# -- narrative numbers against their tables --------------------------------------------------------
_NUMBER = re.compile(r"[<>]?-?\d+(?:\.\d+)+")
_CITED = re.compile(r"\bTables?\s+((?:\d+\.)+\d+)")
#: Numbers that name a part of the document, not a statistic: "Table 14.2", "Appendix 16.2".
_PART = re.compile(
    r"\b(?:Tables?|Figures?|Listings?|Appendix|Appendices|[Ss]ections?)\s+\d+(?:\.\d+)*"
)


def numbers(text: str) -> list[str]:
    """Decimal numbers as printed ("3.9", "-11.0", "<0.001"); section and output numbers
    ("14.2.1", "Appendix 16.2") and integers left out."""
    text = _PART.sub(" ", norm(text))
    return [m for m in _NUMBER.findall(text) if m.count(".") == 1]


def _cited_tables(text: str, links: Iterable[str], tables: dict[str, _Tabular]) -> list[_Tabular]:
    """Numbered tables a text cites by number ("Table 14.2.5.1"; "Table 14.2.5" cites its
    sub-tables 14.2.5.x) or links to."""
    out = []
    by_number = {t.number.split(" ", 1)[1]: t for t in tables.values()}
    for num in _CITED.findall(norm(text)):
        out += [t for n, t in by_number.items() if n == num or n.startswith(num + ".")]
    out += [tables[link.lstrip("#")] for link in links if link.lstrip("#") in tables]
    return list({t.id: t for t in out}.values())


def check_narrative_numbers(doc: Document) -> list[Finding]:
    """Each decimal number of a paragraph (or in-text table) that cites numbered tables is
    printed, character for character, in one of those tables' cells."""
    tables = {
        b.id: b
        for b in iter_blocks(doc.sections)
        if isinstance(b, _Tabular) and not isinstance(b, Listing) and b.number.startswith("Table")
    }
    printed = {
        t.id: {n for row in t.rows for c in row.cells for n in numbers(c.text)}
        for t in tables.values()
    }
    findings = []
    for block in iter_blocks(doc.sections):
        if isinstance(block, Paragraph):
            text = block.text
            quoted = numbers(text)
            links = [r.link.split("?")[0] for r in block.runs if r.link]
            cited = _cited_tables(text, links, tables)
        elif isinstance(block, _Tabular) and not block.number and block.title:
            text = block.title
            quoted = [n for row in block.rows for c in row.cells[1:] for n in numbers(c.text)]
            cited = _cited_tables(block.title, [], tables)
        else:
            continue
        if not cited or not quoted:
            continue
        known = set().union(*(printed[t.id] for t in cited))
        missing = [n for n in quoted if n not in known]
        if missing:
            names = ", ".join(t.number for t in cited[:3]) + (" ..." if len(cited) > 3 else "")
            findings.append(
                Finding(
                    "narrative_number",
                    text[:60],
                    f"{', '.join(dict.fromkeys(missing))} not printed in {names}",
                )
            )
    return findings


# -- links -----------------------------------------------------------------------------------------
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_REF_FIELD = re.compile(r"^\s*(?:PAGEREF|REF)\s+(\S+)")


def check_docx_links(docx: Path) -> list[Finding]:
    """Every internal hyperlink and page reference of the DOCX names a bookmark it holds."""
    from lxml import etree

    with zipfile.ZipFile(docx) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    marks = {b.get(f"{_W}name") for b in root.iter(f"{_W}bookmarkStart")}
    targets = [h.get(f"{_W}anchor") for h in root.iter(f"{_W}hyperlink") if h.get(f"{_W}anchor")]
    for instr in root.iter(f"{_W}instrText"):
        m = _REF_FIELD.match(instr.text or "")
        if m:
            targets.append(m.group(1))
    return [
        Finding("unresolved_link", docx.name, f"link to bookmark {t!r}, which does not exist")
        for t in dict.fromkeys(targets)
        if t not in marks
    ]


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            elif name == "href" and value and value.startswith("#"):
                self.hrefs.append(value)


def check_html_links(page: Path | str) -> list[Finding]:
    """Every ``href="#..."`` of the page lands on an element id (``#l_ae?q=...``: the listing's
    id; the query is the page script's filter)."""
    parser = _Anchors()
    text = page.read_text(encoding="utf-8") if isinstance(page, Path) else page
    parser.feed(text)
    findings = []
    for href in dict.fromkeys(parser.hrefs):
        target = href[1:].split("?", 1)[0]
        if target not in parser.ids:
            findings.append(Finding("unresolved_link", "csr.html", f"{href!r} lands on no id"))
    return findings


# -- variable names as labels ----------------------------------------------------------------------
_LABEL_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def check_variable_names(doc: Document, variables: Mapping[str, str]) -> list[Finding]:
    """Column headers, spanners and row labels (the stub) of tables, and listing headers, that
    show a dataset variable's name ("ITTFL", "Ittfl", "Dctreas NE") rather than words.

    ``variables`` maps each dataset variable name to its label. A word that is a variable's
    name is fine when it is also a word of that variable's label ("Age": AGE, "Age"); a
    variable without a label is fine when the narrative uses the word ("sex")."""
    names = {name.upper(): label for name, label in variables.items()}
    prose = {
        w.lower()
        for b in iter_blocks(doc.sections)
        if isinstance(b, Paragraph)
        for w in _LABEL_WORD.findall(b.text)
    }
    findings = []
    for block in iter_blocks(doc.sections):
        if not isinstance(block, _Tabular):
            continue
        labels = [c.label for c in block.columns] + [s.label for s in block.spanners]
        if not isinstance(block, Listing):
            labels += [row.cells[0].text for row in block.rows]
        for label in dict.fromkeys(labels):
            raw = [w for w in _LABEL_WORD.findall(label) if _is_raw(w, names, prose)]
            if raw:
                findings.append(
                    Finding(
                        "raw_variable",
                        block.caption[:40] or block.id,
                        f"{label!r} shows variable name(s) {', '.join(raw)}",
                    )
                )
    return findings


def _is_raw(word: str, names: Mapping[str, str], prose: set[str]) -> bool:
    if len(word) < 2 or word.upper() not in names:
        return False
    if not (word.isupper() or word[0].isupper() and word[1:].islower()):
        return False
    label = names[word.upper()]
    if label:
        return word.lower() not in {w.lower() for w in _LABEL_WORD.findall(label)}
    return word.lower() not in prose


# -- everything ------------------------------------------------------------------------------------
PDF_CHECKS = (check_broken_words, check_row_labels, check_kept_together, check_contents_pages)


def check_rendered(doc: Document, lines: list[Line]) -> list[Finding]:
    """Every PDF check on the lines of the PDF made from ``doc``'s DOCX."""
    return [f for check in PDF_CHECKS for f in check(doc, lines)]
