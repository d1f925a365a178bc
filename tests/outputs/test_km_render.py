"""The Kaplan-Meier / cumulative-incidence figure read back from its images, checked against its
data.

The SVG is parsed (xml.etree); the mapping from data to points is taken from what the reader
sees: two x tick labels' numbers and positions for time, two y tick marks and their labels for
the curve's value. Each curve, censor mark, number at risk and legend is then checked where
that axis puts it, and every shape is checked to lie inside the figure. The PNG is decoded
(Pillow). Hypothesis throws odd curves at the drawing.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFont

from csrgen.outputs.km_plot import Curve, draw_survival_figure
from csrgen.outputs.scene import text_width

NS = "{http://www.w3.org/2000/svg}"
BLUE, VERMILLION, GREEN = "#0072B2", "#D55E00", "#009E73"
DPI = 200
W_IN, H_IN = 6.5, 4.6
X_LABEL, Y_LABEL = "Time (months)", "Survival probability"


def font(bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
    return ImageFont.truetype(str(path), 1000)


def ink(text: str, size: float, bold: bool = False) -> tuple[float, float]:
    """Height of ``text``'s ink above and below its baseline (points), from the font."""
    _, top, _, bottom = font(bold).getbbox(text, anchor="ls")
    return -top * size / 1000, bottom * size / 1000


