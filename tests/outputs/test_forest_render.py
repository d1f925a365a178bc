"""The forest plot read back from its images and checked against its rows.

The SVG is parsed (xml.etree); the mapping from hazard ratio to x is read off the tick labels
the reader sees (log scale: their numbers and positions), so each estimate's marker, each
interval's line and arrows and the line at 1 are checked where that axis puts them; rows are
the label column's baselines, and every text of a row must sit on its baseline with the row's
marker centred on the line of text (the centre measured from the font's glyphs). The PNG is
decoded with Pillow. Hypothesis throws odd rows at the drawing.
"""

from __future__ import annotations

import hashlib
import io
import math
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from csrgen.outputs.forest_plot import (
    Estimate,
    ForestLayout,
    ForestRow,
    axis_limits,
    draw_forest,
    forest_height,
)
from tests.outputs.svg_readback import (
    Drawn,
    advance,
    assert_inside,
    centre_below_baseline,
    log_axis,
)

DPI = 200
FONT = 7.5
BLACK, VERMILLION, GREEN = "#000000", "#d55e00", "#009e73"
NAN, INF = math.nan, math.inf


def est(e, lo, hi, arm=1, text=None):
    return Estimate(e, lo, hi, text if text is not None else f"{e} ({lo}, {hi})", arm)


def layout(**kw) -> ForestLayout:
    base = dict(
        arm_headers=("Placebo\nEvents/n", "Drug\nEvents/n"),
        estimate_header="Hazard ratio\n(95% CI)",
        p_header="Interaction\np-value",
        x_label="Hazard ratio vs Placebo (95% CI, log scale)",
        favours=("Favours Drug", "Favours Placebo"),
    )
    return ForestLayout(**{**base, **kw})


ROWS = (
    ForestRow("All subjects", bold=True, counts=("61/111", "40/108"),
              estimates=(est(0.63, 0.42, 0.94),), summary=True),
    ForestRow("Child-Pugh class", bold=True, p_text="0.709"),
    ForestRow("Class B", indent=1, counts=("45/84", "26/76"), estimates=(est(0.59, 0.37, 0.96),)),
    # beyond the axis (0.1 to 10) on both sides: a line across it, an arrow at each end
    ForestRow("Wide", indent=1, counts=("3/9", "2/8"), estimates=(est(2.0, 0.05, 40.0),)),
    # wholly above the axis: no marker, no line, an arrow at its right end
    ForestRow("Above", indent=1, counts=("1/5", "4/6"), estimates=(est(20.0, 12.0, 30.0),)),
    ForestRow("Not estimable", indent=1, counts=("0/2", "0/3"),
              estimates=(est(NAN, NAN, NAN, text="NE"),)),
)  # fmt: skip


class Forest:
    """A forest plot's SVG read back: its axis, its rows and what sits on them."""

    def __init__(self, svg: str) -> None:
        self.drawn = d = Drawn(svg)
        # the spine: the longest horizontal black 0.8-point path
        spine = max(
            (p for p in d.paths if p.width == 0.8 and p.points[0][1] == p.points[1][1]),
            key=lambda p: abs(p.points[1][0] - p.points[0][0]),
        )
        self.axis_y = spine.points[0][1]
        self.plot = (spine.points[0][0], spine.points[1][0])
        # the line at 1 runs from the top of the plot to the spine
        (one,) = [p for p in d.paths if p.stroke == "#444444"]
        self.one = one.points[0][0]
        self.top = min(q[1] for q in one.points)
        # tick labels: under the tick marks (short vertical lines hanging from the spine)
        marks = [
            p.points[0][0]
            for p in d.paths
            if p.width == 0.8
            and p.points[0][0] == p.points[1][0]
            and min(q[1] for q in p.points) == pytest.approx(self.axis_y)
        ]
        self.ticks = [
            (float(t.text), t.x)
            for t in d.texts
            if t.anchor == "middle"
            and self.axis_y < t.y < self.axis_y + 15
            and any(abs(t.x - x) < 1e-3 for x in marks)
        ]
        self.x = log_axis(self.ticks) if len(self.ticks) > 1 else None
        # row labels: start-anchored texts left of the plot, between its top and its spine
        self.labels = [
            t
            for t in d.texts
            if t.anchor == "start" and t.x < self.plot[0] and self.top < t.y < self.axis_y
        ]

    def on(self, baseline: float):
        """The texts on a baseline."""
        return [t for t in self.drawn.texts if abs(t.y - baseline) < 1e-6]

    def centre(self, baseline: float) -> float:
        return baseline - centre_below_baseline(FONT)

    def markers_at(self, y: float, slack: float = 0.3):
        return [m for m in self.drawn.markers if abs(m.y - y) < slack]

    def lines_at(self, y: float, slack: float = 0.3):
        return [
            p
            for p in self.drawn.paths
            if p.width == 1.0 and all(abs(q[1] - y) < slack for q in p.points)
        ]


