"""HTML writer: one self-contained page (inline CSS, inline SVG, no external requests).

Laid out by Jinja2 templates (``templates/html/``) whose macros mirror the DOCX writer's parts:
``heading``, ``column_labels``, ``body``, ``notes``. Autoescaping is on: every value from the
data renders as text. Figures are csrgen's own SVG, inserted as markup.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from csrgen import __version__
from csrgen.document.model import Document


def _lines(text: str) -> Markup:
    """Escape, then turn line breaks of header labels into ``<br>``."""
    return Markup("<br>").join(escape(part) for part in str(text).split("\n"))


def html_environment(template_dirs: list[Path]) -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(d) for d in template_dirs]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters["lines"] = _lines
    return env


def render_html(doc: Document, template_dirs: list[Path]) -> str:
    env = html_environment(template_dirs)
    css = env.loader.get_source(env, "html/csr.css")[0]
    js = env.loader.get_source(env, "html/csr.js")[0]
    page = env.get_template("html/csr.html.j2")
    return page.render(doc=doc, css=Markup(css), js=Markup(js), version=__version__)


def write_html(doc: Document, path: Path, template_dirs: list[Path]) -> None:
    path.write_text(render_html(doc, template_dirs), encoding="utf-8", newline="\n")