@dataclass(frozen=True)
class Txt:
    x: float
    y: float
    anchor: str
    text: str
    size: float
    fill: str
    bold: bool
    turned: bool

    def extent(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the text's ink, its width by scene.text_width."""
        w = text_width(self.text, self.size, self.bold)
        up, down = ink(self.text, self.size, self.bold) if self.text.strip() else (0.0, 0.0)
        before = {"start": 0.0, "middle": w / 2, "end": w}[self.anchor]
        if self.turned:  # reads upwards: the glyphs stand left of the baseline
            return self.x - up, self.y - (w - before), self.x + down, self.y + before
        return self.x - before, self.y - up, self.x - before + w, self.y + down


@dataclass(frozen=True)
class Path_:
    runs: tuple[tuple[tuple[float, float], ...], ...]  # sub-paths (M ... L ...)
    stroke: str
    width: float
    dash: tuple[float, ...] | None
    cap: str | None


class Drawn:
    """The shapes of the figure's SVG, by kind, and the axes the reader sees."""

    def __init__(self, svg: str) -> None:
        self.root = ET.fromstring(svg)
        self.view = tuple(float(v) for v in self.root.get("viewBox").split())
        self.texts = [
            Txt(
                float(e.get("x")),
                float(e.get("y")),
                e.get("text-anchor"),
                e.text or "",
                float(e.get("font-size")),
                e.get("fill").upper(),
                e.get("font-weight") == "bold",
                e.get("transform") is not None,
            )
            for e in self.root.iter(f"{NS}text")
        ]
        self.paths = []
        for e in self.root.iter(f"{NS}path"):
            runs = []
            for part in re.findall(r"M[^M]+", e.get("d")):
                nums = [float(v) for v in re.findall(r"-?[\d.]+(?:e-?\d+)?", part)]
                runs.append(tuple(zip(nums[0::2], nums[1::2], strict=True)))
            dash = e.get("stroke-dasharray")
            self.paths.append(
                Path_(
                    tuple(runs),
                    e.get("stroke").upper(),
                    float(e.get("stroke-width")),
                    tuple(float(v) for v in dash.split(",")) if dash else None,
                    e.get("stroke-linecap"),
                )
            )
        self.rects = [
            tuple(float(e.get(k)) for k in ("x", "y", "width", "height"))
            for e in self.root.iter(f"{NS}rect")
        ]
        #: legend boxes: white, translucent (x0, y0, x1, y1)
        self.boxes = [
            (float(e.get("x")), float(e.get("y")))
            + (
                float(e.get("x")) + float(e.get("width")),
                float(e.get("y")) + float(e.get("height")),
            )
            for e in self.root.iter(f"{NS}rect")
            if e.get("fill-opacity") is not None
        ]
        spines = [p for p in self.paths if p.width == 0.8 and p.cap == "square"]
        (left,) = [p.runs[0] for p in spines if p.runs[0][0][0] == p.runs[0][1][0]]
        (bottom,) = [p.runs[0] for p in spines if p.runs[0][0][1] == p.runs[0][1][1]]
        self.plot = (left[0][0], left[1][1], bottom[1][0], bottom[0][1])  # x0, y0, x1, y1

    def x_ticks(self) -> list[Txt]:
        """The x axis's tick labels: the 9-point centred texts nearest below the plot."""
        below = [t for t in self.texts if t.size == 9 and t.anchor == "middle" and not t.turned]
        first = min(t.y for t in below)
        return sorted((t for t in below if t.y == first), key=lambda t: t.x)

    def y_ticks(self) -> list[tuple[Txt, float]]:
        """The y axis's tick labels, each with the y of its tick mark (3.5-point black lines
        ending at the plot's left edge), bottom to top."""
        marks = [
            p.runs[0][0][1]
            for p in self.paths
            if p.stroke == "#000000"
            and p.width == 0.8
            and p.cap == "butt"
            and p.runs[0][1][0] == self.plot[0]
            and p.runs[0][0][0] == self.plot[0] - 3.5
        ]
        out = []
        for t in (t for t in self.texts if t.size == 9 and t.anchor == "end"):
            up, down = ink(t.text, 9)
            centre = t.y - (up - down) / 2  # a label's ink is centred on its tick
            mark = min(marks, key=lambda m: abs(m - centre))
            assert abs(mark - centre) < 0.5, (t, mark)
            out.append((t, mark))
        return sorted(out, key=lambda tm: -tm[1])

    def x_of(self):
        ticks = self.x_ticks()
        (t0, a), (t1, b) = [(number(t.text), t.x) for t in (ticks[0], ticks[-1])]
        return lambda t: a + (t - t0) * (b - a) / (t1 - t0)

    def y_of(self):
        ticks = self.y_ticks()
        (v0, a), (v1, b) = [(number(t.text), y) for t, y in (ticks[0], ticks[-1])]
        return lambda v: a + (v - v0) * (b - a) / (v1 - v0)

    def curves(self) -> dict[str, list[Path_]]:
        """The curves' paths by colour (1.4 points wide, outside the legend boxes)."""
        out: dict[str, list[Path_]] = {}
        for p in self.paths:
            if p.width == 1.4 and not any(inside(p.runs[0][0], b) for b in self.boxes):
                out.setdefault(p.stroke, []).append(p)
        return out

    def marks(self) -> list[tuple[float, float, float, str]]:
        """Censor marks: (x, y, size, colour) of the two-stroke paths 0.9 wide."""
        out = []
        for p in self.paths:
            if p.width == 0.9 and len(p.runs) == 2:
                (a, b), (c, d) = p.runs
                assert a[1] == b[1] and c[0] == d[0]  # a horizontal and a vertical stroke
                out.append(((a[0] + b[0]) / 2, (c[1] + d[1]) / 2, b[0] - a[0], p.stroke))
        return out

    def risk_rows(self) -> list[list[Txt]]:
        """The numbers at risk, by row (top to bottom), each row left to right."""
        numbers = [t for t in self.texts if t.size == 8 and t.anchor == "middle"]
        rows: dict[float, list[Txt]] = {}
        for t in numbers:
            rows.setdefault(t.y, []).append(t)
        return [sorted(rows[y], key=lambda t: t.x) for y in sorted(rows)]


def number(text: str) -> float:
    return float(text.replace("\u2212", "-"))


def inside(p, box, tol: float = 1e-6) -> bool:
    return box[0] - tol <= p[0] <= box[2] + tol and box[1] - tol <= p[1] <= box[3] + tol


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def distance_to(point, run) -> float:
    """Distance from a point to a polyline."""
    best = math.inf
    (px, py) = point
    for (x0, y0), (x1, y1) in zip(run, run[1:], strict=False):
        dx, dy = x1 - x0, y1 - y0
        t = (
            0.0
            if dx == dy == 0
            else max(0, min(1, ((px - x0) * dx + (py - y0) * dy) / (dx * dx + dy * dy)))
        )
        best = min(best, math.hypot(px - x0 - t * dx, py - y0 - t * dy))
    return best


def along(run, step: float = 0.5):
    """Points every ``step`` points along a polyline, its corners included."""
    for (x0, y0), (x1, y1) in zip(run, run[1:], strict=False):
        n = max(1, math.ceil(math.hypot(x1 - x0, y1 - y0) / step))
        for i in range(n + 1):
            yield x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n


def curve(label, times, values, censored=None, start=1.0) -> Curve:
    t = np.array(times, dtype=float)
    return Curve(
        label,
        t,
        np.array(values, dtype=float),
        np.zeros(t.size, bool) if censored is None else np.array(censored, bool),
        start,
    )


def draw(curves, risk=None, ticks=(0, 3, 6, 9, 12), annotation=(), y_max=1.0, **kw):
    if risk is None:
        risk = [(c.label.split(" (")[0], [str(10 - j) for j in range(len(ticks))]) for c in curves]
    args = dict(x_label=X_LABEL, y_label=Y_LABEL, width_in=W_IN, height_in=H_IN) | kw
    return draw_survival_figure(
        "f", curves, risk, list(ticks), annotation=list(annotation), y_max=y_max, **args
    )


# ------------------------------------------------------------------------------- read back

A = curve("Drug A (N=4)", [2, 5, 7, 9], [0.8, 0.6, 0.6, 0.3], [False, False, True, False])
# the last time (14) lies beyond the last tick (12): the curve stops at the axis, no mark there
B = curve("Placebo (N=4)", [1, 4, 10, 14], [0.9, 0.7, 0.5, 0.4], [False, True, False, True])


def test_curves_pass_through_their_steps_and_stop_at_the_axis():
    svg, _ = draw([A, B])
    drawn = Drawn(svg)
    x, y = drawn.x_of(), drawn.y_of()
    # the steps by hand: each value from its time on, the start before the first time
    expected = {
        BLUE: [(0, 1), (2, 1), (2, 0.8), (5, 0.8), (5, 0.6), (9, 0.6), (9, 0.3)],
        VERMILLION: [(0, 1), (1, 1), (1, 0.9), (4, 0.9), (4, 0.7), (10, 0.7), (10, 0.5), (12, 0.5)],
    }
    paths = drawn.curves()
    assert sorted(paths) == sorted(expected)
    for colour, steps in expected.items():
        (path,) = paths[colour]  # one path: its dashes run on across the corners
        (run,) = path.runs
        want = [(x(t), y(v)) for t, v in steps]
        assert max(distance_to(p, run) for p in along(want)) < 0.01, colour
        assert max(distance_to(p, want) for p in along(run)) < 0.01, colour
    # line styles: solid (projecting caps) for the first arm, matplotlib's "--" for the second:
    # its pattern (lines.dashed_pattern 3.7, 1.6) times the 1.4-point line width
    assert paths[BLUE][0].dash is None and paths[BLUE][0].cap == "square"
    assert paths[VERMILLION][0].dash == pytest.approx((3.7 * 1.4, 1.6 * 1.4), abs=1e-3)
    assert paths[VERMILLION][0].cap == "butt"


def test_censor_marks_sit_at_their_times_and_values():
    drawn = Drawn(draw([A, B])[0])
    x, y = drawn.x_of(), drawn.y_of()
    marks = sorted(drawn.marks(), key=lambda m: m[0])
    assert [m[3] for m in marks] == [VERMILLION, BLUE]  # B's mark at 14 is off the axis
    for (mx, my, size, _), (t, v) in zip(marks, [(4, 0.7), (7, 0.6)], strict=True):
        assert (mx, my) == pytest.approx((x(t), y(v)), abs=0.01)
        assert size == pytest.approx(5.0)


def test_numbers_at_risk_sit_under_their_ticks():
    risk = [("Drug A", ["4", "3", "2", "1", "0"]), ("Placebo", ["4", "4", "3", "2", "1"])]
    drawn = Drawn(draw([A, B], risk)[0])
    ticks = drawn.x_ticks()
    assert [t.text for t in ticks] == ["0", "3", "6", "9", "12"]
    rows = drawn.risk_rows()
    assert [[t.text for t in row] for row in rows] == [r for _, r in risk]
    for row, colour in zip(rows, (BLUE, VERMILLION), strict=True):
        assert [t.x for t in row] == pytest.approx([t.x for t in ticks], abs=1e-3)
        assert {t.fill for t in row} == {colour}
    labels = sorted(
        (t for t in drawn.texts if t.size == 8 and t.anchor == "end"), key=lambda t: t.y
    )
    assert [(t.text, t.fill, t.y) for t in labels] == [
        ("Drug A", BLUE, rows[0][0].y),
        ("Placebo", VERMILLION, rows[1][0].y),
    ]
    # the labels end left of the first column's numbers, the table's title above it in bold,
    # below the x-axis label
    assert max(t.extent()[2] for t in labels) < min(t.extent()[0] for row in rows for t in row)
    (title,) = [t for t in drawn.texts if t.bold]
    assert title.text == "Number at risk" and title.x == pytest.approx(drawn.plot[0])
    (x_label,) = [t for t in drawn.texts if t.text == X_LABEL]
    assert x_label.extent()[3] < title.extent()[1] and title.extent()[3] < rows[0][0].extent()[1]


def _matplotlib_y_ticks(y_max: float) -> list[str]:
    """The labels matplotlib itself shows on a y axis from 0 to ``y_max`` with csrgen's
    locator (MaxNLocator, 5 bins, steps 1, 2, 2.5, 5, 10)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(W_IN, H_IN))
    ax = fig.add_subplot()
    ax.set_ylim(0, y_max)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    FigureCanvasAgg(fig).draw()
    return [t.label1.get_text() for t in ax.yaxis._update_ticks()]


@pytest.mark.parametrize("y_max", [1.0, 0.1, 0.15, 0.35, 0.05, 0.6, 0.45])
def test_y_tick_labels_are_those_matplotlib_chooses(y_max):
    low = curve("A (N=3)", [1, 2], [y_max / 4, y_max / 2], start=0.0)
    drawn = Drawn(draw([low], y_max=y_max)[0])
    labels = [t.text for t, _ in drawn.y_ticks()]
    assert labels == _matplotlib_y_ticks(y_max)
    # grid lines at each of them, across the plot, light grey
    grid = sorted(p.runs[0][0][1] for p in drawn.paths if p.stroke == "#DDDDDD")
    assert grid == pytest.approx(sorted(m for _, m in drawn.y_ticks()), abs=1e-3)


def boxes_of(drawn: Drawn) -> dict[str, tuple]:
    """The legend boxes by their first text."""
    out = {}
    for box in drawn.boxes:
        texts = sorted((t for t in drawn.texts if inside((t.x, t.y), box)), key=lambda t: t.y)
        out[texts[0].text] = box
        for t in texts:  # each text's ink inside its box
            x0, y0, x1, y1 = t.extent()
            assert inside((x0, y0), box, 0.01) and inside((x1, y1), box, 0.01), (t, box)
    return out


def test_legend_and_note_go_where_the_curves_are_not():
    # curves that fall: the top right and the bottom left are free (the seed's geometry)
    note = ["Hazard ratio vs Placebo (95% CI)", "Drug A: 0.63 (0.42, 0.94)", "Log-rank p = 0.021"]
    drawn = Drawn(draw([A, B], annotation=note)[0])
    x0, y0, x1, y1 = drawn.plot
    w, h = x1 - x0, y1 - y0
    boxes = boxes_of(drawn)
    legend, hr = boxes["Drug A (N=4)"], boxes[note[0]]
    # the legend in the top right corner, 2 % of the plot from its edges; the note bottom left
    assert (legend[2], legend[1]) == pytest.approx((x1 - 0.02 * w, y0 + 0.02 * h), abs=0.01)
    assert (hr[0], hr[3]) == pytest.approx((x0 + 0.02 * w, y1 - 0.02 * h), abs=0.01)
    # the legend's handles: each arm's line in its colour and style, before its text
    handles = [p for p in drawn.paths if p.width == 1.4 and inside(p.runs[0][0], legend)]
    assert [p.stroke for p in handles] == [BLUE, VERMILLION]
    assert handles[1].dash == pytest.approx((5.18, 2.24), abs=1e-3)


def test_boxes_move_away_from_high_curves():
    # curves staying near the top: the top right is covered, the bottom corners are free;
    # the legend goes bottom left (the next place tried), the note bottom right (the next)
    high = [
        curve("A (N=9)", [0.5, 11.5], [0.95, 0.92], [False, True]),
        curve("B (N=9)", [1.5, 11.0], [0.9, 0.88]),
    ]
    drawn = Drawn(draw(high, annotation=["HR 1.00 (0.50, 2.00)"])[0])
    x0, y0, x1, y1 = drawn.plot
    w, h = x1 - x0, y1 - y0
    boxes = boxes_of(drawn)
    legend, hr = boxes["A (N=9)"], boxes["HR 1.00 (0.50, 2.00)"]
    assert (legend[0], legend[3]) == pytest.approx((x0 + 0.02 * w, y1 - 0.02 * h), abs=0.01)
    assert (hr[2], hr[3]) == pytest.approx((x1 - 0.02 * w, y1 - 0.02 * h), abs=0.01)


def decorations(drawn: Drawn) -> list[tuple]:
    """The extents of the axes' texts (tick labels, axis labels) and of the risk table."""
    return [t.extent() for t in drawn.texts if not any(inside((t.x, t.y), b) for b in drawn.boxes)]


def check_inside_the_figure(drawn: Drawn) -> None:
    _, _, vw, vh = drawn.view
    frame = (0.0, 0.0, vw, vh)
    for t in drawn.texts:
        x0, y0, x1, y1 = t.extent()
        assert inside((x0, y0), frame, 0.01) and inside((x1, y1), frame, 0.01), t
    for p in drawn.paths:
        for run in p.runs:
            for q in run:
                assert inside(q, frame, p.width / 2 + 0.01), p
    for x, y, w, h in drawn.rects:
        assert inside((x, y), frame, 0.01) and inside((x + w, y + h), frame, 0.01)


def check_boxes_clear(drawn: Drawn) -> None:
    boxes = drawn.boxes
    for i, a in enumerate(boxes):
        assert inside(a[:2], drawn.plot, 0.01) and inside(a[2:], drawn.plot, 0.01), a
        assert not any(overlap(a, b) for b in boxes[i + 1 :])
        assert not any(overlap(a, d) for d in decorations(drawn)), a


LONG = "Xanomeline Transdermal Therapeutic System 81 mg with titration from 54 mg at week 2"


def test_long_arm_labels_are_cut_and_nothing_is_clipped():
    curves = [
        curve(f"{LONG} (N=84)", [2, 5, 9], [0.8, 0.5, 0.3]),
        curve("Placebo (N=86)", [3, 8], [0.9, 0.7]),
        curve(f"{LONG}, second arm (N=80)", [4, 6], [0.6, 0.4]),
    ]
    risk = [(LONG, ["84", "60", "40", "20", "9"]), ("Placebo", ["86"] * 5), (LONG, ["80"] * 5)]
    note = ["Hazard ratio vs Placebo (95% CI)", f"{LONG}: 4.15 (2.65, 6.50)", "Log-rank p <0.001"]
    svg, _ = draw(curves, risk, annotation=note)
    drawn = Drawn(svg)
    check_inside_the_figure(drawn)
    check_boxes_clear(drawn)
    labels = [t for t in drawn.texts if t.size == 8 and t.anchor == "end"]
    assert [t.text.endswith("\u2026") for t in labels] == [True, False, True]
    for t in labels:
        assert LONG.startswith(t.text.rstrip("\u2026").rstrip()) or t.text == "Placebo"
        assert t.extent()[2] - t.extent()[0] <= 0.4 * W_IN * 72 + 0.01
    # the plot starts right of the labels and of the first column's numbers
    first = [row[0] for row in drawn.risk_rows()]
    assert max(t.extent()[2] for t in labels) < min(t.extent()[0] for t in first)
    # legend and note rows cut to the plot's width
    legend_texts = [t.text for t in drawn.texts if any(inside((t.x, t.y), b) for b in drawn.boxes)]
    assert any(t.endswith("\u2026") for t in legend_texts) and "Placebo (N=86)" in legend_texts


def test_wide_tick_labels_stay_in_the_figure():
    ticks = (0, 250000, 500000, 750000)
    wide = [curve("A (N=1000000)", [100000, 600000], [0.5, 0.2])]
    risk = [("A", ["1000000", "999999", "888888", "777777"])]
    drawn = Drawn(draw(wide, risk, ticks=ticks)[0])
    check_inside_the_figure(drawn)
    assert [t.text for t in drawn.x_ticks()] == ["0", "250000", "500000", "750000"]
    x = drawn.x_of()
    (path,) = drawn.curves()[BLUE]
    assert path.runs[0][-1][0] == pytest.approx(x(600000), abs=0.01)


def test_png_has_the_size_and_the_arms_colours():
    svg, png = draw([A, B, curve("C (N=2)", [3], [0.5])], annotation=["note"])
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (round(W_IN * DPI), round(H_IN * DPI))
    colours = {c for _, c in image.convert("RGB").getcolors(maxcolors=1 << 20)}
    for hex_colour in (BLUE, VERMILLION, GREEN):
        assert tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)) in colours


