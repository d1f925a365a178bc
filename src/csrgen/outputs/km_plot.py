"""Drawing shared by the Kaplan-Meier and cumulative-incidence figures (layout only).

Step curves per arm (colour and line style by arm position from :mod:`plotting`), censor marks,
a legend, an optional note in the plot, and a numbers-at-risk table under the x-axis whose
columns sit exactly under the axis ticks (the table is a second axes sharing the x scale). All
text is given ready-formatted by the caller; nothing here computes a statistic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from csrgen.document.model import Figure
from csrgen.outputs.base import OutputContext
from csrgen.outputs.plotting import ARM_COLOURS, ARM_LINESTYLES, new_figure, render, style


@dataclass(frozen=True)
class Curve:
    """One arm's step function: ``value`` from each ``time`` on; ``start`` before the first."""

    label: str
    time: np.ndarray
    value: np.ndarray
    #: Times (mask over ``time``) where a censored observation is marked.
    censored: np.ndarray
    start: float


def null_figure(ctx: OutputContext, width_in: float, height_in: float) -> Figure:
    """The standard null report of a figure output."""
    return Figure(
        id=ctx.spec.id,
        number=ctx.spec.number,
        title=ctx.spec.title,
        population=ctx.population_line(0),
        svg="",
        png=b"",
        width_in=width_in,
        height_in=height_in,
        alt="No data to report",
        null_reason="No data to report",
    )


def draw_survival_figure(
    figure_id: str,
    curves: Sequence[Curve],
    risk: Sequence[tuple[str, Sequence[str]]],
    ticks: Sequence[float],
    x_label: str,
    y_label: str,
    annotation: Sequence[str],
    width_in: float,
    height_in: float,
    y_max: float,
) -> tuple[str, bytes]:
    """SVG and PNG of step curves with a numbers-at-risk table.

    ``risk`` holds, per arm in curve order, its row label and one text per tick.
    """
    from matplotlib.ticker import MaxNLocator

    with style():
        fig = new_figure(width_in, height_in)
        k = len(curves)
        table = bool(ticks) and bool(risk)
        if table:
            grid = fig.add_gridspec(2, 1, height_ratios=[4.0, 0.3 * k + 0.45])
            ax = fig.add_subplot(grid[0])
        else:
            ax = fig.add_subplot(1, 1, 1)
        for i, curve in enumerate(curves):
            colour = ARM_COLOURS[i % len(ARM_COLOURS)]
            x = np.concatenate([[0.0], curve.time])
            y = np.concatenate([[curve.start], curve.value])
            ax.step(
                x,
                y,
                where="post",
                color=colour,
                linestyle=ARM_LINESTYLES[i % len(ARM_LINESTYLES)],
                linewidth=1.4,
                label=curve.label,
            )
            mask = np.asarray(curve.censored, dtype=bool)
            ax.plot(
                curve.time[mask],
                curve.value[mask],
                linestyle="none",
                marker="+",
                markersize=5,
                markeredgewidth=0.9,
                color=colour,
            )
        if ticks:
            ax.set_xticks(list(ticks))
            ax.set_xlim(min(ticks), max(ticks))
        else:
            ax.set_xlim(left=0)
        ax.set_ylim(0, y_max)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.grid(axis="y", color="#dddddd", linewidth=0.5)
        ax.set_axisbelow(True)
        if table:
            _risk_axes(fig, grid[1], ax, risk, ticks)
        _legend(fig, ax, annotation)
        return render(fig, figure_id)


_FONT_PT = 8.0
_PAD = 0.02  # gap between a box and the axes edge, in axes fractions


def _legend(fig, ax, annotation: Sequence[str]) -> None:
    """The arms' legend and the note (HR, p) as two boxes where they cover the fewest points.

    matplotlib's ``loc="best"`` avoids the curves but not a second legend and tries only nine
    spots, so both boxes are placed here: each is measured once drawn, candidate places (the
    corners first, then every height along the right, left and centre) are scored by the curve
    points the box would cover and by overlap with the box already placed, and the box is
    anchored at the best one. Deterministic: the same data give the same places.
    """
    from matplotlib.lines import Line2D

    fig.draw_without_rendering()  # settle the layout so that sizes in axes fractions are known
    points = _curve_points(ax)
    handles, labels = ax.get_legend_handles_labels()
    boxes = [(handles, labels, 2.8)]
    if annotation:
        boxes.append(([Line2D([], [], linestyle="none")] * len(annotation), list(annotation), 0.0))
    taken: list[tuple[float, float, float, float]] = []
    legends = []
    for box_handles, box_labels, handle_len in boxes:
        style = dict(
            handlelength=handle_len,
            handletextpad=0.8 if handle_len else 0.0,
            fontsize=_FONT_PT,
            frameon=True,
            framealpha=0.85,
            facecolor="white",
            edgecolor="none",
            borderaxespad=0.0,
            bbox_transform=ax.transAxes,
        )
        w, h = _measure(fig, ax, box_handles, box_labels, style)
        loc, anchor, rect = _best_place(w, h, points, taken)
        taken.append(rect)
        legends.append(ax.legend(box_handles, box_labels, loc=loc, bbox_to_anchor=anchor, **style))
    for legend in legends[:-1]:
        ax.add_artist(legend)  # ax.legend() replaces the previous legend; keep every box


