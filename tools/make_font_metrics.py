"""Make ``src/csrgen/writers/font_metrics.json``: advance widths of the table font, reproducibly.

    .venv/bin/python tools/make_font_metrics.py [REGULAR.ttf BOLD.ttf]

The DOCX writer sizes table columns from the printed width of their text. It measures with the
advance widths of Liberation Sans (regular and bold), which is metric-compatible with Arial, the
font of ``templates/reference.docx``: Word (Arial) and LibreOffice (Liberation Sans, its stand-in
for Arial) lay the same text out to the same width. The widths are stored with the package so
that the document is the same on every machine, whatever fonts it has. fontTools comes with
matplotlib; the fonts with the ``fonts-liberation`` package.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "csrgen" / "writers" / "font_metrics.json"
FONTS = Path("/usr/share/fonts/truetype/liberation")
DEFAULT = (FONTS / "LiberationSans-Regular.ttf", FONTS / "LiberationSans-Bold.ttf")


def widths(path: Path) -> tuple[int, dict[str, int]]:
    """(units per em, {code point as decimal text: advance width}) of a TrueType font."""
    font = TTFont(str(path))
    advance = font["hmtx"]
    cmap = font.getBestCmap()
    return font["head"].unitsPerEm, {
        str(code): advance[glyph][0] for code, glyph in sorted(cmap.items())
    }


def build(regular: Path, bold: Path, out: Path = OUT) -> Path:
    em, normal = widths(regular)
    em_bold, heavy = widths(bold)
    assert em == em_bold, "regular and bold differ in units per em"
    data = {
        "font": "Liberation Sans (metric-compatible with Arial)",
        "units_per_em": em,
        "regular": normal,
        "bold": heavy,
    }
    out.write_text(json.dumps(data, separators=(",", ":"), sort_keys=False) + "\n", "utf-8")
    return out


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:3]] if len(sys.argv) > 2 else list(DEFAULT)
    print(build(*paths))
