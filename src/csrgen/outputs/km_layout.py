"""The parts of the survival figure's layout (see :mod:`csrgen.outputs.km_plot`), in points.

Axes with the ticks and labels matplotlib gives them, the arms' line styles as matplotlib dashes
them, step paths clipped to the plot, and the legend boxes: their size in matplotlib's
proportions and the rule that places them where they cover the fewest curve points.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from csrgen.outputs.plotting import ARM_COLOURS, ARM_LINESTYLES, style
from csrgen.outputs.scene import WHITE, Line, Polyline, Rect, Shape, Text, axis_ticks, text_width

# csrgen's matplotlib style (plotting._RC): 9-point text, 8-point legends and table, 0.8-point
# spines and ticks 3.5 points long, 3.5 from their labels; constrained layout's 3-point padding.
FONT, SMALL = 9.0, 8.0
LW, TICK, TICK_PAD = 0.8, 3.5, 3.5
PAD = 3.0
#: Heights above and below the baseline of DejaVu Sans's tallest lowercase letters and of its
#: descenders, per point of size: how matplotlib aligns text by its top, centre or bottom.
ASCENT, DESCENT = 1556 / 2048, 483 / 2048
#: The arms' curves and legend handles (points).
CURVE_LW = 1.4
#: matplotlib's legend, in font sizes: the padding inside the box, a row's height (its text's
#: height as matplotlib measures it), the space between rows, the handle's length and the
#: space between handle and text; the box is white at 85 % opacity (``framealpha``).
_BORDER, _ROW, _SPACING, _HANDLE, _HANDLE_PAD = 0.4, 1.05, 0.5, 2.8, 0.8
_FRAME_ALPHA = 0.85
#: The gap between a legend box and the plot's edge, in fractions of the plot.
BOX_MARGIN = 0.02


@dataclass(frozen=True)
class Box:
    """The plot's area in points: (x0, y0) its top-left, (x1, y1) its bottom-right corner."""

    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def y(self, fraction: float) -> float:
        """The y (points) of a height in fractions of the plot, from its bottom."""
        return self.y1 - fraction * self.height


class YAxis:
    """0 to ``y_max`` with matplotlib's ticks for it: ``MaxNLocator`` of at most 5 bins of
    1, 2, 2.5 or 5 times a power of ten, labelled by ``ScalarFormatter``."""

    def __init__(self, y_max: float) -> None:
        from matplotlib import ticker

        self.hi = float(y_max) if math.isfinite(y_max) and y_max > 0 else 1.0
        locator = ticker.MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10])
        self.ticks, self.offset = axis_ticks(locator, 0.0, self.hi)
        self.y0 = self.y1 = 0.0

    def place(self, y0: float, y1: float) -> None:
        """The axis runs from ``y1`` (0, at the bottom) up to ``y0`` (``hi``)."""
        self.y0, self.y1 = y0, y1

    def y(self, value: float) -> float:
        return self.y1 - value / self.hi * (self.y1 - self.y0)

    def shapes(self, x: float) -> list[Shape]:
        """Ticks and their labels left of the axis line at ``x``, the offset above it."""
        out: list[Shape] = []
        for v, label in self.ticks:
            y = self.y(v)
            out.append(Line(x - TICK, y, x, y, LW))
            out.append(Text(x - TICK - TICK_PAD, y + ASCENT * FONT / 2, label, FONT, "end"))
        if self.offset:
            out.append(Text(x, self.y0 - PAD - DESCENT * FONT, self.offset, FONT))
        return out


