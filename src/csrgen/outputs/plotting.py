"""What the figure outputs share: one look (arm colours and line styles, the font, the PNG's
resolution), and plans of figures drawn later (see :mod:`csrgen.figures`).

Every figure is laid out once, in points, and written as SVG text for the HTML and a 200-dpi
PNG for the DOCX by :mod:`csrgen.outputs.scene`, in the look of matplotlib's figures with
csrgen's style (``_RC``): matplotlib supplies the font files, the axis locators and formatters
and the dash patterns, not its Figure. Neither file carries a date or a software stamp, so the
same data give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from csrgen.document.model import FigurePlan

#: Colours per arm position (reference arm first): colour-blind-safe (Okabe-Ito), also
#: distinguishable in greyscale by line style.
ARM_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
ARM_LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1)))
PNG_DPI = 200

_RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",  # shipped with matplotlib: the same glyphs on every machine
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.8,
    "legend.frameon": False,
    "svg.fonttype": "none",
    "path.simplify": False,
}


def plan(func: Callable, *args, **kwargs) -> FigurePlan:
    """A plan to draw a figure later with ``func(*args, **kwargs)``, which returns its SVG text
    and PNG bytes (see :mod:`csrgen.figures`, which draws the plans of a run together).

    ``func`` must be a module-level function, the arguments plain data: numbers, texts,
    tuples, lists, numpy arrays, frozen dataclasses of those (no output context).
    """
    name = f"{func.__module__}:{func.__qualname__}"
    if "." in func.__qualname__:
        raise ValueError(f"{name}: a figure's draw function must be a module-level function")
    return FigurePlan(name, tuple(args), tuple(sorted(kwargs.items())))


def style():
    """Context manager applying csrgen's rcParams while drawing."""
    import matplotlib

    return matplotlib.rc_context(_RC)
