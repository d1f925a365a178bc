"""What a report keeps of its lock so that the next lock's report can say what changed.

Every report writes ``snapshot.json.gz`` beside its documents: the lock, each subject's arm,
each dataset's records (a natural key and a hash of the record's values), the subjects who
died or discontinued and the serious adverse events by the study's rules, and the printed text
of every cell of every numbered table. ``csrgen report --previous OLD`` compares the new run
with OLD's snapshot (see :mod:`csrgen.document.delta`); the data of the previous lock are not
needed.

Natural keys (the ADaM ones; a record's position among records with the same key completes it):
subject-level datasets (ADSL) ``USUBJID``; BDS datasets (PARAMCD and AVISIT) ``USUBJID``,
``PARAMCD`` and those of ``AVISIT``, ``ATPT``, ``ADT``, ``ADTM``, ``DTYPE`` present; ADTTE
(PARAMCD without AVISIT) ``USUBJID`` and ``PARAMCD``; other
datasets (OCCDS: ADAE, ADCM, ...) ``USUBJID`` and their sequence variable (``AESEQ``, ``CMSEQ``:
two letters and SEQ). Deaths are ``DTHFL = "Y"`` (or a ``DTHDT``), discontinuations
``EOSSTT = "DISCONTINUED"``, serious events the ``[safety] serious`` rules.
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from csrgen.config import StudyConfig
from csrgen.datasets import StudyData
from csrgen.document.model import Document, Table, iter_blocks
from csrgen.errors import CsrgenError
from csrgen.lock import LockInfo

SNAPSHOT = "snapshot.json.gz"
#: Raised when the snapshot's layout changes; an older snapshot is then refused by name.
FORMAT = 1
BDS_KEYS = ("AVISIT", "ATPT", "ADT", "ADTM", "DTYPE")
_SEQ = re.compile(r"^[A-Z]{2}SEQ$")
#: Joins the parts of a key and of a cell's place (a character no label holds).
SEP = " | "


class PreviousReportError(CsrgenError):
    """The previous report named by ``--previous`` cannot be compared with (exit 2)."""


def record_key_vars(role: str, frame: pd.DataFrame) -> list[str]:
    """The natural key of a dataset's records (see the module docstring)."""
    cols = set(frame.columns)
    if role == "adsl" or "USUBJID" not in cols:
        return ["USUBJID"] if "USUBJID" in cols else []
    if "PARAMCD" in cols and "AVISIT" in cols:
        return ["USUBJID", "PARAMCD", *(v for v in BDS_KEYS if v in cols)]
    if "PARAMCD" in cols:  # one record per subject and parameter (ADTTE)
        return ["USUBJID", "PARAMCD"]
    seq = sorted(c for c in cols if _SEQ.match(c))
    return ["USUBJID", *seq[:1]]


def _text(series: pd.Series) -> pd.Series:
    """Values as the key prints them: dates ISO, numbers without a trailing .0, blanks empty."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.dt.strftime("%Y-%m-%d").fillna("")
    if pd.api.types.is_float_dtype(series):
        whole = series.notna() & (series == series.round())
        out = series.astype(object).where(series.notna(), "")
        out[whole] = series[whole].astype("int64").astype(str)
        return out.astype(str)
    return series.astype(object).where(series.notna(), "").astype(str)


def record_keys(role: str, frame: pd.DataFrame) -> pd.Series:
    """Each record's key text: the key variables joined, then ``#n`` for the n-th (n > 1)
    record of the same key in file order."""
    return pd.Series(_key_array(role, frame).to_pylist(), index=frame.index, dtype=object)


def _key_array(role: str, frame: pd.DataFrame):
    """:func:`record_keys` as an Arrow string array (compact: a study of 100,000 subjects has
    millions of records, and Python strings cost about 60 bytes more each)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    names = record_key_vars(role, frame)
    if not names:
        return pa.array([""] * len(frame), type=pa.string())
    parts = [_arrow_text(frame[n]) for n in names]
    keys = pc.binary_join_element_wise(*parts, SEP) if len(parts) > 1 else parts[0]
    repeated = pd.Series(pd.array(keys, dtype="string[pyarrow]")).duplicated(keep=False)
    if not repeated.any():
        return keys
    # rare (a key that does not identify records): number the repeats in file order
    text = pd.Series(keys.to_pylist(), dtype=object)
    nth = text.groupby(text, sort=False).cumcount() + 1
    return pa.array(text.where(nth == 1, text + " #" + nth.astype(str)), type=pa.string())


