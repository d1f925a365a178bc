"""ARD rows of a time-to-event endpoint: KM summaries, log-rank, Cox, PH test, landmark windows.

:func:`ard_tte` computes every statistic of one endpoint once; the summary table, the KM figure
and the synopsis take their rows from it. Results are memoised on the content of the analysis
frame and the analysis settings (a pure function of both), so the table and the figure of one
endpoint share a single fit within a run. The estimators and their references are in
:mod:`csrgen.analyses.km` (Kaplan-Meier, Brookmeyer-Crowley, log-rank) and
:mod:`csrgen.analyses.cox` (Cox with Efron ties, Schoenfeld-residual PH test); every one is
checked against R's survival package in ``tests/analyses/test_survival_against_R.py``.
"""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csrgen.analyses.cox import cox_treatment, cox_zph
from csrgen.analyses.km import (
    EVENT,
    STATUS,
    TIME,
    km_at,
    km_curve,
    km_quantile,
    logrank,
)
from csrgen.ard import ard_frame, level_key

__all__ = ["EVENT", "STATUS", "TIME", "TteAnalysis", "ard_tte", "window_label", "memoised"]

#: Quantiles reported with their Brookmeyer-Crowley limits: stat-name prefix -> probability.
QUANTILES = {"median": 0.5, "q1": 0.25, "q3": 0.75}


@dataclass(frozen=True)
class TteAnalysis:
    """What to compute for one time-to-event endpoint (taken from the study file).

    ``landmarks``: times of the KM estimates; ``risk_times``: extra times where only the number
    at risk is needed (figure ticks); ``windows``: landmark-analysis windows ``(start, end]``,
    a window starting after 0 keeps the subjects still under follow-up without an event at its
    start; ``strata``/``covariates``: ADSL variables of the stratified log-rank test and the
    adjusted Cox model.
    """

    param: str
    arm: str
    arms: tuple[str, ...]
    reference: str
    group_var: str
    landmarks: tuple[float, ...] = ()
    risk_times: tuple[float, ...] = ()
    windows: tuple[tuple[float, float], ...] = ()
    strata: tuple[str, ...] = ()
    covariates: tuple[str, ...] = ()
    conf_level: float = 0.95


def window_label(window: tuple[float, float]) -> str:
    """The ARD ``timepoint`` of a landmark window: ``"0-12"``, ``"12-75"``."""
    return f"{level_key(window[0])}-{level_key(window[1])}"


# -- memo ---------------------------------------------------------------------------------------
_MEMO: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
_MEMO_SIZE = 32


