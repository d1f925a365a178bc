"""A PDF's words as printed: poppler's ``pdftotext -bbox`` word boxes grouped into visual lines.

A line is every word of a page whose baseline (box bottom) lies within :data:`BASELINE_PT` of
the line's first word, left to right: the cells of one table row make one line, as a reader
sees them. The page header and footer (the margins' bands) are left out.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from pathlib import Path

#: Words whose boxes' bottoms differ by at most this much (points) share a line.
BASELINE_PT = 2.0
#: Words closer than this (points) are one word printed in pieces (a space is 2 pt or more).
TOUCH_PT = 0.5
#: Bands at the top and bottom of each page holding the running header and footer (points;
#: the body starts 72 pt from the edge, the header and footer sit 36 pt from it).
MARGIN_BAND_PT = 64.0

_PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">')
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def norm(text: str) -> str:
    """Text as compared: compatibility forms folded (no-break space -> space, ligatures ->
    letters), non-breaking and Unicode hyphens -> "-"."""
    folded = unicodedata.normalize("NFKC", text)
    return folded.replace("\u2010", "-").replace("\u2011", "-")


def tokens(text: str) -> list[str]:
    """The words of ``text`` as a PDF reader separates them: at any white space."""
    return norm(text).split()


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    x1: float
    bottom: float


@dataclass(frozen=True)
class Line:
    """One printed line: its page (1-based), baseline and words left to right."""

    page: int
    bottom: float
    words: tuple[Word, ...]

    @property
    def tokens(self) -> list[str]:
        return [w.text for w in self.words]

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


def pdf_lines(pdf: Path) -> list[Line]:
    """Every body line of ``pdf`` in reading order (page by page, top to bottom)."""
    tool = shutil.which("pdftotext")
    assert tool, "poppler's pdftotext is needed (apt-get install poppler-utils)"
    xml = subprocess.run(
        [tool, "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    lines: list[Line] = []
    pages = _PAGE.split(xml)[1:]
    for number, i in enumerate(range(0, len(pages), 3), start=1):
        height = float(pages[i + 1])
        words = []
        for x0, y0, x1, y1, text in _WORD.findall(pages[i + 2]):
            top, bottom = float(y0), float(y1)
            if bottom < MARGIN_BAND_PT or top > height - MARGIN_BAND_PT:
                continue
            for piece in tokens(html.unescape(text)):
                words.append(Word(piece, float(x0), float(x1), bottom))
        lines.extend(_group(number, words))
    return lines


def _group(page: int, words: list[Word]) -> list[Line]:
    out: list[Line] = []
    current: list[Word] = []
    for word in sorted(words, key=lambda w: (w.bottom, w.x0)):
        if current and word.bottom - current[0].bottom > BASELINE_PT:
            out.append(_line(page, current))
            current = []
        current.append(word)
    if current:
        out.append(_line(page, current))
    return out


def _line(page: int, words: list[Word]) -> Line:
    """Words left to right; pieces that touch (a glyph from a fallback font, which pdftotext
    reports as a word of its own: "(10" "⁶") joined into one word."""
    joined: list[Word] = []
    for word in sorted(words, key=lambda w: w.x0):
        last = joined[-1] if joined else None
        if last and 0 <= word.x0 - last.x1 < TOUCH_PT and abs(word.bottom - last.bottom) < 1:
            joined[-1] = Word(last.text + word.text, last.x0, word.x1, last.bottom)
        else:
            joined.append(word)
    return Line(page, words[0].bottom, tuple(joined))


def pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))


def soffice_pdf(docx: Path, folder: Path) -> Path:
    """``docx`` converted to PDF by LibreOffice (headless, its own profile in ``folder``)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice (libreoffice-writer) is needed; .ci/run installs it"
    folder.mkdir(parents=True, exist_ok=True)
    profile = folder / "lo-profile"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(docx),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return folder / (docx.stem + ".pdf")