def _arrow_text(series: pd.Series):
    """:func:`_text` as an Arrow string array, computed by Arrow where that gives the same
    text (dates, whole numbers, strings)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pd.api.types.is_datetime64_any_dtype(series):
        values = pa.array(series.dt.tz_localize(None) if series.dt.tz else series)
        return pc.fill_null(pc.strftime(values, format="%Y-%m-%d"), "")
    if pd.api.types.is_float_dtype(series) or pd.api.types.is_integer_dtype(series):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        whole = np.isfinite(values) & (values == np.round(values)) & (np.abs(values) < 2**53)
        if whole.all() or not np.isfinite(values).any():
            ints = pa.array(np.where(whole, values, 0).astype("int64"), mask=~whole)
            return pc.fill_null(pc.cast(ints, pa.string()), "")
    if series.dtype == object:
        try:  # text (blanks None or NaN) without a Python string per value
            return pc.fill_null(pa.array(series, type=pa.string(), from_pandas=True), "")
        except (pa.ArrowTypeError, pa.ArrowInvalid):
            pass  # not all text: as _text prints each value
    return pa.array(_text(series).to_numpy(dtype=object), type=pa.string())


def record_hashes(frame: pd.DataFrame) -> np.ndarray:
    """A hash of each record's values (columns in name order, so a reordered file is equal):
    pandas' ``hash_pandas_object`` of the frame with its columns sorted, combined column by
    column as pandas does (without copying the frame)."""
    columns = sorted(frame.columns)
    combined = np.full(len(frame), 0x345678, dtype=np.uint64)
    mult = np.uint64(1000003)
    with np.errstate(over="ignore"):
        for i, col in enumerate(columns):
            inverse = len(columns) - i
            combined ^= pd.util.hash_pandas_object(frame[col], index=False).to_numpy()
            combined *= mult
            mult += np.uint64(82520 + inverse + inverse)
        combined += np.uint64(97531)
    return combined


@dataclass(frozen=True)
class Records:
    """A dataset's records in the snapshot: key texts and value hashes, in file order (written
    as a JSON object ``{key: hash}``; a snapshot read back holds that object as a dict)."""

    keys: object  # a pyarrow string array
    hashes: np.ndarray  # uint64

    def __len__(self) -> int:
        return len(self.hashes)

    def hex(self):
        """The hashes as 16-digit hexadecimal texts (an Arrow string array)."""
        import pyarrow as pa

        digits = np.frombuffer(self.hashes.astype(">u8").tobytes().hex().encode(), dtype="S16")
        return pa.array(digits, type=pa.binary()).cast(pa.string())

    def to_series(self) -> pd.Series:
        return pd.Series(self.hex().to_pylist(), index=self.keys.to_pylist(), dtype=object)


def records_series(records) -> pd.Series:
    """A snapshot's records (a :class:`Records` or the dict read back) as key -> hash."""
    if isinstance(records, Records):
        return records.to_series()
    return pd.Series(records, dtype=object) if records else pd.Series([], dtype=object)


def cell_positions(table: Table):
    """``(place, row, column, text)`` of each spanner (row ``"span"``, column its index), header
    (row ``None``) and body cell of a table,
    by a place that survives rows added above it: ``head | <column>`` and
    ``<group row> | <row label> | <column>`` (a column named by its position and the first line
    of its label, without the N; a repeated place gets `` #n``)."""
    names = [f"{i}:{c.label.split(chr(10))[0]}" for i, c in enumerate(table.columns)]
    for k, span in enumerate(table.spanners):
        yield f"span{SEP}{span.first}-{span.last}", "span", k, span.label
    for j, (name, col) in enumerate(zip(names, table.columns, strict=True)):
        yield f"head{SEP}{name}", None, j, col.label
    group, seen = "", {}
    for i, row in enumerate(table.rows):
        label = row.cells[0].text if row.cells else ""
        if row.kind == "group":
            group = label
        place = f"{group}{SEP}{label}"
        seen[place] = seen.get(place, 0) + 1
        if seen[place] > 1:
            place += f" #{seen[place]}"
        for j in range(1, len(row.cells)):
            yield f"{place}{SEP}{names[j]}", i, j, row.cells[j].text