def _measure(fig, ax, handles, labels, style) -> tuple[float, float]:
    """Width and height of a legend box in axes fractions."""
    legend = ax.legend(handles, labels, loc="lower left", bbox_to_anchor=(0, 0), **style)
    box, frame = legend.get_window_extent(), ax.get_window_extent()
    legend.remove()
    return box.width / frame.width, box.height / frame.height


def _candidates(w: float, h: float):
    """(loc, anchor, rect) of every place tried, in order of preference."""
    left, right, centre = _PAD, 1 - _PAD - w, 0.5 - w / 2
    top, bottom = 1 - _PAD - h, _PAD
    xs = {"left": (left, 0.0 + _PAD), "right": (right, 1 - _PAD), "center": (centre, 0.5)}
    corners = [("upper", "right"), ("lower", "left"), ("lower", "right"), ("upper", "center")]
    for vertical, side in corners:
        x0, ax_x = xs[side]
        y0 = top if vertical == "upper" else bottom
        ay = 1 - _PAD if vertical == "upper" else _PAD
        yield f"{vertical} {side}", (ax_x, ay), (x0, y0, x0 + w, y0 + h)
    for y0 in np.arange(bottom, top, 0.02):
        for side in ("right", "left", "center"):
            x0, ax_x = xs[side]
            yield f"lower {side}", (ax_x, float(y0)), (x0, float(y0), x0 + w, float(y0) + h)


def _best_place(w, h, points, taken):
    best = None
    for loc, anchor, rect in _candidates(w, h):
        inside = (
            (points[:, 0] >= rect[0])
            & (points[:, 0] <= rect[2])
            & (points[:, 1] >= rect[1])
            & (points[:, 1] <= rect[3])
        )
        score = int(inside.sum()) + 100_000 * sum(_overlap(rect, other) for other in taken)
        if best is None or score < best[0]:
            best = (score, loc, anchor, rect)
            if score == 0:
                break
    return best[1], best[2], best[3]


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _curve_points(ax) -> np.ndarray:
    """Points along every drawn line, in axes fractions (steps sampled densely)."""
    to_axes = ax.transData + ax.transAxes.inverted()
    out = [np.empty((0, 2))]
    for line in ax.get_lines():
        xy = np.column_stack([line.get_xdata(orig=False), line.get_ydata(orig=False)])
        if len(xy) == 0:
            continue
        if line.get_drawstyle() == "steps-post":  # the drawn path: a corner at every step
            corners = np.column_stack([xy[1:, 0], xy[:-1, 1]])
            xy = np.stack([np.vstack([xy[:-1], xy[-1:]]), np.vstack([corners, xy[-1:]])], 1)
            xy = xy.reshape(-1, 2)[:-1]
        # 24 points per segment after its start: linspace of every segment at once
        dense = np.linspace(xy[:-1], xy[1:], 25, axis=1)[:, 1:].reshape(-1, 2)
        out.append(to_axes.transform(np.concatenate([xy[:1], dense])))
    return np.concatenate(out)


def _risk_axes(fig, cell, ax, risk, ticks: Sequence[float]) -> None:
    """The numbers-at-risk table: one row per arm, one column per tick, arm labels as y ticks."""
    rax = fig.add_subplot(cell, sharex=ax)
    k = len(risk)
    for i, (_, row) in enumerate(risk):
        colour = ARM_COLOURS[i % len(ARM_COLOURS)]
        for t, text in zip(ticks, row, strict=True):
            rax.text(t, k - 1 - i, text, ha="center", va="center", fontsize=8, color=colour)
    rax.set_ylim(-0.6, k - 0.4)
    rax.set_yticks(range(k))
    rax.set_yticklabels([label for label, _ in reversed(risk)], fontsize=8)
    for i, label in enumerate(reversed(rax.get_yticklabels())):
        label.set_color(ARM_COLOURS[i % len(ARM_COLOURS)])
    rax.tick_params(axis="both", length=0)
    rax.tick_params(axis="y", pad=14)  # clear of the numbers centred on the first tick
    rax.tick_params(axis="x", labelbottom=False)
    for side in ("top", "right", "bottom", "left"):
        rax.spines[side].set_visible(False)
    rax.set_title("Number at risk", loc="left", fontsize=8, fontweight="bold")
