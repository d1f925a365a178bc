"""Figure 14.2.x Forest plot of the treatment effect on a time-to-event endpoint by subgroup.

pre-processing: :func:`csrgen.outputs.tte_subgroup_data.prepare_subgroups` (as the table).
analysis: :func:`csrgen.analyses.subgroup.ard_tte_subgroup` (memoised: the table and the figure
of the same options share one computation).
build: the table's rows as a figure (:mod:`csrgen.outputs.forest_plot`): events/subjects per
arm, the hazard ratio with its CI on a log axis with a line at 1, the hazard ratio (CI) as text
and each variable's interaction p-value; every printed number comes from the ARD.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field, model_validator

from csrgen.ard import ArdIndex
from csrgen.document.model import Figure
from csrgen.outputs.base import OutputContext, population_n
from csrgen.outputs.forest_plot import (
    Estimate,
    ForestLayout,
    ForestRow,
    draw_forest,
    forest_height,
)
from csrgen.outputs.km_plot import null_figure
from csrgen.outputs.plotting import plan
from csrgen.outputs.t_tte_subgroup import (
    ci_label,
    compared_arms,
    events_text,
    footnotes,
    hr_text,
    interaction_text,
)
from csrgen.outputs.tte_data import population_text
from csrgen.outputs.tte_subgroup_data import (
    Options as SubgroupOptions,
)
from csrgen.outputs.tte_subgroup_data import (
    SubgroupPrepared,
    analyze_subgroups,
    check_subgroups,
    prepare_subgroups,
    subgroup_requires,
    subgroup_shares,
)

__all__ = ["Options", "analyze", "build", "check", "prepare", "requires", "shares"]


class Options(SubgroupOptions):
    width_in: float = Field(default=6.5, gt=4, le=10)
    #: Put the figure on a landscape page (a wide figure: many arms).
    landscape: bool = False
    #: Axis limits of the hazard ratio ``[low, high]``; default: the ticks (1-2-5 steps) just
    #: outside every confidence limit. Limits beyond them are drawn as arrows.
    x_limits: list[float] = Field(default_factory=list)

    @model_validator(mode="after")
    def _limits(self) -> Options:
        if self.x_limits and not (
            len(self.x_limits) == 2 and 0 < self.x_limits[0] < 1 < self.x_limits[1]
        ):
            raise ValueError(f"x_limits: {self.x_limits} must be [low, high] with low < 1 < high")
        return self


shares = subgroup_shares
check = check_subgroups
prepare = prepare_subgroups
analyze = analyze_subgroups


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    return subgroup_requires(config, spec, options)


def build(ctx: OutputContext, prep: SubgroupPrepared, ard: pd.DataFrame) -> list[Figure]:
    opts: Options = ctx.options
    if prep.empty:
        return [null_figure(ctx, opts.width_in, 3.0)]
    ix = ArdIndex(ard, param=opts.paramcd)
    arms = list(ctx.arms)
    compared = compared_arms(ctx)
    reference = ctx.config.arms.reference

    def estimates(variable="", level=""):
        out = []
        for a in compared:
            w = dict(group_level=a, variable=variable, variable_level=level)
            out.append(
                Estimate(
                    est=ix.value("hr", **w),
                    lcl=ix.value("hr_lcl", **w),
                    ucl=ix.value("hr_ucl", **w),
                    text=hr_text(ix, a, variable, level),
                    arm_index=arms.index(a),
                )
            )
        return tuple(out)

    def counts(variable="", level=""):
        return tuple(events_text(ix, a, variable, level) for a in arms)

    rows = [
        ForestRow(
            opts.overall_label, bold=True, counts=counts(), estimates=estimates(), summary=True
        )
    ]
    for s in opts.subgroups:
        rows.append(ForestRow(s.label, bold=True, p_text=interaction_text(ix, s.var)))
        rows += [
            ForestRow(
                s.display(lv),
                indent=1,
                counts=counts(s.var, lv),
                estimates=estimates(s.var, lv),
            )
            for lv in s.level_names
        ]
    ci = ci_label(ctx)
    favoured = compared[0] if len(compared) == 1 else "compared arm"
    layout = ForestLayout(
        arm_headers=tuple(f"{a}\nEvents/n" for a in arms),
        estimate_header=f"Hazard ratio\n({ci})",
        p_header="Interaction\np-value",
        x_label=f"Hazard ratio vs {reference} ({ci}, log scale)",
        favours=(f"Favours {favoured}", f"Favours {reference}"),
        legend=tuple((f"{a} vs {reference}", arms.index(a)) for a in compared)
        if len(compared) > 1
        else (),
        x_limits=tuple(opts.x_limits) if opts.x_limits else None,
    )
    drawing = plan(draw_forest, ctx.spec.id, tuple(rows), layout, opts.width_in)
    n_total = population_n(ix, ctx)
    table_rows = [r.label for r in rows]
    alt = (
        f"Forest plot of the hazard ratio of {prep.tte.endpoint.label.lower()} "
        f"({', '.join(compared)} vs {reference}) in {len(table_rows)} rows: "
        + "; ".join(
            f"{r.label}: {', '.join(e.text for e in r.estimates)}"
            if r.estimates
            else f"{r.label} (interaction p {r.p_text})"
            for r in rows
        )
        + "."
    )
    notes = list(ctx.spec.footnotes) + footnotes(ctx, prep, _cells(rows))
    notes.append(
        "Squares: hazard ratio within the subgroup; diamond: all subjects; horizontal lines: "
        f"{ci}s (arrows: the interval continues beyond the axis); vertical line: hazard "
        "ratio 1."
    )
    return [
        Figure(
            id=ctx.spec.id,
            number=ctx.spec.number,
            title=ctx.spec.title,
            population=population_text(ctx, prep.tte, n_total),
            svg="",
            png=b"",
            width_in=opts.width_in,
            height_in=forest_height(rows, layout, opts.width_in),
            plan=drawing,
            alt=alt,
            footnotes=tuple(notes),
            source=ctx.source_line(["adsl", prep.tte.settings.dataset]),
            landscape=opts.landscape,
        )
    ]


def _cells(rows: list[ForestRow]):
    """The printed texts of the rows, shaped as table rows for :func:`footnotes` (its NE
    note looks at every cell but the label)."""
    from csrgen.document.model import Cell, Row

    return [
        Row(
            (
                Cell(r.label),
                *(Cell(t) for t in r.counts),
                *(Cell(e.text) for e in r.estimates),
                Cell(r.p_text),
            )
        )
        for r in rows
    ]
