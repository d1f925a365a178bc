"""The simulated frames as SAS transport (XPORT v5) and CDISC Dataset-JSON 1.1 files.

XPORT version 5 is what the FDA accepts: variable names of at most 8 characters, labels of at
most 40, text values of at most 200 bytes. A name or a value beyond those limits is a bug of the
simulator and stops the write (nothing is cut silently); a label is shortened to 40 characters,
as SAS does. Dates are SAS dates (days since 1960-01-01) with the format ``DATE9.``. The
headers' created and modified times are fixed (:data:`XPT_CREATED`), so that the same seed gives
the same bytes.

Dataset-JSON 1.1: one object with the dataset's metadata, ``columns`` (name, label, dataType)
and ``rows``; dates as ISO 8601 text (``date``), numbers as JSON numbers (``integer`` when every
value is whole, else ``double``), missing numbers and dates as ``null``, text as written in the
CSV (missing as ``""``). The creation time is fixed so that the same seed gives the same bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

#: SAS version 5 transport limits.
XPT_NAME = 8
XPT_LABEL = 40
XPT_TEXT = 200
_SAS_EPOCH = np.datetime64("1960-01-01", "D")
#: Dataset-JSON requires a creation time; a fixed one keeps the output a function of the seed.
JSON_CREATED = "2000-01-01T00:00:00"
_JSON_ROWS = 100_000


def write_xpt(frame: pd.DataFrame, path: Path, name: str, labels: dict[str, str]) -> None:
    """``frame`` as a SAS transport version 5 file of the member ``name``."""
    import pyreadstat

    too_long = [c for c in [name, *frame.columns] if len(c) > XPT_NAME]
    if too_long:
        raise ValueError(f"{name}: names longer than {XPT_NAME} characters: {too_long}")
    columns, formats = {}, {}
    for col in frame.columns:
        series = frame[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            days = series.to_numpy().astype("datetime64[D]")
            number = (days - _SAS_EPOCH).astype("float64")
            number[np.isnat(days)] = np.nan
            columns[col] = number
            formats[col] = "DATE9."
        elif pd.api.types.is_numeric_dtype(series):
            columns[col] = series.to_numpy(dtype="float64")
        else:
            text = series.fillna("").astype(str)
            longest = int(text.map(lambda v: len(v.encode("utf-8"))).max()) if len(text) else 0
            if longest > XPT_TEXT:
                raise ValueError(f"{name}.{col}: a value of {longest} bytes (at most {XPT_TEXT})")
            columns[col] = text.to_numpy(dtype=object)
    out = pd.DataFrame(columns, index=pd.RangeIndex(len(frame)), copy=False)
    pyreadstat.write_xport(
        out,
        str(path),
        table_name=name,
        file_format_version=5,
        column_labels=[labels.get(c, "")[:XPT_LABEL] for c in frame.columns],
        variable_format=formats,
    )
    _fix_xpt_times(path)


#: The created and modified times of the library and member headers (16 bytes each, at these
#: offsets in a version 5 file): written as the clock's time, fixed here to keep the bytes a
#: function of the seed.
_XPT_TIMES = (144, 160, 464, 480)
XPT_CREATED = b"01JAN00:00:00:00"


def _fix_xpt_times(path: Path) -> None:
    with path.open("r+b") as handle:
        head = bytearray(handle.read(8 * 80))
        for at in _XPT_TIMES:
            stamp = bytes(head[at : at + 16])
            if stamp[2:5].isalpha() and stamp[7:8] == b":":  # ddMMMyy:hh:mm:ss
                head[at : at + 16] = XPT_CREATED
        handle.seek(0)
        handle.write(head)


def write_dataset_json(frame: pd.DataFrame, path: Path, name: str, labels: dict[str, str]) -> None:
    """``frame`` as a Dataset-JSON 1.1 file of the dataset ``name``, written in chunks."""
    columns = []
    for col in frame.columns:
        columns.append(
            {
                "itemOID": f"IT.{name}.{col}",
                "name": col,
                "label": labels.get(col, ""),
                "dataType": _json_type(frame[col]),
            }
        )
    head = {
        "datasetJSONCreationDateTime": JSON_CREATED,
        "datasetJSONVersion": "1.1.0",
        "originator": "csrgen simulate",
        "itemGroupOID": f"IG.{name}",
        "records": len(frame),
        "name": name,
        "label": name,
        "columns": columns,
    }
    opening = json.dumps(head, ensure_ascii=False)[:-1] + ', "rows": ['
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(opening)
        for first in range(0, len(frame), _JSON_ROWS):
            part = frame.iloc[first : first + _JSON_ROWS]
            cells = [
                _json_cells(part[c], k["dataType"]) for c, k in zip(part, columns, strict=True)
            ]
            rows = json.dumps(list(zip(*cells, strict=True)), ensure_ascii=False, allow_nan=False)
            handle.write(("," if first else "") + "\n" + rows[1:-1])
        handle.write("\n]}\n")


def _json_type(series: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if pd.api.types.is_numeric_dtype(series):
        values = series.to_numpy(dtype="float64")
        whole = values[~np.isnan(values)]
        return "integer" if np.all(whole == np.round(whole)) else "double"
    return "string"


def _json_cells(series: pd.Series, kind: str) -> list:
    """One column's values as JSON-ready Python objects (None for a missing number or date)."""
    if kind == "date":
        days = series.to_numpy().astype("datetime64[D]")
        text = np.datetime_as_string(days, unit="D").astype(object)
        text[np.isnat(days)] = None
        return text.tolist()
    if kind in ("integer", "double"):
        values = series.to_numpy(dtype="float64") + 0.0  # no -0.0
        cells = values.astype(object)
        if kind == "integer":
            cells = np.where(np.isnan(values), 0, values).astype(np.int64).astype(object)
        cells[np.isnan(values)] = None
        return cells.tolist()
    return series.fillna("").astype(str).tolist()
