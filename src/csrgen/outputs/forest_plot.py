"""Drawing of a forest plot (layout only): text columns, estimates with CIs on a log axis.

One row per line of the table (the overall row, each variable's heading, its levels): the row
label, a text per arm (events/subjects), and for each compared arm a marker at the estimate
with its confidence interval on a log axis with a reference line at 1, the estimate (CI) as
text, and the heading's interaction p-value. With several compared arms each level takes one
line per compared arm, in the arm's colour. Every text is given ready-formatted by the caller;
nothing here computes a statistic. The page geometry is fixed in inches (no layout engine), so
a long label cannot push the columns into one another: labels are placed, never squeezed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from csrgen.outputs.plotting import ARM_COLOURS, new_figure, render, style

#: Tick candidates of the log axis (1-2-5 steps).
TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
FONT_PT = 7.5
LINE_IN = 0.2  # height of one line of the plot, inches
#: With several compared arms a level takes a line per arm: closer lines keep it one block.
LINE_IN_SEVERAL = 0.165
HEADER_LINE_IN = 0.135  # one line of a column header
LEGEND_IN = 0.2  # the legend band under the headers (several compared arms)
BOTTOM_IN = 0.62  # tick labels, "favours" labels, axis label
#: Width of an average character of the bold header font (DejaVu Sans 7.5 pt), inches: the
#: headers are wrapped to their column with it (deterministic: no font measuring).
CHAR_IN = 0.066
#: Least space between two tick labels of the log axis, inches.
TICK_GAP_IN = 0.2


@dataclass(frozen=True)
class Estimate:
    """One compared arm's estimate in a row: numbers for the drawing, text for the column."""

    est: float
    lcl: float
    ucl: float
    text: str
    #: Position of the arm among all arms (its colour, as in the other figures).
    arm_index: int


@dataclass(frozen=True)
class ForestRow:
    label: str
    indent: int = 0
    bold: bool = False
    #: One text per arm (events/subjects); empty on heading rows.
    counts: tuple[str, ...] = ()
    #: One per compared arm; empty on heading rows.
    estimates: tuple[Estimate, ...] = ()
    #: The interaction p-value (heading rows).
    p_text: str = ""
    #: The summary row (all subjects): a diamond instead of a square.
    summary: bool = False

    @property
    def lines(self) -> int:
        return max(1, len(self.estimates))


@dataclass(frozen=True)
class ForestLayout:
    """Headers and widths (inches) of the text columns."""

    arm_headers: tuple[str, ...]
    estimate_header: str
    p_header: str
    x_label: str
    favours: tuple[str, str]
    #: Legend entries (one per compared arm) when there are several compared arms.
    legend: tuple[tuple[str, int], ...] = ()
    label_in: float = 1.45
    count_in: float = 0.68
    estimate_in: float = 1.2
    p_in: float = 0.7
    x_limits: tuple[float, float] | None = None


def wrap(text: str, width_in: float) -> str:
    """``text`` broken into lines that fit a column ``width_in`` wide (at spaces)."""
    import textwrap

    chars = max(4, int(width_in / CHAR_IN))
    return "\n".join(
        textwrap.fill(part, chars, break_long_words=False) for part in text.split("\n")
    )


def fitted(layout: ForestLayout) -> ForestLayout:
    """``layout`` with the arm columns widened to their longest word (never split mid-word)."""
    from dataclasses import replace

    longest = max((len(w) for h in layout.arm_headers for w in h.split()), default=0)
    return replace(layout, count_in=max(layout.count_in, longest * CHAR_IN + 0.1))


def _headers(layout: ForestLayout) -> tuple[tuple[str, ...], str, str]:
    arms = tuple(wrap(h, layout.count_in) for h in layout.arm_headers)
    return (
        arms,
        wrap(layout.estimate_header, layout.estimate_in),
        wrap(layout.p_header, layout.p_in),
    )


def _top_in(layout: ForestLayout) -> float:
    """Height of the header band (and the legend band under it)."""
    arms, est, p = _headers(layout)
    lines = max(t.count("\n") + 1 for t in (*arms, est, p, "Subgroup"))
    return 0.16 + lines * HEADER_LINE_IN + (LEGEND_IN if layout.legend else 0.0)


def forest_height(rows: Sequence[ForestRow], layout: ForestLayout) -> float:
    """The figure's height in inches for ``rows``."""
    layout = fitted(layout)
    line = LINE_IN_SEVERAL if any(r.lines > 1 for r in rows) else LINE_IN
    return round(_top_in(layout) + sum(r.lines for r in rows) * line + BOTTOM_IN, 2)


def axis_ticks(lo: float, hi: float, plot_in: float) -> list[float]:
    """1-2-5 ticks when their labels have room on an axis ``plot_in`` wide, else decades
    (and 1)."""
    ticks = [t for t in TICKS if lo <= t <= hi]
    per_decade = plot_in / math.log10(hi / lo)
    if per_decade * math.log10(2) >= TICK_GAP_IN:
        return ticks
    return [t for t in ticks if math.isclose(math.log10(t), round(math.log10(t)))]


def axis_limits(rows: Sequence[ForestRow], given=None) -> tuple[float, float]:
    """Axis limits: the ticks just outside the finite limits (and 1), within 0.01-100."""
    if given is not None:
        return given
    values = [1.0]
    for row in rows:
        for e in row.estimates:
            values += [v for v in (e.est, e.lcl, e.ucl) if math.isfinite(v) and v > 0]
    lo = max(min(values), TICKS[0])
    hi = min(max(values), TICKS[-1])
    return max(t for t in TICKS if t <= lo), min(t for t in TICKS if t >= hi)