def shape_of(marker) -> str:
    """The marker's shape from its outline: a square, a diamond, a left or right arrow."""
    xs = sorted({round(p[0], 2) for p in marker.points})
    ys = sorted({round(p[1], 2) for p in marker.points})
    if len(marker.points) == 4 and len(xs) == 2 and len(ys) == 2:
        return "square"
    if len(marker.points) == 4:
        return "diamond"
    tip = [p for p in marker.points if abs(p[1] - marker.y) < 1e-3]
    assert len(marker.points) == 3 and len(tip) == 1, marker
    return "left" if tip[0][0] < marker.x else "right"


def test_markers_lines_and_texts_sit_where_the_axis_says():
    svg, _ = draw_forest("f", ROWS, layout(x_limits=(0.1, 10.0)), 6.5)
    f = Forest(svg)
    # room for 1-2-5 ticks on this axis: its ends are the limits given
    assert [t for t, _ in f.ticks] == [0.1, 0.2, 0.5, 1, 2, 5, 10]
    assert (f.x(0.1), f.x(10.0)) == pytest.approx(f.plot, abs=0.01)
    assert f.one == pytest.approx(f.x(1.0), abs=0.01)  # the line at 1 where tick "1" is
    assert [t.text for t in f.labels] == [r.label for r in ROWS]
    assert [t.bold for t in f.labels] == [r.bold for r in ROWS]
    gaps = [b.y - a.y for a, b in zip(f.labels, f.labels[1:], strict=False)]
    assert max(gaps) - min(gaps) < 1e-3  # rows evenly spaced
    for label, row in zip(f.labels, ROWS, strict=True):
        texts = [t.text for t in f.on(label.y)]
        # every text of the row on its baseline: label, counts, estimate, p-value
        expected = [row.label, *row.counts, *(e.text for e in row.estimates)]
        expected += [row.p_text] if row.p_text else []
        assert sorted(texts) == sorted(expected), row.label
        y = f.centre(label.y)
        markers, lines = f.markers_at(y), f.lines_at(y)
        if not row.estimates:
            assert markers == [] and lines == []
            continue
        (e,) = row.estimates
        shapes = sorted(shape_of(m) for m in markers)
        if row.label == "Not estimable":
            assert shapes == [] and lines == []
        elif row.label == "Wide":
            assert shapes == ["left", "right", "square"]
            (line,) = lines
            assert [q[0] for q in line.points] == pytest.approx(list(f.plot), abs=0.01)
        elif row.label == "Above":
            assert shapes == ["right"] and lines == []
        else:
            assert shapes == ["diamond" if row.summary else "square"]
            (line,) = lines
            assert [q[0] for q in line.points] == pytest.approx([f.x(e.lcl), f.x(e.ucl)], abs=0.01)
        for m in markers:
            at = {"left": f.x(0.1), "right": f.x(10.0)}.get(shape_of(m))
            assert m.x == pytest.approx(at if at is not None else f.x(e.est), abs=0.01)
            assert m.y == pytest.approx(y, abs=0.3)  # centred on the row's line of text
            assert m.fill == BLACK
    favour_left, favour_right = (
        f.drawn.text("\u2190 Favours Drug"),
        f.drawn.text("Favours Placebo \u2192"),
    )
    assert favour_left.anchor == "end" and favour_left.x == pytest.approx(f.x(1.0) - 3, abs=0.01)
    assert favour_right.anchor == "start" and favour_right.x == pytest.approx(f.x(1) + 3, abs=0.01)
    headers = [t for t in f.drawn.texts if t.bold and t.y < f.labels[0].y]
    assert {t.text for t in headers} == {
        "Subgroup", "Placebo", "Drug", "Events/n", "Hazard ratio", "(95% CI)", "Interaction",
        "p-value",
    }  # fmt: skip
    assert_inside(f.drawn)


