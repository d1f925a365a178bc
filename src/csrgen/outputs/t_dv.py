"""Table 14.1.x Protocol deviations by importance (major, minor), category and term.

Rows: subjects with any deviation; then per importance level (``class_var``, e.g. DVSCAT
"MAJOR"/"MINOR", in the order of ``class_levels``, each shown even without deviations) its
categories (``category_var``) and coded terms (``term_var``). ``class_var = ""`` drops the
importance level.

pre-processing: the ADDV records of the population (arm from ADSL), filters.
analysis: :func:`csrgen.analyses.occurrences.ard_occurrences` over
``[class_var, category_var, term_var]``.
build: :func:`csrgen.outputs.occurrence_common.build_occurrence_table`.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from csrgen.outputs.base import OutputContext
from csrgen.outputs.occurrence_common import (
    OccurrenceOptions,
    Occurrences,
    build_occurrence_table,
    counts_footnote,
    filter_note,
    occurrence_ard,
    occurrence_records,
    occurrence_requires,
    sort_text,
)

ANY = "ANY_DV"


class Options(OccurrenceOptions):
    dataset: str = Field(default="addv", min_length=1)
    #: The importance variable (DVSCAT in ADaM examples; some sponsors use DVCAT); "" for none.
    class_var: str = "DVSCAT"
    #: Its values in display order, shown even when no subject has one.
    class_levels: list[str] = Field(default_factory=lambda: ["MAJOR", "MINOR"])
    #: Row text of each importance value.
    class_labels: dict[str, str] = Field(
        default_factory=lambda: {"MAJOR": "Major deviations", "MINOR": "Minor deviations"}
    )
    category_var: str = Field(default="DVCAT", min_length=1)
    term_var: str = Field(default="DVDECOD", min_length=1)
    listing: str = "l_dv"


def _levels(options: Options) -> list[str]:
    outer = [options.class_var] if options.class_var else []
    return [*outer, options.category_var, options.term_var]


def _top(options: Options) -> list[str]:
    return list(options.class_levels) if options.class_var else []


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    return occurrence_requires(options, _levels(options))


def prepare(ctx: OutputContext) -> Occurrences:
    records = occurrence_records(ctx, _levels(ctx.options))
    return Occurrences(ctx.subjects, records, tuple(filter_note(ctx.options)))


def analyze(ctx: OutputContext, occ: Occurrences) -> pd.DataFrame:
    return occurrence_ard(ctx, occ, ANY, _levels(ctx.options), top_levels=_top(ctx.options))


def build(ctx: OutputContext, occ: Occurrences, ard: pd.DataFrame):
    opts: Options = ctx.options
    rows = (
        f"category ({opts.category_var}) and coded term ({opts.term_var}), each by "
        f"{sort_text(opts.sort)}"
    )
    if opts.class_var:
        order = ", ".join(opts.class_levels)
        rows = f"importance ({opts.class_var}: {order}, in that order), then {rows}"
    notes = [
        counts_footnote("protocol deviation"),
        f"Rows: {rows}.",
        *occ.notes,
    ]
    stub = "Category\n   Coded term"
    if opts.class_var:
        stub = "Importance\n   Category\n      Coded term"
    return build_occurrence_table(
        ctx,
        occ,
        ard,
        _levels(opts),
        ANY,
        "Subjects with any protocol deviation",
        stub,
        "protocol deviations",
        notes,
        top_levels=_top(opts),
        labels=opts.class_labels,
    )
