"""The narrative's timeline read back from its images and checked against its data.

The SVG is parsed (xml.etree); the mapping from study day to x is taken from the tick labels
the SVG shows (two labels' numbers and positions, a straight line through them), so each bar,
dot and death marker is checked where the axis the reader sees puts it. The PNG is decoded
(Pillow) and looked at pixel by pixel. Hypothesis throws odd event lists at the drawing.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFont

from csrgen.outputs.narrative_plot import TimelineEvent, draw_timeline

NS = "{http://www.w3.org/2000/svg}"
SERIOUS = (0xD5, 0x5E, 0x00)
NON_SERIOUS = (0x00, 0x72, 0xB2)
GREY = (0xBB, 0xBB, 0xBB)
DPI = 200
#: The figure's fixed margins (inches): the plot area is what they leave.
LEFT_IN, RIGHT_IN, TOP_IN, BOTTOM_IN = 1.75, 0.15, 0.4, 0.5
WIDTH_IN = 6.3


def hexa(rgb: tuple[int, int, int]) -> str:
    return "#" + "".join(f"{v:02X}" for v in rgb)


def ev(label, start, end, serious=False):
    return TimelineEvent(label, start, end, serious)


def height_in(n_events: int) -> float:
    return 0.9 + 0.22 * (1 + n_events)


class Drawn:
    """The shapes of a timeline's SVG, by kind."""

    def __init__(self, svg: str) -> None:
        self.root = ET.fromstring(svg)
        self.rects = [
            (
                float(e.get("x")),
                float(e.get("y")),
                float(e.get("width")),
                float(e.get("height")),
                e.get("fill").upper(),
            )
            for e in self.root.iter(f"{NS}rect")
        ]
        self.circles = [
            (float(e.get("cx")), float(e.get("cy")), e.get("fill").upper())
            for e in self.root.iter(f"{NS}circle")
        ]
        self.texts = [
            (float(e.get("x")), float(e.get("y")), e.get("text-anchor"), e.text or "")
            for e in self.root.iter(f"{NS}text")
        ]
        self.polygons = [
            [tuple(map(float, p.split(","))) for p in e.get("points").split()]
            for e in self.root.iter(f"{NS}polygon")
        ]
        self.dashed = [
            [float(v) for v in e.get("d").replace("M", "").replace("L", "").split()]
            for e in self.root.iter(f"{NS}path")
            if e.get("stroke-dasharray")
        ]

    def row_labels(self) -> list[tuple[float, str]]:
        """The y axis's labels (right-aligned text), top to bottom, with their baselines."""
        return sorted((y, t) for x, y, a, t in self.texts if a == "end" and x < LEFT_IN * 72)

    def day_to_x(self):
        """The mapping from study day to x read off the x axis's tick labels."""
        ticks = [
            (float(t.replace("\u2212", "-")), x)
            for x, y, a, t in self.texts
            if a == "middle" and not t.startswith("Study day")
        ]
        assert len(ticks) >= 2, ticks
        (d0, x0), (d1, x1) = ticks[0], ticks[-1]
        return lambda day: x0 + (day - d0) * (x1 - x0) / (d1 - d0)


def row_of(drawn: Drawn, y_centre: float) -> int:
    """The row whose label sits beside a shape centred at ``y_centre``: a 9-point label's
    baseline is a little below the row's centre (its letters are centred on it)."""
    rows = drawn.row_labels()
    best = min(range(len(rows)), key=lambda i: abs(rows[i][0] - 3.4 - y_centre))
    assert abs(rows[best][0] - 3.4 - y_centre) < 1.0, (rows, y_centre)
    return best


def plot_rects(drawn: Drawn) -> list:
    """The rectangles inside the plot area (not the background, not the legend's)."""
    return [r for r in drawn.rects if r[0] >= LEFT_IN * 72 - 1e-6 and r[1] > TOP_IN * 72 - 1e-6]


