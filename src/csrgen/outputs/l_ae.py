"""Listing 16.2.7.x All adverse events (also the base of the serious-AE listing ``l_sae``).

pre-processing: ADAE records of the population's subjects (ADSL arm and subject variables merged
on USUBJID), the study file's ``where``/``exclude`` filters, sorted by arm, subject, start date.
analysis: :func:`csrgen.analyses.listings.ard_listed` (population N, subjects and records listed).
build: one row per record, each with an anchor (``l_ae-<subject>-<k>``). With the study file's
``[safety]`` rules, the records carry the facts the AE tables count them by
(:mod:`csrgen.outputs.ae_links`: ``te`` as a column, the categories and maximum severities as
hidden facts), SOC and PT in columns of their own as the tables print them, so that a count of
an AE table links to exactly its records (``#l_ae?TRT01A=Placebo&AEDECOD=ERYTHEMA&te=Y``).
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from csrgen.outputs import ae_common, ae_links
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

ROLE = "adae"


def _c(
    label: str, *names: str, width: float = 1.0, blanks: str = "drop", sep: str = "/"
) -> ListingColumn:
    return ListingColumn(label=label, vars=list(names), width=width, blanks=blanks, sep=sep)


#: CDISC ADaM ADAE names (``te``: treatment-emergent, derived); a study file may replace the list.
DEFAULT_COLUMNS = [
    _c("Age/\nSex", "AGE", "SEX", width=0.6),
    _c("Verbatim term", "AETERM", width=1.5),
    _c("System organ class", "AEBODSYS", width=1.5),
    _c("Preferred term", "AEDECOD", width=1.3),
    _c("Start/\nend day", "ASTDY", "AENDY", width=0.7, blanks="keep"),
    _c("Duration\n(days)", "ADURN", width=0.7),
    _c("Severity/\nserious", "AESEV", "AESER", width=0.9, blanks="keep"),
    _c("Relationship", "AEREL", width=1.0),
    _c("Action taken", "AEACN", width=1.0),
    _c("Outcome", "AEOUT", width=1.2),
    _c("TE", ae_links.TE, width=0.4),
]

FOOTNOTE = (
    "Start/end day: study days relative to the first dose (day 1 = first dose; no day 0); "
    "no end day: ongoing or not recorded. "
    "Duration in days as recorded (ADURN). Blank: not recorded; a blank system organ class or "
    f"preferred term reads {ae_common.UNCODED}. "
    "Sorted by treatment arm, subject and start date."
)


class Options(ListingOptions):
    columns: list[ListingColumn] = Field(default_factory=lambda: list(DEFAULT_COLUMNS))
    sort: list[str] = Field(default_factory=lambda: ["ASTDT", "AENDT", "AEDECOD"])
    #: Give every row an HTML anchor (summary tables link to the AE listing).
    anchors: bool = True
    #: The listing's own footnote (after the study file's footnotes).
    note: str = FOOTNOTE


def _with_rules(config) -> bool:
    """The records carry the AE tables' facts when the study file has their rules."""
    return config.safety is not None and config.safety.dataset == ROLE


def _derived(options: Options) -> frozenset[str]:
    """The listed names the listing makes itself (its facts: lower case, never ADaM names)."""
    return frozenset(v for col in options.columns for v in col.vars if v[:1].islower())


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    need = listing_requires(options, ROLE, _derived(options))
    if _with_rules(config):
        for role, names in ae_common.ae_requires(config, spec.id).items():
            need.setdefault(role, set()).update(names)
    return need


def prepare(ctx: OutputContext) -> pd.DataFrame:
    records = ctx.data[ROLE]
    records = records.loc[records["USUBJID"].isin(ctx.subjects["USUBJID"])]
    keep: list[str] = []
    if _with_rules(ctx.config):
        records = ae_links.listing_facts(ctx, records)
        keep = [key for key, _ in ae_links.fact_labels(ctx)]
    elif "TRTEMFL" in records:  # no [safety] rules: the dataset's flag
        records = records.assign(**{ae_links.TE: records["TRTEMFL"]})
    rows = keep_rows(with_subjects(ctx, records, keep), ctx.options)
    return sort_listing(rows, ctx.options.sort)


def analyze(ctx: OutputContext, rows: pd.DataFrame) -> pd.DataFrame:
    return listing_ard(ctx, rows)


def build(ctx: OutputContext, rows: pd.DataFrame, ard: pd.DataFrame):
    if ctx.subjects.empty:
        return [null_listing(ctx)]
    notes = [ctx.options.note] if ctx.options.note else []
    facts: list[tuple[str, str]] = []
    if _with_rules(ctx.config):
        facts = [(ae_common.PT, "Preferred term"), (ae_common.SOC, "System organ class")]
        facts += ae_links.fact_labels(ctx)
        s = ae_common.safety_settings(ctx.config, ctx.spec.id)
        notes.append(
            "TE: treatment-emergent (Y) or not (N) by the study's rule, as in the AE tables: "
            f"{ae_common.te_rule(s)}."
        )
    elif ae_links.TE in rows:
        notes.append("TE: treatment-emergent (TRTEMFL = Y).")
    return [
        build_listing(
            ctx,
            rows,
            ard,
            ctx.options.columns,
            [ROLE, "adsl"],
            footnotes=notes,
            anchors=ctx.options.anchors,
            facts=facts,
        )
    ]
