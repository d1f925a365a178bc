"""The eDISH figure read back from its images and checked against its points.

The SVG is parsed (xml.etree); each panel is found by its spines, and its log-log mapping is
read off the tick labels the reader sees (numbers and positions), so each subject's marker, the
reference lines and the quadrant labels are checked where those axes put them. The PNG is
decoded with Pillow; so is the image that holds a crowded panel's points in the SVG. Hypothesis
throws odd panels at the drawing.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from csrgen.outputs.edish_plot import RASTER_POINTS, Panel, draw_edish
from tests.outputs.svg_readback import XLINK, Drawn, advance, assert_inside, log_axis

DPI = 200
BLUE, VERMILLION, GREEN = "#0072b2", "#d55e00", "#009e73"
GREY = "#555555"
NAN, INF = math.nan, math.inf
LIMITS = (0.1, 10.0)

A = Panel(
    x=(0.5, 5.0, 3.0, 0.1, 20.0, NAN, 0.0, -1.0, 1.2),
    y=(0.3, 3.0, 2.0, 10.0, 1.0, 1.0, 1.0, 2.0, INF),
    title="Placebo\n(n=9)",
    quadrants=("11", "12", "13", "14"),
)
B = Panel(x=(1.0, 8.0), y=(1.0, 0.2), title="Drug\n(n=2)", quadrants=("21", "22", "23", "24"))
C = Panel(x=(), y=(), title="Other\n(n=0)", quadrants=("0", "0", "0", "0"))
#: The points of A and B on both axes (positive, finite, within 0.1 .. 10).
SHOWN = {0: [(0.5, 0.3), (5.0, 3.0), (3.0, 2.0), (0.1, 10.0)], 1: [(1.0, 1.0), (8.0, 0.2)]}
ARGS = ("f", (A, B, C), 3.0, 2.0, LIMITS, LIMITS, 7.0, 3.6)


class Edish:
    """An eDISH SVG read back: its panels (by their spines) and their axes."""

    def __init__(self, svg: str) -> None:
        self.drawn = d = Drawn(svg)
        spines = [p for p in d.paths if p.width == 0.8 and p.stroke == "#000000"]
        lefts = [p for p in spines if _vertical(p) and _length(p) > 20]
        bottoms = [p for p in spines if not _vertical(p) and _length(p) > 5]
        self.panels = []
        for left in sorted(lefts, key=lambda p: p.points[0][0]):
            x0 = left.points[0][0]
            (bottom,) = [p for p in bottoms if p.points[0][0] == x0]
            self.panels.append(
                dict(
                    x0=x0,
                    x1=bottom.points[1][0],
                    bottom=max(q[1] for q in left.points),
                    top=min(q[1] for q in left.points),
                )
            )
        # y tick labels: end-anchored numbers left of the first panel, each beside its tick
        # (the tick nearest the middle of the label's digits)
        marks = {p.points[0][1] for p in spines if not _vertical(p) and _length(p) == 3.5}
        y_ticks = [
            (float(t.text), min(marks, key=lambda y: abs(y - (t.y - 2.8))))
            for t in d.texts
            if t.anchor == "end" and t.fill == "#000000"
        ]
        self.y = log_axis(sorted(y_ticks))
        self.x = []
        for panel in self.panels:
            ticks = sorted(
                (float(t.text), t.x)
                for t in d.texts
                if t.anchor == "middle"
                and panel["bottom"] < t.y < panel["bottom"] + 15
                and panel["x0"] - 1e-6 <= t.x <= panel["x1"] + 1e-6
            )
            self.x.append(log_axis(ticks))

    def panel_of(self, x: float) -> int:
        (i,) = [
            i for i, p in enumerate(self.panels) if p["x0"] - 4 <= x <= p["x1"] + 4
        ]  # a marker reaches a little beyond its panel's spines
        return i


def _vertical(p) -> bool:
    return p.points[0][0] == p.points[1][0]


def _length(p) -> float:
    return round(math.dist(p.points[0], p.points[1]), 3)


def test_points_reference_lines_and_quadrants_sit_where_the_axes_say():
    svg, _ = draw_edish(*ARGS)
    e = Edish(svg)
    d = e.drawn
    assert len(e.panels) == 3
    assert {(p["top"], p["bottom"]) for p in e.panels} == {
        (e.panels[0]["top"], e.panels[0]["bottom"])
    }
    for i, panel in enumerate(e.panels):  # the axes span the limits
        assert e.x[i](0.1) == pytest.approx(panel["x0"], abs=0.01)
        assert e.x[i](10.0) == pytest.approx(panel["x1"], abs=0.01)
    assert e.y(0.1) == pytest.approx(e.panels[0]["bottom"], abs=0.01)
    assert e.y(10.0) == pytest.approx(e.panels[0]["top"], abs=0.01)
    # every shown point, hollow, in its arm's colour and shape, where the axes put it
    kinds = {0: ("circle", 3), 1: ("polygon", 4)}  # o; s (a square: four corners)
    for i, colour in ((0, BLUE), (1, VERMILLION)):
        drawn = [m for m in d.markers if m.stroke == colour]
        assert all(e.panel_of(m.x) == i for m in drawn)
        assert all(m.fill == "none" and m.width == 0.8 for m in drawn)
        kind, corners = kinds[i]
        assert all(m.kind == kind for m in drawn)
        if kind == "polygon":
            assert all(len(m.points) == corners for m in drawn)
            side = drawn[0].points[1][0] - drawn[0].points[0][0]
            assert abs(side) == pytest.approx(math.sqrt(14), abs=0.01)  # s=14: sqrt(14) across
        else:
            (x0, _), (x1, _) = drawn[0].points
            assert x1 - x0 == pytest.approx(math.sqrt(14), abs=0.01)
        got = sorted((m.x, m.y) for m in drawn)
        want = sorted((e.x[i](x), e.y(y)) for x, y in SHOWN[i])
        assert np.allclose(got, want, atol=0.01), (got, want)
    assert not [m for m in d.markers if m.stroke == GREEN]  # the third panel has no point
    # dashed reference lines at ALT 3 (bottom to top) and bilirubin 2 (left to right)
    dashed = [p for p in d.paths if p.dashed]
    assert all(p.stroke == GREY for p in dashed) and len(dashed) == 6
    for i, panel in enumerate(e.panels):
        mine = [p for p in dashed if panel["x0"] - 1e-6 <= p.points[0][0] <= panel["x1"]]
        (v,) = [p for p in mine if _vertical(p)]
        (h,) = [p for p in mine if not _vertical(p)]
        assert v.points[0][0] == pytest.approx(e.x[i](3.0), abs=0.01)
        assert sorted(q[1] for q in v.points) == pytest.approx([panel["top"], panel["bottom"]])
        assert h.points[0][1] == pytest.approx(e.y(2.0), abs=0.01)
        assert sorted(q[0] for q in h.points) == pytest.approx([panel["x0"], panel["x1"]])
    # each quadrant's count, under its name, in its corner of its own panel
    names = ("Normal range", "Hyperbilirubinemia", "corollary", "Hy's law")
    for i, panel in enumerate((A, B, C)):
        xt, yb = e.x[i](3.0), e.y(2.0)
        for k, (count, name) in enumerate(zip(panel.quadrants, names, strict=True)):
            texts = [t for t in d.texts if t.fill == "#333333" and e.panel_of(t.x) == i]
            (shown,) = [t for t in texts if t.text == f"({count})" and _corner(t, xt, yb) == k]
            (above,) = [t for t in texts if t.text == name]
            assert shown.anchor == above.anchor and 6 < shown.y - above.y < 8
            # left corners start at the left, right corners end at the right
            edge = e.panels[i]["x0"] if k < 2 else e.panels[i]["x1"]
            assert abs(shown.x - edge) < 10
    # the labels' light boxes are drawn before (under) every point
    order = d.order
    last_box = max(i for i, tag in enumerate(order) if tag == "rect")
    first_point = min(i for i, tag in enumerate(order) if tag in ("circle", "polygon"))
    assert last_box < first_point
    assert all(op == pytest.approx(0.85) for *_, fill, op in d.rects[1:] if fill == "#ffffff")
    # titles in the arms' colours; the x label under each panel; the y label once, turned
    for title, colour in (("Placebo", BLUE), ("Drug", VERMILLION), ("Other", GREEN)):
        assert d.text(title).fill == colour
    assert d.text("(n=9)").fill == BLUE
    assert len([t for t in d.texts if t.text == "Peak ALT (× ULN)"]) == 3
    (y_label,) = [t for t in d.texts if t.rotated]
    assert y_label.text == "Peak total bilirubin (× ULN)"
    assert_inside(d)


def _corner(t, xt: float, yb: float) -> int:
    """The quadrant (order of QUADRANTS) a text lies in: normal, hyperbilirubinemia, Temple's
    corollary, potential Hy's law (y grows downwards)."""
    right, up = t.x > xt, t.y < yb
    return {(False, False): 0, (False, True): 1, (True, False): 2, (True, True): 3}[(right, up)]


