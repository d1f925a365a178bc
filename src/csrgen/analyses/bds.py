"""BDS parameters by visit (laboratory values, vital signs, ECG, scores): descriptive
statistics, ANCOVA of the change from baseline, a Wilcoxon rank-sum sensitivity test, and mean
change with its confidence interval.

Every function takes ``records``: one row per subject, parameter and visit (BDS records already
restricted to the analysis population and the records to analyse), with the columns ``PARAMCD``,
``AVISIT``, ``AVAL``, ``BASE``, ``CHG`` (as in the data, never re-derived) and an arm column.
Parameters, visits and arms are given in display order; every combination of them gets its
rows, also when nobody has a value there (``n`` = 0, the other statistics NaN), so that tables
can print every visit of every arm and say "NE" where nothing is estimable.

Statistics are computed per (parameter, visit, arm) cell with one pandas ``groupby`` on an
integer cell number (descriptive statistics, confidence intervals; quartiles from the values
grouped by cell), or per (parameter, visit) model on slices of one sort of the
records (ANCOVA, rank test); there is no loop over subjects and no filtering of all records per
visit, so the cost grows with the number of records, not with records x visits. scipy and
statsmodels are imported inside the functions that use them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from csrgen.analyses.baseline import SAS_QUANTILE
from csrgen.ard import ard_frame, concat_ard, normalise

#: Descriptive statistics per visit and arm, in display order.
DESCRIPTIVE = ("n", "mean", "sd", "median", "q1", "q3", "min", "max")
#: ARD ``variable_level`` and ``method`` of the comparisons.
ANCOVA, WILCOXON = "ANCOVA", "WILCOXON"
_KEYS = ["PARAMCD", "AVISIT"]


def ard_bds_population(
    subjects: pd.DataFrame, arm: str, arms: Sequence[str], group_var: str
) -> pd.DataFrame:
    """Population size ``N`` per arm (``variable=""``): the denominators of the table headers.

    Parameters
    ----------
    subjects : one row per subject of the analysis population.
    arm : column of ``subjects`` holding the arm; ``arms`` its levels in display order.
    group_var : the ADaM arm variable written to ``group_var`` (e.g. TRT01P).
    """
    counts = subjects[arm].astype(object).value_counts()
    return ard_frame(
        dict(
            group_var=group_var, group_level=level, stat_name="N", stat=float(counts.get(level, 0))
        )
        for level in arms
    )


def ard_bds_summary(
    records: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    params: Sequence[str],
    visits: Sequence[str],
    group_var: str,
    baseline_visit: str = "Baseline",
) -> pd.DataFrame:
    """n, mean, SD, median, Q1, Q3, min, max of the value (AVAL) and of the change from baseline
    (CHG) by parameter, visit and arm.

    Parameters
    ----------
    records : one row per subject, parameter and visit (see the module docstring).
    arm, arms : arm column and its levels in display order.
    params, visits : PARAMCDs and AVISITs in display order; records elsewhere are ignored.
    group_var : the ADaM arm variable written to ``group_var``.
    baseline_visit : the AVISIT of the baseline record; CHG is not summarised there.

    Returns
    -------
    ARD rows ``variable`` = ``AVAL`` (every visit) or ``CHG`` (visits other than baseline),
    ``param`` = PARAMCD, ``timepoint`` = AVISIT, ``group_level`` = arm, one row per statistic
    of :data:`DESCRIPTIVE`. Population: the subjects in ``records``. ``n`` counts the subjects
    with a non-missing value (missing values are excluded, not imputed); SD has denominator
    n - 1 (NaN below two values); Q1 and Q3 use SAS's default definition 5
    (:func:`~csrgen.analyses.baseline.quantile_sas`); an arm without values at a visit has
    ``n`` = 0 and NaN statistics.

    References
    ----------
    SAS PROC MEANS (QNTLDEF=5); ICH E3 sections 12.4-12.5 (laboratory values, vital signs
    and other safety observations over time).
    """
    post = [v for v in visits if v != baseline_visit]
    return concat_ard(
        [
            _describe(records, "AVAL", arm, arms, params, visits, group_var),
            _describe(records, "CHG", arm, arms, params, post, group_var),
        ]
    )


def _codes(values: pd.Series, levels: Sequence[str]) -> np.ndarray:
    """Position of each value in ``levels`` (-1 for a value not among them)."""
    return pd.Categorical(values, categories=list(levels)).codes.astype(np.int64)


def _cells(
    records: pd.DataFrame,
    arm: str | None,
    arms: Sequence[str],
    params: Sequence[str],
    visits: Sequence[str],
) -> np.ndarray:
    """Per record, the number of its (parameter, visit, arm) cell in display order (parameter
    slowest, arm fastest), or -1 for a record outside ``params`` x ``visits`` x ``arms``.

    With ``arm=None`` the cells are (parameter, visit). Records whose PARAMCD/AVISIT/arm are
    already categoricals of these levels (as :func:`~csrgen.outputs.bds_records.prepare_block`
    makes them) are coded without hashing a string per record.
    """
    p = _codes(records["PARAMCD"], params)
    v = _codes(records["AVISIT"], visits)
    cell = p * len(visits) + v
    inside = (p >= 0) & (v >= 0)
    if arm is not None:
        a = _codes(records[arm], arms)
        cell = cell * len(arms) + a
        inside &= a >= 0
    return np.where(inside, cell, -1)


def _cell_index(arm: str, arms, params, visits) -> pd.MultiIndex:
    """(PARAMCD, AVISIT, arm) of cells ``0, 1, ...`` as numbered by :func:`_cells`."""
    return pd.MultiIndex.from_product([list(params), list(visits), list(arms)], names=[*_KEYS, arm])


def _group_stats(
    values: np.ndarray, cells: np.ndarray, n_cells: int, stats: Sequence[str]
) -> pd.DataFrame:
    """pandas ``groupby`` aggregations of ``values`` by cell, one row per cell ``0..n_cells-1``
    (an empty cell: count 0, other statistics NaN, as ``groupby(observed=False)`` gives)."""
    inside = cells >= 0
    grouped = pd.Series(values[inside]).groupby(cells[inside], sort=True)
    out = grouped.agg(list(stats)).reindex(range(n_cells))
    if "count" in out:
        out["count"] = out["count"].fillna(0)
    return out


def _quantiles_sas(
    values: np.ndarray, cells: np.ndarray, n_cells: int, probs: Sequence[float]
) -> np.ndarray:
    """:func:`~csrgen.analyses.baseline.quantile_sas` of every cell at each of ``probs``
    (array cells x probs; NaN for a cell without values).

    The values are grouped by cell with one stable sort of the cell numbers; each cell's slice
    then goes to numpy's quantile with ``quantile_sas``'s definition (one call per cell: a few
    hundred, whatever the number of records).
    """
    keep = (cells >= 0) & ~np.isnan(values)
    v, c = values[keep], cells[keep]
    v = v[np.argsort(c, kind="stable")]
    count = np.bincount(c, minlength=n_cells)
    start = np.cumsum(count) - count
    out = np.full((n_cells, len(probs)), np.nan)
    for i in np.flatnonzero(count):
        # every probability of a cell in one call (numpy's call costs more than the cell)
        cell = v[start[i] : start[i] + count[i]]
        out[i] = np.quantile(cell, probs, method=SAS_QUANTILE)
    return out


def _describe(records, var, arm, arms, params, visits, group_var) -> pd.DataFrame:
    if not len(params) or not len(visits):
        return ard_frame([])
    cells = _cells(records, arm, arms, params, visits)
    n_cells = len(params) * len(visits) * len(arms)
    values = records[var].to_numpy(dtype=float)
    stats = _group_stats(values, cells, n_cells, ["count", "mean", "std", "median", "min", "max"])
    stats = stats.rename(columns={"count": "n", "std": "sd"})
    stats[["q1", "q3"]] = _quantiles_sas(values, cells, n_cells, (0.25, 0.75))
    stats.index = _cell_index(arm, arms, params, visits)
    return _long(stats[list(DESCRIPTIVE)], arm, group_var, variable=var)


def _long(
    stats: pd.DataFrame,
    arm: str,
    group_var: str,
    variable: str,
    variable_level: str = "",
    method: str = "",
) -> pd.DataFrame:
    """A wide frame indexed by (PARAMCD, AVISIT, arm), one column per statistic -> ARD rows in
    the index order, statistics in column order."""
    long = stats.astype("float64").stack(future_stack=True).reset_index()
    long.columns = ["param", "timepoint", "group_level", "stat_name", "stat"]
    for col in ("param", "timepoint", "group_level"):
        long[col] = long[col].astype(object).astype(str)
    long["group_var"] = group_var
    long["variable"] = variable
    long["variable_level"] = variable_level
    long["method"] = method
    return normalise(long)


def ard_bds_mean_ci(
    records: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    params: Sequence[str],
    visits: Sequence[str],
    group_var: str,
    level: float = 0.95,
) -> pd.DataFrame:
    """Mean change from baseline (CHG) with its t-based confidence interval, by parameter, visit
    and arm (the points and bars of a mean-change figure).

    Returns
    -------
    ARD rows ``variable="CHG"``: ``n``, ``mean``, ``lcl``, ``ucl`` (method ``t``). Population:
    subjects in ``records`` with a non-missing CHG at the visit (no imputation). Interval:
    mean +/- t(1 - alpha/2; n - 1) SD / sqrt(n); NaN when n < 2.

    References
    ----------
    Student's t interval for a mean, e.g. Altman DG, Practical Statistics for Medical Research
    (1991), section 8.5.
    """
    from scipy import stats as st

    if not len(params) or not len(visits):
        return ard_frame([])
    cells = _cells(records, arm, arms, params, visits)
    n_cells = len(params) * len(visits) * len(arms)
    values = records["CHG"].to_numpy(dtype=float)
    agg = _group_stats(values, cells, n_cells, ["count", "mean", "std"])
    agg.index = _cell_index(arm, arms, params, visits)
    n = agg["count"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        half = st.t.ppf(0.5 + level / 2, n - 1) * agg["std"].to_numpy() / np.sqrt(n)
    half = np.where(n >= 2, half, np.nan)
    out = pd.DataFrame(
        {"n": n, "mean": agg["mean"], "lcl": agg["mean"] - half, "ucl": agg["mean"] + half},
        index=agg.index,
    )
    return _long(out, arm, group_var, variable="CHG", method="t")


def ard_bds_ancova(
    records: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    reference: str,
    params: Sequence[str],
    visits: Sequence[str],
    group_var: str,
    level: float = 0.95,
    wilcoxon: bool = True,
) -> pd.DataFrame:
    """Between-arm comparison of the change from baseline at each visit: ANCOVA with the baseline
    value as covariate, and a Wilcoxon rank-sum test as sensitivity analysis.

    Parameters
    ----------
    records : one row per subject, parameter and visit (see the module docstring).
    arm, arms : arm column and its levels in display order.
    reference : the comparator arm; differences are (arm - reference).
    params, visits : PARAMCDs and the post-baseline AVISITs to analyse, in display order.
    group_var : the ADaM arm variable written to ``group_var``.
    level : confidence level of the intervals.
    wilcoxon : also write the rank-sum test rows.

    Returns
    -------
    ARD rows, ``variable="CHG"``, ``param`` = PARAMCD, ``timepoint`` = AVISIT:

    * ``variable_level="ANCOVA"``, per arm: ``n`` (subjects in the model), ``lsmean``,
      ``lsmean_se``; per compared arm: ``diff``, ``se``, ``diff_lcl``, ``diff_ucl``,
      ``p_value`` (method ``ancova``);
    * ``variable_level="WILCOXON"``, per compared arm: ``statistic`` (Mann-Whitney U of the
      compared arm) and two-sided ``p_value`` (method ``wilcoxon``).

    Population: subjects with both BASE and CHG at the visit (observed cases, no imputation);
    both tests use the same subjects. Method: per parameter and visit, the linear model
    CHG = arm + BASE (one mean per arm, common slope, pooled residual variance over all arms);
    LS means are the arm means predicted at the mean BASE of the subjects in the model (SAS
    ``LSMEANS`` of PROC GLM); the difference, its confidence interval and p-value come from the
    model's t statistic on n - (arms + 1) degrees of freedom. The rank-sum test compares the
    compared arm with the reference only (normal approximation with tie correction and continuity
    correction, as SAS PROC NPAR1WAY and R ``wilcox.test(exact = FALSE)``). Not estimable (NaN):
    an arm with no subject; a difference when either arm has none; everything when the model has
    no residual degree of freedom. No adjustment for multiplicity.

    References
    ----------
    Senn S. Change from baseline and analysis of covariance revisited. Stat Med
    2006;25:4334-4344. SAS/STAT PROC GLM LSMEANS; statsmodels ``OLS.t_test``;
    scipy ``mannwhitneyu``.
    """
    # One stable sort of the analysed records by (parameter, visit): each model reads its
    # slice, records in data order, instead of filtering all records per visit.
    cells = _cells(records, None, arms, params, visits)
    analysed = np.flatnonzero(
        (cells >= 0) & records["CHG"].notna().to_numpy() & records["BASE"].notna().to_numpy()
    )
    order = analysed[np.argsort(cells[analysed], kind="stable")]
    count = np.bincount(cells[order], minlength=len(params) * len(visits))
    start = np.cumsum(count) - count
    chg = records["CHG"].to_numpy(dtype=float)[order]
    base = records["BASE"].to_numpy(dtype=float)[order]
    arm_code = _codes(records[arm], arms)[order]  # -1: an arm not in ``arms``
    rows: list[dict] = []
    for k, (param, visit) in enumerate(itertools.product(params, visits)):
        model = slice(start[k], start[k] + count[k])
        y = chg[model]
        member = {a: arm_code[model] == i for i, a in enumerate(arms)}
        found = _ancova(y, base[model], member, arms, reference, level)
        if wilcoxon:
            found += _rank_sum(y, member, arms, reference)
        rows += (
            dict(row, group_var=group_var, variable="CHG", param=param, timepoint=visit)
            for row in found
        )
    return ard_frame(rows)


def _ancova(
    y: np.ndarray,
    base: np.ndarray,
    member: dict[str, np.ndarray],
    arms: Sequence[str],
    reference: str,
    level: float,
) -> list[dict]:
    """ARD rows of one ANCOVA (one parameter at one visit; ``member[a]``: which subjects are in
    arm ``a``); NaN where not estimable."""
    nan = float("nan")
    present = [a for a in arms if member[a].any()]
    k = len(present) + 1  # one mean per arm present + the common slope
    est = {a: {"lsmean": nan, "lsmean_se": nan} for a in arms}
    diffs = {a: dict.fromkeys(("diff", "se", "diff_lcl", "diff_ucl", "p_value"), nan) for a in arms}
    if present and y.size > k:
        # the OLS module, not statsmodels.api (which imports every model family: 0.3 s more)
        from statsmodels.regression.linear_model import OLS

        # Cell-means coding with the covariate centred at its mean: each arm's coefficient is
        # its LS mean at the mean baseline, and a contrast of two coefficients is their
        # difference, both with the model's standard errors.
        design = np.column_stack([member[a].astype(float) for a in present] + [base - base.mean()])
        # hasconst: the arm indicators add up to the intercept; saying so spares statsmodels
        # its search for an implicit constant (two more SVDs of the design), which changes
        # only R-squared-type results, none of which is used.
        fit = OLS(y, design, hasconst=True).fit()
        if fit.df_resid >= 1:
            means = fit.t_test(np.eye(k)[: len(present)])
            effect, se = np.ravel(means.effect), np.ravel(means.sd)
            for i, a in enumerate(present):
                est[a] = {"lsmean": float(effect[i]), "lsmean_se": float(se[i])}
            if reference in present:
                r = present.index(reference)
                for i, a in enumerate(present):
                    if a == reference:
                        continue
                    contrast = np.zeros(k)
                    contrast[i], contrast[r] = 1.0, -1.0
                    test = fit.t_test(contrast)
                    lcl, ucl = test.conf_int(alpha=1 - level)[0]
                    diffs[a] = {
                        "diff": float(np.ravel(test.effect)[0]),
                        "se": float(np.ravel(test.sd)[0]),
                        "diff_lcl": float(lcl),
                        "diff_ucl": float(ucl),
                        "p_value": float(np.ravel(test.pvalue)[0]),
                    }
    rows = []
    for a in arms:
        stats = {"n": float(member[a].sum()), **est[a]}
        if a != reference:
            stats.update(diffs[a])
        rows += [
            dict(group_level=a, variable_level=ANCOVA, stat_name=name, stat=value, method="ancova")
            for name, value in stats.items()
        ]
    return rows


def _rank_sum(
    y: np.ndarray, member: dict[str, np.ndarray], arms: Sequence[str], reference: str
) -> list[dict]:
    """Wilcoxon rank-sum (Mann-Whitney) test of each compared arm against the reference."""
    from scipy import stats as st

    ref = y[member[reference]] if reference in member else y[:0]
    rows = []
    for a in arms:
        if a == reference:
            continue
        x = y[member[a]]
        u = p = float("nan")
        # All values tied: the rank sum has no variance and the test is undefined (R's
        # wilcox.test gives NA; scipy would return p = 1).
        if x.size and ref.size and _not_all_equal(np.concatenate([x, ref])):
            res = st.mannwhitneyu(
                x, ref, alternative="two-sided", method="asymptotic", use_continuity=True
            )
            u, p = float(res.statistic), float(res.pvalue)
        rows += [
            dict(
                group_level=a,
                variable_level=WILCOXON,
                stat_name=name,
                stat=value,
                method="wilcoxon",
            )
            for name, value in (("statistic", u), ("p_value", p))
        ]
    return rows


def _not_all_equal(values: np.ndarray) -> bool:
    """More than one distinct value (as ``np.unique(values).size > 1``, without sorting)."""
    if np.isnan(values).any():
        return np.unique(values).size > 1
    return bool(values.min() != values.max())


def data_decimals(values: pd.Series | np.ndarray, max_decimals: int = 3) -> int:
    """Decimals of the raw data: the fewest (up to ``max_decimals``) that represent every
    non-missing value, allowing for binary floating-point noise (``8.549999999999999``).

    Sets the printed precision of a BDS parameter when the study file gives none (mean and
    median one more decimal, SD two more, min/max as the data).
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    for d in range(max_decimals + 1):
        if np.all(np.abs(x - np.round(x, d)) <= 1e-8 * np.maximum(1.0, np.abs(x))):
            return d
    return max_decimals
