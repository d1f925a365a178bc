"""Table 14.2.x Cumulative incidence of an event with a competing event (competing risks).

pre-processing: :func:`csrgen.outputs.tte_data.prepare_tte`; a censored record whose
``competing_variable`` is one of ``competing_values`` (e.g. EVNTDESC "DEATH WITHOUT HCC") is a
competing event.
analysis: :func:`csrgen.analyses.competing.ard_cuminc` (Aalen-Johansen cumulative incidence
with infinitesimal-jackknife SE and log-log limits at the landmarks; cause-specific Cox).
build: counts by outcome, cumulative incidence and numbers at risk at the landmarks,
cause-specific hazard ratios.
"""

from __future__ import annotations

import re

import pandas as pd

from csrgen import formatting as fmt
from csrgen.ard import ArdIndex
from csrgen.document.model import Cell, Column, Row, Table
from csrgen.errors import ConfigError
from csrgen.outputs.base import (
    OptionsModel,
    OutputContext,
    arm_header_columns,
    option_key,
    population_n,
)
from csrgen.outputs.tte_data import (
    TtePrepared,
    arm_note,
    check_tte,
    population_text,
    prepare_tte,
    subset_note,
    survival_endpoint,
    tte_requires,
    tte_shares,
    variable_label,
)

OVERALL = "Overall"


class Options(OptionsModel):
    #: The ADTTE parameter: one of ``[survival].endpoints``, with a competing event.
    paramcd: str


def cif_requires(config, spec, paramcd: str) -> dict[str, set[str]]:
    endpoint = survival_endpoint(config, spec, paramcd)
    if not endpoint.competing_variable:
        raise ConfigError(
            f"{option_key(config, spec, 'paramcd')}: endpoint {paramcd!r} names no "
            "competing event (survival.endpoints: competing_variable, competing_values)"
        )
    return tte_requires(config, spec, paramcd)


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
    landmarks = {fmt.fmt_level(t) for t in prep.analysis.landmarks}
    tick_only = (ard["stat_name"] == "n_risk") & ~ard["timepoint"].isin(landmarks)
    return ard.loc[~tick_only]


def decimals(ctx: OutputContext, prep: TtePrepared) -> int:
    """Times print with the study file's ``survival.time_decimals``."""
    return prep.settings.time_decimals


def build(ctx: OutputContext, prep: TtePrepared, ard: pd.DataFrame) -> list[Table]:
    if prep.empty:
        return [ctx.null()]
    arms = list(ctx.arms)
    reference = ctx.config.arms.reference
    compared = [a for a in arms if a != reference]
    endpoint, settings = prep.endpoint, prep.settings
    unit = settings.time_unit
    ci = f"{fmt.fmt_prob_pct(settings.conf_level, 0)}% CI"
    rows: list[Row] = []
    ix = ArdIndex(ard, param=prep.endpoint.paramcd)

    def line(label, per_arm, indent=1):
        cells = [Cell(label, indent=indent)] + [Cell(per_arm.get(a, "")) for a in arms]
        rows.append(Row(tuple(cells)))

    def group(label):
        rows.append(Row((Cell(label, bold=True), *[Cell("")] * len(arms)), kind="group"))

    line("Subjects analysed, n", {a: ix.text("n", group_level=a) for a in arms}, indent=0)
    for variable, what, label in (
        ("", "event", f"Subjects with an event ({endpoint.event_label})"),
        ("competing", "event", f"Subjects with a competing event ({endpoint.competing_label})"),
        ("", "censor", "Subjects censored"),
    ):
        line(
            f"{label}, n (%)",
            {
                a: ix.n_pct(f"n_{what}", f"pct_{what}", group_level=a, variable=variable)
                for a in arms
            },
        )
    if prep.analysis.landmarks:
        group(f"Cumulative incidence of {endpoint.event_label}, % ({ci})")
        for t in prep.analysis.landmarks:
            tp = fmt.fmt_level(t)
            line(
                f"{tp} {unit}",
                {
                    a: ix.est_ci("cuminc", group_level=a, variable="cuminc", timepoint=tp)
                    for a in arms
                },
            )
        group("Subjects at risk, n")
        for t in prep.analysis.landmarks:
            tp = fmt.fmt_level(t)
            line(f"{tp} {unit}", {a: ix.text("n_risk", group_level=a, timepoint=tp) for a in arms})
    group(f"Cause-specific hazard ratio vs {reference} ({ci})")
    models = [("Unadjusted", "unadjusted")]
    if settings.covariates:
        models.append(("Adjusted", "adjusted"))
    for label, level in models:
        w = dict(variable="cox_cs", variable_level=level)
        line(label, {a: ix.est_ci("hr", group_level=a, **w) for a in compared})
        line(
            "p-value (Wald)",
            {a: ix.text("p_value", group_level=a, **w) for a in compared},
            indent=2,
        )

    n_total = population_n(ix, ctx)
    footnotes = list(ctx.spec.footnotes)
    footnotes.append(
        subset_note(prep, n_total) + " Percentages are of n. Censored: neither event observed."
        if endpoint.subset
        else f"N = subjects in the population; n = subjects with a record of {endpoint.paramcd} "
        "(percentages are of n). Censored: neither event observed."
    )
    footnotes.append(arm_note(ctx, prep))
    footnotes.append(
        f"Cumulative incidence by the Aalen-Johansen estimator with {endpoint.competing_label} "
        f"as a competing event; {ci} from the infinitesimal-jackknife standard error with the "
        'log-log transform (as R survfit for multi-state data, conf.type = "log-log").'
    )
    text = (
        f"Cause-specific hazard ratio of {endpoint.event_label} vs {reference}: Cox model with "
        f"{endpoint.competing_label} censored, Efron's method for ties, Wald {ci} and p-value"
    )
    if settings.covariates:
        labels = ", ".join(variable_label(ctx, v) for v in settings.covariates)
        n = ix.text("n", group_level=OVERALL, variable="cox_cs", variable_level="adjusted")
        text += f"; adjusted for {labels} (subjects with all covariates, n = {n})"
    footnotes.append(text + ".")
    if any(re.search(r"\bNE\b", c.text) for r in rows for c in r.cells[1:]):
        footnotes.append(
            "NE = not estimable: no events in an arm, an incidence of 0, or the time is beyond "
            "follow-up."
        )
    columns = [Column("", align="left", width=2.8, key="stub")]
    columns += arm_header_columns(ix, ctx, total=False)
    return [
        Table(
            id=ctx.spec.id,
            number=ctx.spec.number,
            title=ctx.spec.title,
            population=population_text(ctx, prep, n_total),
            columns=tuple(columns),
            rows=tuple(rows),
            footnotes=tuple(footnotes),
            source=ctx.source_line(["adsl", settings.dataset]),
        )
    ]