class XAxis:
    """Time on the x axis: from the first to the last of the ``ticks`` given (the numbers at
    risk are counted at them), or without ticks matplotlib's autoscaled axis from 0 to the
    curves' end (and 5 % more) with its ``AutoLocator``'s ticks for the width ``x0``..``x1``
    (a first guess of the plot's: :meth:`place` sets it)."""

    def __init__(self, ticks: Sequence[float], steps, x0: float, x1: float) -> None:
        from matplotlib import ticker

        self.given = [float(t) for t in ticks]
        self.x0, self.x1 = x0, x1
        if self.given:
            # as Axes.set_xlim after set_xticks: a range of no width is widened by the locator
            locator = ticker.FixedLocator(self.given)
            self.lo, self.hi = locator.nonsingular(min(self.given), max(self.given))
            self.ticks, self.offset = axis_ticks(None, self.lo, self.hi, self.given)
            return
        xs = np.concatenate([np.asarray(v, float).reshape(-1, 2)[:, 0] for v in steps] + [[0.0]])
        xs = xs[np.isfinite(xs)]
        right = xs.max() + 0.05 * (xs.max() - min(xs.min(), 0.0))  # matplotlib's 5 % margin
        self.lo, self.hi = 0.0, float(right) if right > 0 else 1.0
        # as XAxis.get_tick_space: room for a label three font sizes wide, at most 9 bins
        nbins = min(9, max(1, math.floor((x1 - x0) / (3 * FONT))))
        locator = ticker.MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10])
        self.ticks, self.offset = axis_ticks(locator, self.lo, self.hi)

    def overhang(self, first: bool) -> float:
        """How far the first (last) tick label reaches beyond the axis's start (end)."""
        if not self.ticks:
            return 0.0
        v, label = self.ticks[0] if first else self.ticks[-1]
        inside = (v - self.lo if first else self.hi - v) / (self.hi - self.lo)
        return max(0.0, text_width(label, FONT) / 2 - inside * (self.x1 - self.x0))

    def place(self, x0: float, x1: float) -> None:
        self.x0, self.x1 = x0, x1

    def x(self, t: float) -> float:
        return self.x0 + (t - self.lo) / (self.hi - self.lo) * (self.x1 - self.x0)

    def shapes(self, y: float) -> list[Shape]:
        """Ticks and their labels below the axis line at ``y``, the offset at its end."""
        baseline = y + TICK + TICK_PAD + ASCENT * FONT
        out: list[Shape] = []
        for v, label in self.ticks:
            x = self.x(v)
            out.append(Line(x, y, x, y + TICK, LW))
            out.append(Text(x, baseline, label, FONT, "middle"))
        if self.offset:
            out.append(Text(self.x1, baseline + 13.0, self.offset, FONT, "end"))
        return out


@functools.cache
def arm_style(i: int) -> tuple[tuple[float, ...] | None, Literal["butt", "square"]]:
    """The dash pattern (on, off lengths in points; ``None``: solid) and cap of arm ``i``'s
    curve: matplotlib's pattern for its line style, scaled by the line width as matplotlib
    scales it (``lines.scale_dashes``), and matplotlib's caps (``projecting`` for a solid line,
    ``butt`` for dashes)."""
    from matplotlib.lines import _get_dash_pattern, _scale_dashes

    with style():
        offset, dashes = _scale_dashes(
            *_get_dash_pattern(ARM_LINESTYLES[i % len(ARM_LINESTYLES)]), CURVE_LW
        )
    if offset:
        raise ValueError(f"an arm's line style starts its dashes at {offset}, not 0")
    if dashes is None:
        return None, "square"
    return tuple(round(float(d), 9) for d in dashes), "butt"


def step_vertices(time, value, start: float) -> np.ndarray:
    """The corners (n x 2: time, value) of the step path matplotlib draws for a curve
    (``where="post"``): ``start`` from 0 to the first time, each value from its time to the
    next, ending at the last time. Points that are not finite numbers are left out."""
    x = np.concatenate([[0.0], np.asarray(time, dtype=float).ravel()])
    y = np.concatenate([[float(start)], np.asarray(value, dtype=float).ravel()])
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    out = np.empty((max(2 * len(x) - 1, 0), 2))
    out[0::2, 0], out[0::2, 1] = x, y
    out[1::2, 0], out[1::2, 1] = x[1:], y[:-1]
    return out


def clip_steps(vertices: np.ndarray, box: tuple[float, float, float, float]) -> list:
    """The pieces of a step path (horizontal and vertical segments) inside ``box`` (lo, bottom,
    hi, top in data units), each a tuple of points without repeated or straight-through
    corners (the drawn line unchanged)."""
    if len(vertices) < 2:
        return []
    lo, bottom, hi, top = box
    a, b = vertices[:-1], vertices[1:]
    meets = (
        (np.maximum(a[:, 0], b[:, 0]) >= lo)
        & (np.minimum(a[:, 0], b[:, 0]) <= hi)
        & (np.maximum(a[:, 1], b[:, 1]) >= bottom)
        & (np.minimum(a[:, 1], b[:, 1]) <= top)
    )
    # a horizontal or vertical segment that meets the box is clipped by clamping its ends
    lows, highs = np.array([lo, bottom]), np.array([hi, top])
    a, b = np.clip(a, lows, highs), np.clip(b, lows, highs)
    # a piece runs on while the next segment meets the box where this one left it
    joined = meets[1:] & meets[:-1] & (b[:-1] == a[1:]).all(axis=1)
    first = np.flatnonzero(meets & ~np.concatenate([[False], joined]))
    last = np.flatnonzero(meets & ~np.concatenate([joined, [False]]))
    out = []
    for i, j in zip(first, last, strict=True):
        points = _simplified(np.vstack([a[i], b[i : j + 1]]))
        if len(points) > 1:
            out.append(tuple((float(x), float(y)) for x, y in points))
    return out


