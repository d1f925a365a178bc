"""Tables 14.3.2.x Treatment-emergent adverse events by system organ class and preferred term.

One module for the family; the study file picks the variant through options:

* ``subset``: all TEAEs (default), or only the related, serious, severe, leading to
  discontinuation or leading to death ones (the study file's ``[safety]`` rules);
* ``by_severity``: subjects by the maximum severity of their events instead of n (%) [E].

pre-processing: :func:`ae_common.prepare_ae`, then the subset.
analysis: :func:`csrgen.analyses.safety.ard_ae_hierarchy` (n, %, events, Fisher p) or
:func:`~csrgen.analyses.safety.ard_ae_max_severity`.
build: the any-event row, then each SOC (bold, kept with its first PT) with its PTs indented,
both sorted by descending frequency (all arms together), then alphabetically. In HTML every
count links to exactly its records in the AE listing (same arm, term, treatment-emergent and
category rules, maximum severity: :mod:`csrgen.outputs.ae_links`), and each PT to its records
in all arms.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import pandas as pd

from csrgen import formatting as fmt
from csrgen.analyses.safety import ard_ae_hierarchy, ard_ae_max_severity
from csrgen.ard import ArdIndex
from csrgen.datasets import ARM
from csrgen.document.model import Cell, Column, Row, Spanner, Table
from csrgen.outputs import ae_common, ae_links, links
from csrgen.outputs.ae_common import CATEGORIES, PT, SOC, AeData
from csrgen.outputs.base import (
    OptionsModel,
    OutputContext,
    arm_header_columns,
    arm_levels,
    population_n,
)

SUBSETS = {
    "all": ("TEAE", "treatment-emergent adverse events"),
    "related": ("TEAE_RELATED", "related treatment-emergent adverse events"),
    "serious": ("TEAE_SERIOUS", "serious treatment-emergent adverse events"),
    "severe": ("TEAE_SEVERE", "severe treatment-emergent adverse events"),
    "discont": ("TEAE_DISCONT", "treatment-emergent adverse events leading to discontinuation"),
    "death": ("TEAE_DEATH", "treatment-emergent adverse events leading to death"),
}


class Options(OptionsModel):
    subset: Literal["all", "related", "serious", "severe", "discont", "death"] = "all"
    #: Subjects by maximum severity (columns per arm and severity level) instead of n (%) [E].
    by_severity: bool = False
    #: Fisher exact p vs the reference arm; default the study file's ``safety.fisher``
    #: (never with ``by_severity``).
    fisher: bool | None = None
    #: Total column(s); default the study file's ``arms.total``.
    total: bool | None = None
    #: Landscape page; default: when the table has more than four number columns.
    landscape: bool | None = None
    #: Row order: by descending frequency (all arms), then alphabetical; or alphabetical.
    sort: Literal["frequency", "alphabetical"] = "frequency"
    #: Text of the first row; default "Subjects with any <subset> TEAE".
    any_label: str = ""
    #: Id of the AE listing whose records the counts link to in HTML (exactly those behind each
    #: count); "" for no links.
    listing: str = "l_ae"
    stub_header: str = "System organ class\n   Preferred term"


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    ae_links.check_listing(config, spec, options.listing)
    return ae_common.ae_requires(config, spec.id)


def prepare(ctx: OutputContext) -> AeData:
    ae = ae_common.prepare_ae(ctx)
    column = CATEGORIES[SUBSETS[ctx.options.subset][0]][0]
    if column:
        ae = AeData(ae.subjects, ae.events.loc[ae.events[column]].reset_index(drop=True), ae.rules)
    return ae


def _total(ctx: OutputContext) -> bool:
    return ctx.config.arms.total if ctx.options.total is None else ctx.options.total


def _reference(ctx: OutputContext) -> str | None:
    if ctx.options.by_severity:
        return None
    return ae_common.fisher_reference(ctx, ctx.options.fisher)


def analyze(ctx: OutputContext, ae: AeData) -> pd.DataFrame:
    opts: Options = ctx.options
    common = dict(
        arm=ARM,
        arms=ctx.arms,
        any_variable=SUBSETS[opts.subset][0],
        soc=SOC,
        pt=PT,
        group_var=ctx.arm_var,
        total_label=ctx.config.arms.total_label,
        total=_total(ctx),
    )
    if opts.by_severity:
        s = ae_common.safety_settings(ctx.config, ctx.spec.id)
        events = ae.events.assign(**{s.severity_var: ae.events["_SEV"]})
        return ard_ae_max_severity(
            ae.subjects, events, severity=s.severity_var, levels=s.severity_levels, **common
        )
    return ard_ae_hierarchy(ae.subjects, ae.events, reference=_reference(ctx), **common)


def _order(ard: pd.DataFrame, arms: list[str], variable: str, sort: str, parent=None) -> list[str]:
    """Row values of ``variable`` sorted by descending subjects in all arms, then by name."""
    rows = ard[
        (ard["variable"] == variable)
        & (ard["stat_name"] == "n")
        & (ard["param"] == "")
        & ard["group_level"].isin(arms)
    ]
    if parent is not None:
        rows = rows[rows["variable_level"].isin(parent)]
    total = rows.groupby("variable_level")["stat"].sum()
    if sort == "alphabetical":
        return sorted(total.index)
    return sorted(total.index, key=lambda v: (-total[v], v))


def _pts_of(ae: AeData) -> dict[str, set[str]]:
    return ae.events.groupby(SOC)[PT].agg(set).to_dict() if len(ae.events) else {}


def build(ctx: OutputContext, ae: AeData, ard: pd.DataFrame) -> list[Table]:
    if ae.subjects.empty:
        return [ctx.null()]
    opts: Options = ctx.options
    any_variable, what = SUBSETS[opts.subset]
    if any_variable in ae.not_collected:
        text = ae.not_collected[any_variable]
        return [ctx.null(text[0].upper() + text[1:])]
    ix = ArdIndex(ard)
    levels = arm_levels(ctx, _total(ctx))
    s = ae_common.safety_settings(ctx.config, ctx.spec.id)

    if opts.by_severity:
        columns, spanners = _severity_columns(ctx, ix, levels, s.severity_levels)
        compared: list[str] = []
    else:
        reference = _reference(ctx)
        compared = [a for a in ctx.arms if reference and a != reference]
        columns = [Column(opts.stub_header, align="left", width=3.0, key="stub")]
        columns += arm_header_columns(ix, ctx, _total(ctx))
        columns += [Column(f"{a}\nvs {reference}", width=0.8, key=f"p:{a}") for a in compared]
        spanners = ()
        if compared:
            first = len(columns) - len(compared)
            spanners = (Spanner("Fisher's exact p-value", first, len(columns) - 1),)

    listing = ae_links.listing_for(ctx, opts.listing)
    row_of = {SOC: "soc", PT: "pt"}

    def count(text: str, n: float, lv: str, variable: str, value: str, sev: str = "") -> Cell:
        level = row_of.get(variable, "any")
        terms = {level: value} if level != "any" else {}
        where = ae_links.count_where(
            ctx, lv, any_variable, severity=(level, sev) if sev else None, **terms
        )
        return links.count_cell(text, n, listing, ctx.spec.id, where)

    def cells(variable: str, value: str) -> list[Cell]:
        where = dict(variable=variable, variable_level=value)
        if opts.by_severity:
            return [
                count(
                    fmt.fmt_nowrap(ix.n_pct(group_level=lv, param=sev, **where)),
                    ix.value("n", group_level=lv, param=sev, **where),
                    lv,
                    variable,
                    value,
                    sev,
                )
                for lv in levels
                for sev in s.severity_levels
            ]
        out = [
            count(
                ae_common.n_pct_events(ix, lv, **where),
                ix.value("n", group_level=lv, **where),
                lv,
                variable,
                value,
            )
            for lv in levels
        ]
        return out + [Cell(ix.text("p_value", group_level=a, **where)) for a in compared]

    label = opts.any_label or CATEGORIES[any_variable][1]
    rows = [Row((Cell(label, bold=True), *cells(any_variable, "")))]
    socs = _order(ard, ctx.arms, SOC, opts.sort)
    pts_of = _pts_of(ae)
    for soc in socs:
        rows.append(Row((Cell(soc, bold=True), *cells(SOC, soc)), kind="group"))
        for pt in _order(ard, ctx.arms, PT, opts.sort, parent=pts_of[soc]):
            # the term itself: its records in all arms
            where = ae_links.count_where(ctx, ctx.config.arms.total_label, any_variable, pt=pt)
            stub = links.count_cell(pt, 1, listing, ctx.spec.id, where)
            rows.append(Row((replace(stub, indent=1), *cells(PT, pt))))
    if not socs:
        blank = [Cell("")] * (len(columns) - 1)
        rows.append(Row((Cell(f"No {what} reported"), *blank)))

    n_total = population_n(ix, ctx)
    n_numbers = len(columns) - 1
    return [
        Table(
            id=ctx.spec.id,
            number=ctx.spec.number,
            title=ctx.spec.title,
            population=ctx.population_line(n_total),
            columns=tuple(columns),
            rows=tuple(rows),
            spanners=spanners,
            footnotes=tuple(_footnotes(ctx, ae, compared)),
            source=ctx.source_line(["adsl", s.dataset]),
            landscape=opts.landscape if opts.landscape is not None else n_numbers > 4,
        )
    ]


def _severity_columns(ctx: OutputContext, ix: ArdIndex, levels: list[str], sevs: list[str]):
    """Stub, then per arm a spanner ``Arm (N=xx)`` over one column per severity level."""
    columns = [Column(ctx.options.stub_header, align="left", width=3.0, key="stub")]
    spanners = []
    for head in arm_header_columns(ix, ctx, _total(ctx)):
        first = len(columns)
        columns += [Column(sev.capitalize(), width=0.8, key=f"{head.key}:{sev}") for sev in sevs]
        spanners.append(Spanner(head.label.replace("\n", " "), first, len(columns) - 1))
    return columns, tuple(spanners)


def _footnotes(ctx: OutputContext, ae: AeData, compared: list[str]) -> list[str]:
    opts: Options = ctx.options
    notes = list(ctx.spec.footnotes)
    if opts.by_severity:
        notes.append(
            "TEAE: treatment-emergent adverse event. n (%): subjects by their most severe event "
            "in the row (percentage of N, the subjects of the population in the arm); a subject "
            "is counted once per row. " + ae.rules["severity"]
        )
    else:
        notes.append(ae_common.counts_footnote())
    notes.append(
        "Rows: system organ class (AEBODSYS) and preferred term (AEDECOD), by "
        f"{_sort_text(opts.sort)}."
    )
    notes.append(ae.rules["TEAE"])
    any_variable = SUBSETS[opts.subset][0]
    if any_variable != "TEAE":
        notes.append(ae.rules[any_variable])
    if compared:
        notes.append(ae_common.fisher_footnote(ctx))
    return notes


def _sort_text(sort: str) -> str:
    if sort == "alphabetical":
        return "name"
    return "descending number of subjects (all arms), then name"
