"""The per-subject timeline of a patient narrative: treatment bar, adverse events, death.

Study days on the x axis (day 1 = first dose); one row per adverse event (onset to end, or a
marker at onset when the end is not recorded), serious events in a colour of their own, the
treatment period as a bar on the top row, death as a dashed line and a cross, the legend on top.

A study has a hundred narratives or more, so the timeline is laid out here, in points, and
written by :mod:`csrgen.outputs.scene` (SVG text and a Pillow PNG) rather than through
matplotlib, at about a thirtieth of the cost. It keeps the look of csrgen's matplotlib figures:
their font and sizes, margins, spines and ticks, and the axis ticks matplotlib itself would
choose and label (its ``AutoLocator`` and ``ScalarFormatter``). The same data give the same
bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from csrgen.outputs import scene
from csrgen.outputs.plotting import ARM_COLOURS, PNG_DPI
from csrgen.outputs.scene import (
    BLACK,
    PT,
    Line,
    Marker,
    Rect,
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

#: What the drawing imports (see :func:`csrgen.figures.warm_up_modules`): no matplotlib Figure.
WARM_UP = (*scene.WARM_UP, "matplotlib.ticker")
SERIOUS_COLOUR = ARM_COLOURS[1]  # vermillion
OTHER_COLOUR = ARM_COLOURS[0]  # blue
TREATMENT_COLOUR = "#BBBBBB"
MAX_LABEL = 28
X_LABEL = "Study day (day 1 = first dose)"

# The layout, in points, of matplotlib's figure with csrgen's style (plotting._RC): fixed
# margins, 9-point text, 8-point legend, 0.8-point spines and ticks 3.5 points long.
_LEFT, _RIGHT, _TOP, _BOTTOM = 1.75 * PT, 0.15 * PT, 0.4 * PT, 0.5 * PT
_FONT, _LEGEND_FONT = 9.0, 8.0
_LW, _TICK, _TICK_PAD = 0.8, 3.5, 3.5
#: Height above the baseline of DejaVu Sans's tallest lowercase letters, per point of size: how
#: matplotlib aligns text by its top or centre.
_ASCENT = 1556 / 2048
#: From the tick labels' baseline to the axis label's.
_XLABEL_GAP = 13.0
#: matplotlib's dashed line (``--``) at 0.8 points: 3.7 and 1.6 times the width.
_DASH = (2.96, 1.28)
#: Rows one unit apart, the axis reaching 0.7 of a unit beyond the first and the last.
_MARGIN = 0.7


@dataclass(frozen=True)
class TimelineEvent:
    label: str
    #: Study days of onset and end (None: not recorded).
    start: float | None
    end: float | None
    serious: bool


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "\u2026"


def timeline_height(events: Sequence[TimelineEvent]) -> float:
    """The height (inches) of the timeline of ``events``: a row each, and the treatment's."""
    return 0.9 + 0.22 * (1 + len(events))


def draw_timeline(
    figure_id: str,
    treatment: tuple[float | None, float | None],
    events: Sequence[TimelineEvent],
    death_day: float | None,
    width_in: float = 6.3,
) -> tuple[str, bytes]:
    """SVG and PNG of one subject's timeline (:func:`timeline_height` high).

    ``figure_id`` names the figure (its plan, and so its cached images); the SVG uses no ids,
    so it needs no salting to share a page with other figures.
    """
    scene = timeline_scene(treatment, events, death_day, width_in)
    return svg(scene), png(scene, PNG_DPI)


def timeline_scene(
    treatment: tuple[float | None, float | None],
    events: Sequence[TimelineEvent],
    death_day: float | None,
    width_in: float = 6.3,
) -> Scene:
    """The timeline's shapes, in points (see :func:`draw_timeline`)."""
    width, height = width_in * PT, timeline_height(events) * PT
    x0, x1, y_top, y_bot = _LEFT, width - _RIGHT, _TOP, height - _BOTTOM
    t0, t1 = (_day(d) for d in treatment)
    starts = [_day(e.start) for e in events]
    ends = [_day(e.end) for e in events]
    death = _day(death_day)
    days = [d for d in (t0, t1, *starts, *ends, death) if d is not None]
    lo, hi = (min(days), max(days)) if days else (0.0, 1.0)
    pad = max(1.0, (hi - lo) * 0.03)
    axis = _XAxis(lo - pad, hi + pad, x0, x1)
    n = 1 + len(events)

    unit = (y_bot - y_top) / (n - 1 + 2 * _MARGIN)

    def row_y(i: int) -> float:  # row 0 (treatment) on top
        return y_top + (i + _MARGIN) * unit

    shapes: list[Shape] = []
    if t0 is not None:
        end = t1 if t1 is not None else t0
        shapes.append(
            _bar(axis, t0, t0 + max(end - t0, 0.5), row_y(0), 0.5 * unit, TREATMENT_COLOUR)
        )
    for i, (e, start, stop) in enumerate(zip(events, starts, ends, strict=True), start=1):
        colour = SERIOUS_COLOUR if e.serious else OTHER_COLOUR
        if start is None:
            continue
        if stop is not None and stop > start:
            shapes.append(_bar(axis, start, stop, row_y(i), 0.45 * unit, colour))
        else:
            shapes.append(Marker(axis.x(start), row_y(i), "o", 4.0, colour))
    if death is not None:
        xd = axis.x(death)
        shapes.append(Line(xd, y_bot, xd, y_top, _LW, dash=_DASH))
        shapes.append(Marker(xd, row_y(0), "X", 7.0, BLACK))
    shapes += [
        Line(x0, y_bot, x0, y_top, _LW, cap="square"),
        Line(x0, y_bot, x1, y_bot, _LW, cap="square"),
    ]
    shapes += axis.shapes(y_bot)
    label_width = x0 - _TICK - _TICK_PAD - 2.0  # 2 points short of the figure's left edge
    rows = ["Treatment"] + [fit(_short(clean(e.label)), _FONT, label_width) for e in events]
    for i, label in enumerate(rows):
        y = row_y(i)
        shapes.append(Line(x0, y, x0 - _TICK, y, _LW))
        shapes.append(Text(x0 - _TICK - _TICK_PAD, y + _ASCENT * _FONT / 2, label, _FONT, "end"))
    shapes += _legend(width, death is not None)
    return Scene(width, height, tuple(shapes))


