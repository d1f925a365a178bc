"""csrgen's own XPT decoder (``datasets/xport_decode.py``) against hand calculations and against
pyreadstat, the independent reference: IBM floating point values worked out by hand, random
frames written with pyreadstat (v5 and v8) read back, the CDISC pilot's files column by column,
and damaged records."""

from __future__ import annotations

import math
import struct
import tempfile
import zipfile
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csrgen.datasets.base import ReadError, clean_text
from csrgen.datasets.readers import read_dataset
from csrgen.datasets.xport_decode import ibm_to_float
from tests.studies import PILOT_DATA

pyreadstat = pytest.importorskip("pyreadstat")


def _ibm(*words: int) -> np.ndarray:
    return ibm_to_float(np.array(words, dtype=np.uint64))


def _reference(word: int) -> float:
    """An IBM double by the letter of the format (sign, 16 ** (exponent - 64), fraction / 2**56)
    in exact rational arithmetic; the fraction cut to the 53 significant bits a float64 holds
    (truncated, as readstat does); SAS missing values (a non-zero first byte, zeros after) NaN,
    the largest magnitude infinity."""
    first, fraction = word >> 56, word & (2**56 - 1)
    if fraction == 0:
        return math.nan if first else 0.0
    if word & (2**63 - 1) == 2**63 - 1:
        return -math.inf if word >> 63 else math.inf
    drop = max(0, fraction.bit_length() - 53)
    value = Fraction(fraction >> drop << drop, 2**56) * Fraction(16) ** ((first & 0x7F) - 64)
    return float(-value if word >> 63 else value)  # exact: at most 53 significant bits


# -- IBM floating point, by hand ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("word", "expected"),
    [
        (0x4110000000000000, 1.0),  # 16**1 * 1/16
        (0xC110000000000000, -1.0),
        (0xC276A00000000000, -118.625),  # -(16**2 * 0x76A / 16**3) = -(1898 / 16)
        (0x4220000000000000, 32.0),  # 16**2 * 2/16
        (0x4064000000000000, 0.390625),  # 16**0 * 0x64 / 16**2 = 100 / 256
        (0x0000000000000000, 0.0),
        (0x0010000000000000, 2.0**-260),  # smallest normalised: 16**-64 * 1/16
        (0x7FFFFFFFFFFFFFF8, (2**53 - 1) * 2.0**199),  # largest below SAS's overflow mark
        (0x41FFFFFFFFFFFFFF, 16 - 2.0**-49),  # 56 bits of ones: the last 3 truncated
        (0x411FFFFFFFFFFFFF, 2 - 2.0**-52),  # 53 significant bits: exact
        (0x7FFFFFFFFFFFFFFF, math.inf),  # SAS's mark of a number too large
        (0xFFFFFFFFFFFFFFFF, -math.inf),
        (0x4101000000000000, 1 / 16),  # not normalised: the value it encodes
        (0x0000000000000001, 2.0**-312),  # 16**-64 * 2**-56
    ],
)
def test_ibm_values_by_hand(word, expected):
    (got,) = _ibm(word)
    assert got == expected and math.copysign(1, got) == math.copysign(1, expected)


@pytest.mark.parametrize("tag", [b".", b"_", b"A", b"Z", b"\x80", b"\x40"])
def test_missing_values_are_nan(tag):
    """``.``, ``._``, ``.A``-``.Z``: the tag and zeros; readstat reads any non-zero first byte
    followed by zeros as missing (an IBM zero with a sign or exponent SAS never writes)."""
    (got,) = _ibm(int.from_bytes(tag + bytes(7), "big"))
    assert math.isnan(got)


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_any_word_as_the_format_defines_it(word):
    (got,) = _ibm(word)
    want = _reference(word)
    assert (math.isnan(got) and math.isnan(want)) or got == want


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (b"\x41\x10", 1.0),
        (b"\xc2\x76\xa0", -118.625),
        (b"\x40\x19\x99", 0x1999 / 2**16),  # 0.1 cut to 3 bytes
        (b"\x40\x19\x99\x99", 0x199999 / 2**24),
        (b"\x42\x64\x80\x00\x00", 100.5),  # 16**2 * 0x648 / 16**3
        (b"\x41\x31\x99\x99\x99\x99", 0x3199999999 / 2**40 * 16),
        (b"\x41\x31\x99\x99\x99\x99\x9a", 0x31999999999A / 2**48 * 16),
        (b".\x00\x00", math.nan),
        (b"\x00\x00", 0.0),
    ],
)
def test_short_numbers_read_through_the_file(tmp_path, stored, expected):
    """A numeric variable of 2-7 bytes is the first bytes of the double, padded with zeros."""
    path = tmp_path / "adsl.xpt"
    path.write_bytes(_short_xpt(stored))
    (got,) = read_dataset(path, "adsl").frame["AGE"].tolist()
    assert (math.isnan(got) and math.isnan(expected)) or got == expected


