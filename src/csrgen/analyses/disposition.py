"""Subject disposition and deaths: counts of subjects by arm, one row of ADSL per subject.

Which ADSL variables mean "randomized", "completed the treatment phase", "discontinued the study"
and so on differs between studies (EOTSTT/DCTREAS in one, COMP24FL or DCDECOD in another); the
caller passes them as :class:`Category` rules read from the study file. Deaths come from ADSL
(death flag, date and cause) or, where ADSL has no date or cause (the CDISC pilot), from the
fatal adverse-event record (:func:`death_records`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csrgen import expr
from csrgen.ard import ard_frame


@dataclass(frozen=True)
class Category:
    """A disposition category: the subjects whose ADSL ``var`` holds one of ``values``.

    ``var`` empty means every subject; ``values`` empty means "``var`` is not missing" (a date,
    a number or a non-blank text). ``where`` is an expression over ADSL (:mod:`csrgen.expr`)
    that must hold as well. ``reasons_var`` breaks the category's subjects down by its values
    (``reasons`` gives their order; values not listed follow alphabetically).
    """

    id: str
    var: str = ""
    values: tuple[str, ...] = ()
    reasons_var: str = ""
    reasons: tuple[str, ...] = ()
    where: str = ""


def present(series: pd.Series) -> pd.Series:
    """True where a value is recorded: non-blank text, a number, a date."""
    if series.dtype == object:
        return series.fillna("").astype(str).str.strip() != ""
    return series.notna()


def matches(frame: pd.DataFrame, var: str, values: Sequence[str]) -> pd.Series:
    """Rows whose ``var`` equals one of ``values`` (text compared stripped; numbers by value)."""
    if not var:
        return pd.Series(True, index=frame.index)
    series = frame[var]
    if not values:
        return present(series)
    if pd.api.types.is_numeric_dtype(series):
        wanted = [float(v) for v in values]
        return series.isin(wanted)
    return series.fillna("").astype(str).str.strip().isin([str(v) for v in values])


def in_category(frame: pd.DataFrame, cat: Category) -> np.ndarray:
    """Rows of ``frame`` in a category: ``var`` holds one of ``values`` and ``where`` holds."""
    mask = matches(frame, cat.var, cat.values).to_numpy()
    if cat.where:
        mask = mask & expr.evaluate(expr.parse(cat.where), frame)
    return mask


def _groups(subjects: pd.DataFrame, arm: str, arms: Sequence[str], total: bool, total_label: str):
    groups = [(level, (subjects[arm] == level).to_numpy()) for level in arms]
    if total:
        groups.append((total_label, np.ones(len(subjects), dtype=bool)))
    return groups


def _pct(n: float, big_n: float) -> float:
    return 100.0 * n / big_n if big_n else float("nan")


def ard_disposition(
    subjects: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    denominator: Category,
    categories: Sequence[Category],
    group_var: str,
    total: bool = True,
    total_label: str = "Total",
) -> pd.DataFrame:
    """Subjects per disposition category and reason, by arm (and Total).

    Parameters
    ----------
    subjects : ADSL rows of the output's population, one per subject, arm in ``arm``.
    denominator : the category every percentage is based on (randomized subjects); only its
        subjects are counted in the other categories, so no percentage exceeds 100.
    categories : the other rows of the table, in any order.

    Returns
    -------
    ARD rows. Population: the denominator subjects. ``N`` per arm (``variable=""``) = the
    denominator count. Per category (``variable`` = its id): ``n`` subjects and ``pct`` = 100 n /
    N. Per reason (``variable`` = the reasons variable, ``variable_level`` = the reason): ``n``
    and ``pct`` of N; ``n_miss`` = subjects of the category with no recorded reason. A subject
    is one ADSL row, so it is counted at most once per category and once per reasons variable.
    An arm with no subject gets ``N = 0``, ``n = 0`` and a NaN percentage.

    Method: counts; no test (ICH E3 section 10.1 asks for the numbers, not a comparison).
    Reference: ICH E3, Structure and Content of Clinical Study Reports, section 10.1 and
    Table 14.1.
    """
    base = subjects.loc[in_category(subjects, denominator)]
    rows: list[dict] = []

    def add(level, variable, stat_name, stat, variable_level=""):
        rows.append(
            dict(
                group_var=group_var,
                group_level=level,
                variable=variable,
                variable_level=variable_level,
                stat_name=stat_name,
                stat=stat,
                method="count",
            )
        )

    groups = _groups(base, arm, arms, total, total_label)
    for level, mask in groups:
        add(level, "", "N", float(mask.sum()))
    for cat in categories:
        inside = in_category(base, cat)
        for level, mask in groups:
            big_n = float(mask.sum())
            n = float((inside & mask).sum())
            add(level, cat.id, "n", n)
            add(level, cat.id, "pct", _pct(n, big_n))
        if cat.reasons_var:
            reasons = base[cat.reasons_var].fillna("").astype(str).str.strip()
            levels = reason_levels(reasons[inside], cat.reasons)
            for level, mask in groups:
                big_n = float(mask.sum())
                mine = reasons[inside & mask]
                for reason in levels:
                    n = float((mine == reason).sum())
                    add(level, cat.reasons_var, "n", n, reason)
                    add(level, cat.reasons_var, "pct", _pct(n, big_n), reason)
                add(level, cat.reasons_var, "n_miss", float((mine == "").sum()))
    return ard_frame(rows)


def ard_screening(
    adsl: pd.DataFrame, categories: Sequence[Category], group_var: str, total_label: str
) -> pd.DataFrame:
    """Subjects per category among every ADSL record (screened subjects), whatever their arm.

    Parameters
    ----------
    adsl : every ADSL record, one per subject screened (screen failures included).
    categories : rules over ADSL ("Screened": every record; "Screen failures":
        ``ARM == "Screen Failure"``).

    Returns
    -------
    ARD rows with ``group_level`` = ``total_label`` (a screen failure has no arm):
    ``variable`` = the category's id, ``n`` = subjects. No percentage (the table's percentages
    are of the randomized subjects, of which screen failures are none).

    Method: counts. Reference: ICH E3 section 10.1 (numbers screened and randomized).
    """
    rows = [
        dict(
            group_var=group_var,
            group_level=total_label,
            variable=cat.id,
            stat_name="n",
            stat=float(in_category(adsl, cat).sum()),
            method="count",
        )
        for cat in categories
    ]
    return ard_frame(rows)


def reason_levels(values: pd.Series, order: Sequence[str]) -> list[str]:
    """``order`` first, then any other recorded value alphabetically (blank is not a reason)."""
    seen = sorted(set(values) - {""} - set(order))
    return list(order) + seen


# -- deaths -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeathSource:
    """Where a study records deaths. ADSL ``flag`` ('Y') says who died; the date and the cause
    come from ADSL ``date_var``/``cause_var`` or, when those are empty, from the subject's
    earliest adverse-event record with ``ae_flag`` = 'Y' (date ``ae_date_var``, cause
    ``ae_cause_var``)."""

    flag: str = "DTHFL"
    date_var: str = "DTHDT"
    cause_var: str = "DTHCAUS"
    ae_flag: str = "AESDTH"
    ae_date_var: str = "AENDT"
    ae_cause_var: str = "AEDECOD"
    #: Deaths up to this many days after the last dose (TRTEDT) count as in the treatment period.
    days_after_treatment: int = 0
    start_var: str = "TRTSDT"
    end_var: str = "TRTEDT"

    @property
    def needs_adae(self) -> bool:
        return not self.date_var or not self.cause_var


def death_records(
    subjects: pd.DataFrame, source: DeathSource, adae: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per subject who died: ``USUBJID``, ``DTHDT``, ``DTHCAUS``, ``DTHDY``, ``ONTRT``.

    ``DTHDY`` is the study day of death relative to the first dose (day 1 = ``start_var``; no
    day 0). ``ONTRT`` is 'Y' when ``start_var <= DTHDT <= end_var + days_after_treatment``,
    'N' when the date is outside, '' when the date or the treatment dates are unknown (such a
    death is counted in the whole study but not in the treatment period).
    """
    dead = subjects.loc[subjects[source.flag].fillna("").astype(str).str.strip() == "Y"].copy()
    date = dead[source.date_var] if source.date_var else pd.Series(pd.NaT, index=dead.index)
    cause = dead[source.cause_var] if source.cause_var else pd.Series("", index=dead.index)
    if source.needs_adae and adae is not None and len(dead):
        fatal = adae.loc[
            (adae[source.ae_flag].fillna("").astype(str).str.strip() == "Y")
            & adae["USUBJID"].isin(dead["USUBJID"])
        ]
        # The earliest fatal event is the cause; later ones (rare) would double-count a death.
        first = fatal.sort_values(
            ["USUBJID", source.ae_date_var], kind="mergesort", na_position="last"
        ).drop_duplicates("USUBJID")
        by_subject = first.set_index("USUBJID")
        ids = dead["USUBJID"]
        if not source.date_var:
            date = ids.map(by_subject[source.ae_date_var])
        if not source.cause_var:
            cause = ids.map(by_subject[source.ae_cause_var]).fillna("")
    out = pd.DataFrame(
        {
            "USUBJID": dead["USUBJID"],
            "DTHDT": pd.to_datetime(date),
            "DTHCAUS": cause.fillna("").astype(str).str.strip(),
        },
        index=dead.index,
    )
    start = pd.to_datetime(dead[source.start_var]) if source.start_var in dead else None
    end = pd.to_datetime(dead[source.end_var]) if source.end_var in dead else None
    if start is not None:
        days = (out["DTHDT"] - start).dt.days
        out["DTHDY"] = np.where(days >= 0, days + 1, days).astype(float)
        out.loc[out["DTHDT"].isna() | start.isna(), "DTHDY"] = np.nan
    else:
        out["DTHDY"] = np.nan
    if start is not None and end is not None:
        limit = end + pd.to_timedelta(source.days_after_treatment, unit="D")
        known = out["DTHDT"].notna() & start.notna() & end.notna()
        inside = (out["DTHDT"] >= start) & (out["DTHDT"] <= limit)
        out["ONTRT"] = np.where(known, np.where(inside, "Y", "N"), "")
    else:
        out["ONTRT"] = ""
    return out.reset_index(drop=True)


