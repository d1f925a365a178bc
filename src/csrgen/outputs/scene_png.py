"""A :class:`~csrgen.outputs.scene.Scene` drawn as a PNG with Pillow and numpy.

Rectangles, horizontal and vertical lines, and paths of horizontal and vertical segments (a
step curve) are filled on whole pixels, as matplotlib snaps them. Text is antialiased by
FreeType (rasterised once per text, size and turn, however many figures repeat it); markers
and slanted lines are antialiased by drawing them four times larger and reducing the image.

Scenes of up to six colours are drawn on a palette of their colours and the blends of each pair
(a palette image is a third of the pixels to filter and compress, which is most of a PNG's
cost); scenes of more colours, in RGB. Either way, the same scene gives the same bytes.
"""

from __future__ import annotations

import functools
import io
import math

from csrgen.outputs.scene import (
    PT,
    WHITE,
    Line,
    Marker,
    Polyline,
    Rect,
    Scene,
    Text,
    check_polyline,
    clean,
    colour_of,
    dashes,
    outline,
)

#: Markers and slanted lines are drawn this many times larger, then reduced: their antialiasing.
_SUPERSAMPLE = 4
#: Steps of coverage an antialiased edge is drawn in (the palette holds each pair's blends).
_LEVELS = 17


def png(scene: Scene, dpi: int) -> bytes:
    """The scene as PNG bytes at ``dpi`` (no metadata but the resolution)."""
    s = dpi / PT
    size = (round(scene.width * s), round(scene.height * s))
    colours = _colours(scene)
    canvas = _Palette(size, colours) if _palette_fits(len(colours)) else _RGB(size)
    for shape in scene.shapes:
        if isinstance(shape, Rect):
            x0, x1 = _span(shape.x * s, (shape.x + shape.w) * s)
            y0, y1 = _span(shape.y * s, (shape.y + shape.h) * s)
            canvas.fill((x0, y0, x1, y1), colour_of(shape), shape.opacity)
        elif isinstance(shape, Line):
            for box in _line_boxes(shape, s):
                canvas.fill(box, colour_of(shape))
        elif isinstance(shape, Polyline):
            check_polyline(shape)
            pieces = dashes(shape.points, shape.dash) if shape.dash else [list(shape.points)]
            if _rectilinear(shape.points):
                for piece in pieces:
                    for box in _path_boxes(piece, shape.width, shape.cap, s):
                        canvas.fill(box, colour_of(shape))
            elif pieces:
                cover, (x, y) = _path_cover(pieces, shape.width, shape.cap, s)
                canvas.paint(x, y, cover, colour_of(shape))
        elif isinstance(shape, Marker):
            big = round(shape.size * s * _SUPERSAMPLE)
            cover, (dx, dy) = _marker_cover(
                shape.shape, big, _edge_px(shape.edge), shape.hollow and shape.shape != "+"
            )
            x, y = math.floor(shape.x * s) + dx, math.floor(shape.y * s) + dy
            canvas.paint(x, y, cover, colour_of(shape))
        elif isinstance(shape, Text):
            text = clean(shape.text)
            if not text.strip():
                continue
            cover, (dx, dy) = _text_cover(
                text, px(shape.size), shape.anchor, shape.rotation, shape.bold
            )
            x, y = round(shape.x * s) + dx, round(shape.y * s) + dy
            canvas.paint(x, y, cover, colour_of(shape))
    out = io.BytesIO()
    # zlib level 1: a few % larger files, a third of the encoding time.
    canvas.image().save(out, format="PNG", compress_level=1, dpi=(dpi, dpi))
    return out.getvalue()


# ---------------------------------------------------------------------------------- canvases


class _Palette:
    """Pixels as indices into the palette of the scene's colours and their pairs' blends."""

    def __init__(self, size: tuple[int, int], colours: tuple[str, ...]) -> None:
        import numpy as np

        self.pixels = np.zeros((size[1], size[0]), np.uint8)  # entry 0: white
        self.index = {c: i for i, c in enumerate(colours)}
        self.palette, self.blend = _palette(colours)

    def fill(self, box, colour: str, opacity: float = 1.0) -> None:
        region = _region(self.pixels, box)
        if opacity >= 1:
            region[...] = self.index[colour]
        else:
            level = round(opacity * (_LEVELS - 1))
            region[...] = self.blend(self.index[colour])[region, level]

    def paint(self, x: int, y: int, cover, colour: str) -> None:
        _blend(self.pixels, x, y, cover, self.blend(self.index[colour]))

    def image(self):
        from PIL import Image

        h, w = self.pixels.shape
        image = Image.frombuffer("P", (w, h), self.pixels.tobytes())
        image.putpalette(self.palette)
        return image


