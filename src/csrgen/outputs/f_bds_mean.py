"""Figure <number>.k Mean change from baseline (95% CI) over visits by arm, one per parameter
(and timepoint), for any BDS dataset.

pre-processing: :func:`csrgen.outputs.bds_common.prepare`.
analysis: :func:`csrgen.analyses.bds.ard_bds_mean_ci` (n, mean, t-based CI of CHG by visit and
arm) and the population N per arm.
build: one figure per parameter: points and error bars per arm (offset sideways so that bars
do not hide each other), a zero line, and the number of subjects per visit and arm beneath,
drawn by :mod:`csrgen.outputs.mean_plot`. Every plotted number is read from the ARD.
"""

from __future__ import annotations

import textwrap
from typing import Literal

import pandas as pd
from pydantic import Field

from csrgen import formatting as fmt
from csrgen.analyses.bds import ard_bds_mean_ci, ard_bds_population, data_decimals
from csrgen.ard import ArdIndex, concat_ard
from csrgen.datasets import ARM
from csrgen.document.model import Figure
from csrgen.outputs import bds_common as bc
from csrgen.outputs.base import OutputContext, population_n
from csrgen.outputs.mean_plot import ArmSeries, draw_mean_change
from csrgen.outputs.plotting import plan


class Options(bc.BdsOptions):
    level: float = Field(default=0.95, gt=0.5, lt=1.0)
    width_in: float = Field(default=7.0, gt=2, le=11)
    height_in: float = Field(default=4.4, gt=2, le=8)
    #: Show the number of subjects per visit and arm beneath the plot.
    n_table: bool = True
    #: Visits plotted apart, not joined to the scheduled ones (e.g. "End of Treatment", which
    #: is not a time after the last visit).
    separate_visits: list[str] = Field(default_factory=list)
    #: x axis: "visit" spaces visits evenly; "avisitn" places them at their AVISITN (a time
    #: scale, e.g. weeks), the separate visits after the last one.
    x_axis: Literal["visit", "avisitn"] = "visit"
    #: With ``x_axis = "avisitn"``: the unit of AVISITN (e.g. "Week"); when given, ticks show
    #: AVISITN under this axis title instead of the visit names.
    x_label: str = ""


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
            ard_bds_mean_ci(
                data.records,
                arm=ARM,
                arms=ctx.arms,
                params=params,
                visits=group.post_visits,
                group_var=data.group_var,
                level=ctx.options.level,
            )
        )
    return concat_ard(parts)


def build(ctx: OutputContext, prep: bc.BdsPrepared, ard: pd.DataFrame) -> list[Figure]:
    data = prep.data
    if prep.empty or len(data.visits) < 2:
        return [_null(ctx, ctx.spec.id, ctx.spec.number, ctx.spec.title, ctx.population_line(0))]
    ix = ArdIndex(ard)
    population = ctx.population_line(population_n(ix, ctx))
    blocks = []
    for k, (param, tp) in enumerate(prep.blocks, start=1):
        fid = bc.block_anchor(ctx, param, tp)
        number = bc.block_number(ctx.spec.number, k)
        title = bc.block_title(ctx.spec.title, data.block_label(param, tp))
        if not data.has_data(param, tp):
            blocks.append(_null(ctx, fid, number, title, population))
        else:
            blocks.append(_figure(ctx, data, ix, (param, tp), fid, number, title, population))
    return blocks


def _null(ctx: OutputContext, fid: str, number: str, title: str, population: str) -> Figure:
    return Figure(
        id=fid,
        number=number,
        title=title,
        population=population,
        svg="",
        png=b"",
        width_in=ctx.options.width_in,
        height_in=ctx.options.height_in,
        alt="",
        null_reason="No data to report",
    )


def _figure(ctx, data: bc.BdsData, ix: ArdIndex, block, fid, number, title, population) -> Figure:
    opts: Options = ctx.options
    arms = ctx.arms
    param, tp = block
    keys = dict(zip(data.visits[1:], data.group(tp).post_visits, strict=True))
    visits = list(keys)
    label = data.block_label(param, tp)
    level = f"{fmt.fmt_num(100 * opts.level, 0)}%"

    def s(a: str, name: str) -> tuple[float, ...]:
        return tuple(
            ix.value(name, group_level=a, variable="CHG", param=param, timepoint=keys[v])
            for v in visits
        )

    series = tuple(
        ArmSeries(
            label=a,
            legend=f"{a} (N={ix.text('N', group_level=a)})",
            mean=s(a, "mean"),
            lcl=s(a, "lcl"),
            ucl=s(a, "ucl"),
            n=tuple(fmt.fmt_int(n) for n in s(a, "n")),
        )
        for a in arms
    )
    pos = _positions(visits, data.visit_numbers, set(opts.separate_visits), opts.x_axis)
    drawing = plan(
        draw_mean_change,
        fid,
        series,
        tuple(visits),
        tuple(pos),
        tuple(_tick_labels(visits, data.visit_numbers, opts)),
        f"Mean change from baseline ({level} CI)\n{_wrap(label)}",
        opts.x_label if opts.x_axis == "avisitn" else "",
        tuple(v for v in visits if v in set(opts.separate_visits)),
        opts.n_table,
        opts.width_in,
        opts.height_in,
    )
    return Figure(
        id=fid,
        number=number,
        title=title,
        population=population,
        svg="",
        png=b"",
        width_in=opts.width_in,
        height_in=opts.height_in,
        alt=f"Mean change from baseline in {label} with {level} confidence intervals by visit, "
        f"for {', '.join(arms)}.",
        footnotes=tuple(_footnotes(ctx, data, level)),
        source=ctx.source_line(["adsl", data.settings.dataset]),
        plan=drawing,
    )


def _wrap(label: str) -> str:
    """An axis title that fits beside the plot (a long parameter and timepoint wraps)."""
    return "\n".join(textwrap.wrap(label, 45)) or label


def _positions(
    visits: list[str], numbers: dict[str, float], separate: set[str], axis: str
) -> list[float]:
    """x position of each visit: 0, 1, 2, ... or AVISITN, separate visits one step after."""
    scheduled = [v for v in visits if v not in separate]
    if axis == "visit" or not all(v in numbers for v in scheduled) or len(scheduled) < 2:
        return [float(x) for x in range(len(visits))]
    xs = [numbers[v] for v in scheduled]
    step = min(b - a for a, b in zip(xs, xs[1:], strict=False))
    last, out = max(xs), []
    for v in visits:
        if v in separate:
            last += 1.5 * step
            out.append(last)
        else:
            out.append(numbers[v])
    return out


def _tick_labels(visits: list[str], numbers: dict[str, float], opts: Options) -> list[str]:
    """Visit names (wrapped), or AVISITN on a labelled time axis (separate visits by name)."""
    if opts.x_axis != "avisitn" or not opts.x_label:
        return [textwrap.fill(v, 10) for v in visits]
    return [
        textwrap.fill(v, 10)
        if v in opts.separate_visits or v not in numbers
        else fmt.fmt_num(numbers[v], data_decimals([numbers[v]]))
        for v in visits
    ]


def _footnotes(ctx: OutputContext, data: bc.BdsData, level: str) -> list[str]:
    notes = list(ctx.spec.footnotes)
    notes.append(
        f"Points: mean change from baseline; bars: {level} confidence interval of the mean "
        "(t distribution); no bar where fewer than two subjects have a value. Arms are offset "
        "sideways for legibility. n = subjects with a change from baseline at the visit; "
        "N = subjects in the population. Missing values are not imputed."
    )
    notes.append(bc.records_note(data))
    return notes
