"""Drawing shared by the Kaplan-Meier and cumulative-incidence figures (layout only).

Step curves per arm (colour and line style by arm position from :mod:`plotting`), censor marks,
a legend, an optional note in the plot, and a numbers-at-risk table under the x-axis whose
columns sit exactly under the axis ticks. All text is given ready-formatted by the caller;
nothing here computes a statistic.

The figure is laid out here once, in points, and written by :mod:`csrgen.outputs.scene` (SVG
text and a Pillow PNG): through matplotlib's Figure machinery (constrained layout, a renderer
pass per format) it cost fifteen to thirty times as much. It keeps the look of that figure: the
margins constrained layout gave (computed from the measured text, so that nothing is clipped),
the y ticks of matplotlib's ``MaxNLocator`` labelled by its ``ScalarFormatter``, matplotlib's
dash patterns for the arms' line styles, its legend's proportions and the same rule for where
the legend and the note go. The same data give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from csrgen.document.model import Figure
from csrgen.outputs import scene
from csrgen.outputs.base import OutputContext
from csrgen.outputs.km_layout import (
    ASCENT,
    BOX_MARGIN,
    CURVE_LW,
    DESCENT,
    FONT,
    LW,
    PAD,
    SMALL,
    TICK,
    TICK_PAD,
    Box,
    XAxis,
    YAxis,
    arm_style,
    best_place,
    clip_steps,
    legend_shapes,
    legend_size,
    step_vertices,
)
from csrgen.outputs.plotting import ARM_COLOURS, PNG_DPI
from csrgen.outputs.scene import (
    PT,
    Line,
    Marker,
    Polyline,
    Scene,
    Shape,
    Text,
    clean,
    fit,
    png,
    svg,
    text_width,
)

#: What the drawing imports (see :func:`csrgen.figures.warm_up_modules`): no matplotlib Figure.
WARM_UP = (*scene.WARM_UP, "matplotlib.lines", "matplotlib.ticker")

#: From an axis label's baseline-side edge to the tick labels (matplotlib's labelpad).
_LABEL_PAD = 4.0
#: From the tick labels' baseline to the x-axis label's.
_XLABEL_GAP = 13.0
#: From the risk table's top to its title's baseline (matplotlib's titlepad).
_TITLE_PAD = 6.0
#: Least gap from the plot's left edge to the right end of the risk table's arm labels.
_RISK_GAP = 14.0
#: The risk table's arm labels take at most this share of the figure's width (cut beyond).
_RISK_LABEL_SHARE = 0.4
_GRID, _GRID_LW = "#dddddd", 0.5
_CENSOR_SIZE, _CENSOR_EDGE = 5.0, 0.9


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
    ``figure_id`` names the figure (its plan, and so its cached images); the SVG uses no ids,
    so it needs no salting to share a page with other figures.
    """
    scene = survival_scene(
        curves, risk, ticks, x_label, y_label, annotation, width_in, height_in, y_max
    )
    return svg(scene), png(scene, PNG_DPI)


def survival_scene(
    curves: Sequence[Curve],
    risk: Sequence[tuple[str, Sequence[str]]],
    ticks: Sequence[float],
    x_label: str,
    y_label: str,
    annotation: Sequence[str],
    width_in: float,
    height_in: float,
    y_max: float,
) -> Scene:
    """The figure's shapes, in points (see :func:`draw_survival_figure`)."""
    width, height = width_in * PT, height_in * PT
    x_label, y_label = clean(x_label).strip(), clean(y_label).strip()
    steps = [step_vertices(c.time, c.value, c.start) for c in curves]
    table = list(risk) if ticks else []
    yaxis = YAxis(y_max)
    xaxis, labels, label_end, y_label_end = _columns(width, table, ticks, steps, yaxis, y_label)
    below = TICK + TICK_PAD + ASCENT * FONT  # from the axis line to the tick labels' baseline
    below += (_XLABEL_GAP if x_label or xaxis.offset else 0.0) + DESCENT * FONT
    title = 2 * PAD + ASCENT * SMALL + _TITLE_PAD  # from the labels to the risk table's top
    # the y axis's top label centred on the plot's top; the offset (a power of ten) above it
    y0 = PAD + ASCENT * FONT / 2 + (_line_height(FONT) + PAD if yaxis.offset else 0.0)
    if table:  # the plot and the table share the height left as matplotlib's height ratios
        room = height - PAD - y0 - below - title
        yb = y0 + room * 4.0 / (4.0 + 0.3 * len(table) + 0.45)
    else:
        yb = height - PAD - below
    yaxis.place(y0, yb)
    plot = Box(xaxis.x0, y0, xaxis.x1, yb)

    shapes: list[Shape] = []
    for y, _ in yaxis.ticks:
        shapes.append(Line(plot.x0, yaxis.y(y), plot.x1, yaxis.y(y), _GRID_LW, _GRID))
    shapes += yaxis.shapes(plot.x0)
    shapes += xaxis.shapes(yb)
    if y_label:
        shapes.append(_y_label(y_label, y_label_end, plot, height))
    if x_label:
        base = yb + TICK + TICK_PAD + ASCENT * FONT + _XLABEL_GAP
        label = fit(x_label, FONT, width - 2 * PAD)
        centre = _clamp((plot.x0 + plot.x1) / 2, text_width(label, FONT) / 2, width)
        shapes.append(Text(centre, base, label, FONT, "middle"))
    shapes += _curves(curves, steps, xaxis, yaxis)
    shapes.append(Line(plot.x0, yb, plot.x0, y0, LW, cap="square"))
    shapes.append(Line(plot.x0, yb, plot.x1, yb, LW, cap="square"))
    shapes += _boxes(curves, steps, annotation, xaxis, yaxis, plot)
    if table:
        top = yb + below + title
        shapes += _risk_table(table, labels, xaxis, label_end, top, height - PAD)
    return Scene(width, height, tuple(shapes))


