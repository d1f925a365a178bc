"""Listing 16.2.4.x Prior and concomitant medications.

pre-processing: the ADCM records of the population's subjects (ADSL arm merged on USUBJID),
each classified prior and/or concomitant by the same rule as ``t_cm``
(:mod:`csrgen.outputs.cm_common`, in the derived column ``TIMING``), the study file's
``where``/``exclude`` filters, sorted by arm, subject, start date and name.
analysis: :func:`csrgen.analyses.listings.ard_listed`.
build: one row per record.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from csrgen.outputs.base import OutputContext
from csrgen.outputs.cm_common import MedicationRule, classify, rule_requires, timing_labels
from csrgen.outputs.listing_common import (
    ListingColumn,
    ListingOptions,
    build_listing,
    keep_rows,
    listed_vars,
    listing_ard,
    listing_requires,
    null_listing,
    sort_listing,
    stacked_facts,
    with_subjects,
)

#: The derived column: "Prior", "Concomitant", "Prior, concomitant" or blank (neither).
TIMING = "TIMING"


def _c(label: str, *names: str, width: float = 1.0, sep: str = "/") -> ListingColumn:
    return ListingColumn(label=label, vars=list(names), width=width, sep=sep)


#: CDISC ADaM ADCM names; a study file may replace the list (``TIMING`` is derived).
DEFAULT_COLUMNS = [
    _c("ATC class", "CMCLAS", width=1.4),
    _c("Preferred name", "CMDECOD", width=1.2),
    _c("Reported name", "CMTRT", width=1.3),
    _c("Indication", "CMINDC", width=1.4),
    _c("Dose, unit, frequency, route", "CMDOSE", "CMDOSU", "CMDOSFRQ", "CMROUTE", sep=" "),
    _c("Start date/\nend date", "ASTDT", "AENDT", width=1.0, sep="\n"),
    _c("Start/\nend day", "ASTDY", "AENDY", width=0.6),
    _c("Prior/\nconcomitant", TIMING, width=0.9),
]

FOOTNOTE = (
    "Start/end day relative to the first dose (day 1; no day 0). No end date: ongoing at the "
    "last observation. Sorted by treatment arm, subject and start date."
)


class Options(ListingOptions, MedicationRule):
    dataset: str = Field(default="adcm", min_length=1)
    columns: list[ListingColumn] = Field(default_factory=lambda: list(DEFAULT_COLUMNS))
    sort: list[str] = Field(default_factory=lambda: ["ASTDT", "CMDECOD"])
    note: str = FOOTNOTE


def _uses_timing(options: Options) -> bool:
    return TIMING in listed_vars(options)


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    needs = listing_requires(options, options.dataset, frozenset({TIMING}))
    if _uses_timing(options):
        rule = rule_requires(options, options.dataset, {"prior", "concomitant"})
        for role, names in rule.items():
            needs.setdefault(role, set()).update(names)
    return needs


def prepare(ctx: OutputContext) -> tuple[pd.DataFrame, str]:
    opts: Options = ctx.options
    data = ctx.data[opts.dataset]
    records = data.loc[data["USUBJID"].isin(ctx.subjects["USUBJID"])].copy()
    note = ""
    if _uses_timing(opts):
        prior, conc, note = classify(records, ctx.subjects, opts)
        records[TIMING] = timing_labels(prior, conc)
    rows = keep_rows(with_subjects(ctx, records), opts)
    return sort_listing(rows, opts.sort), note


def analyze(ctx: OutputContext, prepared: tuple[pd.DataFrame, str]) -> pd.DataFrame:
    return listing_ard(ctx, prepared[0])


def build(ctx: OutputContext, prepared: tuple[pd.DataFrame, str], ard: pd.DataFrame):
    if ctx.subjects.empty:
        return [null_listing(ctx)]
    rows, rule_note = prepared
    opts: Options = ctx.options
    notes = [n for n in (opts.note, rule_note) if n]
    # class and term fields of their own: the occurrence tables' terms select them exactly
    facts = stacked_facts(opts.columns)
    roles = [opts.dataset, "adsl"]
    return [build_listing(ctx, rows, ard, opts.columns, roles, footnotes=notes, facts=facts)]