def _fingerprint(frame: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    digest.update(repr([(c, str(t)) for c, t in frame.dtypes.items()]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def memoised(
    name: str, frame: pd.DataFrame, settings: object, compute: Callable[[], pd.DataFrame]
) -> pd.DataFrame:
    """``compute()`` once per (name, frame content, settings); a copy of the result each time.

    A pure-function cache: the result depends only on the key, so reusing it cannot change a
    number, only avoid refitting the same models for the table and the figure of an endpoint.
    """
    key = (name, _fingerprint(frame), settings)
    if key in _MEMO:
        _MEMO.move_to_end(key)
        return _MEMO[key].copy()
    result = compute()
    _MEMO[key] = result
    while len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return result.copy()


# -- the endpoint -------------------------------------------------------------------------------
def ard_tte(frame: pd.DataFrame, spec: TteAnalysis) -> pd.DataFrame:
    """Every statistic of one time-to-event endpoint, by arm, as ARD rows.

    Parameters
    ----------
    frame : one row per subject of the analysis population: the arm in ``spec.arm`` (values in
        ``spec.arms``), ``_TIME`` (AVAL; NaN for a subject without a record of the parameter),
        ``_EVENT`` (1 - CNSR) and the strata and covariates.
    spec : the analysis settings.

    Returns
    -------
    ARD rows (``param`` = ``spec.param``). Population: the rows of ``frame``; ``N`` per arm
    counts them, ``n`` those with a record (analysed). Per arm (``variable=""``): ``n_event``,
    ``n_censor`` and their percentages of ``n`` (``pct_event``, ``pct_censor``); KM median and
    quartiles with 95% limits (``median_time``/``median_lcl``/``median_ucl``, ``q1``..., method
    ``km-loglog``: Brookmeyer-Crowley with the log-log transform); at each landmark
    (``timepoint``) ``surv``/``surv_lcl``/``surv_ucl`` (log-log limits, Greenwood variance) and
    ``n_risk`` (subjects with time >= the landmark). Across arms (``Overall``): log-rank
    ``statistic``/``df``/``p_value`` (``variable="logrank"``; stratified:
    ``"logrank_stratified"`` with the strata in ``variable_level``). Each compared arm:
    Cox ``hr``/``hr_lcl``/``hr_ucl``/``p_value`` (Wald; Efron ties; ``variable="cox"``,
    ``variable_level`` ``unadjusted``/``adjusted``), the model's ``n``/``n_event`` on the
    ``Overall`` row; the proportional-hazards score test of the unadjusted model
    (``variable="ph_test"``, method ``schoenfeld``). Landmark windows repeat subject counts
    (``variable="window"``: ``n_risk`` at the start, ``n_event`` in the window), log-rank and
    unadjusted Cox rows with ``timepoint`` = the window.

    Missing data: subjects without a record are counted in ``N`` only; the adjusted model
    drops subjects with a missing covariate and the stratified test those with a missing
    stratum (complete cases). Statistics that cannot be estimated (no events, an arm without
    subjects, times beyond follow-up) are NaN.

    References
    ----------
    See :mod:`csrgen.analyses.km` and :mod:`csrgen.analyses.cox`. Landmark analysis: Anderson
    JR, Cain KC, Gelber RD. Analysis of survival by tumor response. J Clin Oncol
    1983;1:710-719.
    """
    return memoised("tte", frame, spec, lambda: _compute(frame, spec))


def _compute(frame: pd.DataFrame, spec: TteAnalysis) -> pd.DataFrame:
    rows: list[dict] = []

    def add(level, variable, stat_name, stat, variable_level="", timepoint="", method=""):
        rows.append(
            dict(
                group_var=spec.group_var,
                group_level=level,
                variable=variable,
                variable_level=variable_level,
                param=spec.param,
                timepoint=timepoint,
                stat_name=stat_name,
                stat=stat,
                method=method,
            )
        )

    arm = frame[spec.arm].astype(object).where(frame[spec.arm].notna(), "").astype(str)
    analysed = frame.loc[frame[TIME].notna()].assign(**{spec.arm: arm[frame[TIME].notna()]})
    times = sorted(set(spec.landmarks) | set(spec.risk_times))
    for level in spec.arms:
        sub = analysed.loc[analysed[spec.arm] == level]
        _arm_rows(add, level, int((arm == level).sum()), sub, spec, times)

    _comparison_rows(add, analysed, spec, timepoint="")
    for window in spec.windows:
        _window_rows(add, analysed, spec, window)
    return ard_frame(rows)


def _arm_rows(add, level: str, big_n: int, sub: pd.DataFrame, spec: TteAnalysis, times) -> None:
    n = len(sub)
    events = float(sub[EVENT].sum())
    add(level, "", "N", float(big_n))
    add(level, "", "n", float(n))
    add(level, "", "n_event", events)
    add(level, "", "n_censor", float(n - events))
    add(level, "", "pct_event", 100 * events / n if n else float("nan"))
    add(level, "", "pct_censor", 100 * (n - events) / n if n else float("nan"))
    curve = km_curve(sub[TIME].to_numpy(float), sub[EVENT].to_numpy(float), spec.conf_level)
    for prefix, prob in QUANTILES.items():
        est, lcl, ucl = km_quantile(curve, prob)
        name = "median_time" if prefix == "median" else prefix
        add(level, "", name, est, method="km-loglog")
        add(level, "", f"{prefix}_lcl", lcl, method="km-loglog")
        add(level, "", f"{prefix}_ucl", ucl, method="km-loglog")
    for t in times:
        at = km_at(curve, t)
        if t in spec.landmarks:
            for name in ("surv", "surv_lcl", "surv_ucl"):
                add(level, "", name, at[name], timepoint=float(t), method="km-loglog")
        add(level, "", "n_risk", at["n_risk"], timepoint=float(t))


def _comparison_rows(add, data: pd.DataFrame, spec: TteAnalysis, timepoint: str) -> None:
    """Log-rank (and stratified), Cox unadjusted (and adjusted), PH test for whole follow-up."""
    whole = timepoint == ""
    test = logrank(data[TIME], data[EVENT], data[spec.arm].to_numpy(), spec.arms)
    for name in ("statistic", "df", "p_value"):
        add("Overall", "logrank", name, getattr(test, name), timepoint=timepoint, method="logrank")
    if whole and spec.strata:
        complete = data.dropna(subset=list(spec.strata))
        complete = complete.loc[(complete[list(spec.strata)].astype(str) != "").all(axis=1)]
        labels = [complete[c].astype(str) for c in spec.strata]
        stratum = functools.reduce(lambda a, b: a + " / " + b, labels).to_numpy(dtype=object)
        test = logrank(
            complete[TIME], complete[EVENT], complete[spec.arm].to_numpy(), spec.arms, stratum
        )
        for name in ("statistic", "df", "p_value"):
            add(
                "Overall",
                "logrank_stratified",
                name,
                getattr(test, name),
                variable_level=" * ".join(spec.strata),
                method="logrank",
            )
    models = [("unadjusted", ())]
    if whole and spec.covariates:
        models.append(("adjusted", spec.covariates))
    for label, covariates in models:
        fit = cox_treatment(data, spec.arm, spec.arms, spec.reference, covariates, spec.conf_level)
        for level, values in fit.effects.items():
            for name, value in zip(("hr", "hr_lcl", "hr_ucl", "p_value"), values, strict=True):
                add(
                    level,
                    "cox",
                    name,
                    value,
                    variable_level=label,
                    timepoint=timepoint,
                    method="cox-efron",
                )
        add("Overall", "cox", "n", float(fit.n), variable_level=label, timepoint=timepoint)
        add(
            "Overall",
            "cox",
            "n_event",
            float(fit.n_event),
            variable_level=label,
            timepoint=timepoint,
        )
        if whole and label == "unadjusted":
            statistic, df, p = cox_zph(fit)
            for name, value in (("statistic", statistic), ("df", df), ("p_value", p)):
                # of the unadjusted model; variable_level "" as in the ARD conventions
                add("Overall", "ph_test", name, value, method="schoenfeld")


def _window_rows(add, data: pd.DataFrame, spec: TteAnalysis, window: tuple[float, float]):
    start, end = window
    label = window_label(window)
    inside = data if start <= 0 else data.loc[data[TIME] > start]
    event = (inside[EVENT] == 1) & (inside[TIME] <= end)
    clipped = inside.assign(
        **{TIME: np.minimum(inside[TIME], end) - max(start, 0.0), EVENT: event.astype(float)}
    )
    for level in spec.arms:
        mine = clipped[spec.arm] == level
        add(level, "window", "n_risk", float(mine.sum()), timepoint=label)
        add(level, "window", "n_event", float(clipped.loc[mine, EVENT].sum()), timepoint=label)
    _comparison_rows(add, clipped, spec, timepoint=label)
