"""Listing 16.2.1 Discontinued subjects: who left the treatment phase or the study, and why.

pre-processing: per discontinuation phase of the study file (e.g. the 48-week treatment phase:
EOTSTT/DCTREAS; the study: EOSSTT/DCSREAS/DCSREASP/EOSDT), the population's subjects whose
status variable says they discontinued; one row per subject and phase, sorted by arm, subject,
phase and date. Derived columns: ``DCPHASE``, ``DCREAS``, ``DCREASP`` (detail), ``DCDT`` (date).
analysis: :func:`csrgen.analyses.listings.ard_listed`.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from csrgen.analyses.disposition import matches
from csrgen.outputs.base import OptionsModel, OutputContext
from csrgen.outputs.listing_common import (
    ListingColumn,
    ListingOptions,
    build_listing,
    keep_rows,
    listing_ard,
    listing_requires,
    null_listing,
    sort_listing,
)

DERIVED = frozenset({"DCPHASE", "DCREAS", "DCREASP", "DCDT", "DCORDER"})


class Phase(OptionsModel):
    label: str
    #: ADSL status variable and the values meaning "discontinued".
    var: str
    values: list[str] = Field(min_length=1)
    reason_var: str
    #: Free-text detail of the reason ("other, specify"), and the date; both optional.
    detail_var: str = ""
    date_var: str = ""


def _c(label: str, *names: str, width: float = 1.0, sep: str = "/") -> ListingColumn:
    return ListingColumn(label=label, vars=list(names), width=width, sep=sep)


DEFAULT_COLUMNS = [
    _c("Age/\nSex", "AGE", "SEX", width=0.6),
    _c("Treatment\nstart", "TRTSDT"),
    _c("Treatment\nend", "TRTEDT"),
    _c("Discontinued", "DCPHASE", width=1.2),
    _c("Reason", "DCREAS", "DCREASP", width=2.4, sep=": "),
    _c("Date", "DCDT"),
]


class Options(ListingOptions):
    phases: list[Phase] = Field(min_length=1)
    columns: list[ListingColumn] = Field(default_factory=lambda: list(DEFAULT_COLUMNS))
    sort: list[str] = Field(default_factory=lambda: ["DCORDER", "DCDT"])


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    need = listing_requires(options, "adsl", DERIVED)
    for phase in options.phases:
        need["adsl"] |= {phase.var, phase.reason_var, phase.detail_var, phase.date_var} - {""}
    return need


def prepare(ctx: OutputContext) -> pd.DataFrame:
    subjects = ctx.subjects
    parts = []
    for order, phase in enumerate(ctx.options.phases):
        left = subjects.loc[matches(subjects, phase.var, phase.values).to_numpy()].copy()
        left["DCPHASE"] = phase.label
        left["DCORDER"] = float(order)
        left["DCREAS"] = left[phase.reason_var]
        left["DCREASP"] = left[phase.detail_var] if phase.detail_var else ""
        left["DCDT"] = left[phase.date_var] if phase.date_var else pd.NaT
        parts.append(left)
    rows = pd.concat(parts, ignore_index=True) if parts else subjects.head(0)
    rows = keep_rows(rows, ctx.options)
    return sort_listing(rows, ctx.options.sort)


def analyze(ctx: OutputContext, rows: pd.DataFrame) -> pd.DataFrame:
    return listing_ard(ctx, rows)


def build(ctx: OutputContext, rows: pd.DataFrame, ard: pd.DataFrame):
    if ctx.subjects.empty:
        return [null_listing(ctx)]
    opts: Options = ctx.options
    rules = "; ".join(
        f"{p.label}: {p.var} = {', '.join(p.values)}, reason {p.reason_var}"
        + (f" ({p.detail_var})" if p.detail_var else "")
        for p in opts.phases
    )
    notes = [f"One row per subject and phase. {rules}."]
    facts = [("DCPHASE", "Discontinued"), ("DCREAS", "Reason")]  # Table 14.1.x's rows
    return [build_listing(ctx, rows, ard, opts.columns, ["adsl"], footnotes=notes, facts=facts)]
