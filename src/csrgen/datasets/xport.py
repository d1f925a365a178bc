"""SAS transport (XPORT v5 and v8) files, plain or as the one ``.xpt`` inside a ``.zip``.

An XPORT file is a sequence of 80-byte records: the library and member headers, one 140-byte
NAMESTR per variable (packed, padded to 80), in v8 optionally the long names and labels
(LABELV8, LABELV9), the OBS header, then the observations, each ``obs_len`` bytes (the largest
``npos + nlng`` of the NAMESTRs), packed and blank-padded to a whole 80-byte record. The headers
are parsed here, the observations decoded by :mod:`.xport_decode` (numpy, column by column, a
chunk at a time). The types are the file's own: NAMESTR type 1 numbers (dates where the format
says so), type 2 text.

The records are counted as readstat counts them: every whole ``obs_len`` bytes after the OBS
header, in v8 at most the count it states, in v5 (no count) less the all-blank records at the
very end (the padding). A file cut off mid-way would read as a shorter dataset and bytes appended
as extra records, so before anything is decoded the layout is checked against the format:

* the file length is a whole number of 80-byte records (``[file-truncated]``);
* after the last record counted there are fewer than 80 bytes, all blank padding
  (``[file-truncated]`` for a record cut off, ``[file-padded]`` for bytes appended, and
  ``[file-format]`` for a second member);
* v8: the records equal the count in the OBS header (``[file-truncated]``);
* the headers in their order, the NAMESTRs: a name for every variable, none twice
  (``[columns]``), lengths and positions that fit the record (``[file-format]``).

A v5 file cut exactly where a record and an 80-byte line end together reads as a complete
shorter file: no reader can tell; the data lock's SHA-256 can. Nor can a v5 file's last records
be told from padding when all their values are blank text: they are not read, as readstat does
not read them.
"""

from __future__ import annotations

import io
import struct
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from csrgen.datasets.base import (
    RawDataset,
    ReadError,
    check_column_names,
    read_error,
    sniff,
)
from csrgen.datasets.xport_decode import Variable, decode_numbers, decode_text

LINE = 80
_PREFIX = b"HEADER RECORD*******"
_LIBRARY = (_PREFIX + b"LIBRARY HEADER RECORD!!!!!!!", _PREFIX + b"LIBV8   HEADER RECORD!!!!!!!")
_MEMBER = (_PREFIX + b"MEMBER  HEADER RECORD!!!!!!!", _PREFIX + b"MEMBV8  HEADER RECORD!!!!!!!")
_NAMESTR = (_PREFIX + b"NAMESTR HEADER RECORD!!!!!!!", _PREFIX + b"NAMSTV8 HEADER RECORD!!!!!!!")
_DESCRIPTOR = (
    _PREFIX + b"DSCRPTR HEADER RECORD!!!!!!!",
    _PREFIX + b"DSCPTV8 HEADER RECORD!!!!!!!",
)
_LABELS = (_PREFIX + b"LABELV8 HEADER RECORD!!!!!!!", _PREFIX + b"LABELV9 HEADER RECORD!!!!!!!")
_OBS = (_PREFIX + b"OBS     HEADER RECORD!!!!!!!", _PREFIX + b"OBSV8   HEADER RECORD!!!!!!!")
#: ntype, nhfun, nlng, nvar0, nname, nlabel, nform, nfl, nfd, nfj, nfill, niform, nifl, nifd,
#: npos: the first 88 bytes of a NAMESTR (big-endian), then v8's 32-byte long name.
_NAMESTR_STRUCT = struct.Struct(">hhhh8s40s8shhh2s8shhi")
#: Zip members larger than this and more than _BOMB_RATIO times their compressed size are
#: refused before they are inflated into memory.
_BOMB_SIZE = 1 << 30
_BOMB_RATIO = 200

_SAS_EPOCH = np.datetime64("1960-01-01", "D")
#: Observations are read about this many bytes at a time.
CHUNK_BYTES = 32 << 20


@dataclass(frozen=True)
class Layout:
    """What the headers say about the observations."""

    version: int
    variables: tuple[Variable, ...]
    obs_start: int
    obs_len: int
    #: v8 only: the record count in the OBS header.
    count: int | None


def read_xport_file(path: Path, role: str) -> RawDataset:
    with path.open("rb") as handle:
        return read_xport(handle, path, role, path.stat().st_size)


