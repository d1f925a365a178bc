"""Drawing of a forest plot (layout only): text columns, estimates with CIs on a log axis.

One row per line of the table (the overall row, each variable's heading, its levels): the row
label, a text per arm (events/subjects), and for each compared arm a marker at the estimate
with its confidence interval on a log axis with a reference line at 1, the estimate (CI) as
text, and the heading's interaction p-value. With several compared arms each level takes one
line per compared arm, in the arm's colour. Every text is given ready-formatted by the caller;
nothing here computes a statistic. The page geometry is fixed in inches, so a long label cannot
push the columns into one another: labels are placed, never squeezed (one too long for the room
left of the counts is cut with an ellipsis; the table beside the figure prints it whole).

The figure is laid out here, in points, and written by :mod:`csrgen.outputs.scene` (SVG text
and a Pillow PNG) rather than through matplotlib's Figure, in the look of csrgen's matplotlib
figures (DejaVu Sans, its text metrics, ticks and line widths). The same rows give the same
bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from csrgen.formatting import fmt_level
from csrgen.outputs import scene
from csrgen.outputs.plotting import ARM_COLOURS, PNG_DPI
from csrgen.outputs.scene import (
    BLACK,
    PT,
    Line,
    Marker,
    Scene,
    Shape,
    Text,
    clean,
    fit,
    png,
    svg,
    text_width,
)

#: Tick candidates of the log axis (1-2-5 steps).
TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
FONT_PT = 7.5
LINE_IN = 0.2  # height of one line of the plot, inches
#: With several compared arms a level takes a line per arm: closer lines keep it one block.
LINE_IN_SEVERAL = 0.165
HEADER_LINE_IN = 0.135  # one line of a column header
LEGEND_IN = 0.2  # the legend band under the headers (several compared arms)
BOTTOM_IN = 0.62  # tick labels, "favours" labels, axis label
#: Width of an average character of the bold header font (DejaVu Sans 7.5 pt), inches: an arm
#: column is widened to its header's longest word with it.
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
    """``text`` (a bold header) broken at spaces into lines that fit a column ``width_in`` wide
    with a point to spare each side, as measured in the figures' font; a word wider than the
    column stays whole on its line (the drawing cuts it)."""
    room = width_in * PT - 2.0
    lines: list[str] = []
    for part in text.split("\n"):
        line = ""
        for word in part.split():
            trial = f"{line} {word}" if line else word
            if line and text_width(trial, FONT_PT, bold=True) > room:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    return "\n".join(lines)


def fitted(layout: ForestLayout, width_in: float) -> ForestLayout:
    """``layout`` with the arm columns widened to their longest word (never split mid-word),
    then every text column narrowed alike where they would leave the plot less than
    :data:`_MIN_PLOT` on a page ``width_in`` wide (many arms on a narrow page: a landscape page
    or a wider figure is then the better choice)."""
    from dataclasses import replace

    longest = max((len(w) for h in layout.arm_headers for w in h.split()), default=0)
    layout = replace(layout, count_in=max(layout.count_in, longest * CHAR_IN + 0.1))
    widths = (layout.label_in, layout.count_in, layout.estimate_in, layout.p_in)
    text = widths[0] + len(layout.arm_headers) * widths[1] + widths[2] + widths[3]
    room = width_in - (2 * _PAD + 2 * _GAP + _MIN_PLOT) / PT
    k = max(room, 0.0) / text if text > 0 else 1.0
    if k >= 1:
        return layout
    label, count, estimate, p = (w * k for w in widths)
    return replace(layout, label_in=label, count_in=count, estimate_in=estimate, p_in=p)


def _headers(layout: ForestLayout) -> tuple[tuple[str, ...], str, str]:
    arms = tuple(wrap(h, layout.count_in) for h in layout.arm_headers)
    return (
        arms,
        wrap(layout.estimate_header, layout.estimate_in),
        wrap(layout.p_header, layout.p_in),
    )


def _top_in(layout: ForestLayout, width_in: float) -> float:
    """Height of the header band (and the legend band under it: a row of entries each)."""
    arms, est, p = _headers(layout)
    lines = max(t.count("\n") + 1 for t in (*arms, est, p, "Subgroup"))
    return 0.16 + lines * HEADER_LINE_IN + LEGEND_IN * len(_legend_rows(layout, width_in * PT))


def forest_height(rows: Sequence[ForestRow], layout: ForestLayout, width_in: float) -> float:
    """The figure's height in inches for ``rows`` on a figure ``width_in`` wide."""
    layout = fitted(layout, width_in)
    line = LINE_IN_SEVERAL if any(r.lines > 1 for r in rows) else LINE_IN
    return round(_top_in(layout, width_in) + sum(r.lines for r in rows) * line + BOTTOM_IN, 2)


