"""The Analysis Results Dataset (ARD): one long, tidy table of unrounded numbers.

Every statistic in the CSR is first a row here, then a formatted cell. The columns are a contract
(``../shared/DESIGN.md``), in this order::

    output_id, group_var, group_level, variable, variable_level, param, timepoint, stat_name, stat

followed by two extensions: ``method`` (the statistical method behind the row, e.g.
``fisher``) and ``fmt`` (how the number prints: a code of :mod:`csrgen.formatting`, resolved from
the declared formats when the output runs, as cards' ``fmt_fn`` travels with each statistic).
Text columns hold ``""`` when not applicable; ``stat`` is a float (NaN when not estimable).

Read an ARD through :class:`ArdIndex` only: one strict, indexed accessor for table builders and
the narrative alike, whose ``text`` methods print every copy of a number through its row's
format.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from csrgen import formatting as fmt

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
    "fmt",
)
TEXT_COLUMNS = tuple(c for c in ARD_COLUMNS if c != "stat")
#: The columns that identify a statistic (unique within an ARD).
KEY_COLUMNS = tuple(c for c in ARD_COLUMNS if c not in ("stat", "method", "fmt"))

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


def level_key(x: float) -> str:
    """The one spelling of a numeric key (a landmark time, a window bound) in the ARD and on
    the page: :func:`csrgen.formatting.fmt_level`."""
    return fmt.fmt_level(x)


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
        frame[col] = _texts(frame[col])
    frame["stat"] = pd.to_numeric(frame["stat"], errors="raise").astype("float64")
    return frame.reset_index(drop=True)


def _texts(column: pd.Series) -> pd.Series:
    """:func:`_text` of each value; a column that is all text already (the usual case; an ARD
    of a large study has millions of rows) is checked at C speed instead of value by value."""
    kind = pd.api.types.infer_dtype(column, skipna=False)
    if kind in ("string", "empty"):
        return column.astype(object)
    return column.map(_text).astype(object)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return ""
        # A numeric level (a landmark time, a visit number): the one spelling of fmt_level.
        return fmt.fmt_level(value)
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
        if pd.api.types.infer_dtype(frame[col], skipna=False) in ("string", "empty"):
            continue
        bad = frame[col].map(lambda v: not isinstance(v, str))
        if bad.any():
            problems.append(f"{col}: {int(bad.sum())} non-text values")
    if frame["stat"].dtype != np.float64:
        problems.append(f"stat: dtype {frame['stat'].dtype}, expected float64")
    unknown = sorted(set(frame["stat_name"]) - STAT_NAMES)
    if unknown:
        problems.append(f"stat_name: unknown names {unknown}")
    bad_fmt = sorted({c for c in set(frame["fmt"]) if c and not _is_code(c)})
    if bad_fmt:
        problems.append(f"fmt: not format codes {bad_fmt}")
    key = list(KEY_COLUMNS)
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


def _is_code(code: str) -> bool:
    try:
        fmt.parse_code(code)
    except ValueError:
        return False
    return True


def write_ard(frame: pd.DataFrame, path: Path) -> None:
    """Write ``ard.csv``: full precision (shortest repr round-trip), UTF-8, LF line ends."""
    frame.to_csv(path, index=False, lineterminator="\n", float_format=None, na_rep="NA")


def read_ard(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(
        path,
        dtype={c: str for c in TEXT_COLUMNS},
        keep_default_na=False,
        na_values={"stat": ["NA"]},
        # the exact floats write_ard wrote (pandas' fast parser can be off in the last bit,
        # which would make an unchanged statistic "changed")
        float_precision="round_trip",
    )
    return normalise(frame)


def diff_ard(old: pd.DataFrame, new: pd.DataFrame, rtol: float = 0.0) -> pd.DataFrame:
    """Compare two ARDs row by row on their key (QC, or one data lock against the next).

    Returns the rows that were added, removed or whose ``stat`` changed beyond ``rtol``, with
    ``change`` in {"added", "removed", "changed"} and ``stat_old``/``stat_new``.
    """
    key = list(KEY_COLUMNS)
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


def apply_formats(
    frame: pd.DataFrame,
    spec: fmt.FormatSpec,
    module: str = "",
    decimals: int | Mapping[str, int] = 0,
) -> pd.DataFrame:
    """``frame`` with its ``fmt`` column resolved from the declared formats (``spec``).

    ``decimals`` are the data decimals the offsets apply to: one number, or per key, looked up
    by the row's ``param`` first (a lab parameter), then its ``variable`` (a Table 1 variable);
    a row with neither has 0. A row whose ``fmt`` is already set keeps it.
    """
    if frame.empty:
        return frame

    def data_decimals(param: str, variable: str) -> int:
        if isinstance(decimals, int):
            return decimals
        if param in decimals:
            return decimals[param]
        return decimals.get(variable, 0)

    keys = frame[["stat_name", "param", "variable"]].drop_duplicates()
    codes = {
        (s, p, v): spec.code(s, module, data_decimals(p, v))
        for s, p, v in keys.itertuples(index=False)
    }
    resolved = [
        own or codes[(s, p, v)]
        for own, s, p, v in zip(
            frame["fmt"], frame["stat_name"], frame["param"], frame["variable"], strict=True
        )
    ]
    return frame.assign(fmt=resolved)


_RAISE = object()
_LOOKUP = ("group_level", "variable", "variable_level", "param", "timepoint")
#: Limits of an estimate when not ``<stat>_lcl``/``<stat>_ucl``.
_LIMITS = {"median_time": ("median_lcl", "median_ucl"), "mean": ("lcl", "ucl")}


class ArdIndex:
    """The one way to read an ARD: constant-time, strict look-ups of one statistic.

    A statistic is named by ``stat_name`` and its key columns ``group_level``, ``variable``,
    ``variable_level``, ``param`` and ``timepoint``, each ``""`` unless given (and
    ``output_id`` when the ARD holds several outputs). A key that matches no row is an error
    unless ``missing`` is given (returned instead); a ``stat_name`` outside the vocabulary is
    an error always, so that a typo cannot print "NE".

    ``value`` gives the number; ``text`` and the other text methods print it through its row's
    format code, so that a table cell and a sentence quoting it cannot differ.

    ``defaults`` fix key columns for every look-up (``param="OS"`` for the rows of one
    endpoint); a look-up may still name them.
    """

    def __init__(self, frame: pd.DataFrame, **defaults: str) -> None:
        self.frame = frame
        self.defaults = defaults
        columns = ("output_id", *_LOOKUP, "stat_name")
        keys = zip(*(frame[c] for c in columns), strict=True)
        self._rows: dict[tuple, tuple[float, str]] = {}
        self._ambiguous: set[tuple] = set()
        for key, stat, code in zip(keys, frame["stat"], frame["fmt"], strict=True):
            if key in self._rows:  # the same key under two group_vars
                self._ambiguous.add(key)
            self._rows[key] = (float(stat), code)
        self._outputs = tuple(dict.fromkeys(frame["output_id"]))

    def _get(self, stat_name: str, where: Mapping[str, Any], missing=_RAISE):
        where = {**self.defaults, **where}
        if stat_name not in STAT_NAMES:
            raise LookupError(f"unknown stat_name {stat_name!r} (not in the ARD vocabulary)")
        unknown = set(where) - {"output_id", *_LOOKUP}
        if unknown:
            raise LookupError(f"not key columns of the ARD: {sorted(unknown)}")
        output = where.get("output_id")
        if output is None:
            if len(self._outputs) > 1:
                raise LookupError(f"name the output_id: this ARD holds {list(self._outputs)}")
            output = self._outputs[0] if self._outputs else ""
        key = (str(output), *(str(where.get(c, "")) for c in _LOOKUP), stat_name)
        if key in self._ambiguous:
            raise LookupError(f"several ARD rows match {dict(where)} {stat_name!r}")
        found = self._rows.get(key)
        if found is None:
            if missing is _RAISE:
                shown = {c: v for c, v in zip(("output_id", *_LOOKUP), key, strict=False) if v}
                raise LookupError(f"no ARD row {shown} stat_name={stat_name!r}")
            return missing, None
        return found

    def has(self, stat_name: str, **where: Any) -> bool:
        return self._get(stat_name, where, missing=None)[1] is not None

    def value(self, stat_name: str, missing: Any = _RAISE, **where: Any) -> float:
        """The unrounded number (``missing`` when no row matches and ``missing`` is given)."""
        return self._get(stat_name, where, missing)[0]

    def code(self, stat_name: str, **where: Any) -> str:
        return self._get(stat_name, where)[1]

    def text(self, stat_name: str, missing: Any = _RAISE, **where: Any) -> str:
        """The statistic as printed (its row's format); ``missing`` when no row matches."""
        value, code = self._get(stat_name, where, missing)
        if code is None:  # no row, and ``missing`` given
            return missing
        if not code:
            raise LookupError(f"ARD row {stat_name!r} {dict(where)} has no format (fmt)")
        return fmt.fmt_stat(value, code)

    # -- compositions: each part printed by its own row's format ----------------------------
    def n_pct(self, n: str = "n", pct: str = "pct", **where: Any) -> str:
        """``n (pct)``; ``0`` alone for a zero count."""
        count, _ = self._get(n, where)
        share, code = self._get(pct, where)
        return fmt.fmt_n_pct_codes(count, share, code)

    def n_pct_events(self, **where: Any) -> str:
        """``n (pct) [events]`` (adverse-event tables: subjects and records)."""
        return f"{self.n_pct(**where)} [{self.text('n_records', **where)}]"

    def est_ci(self, stat_name: str, **where: Any) -> str:
        """``est (lcl, ucl)``; ``NE`` alone when none of the three is estimable."""
        lcl, ucl = _LIMITS.get(stat_name, (f"{stat_name}_lcl", f"{stat_name}_ucl"))
        est, code = self._get(stat_name, where)
        return fmt.fmt_est_ci_codes(est, self.value(lcl, **where), self.value(ucl, **where), code)

    def ci(self, stat_name: str, **where: Any) -> str:
        """``(lcl, ucl)`` of an estimate."""
        lcl, ucl = _LIMITS.get(stat_name, (f"{stat_name}_lcl", f"{stat_name}_ucl"))
        return f"({self.text(lcl, **where)}, {self.text(ucl, **where)})"

    def mean_sd(self, mean: str = "mean", sd: str = "sd", **where: Any) -> str:
        """``mean (SD)``; ``NE`` when the mean is not estimable."""
        value, _ = self._get(mean, where)
        if math.isnan(value):
            return fmt.NE
        return f"{self.text(mean, **where)} ({self.text(sd, **where)})"

    def pair(self, first: str, second: str, **where: Any) -> str:
        """``first, second`` (``Q1, Q3``; ``Min, Max``)."""
        return f"{self.text(first, **where)}, {self.text(second, **where)}"

    def stat_df(self, **where: Any) -> str:
        """A test statistic with its degrees of freedom: ``5.23 (1)``."""
        value, _ = self._get("statistic", where)
        if math.isnan(value):
            return fmt.NE
        return f"{self.text('statistic', **where)} ({self.text('df', **where)})"


def stat_lookup(frame: pd.DataFrame, **where: str) -> float:
    """The one ``stat`` matching ``where`` (column=value); an error if none or several match.

    A scan, for one-off look-ups of a frame that is not yet formatted; table builders and the
    narrative use :class:`ArdIndex`.
    """
    mask = np.ones(len(frame), dtype=bool)
    for col, value in where.items():
        mask &= (frame[col] == value).to_numpy()
    hits = frame.loc[mask, "stat"]
    if len(hits) != 1:
        raise LookupError(f"{len(hits)} ARD rows match {where}")
    return float(hits.iloc[0])