def test_bars_dots_and_death_sit_where_the_axis_says():
    events = (
        ev("Hyponatraemia", 26.0, 59.0),
        ev("Ascites", 30.0, 59.0, serious=True),
        ev("Urinary tract infection", 271.0, 276.0),
        ev("Fall", 300.0, None, serious=True),  # no end: a dot
        ev("Headache", None, 12.0),  # no onset: nothing drawn
    )
    svg, _ = draw_timeline("t", (1.0, 336.0), events, 2532.0)
    drawn = Drawn(svg)
    x = drawn.day_to_x()
    # the axis spans the days 1..2532 padded by 3 % of their range on each side
    pad = (2532 - 1) * 0.03
    assert x(1 - pad) == pytest.approx(LEFT_IN * 72, abs=0.01)
    assert x(2532 + pad) == pytest.approx((WIDTH_IN - RIGHT_IN) * 72, abs=0.01)
    assert [t for _, t in drawn.row_labels()] == ["Treatment"] + [e.label for e in events]
    bars = {row_of(drawn, y + h / 2): (bx, bx + w, fill) for bx, y, w, h, fill in plot_rects(drawn)}
    assert sorted(bars) == [0, 1, 2, 3]
    assert bars[0][:2] == pytest.approx((x(1), x(336)), abs=0.01)
    assert bars[0][2] == hexa(GREY)
    for row, e in enumerate(events[:3], start=1):
        assert bars[row][:2] == pytest.approx((x(e.start), x(e.end)), abs=0.01), e
        assert bars[row][2] == hexa(SERIOUS if e.serious else NON_SERIOUS), e
    dots = {row_of(drawn, cy): (cx, fill) for cx, cy, fill in drawn.circles}
    assert list(dots) == [4]
    assert dots[4][0] == pytest.approx(x(300), abs=0.01)
    assert dots[4][1] == hexa(SERIOUS)
    # death: a dashed line across the plot and a cross on the treatment row, at day 2532
    line = [d for d in drawn.dashed if d[1] != d[3]]
    assert len(line) == 1 and line[0][0] == line[0][2] == pytest.approx(x(2532), abs=0.01)
    crosses = [p for p in drawn.polygons if min(q[1] for q in p) > TOP_IN * 72]
    assert len(crosses) == 1
    xs, ys = [q[0] for q in crosses[0]], [q[1] for q in crosses[0]]
    assert (min(xs) + max(xs)) / 2 == pytest.approx(x(2532), abs=0.01)
    assert row_of(drawn, (min(ys) + max(ys)) / 2) == 0
    legend = [t for x_, y, a, t in drawn.texts if a == "start"]
    assert legend == ["Treatment", "Serious AE", "Non-serious AE", "Death"]


def test_ticks_are_matplotlibs_for_a_four_week_treatment():
    # days 1..28 padded by a day: 0..29; nine bins at most of a step 1, 2, 2.5 or 5 times a
    # power of ten: 29 / 9 = 3.2 -> 5; so 0, 5, ..., 25 (30 is beyond the axis)
    svg, _ = draw_timeline("t", (1.0, 28.0), (ev("Rash", 3.0, 26.0),), None)
    ticks = [t for _, _, a, t in Drawn(svg).texts if a == "middle" and not t.startswith("Study")]
    assert ticks == ["0", "5", "10", "15", "20", "25"]


def test_negative_days_show_a_minus_sign_and_keep_their_place():
    svg, _ = draw_timeline("t", (1.0, 10.0), (ev("Before dosing", -20.0, -5.0),), None)
    drawn = Drawn(svg)
    ticks = [t for _, _, a, t in drawn.texts if a == "middle" and not t.startswith("Study")]
    assert ticks == ["\u221220", "\u221215", "\u221210", "\u22125", "0", "5", "10"]
    x = drawn.day_to_x()
    bars = {row_of(drawn, y + h / 2): (bx, bx + w) for bx, y, w, h, _ in plot_rects(drawn)}
    assert bars[1] == pytest.approx((x(-20), x(-5)), abs=0.01)


def test_a_death_alone_on_a_one_day_axis():
    # one day (5) padded by a day each side: 4..6, ticks every quarter day
    svg, png = draw_timeline("t", (None, None), (), 5.0)
    drawn = Drawn(svg)
    assert [t for _, t in drawn.row_labels()] == ["Treatment"]
    assert plot_rects(drawn) == []
    x = drawn.day_to_x()
    assert x(5) == pytest.approx((LEFT_IN * 72 + (WIDTH_IN - RIGHT_IN) * 72) / 2, abs=0.01)
    line = [d for d in drawn.dashed if d[1] != d[3]]
    assert line[0][0] == pytest.approx(x(5), abs=0.01)
    assert Image.open(io.BytesIO(png)).size == (round(WIDTH_IN * DPI), round(height_in(0) * DPI))