def draw_forest(
    figure_id: str, rows: Sequence[ForestRow], layout: ForestLayout, width_in: float
) -> tuple[str, bytes]:
    """SVG and PNG of the forest plot (:func:`forest_height` high)."""
    from matplotlib.ticker import FixedLocator, NullLocator
    from matplotlib.transforms import blended_transform_factory

    layout = fitted(layout)
    height = forest_height(rows, layout)
    n_lines = sum(r.lines for r in rows)
    n_arms = len(layout.arm_headers)
    pad = 0.05
    plot_left = pad + layout.label_in + n_arms * layout.count_in + 0.1
    plot_right = width_in - pad - layout.p_in - layout.estimate_in - 0.1
    est_centre = plot_right + 0.1 + layout.estimate_in / 2
    p_centre = width_in - pad - layout.p_in / 2
    lo, hi = axis_limits(rows, layout.x_limits)
    with style():
        fig = new_figure(width_in, height)
        fig.set_layout_engine(None)  # fixed geometry: no engine, no extra draw
        top = height - _top_in(layout)
        ax = fig.add_axes(
            (
                plot_left / width_in,
                BOTTOM_IN / height,
                (plot_right - plot_left) / width_in,
                (top - BOTTOM_IN) / height,
            )
        )
        ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        ax.set_ylim(n_lines - 0.5, -0.5)
        ticks = axis_ticks(lo, hi, plot_right - plot_left)
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xticklabels([f"{t:g}" for t in ticks], fontsize=FONT_PT)
        ax.yaxis.set_major_locator(NullLocator())
        for side in ("left", "right", "top"):
            ax.spines[side].set_visible(False)
        ax.axvline(1.0, color="#444444", linewidth=0.8, zorder=1)
        ax.set_xlabel(layout.x_label, fontsize=FONT_PT, labelpad=16)
        row_text = blended_transform_factory(fig.dpi_scale_trans, ax.transData)
        head = dict(fontsize=FONT_PT, fontweight="bold", transform=fig.dpi_scale_trans, va="top")
        head_y = height - 0.08
        arm_headers, est_header, p_header = _headers(layout)
        fig.text(pad, head_y, "Subgroup", ha="left", **head)
        for i, text in enumerate(arm_headers):
            x = pad + layout.label_in + (i + 0.5) * layout.count_in
            fig.text(x, head_y, text, ha="center", ma="center", **head)
        fig.text(est_centre, head_y, est_header, ha="center", ma="center", **head)
        fig.text(p_centre, head_y, p_header, ha="center", ma="center", **head)
        if layout.legend:
            _legend(fig, layout.legend, width_in / 2, top + 0.04)
        y = 0
        for row in rows:
            _row(ax, fig, row_text, row, y, layout, lo, hi, pad, est_centre, p_centre)
            y += row.lines
        _favours(ax, layout.favours)
        return render(fig, figure_id)


def _row(ax, fig, tr, row: ForestRow, y: int, layout, lo, hi, pad, est_centre, p_centre) -> None:
    text = dict(fontsize=FONT_PT, transform=tr, va="center")
    weight = "bold" if row.bold else "normal"
    fig.text(pad + 0.14 * row.indent, y, row.label, ha="left", fontweight=weight, **text)
    for i, count in enumerate(row.counts):
        x = pad + layout.label_in + (i + 0.5) * layout.count_in
        fig.text(x, y, count, ha="center", **text)
    if row.p_text:
        fig.text(p_centre, y, row.p_text, ha="center", **text)
    several = len(row.estimates) > 1
    for k, e in enumerate(row.estimates):
        line = y + k
        colour = ARM_COLOURS[e.arm_index % len(ARM_COLOURS)] if several else "#000000"
        fig.text(est_centre, line, e.text, ha="center", color=colour, **text)
        if not all(math.isfinite(v) and v > 0 for v in (e.est, e.lcl, e.ucl)):
            continue  # not estimable: the text says NE, nothing is drawn
        left, right = max(e.lcl, lo), min(e.ucl, hi)
        ax.plot([left, right], [line, line], color=colour, linewidth=1.0, solid_capstyle="butt")
        if e.lcl < lo:
            ax.plot([lo], [line], marker="<", markersize=4, color=colour, clip_on=False)
        if e.ucl > hi:
            ax.plot([hi], [line], marker=">", markersize=4, color=colour, clip_on=False)
        if lo <= e.est <= hi:
            marker, size = ("D", 6.0) if row.summary else ("s", 4.5)
            ax.plot([e.est], [line], marker=marker, markersize=size, color=colour, linestyle="")


def _favours(ax, favours: tuple[str, str]) -> None:
    """``<- Favours X`` left of the line at 1 and ``Favours Y ->`` right of it, under the ticks."""
    from matplotlib.transforms import blended_transform_factory

    tr = blended_transform_factory(ax.transData, ax.transAxes)
    common = dict(xycoords=tr, textcoords="offset points", fontsize=FONT_PT, va="top")
    ax.annotate("\u2190 " + favours[0], (1.0, 0.0), xytext=(-3, -16), ha="right", **common)
    ax.annotate(favours[1] + " \u2192", (1.0, 0.0), xytext=(3, -16), ha="left", **common)


def _legend(fig, entries, centre_in: float, y_in: float) -> None:
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color=ARM_COLOURS[i % len(ARM_COLOURS)], marker="s", markersize=4.5)
        for _, i in entries
    ]
    fig.legend(
        handles,
        [label for label, _ in entries],
        loc="lower center",
        bbox_to_anchor=(centre_in, y_in),
        bbox_transform=fig.dpi_scale_trans,
        ncol=len(entries),
        fontsize=FONT_PT,
        frameon=False,
        handlelength=1.6,
        columnspacing=1.2,
    )
