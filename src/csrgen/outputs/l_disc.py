"""Listing 16.2.1 Discontinued subjects: who left the treatment phase or the study, and why.

pre-processing: per discontinuation phase of the study file (e.g. the 48-week treatment phase:
EOTSTT/DCTREAS; the study: EOSSTT/DCSREAS/DCSREASP/EOSDT), the population's subjects whose
status variable says they discontinued; one row per subject and phase, sorted by arm, subject,
phase and date. Derived columns: ``DCPHASE``, ``DCREAS``, ``DCREASP`` (detail), ``DCDT`` (date).
The reason is optional (admiral's ADSL has EOSSTT but no DCSREAS): without any phase's
``reason_var`` the default columns have no reason column.
analysis: :func:`csrgen.analyses.listings.ard_listed`.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field, model_validator

from csrgen.analyses.disposition import matches
from csrgen.config import Text, VarName, unused_options
from csrgen.outputs.base import (
    OptionsModel,
    OutputContext,
    kind_problems,
    option_path,
    value_problems,
)
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
)

DERIVED = frozenset({"DCPHASE", "DCREAS", "DCREASP", "DCDT", "DCORDER"})


class Phase(OptionsModel):
    label: Text
    #: ADSL status variable and the values meaning "discontinued".
    var: VarName
    values: list[Text] = Field(min_length=1)
    #: ADSL variable of the reason (DCSREAS, DCDECOD); optional.
    reason_var: VarName | None = None
    #: Free-text detail of the reason ("other, specify"), and the date; both optional.
    detail_var: VarName | None = None
    date_var: VarName | None = None

    @model_validator(mode="after")
    def _detail_needs_reason(self) -> Phase:
        if not self.reason_var:
            unused_options(self, ("detail_var",), "without reason_var")
        return self


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
    sort: list[VarName] = Field(default_factory=lambda: ["DCORDER", "DCDT"])


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    need = listing_requires(options, "adsl", DERIVED)
    for phase in options.phases:
        need["adsl"] |= {phase.var, phase.reason_var, phase.detail_var, phase.date_var} - {"", None}
    return need


def check(ctx: OutputContext):
    """Each phase's values fit its status variable; its date is a date."""
    out = listing_checks(ctx, "adsl")
    for i, phase in enumerate(ctx.options.phases):
        key = option_path(ctx.config, ctx.spec, f"phases[{i}]")
        out += value_problems(ctx, "adsl", f"{key}.values", phase.var, phase.values)
        out += kind_problems(ctx, "adsl", [(f"{key}.date_var", phase.date_var, "date")])
    return out


def prepare(ctx: OutputContext) -> pd.DataFrame:
    subjects = ctx.subjects
    parts = []
    for order, phase in enumerate(ctx.options.phases):
        left = subjects.loc[matches(subjects, phase.var, phase.values).to_numpy()].copy()
        left["DCPHASE"] = phase.label
        left["DCORDER"] = float(order)
        left["DCREAS"] = left[phase.reason_var] if phase.reason_var else ""
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
        f"{p.label}: {p.var} = {', '.join(p.values)}"
        + (f", reason {p.reason_var}" if p.reason_var else ", no reason recorded")
        + (f" ({p.detail_var})" if p.detail_var else "")
        for p in opts.phases
    )
    notes = [f"One row per subject and phase. {rules}."]
    facts = [("DCPHASE", "Discontinued"), ("DCREAS", "Reason")]  # Table 14.1.x's rows
    return [build_listing(ctx, rows, ard, _columns(opts), ["adsl"], footnotes=notes, facts=facts)]


def _columns(opts: Options) -> list[ListingColumn]:
    """The study file's columns; the default ones without the reason when no phase has one."""
    if "columns" in opts.model_fields_set or any(p.reason_var for p in opts.phases):
        return list(opts.columns)
    return [c for c in opts.columns if not set(c.vars) <= {"DCREAS", "DCREASP"}]
