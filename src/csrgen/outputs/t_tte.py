"""Table 14.2.x Time-to-event endpoint summary (one output per ADTTE parameter).

pre-processing: :func:`csrgen.outputs.tte_data.prepare_tte` (population, the parameter's ADTTE
records, strata and covariates).
analysis: :func:`csrgen.analyses.survival.ard_tte` (counts, KM median and quartiles with
Brookmeyer-Crowley limits, KM estimates and numbers at risk at the landmarks, log-rank, Cox
unadjusted and adjusted, PH test, landmark windows).
build: one column per arm and one ("Across arms") for the tests across arms; methods in footnotes.
"""

from __future__ import annotations

import re

import pandas as pd

from csrgen import formatting as fmt
from csrgen.analyses.survival import window_label
from csrgen.ard import ArdIndex
from csrgen.document.model import Cell, Column, Row, Table
from csrgen.outputs.base import OptionsModel, OutputContext, arm_header_columns, population_n
from csrgen.outputs.tte_data import (
    TtePrepared,
    arm_note,
    check_tte,
    in_sentence,
    population_text,
    prepare_tte,
    subset_note,
    tte_requires,
    tte_shares,
    variable_label,
)

OVERALL = "Overall"


class Options(OptionsModel):
    #: The ADTTE parameter: one of ``[survival].endpoints``.
    paramcd: str


shares = tte_shares


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    return tte_requires(config, spec, options.paramcd)


def check(ctx: OutputContext):
    return check_tte(ctx, ctx.options.paramcd)


def prepare(ctx: OutputContext) -> TtePrepared:
    return prepare_tte(ctx, ctx.options.paramcd)


def analyze(ctx: OutputContext, prep: TtePrepared) -> pd.DataFrame:
    from csrgen.analyses.survival import ard_tte

    ard = ard_tte(prep.frame, prep.analysis)
    landmarks = {fmt.fmt_level(t) for t in prep.analysis.landmarks}
    tick_only = (
        (ard["stat_name"] == "n_risk") & (ard["variable"] == "") & ~ard["timepoint"].isin(landmarks)
    )
    return ard.loc[~tick_only]


def decimals(ctx: OutputContext, prep: TtePrepared) -> int:
    """Times (medians, quartiles) print with the study file's ``survival.time_decimals``."""
    return prep.settings.time_decimals


def build(ctx: OutputContext, prep: TtePrepared, ard: pd.DataFrame) -> list[Table]:
    if prep.empty:
        return [ctx.null()]
    ix = ArdIndex(ard, param=prep.endpoint.paramcd)
    columns = [Column("", align="left", width=2.8, key="stub")]
    columns += arm_header_columns(ix, ctx, total=False)
    columns.append(Column("Across arms", align="center", width=1.2, key=OVERALL))
    rows = _Rows(ctx, prep, ix)
    rows.counts()
    rows.km()
    rows.tests()
    for window in prep.analysis.windows:
        rows.window(window)
    n_total = population_n(ix, ctx)
    return [
        Table(
            id=ctx.spec.id,
            number=ctx.spec.number,
            title=ctx.spec.title,
            population=population_text(ctx, prep, n_total),
            columns=tuple(columns),
            rows=tuple(rows.rows),
            footnotes=tuple(ctx.spec.footnotes) + tuple(rows.footnotes(n_total)),
            source=ctx.source_line(["adsl", prep.settings.dataset]),
        )
    ]


