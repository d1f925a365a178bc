"""Time-to-event analyses on tiny frames checked by hand, and the edge cases of the ARD.

The comparisons with R's survival package on real data are in test_survival_against_R.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from csrgen.analyses import survival
from csrgen.analyses.competing import aalen_johansen, ard_cuminc, cif_at
from csrgen.analyses.km import EVENT, STATUS, TIME, km_at, km_curve, km_quantile, logrank
from csrgen.analyses.survival import TteAnalysis, ard_tte
from csrgen.ard import check_ard, normalise

ARM = "_ARM"
NAN = float("nan")


def frame(arms, times, events, status=None, **extra) -> pd.DataFrame:
    out = pd.DataFrame({ARM: arms, TIME: np.asarray(times, float), EVENT: events})
    out[EVENT] = out[EVENT].astype(float)
    out[STATUS] = status if status is not None else out[EVENT].fillna(0).astype(int)
    for name, values in extra.items():
        out[name] = values
    return out


def spec(**kw) -> TteAnalysis:
    base = dict(param="P", arm=ARM, arms=("A", "B"), reference="A", group_var="TRT01P")
    return TteAnalysis(**(base | kw))


def stat(ard, level, name, variable="", variable_level="", timepoint=""):
    hit = ard.loc[
        (ard["group_level"] == level)
        & (ard["stat_name"] == name)
        & (ard["variable"] == variable)
        & (ard["variable_level"] == variable_level)
        & (ard["timepoint"] == timepoint)
    ]
    assert len(hit) == 1, (level, name, variable, variable_level, timepoint)
    return float(hit["stat"].iloc[0])


# -- Kaplan-Meier ---------------------------------------------------------------------------
def test_km_by_hand():
    """Times 1+ 2 3 4+ 5: S = 1, 3/4, 1/2, 1/2, 0; Greenwood on the cumulative-hazard scale."""
    c = km_curve([1, 2, 3, 4, 5], [0, 1, 1, 0, 1])
    np.testing.assert_array_equal(c.time, [1, 2, 3, 4, 5])
    np.testing.assert_array_equal(c.n_risk, [5, 4, 3, 2, 1])
    np.testing.assert_allclose(c.surv, [1, 3 / 4, 1 / 2, 1 / 2, 0], rtol=1e-15)
    # sum d / (n (n - d)): 1/(4*3), + 1/(3*2)
    np.testing.assert_allclose(c.std_err[1:4], np.sqrt([1 / 12, 1 / 12 + 1 / 6, 1 / 4]))
    assert math.isinf(c.std_err[4])
    # log-log limits: exp(-exp(log(-log S) -/+ z se / log S)), undefined at S = 1 and S = 0
    z = 1.959963984540054
    s, se = 0.75, math.sqrt(1 / 12)
    lower = math.exp(-math.exp(math.log(-math.log(s)) - z * se / math.log(s)))
    upper = math.exp(-math.exp(math.log(-math.log(s)) + z * se / math.log(s)))
    assert c.lower[1] == pytest.approx(lower, rel=1e-12)
    assert c.upper[1] == pytest.approx(upper, rel=1e-12)
    assert np.isnan(c.lower[0]) and np.isnan(c.upper[4])


def test_km_at_follows_r_summary():
    c = km_curve([1, 2, 3, 4, 5], [0, 1, 1, 0, 1])
    before = km_at(c, 0.5)
    assert (before["surv"], before["surv_lcl"], before["n_risk"]) == (1.0, 1.0, 5.0)
    mid = km_at(c, 2.5)  # the value of the step at 2; at risk: times >= 2.5
    assert mid["surv"] == 0.75 and mid["n_risk"] == 3
    assert km_at(c, 6)["surv"] == 0.0  # the curve reached 0: known beyond follow-up
    censored_last = km_curve([1, 2], [1, 0])
    assert np.isnan(km_at(censored_last, 3)["surv"])  # beyond follow-up: not estimable
    assert km_at(censored_last, 3)["n_risk"] == 0


def test_median_midpoint_rules():
    """R's quantile.survfit: a flat stretch at exactly 0.5 gives the midpoint to the next drop,
    or to the last time when the curve never drops again; otherwise the first crossing."""
    # S = 1/2 from 3 to 5 (censoring at 4), drop at 5: median (3 + 5) / 2
    assert km_quantile(km_curve([1, 2, 3, 4, 5], [0, 1, 1, 0, 1]), 0.5)[0] == 4.0
    # S = 1/2 from 2 to the end (last time 6, censored): median (2 + 6) / 2
    assert km_quantile(km_curve([1, 2, 6, 6], [1, 1, 0, 0]), 0.5)[0] == 4.0
    # S jumps from 2/3 to 1/3 at 2: median 2
    assert km_quantile(km_curve([1, 2, 3], [1, 1, 1]), 0.5)[0] == 2.0
    # never reaches 1/2: not estimable
    assert np.isnan(km_quantile(km_curve([1, 2, 3, 4], [1, 0, 0, 0]), 0.5)[0])


def test_logrank_by_hand():
    """A: events at 1 and 3; B: event at 2, censored at 4. O_A - E_A = 2 - 4/3 and
    V = 1/4 + 2/9 + 1/4 = 13/18, so chi-square = (2/3)^2 / (13/18) = 8/13."""
    res = logrank([1, 3, 2, 4], [1, 1, 1, 0], np.array(["A", "A", "B", "B"]), ["A", "B"])
    assert res.statistic == pytest.approx(8 / 13, rel=1e-12)
    assert res.df == 1
    assert res.expected[0] == pytest.approx(4 / 3)


def test_stratified_logrank_sums_strata():
    """Two copies of the same data in two strata: O-E and V double, so chi-square doubles."""
    t, e = [1, 3, 2, 4], [1, 1, 1, 0]
    g = np.array(["A", "A", "B", "B"] * 2)
    res = logrank(t * 2, e * 2, g, ["A", "B"], strata=np.array(["s1"] * 4 + ["s2"] * 4))
    assert res.statistic == pytest.approx(2 * 8 / 13, rel=1e-12)


def test_logrank_without_events_is_not_estimable():
    res = logrank([1, 2], [0, 0], np.array(["A", "B"]), ["A", "B"])
    assert np.isnan(res.statistic) and np.isnan(res.p_value)


# -- competing risks -----------------------------------------------------------------------
def test_aalen_johansen_by_hand():
    """1 event, 2 competing, 3 censored, 4 event: F1 = 1/4 after 1; S(2) = 3/4 * 2/3 = 1/2;
    F1(4) = 1/4 + S(4-) * 1/1 = 3/4; at time 1 the SE is binomial, sqrt(1/4 * 3/4 / 4)."""
    c = aalen_johansen([1, 2, 3, 4], [1, 2, 0, 1])
    np.testing.assert_allclose(c.cif, [1 / 4, 1 / 4, 1 / 4, 3 / 4], rtol=1e-15)
    assert c.std_err[0] == pytest.approx(math.sqrt(3 / 64), rel=1e-12)
    competing = aalen_johansen([1, 2, 3, 4], [1, 2, 0, 1], cause=2)
    assert competing.cif[-1] == pytest.approx(1 / 4)
    assert cif_at(c, 0.5)["cuminc"] == 0.0 and np.isnan(cif_at(c, 0.5)["cuminc_lcl"])
    assert np.isnan(cif_at(c, 5)["cuminc"])


def test_aalen_johansen_without_competing_events_is_one_minus_km():
    rng = np.random.default_rng(3)
    t = rng.integers(1, 30, 80).astype(float)
    e = rng.integers(0, 2, 80)
    km = km_curve(t, e)
    aj = aalen_johansen(t, e)
    np.testing.assert_allclose(aj.cif, 1 - km.surv, atol=1e-14)


# -- the ARD of an endpoint ------------------------------------------------------------------
def test_ard_counts_and_population():
    """N counts every population subject, n those with a record; events and censored of n."""
    f = frame(["A", "A", "A", "B", "B"], [1, 2, NAN, 3, 4], [1, 0, NAN, 1, 1])
    ard = ard_tte(f, spec(landmarks=(2.0,)))
    assert check_ard(normalise(ard.assign(output_id="x"))) == []
    assert stat(ard, "A", "N") == 3 and stat(ard, "A", "n") == 2
    assert stat(ard, "A", "n_event") == 1 and stat(ard, "A", "pct_event") == 50
    assert stat(ard, "B", "n_censor") == 0
    assert stat(ard, "A", "surv", timepoint="2") == 0.5
    assert stat(ard, "A", "n_risk", timepoint="2") == 1


def test_arm_without_events_is_not_estimable_but_reported():
    f = frame(["A"] * 4 + ["B"] * 3, [1, 2, 3, 4, 2, 3, 5], [1, 1, 0, 1, 0, 0, 0])
    ard = ard_tte(f, spec(landmarks=(2.5,)))
    assert stat(ard, "B", "n_event") == 0
    assert np.isnan(stat(ard, "B", "median_time"))
    assert stat(ard, "B", "surv", timepoint="2.5") == 1.0
    assert np.isnan(stat(ard, "B", "hr", "cox", "unadjusted"))
    assert np.isfinite(stat(ard, "Overall", "statistic", "logrank"))  # B is still at risk
    assert np.isnan(stat(ard, "Overall", "statistic", "ph_test"))


def test_empty_and_one_subject_frames_do_not_crash():
    empty = ard_tte(frame([], [], []), spec(landmarks=(1.0,), windows=((0.0, 1.0),)))
    assert stat(empty, "A", "N") == 0 and np.isnan(stat(empty, "A", "median_time"))
    assert np.isnan(stat(empty, "Overall", "p_value", "logrank"))
    one = ard_tte(frame(["A", "B"], [2, 3], [1, 0]), spec(landmarks=(1.0, 5.0)))
    assert stat(one, "A", "median_time") == 2.0
    assert np.isnan(stat(one, "B", "surv", timepoint="5"))
    cif = ard_cuminc(frame([], [], [], status=[]), spec(landmarks=(1.0,)))
    assert stat(cif, "A", "N") == 0


def test_windows_condition_on_being_event_free_at_the_start():
    """Window (2, 4]: subjects with time > 2 only; follow-up counted from 2 and cut at 4."""
    f = frame(
        ["A", "A", "A", "B", "B", "B"],
        [1, 2, 3, 3.5, 5, 6],
        [1, 1, 1, 1, 1, 0],
    )
    ard = ard_tte(f, spec(windows=((0.0, 2.0), (2.0, 4.0))))
    assert stat(ard, "A", "n_risk", "window", timepoint="0-2") == 3
    assert stat(ard, "A", "n_event", "window", timepoint="0-2") == 2
    assert stat(ard, "A", "n_risk", "window", timepoint="2-4") == 1  # the event at 2 is out
    assert stat(ard, "B", "n_event", "window", timepoint="2-4") == 1  # 5 and 6 fall after 4


def test_endpoint_is_fitted_once_for_table_and_figure(monkeypatch):
    """The memo: the same frame content and settings reuse the first result."""
    calls = []
    real = survival.cox_treatment

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(survival, "cox_treatment", counting)
    f = frame(["A", "A", "B", "B", "B"], [1, 2, 3, 4, 5.5], [1, 1, 1, 0, 1])
    s = spec(landmarks=(2.0,))
    first = ard_tte(f, s)
    n = len(calls)
    again = ard_tte(f.copy(), s)
    assert len(calls) == n
    pd.testing.assert_frame_equal(first, again)
    ard_tte(f.assign(**{TIME: f[TIME] + 1}), s)  # other data: fitted again
    assert len(calls) == 2 * n


def _tie_heavy(n: int = 400, seed: int = 7) -> pd.DataFrame:
    """Integer times 1-30 (heavy ties), three arms, a numeric and a text covariate."""
    rng = np.random.default_rng(seed)
    arm = rng.choice(["A", "B", "C"], n)
    hazard = np.where(arm == "A", 0.05, np.where(arm == "B", 0.035, 0.07))
    time = np.minimum(np.ceil(rng.exponential(1 / hazard)), 30.0)
    event = ((time < 30) & (rng.random(n) < 0.8)).astype(float)
    return frame(arm, time, event, AGE=rng.normal(60, 10, n), SEX=rng.choice(["F", "M"], n))


def test_km_event_table_is_lifelines_event_table():
    """The counts per time come from numpy; they are lifelines' event table exactly."""
    from lifelines import KaplanMeierFitter

    data = _tie_heavy()
    ours = km_curve(data[TIME].to_numpy(), data[EVENT].to_numpy())
    table = KaplanMeierFitter().fit(data[TIME], data[EVENT]).event_table
    table = table.loc[table["removed"] > 0]
    np.testing.assert_array_equal(ours.time, table.index.to_numpy(float))
    for ours_col, col in (("n_risk", "at_risk"), ("n_event", "observed"), ("n_censor", "censored")):
        np.testing.assert_array_equal(getattr(ours, ours_col), table[col].to_numpy(float))


