"""A figure laid out once, in points, and written twice: SVG text for the HTML, a PNG for the DOCX.

Drawing a figure through matplotlib's Figure machinery (artists, a layout engine, a renderer
pass per format) costs a hundred times what its shapes do: a patient-narrative timeline took
0.1 s, a mean-change figure 0.3 s, and a study has a hundred narratives and dozens of figures.
A :class:`Scene` holds the shapes with their positions in points (origin at the top left, y
down, as in SVG); :func:`svg` writes it as text (text kept as ``<text>``, no ids) and :func:`png`
draws it with Pillow at 200 dpi (see :mod:`csrgen.outputs.scene_png`), both in csrgen's figure
font (DejaVu Sans, the files matplotlib ships), so they look like matplotlib's figures. The
figure modules lay the scene out themselves, with the ticks matplotlib's own locators choose.
The same scene gives the same bytes.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape

#: Points per inch.
PT = 72.0
#: The font of csrgen's figures (see :mod:`csrgen.outputs.plotting`).
FONT_FAMILY = "DejaVu Sans"
WHITE = "#ffffff"
BLACK = "#000000"
#: What drawing a scene imports (see :func:`csrgen.figures.warm_up_modules`): Pillow, the
#: rasteriser and matplotlib's font files; no matplotlib Figure or backend. A figure module
#: drawn on a scene declares ``WARM_UP = scene.WARM_UP`` (plus what else it imports).
WARM_UP = (
    "csrgen.outputs.scene_png",
    "matplotlib",
    "PIL.ImageColor",
    "PIL.ImageDraw",
    "PIL.ImageFont",
    "PIL.PngImagePlugin",
)


@dataclass(frozen=True)
class Rect:
    """A filled rectangle: top-left corner, width and height (points); ``opacity`` below 1
    lets what is under it show through (a legend's box over the curves)."""

    x: float
    y: float
    w: float
    h: float
    fill: str
    opacity: float = 1.0


@dataclass(frozen=True)
class Line:
    """A horizontal or vertical line (points), optionally dashed (on, off lengths in points,
    from the first end)."""

    x0: float
    y0: float
    x1: float
    y1: float
    width: float
    colour: str = BLACK
    dash: tuple[float, float] | None = None
    #: ``square`` extends each end by half the width (matplotlib's spines).
    cap: Literal["butt", "square"] = "butt"


@dataclass(frozen=True)
class Polyline:
    """A line through ``points`` (points; any angles), joined round, optionally dashed.

    ``dash`` holds on and off lengths in points (any even count); the pattern runs on along the
    whole path from its first point, across the corners, as matplotlib's dashes do. ``cap``
    ``square`` extends both ends (of every dash) by half the width (matplotlib's ``projecting``
    cap, its default for solid lines); ``butt`` stops at the points (its default for dashes).
    A path of horizontal and vertical segments only is drawn on whole pixels, as matplotlib
    snaps it.
    """

    points: tuple[tuple[float, float], ...]
    width: float
    colour: str = BLACK
    dash: tuple[float, ...] | None = None
    cap: Literal["butt", "square"] = "butt"


#: Marker shapes: ``o`` a disc, ``s`` a square, ``^ v < >`` triangles pointing up, down, left
#: and right, ``D`` a diamond, ``X`` a filled cross, ``+`` a stroked plus (matplotlib's markers
#: of those names and sizes).
MarkerShape = Literal["o", "s", "^", "v", "<", ">", "D", "X", "+"]


@dataclass(frozen=True)
class Marker:
    """A marker centred at (x, y), ``size`` points across as matplotlib sizes it, filled and
    edged in its colour (the edge ``edge`` points wide, straddling the outline); ``hollow``
    draws the edge alone (a scatter's open symbols); ``+`` is only stroked, ``edge`` wide."""

    x: float
    y: float
    shape: MarkerShape
    size: float
    colour: str
    edge: float = 1.0
    hollow: bool = False


@dataclass(frozen=True)
class Text:
    """One line of text; (x, y) is the baseline's start, middle or end (``anchor``).

    ``rotation`` 90 turns the text a quarter-turn counter-clockwise about (x, y): it reads
    upwards, as an axis label on the left (the baseline runs up, the glyphs stand to its left).
    """

    x: float
    y: float
    text: str
    size: float
    anchor: Literal["start", "middle", "end"] = "start"
    colour: str = BLACK
    rotation: Literal[0, 90] = 0
    bold: bool = False


Shape = Rect | Line | Polyline | Marker | Text


@dataclass(frozen=True)
class Scene:
    """Shapes in drawing order on a white page of ``width`` x ``height`` points."""

    width: float
    height: float
    shapes: tuple[Shape, ...]


def colour_of(shape: Shape) -> str:
    """The shape's colour, lower-case ``#rrggbb``."""
    return (shape.fill if isinstance(shape, Rect) else shape.colour).lower()


# ---------------------------------------------------------------------------------------- text


def clean(text: str) -> str:
    """``text`` as one line that XML and the fonts accept: control characters, lone surrogates
    and XML's non-characters become spaces or U+FFFD."""
    text = re.sub(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]", " ", text)
    return re.sub("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]", "\ufffd", text)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """The advance width (points) of ``text`` at ``size`` points, as :func:`png` draws it."""
    from csrgen.outputs.scene_png import font, px, scale

    return font(px(size), bold).getlength(text) / scale()


def fit(text: str, size: float, width: float, bold: bool = False) -> str:
    """``text``, cut and ended with an ellipsis where it is wider than ``width`` points."""
    if text_width(text, size, bold) <= width:
        return text
    lo, hi = 0, len(text)  # the longest prefix that fits with its ellipsis: lo
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width(text[:mid].rstrip() + "\u2026", size, bold) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "\u2026"


def axis_ticks(locator, lo: float, hi: float, locs=None) -> tuple[list[tuple[float, str]], str]:
    """The (value, label) of the ticks matplotlib shows in the view ``lo``..``hi`` and its
    offset text, with its ``ScalarFormatter`` (labels made of every location ``locator`` gives,
    or of ``locs``, as ``Axis._update_ticks`` makes them, then the ticks in the view kept, to a
    ten-billionth of it): the ticks of a scene's axes are matplotlib's own."""
    from matplotlib import ticker

    locs = [float(v) for v in (locator.tick_values(lo, hi) if locs is None else locs)]
    formatter = ticker.ScalarFormatter()
    formatter.create_dummy_axis()
    formatter.axis.set_view_interval(lo, hi)
    labels = formatter.format_ticks(locs)
    tol = (hi - lo) * 1e-10
    kept = [(v, t) for v, t in zip(locs, labels, strict=True) if lo - tol <= v <= hi + tol]
    return kept, formatter.get_offset()


# ---------------------------------------------------------------------------------------- PNG


def png(scene: Scene, dpi: int) -> bytes:
    """The scene as PNG bytes at ``dpi`` (see :mod:`csrgen.outputs.scene_png`)."""
    from csrgen.outputs.scene_png import png as draw

    return draw(scene, dpi)


# ----------------------------------------------------------------------------------------- SVG


def svg(scene: Scene) -> str:
    """The scene as a complete ``<svg>`` element (no XML prolog, no ids: ready to inline)."""
    w, h = _n(scene.width), _n(scene.height)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}pt" height="{h}pt" '
        f'viewBox="0 0 {w} {h}" font-family="{FONT_FAMILY}">',
        f'<rect x="0" y="0" width="{w}" height="{h}" fill="{WHITE}"/>',
    ]
    for s in scene.shapes:
        out.append(_svg_shape(s))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _svg_shape(s: Shape) -> str:
    if isinstance(s, Rect):
        opacity = f' fill-opacity="{_n(s.opacity)}"' if s.opacity < 1 else ""
        return (
            f'<rect x="{_n(s.x)}" y="{_n(s.y)}" width="{_n(s.w)}" height="{_n(s.h)}" '
            f'fill="{s.fill}"{opacity}/>'
        )
    if isinstance(s, Line):
        dash = f' stroke-dasharray="{_n(s.dash[0])},{_n(s.dash[1])}"' if s.dash else ""
        return (
            f'<path d="M {_n(s.x0)} {_n(s.y0)} L {_n(s.x1)} {_n(s.y1)}" fill="none" '
            f'stroke="{s.colour}" stroke-width="{_n(s.width)}" stroke-linecap="{s.cap}"{dash}/>'
        )
    if isinstance(s, Polyline):
        check_polyline(s)
        d = " L ".join(f"{_n(x)} {_n(y)}" for x, y in s.points)
        dash = f' stroke-dasharray="{",".join(_n(v) for v in s.dash)}"' if s.dash else ""
        return (
            f'<path d="M {d}" fill="none" stroke="{s.colour}" stroke-width="{_n(s.width)}" '
            f'stroke-linecap="{s.cap}" stroke-linejoin="round"{dash}/>'
        )
    if isinstance(s, Marker):
        return _svg_marker(s)
    turn = f' transform="rotate(-90 {_n(s.x)} {_n(s.y)})"' if s.rotation else ""
    weight = ' font-weight="bold"' if s.bold else ""
    return (
        f'<text x="{_n(s.x)}" y="{_n(s.y)}" font-size="{_n(s.size)}"{weight} '
        f'text-anchor="{s.anchor}" fill="{s.colour}"{turn}>{escape(clean(s.text))}</text>'
    )