def ard_deaths(
    subjects: pd.DataFrame,
    deaths: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    group_var: str,
    causes: Sequence[str] = (),
    total: bool = True,
    total_label: str = "Total",
) -> pd.DataFrame:
    """Deaths by arm, in the whole study and within the treatment period, and by cause.

    Parameters
    ----------
    subjects : ADSL rows of the population (safety), arm in ``arm``.
    deaths : :func:`death_records` of those subjects.
    causes : cause order; other recorded causes follow alphabetically.

    Returns
    -------
    ARD rows. Denominator ``N`` = subjects of the arm. ``variable="DEATH"``: ``n`` subjects who
    died and ``pct`` = 100 n / N, with ``timepoint=""`` (whole study) and ``"treatment"``
    (``ONTRT`` = 'Y'). ``variable="DTHCAUS"``, ``variable_level`` = cause: ``n``, ``pct`` for the
    same two timepoints; ``n_miss`` = deaths without a recorded cause. A subject dies once, so
    each death is counted once per timepoint and under one cause. Deaths with an unknown date
    count in the whole study only.

    Method: counts. Reference: ICH E3 section 12.3.1.1 (listing and summary of deaths).
    """
    rows: list[dict] = []

    def add(level, variable, stat_name, stat, variable_level="", timepoint=""):
        rows.append(
            dict(
                group_var=group_var,
                group_level=level,
                variable=variable,
                variable_level=variable_level,
                timepoint=timepoint,
                stat_name=stat_name,
                stat=stat,
                method="count",
            )
        )

    died = deaths.set_index("USUBJID")
    ids = subjects["USUBJID"]
    is_dead = ids.isin(died.index).to_numpy()
    cause = ids.map(died["DTHCAUS"]).fillna("").to_numpy()
    ontrt = ids.map(died["ONTRT"]).fillna("").to_numpy() == "Y"
    levels = reason_levels(pd.Series(cause[is_dead]), causes)
    groups = _groups(subjects, arm, arms, total, total_label)
    for level, mask in groups:
        add(level, "", "N", float(mask.sum()))
    for timepoint, which in (("", is_dead), ("treatment", is_dead & ontrt)):
        for level, mask in groups:
            big_n = float(mask.sum())
            n = float((which & mask).sum())
            add(level, "DEATH", "n", n, timepoint=timepoint)
            add(level, "DEATH", "pct", _pct(n, big_n), timepoint=timepoint)
            for c in levels:
                k = float((which & mask & (cause == c)).sum())
                add(level, "DTHCAUS", "n", k, c, timepoint)
                add(level, "DTHCAUS", "pct", _pct(k, big_n), c, timepoint)
            add(
                level,
                "DTHCAUS",
                "n_miss",
                float((which & mask & (cause == "")).sum()),
                "",
                timepoint,
            )
    return ard_frame(rows)
