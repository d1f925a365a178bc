"""What the narrative templates see: study facts, the outputs, an ARD accessor and the formats.

Templates (``templates/narrative/<name>.md.j2``, Jinja2) render Markdown-subset text (see
:mod:`csrgen.document.narrative`). Every number comes from the run's ARD through :class:`ArdView`
and prints through its ARD row's format (``ard.text(...)``, ``ard.est_ci(...)``), exactly as the
output's table prints it. A statistic that is absent is an error, not "NE": templates test
``ard.has(...)`` to leave out a sentence for an output the study does not have, or pass
``missing=``.

Values inserted with ``{{ }}`` are escaped for the Markdown subset (an AE term ``*x*`` prints
as is). A raw float inserted without a ``fmt`` function is an error: numbers print only through
formatting.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pandas as pd
from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
)
from markupsafe import Markup

from csrgen import formatting
from csrgen.ard import ARD_COLUMNS, STAT_NAMES, ArdIndex, empty_ard
from csrgen.config import OutputSpec, StudyConfig
from csrgen.document.model import Listing, ListingFilter, Table
from csrgen.document.narrative import PLACEHOLDER_PREFIX, MdSafe, md_escape
from csrgen.errors import ConfigError
from csrgen.lock import LockInfo
from csrgen.outputs import ae_links
from csrgen.outputs.ae_common import PT
from csrgen.outputs.base import block_id

#: Key columns that default to "" in :meth:`ArdView.value` (so that ``N`` and whole-follow-up
#: rows are found without naming them); the others match anything unless given.
_DEFAULT_EMPTY = ("variable", "variable_level", "timepoint")
_KEYS = tuple(c for c in ARD_COLUMNS if c not in ("stat", "method", "fmt"))
_LOOKUP = ("group_level", "variable", "variable_level", "param", "timepoint")
_RAISE = object()


class ArdView:
    """Read-only look-ups into the concatenated ARD of a run, for the narrative templates.

    ``value(output_id, stat_name, **where)``: the one ``stat`` matching; ``variable``,
    ``variable_level`` and ``timepoint`` default to ``""``, the other key columns match anything
    unless given (pass ``None`` to match anything). No match is an error unless ``missing`` is
    given; several matches are an error (the template must say which).

    ``text``, ``n_pct``, ``est_ci``, ``ci``, ``mean_sd`` print the statistic through its row's
    format (:class:`csrgen.ard.ArdIndex`), exactly as the output's table prints it.
    """

    def __init__(self, frame: pd.DataFrame | None = None) -> None:
        frame = empty_ard() if frame is None else frame
        self._index = ArdIndex(frame)
        self._by_output = {key: sub for key, sub in frame.groupby("output_id", sort=False)}
        # Templates make hundreds of lookups: compare plain numpy arrays, not pandas Series.
        self._arrays = {
            key: {c: sub[c].to_numpy() for c in ARD_COLUMNS if c != "stat"}
            for key, sub in self._by_output.items()
        }

    @property
    def output_ids(self) -> list[str]:
        """Ids of the outputs that wrote rows."""
        return list(self._by_output)

    def has(self, output_id: str, **where: Any) -> bool:
        """True when the output wrote rows (matching ``where``, if given)."""
        return bool(len(self._select(output_id, where)))

    def key(self, output_id: str, stat_name: str, missing: Any = _RAISE, **where: Any):
        """The full key of the one row matching (see the class docstring), or ``None``."""
        if stat_name not in STAT_NAMES:
            raise LookupError(f"unknown stat_name {stat_name!r} (not in the ARD vocabulary)")
        criteria = {c: "" for c in _DEFAULT_EMPTY} | where | {"stat_name": stat_name}
        hits = self._select(output_id, criteria)
        if len(hits) > 1:
            shown = hits[[c for c in _KEYS if c != "output_id"]].head(3).to_dict("records")
            raise LookupError(
                f"ard.value({output_id!r}, {stat_name!r}, {where}) matches {len(hits)} rows, "
                f"e.g. {shown}; name the distinguishing column"
            )
        if not len(hits):
            if missing is _RAISE:
                raise LookupError(f"ard: no row of {output_id!r} with {stat_name!r}, {where}")
            return None
        row = hits.iloc[0]
        return {"output_id": output_id} | {c: row[c] for c in _LOOKUP}

    def value(self, output_id: str, stat_name: str, missing: Any = _RAISE, **where: Any) -> float:
        key = self.key(output_id, stat_name, missing, **where)
        return missing if key is None else self._index.value(stat_name, **key)

    def text(self, output_id: str, stat_name: str, missing: Any = _RAISE, **where: Any) -> str:
        """The statistic as its table prints it."""
        key = self.key(output_id, stat_name, missing, **where)
        return missing if key is None else self._index.text(stat_name, **key)

    def n_pct(self, output_id: str, n: str = "n", pct: str = "pct", **where: Any) -> str:
        return self._index.n_pct(n, pct, **self.key(output_id, n, **where))

    def est_ci(self, output_id: str, stat_name: str, **where: Any) -> str:
        """``est (lcl, ucl)`` as the table prints it."""
        return self._index.est_ci(stat_name, **self.key(output_id, stat_name, **where))

    def ci(self, output_id: str, stat_name: str, **where: Any) -> str:
        return self._index.ci(stat_name, **self.key(output_id, stat_name, **where))

    def mean_sd(self, output_id: str, mean: str = "mean", sd: str = "sd", **where: Any) -> str:
        return self._index.mean_sd(mean, sd, **self.key(output_id, mean, **where))

    def rows(self, output_id: str, **where: Any) -> list[dict[str, Any]]:
        """Matching rows as dicts, in ARD order."""
        return self._select(output_id, where).to_dict("records")

    def levels(self, output_id: str, column: str, **where: Any) -> list[str]:
        """Distinct non-empty values of ``column`` among matching rows, in ARD order."""
        values = self._select(output_id, where)[column]
        return [v for v in dict.fromkeys(values) if v != ""]

    def frequent(
        self,
        output_id: str,
        variable: str,
        min_pct: float = 0.0,
        groups: Sequence[str] | None = None,
        limit: int | None = None,
        **where: Any,
    ) -> list[str]:
        """Levels of ``variable`` (e.g. AEDECOD) whose ``pct`` reaches ``min_pct`` in any of
        ``groups`` (default: every group), most frequent first (ties alphabetical)."""
        rows = self._select(output_id, {"variable": variable, "stat_name": "pct"} | where)
        if groups is not None:
            rows = rows[rows["group_level"].isin(list(groups))]
        rows = rows[rows["variable_level"] != ""]
        best = rows.groupby("variable_level", sort=True)["stat"].max()
        best = best[best >= min_pct]
        ordered = sorted(best.index, key=lambda level: (-best[level], level))
        return ordered[:limit] if limit is not None else ordered

    def _select(self, output_id: str, where: dict[str, Any]) -> pd.DataFrame:
        frame = self._by_output.get(output_id)
        if frame is None:
            return empty_ard()
        arrays = self._arrays[output_id]
        mask = np.ones(len(frame), dtype=bool)
        for column, wanted in where.items():
            if column not in ARD_COLUMNS:
                raise LookupError(f"ARD has no column {column!r} (columns: {list(ARD_COLUMNS)})")
            if wanted is None:
                continue
            mask &= arrays[column] == str(wanted)
        return frame.iloc[np.flatnonzero(mask)]


@dataclass(frozen=True)
class OutputRef:
    """What a template needs to cite an output ("see Table 14.2.1")."""

    id: str
    module: str
    number: str
    title: str
    kind: str
    section: str
    population: str
    population_label: str
    #: The output's numbered blocks in the document, (anchor, number): an output made of one
    #: block per parameter (Table 14.2.4.1, 14.2.4.2, ...) has no block of its own id.
    blocks: tuple[tuple[str, str], ...] = ()
    #: A BDS output's ``[bds.<name>]`` block (``labs``, ``vitals``, ...); "" for other outputs.
    bds: str = ""

    @property
    def anchor(self) -> str:
        """Where a link to the output lands: its own block, else its first block."""
        ids = [b for b, _ in self.blocks]
        return self.id if self.id in ids or not ids else ids[0]

    @property
    def link(self) -> MdSafe:
        return MdSafe(f"[{md_escape(self.number)}](#{self.anchor})")

    def block_link(self, key: str) -> MdSafe:
        """A link to the block of one parameter (``block_id(output id, key)``), by its own
        number ("Table 14.2.5.1"); the output's link when it has no such block."""
        wanted = block_id(self.id, key)
        for anchor, number in self.blocks:
            if anchor == wanted:
                return MdSafe(f"[{md_escape(number)}](#{anchor})")
        return self.link


