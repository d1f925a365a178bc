"""What every output module shares: its run context and the standard table parts.

An output module (``outputs/<slug>.py``) has a fixed shape, run by :func:`catalog.run_output`::

    Options                                  pydantic model of its ``[outputs.options]``
    requires(config, spec, options) -> {role: {variables}}   checked by dataset validation
    check(ctx) -> list[Problem]              optional: data rules that prepare relies on
    prepare(ctx) -> prepared                 population and filters (pre-processing)
    analyze(ctx, prepared) -> ARD frame      statistics, via ``analyses.ard_*`` only
    build(ctx, prepared, ard) -> blocks      document model (Table / Figure / Listing)

and optionally::

    decimals(ctx, prepared) -> int | {key: int}   the decimals of the data each statistic
                                             summarises (a parameter's, a variable's), to
                                             which the declared formats' offsets apply

Between analysis and build the runner gives every ARD row its format code (``fmt``) from the
declared formats (``formats.toml`` and the study file's ``[formats]``); ``build`` prints through
:class:`csrgen.ard.ArdIndex`, whose text methods use those codes, as the narrative does.

``Options`` (an :class:`OptionsModel`) refuses unknown keys and, in its validators, options that
its other settings make meaningless; variable names are :data:`csrgen.config.VarName` (a valid
SAS name; an optional one defaults to ``""`` and an explicit ``""`` is refused). ``requires`` raises
:class:`~csrgen.errors.ConfigError` (see :func:`option_key`) when an option refers to
something the study file lacks (an endpoint, a population, an arm); the catalog collects these
for every output, so the user sees them all at once.

``check(ctx: OutputContext) -> list[Problem]`` is the hook for data rules that go beyond the
dataset specs: one record per subject and parameter, severities among the study file's levels,
one SOC per preferred term. ``csrgen validate`` and ``csrgen report`` run every output's
``check`` after the datasets are read and validated (:func:`catalog.check_outputs`), and stop
with every problem of every output (exit 2) before any statistic. It returns
:class:`~csrgen.errors.Problem` s (file, variable, rule, message, count, up to five examples),
never raises for bad data, and reads ``ctx.data``, ``ctx.subjects`` and ``ctx.options`` like
``prepare``; ``prepare`` may then assume the rules hold. Several outputs may return the same
problem; the catalog reports it once.

When no subject qualifies, ``build`` returns the standard null table, never raises.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict

from csrgen import formatting as fmt
from csrgen.ard import ArdIndex
from csrgen.config import OutputSpec, StudyConfig
from csrgen.datasets import StudyData, population_subjects
from csrgen.document.model import Column, null_table
from csrgen.errors import Problem
from csrgen.lock import LockInfo


class OptionsModel(BaseModel):
    """Base of every output's ``Options``: unknown keys are errors, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


class NoOptions(OptionsModel):
    pass


@dataclass(frozen=True)
class OutputContext:
    config: StudyConfig
    spec: OutputSpec
    options: Any
    data: StudyData
    lock: LockInfo
    #: What the run must tell the user although nothing is wrong (records a declared rule left
    #: out, with counts): ``check`` hooks append lines; ``csrgen report`` and ``csrgen
    #: validate`` print them to stderr, each once.
    warnings: list[str] = field(default_factory=list, compare=False)

    @cached_property
    def subjects(self) -> pd.DataFrame:
        """ADSL rows of the output's population with the analysis arm in ``_ARM``."""
        return population_subjects(self.data, self.config, self.spec.population)

    @cached_property
    def formats(self) -> fmt.FormatSpec:
        return study_formats(self.config)

    @property
    def population(self):
        return self.config.populations[self.spec.population]

    @property
    def arm_var(self) -> str:
        return self.population.arm_var

    @property
    def arms(self) -> list[str]:
        return list(self.config.arms.levels)

    def population_line(self, n: float | None = None) -> str:
        text = f"Population: {self.population.label}"
        return f"{text} (N={fmt.fmt_int(n)})" if n is not None else text

    def source_line(self, roles: Sequence[str]) -> str:
        files = ", ".join(self.data.file_name(r) for r in roles if r in self.data)
        lock = (
            f"data lock {self.lock.lock_id} ({self.lock.lock_date})"
            if self.lock.locked
            else "DRAFT - DATA NOT LOCKED"
        )
        return f"Source: {files}; output {self.spec.id}; {lock}."

    def null(self, reason: str = "No data to report"):
        return null_table(
            self.spec.id, self.spec.number, self.spec.title, self.population_line(0), reason
        )


def option_path(config: StudyConfig, spec: OutputSpec, key: str = "") -> str:
    """``outputs[3].options.paramcd``: the key path of an output's option in the study file."""
    index = next(i for i, o in enumerate(config.outputs) if o.id == spec.id)
    return f"outputs[{index}].options.{key}" if key else f"outputs[{index}]"


