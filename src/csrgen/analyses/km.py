"""Time-to-event estimators: Kaplan-Meier, quantiles, estimates at a time, log-rank tests.

Every number equals R's ``survival`` package (3.x), the reference regulators know; the tests in
``tests/analyses/test_survival_against_R.py`` compare each statistic with R to 1e-6:

* Kaplan-Meier estimate: the event table (at risk, events, censorings per time; censorings at
  an event time are at risk at that time; integer counts from ``np.unique``, the same as
  lifelines' ``KaplanMeierFitter.event_table``, without importing lifelines, about 1 s), the
  product-limit multiplied out as ``survfit(Surv(time, status) ~ arm)`` does it.
* its variance: Greenwood's formula on the cumulative-hazard scale, the ``std.err`` of
  ``survfit``; confidence limits with the log-log transform, ``conf.type = "log-log"``, written
  here because R's handling of the curve's ends (S = 1, S = 0) is part of the result.
* quantiles (median, quartiles) and their confidence limits: Brookmeyer and Crowley (1982),
  i.e. the times where the lower and upper confidence curves cross the probability, with R's
  ``quantile.survfit`` rules (a flat stretch exactly at the probability gives the midpoint to the
  next drop); lifelines takes the first crossing and has no such rule.
* log-rank test: ``survdiff(Surv(time, status) ~ arm (+ strata(...)))``, the
  Mantel-Haenszel/hypergeometric variance summed over strata; written here because lifelines has
  no stratified test and keeps groups without expected events (R drops them from the df).

The Cox model and the proportional-hazards test live in :mod:`csrgen.analyses.cox`, competing
risks in :mod:`csrgen.analyses.competing`; :func:`csrgen.analyses.survival.ard_tte` gathers
everything for one endpoint into ARD rows.

References
----------
Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. JASA 1958;53:457-481.
Brookmeyer R, Crowley J. A confidence interval for the median survival time. Biometrics
1982;38:29-41. Kalbfleisch JD, Prentice RL. The Statistical Analysis of Failure Time Data, 2nd
ed., 2002 (log-log interval). Therneau TM. A Package for Survival Analysis in R (``survfit``,
``quantile.survfit``, ``survdiff``), version 3.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Columns of an analysis frame (one row per subject) made by the outputs' pre-processing.
TIME, EVENT, STATUS = "_TIME", "_EVENT", "_STATUS"

#: R's ``quantile.survfit`` tolerance (``sqrt(.Machine$double.eps)``).
_TOL = float(np.sqrt(np.finfo(float).eps))


@dataclass(frozen=True)
class KmCurve:
    """A Kaplan-Meier curve at every distinct observed time (events and censorings).

    ``std_err`` is Greenwood's standard error of the cumulative hazard, ``-log S`` (R's
    ``survfit()$std.err``); ``lower``/``upper`` are the log-log confidence limits (NaN where R
    gives NA: S = 0 or S = 1 at an observed time).
    """

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    n_censor: np.ndarray
    surv: np.ndarray
    std_err: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    n: int

    @property
    def empty(self) -> bool:
        return self.n == 0


def z_value(conf_level: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(1 - (1 - conf_level) / 2))


def km_curve(time: np.ndarray, event: np.ndarray, conf_level: float = 0.95) -> KmCurve:
    """Kaplan-Meier estimate with Greenwood variance and log-log limits (R ``survfit``).

    Parameters
    ----------
    time : observed times (event or censoring), non-negative.
    event : 1 for an event, 0 for a censored time.
    conf_level : confidence level of the pointwise limits.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    nothing = np.array([], dtype=float)
    if time.size == 0:
        return KmCurve(*([nothing] * 8), n=0)
    times, at = np.unique(time, return_inverse=True)
    removed = np.bincount(at, minlength=times.size).astype(float)
    n_event = np.bincount(at, weights=event, minlength=times.size)
    n_risk = time.size - np.concatenate([[0.0], np.cumsum(removed)[:-1]])
    # R multiplies the factors (1 - d/n); lifelines sums their logs, which leaves float noise
    # (0.8124999... for 13/16) that can flip a half-up rounding. Same estimator, R's arithmetic.
    surv = np.cumprod(1 - n_event / n_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Greenwood: var(-log S(t)) = sum d / (n (n - d)); infinite once everyone has failed.
        std_err = np.sqrt(np.cumsum(n_event / (n_risk * (n_risk - n_event))))
    lower, upper = loglog_limits(surv, std_err, z_value(conf_level))
    return KmCurve(
        time=times,
        n_risk=n_risk,
        n_event=n_event,
        n_censor=removed - n_event,
        surv=surv,
        std_err=std_err,
        lower=lower,
        upper=upper,
        n=int(time.size),
    )


def loglog_limits(p: np.ndarray, se_log: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Log-log confidence limits of a probability ``p`` given the SE of ``log p``.

    R's ``survfit_confint(conf.type = "log-log")``: ``exp(-exp(log(-log p) -/+ z se / log p))``;
    undefined (NaN) where ``p`` is 0 or 1.
    """
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        xx = np.where((p == 0) | (p == 1), np.nan, p)
        half = z * np.asarray(se_log, dtype=float) / np.log(xx)
        lower = np.exp(-np.exp(np.log(-np.log(xx)) - half))
        upper = np.exp(-np.exp(np.log(-np.log(xx)) + half))
    return lower, upper


def km_at(curve: KmCurve, t: float) -> dict[str, float]:
    """Survival with limits and the number at risk at time ``t`` (R ``summary(fit, times = t)``).

    ``n_risk`` counts subjects whose time is ``>= t``. Before the first observed time the
    estimate is 1 with limits (1, 1), as R prints it. After the last observed time the estimate
    is not estimable (NaN) unless the curve has reached 0.
    """
    nan = float("nan")
    if curve.empty:
        return {"surv": nan, "surv_lcl": nan, "surv_ucl": nan, "n_risk": 0.0}
    if t < curve.time[0]:
        return {"surv": 1.0, "surv_lcl": 1.0, "surv_ucl": 1.0, "n_risk": float(curve.n)}
    if t > curve.time[-1]:
        last = float(curve.surv[-1])
        return {
            "surv": 0.0 if last == 0 else nan,
            "surv_lcl": nan,
            "surv_ucl": nan,
            "n_risk": 0.0,
        }
    i = int(np.searchsorted(curve.time, t, side="right")) - 1
    later = np.searchsorted(curve.time, t, side="left")  # first observed time >= t
    n_risk = float(curve.n_risk[later]) if later < curve.time.size else 0.0
    return {
        "surv": float(curve.surv[i]),
        "surv_lcl": float(curve.lower[i]),
        "surv_ucl": float(curve.upper[i]),
        "n_risk": n_risk,
    }


def km_quantile(curve: KmCurve, prob: float) -> tuple[float, float, float]:
    """Time by which a fraction ``prob`` has had the event, with Brookmeyer-Crowley limits.

    Returns ``(estimate, lower, upper)``; NaN where the curve (or a confidence curve) never
    reaches ``1 - prob``. The estimate is where the KM curve crosses, the lower limit where the
    lower confidence curve crosses, the upper limit where the upper one does (R
    ``quantile.survfit``; ``prob = 0.5`` is the median).
    """
    nan = float("nan")
    if curve.empty:
        return nan, nan, nan
    x = np.concatenate([[0.0], curve.time])
    return tuple(  # type: ignore[return-value]
        _findq(x, np.concatenate([[0.0], 1 - s]), prob)
        for s in (curve.surv, curve.lower, curve.upper)
    )


def _findq(x: np.ndarray, y: np.ndarray, p: float) -> float:
    """R ``survival:::findq``: the first ``x`` where the non-decreasing ``y`` reaches ``p``.

    ``y`` is ``1 - S``; a stretch where ``y`` equals ``p`` (within ``_TOL``) gives the midpoint
    between its start and the next time ``y`` changes (or the last time, when it never does).
    NaN entries (undefined confidence limits) are dropped, as R's ``approx`` drops them.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if np.all(np.isnan(y)) or np.nanmax(y) < p:
            return float("nan")
    xmax = x[-1]
    # duplicated(y) in R treats NA as equal to NA: keep the first of each value, NaN included.
    keep = ~pd.Series(y).duplicated().to_numpy()
    x, y = x[keep], y[keep]
    last_y = y[-1]
    ok = ~np.isnan(y)
    xs, ys = x[ok], y[ok]

    def first_reaching(shifted: np.ndarray) -> float:
        # approx(shifted, seq_along, p, method = "constant", f = 1), rule 1: NA outside range
        if p < shifted[0] or p > shifted[-1]:
            return float("nan")
        return float(xs[int(np.searchsorted(shifted, p, side="left"))])

    if p == 0:
        return float(x[0])
    a = first_reaching(ys + _TOL)
    b = first_reaching(ys - _TOL)
    if not np.isnan(last_y) and abs(p - last_y) < _TOL:
        return (a + xmax) / 2
    return (a + b) / 2


@dataclass(frozen=True)
class LogrankResult:
    statistic: float
    df: float
    p_value: float
    observed: np.ndarray
    expected: np.ndarray


def logrank(
    time: np.ndarray,
    event: np.ndarray,
    group: np.ndarray,
    levels: Sequence[str],
    strata: np.ndarray | None = None,
) -> LogrankResult:
    """Log-rank test across groups, optionally stratified (R ``survdiff``, ``rho = 0``).

    Observed minus expected events and their hypergeometric covariance are summed over the
    strata; the statistic is ``(O - E)' V^-1 (O - E)`` over the groups with expected events
    after the first, with df = (number of such groups) - 1. Not estimable (NaN) with fewer
    than two such groups.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    group = np.asarray(group, dtype=object)
    strata = np.zeros(time.size, dtype=int) if strata is None else np.asarray(strata)
    k = len(levels)
    observed = np.zeros(k)
    expected = np.zeros(k)
    var = np.zeros((k, k))
    for s in pd.unique(strata):
        in_s = strata == s
        t, e, g = time[in_s], event[in_s], group[in_s]
        event_times = np.unique(t[e == 1])
        if event_times.size == 0:
            continue
        at_risk, deaths = _risk_counts(t, e, g, levels, event_times)
        n = at_risk.sum(1)
        d = deaths.sum(1)
        observed += deaths.sum(0)
        expected += (at_risk * (d / n)[:, None]).sum(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            kk = np.where(n > 1, d * (n - d) / (n * (n - 1)), 0.0)
        var += np.diag((kk[:, None] * at_risk).sum(0))
        var -= np.einsum("t,tj,tk->jk", kk / n, at_risk, at_risk)
    used = expected > 0
    df = int(used.sum()) - 1
    if df < 1:
        return LogrankResult(float("nan"), float("nan"), float("nan"), observed, expected)
    idx = np.flatnonzero(used)[1:]
    diff = (observed - expected)[idx]
    vv = var[np.ix_(idx, idx)]
    try:
        statistic = float(diff @ np.linalg.solve(vv, diff))
    except np.linalg.LinAlgError:
        statistic = float("nan")
    from scipy.stats import chi2

    return LogrankResult(statistic, float(df), float(chi2.sf(statistic, df)), observed, expected)


def _risk_counts(t, e, g, levels, event_times) -> tuple[np.ndarray, np.ndarray]:
    """Numbers at risk (time >= u) and events at u, per event time u and group: (times, k)."""
    at_risk = np.zeros((event_times.size, len(levels)))
    deaths = np.zeros((event_times.size, len(levels)))
    for j, level in enumerate(levels):
        tj = np.sort(t[g == level])
        at_risk[:, j] = tj.size - np.searchsorted(tj, event_times, side="left")
        hits = np.searchsorted(event_times, t[(g == level) & (e == 1)])
        deaths[:, j] = np.bincount(hits, minlength=event_times.size)
    return at_risk, deaths