def test_cif_estimate_without_variance_is_the_same_estimate():
    data = _tie_heavy()
    status = np.where(data[EVENT] == 1, np.where(data["AGE"] > 62, 2, 1), 0)
    full = aalen_johansen(data[TIME].to_numpy(), status, 1)
    quick = aalen_johansen(data[TIME].to_numpy(), status, 1, variance=False)
    np.testing.assert_array_equal(quick.cif, full.cif)
    np.testing.assert_array_equal(quick.n_risk, full.n_risk)
    assert np.isnan(quick.std_err).all()


@pytest.mark.parametrize("covariates", [(), ("AGE", "SEX")])
def test_cox_fit_matches_lifelines_with_heavy_ties(covariates):
    """cox_treatment's design (arm dummies against the reference, covariates) gives lifelines'
    own estimate and standard errors on tie-heavy data (R agreement: the against-R tests)."""
    from lifelines import CoxPHFitter

    from csrgen.analyses.cox import cox_treatment

    data = _tie_heavy()
    fit = cox_treatment(data, ARM, ("A", "B", "C"), "A", covariates)
    design = pd.DataFrame(
        {
            "b": (data[ARM] == "B").astype(float),
            "c": (data[ARM] == "C").astype(float),
            **({"age": data["AGE"], "m": (data["SEX"] == "M").astype(float)} if covariates else {}),
        }
    )
    cph = CoxPHFitter().fit(
        design.assign(T=data[TIME], E=data[EVENT]),
        "T",
        "E",
        fit_options={"precision": 1e-30, "r_precision": 1e-30, "max_steps": 60},
    )
    np.testing.assert_allclose(fit.beta, cph.params_.to_numpy(), rtol=1e-9)
    for level, column in (("B", "b"), ("C", "c")):
        hr, _, _, p = fit.effects[level]
        assert hr == pytest.approx(math.exp(cph.params_[column]), rel=1e-9)
        assert p == pytest.approx(cph.summary.loc[column, "p"], rel=1e-7)


