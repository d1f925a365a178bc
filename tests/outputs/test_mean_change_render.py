"""The mean-change figure read back from its images and checked against its data.

The SVG is parsed (xml.etree); the mapping from value to y is taken from the y axis's tick
labels (two labels' numbers and positions, a straight line through them) and the mapping from
visit to x from the visit labels beneath the plot, so each point, bar, cap, line and n is
checked where the axes the reader sees put it. The y axis's labels are compared with those a
real matplotlib Axes shows for the same data (an independent reference: matplotlib's own
autoscale and tick machinery); the line styles with the dash arrays matplotlib itself writes.
The PNG is decoded (Pillow). Hypothesis throws odd series at the drawing.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFont

from csrgen.outputs.f_bds_mean import ArmSeries, draw_mean_change
from csrgen.outputs.plotting import ARM_COLOURS, ARM_LINESTYLES

NS = "{http://www.w3.org/2000/svg}"
DPI = 200
NAN = math.nan
#: DejaVu Sans's ascent per point of size: a 9-point tick label's letters are centred on its tick
#: when its baseline is half of it below.
ASCENT = 1556 / 2048
DODGE = 0.09
Y_LABEL = "Mean change from baseline (95% CI)\nAlbumin (g/L)"
ROOT = Path(__file__).resolve().parents[2]


def rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


def arm(label, mean, lcl=None, ucl=None, n=None, legend=None) -> ArmSeries:
    mean = tuple(float(m) for m in mean)
    lcl = tuple(m - 1.0 for m in mean) if lcl is None else tuple(lcl)
    ucl = tuple(m + 1.0 for m in mean) if ucl is None else tuple(ucl)
    n = tuple(str(10 + k) for k in range(len(mean))) if n is None else tuple(n)
    return ArmSeries(label, legend or f"{label} (N=20)", mean, lcl, ucl, n)


def draw(
    series,
    visits,
    pos=None,
    ticks=None,
    y_label=Y_LABEL,
    x_label="",
    separate=(),
    n_table=True,
    width_in=7.0,
    height_in=4.4,
):
    pos = tuple(float(k) for k in range(len(visits))) if pos is None else tuple(pos)
    ticks = tuple(textwrap.fill(v, 10) for v in visits) if ticks is None else tuple(ticks)
    return draw_mean_change(
        "f",
        tuple(series),
        tuple(visits),
        pos,
        ticks,
        y_label,
        x_label,
        tuple(separate),
        n_table,
        width_in,
        height_in,
    )


def _points(d: str) -> list[tuple[float, float]]:
    numbers = [float(v) for v in re.findall(r"-?[\d.]+(?:e[-+]?\d+)?", d)]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


class Drawn:
    """The shapes of a figure's SVG, by kind, and the axes they show."""

    def __init__(self, svg: str) -> None:
        self.root = ET.fromstring(svg)
        self.width = float(self.root.get("viewBox").split()[2])
        self.height = float(self.root.get("viewBox").split()[3])
        self.texts = [
            dict(
                x=float(e.get("x")),
                y=float(e.get("y")),
                anchor=e.get("text-anchor"),
                size=float(e.get("font-size")),
                fill=e.get("fill").lower(),
                turned=e.get("transform") is not None,
                text=e.text or "",
            )
            for e in self.root.iter(f"{NS}text")
        ]
        self.paths = [
            dict(
                points=_points(e.get("d")),
                colour=e.get("stroke").lower(),
                width=float(e.get("stroke-width")),
                dash=e.get("stroke-dasharray"),
                cap=e.get("stroke-linecap"),
            )
            for e in self.root.iter(f"{NS}path")
        ]
        self.markers = []  # (x, y, kind, colour, half-size): circles and polygons by centre
        for e in self.root.iter(f"{NS}circle"):
            r = float(e.get("r"))
            x, y = float(e.get("cx")), float(e.get("cy"))
            self.markers.append((x, y, "o", e.get("fill").lower(), r))
        for e in self.root.iter(f"{NS}polygon"):
            pts = [tuple(map(float, p.split(","))) for p in e.get("points").split()]
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            x, y = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
            kind = _polygon_kind(pts, x, y)
            self.markers.append((x, y, kind, e.get("fill").lower(), (max(xs) - min(xs)) / 2))
        # the plot: its left spine (the longest vertical 0.8-point black line) and bottom spine
        spines = [p for p in self.paths if p["width"] == 0.8 and p["cap"] == "square"]
        vertical = max(
            (p for p in spines if p["points"][0][0] == p["points"][1][0]),
            key=lambda p: abs(p["points"][0][1] - p["points"][1][1]),
        )
        horizontal = next(p for p in spines if p["points"][0][1] == p["points"][1][1])
        self.x0 = vertical["points"][0][0]
        self.y_bot, self.y_top = sorted((vertical["points"][0][1], vertical["points"][1][1]))[::-1]
        self.x1 = max(q[0] for q in horizontal["points"])

    def y_ticks(self) -> list[tuple[str, float]]:
        """The y axis's labels, bottom to top, with their baselines."""
        labels = [
            (t["text"], t["y"])
            for t in self.texts
            if t["anchor"] == "end" and t["size"] == 9 and not t["turned"] and t["x"] < self.x0
        ]
        return sorted(labels, key=lambda lt: -lt[1])

    def value_to_y(self):
        ticks = [(float(t.replace("\u2212", "-")), y - ASCENT * 9 / 2) for t, y in self.y_ticks()]
        assert len(ticks) >= 2, ticks
        (v0, y0), (v1, y1) = ticks[0], ticks[-1]
        return lambda v: y0 + (v - v0) * (y1 - y0) / (v1 - v0)

    def visit_labels(self) -> list[tuple[float, list[str]]]:
        """The visit labels beneath the plot (the text centred under each tick mark), left to
        right: x and lines, top to bottom."""
        marks = {
            p["points"][0][0]
            for p in self.paths
            if p["width"] == 0.8
            and p["cap"] == "butt"
            and p["points"][0][0] == p["points"][1][0]
            and sorted(q[1] for q in p["points"]) == approx([self.y_bot, self.y_bot + 3.5])
        }
        lines: dict[float, list[tuple[float, str]]] = {x: [] for x in marks}
        for t in self.texts:
            below = t["y"] > self.y_bot and not t["turned"]
            if t["size"] == 9 and t["anchor"] == "middle" and t["x"] in marks and below:
                lines[t["x"]].append((t["y"], t["text"]))
        return [(x, [s for _, s in sorted(ls)]) for x, ls in sorted(lines.items())]

    def visit_to_x(self, pos):
        """The mapping from visit position to x, read off the visit labels (and, for a single
        visit, the plot's width: it spans the visit's position plus and minus a half)."""
        xs = [x for x, _ in self.visit_labels()]
        assert len(xs) == len(pos), (xs, pos)
        if len(pos) == 1:
            return lambda v: xs[0] + (v - pos[0]) * (self.x1 - self.x0)
        return lambda v: xs[0] + (v - pos[0]) * (xs[-1] - xs[0]) / (pos[-1] - pos[0])

    def in_plot(self, x, y) -> bool:
        return self.x0 <= x <= self.x1 and self.y_top <= y <= self.y_bot

    def arm_paths(self, colour: str, width: float) -> list[list[tuple[float, float]]]:
        return [
            p["points"]
            for p in self.paths
            if p["colour"] == colour.lower()
            and p["width"] == width
            and all(self.in_plot(x, y) for x, y in p["points"])
        ]


