"""Reading a scene's SVG back (tests of the figures drawn by csrgen.outputs.scene).

The SVG is parsed with xml.etree; texts are measured with Pillow from the font files matplotlib
ships (not with the renderer's own measure), so "nothing outside the figure" is checked against
an independent reading of the glyphs.
"""

from __future__ import annotations

import functools
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from PIL import ImageFont

NS = "{http://www.w3.org/2000/svg}"
XLINK = "{http://www.w3.org/1999/xlink}"


@dataclass(frozen=True)
class SvgText:
    x: float
    y: float
    anchor: str
    text: str
    size: float
    bold: bool
    fill: str
    rotated: bool


@dataclass(frozen=True)
class SvgPath:
    points: tuple[tuple[float, float], ...]
    stroke: str
    width: float
    dashed: bool


@dataclass(frozen=True)
class SvgMarker:
    """A circle or polygon: its bounding box's centre, its extent and its paint."""

    x: float
    y: float
    points: tuple[tuple[float, float], ...]
    fill: str
    stroke: str
    width: float
    kind: str  # "circle" or "polygon"


class Drawn:
    """The shapes of a scene's SVG, by kind, in document order."""

    def __init__(self, svg: str) -> None:
        self.root = ET.fromstring(svg)
        view = [float(v) for v in self.root.get("viewBox").split()]
        self.width, self.height = view[2], view[3]
        self.texts: list[SvgText] = []
        self.paths: list[SvgPath] = []
        self.markers: list[SvgMarker] = []
        self.rects: list[tuple[float, float, float, float, str, float]] = []
        self.images: list[ET.Element] = []
        self.order: list[str] = []  # each element's kind, in drawing order
        for e in self.root:
            tag = e.tag.removeprefix(NS)
            self.order.append(tag)
            if tag == "text":
                self.texts.append(
                    SvgText(
                        float(e.get("x")),
                        float(e.get("y")),
                        e.get("text-anchor"),
                        e.text or "",
                        float(e.get("font-size")),
                        e.get("font-weight") == "bold",
                        e.get("fill").lower(),
                        e.get("transform") is not None,
                    )
                )
            elif tag == "path":
                numbers = [float(v) for v in re.findall(r"-?[\d.]+(?:e[-+]?\d+)?", e.get("d"))]
                points = tuple(zip(numbers[::2], numbers[1::2], strict=True))
                self.paths.append(
                    SvgPath(
                        points,
                        e.get("stroke").lower(),
                        float(e.get("stroke-width")),
                        e.get("stroke-dasharray") is not None,
                    )
                )
            elif tag == "polygon":
                pts = tuple(tuple(map(float, p.split(","))) for p in e.get("points").split())
                xs, ys = [p[0] for p in pts], [p[1] for p in pts]
                self.markers.append(
                    SvgMarker(
                        (min(xs) + max(xs)) / 2,
                        (min(ys) + max(ys)) / 2,
                        pts,
                        e.get("fill").lower(),
                        e.get("stroke").lower(),
                        float(e.get("stroke-width")),
                        "polygon",
                    )
                )
            elif tag == "circle":
                cx, cy, r = (float(e.get(k)) for k in ("cx", "cy", "r"))
                self.markers.append(
                    SvgMarker(
                        cx,
                        cy,
                        ((cx - r, cy - r), (cx + r, cy + r)),
                        e.get("fill").lower(),
                        e.get("stroke").lower(),
                        float(e.get("stroke-width")),
                        "circle",
                    )
                )
            elif tag == "rect":
                self.rects.append(
                    (
                        float(e.get("x")),
                        float(e.get("y")),
                        float(e.get("width")),
                        float(e.get("height")),
                        e.get("fill").lower(),
                        float(e.get("fill-opacity", "1")),
                    )
                )
            elif tag == "image":
                self.images.append(e)

    def text(self, content: str) -> SvgText:
        (found,) = [t for t in self.texts if t.text == content]
        return found


@functools.cache
def _font(bold: bool) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
    return ImageFont.truetype(str(path), 1000)


def advance(text: str, size: float, bold: bool = False) -> float:
    """The advance width (points) of ``text``, measured from the font file."""
    return _font(bold).getlength(text) * size / 1000


def centre_below_baseline(size: float) -> float:
    """How far a line of text's centre (between the top of ``l`` and the bottom of ``p``) is
    above its baseline, from the glyphs' outlines."""
    _, top, _, bottom = _font(False).getbbox("lp", anchor="ls")
    return -(top + bottom) / 2 * size / 1000


def text_box(t: SvgText) -> tuple[float, float, float, float]:
    """x0, y0, x1, y1 of a text's ink (advance width across, glyph outlines up and down)."""
    w = advance(t.text, t.size, t.bold)
    left = {"start": t.x, "middle": t.x - w / 2, "end": t.x - w}[t.anchor]
    if not t.text.strip():
        return left, t.y, left, t.y
    _, top, _, bottom = _font(t.bold).getbbox(t.text, anchor="ls")
    top, bottom = top * t.size / 1000, bottom * t.size / 1000
    if t.rotated:  # a quarter-turn counter-clockwise about (x, y): (dx, dy) -> (dy, -dx)
        return t.x + top, t.y - (left - t.x + w), t.x + bottom, t.y - (left - t.x)
    return left, t.y + top, left + w, t.y + bottom


def assert_inside(drawn: Drawn, slack: float = 0.5) -> None:
    """Every shape (texts measured from the font) lies within the figure, and every number
    of the SVG is finite."""
    for element in drawn.root.iter():
        for name in ("x", "y", "width", "height", "cx", "cy", "r"):
            if element.get(name) is not None:
                assert math.isfinite(float(element.get(name).removesuffix("pt")))
        numbers = re.findall(r"[-\d.e+]+", element.get("points", "") + element.get("d", ""))
        assert all(math.isfinite(float(v)) for v in numbers), ET.tostring(element)
    boxes = [text_box(t) for t in drawn.texts if t.text.strip()]
    for p in drawn.paths:
        xs, ys = [q[0] for q in p.points], [q[1] for q in p.points]
        boxes.append((min(xs), min(ys), max(xs), max(ys)))
    for m in drawn.markers:
        xs, ys = [q[0] for q in m.points], [q[1] for q in m.points]
        boxes.append((min(xs), min(ys), max(xs), max(ys)))
    boxes += [(x, y, x + w, y + h) for x, y, w, h, _, _ in drawn.rects]
    for x0, y0, x1, y1 in boxes:
        assert -slack <= x0 and x1 <= drawn.width + slack, (x0, x1, drawn.width)
        assert -slack <= y0 and y1 <= drawn.height + slack, (y0, y1, drawn.height)


def log_axis(ticks: list[tuple[float, float]]):
    """The mapping value -> position of a log axis read off its tick labels ((value, position)
    pairs): a straight line in log10 through the first and the last, checked against every
    other label."""
    assert len(ticks) >= 2, ticks
    (v0, p0), (v1, p1) = ticks[0], ticks[-1]

    def at(value: float) -> float:
        return p0 + (math.log10(value) - math.log10(v0)) / math.log10(v1 / v0) * (p1 - p0)

    for v, p in ticks:
        assert abs(at(v) - p) < 0.01, (v, p, at(v))
    return at
