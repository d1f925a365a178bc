"""What the narrative templates see: study facts, the outputs, an ARD accessor and the formats.

Templates (``templates/narrative/<name>.md.j2``, Jinja2) render Markdown-subset text (see
:mod:`csrgen.document.narrative`). Every number comes from the run's ARD through :class:`ArdView`
and becomes text through :mod:`csrgen.formatting` (``fmt.fmt_pvalue(p)``), so it prints as in the
tables. A value that is absent is NaN (``fmt`` prints ``NE``); templates test ``ard.has(...)``
to leave out a sentence for an output the study does not have.

Values inserted with ``{{ }}`` are escaped for the Markdown subset (an AE term ``*x*`` prints
as is). A raw float inserted without a ``fmt`` function is an error: numbers print only through
formatting.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
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
from csrgen.ard import ARD_COLUMNS, empty_ard
from csrgen.config import OutputSpec, StudyConfig
from csrgen.document.narrative import PLACEHOLDER_PREFIX, MdSafe, md_escape
from csrgen.errors import ConfigError
from csrgen.lock import LockInfo

#: Key columns that default to "" in :meth:`ArdView.value` (so that ``N`` and whole-follow-up
#: rows are found without naming them); the others match anything unless given.
_DEFAULT_EMPTY = ("variable", "variable_level", "timepoint")
_KEYS = tuple(c for c in ARD_COLUMNS if c not in ("stat",))


class ArdView:
    """Read-only lookups into the concatenated ARD of a run.

    ``value(output_id, stat_name, **where)``: the one ``stat`` matching; ``variable``,
    ``variable_level`` and ``timepoint`` default to ``""``, other columns match anything unless
    given (pass ``None`` to match anything). NaN when no row matches; an error when several do
    (the template must say which).
    """

    def __init__(self, frame: pd.DataFrame | None = None) -> None:
        frame = empty_ard() if frame is None else frame
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

    def value(self, output_id: str, stat_name: str, **where: Any) -> float:
        criteria = {c: "" for c in _DEFAULT_EMPTY} | where | {"stat_name": stat_name}
        hits = self._select(output_id, criteria)
        if len(hits) > 1:
            shown = hits[[c for c in _KEYS if c != "output_id"]].head(3).to_dict("records")
            raise LookupError(
                f"ard.value({output_id!r}, {stat_name!r}, {where}) matches {len(hits)} rows, "
                f"e.g. {shown}; name the distinguishing column"
            )
        return float(hits["stat"].iloc[0]) if len(hits) else math.nan

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

    @property
    def link(self) -> MdSafe:
        return MdSafe(f"[{md_escape(self.number)}](#{self.id})")


def output_refs(config: StudyConfig) -> list[OutputRef]:
    return [_ref(config, spec) for spec in config.outputs]


def _ref(config: StudyConfig, spec: OutputSpec) -> OutputRef:
    return OutputRef(
        id=spec.id,
        module=spec.slug,
        number=spec.number,
        title=spec.title,
        kind=spec.kind,
        section=spec.section,
        population=spec.population,
        population_label=config.populations[spec.population].label,
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


def template_context(
    config: StudyConfig, lock: LockInfo, ard: pd.DataFrame | None
) -> dict[str, Any]:
    """The names every narrative template sees (documented in templates/narrative/README.md)."""
    view = ArdView(ard)
    refs = output_refs(config)
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

    def listing_link(listing_id: str, text: str) -> MdSafe:
        """``text`` linked to the listing filtered by it (``#l_ae?q=Headache``), when the study
        has that listing; plain ``text`` otherwise."""
        if listing_id not in by_id:
            return MdSafe(md_escape(text))
        return MdSafe(f"[{md_escape(text)}](#{listing_id}?q={quote(text, safe='')})")

    arms = list(config.arms.levels)
    return {
        "placeholder": placeholder,
        "listing_link": listing_link,
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


def narrative_environment(template_dirs: list[Path]) -> Environment:
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
