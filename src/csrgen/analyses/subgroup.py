"""Treatment effect on a time-to-event endpoint within subgroups (the forest plot's statistics).

For each subgroup variable and each of its levels: subjects and events per arm, and the hazard
ratio of each compared arm against the reference arm from a Cox model of arm alone fitted in
that level's subjects (:func:`csrgen.analyses.cox.cox_treatment`: Efron's method for ties,
Wald limits), as R's ``coxph(Surv(time, status) ~ arm, subset = <level>, ties = "efron")``.
Whether the effect differs between the levels: the likelihood-ratio test of the arm-by-subgroup
interaction, twice the difference of the log partial likelihoods of ``arm + subgroup +
arm:subgroup`` and ``arm + subgroup`` (R ``anova(fit0, fit1)``), chi-square with
``(arms - 1) x (levels - 1)`` degrees of freedom. Both models are fitted to the subjects in one
of the variable's declared levels.

References
----------
Cox DR. Regression models and life-tables. JRSS B 1972;34:187-220. Efron B. The efficiency of
Cox's likelihood function for censored data. JASA 1977;72:557-565. Wang R, Lagakos SW, Ware JH,
Hunter DJ, Drazen JM. Statistics in medicine - reporting of subgroup analyses in clinical
trials. N Engl J Med 2007;357:2189-2194 (interaction tests, not per-level p-values).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from csrgen.analyses.cox import cox_fit, cox_treatment
from csrgen.analyses.km import EVENT, TIME
from csrgen.analyses.survival import memoised
from csrgen.ard import ard_frame

__all__ = ["OVERALL", "SubgroupAnalysis", "ard_tte_subgroup"]

OVERALL = "Overall"
#: The ARD ``method`` of the hazard ratios and of the interaction test.
COX = "cox-efron"
LRT = "cox-lrt-interaction"


@dataclass(frozen=True)
class SubgroupAnalysis:
    """What to compute (from the study file).

    ``subgroups`` holds ``(variable, levels)`` pairs in display order; the analysis frame has
    one column per variable whose values are the level names (``""``: the subject is in none of
    the declared levels and is left out of that variable's rows).
    """

    param: str
    arm: str
    arms: tuple[str, ...]
    reference: str
    group_var: str
    subgroups: tuple[tuple[str, tuple[str, ...]], ...]
    conf_level: float = 0.95


def ard_tte_subgroup(frame: pd.DataFrame, spec: SubgroupAnalysis) -> pd.DataFrame:
    """Hazard ratios by subgroup level and the arm-by-subgroup interaction tests, as ARD rows.

    Parameters
    ----------
    frame : one row per subject of the analysis population: the arm in ``spec.arm``, ``_TIME``
        (AVAL; NaN without a record of the parameter), ``_EVENT`` (1 event, 0 censored) and a
        column per subgroup variable holding the subject's level name.
    spec : the analysis settings.

    Returns
    -------
    ARD rows (``param`` = ``spec.param``). Population: the rows of ``frame``; subjects without a
    record count in ``N`` only. All subjects (``variable=""``): per arm ``N``, ``n`` (analysed)
    and ``n_event``; per compared arm ``hr``/``hr_lcl``/``hr_ucl``/``p_value`` (Wald) of the
    unadjusted model. Each level (``variable`` = the subgroup variable, ``variable_level`` =
    the level): per arm ``n`` and ``n_event``; per compared arm ``hr``/``hr_lcl``/``hr_ucl``,
    method ``cox-efron``. A hazard ratio that cannot be estimated (an arm of the level has no
    subject or no event, or the model does not converge) is NaN and its ``method`` says why
    (``"cox-efron; not estimable: no events in Control"``). Each variable (``group_level`` =
    ``Overall``, ``variable_level=""``): the interaction likelihood-ratio ``statistic``,
    ``df`` and ``p_value`` (method ``cox-lrt-interaction``), NaN with the reason in ``method``
    when a level has an arm without events (the interaction model has no finite maximum) or
    fewer than two levels have subjects.

    Missing data: a subject whose variable is missing or outside the declared levels is left
    out of that variable's rows and of its interaction test (the output warns with counts).
    """
    return memoised("tte_subgroup", frame, spec, lambda: _compute(frame, spec))


def _compute(frame: pd.DataFrame, spec: SubgroupAnalysis) -> pd.DataFrame:
    rows: list[dict] = []

    def add(level, variable, stat_name, stat, variable_level="", method=""):
        rows.append(
            dict(
                group_var=spec.group_var,
                group_level=level,
                variable=variable,
                variable_level=variable_level,
                param=spec.param,
                stat_name=stat_name,
                stat=stat,
                method=method,
            )
        )

    arm = frame[spec.arm].astype(object).where(frame[spec.arm].notna(), "").astype(str)
    for level in spec.arms:
        add(level, "", "N", float((arm == level).sum()))
    analysed = frame.loc[frame[TIME].notna()].assign(**{spec.arm: arm[frame[TIME].notna()]})
    _level_rows(add, analysed, spec, "", "")
    for var, levels in spec.subgroups:
        for value in levels:
            _level_rows(add, analysed.loc[analysed[var] == value], spec, var, value)
        _interaction_rows(add, analysed.loc[analysed[var].isin(levels)], spec, var, levels)
    return ard_frame(rows)


def _level_rows(add, sub: pd.DataFrame, spec: SubgroupAnalysis, var: str, value: str) -> None:
    events = sub.groupby(spec.arm)[EVENT].sum()
    counts = sub[spec.arm].value_counts()
    for level in spec.arms:
        add(level, var, "n", float(counts.get(level, 0)), value)
        add(level, var, "n_event", float(events.get(level, 0.0)), value)
    fit = cox_treatment(sub, spec.arm, spec.arms, spec.reference, (), spec.conf_level)
    names = ("hr", "hr_lcl", "hr_ucl", "p_value") if var == "" else ("hr", "hr_lcl", "hr_ucl")
    for level, values in fit.effects.items():
        method = COX
        if np.isnan(values[0]):
            method += "; not estimable: " + _why(counts, events, (spec.reference, level))
        for name, stat in zip(names, values, strict=False):
            add(level, var, name, stat, value, method)


def _why(counts: pd.Series, events: pd.Series, arms) -> str:
    """Why an arm comparison has no estimate: the first arm without subjects or events."""
    for arm in arms:
        if counts.get(arm, 0) == 0:
            return f"no subjects in {arm}"
    for arm in arms:
        if events.get(arm, 0) == 0:
            return f"no events in {arm}"
    return "the model did not converge"


def _interaction_rows(add, data: pd.DataFrame, spec: SubgroupAnalysis, var: str, levels) -> None:
    nan = float("nan")
    statistic = df = p = nan
    present = [lv for lv in levels if (data[var] == lv).any()]
    reason = ""
    if len(present) < 2:
        reason = "fewer than two levels have subjects"
    else:
        cells = data.groupby([var, spec.arm])[EVENT].sum()
        empty = [(lv, a) for lv in present for a in spec.arms if cells.get((lv, a), 0.0) == 0]
        if empty:
            reason = f"no events in {empty[0][1]} for {var} {empty[0][0]}"
    if not reason:
        statistic, df, p = _lrt(data, spec, var, present)
        if np.isnan(statistic):
            reason = "the model did not converge"
    method = LRT + (f"; not estimable: {reason}" if reason else "")
    for name, value in (("statistic", statistic), ("df", df), ("p_value", p)):
        add(OVERALL, var, name, value, method=method)


def _lrt(data: pd.DataFrame, spec: SubgroupAnalysis, var: str, levels) -> tuple[float, ...]:
    """Likelihood-ratio test of ``arm:subgroup``: (chi-square, df, p)."""
    from scipy.stats import chi2

    arms = [a for a in spec.arms if a != spec.reference and (data[spec.arm] == a).any()]
    main = {f"_arm{i}": (data[spec.arm] == a).astype(float) for i, a in enumerate(arms)}
    main |= {f"_lev{j}": (data[var] == lv).astype(float) for j, lv in enumerate(levels[1:])}
    inter = {
        f"_arm{i}_lev{j}": main[f"_arm{i}"] * main[f"_lev{j}"]
        for i in range(len(arms))
        for j in range(len(levels) - 1)
    }
    time, event = data[TIME].to_numpy(float), data[EVENT].to_numpy(float)
    reduced = pd.DataFrame(main, index=data.index)
    _, _, ll0 = cox_fit(reduced, time, event)
    _, _, ll1 = cox_fit(reduced.assign(**inter), time, event)
    statistic = 2.0 * (ll1 - ll0)
    if not np.isfinite(statistic):
        return float("nan"), float("nan"), float("nan")
    statistic = max(statistic, 0.0)  # the nested model cannot fit better: rounding only
    df = float(len(inter))
    return float(statistic), df, float(chi2.sf(statistic, df))