def read_zip(path: Path, role: str) -> RawDataset:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        with path.open("rb") as handle:
            what = sniff(handle.read(64))
        hint = f" (the file is {what})" if what and "zip" not in what else ""
        raise read_error(
            path.name, "file-unreadable", f"not a readable zip file: {exc}{hint}"
        ) from None
    with archive:
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir()
            and not info.filename.startswith("__MACOSX/")  # macOS resource forks
            and not info.filename.rsplit("/", 1)[-1].startswith("._")
        ]
        datasets = [i for i in members if i.filename.lower().endswith(".xpt")]
        if len(datasets) != 1:
            names = [i.filename for i in members]
            raise read_error(
                path.name,
                "file-format",
                f"expected exactly one .xpt inside the zip, found {len(datasets)}"
                f" among {names[:10]}" + (" ..." if len(names) > 10 else ""),
            )
        (info,) = datasets
        if info.file_size > _BOMB_SIZE and info.file_size > _BOMB_RATIO * max(
            info.compress_size, 1
        ):
            raise read_error(
                path.name,
                "file-format",
                f"{info.filename} would inflate to {info.file_size:,} bytes from "
                f"{info.compress_size:,}: refused (a zip bomb?)",
            )
        try:
            data = archive.read(info)
        except (zipfile.BadZipFile, OSError, EOFError, zipfile.LargeZipFile) as exc:
            raise read_error(path.name, "file-truncated", f"damaged zip member: {exc}") from None
        except (RuntimeError, NotImplementedError) as exc:  # encrypted; unknown compression
            raise read_error(
                path.name, "file-format", f"cannot unpack {info.filename}: {exc}"
            ) from None
    return read_xport(io.BytesIO(data), path, role, len(data), member=info.filename)


def read_xport(handle, path: Path, role: str, size: int, member: str = "") -> RawDataset:
    """One XPORT dataset from a binary ``handle`` of ``size`` bytes: layout checked, the records
    counted and checked against the layout, then decoded."""
    name = f"{path.name}:{member}" if member else path.name
    layout = xport_layout(handle, size, name)
    n_read = count_records(handle, layout, size)
    check_records(handle, layout, n_read, size, name)
    try:
        columns = _read_columns(handle, layout, n_read, name)
    except ReadError:
        if _second_member(handle, layout):  # its headers read as records are no text
            raise _two_members(name) from None
        raise
    for var in (v for v in layout.variables if v.numeric):
        fmt = var.format.upper()
        if _is_sas_date(fmt):
            columns[var.name] = _SAS_EPOCH + pd.to_timedelta(columns[var.name], unit="D")
        elif _is_sas_datetime(fmt):
            columns[var.name] = pd.Timestamp("1960-01-01") + pd.to_timedelta(
                columns[var.name], unit="s"
            )
    frame = pd.DataFrame(columns, index=pd.RangeIndex(n_read), copy=False)
    return RawDataset(role, path, frame, {v.name: v.label for v in layout.variables})