def output_refs(
    config: StudyConfig, output_blocks: Mapping[str, Sequence[Any]] | None = None
) -> list[OutputRef]:
    blocks = output_blocks or {}
    return [_ref(config, spec, blocks.get(spec.id, ())) for spec in config.outputs]


def _ref(config: StudyConfig, spec: OutputSpec, blocks: Sequence[Any]) -> OutputRef:
    from csrgen.outputs.catalog import BDS_MODULES, canonical

    module = canonical(spec.slug)
    return OutputRef(
        id=spec.id,
        module=module,
        number=spec.number,
        title=spec.title,
        kind=spec.kind,
        section=spec.section,
        population=spec.population,
        population_label=config.populations[spec.population].label,
        blocks=tuple(
            (b.id, b.number) for b in blocks if getattr(b, "number", "") and getattr(b, "id", "")
        ),
        bds=str(spec.options.get("bds", "labs")) if module in BDS_MODULES else "",
    )


def and_join(items: Iterable[Any], word: str = "and") -> str:
    """``a``, ``a and b``, ``a, b and c``; items not made by csrgen are escaped."""
    items = [i if isinstance(i, Markup) else md_escape(str(i)) for i in items]
    if len(items) <= 1:
        return MdSafe("".join(items))
    return MdSafe(", ".join(items[:-1]) + f" {word} " + items[-1])


