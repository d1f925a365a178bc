"""How the readers type columns without per-cell inference: CSV columns typed by the spec (or
inferred once per distinct value), each distinct text converted once and spread back, XPT read
in chunks; every result checked against a per-cell computation made here, cell by cell."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from csrgen.cli import main
from csrgen.datasets import xport
from csrgen.datasets.readers import read_dataset
from csrgen.datasets.typespec import read_type_spec_checked
from tests.studies import PILOT_DATA

SEED_DATA = Path(__file__).resolve().parents[2] / "data" / "ucmsc-dlc"
_DTYPES = {"text": np.dtype(object), "num": np.dtype("float64"), "date": np.dtype("<M8[ns]")}


def _write_csv(path: Path, columns: dict[str, list[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(zip(*columns.values(), strict=True))
    path.write_text(buffer.getvalue(), encoding="utf-8")


def test_seed_csv_columns_have_the_type_specs_types():
    """Every column of the committed seed CSVs has the dtype its variables.csv type names."""
    spec, problems = read_type_spec_checked(SEED_DATA)
    assert not problems
    for name, types in spec.items():
        frame = read_dataset(SEED_DATA / f"{name.lower()}.csv", name.lower(), types).frame
        assert set(frame.columns) <= set(types), name
        for col in frame.columns:
            assert frame[col].dtype == _DTYPES[types[col]], (name, col)


def test_declared_text_keeps_numbers_as_written(tmp_path):
    """A spec's text type wins over what the values look like; its num type over a *DT name."""
    path = tmp_path / "adsl.csv"
    _write_csv(path, {"USUBJID": ["A", "B"], "SITEID": ["007", " 10"], "XDT": ["1", "2.5"]})
    frame = read_dataset(path, "adsl", {"SITEID": "text", "XDT": "num"}).frame
    assert frame["SITEID"].tolist() == ["007", "10"]
    assert frame["XDT"].tolist() == [1.0, 2.5]


# -- one conversion per distinct value equals one per cell -------------------------------------
_NUMBERISH = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["-9223372036854775809", "18446744073709551616"]),  # beyond int64
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda v: f"{v:.3g}"),
    st.sampled_from(["", " ", "1.5 ", " -0", "1e5", "1E-3", ".5", "5.", "inf", "-Infinity"]),
    st.sampled_from(["nan", "NaN", "1e999", "abc", "1,5", "NA", "0x10", "+3", "1_000", "--1"]),
)


def _per_cell_number(text: str) -> tuple[float, str]:
    """(value, problem) of one cell: '' when fine, 'finite' or 'type' as the reader must say."""
    text = text.strip()
    if text == "":
        return math.nan, ""
    value = float(pd.to_numeric(pd.Series([text], dtype=object), errors="coerce").iloc[0])
    if not math.isnan(value):  # a number: the double nearest its text (Python's float)
        value = float(text)
    if math.isnan(value):  # not a number pandas holds: NaN or 1e999 spelled out, or no number
        try:
            return math.nan, "finite" if not math.isfinite(float(text)) else "type"
        except ValueError:
            return math.nan, "type"
    if math.isnan(value) or math.isinf(value):
        return math.nan, "finite"
    return value, ""


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(_NUMBERISH, min_size=1, max_size=40))
# pandas read every integer of this column through its float parser (one beyond 64 bits)
@example(cells=["113170919323553385", "-9223372036854775809"])
# pandas' parser one unit in the last place off
@example(cells=["-1.3031572316043609e-197", "0.1"])
def test_numbers_per_distinct_value_equal_per_cell(tmp_path, cells):
    path = tmp_path / "adlb.csv"
    _write_csv(path, {"USUBJID": [f"S-{i}" for i in range(len(cells))], "AVAL": cells})
    dataset = read_dataset(path, "adlb", {"AVAL": "num"})
    expected = [_per_cell_number(c) for c in cells]
    got = dataset.frame["AVAL"]
    assert got.dtype == np.float64
    for value, (want, _) in zip(got.tolist(), expected, strict=True):
        assert (math.isnan(value) and math.isnan(want)) or value == want
    for rule in ("finite", "type"):
        rows = [i for i, (_, p) in enumerate(expected) if p == rule]
        found = [p for p in dataset.problems if p.rule == rule]
        assert sum(p.count for p in found) == len(rows)
        if rows:
            assert found[0].variable == "AVAL"
            assert found[0].examples[0].startswith(f"line {rows[0] + 2} (USUBJID=S-{rows[0]})")
    # without a spec: numeric when every non-blank cell, tried alone, is a number
    inferred = read_dataset(path, "adlb").frame["AVAL"]
    filled = [c.strip() for c in cells if c.strip()]
    numeric = bool(filled) and all(
        pd.notna(pd.to_numeric(pd.Series([c], dtype=object), errors="coerce").iloc[0])
        for c in filled
    )
    assert inferred.dtype == (np.float64 if numeric else object)
    if not numeric:
        assert inferred.tolist() == [c.strip() for c in cells]


