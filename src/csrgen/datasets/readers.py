"""Readers: one ADaM file in, one pandas frame out, in a single in-memory representation.

* text columns: ``object`` of ``str``, missing as ``""``, leading/trailing blanks stripped (SAS
  pads character values; ADLBC's AVISIT is left-padded);
* numeric columns: ``float64``, missing as NaN; a number must be finite (``[finite]``);
* dates and datetimes: ``datetime64[ns]``, missing as NaT (a time zone is dropped, keeping
  the wall-clock time where it was recorded).

Parquet ``date32``/``date64`` and ``timestamp`` columns (any unit, with or without time zone)
are dates; Parquet decimals are numbers. Dataset-JSON ``date``/``datetime`` columns hold ISO
8601 text (version 1.1); a number there (a SAS date or datetime, ``targetDataType`` integer)
is read from the SAS epoch 1960-01-01.

Formats: SAS XPORT (``.xpt``, also the single ``.xpt`` inside a ``.zip``; :mod:`.xport`), CSV
(``.csv``, with an optional type spec; :mod:`.csvfile`), Parquet (``.parquet``) and CDISC
Dataset-JSON (``.json``, version 1.1; :mod:`.columnar`). Each reader checks its format's
integrity (a cut-off or padded file, rows of the wrong width, duplicate columns, another
format under the name) before its data are trusted. A file that cannot be read raises
:class:`ReadError` holding a :class:`~csrgen.errors.Problem`; the caller collects them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from csrgen.datasets.base import (
    RawDataset,
    ReadError,
    clean_text,
    coerce,
    finite_problems,
    parse_iso_dates,
    read_error,
)
from csrgen.datasets.csvfile import read_csv

__all__ = [
    "TYPES",
    "RawDataset",
    "ReadError",
    "derive_dates",
    "numbers_as_text",
    "parse_iso_dates",
    "read_csv",
    "read_dataset",
]

#: Column types a type spec may name.
TYPES = ("text", "num", "date")
_clean_text = clean_text  # the name the tests know


def read_dataset(
    path: Path, role: str, types: dict[str, str] | None = None, encoding: str = "utf-8"
) -> RawDataset:
    """Read one file by its extension; raise :class:`ReadError` when it cannot be read."""
    path = Path(path)
    try:
        dataset = _read_file(path, role, types, encoding)
    except OSError as exc:  # unreadable: permissions, a name the file system refuses, ...
        raise read_error(
            path.name, "file-unreadable", f"cannot read {path}: {exc.strerror or exc}"
        ) from None
    except MemoryError:
        raise read_error(
            path.name, "file-unreadable", f"{path} is too large to read into memory"
        ) from None
    dataset.problems += finite_problems(dataset)
    return dataset


def _read_file(path: Path, role: str, types: dict[str, str] | None, encoding: str) -> RawDataset:
    if not path.exists():
        raise read_error(path.name, "file-missing", f"file not found: {path}")
    if not path.is_file():
        raise read_error(path.name, "file-missing", f"not a file: {path}")
    if path.stat().st_size == 0:
        raise read_error(path.name, "file-empty", "the file is empty (0 bytes)")
    suffix = path.suffix.lower()
    if suffix == ".xpt":
        from csrgen.datasets.xport import read_xport_file

        return read_xport_file(path, role)
    if suffix == ".zip":
        from csrgen.datasets.xport import read_zip

        return read_zip(path, role)
    if suffix == ".csv":
        return read_csv(path, role, types, encoding)
    if suffix == ".parquet":
        from csrgen.datasets.columnar import read_parquet

        return read_parquet(path, role)
    if suffix == ".json":
        from csrgen.datasets.columnar import read_dataset_json

        return read_dataset_json(path, role)
    raise read_error(
        path.name, "file-format", f"unknown file type {suffix!r} (xpt, zip, csv, parquet, json)"
    )


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
            text = clean_text(values)
            parsed = coerce(dataset, source, text, "date")
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