def option_key(config: StudyConfig, spec: OutputSpec, key: str = "") -> str:
    """``report/x.toml: outputs[3].options.paramcd``: where an output's option sits in the
    study file, to start a :class:`~csrgen.errors.ConfigError` message."""
    return f"{config.path}: {option_path(config, spec, key)}"


def kind_of(series: pd.Series) -> str:
    """``date``, ``num`` or ``text``: how the datasets layer typed a column."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return "num"
    return "text"


_KIND_WORDS = {"date": "a date", "num": "numeric", "text": "text"}


def kind_problems(
    ctx: OutputContext, role: str, checks: Sequence[tuple[str, str, str]]
) -> list[Problem]:
    """Variables the study file names that have the wrong type for their use: ``checks`` holds
    (key path in the study file, variable, wanted kind) for variables of ``role``; absent
    variables are skipped (they are ``[required]`` problems of their own)."""
    frame = ctx.data[role]
    out = []
    for key, var, want in checks:
        if not var or var not in frame.columns:
            continue
        actual = kind_of(frame[var])
        if actual != want:
            out.append(
                Problem(
                    ctx.data.file_name(role),
                    var,
                    "type",
                    f"{key} names {var}, which is "
                    f"{_KIND_WORDS[actual]} in the data; {_KIND_WORDS[want]} variable is needed",
                    0,
                )
            )
    return out


def value_problems(
    ctx: OutputContext, role: str, key: str, var: str, values: Sequence[str]
) -> list[Problem]:
    """Values the study file compares a variable with that cannot match its type: text for a
    numeric variable (``values = ["Y"]`` for AETOXGR), any value for a date."""
    frame = ctx.data[role]
    if not var or var not in frame.columns or not values:
        return []
    kind = kind_of(frame[var])
    if kind == "text":
        return []
    if kind == "num":
        bad = [v for v in values if _not_a_number(v)]
        if not bad:
            return []
        why = f"{var} is numeric in the data; {bad} are not numbers"
    else:
        why = f"{var} is a date in the data: leave values out to count recorded dates"
    return [
        Problem(
            ctx.data.file_name(role),
            var,
            "type",
            f"{key}: {why}",
            0,
        )
    ]


def _not_a_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return True
    return False


def block_id(output_id: str, key: str) -> str:
    """Anchor of one block of an output made of several (one per parameter): letters, digits
    and underscores (valid in HTML ids and Word bookmark names). The narrative links to a
    parameter's block by the same function."""
    return f"{output_id}_{re.sub(r'[^A-Za-z0-9]+', '_', key).lower()}"


def study_formats(config: StudyConfig) -> fmt.FormatSpec:
    """The catalog's formats with the study file's ``[formats]`` on top; a study rule replaces
    only the keys it gives (``hr = { decimals = 3 }`` keeps the rule's style)."""
    base = fmt.default_formats()

    def merged(own, name: str, module: str = "") -> fmt.StatFormat:
        try:
            rule = base.rule(name, module) if not own.like else fmt.StatFormat()
        except KeyError:
            rule = fmt.StatFormat()
        given = {k: getattr(own, k) for k in own.model_fields_set}
        if "decimals" in given:
            given.setdefault("offset", None)
        if "offset" in given:
            given.setdefault("decimals", None)
        return replace(rule, like="", **given)

    from csrgen.outputs.catalog import canonical  # the catalog imports this module

    settings = config.formats
    return base.merged(
        {name: merged(r, name) for name, r in settings.stats.items()},
        {
            canonical(m): {name: merged(r, name, canonical(m)) for name, r in rules.items()}
            for m, rules in settings.modules.items()
        },
    )


def arm_header_columns(
    ix: ArdIndex, ctx: OutputContext, total: bool | None = None, width: float = 1.0
) -> list[Column]:
    """One column per arm (and Total) headed ``Arm\\n(N=xx)``, N read from the ARD ``N`` rows."""
    return [
        Column(header_n(ix, level), align="center", width=width, key=level)
        for level in arm_levels(ctx, total)
    ]


def header_n(ix: ArdIndex, level: str, **where) -> str:
    """``Arm\\n(N=xx)`` with N from the ARD row of the arm (printed by its format)."""
    return f"{level}\n(N={ix.text('N', group_level=level, **where)})"


def population_n(ix: ArdIndex, ctx: OutputContext, **where) -> float:
    """Subjects in the population: the arms' ``N`` rows of the ARD added up (the population
    line's N, also when the study shows no Total column)."""
    return sum(ix.value("N", group_level=a, **where) for a in ctx.arms)


def arm_levels(ctx: OutputContext, total: bool | None = None) -> list[str]:
    levels = list(ctx.arms)
    if total if total is not None else ctx.config.arms.total:
        levels.append(ctx.config.arms.total_label)
    return levels
