"""The mean change from baseline by visit and arm, drawn: points with confidence-interval bars,
lines joining consecutive visits, the number of subjects beneath (see
:mod:`csrgen.outputs.f_bds_mean`).

A study has dozens of these figures (one per laboratory and vital-signs parameter), so the
figure is laid out here, in points, and written by :mod:`csrgen.outputs.scene` (SVG text and a
Pillow PNG) rather than through matplotlib's Figure machinery, at a tenth of the cost or less.
It keeps the look of the matplotlib figure it replaces: csrgen's font and sizes, matplotlib's
markers, line styles, error bars with caps, its legend above the plot, and the y axis
matplotlib's autoscale would give (the data limits of the means and confidence limits and the
zero line, its 5% margins, the ticks and labels of its ``AutoLocator`` and ``ScalarFormatter``).
The margins are measured from the text they hold, as matplotlib's constrained layout measured
them, so nothing is clipped. The same data give the same bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from csrgen.outputs import scene
from csrgen.outputs.plotting import ARM_COLOURS, ARM_LINESTYLES, PNG_DPI
from csrgen.outputs.scene import (
    PT,
    Line,
    Marker,
    Polyline,
    Scene,
    Shape,
    Text,
    axis_ticks,
    clean,
    fit,
    png,
    svg,
    text_width,
)

#: Horizontal offset between arms, in visit spacings.
DODGE = 0.09
#: What the drawing imports (see :func:`csrgen.figures.warm_up_modules`): no matplotlib Figure.
WARM_UP = (*scene.WARM_UP, "matplotlib.ticker")

#: Marker per arm position (matplotlib's marker names).
MARKERS = "os^Dv<"
N_TABLE_TITLE = "Number of subjects with a change from baseline"
ZERO_COLOUR = "#888888"
DIVIDER_COLOUR = "#bbbbbb"

# matplotlib's sizes with csrgen's style (plotting._RC), in points: 9-point text, 8-point legend,
# 7-point n table; 0.8-point spines and ticks 3.5 long, labels 3.5 beyond them, axis labels 4
# beyond the tick labels; constrained layout's 3-point pad round the figure's contents.
_FONT, _LEGEND_FONT, _TABLE_FONT = 9.0, 8.0, 7.0
_LW, _TICK, _TICK_PAD, _LABEL_PAD, _PAD = 0.8, 3.5, 3.5, 4.0, 3.0
#: DejaVu Sans's ascent (of its tallest lowercase letters) and descent, per point of size.
_ASCENT, _DESCENT = 1556 / 2048, 483 / 2048
#: Lines of multi-line text are this many font sizes apart.
_LINE = 1.2
#: The plot's and the n table's height ratio (matplotlib's gridspec): 6 to 0.3 per arm + 0.6.
_PLOT_RATIO = 6.0
#: From the n table's title's baseline to the table's top.
_TITLE_PAD = 6.0
#: Between the x axis's labels and the n table's title (constrained layout's pads).
_GAP = 2 * _PAD
#: The plot keeps at least this height, however crowded the figure.
_MIN_PLOT = 24.0
#: The arms' lines, points, bars and caps (matplotlib's defaults where not set by csrgen).
_ARM_LW, _MARKER, _BAR_LW, _CAP, _CAP_LW, _HANDLE_LW = 1.3, 4.0, 0.9, 2.5, 1.0, 1.5
#: The legend in font sizes: handles 2 long, text 0.8 after them, 2 between columns, 0.5
#: between rows, 0.4 of border, 0.5 from the plot; the handle's line 0.35 above the baseline.
_HANDLE, _HANDLE_TEXT, _COLUMN, _ROW, _BORDER, _BORDER_AXES, _HANDLE_Y = (
    2.0,
    0.8,
    2.0,
    0.5,
    0.4,
    0.5,
    0.35,
)
#: The n table's arm labels take at most this share of the figure's width.
_MAX_TABLE_LABEL = 0.3


@dataclass(frozen=True)
class ArmSeries:
    """One arm's points: per visit the mean, the confidence limits and n (as printed)."""

    label: str
    legend: str
    mean: tuple[float, ...]
    lcl: tuple[float, ...]
    ucl: tuple[float, ...]
    n: tuple[str, ...]


def draw_mean_change(
    figure_id: str,
    series: tuple[ArmSeries, ...],
    visits: tuple[str, ...],
    pos: tuple[float, ...],
    tick_labels: tuple[str, ...],
    y_label: str,
    x_label: str,
    separate: tuple[str, ...],
    n_table: bool,
    width_in: float,
    height_in: float,
) -> tuple[str, bytes]:
    """SVG and PNG of the mean change by visit and arm (with the n table beneath).

    ``figure_id`` names the figure (its plan, and so its cached images); the SVG uses no ids,
    so it needs no salting to share a page with other figures.
    """
    scene = mean_change_scene(
        series, visits, pos, tick_labels, y_label, x_label, separate, n_table, width_in, height_in
    )
    return svg(scene), png(scene, PNG_DPI)


