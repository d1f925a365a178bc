"""Table <number>.k Laboratory values and change from baseline by visit, one block per parameter.

pre-processing: :func:`csrgen.outputs.lab_common.prepare_labs` (population, arm, parameters,
visits, records).
analysis: :func:`csrgen.analyses.labs.ard_lab_summary` (n, mean, SD, median, Q1, Q3, min, max
of AVAL and CHG by parameter, visit and arm) and the population N per arm.
build: one table per parameter (``<number>.1``, ``<number>.2``, ... with the parameter in the
title): visits as row groups, one statistic per row beneath (so that no value can print beside
another statistic's label when a cell wraps); arms as columns under a "Value" and a "Change
from baseline" spanner; landscape when more than two arms.
"""

from __future__ import annotations

import pandas as pd

from csrgen import formatting as fmt
from csrgen.analyses.labs import ard_lab_population, ard_lab_summary
from csrgen.ard import ArdIndex, concat_ard
from csrgen.datasets import ARM
from csrgen.document.model import Column, Row, Spanner, Table
from csrgen.outputs import lab_common as lc
from csrgen.outputs.base import OptionsModel, OutputContext, header_n, population_n

#: (row label, statistics it prints) in display order, under each visit.
STAT_ROWS = ("n", "Mean (SD)", "Median", "Q1, Q3", "Min, Max")


class Options(OptionsModel):
    #: Landscape pages; default: landscape when the study has more than two arms.
    landscape: bool | None = None


shares = lc.lab_shares


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    return lc.lab_requires(config)


def prepare(ctx: OutputContext) -> lc.LabData:
    return lc.prepare_labs(ctx)


def analyze(ctx: OutputContext, lab: lc.LabData) -> pd.DataFrame:
    labs = lc.lab_settings(ctx.config)
    return concat_ard(
        [
            ard_lab_population(lab.subjects, ARM, ctx.arms, lab.group_var),
            ard_lab_summary(
                lab.records,
                arm=ARM,
                arms=ctx.arms,
                params=lab.params,
                visits=lab.visits,
                group_var=lab.group_var,
                baseline_visit=labs.baseline_visit,
            ),
        ]
    )


def decimals(ctx: OutputContext, lab: lc.LabData) -> dict[str, int]:
    """Each parameter's data decimals (the study file's, else what its data show)."""
    return lab.decimals


def build(ctx: OutputContext, lab: lc.LabData, ard: pd.DataFrame) -> list[Table]:
    if lab.empty:
        return [ctx.null()]
    ix = ArdIndex(ard)
    population = ctx.population_line(population_n(ix, ctx))
    blocks = []
    for k, param in enumerate(lab.params, start=1):
        label = lab.labels[param]
        if not lab.has_data(param):
            blocks.append(lc.null_block(ctx, param, k, label, population))
        else:
            blocks.append(_table(ctx, lab, ix, param, k, population))
    return blocks


def _table(
    ctx: OutputContext, lab: lc.LabData, ix: ArdIndex, param: str, k: int, population: str
) -> Table:
    opts: Options = ctx.options
    arms = ctx.arms
    columns = [Column(lab.labels[param], align="left", width=2.0, key="stub")]
    for part in ("AVAL", "CHG"):
        columns += [Column(header_n(ix, a), align="center", key=f"{part}:{a}") for a in arms]
    spanners = (
        Spanner("Value", 1, len(arms)),
        Spanner("Change from baseline", len(arms) + 1, 2 * len(arms)),
    )
    rows: list[Row] = []
    for visit in lab.visits:
        value = _statistic_texts(ix, param, visit, "AVAL", arms)
        change = (
            _statistic_texts(ix, param, visit, "CHG", arms)
            if visit in lab.post_visits
            else [[""] * len(STAT_ROWS)] * len(arms)
        )
        rows += lc.visit_rows(visit, STAT_ROWS, value + change)
    landscape = opts.landscape if opts.landscape is not None else len(arms) > 2
    return Table(
        id=lc.block_id(ctx.spec.id, param),
        number=lc.block_number(ctx.spec.number, k),
        title=lc.block_title(ctx.spec.title, lab.labels[param]),
        population=population,
        columns=tuple(columns),
        rows=tuple(rows),
        spanners=spanners,
        footnotes=tuple(_footnotes(ctx, rows)),
        source=ctx.source_line(["adsl", lc.lab_settings(ctx.config).dataset]),
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


def _footnotes(ctx: OutputContext, rows: list[Row]) -> list[str]:
    labs = lc.lab_settings(ctx.config)
    notes = list(ctx.spec.footnotes)
    notes.append(
        "N = number of subjects in the population; n = number of subjects with a value at the "
        "visit (missing values are not imputed). Change from baseline = value at the visit minus "
        f"the baseline value ({labs.baseline_visit}), as in the analysis dataset."
    )
    notes.append(
        "SD = standard deviation; Q1, Q3 = first and third quartiles (SAS definition 5); "
        "Min, Max = minimum, maximum. Mean, median and quartiles are shown with one decimal more "
        "than the data, SD with two more."
    )
    notes.append(lc.records_note(labs))
    if lc.any_ne(rows):
        notes.append(lc.NE_NOTE)
    return notes