class _RGB:
    """Pixels as RGB, blended exactly (for scenes with too many colours for a palette)."""

    def __init__(self, size: tuple[int, int]) -> None:
        import numpy as np

        self.pixels = np.full((size[1], size[0], 3), 255, np.uint8)

    def fill(self, box, colour: str, opacity: float = 1.0) -> None:
        region = _region(self.pixels, box)
        if opacity >= 1:
            region[...] = _rgb(colour)
        else:
            region[...] = _mix(region, _rgb(colour), opacity)

    def paint(self, x: int, y: int, cover, colour: str) -> None:
        h, w = cover.shape
        top, left = max(y, 0), max(x, 0)
        bottom, right = min(y + h, self.pixels.shape[0]), min(x + w, self.pixels.shape[1])
        if top >= bottom or left >= right:
            return
        region = self.pixels[top:bottom, left:right]
        k = cover[top - y : bottom - y, left - x : right - x, None] / (_LEVELS - 1)
        region[...] = _mix(region, _rgb(colour), k)

    def image(self):
        from PIL import Image

        h, w, _ = self.pixels.shape
        return Image.frombuffer("RGB", (w, h), self.pixels.tobytes())


def _region(pixels, box):
    x0, y0, x1, y1 = box
    return pixels[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)]


def _mix(region, ink, k):
    """``region`` covered ``k`` (0-1) by ``ink``, rounded to whole levels."""
    import numpy as np

    return np.rint(region + k * (np.asarray(ink, float) - region)).astype(np.uint8)


@functools.cache
def _rgb(colour: str) -> tuple[int, int, int]:
    from PIL import ImageColor

    return ImageColor.getrgb(colour)[:3]


def _colours(scene: Scene) -> tuple[str, ...]:
    """The scene's colours (lower-case ``#rrggbb``), white first, the others sorted: the same
    palette for every scene of the same colours, whatever their order."""
    used = {colour_of(shape) for shape in scene.shapes}
    return (WHITE, *sorted(used - {WHITE}))


def _palette_fits(n: int) -> bool:
    """Whether ``n`` colours and the blends of each pair fit a PNG palette (six do)."""
    return n + n * (n - 1) // 2 * (_LEVELS - 2) <= 256


# ------------------------------------------------------------------------------------ shapes


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


def _rectilinear(points) -> bool:
    return all(x0 == x1 or y0 == y1 for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False))


def _path_boxes(piece, width: float, cap: str, s: float) -> list[tuple[int, int, int, int]]:
    """The pixel boxes of a path of horizontal and vertical segments: each segment's box runs
    half the width past its ends inside the path (the corners filled) and at the path's ends
    only with a square cap."""
    thick = max(1, round(width * s))
    half = width / 2
    boxes = []
    last = len(piece) - 2
    for k, ((x0, y0), (x1, y1)) in enumerate(zip(piece, piece[1:], strict=False)):
        if x0 == x1 and y0 == y1:
            continue
        before = half if k > 0 or cap == "square" else 0.0
        after = half if k < last or cap == "square" else 0.0
        vertical = x0 == x1
        a, b = (y0, y1) if vertical else (x0, x1)
        step = 1.0 if b >= a else -1.0
        a0, a1 = _span((a - step * before) * s, (b + step * after) * s)
        c0 = round((x0 if vertical else y0) * s - thick / 2)
        boxes.append((c0, a0, c0 + thick, a1) if vertical else (a0, c0, a1, c0 + thick))
    return boxes