def mean_change_scene(
    series: tuple[ArmSeries, ...],
    visits: tuple[str, ...],
    pos: tuple[float, ...],
    tick_labels: tuple[str, ...],
    y_label: str,
    x_label: str,
    separate: tuple[str, ...],
    n_table: bool,
    width_in: float,
    height_in: float,
) -> Scene:
    """The figure's shapes, in points (see :func:`draw_mean_change`)."""
    width, height = width_in * PT, height_in * PT
    gap = min((b - a for a, b in zip(pos, pos[1:], strict=False)), default=1.0)
    if not gap > 0:  # visits at one place: spread as if a unit apart
        gap = 1.0
    x_lo, x_hi = pos[0] - gap / 2, pos[-1] + gap / 2
    points = [
        _points(arm, i, len(series), pos, gap, visits, set(separate))
        for i, arm in enumerate(series)
    ]
    legend = _Legend(series, width)
    ticks = [[clean(line) for line in label.split("\n")] for label in tick_labels]
    x_label = clean(x_label)
    rows = _Rows(points, legend.height, ticks, bool(x_label), n_table, len(series), height)
    axis = rows.axis
    centre = (rows.y_top + rows.y_bot) / 2
    y_lines = [
        fit(clean(line), _FONT, max(1.0, 2 * min(centre - _PAD, height - _PAD - centre)))
        for line in y_label.split("\n")
    ]
    tick_w = max((text_width(t, _FONT) for _, t in axis.ticks), default=0.0)
    arm_labels = [fit(clean(a.label), _TABLE_FONT, _MAX_TABLE_LABEL * width) for a in series]
    # the y label's lines, the tick labels and the ticks, left of the plot
    y_label_w = (_ASCENT + _DESCENT) * _FONT + (len(y_lines) - 1) * _LINE * _FONT
    left = _PAD + y_label_w + _LABEL_PAD + tick_w + _TICK_PAD + _TICK
    at = [(p - x_lo) / (x_hi - x_lo) for p in pos]
    if n_table:
        x0, x1 = _columns(width, at, ticks, [a.n for a in series], left, arm_labels)
    else:
        x0, x1 = _columns(width, at, ticks, [], left, [])

    def x_of(value: float) -> float:
        return x0 + (value - x_lo) / (x_hi - x_lo) * (x1 - x0)

    def y_of(value: float) -> float:
        return rows.y_bot - (value - axis.lo) / (axis.hi - axis.lo) * (rows.y_bot - rows.y_top)

    shapes: list[Shape] = []
    shapes += _reference_lines(
        x0, x1, rows.y_top, rows.y_bot, y_of, x_of, pos, visits, set(separate)
    )
    shapes += _arms(points, x_of, y_of)
    shapes += [
        Line(x0, rows.y_bot, x0, rows.y_top, _LW, cap="square"),
        Line(x0, rows.y_bot, x1, rows.y_bot, _LW, cap="square"),
    ]
    shapes += axis.shapes(x0, rows.y_top, y_of)
    shapes += _x_axis([x_of(p) for p in pos], ticks, x_label, rows.y_bot, rows.below, x0, x1, width)
    # the y label's lines left to right, the last 4 points short of the tick labels
    right = x0 - tick_w - _TICK - _TICK_PAD - _LABEL_PAD - _DESCENT * _FONT
    for k, line in enumerate(y_lines):
        x = right - (len(y_lines) - 1 - k) * _LINE * _FONT
        shapes.append(Text(x, centre, line, _FONT, "middle", rotation=90))
    shapes += legend.shapes((x0 + x1) / 2, width)
    if n_table:
        xs = [x_of(p) for p in pos]
        shapes += _n_table(series, arm_labels, xs, x0, rows.tab_top, rows.tab_h, width)
    return Scene(width, height, tuple(shapes))


# ----------------------------------------------------------------------------------- layout


