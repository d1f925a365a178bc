"""Table 14.1.x Subject disposition.

pre-processing: ADSL subjects of the output's population (normally all randomized subjects), arm
from the population's arm variable; for rows with ``scope = "adsl"`` (screened subjects, screen
failures) every ADSL record.
analysis: :func:`csrgen.analyses.disposition.ard_disposition`; every category is a rule of the
study file (which variable means "completed the treatment phase" differs by study: EOTSTT,
COMP24FL, DCDECOD, ...), percentages of the denominator row (randomized);
:func:`~csrgen.analyses.disposition.ard_screening` counts the ``scope = "adsl"`` rows.
build: one row per category in the study file's order, reasons indented beneath their category;
the denominator row prints its count only, so do the screening rows (in the Total column: a
screen failure has no arm); a footnote states every category's rule. In HTML the counts of a
row that a discontinuation listing (``l_disc``) holds link to its subjects there (same phase,
arm and reason).
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field, model_validator

from csrgen import expr
from csrgen import formatting as fmt
from csrgen.analyses.disposition import Category, ard_disposition, ard_screening
from csrgen.ard import ArdIndex, concat_ard
from csrgen.config import Expression, Text, VarName, unused_options
from csrgen.datasets import ARM
from csrgen.document.model import Cell, Column, Row, Table
from csrgen.errors import ConfigError, Problem
from csrgen.outputs.base import (
    OptionsModel,
    OutputContext,
    arm_header_columns,
    option_key,
    option_path,
    value_problems,
)
from csrgen.outputs.disp_links import DispLinks


class DispRow(OptionsModel):
    """A row of the table: subjects whose ADSL ``var`` is one of ``values`` and/or who meet
    ``where`` (or, with ``population``, the subjects of that study population)."""

    #: The ARD ``variable`` (RANDOMIZED, TREATED, COMPLETED_STUDY, ...); a population row
    #: defaults to its flag (ITTFL).
    id: str = Field(default="", pattern=r"^([A-Z][A-Z0-9_]*)?$")
    label: str = ""
    var: VarName | None = None
    #: Empty: ``var`` is recorded (non-missing date, number or text).
    values: list[str] = Field(default_factory=list)
    #: An expression over ADSL (``ARM == "Screen Failure"``; see :mod:`csrgen.expr`).
    where: Expression | None = None
    #: A population of the study file (its flag and ``where``); sets id, label and the rule.
    population: str = ""
    #: ``population``: the output population's subjects, by arm. ``adsl``: every ADSL record
    #: (screened subjects, screen failures), counted in the Total column only.
    scope: Literal["population", "adsl"] = "population"
    #: ADSL variable holding the reason (DCSREAS, DCTREAS); its values are listed beneath.
    reasons_var: VarName | None = None
    #: Reason order (values as recorded); unlisted reasons follow alphabetically.
    reasons: list[Text] = Field(default_factory=list)
    reason_labels: dict[str, Text] = Field(default_factory=dict)
    indent: int = Field(default=0, ge=0, le=3)
    #: A heading row (label only, no counts), e.g. "Analysis populations".
    heading: bool = False

    @model_validator(mode="after")
    def _named(self) -> DispRow:
        if self.heading:
            if not self.label or self.id or self.population or self.var or self.where:
                raise ValueError("a heading row has a label and nothing else")
            unused_options(self, _RULE_KEYS + ("scope",), "in a heading row")
        elif not self.population and not (self.id and self.label):
            raise ValueError("a row needs id and label, or a population")
        if self.population:
            unused_options(self, ("var", "values", "where"), "with population (its rule)")
        if not self.var:
            unused_options(self, ("values",), "without var")
        if not self.reasons_var:
            unused_options(self, ("reasons", "reason_labels"), "without reasons_var")
        if self.scope == "adsl":
            unused_options(self, ("population", "reasons_var"), 'with scope = "adsl"')
        return self


_RULE_KEYS = ("var", "values", "where", "population", "reasons_var", "reasons", "reason_labels")


class Options(OptionsModel):
    rows: list[DispRow] = Field(min_length=1)
    #: The id of the row whose count is N (percentages are of it); printed as a count only.
    denominator: str = "RANDOMIZED"
    missing_reason_label: str = "Reason not recorded"
    #: Add a footnote stating the rule behind every row.
    definitions: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> Options:
        ids = [r.id for r in self.rows if r.id and r.scope == "population"]
        if self.denominator not in ids:
            raise ValueError(
                f"denominator {self.denominator!r} is not the id of a row of the population {ids}"
            )
        all_ids = [r.id for r in self.rows if r.id]
        twice = sorted({i for i in all_ids if all_ids.count(i) > 1})
        if twice:
            raise ValueError(f"row id {twice} given twice (their ARD rows would clash)")
        reasons = [r.reasons_var for r in self.rows if r.reasons_var]
        twice = sorted({v for v in reasons if reasons.count(v) > 1})
        if twice:
            raise ValueError(f"reasons_var {twice} used by two rows (their ARD rows would clash)")
        return self


def resolved_rows(config, options: Options) -> list[tuple[DispRow, Category | None]]:
    """Each row with its counting rule; population rows take their flag and ``where`` from the
    study file."""
    out = []
    for row in options.rows:
        if row.heading:
            out.append((row, None))
            continue
        if row.population:
            pop = config.populations[row.population]
            row = row.model_copy(
                update=dict(
                    id=row.id or (pop.flag or row.population.upper()),
                    label=row.label or pop.label,
                    var=pop.flag,
                    values=["Y"] if pop.flag else [],
                    where=pop.where,
                )
            )
        out.append(
            (
                row,
                Category(
                    row.id,
                    row.var,
                    tuple(row.values),
                    row.reasons_var,
                    tuple(row.reasons),
                    row.where,
                ),
            )
        )
    return out


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    names = {"USUBJID"}
    for i, row in enumerate(options.rows):
        if row.population and row.population not in config.populations:
            raise ConfigError(
                f"{option_key(config, spec, f'rows[{i}].population')}: {row.population!r} is "
                f"not one of {sorted(config.populations)}"
            )
    for row, _ in resolved_rows(config, options):
        names |= {v for v in (row.var, row.reasons_var) if v}
        if row.where:
            names |= expr.variables(expr.parse(row.where))
    return {"adsl": names}


def check(ctx: OutputContext) -> list[Problem]:
    """Each row's ``values`` and ``where`` compare ADSL variables with values of their type."""
    adsl = ctx.data["adsl"]
    problems = []
    for i, row in enumerate(ctx.options.rows):
        key = option_path(ctx.config, ctx.spec, f"rows[{i}].values")
        problems += value_problems(ctx, "adsl", key, row.var, row.values)
        if row.where:
            problems += [
                Problem(
                    ctx.data.file_name("adsl"),
                    option_path(ctx.config, ctx.spec, f"rows[{i}].where"),
                    "where",
                    text,
                    0,
                )
                for text in expr.type_problems(expr.parse(row.where), adsl)
            ]
    return problems


