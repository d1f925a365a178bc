"""A corpus of broken inputs: each case is the tiny study (tests/broken.py) in one format with
one thing broken, across CSV, SAS XPORT (the tiny study written by pyreadstat, and the pilot's
real SAS files), zip, Parquet, Dataset-JSON, variables.csv, lock.json and the study file.

Every case runs ``csrgen report`` into a folder that holds a previous good report: exit 2, a
message naming the file (and the variable or key) with the rule, no traceback, and the previous
report byte-identical afterwards. A valid input (a BOM, CRLF, a quoted line break, hostile text,
a header-only ADAE) runs ``csrgen validate`` and must pass. The rule names are the readers' and
the validator's (``csrgen.datasets.validate``).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csrgen.cli import main
from tests.broken import (
    pilot_mini,
    snapshot,
    tiny_frames,
    tiny_study,
    typed,
    write_format,
    xpt_obs_start,
)

Mutate = Callable[[Path, Path], None]  # (study file, data folder)


@dataclass(frozen=True)
class Case:
    id: str
    fmt: str  # csv | xpt | parquet | json | pilot
    mutate: Mutate
    expect: tuple[str, ...]  # texts the message must hold; () = the input is valid
    draft: bool = True


CASES: list[Case] = []


def case(id: str, fmt: str, *expect: str, draft: bool = True):
    def register(fn: Mutate) -> Mutate:
        CASES.append(Case(id, fmt, fn, expect, draft))
        return fn

    return register


def edit_text(data: Path, name: str, fn: Callable[[str], str], encoding: str = "utf-8") -> None:
    path = data / name
    path.write_text(fn(path.read_text(encoding="utf-8")), encoding=encoding, newline="")


def edit_bytes(data: Path, name: str, fn: Callable[[bytes], bytes]) -> None:
    path = data / name
    path.write_bytes(fn(path.read_bytes()))


def replace_once(old: str, new: str) -> Callable[[str], str]:
    def fn(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return fn


def study_edit(study: Path, old: str, new: str) -> None:
    text = study.read_text(encoding="utf-8")
    assert old in text, old
    study.write_text(text.replace(old, new, 1), encoding="utf-8")


def frame_case(id: str, fmt: str, role: str, change, *expect: str) -> None:
    """A case made by changing the typed frame of ``role`` and writing it as ``fmt``."""

    def mutate(study: Path, data: Path) -> None:
        frame = typed(role, tiny_frames()[role])
        write_format(change(frame), data / f"{role}.{fmt}", role)

    CASES.append(Case(id, fmt, mutate, expect))


# -- numbers that are not finite, in every format ----------------------------------------------
for spelling in ("inf", "Infinity", "-inf", "NaN", "nan", "1e999"):
    case(
        f"csv-age-{spelling}",
        "csv",
        "adsl.csv: AGE [finite]",
        f"line 2 (USUBJID=T-01): AGE='{spelling}'",
    )(
        lambda s, d, sp=spelling: edit_text(
            d, "adsl.csv", replace_once("T-01,Drug,Drug,Y,Y,30,", f"T-01,Drug,Drug,Y,Y,{sp},")
        )
    )


def _age(value: float):
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[2, "AGE"] = value
        return frame

    return change


for fmt in ("parquet", "xpt"):
    frame_case(f"{fmt}-age-inf", fmt, "adsl", _age(np.inf), f"adsl.{fmt}: AGE [finite]", "record 3")
frame_case("parquet-age-null-is-missing", "parquet", "adsl", _age(np.nan))  # pandas: a null


@case("parquet-age-nan-not-null", "parquet", "adsl.parquet: AGE [finite]", "record 3")
def _(study, data):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(typed("adsl", tiny_frames()["adsl"]), preserve_index=False)
    ages = table.column("AGE").to_pylist()
    ages[2] = float("nan")  # a NaN value, not a null: what polars or R's NaN write
    i = table.schema.get_field_index("AGE")
    table = table.set_column(i, "AGE", pa.array(ages, type=pa.float64(), from_pandas=False))
    pq.write_table(table, data / "adsl.parquet")


def _json(data: Path, role: str, fn) -> None:
    path = data / f"{role}.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    fn(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")


def _json_row_value(doc: dict, row: int, col: str, value) -> None:
    names = [c["name"] for c in doc["columns"]]
    doc["rows"][row][names.index(col)] = value


for word in ("Infinity", "-Infinity", "NaN"):
    case(f"json-age-{word}-text", "json", "adsl.json: AGE [finite]", "record 1")(
        lambda s, d, w=word: _json(d, "adsl", lambda doc: _json_row_value(doc, 0, "AGE", w))
    )


@case("json-age-bare-NaN-token", "json", "adsl.json [file-format]", "NaN is not a JSON value")
def _(study, data):
    path = data / "adsl.json"
    path.write_text(path.read_text().replace("30.0", "NaN", 1), encoding="utf-8")


# -- CSV: rows, columns, shape -----------------------------------------------------------------
case("csv-short-row", "csv", "adsl.csv [fields]", "line 3: 9 fields")(
    lambda s, d: edit_text(d, "adsl.csv", replace_once(",2020-06-01\nTINY,T-03", "\nTINY,T-03"))
)
case("csv-long-first-row", "csv", "adsl.csv [fields]", "line 2: 11 fields")(
    lambda s, d: edit_text(d, "adsl.csv", replace_once("2020-06-01\n", "2020-06-01,x\n"))
)
case("csv-unquoted-comma", "csv", "adae.csv [fields]", "line 4: 12 fields")(
    lambda s, d: edit_text(d, "adae.csv", replace_once("MODERATE", "MODERATE,SEVERE"))
)
case("csv-blank-line-inside", "csv", "adsl.csv [fields]", "blank line", "line 4")(
    lambda s, d: edit_text(d, "adsl.csv", replace_once("\nTINY,T-03", "\n\nTINY,T-03"))
)
case("csv-duplicate-column", "csv", "adsl.csv: AGE [columns]", "duplicate column")(
    lambda s, d: edit_text(d, "adsl.csv", replace_once(",SEX,", ",AGE,"))
)
case("csv-duplicate-column-case", "csv", "adsl.csv: sex [columns]", "duplicate column")(
    lambda s, d: edit_text(d, "adsl.csv", replace_once(",TRTSDT,", ",sex,"))
)
case("csv-unnamed-column", "csv", "adsl.csv [columns]", "column 11 of 11 has no name")(
    lambda s, d: edit_text(d, "adsl.csv", lambda t: t.replace("\n", ",\n"))
)
case("csv-ten-thousand-fields", "csv", "adsl.csv [columns]", "20,001 columns")(
    lambda s, d: (d / "adsl.csv").write_text("A" + ",A" * 20_000, encoding="utf-8")
)
case("csv-no-line-ends-1mb", "csv", "adsl.csv [columns]", "columns; at most 10,000")(
    lambda s, d: (d / "adsl.csv").write_text("1," * 500_000, encoding="utf-8")
)
case("csv-empty", "csv", "adsl.csv [file-empty]")(lambda s, d: (d / "adsl.csv").write_bytes(b""))
case("csv-only-blanks", "csv", "adsl.csv [file-empty]")(
    lambda s, d: (d / "adsl.csv").write_bytes(b" \r\n\n\t\n")
)
case("csv-adsl-header-only", "csv", "adsl.csv [records] ADSL holds no subjects")(
    lambda s, d: edit_text(d, "adsl.csv", lambda t: t.split("\n")[0] + "\n")
)
case("csv-cut-mid-row", "csv", "adsl.csv [file-truncated]", "ends mid-row: line 9 has 3")(
    lambda s, d: edit_text(d, "adsl.csv", lambda t: t[: t.rindex("\n", 0, -1) + 13])
)
case("csv-quote-never-closed", "csv", "adae.csv [file-truncated]", "never closed")(
    lambda s, d: edit_text(d, "adae.csv", replace_once(",NAUSEA,", ',"NAUSEA,'))
)
case("csv-semicolons", "csv", "adsl.csv [columns]", "semicolons")(
    lambda s, d: edit_text(d, "adsl.csv", lambda t: t.replace(",", ";"))
)
case("csv-tabs", "csv", "adae.csv [columns]", "tabs")(
    lambda s, d: edit_text(d, "adae.csv", lambda t: t.replace(",", "\t"))
)
case("csv-nul-byte", "csv", "adae.csv [file-format]", "NUL byte at line 5")(
    lambda s, d: edit_text(d, "adae.csv", replace_once("NAUSEA", "NAU\x00SEA"))
)
case("csv-latin1-bytes", "csv", "adae.csv [encoding]", "byte 0xe8 at line 5")(
    lambda s, d: edit_text(d, "adae.csv", replace_once("NAUSEA", "NAUS\u00e8A"), "latin-1")
)
case("csv-utf16", "csv", "adsl.csv [encoding]", "UTF-16")(
    lambda s, d: edit_text(d, "adsl.csv", lambda t: t, "utf-16")
)
case("csv-binary-garbage", "csv", "adsl.csv [encoding]")(
    lambda s, d: (d / "adsl.csv").write_bytes(bytes(range(128, 256)) * 40)
)
case("csv-is-parquet", "csv", "adsl.csv [file-format]", "a Parquet file")(
    lambda s, d: typed("adsl", tiny_frames()["adsl"]).to_parquet(d / "adsl.csv")
)
case("csv-is-xlsx", "csv", "adsl.csv [file-format]", "zip archive")(
    lambda s, d: tiny_frames()["adsl"].to_excel(d / "adsl.csv", index=False, engine="openpyxl")
)
case("csv-is-json", "csv", "adsl.csv [file-format]", "JSON document")(
    lambda s, d: (d / "adsl.csv").write_text('{"columns": []}', encoding="utf-8")
)


@case("csv-utf8-read-as-latin1", "csv", "adae.csv [encoding]", "the file is UTF-8 text")
def _(study, data):
    edit_text(data, "adae.csv", replace_once("NAUSEA", "NAUS\u00c9E"))
    study_edit(study, 'dir = "data"', 'dir = "data"\nencoding = "latin-1"')


# -- CSV: valid variations ---------------------------------------------------------------------
case("csv-bom-crlf-trailing-blank-lines", "csv")(
    lambda s, d: edit_text(d, "adsl.csv", lambda t: "\ufeff" + t.replace("\n", "\r\n") + "\r\n\r\n")
)
case("csv-quoted-line-break", "csv")(
    lambda s, d: edit_text(d, "adae.csv", replace_once(",NAUSEA,", ',"NAU\nSEA",'))
)
case("csv-no-final-line-end", "csv")(
    lambda s, d: edit_text(d, "adsl.csv", lambda t: t.rstrip("\n"))
)
case("csv-adae-header-only", "csv")(
    lambda s, d: edit_text(d, "adae.csv", lambda t: t.split("\n")[0] + "\n")
)
case("csv-latin1-declared", "csv")(
    lambda s, d: (
        edit_text(d, "adae.csv", replace_once("NAUSEA", "NAUS\u00e9E"), "latin-1"),
        study_edit(s, 'dir = "data"', 'dir = "data"\nencoding = "latin-1"'),
    )
)
case("csv-hostile-text", "csv")(
    lambda s, d: edit_text(
        d,
        "adae.csv",
        lambda t: t.replace("HEADACHE", '"<script>alert(1)</script>"').replace(
            "NAUSEA", '"=HYPERLINK(""http://x"")"'
        ),
    )
)

# -- variables.csv -----------------------------------------------------------------------------
SPEC = "dataset,variable,label,type\nADSL,AGE,Age,num\nADSL,TRTSDT,Start,date\n"
for cid, text, expect in (
    (
        "spec-unknown-type",
        SPEC.replace(",num", ",number"),
        ("variables.csv: type [type]", "line 2"),
    ),
    (
        "spec-no-type-column",
        "dataset,variable,label\nADSL,AGE,Age\n",
        ("variables.csv: type [columns]",),
    ),
    ("spec-empty", "", ("variables.csv [file-empty]",)),
    ("spec-two-types", SPEC + "ADSL,AGE,Age,text\n", ("variables.csv: type [unique]", "line 4")),
    ("spec-blank-variable", SPEC + "ADSL,,Age,num\n", ("variables.csv: variable [not-missing]",)),
    ("spec-short-row", SPEC + "ADSL,AGE\n", ("variables.csv [fields]", "line 4")),
    ("spec-nul", SPEC + "ADSL,SEX\x00,Sex,text\n", ("variables.csv [file-format]",)),
    ("spec-age-is-date", SPEC.replace(",num", ",date"), ("adsl.csv: AGE [type]", "ISO 8601")),
):
    case(cid, "csv", *expect)(lambda s, d, t=text: (d / "variables.csv").write_text(t, "utf-8"))
case("spec-valid", "csv")(lambda s, d: (d / "variables.csv").write_text(SPEC, encoding="utf-8"))


# -- lock.json (report without --draft where the lock matters) ---------------------------------
def _lock(data: Path, fn) -> None:
    path = data / "lock.json"
    lock = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(fn(lock)), encoding="utf-8")


def _locked(fn) -> Mutate:
    def mutate(study: Path, data: Path) -> None:
        main(["lock", str(study), "--date", "2024-01-31"])
        fn(data / "lock.json")

    return mutate


def _lock_json(fn) -> Callable[[Path], None]:
    def apply(path: Path) -> None:
        lock = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(json.dumps(fn(lock)), encoding="utf-8")

    return apply


for cid, fn, expect in (
    ("lock-files-a-list", lambda k: {**k, "files": list(k["files"])}, "files: expected an object"),
    (
        "lock-no-lock-id",
        lambda k: {x: v for x, v in k.items() if x != "lock_id"},
        "'lock_id' is missing",
    ),
    ("lock-date-not-a-date", lambda k: {**k, "lock_date": "31/01/2024"}, "lock_date: '31/01/2024'"),
    (
        "lock-digest-a-number",
        lambda k: {**k, "files": {**k["files"], "adsl.csv": 12}},
        "files.adsl.csv",
    ),
    ("lock-top-level-list", lambda k: [k], "the top level is a list"),
    ("lock-newer-version", lambda k: {**k, "lock_version": 99}, "newer csrgen"),
    ("lock-id-a-number", lambda k: {**k, "lock_id": 7}, "lock_id: expected text"),
):
    CASES.append(
        Case(
            cid, "csv", _locked(_lock_json(fn)), ("lock.json: not a valid lock file", expect), False
        )
    )
for cid, raw, expect in (
    ("lock-not-json", b'{"files": {', "not JSON"),
    ("lock-empty", b"", "not JSON"),
    ("lock-duplicate-key", b'{"lock_id": "A", "lock_id": "B"}', "'lock_id' occurs twice"),
    ("lock-not-utf8", b'{"lock_id": "\xff"}', "not UTF-8"),
):
    CASES.append(
        Case(
            cid,
            "csv",
            _locked(lambda p, r=raw: p.write_bytes(r)),
            ("lock.json: not a valid lock file", expect),
            False,
        )
    )
CASES.append(
    Case(
        "lock-of-another-study",
        "csv",
        _locked(_lock_json(lambda k: {**k, "study_id": "other"})),
        ("lock.json: the data do not match", "the lock is of study 'other'"),
        False,
    )
)
CASES.append(
    Case(
        "lock-data-changed",
        "csv",
        _locked(lambda p: edit_text(p.parent, "adsl.csv", replace_once(",30,", ",31,"))),
        ("adsl.csv: changed since lock",),
        False,
    )
)

# -- SAS XPORT: the tiny study by pyreadstat and the pilot's SAS files --------------------------
PILOT_ADAE = 713_600  # bytes; 1,191 records of 592 bytes


def pilot_adae(fn) -> Mutate:
    return lambda s, d: edit_bytes(d, "adae.xpt", fn)


for cid, fn, expect in (
    ("xpt-cut-in-half", lambda b: b[: len(b) // 2], "ends inside a record"),
    ("xpt-cut-at-80", lambda b: b[: (len(b) // 2) // 80 * 80], "ends inside a record"),
    ("xpt-cut-one-byte", lambda b: b[:-1], "not a whole number of 80-byte"),
    ("xpt-cut-last-line", lambda b: b[:-80], "after record 1,190"),
    ("xpt-cut-in-header", lambda b: b[:1000], "inside the variable descriptions"),
    ("xpt-cut-before-obs", lambda b: b[: xpt_obs_start(b) - 80], "no OBS header"),
):
    case(cid, "pilot", "adae.xpt [file-truncated]", expect)(pilot_adae(fn))
for cid, fn, rule, expect in (
    ("xpt-padded-blanks", lambda b: b + b" " * 160, "file-padded", "beyond the padding"),
    ("xpt-padded-nul", lambda b: b + b"\x00" * 80, "file-truncated", "ends inside a record"),
    ("xpt-padded-17", lambda b: b + b"x" * 17, "file-truncated", "cut off or padded"),
    ("xpt-two-members", lambda b: b + b[240:], "file-format", "more than one dataset"),
    ("xpt-is-csv", lambda b: b"USUBJID,AGE\n1,2\n", "file-format", "does not start with"),
    ("xpt-cport", lambda b: b"**COMPRESSED** **COMPRESSED**" + b[30:], "file-format", "CPORT"),
    ("xpt-empty", lambda b: b"", "file-empty", "0 bytes"),
    ("xpt-namestr-type-7", lambda b: b[:640] + b"\x00\x07" + b[642:], "file-format", "(type 7"),
    ("xpt-namestr-bad-count", lambda b: b[:612] + b"0x49" + b[616:], "file-format", "damaged"),
):
    where = "adae.xpt: STUDYID" if cid == "xpt-namestr-type-7" else "adae.xpt"
    case(cid, "pilot", f"{where} [{rule}]", expect)(pilot_adae(fn))


@case("xpt-duplicate-variable", "pilot", "adae.xpt: USUBJID [columns]", "duplicate")
def _(study, data):
    raw = (data / "adae.xpt").read_bytes()
    at = xpt_obs_start(raw)  # rename the 2nd NAMESTR (SITEID) to USUBJID
    first = raw.index(b"HEADER RECORD*******NAMESTR") + 80
    name_at = first + 1 * 140 + 8
    assert at > name_at
    (data / "adae.xpt").write_bytes(raw[:name_at] + b"USUBJID " + raw[name_at + 8 :])


@case(
    "xpt-v8-count-disagrees", "xpt", "adsl.xpt [file-truncated]", "says 12 records, 9 could be read"
)
def _(study, data):
    import pyreadstat

    frame = typed("adsl", tiny_frames()["adsl"]).drop(columns=["TRTSDT", "TRTEDT"])
    pyreadstat.write_xport(frame, str(data / "adsl.xpt"), file_format_version=8)
    raw = bytearray((data / "adsl.xpt").read_bytes())
    at = raw.index(b"OBSV8   HEADER RECORD") - 20
    raw[at + 48 : at + 63] = b"12".rjust(15)
    (data / "adsl.xpt").write_bytes(bytes(raw))


case("xpt-valid-tiny", "xpt")(lambda s, d: None)
case("xpt-valid-pilot", "pilot")(lambda s, d: None)


# -- zip ----------------------------------------------------------------------------------------
def _zip(members: dict[str, bytes], encrypted: bool = False) -> Mutate:
    def mutate(study: Path, data: Path) -> None:
        with zipfile.ZipFile(data / "adae.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for name, body in members.items():
                archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), body)
        if encrypted:  # zipfile cannot encrypt: set the "encrypted" flag bit in both headers
            raw = bytearray((data / "adae.zip").read_bytes())
            for magic, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
                i = raw.index(magic)
                raw[i + at] |= 0x1
            (data / "adae.zip").write_bytes(bytes(raw))
        study_edit(study, 'adae = "adae.xpt"', 'adae = "adae.zip"')

    return mutate


def _adae() -> bytes:
    from tests.studies import PILOT_DATA

    return (PILOT_DATA / "adae.xpt").read_bytes()


CASES += [
    Case(
        "zip-two-xpt",
        "pilot",
        lambda s, d: _zip({"a.xpt": _adae(), "b.xpt": _adae()})(s, d),
        ("adae.zip [file-format]", "found 2"),
    ),
    Case(
        "zip-no-xpt",
        "pilot",
        lambda s, d: _zip({"adae.csv": b"A,B\n1,2\n"})(s, d),
        ("adae.zip [file-format]", "found 0"),
    ),
    Case(
        "zip-truncated-member",
        "pilot",
        lambda s, d: _zip({"adae.xpt": _adae()[:356_800]})(s, d),
        ("adae.zip:adae.xpt [file-truncated]",),
    ),
    Case(
        "zip-encrypted",
        "pilot",
        lambda s, d: _zip({"adae.xpt": _adae()}, encrypted=True)(s, d),
        ("adae.zip [file-format]", "encrypted"),
    ),
    Case(
        "zip-macos-resource-fork",
        "pilot",
        lambda s, d: _zip({"adae.xpt": _adae(), "__MACOSX/._adae.xpt": b"\x00\x05\x16\x07"})(s, d),
        (),
    ),
]


@case("zip-cut-off", "pilot", "adae.zip [file-unreadable]", "not a readable zip")
def _(study, data):
    _zip({"adae.xpt": _adae()})(study, data)
    edit_bytes(data, "adae.zip", lambda b: b[: len(b) // 2])


# -- Parquet ------------------------------------------------------------------------------------
case("parquet-cut-off", "parquet", "adsl.parquet [file-truncated]")(
    lambda s, d: edit_bytes(d, "adsl.parquet", lambda b: b[: len(b) - 100])
)
case("parquet-is-csv", "parquet", "adsl.parquet [file-format]", "no PAR1")(
    lambda s, d: tiny_frames()["adsl"].to_csv(d / "adsl.parquet", index=False)
)
case("parquet-is-json", "parquet", "adsl.parquet [file-format]", "JSON document, not Parquet")(
    lambda s, d: (d / "adsl.parquet").write_text("{}", encoding="utf-8")
)


@case("parquet-duplicate-column", "parquet", "adsl.parquet: AGE [columns]")
def _(study, data):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(typed("adsl", tiny_frames()["adsl"]), preserve_index=False)
    table = table.append_column("AGE", table.column("AGE"))
    pq.write_table(table, data / "adsl.parquet")


@case("parquet-list-column", "parquet", "adsl.parquet: SEX [type]", "list")
def _(study, data):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(typed("adsl", tiny_frames()["adsl"]), preserve_index=False)
    i = table.schema.get_field_index("SEX")
    table = table.set_column(i, "SEX", pa.array([["M"]] * 8))
    pq.write_table(table, data / "adsl.parquet")


@case("parquet-binary-not-utf8", "parquet", "adsl.parquet: SEX [encoding]")
def _(study, data):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(typed("adsl", tiny_frames()["adsl"]), preserve_index=False)
    i = table.schema.get_field_index("SEX")
    table = table.set_column(i, "SEX", pa.array([b"\xff"] * 8, type=pa.binary()))
    pq.write_table(table, data / "adsl.parquet")


case("parquet-valid", "parquet")(lambda s, d: None)

# -- Dataset-JSON -------------------------------------------------------------------------------
for cid, fn, expect in (
    (
        "json-short-row",
        lambda doc: doc["rows"][3].pop(),
        ("adsl.json [fields]", "record 4: 9 values"),
    ),
    (
        "json-records-disagree",
        lambda doc: doc.update(records=20),
        ("adsl.json [file-truncated]", "records says 20"),
    ),
    ("json-no-rows", lambda doc: doc.pop("rows"), ("adsl.json [file-format]", "no 'rows'")),
    (
        "json-unknown-datatype",
        lambda doc: doc["columns"][6].update(dataType="number"),
        ("adsl.json: AGE [type]", "unknown type 'number'"),
    ),
    (
        "json-list-in-text",
        lambda doc: _json_row_value(doc, 1, "SEX", ["F"]),
        ("adsl.json: SEX [type]", "record 2"),
    ),
    (
        "json-object-as-number",
        lambda doc: _json_row_value(doc, 1, "AGE", {"v": 1}),
        ("adsl.json: AGE [type]", "expected a number"),
    ),
    (
        "json-duplicate-column",
        lambda doc: doc["columns"][7].update(name="AGE"),
        ("adsl.json: AGE [columns]",),
    ),
    (
        "json-sas-date-huge",
        lambda doc: _json_row_value(doc, 0, "TRTSDT", 1e12),
        ("adsl.json: TRTSDT [type]", "1678-2261"),
    ),
):
    case(cid, "json", *expect)(lambda s, d, f=fn: _json(d, "adsl", f))
for cid, raw, expect in (
    ("json-cut-off", None, ("adsl.json [file-truncated]", "ends before it is complete")),
    ("json-top-level-list", b"[1, 2]", ("adsl.json [file-format]", "top level is a list")),
    ("json-version-1-0", b'{"clinicalData": {}}', ("adsl.json [file-format]", "Dataset-JSON 1.0")),
    ("json-is-csv", b"USUBJID,AGE\n", ("adsl.json [file-format]", "not Dataset-JSON")),
    (
        "json-duplicate-key",
        b'{"columns": [], "columns": []}',
        ("adsl.json [file-format]", "occurs twice"),
    ),
):
    case(cid, "json", *expect)(
        lambda s, d, r=raw: edit_bytes(
            d, "adsl.json", (lambda b: b[: len(b) // 2]) if r is None else (lambda b, r=r: r)
        )
    )
case("json-valid", "json")(lambda s, d: None)

# -- the study file: hostile text stays text ---------------------------------------------------
case("study-hostile-title-footnote", "csv")(
    lambda s, d: (
        study_edit(s, 'title = "A tiny study"', 'title = "<script>alert(1)</script> \\u000b x"'),
        study_edit(s, '"A footnote from the study file."', '"\\"><img src=x onerror=alert(1)>"'),
    )
)


# -- the runner --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def previous_report(tmp_path_factory) -> Path:
    """A good report of the tiny study: what every broken run must leave as it was."""
    folder = tmp_path_factory.mktemp("previous")
    study = tiny_study(folder)
    out = folder / "out"
    assert main(["report", str(study), "--draft", "--out", str(out)]) == 0
    return out


def build(folder: Path, fmt: str) -> Path:
    return pilot_mini(folder) if fmt == "pilot" else tiny_study(folder, fmt)


def test_the_corpus_is_large_and_covers_every_format():
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.fmt for c in CASES} == {"csv", "xpt", "pilot", "parquet", "json"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_input(case: Case, tmp_path, capsys, previous_report):
    study = build(tmp_path, case.fmt)
    case.mutate(study, study.parent / "data")
    capsys.readouterr()
    if not case.expect:  # a valid input
        code = main(["validate", str(study)])
        err = capsys.readouterr().err
        assert code == 0, err
        assert "Traceback" not in err
        return
    out = tmp_path / "out"
    shutil.copytree(previous_report, out)
    before = snapshot(out)
    args = ["report", str(study), "--out", str(out)] + (["--draft"] if case.draft else [])
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "unexpected error" not in err, err
    for text in case.expect:
        assert text in err, f"{text!r} not in:\n{err}"
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".out")) in (
        [],
        [".out.lock"],
        [".out.cache", ".out.lock"],  # the previous report's cache (csrgen.cache)
    )
