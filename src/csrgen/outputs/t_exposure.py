"""Table 14.1.x Extent of exposure.

pre-processing: ADSL subjects of the output's population (safety), arm from its arm variable.
analysis: :func:`csrgen.analyses.exposure.ard_exposure`: per-subject exposure (an ADSL variable
such as TRTDURD/AVGDD/CUMDOSE or NINF, days between two ADSL dates, or an ADEX total such as the
cells/kg received over all infusions) summarised like Table 1 (n, mean, SD, median, Q1, Q3,
min, max; n (%) of N per category).
build: one block per variable; a variable that concerns some arms only (the active arm's dose)
prints a dash in the other columns, with a footnote.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field, model_validator

from csrgen import formatting as fmt
from csrgen.analyses.exposure import ExposureVariable, ard_exposure
from csrgen.ard import ArdIndex
from csrgen.config import Text, VarName, unused_options
from csrgen.datasets import ARM
from csrgen.document.model import Cell, Column, Row, Table
from csrgen.errors import ConfigError
from csrgen.outputs.base import (
    OptionsModel,
    OutputContext,
    arm_header_columns,
    arm_levels,
    kind_problems,
    option_key,
    option_path,
    population_n,
)

NOT_APPLICABLE = "\u2013"


class ExposureVar(OptionsModel):
    #: ARD ``variable`` of the block (the ADSL name, or a name of your choice for derived ones).
    name: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    label: Text
    kind: Literal["continuous", "categorical"]
    source: Literal["adsl", "duration", "adex"] = "adsl"
    #: The ADSL variable (adsl), the end date (duration), the ADEX value variable (adex).
    var: VarName
    #: duration: the ADSL start date (both days count).
    start: VarName | None = None
    #: adex: PARAMCDs of the records summed or counted; empty: all records.
    paramcd: list[Text] = Field(default_factory=list)
    aggregate: Literal["sum", "count"] = "sum"
    #: adex: a subject with no record received 0 (else "missing").
    missing_as_zero: bool = False
    decimals: int = Field(default=0, ge=0, le=6)
    levels: list[Text] = Field(default_factory=list)
    level_labels: dict[str, Text] = Field(default_factory=dict)
    #: Arms it concerns (empty: all); the others print a dash.
    arms: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _complete(self) -> ExposureVar:
        if self.source == "duration" and not self.start:
            raise ValueError("a duration needs start (the ADSL start date)")
        if self.kind == "categorical" and not self.levels:
            raise ValueError("a categorical exposure variable needs levels")
        if self.source != "duration":
            unused_options(self, ("start",), f'with source = "{self.source}"')
        if self.source != "adex":
            unused_options(
                self, ("paramcd", "aggregate", "missing_as_zero"), f'with source = "{self.source}"'
            )
        if self.kind == "continuous":
            unused_options(self, ("levels", "level_labels"), "by a continuous variable")
        else:
            unused_options(self, ("decimals",), "by a categorical variable")
        return self

    def analysis(self) -> ExposureVariable:
        return ExposureVariable(
            name=self.name,
            var=self.var,
            kind=self.kind,
            source=self.source,
            start=self.start or "",
            paramcd=tuple(self.paramcd),
            aggregate=self.aggregate,
            levels=tuple(self.levels),
            arms=tuple(self.arms),
            missing_as_zero=self.missing_as_zero,
        )


class Options(OptionsModel):
    variables: list[ExposureVar] = Field(min_length=1)
    stub_header: str = "Exposure"


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    need: dict[str, set[str]] = {"adsl": {"USUBJID"}}
    for i, v in enumerate(options.variables):
        bad = sorted(set(v.arms) - set(config.arms.levels))
        if bad:
            raise ConfigError(
                f"{option_key(config, spec, f'variables[{i}].arms')}: {bad} are not arms of "
                f"the study (arms.levels = {config.arms.levels})"
            )
        if v.source == "adex":
            need.setdefault("adex", {"USUBJID"}).add(v.var)
            if v.paramcd:
                need["adex"].add("PARAMCD")
        else:
            need["adsl"] |= {v.var, v.start} - {"", None}
    return need


def check(ctx: OutputContext):
    """Durations are between dates; a continuous ADSL or ADEX variable is numeric."""
    out = []
    for i, v in enumerate(ctx.options.variables):
        key = option_path(ctx.config, ctx.spec, f"variables[{i}]")
        if v.source == "duration":
            out += kind_problems(
                ctx, "adsl", [(f"{key}.var", v.var, "date"), (f"{key}.start", v.start, "date")]
            )
        elif v.kind == "continuous" and v.aggregate != "count":
            out += kind_problems(ctx, v.source, [(f"{key}.var", v.var, "num")])
    return out


def prepare(ctx: OutputContext) -> pd.DataFrame:
    return ctx.subjects


def analyze(ctx: OutputContext, subjects: pd.DataFrame) -> pd.DataFrame:
    return ard_exposure(
        subjects,
        arm=ARM,
        arms=ctx.arms,
        variables=[v.analysis() for v in ctx.options.variables],
        group_var=ctx.arm_var,
        adex=ctx.data.frames.get("adex"),
        total=ctx.config.arms.total,
        total_label=ctx.config.arms.total_label,
    )


def decimals(ctx: OutputContext, subjects: pd.DataFrame) -> dict[str, int]:
    """Each variable's data decimals (means and medians print one more, SD two more)."""
    return {v.name: v.decimals for v in ctx.options.variables}