def _polygon_kind(pts, x, y) -> str:
    """A polygon marker's shape from its outline: matplotlib's marker names."""
    if len(pts) == 4:
        return "D" if any(abs(px - x) < 0.01 and abs(py - y) > 0.01 for px, py in pts) else "s"
    if len(pts) == 3:
        apex = [
            p
            for p in pts
            if sum(abs(q[0] - p[0]) < 1e-6 for q in pts) == 1
            and sum(abs(q[1] - p[1]) < 1e-6 for q in pts) == 1
        ]
        ((ax_, ay),) = apex
        if abs(ax_ - x) < 1e-6:
            return "^" if ay < y else "v"
        return "<" if ax_ < x else ">"
    return "X"


def approx(v):
    return pytest.approx(v, abs=0.01)


def close(a, b, tol: float = 0.01) -> bool:
    """Whether two nests of sequences of numbers have the same shape and numbers within
    ``tol``."""
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        return (
            isinstance(a, list | tuple)
            and isinstance(b, list | tuple)
            and len(a) == len(b)
            and all(close(x, y, tol) for x, y in zip(a, b, strict=True))
        )
    return abs(a - b) <= tol


# ------------------------------------------------------------------------------ the plot


def three_arms():
    visits = ("Week 2", "Week 4", "Week 8", "Week 12", "End of Treatment")
    a = arm("Placebo", (0.5, -0.2, 0.1, 0.4, 0.3))
    # Low: no subject at week 4 (no point, the line broken), one at week 8 (no bar)
    b = arm(
        "Low",
        (1.0, NAN, 2.0, 2.5, 1.5),
        lcl=(0.2, NAN, NAN, 1.5, 0.5),
        ucl=(1.8, NAN, NAN, 3.5, 2.5),
        n=("12", "0", "1", "9", "11"),
    )
    c = arm("High", (-1.0, -1.5, -2.0, -3.0, -2.5), lcl=(-2, -3, -3.5, -4.5, -5))
    return (a, b, c), visits