def test_several_compared_arms_take_a_line_each_in_their_colours():
    two = (est(0.8, 0.3, 2.1, arm=1, text="a1"), est(3.0, 1.2, 7.0, arm=2, text="a2"))
    rows = (
        ForestRow("All", bold=True, counts=("1/2", "3/4", "5/6"), estimates=two, summary=True),
        ForestRow("Sex", bold=True, p_text="0.123"),
        ForestRow("Male", indent=1, counts=("1/2", "3/4", "5/6"), estimates=two),
    )
    legend = (("Low vs Placebo", 1), ("High vs Placebo", 2))
    lay = layout(arm_headers=("P", "L", "H"), legend=legend)
    svg, png = draw_forest("f", rows, lay, 7.0)
    f = Forest(svg)
    # every value (0.3 .. 7) within the 1-2-5 ticks just outside: 0.2 and 10
    assert [t for t, _ in f.ticks] == [0.2, 0.5, 1, 2, 5, 10]
    labels = [t for t in f.labels if t.text in ("All", "Sex", "Male")]
    assert [t.text for t in labels] == ["All", "Sex", "Male"]
    for label in (labels[0], labels[2]):
        # the estimate texts: on the row's line and on the one under it
        texts = [t for t in f.drawn.texts if t.text in ("a1", "a2") and t.y >= label.y - 1e-6]
        texts = sorted(texts, key=lambda t: t.y)[:2]
        assert [t.text for t in texts] == ["a1", "a2"] and texts[0].y == label.y
        for t, e, colour in zip(texts, two, (VERMILLION, GREEN), strict=True):
            assert t.fill == colour
            (m,) = f.markers_at(f.centre(t.y))
            assert m.fill == colour and m.x == pytest.approx(f.x(e.est), abs=0.01)
            (line,) = f.lines_at(f.centre(t.y))
            assert line.stroke == colour
            assert [q[0] for q in line.points] == pytest.approx([f.x(e.lcl), f.x(e.ucl)], abs=0.01)
    # the legend: each compared arm's text, beside a marker of its colour, above the plot
    for text, colour in (("Low vs Placebo", VERMILLION), ("High vs Placebo", GREEN)):
        t = f.drawn.text(text)
        near = [m for m in f.drawn.markers if abs(m.y - t.y) < 6 and 0 < t.x - m.x < 20]
        assert [m.fill for m in near] == [colour]
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = {c for _, c in image.getcolors(maxcolors=1 << 20)}
    assert {(0xD5, 0x5E, 0x00), (0x00, 0x9E, 0x73)} <= colours
    assert_inside(f.drawn)


def test_a_legend_too_wide_for_one_row_takes_two():
    arms = ("Placebo", "Drug 10 mg", "Drug 20 mg", "Drug 40 mg", "Drug 80 mg", "Drug 160 mg")
    legend = tuple((f"{a} once daily vs Placebo", i) for i, a in enumerate(arms[1:], start=1))
    five = tuple(est(1.0 + i / 10, 0.5, 2.5, arm=i, text=f"e{i}") for i in range(1, 6))
    rows = (ForestRow("All", counts=("1/2",) * 6, estimates=five, summary=True),)
    lay = layout(arm_headers=tuple(f"{a}\nEvents/n" for a in arms), legend=legend)
    f = Forest(draw_forest("f", rows, lay, 9.0)[0])
    shown = [t for t in f.drawn.texts if t.text.endswith("vs Placebo")]
    assert sorted(t.text for t in shown) == sorted(label for label, _ in legend)  # whole
    baselines = sorted({t.y for t in shown})
    assert len(baselines) == 2 and baselines[1] - baselines[0] == pytest.approx(0.2 * 72)
    assert baselines[1] < f.top  # above the plot
    one_row = layout(arm_headers=lay.arm_headers, legend=legend[:2])
    assert forest_height(rows, lay, 9.0) == pytest.approx(forest_height(rows, one_row, 9.0) + 0.2)
    assert_inside(f.drawn)


def test_an_axis_of_no_estimable_value_spans_the_ticks_either_side_of_1():
    rows = (ForestRow("All", counts=("0/1", "0/1"), estimates=(est(NAN, NAN, NAN, text="NE"),)),)
    assert axis_limits(rows) == (0.5, 2.0)
    f = Forest(draw_forest("f", rows, layout(), 6.5)[0])
    assert [t for t, _ in f.ticks] == [0.5, 1, 2]
    assert f.drawn.markers == [] and f.lines_at(f.centre(f.labels[0].y)) == []


def test_a_narrow_axis_keeps_the_decades():
    # 0.011 .. 90: the axis 0.01 .. 100, four decades on about an inch and a half: no room for
    # labels two apart in log10 (0.3 of a decade) 0.2 in from each other
    rows = (ForestRow("All", counts=("1/2", "3/4"), estimates=(est(1.5, 0.011, 90.0),)),)
    f = Forest(draw_forest("f", rows, layout(), 6.5)[0])
    assert [t for t, _ in f.ticks] == [0.01, 0.1, 1, 10, 100]
    assert (f.x(0.01), f.x(100)) == pytest.approx(f.plot, abs=0.01)


def test_a_long_label_is_cut_before_the_counts_and_a_long_heading_before_the_plot():
    long = "Geographic region of enrolment (investigator-reported, first visit)"
    rows = (
        ForestRow(long + ", by the sponsor's regions and their countries", bold=True, p_text="0.5"),
        ForestRow(long, indent=1, counts=("100/200", "3/4"), estimates=(est(1.1, 0.5, 2.0),)),
    )
    f = Forest(draw_forest("f", rows, layout(), 6.5)[0])
    heading, level = f.labels
    for shown, full in ((heading, rows[0].label), (level, long)):
        assert shown.text.endswith("\u2026") and full.startswith(shown.text[:-1].rstrip())
    count = f.drawn.text("100/200")
    level_end = level.x + advance(level.text, FONT)
    assert level_end < count.x - advance("100/200", FONT) / 2  # ends short of the counts
    heading_end = heading.x + advance(heading.text, FONT, bold=True)
    assert count.x < heading_end < f.plot[0]  # runs over the empty count columns, not the plot
    assert_inside(f.drawn)


