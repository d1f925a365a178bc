"""Listing 16.2.4.x Medical history.

pre-processing: the ADMH records of the population's subjects (ADSL arm merged on USUBJID),
the study file's ``where``/``exclude`` filters, sorted by arm, subject, start date and term.
analysis: :func:`csrgen.analyses.listings.ard_listed` (population N, subjects and records).
build: one row per record.
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


#: CDISC ADaM ADMH names; a study file may replace the list.
DEFAULT_COLUMNS = [
    _c("Category", "MHCAT", width=1.3),
    _c("System organ class", "MHBODSYS", width=1.4),
    _c("Preferred term", "MHDECOD", width=1.2),
    _c("Reported term", "MHTERM", width=1.8),
    _c("Start date", "ASTDT", width=1.0),
    _c("Start date\nimputed", "ASTDTF", width=0.6),
    _c("End date", "AENDT", width=1.0),
    _c("End relative\nto screening", "MHENRTPT", width=0.9),
]

FOOTNOTE = (
    "Start date imputed: D = day imputed (the 1st of the month), M = day and month imputed "
    "(1 January). End relative to screening: ONGOING = still present, BEFORE = ended before. "
    "Blank: not recorded. Sorted by treatment arm, subject and start date."
)


class Options(ListingOptions):
    dataset: str = Field(default="admh", min_length=1)
    columns: list[ListingColumn] = Field(default_factory=lambda: list(DEFAULT_COLUMNS))
    sort: list[str] = Field(default_factory=lambda: ["ASTDT", "MHDECOD"])
    #: The listing's own footnote (after the study file's footnotes).
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
