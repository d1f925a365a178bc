"""Write the simulated frames: CSV (committed, diff-friendly, byte-stable), Parquet (scale),
SAS transport (XPORT version 5, the format the FDA requires) or CDISC Dataset-JSON 1.1, so that
every input format csrgen reads can be benchmarked on the same data.

CSV layout: UTF-8, header row, ``,`` separator, LF line ends, dates ``YYYY-MM-DD``, missing as an
empty field, numbers in their shortest round-trip form (``3200``, ``29.1``, never ``3200.0`` or
``-0``), text quoted only when it holds a comma, a quote or a line break. The text is built
column-wise with Arrow compute kernels, so millions of rows take seconds and the bytes depend on
the values only.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from csrgen.simulate.formats import write_dataset_json, write_xpt
from csrgen.simulate.metadata import variables_frame

FORMATS = ("csv", "parquet", "xpt", "json")
_CHUNK_ROWS = 500_000
_NEEDS_QUOTES = r'[,"\r\n]'


def _quote(words: pa.Array) -> pa.Array:
    """RFC 4180 quoting of the values that hold a comma, a quote or a line break."""
    needs = pc.match_substring_regex(words, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return words
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(words, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, words)


def _cells(series: pd.Series) -> pa.Array:
    """One column as CSV cells (strings); missing values as empty cells.

    Columns repeat few distinct values, so each column is dictionary-encoded, only the distinct
    values are formatted (and quoted), and the result is mapped back by index: this keeps
    millions of rows fast.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        array = pa.array(series.to_numpy().astype("datetime64[D]"), from_pandas=True)
    elif pd.api.types.is_numeric_dtype(series):
        # "+ 0.0" turns -0.0 into 0.0, so that no "-0" is written.
        array = pa.array(series.to_numpy(dtype=np.float64) + 0.0, from_pandas=True)
    else:
        array = pa.array(series.to_numpy(dtype=object), type=pa.string())
    encoded = array.dictionary_encode(null_encoding="encode")
    words = pc.fill_null(encoded.dictionary.cast(pa.string()), "")
    if pa.types.is_string(array.type):
        words = _quote(words)
    return pc.take(words, encoded.indices)


def _csv_lines(frame: pd.DataFrame) -> bytes:
    """The rows of ``frame`` as LF-terminated CSV lines."""
    cells = [_cells(frame[col]) for col in frame.columns]
    lines = pc.binary_join_element_wise(*cells, ",")
    lines = pc.binary_join_element_wise(lines, "\n", "")
    # The concatenated value buffer of a string array is exactly the lines back to back.
    _, offsets, data = lines.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int32)[lines.offset : lines.offset + len(lines) + 1]
    return memoryview(data)[bounds[0] : bounds[-1]].tobytes()


def _write_csv(frame: pd.DataFrame, handle) -> None:
    handle.write((",".join(frame.columns) + "\n").encode("utf-8"))
    for first in range(0, len(frame), _CHUNK_ROWS):  # chunks keep each string array < 2 GB
        handle.write(_csv_lines(frame.iloc[first : first + _CHUNK_ROWS]))


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV text of ``frame`` (header + one LF-terminated line per row) as UTF-8 bytes."""
    buffer = io.BytesIO()
    _write_csv(frame, buffer)
    return buffer.getvalue()


def write_study(frames: dict[str, pd.DataFrame], out_dir: Path, fmt: str = "csv") -> list[Path]:
    """Write every frame as ``<name>.<fmt>`` plus ``variables.csv``; return the paths written.

    Parameters
    ----------
    frames : dict of str to pandas.DataFrame
        The output of :func:`csrgen.simulate.simulate_study`.
    out_dir : pathlib.Path
        Created if missing; existing files of the same names are replaced.
    fmt : {"csv", "parquet", "xpt", "json"}
        ``"csv"`` is the committed format (byte-identical for the same seed); ``"parquet"``
        is for large runs; ``"xpt"`` (SAS transport version 5) and ``"json"`` (Dataset-JSON
        1.1) carry the variable labels of ``variables.csv`` and read back as the same frames.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use one of {FORMATS}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in frames.items():
        path = out_dir / f"{name}.{fmt}"
        if fmt == "csv":
            with path.open("wb") as handle:
                _write_csv(frame, handle)
        elif fmt == "parquet":
            frame.to_parquet(path, index=False, engine="pyarrow")
        elif fmt == "xpt":
            write_xpt(frame, path, name.upper(), _labels(name))
        else:
            write_dataset_json(frame, path, name.upper(), _labels(name))
        paths.append(path)
    spec = variables_frame()
    spec = spec[spec["dataset"].isin([name.upper() for name in frames])]
    path = out_dir / "variables.csv"
    path.write_bytes(csv_bytes(spec.reset_index(drop=True)))
    paths.append(path)
    return paths


def _labels(name: str) -> dict[str, str]:
    spec = variables_frame()
    spec = spec[spec["dataset"] == name.upper()]
    return dict(zip(spec["variable"], spec["label"], strict=True))


__all__ = ["FORMATS", "csv_bytes", "write_study"]
