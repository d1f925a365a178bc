"""Readers: XPT (plain and zipped), CSV (typed by spec or inferred), Parquet, Dataset-JSON, and
the file-level problems (missing, empty, truncated, unreadable, wrong encoding)."""

import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from csrgen.datasets.readers import ReadError, _clean_text, read_dataset
from tests.studies import PILOT_DATA


def test_xpt_types_dates_and_stripped_text():
    ds = read_dataset(PILOT_DATA / "adsl.xpt", "adsl")
    frame = ds.frame
    assert frame.shape == (254, 49)
    assert frame["TRTSDT"].dtype == "datetime64[ns]"
    assert frame.loc[0, "TRTSDT"] == pd.Timestamp("2014-01-02")  # README: first subject
    assert frame["AGE"].dtype == np.float64
    assert frame.loc[0, "USUBJID"] == "01-701-1015"
    assert (frame["DCSREAS"] == "").sum() == 110  # missing text is "", not NaN
    assert ds.labels["AGE"] == "Age"


def test_zipped_xpt_strips_padded_visits():
    ds = read_dataset(PILOT_DATA / "adlbc.zip", "adlb")
    assert ds.frame.shape == (74264, 46)
    assert "Baseline" in set(ds.frame["AVISIT"])  # stored as "        Baseline"
    assert ds.frame["ADT"].dtype == "datetime64[ns]"


def test_csv_with_type_spec_and_inference(tmp_path):
    path = tmp_path / "adsl.csv"
    path.write_text(
        "USUBJID,AGE,TRTSDT,SITEID\nA-1,34,2020-01-05,001\nA-2,,,002\n", encoding="utf-8"
    )
    typed = read_dataset(path, "adsl", {"SITEID": "text"}).frame
    assert typed["AGE"].tolist()[0] == 34.0 and np.isnan(typed["AGE"].tolist()[1])
    assert typed["TRTSDT"].dtype == "datetime64[ns]" and pd.isna(typed.loc[1, "TRTSDT"])
    assert typed["SITEID"].tolist() == ["001", "002"]  # the spec keeps leading zeros
    inferred = read_dataset(path, "adsl").frame
    assert inferred["SITEID"].dtype == np.float64  # without a spec, all-numeric means numeric


def test_clean_text_per_distinct_value_equals_per_value():
    """Text is stripped once per distinct value; the result must be what stripping every value
    gives (missing -> ""), also for a column mixing text and numbers (the slow path)."""
    texts = pd.Series([" a", "b ", None, " a", np.nan, "", "  ", "b "], index=range(10, 18))
    mixed = pd.Series([" a", 1, 1.0, True, None])
    for series in (texts, mixed, pd.Series([], dtype=object)):
        expected = series.fillna("").astype(str).str.strip().astype(object)
        got = _clean_text(series)
        pd.testing.assert_series_equal(got, expected)
    assert _clean_text(texts).tolist() == ["a", "b", "", "a", "", "", "", "b"]


def test_csv_dates_and_numbers_converted_per_distinct_value(tmp_path):
    path = tmp_path / "adlb.csv"
    rows = ["A-1,2020-01-05, 1.5", "A-2,2020-01-05,1.5 ", "A-3,,", "A-4,2020-02-30,x"]
    path.write_text("USUBJID,ADT,AVAL\n" + "\n".join(rows) + "\n", encoding="utf-8")
    ds = read_dataset(path, "adlb", {"ADT": "date", "AVAL": "num"})
    frame = ds.frame
    assert frame["AVAL"].tolist()[:2] == [1.5, 1.5] and frame["AVAL"].isna().tolist()[2:] == [
        True,
        True,
    ]
    assert frame["ADT"].tolist()[:2] == [pd.Timestamp("2020-01-05")] * 2
    assert frame["ADT"].isna().tolist()[2:] == [True, True]
    found = {(p.variable, p.count, p.examples) for p in ds.problems}
    assert found == {
        ("ADT", 1, ("line 5 (USUBJID=A-4): ADT='2020-02-30'",)),
        ("AVAL", 1, ("line 5 (USUBJID=A-4): AVAL='x'",)),
    }


