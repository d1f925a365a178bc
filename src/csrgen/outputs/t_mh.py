"""Table 14.1.x Medical history by system organ class and preferred term.

pre-processing: the ADMH records of the population (arm from ADSL); ``where``/``exclude``
select records (e.g. one MHCAT).
analysis: :func:`csrgen.analyses.occurrences.ard_occurrences` over ``[soc_var, term_var]``.
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

ANY = "ANY_MH"


class Options(OccurrenceOptions):
    dataset: str = Field(default="admh", min_length=1)
    #: System organ class and preferred term (MedDRA) variables.
    soc_var: str = Field(default="MHBODSYS", min_length=1)
    term_var: str = Field(default="MHDECOD", min_length=1)
    listing: str = "l_mh"


def _levels(options: Options) -> list[str]:
    return [options.soc_var, options.term_var]


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    return occurrence_requires(options, _levels(options))


def prepare(ctx: OutputContext) -> Occurrences:
    records = occurrence_records(ctx, _levels(ctx.options))
    return Occurrences(ctx.subjects, records, tuple(filter_note(ctx.options)))


def analyze(ctx: OutputContext, occ: Occurrences) -> pd.DataFrame:
    return occurrence_ard(ctx, occ, ANY, _levels(ctx.options))


def build(ctx: OutputContext, occ: Occurrences, ard: pd.DataFrame):
    opts: Options = ctx.options
    notes = [
        counts_footnote("medical history condition"),
        f"Rows: system organ class ({opts.soc_var}) and preferred term ({opts.term_var}), by "
        f"{sort_text(opts.sort)}.",
        *occ.notes,
    ]
    return build_occurrence_table(
        ctx,
        occ,
        ard,
        _levels(opts),
        ANY,
        "Subjects with any medical history",
        "System organ class\n   Preferred term",
        "medical history",
        notes,
    )