def test_no_events_and_no_death():
    svg, _ = draw_timeline("t", (1.0, None), (), None)
    drawn = Drawn(svg)
    assert [t for _, t in drawn.row_labels()] == ["Treatment"]
    assert [t for _, _, a, t in drawn.texts if a == "start"] == [
        "Treatment",
        "Serious AE",
        "Non-serious AE",
    ]
    assert drawn.dashed == [] and drawn.circles == []
    # a treatment without an end: a half-day stub from day 1
    x = drawn.day_to_x()
    (bar,) = plot_rects(drawn)
    assert (bar[0], bar[0] + bar[2]) == pytest.approx((x(1), x(1.5)), abs=0.01)


def _font_width(text: str, points: float) -> float:
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return ImageFont.truetype(str(path), 1000).getlength(text) * points / 1000


def test_long_labels_are_cut_to_the_label_column():
    long = "W" * 40
    upper = "ATRIOVENTRICULAR BLOCK SECOND DEGREE"
    svg, png = draw_timeline(
        "t", (1.0, 9.0), (ev(long, 2.0, 3.0), ev(upper, 4.0, None), ev("Fall", 5.0, 6.0)), None
    )
    labels = [t for _, t in Drawn(svg).row_labels()]
    assert labels[0] == "Treatment" and labels[3] == "Fall"
    for shown, full in zip(labels[1:3], (long, upper), strict=True):
        assert shown.endswith("\u2026") and full.startswith(shown[:-1].rstrip())
        # right-aligned at 7 points left of the plot (1.75 in): its start stays in the figure
        assert _font_width(shown, 9) <= LEFT_IN * 72 - 7 + 0.5, shown
    # nothing is cut off at the left edge of the PNG: its first columns are white
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert all(
        image.getpixel((c, r)) == (255, 255, 255) for c in range(2) for r in range(image.height)
    )


def _plot_area(image: Image.Image, n_events: int) -> Image.Image:
    s = DPI / 72
    height = height_in(n_events) * 72
    box = (
        round(LEFT_IN * 72 * s) + 3,
        round(TOP_IN * 72 * s),
        round((WIDTH_IN - RIGHT_IN) * 72 * s),
        round((height - BOTTOM_IN * 72) * s) - 3,
    )
    return image.crop(box)


def test_png_has_the_size_and_colours_of_its_data():
    events = (ev("Ascites", 30.0, 59.0, serious=True), ev("Nausea", 10.0, 80.0))
    svg, png = draw_timeline("t", (1.0, 100.0), events, None)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (round(WIDTH_IN * DPI), round(height_in(2) * DPI))
    plot = _plot_area(image.convert("RGB"), 2)
    colours = {c for _, c in plot.getcolors(maxcolors=1 << 16)}
    assert {SERIOUS, NON_SERIOUS, GREY} <= colours
    # the serious bar on the row of its label, from day 30 to day 59
    drawn = Drawn(svg)
    x = drawn.day_to_x()
    s = DPI / 72
    row_y = round((drawn.row_labels()[1][0] - 3.4) * s)
    full = image.convert("RGB")
    serious = [c for c in range(full.width) if full.getpixel((c, row_y)) == SERIOUS]
    assert serious[0] == pytest.approx(x(30) * s, abs=1.5)
    assert serious[-1] + 1 == pytest.approx(x(59) * s, abs=1.5)


def test_png_without_a_serious_event_has_no_serious_colour_in_the_plot():
    svg, png = draw_timeline(
        "t", (1.0, 100.0), (ev("Nausea", 10.0, 80.0), ev("Cough", 20.0, None)), None
    )
    plot = _plot_area(Image.open(io.BytesIO(png)).convert("RGB"), 2)
    colours = {c for _, c in plot.getcolors(maxcolors=1 << 16)}
    assert SERIOUS not in colours and NON_SERIOUS in colours


