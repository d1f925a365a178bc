"""Drawing of the eDISH figure (layout only): one log-log panel per arm.

Each panel shows its arm's subjects as hollow markers (peak ALT against peak total bilirubin,
both × ULN, on decade-ticked log axes shared by the panels), dashed reference lines at ALT =
``t`` and bilirubin = ``b`` × ULN, and each quadrant's name and count in its outer corner on a
light box beneath the points; the panel's title in the arm's colour. Every text and number is
given by the caller (:mod:`csrgen.outputs.f_edish`); nothing here computes a statistic.

The figure is laid out here, in points, and written by :mod:`csrgen.outputs.scene` (SVG text
and a Pillow PNG) rather than through matplotlib's Figure, in the look of csrgen's matplotlib
figures (DejaVu Sans and its metrics, matplotlib's tick and label spacing, its constrained
layout's margins, measured from the texts). A panel of more than :data:`RASTER_POINTS` points
carries them in the SVG as one embedded PNG (see :func:`draw_edish`). The same data give the
same bytes.
"""

from __future__ import annotations

import base64
import functools
import io
import math
from dataclasses import dataclass

from csrgen.analyses.hepatic import QUADRANTS
from csrgen.formatting import fmt_level
from csrgen.outputs import scene
from csrgen.outputs.plotting import ARM_COLOURS, PNG_DPI
from csrgen.outputs.scene import (
    BLACK,
    PT,
    WHITE,
    Line,
    Marker,
    Rect,
    Scene,
    Shape,
    Text,
    clean,
    fit,
    png,
    svg,
    text_width,
)
from csrgen.outputs.t_hys_law import QUADRANT_LABELS

MARKERS = "os^Dv<"
#: Above this many points in a panel the SVG holds them as one embedded PNG (axes and text stay
#: vector): 100,000 markers as SVG elements make a page of about 10 MB that a browser draws
#: slowly, while the points of a crowded panel overlap anyway; the image is a few kB.
RASTER_POINTS = 5000
REFERENCE_COLOUR = "#555555"
LABEL_COLOUR = "#333333"
X_LABEL = "Peak ALT (× ULN)"
Y_LABEL = "Peak total bilirubin (× ULN)"

#: What the drawing imports (see :func:`csrgen.figures.warm_up_modules`): no matplotlib Figure.
WARM_UP = scene.WARM_UP

# The layout, in points, of the matplotlib figure this drawing replaces (csrgen's style).
_PAD = 3.0  # constrained layout's pad around the figure and each panel
_TICK_FONT, _LABEL_FONT, _TITLE_FONT, _QUADRANT_FONT = 7.5, 9.0, 8.5, 6.5
_LW, _TICK, _TICK_PAD = 0.8, 3.5, 3.5
_LABEL_PAD, _TITLE_PAD = 4.0, 6.0  # tick labels to the axis label; axis to the title
#: Height above the baseline and depth below it of DejaVu Sans's tallest letters and deepest
#: descenders, per point of size ("lp", as matplotlib measures a line of text).
_ASCENT, _DESCENT = 1556 / 2048, 492 / 2048
_LINE_SPACING = 1.2  # a title's lines
_TITLE_LINES = 2  # at most, per line of the title given (an arm's name, its n)
_QUADRANT_SPACING = 1.04  # a quadrant label's lines (matplotlib's ``linespacing=1.0``)
_CORNER = 1.15  # a quadrant label's corner: this factor inside the axis corner (both axes)
_BOX_PAD = 0.5  # white around a quadrant label
_BOX_OPACITY = 0.85
_DASH = (2.96, 1.28)  # matplotlib's "--" at 0.8 points
_MARKER_SIZE, _MARKER_EDGE = math.sqrt(14), 0.8  # matplotlib's scatter of s=14


@dataclass(frozen=True)
class Panel:
    """One arm's panel: the points, its title and each quadrant's count (as printed, in the
    order of :data:`~csrgen.analyses.hepatic.QUADRANTS`)."""

    x: tuple[float, ...]
    y: tuple[float, ...]
    title: str
    quadrants: tuple[str, ...]


