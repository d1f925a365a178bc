"""Figure rendering shared by the figure outputs: one look, deterministic bytes.

Figures are drawn with matplotlib's object API (no pyplot global state) and rendered twice from
the same Figure: SVG for the HTML (text kept as text, ids salted with the output id so that two
figures in one page never share an id) and a 200-dpi PNG for the DOCX. Neither file carries a
date or a software stamp, so the same data give the same bytes.
"""

from __future__ import annotations

import io
import re
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


def new_figure(width_in: float, height_in: float):
    """A matplotlib Figure with csrgen's style (no pyplot, no global state)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width_in, height_in), layout="constrained")
    fig.set_dpi(100)
    return fig


def style():
    """Context manager applying csrgen's rcParams while drawing."""
    import matplotlib

    return matplotlib.rc_context(_RC)


def render(fig, figure_id: str) -> tuple[str, bytes]:
    """SVG text (without XML prolog, ready to inline) and PNG bytes of ``fig``."""
    import matplotlib

    with matplotlib.rc_context({**_RC, "svg.hashsalt": figure_id}):
        # The SVG pass lays the figure out; freeze that layout for the PNG pass (the
        # constrained-layout solver would otherwise move things by a millionth of a point, and
        # lay out a third time).
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        svg = buffer.getvalue()
        # No engine at all (``"none"`` would leave a placeholder engine, for which savefig
        # draws the whole figure once more before drawing it).
        fig.set_layout_engine(None)
        png = io.BytesIO()
        # zlib level 1: a few % larger files, a third of the encoding time.
        fig.savefig(
            png,
            format="png",
            dpi=PNG_DPI,
            metadata={"Software": None},
            pil_kwargs={"compress_level": 1},
        )
    svg = svg[svg.index("<svg") :]
    # Inline SVGs share one id space with the page: prefix every id with the figure id.
    prefix = re.sub(r"[^A-Za-z0-9_-]", "-", figure_id) + "-"
    svg = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', lambda m: f'xlink:href="#{prefix}{m.group(1)}"', svg)
    return svg, png.getvalue()
