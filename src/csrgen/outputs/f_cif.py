"""Figure 14.2.x Cumulative incidence of an event with a competing event, by arm.

pre-processing: :func:`csrgen.outputs.tte_data.prepare_tte`.
analysis: the rows the figure prints from :func:`csrgen.analyses.competing.ard_cuminc` (shared
with the table): N per arm, numbers at risk at the ticks, cause-specific hazard ratios.
build: rising step curves per arm (Aalen-Johansen, redrawn from
:func:`csrgen.analyses.competing.aalen_johansen`), legend with arm and N, the cause-specific
hazard ratio(s) in the plot, numbers at risk under the x-axis at the ticks.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from pydantic import Field

from csrgen import formatting as fmt
from csrgen.ard import ArdIndex
from csrgen.document.model import Figure
from csrgen.outputs.base import OptionsModel, OutputContext
from csrgen.outputs.f_km import hr_lines, risk_rows
from csrgen.outputs.km_plot import Curve, draw_survival_figure, null_figure
from csrgen.outputs.plotting import plan
from csrgen.outputs.t_cif import cif_requires
from csrgen.outputs.tte_data import (
    TtePrepared,
    arm_note,
    check_tte,
    population_text,
    prepare_tte,
    subset_note,
    tte_shares,
)


class Options(OptionsModel):
    #: The ADTTE parameter: one of ``[survival].endpoints``, with a competing event.
    paramcd: str
    width_in: float = Field(default=6.5, gt=2, le=10)
    height_in: float = Field(default=4.6, gt=2, le=9)
    #: Top of the y-axis; default: the highest curve rounded up (at least 0.1).
    y_max: float | None = Field(default=None, gt=0, le=1)


shares = tte_shares


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    return cif_requires(config, spec, options.paramcd)


def check(ctx: OutputContext):
    return check_tte(ctx, ctx.options.paramcd)


def prepare(ctx: OutputContext) -> TtePrepared:
    return prepare_tte(ctx, ctx.options.paramcd)


def analyze(ctx: OutputContext, prep: TtePrepared) -> pd.DataFrame:
    from csrgen.analyses.competing import ard_cuminc

    ard = ard_cuminc(prep.frame, prep.analysis)
    ticks = {fmt.fmt_level(t) for t in prep.analysis.risk_times}
    keep = (
        ((ard["variable"] == "") & ard["stat_name"].isin(["N", "n"]) & (ard["timepoint"] == ""))
        | ((ard["stat_name"] == "n_risk") & ard["timepoint"].isin(ticks))
        | (
            (ard["variable"] == "cox_cs")
            & (ard["variable_level"] == "unadjusted")
            & ard["stat_name"].isin(["hr", "hr_lcl", "hr_ucl", "p_value"])
        )
    )
    return ard.loc[keep]


def build(ctx: OutputContext, prep: TtePrepared, ard: pd.DataFrame) -> list[Figure]:
    opts: Options = ctx.options
    if prep.empty:
        return [null_figure(ctx, opts.width_in, opts.height_in)]
    from csrgen.analyses.competing import aalen_johansen
    from csrgen.analyses.km import STATUS, TIME

    endpoint = prep.endpoint
    ix = ArdIndex(ard, param=prep.endpoint.paramcd)
    curves = []
    for arm in ctx.arms:
        sub = prep.frame.loc[(prep.frame[prep.analysis.arm] == arm) & prep.frame[TIME].notna()]
        cif = aalen_johansen(
            sub[TIME].to_numpy(float), sub[STATUS].to_numpy(int), 1, variance=False
        )
        n = ix.text("N", group_level=arm)
        curves.append(
            Curve(
                label=f"{arm} (N={n})",
                time=cif.time,
                value=cif.cif,
                censored=np.zeros(cif.time.size, dtype=bool),
                start=0.0,
            )
        )
    highest = max((float(c.value.max()) for c in curves if c.value.size), default=0.0)
    y_max = opts.y_max or min(1.0, max(0.1, math.ceil(highest * 1.25 * 20) / 20))
    note = hr_lines(ctx, ix, variable="cox_cs", with_p=True)
    note[0] = "Cause-specific " + note[0][0].lower() + note[0][1:]
    drawing = plan(
        draw_survival_figure,
        ctx.spec.id,
        curves,
        risk_rows(ctx, prep, ix),
        ticks=list(prep.analysis.risk_times),
        x_label=f"Time ({prep.settings.time_unit})",
        y_label=f"Cumulative incidence of {endpoint.event_label}",
        annotation=note,
        width_in=opts.width_in,
        height_in=opts.height_in,
        y_max=y_max,
    )
    n_total = sum(ix.value("N", group_level=a) for a in ctx.arms)
    footnotes = list(ctx.spec.footnotes)
    if endpoint.subset:
        footnotes.append(subset_note(prep, n_total))
    footnotes.append(
        f"Cumulative incidence of {endpoint.event_label} (Aalen-Johansen) with "
        f"{endpoint.competing_label} as a competing event. Numbers at risk: subjects followed "
        "without either event up to each time."
    )
    footnotes.append(
        f"Cause-specific hazard ratio vs {ctx.config.arms.reference}: unadjusted Cox model with "
        f"{endpoint.competing_label} censored (Efron's method for ties), Wald confidence "
        "interval and p-value."
    )
    footnotes.append(arm_note(ctx, prep))
    alt = (
        f"Cumulative incidence of {endpoint.event_label} by arm: "
        + "; ".join(c.label for c in curves)
        + ". "
        + " ".join(note)
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
            alt=alt,
            footnotes=tuple(footnotes),
            source=ctx.source_line(["adsl", prep.settings.dataset]),
        )
    ]
