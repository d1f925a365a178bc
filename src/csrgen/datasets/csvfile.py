"""CSV datasets: text first (nothing guessed by the parser), checked for shape, then typed.

The checks that keep a broken CSV from being read as a shorter or shifted dataset, each in one
pass over the bytes (linear in the file size, the file read once):

* ``[encoding]``   not valid text in the study's encoding; UTF-16; UTF-8 text read as a
  single-byte encoding (``é`` would become ``Ã©``);
* ``[file-format]`` binary content (a NUL byte), or another format with a ``.csv`` name;
* ``[columns]``    an empty or duplicated column name, more than ``MAX_COLUMNS`` fields in the
  header (refused before parsing), or one field holding a ``;`` or tab separator;
* ``[fields]``     a row with more or fewer fields than the header, or a blank line inside;
* ``[file-truncated]`` a last row cut off mid-row, a quote never closed.
"""

from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd

from csrgen.datasets.base import (
    MAX_EXAMPLES,
    RawDataset,
    ReadError,
    check_column_count,
    check_column_names,
    coerce_codes,
    read_error,
    wrong_format,
)
from csrgen.errors import Problem

_LINE_END = re.compile(rb"[\r\n]")
#: A row longer than this is refused (the parser works in blocks of this size).
MAX_ROW_BYTES = 16 << 20


def read_csv(
    path: Path, role: str, types: dict[str, str] | None = None, encoding: str = "utf-8"
) -> RawDataset:
    """Read a CSV: text first (nothing guessed), then typed by ``types`` or by inference.

    Inference without a spec: a column named ``*DT`` is a date (ISO 8601), a column whose every
    non-blank value is a number is numeric, the rest is text.

    Each column is parsed dictionary-encoded: its distinct texts once, and a code per row. So
    stripping, inference and conversion work on the distinct values (a 4-million-row lab
    column holds a few thousand), no Python string is made per cell, and the Arrow column is
    dropped as soon as its typed column is built: the peak memory is the file's bytes, its
    codes and the typed frame.
    """
    name = path.name
    raw = path.read_bytes()
    data = _as_utf8(name, raw, encoding)
    del raw  # the same bytes when the file is UTF-8; else its UTF-8 copy is kept
    if not data or data.isspace():
        raise read_error(name, "file-empty", "the file holds no header and no rows")
    ended = data.endswith((b"\n", b"\r"))
    data = _one_line_end(data)  # blank lines at the end are no records
    header = _header(name, data)
    columns = _parse(name, data, header, ended)
    del data
    rows = len(columns[0][0]) if columns else 0
    dataset = RawDataset(role, path, pd.DataFrame(index=pd.RangeIndex(rows)))
    if not ended:
        # As wide as the header, but perhaps cut inside its last value: say so.
        dataset.warnings.append(
            f"{name}: the file does not end with a line end; its last line "
            f"({rows + 1}) may be cut off (was the copy interrupted?)"
        )
    types = types or {}
    typed: dict[str, pd.Series] = {}
    # USUBJID first: the problems of the other columns name each row's subject.
    order = sorted(range(len(header)), key=lambda i: header[i] != "USUBJID")
    for i in order:
        col, (codes, uniques) = header[i], columns[i]
        columns[i] = None  # the codes of a column are dropped once it is typed
        kind = types.get(col) or _infer_type(col, uniques)
        if kind == "text":
            typed[col] = pd.Series(uniques[codes], index=dataset.frame.index, name=col)
        else:
            typed[col] = coerce_codes(dataset, col, codes, uniques, kind, dataset.frame.index, col)
        if col == "USUBJID" and kind == "text":
            dataset.frame = pd.DataFrame({col: typed[col]}, copy=False)
    dataset.frame = pd.DataFrame({col: typed[col] for col in header}, copy=False)
    return dataset


def _one_line_end(data: bytes) -> bytes:
    """``data`` ending in exactly one ``\\n`` (the bytes themselves when they already do)."""
    end = len(data)
    while end and data[end - 1 : end] in (b"\r", b"\n", b" ", b"\t"):
        end -= 1
    if end == len(data) - 1 and data.endswith(b"\n"):
        return data
    return data[:end] + b"\n"