def test_png_has_the_figures_size_and_each_arms_markers_where_the_svg_has_them():
    svg, png = draw_edish(*ARGS)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (7 * DPI, round(3.6 * DPI))
    rgb = np.asarray(image.convert("RGB"))
    s = DPI / 72
    for m in Drawn(svg).markers:
        colour = tuple(int(m.stroke[k : k + 2], 16) for k in (1, 3, 5))
        cx, cy = int(m.x * s), int(m.y * s)
        around = rgb[cy - 7 : cy + 8, cx - 7 : cx + 8].reshape(-1, 3)
        assert (around == colour).all(axis=1).any(), m  # its outline, in its colour


def crowd(n: int, seed: int, mu: float, sd: float) -> tuple[tuple[float, ...], ...]:
    """``n`` log-normal points, kept within the limits (so that all are drawn)."""
    rng = np.random.default_rng(seed)
    xy = np.clip(10 ** rng.normal(mu, sd, (2, n)), 0.11, 9.0)
    return tuple(xy[0].tolist()), tuple(xy[1].tolist())


def test_a_crowded_panel_carries_its_points_as_one_image_in_the_svg():
    x, y = crowd(RASTER_POINTS, 7, -0.3, 0.1)
    quadrants = ("1",) * 4
    crowded = Panel((*x, 5.0), (*y, 5.0), "Many", quadrants)  # one more, alone at (5, 5)
    svg, png = draw_edish("f", (crowded, B), 3.0, 2.0, LIMITS, LIMITS, 7.0, 3.6)
    e = Edish(svg)
    d = e.drawn
    assert len(svg) < 200_000  # 5001 markers as elements would be over 500 kB
    (element,) = d.images
    assert not [m for m in d.markers if m.stroke == BLUE]  # not as elements
    assert len([m for m in d.markers if m.stroke == VERMILLION]) == 2  # the other panel's
    assert d.order[-1] == "image"  # above everything else
    href = element.get(f"{XLINK}href")
    assert href.startswith("data:image/png;base64,")
    layer = Image.open(io.BytesIO(base64.b64decode(href.split(",", 1)[1]))).convert("RGBA")
    left, top = float(element.get("x")), float(element.get("y"))
    w, h = float(element.get("width")), float(element.get("height"))
    assert (w, h) == pytest.approx((layer.width * 72 / DPI, layer.height * 72 / DPI), abs=1e-3)
    assert left <= e.panels[0]["x0"] and left + w >= e.panels[0]["x1"]  # the whole plot area
    assert top <= e.panels[0]["top"] and top + h >= e.panels[0]["bottom"]
    # the layer on the figure's pixel grid: its pixel (0, 0) is the figure's (col, row)
    col, row = round(left * DPI / 72), round(top * DPI / 72)
    assert (col * 72 / DPI, row * 72 / DPI) == pytest.approx((left, top), abs=1e-3)
    alpha = np.asarray(layer)[:, :, 3]
    colours = np.asarray(layer)[:, :, :3][alpha > 0]
    assert (colours == (0, 0x72, 0xB2)).all()  # the arm's colour, its coverage as opacity
    # the lone point's marker covers the pixels it covers when drawn alone, as an element
    _, alone = draw_edish(
        "f", (Panel((5.0,), (5.0,), "Many", quadrants), B), 3.0, 2.0, LIMITS, LIMITS, 7.0, 3.6
    )
    ink = np.asarray(Image.open(io.BytesIO(alone)).convert("L")) < 255
    s = DPI / 72
    cx, cy = int(e.x[0](5.0) * s), int(e.y(5.0) * s)
    window = np.s_[cy - 8 : cy + 9, cx - 8 : cx + 9]
    layer_window = np.s_[cy - 8 - row : cy + 9 - row, cx - 8 - col : cx + 9 - col]
    assert ink[window].sum() > 20
    assert ((alpha[layer_window] > 0) == ink[window]).all()
    assert (alpha[round(e.y(5.0) * s) - row, round(e.x[0](0.15) * s) - col] == 0).all()
    # the figure's PNG has the layer composited where the SVG shows it
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert ((rgb[window] == (0, 0x72, 0xB2)).all(axis=2) == (alpha[layer_window] == 255)).all()


