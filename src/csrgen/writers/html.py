"""HTML writer: one self-contained page (inline CSS, inline SVG, no external requests).

Laid out by Jinja2 templates (``templates/html/``) whose macros mirror the DOCX writer's parts:
``heading``, ``column_labels``, ``body``, ``notes``. Autoescaping is on: every value from the
data renders as text. Figures are csrgen's own SVG, inserted as markup. The page reads fully
without its script; the script adds sorting and filtering of listings. A link to a listing's
rows (a count to the records behind it) is ``<a href="#l_ae" data-filter="AEDECOD=...&te=Y">``:
the anchor jumps to the listing without script; with it, the listing shows exactly the rows whose
fields (a column's ``data-key``, or a row's hidden fact ``data-f-<key>``) hold those texts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from markupsafe import escape as _escape

from csrgen import __version__
from csrgen import formatting as fmt
from csrgen.document.model import (
    Contents,
    Document,
    Figure,
    Listing,
    Paragraph,
    Section,
    Table,
    iter_blocks,
)
from csrgen.writers.text import printable


def escape(value) -> Markup:
    """HTML-escaped text without the characters no document holds (see writers.text)."""
    if isinstance(value, Markup):
        return Markup(printable(str(value)))
    return _escape(printable(value) if isinstance(value, str) else value)


def _finalize(value):
    """Every ``{{ }}`` of the templates: text through :func:`printable`, markup kept markup."""
    if isinstance(value, Markup):
        return Markup(printable(str(value)))
    return printable(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class Bullets:
    """Consecutive bullet paragraphs, laid out as one list."""

    items: tuple[Paragraph, ...]


def block_kind(block) -> str:
    if isinstance(block, Section):
        return "section"
    if isinstance(block, Bullets):
        return "bullets"
    if isinstance(block, Paragraph):
        return "paragraph"
    if isinstance(block, Contents):
        return "contents"
    if isinstance(block, Figure):
        return "figure"
    if isinstance(block, Listing):
        return "listing"
    if isinstance(block, Table):
        return "table"
    raise TypeError(f"unknown block {type(block).__name__}")


def bullet_groups(blocks) -> list:
    """``blocks`` with runs of bullet paragraphs gathered into :class:`Bullets`."""
    out: list = []
    for block in blocks:
        if isinstance(block, Paragraph) and block.style == "bullet":
            if out and isinstance(out[-1], Bullets):
                out[-1] = Bullets(out[-1].items + (block,))
            else:
                out.append(Bullets((block,)))
        else:
            out.append(block)
    return out


def link_attrs(item) -> Markup:
    """``href`` of a cell's or run's link and, for a listing's rows, ``data-filter`` (the
    :class:`~csrgen.document.model.ListingFilter` as its query)."""
    attrs = f' href="{escape(item.link)}"'
    if item.filter is not None:
        attrs += f' data-filter="{escape(item.filter.query())}"'
    return Markup(attrs)


def fact_attr(key: str) -> str:
    """The row attribute of a hidden fact (``te`` -> ``data-f-te``); keys are checked by the
    model (letters, digits, underscores), attribute names are lower case."""
    return "data-f-" + key.lower()


def facts_json(t) -> str:
    """A listing's hidden facts, key -> label, for the page script's filter bar."""
    return json.dumps({f.key: f.label for f in getattr(t, "facts", ())}, ensure_ascii=False)


def _is_output(block) -> bool:
    return isinstance(block, Table | Listing | Figure) and bool(block.number)


def outputs_of_kind(sections, kind: str) -> list:
    """Numbered tables, figures or listings (``kind`` as in their numbers), in document order."""
    return [
        b for b in iter_blocks(tuple(sections)) if _is_output(b) and b.number.startswith(kind + " ")
    ]


def print_landscape(block, paper: str) -> bool:
    """Whether a table prints on a landscape page, as in the DOCX: listings, tables marked
    landscape, and tables too wide for a portrait page of the document's paper."""
    from csrgen.writers import layout

    if isinstance(block, Listing) or block.landscape:
        return True
    if block.null_reason or not block.rows or not block.number:
        return False
    try:
        return layout.plan(block, layout.text_area(paper)).landscape
    except layout.LayoutError:
        return True


def _lines(text: str) -> Markup:
    """Escape, then turn line breaks of header labels into ``<br>``."""
    return Markup(str(escape(text)).replace("\n", "<br>"))