def _short_xpt(value: bytes) -> bytes:
    """A v5 file of one record: USUBJID ($4) and AGE stored in ``len(value)`` bytes."""
    base = _write(pd.DataFrame({"USUBJID": ["S-1"], "AGE": [1.0]}), 5)
    first = base.index(b"HEADER RECORD*******NAMESTR") + 80
    raw = bytearray(base)
    age = first + 140  # the second NAMESTR: nlng at bytes 4-5, npos at 84-87
    raw[age + 4 : age + 6] = struct.pack(">h", len(value))
    obs = raw.index(b"HEADER RECORD*******OBS") + 80
    record = b"S-1" + value  # USUBJID is 3 bytes, AGE follows
    return bytes(raw[:obs]) + (record + b" " * (80 - len(record)))


# -- round trips through pyreadstat's writer -----------------------------------------------------
_TEXT = st.text(
    alphabet=st.sampled_from(list("aZ09 -.,/") + ["é", "ü", "Δ", "€", "中", "\t"]), max_size=12
)
_NUMBER = st.one_of(
    st.floats(min_value=-1e60, max_value=1e60, allow_nan=False),
    st.integers(min_value=-(2**53), max_value=2**53).map(float),
    st.just(math.nan),
    st.sampled_from([0.0, -0.0, 1e-300, 0.1, 1 / 3]),
)


def _write(frame: pd.DataFrame, version: int, labels=None) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "adsl.xpt"
        pyreadstat.write_xport(
            frame, str(path), file_format_version=version, column_labels=labels, table_name="ADSL"
        )
        return path.read_bytes()


def _reference_frame(path: Path) -> tuple[pd.DataFrame, dict]:
    """pyreadstat's reading, cleaned as the reader cleans: text stripped, numbers float64,
    numbers with a SAS date (datetime) format days (seconds) since 1960-01-01."""
    frame, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
    formats = meta.original_variable_types or {}
    columns = {}
    for col in frame.columns:
        values, fmt = frame[col], (formats.get(col) or "").upper()
        if values.dtype == object:
            columns[col] = clean_text(values)
        elif fmt.startswith("DATETIME"):
            columns[col] = pd.to_datetime(values, unit="s", origin="1960-01-01")
        elif fmt.startswith("DATE"):
            columns[col] = pd.to_datetime(values, unit="D", origin="1960-01-01")
        else:
            columns[col] = values.astype("float64")
    labels = {k: v or "" for k, v in (meta.column_names_to_labels or {}).items()}
    return pd.DataFrame(columns, index=pd.RangeIndex(len(frame))), labels


def _assert_same_as_pyreadstat(path: Path, role: str = "adsl") -> None:
    dataset = read_dataset(path, role)
    want, labels = _reference_frame(path)
    assert list(dataset.frame.columns) == list(want.columns)
    for col in want.columns:
        got = dataset.frame[col]
        assert got.dtype == want[col].dtype, col
        if got.dtype == np.float64:
            a, b = got.to_numpy(), want[col].to_numpy()
            assert np.array_equal(np.isnan(a), np.isnan(b)), col
            assert np.array_equal(a[~np.isnan(a)], b[~np.isnan(b)]), col
        else:
            assert got.tolist() == want[col].tolist(), col
    assert dataset.labels == labels


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(_NUMBER, _TEXT, _TEXT, _NUMBER), min_size=1, max_size=30),
    version=st.sampled_from([5, 8]),
)
def test_round_trip_equals_pyreadstat(tmp_path, rows, version):
    numbers, texts, more, other = (list(c) for c in zip(*rows, strict=True))
    frame = pd.DataFrame({"USUBJID": texts, "AVAL": numbers, "AVALC": more, "BASE": other})
    if all(not t.strip(" ") and not m.strip(" ") for t, m in zip(texts, more, strict=True)):
        frame["USUBJID"] = [f"S-{i}" for i in range(len(rows))]
    path = tmp_path / "adsl.xpt"
    labels = ["Subject", "Analysis value " * (4 if version == 8 else 1), "", "Baseline"]
    path.write_bytes(_write(frame, version, labels))
    _assert_same_as_pyreadstat(path)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(["", " ", "x", "  y "]), min_size=1, max_size=40))
def test_text_only_records_equal_pyreadstat(tmp_path, values):
    """Records of blanks only: kept among the records, dropped at the end of a v5 file (padding
    cannot be told from them), as pyreadstat does; the layout checks decide the rest."""
    path = tmp_path / "adsl.xpt"
    path.write_bytes(_write(pd.DataFrame({"USUBJID": values}), 5))
    reference, _ = pyreadstat.read_xport(str(path))
    try:
        frame = read_dataset(path, "adsl").frame
    except ReadError as exc:  # blank records past the padding of one line
        assert exc.problem.rule == "file-padded"
        assert len(reference) < len(values)
        return
    assert frame["USUBJID"].tolist() == [v.strip() for v in reference["USUBJID"]]
    assert frame["USUBJID"].tolist() == [v.strip() for v in values][: len(frame)]


