"""Table <number> Categorical thresholds by parameter: subjects whose maximum (or minimum)
post-baseline value, or maximum increase (or decrease) from baseline, passes each threshold the
study file gives, n (%) by arm; for any BDS dataset (ECG: QTcF > 450, > 480, > 500 ms and
increase > 30, > 60 ms; vital signs: systolic blood pressure > 160 mmHg).

pre-processing: the block's other analysis records at any visit, scheduled or not
(:mod:`csrgen.outputs.bds_records`: baseline rule, analysis flag, derived records) on or after
study day ``min_day`` (optionally up to ``days_after_treatment`` after the last dose), of the
parameters the criteria name.
analysis: :func:`csrgen.analyses.bds_thresholds.ard_bds_thresholds`.
build: one table; per parameter (and timepoint) a group of rows, per kind of threshold a
sub-group with the evaluable subjects (n) and one row per threshold; arms as columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from csrgen.analyses.bds_thresholds import Threshold, ard_bds_thresholds
from csrgen.ard import ArdIndex
from csrgen.datasets import ARM
from csrgen.document.model import Cell, Column, Row, Table
from csrgen.errors import ConfigError
from csrgen.formatting import fmt_level
from csrgen.outputs import bds_common as bc
from csrgen.outputs.base import OptionsModel, OutputContext, header_n, population_n
from csrgen.outputs.bds_data import numbers_at
from csrgen.outputs.t_bds_shift import post_baseline, window_note

#: (option, ARD variable, direction, heading) of each kind of threshold, in display order.
KINDS = (
    ("above", "AVAL", ">", "Maximum post-baseline value"),
    ("below", "AVAL", "<", "Minimum post-baseline value"),
    ("increase", "CHG", ">", "Maximum increase from baseline"),
    ("decrease", "CHG", "<", "Maximum decrease from baseline"),
)


class Criterion(OptionsModel):
    """Thresholds of some parameters: each a list of numbers, in the unit of AVAL."""

    #: PARAMCDs the thresholds apply to, in display order.
    params: list[str] = Field(min_length=1)
    #: Worst value above (maximum > x) or below (minimum < x) each number.
    above: list[float] = Field(default_factory=list)
    below: list[float] = Field(default_factory=list)
    #: Change from baseline: an increase of more than x (maximum CHG > x) or a decrease of more
    #: than x (minimum CHG < -x); give positive numbers.
    increase: list[float] = Field(default_factory=list)
    decrease: list[float] = Field(default_factory=list)
    #: Unit shown after each number ("ms", "mmHg").
    unit: str = ""

    @model_validator(mode="after")
    def _some(self) -> Criterion:
        if not (self.above or self.below or self.increase or self.decrease):
            raise ValueError("give at least one of above, below, increase, decrease")
        if any(x <= 0 for x in self.increase + self.decrease):
            raise ValueError("increase and decrease are amounts: give positive numbers")
        return self

    def thresholds(self) -> list[Threshold]:
        out = []
        for option, variable, direction, _ in KINDS:
            for x in getattr(self, option):
                value = -x if option == "decrease" else x
                out.append(Threshold(variable, direction, float(value)))
        return out


class Options(bc.BdsOptions):
    criteria: list[Criterion] = Field(min_length=1)
    #: The study day variable; post-baseline records are on or after study day ``min_day``.
    day_var: str = Field(default="ADY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    min_day: int = 1
    #: When set: only records up to this many days after the last dose (ADSL TRTEDT).
    days_after_treatment: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _params_in_criteria(self) -> Options:
        given = sorted(k for k in ("params", "parcat") if k in self.model_fields_set)
        if given:
            raise ValueError(f"{', '.join(given)}: not used; the criteria name the parameters")
        seen = [p for c in self.criteria for p in c.params]
        twice = sorted({p for p in seen if seen.count(p) > 1})
        if twice:
            raise ValueError(f"criteria: parameters {twice} named more than once")
        return self

    def criterion(self, param: str) -> Criterion:
        return next(c for c in self.criteria if param in c.params)

    @property
    def param_list(self) -> list[str]:
        return [p for c in self.criteria for p in c.params]


# (no shares: the block is prepared by the check hooks before the workers fork)
check = bc.check


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    with_params = options.model_copy(update={"params": options.param_list})
    try:
        need = bc.bds_requires(config, spec, with_params, by_visit=False)
    except ConfigError as exc:
        raise ConfigError(str(exc).replace("options.params", "options.criteria")) from None
    role = bc.settings(config, options).dataset
    need[role] |= {"AVAL", options.day_var}
    if any(c.increase or c.decrease for c in options.criteria):
        need[role].add("CHG")
    if options.days_after_treatment is not None:
        need[role].add("ADT")
        need.setdefault("adsl", set()).add("TRTEDT")
    return need


def prepare(ctx: OutputContext):
    opts: Options = ctx.options
    data = bc.prepare(ctx).data
    prep = bc.BdsPrepared(data, opts.param_list)
    frame = ctx.data[data.settings.dataset]
    rows = post_baseline(ctx, data, opts)
    param = frame["PARAMCD"].to_numpy()[rows]
    rows = rows[np.isin(param, prep.params)]
    tp = data.settings.timepoint_var
    records = pd.DataFrame(
        {
            "USUBJID": frame["USUBJID"].to_numpy()[rows],
            "PARAMCD": frame["PARAMCD"].to_numpy()[rows],
            "TIMEPOINT": frame[tp].to_numpy()[rows] if tp else "",
            "AVAL": numbers_at(frame, "AVAL", rows),
            "CHG": numbers_at(frame, "CHG", rows),
        }
    )
    return prep, records


def analyze(ctx: OutputContext, prepared) -> pd.DataFrame:
    prep, records = prepared
    opts: Options = ctx.options
    data = prep.data
    criteria = [(key, opts.criterion(key[0]).thresholds()) for key in prep.blocks]
    return ard_bds_thresholds(records, data.subjects, ARM, ctx.arms, criteria, data.group_var)


def build(ctx: OutputContext, prepared, ard: pd.DataFrame) -> list[Table]:
    prep, records = prepared
    data = prep.data
    if data.subjects.empty or records.empty:
        return [ctx.null()]
    opts: Options = ctx.options
    ix = ArdIndex(ard)
    arms = ctx.arms
    columns = [Column("Parameter\n  Criterion", align="left", width=2.4, key="stub")]
    columns += [Column(header_n(ix, a), align="center", key=a) for a in arms]
    blank = [Cell("")] * len(arms)
    rows: list[Row] = []
    for param, tp in prep.blocks:
        criterion = opts.criterion(param)
        rows.append(Row((Cell(data.block_label(param, tp), bold=True), *blank), kind="group"))
        for option, variable, direction, heading in KINDS:
            values = getattr(criterion, option)
            if not values:
                continue
            where = dict(param=param, timepoint=tp, variable=variable)
            rows.append(Row((Cell(heading, indent=1), *blank), kind="group"))
            n = [ix.text("n", group_level=a, **where) for a in arms]
            rows.append(Row((Cell("n", indent=2), *map(Cell, n))))
            for x in values:
                t = Threshold(variable, direction, -x if option == "decrease" else x)
                text = f"{'>' if option == 'decrease' else direction} {fmt_level(x)}"
                text += f" {criterion.unit}" if criterion.unit else ""
                cells = [
                    Cell(ix.n_pct(group_level=a, variable_level=t.level, **where)) for a in arms
                ]
                rows.append(Row((Cell(text, indent=2), *cells)))
    footnotes = list(ctx.spec.footnotes)
    footnotes += [
        "N = subjects in the population; n = subjects with at least one post-baseline value "
        "(for changes: a post-baseline change from baseline) of the parameter, the denominator "
        "of the percentages. Each subject is counted once per row, under every threshold that "
        "their worst value passes (the categories are cumulative).",
        "Maximum (minimum) post-baseline value: the highest (lowest) value of the subject after "
        "baseline; maximum increase (decrease): the largest change from baseline above (below) "
        "zero, as in the analysis dataset (CHG). Thresholds are strict (> 450 excludes 450).",
        window_note(data, opts, categories=False),
    ]
    return [
        Table(
            id=ctx.spec.id,
            number=ctx.spec.number,
            title=ctx.spec.title,
            population=ctx.population_line(population_n(ix, ctx)),
            columns=tuple(columns),
            rows=tuple(rows),
            footnotes=tuple(footnotes),
            source=ctx.source_line([data.settings.dataset, "adsl"]),
        )
    ]


__all__ = ["Options", "requires", "prepare", "analyze", "build", "check"]
