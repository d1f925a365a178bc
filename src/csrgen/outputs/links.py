"""Links from the counts of a summary table to exactly the listing rows behind them (HTML).

A count links to its listing (``#l_ae``, so that the page reads without script) with a
:class:`~csrgen.document.model.ListingFilter`: the exact texts that the listing's fields (its
columns, or hidden facts of its rows) must hold, e.g. the arm, the preferred term, ``te = Y``
(treatment-emergent by the study's rule). The page's script shows only those rows, says how
many rows and subjects they are, and leads back to the table.

A table links only to a listing of the same population (so that the same subjects, under the
same arm variable, are listed) that lists every record the table counts; each table module
decides which of its listings qualify, with the helpers here. Whether the HTML shows the
listing's rows at all (``document.html_listing_max_rows``) is settled when the document is
assembled (:func:`csrgen.document.links.settle_links`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from csrgen.config import OutputSpec, StudyConfig
from csrgen.document.model import Cell, ListingFilter
from csrgen.outputs.base import OutputContext


def listing_options(spec: OutputSpec) -> Any:
    """The validated ``options`` of another output of the study (its module's model)."""
    from csrgen.outputs.catalog import get_module  # the catalog imports every module lazily

    return get_module(spec.slug).Options.model_validate(spec.options)


def listings(config: StudyConfig, slugs: set[str], population: str) -> Iterator[tuple[Any, Any]]:
    """``(spec, options)`` of the study's listings made by one of ``slugs`` for ``population``,
    in study order."""
    for spec in config.outputs:
        if spec.kind == "Listing" and spec.slug in slugs and spec.population == population:
            yield spec, listing_options(spec)


def arm_where(ctx: OutputContext, level: str) -> dict[str, str]:
    """The arm field of a listing of the table's population: its arm column (keyed by the
    population's arm variable) holds the arm's label; the Total column selects every arm."""
    return {} if level == ctx.config.arms.total_label else {ctx.arm_var: level}


def count_cell(text: str, n: float, listing_id: str, back: str, where: dict[str, str]) -> Cell:
    """A count's cell: linked to ``listing_id``'s rows with exactly ``where`` when there is a
    listing and something behind the count (``n`` > 0); plain otherwise."""
    if not listing_id or not n > 0:
        return Cell(text)
    return Cell(text, link=f"#{listing_id}", filter=ListingFilter(tuple(where.items()), back))
