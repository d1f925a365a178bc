"""Readers: one ADaM file in, one pandas frame out, in a single in-memory representation.

* text columns: ``object`` of ``str``, missing as ``""``, leading/trailing blanks stripped (SAS
  pads character values; ADLBC's AVISIT is left-padded);
* numeric columns: ``float64``, missing as NaN;
* dates and datetimes: ``datetime64[ns]``, missing as NaT (a time zone is dropped, keeping
  the wall-clock time where it was recorded).

Parquet ``date32``/``date64`` and ``timestamp`` columns (any unit, with or without time zone)
are dates; Parquet decimals are numbers. Dataset-JSON ``date``/``datetime`` columns hold ISO
8601 text (version 1.1); a number there (a SAS date or datetime, ``targetDataType`` integer)
is read from the SAS epoch 1960-01-01.

Formats: SAS XPORT (``.xpt``, also the single ``.xpt`` inside a ``.zip``), CSV (``.csv``, with an
optional type spec), Parquet (``.parquet``) and CDISC Dataset-JSON (``.json``, version 1.1).
A file that cannot be read raises :class:`ReadError` holding a :class:`~csrgen.errors.Problem`
(empty, truncated, unreadable, wrong encoding); the caller collects them.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from csrgen.errors import Problem

#: Column types a type spec may name.
TYPES = ("text", "num", "date")
_SAS_EPOCH = np.datetime64("1960-01-01", "D")
_SAS_DATE_FORMATS = re.compile(
    r"^(DATE|YYMMDD|E8601DA|MMDDYY|DDMMYY|IS8601DA|B8601DA|DAY|WEEKDATE)"
)
_SAS_DATETIME_FORMATS = re.compile(r"^(DATETIME|E8601DT|IS8601DT|B8601DT)")


class ReadError(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.render())
        self.problem = problem


@dataclass
class RawDataset:
    """A dataset as read: the frame, its variable labels and where it came from."""

    role: str
    path: Path
    frame: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)
    #: Problems found while typing columns (values that are not numbers or dates).
    problems: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.name


def read_dataset(
    path: Path, role: str, types: dict[str, str] | None = None, encoding: str = "utf-8"
) -> RawDataset:
    """Read one file by its extension; raise :class:`ReadError` when it cannot be read."""
    path = Path(path)
    try:
        return _read_file(path, role, types, encoding)
    except OSError as exc:  # unreadable: permissions, a name the file system refuses, ...
        raise ReadError(
            Problem(path.name, "", "file-unreadable", f"cannot read {path}: {exc.strerror or exc}")
        ) from None


def _read_file(path: Path, role: str, types: dict[str, str] | None, encoding: str) -> RawDataset:
    if not path.exists():
        raise ReadError(Problem(path.name, "", "file-missing", f"file not found: {path}"))
    if not path.is_file():
        raise ReadError(Problem(path.name, "", "file-missing", f"not a file: {path}"))
    if path.stat().st_size == 0:
        raise ReadError(Problem(path.name, "", "file-empty", "the file is empty (0 bytes)"))
    suffix = path.suffix.lower()
    if suffix == ".xpt":
        with path.open("rb") as handle:
            return _read_xport(handle, path, role)
    if suffix == ".zip":
        return _read_zip(path, role)
    if suffix == ".csv":
        return read_csv(path, role, types, encoding)
    if suffix == ".parquet":
        return _read_parquet(path, role)
    if suffix == ".json":
        return _read_dataset_json(path, role)
    raise ReadError(
        Problem(
            path.name,
            "",
            "file-format",
            f"unknown file type {suffix!r} (xpt, zip, csv, parquet, json)",
        )
    )


# -- SAS XPORT ---------------------------------------------------------------------------------
def _read_xport(handle, path: Path, role: str, member: str = "") -> RawDataset:
    import pyreadstat  # heavy; only when an XPT is read

    name = f"{path.name}:{member}" if member else path.name
    try:
        frame, meta = pyreadstat.read_xport(handle, disable_datetime_conversion=True)
    except Exception as exc:  # pyreadstat raises its own ReadstatError for any damage
        text = str(exc)
        rule = (
            "encoding"
            if "encoding" in text.lower() or "convert" in text.lower()
            else "file-unreadable"
        )
        raise ReadError(
            Problem(name, "", rule, f"not a readable SAS transport (XPORT) file: {text}")
        ) from None
    formats = meta.original_variable_types or {}
    for col in frame.columns:
        fmt = (formats.get(col) or "").upper()
        if frame[col].dtype == object:
            frame[col] = _clean_text(frame[col])
        elif _SAS_DATE_FORMATS.match(fmt):
            frame[col] = _SAS_EPOCH + pd.to_timedelta(frame[col], unit="D")
        elif _SAS_DATETIME_FORMATS.match(fmt):
            frame[col] = pd.Timestamp("1960-01-01") + pd.to_timedelta(frame[col], unit="s")
        else:
            frame[col] = frame[col].astype("float64")
    labels = dict(meta.column_names_to_labels or {})
    return RawDataset(role, path, frame, {k: v or "" for k, v in labels.items()})


def _read_zip(path: Path, role: str) -> RawDataset:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise ReadError(
            Problem(path.name, "", "file-unreadable", f"not a readable zip file: {exc}")
        ) from None
    with archive:
        members = [n for n in archive.namelist() if n.lower().endswith(".xpt")]
        if len(members) != 1:
            raise ReadError(
                Problem(
                    path.name,
                    "",
                    "file-format",
                    f"expected one .xpt inside the zip, found {members}",
                )
            )
        try:
            data = archive.read(members[0])
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise ReadError(
                Problem(path.name, "", "file-truncated", f"damaged zip member: {exc}")
            ) from None
    return _read_xport(io.BytesIO(data), path, role, member=members[0])


# -- CSV -----------------------------------------------------------------------------------------
def read_csv(
    path: Path, role: str, types: dict[str, str] | None = None, encoding: str = "utf-8"
) -> RawDataset:
    """Read a CSV: text first (nothing guessed), then typed by ``types`` or by inference.

    Inference without a spec: a column named ``*DT`` is a date (ISO 8601), a column whose every
    non-blank value is a number is numeric, the rest is text.
    """
    raw = path.read_bytes()
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ReadError(
            Problem(
                path.name,
                "",
                "encoding",
                f"not valid {encoding} text: byte 0x{raw[exc.start]:02x} at line {line}"
                f" (re-save the file as {encoding}, or set data.encoding in the study file)",
            )
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ReadError(
            Problem(path.name, "", "file-empty", "the file holds no header and no rows")
        )
    _check_not_truncated(path.name, text)
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, na_values=[], engine="c"
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise ReadError(
            Problem(path.name, "", "file-unreadable", f"not a readable CSV file: {exc}")
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    dataset = RawDataset(role, path, frame)
    for col in frame.columns:
        values = _clean_text(frame[col])
        kind = (types or {}).get(col) or _infer_type(col, values)
        frame[col] = _coerce(dataset, col, values, kind)
    return dataset


def _check_not_truncated(name: str, text: str) -> None:
    """A cut-off file ends mid-row: no final newline and fewer fields than the header."""
    if text.endswith("\n"):
        return
    lines = text.splitlines()
    if len(lines) < 2:
        return
    import csv

    header = next(csv.reader([lines[0]]))
    last = next(csv.reader([lines[-1]]), [])
    if len(last) < len(header):
        raise ReadError(
            Problem(
                name,
                "",
                "file-truncated",
                f"the file ends mid-row: line {len(lines)} has {len(last)} of {len(header)} fields"
                " and no line end (was the copy interrupted?)",
            )
        )


def _infer_type(col: str, values: pd.Series) -> str:
    if col.endswith("DT"):
        return "date"
    filled = values[values != ""]
    if len(filled) and pd.to_numeric(filled, errors="coerce").notna().all():
        return "num"
    return "text"


def _coerce(dataset: RawDataset, col: str, values: pd.Series, kind: str) -> pd.Series:
    """``values`` (stripped text) as ``kind``; a value that is not of the kind is a problem."""
    blank = values == ""
    if kind == "text":
        return values.astype(object)
    if kind not in ("num", "date"):
        raise ValueError(f"unknown type {kind!r} for {col}")
    # Each distinct text converted once (a date column of a million records has a few
    # thousand distinct dates), then spread back by code.
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    distinct = pd.Series(uniques, dtype=object)
    distinct = distinct.where(distinct != "")
    if kind == "num":
        converted = pd.to_numeric(distinct, errors="coerce")
    else:
        converted = parse_iso_dates(distinct)
    out = pd.Series(converted.to_numpy()[codes], index=values.index, name=values.name)
    bad = out.isna() & ~blank
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        ids = (
            dataset.frame["USUBJID"]
            if "USUBJID" in dataset.frame.columns and col != "USUBJID"
            else None
        )

        csv = dataset.path.suffix.lower() == ".csv"

        def where(r: int) -> str:
            row = f"line {r + 2}" if csv else f"record {r + 1}"
            return row + (f" (USUBJID={ids.iloc[r]})" if ids is not None else "")

        dataset.problems.append(
            Problem(
                dataset.name,
                col,
                "type",
                f"expected {'a number' if kind == 'num' else 'an ISO 8601 date (YYYY-MM-DD)'}",
                count=len(rows),
                examples=tuple(f"{where(r)}: {col}={values.iloc[r]!r}" for r in rows[:5]),
            )
        )
    return out.astype("float64") if kind == "num" else out


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


def derive_dates(dataset: RawDataset, needed: set[str]) -> list[str]:
    """Add each needed ``*DT`` variable the file lacks from its ``*DTM`` datetime (the date
    part); return one warning line per derived variable. A datetime that is neither a date
    type nor ISO 8601 text is a ``[type]`` problem."""
    frame = dataset.frame
    notes = []
    for var in sorted(needed):
        source = f"{var}M"
        if not var.endswith("DT") or var in frame.columns or source not in frame.columns:
            continue
        values = frame[source]
        if pd.api.types.is_datetime64_any_dtype(values):
            dates = values.dt.normalize()
        else:
            text = _clean_text(values)
            parsed = _coerce(dataset, source, text, "date")
            dates = parsed.dt.normalize()
        frame[var] = dates.astype("datetime64[ns]")
        label = dataset.labels.get(source, "")
        dataset.labels[var] = f"{label} (date part)" if label else f"Date part of {source}"
        blank = int(frame[var].isna().sum())
        notes.append(
            f"{dataset.name}: {var} is not in the file; derived from {source} (its date part) "
            f"for {len(frame) - blank} record(s)" + (f", {blank} blank" if blank else "")
        )
    return notes


def numbers_as_text(dataset: RawDataset, names: set[str]) -> list[str]:
    """Numeric columns among ``names`` (variables the specs call text: SUBJID, SITEID) as text
    (701.0 -> "701"); one warning line naming them, or none."""
    frame = dataset.frame
    done = []
    for var in sorted(names & set(frame.columns)):
        series = frame[var]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            codes, uniques = pd.factorize(series)
            texts = [_number_text(float(u)) for u in uniques] + [""]
            frame[var] = pd.Series(
                np.array(texts, dtype=object)[codes], index=series.index, dtype=object
            )
            done.append(f"{var} (e.g. {texts[0]!r})" if len(texts) > 1 else var)
    if not done:
        return []
    return [f"{dataset.name}: {', '.join(done)} stored as numbers; read as text"]


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


# -- Parquet and Dataset-JSON ---------------------------------------------------------------------
def _read_parquet(path: Path, role: str) -> RawDataset:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        # Text columns read dictionary-encoded (as pandas categoricals): each distinct text is
        # decoded once, and _clean_text strips the categories instead of every value.
        schema = pq.read_schema(path)
        text = [
            f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        ]
        table = pq.read_table(path, read_dictionary=text)
        for i, f in enumerate(table.schema):
            if pa.types.is_decimal(f.type):  # exact decimals -> numbers like every other
                table = table.set_column(i, f.name, table.column(i).cast(pa.float64()))
        # split_blocks + self_destruct: columns handed over one by one, the Arrow buffers freed
        # as they go (the peak memory of a 3.8-million-row ADLB about halves). Dates come as
        # datetime64 (date_as_object=False), not as Python date objects.
        frame = table.to_pandas(split_blocks=True, self_destruct=True, date_as_object=False)
        del table
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise ReadError(
            Problem(path.name, "", "file-unreadable", f"not a readable Parquet file: {exc}")
        ) from None
    dataset = RawDataset(role, path, frame)
    dataset.frame = _normalise_frame(frame, dataset)
    return dataset


_JSON_DATES = ("date", "datetime")
_JSON_NUMBERS = ("integer", "float", "double", "decimal")


def _read_dataset_json(path: Path, role: str) -> RawDataset:
    """CDISC Dataset-JSON v1.1: ``columns`` (name, label, dataType, targetDataType) and ``rows``
    (lists). Dates and datetimes are ISO 8601 text; numbers in a date column are SAS dates
    (days) or datetimes (seconds) from 1960-01-01."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        columns = doc["columns"]
        names = [c["name"] for c in columns]
        frame = pd.DataFrame(doc["rows"], columns=names)
    except UnicodeDecodeError as exc:
        raise ReadError(
            Problem(path.name, "", "encoding", f"not valid UTF-8: {exc.reason}")
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ReadError(
            Problem(path.name, "", "file-unreadable", f"not a readable Dataset-JSON file: {exc}")
        ) from None
    dataset = RawDataset(role, path, frame)
    for col in columns:
        name, dtype = col["name"], col.get("dataType", "string")
        if dtype in _JSON_DATES:
            frame[name] = _json_dates(dataset, name, frame[name], dtype)
        elif dtype in _JSON_NUMBERS:
            frame[name] = _json_numbers(dataset, name, frame[name])
    dataset.labels = {c["name"]: c.get("label", "") for c in columns}
    dataset.frame = _normalise_frame(frame, dataset)
    return dataset


def _json_dates(dataset: RawDataset, name: str, values: pd.Series, dtype: str) -> pd.Series:
    numeric = values.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if numeric.any():
        unit = "D" if dtype == "date" else "s"
        number = pd.to_numeric(values[numeric], errors="coerce")
        out[numeric] = pd.Timestamp("1960-01-01") + pd.to_timedelta(number, unit=unit)
    rest = ~numeric
    if rest.any():
        text = values[rest].map(lambda v: "" if v is None else str(v)).astype(object)
        out[rest] = _coerce(dataset, name, text.str.strip(), "date")
    return out


def _json_numbers(dataset: RawDataset, name: str, values: pd.Series) -> pd.Series:
    number = pd.to_numeric(values, errors="coerce").astype("float64")
    given = values.map(lambda v: v is not None and not (isinstance(v, str) and not v.strip()))
    bad = number.isna() & given.astype(bool)
    if bad.any():
        text = values.map(lambda v: "" if v is None else str(v)).astype(object)
        return _coerce(dataset, name, text.str.strip(), "num")
    return number


def _normalise_frame(frame: pd.DataFrame, dataset: RawDataset | None = None) -> pd.DataFrame:
    """Dates as datetime64[ns], numbers as float64, everything else as clean text: one new frame
    of the new columns, not consolidated (replacing columns one by one copies the frame's blocks
    every time; consolidating copies every column once more, a transient gigabyte at scale).
    A date outside what datetime64[ns] holds (years 1678-2261) is a ``[type]`` problem of
    ``dataset``."""
    columns = {}
    for col in frame.columns:
        series = frame[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            columns[col] = _as_ns_dates(series, col, dataset)
        elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            columns[col] = series.astype("float64")
        else:
            columns[col] = _clean_text(series)
    return pd.DataFrame(columns, index=frame.index, copy=False)


#: The days datetime64[ns] holds (1677-09-21 to 2262-04-11), whole years to keep it simple.
_NS_DAYS = (np.datetime64("1678-01-01", "D"), np.datetime64("2261-12-31", "D"))


def _as_ns_dates(series: pd.Series, col: str, dataset: RawDataset | None) -> pd.Series:
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
                    examples=tuple(f"record {r + 1}: {col}={values[r]}" for r in rows[:5]),
                )
            )
        values = np.where(outside, np.datetime64("NaT"), values)
    return pd.Series(values.astype("datetime64[ns]"), index=series.index, name=series.name)


def _clean_text(series: pd.Series) -> pd.Series:
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