def draw_edish(
    figure_id: str,
    panels: tuple[Panel, ...],
    t: float,
    b: float,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    width_in: float,
    height_in: float,
) -> tuple[str, bytes]:
    """SVG and PNG of the eDISH panels, one per arm (``width_in`` x ``height_in``).

    Points that a log axis cannot show (not finite, not positive) or that fall outside
    ``xlim`` x ``ylim`` are not drawn. The PNG draws every point; the SVG too, but a panel of
    more than :data:`RASTER_POINTS` points has them as one embedded image (drawn like the PNG,
    transparent around the markers) placed after the vector shapes, as the points lie above
    everything else in a panel.
    """
    width, height = width_in * PT, height_in * PT
    drawing = _layout(panels, t, b, xlim, ylim, width, height)
    vector: list[Shape] = []
    layers = []
    for i, (xy, box) in enumerate(zip(drawing.points, drawing.boxes, strict=True)):
        shape, colour = MARKERS[i % len(MARKERS)], ARM_COLOURS[i % len(ARM_COLOURS)]
        if len(xy) > RASTER_POINTS:
            layers.append(_layer(xy, shape, colour, box))
        else:
            vector += [
                Marker(x, y, shape, _MARKER_SIZE, colour, _MARKER_EDGE, hollow=True)
                for x, y in xy.tolist()
            ]
    scene = Scene(width, height, drawing.shapes + tuple(vector))
    text, image = svg(scene), png(scene, PNG_DPI)
    if layers:
        text = text.removesuffix("</svg>\n") + "".join(_svg_image(*la) for la in layers)
        text += "</svg>\n"
        image = _composite(image, layers)
    return text, image


@dataclass(frozen=True)
class _Drawing:
    #: Everything but the points, in drawing order.
    shapes: tuple[Shape, ...]
    #: Each panel's points (x, y in points; a numpy array of n x 2), drawn last: they lie above
    #: the panel's lines, labels and spines.
    points: tuple
    #: Each panel's plot area: left, top, right, bottom.
    boxes: tuple[tuple[float, float, float, float], ...]


class _LogAxis:
    """Values from ``lo`` to ``hi`` on a log scale over the points ``p0`` to ``p1`` (``p1`` below
    ``p0`` for a y axis), with a tick at each decade and a label every ``every`` decades."""

    def __init__(self, lo: float, hi: float, p0: float, p1: float, every: int = 1) -> None:
        self.lo, self.hi, self.p0, self.p1 = lo, hi, p0, p1
        self._l0, self._span = math.log10(lo), math.log10(hi / lo)
        self.ticks = _decades(lo, hi)
        self.every = every

    def at(self, value: float) -> float:
        return self.p0 + (math.log10(value) - self._l0) / self._span * (self.p1 - self.p0)

    def at_each(self, values):
        """:meth:`at` of a numpy array of values."""
        import numpy as np

        return self.p0 + (np.log10(values) - self._l0) / self._span * (self.p1 - self.p0)

    def labels(self) -> list[tuple[float, str]]:
        """The labelled ticks (1 always among them when on the axis); where thinning would
        leave fewer than two, the first and the last decade instead (an axis needs two labels
        to be read, and its ends are as far apart as labels can be)."""
        chosen = [v for v in self.ticks if round(math.log10(v)) % self.every == 0]
        if len(chosen) < 2 <= len(self.ticks):
            chosen = [self.ticks[0], self.ticks[-1]]
        return [(v, fmt_level(v)) for v in chosen]


def _decades(lo: float, hi: float) -> list[float]:
    """The powers of ten from ``lo`` to ``hi`` (to a millionth of a decade)."""
    first = math.ceil(math.log10(lo) - 1e-6)
    last = math.floor(math.log10(hi) + 1e-6)
    return [10.0**k for k in range(first, last + 1)]


def _every(labels_extent: float, decade: float) -> int:
    """Label every how many decades so that labels ``labels_extent`` long (and 4 points apart)
    do not run into one another on decades ``decade`` points apart."""
    return max(1, math.ceil((labels_extent + 4.0) / decade)) if decade > 0 else 1


