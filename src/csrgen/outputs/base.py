"""What every output module shares: its run context and the standard table parts.

An output module (``outputs/<slug>.py``) has a fixed shape, run by :func:`catalog.run_output`::

    Options                                  pydantic model of its ``[outputs.options]``
    requires(config, spec, options) -> {role: {variables}}   checked by dataset validation
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
from csrgen.lock import LockInfo


class OptionsModel(BaseModel):
    """Base of every output's ``Options``: unknown keys are errors, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


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
