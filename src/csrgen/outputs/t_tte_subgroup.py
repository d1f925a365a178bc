"""Table 14.2.x Treatment effect on a time-to-event endpoint by subgroup (the forest plot as a
table).

pre-processing: :func:`csrgen.outputs.tte_subgroup_data.prepare_subgroups` (the endpoint's
analysis frame with each subject's subgroup levels).
analysis: :func:`csrgen.analyses.subgroup.ard_tte_subgroup` (events and subjects per arm and
level, Cox hazard ratio within each level, arm-by-subgroup interaction likelihood-ratio test).
build: all subjects first, then each variable (its interaction p-value on its heading row) with
its levels indented; events/subjects per arm and the hazard ratio (CI) of each compared arm.
"""

from __future__ import annotations

import pandas as pd

from csrgen import formatting as fmt
from csrgen.analyses.subgroup import OVERALL
from csrgen.ard import ArdIndex
from csrgen.document.model import Cell, Column, Row, Table
from csrgen.outputs.base import OutputContext, header_n, population_n
from csrgen.outputs.tte_data import arm_note, population_text
from csrgen.outputs.tte_subgroup_data import (
    Options,
    SubgroupPrepared,
    analyze_subgroups,
    check_subgroups,
    prepare_subgroups,
    subgroup_requires,
    subgroup_shares,
)

__all__ = ["Options", "analyze", "build", "check", "prepare", "requires", "shares"]

shares = subgroup_shares
check = check_subgroups
prepare = prepare_subgroups
analyze = analyze_subgroups


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    return subgroup_requires(config, spec, options)


def events_text(ix: ArdIndex, arm: str, variable: str = "", level: str = "") -> str:
    """``events/subjects`` of an arm in a level."""
    w = dict(group_level=arm, variable=variable, variable_level=level)
    return f"{ix.text('n_event', **w)}/{ix.text('n', **w)}"


def hr_text(ix: ArdIndex, arm: str, variable: str = "", level: str = "") -> str:
    return ix.est_ci("hr", group_level=arm, variable=variable, variable_level=level)


def interaction_text(ix: ArdIndex, variable: str) -> str:
    return ix.text("p_value", group_level=OVERALL, variable=variable)


def ci_label(ctx: OutputContext) -> str:
    return f"{fmt.fmt_prob_pct(ctx.config.survival.conf_level, 0)}% CI"


def compared_arms(ctx: OutputContext) -> list[str]:
    return [a for a in ctx.arms if a != ctx.config.arms.reference]


def build(ctx: OutputContext, prep: SubgroupPrepared, ard: pd.DataFrame) -> list[Table]:
    if prep.empty:
        return [ctx.null()]
    opts: Options = ctx.options
    ix = ArdIndex(ard, param=opts.paramcd)
    compared = compared_arms(ctx)
    reference = ctx.config.arms.reference
    ci = ci_label(ctx)
    columns = [Column("Subgroup", align="left", width=2.0 + 0.4 * (len(compared) - 1), key="stub")]
    columns += [Column(f"{header_n(ix, a)}\nEvents/n", width=1.0, key=a) for a in ctx.arms]
    columns += [
        Column(
            f"{a} vs {reference}\nHR ({ci})" if len(compared) > 1 else f"Hazard ratio ({ci})",
            width=1.3,
            key=f"hr:{a}",
        )
        for a in compared
    ]
    columns.append(Column("Interaction p-value", width=1.0, key="p_interaction"))

    def line(label, variable="", level="", indent=0):
        cells = [Cell(label, indent=indent)]
        cells += [Cell(events_text(ix, a, variable, level)) for a in ctx.arms]
        cells += [Cell(hr_text(ix, a, variable, level)) for a in compared]
        cells.append(Cell(""))
        return Row(tuple(cells))

    rows = [line(opts.overall_label)]
    for s in opts.subgroups:
        blank = [Cell("")] * (len(ctx.arms) + len(compared))
        rows.append(
            Row((Cell(s.label, bold=True), *blank, Cell(interaction_text(ix, s.var))), "group")
        )
        rows += [line(s.display(lv), s.var, lv, indent=1) for lv in s.level_names]
    n_total = population_n(ix, ctx)
    return [
        Table(
            id=ctx.spec.id,
            number=ctx.spec.number,
            title=ctx.spec.title,
            population=population_text(ctx, prep.tte, n_total),
            columns=tuple(columns),
            rows=tuple(rows),
            footnotes=tuple(ctx.spec.footnotes) + tuple(footnotes(ctx, prep, rows)),
            source=ctx.source_line(["adsl", prep.tte.settings.dataset]),
        )
    ]


def footnotes(ctx: OutputContext, prep: SubgroupPrepared, rows) -> list[str]:
    """The methods, shared with the figure; the NE note only when a cell says NE."""
    reference = ctx.config.arms.reference
    ci = ci_label(ctx)
    notes = [
        f"Events/n: subjects with an event ({prep.tte.endpoint.event_label}) / subjects with a "
        f"record of {prep.tte.endpoint.paramcd} in the subgroup.",
        arm_note(ctx, prep.tte),
        f"Hazard ratio (HR) vs {reference} from a Cox proportional-hazards model of arm alone "
        f"fitted within each subgroup (Efron's method for ties); Wald {ci}. A hazard ratio "
        "below 1 favours the compared arm.",
        "Interaction p-value: likelihood-ratio test of the arm-by-subgroup interaction "
        "(Cox model with arm, subgroup and their interaction vs arm and subgroup), in the "
        "subjects of the listed levels. Subgroup analyses are exploratory; the interaction "
        "test, not the hazard ratios within levels, addresses whether the effect differs.",
    ]
    if any(c.text == fmt.NE or c.text.startswith(fmt.NE + " ") for r in rows for c in r.cells[1:]):
        notes.append(
            "NE = not estimable: an arm of the subgroup has no events (or no subjects), so the "
            "hazard ratio (or, for the interaction test, the interaction model) has no finite "
            "estimate."
        )
    return notes
