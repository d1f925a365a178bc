"""ard_bds_* on tiny frames: descriptive statistics by hand (quartiles by SAS definition 5),
ANCOVA by hand from the within-arm sums of squares and against statsmodels' formula API,
Wilcoxon rank-sum by the normal approximation by hand and against scipy, and the edge cases
(one subject at a visit, an arm without subjects, a parameter without data)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csrgen.analyses.baseline import quantile_sas
from csrgen.analyses.bds import (
    ard_bds_ancova,
    ard_bds_mean_ci,
    ard_bds_population,
    ard_bds_summary,
    data_decimals,
)
from csrgen.ard import check_ard, stat_lookup

ARMS = ["Placebo", "Drug"]


def records(rows):
    """(USUBJID, arm, PARAMCD, AVISIT, AVAL, BASE) -> BDS records with CHG = AVAL - BASE."""
    frame = pd.DataFrame(rows, columns=["USUBJID", "ARM", "PARAMCD", "AVISIT", "AVAL", "BASE"])
    frame = frame.astype({"AVAL": float, "BASE": float})
    frame["CHG"] = np.where(frame["AVISIT"] == "Baseline", np.nan, frame["AVAL"] - frame["BASE"])
    return frame


@pytest.fixture
def alb():
    """ALB: Placebo changes at week 4 are 2, 1, 3, 0; Drug 4, 5, 6. Week 8: one subject per
    arm. Week 12: Placebo only."""
    p, d = "Placebo", "Drug"
    return records(
        [
            ("S1", p, "ALB", "Baseline", 30, 30),
            ("S1", p, "ALB", "Week 4", 32, 30),
            ("S1", p, "ALB", "Week 8", 33, 30),
            ("S1", p, "ALB", "Week 12", 34, 30),
            ("S2", p, "ALB", "Baseline", 34, 34),
            ("S2", p, "ALB", "Week 4", 35, 34),
            ("S2", p, "ALB", "Week 12", 37, 34),
            ("S3", p, "ALB", "Baseline", 28, 28),
            ("S3", p, "ALB", "Week 4", 31, 28),
            ("S4", p, "ALB", "Baseline", 36, 36),
            ("S4", p, "ALB", "Week 4", 36, 36),
            ("S5", d, "ALB", "Baseline", 29, 29),
            ("S5", d, "ALB", "Week 4", 33, 29),
            ("S5", d, "ALB", "Week 8", 34, 29),
            ("S6", d, "ALB", "Baseline", 31, 31),
            ("S6", d, "ALB", "Week 4", 36, 31),
            ("S7", d, "ALB", "Baseline", 35, 35),
            ("S7", d, "ALB", "Week 4", 41, 35),
            ("S8", d, "ALB", "Baseline", 33, 33),
        ]
    )


VISITS = ["Baseline", "Week 4", "Week 8", "Week 12"]


def s(ard, arm, name, variable, visit, param="ALB", variable_level=""):
    return stat_lookup(
        ard,
        group_level=arm,
        stat_name=name,
        variable=variable,
        variable_level=variable_level,
        param=param,
        timepoint=visit,
    )


# -- descriptive statistics ------------------------------------------------------------------
@pytest.fixture
def summary(alb):
    return ard_bds_summary(alb, "ARM", ARMS, ["ALB", "TBIL"], VISITS, group_var="TRT01P")


def test_summary_shape(summary):
    assert check_ard(summary) == []
    assert set(summary["group_var"]) == {"TRT01P"}
    # every parameter x visit x arm x statistic, AVAL at 4 visits and CHG at the 3 after baseline
    assert len(summary) == 2 * 2 * (4 + 3) * 8
    assert not ((summary["variable"] == "CHG") & (summary["timepoint"] == "Baseline")).any()


def test_change_by_hand(summary):
    # Placebo week 4: 2, 1, 3, 0. SD = sqrt(5/3). SAS def. 5: n*p = 1 and 3 are whole numbers,
    # so Q1 = (x(1) + x(2)) / 2 = 0.5 and Q3 = (x(3) + x(4)) / 2 = 2.5.
    assert s(summary, "Placebo", "n", "CHG", "Week 4") == 4
    assert s(summary, "Placebo", "mean", "CHG", "Week 4") == 1.5
    assert s(summary, "Placebo", "sd", "CHG", "Week 4") == pytest.approx(math.sqrt(5 / 3))
    assert s(summary, "Placebo", "median", "CHG", "Week 4") == 1.5
    assert s(summary, "Placebo", "q1", "CHG", "Week 4") == 0.5
    assert s(summary, "Placebo", "q3", "CHG", "Week 4") == 2.5
    assert (
        s(summary, "Placebo", "min", "CHG", "Week 4"),
        s(summary, "Placebo", "max", "CHG", "Week 4"),
    ) == (0, 3)
    # Drug week 4: 4, 5, 6 (S8 missed the visit). n*p = 0.75 -> x(1); 2.25 -> x(3).
    assert s(summary, "Drug", "n", "CHG", "Week 4") == 3
    assert s(summary, "Drug", "sd", "CHG", "Week 4") == 1.0
    assert (
        s(summary, "Drug", "q1", "CHG", "Week 4"),
        s(summary, "Drug", "q3", "CHG", "Week 4"),
    ) == (4, 6)


def test_value_by_hand(summary):
    # Drug baseline: 29, 31, 35, 33 -> mean 32, SD sqrt(20/3), median 32, Q1 30, Q3 34
    assert s(summary, "Drug", "n", "AVAL", "Baseline") == 4
    assert s(summary, "Drug", "mean", "AVAL", "Baseline") == 32
    assert s(summary, "Drug", "sd", "AVAL", "Baseline") == pytest.approx(math.sqrt(20 / 3))
    assert s(summary, "Drug", "median", "AVAL", "Baseline") == 32
    assert (
        s(summary, "Drug", "q1", "AVAL", "Baseline"),
        s(summary, "Drug", "q3", "AVAL", "Baseline"),
    ) == (30, 34)


def test_one_subject_has_no_sd(summary):
    assert s(summary, "Drug", "n", "CHG", "Week 8") == 1
    assert s(summary, "Drug", "mean", "CHG", "Week 8") == 5
    assert math.isnan(s(summary, "Drug", "sd", "CHG", "Week 8"))
    assert s(summary, "Drug", "q1", "CHG", "Week 8") == 5


def test_arm_without_subjects_and_parameter_without_data(summary):
    assert s(summary, "Drug", "n", "AVAL", "Week 12") == 0
    for name in ("mean", "sd", "median", "q1", "q3", "min", "max"):
        assert math.isnan(s(summary, "Drug", name, "AVAL", "Week 12"))
    tbil = summary[summary["param"] == "TBIL"]
    assert (tbil.loc[tbil["stat_name"] == "n", "stat"] == 0).all()


def test_quartiles_equal_quantile_sas_in_every_cell():
    """The quartiles of all cells from one sort are exactly (bit for bit) the per-group
    quantile_sas (numpy averaged_inverted_cdf) values: groups of 1 to 13 values, ties, NaN."""
    rng = np.random.default_rng(7)
    rows = []
    for k, n in enumerate(range(1, 14)):
        for i, value in enumerate(np.round(rng.normal(3, 2, n), k % 3)):
            rows.append((f"S{k}-{i}", ARMS[k % 2], "ALB", f"V{k // 2}", value, 1.0))
    rows.append(("N1", "Drug", "ALB", "V0", np.nan, 1.0))
    data = records(rows)
    visits = sorted(set(data["AVISIT"]))
    ard = ard_bds_summary(data, "ARM", ARMS, ["ALB"], visits, "TRT01P", baseline_visit="none")
    for (arm, visit), group in data.groupby(["ARM", "AVISIT"]):
        values = group["AVAL"].to_numpy()
        for name, prob in (("q1", 0.25), ("q3", 0.75)):
            assert s(ard, arm, name, "AVAL", visit) == quantile_sas(values, prob)
            assert s(ard, arm, name, "CHG", visit) == quantile_sas(values - 1.0, prob)


def test_population_n():
    subjects = pd.DataFrame({"ARM": ["Drug", "Drug", "Placebo"]})
    ard = ard_bds_population(subjects, "ARM", ["Placebo", "Drug", "Other"], "TRT01P")
    assert list(ard["stat"]) == [1, 2, 0] and set(ard["stat_name"]) == {"N"}


# -- confidence interval of the mean change ----------------------------------------------------
def test_mean_ci_by_hand(alb):
    ard = ard_bds_mean_ci(alb, "ARM", ARMS, ["ALB"], VISITS[1:], "TRT01P")
    assert check_ard(ard) == []
    half = stats.t.ppf(0.975, 3) * math.sqrt(5 / 3) / 2  # t(0.975; 3) * SD / sqrt(4)
    assert s(ard, "Placebo", "lcl", "CHG", "Week 4") == pytest.approx(1.5 - half)
    assert s(ard, "Placebo", "ucl", "CHG", "Week 4") == pytest.approx(1.5 + half)
    assert math.isnan(s(ard, "Drug", "lcl", "CHG", "Week 8"))  # n = 1
    assert s(ard, "Drug", "n", "CHG", "Week 12") == 0


# -- ANCOVA -------------------------------------------------------------------------------------
@pytest.fixture
def ancova_data():
    """Placebo: BASE 1, 2, 3 and CHG 2, 3, 7; Drug: BASE 4, 5, 6 and CHG 5, 6, 10.

    By hand: within-arm sums Sxx = 2 + 2, Sxy = 5 + 5, so the common slope is 10/4 = 2.5. The
    mean baseline is 3.5, so the LS means are 4 - 2.5 (2 - 3.5) = 7.75 (Placebo) and
    7 - 2.5 (5 - 3.5) = 3.25 (Drug); difference -4.5. Residual SS = Syy - b Sxy = 28 - 25 = 3
    on 6 - 3 = 3 df, MSE = 1. SE(diff) = sqrt(MSE (1/3 + 1/3 + (2 - 5)^2 / 4)) = sqrt(35/12);
    SE(LS mean) = sqrt(MSE (1/3 + 1.5^2 / 4)).
    """
    rows = [
        (f"P{i}", "Placebo", "X", "Week 4", b + c, b)
        for i, (b, c) in enumerate([(1, 2), (2, 3), (3, 7)])
    ] + [
        (f"D{i}", "Drug", "X", "Week 4", b + c, b)
        for i, (b, c) in enumerate([(4, 5), (5, 6), (6, 10)])
    ]
    return records(rows)


def a(ard, arm, name, level="ANCOVA", param="X", visit="Week 4"):
    return s(ard, arm, name, "CHG", visit, param=param, variable_level=level)


def test_ancova_by_hand(ancova_data):
    ard = ard_bds_ancova(ancova_data, "ARM", ARMS, "Placebo", ["X"], ["Week 4"], "TRT01P")
    assert check_ard(ard) == []
    assert a(ard, "Placebo", "lsmean") == pytest.approx(7.75, abs=1e-12)
    assert a(ard, "Drug", "lsmean") == pytest.approx(3.25, abs=1e-12)
    assert a(ard, "Drug", "lsmean_se") == pytest.approx(math.sqrt(1 / 3 + 2.25 / 4))
    se = math.sqrt(35 / 12)
    assert a(ard, "Drug", "diff") == pytest.approx(-4.5, abs=1e-12)
    assert a(ard, "Drug", "se") == pytest.approx(se)
    t975 = stats.t.ppf(0.975, 3)
    assert a(ard, "Drug", "diff_lcl") == pytest.approx(-4.5 - t975 * se)
    assert a(ard, "Drug", "diff_ucl") == pytest.approx(-4.5 + t975 * se)
    assert a(ard, "Drug", "p_value") == pytest.approx(2 * stats.t.sf(4.5 / se, 3))
    assert a(ard, "Placebo", "n") == 3 and a(ard, "Drug", "n") == 3
    # the reference carries no comparison
    ref = ard[(ard["group_level"] == "Placebo") & (ard["variable_level"] == "ANCOVA")]
    assert set(ref["stat_name"]) == {"n", "lsmean", "lsmean_se"}
    assert set(ard["method"]) == {"ancova", "wilcoxon"}


def test_ancova_against_statsmodels_three_arms():
    """Three arms, uneven sizes, against statsmodels' formula API: the treatment coefficients are
    the differences; LS means are predictions at the mean baseline."""
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(20240131)
    arms = ["Placebo", "Low", "High"]
    n = {"Placebo": 9, "Low": 7, "High": 11}
    rows = []
    for arm in arms:
        for i in range(n[arm]):
            base = float(np.round(rng.normal(30, 4), 1))
            chg = float(
                np.round(
                    0.3 * (30 - base) + {"Placebo": 0, "Low": 1, "High": 3}[arm] + rng.normal(0, 2),
                    1,
                )
            )
            rows.append((f"{arm}{i}", arm, "X", "Week 4", base + chg, base))
    data = records(rows)
    ard = ard_bds_ancova(data, "ARM", arms, "Placebo", ["X"], ["Week 4"], "TRT01P", level=0.9)
    fit = smf.ols("CHG ~ C(ARM, Treatment('Placebo')) + BASE", data=data).fit()
    ci = fit.conf_int(alpha=0.1)
    for arm in ("Low", "High"):
        term = f"C(ARM, Treatment('Placebo'))[T.{arm}]"
        assert a(ard, arm, "diff") == pytest.approx(fit.params[term], rel=1e-10)
        assert a(ard, arm, "se") == pytest.approx(fit.bse[term], rel=1e-10)
        assert a(ard, arm, "p_value") == pytest.approx(fit.pvalues[term], rel=1e-8)
        assert a(ard, arm, "diff_lcl") == pytest.approx(ci.loc[term, 0], rel=1e-10)
        assert a(ard, arm, "diff_ucl") == pytest.approx(ci.loc[term, 1], rel=1e-10)
    grid = pd.DataFrame({"ARM": arms, "BASE": data["BASE"].mean()})
    pred = fit.get_prediction(grid).summary_frame()
    for i, arm in enumerate(arms):
        assert a(ard, arm, "lsmean") == pytest.approx(pred["mean"][i], rel=1e-10)
        assert a(ard, arm, "lsmean_se") == pytest.approx(pred["mean_se"][i], rel=1e-10)


def test_ancova_not_estimable(alb):
    ard = ard_bds_ancova(alb, "ARM", ARMS, "Placebo", ["ALB", "TBIL"], VISITS[1:], "TRT01P")
    assert check_ard(ard) == []
    # week 8: one subject per arm, 2 observations for 3 coefficients -> nothing estimable
    assert a(ard, "Drug", "n", param="ALB", visit="Week 8") == 1
    assert math.isnan(a(ard, "Drug", "lsmean", param="ALB", visit="Week 8"))
    assert math.isnan(a(ard, "Drug", "diff", param="ALB", visit="Week 8"))
    # week 12: no Drug subject -> Drug and the difference not estimable
    assert a(ard, "Drug", "n", param="ALB", visit="Week 12") == 0
    assert math.isnan(a(ard, "Drug", "p_value", param="ALB", visit="Week 12"))
    assert math.isnan(a(ard, "Drug", "p_value", "WILCOXON", param="ALB", visit="Week 12"))
    # a parameter without data: every row present, all NaN but n = 0
    tbil = ard[ard["param"] == "TBIL"]
    assert len(tbil) and tbil.loc[tbil["stat_name"] != "n", "stat"].isna().all()


def test_reference_missing_keeps_ls_means(ancova_data):
    data = pd.concat(
        [ancova_data, ancova_data.assign(ARM="Other", USUBJID=ancova_data["USUBJID"] + "o")]
    )
    data = data[data["ARM"] != "Placebo"]
    ard = ard_bds_ancova(
        data, "ARM", ["Placebo", "Drug", "Other"], "Placebo", ["X"], ["Week 4"], "TRT01P"
    )
    assert not math.isnan(a(ard, "Drug", "lsmean"))
    assert math.isnan(a(ard, "Drug", "diff")) and math.isnan(a(ard, "Placebo", "lsmean"))


# -- Wilcoxon rank-sum --------------------------------------------------------------------------
def test_wilcoxon_by_hand_and_against_scipy(ancova_data):
    ard = ard_bds_ancova(ancova_data, "ARM", ARMS, "Placebo", ["X"], ["Week 4"], "TRT01P")
    # Drug 5, 6, 10 vs Placebo 2, 3, 7: U(Drug) = 2 + 2 + 3 = 7 of 9 pairs won; no ties.
    # mu = 4.5, sigma = sqrt(3*3*7/12); z = (|7 - 4.5| - 0.5) / sigma with continuity correction.
    z = (abs(7 - 4.5) - 0.5) / math.sqrt(9 * 7 / 12)
    assert a(ard, "Drug", "statistic", "WILCOXON") == 7
    assert a(ard, "Drug", "p_value", "WILCOXON") == pytest.approx(2 * stats.norm.sf(z), rel=1e-12)
    ref = stats.mannwhitneyu([5, 6, 10], [2, 3, 7], method="asymptotic", use_continuity=True)
    assert a(ard, "Drug", "p_value", "WILCOXON") == pytest.approx(ref.pvalue, rel=1e-12)


def test_wilcoxon_with_ties_against_scipy(alb):
    ard = ard_bds_ancova(alb, "ARM", ARMS, "Placebo", ["ALB"], ["Week 4"], "TRT01P")
    drug = [4, 5, 6]
    placebo = [2, 1, 3, 0]
    ref = stats.mannwhitneyu(drug, placebo, method="asymptotic", use_continuity=True)
    assert a(ard, "Drug", "p_value", "WILCOXON", param="ALB") == pytest.approx(ref.pvalue)
    assert a(ard, "Drug", "statistic", "WILCOXON", param="ALB") == ref.statistic == 12


def test_all_tied_is_not_estimable():
    # No variance of the rank sum: R's wilcox.test gives NA; scipy would say p = 1.
    data = records([("A", "Placebo", "X", "W", 1, 0), ("B", "Drug", "X", "W", 1, 0)])
    ard = ard_bds_ancova(data, "ARM", ARMS, "Placebo", ["X"], ["W"], "TRT01P")
    assert math.isnan(a(ard, "Drug", "p_value", "WILCOXON", visit="W"))


def test_records_without_baseline_are_left_out(ancova_data):
    extra = records([("P9", "Placebo", "X", "Week 4", 50, np.nan)])
    ard = ard_bds_ancova(
        pd.concat([ancova_data, extra]), "ARM", ARMS, "Placebo", ["X"], ["Week 4"], "TRT01P"
    )
    assert a(ard, "Placebo", "n") == 3 and a(ard, "Drug", "diff") == pytest.approx(-4.5)


# -- decimals of the raw data -------------------------------------------------------------------
def test_data_decimals():
    assert data_decimals(pd.Series([1.0, 20.0, np.nan])) == 0
    assert data_decimals(np.array([8.55, 8.549999999999999, 12.0])) == 2
    assert data_decimals(np.array([2.27045, 1.0])) == 3  # capped
    assert data_decimals(np.array([], dtype=float)) == 0
