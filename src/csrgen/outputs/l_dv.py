"""Listing 16.2.2 Protocol deviations.

pre-processing: the ADDV records of the population's subjects (ADSL arm merged on USUBJID),
the study file's ``where``/``exclude`` filters (e.g. ``where = { DVSCAT = ["MAJOR"] }``),
sorted by arm, subject, date and coded term.
analysis: :func:`csrgen.analyses.listings.ard_listed`.
build: one row per deviation.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from csrgen.outputs.base import OutputContext
from csrgen.outputs.listing_common import (
    ListingColumn,
    ListingOptions,
    build_listing,
    keep_rows,
    listing_ard,
    listing_requires,
    null_listing,
    sort_listing,
    stacked_facts,
    with_subjects,
)


def _c(label: str, *names: str, width: float = 1.0, sep: str = "/") -> ListingColumn:
    return ListingColumn(label=label, vars=list(names), width=width, sep=sep)


#: CDISC ADaM ADDV names (importance in DVSCAT); a study file may replace the list.
DEFAULT_COLUMNS = [
    _c("Importance", "DVSCAT", width=0.8),
    _c("Category", "DVCAT", width=1.2),
    _c("Coded term", "DVDECOD", width=1.3),
    _c("Deviation", "DVTERM", width=2.2),
    _c("Visit", "AVISIT", width=0.8),
    _c("Date", "ASTDT", width=1.0),
    _c("Study\nday", "ASTDY", width=0.5),
]

FOOTNOTE = (
    "Study day relative to the first dose (day 1; no day 0). Blank: not recorded or not "
    "visit-related. Sorted by treatment arm, subject and date."
)


class Options(ListingOptions):
    dataset: str = Field(default="addv", min_length=1)
    columns: list[ListingColumn] = Field(default_factory=lambda: list(DEFAULT_COLUMNS))
    sort: list[str] = Field(default_factory=lambda: ["ASTDT", "DVDECOD"])
    note: str = FOOTNOTE


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    return listing_requires(options, options.dataset)


def prepare(ctx: OutputContext) -> pd.DataFrame:
    rows = keep_rows(with_subjects(ctx, ctx.data[ctx.options.dataset]), ctx.options)
    return sort_listing(rows, ctx.options.sort)


def analyze(ctx: OutputContext, rows: pd.DataFrame) -> pd.DataFrame:
    return listing_ard(ctx, rows)


def build(ctx: OutputContext, rows: pd.DataFrame, ard: pd.DataFrame):
    if ctx.subjects.empty:
        return [null_listing(ctx)]
    opts: Options = ctx.options
    notes = [opts.note] if opts.note else []
    # class and term fields of their own: the occurrence tables' terms select them exactly
    facts = stacked_facts(opts.columns)
    roles = [opts.dataset, "adsl"]
    return [build_listing(ctx, rows, ard, opts.columns, roles, footnotes=notes, facts=facts)]
