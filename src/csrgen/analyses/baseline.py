"""Baseline characteristics (Table 1): descriptive statistics by arm and a test across arms.

The test across arms is ``tableone``'s (its choice of test per variable, and its p-value). The
descriptive statistics are plain numpy/pandas reductions, computed here so that every arm (also
one with no subject) and every listed category (also one nobody has) gets its rows; the tests
check them against tableone's own ``cont_describe``/``cat_describe``. Two conventions differ
from tableone's printed table on purpose:

* quartiles use SAS's default definition (``PROC MEANS QNTLDEF=5``; R ``quantile(type = 2)``;
  numpy ``averaged_inverted_cdf``), so Q1/Q3 match the SAS tables reviewers compare with;
  tableone interpolates linearly (R type 7);
* percentages of categories use the arm's population size N as denominator (missing values are
  shown as their own row), the common CSR convention; tableone divides by the non-missing count.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csrgen.ard import ard_frame

#: tableone's test names -> the ARD ``method`` code and the footnote wording.
TEST_METHODS = {
    "One-way ANOVA": ("anova", "one-way analysis of variance (ANOVA)"),
    "Pooled T-test": ("t-test", "two-sample t-test (pooled variance; the same p as one-way ANOVA)"),
    "Welch's T-test": ("welch-t", "Welch's t-test"),
    "Kruskal-Wallis": ("kruskal", "Kruskal-Wallis test"),
    "Chi-squared": ("chisq", "Pearson's chi-square test"),
    "Fisher's exact": ("fisher", "Fisher's exact test"),
}


@dataclass(frozen=True)
class BaselineVariable:
    """One row block of Table 1: an ADSL variable, continuous or categorical."""

    var: str
    kind: str  # "continuous" | "categorical"
    levels: tuple[str, ...] = ()
    #: Rank test (Kruskal-Wallis) instead of ANOVA for a skewed continuous variable.
    nonparametric: bool = False


#: SAS's default quantile definition 5 (R type 2) in numpy: average at discontinuities.
SAS_QUANTILE = "averaged_inverted_cdf"


def quantile_sas(values: np.ndarray, prob: float) -> float:
    """Quantile by SAS's default definition 5 (R type 2): average at discontinuities."""
    values = values[~np.isnan(values)]
    if values.size == 0:
        return float("nan")
    return float(np.quantile(values, prob, method=SAS_QUANTILE))


def _method(test_name: str) -> str:
    for prefix, (code, _) in TEST_METHODS.items():
        if test_name.replace("\u2019", "'").startswith(prefix):
            return code
    raise LookupError(f"tableone used a test csrgen does not know: {test_name!r}")


def method_wording(code: str) -> str:
    """Footnote wording of an ARD ``method`` code written by :func:`ard_baseline`."""
    for c, text in TEST_METHODS.values():
        if c == code:
            return text
    raise KeyError(code)


def ard_baseline(
    subjects: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    variables: Sequence[BaselineVariable],
    group_var: str,
    total_label: str = "Total",
    total: bool = True,
    tests: bool = True,
) -> pd.DataFrame:
    """Descriptive statistics of baseline variables by arm (and Total), and a test across arms.

    Parameters
    ----------
    subjects : one row per subject of the analysis population (ADSL subset).
    arm : column of ``subjects`` holding the arm (values in ``arms``).
    arms : arm levels in display order; an arm with no subject still gets ``N = 0`` rows.
    variables : what to summarise.
    group_var : the ADaM arm variable name written to ``group_var`` (e.g. TRT01P).

    Returns
    -------
    ARD rows. Population: the rows of ``subjects``. Denominators: ``N`` per arm. For each
    continuous variable: ``n``, ``n_miss``, ``mean``, ``sd`` (n-1 denominator), ``median``,
    ``q1``, ``q3`` (SAS definition 5), ``min``, ``max``. For each categorical variable and
    level: ``n`` and ``pct`` = 100 n / N; ``n_miss`` for blanks. Tests (``group_level`` =
    ``Overall``; the arms with at least one subject): tableone's choice, i.e. ANOVA (t-test
    for two arms) or Kruskal-Wallis for continuous, chi-square (Fisher's exact for a 2x2 table
    with an expected count below 5) for categorical; missing values excluded from tests.

    References
    ----------
    Pollard TJ et al. tableone: an open source Python package for producing summary statistics
    for research papers. JAMIA Open 2018;1(1):26-31. SAS PROC MEANS QNTLDEF=5.
    """
    groups = [(level, subjects[arm] == level) for level in arms]
    if total:
        groups.append((total_label, pd.Series(True, index=subjects.index)))
    rows: list[dict] = []

    def add(level, variable, stat_name, stat, variable_level="", method=""):
        rows.append(
            dict(
                group_var=group_var,
                group_level=level,
                variable=variable,
                variable_level=variable_level,
                stat_name=stat_name,
                stat=stat,
                method=method,
            )
        )

    for level, mask in groups:
        add(level, "", "N", float(mask.sum()))

    for spec in variables:
        for level, mask in groups:
            values = subjects.loc[mask, spec.var]
            if spec.kind == "continuous":
                _describe_continuous(add, level, spec.var, values)
            else:
                _describe_categorical(add, level, spec, values, int(mask.sum()))

    if tests:
        for spec, p, method in _tests(subjects, arm, arms, variables):
            add("Overall", spec.var, "p_value", p, method=method)
    return ard_frame(rows)


