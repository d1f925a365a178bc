"""Listing 16.2.7.x All adverse events (also the base of the serious-AE listing ``l_sae``).

pre-processing: ADAE records of the population's subjects (ADSL arm and subject variables merged
on USUBJID), the study file's ``where``/``exclude`` filters, sorted by arm, subject, start date.
analysis: :func:`csrgen.analyses.listings.ard_listed` (population N, subjects and records listed).
build: one row per record, each with an anchor (``l_ae-<subject>-<k>``) so that summary tables can
link to it; the HTML page filters the listing by ``#l_ae?q=<preferred term>``.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from csrgen.config import VarName
from csrgen.outputs.base import OutputContext
from csrgen.outputs.listing_common import (
    ListingColumn,
    ListingOptions,
    build_listing,
    keep_rows,
    listing_ard,
    listing_checks,
    listing_requires,
    null_listing,
    sort_listing,
    with_subjects,
)

ROLE = "adae"


def _c(
    label: str, *names: str, width: float = 1.0, blanks: str = "drop", sep: str = "/"
) -> ListingColumn:
    return ListingColumn(label=label, vars=list(names), width=width, blanks=blanks, sep=sep)


#: CDISC ADaM ADAE names; a study file may replace the list.
DEFAULT_COLUMNS = [
    _c("Age/\nSex", "AGE", "SEX", width=0.6),
    _c("Verbatim term", "AETERM", width=1.8),
    # SOC above PT in one cell, as listings usually stack the coding: a dozen columns must fit
    # a landscape page at 8 pt.
    _c("System organ class/\nPreferred term", "AEBODSYS", "AEDECOD", width=2.2, sep="\n"),
    _c("Start/\nend day", "ASTDY", "AENDY", width=0.7, blanks="keep"),
    _c("Duration\n(days)", "ADURN", width=0.7),
    _c("Severity/\nserious", "AESEV", "AESER", width=1.0, blanks="keep"),
    _c("Relationship", "AEREL", width=1.0),
    _c("Action taken", "AEACN", width=1.0),
    _c("Outcome", "AEOUT", width=1.3),
    _c("TE", "TRTEMFL", width=0.4),
]

FOOTNOTE = (
    "Start/end day: study days relative to the first dose (day 1 = first dose; no day 0); "
    "no end day: ongoing or not recorded. "
    "Duration in days as recorded (ADURN). TE: treatment-emergent (Y). Blank: not recorded. "
    "Sorted by treatment arm, subject and start date."
)


class Options(ListingOptions):
    columns: list[ListingColumn] = Field(default_factory=lambda: list(DEFAULT_COLUMNS))
    sort: list[VarName] = Field(default_factory=lambda: ["ASTDT", "AENDT", "AEDECOD"])
    #: Give every row an HTML anchor (summary tables link to the AE listing).
    anchors: bool = True
    #: The listing's own footnote (after the study file's footnotes).
    note: str = FOOTNOTE


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    return listing_requires(options, ROLE)


def check(ctx: OutputContext):
    return listing_checks(ctx, ROLE)


def prepare(ctx: OutputContext) -> pd.DataFrame:
    rows = keep_rows(with_subjects(ctx, ctx.data[ROLE]), ctx.options)
    return sort_listing(rows, ctx.options.sort)


def analyze(ctx: OutputContext, rows: pd.DataFrame) -> pd.DataFrame:
    return listing_ard(ctx, rows)


def build(ctx: OutputContext, rows: pd.DataFrame, ard: pd.DataFrame):
    if ctx.subjects.empty:
        return [null_listing(ctx)]
    return [
        build_listing(
            ctx,
            rows,
            ard,
            ctx.options.columns,
            [ROLE, "adsl"],
            footnotes=[ctx.options.note] if ctx.options.note else [],
            anchors=ctx.options.anchors,
        )
    ]