class _Rows:
    """The figure's rows, top to bottom, in points: the legend, the plot (with the y axis
    matplotlib would give it at that height), the x axis's labels, the n table."""

    def __init__(self, points, legend_h, ticks, x_label, n_table, n_arms, height) -> None:
        top = _PAD + legend_h + _BORDER_AXES * _LEGEND_FONT
        lines = max((len(t) for t in ticks), default=1)
        below = _TICK + _TICK_PAD + (_ASCENT + _DESCENT) * _FONT + (lines - 1) * _LINE * _FONT
        if x_label:
            below += _LABEL_PAD + (_ASCENT + _DESCENT) * _FONT
        title = _GAP + _ASCENT * _TABLE_FONT + _TITLE_PAD if n_table else 0.0
        ratio = 0.3 * n_arms + 0.6 if n_table else 0.0
        # the table's rows never closer than a line of their text
        min_table = _LINE * _TABLE_FONT * n_arms if n_table else 0.0

        def plot_height(top: float) -> float:
            both = height - top - below - title - _PAD
            return max(min(both * _PLOT_RATIO / (_PLOT_RATIO + ratio), both - min_table), _MIN_PLOT)

        limits = _data_limits(points)
        axis = _YAxis(limits, plot_height(top))
        if axis.offset:  # matplotlib's offset text sits above the plot, under the legend
            top += _LINE * _FONT
            axis = _YAxis(limits, plot_height(top))
        self.axis, self.below = axis, below
        self.y_top, self.y_bot = top, top + axis.length
        self.tab_top = self.y_bot + below + title
        self.tab_h = max(axis.length * ratio / _PLOT_RATIO, min_table)


def _columns(width, at, ticks, ns, left, arm_labels) -> tuple[float, float]:
    """The plot's left and right edges: right of ``left`` (the y axis's labels) and of the n
    table's arm labels, and such that the visit labels and n (centred at the fractions ``at``
    of the plot's width) stay on the page (constrained layout's margins)."""
    if arm_labels:
        widest = max(text_width(a, _TABLE_FONT) for a in arm_labels)
        left = max(left, _PAD + widest + _TICK_PAD)
    halves = [
        max(
            [text_width(line, _FONT) / 2 for line in lines]
            + [text_width(clean(n[k]), _TABLE_FONT) / 2 for n in ns]
        )
        for k, lines in enumerate(ticks)
    ]
    return _fit_columns(left, width, at, halves)


def _x_axis(xs, ticks, x_label, y_bot, below, x0, x1, width) -> list[Shape]:
    """Tick marks under the visits, their labels (lines 1.2 font sizes apart) and the axis's
    label under them, centred on the plot and kept on the page."""
    out: list[Shape] = []
    baseline = y_bot + _TICK + _TICK_PAD + _ASCENT * _FONT
    for x, lines in zip(xs, ticks, strict=True):
        out.append(Line(x, y_bot, x, y_bot + _TICK, _LW))
        for k, line in enumerate(lines):
            out.append(Text(x, baseline + k * _LINE * _FONT, line, _FONT, "middle"))
    if x_label:
        centre = (x0 + x1) / 2
        room = 2 * min(centre - _PAD, width - _PAD - centre)
        out.append(
            Text(
                centre, y_bot + below - _DESCENT * _FONT, fit(x_label, _FONT, room), _FONT, "middle"
            )
        )
    return out


# ------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class _ArmPoints:
    """An arm's points in data units: dodged x, mean, bar ends (NaN: none) and the line's runs
    (consecutive scheduled visits with a mean)."""

    index: int
    x: tuple[float, ...]
    mean: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    runs: tuple[tuple[int, ...], ...]


def _points(arm, i: int, n_arms: int, pos, gap: float, visits, separate: set[str]) -> _ArmPoints:
    xs = tuple(x + (i - (n_arms - 1) / 2) * DODGE * gap for x in pos)
    mean = tuple(float(m) for m in arm.mean)
    # as matplotlib's errorbar: the bar runs from mean - (mean - lcl) to mean + (ucl - mean)
    low = tuple(m - (m - float(c)) for m, c in zip(mean, arm.lcl, strict=True))
    high = tuple(m + (float(c) - m) for m, c in zip(mean, arm.ucl, strict=True))
    runs, run = [], []
    for k, (m, v) in enumerate(zip(mean, visits, strict=True)):
        if math.isfinite(m) and v not in separate:
            run.append(k)
        else:
            runs.append(run)
            run = []
    runs.append(run)
    return _ArmPoints(i, xs, mean, low, high, tuple(tuple(r) for r in runs if len(r) > 1))


def _data_limits(points: list[_ArmPoints]) -> tuple[float, float]:
    """The finite means and bar ends, and the zero line (matplotlib's data limits)."""
    values = [0.0]
    for p in points:
        values += [v for v in (*p.mean, *p.low, *p.high) if math.isfinite(v)]
    return min(values), max(values)