def axis_ticks(lo: float, hi: float, plot_in: float) -> list[float]:
    """1-2-5 ticks when their labels have room on an axis ``plot_in`` wide, else decades
    (and 1)."""
    ticks = [t for t in TICKS if lo <= t <= hi]
    per_decade = plot_in / math.log10(hi / lo)
    if per_decade * math.log10(2) >= TICK_GAP_IN:
        return ticks
    return [t for t in ticks if math.isclose(math.log10(t), round(math.log10(t)))]


def axis_limits(rows: Sequence[ForestRow], given=None) -> tuple[float, float]:
    """Axis limits: the ticks just outside the finite limits (and 1), within 0.01-100; an axis
    of at least two ticks."""
    if given is not None:
        return given
    values = [1.0]
    for row in rows:
        for e in row.estimates:
            values += [v for v in (e.est, e.lcl, e.ucl) if math.isfinite(v) and v > 0]
    lo = max(min(values), TICKS[0])
    hi = min(max(values), TICKS[-1])
    lo, hi = max(t for t in TICKS if t <= lo), min(t for t in TICKS if t >= hi)
    if lo == hi:  # every value is 1 (or none is estimable): the ticks either side of it
        lo, hi = max(t for t in TICKS if t < lo), min(t for t in TICKS if t > hi)
    return lo, hi


#: What the drawing imports (see :func:`csrgen.figures.warm_up_modules`): no matplotlib Figure.
WARM_UP = scene.WARM_UP

# The layout, in points, of the matplotlib figure this drawing replaces (csrgen's style).
_PAD = 0.05 * PT  # figure edge to the text columns
_GAP = 0.1 * PT  # text columns to the plot
_INDENT = 0.14 * PT  # per indent level of a row label
_HEAD_TOP = 0.08 * PT  # figure top to the top of the column headers
_LW, _TICK, _TICK_PAD = 0.8, 3.5, 3.5
#: Height above the baseline and depth below it of DejaVu Sans's tallest letters and deepest
#: descenders, per point of size ("lp", as matplotlib measures a line of text).
_ASCENT, _DESCENT = 1556 / 2048, 492 / 2048
#: From a line's centre down to its baseline (matplotlib's ``va="center"``).
_MIDDLE = (_ASCENT - _DESCENT) / 2
#: Baseline to baseline of a multi-line text, per point of size.
_LINE_SPACING = 1.2
#: Axis to the top of the "favours" labels, and tick labels to the axis label.
_FAVOURS_DROP, _XLABEL_PAD = 16.0, 16.0
#: Least space between a row label and the first count column's texts.
_LABEL_GAP = 4.0
#: The plot keeps at least this width; text columns that would leave it less are narrowed.
_MIN_PLOT = 1.0 * PT
REFERENCE_COLOUR = "#444444"


def draw_forest(
    figure_id: str, rows: Sequence[ForestRow], layout: ForestLayout, width_in: float
) -> tuple[str, bytes]:
    """SVG and PNG of the forest plot (:func:`forest_height` high).

    ``figure_id`` names the figure (its plan); the SVG has no ids to salt.
    """
    scene = forest_scene(rows, layout, width_in)
    return svg(scene), png(scene, PNG_DPI)