def _columns(width: float, table, ticks, steps, yaxis: YAxis, y_label: str):
    """The x axis placed between the left and right margins, the risk table's arm labels (cut
    to fit), the x where they end and where the y-axis label's ink ends.

    The plot starts right of the wider of the y axis (ticks, tick labels, label) and the risk
    table's labels (clear of the numbers centred on the first tick), and of half the first
    tick label; it ends half the last tick label or number at risk short of the edge.
    """
    tick_w = max((text_width(t, FONT) for _, t in yaxis.ticks), default=0.0)
    axis = TICK + TICK_PAD + tick_w  # from the plot's left edge to the tick labels' left
    axis_left = axis + (_LABEL_PAD + _line_height(FONT) if y_label else 0.0)
    labels = [fit(clean(label), SMALL, _RISK_LABEL_SHARE * width) for label, _ in table]
    gap, first, last = _RISK_GAP, 0, 0
    if table:  # the columns at the axis's ends (the callers sort the ticks, but need not)
        first = min(range(len(ticks)), key=lambda j: ticks[j])
        last = max(range(len(ticks)), key=lambda j: ticks[j])
        widest = max(text_width(clean(row[first]), SMALL) for _, row in table)
        gap = max(_RISK_GAP, widest / 2 + TICK_PAD)
    label_w = max((text_width(t, SMALL) for t in labels), default=-gap)
    x0 = PAD + max(axis_left, label_w + gap)
    xaxis = XAxis(ticks, steps, x0, width - PAD)  # the axis at its given ticks, or autoscaled
    x0 = max(x0, PAD + xaxis.overhang(first=True))
    right = xaxis.overhang(first=False)
    for _, row in table:
        right = max(right, text_width(clean(row[last]), SMALL) / 2)
    xaxis.place(x0, width - PAD - right)
    return xaxis, labels, x0 - gap, x0 - axis - _LABEL_PAD


def _line_height(size: float) -> float:
    """From the top of the tallest letters to the bottom of the descenders."""
    return (ASCENT + DESCENT) * size


def _clamp(centre: float, half: float, extent: float) -> float:
    """``centre`` moved so that a text ``half`` wide each side stays ``PAD`` inside 0..extent."""
    return min(max(centre, PAD + half), extent - PAD - half)


def _y_label(label: str, right: float, plot: Box, height: float) -> Text:
    """The y-axis label turned to read upwards, its ink ending ``right`` (as matplotlib puts it
    beside the tick labels), centred on the plot (kept in the figure)."""
    label = fit(label, FONT, height - 2 * PAD)
    centre = _clamp((plot.y0 + plot.y1) / 2, text_width(label, FONT) / 2, height)
    # turned, the glyphs stand to the left of the baseline, the descenders to its right
    return Text(right - DESCENT * FONT, centre, label, FONT, "middle", rotation=90)