class _Rows:
    """Collects the table's rows and the methods they use (for the footnotes)."""

    def __init__(self, ctx: OutputContext, prep: TtePrepared, ix: ArdIndex):
        self.ctx, self.prep, self.ix = ctx, prep, ix
        self.arms = list(ctx.arms)
        self.reference = ctx.config.arms.reference
        self.compared = [a for a in self.arms if a != self.reference]
        self.unit = prep.settings.time_unit
        self.ci = f"{fmt.fmt_prob_pct(prep.settings.conf_level, 0)}% CI"
        self.rows: list[Row] = []
        self.used: set[str] = set()

    def stat(self, level: str, name: str, variable="", variable_level="", timepoint="") -> float:
        return self.ix.value(
            name,
            group_level=level,
            variable=variable,
            variable_level=variable_level,
            timepoint=timepoint,
        )

    def line(self, label: str, per_arm=None, overall: str = "", indent: int = 1) -> None:
        per_arm = per_arm or {}
        cells = [Cell(label, indent=indent)]
        cells += [Cell(per_arm.get(a, "")) for a in self.arms]
        cells.append(Cell(overall))
        self.rows.append(Row(tuple(cells)))

    def group(self, label: str) -> None:
        blank = [Cell("")] * (len(self.arms) + 1)
        self.rows.append(Row((Cell(label, bold=True), *blank), kind="group"))

    # -- blocks ------------------------------------------------------------------------------
    def counts(self) -> None:
        ep = self.prep.endpoint
        ix = self.ix
        self.line(
            "Subjects analysed, n", {a: ix.text("n", group_level=a) for a in self.arms}, indent=0
        )
        for what, label in (
            ("event", f"Subjects with an event ({ep.event_label})"),
            ("censor", "Subjects censored"),
        ):
            self.line(
                f"{label}, n (%)",
                {a: ix.n_pct(f"n_{what}", f"pct_{what}", group_level=a) for a in self.arms},
            )

    def km(self) -> None:
        ix = self.ix
        self.used.add("km")
        self.group(f"Time to {self.prep.endpoint.event_label} ({self.unit}), Kaplan-Meier")
        for prefix, label in (
            ("median", "Median"),
            ("q1", "25th percentile"),
            ("q3", "75th percentile"),
        ):
            est = "median_time" if prefix == "median" else prefix
            self.line(f"{label} ({self.ci})", {a: ix.est_ci(est, group_level=a) for a in self.arms})
        landmarks = self.prep.analysis.landmarks
        if not landmarks:
            return
        self.group(f"{self.prep.endpoint.curve_label}, % ({self.ci})")
        for t in landmarks:
            tp = fmt.fmt_level(t)
            self.line(
                f"{tp} {self.unit}",
                {a: ix.est_ci("surv", group_level=a, timepoint=tp) for a in self.arms},
            )
        self.group("Subjects at risk, n")
        for t in landmarks:
            tp = fmt.fmt_level(t)
            self.line(
                f"{tp} {self.unit}",
                {a: ix.text("n_risk", group_level=a, timepoint=tp) for a in self.arms},
            )

    def logrank(self, variable: str, variable_level: str = "", timepoint: str = "") -> None:
        w = dict(
            group_level=OVERALL,
            variable=variable,
            variable_level=variable_level,
            timepoint=timepoint,
        )
        self.line("Chi-square (df)", overall=self.ix.stat_df(**w))
        self.line("p-value", overall=self.ix.text("p_value", **w))

    def hazard_ratio(self, label: str, variable_level: str, timepoint: str = "") -> None:
        w = dict(variable="cox", variable_level=variable_level, timepoint=timepoint)
        ix = self.ix
        self.line(label, {a: ix.est_ci("hr", group_level=a, **w) for a in self.compared})
        self.line(
            "p-value (Wald)",
            {a: ix.text("p_value", group_level=a, **w) for a in self.compared},
            indent=2,
        )

    def tests(self) -> None:
        settings = self.prep.settings
        self.used |= {"logrank", "cox", "ph"}
        self.group("Log-rank test")
        self.logrank("logrank")
        if settings.strata:
            self.used.add("strata")
            self.group(f"Log-rank test stratified by {self._labels(settings.strata)}")
            self.logrank("logrank_stratified", " * ".join(settings.strata))
        self.group(f"Hazard ratio vs {self.reference} ({self.ci})")
        self.hazard_ratio("Unadjusted", "unadjusted")
        if settings.covariates:
            self.used.add("adjusted")
            self.hazard_ratio("Adjusted", "adjusted")
        self.group("Proportional-hazards test (unadjusted model)")
        self.logrank("ph_test")

    def window(self, window: tuple[float, float]) -> None:
        self.used.add("window")
        tp = window_label(window)
        start, end = (fmt.fmt_level(x) for x in window)
        head = f"Landmark analysis, {self.unit} {start}-{end}"
        if window[0] > 0:
            head += f" (event-free beyond {start})"
        self.group(head)
        ix = self.ix
        w = dict(variable="window", timepoint=tp)
        self.line(
            "Subjects at risk at start, n",
            {a: ix.text("n_risk", group_level=a, **w) for a in self.arms},
        )
        self.line(
            f"Subjects with an event ({self.prep.endpoint.event_label}), n",
            {a: ix.text("n_event", group_level=a, **w) for a in self.arms},
        )
        self.line(
            "Log-rank p-value",
            overall=ix.text("p_value", group_level=OVERALL, variable="logrank", timepoint=tp),
        )
        self.hazard_ratio(f"Hazard ratio ({self.ci})", "unadjusted", tp)

    # -- footnotes ---------------------------------------------------------------------------
    def _labels(self, variables) -> str:
        return ", ".join(variable_label(self.ctx, v) for v in variables)

    def footnotes(self, n_total: float) -> list[str]:
        prep, settings = self.prep, self.prep.settings
        notes = [
            subset_note(prep, n_total) + " Percentages are of n."
            if prep.endpoint.subset
            else "N = subjects in the population; n = subjects with a record of "
            f"{prep.endpoint.paramcd} (percentages are of n)."
        ]
        notes.append(arm_note(self.ctx, prep))
        notes.append(
            f"Kaplan-Meier estimates. {self.ci}s of the median and percentiles by Brookmeyer "
            f"and Crowley, of the {in_sentence(prep.endpoint.curve_label)} from Greenwood's "
            "variance, both with the log-log transform (as SAS PROC LIFETEST and R survfit with "
            'conf.type = "log-log"). The 25th percentile is the time by which 25% of subjects '
            "had the event. Subjects at risk: followed without the event up to that time."
        )
        text = "Log-rank test across all arms (chi-square with one df fewer than arms)"
        if "strata" in self.used:
            text += f"; stratified test with strata {self._labels(settings.strata)}"
        notes.append(text + ".")
        text = (
            f"Hazard ratio of each arm vs {self.reference} from a Cox proportional-hazards "
            f"model with Efron's method for ties; Wald {self.ci} and p-value. Unadjusted: arm "
            "only"
        )
        if "adjusted" in self.used:
            n = self.ix.text("n", group_level=OVERALL, variable="cox", variable_level="adjusted")
            text += (
                f"; adjusted: arm and {self._labels(settings.covariates)} "
                f"(subjects with all covariates, n = {n})"
            )
        notes.append(text + ". A hazard ratio below 1 favours the compared arm.")
        notes.append(
            "Proportional-hazards test: score test for a time-varying arm effect from scaled "
            "Schoenfeld residuals with the Kaplan-Meier transform of time (Grambsch and "
            "Therneau 1994; R cox.zph); a small p-value indicates non-proportional hazards."
        )
        if "window" in self.used:
            notes.append(
                "Landmark analysis: within a window, follow-up is censored at its end; a window "
                "starting after time 0 includes the subjects followed without the event beyond "
                "its start, with time counted from the start."
            )
        if any(re.search(r"\bNE\b", c.text) for r in self.rows for c in r.cells[1:]):
            notes.append(
                "NE = not estimable: the curve (or its confidence limit) does not reach the "
                "probability, an arm has no events, or the time is beyond follow-up."
            )
        return notes