@pytest.mark.filterwarnings("ignore::lifelines.exceptions.ConvergenceWarning")
def test_cox_large_data_batch_mode_equals_per_subject_mode():
    """Above BATCH_FROM records lifelines fits in its batch mode; the estimate must be the one
    its per-subject mode (chosen for trial-sized data, and checked against R) gives."""
    from lifelines import CoxPHFitter

    from csrgen.analyses import cox

    rng = np.random.default_rng(7)
    n = cox.BATCH_FROM + 1_000
    arm = rng.choice(["A", "B"], n)
    age = rng.normal(50, 10, n).round()
    hazard = np.where(arm == "B", 0.6, 1.0) * np.exp(0.02 * (age - 50))
    t_event, t_cens = rng.exponential(24 / hazard), rng.uniform(0, 60, n)
    data = pd.DataFrame(
        {
            ARM: arm,
            "AGE": age,
            TIME: np.ceil(np.minimum(t_event, t_cens)),  # whole months: many ties
            EVENT: (t_event <= t_cens).astype(float),
        }
    )
    assert cox._batch_mode(n) is True and cox._batch_mode(219) is None
    fit = cox.cox_treatment(data, ARM, ("A", "B"), "A", ("AGE",))
    design = pd.DataFrame({"b": (arm == "B").astype(float), "age": age})
    single = CoxPHFitter().fit(
        design.assign(T=data[TIME], E=data[EVENT]),
        "T",
        "E",
        batch_mode=False,
        fit_options={"precision": 1e-30, "r_precision": 1e-30, "max_steps": 60},
    )
    np.testing.assert_allclose(fit.beta, single.params_.to_numpy(), rtol=1e-10)
    hr, lcl, ucl, p = fit.effects["B"]
    assert hr == pytest.approx(math.exp(single.params_["b"]), rel=1e-10)
    assert 0.5 < hr < 0.7 and lcl < hr < ucl and p < 1e-6