def test_points_bars_and_caps_sit_where_the_axes_say():
    series, visits = three_arms()
    svg, _ = draw(series, visits, separate=("End of Treatment",))
    drawn = Drawn(svg)
    y, x = drawn.value_to_y(), drawn.visit_to_x(range(5))
    assert [lines for _, lines in drawn.visit_labels()] == [
        ["Week 2"],
        ["Week 4"],
        ["Week 8"],
        ["Week 12"],
        ["End of", "Treatment"],
    ]
    for i, a in enumerate(series):
        colour = ARM_COLOURS[i]
        shift = (i - 1) * DODGE  # three arms dodged by 0.09 of a visit step
        expected = sorted((x(k + shift), y(m)) for k, m in enumerate(a.mean) if math.isfinite(m))
        points = sorted(
            (mx, my)
            for mx, my, kind, fill, _ in drawn.markers
            if fill == colour.lower() and drawn.in_plot(mx, my)
        )
        assert close(points, expected), (a.label, points, expected)
        kinds = {kind for mx, my, kind, fill, _ in drawn.markers if fill == colour.lower()}
        assert kinds == {"os^"[i]}
        # bars: vertical, lcl to ucl; caps: 5 points wide at each end
        bars = sorted((p[0][0], *sorted(q[1] for q in p)) for p in drawn.arm_paths(colour, 0.9))
        expected_bars = sorted(
            (x(k + shift), *sorted((y(lo), y(hi))))
            for k, (m, lo, hi) in enumerate(zip(a.mean, a.lcl, a.ucl, strict=True))
            if math.isfinite(lo)
        )
        assert close(bars, expected_bars), (a.label, bars, expected_bars)
        caps = sorted(
            (round((p[0][0] + p[1][0]) / 2, 2), round(p[0][1], 2), abs(p[1][0] - p[0][0]))
            for p in drawn.arm_paths(colour, 1.0)
        )
        expected_caps = sorted(
            (round(bx, 2), round(end, 2), 5.0) for bx, lo, hi in expected_bars for end in (lo, hi)
        )
        assert close(caps, expected_caps, 0.02), (a.label, caps, expected_caps)


def test_lines_join_consecutive_scheduled_visits_and_break_where_a_mean_is_missing():
    series, visits = three_arms()
    svg, _ = draw(series, visits, separate=("End of Treatment",))
    drawn = Drawn(svg)
    y, x = drawn.value_to_y(), drawn.visit_to_x(range(5))
    for i, runs in enumerate([[(0, 1, 2, 3)], [(2, 3)], [(0, 1, 2, 3)]]):
        shift = (i - 1) * DODGE
        expected = [[(x(k + shift), y(series[i].mean[k])) for k in run] for run in runs]
        lines = drawn.arm_paths(ARM_COLOURS[i], 1.3)
        assert close(lines, expected), (i, lines, expected)
    # a grey divider half-way between the last scheduled visit and the separate one
    dividers = [p["points"] for p in drawn.paths if p["colour"] == "#bbbbbb"]
    assert len(dividers) == 1
    assert [q[0] for q in dividers[0]] == approx([x(3.5), x(3.5)])
    assert sorted(q[1] for q in dividers[0]) == approx([drawn.y_top, drawn.y_bot])
    # the dotted zero line across the plot
    (zero,) = [p for p in drawn.paths if p["colour"] == "#888888"]
    assert [q[1] for q in zero["points"]] == approx([y(0), y(0)])
    assert sorted(q[0] for q in zero["points"]) == approx([drawn.x0, drawn.x1])
    assert zero["dash"] == _matplotlib_dashes([(":", 0.7)])[0]


