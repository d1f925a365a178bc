"""What every reader shares: the dataset as read, the read error, and the one in-memory
representation (text ``object`` of ``str``, numbers ``float64``, dates ``datetime64[ns]``).

Also the checks every format gets, whatever wrote the file: column names (none empty, none
twice, at most :data:`MAX_COLUMNS`), finite numbers, and what the first bytes say a file is
(:func:`sniff`), so that a Parquet file named ``.csv`` is named for what it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from csrgen.errors import Problem

#: More columns than this is not a dataset but a damaged file (a file without line ends reads
#: as one header of a million fields); refused before the columns are built.
MAX_COLUMNS = 10_000
MAX_EXAMPLES = 5


class ReadError(Exception):
    """A file that cannot be read at all; ``problem`` says which file, which rule and why."""

    def __init__(self, problem: Problem):
        super().__init__(problem.render())
        self.problem = problem


def read_error(name: str, rule: str, message: str, variable: str = "") -> ReadError:
    return ReadError(Problem(name, variable, rule, message))


@dataclass
class RawDataset:
    """A dataset as read: the frame, its variable labels and where it came from."""

    role: str
    path: Path
    frame: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)
    #: Problems found while typing columns (values that are not numbers or dates).
    problems: list[Problem] = field(default_factory=list)
    #: What the user must be told although the file could be read (one line each).
    warnings: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name

    def row_label(self, r: int) -> str:
        # CSV users look for line numbers (header is line 1); other formats count records.
        return f"line {r + 2}" if self.path.suffix.lower() == ".csv" else f"record {r + 1}"

    def where(self, r: int, col: str = "") -> str:
        """``line 5 (USUBJID=01-701-1015)``: the row and, when there is one, its subject."""
        frame = self.frame
        label = self.row_label(r)
        if col != "USUBJID" and "USUBJID" in frame.columns and frame["USUBJID"].dtype == object:
            label += f" (USUBJID={frame['USUBJID'].iloc[r]})"
        return label


# -- what a file is ------------------------------------------------------------------------------
_MAGIC = (
    (b"PAR1", "a Parquet file"),
    (b"PK\x03\x04", "a zip archive (or an .xlsx workbook)"),
    (b"PK\x05\x06", "an empty zip archive"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls)"),
    (b"%PDF", "a PDF document"),
    (b"HEADER RECORD*******LIB", "a SAS transport (XPORT) file"),
    (b"**COMPRESSED** **COMPRESSED**", "a SAS CPORT file"),
    (
        b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc2\xea\x81\x60",
        "a SAS data set (.sas7bdat)",
    ),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
    (b"{\\rtf", "an RTF document"),
)


def sniff(head: bytes) -> str:
    """What the first bytes say the file is (``"a Parquet file"``), or ``""`` if nothing."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"{", b"["):
        return "a JSON document"
    if stripped[:1] == b"<":
        return "an XML or HTML document"
    return ""


def wrong_format(name: str, head: bytes, expected: str, accept: tuple[str, ...]) -> None:
    """Raise ``[file-format]`` when the first bytes name another format than the extension."""
    what = sniff(head)
    if what and what not in accept:
        raise read_error(
            name,
            "file-format",
            f"the file is {what}, not {expected} (is it misnamed, or the wrong file?)",
        )


# -- columns -------------------------------------------------------------------------------------
def check_column_count(name: str, count: int) -> None:
    if count > MAX_COLUMNS:
        raise read_error(
            name,
            "columns",
            f"{count:,} columns; at most {MAX_COLUMNS:,} are read (a damaged file, or one "
            "whose lines do not end where the reader expects?)",
        )


def check_column_names(name: str, names: list[str]) -> None:
    """No name empty, none twice (compared without case: SAS names ignore it)."""
    check_column_count(name, len(names))
    empty = [i + 1 for i, n in enumerate(names) if not str(n).strip()]
    if empty:
        raise read_error(
            name,
            "columns",
            f"column {', '.join(map(str, empty[:MAX_EXAMPLES]))} of {len(names)} has no name"
            + (f" ({len(empty)} unnamed columns)" if len(empty) > 1 else ""),
        )
    seen: dict[str, str] = {}
    twice = []
    for n in names:
        key = str(n).strip().upper()
        if key in seen:
            twice.append(str(n).strip())
        seen.setdefault(key, str(n).strip())
    if twice:
        shown = ", ".join(sorted(set(twice))[:MAX_EXAMPLES])
        raise read_error(
            name,
            "columns",
            f"duplicate column name(s): {shown}; each variable must occur once",
            variable=sorted(set(twice))[0],
        )


# -- numbers -------------------------------------------------------------------------------------
def finite_problems(dataset: RawDataset) -> list[Problem]:
    """An infinite number in a numeric column (``inf`` read from any format) is a
    ``[finite]`` problem; the values become missing so that nothing downstream sees them."""
    problems = []
    frame = dataset.frame
    for col in frame.columns:
        series = frame[col]
        if series.dtype != np.float64:
            continue
        values = series.to_numpy()
        bad = np.isinf(values)
        if bad.any():
            problems.append(finite_problem(dataset, col, bad, [repr(float(v)) for v in values]))
            frame[col] = np.where(bad, np.nan, values)
    return problems


def finite_problem(dataset: RawDataset, col: str, bad: np.ndarray, shown) -> Problem:
    rows = np.flatnonzero(bad)
    return Problem(
        dataset.name,
        col,
        "finite",
        "not a finite number (infinity or NaN); leave the value blank when it is missing",
        count=len(rows),
        examples=tuple(f"{dataset.where(r, col)}: {col}={shown[r]}" for r in rows[:MAX_EXAMPLES]),
    )


# -- text, numbers and dates from text ----------------------------------------------------------
def coerce(dataset: RawDataset, col: str, values: pd.Series, kind: str) -> pd.Series:
    """``values`` (stripped text) as ``kind``; a value that is not of the kind is a problem:
    ``[type]``, or ``[finite]`` for a number spelled ``inf``, ``Infinity``, ``NaN``, ``1e999``."""
    if kind == "text":
        return values.astype(object)
    # Each distinct text converted once (a date column of a million records has a few
    # thousand distinct dates), then spread back by code.
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    return coerce_codes(dataset, col, codes, uniques, kind, values.index, values.name)


def _exact_numbers(texts: pd.Series, parsed: pd.Series) -> pd.Series:
    """``parsed`` (what pandas made of ``texts``) as float64, each number the double nearest
    to its text, as Python's ``float`` (and R's and SAS's readers) give it: pandas' own parser
    is faster but may miss by one unit in the last place (a third of random 17-digit texts), and
    reads every integer of a column that also holds one beyond 64 bits through floats. Which
    texts are numbers stays pandas' decision."""
    out = parsed.astype("float64")
    ok = out.notna().to_numpy()
    if ok.any():
        values = texts.to_numpy(dtype=object)[ok]
        try:
            exact = values.astype(np.float64)  # float() of each text, in C
        except (ValueError, TypeError):
            exact = np.array(
                [_float_or(v, x) for v, x in zip(values, out.to_numpy()[ok], strict=True)]
            )
        out = out.copy()
        out.iloc[np.flatnonzero(ok)] = exact
    return out


def _float_or(text, fallback: float) -> float:
    try:
        return float(text)
    except (ValueError, TypeError):
        return fallback


def coerce_codes(
    dataset: RawDataset,
    col: str,
    codes: np.ndarray,
    uniques: np.ndarray,
    kind: str,
    index: pd.Index | None = None,
    name: str | None = None,
) -> pd.Series:
    """The column ``uniques[codes]`` (stripped text, given once per distinct value) as ``kind``
    (``num`` or ``date``): each distinct value converted once, the results spread back by
    code. The problems are those :func:`coerce` finds, with the same messages."""
    if kind not in ("num", "date"):
        raise read_error(dataset.name, "type", f"unknown type {kind!r}", variable=col)
    distinct = pd.Series(uniques, dtype=object)
    empty = (distinct == "").to_numpy(dtype=bool)
    distinct = distinct.where(~empty)
    odd = np.zeros(len(distinct), dtype=bool)
    if kind == "num":
        converted = _exact_numbers(distinct, pd.to_numeric(distinct, errors="coerce"))
        failed = converted.isna() & distinct.notna()
        odd = np.isinf(converted.to_numpy())
        if failed.any():  # "NaN", "-nan", "1e999" (pandas cannot hold it): not finite
            odd |= (failed & distinct.map(_not_finite_text).astype(bool)).to_numpy()
        if odd.any():
            converted = converted.where(~odd)
    else:
        converted = parse_iso_dates(distinct)
    out = pd.Series(converted.to_numpy()[codes], index=index, name=name)
    shown = _Shown(uniques, codes)
    infinite = odd[codes] & (codes >= 0) if odd.any() else np.zeros(len(codes), dtype=bool)
    if infinite.any():
        dataset.problems.append(finite_problem(dataset, col, infinite, shown))
    unconverted = (converted.isna().to_numpy() & ~empty & ~odd)[codes]
    if unconverted.any():
        rows = np.flatnonzero(unconverted)
        dataset.problems.append(
            Problem(
                dataset.name,
                col,
                "type",
                f"expected {'a number' if kind == 'num' else 'an ISO 8601 date (YYYY-MM-DD)'}",
                count=len(rows),
                examples=tuple(
                    f"{dataset.where(r, col)}: {col}={uniques[codes[r]]!r}"
                    for r in rows[:MAX_EXAMPLES]
                ),
            )
        )
    return out.astype("float64") if kind == "num" else out


class _Shown:
    """``repr`` of row ``r``'s text, made only for the rows a problem shows."""

    def __init__(self, uniques: np.ndarray, codes: np.ndarray):
        self.uniques, self.codes = uniques, codes

    def __getitem__(self, r: int) -> str:
        return repr(self.uniques[self.codes[r]])


def _not_finite_text(value) -> bool:
    """A text Python reads as a number that is not finite (``nan``, ``-Infinity``, ``1e999``)."""
    try:
        return not np.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def parse_iso_dates(values: pd.Series) -> pd.Series:
    """ISO 8601 dates or datetimes (``2014-01-02``, ``2014-01-02T08:30:00``) as
    ``datetime64[ns]``; anything else, blanks included, NaT. A time-zone suffix (``Z``,
    ``+01:00``) is dropped: the wall-clock time as recorded."""
    text = values.astype(object).where(values.notna(), None)
    text = text.map(lambda v: _TZ_SUFFIX.sub("", v.strip()) if isinstance(v, str) else None)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    shaped = text.map(lambda v: isinstance(v, str) and bool(_ISO.match(v))).astype(bool)
    if shaped.any():
        parsed = pd.to_datetime(text[shaped], format="ISO8601", errors="coerce")
        out[shaped] = parsed.astype("datetime64[ns]")
    return out


_TZ_SUFFIX = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
#: A complete date, optionally with a time (partial dates such as 2014-01 are not dates).
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")


def normalise_frame(frame: pd.DataFrame, dataset: RawDataset | None = None) -> pd.DataFrame:
    """Dates as datetime64[ns], numbers as float64, everything else as clean text: one new frame
    of the new columns, not consolidated (replacing columns one by one copies the frame's blocks
    every time; consolidating copies every column once more, a transient gigabyte at scale).
    A date outside what datetime64[ns] holds (years 1678-2261) is a ``[type]`` problem of
    ``dataset``."""
    columns = {}
    for col in frame.columns:
        series = frame[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            columns[col] = as_ns_dates(series, col, dataset)
        elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            columns[col] = series.astype("float64", copy=False)  # the old frame is dropped
        else:
            columns[col] = clean_text(series)
    return pd.DataFrame(columns, index=frame.index, copy=False)


#: The days datetime64[ns] holds (1677-09-21 to 2262-04-11), whole years to keep it simple.
_NS_DAYS = (np.datetime64("1678-01-01", "D"), np.datetime64("2261-12-31", "D"))


def as_ns_dates(series: pd.Series, col: str, dataset: RawDataset | None) -> pd.Series:
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_localize(None)  # wall-clock time in the recorded zone
    if series.dtype == "datetime64[ns]":
        return series
    values = series.to_numpy()
    days = values.astype("datetime64[D]")  # coarser: never overflows, unlike a cast to ns
    outside = ~np.isnat(days) & ((days < _NS_DAYS[0]) | (days > _NS_DAYS[1]))
    if outside.any():
        if dataset is not None:
            rows = np.flatnonzero(outside)
            dataset.problems.append(
                Problem(
                    dataset.name,
                    col,
                    "type",
                    "dates outside the years 1678-2261 (a placeholder or a damaged value?)",
                    count=len(rows),
                    examples=tuple(
                        f"record {r + 1}: {col}={values[r]}" for r in rows[:MAX_EXAMPLES]
                    ),
                )
            )
        values = np.where(outside, np.datetime64("NaT"), values)
    return pd.Series(values.astype("datetime64[ns]"), index=series.index, name=series.name)


def clean_text(series: pd.Series) -> pd.Series:
    """Text as the checks and outputs expect it: missing -> ``""``, outer blanks stripped.

    A text column holds few distinct values (3.8 million lab records, a few hundred test names),
    so each distinct value is stripped once and the results are spread back by code.
    """
    if isinstance(series.dtype, pd.CategoricalDtype) and pd.api.types.is_string_dtype(
        series.cat.categories
    ):
        codes = series.cat.codes.to_numpy()
        texts = np.array([str(c).strip() for c in series.cat.categories] + [""], dtype=object)
        return pd.Series(texts[codes], index=series.index, name=series.name, dtype=object)
    values = series.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return series.fillna("").astype(str).str.strip().astype(object)
    codes, uniques = pd.factorize(values)  # missing values get code -1
    texts = np.array([u.strip() for u in uniques] + [""], dtype=object)
    return pd.Series(texts[codes], index=series.index, name=series.name, dtype=object)
