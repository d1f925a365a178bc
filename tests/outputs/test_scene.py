"""The lay-out-once renderer's primitives (csrgen.outputs.scene), read back from their images.

Each check is geometry done by hand: a text turned a quarter-turn must put its ink where the
upright text's ink lands after the same turn about the anchor point, in the PNG (decoded with
Pillow) and in the SVG (the transform read back from the element).
"""

from __future__ import annotations

import io
import math
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from csrgen.outputs.scene import (
    Marker,
    Polyline,
    Rect,
    Scene,
    Text,
    dashes,
    png,
    svg,
    text_width,
)

DPI = 200
NS = "{http://www.w3.org/2000/svg}"


def ink_box(scene: Scene) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the non-white pixels, ends excluded."""
    image = np.asarray(Image.open(io.BytesIO(png(scene, DPI))).convert("L"))
    ys, xs = np.nonzero(image < 255)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


@settings(max_examples=25, deadline=None)
@given(
    text=st.text(alphabet="AgjMWy(95% CI)/L", min_size=1, max_size=24).filter(str.strip),
    anchor=st.sampled_from(["start", "middle", "end"]),
    size=st.sampled_from([7.0, 9.0, 11.0]),
)
def test_a_turned_text_is_the_upright_text_turned_about_its_anchor(text, anchor, size):
    # the anchor sits on a whole pixel, far enough from every edge for the longest text
    ax, ay = 600, 600
    x, y = ax * 72 / DPI, ay * 72 / DPI
    page = dict(width=1200 * 72 / DPI, height=1200 * 72 / DPI)
    upright = ink_box(Scene(**page, shapes=(Text(x, y, text, size, anchor),)))
    turned = ink_box(Scene(**page, shapes=(Text(x, y, text, size, anchor, rotation=90),)))
    # counter-clockwise with y down: the offset (dx, dy) from the anchor becomes (dy, -dx)
    ux0, uy0, ux1, uy1 = (v - a for v, a in zip(upright, (ax, ay, ax, ay), strict=True))
    expected = (ax + uy0, ay - ux1, ax + uy1, ay - ux0)
    assert turned == expected


def test_a_turned_text_reads_upwards_in_the_svg():
    scene = Scene(100, 200, (Text(20, 150, "Week", 9, "middle", rotation=90),))
    (element,) = ET.fromstring(svg(scene)).iter(f"{NS}text")
    assert element.get("transform") == "rotate(-90 20 150)"
    assert (element.get("x"), element.get("y"), element.text) == ("20", "150", "Week")
    upright = Scene(100, 200, (Text(20, 150, "Week", 9, "middle"),))
    (plain,) = ET.fromstring(svg(upright)).iter(f"{NS}text")
    assert plain.get("transform") is None


def test_a_text_turned_another_way_is_refused():
    with pytest.raises(ValueError, match="0 or 90"):
        png(Scene(100, 100, (Text(10, 50, "x", 9, rotation=45),)), DPI)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------ polylines


def test_dashes_run_on_across_a_corner():
    path = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0))
    # on 0-3, off 3-5, on 5-8, off 8-10, on 10-13 (from the corner), off, on 15-18, off 18-20
    assert dashes(path, (3.0, 2.0)) == [
        [(0.0, 0.0), (3.0, 0.0)],
        [(5.0, 0.0), (8.0, 0.0)],
        [(10.0, 0.0), (10.0, 3.0)],
        [(10.0, 5.0), (10.0, 8.0)],
    ]
    # on 0-7, off 7-8, on 8-15 turns the corner, off 15-16, on 16-20
    assert dashes(path, (7.0, 1.0)) == [
        [(0.0, 0.0), (7.0, 0.0)],
        [(8.0, 0.0), (10.0, 0.0), (10.0, 5.0)],
        [(10.0, 6.0), (10.0, 10.0)],
    ]


def on_length(total: float, pattern: tuple[float, ...]) -> float:
    """Length of the "on" parts of ``pattern`` repeated over [0, total], by hand."""
    out, pos, i = 0.0, 0.0, 0
    while pos < total:
        step = pattern[i % len(pattern)]
        if i % 2 == 0:
            out += min(step, total - pos)
        pos += step
        i += 1
    return out


coordinate = st.integers(-40, 40).map(float)


@settings(max_examples=60, deadline=None)
@given(
    points=st.lists(st.tuples(coordinate, coordinate), min_size=2, max_size=8),
    pattern=st.lists(st.integers(1, 9).map(float), min_size=1, max_size=3).map(
        lambda p: tuple(p + p) if len(p) % 2 else tuple(p)
    ),
)
def test_dashes_cover_the_on_parts_of_the_path(points, pattern):
    path = tuple(points)
    total = sum(math.dist(a, b) for a, b in zip(path, path[1:], strict=False))
    pieces = dashes(path, pattern)
    drawn = sum(math.dist(a, b) for p in pieces for a, b in zip(p, p[1:], strict=False))
    assert drawn == pytest.approx(on_length(total, pattern), abs=1e-6)


def test_a_polyline_in_the_svg_is_one_path_with_its_pattern():
    line = Polyline(((10, 20), (30.5, 20), (30.5, 5)), 1.4, "#0072B2", (5.18, 2.24), "butt")
    (path,) = ET.fromstring(svg(Scene(50, 50, (line,)))).iter(f"{NS}path")
    assert path.get("d") == "M 10 20 L 30.5 20 L 30.5 5"
    assert path.get("stroke-dasharray") == "5.18,2.24"
    assert (path.get("stroke"), path.get("stroke-width")) == ("#0072B2", "1.4")
    assert path.get("stroke-linejoin") == "round"


@pytest.mark.parametrize(
    "bad",
    [
        Polyline(((0, 0),), 1),
        Polyline(((0, 0), (1, math.nan)), 1),
        Polyline(((0, 0), (1, 1)), 1, dash=(2.0,)),
        Polyline(((0, 0), (1, 1)), 1, dash=(0.0, 0.0)),
    ],
)
def test_a_polyline_that_cannot_be_drawn_is_refused(bad):
    with pytest.raises(ValueError):
        svg(Scene(10, 10, (bad,)))
    with pytest.raises(ValueError):
        png(Scene(10, 10, (bad,)), DPI)


def pixels(scene: Scene) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png(scene, DPI))).convert("RGB")).astype(int)


def test_a_step_path_is_drawn_on_whole_pixels_with_its_corners_filled():
    # 36 pt = 100 px; a 0.72-pt line is 2 px wide, centred on the points
    pt = 72 / DPI
    step = Polyline(((50 * pt, 50 * pt), (150 * pt, 50 * pt), (150 * pt, 120 * pt)), 2 * pt)
    image = pixels(Scene(200 * pt, 200 * pt, (step,)))
    grey = image.sum(axis=2) // 3
    assert set(np.unique(grey)) == {0, 255}  # no blended pixel: snapped
    ink = grey == 0
    assert ink[49:51, 50:151].all() and ink[49:120, 149:151].all()  # the corner included
    assert not ink[:49].any() and not ink[51:, :149].any() and not ink[:, 151:].any()
    assert not ink[:, :50].any() and not ink[120:].any()  # butt ends


@settings(max_examples=25, deadline=None)
@given(
    a=st.tuples(st.integers(20, 180), st.integers(20, 180)),
    b=st.tuples(st.integers(20, 180), st.integers(20, 180)),
    width_px=st.integers(1, 8),
)
def test_a_slanted_line_inks_its_centre_and_nothing_far_from_it(a, b, width_px):
    if a[0] == b[0] or a[1] == b[1]:
        return  # straight lines are the step case's
    pt = 72 / DPI
    line = Polyline(((a[0] * pt, a[1] * pt), (b[0] * pt, b[1] * pt)), width_px * pt)
    ink = pixels(Scene(200 * pt, 200 * pt, (line,))).sum(axis=2) < 3 * 255
    mid = ((a[0] + b[0]) // 2, (a[1] + b[1]) // 2)
    assert ink[mid[1] - 1 : mid[1] + 2, mid[0] - 1 : mid[0] + 2].any()
    ys, xs = np.nonzero(ink)
    # distance of each inked pixel's centre from the segment, by hand
    p = np.column_stack([xs + 0.5, ys + 0.5]) - a
    d = np.subtract(b, a)
    t = np.clip(p @ d / (d @ d), 0, 1)
    dist = np.hypot(*(p - np.outer(t, d)).T)
    assert dist.max() <= width_px / 2 + 1.5


# -------------------------------------------------------------------------------- markers


@pytest.mark.parametrize(
    ("shape", "across"),
    [("s", 1.0), ("^", 1.0), ("v", 1.0), ("<", 1.0), ("D", math.sqrt(2)), ("o", 1.0)],
)
def test_a_marker_is_its_size_across_plus_its_edge(shape, across):
    # matplotlib's sizes: a square's side, a triangle's base and height, a diamond's
    # diagonal (sqrt 2 x size), a disc's diameter; the 1-point edge straddles the outline
    pt = 72 / DPI
    x0, y0, x1, y1 = ink_box(
        Scene(100 * pt, 100 * pt, (Marker(50 * pt, 50 * pt, shape, 9, "#000000"),))
    )
    want = (9 * across + 1) / pt
    assert abs((x1 - x0) - want) <= 2 and abs((y1 - y0) - want) <= 2


def test_triangles_point_where_their_names_say():
    pt = 72 / DPI

    def heavy_side(shape: str) -> str:
        """Where the triangle's base is: its ink's centroid sits a third of the way from the
        base to the tip, off the centre of its box towards the base."""
        scene = Scene(100 * pt, 100 * pt, (Marker(50 * pt, 50 * pt, shape, 20, "#000000"),))
        ink = pixels(scene).sum(axis=2) < 3 * 128
        ys, xs = np.nonzero(ink)
        dx = xs.mean() - (xs.min() + xs.max()) / 2
        dy = ys.mean() - (ys.min() + ys.max()) / 2
        if abs(dy) > abs(dx):
            return "bottom" if dy > 0 else "top"
        return "right" if dx > 0 else "left"

    assert heavy_side("^") == "bottom"  # points up
    assert heavy_side("v") == "top"
    assert heavy_side("<") == "right"
    assert heavy_side(">") == "left"


def test_a_plus_is_two_strokes_of_its_edge_width():
    pt = 72 / DPI
    scene = Scene(100 * pt, 100 * pt, (Marker(50 * pt, 50 * pt, "+", 36, "#000000", edge=3.6),))
    ink = pixels(scene).sum(axis=2) < 3 * 128
    assert ink.sum(axis=1).max() == pytest.approx(100, abs=2)  # 36 pt across
    assert ink[50].sum() == pytest.approx(100, abs=2) and ink[:, 50].sum() == pytest.approx(
        100, abs=2
    )
    assert ink[20].sum() == pytest.approx(10, abs=2)  # 3.6 pt wide strokes
    assert not ink[20, :40].any() and not ink[:40, 20].any()  # empty corners
    (path,) = ET.fromstring(svg(scene)).iter(f"{NS}path")
    assert path.get("stroke-width") == "3.6" and path.get("fill") == "none"


# ------------------------------------------------------------------ colours, boxes, bold


def test_many_colours_are_drawn_in_rgb_exactly():
    pt = 72 / DPI
    colours = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#888888"]
    rects = tuple(Rect(i * 20 * pt, 0, 20 * pt, 20 * pt, c) for i, c in enumerate(colours))
    image = Image.open(io.BytesIO(png(Scene(160 * pt, 20 * pt, rects), DPI)))
    assert image.mode == "RGB"  # eight colours with white: too many for a palette
    for i, c in enumerate(colours):
        assert image.getpixel((i * 20 + 10, 10)) == tuple(int(c[k : k + 2], 16) for k in (1, 3, 5))
    few = Image.open(io.BytesIO(png(Scene(160 * pt, 20 * pt, rects[:3]), DPI)))
    assert few.mode == "P"
    assert few.convert("RGB").getpixel((50, 10)) == image.getpixel((50, 10))


@pytest.mark.parametrize("extra", [0, 6])
def test_a_translucent_box_lets_what_is_under_it_show(extra):
    pt = 72 / DPI
    others = tuple(Rect(0, 0, pt, pt, f"#1{k}1{k}1{k}") for k in range(extra))
    under = Rect(0, 0, 40 * pt, 40 * pt, "#000000")
    box = Rect(10 * pt, 10 * pt, 20 * pt, 20 * pt, "#ffffff", opacity=0.85)
    image = pixels(Scene(40 * pt, 40 * pt, (*others, under, box)))
    assert image[20, 20, 0] == pytest.approx(0.85 * 255, abs=255 / 32)  # palette: 16ths
    assert image[5, 20, 0] == 0 and image[20, 35, 0] == 0
    (_, _, rect) = [e for e in ET.fromstring(svg(Scene(40, 40, (under, box)))).iter(f"{NS}rect")]
    assert rect.get("fill-opacity") == "0.85"


def test_bold_text_is_wider_and_darker_and_says_so_in_the_svg():
    regular, bold = Text(5, 20, "Number at risk", 8), Text(5, 20, "Number at risk", 8, bold=True)
    assert text_width("Number at risk", 8, bold=True) > text_width("Number at risk", 8)
    ink = [int((pixels(Scene(120, 30, (t,))) < 128).sum()) for t in (regular, bold)]
    assert ink[1] > 1.2 * ink[0]
    (element,) = ET.fromstring(svg(Scene(120, 30, (bold,)))).iter(f"{NS}text")
    assert element.get("font-weight") == "bold"


@pytest.mark.parametrize("shape", ["o", "s", "^", "D"])
def test_a_hollow_marker_is_its_edge_alone(shape):
    pt = 72 / DPI
    filled, hollow = (
        Scene(100 * pt, 100 * pt, (Marker(50 * pt, 50 * pt, shape, 20, "#000000", 0.8, h),))
        for h in (False, True)
    )
    assert ink_box(hollow) == pytest.approx(ink_box(filled), abs=2)  # the same outline
    centre = pixels(hollow)[46:55, 46:55]
    assert (centre == 255).all()  # nothing inside
    assert (pixels(filled)[46:55, 46:55] == 0).all()
    (element,) = [e for e in ET.fromstring(svg(hollow)) if e.tag != f"{NS}rect"]
    assert (element.get("fill"), element.get("stroke")) == ("none", "#000000")
