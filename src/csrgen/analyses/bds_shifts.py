"""Shift tables (laboratory values, vital signs, ECG): baseline reference-range category
against the worst post-baseline one.

Categories are LOW / NORMAL / HIGH relative to the reference range. They are read from an
indicator variable (ANRIND/BNRIND) or derived from the value and the range limits
(:func:`range_category`), as the study file says: in the CDISC pilot's ADLBC, ANRIND holds a
threshold category (above 1.5 x ULN), not the reference-range category, so there the category is
derived from AVAL, A1LO and A1HI.

"Worst" post-baseline category (the rule the footnote states):

* HIGH if any post-baseline value is high and none is low; LOW if any is low and none is high;
* LOW AND HIGH if the subject has both low and high post-baseline values (its own column, so that
  no subject is hidden under one direction and each subject is counted exactly once);
* NORMAL when every post-baseline value is within the range.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from csrgen.ard import ard_frame

LOW, NORMAL, HIGH = "LOW", "NORMAL", "HIGH"
BOTH = "LOW AND HIGH"
MISSING = "MISSING"
#: Baseline rows and worst post-baseline columns, in display order.
BASELINE_LEVELS = (LOW, NORMAL, HIGH, MISSING)
WORST_LEVELS = (LOW, NORMAL, HIGH, BOTH)


def range_category(value: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    """LOW below ``low``, HIGH above ``high``, NORMAL within (limits inclusive); '' if unknown.

    A missing limit leaves that side open (a range with only an upper limit, e.g. bilirubin,
    can still be HIGH); a missing value gives ''.
    """
    value = pd.to_numeric(value, errors="coerce")
    low = pd.to_numeric(low, errors="coerce")
    high = pd.to_numeric(high, errors="coerce")
    is_low = (value < low).to_numpy()
    is_high = (value > high).to_numpy()
    both_limits_missing = (low.isna() & high.isna()).to_numpy()
    out = np.where(is_low, LOW, np.where(is_high, HIGH, NORMAL))
    out = np.where(value.isna().to_numpy() | both_limits_missing, "", out)
    return pd.Series(out, index=value.index, dtype=object)


def indicator_category(indicator: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """An indicator variable's values mapped to LOW/NORMAL/HIGH ('' for anything else)."""
    full = {LOW: LOW, NORMAL: NORMAL, HIGH: HIGH, "L": LOW, "N": NORMAL, "H": HIGH}
    full.update({k.upper(): v for k, v in mapping.items()})
    # Each distinct value is read once (a BDS dataset has millions of records, a few codes).
    codes, distinct = pd.factorize(indicator)
    text = pd.Series(distinct, dtype=object).fillna("").astype(str).str.strip().str.upper()
    category = np.array([full.get(v, "") for v in text] + [full.get("", "")], dtype=object)
    return pd.Series(category[codes], index=indicator.index, dtype=object)


def worst_category(categories: pd.Series) -> str:
    """The worst of a subject's post-baseline categories by the module rule ('' if none)."""
    seen = set(categories) - {""}
    if LOW in seen and HIGH in seen:
        return BOTH
    for level in (HIGH, LOW, NORMAL):
        if level in seen:
            return level
    return ""


def subject_shifts(baseline: pd.DataFrame, post: pd.DataFrame) -> pd.DataFrame:
    """One row per subject and parameter (and timepoint) with a categorised post-baseline value.

    ``baseline`` and ``post`` hold ``USUBJID``, ``PARAMCD``, ``CAT`` and optionally
    ``TIMEPOINT`` (a parameter measured at several timepoints, e.g. ATPT: one shift each).
    Returns ``USUBJID``, ``PARAMCD``, ``TIMEPOINT`` ("" without), ``BASE_CAT`` (MISSING
    without a categorised baseline) and ``WORST``.
    """
    baseline, post = _with_timepoint(baseline), _with_timepoint(post)
    keys = ["USUBJID", "PARAMCD", "TIMEPOINT"]
    cat = post["CAT"].to_numpy()
    use = cat != ""
    if not use.any():
        return pd.DataFrame(columns=[*keys, "BASE_CAT", "WORST"])
    # worst_category of every subject and parameter at once: which categories each has.
    cat = cat[use]
    seen = (
        pd.DataFrame(
            {
                **{k: post[k].to_numpy()[use] for k in keys},
                LOW: cat == LOW,
                HIGH: cat == HIGH,
                NORMAL: cat == NORMAL,
            }
        )
        .groupby(keys, sort=True)[[LOW, HIGH, NORMAL]]
        .any()
    )
    low, high, normal = (seen[c].to_numpy() for c in (LOW, HIGH, NORMAL))
    worst = seen.index.to_frame(index=False)
    worst["WORST"] = np.select(
        [low & high, high, low, normal], [BOTH, HIGH, LOW, NORMAL], default=""
    ).astype(object)
    has = (baseline["CAT"] != "").to_numpy()
    base = pd.DataFrame({k: baseline[k].to_numpy()[has] for k in [*keys, "CAT"]})
    out = worst.merge(base.drop_duplicates(keys), on=keys, how="left")
    out = out.rename(columns={"CAT": "BASE_CAT"})
    out["BASE_CAT"] = out["BASE_CAT"].fillna(MISSING)
    return out[[*keys, "BASE_CAT", "WORST"]]


