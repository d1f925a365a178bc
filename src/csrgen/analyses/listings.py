"""Counts behind a patient data listing: how many subjects and records it lists, by arm.

A listing prints data, not statistics; these rows make its size checkable in ``ard.csv`` (a QC
diff between two data locks shows a listing that grew) and give the population line its N.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from csrgen.ard import ard_frame


def ard_listed(
    subjects: pd.DataFrame,
    records: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    group_var: str,
    total: bool = True,
    total_label: str = "Total",
) -> pd.DataFrame:
    """Population size and listed subjects/records by arm.

    Parameters
    ----------
    subjects : ADSL rows of the listing's population, arm in ``arm``.
    records : the listed rows (after filters), with ``USUBJID`` and ``arm``.

    Returns
    -------
    ARD rows: ``N`` (population, ``variable=""``); ``variable="LISTED"``: ``n`` subjects with
    at least one listed row and ``n_records`` rows, per arm and Total. Method: counts.
    Reference: ICH E3 section 16.2 (patient data listings).
    """
    rows: list[dict] = []
    groups = [(level, subjects[arm] == level, records[arm] == level) for level in arms]
    if total:
        groups.append(
            (
                total_label,
                pd.Series(True, index=subjects.index),
                pd.Series(True, index=records.index),
            )
        )
    for level, in_pop, listed in groups:
        common = dict(group_var=group_var, group_level=level, method="count")
        rows.append(dict(common, variable="", stat_name="N", stat=float(in_pop.sum())))
        mine = records.loc[listed.to_numpy()]
        rows.append(
            dict(common, variable="LISTED", stat_name="n", stat=float(mine["USUBJID"].nunique()))
        )
        rows.append(dict(common, variable="LISTED", stat_name="n_records", stat=float(len(mine))))
    return ard_frame(rows)