def _curves(curves, steps, xaxis: XAxis, yaxis: YAxis) -> list[Shape]:
    """Each arm's step curve (one path per piece inside the plot) and its censor marks."""
    out: list[Shape] = []
    box = (xaxis.lo, 0.0, xaxis.hi, yaxis.hi)
    for i, (curve, vertices) in enumerate(zip(curves, steps, strict=True)):
        colour = ARM_COLOURS[i % len(ARM_COLOURS)]
        dash, cap = arm_style(i)
        for piece in clip_steps(vertices, box):
            points = tuple((xaxis.x(t), yaxis.y(v)) for t, v in piece)
            out.append(Polyline(points, CURVE_LW, colour, dash, cap))
        for t, v in _censored(curve, box):
            out.append(Marker(xaxis.x(t), yaxis.y(v), "+", _CENSOR_SIZE, colour, _CENSOR_EDGE))
    return out


def _marks(curve: Curve) -> np.ndarray:
    """(time, value) of the curve's censor marks (finite numbers only), m x 2."""
    mask = np.asarray(curve.censored, dtype=bool)
    marks = np.column_stack(
        [np.asarray(curve.time, dtype=float)[mask], np.asarray(curve.value, dtype=float)[mask]]
    )
    return marks[np.isfinite(marks).all(axis=1)]


def _censored(curve: Curve, box) -> list[tuple[float, float]]:
    """(time, value) of the censor marks inside the plot (``box``: lo, bottom, hi, top)."""
    marks = _marks(curve)
    lo, bottom, hi, top = box
    tx, ty = (hi - lo) * 1e-9, (top - bottom) * 1e-9
    t, v = marks[:, 0], marks[:, 1]
    keep = (t >= lo - tx) & (t <= hi + tx) & (v >= bottom - ty) & (v <= top + ty)
    return [(float(a), float(b)) for a, b in marks[keep]]


def _boxes(curves, steps, annotation, xaxis: XAxis, yaxis: YAxis, plot: Box) -> list[Shape]:
    """The arms' legend and the note (hazard ratio, p) as two boxes where they cover the
    fewest curve points (see :func:`csrgen.outputs.km_layout.best_place`)."""
    points = [np.empty((0, 2))]
    for curve, vertices in zip(curves, steps, strict=True):
        if len(vertices) > 1:  # the drawn path, sampled densely: 24 points per segment
            dense = np.linspace(vertices[:-1], vertices[1:], 25, axis=1)[:, 1:].reshape(-1, 2)
            vertices = np.concatenate([vertices[:1], dense])
        points.append(vertices)
        points.append(_marks(curve))
    data = np.concatenate([p.reshape(-1, 2) for p in points])
    fractions = np.column_stack(
        [(data[:, 0] - xaxis.lo) / (xaxis.hi - xaxis.lo), data[:, 1] / yaxis.hi]
    )
    room = plot.width * (1 - 2 * BOX_MARGIN)  # the widest a box can be inside the plot
    entries = []
    if curves:  # texts cut to what the box leaves them
        cut = room - legend_size([], handles=True)[0]
        entries.append([(fit(clean(c.label), SMALL, cut), i) for i, c in enumerate(curves)])
    if annotation:
        cut = room - legend_size([], handles=False)[0]
        entries.append([(fit(clean(t), SMALL, cut), None) for t in annotation])
    taken: list[tuple[float, float, float, float]] = []
    out: list[Shape] = []
    for rows in entries:
        handles = rows[0][1] is not None
        w, h = legend_size([t for t, _ in rows], handles)
        rect = best_place(w / plot.width, h / plot.height, fractions, taken)
        taken.append(rect)
        out += legend_shapes(rows, plot.x0 + rect[0] * plot.width, plot.y(rect[3]))
    return out


def _risk_table(risk, labels, xaxis: XAxis, label_end: float, top: float, bottom: float):
    """The numbers-at-risk table: its bold title, then a row per arm in the arm's colour, its
    label right-aligned left of the plot, each number centred under its tick."""
    out: list[Shape] = [Text(xaxis.x0, top - _TITLE_PAD, "Number at risk", SMALL, bold=True)]
    k = len(risk)
    for i, ((_, row), label) in enumerate(zip(risk, labels, strict=True)):
        colour = ARM_COLOURS[i % len(ARM_COLOURS)]
        # rows one unit apart, the first and last 0.6 of a unit from the table's edges
        baseline = top + (i + 0.6) / (k + 0.2) * (bottom - top) + ASCENT * SMALL / 2
        out.append(Text(label_end, baseline, label, SMALL, "end", colour))
        for t, text in zip(xaxis.given, row, strict=True):
            out.append(Text(xaxis.x(t), baseline, clean(text), SMALL, "middle", colour))
    return out
