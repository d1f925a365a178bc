"""ard_baseline on eight subjects, every number worked out by hand; tests against scipy;
descriptives against tableone's own describe tables."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csrgen.analyses.baseline import BaselineVariable, ard_baseline, quantile_sas
from csrgen.ard import check_ard, stat_lookup
from tests.studies import tiny_adsl


@pytest.fixture
def subjects():
    adsl = tiny_adsl()
    adsl["AGE"] = pd.to_numeric(adsl["AGE"])
    return adsl


VARS = [BaselineVariable("AGE", "continuous"), BaselineVariable("SEX", "categorical", ("M", "F"))]


@pytest.fixture
def ard(subjects):
    return ard_baseline(subjects, "TRT01P", ["Placebo", "Drug"], VARS, group_var="TRT01P")


def s(ard, level, var, name, var_level=""):
    return stat_lookup(
        ard, group_level=level, variable=var, stat_name=name, variable_level=var_level
    )


def test_shape(ard):
    assert check_ard(ard) == []
    assert set(ard["group_var"]) == {"TRT01P"}


def test_big_n(ard):
    assert [s(ard, a, "", "N") for a in ("Placebo", "Drug", "Total")] == [4, 4, 8]


def test_continuous_by_hand(ard):
    # Drug: 30, 50, 70 (T-07 missing). Placebo: 40, 60, 45, 55.
    assert s(ard, "Drug", "AGE", "n") == 3 and s(ard, "Drug", "AGE", "n_miss") == 1
    assert s(ard, "Drug", "AGE", "mean") == 50 and s(ard, "Drug", "AGE", "sd") == 20
    assert s(ard, "Drug", "AGE", "median") == 50
    # SAS definition 5: n*p = 0.75 -> x(1) = 30; n*p = 2.25 -> x(3) = 70
    assert (s(ard, "Drug", "AGE", "q1"), s(ard, "Drug", "AGE", "q3")) == (30, 70)
    assert s(ard, "Placebo", "AGE", "sd") == pytest.approx(math.sqrt(250 / 3), rel=1e-12)
    # n*p = 1 and 3 are whole: average x(1),x(2) = 42.5 and x(3),x(4) = 57.5
    assert (s(ard, "Placebo", "AGE", "q1"), s(ard, "Placebo", "AGE", "q3")) == (42.5, 57.5)
    assert (s(ard, "Total", "AGE", "min"), s(ard, "Total", "AGE", "max")) == (30, 70)


def test_categorical_percent_of_big_n(ard):
    assert s(ard, "Drug", "SEX", "n", "M") == 3 and s(ard, "Drug", "SEX", "pct", "M") == 75
    # Placebo: F, M, F and one blank: 2/4 = 50 %, blank counted as missing, not as a category
    assert s(ard, "Placebo", "SEX", "pct", "F") == 50
    assert s(ard, "Placebo", "SEX", "n_miss") == 1
    assert s(ard, "Total", "SEX", "pct", "F") == 37.5


def test_pvalues_against_scipy(ard):
    p_age = ard[(ard.variable == "AGE") & (ard.stat_name == "p_value")]
    t = stats.ttest_ind([30, 50, 70], [40, 60, 45, 55], equal_var=True)
    assert p_age["stat"].item() == pytest.approx(t.pvalue, rel=1e-9)
    assert p_age["method"].item() == "t-test"
    p_sex = ard[(ard.variable == "SEX") & (ard.stat_name == "p_value")]
    # 2x2 with expected counts < 5: tableone switches to Fisher's exact test
    fisher = stats.fisher_exact([[1, 2], [3, 1]])
    assert p_sex["stat"].item() == pytest.approx(fisher.pvalue, rel=1e-9)
    assert p_sex["method"].item() == "fisher"


def test_three_arms_use_anova_and_chisq():
    rng = np.random.default_rng(1)
    n = 90
    frame = pd.DataFrame(
        {
            "ARM": np.repeat(["A", "B", "C"], 30),
            "X": rng.normal(50, 10, n),
            "G": rng.choice(["u", "v", "w"], n),
        }
    )
    ard = ard_baseline(
        frame,
        "ARM",
        ["A", "B", "C"],
        [BaselineVariable("X", "continuous"), BaselineVariable("G", "categorical")],
        "ARM",
    )
    p = ard.set_index(["variable", "stat_name"]).loc[[("X", "p_value"), ("G", "p_value")]]
    anova = stats.f_oneway(*[frame.X[a == frame.ARM] for a in "ABC"])
    chi = stats.chi2_contingency(pd.crosstab(frame.G, frame.ARM), correction=False)
    assert p["stat"].tolist() == pytest.approx([anova.pvalue, chi.pvalue], rel=1e-9)
    assert p["method"].tolist() == ["anova", "chisq"]


def test_nonparametric_uses_kruskal(subjects):
    ard = ard_baseline(
        subjects,
        "TRT01P",
        ["Placebo", "Drug"],
        [BaselineVariable("AGE", "continuous", nonparametric=True)],
        "TRT01P",
    )
    p = ard[ard.stat_name == "p_value"]
    kw = stats.kruskal([40, 60, 45, 55], [30, 50, 70])
    assert p["stat"].item() == pytest.approx(kw.pvalue, rel=1e-9)
    assert p["method"].item() == "kruskal"


def test_descriptives_agree_with_tableone(subjects):
    from tableone import TableOne

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t1 = TableOne(subjects, columns=["AGE"], groupby="TRT01P", pval=False)
    ard = ard_baseline(subjects, "TRT01P", ["Placebo", "Drug"], VARS[:1], "TRT01P", tests=False)
    d = t1.cont_describe
    for arm in ("Placebo", "Drug"):
        for ours, theirs in (
            ("n", "count"),
            ("mean", "mean"),
            ("sd", "std"),
            ("median", "median"),
            ("min", "min"),
            ("max", "max"),
        ):
            assert s(ard, arm, "AGE", ours) == pytest.approx(float(d.loc["AGE", (theirs, arm)]))


def test_empty_arm_and_absent_category():
    frame = pd.DataFrame({"ARM": ["A", "A", "A"], "X": [1.0, 2.0, 4.0], "G": ["u", "u", "v"]})
    ard = ard_baseline(
        frame,
        "ARM",
        ["A", "B"],
        [
            BaselineVariable("X", "continuous"),
            BaselineVariable("G", "categorical", ("u", "v", "w")),
        ],
        "ARM",
    )
    assert s(ard, "B", "", "N") == 0 and s(ard, "B", "X", "n") == 0
    assert math.isnan(s(ard, "B", "X", "mean")) and math.isnan(s(ard, "B", "G", "pct", "u"))
    assert s(ard, "A", "G", "n", "w") == 0 and s(ard, "A", "G", "pct", "w") == 0
    assert ard.loc[ard.stat_name == "p_value", "stat"].isna().all()  # one arm: nothing to test


def test_quantile_sas_definition_5():
    x = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    # n*p = 2.5 -> x(3); n*p = 7.5 -> x(8) (R: quantile(1:10, c(.25,.75), type = 2) gives 3, 8)
    assert (quantile_sas(x, 0.25), quantile_sas(x, 0.75)) == (3, 8)
    assert math.isnan(quantile_sas(np.array([np.nan]), 0.5))
