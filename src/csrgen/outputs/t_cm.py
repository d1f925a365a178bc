"""Tables 14.1.x Prior / concomitant medications by ATC class and preferred name.

One module for the family; ``subset`` picks the variant: ``prior``, ``concomitant`` (default)
or ``all`` (every record). Prior vs concomitant follows the study's rule
(:mod:`csrgen.outputs.cm_common`: dates against the first and last dose, or the dataset's
flags), stated in a footnote.

pre-processing: the ADCM records of the population (arm from ADSL), filters, the rule.
analysis: :func:`csrgen.analyses.occurrences.ard_occurrences` over ``[class_var, name_var]``
(a medication coded to two ATC classes is counted under each).
build: :func:`csrgen.outputs.occurrence_common.build_occurrence_table`.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field

from csrgen.outputs.base import OutputContext
from csrgen.outputs.cm_common import MedicationRule, classify, rule_requires
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

#: subset -> (ARD variable of the any-record row, what a record is, first row)
SUBSETS = {
    "prior": ("PRIOR_MED", "prior medication", "Subjects with any prior medication"),
    "concomitant": (
        "CONMED",
        "concomitant medication",
        "Subjects with any concomitant medication",
    ),
    "all": ("ANY_MED", "medication", "Subjects with any medication"),
}


class Options(OccurrenceOptions, MedicationRule):
    dataset: str = Field(default="adcm", min_length=1)
    subset: Literal["prior", "concomitant", "all"] = "concomitant"
    #: The class (ATC level, e.g. CMCLAS or ATC2) and the medication name variables.
    class_var: str = Field(default="CMCLAS", min_length=1)
    name_var: str = Field(default="CMDECOD", min_length=1)
    listing: str = "l_cm"


def _levels(options: Options) -> list[str]:
    return [options.class_var, options.name_var]


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    needs = occurrence_requires(options, _levels(options))
    if options.subset != "all":
        for role, names in rule_requires(options, options.dataset, {options.subset}).items():
            needs.setdefault(role, set()).update(names)
    return needs


def prepare(ctx: OutputContext) -> Occurrences:
    opts: Options = ctx.options
    records = occurrence_records(ctx, _levels(opts))
    notes = filter_note(opts)
    if opts.subset == "all":
        notes.append("All medications recorded, whatever their timing.")
    else:
        prior, conc, rule_note = classify(records, ctx.subjects, opts)
        keep = prior if opts.subset == "prior" else conc
        records = records.loc[keep.to_numpy()].reset_index(drop=True)
        notes.append(rule_note)
    return Occurrences(ctx.subjects, records, tuple(notes))


def analyze(ctx: OutputContext, occ: Occurrences) -> pd.DataFrame:
    return occurrence_ard(ctx, occ, SUBSETS[ctx.options.subset][0], _levels(ctx.options))


def build(ctx: OutputContext, occ: Occurrences, ard: pd.DataFrame):
    opts: Options = ctx.options
    variable, what, first_row = SUBSETS[opts.subset]
    notes = [
        counts_footnote(what),
        f"Rows: medication class ({opts.class_var}) and preferred name ({opts.name_var}), by "
        + sort_text(opts.sort)
        + "; a medication coded to several classes is counted under each.",
        *occ.notes,
    ]
    return build_occurrence_table(
        ctx,
        occ,
        ard,
        _levels(opts),
        variable,
        first_row,
        "ATC class\n   Preferred name",
        what + "s",
        notes,
    )