def _layout(panels, t, b, xlim, ylim, width: float, height: float) -> _Drawing:
    """The figure's shapes: margins from the measured texts, as matplotlib's constrained
    layout leaves them (the y label and tick labels on the left, half the end tick labels
    beyond the panels, the titles above)."""
    n = max(len(panels), 1)
    decades_x, decades_y = math.log10(xlim[1] / xlim[0]), math.log10(ylim[1] / ylim[0])
    # a first guess of the panels' size to thin crowded tick labels, then the margins
    rough_w = (width - 60.0) / n
    rough_h = height - 60.0
    widest_x = max((text_width(fmt_level(v), _TICK_FONT) for v in _decades(*xlim)), default=0.0)
    x_every = _every(widest_x, rough_w / max(decades_x, 1e-9))
    y_every = _every(_LINE_SPACING * _TICK_FONT, rough_h / max(decades_y, 1e-9))
    x_labels = _LogAxis(*xlim, 0.0, 1.0, x_every).labels()
    y_labels = _LogAxis(*ylim, 0.0, 1.0, y_every).labels()
    first = text_width(x_labels[0][1], _TICK_FONT) / 2 if x_labels else 0.0
    last = text_width(x_labels[-1][1], _TICK_FONT) / 2 if x_labels else 0.0
    widest_y = max((text_width(s, _TICK_FONT) for _, s in y_labels), default=0.0)
    left = _PAD + _LABEL_FONT * (_ASCENT + _DESCENT) + _LABEL_PAD + widest_y + _TICK + _TICK_PAD
    left = max(left, _PAD + first)
    right = _PAD + last
    gap = last + first + 2 * _PAD
    panel_w = max((width - left - right - (n - 1) * gap) / n, 1.0)
    titles = [_title_lines(p.title, panel_w + gap - 4.0) for p in panels]
    lines = max((len(t_) for t_ in titles), default=1)
    top = _PAD + _ASCENT * _TITLE_FONT + (lines - 1) * _LINE_SPACING * _TITLE_FONT + _TITLE_PAD
    bottom = height - (
        _TICK + _TICK_PAD + _TICK_FONT * (_ASCENT + _DESCENT) + _LABEL_PAD
        + _LABEL_FONT * (_ASCENT + _DESCENT) + _PAD
    )  # fmt: skip
    bottom = max(bottom, top + 1.0)

    shapes: list[Shape] = []
    points = []
    boxes = []
    for i, panel in enumerate(panels):
        x0 = left + i * (panel_w + gap)
        x1 = x0 + panel_w
        xa = _LogAxis(*xlim, x0, x1, x_every)
        ya = _LogAxis(*ylim, bottom, top, y_every)
        colour = ARM_COLOURS[i % len(ARM_COLOURS)]
        shapes += _reference(xa, ya, t, b)
        shapes += _quadrant_labels(panel.quadrants, xa, ya)
        shapes += _axes(xa, ya, first_panel=i == 0)
        shapes += _title(titles[i], (x0 + x1) / 2, top, colour, width)
        points.append(_points(panel, xa, ya))
        boxes.append((x0, top, x1, bottom))
    if panels:
        y_label = fit(Y_LABEL, _LABEL_FONT, bottom - top)
        x = _PAD + _ASCENT * _LABEL_FONT
        shapes.append(Text(x, (top + bottom) / 2, y_label, _LABEL_FONT, "middle", rotation=90))
    return _Drawing(tuple(shapes), tuple(points), tuple(boxes))


def _title_lines(title: str, width: float) -> list[str]:
    """The title's lines (its own breaks kept), each broken at spaces to ``width`` points, a
    word wider than that cut with an ellipsis; a part of more than :data:`_TITLE_LINES` lines
    ends with an ellipsis on the last."""
    out: list[str] = []
    for part in title.split("\n"):
        lines, line = [], ""
        for word in clean(part).split(" "):
            trial = f"{line} {word}" if line else word
            if line and text_width(trial, _TITLE_FONT) > width:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
        if len(lines) > _TITLE_LINES:
            rest = " ".join(lines[_TITLE_LINES - 1 :])
            lines = [*lines[: _TITLE_LINES - 1], fit(rest + "\u2026", _TITLE_FONT, width)]
        out += lines
    return [fit(line, _TITLE_FONT, width) for line in out]


def _title(lines: list[str], centre: float, top: float, colour: str, width: float):
    """The title's lines centred over the panel, the last ``_TITLE_PAD`` above it, kept inside
    the figure."""
    out: list[Shape] = []
    for k, line in enumerate(lines):
        y = top - _TITLE_PAD - (len(lines) - 1 - k) * _LINE_SPACING * _TITLE_FONT
        half = text_width(line, _TITLE_FONT) / 2
        x = min(max(centre, _PAD + half), width - _PAD - half)
        out.append(Text(x, y, line, _TITLE_FONT, "middle", colour))
    return out


def _reference(xa: _LogAxis, ya: _LogAxis, t: float, b: float) -> list[Shape]:
    """The dashed lines at ALT = ``t`` (bottom to top) and bilirubin = ``b`` (left to right),
    where they fall on the axes."""
    out: list[Shape] = []
    if xa.lo <= t <= xa.hi:
        x = xa.at(t)
        out.append(Line(x, ya.p0, x, ya.p1, _LW, REFERENCE_COLOUR, _DASH))
    if ya.lo <= b <= ya.hi:
        y = ya.at(b)
        out.append(Line(xa.p0, y, xa.p1, y, _LW, REFERENCE_COLOUR, _DASH))
    return out


