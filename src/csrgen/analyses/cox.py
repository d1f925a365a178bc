"""Cox proportional-hazards model of the treatment arm, and the proportional-hazards test.

* The model: lifelines' ``CoxPHFitter`` (partial likelihood with Efron's method for ties, the
  default of R's ``coxph``), fitted to tight tolerance; hazard ratio ``exp(b)``, Wald limits
  ``exp(b -/+ z se)`` and the Wald p-value, as ``summary(coxph(..., ties = "efron"))``.
* The proportional-hazards check: the score test of Grambsch and Therneau (1994) in the exact
  form R's ``cox.zph`` uses since survival 3.0 (the score for the added covariates
  ``x * g(t)`` with the full information matrix, Efron-weighted, ``g`` = 1 - KM at ``t-``,
  centred over the events). lifelines' ``proportional_hazard_test`` implements the earlier
  approximation (survival < 3.0), so the test is written here; it is compared with R.

References
----------
Cox DR. Regression models and life-tables. JRSS B 1972;34:187-220. Efron B. The efficiency of
Cox's likelihood function for censored data. JASA 1977;72:557-565. Grambsch PM, Therneau TM.
Proportional hazards tests and diagnostics based on weighted residuals. Biometrika
1994;81:515-526. Therneau TM, Grambsch PM. Modeling Survival Data, Springer 2000.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csrgen.analyses.km import EVENT, TIME, km_curve, z_value


@dataclass(frozen=True)
class CoxFit:
    """The treatment effect of one Cox model.

    ``effects`` maps each compared arm to ``(hr, hr_lcl, hr_ucl, p_value)`` (NaN when not
    estimable: the arm or the reference arm has no event or no subject). ``n``/``n_event``
    count the subjects and events in the model (complete cases of the covariates).
    """

    effects: dict[str, tuple[float, float, float, float]]
    n: int
    n_event: int
    #: Design matrix, coefficients and the columns of the arm term, for :func:`cox_zph`.
    design: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 0)))
    beta: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    arm_columns: tuple[int, ...] = ()
    time: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))
    event: np.ndarray = field(repr=False, default_factory=lambda: np.empty(0))

    @property
    def fitted(self) -> bool:
        return len(self.arm_columns) > 0


def cox_treatment(
    frame: pd.DataFrame,
    arm: str,
    levels: Sequence[str],
    reference: str,
    covariates: Sequence[str] = (),
    conf_level: float = 0.95,
) -> CoxFit:
    """Hazard ratio of every compared arm against ``reference``, optionally adjusted.

    Parameters
    ----------
    frame : one row per subject with ``_TIME``, ``_EVENT`` (1 event, 0 censored), ``arm`` and
        the ``covariates``.
    arm : the column holding the arm.
    levels : all arms, in display order; every arm but ``reference`` gets a hazard ratio.
    covariates : baseline covariates: numeric ones enter linearly, text ones as indicator
        variables against their first level in sorted order (R's default treatment contrasts).
        Subjects with a missing covariate are left out (complete-case analysis, R's
        ``na.omit``); a covariate constant in the data is dropped.

    Returns
    -------
    :class:`CoxFit`. An arm without events (or without subjects) is not estimable and its
    subjects are left out of the model: the limit of the partial likelihood as its coefficient
    goes to minus infinity, so the other arms' estimates are unaffected.
    """
    nan4 = (float("nan"),) * 4
    effects = {lv: nan4 for lv in levels if lv != reference}
    data = frame.loc[:, [TIME, EVENT, arm, *covariates]]
    complete = data[list(covariates)].notna().all(axis=1) if covariates else True
    if covariates:
        for c in covariates:
            if data[c].dtype == object:
                complete &= data[c].astype(str) != ""
        data = data.loc[complete]
    n, n_event = len(data), int(data[EVENT].sum())
    events_by_arm = data.groupby(data[arm].astype(str), observed=True)[EVENT].sum()
    estimable = [lv for lv in levels if events_by_arm.get(lv, 0) > 0]
    compared = [lv for lv in estimable if lv != reference]
    if reference not in estimable or not compared:
        return CoxFit(effects, n, n_event)
    data = data.loc[data[arm].astype(str).isin(estimable)]
    columns = {
        f"_arm{i}": (data[arm].astype(str) == lv).astype(float) for i, lv in enumerate(compared)
    }
    for j, c in enumerate(covariates):
        columns.update(_covariate_columns(data[c], f"_cov{j}"))
    design = pd.DataFrame(columns, index=data.index)
    design = design.loc[:, [c for c in design if c.startswith("_arm") or design[c].nunique() > 1]]
    beta, se = _fit(design, data[TIME].to_numpy(float), data[EVENT].to_numpy(float))
    if beta is None:
        return CoxFit(effects, n, n_event)
    z = z_value(conf_level)
    from scipy.stats import norm

    for i, lv in enumerate(compared):
        b, s = beta[i], se[i]
        if np.isfinite(b) and np.isfinite(s) and s > 0:
            with np.errstate(over="ignore"):  # a near-separated fit: a limit may be infinite
                effects[lv] = (
                    float(np.exp(b)),
                    float(np.exp(b - z * s)),
                    float(np.exp(b + z * s)),
                    float(2 * norm.sf(abs(b / s))),
                )
    return CoxFit(
        effects,
        n,
        n_event,
        design=design.to_numpy(float),
        beta=beta,
        arm_columns=tuple(range(len(compared))),
        time=data[TIME].to_numpy(float),
        event=data[EVENT].to_numpy(float),
    )


def _covariate_columns(values: pd.Series, prefix: str) -> dict[str, pd.Series]:
    if pd.api.types.is_numeric_dtype(values) and not isinstance(values.dtype, pd.CategoricalDtype):
        return {prefix: values.astype(float)}
    text = values.astype(str)
    levels = sorted(text.unique())
    return {f"{prefix}_{k}": (text == lv).astype(float) for k, lv in enumerate(levels[1:], 1)}


def _fit(design: pd.DataFrame, time: np.ndarray, event: np.ndarray):
    """Coefficients and standard errors in the design's column order; (None, None) on failure."""
    beta, se, _ = cox_fit(design, time, event)
    return beta, se


def cox_fit(design: pd.DataFrame, time: np.ndarray, event: np.ndarray):
    """``(beta, se, log partial likelihood)`` of a Cox model with Efron ties, the coefficients
    in the design's column order; ``(None, None, nan)`` when the fit fails.

    The log-likelihood is R's ``coxph()$loglik[2]`` (lifelines' ``log_likelihood_``).
    """
    from lifelines import CoxPHFitter
    from lifelines.exceptions import ConvergenceError

    df = design.assign(_T=time, _E=event)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cph = CoxPHFitter().fit(
                df,
                duration_col="_T",
                event_col="_E",
                batch_mode=_batch_mode(len(df)),
                # lifelines stops once the Newton decrement is below `precision` without taking
                # that last step, leaving b about sqrt(precision) off (3e-7 with 1e-12). With
                # these it iterates to the float fixed point (zero step or unchanged
                # likelihood), a few more cheap steps; R's default is within 1e-8 of it.
                fit_options={"precision": 1e-30, "r_precision": 1e-30, "max_steps": 60},
            )
        except (ConvergenceError, np.linalg.LinAlgError, ValueError, ZeroDivisionError):
            return None, None, float("nan")
    beta = cph.params_.reindex(design.columns).to_numpy(float)
    se = cph.standard_errors_.reindex(design.columns).to_numpy(float)
    return beta, se, float(cph.log_likelihood_)


#: Above this many records lifelines evaluates the likelihood over blocks of tied times.
BATCH_FROM = 5_000


def _batch_mode(n: int) -> bool | None:
    """lifelines' evaluation mode: its own choice for a trial-sized data set (R agreement is
    tested there), its batch mode for a large one.

    The two modes compute the same Efron likelihood, in a different order of summation (they
    agree to about 1e-14). lifelines' heuristic picks the per-subject mode for data with few
    tied times at any size, and that mode's Python loop over subjects costs about 0.4 s per
    Newton step at 100,000 subjects (up to 60 steps at the tolerance used here); the batch mode
    fits the same model in under 0.5 s.
    """
    return True if n > BATCH_FROM else None


def cox_zph(fit: CoxFit) -> tuple[float, float, float]:
    """Proportional-hazards score test of the arm term: ``(chi-square, df, p)``.

    R ``cox.zph(fit, transform = "km")`` (survival >= 3.0), the row of the arm term: the score
    for the added covariates ``x_j * g(t)`` (``j`` in the arm term) at the fitted coefficients
    and zero, tested with the matching block of the inverse of the full information matrix of
    the enlarged model; ties by Efron's method. NaN when the model was not fitted.
    """
    nan = float("nan")
    if not fit.fitted:
        return nan, nan, nan
    x, time, event = fit.design, fit.time, fit.event
    p = x.shape[1]
    g = _km_transform(time, event)
    u2, i11, i12, i22 = _zph_score(time, event, x, fit.beta, g)
    info = np.block([[i11, i12], [i12, i22]])
    jj = list(fit.arm_columns)
    keep = list(range(p)) + [p + j for j in jj]
    u = np.concatenate([np.zeros(p), u2[jj]])
    try:
        statistic = float(u @ np.linalg.solve(info[np.ix_(keep, keep)], u))
    except np.linalg.LinAlgError:
        return nan, nan, nan
    from scipy.stats import chi2

    return statistic, float(len(jj)), float(chi2.sf(statistic, len(jj)))


def _km_transform(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """``1 - S(t-)`` of the pooled KM for every subject, centred on its mean over the events."""
    curve = km_curve(time, event)
    before = np.searchsorted(curve.time, time, side="left")  # observed times strictly < t
    s_minus = np.concatenate([[1.0], curve.surv])[before]
    ttimes = 1 - s_minus
    return ttimes - ttimes[event == 1].mean()


def _zph_score(time, event, x, beta, g):
    """Score of the ``x * g(t)`` terms and the information blocks, Efron-weighted."""
    order = np.argsort(time, kind="stable")
    time, event, x, g = time[order], event[order], x[order], g[order]
    eta = x @ beta
    w = np.exp(eta - eta.max())  # risk weights; a common factor cancels in every ratio
    p = x.shape[1]
    # suffix sums over the risk set {time >= u}
    s0 = np.cumsum(w[::-1])[::-1]
    s1 = np.cumsum((w[:, None] * x)[::-1], axis=0)[::-1]
    s2 = np.cumsum((w[:, None, None] * x[:, :, None] * x[:, None, :])[::-1], axis=0)[::-1]
    u2 = np.zeros(p)
    i11, i12, i22 = np.zeros((p, p)), np.zeros((p, p)), np.zeros((p, p))
    for u in np.unique(time[event == 1]):
        start = int(np.searchsorted(time, u, side="left"))
        end = int(np.searchsorted(time, u, side="right"))  # time is sorted: ties are adjacent
        dead = start + np.flatnonzero(event[start:end] == 1)
        d = dead.size
        wd = w[dead]
        d0, d1 = wd.sum(), (wd[:, None] * x[dead]).sum(0)
        d2 = (wd[:, None, None] * x[dead][:, :, None] * x[dead][:, None, :]).sum(0)
        resid = x[dead].sum(0)
        var = np.zeros((p, p))
        for r in range(d):
            f = r / d
            a0 = s0[start] - f * d0
            mean = (s1[start] - f * d1) / a0
            resid = resid - mean
            var += (s2[start] - f * d2) / a0 - np.outer(mean, mean)
        gt = g[dead[0]]
        u2 += gt * resid
        i11 += var
        i12 += gt * var
        i22 += gt * gt * var
    return u2, i11, i12, i22