def prepare(ctx: OutputContext) -> pd.DataFrame:
    return ctx.subjects


def _screening(ctx: OutputContext) -> bool:
    return any(r.scope == "adsl" for r in ctx.options.rows)


def _total(ctx: OutputContext) -> bool:
    """A Total column: the study's setting, or always when screening rows need one."""
    return ctx.config.arms.total or _screening(ctx)


def analyze(ctx: OutputContext, subjects: pd.DataFrame) -> pd.DataFrame:
    rules = resolved_rows(ctx.config, ctx.options)
    denominator = next(c for r, c in rules if r.id == ctx.options.denominator)
    ard = ard_disposition(
        subjects,
        arm=ARM,
        arms=ctx.arms,
        denominator=denominator,
        categories=[
            c
            for r, c in rules
            if c is not None and r.id != ctx.options.denominator and r.scope == "population"
        ],
        group_var=ctx.arm_var,
        total=_total(ctx),
        total_label=ctx.config.arms.total_label,
    )
    screening = [c for r, c in rules if c is not None and r.scope == "adsl"]
    if not screening:
        return ard
    extra = ard_screening(ctx.data["adsl"], screening, ctx.arm_var, ctx.config.arms.total_label)
    return concat_ard([ard, extra])


def build(ctx: OutputContext, subjects: pd.DataFrame, ard: pd.DataFrame) -> list[Table]:
    opts: Options = ctx.options
    total_label = ctx.config.arms.total_label
    levels = list(ctx.arms) + ([total_label] if _total(ctx) else [])
    ix = ArdIndex(ard)
    big_n = {lv: ix.value("N", group_level=lv) for lv in levels}
    if not any(big_n[a] for a in ctx.arms):
        return [ctx.null()]
    columns = [Column("", align="left", width=2.6, key="stub")]
    columns += arm_header_columns(ix, ctx, total=_total(ctx))

    rows: list[Row] = []
    rules = resolved_rows(ctx.config, opts)
    link = DispLinks(ctx, ix, subjects, next(c for r, c in rules if r.id == opts.denominator))
    for row, cat in rules:
        if cat is None:
            cells = (Cell(row.label, indent=row.indent), *(Cell("") for _ in levels))
            rows.append(Row(cells, kind="group"))
            continue
        if row.scope == "adsl":
            n = ix.text("n", group_level=total_label, variable=row.id)
            cells = [Cell(n if lv == total_label else "") for lv in levels]
        elif row.id == opts.denominator:
            cells = [Cell(ix.text("N", group_level=lv)) for lv in levels]
        else:
            cells = [link(row, lv, ix.n_pct(group_level=lv, variable=row.id)) for lv in levels]
        rows.append(Row((Cell(row.label, indent=row.indent), *cells)))
        if row.reasons_var and row.id != opts.denominator:
            rows.extend(_reason_rows(ix, ard, row, levels, opts.missing_reason_label, link))

    footnotes = list(ctx.spec.footnotes)
    denominator_label = next(r.label for r, _ in rules if r.id == opts.denominator)
    footnotes.append(
        f"Percentages are based on N, the number of subjects {denominator_label.lower()}."
    )
    if _screening(ctx):
        footnotes.append(
            f"{_and([r.label for r, _ in rules if r.scope == 'adsl'])}: every subject in "
            f"ADSL, counted in the {total_label} column only (a screen failure has no arm)."
        )
    if opts.definitions:
        rules_text = "; ".join(_rule_text(r) for r, c in rules if c is not None)
        footnotes.append(f"Definitions: {rules_text}.")
    n_all = sum(big_n[a] for a in ctx.arms)
    return [
        Table(
            id=ctx.spec.id,
            number=ctx.spec.number,
            title=ctx.spec.title,
            population=ctx.population_line(n_all),
            columns=tuple(columns),
            rows=tuple(rows),
            footnotes=tuple(footnotes),
            source=ctx.source_line(["adsl"]),
        )
    ]


