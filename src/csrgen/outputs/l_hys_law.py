"""Listing 16.2.8.x Liver tests of the subjects meeting the potential Hy's-law criteria (or,
with ``subjects = "any"``, any of its criteria): every baseline and post-baseline ALT, AST and
total bilirubin record of theirs, with its upper limit of normal and the value as a multiple
of it.

pre-processing: :func:`csrgen.outputs.hepatic_common.liver_records` (the records the table and
figure use), the subjects by :func:`csrgen.analyses.hepatic.flagged_subjects`; the study file's
``where``/``exclude`` filters; sorted by arm, subject, date and test. Derived columns:
``PARAMLBL`` (the block's parameter label), ``PARAMORD`` (ALT, AST, bilirubin), ``XULN`` (the
value / ULN) and ``BLFL`` ("Y" on the baseline record).
analysis: :func:`csrgen.analyses.listings.ard_listed`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from csrgen.analyses.hepatic import ROLES, flagged_subjects
from csrgen.analyses.listings import ard_listed
from csrgen.datasets import ARM
from csrgen.formatting import fmt_level
from csrgen.outputs import bds_common as bc
from csrgen.outputs import hepatic_common as hc
from csrgen.outputs.base import OutputContext
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

DERIVED = frozenset({"PARAMLBL", "PARAMORD", "XULN", "BLFL"})


def _c(label: str, *names: str, width: float = 1.0, sep: str = "/", decimals=None):
    return ListingColumn(label=label, vars=list(names), width=width, sep=sep, decimals=decimals)


class Options(ListingOptions, hc.HepaticOptions):
    #: Whose records: subjects meeting the potential Hy's-law criteria, or any one of them.
    subjects: Literal["hys_law", "any"] = "hys_law"
    #: Default: Age/Sex, Parameter, Visit, Date, Study day, Baseline, Value, ULN, × ULN.
    columns: list[ListingColumn] = Field(default_factory=list)
    sort: list[str] = Field(default_factory=lambda: ["ADT", "ADY", "PARAMORD"])


def default_columns(config, options: Options) -> list[ListingColumn]:
    s = bc.settings(config, options)
    return [
        _c("Age/\nSex", "AGE", "SEX", width=0.6),
        _c("Parameter", "PARAMLBL", width=2.2),
        _c("Visit", "AVISIT", width=1.1),
        _c("Date", "ADT", width=0.9),
        _c("Study\nday", "ADY", width=0.5),
        _c("At base-\nline", "BLFL", width=0.6),
        _c("Value", "AVAL", width=0.7),
        _c("ULN", s.high_var, width=0.7),
        _c("× ULN", "XULN", width=0.6, decimals=2),
    ]


def _options(config, options: Options) -> Options:
    if options.columns:
        return options
    return options.model_copy(update={"columns": default_columns(config, options)})


check = hc.check


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    need = hc.hepatic_requires(config, spec, options)
    options = _options(config, options)
    role = bc.settings(config, options).dataset
    for r, names in listing_requires(options, role, DERIVED).items():
        need.setdefault(r, set()).update(names)
    return need


def prepare(ctx: OutputContext) -> pd.DataFrame:
    opts = _options(ctx.config, ctx.options)
    liver = hc.liver_records(ctx)
    data = liver.data
    records = liver.records
    chosen = flagged_subjects(records, opts.subjects, opts.transaminase_uln, opts.bilirubin_uln)
    mine = records[records["USUBJID"].isin(chosen).to_numpy()]
    frame = ctx.data[data.settings.dataset]
    names = (listed_vars(opts) | {"USUBJID", "PARAMCD"}) - DERIVED
    rows = frame[sorted(names & set(frame.columns))].take(mine["ROW"].to_numpy())
    rows = rows.reset_index(drop=True)
    order = {code: float(i) for i, code in enumerate(opts.codes[r] for r in ROLES)}
    rows["PARAMORD"] = rows["PARAMCD"].map(order).astype(float)
    rows["PARAMLBL"] = rows["PARAMCD"].map(data.labels).fillna(rows["PARAMCD"])
    rows["XULN"] = mine["RATIO"].to_numpy(dtype=float)
    rows["BLFL"] = np.where(mine["PHASE"].to_numpy() == "baseline", "Y", "")
    subjects = data.subjects
    wanted = listed_vars(opts) - {"USUBJID", ARM}
    extra = [c for c in subjects.columns if c in wanted and c not in rows.columns]
    rows = rows.merge(subjects[["USUBJID", ARM, *extra]], on="USUBJID", how="inner")
    return sort_listing(keep_rows(rows, opts), opts.sort)


def analyze(ctx: OutputContext, rows: pd.DataFrame) -> pd.DataFrame:
    """Listed subjects and records by the block's arm (as every output of the block)."""
    data = hc.prepare_block(ctx.config, ctx.data, ctx.options.bds, ctx.spec.population)
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
    t, b = fmt_level(opts.transaminase_uln), fmt_level(opts.bilirubin_uln)
    who = (
        "Subjects meeting the potential Hy's-law criteria (see below)."
        if opts.subjects == "hys_law"
        else f"Subjects with peak post-baseline ALT or AST ≥ {t} × ULN or total bilirubin "
        f"≥ {b} × ULN."
    )
    notes = [
        f"{who} ULN = upper limit of normal ({s.high_var}); × ULN = value / ULN. Baseline: Y "
        "on the baseline record; the other rows are the post-baseline records.",
        hc.rule_note(opts),
    ]
    if opts.exclude:
        skipped = "; ".join(f"{k} = {', '.join(v)}" for k, v in opts.exclude.items())
        notes.append(f"Not listed: records with {skipped}.")
    return [build_listing(ctx, rows, ard, opts.columns, [s.dataset, "adsl"], footnotes=notes)]


__all__ = ["Options", "requires", "check", "prepare", "analyze", "build"]