_FIRST, _LAST = pd.Timestamp("1700-01-01"), pd.Timestamp("2250-12-31")
_DATEISH = st.one_of(
    # within what datetime64[ns] holds (outside it, both ways give NaT: tests/datasets)
    st.dates(_FIRST.date(), _LAST.date()).map(lambda d: d.isoformat()),
    st.datetimes(_FIRST.to_pydatetime(), _LAST.to_pydatetime()).map(
        lambda d: d.isoformat(timespec="seconds")
    ),
    st.sampled_from(["", " 2020-01-05 ", "2020-02-30", "2020-01", "05/01/2020", "x", "2020-1-5"]),
    st.sampled_from(["2014-01-02T08:30:00Z", "2014-01-02 08:30", "2014-01-02T08:30:00+01:00"]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(_DATEISH, min_size=1, max_size=30))
def test_dates_per_distinct_value_equal_per_cell(tmp_path, cells):
    path = tmp_path / "adae.csv"
    _write_csv(path, {"USUBJID": [f"S-{i}" for i in range(len(cells))], "ASTDT": cells})
    dataset = read_dataset(path, "adae", {"ASTDT": "date"})
    got = dataset.frame["ASTDT"]
    assert got.dtype == "datetime64[ns]"
    bad = 0
    for value, cell in zip(got.tolist(), cells, strict=True):
        text = cell.strip()
        shaped = text[:10].count("-") == 2 and text[:4].isdigit() and len(text.split()[0]) >= 10
        try:  # one cell alone, the time zone dropped (the wall-clock time as recorded)
            text = text.removesuffix("Z")
            if len(text) > 19 and text[-6] in "+-":
                text = text[:-6]
            want = pd.Timestamp(text) if shaped and text[4] == "-" and text[7] == "-" else pd.NaT
        except ValueError:
            want = pd.NaT
        if pd.isna(want):
            assert pd.isna(value), cell
            bad += cell.strip() != ""
        else:
            assert value == want, cell
    assert sum(p.count for p in dataset.problems if p.rule == "type") == bad


# -- hostile CSV input still stops the run, naming the file and the variable --------------------
def test_hostile_csv_values_exit_2_naming_file_and_variable(tiny_study, capsys):
    data = tiny_study.parent / "data"
    path = data / "adsl.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    age = header.index("AGE")
    fields = lines[1].split(",")
    fields[age] = "thirty"
    lines[1] = ",".join(fields)
    fields = lines[2].split(",")
    fields[age] = "1e999"
    lines[2] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["validate", str(tiny_study)]) == 2
    err = capsys.readouterr().err
    assert "adsl.csv: AGE [type]" in err and "AGE='thirty'" in err
    assert "adsl.csv: AGE [finite]" in err and "AGE='1e999'" in err
    assert "Traceback" not in err