def _reason_rows(
    ix: ArdIndex, ard: pd.DataFrame, row: DispRow, levels, missing_label: str, link: DispLinks
) -> list[Row]:
    recorded = ard.loc[
        (ard["variable"] == row.reasons_var)
        & (ard["stat_name"] == "n")
        & (ard["variable_level"] != "")
    ]
    out = []
    for reason in dict.fromkeys(recorded["variable_level"]):
        where = dict(variable=row.reasons_var, variable_level=reason)
        cells = [link(row, lv, ix.n_pct(group_level=lv, **where), reason) for lv in levels]
        label = row.reason_labels.get(reason) or fmt.fmt_term(reason)
        out.append(Row((Cell(label, indent=row.indent + 1), *cells)))
    missing = [ix.value("n_miss", group_level=lv, variable=row.reasons_var) for lv in levels]
    if any(m > 0 for m in missing):
        texts = [ix.text("n_miss", group_level=lv, variable=row.reasons_var) for lv in levels]
        cells = [link(row, lv, t, "") for lv, t in zip(levels, texts, strict=True)]
        out.append(Row((Cell(missing_label, indent=row.indent + 1), *cells)))
    return out


def _and(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _rule_text(row: DispRow) -> str:
    parts = []
    if row.var and not row.values:
        parts.append(f"{row.var} recorded")
    elif row.var:
        values = ", ".join(repr(v) for v in row.values)
        parts.append(
            f"{row.var} = {values}" if len(row.values) == 1 else f"{row.var} in ({values})"
        )
    if row.where:
        parts.append(row.where)
    if not parts:
        where = "in ADSL" if row.scope == "adsl" else ""
        return f"{row.label}: all subjects {where}".rstrip()
    rule = " and ".join(parts)
    if row.reasons_var:
        rule += f", reason from {row.reasons_var}"
    return f"{row.label}: {rule}"