def test_csv_type_problem_names_rows(tmp_path):
    path = tmp_path / "adtte.csv"
    path.write_text("USUBJID,AVAL\nA-1,3.5\nA-2,three\nA-3,4\n", encoding="utf-8")
    ds = read_dataset(path, "adtte", {"AVAL": "num"})
    (problem,) = ds.problems
    assert (problem.variable, problem.rule, problem.count) == ("AVAL", "type", 1)
    assert problem.examples == ("line 3 (USUBJID=A-2): AVAL='three'",)


def test_parquet_and_dataset_json(tmp_path):
    frame = pd.DataFrame(
        {"USUBJID": ["A", "B"], "AVAL": [1, 2], "ADT": pd.to_datetime(["2020-01-01", None])}
    )
    frame.to_parquet(tmp_path / "adtte.parquet")
    got = read_dataset(tmp_path / "adtte.parquet", "adtte").frame
    assert got["AVAL"].dtype == np.float64 and got["ADT"].dtype == "datetime64[ns]"
    doc = {
        "datasetJSONVersion": "1.1",
        "columns": [
            {"itemOID": "IT.USUBJID", "name": "USUBJID", "label": "Subject", "dataType": "string"},
            {"itemOID": "IT.AVAL", "name": "AVAL", "label": "Value", "dataType": "float"},
            {"itemOID": "IT.ADT", "name": "ADT", "label": "Date", "dataType": "date"},
        ],
        "rows": [["A", 1.5, "2020-01-01"], ["B", None, None]],
    }
    (tmp_path / "adtte.json").write_text(json.dumps(doc), encoding="utf-8")
    got = read_dataset(tmp_path / "adtte.json", "adtte")
    assert got.frame["USUBJID"].tolist() == ["A", "B"]
    assert got.frame["ADT"].dtype == "datetime64[ns]"
    assert got.labels["AVAL"] == "Value"


def _read_error(path, role="adsl"):
    with pytest.raises(ReadError) as info:
        read_dataset(path, role)
    return info.value.problem


def test_missing_and_empty_files(tmp_path):
    assert _read_error(tmp_path / "adsl.csv").rule == "file-missing"
    (tmp_path / "adsl.csv").write_bytes(b"")
    problem = _read_error(tmp_path / "adsl.csv")
    assert (problem.rule, problem.message) == ("file-empty", "the file is empty (0 bytes)")


def test_truncated_csv(tmp_path):
    path = tmp_path / "adsl.csv"
    path.write_text("USUBJID,AGE,SEX\nA-1,34,M\nA-2,4", encoding="utf-8")
    problem = _read_error(path)
    assert problem.rule == "file-truncated"
    assert "line 3 has 2 of 3 fields" in problem.message


def test_truncated_xpt(tmp_path):
    path = tmp_path / "adsl.xpt"
    path.write_bytes((PILOT_DATA / "adsl.xpt").read_bytes()[:5000])
    problem = _read_error(path)
    assert problem.rule == "file-truncated"  # 5000 bytes: inside the variable descriptions
    assert problem.file == "adsl.xpt" and "the file ends inside" in problem.message


def test_not_an_xpt_and_a_broken_zip(tmp_path):
    (tmp_path / "adsl.xpt").write_text("hello, I am not SAS", encoding="utf-8")
    assert _read_error(tmp_path / "adsl.xpt").rule == "file-format"
    (tmp_path / "adlb.zip").write_bytes(b"PK\x03\x04broken")
    assert _read_error(tmp_path / "adlb.zip", "adlb").rule == "file-unreadable"
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as z:
        z.writestr("a.xpt", b"x")
        z.writestr("b.xpt", b"y")
    assert _read_error(tmp_path / "two.zip", "adlb").rule == "file-format"


def test_wrong_encoding(tmp_path):
    path = tmp_path / "adae.csv"
    path.write_bytes("USUBJID,AETERM\nA-1,fi\u00e8vre\n".encode("latin-1"))
    problem = _read_error(path, "adae")
    assert problem.rule == "encoding"
    assert problem.message.startswith("not valid utf-8 text: byte 0xe8 at line 2")
    # the same file read with the encoding it was written in is fine
    ok = read_dataset(path, "adae", encoding="latin-1")
    assert ok.frame.loc[0, "AETERM"] == "fi\u00e8vre"
