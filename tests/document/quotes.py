"""Does the narrative quote every number as its table prints it? (a check on the document model)

A paragraph that links to numbered tables ("(Table 14.2.5.1)", "see Table 14.3.1") may quote
estimates with their confidence intervals and p-values; each quote must equal, character for
character, a cell (or the part of a cell) of one of the tables it links to. "3.9 (2.7, 5.1)" in
the synopsis against "3.90 (2.73, 5.07)" in the table is the kind of disagreement this finds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from csrgen.document.model import Document, Paragraph, Table, iter_blocks

#: ``est (lcl, ucl)`` as the formats print it (numbers or NE).
_NUM = r"(?:-?\d+(?:\.\d+)?|NE)"
EST_CI = re.compile(rf"(?<![\w.(-]){_NUM} \({_NUM}, {_NUM}\)")
#: ``p=0.023``, ``p<0.001``, ``p = 0.5``.
P_VALUE = re.compile(r"\bp\s?(?:=\s?|(?=[<>]))([<>]?\d\.\d+)")


@dataclass(frozen=True)
class Misquote:
    paragraph: str
    quote: str
    tables: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.quote!r} is in none of {', '.join(self.tables)}: {self.paragraph[:160]!r}"


def _plain(text: str) -> str:
    return text.replace("\u00a0", " ")


def cell_texts(table: Table) -> set[str]:
    return {_plain(c.text) for r in table.rows for c in r.cells}


def quotes(text: str) -> list[str]:
    """The estimate-with-CI quotes and the p-values of a text."""
    text = _plain(text)
    return EST_CI.findall(text) + P_VALUE.findall(text)


def misquotes(doc: Document) -> list[Misquote]:
    """Every quote of a narrative paragraph that none of the tables it links to prints."""
    tables = {
        b.id: b
        for b in iter_blocks(doc.sections)
        if isinstance(b, Table) and b.number and not b.null_reason
    }
    out = []
    for block in iter_blocks(doc.sections):
        if not isinstance(block, Paragraph):
            continue
        cited = [r.link.lstrip("#").split("?")[0] for r in block.runs if r.link]
        cited = [c for c in cited if c in tables]
        if not cited:
            continue
        cells = set().union(*(cell_texts(tables[c]) for c in cited))
        for quote in quotes(block.text):
            if not any(quote == cell or quote in cell for cell in cells):
                out.append(Misquote(block.text, quote, tuple(tables[c].number for c in cited)))
    return out


def uncited_quotes(doc: Document) -> list[str]:
    """Paragraphs that quote estimates or p-values without linking to any table."""
    return [
        b.text
        for b in iter_blocks(doc.sections)
        if isinstance(b, Paragraph) and quotes(b.text) and not any(r.link for r in b.runs)
    ]
