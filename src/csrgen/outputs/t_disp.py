"""Table 14.1.x Subject disposition.

pre-processing: ADSL subjects of the output's population (normally all randomized subjects), arm
from the population's arm variable.
analysis: :func:`csrgen.analyses.disposition.ard_disposition`; every category is a rule of the
study file (which variable means "completed the treatment phase" differs by study: EOTSTT,
COMP24FL, DCDECOD, ...), percentages of the denominator row (randomized).
build: one row per category in the study file's order, reasons indented beneath their category;
the denominator row prints its count only; a footnote states every category's rule. In HTML
the counts of a row that a discontinuation listing (``l_disc``) holds link to its subjects there
(same phase, arm and reason).
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field, model_validator

from csrgen import formatting as fmt
from csrgen.analyses.disposition import Category, ard_disposition
from csrgen.ard import ArdIndex
from csrgen.datasets import ARM
from csrgen.document.model import Cell, Column, Row, Table
from csrgen.errors import ConfigError
from csrgen.outputs.base import OptionsModel, OutputContext, arm_header_columns, arm_levels
from csrgen.outputs.disp_links import DispLinks


class DispRow(OptionsModel):
    """A row of the table: subjects whose ADSL ``var`` is one of ``values`` (or, with
    ``population``, the subjects of that study population)."""

    #: The ARD ``variable`` (RANDOMIZED, TREATED, COMPLETED_STUDY, ...); a population row
    #: defaults to its flag (ITTFL).
    id: str = Field(default="", pattern=r"^([A-Z][A-Z0-9_]*)?$")
    label: str = ""
    var: str = ""
    #: Empty: ``var`` is recorded (non-missing date, number or text).
    values: list[str] = Field(default_factory=list)
    #: A population of the study file (its flag = 'Y'); sets id, label, var and values.
    population: str = ""
    #: ADSL variable holding the reason (DCSREAS, DCTREAS); its values are listed beneath.
    reasons_var: str = ""
    #: Reason order (values as recorded); unlisted reasons follow alphabetically.
    reasons: list[str] = Field(default_factory=list)
    reason_labels: dict[str, str] = Field(default_factory=dict)
    indent: int = Field(default=0, ge=0, le=3)
    #: A heading row (label only, no counts), e.g. "Analysis populations".
    heading: bool = False

    @model_validator(mode="after")
    def _named(self) -> DispRow:
        if self.heading:
            if not self.label or self.id or self.population or self.var:
                raise ValueError("a heading row has a label and nothing else")
        elif not self.population and not (self.id and self.label):
            raise ValueError("a row needs id and label, or a population")
        return self


class Options(OptionsModel):
    rows: list[DispRow] = Field(min_length=1)
    #: The id of the row whose count is N (percentages are of it); printed as a count only.
    denominator: str = "RANDOMIZED"
    missing_reason_label: str = "Reason not recorded"
    #: Add a footnote stating the rule behind every row.
    definitions: bool = True

    @model_validator(mode="after")
    def _consistent(self) -> Options:
        ids = [r.id for r in self.rows if r.id]
        if self.denominator not in ids:
            raise ValueError(f"denominator {self.denominator!r} is not the id of a row {ids}")
        reasons = [r.reasons_var for r in self.rows if r.reasons_var]
        twice = sorted({v for v in reasons if reasons.count(v) > 1})
        if twice:
            raise ValueError(f"reasons_var {twice} used by two rows (their ARD rows would clash)")
        return self


def resolved_rows(config, options: Options) -> list[tuple[DispRow, Category | None]]:
    """Each row with its counting rule; population rows take their flag from the study file."""
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
                )
            )
        out.append(
            (
                row,
                Category(row.id, row.var, tuple(row.values), row.reasons_var, tuple(row.reasons)),
            )
        )
    return out


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    names = {"USUBJID"}
    for row in options.rows:
        if row.population and row.population not in config.populations:
            raise ConfigError(
                f"{config.path}: outputs {spec.id}: options.rows: population "
                f"{row.population!r} is not one of {sorted(config.populations)}"
            )
    for row, _ in resolved_rows(config, options):
        names |= {v for v in (row.var, row.reasons_var) if v}
    return {"adsl": names}


def prepare(ctx: OutputContext) -> pd.DataFrame:
    return ctx.subjects


def analyze(ctx: OutputContext, subjects: pd.DataFrame) -> pd.DataFrame:
    rules = resolved_rows(ctx.config, ctx.options)
    denominator = next(c for r, c in rules if r.id == ctx.options.denominator)
    return ard_disposition(
        subjects,
        arm=ARM,
        arms=ctx.arms,
        denominator=denominator,
        categories=[c for r, c in rules if c is not None and r.id != ctx.options.denominator],
        group_var=ctx.arm_var,
        total=ctx.config.arms.total,
        total_label=ctx.config.arms.total_label,
    )


def build(ctx: OutputContext, subjects: pd.DataFrame, ard: pd.DataFrame) -> list[Table]:
    opts: Options = ctx.options
    levels = arm_levels(ctx)
    ix = ArdIndex(ard)
    big_n = {lv: ix.value("N", group_level=lv) for lv in levels}
    if not any(big_n[a] for a in ctx.arms):
        return [ctx.null()]
    columns = [Column("", align="left", width=2.6, key="stub")]
    columns += arm_header_columns(ix, ctx)

    rows: list[Row] = []
    rules = resolved_rows(ctx.config, opts)
    link = DispLinks(ctx, ix, subjects, next(c for r, c in rules if r.id == opts.denominator))
    for row, cat in rules:
        if cat is None:
            cells = (Cell(row.label, indent=row.indent), *(Cell("") for _ in levels))
            rows.append(Row(cells, kind="group"))
            continue
        if row.id == opts.denominator:
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


def _rule_text(row: DispRow) -> str:
    if not row.var:
        return f"{row.label}: all subjects"
    if not row.values:
        return f"{row.label}: {row.var} recorded"
    values = ", ".join(repr(v) for v in row.values)
    rule = f"{row.var} = {values}" if len(row.values) == 1 else f"{row.var} in ({values})"
    if row.reasons_var:
        rule += f", reason from {row.reasons_var}"
    return f"{row.label}: {rule}"
