"""Parquet and CDISC Dataset-JSON (v1.1) datasets: typed formats, checked for shape.

Parquet: the magic bytes (``[file-format]`` for a CSV or anything else under the name), a
readable footer (``[file-truncated]`` when it is cut off), column names (``[columns]``),
column types csrgen can hold (``[type]`` for lists, structs, maps; binary text decoded as
UTF-8 or ``[encoding]``), and finite numbers (``[finite]``: NaN, which pandas would take for
a missing value, and infinity).

Dataset-JSON: strict JSON (``NaN``, ``Infinity`` and a key twice are refused), the v1.1 shape
(an object with ``columns`` and ``rows``; v1.0's ``clinicalData`` is named as such), every row
as wide as ``columns`` (``[fields]``), ``records`` equal to the rows held
(``[file-truncated]``), a known ``dataType`` per column, and values of the column's type.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from csrgen.datasets.base import (
    MAX_EXAMPLES,
    RawDataset,
    ReadError,
    check_column_count,
    check_column_names,
    coerce,
    finite_problem,
    normalise_frame,
    read_error,
    sniff,
)
from csrgen.errors import Problem


# -- Parquet -------------------------------------------------------------------------------------
def read_parquet(path: Path, role: str) -> RawDataset:
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = path.name
    with path.open("rb") as handle:
        head = handle.read(64)
    if not head.startswith(b"PAR1"):
        what = sniff(head) or "not a Parquet file (no PAR1 magic bytes)"
        raise read_error(
            name,
            "file-format",
            f"the file is {what}, not Parquet" if sniff(head) else f"the file is {what}",
        )
    try:
        schema = pq.read_schema(path)
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise read_error(
            name,
            "file-truncated" if "footer" in str(exc).lower() else "file-unreadable",
            f"not a readable Parquet file (cut off or damaged): {exc}",
        ) from None
    check_column_names(name, list(schema.names))
    _check_parquet_types(name, schema)
    try:
        # Text columns read dictionary-encoded (as pandas categoricals): each distinct text is
        # decoded once, and clean_text strips the categories instead of every value.
        text = [
            f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
        ]
        table = pq.read_table(path, read_dictionary=text)
        table, odd = _parquet_columns(name, table)
        # split_blocks + self_destruct: columns handed over one by one, the Arrow buffers
        # freed as they go (the peak memory of a 3.8-million-row ADLB about halves). Dates come
        # as datetime64 (date_as_object=False), not as Python date objects.
        frame = table.to_pandas(split_blocks=True, self_destruct=True, date_as_object=False)
        del table
    except ReadError:
        raise
    except Exception as exc:  # pyarrow raises several types for damaged pages and values
        raise read_error(name, "file-unreadable", f"not a readable Parquet file: {exc}") from None
    dataset = RawDataset(role, path, frame)
    dataset.frame = normalise_frame(frame, dataset)
    for col, (mask, shown) in odd.items():
        dataset.problems.append(finite_problem(dataset, col, mask, shown))
    return dataset


def _check_parquet_types(name: str, schema) -> None:
    import pyarrow as pa

    for f in schema:
        t = f.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_nested(t) or pa.types.is_duration(t) or pa.types.is_interval(t):
            raise read_error(
                name,
                "type",
                f"the column holds {t} values; a dataset column holds numbers, text or dates",
                variable=f.name,
            )


def _parquet_columns(name: str, table) -> tuple[object, dict]:
    """Decimals as numbers, binary as UTF-8 text, times as text; NaN and infinity found in
    floating columns (returned by column: mask and values) and made null."""
    import pyarrow as pa
    import pyarrow.compute as pc

    odd = {}
    for i, f in enumerate(table.schema):
        column = table.column(i)
        if pa.types.is_decimal(f.type):  # exact decimals -> numbers like every other
            column = column.cast(pa.float64())
        elif pa.types.is_binary(f.type) or pa.types.is_large_binary(f.type):
            try:
                column = column.cast(pa.string())
            except pa.ArrowInvalid:
                raise read_error(
                    name, "encoding", "binary values that are not UTF-8 text", variable=f.name
                ) from None
        elif pa.types.is_time(f.type):
            column = column.cast(pa.string())
        if pa.types.is_floating(column.type):
            bad = pc.fill_null(pc.or_(pc.is_nan(column), pc.is_inf(column)), False)
            if pc.any(bad).as_py():
                mask = np.asarray(bad.to_numpy(zero_copy_only=False), dtype=bool)
                shown = column.to_numpy(zero_copy_only=False)
                odd[f.name] = (mask, [repr(float(v)) for v in shown])
                column = pc.if_else(bad, pa.scalar(None, column.type), column)
        if column is not table.column(i):
            table = table.set_column(i, f.name, column)
    return table, odd


# -- Dataset-JSON --------------------------------------------------------------------------------
_JSON_DATES = ("date", "datetime")
_JSON_NUMBERS = ("integer", "float", "double", "decimal")
_JSON_TEXT = ("string", "boolean", "time", "URI")


class _NotJson(ValueError):
    pass


def _constant(word: str):
    raise _NotJson(f"{word} is not a JSON value (a missing number is null)")


def _pairs(pairs: list) -> dict:
    out = {}
    for key, value in pairs:
        if key in out:
            raise _NotJson(f"the key {key!r} occurs twice in one object")
        out[key] = value
    return out


def read_dataset_json(path: Path, role: str) -> RawDataset:
    """CDISC Dataset-JSON v1.1: ``columns`` (name, label, dataType, targetDataType) and ``rows``
    (lists). Dates and datetimes are ISO 8601 text; numbers in a date column are SAS dates
    (days) or datetimes (seconds) from 1960-01-01."""
    name = path.name
    raw = path.read_bytes()
    what = sniff(raw[:64])
    if what != "a JSON document":
        raise read_error(
            name,
            "file-format",
            f"the file is {what or 'not JSON'}, not Dataset-JSON"
            + ("" if what else f" (it starts with {raw[:20]!r})"),
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise read_error(
            name, "encoding", f"not valid UTF-8: {exc.reason} at byte {exc.start}"
        ) from None
    try:
        doc = json.loads(text, parse_constant=_constant, object_pairs_hook=_pairs)
    except _NotJson as exc:
        raise read_error(name, "file-format", f"not valid JSON: {exc}") from None
    except json.JSONDecodeError as exc:
        # a string left open, or a value expected where the text ends: the file was cut off
        cut = exc.msg.startswith("Unterminated string") or (
            exc.pos >= len(text.rstrip()) and exc.msg.startswith("Expecting")
        )
        raise read_error(
            name,
            "file-truncated" if cut else "file-unreadable",
            ("the JSON ends before it is complete (cut off?): " if cut else "not valid JSON: ")
            + f"{exc.msg} at line {exc.lineno} column {exc.colno}",
        ) from None
    except RecursionError:
        raise read_error(name, "file-format", "not Dataset-JSON: nested too deeply") from None
    columns, rows = _json_shape(name, doc)
    names = [c["name"] for c in columns]
    frame = pd.DataFrame(rows, columns=names, dtype=object) if rows else _empty(names)
    dataset = RawDataset(role, path, frame)
    for col in columns:
        col_name, dtype = col["name"], col.get("dataType", "string")
        values = frame[col_name]
        if dtype in _JSON_DATES:
            frame[col_name] = _json_dates(dataset, col_name, values, dtype)
        elif dtype in _JSON_NUMBERS:
            frame[col_name] = _json_numbers(dataset, col_name, values)
        else:
            frame[col_name] = _json_text(dataset, col_name, values)
    dataset.labels = {c["name"]: str(c.get("label") or "") for c in columns}
    dataset.frame = normalise_frame(frame, dataset)
    return dataset


def _empty(names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({n: pd.Series([], dtype=object) for n in names})


def _json_shape(name: str, doc) -> tuple[list[dict], list[list]]:
    def refuse(message: str, rule: str = "file-format", variable: str = "") -> ReadError:
        return read_error(name, rule, message, variable=variable)

    if not isinstance(doc, dict):
        raise refuse(f"not Dataset-JSON: the top level is a {type(doc).__name__}, not an object")
    if "clinicalData" in doc or "referenceData" in doc:
        raise refuse("Dataset-JSON 1.0 (clinicalData); csrgen reads version 1.1 (columns, rows)")
    missing = [k for k in ("columns", "rows") if k not in doc]
    if missing:
        raise refuse(f"not Dataset-JSON 1.1: no {' and no '.join(map(repr, missing))}")
    columns, rows = doc["columns"], doc["rows"]
    if not isinstance(columns, list) or not isinstance(rows, list):
        raise refuse("not Dataset-JSON 1.1: columns and rows must be lists")
    check_column_count(name, len(columns))
    for i, col in enumerate(columns):
        if not isinstance(col, dict) or not isinstance(col.get("name"), str):
            raise refuse(f"columns[{i}]: a column is an object with a text name")
        dtype = col.get("dataType", "string")
        if dtype not in _JSON_DATES + _JSON_NUMBERS + _JSON_TEXT:
            raise refuse(
                f"columns[{i}].dataType: unknown type {dtype!r}", "type", variable=col["name"]
            )
    check_column_names(name, [c["name"] for c in columns])
    width = len(columns)
    bad = [i for i, row in enumerate(rows) if not isinstance(row, list) or len(row) != width]
    if bad:
        raise ReadError(
            Problem(
                name,
                "",
                "fields",
                f"rows that are not lists of the {width} columns' values",
                count=len(bad),
                examples=tuple(
                    f"record {i + 1}: "
                    + (f"{len(rows[i])} values" if isinstance(rows[i], list) else "not a list")
                    for i in bad[:MAX_EXAMPLES]
                ),
            )
        )
    records = doc.get("records")
    if records is not None and (isinstance(records, bool) or not isinstance(records, int)):
        raise refuse(f"records: expected a whole number, found {records!r}")
    if records is not None and records != len(rows):
        raise refuse(
            f"records says {records:,} rows, the file holds {len(rows):,} (cut off or edited?)",
            "file-truncated",
        )
    return columns, rows


def _kinds(values: pd.Series, allowed: tuple[type, ...]) -> np.ndarray:
    """Rows whose value is none of ``allowed`` (None always allowed; bools never numbers)."""
    kind = pd.api.types.infer_dtype(values, skipna=True)
    if kind in ("empty",) or (kind == "string" and str in allowed):
        return np.zeros(len(values), dtype=bool)
    if kind in ("integer", "floating", "mixed-integer-float") and float in allowed:
        return np.zeros(len(values), dtype=bool)
    return np.fromiter(
        (
            v is not None
            and (isinstance(v, bool) and bool not in allowed or not isinstance(v, allowed))
            for v in values
        ),
        dtype=bool,
        count=len(values),
    )


def _type_problem(dataset: RawDataset, col: str, values: pd.Series, bad, want: str) -> Problem:
    rows = np.flatnonzero(bad)
    return Problem(
        dataset.name,
        col,
        "type",
        f"expected {want}",
        count=len(rows),
        examples=tuple(
            f"record {r + 1}: {col}={json.dumps(values.iloc[r])[:40]}" for r in rows[:MAX_EXAMPLES]
        ),
    )


def _json_text(dataset: RawDataset, name: str, values: pd.Series) -> pd.Series:
    bad = _kinds(values, (str, int, float, bool))
    if bad.any():
        dataset.problems.append(
            _type_problem(dataset, name, values, bad, "text, not a list or object")
        )
        values = values.where(~bad, None)
    return values


def _json_dates(dataset: RawDataset, name: str, values: pd.Series, dtype: str) -> pd.Series:
    bad = _kinds(values, (str, int, float))
    if bad.any():
        dataset.problems.append(_type_problem(dataset, name, values, bad, "an ISO 8601 date"))
        values = values.where(~bad, None)
    numeric = values.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    numeric = numeric.astype(bool)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    if numeric.any():
        unit, limit = ("D", 106_000) if dtype == "date" else ("s", 106_000 * 86_400)
        number = pd.to_numeric(values[numeric], errors="coerce").astype("float64")
        # SAS dates of the years 1678-2261 (what datetime64[ns] holds), else a [type] problem
        outside = ~np.isfinite(number) | (number.abs() > limit)
        if outside.any():
            mask = np.zeros(len(values), dtype=bool)
            mask[np.flatnonzero(numeric.to_numpy())[outside.to_numpy()]] = True
            dataset.problems.append(
                _type_problem(dataset, name, values, mask, "a SAS date within the years 1678-2261")
            )
            number = number.where(~outside)
        out[numeric] = pd.Timestamp("1960-01-01") + pd.to_timedelta(number, unit=unit)
    rest = ~numeric
    if rest.any():
        text = values[rest].map(lambda v: "" if v is None else str(v)).astype(object)
        out[rest] = coerce(dataset, name, text.str.strip(), "date")
    return out


def _json_numbers(dataset: RawDataset, name: str, values: pd.Series) -> pd.Series:
    bad = _kinds(values, (int, float, str))
    if bad.any():
        dataset.problems.append(_type_problem(dataset, name, values, bad, "a number"))
        values = values.where(~bad, None)
    if pd.api.types.infer_dtype(values, skipna=True) in (
        "integer",
        "floating",
        "empty",
        "mixed-integer-float",
    ):
        return pd.to_numeric(values, errors="coerce").astype("float64")
    text = values.map(lambda v: "" if v is None else str(v)).astype(object)
    return coerce(dataset, name, text.str.strip(), "num")
