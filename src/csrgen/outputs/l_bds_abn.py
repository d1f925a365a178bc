"""Listing 16.2.8.x Abnormal values of a BDS dataset: every value outside the reference range.

pre-processing: the records of the population's subjects and chosen parameters (derived records
left out by the block's DTYPE rule), categorised as in the shift table
(:mod:`csrgen.outputs.t_bds_shift`: the block's indicator variable, or AVAL against its
``low_var``/``high_var``), those LOW or HIGH kept, at any visit; the study file's
``where``/``exclude`` filters (e.g. the pilot's "End of Treatment" records, copies of a
scheduled visit); sorted by arm, subject, date and parameter. Derived columns: ``PARAMLBL``
(the block's parameter label, as every BDS output prints it), ``RRIND`` (L/H) and
``PARAMORD`` (parameter order); and the facts by which linked shift tables select rows
(:mod:`csrgen.outputs.bds_links`).
analysis: :func:`csrgen.analyses.listings.ard_listed`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from csrgen.analyses.listings import ard_listed
from csrgen.datasets import ARM
from csrgen.outputs import bds_common as bc
from csrgen.outputs import bds_links
from csrgen.outputs.base import OutputContext
from csrgen.outputs.bds_data import derived_mask
from csrgen.outputs.listing_common import (
    ListingColumn,
    ListingOptions,
    build_listing,
    keep_rows,
    listed_vars,
    listing_requires,
    null_listing,
    sort_listing,
)
from csrgen.outputs.t_bds_shift import CategoryOptions, categorise, category_note, category_vars

DERIVED = frozenset({"RRIND", "PARAMORD", "PARAMLBL"})
FLAGS = {"LOW": "L", "HIGH": "H"}


def _c(label: str, *names: str, width: float = 1.0, sep: str = "/") -> ListingColumn:
    return ListingColumn(label=label, vars=list(names), width=width, sep=sep)


class Options(ListingOptions, CategoryOptions):
    #: Default: Age/Sex, Parameter, Visit (and timepoint), Date, Study day, Value, Reference
    #: range (when the block declares ``low_var``/``high_var``), Flag, Baseline value.
    columns: list[ListingColumn] = Field(default_factory=list)
    sort: list[str] = Field(default_factory=lambda: ["ADT", "PARAMORD"])


def default_columns(config, options: Options) -> list[ListingColumn]:
    s = bc.settings(config, options)
    columns = [
        _c("Age/\nSex", "AGE", "SEX", width=0.6),
        _c("Parameter", "PARAMLBL", width=2.2),
        _c("Visit", "AVISIT", width=1.1),
    ]
    if s.timepoint_var:
        columns.append(_c("Timepoint", s.timepoint_var, width=1.3))
    columns += [_c("Date", "ADT", width=0.9), _c("Study\nday", "ADY", width=0.5)]
    columns.append(_c("Value", "AVAL", width=0.7))
    if s.has_range:
        columns.append(_c("Reference\nrange", s.low_var, s.high_var, width=0.9, sep=" - "))
    columns += [_c("Flag", "RRIND", width=0.4), _c("Baseline\nvalue", "BASE", width=0.7)]
    return columns


def _options(config, options: Options) -> Options:
    """The options with the default columns filled in (they depend on the block)."""
    if options.columns:
        return options
    return options.model_copy(update={"columns": default_columns(config, options)})


check = bc.check


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    options = _options(config, options)
    s = bc.settings(config, options)
    need = listing_requires(options, s.dataset, DERIVED)
    for role, names in bc.bds_requires(config, spec, options, by_visit=False).items():
        need.setdefault(role, set()).update(names)
    need[s.dataset] |= category_vars(config, spec, options)
    return need


def prepare(ctx: OutputContext) -> pd.DataFrame:
    opts = _options(ctx.config, ctx.options)
    prep = bc.prepare(ctx)
    data, s = prep.data, prep.data.settings
    frame = ctx.data[s.dataset]
    subjects = data.subjects
    keep = frame["USUBJID"].isin(subjects["USUBJID"]).to_numpy()
    keep &= frame["PARAMCD"].isin(prep.params).to_numpy() & ~derived_mask(frame, s)
    rows = np.flatnonzero(keep)
    cat = categorise(frame, rows, s, opts)
    abnormal = rows[np.isin(cat, list(FLAGS))]
    names = (listed_vars(opts) | {"USUBJID", "PARAMCD"}) & set(frame.columns)
    records = frame[sorted(names)].take(abnormal)
    records["RRIND"] = pd.Series(cat[np.isin(cat, list(FLAGS))]).map(FLAGS).to_numpy()
    facts = bds_links.listing_facts(ctx, records, abnormal)
    order = {p: float(i) for i, p in enumerate(prep.params)}
    records["PARAMORD"] = records["PARAMCD"].map(order).astype(float)
    records["PARAMLBL"] = records["PARAMCD"].map(data.labels)
    wanted = listed_vars(opts) - {"USUBJID", ARM}
    extra = [c for c in subjects.columns if c in wanted and c not in records.columns]
    records = records.merge(subjects[["USUBJID", ARM, *extra]], on="USUBJID", how="inner")
    rows_out = sort_listing(keep_rows(records, opts), opts.sort)
    rows_out.attrs["facts"] = facts  # the linked shift tables' facts, for build
    return rows_out


def analyze(ctx: OutputContext, rows: pd.DataFrame) -> pd.DataFrame:
    """Listed subjects and records by the block's arm (as every output of the block)."""
    data = bc.prepare(ctx).data  # prepared once per study: the same object as in prepare
    return ard_listed(
        data.subjects,
        rows,
        arm=ARM,
        arms=ctx.arms,
        group_var=data.group_var,
        total=True,
        total_label=ctx.config.arms.total_label,
    )


def build(ctx: OutputContext, rows: pd.DataFrame, ard: pd.DataFrame):
    opts = _options(ctx.config, ctx.options)
    if ctx.subjects.empty:
        return [null_listing(ctx)]
    s = bc.settings(ctx.config, opts)
    notes = [
        "Values outside the reference range: L = below, H = above. "
        + category_note(s, opts)
        + " Study day relative to the first dose (day 1)."
    ]
    if opts.exclude:
        skipped = "; ".join(f"{k} = {', '.join(v)}" for k, v in opts.exclude.items())
        notes.append(f"Not listed: records with {skipped}.")
    facts = rows.attrs.get("facts", [])
    return [
        build_listing(
            ctx, rows, ard, opts.columns, [s.dataset, "adsl"], footnotes=notes, facts=facts
        )
    ]


__all__ = ["Options", "requires", "prepare", "analyze", "build"]
