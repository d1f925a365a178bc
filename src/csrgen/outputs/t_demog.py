"""Table 14.1.x Demographic and baseline characteristics (Table 1).

pre-processing: the output's population from ADSL, arm from the population's arm variable.
analysis: :func:`csrgen.analyses.baseline.ard_baseline` (n, mean, SD, median, Q1, Q3, min, max;
n (%) of N; tableone's test across arms).
build: one block per variable (label row carrying the p-value, statistics indented beneath).
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field

from csrgen.analyses.baseline import BaselineVariable, ard_baseline, method_wording
from csrgen.ard import ArdIndex
from csrgen.datasets import ARM
from csrgen.document.model import Cell, Column, Row, Table
from csrgen.outputs.base import (
    OptionsModel,
    OutputContext,
    arm_header_columns,
    arm_levels,
    population_n,
)


class DemogVariable(OptionsModel):
    var: str
    label: str
    kind: Literal["continuous", "categorical"]
    #: Decimals of the raw data: mean/median print one more, SD two more.
    decimals: int = Field(default=0, ge=0, le=6)
    #: Category order (categorical); default alphabetical of the values present.
    levels: list[str] = Field(default_factory=list)
    #: Display text of a category value ({"M" = "Male"}).
    level_labels: dict[str, str] = Field(default_factory=dict)
    #: Use the Kruskal-Wallis test instead of ANOVA.
    nonparametric: bool = False


class Options(OptionsModel):
    variables: list[DemogVariable] = Field(min_length=1)
    pvalues: bool = True
    stub_header: str = "Characteristic"


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    return {"adsl": {v.var for v in options.variables}}


def prepare(ctx: OutputContext) -> pd.DataFrame:
    return ctx.subjects


def analyze(ctx: OutputContext, subjects: pd.DataFrame) -> pd.DataFrame:
    variables = [
        BaselineVariable(v.var, v.kind, tuple(v.levels), v.nonparametric)
        for v in ctx.options.variables
    ]
    return ard_baseline(
        subjects,
        arm=ARM,
        arms=ctx.arms,
        variables=variables,
        group_var=ctx.arm_var,
        total_label=ctx.config.arms.total_label,
        total=ctx.config.arms.total,
        tests=ctx.options.pvalues,
    )


def decimals(ctx: OutputContext, subjects: pd.DataFrame) -> dict[str, int]:
    """Each variable's data decimals (means and medians print one more, SD two more)."""
    return {v.var: v.decimals for v in ctx.options.variables}


def build(ctx: OutputContext, subjects: pd.DataFrame, ard: pd.DataFrame) -> list[Table]:
    if subjects.empty:
        return [ctx.null()]
    opts: Options = ctx.options
    levels = arm_levels(ctx)
    ix = ArdIndex(ard)
    columns = [Column(opts.stub_header, align="left", width=2.4, key="stub")]
    columns += arm_header_columns(ix, ctx)
    if opts.pvalues:
        columns.append(Column("p-value", align="center", width=0.8, key="p"))
    blank = [Cell("")] * (len(columns) - 1)

    rows: list[Row] = []
    methods: list[str] = []
    not_collected = [v for v in opts.variables if _not_collected(subjects, v)]
    for v in opts.variables:
        head = [Cell(v.label, bold=True)] + blank
        if v in not_collected:  # blank for every subject: no statistics, no test
            rows.append(Row((Cell(v.label, bold=True), *[Cell(NOT_COLLECTED) for _ in blank])))
            if opts.pvalues:
                rows[-1] = Row(rows[-1].cells[:-1] + (Cell(""),))
            continue
        if opts.pvalues:
            p_rows = ard[(ard["variable"] == v.var) & (ard["stat_name"] == "p_value")]
            head[-1] = Cell(ix.text("p_value", group_level="Overall", variable=v.var, missing=""))
            method = p_rows["method"].iloc[0] if len(p_rows) else ""
            if method and method not in methods:
                methods.append(method)
        rows.append(Row(tuple(head), kind="group"))
        for label, texts in _statistic_lines(ix, ard, v, levels, ctx.arms):
            cells = [Cell(label, indent=1)] + [Cell(t) for t in texts]
            if opts.pvalues:
                cells.append(Cell(""))
            rows.append(Row(tuple(cells)))

    footnotes = list(ctx.spec.footnotes)
    footnotes.append(
        "N = number of subjects in the population; percentages are based on N. "
        "SD = standard deviation; Q1, Q3 = first and third quartiles (SAS definition 5)."
    )
    if not_collected:
        names = ", ".join(f"{v.label} ({v.var})" for v in not_collected)
        footnotes.append(f"{NOT_COLLECTED}: {names} blank for every subject of the population.")
    if opts.pvalues and methods:
        footnotes.append(
            "p-values compare the arms (missing values excluded): "
            + "; ".join(method_wording(m) for m in methods)
            + "."
        )
    n_total = population_n(ix, ctx)
    return [
        Table(
            id=ctx.spec.id,
            number=ctx.spec.number,
            title=ctx.spec.title,
            population=ctx.population_line(n_total),
            columns=tuple(columns),
            rows=tuple(rows),
            footnotes=tuple(footnotes),
            source=ctx.source_line(["adsl"]),
        )
    ]


#: Printed in the cells of a variable that no subject of the population has a value of.
NOT_COLLECTED = "Not collected"


def _not_collected(subjects: pd.DataFrame, v: DemogVariable) -> bool:
    values = subjects[v.var]
    blank = values.isna() | (values.astype(str).str.strip() == "")
    return len(values) > 0 and bool(blank.all())


def _statistic_lines(
    ix: ArdIndex, ard: pd.DataFrame, v: DemogVariable, levels: list[str], arms: list[str]
):
    """(label, one text per column) for the rows under a variable's heading."""
    lines: list[tuple[str, list[str]]] = []
    if v.kind == "continuous":
        where = dict(variable=v.var)
        lines += [
            ("n", [ix.text("n", group_level=lv, **where) for lv in levels]),
            ("Mean (SD)", [ix.mean_sd(group_level=lv, **where) for lv in levels]),
            ("Median", [ix.text("median", group_level=lv, **where) for lv in levels]),
            ("Q1, Q3", [ix.pair("q1", "q3", group_level=lv, **where) for lv in levels]),
            ("Min, Max", [ix.pair("min", "max", group_level=lv, **where) for lv in levels]),
        ]
    else:
        shown = ard[
            (ard["variable"] == v.var) & (ard["stat_name"] == "n") & (ard["variable_level"] != "")
        ]
        for value in dict.fromkeys(shown["variable_level"]):
            texts = [
                ix.n_pct(group_level=lv, variable=v.var, variable_level=value) for lv in levels
            ]
            lines.append((v.level_labels.get(value, value), texts))
    if any(ix.value("n_miss", group_level=lv, variable=v.var) > 0 for lv in arms):
        lines.append(
            ("Missing", [ix.text("n_miss", group_level=lv, variable=v.var) for lv in levels])
        )
    return lines