def cell_places(table: Table) -> dict[str, str]:
    """The printed text of each cell of a table by its place (see :func:`cell_positions`)."""
    return {place: text for place, _, _, text in cell_positions(table)}


def numbered_tables(doc: Document) -> list[Table]:
    """The numbered tables of the document (the in-text copies repeat them)."""
    return [b for b in iter_blocks(doc.sections) if isinstance(b, Table) and b.number]


@dataclass(frozen=True)
class Snapshot:
    study_id: str
    lock_id: str
    lock_date: str
    #: USUBJID -> arm (the first population's arm variable; "" for none).
    arms: dict[str, str]
    #: role -> {"file": name, "key": [vars], "records": {key: hash}, "columns": [names]}
    datasets: dict[str, dict]
    #: "deaths" / "discontinued": USUBJID -> date or reason; "serious": ADAE key -> term.
    events: dict[str, dict[str, str]]
    #: table number -> {"id", "title", "cells": {place: text}}
    tables: dict[str, dict]

    def to_json(self) -> dict:
        return {"format": FORMAT, **self.__dict__}


def take_snapshot(
    config: StudyConfig,
    lock: LockInfo,
    data: StudyData,
    doc: Document,
    row_hashes: dict[str, np.ndarray] | None = None,
) -> Snapshot:
    """The snapshot of a run; ``row_hashes`` are each dataset's :func:`record_hashes` when the
    run has them already (the cache keys datasets by them)."""
    frames = data.frames
    adsl = frames.get("adsl", pd.DataFrame())
    arm_var = next(iter(config.populations.values())).arm_var
    arms = {}
    if "USUBJID" in adsl:
        arm = _text(adsl[arm_var]) if arm_var in adsl else pd.Series("", index=adsl.index)
        arms = dict(zip(_text(adsl["USUBJID"]), arm, strict=True))
    datasets = {}
    for role, frame in frames.items():
        hashes = row_hashes[role] if row_hashes and role in row_hashes else record_hashes(frame)
        datasets[role] = {
            "file": data.files[role].name,
            "key": record_key_vars(role, frame),
            "columns": sorted(frame.columns),
            "records": Records(_key_array(role, frame), hashes),
        }
    tables = {
        t.number: {"id": t.id, "title": t.title, "cells": cell_places(t)}
        for t in numbered_tables(doc)
    }
    return Snapshot(
        study_id=config.study.id,
        lock_id=lock.lock_id if lock.locked else "",
        lock_date=lock.lock_date if lock.locked else "",
        arms=arms,
        datasets=datasets,
        events=_events(config, frames),
        tables=tables,
    )


#: Why an event kind cannot be determined from the data (the delta then says so).
UNDETERMINED = {
    "deaths": "ADSL has neither DTHFL nor DTHDT",
    "discontinued": "ADSL has no EOSSTT",
    "serious": "no AE dataset with the [safety] serious rule's variables",
}


def _events(config: StudyConfig, frames: dict[str, pd.DataFrame]) -> dict[str, dict[str, str]]:
    """The event kinds the data can determine (a kind missing here is "not determined", never
    an empty set: no DTHFL is not the same as no deaths)."""
    adsl = frames.get("adsl", pd.DataFrame())
    out: dict[str, dict[str, str]] = {}
    if "USUBJID" in adsl:
        ids = _text(adsl["USUBJID"])
        if "DTHFL" in adsl or "DTHDT" in adsl:
            died = pd.Series(False, index=adsl.index)
            if "DTHFL" in adsl:
                died |= _text(adsl["DTHFL"]) == "Y"
            if "DTHDT" in adsl:
                died |= adsl["DTHDT"].notna()
            date = _text(adsl["DTHDT"]) if "DTHDT" in adsl else pd.Series("", index=adsl.index)
            out["deaths"] = dict(zip(ids[died], date[died], strict=True))
        if "EOSSTT" in adsl:
            stopped = _text(adsl["EOSSTT"]).str.upper() == "DISCONTINUED"
            reason = _text(adsl["DCSREAS"]) if "DCSREAS" in adsl else pd.Series("", adsl.index)
            out["discontinued"] = dict(zip(ids[stopped], reason[stopped], strict=True))
    safety = config.safety
    adae = frames.get(safety.dataset if safety else "adae")
    if safety is not None and adae is not None and all(r.var in adae for r in safety.serious):
        from csrgen.outputs.ae_common import meets

        hit = meets(adae, safety.serious)
        term = _text(adae["AEDECOD"]) if "AEDECOD" in adae else pd.Series("", adae.index)
        keys = record_keys(safety.dataset, adae)
        out["serious"] = dict(zip(keys[hit], term[hit], strict=True))
    return out


