"""Links from counts to listing rows, settled once the whole document is known.

An output links a count to the listing rows behind it (:mod:`csrgen.outputs.links`); whether
the HTML shows that listing's rows is known only here. A listing longer than
``document.html_listing_max_rows`` is in the HTML as a reference to its files, where no link can
show the rows of one count: such links are removed, and the table says in a footnote where the
records are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from csrgen.document.model import Block, Listing, Table


def settle_links(
    blocks_by_output: Sequence[tuple[str, Sequence[Block]]],
) -> list[tuple[str, tuple[Block, ...]]]:
    """``blocks_by_output`` with the count links to listings the HTML does not show removed."""
    listings = {b.id: b for _, blocks in blocks_by_output for b in blocks if isinstance(b, Listing)}
    shown = {i for i, b in listings.items() if b.rows and not b.null_reason}
    return [
        (section, tuple(_settle(b, listings, shown) for b in blocks))
        for section, blocks in blocks_by_output
    ]


def _settle(block: Block, listings: dict[str, Listing], shown: set[str]) -> Block:
    if not isinstance(block, Table) or isinstance(block, Listing):
        return block
    targets = {c.link[1:] for r in block.rows for c in r.cells if c.filter is not None}
    hidden = targets - shown
    if not hidden:
        return block
    rows = tuple(
        replace(
            r,
            cells=tuple(
                replace(c, link="", filter=None)
                if c.filter is not None and c.link[1:] in hidden
                else c
                for c in r.cells
            ),
        )
        for r in block.rows
    )
    notes = [
        f"The records behind these counts are in {listings[i].number}, provided as "
        f"{' and '.join(listings[i].external)} (too long to show in this document)."
        for i in sorted(hidden)
        if i in listings and listings[i].external
    ]
    return replace(block, rows=rows, footnotes=block.footnotes + tuple(notes))