def test_without_separate_visits_every_visit_is_joined_and_no_divider_is_drawn():
    series, visits = three_arms()
    drawn = Drawn(draw(series, visits)[0])
    assert [len(p) for p in drawn.arm_paths(ARM_COLOURS[0], 1.3)] == [5]
    assert [len(p) for p in drawn.arm_paths(ARM_COLOURS[1], 1.3)] == [3]  # after the gap
    assert not [p for p in drawn.paths if p["colour"] == "#bbbbbb"]


def _matplotlib_dashes(styles) -> list[str | None]:
    """The dash arrays matplotlib's SVG backend writes for lines of these (style, width)."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    for style, width in styles:
        ax.plot([0, 1], [0, 1], linestyle=style, linewidth=width, color="#123456")
    out = io.StringIO()
    FigureCanvasSVG(fig).print_svg(out)
    found = []
    for style in re.findall(r'style="([^"]*stroke: #123456[^"]*)"', out.getvalue()):
        dash = re.search(r"stroke-dasharray: ([\d.,]+)", style)
        found.append(dash.group(1) if dash else None)
    return found


def test_line_styles_markers_and_widths_are_matplotlibs():
    series = [arm(f"Arm {i}", (0.5 * i, 1.0 + i, 2.0)) for i in range(6)]
    drawn = Drawn(draw(series, ("V1", "V2", "V3"))[0])
    # dash arrays as matplotlib writes them for the arms' styles at 1.3 points (the plot)
    # and 1.5 points (the legend's handles, matplotlib's default width)
    for width in (1.3, 1.5):
        dashes = _matplotlib_dashes([(s, width) for s in ARM_LINESTYLES])
        for i, expected in enumerate(dashes):
            found = [
                p["dash"]
                for p in drawn.paths
                if p["colour"] == ARM_COLOURS[i].lower() and p["width"] == width
            ]
            assert found and set(found) == {expected}, (i, width)
    kinds = [
        sorted({kind for *_, kind, fill, _ in drawn.markers if fill == ARM_COLOURS[i].lower()})
        for i in range(6)
    ]
    assert kinds == [[k] for k in "os^Dv<"]
    # matplotlib's markersize 4: a disc 4 points across, a square 4 points a side
    sizes = {kind: half for *_, kind, fill, half in drawn.markers}
    assert sizes["o"] == approx(2.0) and sizes["s"] == approx(2.0)
    assert sizes["D"] == approx(2 * math.sqrt(2))


# ------------------------------------------------------------------------- the y axis


def _matplotlib_y_axis(series, pos, separate_at, plot_height: float) -> tuple[list[str], str]:
    """The y tick labels and offset a real matplotlib Axes shows for ``series`` drawn as the
    figure was drawn with matplotlib (zero line, lines, errorbar), on a plot ``plot_height``
    points high, in csrgen's 9-point style."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.size": 9, "font.family": "DejaVu Sans"}):
        fig = Figure(figsize=(7.0, plot_height / 72 + 1.0))
        ax = fig.add_axes(
            (0.15, 0.5 / (plot_height / 72 + 1.0), 0.8, plot_height / 72 / (plot_height / 72 + 1.0))
        )
        ax.axhline(0, linestyle=":")
        gap = min((b - a for a, b in zip(pos, pos[1:], strict=False)), default=1.0)
        for i, a in enumerate(series):
            xs = [p + (i - (len(series) - 1) / 2) * DODGE * gap for p in pos]
            joined = [NAN if k in separate_at else m for k, m in enumerate(a.mean)]
            ax.plot(xs, joined)
            lo = [m - c for m, c in zip(a.mean, a.lcl, strict=True)]
            hi = [c - m for m, c in zip(a.mean, a.ucl, strict=True)]
            ax.errorbar(xs, a.mean, yerr=[lo, hi], linestyle="none", marker="o", capsize=2.5)
        ax.set_xlim(pos[0] - gap / 2, pos[-1] + gap / 2)
        FigureCanvasAgg(fig).draw()
        labels = [t.label1.get_text() for t in ax.yaxis._update_ticks()]
        return labels, ax.yaxis.get_offset_text().get_text()