def build(ctx: OutputContext, subjects: pd.DataFrame, ard: pd.DataFrame) -> list[Table]:
    if subjects.empty:
        return [ctx.null()]
    opts: Options = ctx.options
    levels = arm_levels(ctx)
    ix = ArdIndex(ard)
    columns = [Column(opts.stub_header, align="left", width=2.4, key="stub")]
    columns += arm_header_columns(ix, ctx)
    blank = [Cell("")] * (len(columns) - 1)
    rows: list[Row] = []
    footnotes = list(ctx.spec.footnotes)
    for v in opts.variables:
        rows.append(Row((Cell(v.label, bold=True), *blank), kind="group"))
        shown = [lv for lv in levels if _applies(ard, v, lv)]
        for label, texts in _lines(ix, v, shown):
            cells = [Cell(label, indent=1)]
            cells += [Cell(texts.get(lv, NOT_APPLICABLE)) for lv in levels]
            rows.append(Row(tuple(cells)))
    restricted: dict[tuple[str, ...], list[str]] = {}
    for v in opts.variables:
        if v.arms:
            restricted.setdefault(tuple(v.arms), []).append(v.label)
    for arms, labels in restricted.items():
        footnotes.append(
            f"{NOT_APPLICABLE} = not applicable: {'; '.join(labels)} concern(s) "
            f"{', '.join(arms)} only."
        )
    footnotes.append(
        "N = number of subjects in the population; percentages are based on N. "
        "SD = standard deviation; Q1, Q3 = first and third quartiles (SAS definition 5)."
    )
    if any(fmt.NE in c.text.split() or c.text.startswith(fmt.NE) for r in rows for c in r.cells):
        footnotes.append(f"{fmt.NE} = not estimable (no subject, or one subject for the SD).")
    n_all = population_n(ix, ctx)
    roles = ["adsl"] + (["adex"] if any(v.source == "adex" for v in opts.variables) else [])
    return [
        Table(
            id=ctx.spec.id,
            number=ctx.spec.number,
            title=ctx.spec.title,
            population=ctx.population_line(n_all),
            columns=tuple(columns),
            rows=tuple(rows),
            footnotes=tuple(footnotes),
            source=ctx.source_line(roles),
        )
    ]


def _applies(ard: pd.DataFrame, v: ExposureVar, level: str) -> bool:
    return bool(((ard["variable"] == v.name) & (ard["group_level"] == level)).any())


def _lines(ix: ArdIndex, v: ExposureVar, levels: list[str]):
    """(label, {column level: text}) for the rows under a variable's heading."""

    def each(make) -> dict[str, str]:
        return {lv: make(dict(group_level=lv, variable=v.name)) for lv in levels}

    if v.kind == "continuous":
        lines = [
            ("n", each(lambda w: ix.text("n", **w))),
            ("Mean (SD)", each(lambda w: ix.mean_sd(**w))),
            ("Median", each(lambda w: ix.text("median", **w))),
            ("Q1, Q3", each(lambda w: ix.pair("q1", "q3", **w))),
            ("Min, Max", each(lambda w: ix.pair("min", "max", **w))),
        ]
    else:
        lines = [
            (
                v.level_labels.get(value, value),
                each(lambda w, value=value: ix.n_pct(variable_level=value, **w)),
            )
            for value in v.levels
        ]
    if any(ix.value("n_miss", group_level=lv, variable=v.name) > 0 for lv in levels):
        lines.append(("Missing", each(lambda w: ix.text("n_miss", **w))))
    return lines