def write_snapshot(snapshot: Snapshot, path: Path) -> None:
    """Gzipped JSON, byte-identical for identical data (no time or name in the gzip header;
    the fastest compression: most of the file is hashes, which do not compress).

    The records of each dataset (millions in a large study) are streamed into the file a
    chunk at a time, in file order, never held as one text or as Python objects."""
    holes: dict[str, Records] = {}
    data = snapshot.to_json()
    data["datasets"] = {role: dict(entry) for role, entry in data["datasets"].items()}
    for role, entry in data["datasets"].items():
        if isinstance(entry["records"], Records):
            holes[f"\x00records:{role}\x00"] = entry["records"]
            entry["records"] = f"\x00records:{role}\x00"
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, indent=0)
    fast = {"compresslevel": 1, "mtime": 0}
    with path.open("wb") as raw, gzip.GzipFile("", "wb", fileobj=raw, **fast) as out:
        pos = 0
        for hole in re.finditer(r'"\\u0000records:[^"]*\\u0000"', text):
            out.write(text[pos : hole.start()].encode("utf-8"))
            name = json.loads(hole.group())
            _write_records(holes[name], out)
            pos = hole.end()
        out.write(text[pos:].encode("utf-8"))


#: Records written at once (bounds the memory the text of the records takes).
_CHUNK = 1 << 20


def _write_records(records: Records, out) -> None:
    """``{\n"key": "hash",\n...\n}`` as ``json.dumps(indent=0)`` writes an object."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not len(records):
        out.write(b"{}")
        return
    out.write(b"{\n")
    hexes = records.hex()
    for start in range(0, len(records), _CHUNK):
        keys = records.keys.slice(start, _CHUNK)
        plain = pc.invert(pc.match_substring_regex(keys, r'["\\\x00-\x1f]'))
        if pc.all(plain).as_py():
            quoted = pc.binary_join_element_wise('"', keys, '"', "")
        else:  # a key with a quote, backslash or control character: JSON's own escaping
            quoted = pa.array([json.dumps(k, ensure_ascii=False) for k in keys.to_pylist()])
        lines = pc.binary_join_element_wise(quoted, ': "', hexes.slice(start, _CHUNK), '",\n', "")
        if isinstance(lines, pa.ChunkedArray):
            lines = lines.combine_chunks()
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset :]
        text = memoryview(lines.buffers()[2])[offsets[0] : offsets[len(lines)]]
        if start + _CHUNK >= len(records):  # the last record: no comma
            text = text[:-2]
        out.write(text)
    out.write(b"\n}")


def read_snapshot(folder: Path) -> Snapshot:
    """The snapshot of a previous report folder, or a clear error naming what is wrong."""
    folder = Path(folder)
    path = folder / SNAPSHOT
    if not folder.is_dir():
        raise PreviousReportError(
            f"{folder}: no such report folder (the previous data lock's report, named by "
            "--previous or document.previous_report)"
        )
    if not path.is_file():
        raise PreviousReportError(
            f"{path}: not found; --previous needs a report folder written by a csrgen that "
            f"keeps {SNAPSHOT} (what the next lock compares with): rebuild it from its lock"
        )
    try:
        raw = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PreviousReportError(f"{path}: damaged ({exc})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise PreviousReportError(
            f"{path}: snapshot format {raw.get('format') if isinstance(raw, dict) else '?'} "
            f"is not {FORMAT}; rebuild the previous report with this csrgen"
        )
    fields = set(Snapshot.__dataclass_fields__)
    if set(raw) - {"format"} != fields:
        raise PreviousReportError(f"{path}: damaged (fields {sorted(raw)})")
    return Snapshot(**{k: raw[k] for k in fields})
