"""The Analysis Results Dataset (ARD): one long, tidy table of unrounded numbers.

Every statistic in the CSR is first a row here, then a formatted cell. The columns are a contract
(``../shared/DESIGN.md``), in this order::

    output_id, group_var, group_level, variable, variable_level, param, timepoint, stat_name, stat

followed by ``method`` (an extension: the statistical method behind the row, e.g. ``fisher``).
Text columns hold ``""`` when not applicable; ``stat`` is a float (NaN when not estimable).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ARD_COLUMNS: tuple[str, ...] = (
    "output_id",
    "group_var",
    "group_level",
    "variable",
    "variable_level",
    "param",
    "timepoint",
    "stat_name",
    "stat",
    "method",
)
TEXT_COLUMNS = tuple(c for c in ARD_COLUMNS if c != "stat")

#: The stat_name vocabulary of DESIGN.md plus the extensions csrgen writes. Keep meanings stable.
STAT_NAMES = frozenset(
    {
        "N",
        "n",
        "pct",
        "mean",
        "sd",
        "median",
        "q1",
        "q3",
        "min",
        "max",
        "n_miss",
        "n_event",
        "n_censor",
        "n_risk",
        "surv",
        "surv_lcl",
        "surv_ucl",
        "median_time",
        "median_lcl",
        "median_ucl",
        "hr",
        "hr_lcl",
        "hr_ucl",
        "p_value",
        "lsmean",
        "lsmean_se",
        "diff",
        "diff_lcl",
        "diff_ucl",
        # extensions
        "n_records",  # number of records (events), as opposed to subjects
        "statistic",  # a test statistic (chi-square, F, ...)
        "df",  # its degrees of freedom
        "se",  # a standard error
        "lcl",
        "ucl",  # confidence limits of a mean or proportion
        "time",  # a time value (quartile of survival time, ...)
        "cuminc",
        "cuminc_lcl",
        "cuminc_ucl",  # cumulative incidence (competing risks)
        "sum",  # a total (e.g. cumulative dose)
        "pct_event",
        "pct_censor",  # subjects with an event / censored, % of subjects analysed (0-100)
        "q1_lcl",
        "q1_ucl",
        "q3_lcl",
        "q3_ucl",  # confidence limits of the KM quartiles of event time (q1: 25% with event)
    }
)


def ard_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build an ARD from dicts; missing text keys become ``""`` and ``stat`` becomes float.

    Keys outside :data:`ARD_COLUMNS` are an error (they would silently vanish otherwise).
    """
    rows = list(records)
    for row in rows:
        extra = set(row) - set(ARD_COLUMNS)
        if extra:
            raise ValueError(f"ARD record has unknown keys {sorted(extra)}: {dict(row)}")
    frame = pd.DataFrame(rows, columns=list(ARD_COLUMNS))
    return normalise(frame)


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Coerce an ARD-shaped frame to the contract types: text ``str`` (no NaN), ``stat`` float."""
    frame = frame.reindex(columns=list(ARD_COLUMNS))
    for col in TEXT_COLUMNS:
        frame[col] = frame[col].map(_text).astype(object)
    frame["stat"] = pd.to_numeric(frame["stat"], errors="raise").astype("float64")
    return frame.reset_index(drop=True)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if np.isnan(value):
            return ""
        # A numeric level (a landmark time, a visit number) is written without a spurious ".0".
        return f"{value:g}" if value == value and float(value).is_integer() else repr(value)
    return str(value)


def empty_ard() -> pd.DataFrame:
    return ard_frame([])


def concat_ard(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_ard()
    return normalise(pd.concat(frames, ignore_index=True))


def check_ard(frame: pd.DataFrame) -> list[str]:
    """Problems with an ARD's shape: column order, types, vocabulary, duplicate keys, ranges."""
    problems: list[str] = []
    if tuple(frame.columns) != ARD_COLUMNS:
        return [f"columns are {list(frame.columns)}, expected {list(ARD_COLUMNS)}"]
    for col in TEXT_COLUMNS:
        bad = frame[col].map(lambda v: not isinstance(v, str))
        if bad.any():
            problems.append(f"{col}: {int(bad.sum())} non-text values")
    if frame["stat"].dtype != np.float64:
        problems.append(f"stat: dtype {frame['stat'].dtype}, expected float64")
    unknown = sorted(set(frame["stat_name"]) - STAT_NAMES)
    if unknown:
        problems.append(f"stat_name: unknown names {unknown}")
    key = [c for c in ARD_COLUMNS if c not in ("stat", "method")]
    dup = frame.duplicated(subset=key, keep=False)
    if dup.any():
        example = frame.loc[dup, key].head(2).to_dict("records")
        problems.append(f"{int(dup.sum())} rows share a key, e.g. {example}")
    pct = frame.loc[frame["stat_name"] == "pct", "stat"]
    if ((pct < 0) | (pct > 100)).any():
        problems.append("pct outside 0-100")
    prob = frame.loc[frame["stat_name"].isin(["p_value", "surv", "surv_lcl", "surv_ucl"]), "stat"]
    if ((prob < 0) | (prob > 1)).any():
        problems.append("a probability (p_value, surv) outside 0-1")
    return problems


def write_ard(frame: pd.DataFrame, path: Path) -> None:
    """Write ``ard.csv``: full precision (shortest repr round-trip), UTF-8, LF line ends."""
    frame.to_csv(path, index=False, lineterminator="\n", float_format=None, na_rep="NA")


def read_ard(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(
        path,
        dtype={c: str for c in TEXT_COLUMNS},
        keep_default_na=False,
        na_values={"stat": ["NA"]},
    )
    return normalise(frame)


def diff_ard(old: pd.DataFrame, new: pd.DataFrame, rtol: float = 0.0) -> pd.DataFrame:
    """Compare two ARDs row by row on their key (QC, or one data lock against the next).

    Returns the rows that were added, removed or whose ``stat`` changed beyond ``rtol``, with
    ``change`` in {"added", "removed", "changed"} and ``stat_old``/``stat_new``.
    """
    key = [c for c in ARD_COLUMNS if c not in ("stat", "method")]
    merged = old[key + ["stat"]].merge(
        new[key + ["stat"]], on=key, how="outer", suffixes=("_old", "_new"), indicator=True
    )
    a, b = merged["stat_old"], merged["stat_new"]
    both_nan = a.isna() & b.isna()
    close = np.isclose(a, b, rtol=rtol, atol=0.0) | both_nan
    change = np.select(
        [merged["_merge"] == "left_only", merged["_merge"] == "right_only", ~close],
        ["removed", "added", "changed"],
        default="",
    )
    merged["change"] = change
    return merged.loc[merged["change"] != "", key + ["stat_old", "stat_new", "change"]].reset_index(
        drop=True
    )


def stat_lookup(frame: pd.DataFrame, **where: str) -> float:
    """The one ``stat`` matching ``where`` (column=value); an error if none or several match.

    Used by table builders and the synopsis so that every printed number comes from the ARD.
    """
    mask = np.ones(len(frame), dtype=bool)
    for col, value in where.items():
        mask &= (frame[col] == value).to_numpy()
    hits = frame.loc[mask, "stat"]
    if len(hits) != 1:
        raise LookupError(f"{len(hits)} ARD rows match {where}")
    return float(hits.iloc[0])
