"""Extent of exposure: per-subject exposure variables and their descriptive statistics by arm.

An exposure variable is an ADSL variable (TRTDURD, AVGDD, CUMDOSE, a number of infusions), a
duration between two ADSL dates, or a per-subject total of ADEX records (the cells/kg a subject
received over all infusions). The statistics are those of Table 1
(:func:`csrgen.analyses.baseline.ard_baseline`, without tests), so both tables read alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csrgen.analyses.baseline import BaselineVariable, ard_baseline
from csrgen.ard import concat_ard


@dataclass(frozen=True)
class ExposureVariable:
    """One block of the exposure table.

    ``source``: ``adsl`` (``var`` is an ADSL variable), ``duration`` (days from ADSL date
    ``start`` to ADSL date ``var``, both days counted) or ``adex`` (per subject, the ``aggregate``
    of ADEX ``var`` over records whose PARAMCD is in ``paramcd``: ``sum`` or ``count``).
    ``arms``: the arms it applies to (empty: all); other arms and the Total get no rows.
    ``missing_as_zero``: a subject with no ADEX record received 0 (not "missing").
    """

    name: str
    var: str
    kind: str  # continuous | categorical
    source: str = "adsl"
    start: str = ""
    paramcd: tuple[str, ...] = ()
    aggregate: str = "sum"
    levels: tuple[str, ...] = ()
    arms: tuple[str, ...] = ()
    missing_as_zero: bool = False


def exposure_values(
    subjects: pd.DataFrame, spec: ExposureVariable, adex: pd.DataFrame | None
) -> pd.Series:
    """The variable's value per subject (aligned with ``subjects``), before any statistic."""
    if spec.source == "adsl":
        values = subjects[spec.var]
    elif spec.source == "duration":
        days = (pd.to_datetime(subjects[spec.var]) - pd.to_datetime(subjects[spec.start])).dt.days
        values = (days + 1).astype(float)  # first and last day both count (ICH E3 12.1 usage)
    elif spec.source == "adex":
        records = adex if adex is not None else pd.DataFrame(columns=["USUBJID", spec.var])
        if spec.paramcd:
            records = records.loc[records["PARAMCD"].isin(spec.paramcd)]
        amount = pd.to_numeric(records[spec.var], errors="coerce")
        by = records["USUBJID"]
        per_subject = (
            amount.groupby(by).sum(min_count=1)
            if spec.aggregate == "sum"
            else amount.groupby(by).size().astype(float)
        )
        values = subjects["USUBJID"].map(per_subject)
        if spec.missing_as_zero:
            values = values.where(subjects["USUBJID"].isin(per_subject.index), 0.0)
    else:
        raise ValueError(f"unknown exposure source {spec.source!r}")
    if spec.kind == "categorical" and pd.api.types.is_numeric_dtype(values):
        # Numeric categories (0-3 infusions) are matched by value to the listed levels.
        by_value = {float(level): level for level in spec.levels}
        values = values.map(lambda v: by_value.get(float(v), "") if not np.isnan(v) else "")
    return values.reset_index(drop=True)


def ard_exposure(
    subjects: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    variables: Sequence[ExposureVariable],
    group_var: str,
    adex: pd.DataFrame | None = None,
    total: bool = True,
    total_label: str = "Total",
) -> pd.DataFrame:
    """Descriptive statistics of exposure by arm (and Total, for variables of every arm).

    Parameters
    ----------
    subjects : ADSL rows of the population (safety), arm in ``arm``.
    variables : the table's blocks; ``name`` is the ARD ``variable``.
    adex : the ADEX records (needed by ``adex`` variables).

    Returns
    -------
    ARD rows as :func:`~csrgen.analyses.baseline.ard_baseline` writes them, without tests.
    Population: ``subjects``; ``N`` per arm. Continuous: ``n``, ``n_miss``, ``mean``, ``sd``
    (n-1), ``median``, ``q1``, ``q3`` (SAS definition 5), ``min``, ``max`` of the non-missing
    values. Categorical: ``n``, ``pct`` of N per level, ``n_miss``. Missing data: a subject
    without a value is counted in ``n_miss`` (an ADEX total is 0, not missing, when
    ``missing_as_zero``). Method: descriptive statistics only.

    Reference: ICH E3 section 12.1 (extent of exposure).
    """
    frame = subjects[["USUBJID", arm]].reset_index(drop=True).copy()
    for spec in variables:
        frame[spec.name] = exposure_values(subjects, spec, adex)
    kw = dict(arm=arm, group_var=group_var, total_label=total_label, tests=False)
    parts = [ard_baseline(frame, arms=arms, variables=[], total=total, **kw)]
    for spec in variables:
        own = list(spec.arms) or list(arms)
        sub = frame.loc[frame[arm].isin(own)]
        block = ard_baseline(
            sub,
            arms=own,
            variables=[BaselineVariable(spec.name, spec.kind, spec.levels)],
            total=total and not spec.arms,
            **kw,
        )
        parts.append(block.loc[block["variable"] != ""])
    return concat_ard(parts)