def test_same_inputs_give_the_same_bytes_in_this_process_and_another():
    first = draw([A, B], annotation=["HR 0.50"])
    draw([B], annotation=["other"], ticks=(0, 5, 10))  # caches filled in between
    assert draw([A, B], annotation=["HR 0.50"]) == first
    code = (
        "import sys, hashlib\n"
        "from tests.outputs.test_km_render import A, B, draw\n"
        "svg, png = draw([A, B], annotation=['HR 0.50'])\n"
        "sys.stdout.write(hashlib.sha256(svg.encode() + png).hexdigest())\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout == hashlib.sha256(first[0].encode() + first[1]).hexdigest()


# ------------------------------------------------------------------------------- hypothesis


@st.composite
def curves_and_table(draw_):
    n = draw_(st.integers(0, 6))
    ticks = draw_(
        st.one_of(
            st.just([]),
            st.lists(st.integers(0, 120), min_size=1, max_size=10, unique=True).map(sorted),
        )
    )
    start = draw_(st.sampled_from([1.0, 0.0]))
    y_max = draw_(st.sampled_from([1.0, 0.1, 0.25, 0.5, 0.8]))
    label = st.one_of(st.text(max_size=12), st.just(LONG), st.text(min_size=40, max_size=90))
    curves, risk = [], []
    for _ in range(n):
        k = draw_(st.integers(0, 25))
        times = sorted(draw_(st.lists(st.floats(0.01, 150), min_size=k, max_size=k, unique=True)))
        values = draw_(st.lists(st.floats(0, 1), min_size=k, max_size=k))
        censored = draw_(
            st.one_of(st.just([True] * k), st.lists(st.booleans(), min_size=k, max_size=k))
        )
        curves.append(curve(draw_(label), times, values, censored, start))
        numbers = st.integers(0, 100000).map(str)
        risk.append(
            (draw_(label), draw_(st.lists(numbers, min_size=len(ticks), max_size=len(ticks))))
        )
    if not draw_(st.booleans()):
        risk = []
    note = draw_(st.lists(st.one_of(st.text(max_size=30), st.just(LONG)), max_size=n + 1))
    return curves, risk, ticks, note, y_max


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    case=curves_and_table(), labels=st.sampled_from([(X_LABEL, Y_LABEL), ("", ""), (LONG, LONG)])
)
def test_any_curves_give_a_well_formed_svg_and_png(case, labels):
    curves, risk, ticks, note, y_max = case
    svg, png = draw_survival_figure(
        "f", curves, risk, ticks, labels[0], labels[1], note, W_IN, H_IN, y_max
    )
    drawn = Drawn(svg)  # parses: well-formed XML, and has its axes
    for element in drawn.root.iter():
        numbers = [element.get(k) for k in ("x", "y", "width", "height")]
        numbers += re.findall(r"-?[\d.]+", element.get("d", ""))
        numbers = [v.removesuffix("pt") for v in numbers if v is not None]
        assert all(math.isfinite(float(v)) for v in numbers), ET.tostring(element)
    check_inside_the_figure(drawn)
    check_boxes_clear(drawn)
    assert len(drawn.boxes) == bool(curves) + bool(note)
    if ticks and risk:
        assert [[t.text for t in row] for row in drawn.risk_rows()] == [r for _, r in risk]
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.size == (round(W_IN * DPI), round(H_IN * DPI))