def _simplified(p: np.ndarray) -> np.ndarray:
    """``p`` without repeated points and without corners the path runs straight through."""
    p = p[np.concatenate([[True], (np.diff(p, axis=0) != 0).any(axis=1)])]
    if len(p) < 3:
        return p
    prev, mid, nxt = p[:-2], p[1:-1], p[2:]
    between = ((prev - mid) * (nxt - mid) <= 0).all(axis=1)
    straight = (prev[:, 0] == nxt[:, 0]) | (prev[:, 1] == nxt[:, 1])
    keep = np.concatenate([[True], ~(between & straight), [True]])
    return p[keep]


# ------------------------------------------------------------------------------------ legends


def legend_size(texts: Sequence[str], handles: bool) -> tuple[float, float]:
    """Width and height (points) of a legend box of ``texts``, with the arms' line handles or
    without (the note: text alone)."""
    chrome = 2 * _BORDER + ((_HANDLE + _HANDLE_PAD) if handles else 0.0)
    widest = max((text_width(t, SMALL) for t in texts), default=0.0)
    n = len(texts)
    return chrome * SMALL + widest, (2 * _BORDER + n * _ROW + max(n - 1, 0) * _SPACING) * SMALL


def legend_shapes(rows: Sequence[tuple[str, int | None]], left: float, top: float) -> list[Shape]:
    """The box and rows of a legend whose top-left corner is (``left``, ``top``): each row a
    text and, for an arm's row (its index), its line handle (as matplotlib: on the baseline's
    level 0.35 font sizes up)."""
    texts = [t for t, _ in rows]
    handles = any(i is not None for _, i in rows)
    w, h = legend_size(texts, handles)
    out: list[Shape] = [Rect(left, top, w, h, WHITE, _FRAME_ALPHA)]
    x = left + _BORDER * SMALL
    for j, (text, arm) in enumerate(rows):
        row_top = top + (_BORDER + j * (_ROW + _SPACING)) * SMALL
        baseline = row_top + (_ROW - DESCENT) * SMALL
        if arm is not None:
            dash, cap = arm_style(arm)
            y = baseline - 0.35 * SMALL
            colour = ARM_COLOURS[arm % len(ARM_COLOURS)]
            line = ((x, y), (x + _HANDLE * SMALL, y))
            out.append(Polyline(line, CURVE_LW, colour, dash, cap))
        text_x = x + ((_HANDLE + _HANDLE_PAD) * SMALL if handles else 0.0)
        out.append(Text(text_x, baseline, text, SMALL))
    return out


def _candidates(w: float, h: float):
    """The rectangle (x0, y0, x1, y1 in fractions of the plot, y up) of every place tried, in
    order of preference: the corners first, then every height along the right, left and
    centre."""
    left, right, centre = BOX_MARGIN, 1 - BOX_MARGIN - w, 0.5 - w / 2
    top, bottom = 1 - BOX_MARGIN - h, BOX_MARGIN
    xs = {"left": left, "right": right, "center": centre}
    for vertical, side in [
        ("upper", "right"),
        ("lower", "left"),
        ("lower", "right"),
        ("upper", "center"),
    ]:
        y0 = top if vertical == "upper" else bottom
        yield (xs[side], y0, xs[side] + w, y0 + h)
    for y0 in np.arange(bottom, top, 0.02):
        for side in ("right", "left", "center"):
            yield (xs[side], float(y0), xs[side] + w, float(y0) + h)


def best_place(w: float, h: float, points: np.ndarray, taken) -> tuple[float, float, float, float]:
    """Where a box ``w`` x ``h`` (fractions of the plot) goes: the first candidate place that
    covers the fewest ``points`` (fractions of the plot, y up) and overlaps no box ``taken``
    (an overlap counts as 100 000 points). Deterministic: the same data give the same place.

    matplotlib's ``loc="best"`` avoids the curves but not a second legend and tries only nine
    spots, hence this rule (csrgen's since the figure was drawn with matplotlib).
    """
    px, py = points[:, 0], points[:, 1]
    best = None
    for rect in _candidates(w, h):
        inside = (px >= rect[0]) & (px <= rect[2]) & (py >= rect[1]) & (py <= rect[3])
        score = int(np.count_nonzero(inside)) + 100_000 * sum(_overlap(rect, o) for o in taken)
        if best is None or score < best[0]:
            best = (score, rect)
            if score == 0:
                break
    return best[1]


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