def _path_cover(pieces, width: float, cap: str, s: float):
    """The antialiased coverage of slanted path pieces (lines ``width`` points wide, joined
    round) and its top-left pixel."""
    from PIL import Image, ImageDraw

    pad = width + 2 / s  # room for the caps, the joins and a pixel of blur
    xs = [x for piece in pieces for x, _ in piece]
    ys = [y for piece in pieces for _, y in piece]
    left, top = math.floor((min(xs) - pad) * s), math.floor((min(ys) - pad) * s)
    right, bottom = math.ceil((max(xs) + pad) * s), math.ceil((max(ys) + pad) * s)
    k = s * _SUPERSAMPLE
    big = Image.new("L", ((right - left) * _SUPERSAMPLE, (bottom - top) * _SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(big)
    stroke = max(1, round(width * k))
    for piece in pieces:
        if cap == "square":
            piece = _extended(piece, width / 2)
        xy = [((x * s - left) * _SUPERSAMPLE, (y * s - top) * _SUPERSAMPLE) for x, y in piece]
        draw.line(xy, fill=255, width=stroke, joint="curve")
    return _levels(big.reduce(_SUPERSAMPLE)), (left, top)


def _extended(piece, by: float):
    """The piece with its first and last segments made ``by`` longer outwards."""

    def push(p, q):  # p moved away from q
        d = math.hypot(p[0] - q[0], p[1] - q[1])
        return p if d == 0 else (p[0] + (p[0] - q[0]) * by / d, p[1] + (p[1] - q[1]) * by / d)

    return [push(piece[0], piece[1]), *piece[1:-1], push(piece[-1], piece[-2])]


def _edge_px(edge: float) -> float:
    """A marker's edge width in supersampled pixels."""
    return edge * _SUPERSAMPLE * scale()


@functools.lru_cache(maxsize=128)
def _marker_cover(shape: str, size_big: int, edge: float, hollow: bool = False):
    """The antialiased coverage of a marker ``size_big / 4`` pixels across (edge included)
    and its offset from the marker's centre (pixels); ``hollow``: its edge alone."""
    from PIL import Image, ImageDraw

    half = size_big / 2 * (math.sqrt(2) if shape == "D" else 1) + edge
    box = 2 * (int(half / _SUPERSAMPLE) + 2)  # whole pixels around the centre pixel's corner
    big = Image.new("L", (box * _SUPERSAMPLE, box * _SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(big)
    # the centre of the marker falls on the centre of the pixel that holds it
    c = (box // 2 + 0.5) * _SUPERSAMPLE
    if shape == "o" and hollow:
        r = size_big / 2 + edge / 2
        draw.ellipse((c - r, c - r, c + r, c + r), outline=255, width=max(1, round(edge)))
    elif shape == "o":
        r = size_big / 2 + edge / 2
        draw.ellipse((c - r, c - r, c + r, c + r), fill=255)
    elif shape == "+":  # two strokes, butt-ended
        h, e = size_big / 2, edge / 2
        draw.rectangle((c - h, c - e, c + h, c + e), fill=255)
        draw.rectangle((c - e, c - h, c + e, c + h), fill=255)
    else:
        points = [(c + x, c + y) for x, y in outline(shape, size_big)]
        if not hollow:
            draw.polygon(points, fill=255)
        # the edge straddles the outline, as a stroke does
        draw.line([*points, points[0], points[1]], fill=255, width=round(edge), joint="curve")
    return _levels(big.reduce(_SUPERSAMPLE)), (-(box // 2), -(box // 2))


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


# -------------------------------------------------------------------------------------- text


def scale() -> float:
    """Pixels of the figures' PNG per point."""
    from csrgen.outputs.plotting import PNG_DPI

    return PNG_DPI / PT


def px(points: float) -> float:
    """A font size in points as pixels of the PNG (rounded so that fonts are shared)."""
    return round(points * scale(), 2)


@functools.cache
def font(size_px: float, bold: bool = False):
    from PIL import ImageFont

    # the basic layout, as matplotlib's: kerning, no shaping (and twice as fast as raqm)
    return ImageFont.truetype(_font_file(bold), size_px, layout_engine=ImageFont.Layout.BASIC)


@functools.cache
def _font_file(bold: bool) -> str:
    from pathlib import Path

    import matplotlib

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name)


def _levels(mask):
    """An ``L`` image's coverage (0-255) as steps 0.._LEVELS - 1, a numpy array."""
    import numpy as np

    a = np.asarray(mask, dtype=np.uint16)
    return ((a * (_LEVELS - 1) + 127) // 255).astype(np.uint8)


@functools.lru_cache(maxsize=1024)
def _text_cover(text: str, size_px: float, anchor: str, rotation: int = 0, bold: bool = False):
    """The antialiased coverage of ``text`` and its offset from the anchor point (pixels):
    labels, ticks and legends repeat from figure to figure, so each is rasterised once."""
    from PIL import Image, ImageDraw

    if rotation == 90:
        # a quarter-turn counter-clockwise (y down): the offset (dx, dy) of a pixel from the
        # anchor becomes (dy, -dx), so the unrotated box [left, right) x [top, bottom) becomes
        # [top, bottom) x (-right, -left]
        import numpy as np

        cover, (left, top) = _text_cover(text, size_px, anchor, 0, bold)
        return np.ascontiguousarray(np.rot90(cover)), (top, -(left + cover.shape[1]))
    if rotation != 0:
        raise ValueError(f"a scene's text turns by 0 or 90 degrees, not {rotation}")
    face = font(size_px, bold)
    pil_anchor = {"start": "ls", "middle": "ms", "end": "rs"}[anchor]
    left, top, right, bottom = face.getbbox(text, anchor=pil_anchor)
    mask = Image.new("L", (max(right - left, 1), max(bottom - top, 1)), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, fill=255, font=face, anchor=pil_anchor)
    return _levels(mask), (left, top)


@functools.lru_cache(maxsize=16)
def _palette(colours: tuple[str, ...]):
    """The palette of ``colours`` (first entries, in order) and of the blends of each pair in
    ``_LEVELS`` steps, as a flat RGB list; and ``blend(ink)``: the table whose ``[i, k]`` is the
    entry nearest to entry ``i`` covered ``k`` steps by colour ``ink`` (exact over a colour of
    the scene, nearest where edges overlap)."""
    import numpy as np

    rgb = [_rgb(c) for c in colours]
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