def _dash(style, width: float) -> tuple[float, ...] | None:
    """matplotlib's dash pattern (points) of a line style at ``width`` points: its rc patterns,
    scaled by the width (``lines.scale_dashes``)."""
    import matplotlib

    rc = matplotlib.rcParams
    if style in ("-", "solid"):
        return None
    if isinstance(style, str):
        name = {"--": "dashed", "-.": "dashdot", ":": "dotted"}[style]
        offset, pattern = 0.0, tuple(rc[f"lines.{name}_pattern"])
    else:
        offset, pattern = style
    if offset:
        raise ValueError(f"a line style with a dash offset: {style!r}")
    scale = width if rc["lines.scale_dashes"] else 1.0
    return tuple(float(v) * scale for v in pattern)


def _cap(style) -> str:
    """matplotlib's cap for a line style: ``projecting`` (square) for solid lines, ``butt``
    for dashes (its rc defaults)."""
    return "square" if _dash(style, 1.0) is None else "butt"


# ------------------------------------------------------------------------------------- axes


class _YAxis:
    """The y axis matplotlib's autoscale gives the data limits ``limits`` on a plot ``length``
    points high: its margins, ``AutoLocator`` ticks and ``ScalarFormatter`` labels."""

    def __init__(self, limits: tuple[float, float], length: float) -> None:
        import matplotlib
        from matplotlib import ticker

        # as YAxis.get_tick_space: room for a label two font sizes high, at most 9 bins
        nbins = min(9, max(1, math.floor(length / (2 * _FONT))))
        locator = ticker.MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10])
        # as Axes.autoscale_view: the data limits made non-singular, widened by the margins,
        # then the locator's view limits (which round them in 'round_numbers' mode)
        lo, hi = locator.nonsingular(*limits)
        delta = (hi - lo) * matplotlib.rcParams["axes.ymargin"]
        self.lo, self.hi = locator.view_limits(lo - delta, hi + delta)
        self.length = length
        self.ticks, self.offset = axis_ticks(locator, self.lo, self.hi)

    def shapes(self, x0: float, y_top: float, y_of) -> list[Shape]:
        """Ticks and their labels left of the axis at ``x0``, and the offset above the plot."""
        out: list[Shape] = []
        for v, label in self.ticks:
            y = y_of(v)
            out.append(Line(x0, y, x0 - _TICK, y, _LW))
            out.append(Text(x0 - _TICK - _TICK_PAD, y + _ASCENT * _FONT / 2, label, _FONT, "end"))
        if self.offset:
            out.append(Text(x0, y_top - _TICK_PAD, self.offset, _FONT, "start"))
        return out


def _fit_columns(
    left: float, width: float, at: list[float], halves: list[float]
) -> tuple[float, float]:
    """The plot's left and right edges: from ``left`` (or further right) to the page's right
    pad (or short of it), so that the labels centred at the fractions ``at`` of the plot's
    width, ``halves`` half-wide, stay on the page (constrained layout's margins)."""
    x0, x1 = left, width - _PAD
    for _ in range(8):  # each constraint moves an edge inwards; a few rounds settle them
        moved = False
        for f, h in zip(at, halves, strict=True):
            if x0 + f * (x1 - x0) + h > width - _PAD + 1e-9 and f > 0:
                # the right edge such that the label's right end meets the pad
                x1 = min(x1, x0 + (width - _PAD - h - x0) / f)
                moved = True
            if x0 + f * (x1 - x0) - h < _PAD - 1e-9 and f < 1:
                # the left edge such that the label's left end meets the pad
                x0 = max(x0, (_PAD + h - f * x1) / (1 - f))
                moved = True
        if not moved or x1 - x0 < 1.0:
            break
    if x1 - x0 < 1.0:  # labels wider than the page: keep a plot, let them overlap the pads
        x0, x1 = left, max(left + 1.0, width - _PAD)
    return x0, x1


# ------------------------------------------------------------------------------------ shapes


def _reference_lines(x0, x1, y_top, y_bot, y_of, x_of, pos, visits, separate) -> list[Shape]:
    """The dotted zero line across the plot, and the divider before the separate visits."""
    y = y_of(0.0)
    out: list[Shape] = [Line(x0, y, x1, y, 0.7, ZERO_COLOUR, dash=_dash(":", 0.7))]
    for k, v in enumerate(visits):
        if v in separate and k > 0 and visits[k - 1] not in separate:
            x = x_of((pos[k - 1] + pos[k]) / 2)
            out.append(Line(x, y_bot, x, y_top, 0.6, DIVIDER_COLOUR))
    return out