def _svg_marker(s: Marker) -> str:
    if s.shape == "+":
        h = s.size / 2
        return (
            f'<path d="M {_n(s.x - h)} {_n(s.y)} L {_n(s.x + h)} {_n(s.y)} '
            f'M {_n(s.x)} {_n(s.y - h)} L {_n(s.x)} {_n(s.y + h)}" fill="none" '
            f'stroke="{s.colour}" stroke-width="{_n(s.edge)}"/>'
        )
    fill = "none" if s.hollow else s.colour
    paint = f'fill="{fill}" stroke="{s.colour}" stroke-width="{_n(s.edge)}"'
    if s.shape == "o":
        return f'<circle cx="{_n(s.x)}" cy="{_n(s.y)}" r="{_n(s.size / 2)}" {paint}/>'
    points = " ".join(f"{_n(s.x + px)},{_n(s.y + py)}" for px, py in outline(s.shape, s.size))
    return f'<polygon points="{points}" stroke-linejoin="miter" {paint}/>'


def _n(v: float) -> str:
    """A coordinate: at most three decimals, no trailing zeros (a thousandth of a point)."""
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


# -------------------------------------------------------------------------------- geometry


def check_polyline(line: Polyline) -> None:
    """A polyline needs two finite points, a positive width and a dash pattern of positive
    even length with positive sum."""
    if len(line.points) < 2:
        raise ValueError("a polyline needs at least two points")
    if not all(math.isfinite(v) for p in line.points for v in p):
        raise ValueError(f"a polyline's points must be finite: {line.points}")
    if line.dash is not None and (
        len(line.dash) % 2 or not line.dash or min(line.dash) < 0 or sum(line.dash) <= 0
    ):
        raise ValueError(f"a dash pattern is pairs of on/off lengths, not {line.dash}")


