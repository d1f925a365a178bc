"""The written-file and fragment caches' key (csrgen.cache.content_key): the content, not the
objects: a block read back from the cache keys as the block computed, whatever objects it
shares, and any printed difference changes the key."""

from __future__ import annotations

import pickle

import numpy as np

from csrgen.cache import content_key
from csrgen.document.model import Cell, Column, Listing, Row, Table, TextColumn


def table(text: str = "12 (5.5)", shared: bool = True) -> Table:
    label = "Headache"
    other = label if shared else "".join(["Head", "ache"])  # equal text, another object
    return Table(
        id="t",
        number="Table 1",
        title="AEs",
        population="Safety",
        columns=(Column("Term"), Column("A (N=10)")),
        rows=(Row((Cell(label), Cell(text))), Row((Cell(other), Cell(text)))),
    )


def test_the_key_is_the_content_not_the_objects():
    made = table(shared=True)
    assert content_key(made) == content_key(table(shared=False))
    assert content_key(made) == content_key(pickle.loads(pickle.dumps(made)))


def test_any_difference_changes_the_key():
    base = content_key(table())
    assert content_key(table("12 (5.6)")) != base
    assert content_key(table(), "2026-01-31") != content_key(table(), "2026-02-01")


def test_listing_columns_key_by_their_codes_and_labels():
    a = TextColumn(("x", "y"), np.array([0, 1, 1], dtype=np.int8))
    b = TextColumn(("x", "y"), np.array([0, 1, 0], dtype=np.int8))
    listing = Listing(
        id="l", number="Listing 1", title="L", population="", columns=(Column("C"),), rows=()
    )
    assert content_key(listing, a) == content_key(listing, pickle.loads(pickle.dumps(a)))
    assert content_key(listing, a) != content_key(listing, b)


def test_what_cannot_be_keyed_gives_none():
    assert content_key(lambda: 1) is None
