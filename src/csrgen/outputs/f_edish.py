"""Figure <number> eDISH (evaluation of drug-induced serious hepatotoxicity): each subject's peak
post-baseline ALT against peak post-baseline total bilirubin, both as multiples of the upper
limit of normal, log scales, one panel per arm (FDA 2009 drug-induced liver injury guidance).

pre-processing: :func:`csrgen.outputs.hepatic_common.liver_records`.
analysis: :func:`csrgen.analyses.hepatic.ard_hys_law` (the points are its ``PEAK`` rows, the
panel counts its ``EDISH`` rows).
build: one figure; per arm a panel (its own colour and marker) with the reference lines at
ALT = 3 × ULN and bilirubin = 2 × ULN, the quadrants labelled with their counts. Every plotted
number is read from the ARD.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from pydantic import Field

from csrgen.analyses.hepatic import QUADRANTS
from csrgen.ard import ArdIndex
from csrgen.document.model import Figure
from csrgen.formatting import fmt_level
from csrgen.outputs import hepatic_common as hc
from csrgen.outputs.base import OutputContext, population_n
from csrgen.outputs.plotting import ARM_COLOURS, new_figure, plan, render, style
from csrgen.outputs.t_hys_law import QUADRANT_LABELS, baseline_note
from csrgen.outputs.t_hys_law import analyze as analyze
from csrgen.outputs.t_hys_law import decimals as decimals

MARKERS = "os^Dv<"


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


@dataclass(frozen=True)
class Panel:
    """One arm's panel: the points, its title and each quadrant's count (as printed, in the
    order of :data:`~csrgen.analyses.hepatic.QUADRANTS`)."""

    x: tuple[float, ...]
    y: tuple[float, ...]
    title: str
    quadrants: tuple[str, ...]


#: Above this many subjects in a panel the points are one embedded image in the SVG (axes and
#: text stay vector): 100,000 circles as SVG paths make a page of tens of MB that a browser
#: draws slowly, and cost most of the figure's time.
RASTER_POINTS = 5000


def draw_edish(
    figure_id: str,
    panels: tuple[Panel, ...],
    t: float,
    b: float,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    width_in: float,
    height_in: float,
) -> tuple[str, bytes]:
    """SVG and PNG of the eDISH panels, one per arm."""
    with style():
        fig = new_figure(width_in, height_in)
        axes = fig.subplots(1, len(panels), sharex=True, sharey=True, squeeze=False)[0]
        for i, (ax, panel) in enumerate(zip(axes, panels, strict=True)):
            colour = ARM_COLOURS[i % len(ARM_COLOURS)]
            ax.scatter(
                list(panel.x), list(panel.y), s=14, marker=MARKERS[i % len(MARKERS)],
                facecolors="none", edgecolors=colour, linewidths=0.8, zorder=3,
                rasterized=len(panel.x) > RASTER_POINTS,
            )  # fmt: skip
            _reference(ax, t, b, xlim, ylim)
            _quadrant_labels(ax, panel.quadrants, xlim, ylim)
            ax.set_title(panel.title, fontsize=8.5, color=colour)
            ax.set_xlabel("Peak ALT (× ULN)")
            if i == 0:
                ax.set_ylabel("Peak total bilirubin (× ULN)")
        return render(fig, figure_id)


def _reference(ax, t: float, b: float, xlim, ylim) -> None:
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.axvline(t, color="#555555", linestyle="--", linewidth=0.8, zorder=2)
    ax.axhline(b, color="#555555", linestyle="--", linewidth=0.8, zorder=2)
    ticks = [10.0**k for k in range(round(math.log10(xlim[0])), round(math.log10(xlim[1])) + 1)]
    ax.set_xticks(ticks, [fmt_level(v) for v in ticks])
    ticks = [10.0**k for k in range(round(math.log10(ylim[0])), round(math.log10(ylim[1])) + 1)]
    ax.set_yticks(ticks, [fmt_level(v) for v in ticks])
    ax.minorticks_off()
    ax.tick_params(labelsize=7.5)


def _quadrant_labels(ax, counts: tuple[str, ...], xlim, ylim) -> None:
    """Each quadrant's name and count in its outer corner, away from the reference lines where
    the points gather; drawn beneath the points (on a light box) so that no point is hidden."""
    pad = 1.15
    corners = {
        "NORMAL": (xlim[0] * pad, ylim[0] * pad, "left", "bottom"),
        "HYPERBILIRUBINEMIA": (xlim[0] * pad, ylim[1] / pad, "left", "top"),
        "TEMPLE": (xlim[1] / pad, ylim[0] * pad, "right", "bottom"),
        "HYS_LAW": (xlim[1] / pad, ylim[1] / pad, "right", "top"),
    }
    for q, n in zip(QUADRANTS, counts, strict=True):
        x, y, ha, va = corners[q]
        label = QUADRANT_LABELS[q].replace("Temple's corollary", "Temple's\ncorollary")
        label = label.replace("Potential Hy's law", "Potential\nHy's law")
        ax.text(
            x, y, f"{label}\n({n})", ha=ha, va=va, fontsize=6.5, color="#333333", zorder=2.5,
            linespacing=1.0, bbox=dict(facecolor="white", edgecolor="none", alpha=0.85, pad=0.5),
        )  # fmt: skip


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