def _quadrant_labels(counts: tuple[str, ...], xa: _LogAxis, ya: _LogAxis) -> list[Shape]:
    """Each quadrant's name and count in its outer corner, away from the reference lines where
    the points gather, on a light box (drawn before the points: no point is hidden)."""
    size = _QUADRANT_FONT
    kx = xa.at(xa.lo * _CORNER) - xa.p0
    ky = ya.p0 - ya.at(ya.lo * _CORNER)
    room = (xa.p1 - xa.p0) / 2 - kx - 1.0
    step = _QUADRANT_SPACING * size
    corners = {  # x, y, anchor, from the top
        "NORMAL": (xa.p0 + kx, ya.p0 - ky, "start", False),
        "HYPERBILIRUBINEMIA": (xa.p0 + kx, ya.p1 + ky, "start", True),
        "TEMPLE": (xa.p1 - kx, ya.p0 - ky, "end", False),
        "HYS_LAW": (xa.p1 - kx, ya.p1 + ky, "end", True),
    }
    out: list[Shape] = []
    for q, n in zip(QUADRANTS, counts, strict=True):
        x, y, anchor, from_top = corners[q]
        label = QUADRANT_LABELS[q].replace("Temple's corollary", "Temple's\ncorollary")
        label = label.replace("Potential Hy's law", "Potential\nHy's law")
        lines = [fit(clean(s), size, room) for s in (*label.split("\n"), f"({n})")]
        # the first line's baseline: the block's top or bottom at the corner
        first = y + _ASCENT * size if from_top else y - _DESCENT * size - (len(lines) - 1) * step
        w = max(text_width(s, size) for s in lines)
        x_left = x if anchor == "start" else x - w
        box_top = first - _ASCENT * size - _BOX_PAD
        box_bottom = first + (len(lines) - 1) * step + _DESCENT * size + _BOX_PAD
        out.append(
            Rect(x_left - _BOX_PAD, box_top, w + 2 * _BOX_PAD, box_bottom - box_top, WHITE,
                 _BOX_OPACITY)
        )  # fmt: skip
        out += [
            Text(x, first + k * step, s, size, anchor, LABEL_COLOUR) for k, s in enumerate(lines)
        ]
    return out


def _axes(xa: _LogAxis, ya: _LogAxis, first_panel: bool) -> list[Shape]:
    """Left and bottom spines, a tick at each decade, the x tick labels and the x label; the y
    tick labels on the first panel only (the panels share their y axis)."""
    x0, x1, bottom, top = xa.p0, xa.p1, ya.p0, ya.p1
    out: list[Shape] = [
        Line(x0, bottom, x0, top, _LW, cap="square"),
        Line(x0, bottom, x1, bottom, _LW, cap="square"),
    ]
    for v in xa.ticks:
        out.append(Line(xa.at(v), bottom, xa.at(v), bottom + _TICK, _LW))
    for v in ya.ticks:
        out.append(Line(x0 - _TICK, ya.at(v), x0, ya.at(v), _LW))
    baseline = bottom + _TICK + _TICK_PAD + _ASCENT * _TICK_FONT
    out += [Text(xa.at(v), baseline, s, _TICK_FONT, "middle") for v, s in xa.labels()]
    if first_panel:
        # matplotlib centres a y tick label's capitals on the tick (``va="center_baseline"``)
        out += [
            Text(x0 - _TICK - _TICK_PAD, ya.at(v) + _ASCENT * _TICK_FONT / 2, s, _TICK_FONT, "end")
            for v, s in ya.labels()
        ]
    label_y = baseline + _DESCENT * _TICK_FONT + _LABEL_PAD + _ASCENT * _LABEL_FONT
    label = fit(X_LABEL, _LABEL_FONT, x1 - x0 + 2 * _PAD)
    out.append(Text((x0 + x1) / 2, label_y, label, _LABEL_FONT, "middle"))
    return out


def _points(panel: Panel, xa: _LogAxis, ya: _LogAxis):
    """Where the panel's points are drawn (points; n x 2): those on both axes (finite,
    positive, within the limits)."""
    import numpy as np

    x, y = np.asarray(panel.x, float), np.asarray(panel.y, float)
    with np.errstate(invalid="ignore"):  # NaN compares false: left out
        shown = (x >= xa.lo) & (x <= xa.hi) & (y >= ya.lo) & (y <= ya.hi)
    return np.column_stack([xa.at_each(x[shown]), ya.at_each(y[shown])])


