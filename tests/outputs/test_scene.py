"""The lay-out-once renderer's primitives (csrgen.outputs.scene), read back from their images.

Each check is geometry done by hand: a text turned a quarter-turn must put its ink where the
upright text's ink lands after the same turn about the anchor point, in the PNG (decoded with
Pillow) and in the SVG (the transform read back from the element).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from csrgen.outputs.scene import Scene, Text, png, svg

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
