"""Table 14.3.1 Overview of treatment-emergent adverse events.

pre-processing: :func:`ae_common.prepare_ae` (population, treatment emergence, arm from ADSL,
the study file's category rules).
analysis: :func:`csrgen.analyses.safety.ard_ae_overview`: subjects n (%) and events per
category and arm; optional Fisher exact p of each arm vs the reference.
build: one row per category, ``n (%) [E]`` per arm, p-value columns when tested; in HTML each
count links to exactly its records in the AE listing (:mod:`csrgen.outputs.ae_links`).
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field

from csrgen.analyses.safety import ard_ae_overview
from csrgen.ard import ArdIndex
from csrgen.datasets import ARM
from csrgen.document.model import Cell, Column, Row, Spanner, Table
from csrgen.outputs import ae_common, ae_links, links
from csrgen.outputs.ae_common import CATEGORIES, AeData
from csrgen.outputs.base import (
    OptionsModel,
    OutputContext,
    arm_header_columns,
    arm_levels,
    population_n,
)

Category = Literal[
    "TEAE", "TEAE_RELATED", "TEAE_SERIOUS", "TEAE_SEVERE", "TEAE_DISCONT", "TEAE_DEATH"
]


class Options(OptionsModel):
    #: Rows, in order.
    rows: list[Category] = Field(default_factory=lambda: list(CATEGORIES), min_length=1)
    #: Fisher exact p vs the reference arm; default the study file's ``safety.fisher``.
    fisher: bool | None = None
    #: Total column; default the study file's ``arms.total``.
    total: bool | None = None
    #: Landscape page; default: when the table has more than four number columns.
    landscape: bool | None = None
    stub_header: str = ""
    #: Id of the AE listing whose records the counts link to in HTML; "" for no links.
    listing: str = "l_ae"


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    ae_links.check_listing(config, spec, options.listing)
    return ae_common.ae_requires(config, spec.id)


def prepare(ctx: OutputContext) -> AeData:
    return ae_common.prepare_ae(ctx)


def analyze(ctx: OutputContext, ae: AeData) -> pd.DataFrame:
    opts: Options = ctx.options
    return ard_ae_overview(
        ae.subjects,
        ae.events,
        arm=ARM,
        arms=ctx.arms,
        categories=[(v, CATEGORIES[v][0]) for v in opts.rows if v not in ae.not_collected],
        group_var=ctx.arm_var,
        total_label=ctx.config.arms.total_label,
        total=_total(ctx),
        reference=ae_common.fisher_reference(ctx, opts.fisher),
    )


def _total(ctx: OutputContext) -> bool:
    return ctx.config.arms.total if ctx.options.total is None else ctx.options.total


def build(ctx: OutputContext, ae: AeData, ard: pd.DataFrame) -> list[Table]:
    if ae.subjects.empty:
        return [ctx.null()]
    opts: Options = ctx.options
    levels = arm_levels(ctx, _total(ctx))
    reference = ae_common.fisher_reference(ctx, opts.fisher)
    compared = [a for a in ctx.arms if reference and a != reference]

    ix = ArdIndex(ard)
    columns = [Column(opts.stub_header, align="left", width=2.6, key="stub")]
    columns += arm_header_columns(ix, ctx, _total(ctx))
    columns += [Column(f"{a}\nvs {reference}", width=0.8, key=f"p:{a}") for a in compared]
    spanners = ()
    if compared:
        first = len(columns) - len(compared)
        spanners = (Spanner("Fisher's exact p-value", first, len(columns) - 1),)

    listing = ae_links.listing_for(ctx, opts.listing)

    def count(level: str, variable: str) -> Cell:
        n = ix.value("n", group_level=level, variable=variable)
        where = ae_links.count_where(ctx, level, variable)
        text = ae_common.n_pct_events(ix, level, variable=variable)
        return links.count_cell(text, n, listing, ctx.spec.id, where)

    rows = []
    for variable in opts.rows:
        cells = [Cell(CATEGORIES[variable][1])]
        if variable in ae.not_collected:
            cells += [Cell(ae_common.NOT_COLLECTED) for _ in levels] + [Cell("") for _ in compared]
        else:
            cells += [count(lv, variable) for lv in levels]
            cells += [Cell(ix.text("p_value", group_level=a, variable=variable)) for a in compared]
        rows.append(Row(tuple(cells)))

    footnotes = list(ctx.spec.footnotes)
    footnotes.append(ae_common.counts_footnote())
    # one paragraph for all the category rules keeps the table and its notes on one page
    footnotes.append(" ".join(ae.rules[v] for v in opts.rows if v not in ae.not_collected))
    gaps = [ae.not_collected[v] for v in opts.rows if v in ae.not_collected]
    if gaps:
        footnotes.append(" ".join(g[0].upper() + g[1:] for g in gaps))
    if compared:
        footnotes.append(ae_common.fisher_footnote(ctx))
    n_numbers = len(levels) + len(compared)
    n_total = population_n(ix, ctx)
    return [
        Table(
            id=ctx.spec.id,
            number=ctx.spec.number,
            title=ctx.spec.title,
            population=ctx.population_line(n_total),
            columns=tuple(columns),
            rows=tuple(rows),
            spanners=spanners,
            footnotes=tuple(footnotes),
            source=ctx.source_line(["adsl", ae_common.safety_settings(ctx.config).dataset]),
            landscape=opts.landscape if opts.landscape is not None else n_numbers > 4,
        )
    ]