def _arms(points: list[_ArmPoints], x_of, y_of) -> list[Shape]:
    """Per arm its line, bars and caps; then the points of every arm on top (matplotlib's
    order: an errorbar's markers are drawn above the lines)."""
    out: list[Shape] = []
    markers: list[Shape] = []
    for p in points:
        colour = ARM_COLOURS[p.index % len(ARM_COLOURS)]
        style = ARM_LINESTYLES[p.index % len(ARM_LINESTYLES)]
        for run in p.runs:
            xy = tuple((x_of(p.x[k]), y_of(p.mean[k])) for k in run)
            out.append(Polyline(xy, _ARM_LW, colour, _dash(style, _ARM_LW), _cap(style)))
        for x, m, lo, hi in zip(p.x, p.mean, p.low, p.high, strict=True):
            xp = x_of(x)
            if math.isfinite(lo) and math.isfinite(hi):
                out.append(Polyline(((xp, y_of(lo)), (xp, y_of(hi))), _BAR_LW, colour))
            for end in (lo, hi):
                if math.isfinite(end):
                    y = y_of(end)
                    out.append(Polyline(((xp - _CAP, y), (xp + _CAP, y)), _CAP_LW, colour))
            if math.isfinite(m):
                markers.append(
                    Marker(xp, y_of(m), MARKERS[p.index % len(MARKERS)], _MARKER, colour)
                )
    return out + markers


class _Legend:
    """matplotlib's legend above the plot: an entry per arm (its line, marker and label) in one
    row, or in as few rows of aligned columns as the page's width needs."""

    def __init__(self, series, width: float) -> None:
        size = _LEGEND_FONT
        self.size = size
        handle = (_HANDLE + _HANDLE_TEXT) * size
        room = width - 2 * _PAD - 2 * _BORDER * size
        self.labels = [fit(clean(a.legend), size, max(room - handle, size)) for a in series]
        self.entries = [handle + text_width(t, size) for t in self.labels]
        n = len(self.entries)
        for cols in range(max(n, 1), 0, -1):
            widths = self._columns(cols)
            if sum(widths) + _COLUMN * size * (cols - 1) <= room or cols == 1:
                break
        self.cols, self.widths = cols, widths
        self.rows = math.ceil(n / cols) if n else 0
        line = (_ASCENT + _DESCENT) * size
        self.row_step = line + _ROW * size
        self.height = 2 * _BORDER * size + self.rows * line + max(self.rows - 1, 0) * _ROW * size

    def _columns(self, cols: int) -> list[float]:
        return [max(self.entries[c::cols]) for c in range(cols) if self.entries[c::cols]]

    def shapes(self, centre: float, width: float) -> list[Shape]:
        size = self.size
        total = sum(self.widths) + _COLUMN * size * (len(self.widths) - 1)
        # centred over the plot, kept on the page
        pad = _PAD + _BORDER * size
        left = max(min(centre - total / 2, width - pad - total), pad)
        starts = [left + sum(self.widths[:c]) + _COLUMN * size * c for c in range(self.cols)]
        out: list[Shape] = []
        for i, label in enumerate(self.labels):
            row, col = divmod(i, self.cols)
            baseline = _PAD + (_BORDER + _ASCENT) * size + row * self.row_step
            x, y = starts[col], baseline - _HANDLE_Y * size
            colour = ARM_COLOURS[i % len(ARM_COLOURS)]
            style = ARM_LINESTYLES[i % len(ARM_LINESTYLES)]
            end = x + _HANDLE * size
            out.append(
                Polyline(
                    ((x, y), (end, y)), _HANDLE_LW, colour, _dash(style, _HANDLE_LW), _cap(style)
                )
            )
            out.append(Marker((x + end) / 2, y, MARKERS[i % len(MARKERS)], _MARKER, colour))
            out.append(Text(end + _HANDLE_TEXT * size, baseline, label, size, "start"))
        return out


def _n_table(series, labels, xs, x0: float, top: float, height: float, width: float) -> list[Shape]:
    """The title, and per arm (rows, in its colour) its label and n under each visit."""
    size = _TABLE_FONT
    title = fit(N_TABLE_TITLE, size, width - _PAD - x0)
    out: list[Shape] = [Text(x0, top - _TITLE_PAD, title, size, "start")]
    step = height / max(len(series), 1)
    for i, (arm, label) in enumerate(zip(series, labels, strict=True)):
        colour = ARM_COLOURS[i % len(ARM_COLOURS)]
        baseline = top + (i + 0.5) * step + _ASCENT * size / 2
        out.append(Text(x0 - _TICK_PAD, baseline, label, size, "end", colour))
        for x, n in zip(xs, arm.n, strict=True):
            out.append(Text(x, baseline, clean(n), size, "middle", colour))
    return out
