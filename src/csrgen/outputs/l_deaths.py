"""Listing 16.2.7.x Deaths: every subject of the population who died.

pre-processing: :func:`csrgen.analyses.disposition.death_records` (the same deaths as Table
14.3.3: ADSL flag; date and cause from ADSL or from the fatal adverse event), with the subject's
ADSL variables; sorted by arm, subject and date of death.
analysis: :func:`csrgen.analyses.listings.ard_listed`.
build: one row per death. ``DTHDT``, ``DTHCAUS``, ``DTHDY`` (study day of death) and ``ONTRT``
(in the treatment period) are the derived values, whatever the study's source variables.
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
    with_subjects,
)
from csrgen.outputs.t_deaths import (
    DeathOptions,
    death_requires,
    source_note,
    subject_deaths,
    treatment_period_note,
)

DERIVED = frozenset({"DTHDT", "DTHCAUS", "DTHDY", "ONTRT"})


def _c(label: str, *names: str, width: float = 1.0) -> ListingColumn:
    return ListingColumn(label=label, vars=list(names), width=width)


DEFAULT_COLUMNS = [
    _c("Age/\nSex", "AGE", "SEX", width=0.6),
    _c("Treatment\nstart", "TRTSDT"),
    _c("Treatment\nend", "TRTEDT"),
    _c("Date of death", "DTHDT"),
    _c("Study day of death", "DTHDY", width=0.7),
    _c("Cause of death", "DTHCAUS", width=2.2),
    _c("In treatment period", "ONTRT", width=0.8),
]


class Options(ListingOptions, DeathOptions):
    columns: list[ListingColumn] = Field(default_factory=lambda: list(DEFAULT_COLUMNS))
    sort: list[str] = Field(default_factory=lambda: ["DTHDT"])


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    need = listing_requires(options, "adsl", DERIVED)
    for role, names in death_requires(options).items():
        need.setdefault(role, set()).update(names)
    return need


def prepare(ctx: OutputContext) -> pd.DataFrame:
    deaths = subject_deaths(ctx)
    rows = keep_rows(with_subjects(ctx, deaths), ctx.options)
    return sort_listing(rows, ctx.options.sort)


def analyze(ctx: OutputContext, rows: pd.DataFrame) -> pd.DataFrame:
    return listing_ard(ctx, rows)


def build(ctx: OutputContext, rows: pd.DataFrame, ard: pd.DataFrame):
    if ctx.subjects.empty:
        return [null_listing(ctx)]
    opts: Options = ctx.options
    notes = [
        "Study day of death relative to the first dose (day 1). In treatment period: Y/N; "
        "blank when the date of death is unknown. " + treatment_period_note(opts)
    ]
    if source_note(opts):
        notes.append(source_note(opts))
    roles = ["adsl"] + (["adae"] if opts.source().needs_adae else [])
    facts = [("DTHCAUS", "Cause of death"), ("ONTRT", "In treatment period")]  # Table 14.3.3's
    return [build_listing(ctx, rows, ard, opts.columns, roles, footnotes=notes, facts=facts)]