@dataclass(frozen=True)
class _Columns:
    """Where the columns are (points): the label column's left edge and width, each count
    column's centre, the plot's left and right, the estimate and p-value columns' centres, and
    the widths of a count, estimate and p-value column."""

    label_x: float
    label_w: float
    counts: tuple[float, ...]
    count_w: float
    plot: tuple[float, float]
    estimate: float
    estimate_w: float
    p: float
    p_w: float


def _columns(layout: ForestLayout, n_arms: int, width: float) -> _Columns:
    """Where the layout's columns fall on a figure ``width`` points wide."""
    label, count, est, p = (
        v * PT for v in (layout.label_in, layout.count_in, layout.estimate_in, layout.p_in)
    )
    left = _PAD + label + n_arms * count + _GAP
    right = width - _PAD - p - est - _GAP
    return _Columns(
        label_x=_PAD,
        label_w=label,
        counts=tuple(_PAD + label + (i + 0.5) * count for i in range(n_arms)),
        count_w=count,
        plot=(left, right),
        estimate=right + _GAP + est / 2,
        estimate_w=est,
        p=width - _PAD - p / 2,
        p_w=p,
    )


class _LogAxis:
    """Values from ``lo`` to ``hi`` on a log scale over the points ``x0`` to ``x1``."""

    def __init__(self, lo: float, hi: float, x0: float, x1: float) -> None:
        self.lo, self.hi, self.x0, self.x1 = lo, hi, x0, x1
        self._l0, self._span = math.log10(lo), math.log10(hi / lo)

    def x(self, value: float) -> float:
        return self.x0 + (math.log10(value) - self._l0) / self._span * (self.x1 - self.x0)


def forest_scene(rows: Sequence[ForestRow], layout: ForestLayout, width_in: float) -> Scene:
    """The forest plot's shapes, in points (see :func:`draw_forest`)."""
    width, height = width_in * PT, forest_height(rows, layout, width_in) * PT
    layout = fitted(layout, width_in)
    n_arms = len(layout.arm_headers)
    for row in rows:
        if row.counts and len(row.counts) != n_arms:
            raise ValueError(
                f"forest row {row.label!r}: {len(row.counts)} counts for {n_arms} arm columns"
            )
    cols = _columns(layout, n_arms, width)
    top, bottom = _top_in(layout, width_in) * PT, height - BOTTOM_IN * PT
    lo, hi = axis_limits(rows, layout.x_limits)
    axis = _LogAxis(lo, hi, *cols.plot)
    n_lines = sum(r.lines for r in rows)
    unit = (bottom - top) / max(n_lines, 1)

    shapes: list[Shape] = []
    if lo <= 1.0 <= hi:
        x1 = axis.x(1.0)
        shapes.append(Line(x1, bottom, x1, top, _LW, REFERENCE_COLOUR))
    shapes.append(Line(cols.plot[0], bottom, cols.plot[1], bottom, _LW, cap="square"))
    shapes += _ticks(axis, bottom, axis_ticks(lo, hi, (cols.plot[1] - cols.plot[0]) / PT))
    label_right = _label_right(rows, cols)
    line = 0
    for row in rows:
        centres = [top + (line + k + 0.5) * unit for k in range(row.lines)]
        shapes += _row(row, centres, cols, axis, label_right, width)
        line += row.lines
    shapes += _header_shapes(layout, cols)
    shapes += _legend(layout, width, top)
    shapes += _favours(layout, axis, bottom, width)
    return Scene(width, height, tuple(shapes))


def _baseline(centre: float) -> float:
    """The baseline of a line of text centred on ``centre``."""
    return centre + _MIDDLE * FONT_PT


def _centred(text: str, centre: float, left: float, right: float, y: float, **kw) -> Text:
    """``text`` centred on ``centre``, cut to the room from ``left`` to ``right`` and moved
    into it where it would stick out."""
    bold = kw.get("bold", False)
    text = fit(clean(text), FONT_PT, right - left, bold)
    half = text_width(text, FONT_PT, bold) / 2
    x = min(max(centre, left + half), right - half)
    return Text(x, y, text, FONT_PT, "middle", **kw)