CASES = {
    "small": [arm("A", (0.3, -0.2, 0.15)), arm("B", (1.2, 0.9, 1.4), lcl=(0.8, 0.1, 1.0))],
    "negative": [arm("A", (-12.0, -30.0, -18.0), lcl=(-20, -45, -25), ucl=(-5, -15, -10))],
    "all zero": [arm("A", (0.0, 0.0, 0.0), lcl=(NAN,) * 3, ucl=(NAN,) * 3)],
    "all missing": [arm("A", (NAN,) * 3, lcl=(NAN,) * 3, ucl=(NAN,) * 3), arm("B", (1, 2, 3))],
    "huge": [arm("A", (2.0e6, 2.5e6, 2.2e6), lcl=(1.9e6, 2.3e6, 2.0e6), ucl=(2.1e6, 2.7e6, 2.4e6))],
    "thousands": [arm("A", (1000.01, 1000.02, 1000.03), lcl=(1000.0,) * 3, ucl=(1000.04,) * 3)],
    "tiny": [arm("A", (2e-5, 4e-5, 3e-5), lcl=(1e-5, 2e-5, 2e-5), ucl=(3e-5, 6e-5, 4e-5))],
    "lone points": [arm("A", (1.0, NAN, 3.0), lcl=(NAN, NAN, 1.0), ucl=(NAN, NAN, 4.0))],
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("n_table", [True, False])
def test_y_tick_labels_are_those_matplotlib_shows(case, n_table):
    series = CASES[case]
    visits = ("Week 1", "Week 2", "Week 4")
    drawn = Drawn(draw(series, visits, separate=("Week 4",), n_table=n_table)[0])
    labels, offset = _matplotlib_y_axis(series, [0.0, 1.0, 2.0], {2}, drawn.y_bot - drawn.y_top)
    assert [t for t, _ in drawn.y_ticks()] == labels
    shown = [
        t["text"]
        for t in drawn.texts
        if t["anchor"] == "start" and t["size"] == 9 and abs(t["x"] - drawn.x0) < 1e-6
    ]
    assert shown == ([offset] if offset else [])
    if offset:  # above the plot, clear of the legend's text
        (o,) = [t for t in drawn.texts if t["text"] == offset]
        legend_bottom = max(t["y"] for t in drawn.texts if t["size"] == 8)
        assert legend_bottom + 2 < o["y"] - 9 * ASCENT and o["y"] < drawn.y_top


def test_each_y_label_sits_on_its_tick():
    series, visits = three_arms()
    drawn = Drawn(draw(series, visits)[0])
    ticks = sorted(
        p["points"][0][1]
        for p in drawn.paths
        if p["width"] == 0.8
        and p["points"][0][1] == p["points"][1][1]
        and sorted(q[0] for q in p["points"]) == approx([drawn.x0 - 3.5, drawn.x0])
    )
    assert sorted(y - ASCENT * 9 / 2 for _, y in drawn.y_ticks()) == approx(ticks)


def test_y_label_reads_upwards_in_two_lines_beside_the_tick_labels():
    series, visits = three_arms()
    drawn = Drawn(draw(series, visits)[0])
    turned = [t for t in drawn.texts if t["turned"]]
    assert [t["text"] for t in turned] == Y_LABEL.split("\n")
    first, second = turned
    # the lines stack left to right, a line (1.2 font sizes) apart, centred on the plot
    assert second["x"] - first["x"] == pytest.approx(1.2 * 9)
    assert first["y"] == second["y"] == approx((drawn.y_top + drawn.y_bot) / 2)
    leftmost_tick = min(
        t["x"] - _ink_width(t["text"], 9)
        for t in drawn.texts
        if (t["text"], t["y"]) in drawn.y_ticks()
    )
    # the second line's descent ends 4 points short of the widest tick label
    assert second["x"] + 9 * 483 / 2048 == pytest.approx(leftmost_tick - 4, abs=0.5)


# ------------------------------------------------------------------- legend and n table


def test_legend_entries_in_arm_order_above_the_plot():
    series, visits = three_arms()
    drawn = Drawn(draw(series, visits)[0])
    legend = [t for t in drawn.texts if t["size"] == 8]
    assert [t["text"] for t in legend] == [a.legend for a in series]
    assert len({t["y"] for t in legend}) == 1  # one row
    assert all(t["y"] + 8 * 0.25 < drawn.y_top for t in legend)
    for i, t in enumerate(legend):
        # the arm's marker and line just left of its text
        marker = [m for m in drawn.markers if m[3] == ARM_COLOURS[i].lower() and m[1] < drawn.y_top]
        assert len(marker) == 1 and t["x"] - 16 - 6.4 < marker[0][0] < t["x"]
    # centred over the plot
    left = min(m[0] for m in drawn.markers if m[1] < drawn.y_top) - 8
    right = legend[-1]["x"] + _ink_width(legend[-1]["text"], 8)
    assert (left + right) / 2 == pytest.approx((drawn.x0 + drawn.x1) / 2, abs=1.5)


def test_n_table_numbers_sit_under_their_visit_in_arm_colours():
    series, visits = three_arms()
    drawn = Drawn(draw(series, visits)[0])
    x_of_visit = [x for x, _ in drawn.visit_labels()]
    title = [
        t for t in drawn.texts if t["text"] == "Number of subjects with a change from baseline"
    ]
    assert len(title) == 1 and title[0]["x"] == approx(drawn.x0)
    rows = []
    for i, a in enumerate(series):
        colour = ARM_COLOURS[i].lower()
        cells = [t for t in drawn.texts if t["size"] == 7 and t["fill"] == colour]
        (label,) = [t for t in cells if t["anchor"] == "end"]
        numbers = sorted((t for t in cells if t["anchor"] == "middle"), key=lambda t: t["x"])
        assert label["text"] == a.label and label["x"] < drawn.x0
        assert [t["text"] for t in numbers] == list(a.n)
        assert [t["x"] for t in numbers] == approx(x_of_visit)
        assert {t["y"] for t in numbers} == {label["y"]}
        rows.append(label["y"])
    assert title[0]["y"] < rows[0] < rows[1] < rows[2] < drawn.height


def test_without_the_n_table_the_plot_takes_its_room():
    series, visits = three_arms()
    with_table = Drawn(draw(series, visits)[0])
    without = Drawn(draw(series, visits, n_table=False)[0])
    assert not [t for t in without.texts if t["size"] == 7]
    assert without.y_bot > with_table.y_bot + 40


def test_a_time_axis_with_its_label():
    series = [arm("A", (1.0, 2.0, 1.5, 0.5)), arm("B", (0.0, -1.0, 0.5, 1.0))]
    visits = ("Week 2", "Week 4", "Week 12", "End of Study")
    pos = (2.0, 4.0, 12.0, 15.0)
    drawn = Drawn(
        draw(
            series,
            visits,
            pos,
            ("2", "4", "12", "End of\nStudy"),
            x_label="Week",
            separate=("End of Study",),
        )[0]
    )
    x, y = drawn.visit_to_x(pos), drawn.value_to_y()
    # the visits at their AVISITN; the arms dodged by 0.09 of the smallest step (2 weeks)
    for i, a in enumerate(series):
        points = sorted(
            (mx, my)
            for mx, my, _, fill, _ in drawn.markers
            if fill == ARM_COLOURS[i].lower() and drawn.in_plot(mx, my)
        )
        expected = [(x(p + (i - 0.5) * DODGE * 2), y(m)) for p, m in zip(pos, a.mean, strict=True)]
        assert close(points, expected), (points, expected)
    # the plot spans the first and last visits plus half the step
    assert x(2.0 - 1.0) == approx(drawn.x0) and x(15.0 + 1.0) == approx(drawn.x1)
    (label,) = [t for t in drawn.texts if t["text"] == "Week"]
    last_line = max(t["y"] for t in drawn.texts if t["text"] == "Study")
    assert label["y"] > last_line and label["x"] == approx((drawn.x0 + drawn.x1) / 2)


# ------------------------------------------------------------------- nothing clipped


def _font():
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return ImageFont.truetype(str(path), 1000)


def _ink_width(text: str, size: float) -> float:
    return _font().getlength(text) * size / 1000


def extents(drawn: Drawn) -> list[tuple[float, float, float, float, str]]:
    """Every shape's box (x0, y0, x1, y1) in points, and what it is: text by its ink (DejaVu
    Sans's glyph boxes, independent of the figure's own measure), lines by their width."""
    font = _font()
    out = []
    for t in drawn.texts:
        if not t["text"].strip():
            continue
        k = t["size"] / 1000
        advance = font.getlength(t["text"]) * k
        left, top, right, bottom = (v * k for v in font.getbbox(t["text"], anchor="ls"))
        shift = {"start": 0.0, "middle": -advance / 2, "end": -advance}[t["anchor"]]
        left, right = left + shift, right + shift
        if t["turned"]:  # a quarter-turn counter-clockwise about the anchor: (dx, dy) -> (dy, -dx)
            left, top, right, bottom = top, -right, bottom, -left
        out.append((t["x"] + left, t["y"] + top, t["x"] + right, t["y"] + bottom, t["text"]))
    for p in drawn.paths:
        h = p["width"] / 2
        xs, ys = [q[0] for q in p["points"]], [q[1] for q in p["points"]]
        out.append((min(xs) - h, min(ys) - h, max(xs) + h, max(ys) + h, "path"))
    for x, y, kind, _, half in drawn.markers:
        out.append((x - half - 0.5, y - half - 0.5, x + half + 0.5, y + half + 0.5, kind))
    return out


LONG = "Xanomeline Transdermal Therapeutic System High Dose 81 mg"
VISITS_15 = tuple(f"Week {2 * k}" for k in range(1, 15)) + ("End of Treatment",)


@pytest.mark.parametrize(
    ("series", "visits", "kwargs"),
    [
        pytest.param(
            [arm(LONG, (1, 2, 3)), arm(LONG + " (extended)", (3, 2, 1))],
            ("Unscheduled visit after early withdrawal", "Week 4", "Follow-up telephone call"),
            dict(y_label="Mean change from baseline (95% CI)\n" + "Very long parameter " * 2),
            id="long labels",
        ),
        pytest.param(
            [arm("A", range(15)), arm("B", range(15, 0, -1))], VISITS_15, {}, id="15 visits"
        ),
        pytest.param([arm("Only arm", (2.0,))], ("Week 26",), {}, id="one visit"),
        pytest.param(
            [arm(f"Xanomeline dose level {i} (mg)", (i, -i, 2 * i, 0)) for i in range(6)],
            ("Week 2", "Week 4", "Week 8", "End of Treatment"),
            dict(separate=("End of Treatment",)),
            id="six arms",
        ),
        pytest.param(
            [arm(f"Arm {i}", (i, -i)) for i in range(6)],
            ("Week 2", "Week 4"),
            dict(width_in=3.0, height_in=2.5),
            id="six arms, small page",
        ),
        pytest.param(
            [arm("A", (-1e9, 2e9), lcl=(-3e9, 1e9), ucl=(1e9, 3e9))],
            ("Day 1", "Day 2"),
            dict(n_table=False),
            id="huge values",
        ),
    ],
)
def test_nothing_falls_outside_the_page(series, visits, kwargs):
    svg, png = draw(series, visits, **kwargs)
    drawn = Drawn(svg)
    for x0, y0, x1, y1, what in extents(drawn):
        assert x0 >= 0 and x1 <= drawn.width and y0 >= 0 and y1 <= drawn.height, (
            what,
            (x0, y0, x1, y1),
        )
    # the legend clear of the plot, and of the n table's labels
    legend = [b for b, t in zip(extents(drawn), drawn.texts, strict=False) if t["size"] == 8]
    assert all(y1 < drawn.y_top for _, _, _, y1, _ in legend)
    # the n table's rows a line of their 7-point text apart at least (not overprinted)
    rows = sorted({t["y"] for t in drawn.texts if t["size"] == 7 and t["anchor"] == "end"})
    assert all(b - a >= 1.2 * 7 - 0.01 for a, b in zip(rows, rows[1:], strict=False)), rows
    image = Image.open(io.BytesIO(png))
    w_in, h_in = kwargs.get("width_in", 7.0), kwargs.get("height_in", 4.4)
    assert image.size == (round(w_in * DPI), round(h_in * DPI))


def test_legend_too_wide_for_one_row_wraps_into_aligned_columns():
    series = [arm(f"Xanomeline dose level {i} (mg)", (i, -i, 2 * i, 0)) for i in range(6)]
    drawn = Drawn(draw(series, ("V1", "V2", "V3", "V4"))[0])
    legend = [t for t in drawn.texts if t["size"] == 8]
    assert [t["text"] for t in legend] == [a.legend for a in series]  # reading order
    rows = sorted({t["y"] for t in legend})
    assert len(rows) > 1
    cols = len([t for t in legend if t["y"] == rows[0]])
    for i, t in enumerate(legend):  # row by row, columns aligned
        assert t["y"] == rows[i // cols] and t["x"] == approx(legend[i % cols]["x"])


# ------------------------------------------------------------------------------- the PNG


def test_png_size_and_colours():
    series, visits = three_arms()
    _, png = draw(series, visits, separate=("End of Treatment",))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (7 * DPI, round(4.4 * DPI))
    assert image.info["dpi"] == pytest.approx((DPI, DPI), abs=0.01)
    colours = {c for _, c in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    assert {rgb(c) for c in ARM_COLOURS[:3]} <= colours
    assert rgb(ARM_COLOURS[3]) not in colours  # a fourth arm's colour: not drawn


def test_png_shows_a_point_where_the_svg_puts_it():
    series = [arm("A", (1.0, 3.0), lcl=(NAN, NAN), ucl=(NAN, NAN))]
    svg, png = draw(series, ("Week 1", "Week 2"), n_table=False)
    drawn = Drawn(svg)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    s = DPI / 72
    blue = rgb(ARM_COLOURS[0])
    for mx, my, *_ in [m for m in drawn.markers if drawn.in_plot(m[0], m[1])]:
        assert image.getpixel((int(mx * s), int(my * s))) == blue


def test_same_inputs_give_the_same_bytes_in_this_process_and_another():
    series, visits = three_arms()
    first = draw(series, visits, separate=("End of Treatment",))
    draw([arm("X", (5.0,))], ("Week 9",))  # caches filled in between
    assert draw(series, visits, separate=("End of Treatment",)) == first
    code = (
        "import sys, hashlib\n"
        "from tests.outputs.test_mean_change_render import draw, three_arms\n"
        "series, visits = three_arms()\n"
        "svg, png = draw(series, visits, separate=('End of Treatment',))\n"
        "sys.stdout.write(hashlib.sha256(svg.encode() + png).hexdigest())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout == hashlib.sha256(first[0].encode() + first[1]).hexdigest()


# ---------------------------------------------------------------------------- any series


values = st.one_of(
    st.just(NAN),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.floats(min_value=-1e-6, max_value=1e-6, allow_nan=False),
)


@st.composite
def figures(draw_):
    n_visits = draw_(st.integers(1, 15))
    n_arms = draw_(st.integers(1, 6))
    series = []
    for i in range(n_arms):
        if draw_(st.booleans()) and i == n_arms - 1:  # an arm without any value
            mean = lcl = ucl = (NAN,) * n_visits
        else:
            mean = tuple(draw_(values) for _ in range(n_visits))
            half = [draw_(st.one_of(st.just(NAN), st.floats(0, 1e6))) for _ in range(n_visits)]
            lcl = tuple(m - h for m, h in zip(mean, half, strict=True))
            ucl = tuple(m + h for m, h in zip(mean, half, strict=True))
        label = draw_(st.text(max_size=50))
        series.append(arm(label, mean, lcl, ucl, n=tuple(str(k) for k in range(n_visits))))
    names = draw_(
        st.lists(
            st.text(min_size=1, max_size=40), min_size=n_visits, max_size=n_visits, unique=True
        )
    )
    n_separate = draw_(st.integers(0, n_visits - 1))
    separate = tuple(names[n_visits - n_separate :])
    return dict(
        series=series,
        visits=tuple(names),
        separate=separate,
        n_table=draw_(st.booleans()),
        x_label=draw_(st.sampled_from(["", "Week"])),
        y_label=draw_(st.text(max_size=120)),
    )


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(figure=figures())
def test_any_series_gives_a_well_formed_svg_and_png(figure):
    svg, png = draw(**figure)
    drawn = Drawn(svg)  # parses: well-formed XML, with the plot's spines
    for element in drawn.root.iter():
        for name in ("x", "y", "width", "height", "cx", "cy", "r"):
            if element.get(name) is not None:
                assert math.isfinite(float(element.get(name).removesuffix("pt")))
        numbers = re.findall(r"[-\d.e+]+", element.get("points", "") + element.get("d", ""))
        assert all(math.isfinite(float(v)) for v in numbers), ET.tostring(element)
    finite = sum(math.isfinite(m) for a in figure["series"] for m in a.mean)
    in_plot = [m for m in drawn.markers if m[1] > drawn.y_top]
    assert len(in_plot) == finite
    assert len([t for t in drawn.texts if t["size"] == 8]) == len(figure["series"])
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.size == (7 * DPI, round(4.4 * DPI))
