"""Table <number>.k Values and change from baseline by visit, one block per parameter (and
timepoint), for any BDS dataset (laboratory values, vital signs, ECG, scores).

pre-processing: :func:`csrgen.outputs.bds_common.prepare` (population, arm, parameters, the
study file's baseline, analysis-flag, derived-record, visit and several-records rules).
analysis: :func:`csrgen.analyses.bds.ard_bds_summary` (n, mean, SD, median, Q1, Q3, min, max
of AVAL and CHG by parameter, visit and arm) and the population N per arm.
build: one table per parameter (``<number>.1``, ``<number>.2``, ... with the parameter in the
title): visits as row groups, one statistic per row beneath (so that no value can print beside
another statistic's label when a cell wraps); arms as columns under a "Value" and a "Change
from baseline" spanner; landscape when more than two arms.
"""

from __future__ import annotations

import pandas as pd

from csrgen import formatting as fmt
from csrgen.analyses.bds import ard_bds_population, ard_bds_summary
from csrgen.ard import ArdIndex, concat_ard
from csrgen.datasets import ARM
from csrgen.document.model import Column, Row, Spanner, Table
from csrgen.outputs import bds_common as bc
from csrgen.outputs.base import OutputContext, header_n, population_n

#: (row label, statistics it prints) in display order, under each visit.
STAT_ROWS = ("n", "Mean (SD)", "Median", "Q1, Q3", "Min, Max")


class Options(bc.BdsOptions):
    #: Landscape pages; default: landscape when the study has more than two arms.
    landscape: bool | None = None


# (no shares: the block is prepared by the check hooks before the workers fork)
check = bc.check
prepare = bc.prepare


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    return bc.bds_requires(config, spec, options)


def analyze(ctx: OutputContext, prep: bc.BdsPrepared) -> pd.DataFrame:
    data = prep.data
    parts = [ard_bds_population(data.subjects, ARM, ctx.arms, data.group_var)]
    for group, params in prep.groups():
        parts.append(
            ard_bds_summary(
                data.records,
                arm=ARM,
                arms=ctx.arms,
                params=params,
                visits=group.visits,
                group_var=data.group_var,
                baseline_visit=group.baseline,
            )
        )
    return concat_ard(parts)


def decimals(ctx: OutputContext, prep: bc.BdsPrepared) -> dict[str, int]:
    """Each parameter's data decimals (the study file's, else what its data show)."""
    return prep.data.decimals


def build(ctx: OutputContext, prep: bc.BdsPrepared, ard: pd.DataFrame) -> list[Table]:
    if prep.empty:
        return [ctx.null()]
    data = prep.data
    ix = ArdIndex(ard)
    population = ctx.population_line(population_n(ix, ctx))
    blocks = []
    for k, (param, tp) in enumerate(prep.blocks, start=1):
        label = data.block_label(param, tp)
        anchor = bc.block_anchor(ctx, param, tp)
        if not data.has_data(param, tp):
            blocks.append(bc.null_block(ctx, anchor, k, label, population))
        else:
            blocks.append(_table(ctx, data, ix, param, tp, k, population))
    return blocks


def _table(
    ctx: OutputContext,
    data: bc.BdsData,
    ix: ArdIndex,
    param: str,
    tp: str,
    k: int,
    population: str,
) -> Table:
    opts: Options = ctx.options
    arms = ctx.arms
    group = data.group(tp)
    stub = data.block_label(param, tp, sep="\n")
    columns = [Column(stub, align="left", width=2.0, key="stub")]
    for part in ("AVAL", "CHG"):
        columns += [Column(header_n(ix, a), align="center", key=f"{part}:{a}") for a in arms]
    spanners = (
        Spanner("Value", 1, len(arms)),
        Spanner("Change from baseline", len(arms) + 1, 2 * len(arms)),
    )
    rows: list[Row] = []
    for name, key in zip(data.visits, group.visits, strict=True):
        value = _statistic_texts(ix, param, key, "AVAL", arms)
        change = (
            _statistic_texts(ix, param, key, "CHG", arms)
            if key != group.baseline
            else [[""] * len(STAT_ROWS)] * len(arms)
        )
        rows += bc.visit_rows(name, STAT_ROWS, value + change)
    landscape = opts.landscape if opts.landscape is not None else len(arms) > 2
    return Table(
        id=bc.block_anchor(ctx, param, tp),
        number=bc.block_number(ctx.spec.number, k),
        title=bc.block_title(ctx.spec.title, data.block_label(param, tp)),
        population=population,
        columns=tuple(columns),
        rows=tuple(rows),
        spanners=spanners,
        footnotes=tuple(_footnotes(ctx, data, rows)),
        source=ctx.source_line(["adsl", data.settings.dataset]),
        landscape=landscape,
    )


def _statistic_texts(
    ix: ArdIndex, param: str, visit: str, variable: str, arms: list[str]
) -> list[list[str]]:
    """Per arm, the texts of the rows of :data:`STAT_ROWS`."""
    out: list[list[str]] = []
    for a in arms:
        w = dict(group_level=a, variable=variable, param=param, timepoint=visit)
        if ix.value("n", **w) == 0:
            out.append([ix.text("n", **w)] + [fmt.NE] * (len(STAT_ROWS) - 1))
            continue
        out.append(
            [
                ix.text("n", **w),
                ix.mean_sd(**w),
                ix.text("median", **w),
                ix.pair("q1", "q3", **w),
                ix.pair("min", "max", **w),
            ]
        )
    return out


def _footnotes(ctx: OutputContext, data: bc.BdsData, rows: list[Row]) -> list[str]:
    notes = list(ctx.spec.footnotes)
    notes.append(
        "N = number of subjects in the population; n = number of subjects with a value at the "
        "visit (missing values are not imputed). Change from baseline = value at the visit minus "
        "the baseline value, as in the analysis dataset (CHG)."
    )
    notes.append(
        "SD = standard deviation; Q1, Q3 = first and third quartiles (SAS definition 5); "
        "Min, Max = minimum, maximum. Mean, median and quartiles are shown with one decimal more "
        "than the data, SD with two more."
    )
    notes.append(bc.records_note(data))
    if bc.any_ne(rows):
        notes.append(bc.NE_NOTE)
    return notes