def test_simulated_xpt_equals_pyreadstat(tmp_path):
    """Files written by ``csrgen simulate --format xpt`` (dates with DATE9.) read as pyreadstat
    reads them."""
    from csrgen.cli import main

    assert main(["simulate", "--subjects", "12", "--format", "xpt", "--out", str(tmp_path)]) == 0
    for path in sorted(tmp_path.glob("*.xpt")):
        _assert_same_as_pyreadstat(path, path.stem)


# -- the CDISC pilot ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["adsl.xpt", "adae.xpt", "adtte.xpt", "adlbc.zip"])
def test_pilot_equals_pyreadstat(tmp_path, name):
    path = PILOT_DATA / name
    if name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            (member,) = archive.namelist()
            (tmp_path / "adlbc.xpt").write_bytes(archive.read(member))
        dataset, (want, labels) = (
            read_dataset(path, "adlb"),
            _reference_frame(tmp_path / "adlbc.xpt"),
        )
    else:
        dataset, (want, labels) = read_dataset(path, path.stem), _reference_frame(path)
    pd.testing.assert_frame_equal(dataset.frame, want, check_exact=True)
    assert dataset.labels == labels


# -- damaged records -----------------------------------------------------------------------------
def _patched(cells: dict[int, bytes]) -> bytes:
    """Four records of USUBJID ($8) and AGE; ``cells`` replaces record r's USUBJID bytes."""
    ids = ["SUBJ-001", "SUBJ-002", "SUBJ-003", "SUBJ-004"]
    frame = pd.DataFrame({"USUBJID": ids, "AGE": [30.0, 40, 50, 60]})
    raw = bytearray(_write(frame, 5))
    obs = raw.index(b"HEADER RECORD*******OBS") + 80
    for r, value in cells.items():
        raw[obs + 16 * r : obs + 16 * r + 8] = value.ljust(8)
    return bytes(raw)


def test_text_not_utf8_names_file_variable_and_records(tmp_path):
    path = tmp_path / "adsl.xpt"
    path.write_bytes(_patched({1: b"caf\xe9", 3: b"\xff"}))
    with pytest.raises(ReadError) as caught:
        read_dataset(path, "adsl")
    problem = caught.value.problem
    assert (problem.file, problem.variable, problem.rule) == ("adsl.xpt", "USUBJID", "encoding")
    assert "record 2: b'caf\\xe9'" in problem.message and "record 4: b'\\xff'" in problem.message


def test_text_ends_at_a_nul_as_pyreadstat_reads_it(tmp_path):
    path = tmp_path / "adsl.xpt"
    path.write_bytes(_patched({0: b"ab\x00\xe9\xff", 2: b"  x\t"}))
    _assert_same_as_pyreadstat(path)
    assert read_dataset(path, "adsl").frame["USUBJID"].tolist() == [
        "ab",
        "SUBJ-002",
        "x",
        "SUBJ-004",
    ]


def test_special_missing_and_blank_record_equal_pyreadstat(tmp_path):
    frame = pd.DataFrame({"USUBJID": ["SUBJ-001", "", "SUBJ-003"], "AGE": [1.0, 2.0, 3.0]})
    raw = bytearray(_write(frame, 5))
    obs = raw.index(b"HEADER RECORD*******OBS") + 80  # records of 16 bytes: USUBJID, AGE
    raw[obs + 8 : obs + 16] = b"Q" + bytes(7)  # .Q
    raw[obs + 16 : obs + 32] = b" " * 16  # a record of blanks among the records
    path = tmp_path / "adsl.xpt"
    path.write_bytes(bytes(raw))
    _assert_same_as_pyreadstat(path)
    got = read_dataset(path, "adsl").frame
    assert math.isnan(got["AGE"][0]) and got["USUBJID"].tolist() == ["SUBJ-001", "", "SUBJ-003"]
    assert got["AGE"][1] == _reference(int.from_bytes(b" " * 8, "big"))


def test_v8_long_labels_and_names(tmp_path):
    """v8 keeps names up to 32 characters and labels past 40 in LABELV8 records."""
    frame = pd.DataFrame({"A_RATHER_LONG_VARIABLE_NAME": [1.0], "USUBJID": ["S-1"]})
    path = tmp_path / "adsl.xpt"
    path.write_bytes(_write(frame, 8, ["A label of well over forty characters, " * 3, "Subject"]))
    assert b"LABELV8" in path.read_bytes()
    _assert_same_as_pyreadstat(path)