def _as_utf8(name: str, raw: bytes, encoding: str) -> bytes:
    """The file as UTF-8 bytes without a byte-order mark; refuse what is not text."""
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise read_error(name, "encoding", f"unknown encoding {encoding!r}") from None
    wide = codec.startswith(("utf-16", "utf-32"))
    if not wide and raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise read_error(
            name,
            "encoding",
            "UTF-16 text: re-save the file as UTF-8, or set data.encoding = 'utf-16'",
        )
    wrong_format(name, raw[:64], "a CSV text file", accept=("UTF-16 text",))
    utf8 = codec in ("utf-8", "utf-8-sig")
    if utf8 and _valid_utf8(raw):  # checked without a decoded copy of the whole file
        if (nul := raw.find(b"\x00")) >= 0:
            raise _nul(name, raw[:nul].count(b"\n") + 1)
        return raw[3:] if raw.startswith(codecs.BOM_UTF8) else raw
    try:
        text = raw.decode("utf-8-sig" if utf8 else codec)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise read_error(
            name,
            "encoding",
            f"not valid {encoding} text: byte 0x{raw[exc.start]:02x} at line {line}"
            f" (re-save the file as {encoding}, or set data.encoding in the study file)",
        ) from None
    if "\x00" in text:
        raise _nul(name, text[: text.index("\x00")].count("\n") + 1)
    if not wide and not raw.isascii():
        _not_utf8_in_disguise(name, raw, codec)
    return text.removeprefix("\ufeff").encode("utf-8")


def _valid_utf8(raw: bytes, chunk: int = 16 << 20) -> bool:
    """Whether ``raw`` is UTF-8, decoded a chunk at a time (never the whole file at once)."""
    if raw.isascii():
        return True
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(raw)
    try:
        for start in range(0, len(raw), chunk):
            decoder.decode(view[start : start + chunk], final=start + chunk >= len(raw))
    except UnicodeDecodeError:
        return False
    return True


def _nul(name: str, line: int) -> ReadError:
    return read_error(
        name,
        "file-format",
        f"binary content: a NUL byte at line {line}; a CSV file holds text only",
    )


def _not_utf8_in_disguise(name: str, raw: bytes, codec: str) -> None:
    """UTF-8 bytes decode as any single-byte encoding, into mojibake; a file that is valid
    UTF-8 with non-ASCII characters is UTF-8 (real Latin-1 text is almost never valid UTF-8)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return
    at = re.search(rb"[\x80-\xff]", raw).start()
    char = raw[at : at + 4].decode("utf-8", "ignore")[:1]
    garbled = raw[at : at + len(char.encode("utf-8"))].decode(codec, "replace")
    line = raw[:at].count(b"\n") + 1
    raise read_error(
        name,
        "encoding",
        f"the file is UTF-8 text, but it would be read as {codec}: line "
        f"{line} has {char!r}, read as {garbled!r} (remove data.encoding "
        "from the study file, or set it to 'utf-8')",
    )


def _header(name: str, data: bytes) -> list[str]:
    """The header's names, checked before the rows are parsed (a damaged file without line
    ends is one huge header: counted, not parsed)."""
    match = _LINE_END.search(data)  # \n, \r\n or an old Mac's \r, as the parser reads them
    line = data[: match.start()] if match else data
    check_column_count(name, line.count(b",") + 1)
    if line.count(b'"') % 2:
        raise read_error(
            name, "columns", "the header line has a quote left open (a line break in a name?)"
        )
    try:
        names = next(csv.reader([line.decode("utf-8")]))
    except (csv.Error, StopIteration) as exc:
        raise read_error(name, "columns", f"the header line cannot be read: {exc}") from None
    names = [n.strip() for n in names]
    if len(names) == 1:
        for sep, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars")):
            if sep in names[0]:
                raise read_error(
                    name,
                    "columns",
                    f"the header is one field holding {label}: csrgen reads comma-separated "
                    "files (save it as CSV with commas)",
                )
    check_column_names(name, names)
    return names


def _parse(
    name: str, data: bytes, header: list[str], ended: bool
) -> list[tuple[np.ndarray, np.ndarray] | None]:
    """Every field as text, per column: a code per row and the distinct texts, stripped
    (``uniques[codes]`` is the column). pyarrow's parser reports each row whose field count is
    not the header's (pandas would pad a short row with blanks and turn a long first row into an
    index); they are collected and refused together."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    bad: list[tuple[int | None, int, str]] = []

    def invalid(row) -> str:
        bad.append((row.number, row.actual_columns, row.text))
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                use_threads=False,  # row numbers are known only when read in order
                block_size=min(MAX_ROW_BYTES, max(1 << 20, len(data))),
                column_names=header,
                skip_rows=1,
            ),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, ignore_empty_lines=False, invalid_row_handler=invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        raise read_error(
            name, "fields", f"not a readable CSV file: {_arrow_message(exc)}"
        ) from None
    if bad:
        raise ReadError(_fields_problem(name, len(header), bad, data, ended))
    if any(str(t) != "string" for t in table.schema.types):  # a guard: the header is parsed alone
        raise read_error(name, "fields", "the header and the rows do not line up")
    texts = table.columns
    del table
    columns = []
    for i in range(len(texts)):
        columns.append(_codes(texts[i]))
        texts[i] = None  # each column's text freed once it is encoded
    blank = _blank_rows(columns, len(columns[0][0]) if columns else 0)
    if blank.any():
        rows = np.flatnonzero(blank)
        raise ReadError(
            Problem(
                name,
                "",
                "fields",
                "blank line(s) inside the file: a row with no values is no record",
                count=len(rows),
                examples=tuple(f"line {r + 2}" for r in rows[:MAX_EXAMPLES]),
            )
        )
    for _, uniques in columns:
        uniques[:] = [u.strip() for u in uniques]
    return columns