def _day(value: float | None) -> float | None:
    """A study day to draw, or ``None`` (not recorded, or not a finite number)."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _bar(axis: _XAxis, left: float, right: float, y: float, h: float, colour: str) -> Rect:
    xl, xr = axis.x(left), axis.x(right)
    return Rect(xl, y - h / 2, xr - xl, h, colour)


class _XAxis:
    """Study days from ``lo`` to ``hi`` on the points ``x0`` to ``x1``, with the ticks and labels
    matplotlib gives such an axis (``AutoLocator``, ``ScalarFormatter``)."""

    def __init__(self, lo: float, hi: float, x0: float, x1: float) -> None:
        from matplotlib import ticker

        # as XAxis.get_tick_space: room for a label three font sizes wide, at most 9 bins
        nbins = min(9, max(1, math.floor((x1 - x0) / (3 * _FONT))))
        locator = ticker.MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10])
        # as Axes.set_xlim: a range of no width is widened
        self.lo, self.hi = locator.nonsingular(lo, hi)
        self.x0, self.x1 = x0, x1
        self.ticks, self.offset = axis_ticks(locator, self.lo, self.hi)

    def x(self, day: float) -> float:
        return self.x0 + (day - self.lo) / (self.hi - self.lo) * (self.x1 - self.x0)

    def shapes(self, y: float) -> list[Shape]:
        """Ticks, tick labels, the offset (when matplotlib would show one) and the axis label,
        below the axis line at ``y``."""
        baseline = y + _TICK + _TICK_PAD + _ASCENT * _FONT
        out: list[Shape] = []
        for v, label in self.ticks:
            x = self.x(v)
            out.append(Line(x, y, x, y + _TICK, _LW))
            out.append(Text(x, baseline, label, _FONT, "middle"))
        if self.offset:
            out.append(Text(self.x1, baseline + _XLABEL_GAP, self.offset, _FONT, "end"))
        out.append(Text((self.x0 + self.x1) / 2, baseline + _XLABEL_GAP, X_LABEL, _FONT, "middle"))
        return out


def _legend(width: float, death: bool) -> list[Shape]:
    """matplotlib's legend above the figure, centred, in one row: handles 2 font sizes long,
    text 0.8 after them, 2 between entries, 0.5 + 0.4 font sizes from the top."""
    entries = [
        ("patch", TREATMENT_COLOUR, "Treatment"),
        ("patch", SERIOUS_COLOUR, "Serious AE"),
        ("patch", OTHER_COLOUR, "Non-serious AE"),
    ]
    if death:
        entries.append(("death", BLACK, "Death"))
    size = _LEGEND_FONT
    handle, gap, spacing = 2.0 * size, 0.8 * size, 2.0 * size
    widths = [text_width(label, size) for _, _, label in entries]
    total = sum(handle + gap + w for w in widths) + spacing * (len(entries) - 1)
    baseline = (0.5 + 0.4) * size + _ASCENT * size
    x = width / 2 - total / 2
    out: list[Shape] = []
    for (kind, colour, label), w in zip(entries, widths, strict=True):
        if kind == "patch":  # 0.7 font sizes high, on the baseline, with a 1-point edge
            out.append(
                Rect(x - 0.5, baseline - 0.7 * size - 0.5, handle + 1, 0.7 * size + 1, colour)
            )
        else:
            y = baseline - 0.35 * size
            out.append(Line(x, y, x + handle, y, _LW, dash=_DASH))
            out.append(Marker(x + handle / 2, y, "X", 6.0, BLACK))
        out.append(Text(x + handle + gap, baseline, label, size, "start"))
        x += handle + gap + w + spacing
    return out