def test_invalid_utf8_far_into_a_file_is_named_with_its_line(tmp_path):
    """A file validated in chunks: a bad byte after the first chunk is still found, with the
    line the whole-file decoder names."""
    path = tmp_path / "adae.csv"
    rows = [f"S-{i},caf\u00e9 {i}" for i in range(40_000)]
    text = ("USUBJID,AETERM\n" + "\n".join(rows) + "\n").encode("utf-8")
    cut = text.index(b"S-39000,")
    path.write_bytes(text[:cut] + b"\xff" + text[cut:])
    from csrgen.datasets import csvfile

    csvfile_chunk = csvfile._valid_utf8.__defaults__
    csvfile._valid_utf8.__defaults__ = (4096,)
    try:
        with pytest.raises(Exception) as caught:
            read_dataset(path, "adae")
    finally:
        csvfile._valid_utf8.__defaults__ = csvfile_chunk
    problem = caught.value.problem
    assert (problem.file, problem.rule) == ("adae.csv", "encoding")
    assert "byte 0xff at line 39002" in problem.message


def test_fields_of_blanks_are_no_blank_line(tmp_path):
    """A row of fields holding only spaces is a record of blanks, not a blank line."""
    path = tmp_path / "adae.csv"
    path.write_text("USUBJID,AETERM\nS-1,x\n  ,  \nS-3,y\n", encoding="utf-8")
    frame = read_dataset(path, "adae").frame
    assert frame["USUBJID"].tolist() == ["S-1", "", "S-3"]
    path.write_text("USUBJID,AETERM\nS-1,x\n,\nS-3,y\n", encoding="utf-8")
    with pytest.raises(Exception) as caught:
        read_dataset(path, "adae")
    assert caught.value.problem.rule == "fields" and "blank line" in caught.value.problem.message


# -- XPT in chunks -------------------------------------------------------------------------------
def test_xpt_in_chunks_equals_one_read(monkeypatch):
    """The pilot's ADAE read a few records at a time gives pyreadstat's whole-file frame,
    stripped and typed the same way."""
    import pyreadstat

    whole, _ = pyreadstat.read_xport(str(PILOT_DATA / "adae.xpt"), dates_as_pandas_datetime=True)
    monkeypatch.setattr(xport, "CHUNK_BYTES", 60_000)  # about a hundred records a chunk
    frame = read_dataset(PILOT_DATA / "adae.xpt", "adae").frame
    assert frame.shape == whole.shape
    for col in whole.columns:
        if whole[col].dtype == object:
            assert frame[col].tolist() == [v.strip() for v in whole[col]], col
        elif pd.api.types.is_datetime64_any_dtype(whole[col]):
            pd.testing.assert_series_equal(
                frame[col], whole[col].astype("datetime64[ns]"), check_names=False
            )
        else:
            np.testing.assert_array_equal(frame[col].to_numpy(), whole[col].to_numpy(float))


def test_xpt_cut_off_is_found_when_read_in_chunks(tmp_path, monkeypatch):
    data = (PILOT_DATA / "adae.xpt").read_bytes()
    path = tmp_path / "adae.xpt"
    path.write_bytes(data[: len(data) - 5 * 80 - 13])
    monkeypatch.setattr(xport, "CHUNK_BYTES", 50_000)
    with pytest.raises(Exception) as caught:
        read_dataset(path, "adae")
    assert (caught.value.problem.file, caught.value.problem.rule) == ("adae.xpt", "file-truncated")


def test_xpt_chunk_ending_in_blank_records_reads_them(tmp_path, monkeypatch):
    """Records of blanks only (all text missing) where a chunk ends are records, not padding:
    read in chunks of 50 records (the first ends inside the blank ones, 71-100) they are read as
    in one piece."""
    import pyreadstat

    values = ["x"] * 70 + [""] * 30 + ["y"] * 67
    frame = pd.DataFrame({"USUBJID": values, "AETERM": values})
    path = tmp_path / "adae.xpt"
    pyreadstat.write_xport(frame, str(path), table_name="ADAE", file_format_version=5)
    whole = read_dataset(path, "adae").frame
    monkeypatch.setattr(xport, "CHUNK_BYTES", 100)  # 2-byte records: 50 records a chunk
    chunked = read_dataset(path, "adae").frame
    pd.testing.assert_frame_equal(chunked, whole)
    assert chunked["USUBJID"].tolist() == values