def test_same_inputs_give_the_same_bytes_in_this_process_and_another():
    args = ("t", (1.0, 50.0), (ev("Pyrexia", 3.0, 9.0, True), ev("Rash \u00e9", 12.0, None)), 60.0)
    first = draw_timeline(*args)
    draw_timeline("u", (1.0, 5.0), (ev("Other", 2.0, 3.0),), None)  # caches filled in between
    assert draw_timeline(*args) == first
    code = (
        "import sys, hashlib\n"
        "from csrgen.outputs.narrative_plot import TimelineEvent as E, draw_timeline\n"
        "svg, png = draw_timeline('t', (1.0, 50.0), (E('Pyrexia', 3.0, 9.0, True), "
        "E('Rash \\u00e9', 12.0, None, False)), 60.0)\n"
        "sys.stdout.write(hashlib.sha256(svg.encode() + png).hexdigest())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == hashlib.sha256(first[0].encode() + first[1]).hexdigest()


days = st.one_of(
    st.none(),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.integers(min_value=-400, max_value=4000).map(float),
)
events = st.lists(
    st.builds(TimelineEvent, st.text(max_size=60), days, days, st.booleans()), max_size=40
)


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(treatment=st.tuples(days, days), events=events, death=days)
@example(
    treatment=(None, None),
    events=[
        TimelineEvent(
            "line\nbreak\x00 <&> \ud800 \u0645\u0631\u062d\u0628\u0627 \U0001f600", 1.0, 1e9, True
        )
    ],
    death=-1e9,
)
def test_any_event_list_gives_a_well_formed_svg_and_png(treatment, events, death):
    svg, png = draw_timeline("fig-1", treatment, events, death)
    drawn = Drawn(svg)  # parses: well-formed XML
    assert drawn.root.tag == f"{NS}svg"
    for element in drawn.root.iter():
        for name in ("x", "y", "width", "height", "cx", "cy", "r"):
            if element.get(name) is not None:
                value = element.get(name).removesuffix("pt")
                assert math.isfinite(float(value)), ET.tostring(element)
        numbers = re.findall(r"[-\d.e+]+", element.get("points", "") + element.get("d", ""))
        assert all(math.isfinite(float(v)) for v in numbers), ET.tostring(element)
    assert len(drawn.row_labels()) == 1 + len(events)
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.size == (round(WIDTH_IN * DPI), round(height_in(len(events)) * DPI))


def _matplotlib_ticks(lo: float, hi: float) -> tuple[list[str], str]:
    """The tick labels and offset text matplotlib itself shows on an x axis from ``lo`` to
    ``hi`` of the timeline's width and margins (csrgen's 9-point style)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"font.size": 9, "font.family": "DejaVu Sans"}):
        fig = Figure(figsize=(WIDTH_IN, 2.0))
        fig.subplots_adjust(left=LEFT_IN / WIDTH_IN, right=1 - RIGHT_IN / WIDTH_IN)
        ax = fig.add_subplot()
        ax.set_xlim(lo, hi)
        FigureCanvasAgg(fig).draw()
        labels = [t.label1.get_text() for t in ax.xaxis._update_ticks()]
        return labels, ax.xaxis.get_offset_text().get_text()


@pytest.mark.parametrize(
    ("treatment", "events", "death"),
    [
        ((1.0, 336.0), (ev("A", 26.0, 59.0),), 2532.0),
        ((None, None), (), 5.0),
        ((1.0, 10.0), (ev("B", -400.0, -5.0),), None),
        ((1.0, None), (ev("C", 1_000_000.0, 1_000_003.0),), None),
        ((1.0, 2e8), (ev("D", -3e8, 5.0),), None),
        ((None, None), (ev("E", 1_000_000.0, 1_000_003.0),), None),  # offset +1e6
    ],
)
def test_tick_labels_and_offset_are_those_matplotlib_shows(treatment, events, death):
    svg, _ = draw_timeline("t", treatment, events, death)
    drawn = Drawn(svg)
    ticks = [t for _, _, a, t in drawn.texts if a == "middle" and not t.startswith("Study")]
    offset = [t for x, _, a, t in drawn.texts if a == "end" and x > LEFT_IN * 72]
    days = [d for d in (*treatment, death) if d is not None]
    days += [d for e in events for d in (e.start, e.end) if d is not None]
    pad = max(1.0, (max(days) - min(days)) * 0.03)
    labels, offset_text = _matplotlib_ticks(min(days) - pad, max(days) + pad)
    assert ticks == labels
    assert offset == ([offset_text] if offset_text else [])