def test_a_crowded_panel_looks_in_the_png_as_with_its_markers_drawn_one_by_one(monkeypatch):
    x, y = crowd(RASTER_POINTS + 1, 3, 0.0, 0.3)
    args = ("f", (Panel(x, y, "Many", ("1",) * 4),), 3.0, 2.0, LIMITS, LIMITS, 7.0, 3.6)
    svg, layered = draw_edish(*args)
    assert len(Drawn(svg).images) == 1
    import csrgen.outputs.edish_plot as edish_plot

    monkeypatch.setattr(edish_plot, "RASTER_POINTS", len(x))
    svg, drawn = draw_edish(*args)
    assert Drawn(svg).images == []
    a = np.asarray(Image.open(io.BytesIO(layered)).convert("RGB")).astype(int)
    b = np.asarray(Image.open(io.BytesIO(drawn)).convert("RGB")).astype(int)
    diff = np.abs(a - b).max(axis=2)
    # the same pixels, where markers overlap blended a step of coverage (a sixteenth) apart:
    # the layer multiplies what each leaves uncovered, the palette takes the nearest blend
    assert diff.max() <= 17
    assert (diff > 0).sum() < 0.2 * (b.min(axis=2) < 255).sum()


def test_same_panels_give_the_same_bytes_in_this_process_and_another():
    first = draw_edish(*ARGS)
    draw_edish("g", (B,), 3.0, 2.0, (0.01, 100.0), LIMITS, 5.0, 3.0)  # caches filled
    assert draw_edish(*ARGS) == first
    code = (
        "import sys, hashlib\n"
        "from tests.outputs.test_edish_render import ARGS\n"
        "from csrgen.outputs.edish_plot import draw_edish\n"
        "svg, png = draw_edish(*ARGS)\n"
        "sys.stdout.write(hashlib.sha256(svg.encode() + png).hexdigest())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == hashlib.sha256(first[0].encode() + first[1]).hexdigest()


def test_wide_limits_label_every_other_decade_when_the_labels_would_collide():
    # six panels over 7 inches, 1e-4 .. 1e4: eight decades in about 50 points
    panels = tuple(Panel((1.0,), (1.0,), f"Arm {i}", ("0",) * 4) for i in range(6))
    svg, _ = draw_edish("f", panels, 3.0, 2.0, (1e-4, 1e4), LIMITS, 7.0, 3.6)
    e = Edish(svg)
    d = e.drawn
    p = e.panels[0]
    labels = sorted(
        (t.x, t.text)
        for t in d.texts
        if t.anchor == "middle" and p["bottom"] < t.y < p["bottom"] + 15 and t.x <= p["x1"] + 1
    )
    assert "1" in [s for _, s in labels] and len(labels) < 9
    for (x0, s0), (x1, s1) in zip(labels, labels[1:], strict=False):
        assert x1 - x0 > (advance(s0, 7.5) + advance(s1, 7.5)) / 2  # they do not touch
    assert_inside(d)


# ------------------------------------------------------------------------------ hypothesis

value = st.one_of(
    st.sampled_from([NAN, INF, -INF, 0.0, -2.0, 1e-12, 1e12, 3.0, 2.0]),
    st.floats(min_value=-4, max_value=4).map(lambda v: 10.0**v),
)


@st.composite
def figures(draw):
    n = draw(st.integers(1, 6))
    panels = []
    for _ in range(n):
        k = draw(st.integers(0, 30))
        panels.append(
            Panel(
                tuple(draw(value) for _ in range(k)),
                tuple(draw(value) for _ in range(k)),
                draw(st.text(max_size=60)) + f"\n(n={k})",
                tuple(draw(st.text(max_size=6)) for _ in range(4)),
            )
        )
    lo_x, lo_y = draw(st.integers(-4, -1)), draw(st.integers(-4, -1))
    hi_x, hi_y = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    xlim, ylim = (10.0**lo_x, 10.0**hi_x), (10.0**lo_y, 10.0**hi_y)
    t, b = draw(value), draw(value)
    width = draw(st.floats(5.0, 11.0))
    height = draw(st.floats(2.5, 8.0))
    return tuple(panels), t, b, xlim, ylim, width, height


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(figures())
@example(((C,), 3.0, 2.0, LIMITS, LIMITS, 2.01, 2.01))  # one empty panel, the smallest figure
# six empty panels on 5 inches over six decades: thinning left one x label (an unreadable axis)
@example(((Panel((), (), "", ("",) * 4),) * 6, 3.0, 2.0, (1e-3, 1e3), (0.1, 10.0), 5.0, 3.0))
# a point on the lower limit: its marker on the plot's edge
@example(
    ((Panel((1e-4,), (1.0,), "", ("",) * 4),) * 3, 3.0, 2.0, (1e-4, 10.0), (0.1, 10.0), 5.3, 3.0)
)
def test_any_panels_give_a_well_formed_svg_and_png_inside_the_figure(case):
    panels, t, b, xlim, ylim, width, height = case
    svg, png = draw_edish("f", panels, t, b, xlim, ylim, width, height)
    drawn = Drawn(svg)  # parses: well-formed XML
    assert_inside(drawn)
    e = Edish(svg)
    assert len(e.panels) == len(panels)
    # each panel's markers: its points on both axes, inside its plot area
    for i, panel in enumerate(panels):
        colour = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9")[i]
        mine = [m for m in drawn.markers if m.stroke == colour]
        shown = [
            (x, y)
            for x, y in zip(panel.x, panel.y, strict=True)
            if xlim[0] <= x <= xlim[1] and ylim[0] <= y <= ylim[1]
        ]
        assert len(mine) == len(shown)
        p = e.panels[i]
        for m in mine:  # the SVG's coordinates are rounded to a thousandth of a point
            assert p["x0"] - 1e-3 <= m.x <= p["x1"] + 1e-3
            assert p["top"] - 1e-3 <= m.y <= p["bottom"] + 1e-3
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.size == (round(width * DPI), round(height * DPI))