def body_html(t) -> Markup:
    """The ``<tbody>`` of a table or listing.

    Written here rather than as a Jinja loop because listings run to thousands of rows: the
    same markup as a template macro would make (escaped text, scoped row headers, alignment
    and indent classes, links with ``data-filter``), a tenth of the time.
    """
    aligns = [f"a-{c.align}" for c in t.columns]
    facts = [fact_attr(f.key) for f in getattr(t, "facts", ())]
    texts: dict[str, str] = {}  # each distinct cell text escaped once (listings repeat theirs)
    out = ["<tbody>"]
    for row in t.rows:
        attrs = ' class="group"' if row.kind == "group" else ""
        if row.anchor:
            attrs += f' id="{escape(row.anchor)}"'
        for name, value in zip(facts, row.facts, strict=True):
            attrs += f' {name}="{escape(value)}"'
        out.append(f"\n<tr{attrs}>")
        for i, cell in enumerate(row.cells):
            cls = aligns[i]
            if cell.indent:
                cls += f" indent-{min(cell.indent, 3)}"
            if cell.bold:
                cls += " b"
            text = texts.get(cell.text)
            if text is None:
                text = texts[cell.text] = str(escape(cell.text)).replace("\n", "<br>")
            if cell.link:
                text = f"<a{link_attrs(cell)}>{text}</a>"
            extra = ""
            if cell.previous is not None:
                cls += " changed"
                extra = changed_attrs(cell.previous)
            if i == 0:
                out.append(f'\n<th scope="row" class="{cls}"{extra}>{text}</th>')
            else:
                out.append(f'\n<td class="{cls}"{extra}>{text}</td>')
        out.append("\n</tr>")
    out.append("\n</tbody>")
    return Markup("".join(out))


def changed_attrs(previous: str) -> str:
    """A changed cell's attributes: focusable, its previous text shown on hover or focus."""
    was = escape(f"Previous data lock: {previous}")
    return f' tabindex="0" data-previous="{was}" title="{was}"'


def html_environment(template_dirs: list[Path], bytecode=None) -> Environment:
    """The page templates' environment; ``bytecode`` keeps their compiled code between runs
    (:func:`csrgen.cache.template_bytecode`)."""
    env = Environment(
        loader=FileSystemLoader([str(d) for d in template_dirs]),
        autoescape=True,
        finalize=_finalize,
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
        bytecode_cache=bytecode,
    )
    env.filters["lines"] = _lines
    env.filters["count"] = fmt.fmt_count
    env.filters["body_html"] = body_html
    env.filters["kind"] = block_kind
    env.filters["bullet_groups"] = bullet_groups
    env.filters["link_attrs"] = link_attrs
    env.filters["facts_json"] = facts_json
    env.filters["outputs_of_kind"] = outputs_of_kind
    env.filters["landscape"] = print_landscape
    env.filters["changed_attrs"] = lambda previous: Markup(changed_attrs(previous))
    env.tests["kind"] = lambda block, name: block_kind(block) == name
    env.tests["output"] = _is_output
    return env


def render_html(doc: Document, template_dirs: list[Path], fragments=None, bytecode=None) -> str:
    """The page; ``fragments`` (optional, as :func:`csrgen.writers.docx.write_docx` takes)
    keeps each table's body between runs, by a hash of the block (the same text either way);
    ``bytecode`` keeps the compiled templates (see :func:`html_environment`)."""
    env = html_environment(template_dirs, bytecode)
    if fragments is not None:
        env.filters["body_html"] = lambda t: _kept_body(t, fragments)
    css = env.loader.get_source(env, "html/csr.css")[0]
    js = env.loader.get_source(env, "html/csr.js")[0]
    page = env.get_template("html/csr.html.j2")
    return page.render(doc=doc, css=Markup(css), js=Markup(js), version=__version__)


def _kept_body(t, fragments) -> Markup:
    key = fragments.key(_FRAGMENTS, t)
    if key is None:
        return body_html(t)
    kept = fragments.get(key)
    if isinstance(kept, str):
        return Markup(kept)
    made = body_html(t)
    fragments.put(key, str(made))
    return made


#: Raised when the kept table bodies' markup changes.
_FRAGMENTS = 1


def write_html(
    doc: Document, path: Path, template_dirs: list[Path], fragments=None, bytecode=None
) -> None:
    page = render_html(doc, template_dirs, fragments, bytecode)
    path.write_text(page, encoding="utf-8", newline="\n")