def count_records(handle, layout: Layout, size: int) -> int:
    """The records in the file as readstat counts them: every whole ``obs_len`` bytes after the
    OBS header (in v8 at most the count of the OBS header), less, when no count is known, the
    records of blanks only at the very end, which are the padding of the last 80-byte line. A
    real record of blanks only (every value blank text) at the end of a v5 file cannot be told
    from padding and is dropped too; one among the records is kept."""
    n = max(0, (size - layout.obs_start) // layout.obs_len)
    if layout.count:  # v8 says how many: records of blanks are records
        return min(n, layout.count)
    step = max(1, min(CHUNK_BYTES, 1 << 16) // layout.obs_len)
    while n:
        k = min(n, step)
        handle.seek(layout.obs_start + (n - k) * layout.obs_len)
        block = np.frombuffer(handle.read(k * layout.obs_len), dtype=np.uint8)
        filled = np.flatnonzero((block.reshape(k, layout.obs_len) != 0x20).any(axis=1))
        if len(filled):
            return n - k + int(filled[-1]) + 1
        n -= k
        step = max(1, CHUNK_BYTES // layout.obs_len)
    return 0


def _read_columns(handle, layout: Layout, n: int, name: str) -> dict[str, pd.Series]:
    """The ``n`` records decoded about :data:`CHUNK_BYTES` at a time into columns allocated
    once: the values are never held twice, only one chunk of raw records beside them."""
    rows = max(1, CHUNK_BYTES // layout.obs_len)
    values = {
        v.name: np.empty(n, dtype=np.float64 if v.numeric else object) for v in layout.variables
    }
    handle.seek(layout.obs_start)
    for start in range(0, n, rows):
        m = min(rows, n - start)
        raw = handle.read(m * layout.obs_len)
        block = np.frombuffer(raw, dtype=np.uint8).reshape(m, layout.obs_len)
        for var in layout.variables:
            if var.numeric:
                values[var.name][start : start + m] = decode_numbers(block, var)
            else:
                values[var.name][start : start + m] = decode_text(block, var, start, name)
        del block, raw
    return {col: pd.Series(v, name=col, copy=False) for col, v in values.items()}


def _is_sas_date(fmt: str) -> bool:
    return fmt.startswith(
        ("DATE", "YYMMDD", "E8601DA", "MMDDYY", "DDMMYY", "IS8601DA", "B8601DA", "DAY", "WEEKDATE")
    ) and not fmt.startswith("DATETIME")


def _is_sas_datetime(fmt: str) -> bool:
    return fmt.startswith(("DATETIME", "E8601DT", "IS8601DT", "B8601DT"))


def xport_layout(handle, size: int, name: str) -> Layout:
    """Parse the headers up to the OBS header; raise ``ReadError`` when they are not XPORT."""
    head = handle.read(8 * LINE)
    if head and any(lib.startswith(head) for lib in _LIBRARY):
        raise _cut(name, size, "inside the first header record")
    if not head.startswith(_LIBRARY):
        what = sniff(head)
        if what == "a SAS CPORT file":
            hint = " (it is a SAS CPORT file: export with the XPORT engine or PROC XPORT instead)"
        elif what:
            hint = f" (it is {what})"
        else:
            hint = ""
        raise read_error(
            name,
            "file-format",
            "not a SAS transport (XPORT) file: it does not start with the XPORT library header"
            + hint,
        )
    version = 8 if head.startswith(_LIBRARY[1]) else 5
    if len(head) < 8 * LINE:
        raise _cut(name, size, "inside the headers")
    member, namestr = head[3 * LINE : 4 * LINE], head[7 * LINE : 8 * LINE]
    v = version == 8
    if not (
        member.startswith(_MEMBER[v])
        and head[4 * LINE :].startswith(_DESCRIPTOR[v])
        and namestr.startswith(_NAMESTR[v])
    ):
        raise read_error(name, "file-format", "the member header of the XPORT file is damaged")
    try:
        nlen = int(member[74:78])
        nvars = int(namestr[52:58])
    except ValueError:
        raise read_error(
            name, "file-format", "the member header of the XPORT file is damaged"
        ) from None
    if nlen not in (136, 140) or nvars <= 0:
        raise read_error(
            name, "file-format", f"the XPORT member header says {nvars} variables of {nlen} bytes"
        )
    block = -(-nvars * nlen // LINE) * LINE
    raw = handle.read(block)
    if len(raw) < block:
        raise _cut(name, size, "inside the variable descriptions (NAMESTR records)")
    variables = _namestrs(name, raw, nvars, nlen, version)
    record = handle.read(LINE)
    if len(record) < LINE:
        raise _cut(name, size, "before the observations (no OBS header)")
    if v and record.startswith(_LABELS):
        # v8's long names and labels (LABELV8; LABELV9 adds formats), then the OBS header.
        variables = _long_labels(handle, size, name, variables, record)
        handle.seek(-(-handle.tell() // LINE) * LINE)
        record = handle.read(LINE)
        if len(record) < LINE:
            raise _cut(name, size, "before the observations (no OBS header)")
    if not record.startswith(_OBS[v]):
        raise read_error(
            name, "file-format", "no OBS header record after the variable descriptions"
        )
    check_column_names(name, [var.name for var in variables])
    count = record[48:63].strip()
    if v and not count.isdigit():
        raise read_error(name, "file-format", "the record count in the OBS header is damaged")
    obs_len = max(var.position + var.length for var in variables)
    return Layout(version, tuple(variables), handle.tell(), obs_len, int(count) if v else None)


def _namestrs(name: str, raw: bytes, nvars: int, nlen: int, version: int) -> list[Variable]:
    variables, spans = [], []
    for i in range(nvars):
        rec = raw[i * nlen : (i + 1) * nlen]
        ntype, _, nlng, _, nname, nlabel, nform, nfl, nfd, *_, npos = _NAMESTR_STRUCT.unpack(
            rec[:88]
        )
        long = rec[88:120] if version == 8 and nlen == 140 else b""
        var = (_c_text(name, long, i) or _c_text(name, nname, i)).strip()
        numeric_ok = ntype == 1 and 2 <= nlng <= 8
        if not (numeric_ok or (ntype == 2 and nlng >= 1)) or npos < 0:
            raise read_error(
                name,
                "file-format",
                f"variable {i + 1} ({var or 'no name'}) has a damaged description "
                f"(type {ntype}, length {nlng}, position {npos})",
                variable=var,
            )
        variables.append(
            Variable(
                var,
                ntype == 1,
                nlng,
                npos,
                _c_text(name, nlabel, i),
                _format_name(nform),
                nfl,
                nfd,
            )
        )
        spans.append((npos, npos + nlng, var))
    check_column_names(name, [v.name for v in variables])
    spans.sort()
    for (_, end, a), (start, _, b) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise read_error(
                name,
                "file-format",
                f"variables {a} and {b} overlap in the record (damaged descriptions)",
                variable=b,
            )
    return variables


def _long_labels(handle, size: int, name: str, variables: list, record: bytes) -> list:
    """The variables with the names, labels (and, LABELV9, formats) of v8's label records."""
    v9 = record.startswith(_LABELS[1])
    try:
        count = int(record[48:53])
    except ValueError:
        raise read_error(name, "file-format", "the XPORT long-label header is damaged") from None
    variables = list(variables)
    for _ in range(count):
        fields = handle.read(10 if v9 else 6)
        if len(fields) < (10 if v9 else 6):
            raise _cut(name, size, "inside the long labels")
        index, *lengths = struct.unpack(f">{len(fields) // 2}H", fields)
        parts = [handle.read(n) for n in lengths]
        if [len(p) for p in parts] != lengths:
            raise _cut(name, size, "inside the long labels")
        if not 1 <= index <= len(variables):  # the variable's number, from 1
            raise read_error(
                name, "file-format", f"a long label of variable {index} of {len(variables)}"
            )
        index -= 1
        var = variables[index]
        update = {"name": _c_text(name, parts[0], index).strip() or var.name}
        update["label"] = _c_text(name, parts[-1], index)
        if v9:
            update["format_name"] = _format_name(parts[1])
        variables[index] = replace(var, **update)
    return variables


def _c_text(name: str, raw: bytes, index: int) -> str:
    """A name or label as readstat reads it: trailing blanks off, up to a NUL, UTF-8."""
    try:
        return raw.rstrip(b" ").split(b"\x00", 1)[0].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise read_error(
            name,
            "encoding",
            f"the description of variable {index + 1} is not UTF-8 text: {raw!r} ({exc.reason})",
        ) from None


def _format_name(raw: bytes) -> str:
    return raw.rstrip(b" ").split(b"\x00", 1)[0].decode("latin-1")


def check_records(handle, layout: Layout, n_read: int, size: int, name: str) -> None:
    """The records counted account for the whole file, and for nothing more."""
    end = layout.obs_start + n_read * layout.obs_len
    if layout.count is not None and layout.count != n_read:
        raise read_error(
            name,
            "file-truncated",
            f"the OBS header says {layout.count:,} records, {n_read:,} could be read "
            "(cut off, or records added?)",
        )
    start = max(layout.obs_start, end - layout.obs_len) if n_read else end
    handle.seek(start)
    last = handle.read(min(end - start, size))
    tail = handle.read(min(size - end, 1 << 20)) if end <= size else b""
    if size % LINE:
        kind = "cut off" if end <= size and not tail.strip(b" ") else "cut off or padded"
        raise read_error(
            name,
            "file-truncated",
            f"{size:,} bytes is not a whole number of {LINE}-byte XPORT records: the file "
            f"was {kind} ({n_read:,} complete records of {layout.obs_len} bytes read)",
        )
    if end > size:
        raise _cut(name, size, f"inside record {n_read:,}")
    if tail.strip(b" ") and _second_member(handle, layout):
        raise _two_members(name)
    if layout.count is not None and (tail.strip(b" ") or size - end >= LINE):
        raise read_error(
            name,
            "file-padded",
            f"the OBS header says {layout.count:,} records; {size - end:,} bytes follow them "
            "that are no padding (records added, or a wrong count?)",
        )
    if tail.strip(b" "):
        if len(tail) < layout.obs_len:
            raise read_error(
                name,
                "file-truncated",
                f"the file ends inside a record: {len(tail)} bytes after record {n_read:,} "
                f"are not a whole {layout.obs_len}-byte record (cut off, or bytes added?)",
            )
        raise read_error(
            name,
            "file-padded",
            f"{size - end:,} bytes after record {n_read:,} are no records and no padding",
        )
    if size - end >= LINE or (n_read and not last.strip(b" ")):
        raise read_error(
            name,
            "file-padded",
            f"blank bytes after the last record beyond the padding of one {LINE}-byte line "
            "(bytes added to the file?)",
        )


def _second_member(handle, layout: Layout) -> bool:
    """A second member header on an 80-byte boundary after the first's observations (read
    only when something is already wrong)."""
    marker = _PREFIX + b"MEMB"
    handle.seek(layout.obs_start)
    offset, carry = layout.obs_start, b""
    while chunk := handle.read(1 << 20):
        data = carry + chunk
        base = offset - len(carry)
        at = data.find(marker)
        while at >= 0:
            if (base + at) % LINE == 0:
                return True
            at = data.find(marker, at + 1)
        carry = data[-len(marker) :]
        offset += len(chunk)
    return False


def _two_members(name: str) -> ReadError:
    return read_error(
        name,
        "file-format",
        "the file holds more than one dataset (XPORT members); csrgen reads one per file",
    )


def _cut(name: str, size: int, where: str) -> ReadError:
    return read_error(
        name, "file-truncated", f"the file ends {where} after {size:,} bytes (cut off?)"
    )
