"""What the occurrence datasets (ADMH, ADCM, ADDV) share: subject groups, dates, terms, order.

Records are made per spec (a few dozen specs, never a loop over subjects) as dicts of equal-
length arrays with day offsets from day 1 (0 = day 1, negative = before it; ``NaN`` = unknown or
ongoing), then concatenated, sorted and turned into ADaM columns by :func:`finish`.
"""

from __future__ import annotations

import numpy as np

from csrgen.simulate.metadata import Columns
from csrgen.simulate.params import SimulationParameters


def subject_groups(bl: dict, n: int) -> dict[str, np.ndarray]:
    """Masks of the subject groups specs refer to (``params_history.GROUPS``)."""
    antiviral = np.asarray(bl["antiviral"], dtype=bool)
    ascites = np.asarray(bl["ascites_grade"]) > 0
    enceph = np.asarray(bl["enceph"]) > 0
    return {
        "all": np.ones(n, dtype=bool),
        "antiviral": antiviral,
        "no_antiviral": ~antiviral,
        "ascites": ascites,
        "no_ascites": ~ascites,
        "enceph": enceph,
        "no_enceph": ~enceph,
    }


def study_day(off: np.ndarray) -> np.ndarray:
    """CDISC study day of a day offset from day 1: offset + 1 from day 1 on, no day 0."""
    off = np.asarray(off, dtype=float)
    return np.where(off >= 0, off + 1.0, off)


def pick_terms(terms: tuple[str, ...], m: int, rng: np.random.Generator) -> np.ndarray:
    """``m`` verbatim terms drawn uniformly from ``terms``."""
    options = np.array(terms, dtype=object)
    return options[np.floor(rng.random(m) * options.size).astype(np.int64)]


def days_before(years_min: float, years_max: float, m: int, rng: np.random.Generator):
    """Negative day offsets between ``years_max`` and ``years_min`` years before day 1."""
    years = years_min + (years_max - years_min) * rng.random(m)
    return -np.maximum(1, np.round(years * 365.25)).astype(np.int64)


def partial_dates(
    start: np.ndarray,
    day1: np.ndarray,
    params: SimulationParameters,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Start dates as recorded: the dates (``datetime64[D]``, NaT when unknown) and ASTDTF.

    A start more than a year before day 1 is, with ``p_partial_date``, known to the month only
    (imputed to the 1st, ASTDTF "D") and, of those, with ``p_year_only`` to the year only
    (imputed to 1 January, ASTDTF "M"): the imputed date is never after the true one, so a
    start before day 1 stays before it. ``start`` NaN stays unknown (ASTDT blank).
    """
    known = ~np.isnan(start)
    off = np.nan_to_num(start).astype(np.int64)
    date = day1 + off
    old = known & (start < -365)
    partial = old & (rng.random(start.size) < params.p_partial_date)
    year_only = partial & (rng.random(start.size) < params.p_year_only)
    month_start = date.astype("datetime64[M]").astype("datetime64[D]")
    year_start = date.astype("datetime64[Y]").astype("datetime64[D]")
    date = np.where(year_only, year_start, np.where(partial, month_start, date))
    flag = np.where(year_only, "M", np.where(partial, "D", "")).astype(object)
    return np.where(known, date, np.datetime64("NaT")), flag


def concat(parts: list[dict]) -> dict[str, np.ndarray]:
    """One dict of arrays from the parts (all with the same keys)."""
    keys = parts[0].keys()
    return {k: np.concatenate([np.asarray(p[k]) for p in parts]) for k in keys}


def order(subj: np.ndarray, start: np.ndarray, name: np.ndarray) -> np.ndarray:
    """Row order: subject, start (unknown first: it may be the earliest), then name."""
    known_start = np.where(np.isnan(start), -np.inf, start)
    return np.lexsort((name.astype(str), known_start, subj))


def sequence(subj: np.ndarray) -> np.ndarray:
    """1, 2, ... within each subject of rows sorted by subject (the --SEQ variable)."""
    first = np.searchsorted(subj, subj, side="left")
    return (np.arange(subj.size) - first + 1).astype(float)


def offset_dates(day1: np.ndarray, off: np.ndarray) -> np.ndarray:
    """Dates of day offsets (NaN offsets give NaT)."""
    known = ~np.isnan(off)
    dates = day1 + np.nan_to_num(off).astype(np.int64)
    return np.where(known, dates, np.datetime64("NaT")).astype("datetime64[ns]")


def date_offsets(dates: np.ndarray, day1: np.ndarray) -> np.ndarray:
    """Day offsets from day 1 of dates (NaT gives NaN)."""
    dates = np.asarray(dates).astype("datetime64[D]")
    off = (dates - day1).astype(np.int64).astype(float)
    return np.where(np.isnat(dates), np.nan, off)


def keys_of(keys: Columns, subj: np.ndarray) -> Columns:
    """STUDYID and USUBJID of the rows' subjects."""
    return {"STUDYID": keys["STUDYID"][subj], "USUBJID": keys["USUBJID"][subj]}
