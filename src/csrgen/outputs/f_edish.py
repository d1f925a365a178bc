"""Figure <number> eDISH (evaluation of drug-induced serious hepatotoxicity): each subject's peak
post-baseline ALT against peak post-baseline total bilirubin, both as multiples of the upper
limit of normal, log scales, one panel per arm (FDA 2009 drug-induced liver injury guidance).

pre-processing: :func:`csrgen.outputs.hepatic_common.liver_records`.
analysis: :func:`csrgen.analyses.hepatic.ard_hys_law` (the points are its ``PEAK`` rows, the
panel counts its ``EDISH`` rows).
build: one figure (drawn by :mod:`csrgen.outputs.edish_plot`); per arm a panel (its own colour
and marker) with the reference lines at ALT = 3 × ULN and bilirubin = 2 × ULN, the quadrants
labelled with their counts. Every plotted number is read from the ARD.
"""

from __future__ import annotations

import math

import pandas as pd
from pydantic import Field

from csrgen.analyses.hepatic import QUADRANTS
from csrgen.ard import ArdIndex
from csrgen.document.model import Figure
from csrgen.formatting import fmt_level
from csrgen.outputs import hepatic_common as hc
from csrgen.outputs.base import OutputContext, population_n
from csrgen.outputs.edish_plot import Panel, draw_edish
from csrgen.outputs.plotting import plan
from csrgen.outputs.t_hys_law import analyze as analyze
from csrgen.outputs.t_hys_law import baseline_note
from csrgen.outputs.t_hys_law import decimals as decimals


class Options(hc.HepaticOptions):
    width_in: float = Field(default=7.0, gt=2, le=11)
    height_in: float = Field(default=3.6, gt=2, le=8)


check = hc.check
requires = hc.hepatic_requires
prepare = hc.liver_records


def points(ix: ArdIndex, arm: str, opts: Options) -> tuple[list[float], list[float]]:
    """(peak ALT, peak bilirubin) × ULN of the arm's subjects with both, from the ARD."""
    frame = ix.frame
    peaks = frame[(frame["variable"] == "PEAK") & (frame["group_level"] == arm)]
    with_alt = set(peaks.loc[peaks["param"] == opts.alt, "variable_level"])
    with_bili = set(peaks.loc[peaks["param"] == opts.bili, "variable_level"])
    subjects = sorted(with_alt & with_bili)
    where = dict(group_level=arm, variable="PEAK")
    x = [ix.value("max", variable_level=u, param=opts.alt, **where) for u in subjects]
    y = [ix.value("max", variable_level=u, param=opts.bili, **where) for u in subjects]
    return x, y


def _limits(values: list[float], lines: float) -> tuple[float, float]:
    """Whole decades around the values and the reference line (at least 0.1 to 10)."""
    low = min([0.1, *[v for v in values if v > 0]])
    high = max([10.0, 1.5 * lines, *[1.05 * v for v in values]])
    return 10.0 ** math.floor(math.log10(low)), 10.0 ** math.ceil(math.log10(high))


def build(ctx: OutputContext, liver: hc.LiverRecords, ard: pd.DataFrame) -> list[Figure]:
    opts: Options = ctx.options
    ix = ArdIndex(ard)
    arms = ctx.arms
    population = ctx.population_line(population_n(ix, ctx) if not ard.empty else 0)
    data = {a: points(ix, a, opts) for a in arms} if not liver.empty else {}
    if not any(x for x, _ in data.values()):
        return [
            Figure(
                id=ctx.spec.id,
                number=ctx.spec.number,
                title=ctx.spec.title,
                population=population,
                svg="",
                png=b"",
                width_in=opts.width_in,
                height_in=opts.height_in,
                alt="",
                null_reason="No data to report",
            )
        ]
    t, b = opts.transaminase_uln, opts.bilirubin_uln
    xlim = _limits([v for x, _ in data.values() for v in x], t)
    ylim = _limits([v for _, y in data.values() for v in y], b)
    panels = tuple(
        Panel(
            x=tuple(data[arm][0]),
            y=tuple(data[arm][1]),
            title=f"{arm}\n(n={ix.text('n', group_level=arm, variable='EDISH')})",
            quadrants=tuple(
                ix.text("n", group_level=arm, variable="EDISH", variable_level=q) for q in QUADRANTS
            ),
        )
        for arm in arms
    )
    drawing = plan(draw_edish, ctx.spec.id, panels, t, b, xlim, ylim, opts.width_in, opts.height_in)
    return [
        Figure(
            id=ctx.spec.id,
            number=ctx.spec.number,
            title=ctx.spec.title,
            population=population,
            svg="",
            png=b"",
            plan=drawing,
            width_in=opts.width_in,
            height_in=opts.height_in,
            alt=f"Scatter plot per arm ({', '.join(arms)}) of each subject's peak "
            "post-baseline ALT against peak post-baseline total bilirubin, as multiples of the "
            f"upper limit of normal on log scales, with reference lines at ALT "
            f"{fmt_level(t)} × ULN and bilirubin {fmt_level(b)} × ULN.",
            footnotes=tuple(_footnotes(ctx, ix, liver, opts)),
            source=ctx.source_line([liver.data.settings.dataset, "adsl"]),
        )
    ]


def _footnotes(
    ctx: OutputContext, ix: ArdIndex, liver: hc.LiverRecords, opts: Options
) -> list[str]:
    t, b = fmt_level(opts.transaminase_uln), fmt_level(opts.bilirubin_uln)
    return [
        *ctx.spec.footnotes,
        "ULN = upper limit of normal. One point per subject with post-baseline ALT and total "
        "bilirubin values: the highest value of each after baseline (not necessarily on the same "
        f"day), divided by the record's ULN. Dashed lines: ALT {t} × ULN, total bilirubin "
        f"{b} × ULN; a value on a line counts above it. Quadrants (subjects in parentheses): "
        "normal range, hyperbilirubinemia (bilirubin only), Temple's corollary (ALT only), "
        "potential Hy's law (both); n = subjects plotted.",
        hc.records_note(liver, opts),
        *([note] if (note := baseline_note(ix, ctx, opts)) else []),
    ]


__all__ = ["Options", "requires", "check", "prepare", "analyze", "build", "decimals"]
