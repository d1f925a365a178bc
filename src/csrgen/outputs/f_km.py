"""Figure 14.2.x Kaplan-Meier plot of a time-to-event endpoint, with numbers at risk.

pre-processing: :func:`csrgen.outputs.tte_data.prepare_tte` (the same frame as the table).
analysis: the endpoint's rows of :func:`csrgen.analyses.survival.ard_tte` (shared with the
table: N per arm, numbers at risk at the axis ticks, log-rank p, unadjusted Cox hazard ratio).
build: step curves per arm with censor marks, legend with arm and N, hazard ratio and log-rank
p in the plot, numbers at risk under the x-axis at the ticks. The curves are redrawn from
:func:`csrgen.analyses.km.km_curve` (cheap); every printed number comes from the ARD.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from csrgen import formatting as fmt
from csrgen.ard import ArdIndex
from csrgen.document.model import Figure
from csrgen.outputs.base import OptionsModel, OutputContext, population_n
from csrgen.outputs.km_plot import Curve, draw_survival_figure, null_figure
from csrgen.outputs.plotting import plan
from csrgen.outputs.tte_data import (
    TtePrepared,
    arm_note,
    check_tte,
    population_text,
    prepare_tte,
    subset_note,
    tte_requires,
    tte_shares,
)

OVERALL = "Overall"


class Options(OptionsModel):
    #: The ADTTE parameter: one of ``[survival].endpoints``.
    paramcd: str
    width_in: float = Field(default=6.5, gt=2, le=10)
    height_in: float = Field(default=4.6, gt=2, le=9)
    #: Print the unadjusted hazard ratio(s) and the log-rank p-value in the plot.
    show_hr: bool = True


shares = tte_shares


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    return tte_requires(config, spec, options.paramcd)


def check(ctx: OutputContext):
    return check_tte(ctx, ctx.options.paramcd)


def prepare(ctx: OutputContext) -> TtePrepared:
    return prepare_tte(ctx, ctx.options.paramcd)


def analyze(ctx: OutputContext, prep: TtePrepared) -> pd.DataFrame:
    """The rows the figure prints, taken from the endpoint's (memoised) ARD."""
    from csrgen.analyses.survival import ard_tte

    ard = ard_tte(prep.frame, prep.analysis)
    ticks = {fmt.fmt_level(t) for t in prep.analysis.risk_times}
    whole = ard["timepoint"] == ""
    keep = (
        (whole & (ard["variable"] == "") & ard["stat_name"].isin(["N", "n", "n_event"]))
        | ((ard["variable"] == "") & (ard["stat_name"] == "n_risk") & ard["timepoint"].isin(ticks))
        | (whole & (ard["variable"] == "logrank"))
        | (
            whole
            & (ard["variable"] == "cox")
            & (ard["variable_level"] == "unadjusted")
            & ard["stat_name"].isin(["hr", "hr_lcl", "hr_ucl"])
        )
    )
    return ard.loc[keep]


def build(ctx: OutputContext, prep: TtePrepared, ard: pd.DataFrame) -> list[Figure]:
    opts: Options = ctx.options
    if prep.empty:
        return [null_figure(ctx, opts.width_in, opts.height_in)]
    from csrgen.analyses.km import EVENT, TIME, km_curve

    endpoint = prep.endpoint
    ix = ArdIndex(ard, param=prep.endpoint.paramcd)
    curves = []
    for arm in ctx.arms:
        sub = prep.frame.loc[(prep.frame[prep.analysis.arm] == arm) & prep.frame[TIME].notna()]
        km = km_curve(sub[TIME].to_numpy(float), sub[EVENT].to_numpy(float))
        curves.append(
            Curve(
                label=f"{arm} (N={ix.text('N', group_level=arm)})",
                time=km.time,
                value=km.surv,
                censored=km.n_censor > 0,
                start=1.0,
            )
        )
    risk = risk_rows(ctx, prep, ix)
    notes_in_plot = _hr_text(ctx, ix) if opts.show_hr else []
    drawing = plan(
        draw_survival_figure,
        ctx.spec.id,
        curves,
        risk,
        ticks=list(prep.analysis.risk_times),
        x_label=f"Time ({prep.settings.time_unit})",
        y_label=endpoint.curve_label,
        annotation=notes_in_plot,
        width_in=opts.width_in,
        height_in=opts.height_in,
        y_max=1.0,
    )
    n_total = population_n(ix, ctx)
    footnotes = list(ctx.spec.footnotes)
    if endpoint.subset:
        footnotes.append(subset_note(prep, n_total))
    footnotes.append(
        "Kaplan-Meier curves by arm; + marks a censored observation. Numbers at risk: subjects "
        "followed without the event up to each time."
    )
    footnotes.append(arm_note(ctx, prep))
    if opts.show_hr:
        footnotes.append(
            f"Hazard ratio vs {ctx.config.arms.reference} from an unadjusted Cox model "
            "(Efron's method for ties) with Wald confidence interval; p-value of the log-rank "
            "test across arms."
        )
    alt = (
        f"Kaplan-Meier curves of {endpoint.label.lower()} by arm: "
        + "; ".join(c.label for c in curves)
        + ". "
        + " ".join(notes_in_plot)
    )
    return [
        Figure(
            id=ctx.spec.id,
            number=ctx.spec.number,
            title=ctx.spec.title,
            population=population_text(ctx, prep, n_total),
            svg="",
            png=b"",
            plan=drawing,
            width_in=opts.width_in,
            height_in=opts.height_in,
            alt=alt.strip(),
            footnotes=tuple(footnotes),
            source=ctx.source_line(["adsl", prep.settings.dataset]),
        )
    ]


def risk_rows(ctx: OutputContext, prep: TtePrepared, ix: ArdIndex):
    """Numbers at risk as text: (arm, one entry per tick) per arm, from the ARD."""
    return [
        (
            arm,
            [
                ix.text("n_risk", group_level=arm, timepoint=fmt.fmt_level(t))
                for t in prep.analysis.risk_times
            ],
        )
        for arm in ctx.arms
    ]


def hr_lines(
    ctx: OutputContext, ix: ArdIndex, variable: str = "cox", with_p: bool = False
) -> list[str]:
    """The note in the plot: the hazard ratio (CI) of each compared arm, with its Wald p."""
    reference = ctx.config.arms.reference
    ci = f"{fmt.fmt_prob_pct(ctx.config.survival.conf_level, 0)}% CI"
    lines = [f"Hazard ratio vs {reference} ({ci})"]
    for arm in ctx.arms:
        if arm == reference:
            continue
        w = dict(group_level=arm, variable=variable, variable_level="unadjusted")
        text = f"{arm}: {ix.est_ci('hr', **w)}"
        if with_p:
            p = ix.text("p_value", **w)
            text += f", p {p}" if p[0] in "<>" else f", p = {p}"
        lines.append(text)
    return lines


def _hr_text(ctx: OutputContext, ix: ArdIndex) -> list[str]:
    lines = hr_lines(ctx, ix)
    p_text = ix.text("p_value", group_level=OVERALL, variable="logrank")
    lines.append(f"Log-rank p {p_text}" if p_text[0] in "<>" else f"Log-rank p = {p_text}")
    return lines
