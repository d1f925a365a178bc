"""Property-based tests: mutated CSV and XPT bytes (truncations, byte flips, inserted bytes,
duplicated and deleted regions) fed to the readers and to ``csrgen validate``.

Each must end in a ``ReadError`` naming the file, in problems or warnings the user is shown,
or in a correct frame: the original's when the bytes did not change, the original's first
rows when a file was cut where a row ends. Never another exception, never a traceback.
Hypothesis is derandomized and its examples bounded, so CI runs the same cases every time.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csrgen.cli import main
from csrgen.datasets.readers import RawDataset, ReadError, read_dataset
from tests.broken import tiny_frames, tiny_study, typed, write_format, xpt_obs_start

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
WORK = Path(tempfile.mkdtemp(prefix="csrgen-mutations-"))


def _original(fmt: str) -> bytes:
    path = WORK / f"original.{fmt}"
    if not path.exists():
        write_format(typed("adsl", tiny_frames()["adsl"]), path, "adsl")
    return path.read_bytes()


CSV = _original("csv")
XPT = _original("xpt")


@st.composite
def mutated(draw, original: bytes) -> bytes:
    """``original`` after one to three mutations."""
    data = original
    for _ in range(draw(st.integers(1, 3))):
        n = len(data)
        at = draw(st.integers(0, max(n - 1, 0)))
        kind = draw(st.sampled_from(["cut", "flip", "insert", "duplicate", "delete"]))
        if kind == "cut":
            data = data[:at]
        elif kind == "flip" and n:
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
        elif kind == "insert":
            data = data[:at] + draw(st.binary(min_size=1, max_size=90)) + data[at:]
        elif kind == "duplicate":
            length = draw(st.integers(1, 160))
            data = data[: at + length] + data[at : at + length] + data[at + length :]
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 160)) :]
    return data


def read(data: bytes, fmt: str) -> RawDataset | ReadError:
    path = WORK / f"adsl.{fmt}"
    path.write_bytes(data)
    try:
        return read_dataset(path, "adsl")
    except ReadError as exc:
        return exc


def _frame(fmt: str) -> pd.DataFrame:
    return read_dataset(WORK / f"original.{fmt}", "adsl").frame


def check_outcome(result, fmt: str, data: bytes, original: bytes) -> None:
    if isinstance(result, ReadError):
        assert result.problem.file.startswith(f"adsl.{fmt}")
        assert result.problem.rule and result.problem.message
        return
    assert isinstance(result, RawDataset)
    if data == original:
        pd.testing.assert_frame_equal(result.frame, _frame(fmt))


@SETTINGS
@given(data=mutated(CSV))
def test_mutated_csv_reads_or_is_refused(data):
    check_outcome(read(data, "csv"), "csv", data, CSV)


@SETTINGS
@given(data=mutated(XPT))
def test_mutated_xpt_reads_or_is_refused(data):
    check_outcome(read(data, "xpt"), "xpt", data, XPT)


@SETTINGS
@given(cut=st.integers(0, len(CSV) - 1))
def test_a_cut_csv_is_refused_flagged_or_its_first_rows(cut):
    """A CSV cut anywhere: refused, or a warning / problem names it, or (cut where a row ends)
    exactly the original's first rows."""
    result = read(CSV[:cut], "csv")
    if isinstance(result, ReadError) or result.problems or result.warnings:
        return
    rows = CSV[:cut].rstrip(b"\r\n").count(b"\n")
    assert CSV[:cut].endswith(b"\n")
    expected = _frame("csv").iloc[:rows]
    got = result.frame
    assert list(got.columns) == list(expected.columns) and len(got) == len(expected)
    for col in got.columns:  # an empty frame types no column: compare the values
        assert got[col].astype(str).tolist() == expected[col].astype(str).tolist()


@SETTINGS
@given(cut=st.integers(0, len(XPT) - 1))
def test_a_cut_xpt_is_refused(cut):
    """An XPT cut anywhere is refused, except where a record and an 80-byte line end together
    (v5 stores no record count: that file is complete as far as any reader can tell)."""
    result = read(XPT[:cut], "xpt")
    if isinstance(result, ReadError):
        assert result.problem.rule in ("file-truncated", "file-empty")
        return
    start = xpt_obs_start(XPT)
    obs_len = (len(XPT) - start) // 8  # 8 records, padded: obs_len * 8 rounds up to 80
    body = cut - start
    assert cut % 80 == 0 and body % obs_len < 80 and body >= 0
    assert len(result.frame) == body // obs_len


def test_harmless_variations_read_the_same(tmp_path):
    """A BOM, CRLF line ends and blank lines at the end change no value."""
    variants = [
        b"\xef\xbb\xbf" + CSV,
        CSV.replace(b"\n", b"\r\n"),
        CSV + b"\n\n \n",
        CSV.rstrip(b"\n"),
    ]
    for i, data in enumerate(variants):
        result = read(data, "csv")
        assert isinstance(result, RawDataset), (i, result)
        pd.testing.assert_frame_equal(result.frame, _frame("csv"))


_STUDY = tiny_study(WORK / "study")
_ADSL = _STUDY.parent / "data" / "adsl.csv"
_ADSL_BYTES = _ADSL.read_bytes()


@settings(max_examples=100, deadline=None, derandomize=True)
@given(data=mutated(_ADSL_BYTES))
def test_validate_on_a_mutated_csv_exits_0_or_2_without_traceback(data):
    _ADSL.write_bytes(data)
    err = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.stderr", err)
        mp.setattr("sys.stdout", io.StringIO())
        code = main(["validate", str(_STUDY)])
    text = err.getvalue()
    assert code in (0, 2), text
    assert "Traceback" not in text and "unexpected error" not in text
    if code == 2:
        assert "adsl.csv" in text or "adae.csv" in text or "tiny.toml" in text