def _codes(column) -> tuple[np.ndarray, np.ndarray]:
    """A text column as (codes, distinct texts)."""
    import pyarrow.compute as pc

    column = pc.dictionary_encode(column).unify_dictionaries()
    if column.num_chunks:
        uniques = column.chunk(0).dictionary.to_pylist()
        codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in column.chunks])
    else:
        uniques, codes = [], np.zeros(0, dtype=np.int32)
    texts = np.empty(len(uniques), dtype=object)
    texts[:] = uniques
    return codes, texts


def _arrow_message(exc: Exception) -> str:
    text = str(exc).strip()
    if "straddling" in text or "block" in text.lower():
        return f"a row is longer than {MAX_ROW_BYTES >> 20} MB"
    return text.removeprefix("CSV parse error: ")


def _fields_problem(name: str, expected: int, bad: list, data: bytes, ended: bool) -> Problem:
    number, count, text = bad[-1]
    last = count < expected and data.rstrip(b"\r\n").endswith(text.encode("utf-8").rstrip())
    where = f"line {number}" if number is not None else "the last row"
    if last and text.count('"') % 2:
        return Problem(
            name,
            "",
            "file-truncated",
            f"a quote opened in {where} is never closed (a cut-off file, or a stray quote?)",
        )
    if last and len(bad) == 1 and not ended:
        return Problem(
            name,
            "",
            "file-truncated",
            f"the file ends mid-row: {where} has {count} of {expected} fields"
            " and no line end (was the copy interrupted?)",
        )
    examples = tuple(
        f"line {number if number is not None else '?'}: {count} field{'s' if count != 1 else ''}"
        + (f" ({_short(text)})" if text.strip() else " (blank)")
        for number, count, text in bad[:MAX_EXAMPLES]
    )
    return Problem(
        name,
        "",
        "fields",
        f"rows with another number of fields than the header's {expected} "
        "(a value with an unquoted comma, a missing value, or a cut-off file?)",
        count=len(bad),
        examples=examples,
    )


def _short(text: str) -> str:
    text = text.replace("\n", "\\n")
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _blank_rows(columns: list[tuple[np.ndarray, np.ndarray]], rows: int) -> np.ndarray:
    """Rows whose every field is empty (a blank line reads as one; so does ``,,,``)."""
    mask = np.ones(rows, dtype=bool) if columns else np.zeros(rows, dtype=bool)
    for codes, uniques in columns:
        if not mask.any():
            break
        empty = np.flatnonzero(np.array([u == "" for u in uniques], dtype=bool))
        mask &= np.isin(codes, empty)
    return mask


def _infer_type(col: str, uniques: np.ndarray) -> str:
    """``date`` for a ``*DT`` name, ``num`` when every distinct non-blank text is a number."""
    if col.endswith("DT"):
        return "date"
    filled = pd.Series(uniques[uniques != ""], dtype=object)
    if len(filled) and pd.to_numeric(filled, errors="coerce").notna().all():
        return "num"
    return "text"
