"""Readers: one ADaM file in, one pandas frame out, in a single in-memory representation.

* text columns: ``object`` of ``str``, missing as ``""``, leading/trailing blanks stripped (SAS
  pads character values; ADLBC's AVISIT is left-padded);
* numeric columns: ``float64``, missing as NaN;
* dates: ``datetime64[ns]``, missing as NaT.

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
    if not path.exists():
        raise ReadError(Problem(path.name, "", "file-missing", f"file not found: {path}"))
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
        converted = pd.to_datetime(distinct, format="ISO8601", errors="coerce")
    out = pd.Series(converted.to_numpy()[codes], index=values.index, name=values.name)
    bad = out.isna() & ~blank
    if bad.any():
        rows = np.flatnonzero(bad.to_numpy())
        ids = (
            dataset.frame["USUBJID"]
            if "USUBJID" in dataset.frame.columns and col != "USUBJID"
            else None
        )

        def where(r: int) -> str:
            return f"line {r + 2}" + (f" (USUBJID={ids.iloc[r]})" if ids is not None else "")

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
        # split_blocks + self_destruct: columns handed over one by one, the Arrow buffers freed
        # as they go (the peak memory of a 3.8-million-row ADLB about halves). Dates come as
        # datetime64 (date_as_object=False), not as Python date objects.
        frame = table.to_pandas(split_blocks=True, self_destruct=True, date_as_object=False)
        del table
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise ReadError(
            Problem(path.name, "", "file-unreadable", f"not a readable Parquet file: {exc}")
        ) from None
    return RawDataset(role, path, _normalise_frame(frame))


def _read_dataset_json(path: Path, role: str) -> RawDataset:
    """CDISC Dataset-JSON v1.1: ``columns`` (name, label, dataType) and ``rows`` (lists)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        columns = doc["columns"]
        names = [c["name"] for c in columns]
        frame = pd.DataFrame(doc["rows"], columns=names)
    except UnicodeDecodeError as exc:
        raise ReadError(
            Problem(path.name, "", "encoding", f"not valid UTF-8: {exc.reason}")
        ) from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ReadError(
            Problem(path.name, "", "file-unreadable", f"not a readable Dataset-JSON file: {exc}")
        ) from None
    for col in columns:
        name, dtype = col["name"], col.get("dataType", "string")
        if dtype in ("date", "datetime"):
            frame[name] = pd.to_datetime(frame[name], errors="coerce")
        elif dtype in ("integer", "float", "double", "decimal"):
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    labels = {c["name"]: c.get("label", "") for c in columns}
    return RawDataset(role, path, _normalise_frame(frame), labels)


def _normalise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as datetime64[ns], numbers as float64, everything else as clean text: one new frame
    of the new columns, not consolidated (replacing columns one by one copies the frame's blocks
    every time; consolidating copies every column once more, a transient gigabyte at scale)."""
    columns = {}
    for col in frame.columns:
        series = frame[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            columns[col] = series.astype("datetime64[ns]")
        elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            columns[col] = series.astype("float64")
        else:
            columns[col] = _clean_text(series)
    return pd.DataFrame(columns, index=frame.index, copy=False)


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
