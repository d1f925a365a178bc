"""Occurrence counts (OCCDS): medications, medical history and protocol deviations by class
and term.

The counting is the adverse-event hierarchy's (:func:`csrgen.analyses.safety.ard_hierarchy`),
with each nested row keyed by its parents, since a medication may be coded to several ATC
classes and a deviation term may be major in one category and minor in another.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from csrgen.analyses.safety import PATH_SEP, ard_hierarchy

__all__ = ["PATH_SEP", "ard_occurrences"]


def ard_occurrences(
    subjects: pd.DataFrame,
    records: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    any_variable: str,
    levels: Sequence[str],
    group_var: str,
    total_label: str = "Total",
    total: bool = True,
    top_levels: Sequence[str] = (),
) -> pd.DataFrame:
    """Subjects with at least one record, overall and by each level of ``levels``.

    Parameters
    ----------
    subjects : one row per subject of the analysis population, arm in ``arm``.
    records : the records to count (already selected: e.g. the concomitant medications) of
        those subjects: ``USUBJID``, ``arm`` and the ``levels`` variables, blanks labelled.
    any_variable : the ARD ``variable`` of the any-record row (``CONMED``, ``ANY_MH``).
    levels : the hierarchy, outermost first: ``[CMCLAS, CMDECOD]``, ``[MHBODSYS, MHDECOD]``,
        ``[DVSCAT, DVCAT, DVDECOD]``.
    top_levels : outermost values shown even without records (``["MAJOR", "MINOR"]``).

    Returns
    -------
    ARD rows, method ``count``. Population: ``subjects``; denominator ``N`` per arm (and
    Total), subjects without records included. Per row and arm: ``n`` = subjects with at least
    one record in the row (a subject with several records, or a medication taken twice, is
    counted once per row), ``pct`` = 100 n / N (NaN when N = 0), ``n_records`` = records.
    Rows: the any-record row (``variable = any_variable``), then one per value of each level
    (``variable`` = the level's variable, ``variable_level`` = the value; ``param`` = the
    parent values joined by :data:`PATH_SEP`, "" for the outermost level). An arm without
    records in a row gets ``n = 0``. No test is made (descriptive tables).

    References
    ----------
    ICH E3 (1995) sections 10.2 (protocol deviations), 11.2 (baseline characteristics, medical
    history and concomitant medication) and 14.1; CDISC ADaM OCCDS v1.1 (2021).
    """
    ard = ard_hierarchy(
        subjects,
        records,
        arm,
        arms,
        any_variable,
        levels,
        group_var,
        total_label=total_label,
        total=total,
        nested_param=True,
        top_levels=top_levels,
    )
    return ard.assign(method="count")
