"""Listing 16.2.8.x Abnormal laboratory values: every value outside the reference range.

pre-processing: the lab records of the population's subjects and chosen parameters, categorised
as in the shift table (:mod:`csrgen.outputs.t_lab_shift`: indicator variable or AVAL against
A1LO/A1HI), those LOW or HIGH kept; the study file's ``where``/``exclude`` filters (e.g. the
pilot's "End of Treatment" records, copies of a scheduled visit); sorted by arm, subject, date
and parameter. Derived columns: ``RRIND`` (L/H) and ``PARAMORD`` (parameter order).
analysis: :func:`csrgen.analyses.listings.ard_listed`.
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
    listed_vars,
    listing_ard,
    listing_requires,
    null_listing,
    sort_listing,
    with_subjects,
)
from csrgen.outputs.t_lab_shift import LabCategoryOptions, categorised, category_note, category_vars

DERIVED = frozenset({"RRIND", "PARAMORD"})
FLAGS = {"LOW": "L", "HIGH": "H"}


def _c(label: str, *names: str, width: float = 1.0, sep: str = "/") -> ListingColumn:
    return ListingColumn(label=label, vars=list(names), width=width, sep=sep)


DEFAULT_COLUMNS = [
    _c("Age/\nSex", "AGE", "SEX", width=0.6),
    _c("Parameter", "PARAM", width=2.2),
    _c("Visit", "AVISIT", width=1.1),
    _c("Date", "ADT", width=0.9),
    _c("Study\nday", "ADY", width=0.5),
    _c("Value", "AVAL", width=0.7),
    _c("Reference\nrange", "A1LO", "A1HI", width=0.9, sep=" - "),
    _c("Flag", "RRIND", width=0.4),
    _c("Baseline\nvalue", "BASE", width=0.7),
]


class Options(ListingOptions, LabCategoryOptions):
    columns: list[ListingColumn] = Field(default_factory=lambda: list(DEFAULT_COLUMNS))
    sort: list[str] = Field(default_factory=lambda: ["ADT", "PARAMORD"])


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    need = listing_requires(options, options.dataset, DERIVED)
    need[options.dataset] |= category_vars(options)
    return need


def prepare(ctx: OutputContext) -> pd.DataFrame:
    opts: Options = ctx.options
    names = listed_vars(opts) | category_vars(opts) | {"USUBJID", "PARAMCD"}
    lab, params = categorised(ctx, sorted(names & set(ctx.data[opts.dataset].columns)))
    abnormal = lab.loc[lab["CAT"].isin(list(FLAGS))].copy()
    abnormal["RRIND"] = abnormal["CAT"].map(FLAGS)
    order = {p: float(i) for i, p in enumerate(params)}
    abnormal["PARAMORD"] = abnormal["PARAMCD"].map(order).astype(float)
    rows = keep_rows(with_subjects(ctx, abnormal.drop(columns=["CAT"])), ctx.options)
    return sort_listing(rows, ctx.options.sort)


def analyze(ctx: OutputContext, rows: pd.DataFrame) -> pd.DataFrame:
    return listing_ard(ctx, rows)


def build(ctx: OutputContext, rows: pd.DataFrame, ard: pd.DataFrame):
    if ctx.subjects.empty:
        return [null_listing(ctx)]
    opts: Options = ctx.options
    notes = [
        "Values outside the reference range: L = below, H = above. "
        + category_note(opts)
        + " Study day relative to the first dose (day 1)."
    ]
    if opts.exclude:
        skipped = "; ".join(f"{k} = {', '.join(v)}" for k, v in opts.exclude.items())
        notes.append(f"Not listed: records with {skipped}.")
    return [build_listing(ctx, rows, ard, opts.columns, [opts.dataset, "adsl"], footnotes=notes)]


__all__ = ["Options", "requires", "prepare", "analyze", "build"]
