"""Pictures added to a DOCX with csrgen's image index (csrgen.writers.docx._index_images) are
stored as python-docx stores them: an image added twice once, numbered image1, image2, ...,
the same package either way."""

from __future__ import annotations

import io
import zipfile

from docx import Document
from docx.oxml.ns import qn
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


def test_the_writers_pictures_are_python_docxs_own(tmp_path, monkeypatch):
    """csrgen counts picture shape ids itself; python-docx's ``add_picture`` (reading every id
    of the document for each picture) is the reference: the same package, byte for byte."""
    from dataclasses import replace

    from csrgen.document.model import Figure, Section
    from csrgen.writers import docx as writer
    from tests.writers.sample import sample_document

    doc = sample_document(listing_rows=5)
    colours = [(255, 0, 0), (0, 255, 0), (255, 0, 0), (0, 0, 255), (0, 255, 0)]
    figures = tuple(
        Figure(
            id=f"f_{i}",
            number=f"Figure 15.{i}",
            title=f"Figure {i}",
            population="",
            svg="<svg/>",
            png=_png(c),
            width_in=4.0 + i,
            height_in=2.0,
            alt=f"picture {i}",
            landscape=i % 2 == 1,  # sections change orientation between pictures
        )
        for i, c in enumerate(colours)
    )
    doc = replace(doc, sections=(*doc.sections, Section("15", "More", "sec-15", figures)))
    writer.write_docx(doc, tmp_path / "ours.docx")

    def reference(self, par, png, width):
        return par.add_run().add_picture(io.BytesIO(png), width=width)._inline

    monkeypatch.setattr(writer._Writer, "_picture", reference)
    writer.write_docx(doc, tmp_path / "theirs.docx")
    assert (tmp_path / "ours.docx").read_bytes() == (tmp_path / "theirs.docx").read_bytes()
    word = Document(str(tmp_path / "ours.docx"))
    ids = [int(e.get("id")) for e in word.element.body.iter(qn("wp:docPr"))]
    names = [e.get("name") for e in word.element.body.iter(qn("wp:docPr"))]
    assert len(set(ids)) == len(ids) == 1 + len(figures)  # the sample's figure and these
    assert names[-len(figures) :] == [f.id for f in figures]
