"""Pictures added to a DOCX with csrgen's image index (csrgen.writers.docx._index_images) are
stored as python-docx stores them: an image added twice once, numbered image1, image2, ...,
the same package either way."""

from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.shared import Inches
from PIL import Image

from csrgen.writers.docx import _index_images


def _png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), colour).save(out, format="PNG")
    return out.getvalue()


def _package(images: list[bytes], indexed: bool) -> dict[str, bytes]:
    doc = Document()
    if indexed:
        _index_images(doc)
    for png in images:
        doc.add_paragraph().add_run().add_picture(io.BytesIO(png), width=Inches(1))
    raw = io.BytesIO()
    doc.save(raw)
    with zipfile.ZipFile(raw) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_indexed_images_are_stored_as_python_docx_stores_them():
    red, green, blue = _png((255, 0, 0)), _png((0, 255, 0)), _png((0, 0, 255))
    images = [red, green, red, blue, green]
    indexed, plain = _package(images, True), _package(images, False)
    media = sorted(n for n in indexed if n.startswith("word/media/"))
    # three distinct images, each stored once, numbered in order of first use
    assert media == ["word/media/image1.png", "word/media/image2.png", "word/media/image3.png"]
    assert [indexed[n] for n in media] == [red, green, blue]
    # the same package as python-docx's own lookup gives (the reference)
    assert indexed == plain