def _layer(xy, shape: str, colour: str, box):
    """The markers at ``xy`` (points) as one image over the plot area ``box`` and the markers'
    reach beyond it, on the figure PNG's pixel grid: a palette image of the arm's colour at 17
    opacities, and its top-left pixel.

    Each marker is the scene's own (its coverage taken from a PNG of one marker, placed on the
    pixel the scene would put it on); overlapping markers of one colour cover a pixel as layers
    of paint do, 1 - (1 - a)(1 - b)..., summed as logarithms: thousands of markers cost a few
    array additions, not a drawing each.
    """
    import numpy as np
    from PIL import Image

    s = PNG_DPI / PT
    kernel, (kx, ky) = _marker_kernel(shape)
    x0, y0 = math.floor(box[0] * s) + kx, math.floor(box[1] * s) + ky
    x1 = math.ceil(box[2] * s) + kx + kernel.shape[1]
    y1 = math.ceil(box[3] * s) + ky + kernel.shape[0]
    # each marker's pixel (as the scene places it), relative to the layer's corner less the
    # kernel's offset
    cols = np.floor(xy[:, 0] * s).astype(np.int64) - x0 + kx
    rows = np.floor(xy[:, 1] * s).astype(np.int64) - y0 + ky
    counts = np.zeros((y1 - y0, x1 - x0))
    np.add.at(counts, (rows, cols), 1.0)
    logs = np.log(np.maximum(1.0 - kernel, 1e-6))
    clear = np.zeros_like(counts)  # sum of log(1 - coverage) over the markers on each pixel
    h, w = counts.shape
    for (i, j), v in np.ndenumerate(logs):
        if v:
            clear[i:, j:] += v * counts[: h - i, : w - j]
    cover = np.rint((1.0 - np.exp(clear)) * _LEVELS).astype(np.uint8)
    image = Image.frombytes("P", (w, h), cover.tobytes())
    image.putpalette(list(_rgb(colour)) * (_LEVELS + 1))
    image.info["transparency"] = bytes(round(k * 255 / _LEVELS) for k in range(_LEVELS + 1))
    return image, (x0, y0)


#: Steps of a marker's coverage in the scene's PNG (:mod:`csrgen.outputs.scene_png`), kept.
_LEVELS = 16


@functools.cache
def _marker_kernel(shape: str):
    """One marker's coverage (0-1, an array) as the scene's PNG draws it, and the offset
    (pixels) of the array's corner from the pixel holding the marker's centre."""
    import numpy as np
    from PIL import Image

    s = PNG_DPI / PT
    half = math.ceil((_MARKER_SIZE * math.sqrt(2) / 2 + _MARKER_EDGE) * s) + 2
    # the marker's centre in the middle of pixel (half, half)
    one = Marker((half + 0.5) / s, (half + 0.5) / s, shape, _MARKER_SIZE, BLACK, _MARKER_EDGE, True)
    drawn = Image.open(
        io.BytesIO(png(Scene((2 * half + 1) / s, (2 * half + 1) / s, (one,)), PNG_DPI))
    )
    ink = 255 - np.asarray(drawn.convert("L"), float)
    return np.rint(ink * _LEVELS / 255) / _LEVELS, (-half, -half)


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[k : k + 2], 16) for k in (1, 3, 5))


def _svg_image(image, corner) -> str:
    """An embedded PNG of ``image`` at the pixel ``corner`` of the figure's PNG grid."""
    s = PNG_DPI / PT
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=9)
    data = base64.b64encode(out.getvalue()).decode("ascii")
    x, y = corner
    w, h = image.size
    return (
        f'<image xmlns:xlink="http://www.w3.org/1999/xlink" x="{_n(x / s)}" y="{_n(y / s)}" '
        f'width="{_n(w / s)}" height="{_n(h / s)}" preserveAspectRatio="none" '
        f'xlink:href="data:image/png;base64,{data}"/>\n'
    )


def _composite(png_bytes: bytes, layers) -> bytes:
    """The figure's PNG with the layers painted over it (as the SVG shows them)."""
    from PIL import Image

    figure = Image.open(io.BytesIO(png_bytes)).convert("RGBA")
    for image, (x, y) in layers:
        layer = image.convert("RGBA")
        # the part of the layer on the figure
        left, top = max(x, 0), max(y, 0)
        right, bottom = min(x + layer.width, figure.width), min(y + layer.height, figure.height)
        if left < right and top < bottom:
            part = layer.crop((left - x, top - y, right - x, bottom - y))
            figure.alpha_composite(part, (left, top))
    out = io.BytesIO()
    dpi = (PNG_DPI, PNG_DPI)
    figure.convert("RGB").save(out, format="PNG", compress_level=1, dpi=dpi)
    return out.getvalue()


def _n(v: float) -> str:
    """A coordinate as the scene's SVG writes them (a thousandth of a point)."""
    text = f"{v:.3f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