def _label_right(rows: Sequence[ForestRow], cols: _Columns) -> float:
    """Where the labels of rows with counts must end: short of the first count column's widest
    text (or of the plot, without arms); a row without counts (a heading) may run on to the
    plot."""
    if not cols.counts:
        return cols.plot[0] - _LABEL_GAP
    widest = max((text_width(clean(r.counts[0]), FONT_PT) for r in rows if r.counts), default=0.0)
    widest = min(widest, cols.count_w)
    return cols.counts[0] - widest / 2 - _LABEL_GAP


def _row(row: ForestRow, centres, cols: _Columns, axis: _LogAxis, label_right, width):
    y = _baseline(centres[0])
    x = cols.label_x + _INDENT * row.indent
    if not row.counts:
        label_right = cols.plot[0] - _LABEL_GAP
    out: list[Shape] = [
        Text(
            x, y, fit(clean(row.label), FONT_PT, label_right - x, row.bold), FONT_PT,
            bold=row.bold,
        )
    ]  # fmt: skip
    for centre, count in zip(cols.counts, row.counts, strict=False):  # checked: as many
        half = cols.count_w / 2
        out.append(_centred(count, centre, centre - half, centre + half, y))
    # the estimate and p-value texts may use the room from the plot to the figure's edge
    text_left, text_right = cols.plot[1] + _GAP / 2, width - _PAD
    if row.p_text:
        out.append(_centred(row.p_text, cols.p, text_left, text_right, y))
    several = len(row.estimates) > 1
    for e, centre in zip(row.estimates, centres, strict=False):  # a heading: no estimate
        colour = ARM_COLOURS[e.arm_index % len(ARM_COLOURS)] if several else BLACK
        out.append(
            _centred(e.text, cols.estimate, text_left, text_right, _baseline(centre), colour=colour)
        )
        out += _interval(e, centre, axis, colour, row.summary)
    return out


def _interval(e: Estimate, y: float, axis: _LogAxis, colour: str, summary: bool) -> list[Shape]:
    """The estimate's CI as a line clipped to the axis (an arrow where it goes on beyond), and
    its marker when it lies on the axis; nothing when a number is not estimable."""
    if not all(math.isfinite(v) and v > 0 for v in (e.est, e.lcl, e.ucl)):
        return []  # the text says NE
    lo, hi = axis.lo, axis.hi
    out: list[Shape] = []
    left, right = max(e.lcl, lo), min(e.ucl, hi)
    if right > left:
        out.append(Line(axis.x(left), y, axis.x(right), y, 1.0, colour))
    if e.lcl < lo:
        out.append(Marker(axis.x(lo), y, "<", 4.0, colour))
    if e.ucl > hi:
        out.append(Marker(axis.x(hi), y, ">", 4.0, colour))
    if lo <= e.est <= hi:
        shape, size = ("D", 6.0) if summary else ("s", 4.5)
        out.append(Marker(axis.x(e.est), y, shape, size, colour))
    return out


def _ticks(axis: _LogAxis, y: float, ticks: list[float]) -> list[Shape]:
    baseline = y + _TICK + _TICK_PAD + _ASCENT * FONT_PT
    out: list[Shape] = []
    for t in ticks:
        x = axis.x(t)
        out.append(Line(x, y, x, y + _TICK, _LW))
        out.append(Text(x, baseline, fmt_level(t), FONT_PT, "middle"))
    return out


def _header_shapes(layout: ForestLayout, cols: _Columns) -> list[Shape]:
    """The bold column headers, their first lines on one baseline, each line cut to its
    column."""
    arms, est, p = _headers(layout)
    first = _HEAD_TOP + _ASCENT * FONT_PT
    out: list[Shape] = [
        Text(cols.label_x, first, fit("Subgroup", FONT_PT, cols.label_w, True), FONT_PT, bold=True)
    ]
    columns = [(text, x, cols.count_w) for text, x in zip(arms, cols.counts, strict=True)]
    columns += [(est, cols.estimate, cols.estimate_w), (p, cols.p, cols.p_w)]
    for text, x, w in columns:
        for i, part in enumerate(text.split("\n")):
            y = first + i * _LINE_SPACING * FONT_PT
            out.append(_centred(part, x, x - w / 2 + 1, x + w / 2 - 1, y, bold=True))
    return out


