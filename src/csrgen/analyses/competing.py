"""Competing risks: cumulative incidence (Aalen-Johansen) with its infinitesimal-jackknife SE.

With a competing event (death before HCC), ``1 - KM`` of the event of interest overstates its
probability; the cumulative incidence function (CIF) is
``F_k(t) = sum_{u <= t} S(u-) d_k(u) / n(u)`` with ``S`` the all-cause Kaplan-Meier curve: the
Aalen-Johansen estimator for the competing-risks (one start state) model.

Written here rather than with lifelines' ``AalenJohansenFitter`` because lifelines breaks ties
between causes by random jitter and uses another variance; R's reference,
``survfit(Surv(time, factor(status)) ~ arm)`` (multi-state), keeps ties and reports the
infinitesimal-jackknife (IJ) standard error ``sqrt(sum_i (dF/dw_i)^2)``. The IJ derivative of
each subject is carried through the recursions ``S(u) = S(u-)(1 - h(u))`` and
``F(u) = F(u-) + S(u-) h_k(u)`` (``h`` all-cause, ``h_k`` cause-k hazard increments). Limits use
the log-log transform of ``F`` (R ``conf.type = "log-log"``, as ``cmprsk::cuminc``).

References
----------
Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous Markov chains based on
censored observations. Scand J Stat 1978;5:141-150. Kalbfleisch JD, Prentice RL (2002), ch. 8.
Therneau TM, Crowson C, Atkinson E. Multi-state models and competing risks (survival package
vignette), section on the infinitesimal jackknife.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from csrgen.analyses.cox import cox_treatment
from csrgen.analyses.km import EVENT, STATUS, TIME, loglog_limits, z_value
from csrgen.analyses.survival import TteAnalysis, memoised
from csrgen.ard import ard_frame


@dataclass(frozen=True)
class CifCurve:
    """Cumulative incidence of one cause at every distinct observed time."""

    time: np.ndarray
    n_risk: np.ndarray
    cif: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n: int

    @property
    def empty(self) -> bool:
        return self.n == 0


def aalen_johansen(
    time: np.ndarray,
    status: np.ndarray,
    cause: int = 1,
    conf_level: float = 0.95,
    variance: bool = True,
) -> CifCurve:
    """Cumulative incidence of ``cause`` with IJ standard errors and log-log limits.

    Parameters
    ----------
    time : observed times.
    status : 0 censored, ``cause`` the event of interest, any other positive code a competing
        event (it ends follow-up without the event of interest).
    variance : False for the estimate only (a figure): standard errors and limits NaN. The IJ
        variance costs one pass over the subjects per event time.
    """
    time = np.asarray(time, dtype=float)
    status = np.asarray(status, dtype=int)
    n = time.size
    nothing = np.array([], dtype=float)
    if n == 0:
        return CifCurve(*([nothing] * 6), n=0)
    times = np.unique(time)
    at = np.searchsorted(times, time)
    n_risk = n - np.searchsorted(np.sort(time), times, side="left").astype(float)
    d_all = np.bincount(at, weights=(status > 0).astype(float), minlength=times.size)
    d_k = np.bincount(at, weights=(status == cause).astype(float), minlength=times.size)

    with np.errstate(divide="ignore", invalid="ignore"):
        h, hk = d_all / n_risk, d_k / n_risk
    # S(u-) and F(u) multiplied and summed in time order (np.cumprod/np.cumsum are sequential,
    # the same arithmetic as the recursion below); times without an event leave both unchanged.
    surv_before = np.concatenate([[1.0], np.cumprod(1 - h)[:-1]])
    cif = np.cumsum(surv_before * hk)
    if not variance:
        nan = np.full(times.size, np.nan)
        return CifCurve(times, n_risk, cif, nan, nan, nan, n)
    var = _ij_variance(time, status, cause, times, n_risk, d_all, d_k)
    std_err = np.sqrt(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log = np.where(std_err == 0, 0.0, std_err / cif)  # R: se of log(p) = se / p
    lower, upper = loglog_limits(cif, se_log, z_value(conf_level))
    return CifCurve(times, n_risk, cif, std_err, lower, upper, n)


def _ij_variance(time, status, cause, times, n_risk, d_all, d_k) -> np.ndarray:
    """``sum_i (dF(u)/dw_i)^2`` at every time ``u``, through the recursions of the estimator."""
    n = time.size
    surv_prev = 1.0  # S(u-)
    ds = np.zeros(n)  # dS(u-)/dw_i, per subject
    df = np.zeros(n)  # dF(u)/dw_i
    var = np.zeros(times.size)
    last_var = 0.0
    for j, u in enumerate(times):
        if d_all[j] > 0:
            at_risk = (time >= u).astype(float)
            h, hk = d_all[j] / n_risk[j], d_k[j] / n_risk[j]
            dh = (((time == u) & (status > 0)) - at_risk * h) / n_risk[j]
            dhk = (((time == u) & (status == cause)) - at_risk * hk) / n_risk[j]
            df = df + ds * hk + surv_prev * dhk
            ds = ds * (1 - h) - surv_prev * dh
            surv_prev = surv_prev * (1 - h)
            last_var = float(np.sum(df * df))
        var[j] = last_var
    return var


def cif_at(curve: CifCurve, t: float) -> dict[str, float]:
    """Cumulative incidence with limits and the number at risk at ``t``.

    Before the first observed time the incidence is 0 (limits not estimable); after the last
    observed time it is not estimable (NaN).
    """
    nan = float("nan")
    if curve.empty or t > curve.time[-1]:
        return {"cuminc": nan, "cuminc_lcl": nan, "cuminc_ucl": nan, "n_risk": 0.0}
    if t < curve.time[0]:
        return {"cuminc": 0.0, "cuminc_lcl": nan, "cuminc_ucl": nan, "n_risk": float(curve.n)}
    i = int(np.searchsorted(curve.time, t, side="right")) - 1
    later = int(np.searchsorted(curve.time, t, side="left"))
    return {
        "cuminc": float(curve.cif[i]),
        "cuminc_lcl": float(curve.lower[i]),
        "cuminc_ucl": float(curve.upper[i]),
        "n_risk": float(curve.n_risk[later]),
    }


def ard_cuminc(frame: pd.DataFrame, spec: TteAnalysis, cause_label: str = "") -> pd.DataFrame:
    """Cumulative incidence of the event of interest with a competing event, by arm.

    Parameters
    ----------
    frame : one row per subject of the analysis population: the arm (``spec.arm``), ``_TIME``
        (NaN without a record) and ``_STATUS`` (0 censored, 1 event of interest, 2 competing
        event), plus the covariates.
    spec : the endpoint's analysis settings (landmarks, risk times, covariates).

    Returns
    -------
    ARD rows. Population: the rows of ``frame`` (``N``; ``n`` with a record). Per arm
    (``variable=""``): ``n_event``/``pct_event`` (event of interest), ``n_censor``/
    ``pct_censor`` (censored); ``variable="competing"``: ``n_event``/``pct_event`` (competing
    events); percentages of ``n``. At each landmark (``variable="cuminc"``, ``timepoint``):
    ``cuminc``/``cuminc_lcl``/``cuminc_ucl`` (Aalen-Johansen, infinitesimal-jackknife SE,
    log-log limits; method ``aalen-johansen``); ``n_risk`` at landmarks and risk times
    (``variable=""``). Each compared arm: cause-specific Cox hazard ratio of the event of
    interest (competing events censored; Efron ties; Wald limits and p), ``variable="cox_cs"``,
    ``variable_level`` ``unadjusted``/``adjusted`` (complete cases), the model's ``n`` and
    ``n_event`` on the ``Overall`` row. Not estimable statistics are NaN.

    References
    ----------
    Aalen and Johansen (1978); Putter H, Fiocco M, Geskus RB. Tutorial in biostatistics:
    competing risks and multi-state models. Stat Med 2007;26:2389-2430 (cause-specific hazards).
    """
    return memoised("cuminc", frame, spec, lambda: _compute(frame, spec))


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
    has = frame[TIME].notna()
    analysed = frame.loc[has].assign(**{spec.arm: arm[has]})
    nan = float("nan")
    times = sorted(set(spec.landmarks) | set(spec.risk_times))
    for level in spec.arms:
        sub = analysed.loc[analysed[spec.arm] == level]
        n = len(sub)
        counts = {
            ("", "event"): float((sub[STATUS] == 1).sum()),
            ("", "censor"): float((sub[STATUS] == 0).sum()),
            ("competing", "event"): float((sub[STATUS] == 2).sum()),
        }
        add(level, "", "N", float((arm == level).sum()))
        add(level, "", "n", float(n))
        for (variable, what), count in counts.items():
            add(level, variable, f"n_{what}", count)
            add(level, variable, f"pct_{what}", 100 * count / n if n else nan)
        curve = aalen_johansen(
            sub[TIME].to_numpy(float), sub[STATUS].to_numpy(int), 1, spec.conf_level
        )
        for t in times:
            at = cif_at(curve, t)
            if t in spec.landmarks:
                for name in ("cuminc", "cuminc_lcl", "cuminc_ucl"):
                    add(
                        level, "cuminc", name, at[name], timepoint=float(t), method="aalen-johansen"
                    )
            add(level, "", "n_risk", at["n_risk"], timepoint=float(t))

    cause = analysed.assign(**{EVENT: (analysed[STATUS] == 1).astype(float)})
    models = [("unadjusted", ())] + ([("adjusted", spec.covariates)] if spec.covariates else [])
    for label, covariates in models:
        fit = cox_treatment(cause, spec.arm, spec.arms, spec.reference, covariates, spec.conf_level)
        for level, values in fit.effects.items():
            for name, value in zip(("hr", "hr_lcl", "hr_ucl", "p_value"), values, strict=True):
                add(level, "cox_cs", name, value, variable_level=label, method="cox-efron")
        add("Overall", "cox_cs", "n", float(fit.n), variable_level=label)
        add("Overall", "cox_cs", "n_event", float(fit.n_event), variable_level=label)
    return ard_frame(rows)
