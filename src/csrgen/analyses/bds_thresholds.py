"""Categorical thresholds of a BDS parameter: subjects whose worst post-baseline value, or worst
change from baseline, passes each threshold (e.g. QTcF > 450, > 480, > 500 ms; increase
> 30, > 60 ms; systolic blood pressure > 160 mmHg).

"Worst" is the maximum for thresholds above (``>``) and the minimum for thresholds below
(``<``), over every post-baseline record of the subject and parameter (scheduled or not), so a
subject counts once per threshold, and under every threshold that their worst value passes
(the categories are cumulative: a QTcF of 490 ms counts under > 450 and > 480).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from csrgen.ard import ard_frame
from csrgen.formatting import fmt_level


@dataclass(frozen=True)
class Threshold:
    """One category: the value (``AVAL``) or the change (``CHG``) beyond ``value``."""

    variable: Literal["AVAL", "CHG"]
    direction: Literal[">", "<"]
    value: float

    @property
    def level(self) -> str:
        """The ARD ``variable_level``: ``"> 450"``, ``"< -20"``."""
        return f"{self.direction} {fmt_level(self.value)}"


def ard_bds_thresholds(
    records: pd.DataFrame,
    subjects: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    criteria: Sequence[tuple[tuple[str, str], Sequence[Threshold]]],
    group_var: str,
) -> pd.DataFrame:
    """n (%) of subjects whose worst post-baseline value or change passes each threshold.

    Parameters
    ----------
    records : post-baseline records of the population: ``USUBJID``, ``PARAMCD``, ``TIMEPOINT``
        ("" without timepoints), ``AVAL``, ``CHG`` (as in the data, never re-derived).
    subjects : one row per subject of the population, arm in ``arm``; defines ``N``.
    arm, arms : arm column and its levels in display order.
    criteria : per (PARAMCD, timepoint) in display order, its thresholds in display order.
    group_var : the ADaM arm variable written to ``group_var``.

    Returns
    -------
    ARD rows (method ``count``): ``N`` per arm (population); per parameter, timepoint
    (``param``, ``timepoint``) and arm, for each variable used (``AVAL``, ``CHG``):
    ``variable_level=""``: ``n`` evaluable subjects, those with at least one non-missing
    post-baseline value of the variable, the denominator; ``variable_level`` = the threshold
    (``"> 450"``): ``n`` subjects whose worst value passes it (strictly) and ``pct`` of the
    evaluable subjects (NaN when none is evaluable). Missing values are ignored, not imputed.

    References
    ----------
    ICH E14 (2005), section 3.2.2 (categorical analysis of QT/QTc: > 450, > 480, > 500 ms;
    increases > 30 and > 60 ms).
    """
    rows: list[dict] = []

    def add(level, stat_name, stat, key=("", ""), variable="", variable_level=""):
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

    arm_of = subjects.set_index("USUBJID")[arm].astype(object)
    counts = subjects[arm].astype(object).value_counts()
    for level in arms:
        add(level, "N", float(counts.get(level, 0)))
    frame = pd.DataFrame(
        {
            "USUBJID": records["USUBJID"].to_numpy(),
            "KEY": list(
                zip(
                    records["PARAMCD"].astype(object).to_numpy(),
                    records["TIMEPOINT"].astype(object).to_numpy(),
                    strict=True,
                )
            ),
            "AVAL": records["AVAL"].to_numpy(dtype=float),
            "CHG": records["CHG"].to_numpy(dtype=float),
        }
    )
    # Each subject's worst values per parameter: maximum and minimum of AVAL and CHG.
    worst = frame.groupby(["KEY", "USUBJID"], sort=False)[["AVAL", "CHG"]].agg(["max", "min"])
    worst = worst.reset_index()
    worst["ARM"] = worst["USUBJID"].map(arm_of).to_numpy()
    by_key = dict(tuple(worst.groupby("KEY", sort=False)))
    for key, thresholds in criteria:
        part = by_key.get(key, worst.iloc[:0])
        for variable in dict.fromkeys(t.variable for t in thresholds):
            highest = part[(variable, "max")].to_numpy(dtype=float)
            lowest = part[(variable, "min")].to_numpy(dtype=float)
            evaluable = ~np.isnan(highest)
            mine = [t for t in thresholds if t.variable == variable]
            for level in arms:
                in_arm = (part["ARM"] == level).to_numpy() & evaluable
                n = float(in_arm.sum())
                add(level, "n", n, key, variable)
                for t in mine:
                    passed = highest > t.value if t.direction == ">" else lowest < t.value
                    k = float((in_arm & passed).sum())
                    add(level, "n", k, key, variable, t.level)
                    add(level, "pct", 100.0 * k / n if n else float("nan"), key, variable, t.level)
    return ard_frame(rows)