def _describe_continuous(add, level: str, var: str, values: pd.Series) -> None:
    x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    present = x[~np.isnan(x)]
    n = present.size
    add(level, var, "n", float(n))
    add(level, var, "n_miss", float(x.size - n))
    nan = float("nan")
    add(level, var, "mean", float(present.mean()) if n else nan)
    add(level, var, "sd", float(present.std(ddof=1)) if n > 1 else nan)
    add(level, var, "median", float(np.median(present)) if n else nan)
    add(level, var, "q1", quantile_sas(present, 0.25))
    add(level, var, "q3", quantile_sas(present, 0.75))
    add(level, var, "min", float(present.min()) if n else nan)
    add(level, var, "max", float(present.max()) if n else nan)


def _describe_categorical(
    add, level: str, spec: BaselineVariable, values: pd.Series, big_n: int
) -> None:
    text = values.astype(str).where(values.notna(), "")
    counts = text[text != ""].value_counts()
    levels = list(spec.levels) or sorted(counts.index)
    for value in levels:
        n = float(counts.get(value, 0))
        add(level, spec.var, "n", n, variable_level=value)
        add(
            level,
            spec.var,
            "pct",
            100.0 * n / big_n if big_n else float("nan"),
            variable_level=value,
        )
    add(level, spec.var, "n_miss", float((text == "").sum()))


def _tests(
    subjects: pd.DataFrame, arm: str, arms: Sequence[str], variables: Sequence[BaselineVariable]
):
    """tableone's test per variable, on the arms that have subjects."""
    present = [a for a in arms if (subjects[arm] == a).any()]
    if len(present) < 2:
        return [(spec, float("nan"), "") for spec in variables]
    from tableone import TableOne  # heavy; only when a Table 1 is made

    frame = subjects.loc[subjects[arm].isin(present), [arm] + [v.var for v in variables]].copy()
    frame[arm] = pd.Categorical(frame[arm].astype(str), categories=present)
    categorical = [v.var for v in variables if v.kind == "categorical"]
    for var in categorical:
        text = frame[var].astype(str)
        frame[var] = text.where(text != "", np.nan)
    # A variable without values (or, categorical, with one value only) has no test: left out
    # of tableone, whose tests raise on an empty table; its p-value is NaN.
    testable = [
        v
        for v in variables
        if frame[v.var].nunique(dropna=True) >= (2 if v.kind == "categorical" else 1)
    ]
    if not testable:
        return [(spec, float("nan"), "") for spec in variables]
    categorical = [v.var for v in testable if v.kind == "categorical"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = TableOne(
            frame,
            columns=[v.var for v in testable],
            categorical=categorical,
            nonnormal=[v.var for v in testable if v.nonparametric],
            groupby=arm,
            pval=True,
            htest_name=True,
            include_null=False,
            ttest_equal_var=True,
            overall=False,
        )
    htest = table.htest_table
    out = []
    for spec in variables:
        if spec.var not in htest.index:
            out.append((spec, float("nan"), ""))
            continue
        p = float(htest.loc[spec.var, "P-Value"])
        out.append((spec, p, _method(str(htest.loc[spec.var, "Test"])) if not np.isnan(p) else ""))
    return out