def test_png_has_the_figures_size_and_a_marker_where_the_svg_has_it():
    lay = layout(x_limits=(0.1, 10.0))
    svg, png = draw_forest("f", ROWS, lay, 6.5)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (round(6.5 * DPI), round(forest_height(ROWS, lay, 6.5) * DPI))
    f = Forest(svg)
    s = DPI / 72
    rgb = image.convert("RGB")
    for m in f.drawn.markers:  # the middle of each marker is inked
        assert rgb.getpixel((int(m.x * s), int(m.y * s))) == (0, 0, 0), m
    # the line at 1 is drawn down the plot, in its grey
    x1 = int(f.x(1.0) * s)
    column = [rgb.getpixel((c, int((f.axis_y - 20) * s))) for c in range(x1 - 2, x1 + 3)]
    assert (0x44, 0x44, 0x44) in column


def test_same_rows_give_the_same_bytes_in_this_process_and_another():
    lay = layout(x_limits=(0.1, 10.0))
    first = draw_forest("f", ROWS, lay, 6.5)
    draw_forest("g", ROWS[:2], layout(), 5.0)  # caches filled in between
    assert draw_forest("f", ROWS, lay, 6.5) == first
    code = (
        "import sys, hashlib\n"
        "from tests.outputs.test_forest_render import ROWS, layout\n"
        "from csrgen.outputs.forest_plot import draw_forest\n"
        "svg, png = draw_forest('f', ROWS, layout(x_limits=(0.1, 10.0)), 6.5)\n"
        "sys.stdout.write(hashlib.sha256(svg.encode() + png).hexdigest())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == hashlib.sha256(first[0].encode() + first[1]).hexdigest()


# ------------------------------------------------------------------------------ hypothesis

value = st.one_of(
    st.sampled_from([NAN, INF, -INF, 0.0, -1.0, 1.0, 1e-9, 1e9]),
    st.floats(min_value=-3, max_value=3).map(lambda v: 10.0**v),
)
text = st.text(max_size=70)


@st.composite
def forests(draw):
    n_arms = draw(st.integers(1, 6))
    n_compared = draw(st.integers(1, max(1, n_arms - 1)))
    arms = tuple(draw(st.text(max_size=30)) + "\nEvents/n" for _ in range(n_arms))

    def row():
        heading = draw(st.booleans())
        estimates = ()
        if not heading:
            estimates = tuple(
                Estimate(draw(value), draw(value), draw(value), draw(text), draw(st.integers(0, 9)))
                for _ in range(n_compared)
            )
        return ForestRow(
            draw(text),
            indent=draw(st.integers(0, 2)),
            bold=heading,
            counts=() if heading else tuple(draw(st.text(max_size=12)) for _ in range(n_arms)),
            estimates=estimates,
            p_text=draw(st.text(max_size=8)) if heading else "",
            summary=draw(st.booleans()),
        )

    rows = tuple(row() for _ in range(draw(st.integers(1, 40))))
    limits = draw(
        st.one_of(
            st.none(),
            st.tuples(st.floats(0.001, 0.99), st.floats(1.01, 1000.0)),
        )
    )
    lay = layout(
        arm_headers=arms,
        x_label=draw(text),
        favours=(draw(text), draw(text)),
        legend=tuple((draw(text), i) for i in range(n_compared)) if n_compared > 1 else (),
        x_limits=limits,
    )
    return rows, lay, draw(st.floats(4.01, 10.0))


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(forests())
@example(
    (
        (ForestRow("only", counts=("1/1",), estimates=(est(1.0, 1.0, 1.0),)),),
        layout(arm_headers=("A\nEvents/n",)),
        4.01,
    )
)
def test_any_rows_give_a_well_formed_svg_and_png_inside_the_figure(case):
    rows, lay, width = case
    svg, png = draw_forest("f", rows, lay, width)
    drawn = Drawn(svg)  # parses: well-formed XML
    assert_inside(drawn)
    # an estimate's shapes stay within the plot (the spine's extent)
    f = Forest(svg)
    for m in drawn.markers:
        if m.y > f.top:  # not the legend's
            assert f.plot[0] - 1e-6 <= m.x <= f.plot[1] + 1e-6
            assert m.y < f.axis_y
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.size == (round(width * DPI), round(forest_height(rows, lay, width) * DPI))