def _with_timepoint(frame: pd.DataFrame) -> pd.DataFrame:
    return frame if "TIMEPOINT" in frame.columns else frame.assign(TIMEPOINT="")


def ard_bds_shift(
    shifts: pd.DataFrame,
    subjects: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    params: Sequence[str | tuple[str, str]],
    group_var: str,
) -> pd.DataFrame:
    """Shift counts: baseline category by worst post-baseline category, per parameter and arm.

    Parameters
    ----------
    shifts : :func:`subject_shifts` rows (one per subject and parameter).
    subjects : ADSL rows of the population (safety), arm in ``arm``; defines ``N``.
    params : PARAMCDs in display order (a parameter without data still gets zero rows), or
        (PARAMCD, timepoint) pairs for parameters measured at several timepoints.

    Returns
    -------
    ARD rows, ``param`` = PARAMCD, ``timepoint`` = the timepoint ("" without). ``N`` per arm
    (population, ``param=""``). Per parameter and
    arm: ``variable="WORST"``, ``variable_level=""``: ``n`` evaluable subjects (at least one
    categorised post-baseline value), the denominator of every percentage of that parameter and
    arm; ``variable="WORST"``, level = worst category: ``n``, ``pct``; ``variable="BNRIND"``,
    level = baseline category (MISSING: no categorised baseline value): ``n``, ``pct``;
    ``variable="SHIFT"``, level ``"<baseline>/<worst>"``: ``n``, ``pct``. A subject is counted
    once per parameter. Subjects without post-baseline values are not evaluable (not counted).

    Method: counts. Reference: ICH E3 section 12.4.2.2 (shift tables); the worst-category rule is
    the module docstring's.
    """
    rows: list[dict] = []

    def add(level, variable, stat_name, stat, variable_level="", key=("", "")):
        rows.append(
            dict(
                group_var=group_var,
                group_level=level,
                variable=variable,
                variable_level=variable_level,
                param=key[0],
                timepoint=key[1],
                stat_name=stat_name,
                stat=stat,
                method="count",
            )
        )

    for level in arms:
        add(level, "", "N", float((subjects[arm] == level).sum()))
    # Counts of every (parameter, arm, baseline, worst) combination in one pass; the margins
    # (evaluable subjects, worst and baseline totals) are sums of these cells.
    arm_of = subjects.set_index("USUBJID")[arm].astype(object)
    shifts = _with_timepoint(shifts)
    cells = (
        pd.DataFrame(
            {
                "KEY": list(
                    zip(
                        shifts["PARAMCD"].astype(object).to_numpy(),
                        shifts["TIMEPOINT"].astype(object).to_numpy(),
                        strict=True,
                    )
                ),
                "ARM": shifts["USUBJID"].map(arm_of).astype(object).to_numpy(),
                "BASE_CAT": shifts["BASE_CAT"].astype(object).to_numpy(),
                "WORST": shifts["WORST"].astype(object).to_numpy(),
            }
        )
        .groupby(["KEY", "ARM", "BASE_CAT", "WORST"], dropna=False)
        .size()
    )
    n_eval: dict = {}
    n_worst: dict = {}
    n_base: dict = {}
    n_shift: dict = {}
    for (key, level, b, w), k in cells.items():
        n_eval[key, level] = n_eval.get((key, level), 0) + k
        n_worst[key, level, w] = n_worst.get((key, level, w), 0) + k
        n_base[key, level, b] = n_base.get((key, level, b), 0) + k
        n_shift[key, level, b, w] = k
    for key in (p if isinstance(p, tuple) else (p, "") for p in params):
        for level in arms:
            n = float(n_eval.get((key, level), 0))
            add(level, "WORST", "n", n, key=key)

            def pct(k: float, n: float = n) -> float:
                return 100.0 * k / n if n else float("nan")

            for w in WORST_LEVELS:
                k = float(n_worst.get((key, level, w), 0))
                add(level, "WORST", "n", k, w, key)
                add(level, "WORST", "pct", pct(k), w, key)
            for b in BASELINE_LEVELS:
                k = float(n_base.get((key, level, b), 0))
                add(level, "BNRIND", "n", k, b, key)
                add(level, "BNRIND", "pct", pct(k), b, key)
                for w in WORST_LEVELS:
                    k = float(n_shift.get((key, level, b, w), 0))
                    add(level, "SHIFT", "n", k, f"{b}/{w}", key)
                    add(level, "SHIFT", "pct", pct(k), f"{b}/{w}", key)
    return ard_frame(rows)
