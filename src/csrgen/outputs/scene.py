"""A figure laid out once, in points, and written twice: SVG text for the HTML, a PNG for the DOCX.

For figures simple enough to lay out by hand (rectangles, horizontal or vertical lines, a few
markers, text), drawing them through matplotlib costs a hundred times what the shapes do: a
patient-narrative timeline took 0.1 s, and a study has a hundred narratives or more. A
:class:`Scene` holds the shapes with their positions in points (origin at the top left, y down,
as in SVG); :func:`svg` writes it as text (text kept as ``<text>``, no ids) and :func:`png` draws
it with Pillow at 200 dpi, both in csrgen's figure font (DejaVu Sans, the file matplotlib ships),
so they look like the matplotlib figures beside them. The same scene gives the same bytes.

The PNG is drawn in RGB (text antialiased by FreeType, markers antialiased by drawing them four
times larger), then mapped onto a palette of the scene's colours and their blends: a palette
image is a third of the pixels to filter and compress, which is most of a PNG's cost.
"""

from __future__ import annotations

import functools
import io
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
#: Markers are drawn this many times larger, then reduced: their antialiasing.
_SUPERSAMPLE = 4


@dataclass(frozen=True)
class Rect:
    """A filled rectangle: top-left corner, width and height (points)."""

    x: float
    y: float
    w: float
    h: float
    fill: str


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
class Marker:
    """A filled marker centred at (x, y), ``size`` points across, with a 1-point edge of the
    same colour: ``o`` a disc, ``X`` a filled cross (matplotlib's markers of those names)."""

    x: float
    y: float
    shape: Literal["o", "X"]
    size: float
    colour: str


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


Shape = Rect | Line | Marker | Text


@dataclass(frozen=True)
class Scene:
    """Shapes in drawing order on a white page of ``width`` x ``height`` points."""

    width: float
    height: float
    shapes: tuple[Shape, ...]


# ---------------------------------------------------------------------------------------- text


def clean(text: str) -> str:
    """``text`` as one line that XML and the fonts accept: control characters, lone surrogates
    and XML's non-characters become spaces or U+FFFD."""
    text = re.sub(r"[\t\n\r\x0b\x0c\x85\u2028\u2029]", " ", text)
    return re.sub("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]", "\ufffd", text)


def text_width(text: str, size: float) -> float:
    """The advance width (points) of ``text`` at ``size`` points, as :func:`png` draws it."""
    return _font(_px(size)).getlength(text) / _scale()