@functools.lru_cache(maxsize=64)
def outline(shape: str, size: float) -> tuple[tuple[float, float], ...]:
    """The outline (points, y down, about the centre) of a filled polygon marker ``size``
    points across: matplotlib's marker paths at its sizes."""
    h = size / 2
    if shape == "s":
        unit = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    elif shape == "^":
        unit = [(0, -1), (-1, 1), (1, 1)]
    elif shape == "v":
        unit = [(0, 1), (1, -1), (-1, -1)]
    elif shape == "<":
        unit = [(-1, 0), (1, -1), (1, 1)]
    elif shape == ">":
        unit = [(1, 0), (-1, 1), (-1, -1)]
    elif shape == "D":  # the square turned 45 degrees: its diagonals are sqrt(2) x size
        r = math.sqrt(2)
        unit = [(0, -r), (r, 0), (0, r), (-r, 0)]
    elif shape == "X":  # arms a quarter of the size wide
        q = [(-1, 2), (0, 1), (1, 2), (2, 1), (1, 0), (2, -1)]
        q += [(1, -2), (0, -1), (-1, -2), (-2, -1), (-1, 0), (-2, 1)]
        return tuple((x * size / 4, y * size / 4) for x, y in q)
    else:
        raise ValueError(f"no polygon marker {shape!r}")
    return tuple((x * h, y * h) for x, y in unit)


def dashes(
    points: tuple[tuple[float, float], ...], pattern: tuple[float, ...]
) -> list[list[tuple[float, float]]]:
    """The drawn pieces of a path dashed with ``pattern`` (on, off, on, off ... lengths), the
    pattern running on across the path's corners; each piece a list of points."""
    pieces: list[list[tuple[float, float]]] = []
    i, left = 0, pattern[0]  # the pattern's element and what is left of it
    current: list[tuple[float, float]] | None = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        length, done = math.hypot(x1 - x0, y1 - y0), 0.0
        while length - done > left:
            done += left
            t = done / length
            p = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
            if i % 2 == 0:  # an "on" element ends here
                current.append(p)
                pieces.append(current)
                current = None
            else:
                current = [p]
            i = (i + 1) % len(pattern)
            left = pattern[i]
        left -= length - done
        if current is not None:
            current.append((x1, y1))
    if current is not None and len(current) > 1:
        pieces.append(current)
    return [p for p in pieces if any(q != p[0] for q in p[1:])]