#: The legend's layout (matplotlib's, in font sizes): a handle (a line and the arm's square)
#: 1.6 long, the text 0.8 after it, 1.2 between entries.
_HANDLE, _HANDLE_GAP, _ENTRY_GAP = 1.6 * FONT_PT, 0.8 * FONT_PT, 1.2 * FONT_PT


def _legend_rows(layout: ForestLayout, width: float) -> list[list[tuple[str, int, float]]]:
    """The legend's entries (text, arm, text width) in rows that fit a figure ``width`` points
    wide, as many in a row as fit (a text wider than a whole row cut to it)."""
    room = width - 2 * _PAD
    rows: list[list[tuple[str, int, float]]] = []
    used = 0.0
    for label, arm in layout.legend:
        text = fit(clean(label), FONT_PT, room - _HANDLE - _HANDLE_GAP)
        w = text_width(text, FONT_PT)
        need = _HANDLE + _HANDLE_GAP + w
        if rows and used + _ENTRY_GAP + need <= room:
            rows[-1].append((text, arm, w))
            used += _ENTRY_GAP + need
        else:
            rows.append([(text, arm, w)])
            used = need
    return rows


def _legend(layout: ForestLayout, width: float, top: float) -> list[Shape]:
    """matplotlib's legend centred above the plot, its rows :data:`LEGEND_IN` apart, the last
    one's box (0.4 font sizes of border around its text) ending 0.04 in above the plot."""
    rows = _legend_rows(layout, width)
    last = top - 0.04 * PT - 1.14 * FONT_PT
    out: list[Shape] = []
    for r, entries in enumerate(rows):
        baseline = last - (len(rows) - 1 - r) * LEGEND_IN * PT
        y = baseline - 0.35 * FONT_PT
        total = sum(_HANDLE + _HANDLE_GAP + w for _, _, w in entries)
        x = width / 2 - (total + _ENTRY_GAP * (len(entries) - 1)) / 2
        for text, arm, w in entries:
            colour = ARM_COLOURS[arm % len(ARM_COLOURS)]
            out.append(Line(x, y, x + _HANDLE, y, 1.5, colour, cap="square"))
            out.append(Marker(x + _HANDLE / 2, y, "s", 4.5, colour))
            out.append(Text(x + _HANDLE + _HANDLE_GAP, baseline, text, FONT_PT, "start"))
            x += _HANDLE + _HANDLE_GAP + w + _ENTRY_GAP
    return out


def _favours(layout: ForestLayout, axis: _LogAxis, bottom: float, width: float) -> list[Shape]:
    """``<- Favours X`` left of the line at 1 and ``Favours Y ->`` right of it, under the tick
    labels, and the axis label under them, each cut to the figure's width."""
    x1 = min(max(axis.x(1.0) if axis.lo <= 1.0 <= axis.hi else axis.x0, axis.x0), axis.x1)
    y = bottom + _FAVOURS_DROP + _ASCENT * FONT_PT
    left = fit(clean("\u2190 " + layout.favours[0]), FONT_PT, x1 - 3 - _PAD)
    right = fit(clean(layout.favours[1] + " \u2192"), FONT_PT, width - _PAD - x1 - 3)
    label_y = bottom + _TICK + _TICK_PAD + (_ASCENT + _DESCENT + _ASCENT) * FONT_PT + _XLABEL_PAD
    return [
        Text(x1 - 3, y, left, FONT_PT, "end"),
        Text(x1 + 3, y, right, FONT_PT, "start"),
        _centred(layout.x_label, (axis.x0 + axis.x1) / 2, _PAD, width - _PAD, label_y),
    ]