def fit(text: str, size: float, width: float) -> str:
    """``text``, cut and ended with an ellipsis where it is wider than ``width`` points."""
    if text_width(text, size) <= width:
        return text
    lo, hi = 0, len(text)  # the longest prefix that fits with its ellipsis: lo
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width(text[:mid].rstrip() + "\u2026", size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "\u2026"


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
        return (
            f'<rect x="{_n(s.x)}" y="{_n(s.y)}" width="{_n(s.w)}" height="{_n(s.h)}" '
            f'fill="{s.fill}"/>'
        )
    if isinstance(s, Line):
        dash = f' stroke-dasharray="{_n(s.dash[0])},{_n(s.dash[1])}"' if s.dash else ""
        return (
            f'<path d="M {_n(s.x0)} {_n(s.y0)} L {_n(s.x1)} {_n(s.y1)}" fill="none" '
            f'stroke="{s.colour}" stroke-width="{_n(s.width)}" stroke-linecap="{s.cap}"{dash}/>'
        )
    if isinstance(s, Marker):
        paint = f'fill="{s.colour}" stroke="{s.colour}" stroke-width="1"'
        if s.shape == "o":
            return f'<circle cx="{_n(s.x)}" cy="{_n(s.y)}" r="{_n(s.size / 2)}" {paint}/>'
        points = " ".join(f"{_n(s.x + px)},{_n(s.y + py)}" for px, py in _cross(s.size))
        return f'<polygon points="{points}" stroke-linejoin="miter" {paint}/>'
    turn = f' transform="rotate(-90 {_n(s.x)} {_n(s.y)})"' if s.rotation else ""
    return (
        f'<text x="{_n(s.x)}" y="{_n(s.y)}" font-size="{_n(s.size)}" '
        f'text-anchor="{s.anchor}" fill="{s.colour}"{turn}>{escape(clean(s.text))}</text>'
    )


def _n(v: float) -> str:
    """A coordinate: at most three decimals, no trailing zeros (a thousandth of a point)."""
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _cross(size: float) -> list[tuple[float, float]]:
    """matplotlib's ``X`` marker: a filled cross of arms a quarter of ``size`` wide."""
    q = size / 4
    unit = [(-1, 2), (0, 1), (1, 2), (2, 1), (1, 0), (2, -1)]
    unit += [(1, -2), (0, -1), (-1, -2), (-2, -1), (-1, 0), (-2, 1)]
    return [(x * q, y * q) for x, y in unit]


# ----------------------------------------------------------------------------------------- PNG


def png(scene: Scene, dpi: int) -> bytes:
    """The scene as PNG bytes at ``dpi`` (palette colours, no metadata but the resolution)."""
    import numpy as np
    from PIL import Image

    s = dpi / PT
    colours = _colours(scene)
    palette, blend = _palette(colours)
    index = {c: i for i, c in enumerate(colours)}
    canvas = np.zeros((round(scene.height * s), round(scene.width * s)), np.uint8)  # white
    for shape in scene.shapes:
        if isinstance(shape, Rect):
            x0, x1 = _span(shape.x * s, (shape.x + shape.w) * s)
            y0, y1 = _span(shape.y * s, (shape.y + shape.h) * s)
            canvas[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = index[shape.fill.lower()]
        elif isinstance(shape, Line):
            for x0, y0, x1, y1 in _line_boxes(shape, s):
                canvas[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)] = index[
                    shape.colour.lower()
                ]
        elif isinstance(shape, Marker):
            cover, (dx, dy) = _marker_cover(shape.shape, round(shape.size * s * _SUPERSAMPLE))
            x, y = math.floor(shape.x * s) + dx, math.floor(shape.y * s) + dy
            _blend(canvas, x, y, cover, blend(index[shape.colour.lower()]))
        else:
            text = clean(shape.text)
            if not text.strip():
                continue
            cover, (dx, dy) = _text_cover(text, _px(shape.size), shape.anchor, shape.rotation)
            x, y = round(shape.x * s) + dx, round(shape.y * s) + dy
            _blend(canvas, x, y, cover, blend(index[shape.colour.lower()]))
    image = Image.frombuffer("P", (canvas.shape[1], canvas.shape[0]), canvas.tobytes())
    image.putpalette(palette)
    out = io.BytesIO()
    # zlib level 1: a few % larger files, a third of the encoding time.
    image.save(out, format="PNG", compress_level=1, dpi=(dpi, dpi))
    return out.getvalue()


def _colours(scene: Scene) -> tuple[str, ...]:
    """The scene's colours (lower-case ``#rrggbb``), white first, the others sorted: the same
    palette for every scene of the same colours, whatever their order."""
    used = {(sh.fill if isinstance(sh, Rect) else sh.colour).lower() for sh in scene.shapes}
    return (WHITE, *sorted(used - {WHITE}))


def _span(a: float, b: float) -> tuple[int, int]:
    """Pixel edges of the extent a..b: snapped to the grid as matplotlib snaps bars, never
    thinner than a pixel."""
    lo, hi = round(min(a, b)), round(max(a, b))
    return lo, max(hi, lo + 1)


def _line_boxes(line: Line, s: float) -> list[tuple[int, int, int, int]]:
    """The pixel boxes (x0, y0, x1, y1; ends excluded) of a line, one per dash."""
    vertical = line.x0 == line.x1
    if not vertical and line.y0 != line.y1:
        raise ValueError("a scene's lines are horizontal or vertical")
    thick = max(1, round(line.width * s))
    cap = line.width / 2 if line.cap == "square" else 0.0
    a, b = (line.y0, line.y1) if vertical else (line.x0, line.x1)
    step = 1.0 if b >= a else -1.0
    pieces = [(a - step * cap, b + step * cap)]
    if line.dash:
        on, off = line.dash
        pieces, pos = [], a
        while (b - pos) * step > 0:
            stop = pos + step * on
            pieces.append((pos, stop if (b - stop) * step > 0 else b))
            pos = stop + step * off
    c0 = round((line.x0 if vertical else line.y0) * s - thick / 2)
    boxes = []
    for p, q in pieces:
        a0, a1 = _span(p * s, q * s)
        boxes.append((c0, a0, c0 + thick, a1) if vertical else (a0, c0, a1, c0 + thick))
    return boxes


def _blend(canvas, x: int, y: int, cover, table) -> None:
    """Paint ``cover`` (coverage levels) onto ``canvas`` (palette indices) at (x, y), each pixel
    becoming ``table[its index, its coverage]``; what falls outside the canvas is dropped."""
    h, w = cover.shape
    top, left = max(y, 0), max(x, 0)
    bottom, right = min(y + h, canvas.shape[0]), min(x + w, canvas.shape[1])
    if top >= bottom or left >= right:
        return
    region = canvas[top:bottom, left:right]
    region[...] = table[region, cover[top - y : bottom - y, left - x : right - x]]


def _scale() -> float:
    from csrgen.outputs.plotting import PNG_DPI

    return PNG_DPI / PT


def _px(points: float) -> float:
    """A font size in points as pixels of the PNG (rounded so that fonts are shared)."""
    return round(points * _scale(), 2)


@functools.cache
def _font(size_px: float):
    from PIL import ImageFont

    # the basic layout, as matplotlib's: kerning, no shaping (and twice as fast as raqm)
    return ImageFont.truetype(_font_file(), size_px, layout_engine=ImageFont.Layout.BASIC)


@functools.cache
def _font_file() -> str:
    from pathlib import Path

    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf")


#: Steps of coverage an antialiased edge is drawn in (the palette holds each pair's blends).
_LEVELS = 17


def _levels(mask):
    """An ``L`` image's coverage (0-255) as steps 0.._LEVELS - 1, a numpy array."""
    import numpy as np

    a = np.asarray(mask, dtype=np.uint16)
    return ((a * (_LEVELS - 1) + 127) // 255).astype(np.uint8)


@functools.lru_cache(maxsize=1024)
def _text_cover(text: str, size_px: float, anchor: str, rotation: int = 0):
    """The antialiased coverage of ``text`` and its offset from the anchor point (pixels):
    labels, ticks and legends repeat from figure to figure, so each is rasterised once."""
    from PIL import Image, ImageDraw

    if rotation == 90:
        # a quarter-turn counter-clockwise (y down): the offset (dx, dy) of a pixel from the
        # anchor becomes (dy, -dx), so the unrotated box [left, right) x [top, bottom) becomes
        # [top, bottom) x (-right, -left]
        import numpy as np

        cover, (left, top) = _text_cover(text, size_px, anchor)
        return np.ascontiguousarray(np.rot90(cover)), (top, -(left + cover.shape[1]))
    if rotation != 0:
        raise ValueError(f"a scene's text turns by 0 or 90 degrees, not {rotation}")

    font = _font(size_px)
    pil_anchor = {"start": "ls", "middle": "ms", "end": "rs"}[anchor]
    left, top, right, bottom = font.getbbox(text, anchor=pil_anchor)
    mask = Image.new("L", (max(right - left, 1), max(bottom - top, 1)), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, fill=255, font=font, anchor=pil_anchor)
    return _levels(mask), (left, top)


@functools.lru_cache(maxsize=64)
def _marker_cover(shape: str, size_big: int):
    """The antialiased coverage of a marker ``size_big / 4`` pixels across (edge included)
    and its offset from the marker's centre (pixels)."""
    from PIL import Image, ImageDraw

    edge = _SUPERSAMPLE * _scale()  # the 1-point edge, in supersampled pixels
    half = size_big / 2 + edge
    box = 2 * (int(half / _SUPERSAMPLE) + 2)  # whole pixels around the centre pixel's corner
    big = Image.new("L", (box * _SUPERSAMPLE, box * _SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(big)
    # the centre of the marker falls on the centre of the pixel that holds it
    c = (box // 2 + 0.5) * _SUPERSAMPLE
    if shape == "o":
        r = size_big / 2 + edge / 2
        draw.ellipse((c - r, c - r, c + r, c + r), fill=255)
    else:
        points = [(c + x, c + y) for x, y in _cross(size_big)]
        draw.polygon(points, fill=255)
        # the edge straddles the outline, as a stroke does
        draw.line([*points, points[0], points[1]], fill=255, width=round(edge), joint="curve")
    return _levels(big.reduce(_SUPERSAMPLE)), (-(box // 2), -(box // 2))


@functools.lru_cache(maxsize=16)
def _palette(colours: tuple[str, ...]):
    """The palette of ``colours`` (first entries, in order) and of the blends of each pair in
    ``_LEVELS`` steps, as a flat RGB list; and ``blend(ink)``: the table whose ``[i, k]`` is the
    entry nearest to entry ``i`` covered ``k`` steps by colour ``ink`` (exact over a colour of
    the scene, nearest where edges overlap)."""
    import numpy as np
    from PIL import ImageColor

    rgb = [ImageColor.getrgb(c)[:3] for c in colours]
    steps = np.arange(1, _LEVELS - 1) / (_LEVELS - 1)
    entries = [np.array(rgb, float)]
    for i, a in enumerate(rgb):
        for b in rgb[i + 1 :]:
            entries.append(np.array(a) + np.outer(steps, np.subtract(b, a)))
    table = np.rint(np.concatenate(entries))
    if len(table) > 256:
        raise ValueError(f"a scene of {len(colours)} colours: too many for a palette")

    @functools.cache
    def blend(ink: int):
        k = np.arange(_LEVELS) / (_LEVELS - 1)
        want = np.rint(table[:, None, :] + k[None, :, None] * (table[ink] - table[:, None, :]))
        # squared distances to every entry, less the wanted colour's own square (the same for
        # all entries, so the nearest is unchanged): |e|^2 - 2 w.e
        dist = (table**2).sum(axis=1) - 2 * want @ table.T
        return dist.argmin(axis=-1).astype(np.uint8)

    return table.astype(np.uint8).ravel().tolist(), blend