def placeholder(text: str) -> MdSafe:
    """``[Medical writer: text]``: a shaded placeholder paragraph when it starts a paragraph."""
    return MdSafe(f"{PLACEHOLDER_PREFIX} {md_escape(text)}]")


def _finalize(value: Any) -> Markup:
    """Every ``{{ value }}``: escaped for the Markdown subset unless csrgen made it (a link, a
    macro's output, both :class:`Markup`); a raw float is refused."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, float):
        raise TypeError(
            f"a raw number ({value!r}) in narrative text: print numbers with a fmt function"
        )
    if value is None:
        return Markup("")
    return Markup(md_escape(str(value)))


def plural(n: float, word: str, many: str = "") -> str:
    """``word`` or its plural (``many``, default ``word + "s"``) as the count ``n`` asks."""
    return word if n == 1 else (many or word + "s")


def template_context(
    config: StudyConfig,
    lock: LockInfo,
    ard: pd.DataFrame | None,
    output_blocks: Mapping[str, Sequence[Any]] | None = None,
) -> dict[str, Any]:
    """The names every narrative template sees (documented in templates/narrative/README.md).

    ``output_blocks`` (output id -> its blocks) lets links land on the blocks an output made."""
    view = ArdView(ard)
    refs = output_refs(config, output_blocks)
    by_id = {r.id: r for r in refs}
    survival = config.survival
    endpoint_labels = {e.paramcd: e.label for e in survival.endpoints} if survival else {}

    def output(output_id: str) -> OutputRef | None:
        return by_id.get(output_id)

    def ref(output_id: str) -> MdSafe:
        """``[Table 14.2.1](#t_os)`` or "" when the study has no such output."""
        found = by_id.get(output_id)
        return found.link if found else MdSafe("")

    def outputs_of(*modules: str) -> list[OutputRef]:
        return [r for r in refs if r.module in modules]

    def label(code: str) -> str:
        return config.document.labels.get(code) or endpoint_labels.get(code) or code

    def covariate_labels(codes) -> list[str]:
        """Labels of ADSL covariates/strata as the survival settings name them."""
        own = config.survival.labels if config.survival else {}
        return [own.get(code) or label(code) for code in codes]

    def unit(code: str) -> str:
        return config.document.units.get(code, "")

    def population_n(population: str) -> dict[str, float]:
        """N per arm (and Total) of a population, from the first output of it that has them."""
        for r in refs:
            if r.population != population:
                continue
            sizes = {
                row["group_level"]: row["stat"]
                for row in view.rows(r.id, variable="", stat_name="N")
                if row["variable_level"] == "" and row["timepoint"] == ""
            }
            if sizes:
                return sizes
        return {}

    tables = {
        oid: next((b for b in blocks if isinstance(b, Table) and not b.null_reason), None)
        for oid, blocks in (output_blocks or {}).items()
    }

    def output_table(output_id: str) -> dict[str, Any] | None:
        """The first table an output printed, as texts, for an in-text copy: ``columns``
        (header labels on one line) and ``rows`` (``label``, ``indent``, ``group``, ``cells``).
        A copy of the cells, so the text cannot print a number otherwise than its table."""
        table = tables.get(output_id)
        if table is None:
            return None
        return {
            "columns": [c.label.replace("\n", " ") for c in table.columns],
            "rows": [
                {
                    "label": r.cells[0].text,
                    "indent": r.cells[0].indent,
                    "group": r.kind == "group",
                    "cells": [c.text for c in r.cells[1:]],
                    # the stub cell in the Markdown subset: "~" per indent level, headings bold
                    "stub": MdSafe(
                        "~" * r.cells[0].indent
                        + (
                            f"**{md_escape(r.cells[0].text)}**"
                            if r.kind == "group" and r.cells[0].text
                            else md_escape(r.cells[0].text)
                        )
                    ),
                }
                for r in table.rows
            ],
        }

    def endpoint_status(endpoint) -> dict[str, Any]:
        """Where an endpoint's results are, or why there are none: ``missing`` dataset roles
        (upper case), ``outputs`` (refs), ``analysed``, and ``note`` (a phrase for the text:
        "not analysed (dataset ADQSADAS was not supplied)")."""
        missing = [d.upper() for d in endpoint.datasets if d not in config.data.datasets]
        found = [by_id[o] for o in endpoint.outputs if o in by_id]
        note = ""
        if missing:
            word = "dataset" if len(missing) == 1 else "datasets"
            verb = "was" if len(missing) == 1 else "were"
            note = f"not analysed ({word} {and_join(missing)} {verb} not supplied)"
        elif not found:
            note = "not analysed (no output of this report presents it)"
        return {"missing": missing, "outputs": found, "analysed": not note, "note": note}

    def listing_link(listing_id: str, text: str, **where: str) -> MdSafe:
        """``text`` linked to the listing's rows whose fields hold exactly ``where``
        (``listing_link("l_ae", term, AEDECOD=term, te="Y")`` ->
        ``[term](#l_ae?AEDECOD=term&te=Y)``), when the study has that listing; to the listing
        as a whole when the HTML does not show its rows (too long); plain ``text`` otherwise."""
        if listing_id not in by_id:
            return MdSafe(md_escape(text))
        anchor = by_id[listing_id].anchor
        blocks = (output_blocks or {}).get(listing_id, ())
        if where and any(isinstance(b, Listing) and b.rows for b in blocks):
            query = ListingFilter(tuple(where.items())).query()
            return MdSafe(f"[{md_escape(text)}](#{anchor}?{quote(query, safe='=&%')})")
        return MdSafe(f"[{md_escape(text)}](#{anchor})")

    def ae_term_link(listing_id: str, term: str) -> MdSafe:
        """A preferred term linked to its treatment-emergent records in the AE listing (all
        arms), selected as the AE tables count them (:mod:`csrgen.outputs.ae_links`)."""
        return listing_link(listing_id, term, **{PT: term, ae_links.TE: "Y"})

    arms = list(config.arms.levels)
    return {
        "placeholder": placeholder,
        "listing_link": listing_link,
        "ae_term_link": ae_term_link,
        "output_table": output_table,
        "endpoint_status": endpoint_status,
        "endpoints": config.endpoints,
        "plural": plural,
        "block_link": lambda o, key: o.block_link(key),
        "study": config.study,
        "config": config,
        "document": config.document,
        "lock": lock,
        "arms": arms,
        "reference": config.arms.reference,
        "compared": [a for a in arms if a != config.arms.reference],
        "total_label": config.arms.total_label if config.arms.total else "",
        "populations": config.populations,
        "outputs": refs,
        "output": output,
        "outputs_of": outputs_of,
        "ref": ref,
        "ard": view,
        "ard_ids": view.output_ids,
        "fmt": formatting,
        "label": label,
        "unit": unit,
        "covariate_labels": covariate_labels,
        "population_n": population_n,
        "and_join": and_join,
        "isnan": lambda x: x is None or (isinstance(x, float) and math.isnan(x)),
        "abbreviations": config.document.abbreviations,
    }


def narrative_environment(template_dirs: list[Path], bytecode=None) -> Environment:
    """The narrative templates' environment; ``bytecode`` keeps their compiled code between
    runs (:func:`csrgen.cache.template_bytecode`)."""
    # autoescape is on only so that macro output (Markup) is not escaped twice; the escaping
    # itself is _finalize's Markdown escaping, never HTML's.
    env = Environment(
        loader=FileSystemLoader([str(d) for d in template_dirs]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize,
        bytecode_cache=bytecode,
    )
    env.filters["and_join"] = and_join
    env.filters["md"] = lambda text: Markup(md_escape(text))
    env.filters["join_times"] = lambda times: "-".join(formatting.fmt_level(t) for t in times)
    return env


def render_narrative(env: Environment, name: str, context: dict[str, Any]) -> str:
    """Render ``narrative/<name>.md.j2``; template problems become a :class:`ConfigError`
    naming the template and line."""
    path = f"narrative/{name}.md.j2"
    try:
        return env.get_template(path).render(context)
    except TemplateNotFound:
        raise ConfigError(f"document.narrative: template {path} not found") from None
    except TemplateSyntaxError as exc:
        raise ConfigError(f"{exc.filename or path}: line {exc.lineno}: {exc.message}") from None
    except (TemplateError, LookupError, TypeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
