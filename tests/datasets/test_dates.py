"""Dates from every reader: Parquet date32/date64/timestamp (with and without time zone), CDISC
Dataset-JSON 1.1 date/datetime columns, a ``*DT`` derived from its ``*DTM``, identifiers stored
as numbers. Each file is written with pyarrow or json here, then read back."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from csrgen.datasets import load_study_data
from csrgen.datasets.readers import derive_dates, numbers_as_text, read_dataset
from csrgen.errors import DataValidationError
from tests.studies import tiny_adsl, write_tiny_study

DAY = dt.date(2014, 1, 2)
MOMENT = dt.datetime(2014, 1, 2, 23, 30, 15)


def _write(tmp_path, arrays: dict[str, pa.Array]):
    path = tmp_path / "adsl.parquet"
    names = {"USUBJID": pa.array(["A", "B"])} | arrays
    pq.write_table(pa.table(names), path)
    return read_dataset(path, "adsl")


@pytest.mark.parametrize(
    "arrow_type",
    [pa.date32(), pa.date64()],
    ids=["date32", "date64"],
)
def test_parquet_dates_are_dates(tmp_path, arrow_type):
    ds = _write(tmp_path, {"TRTSDT": pa.array([DAY, None], arrow_type)})
    col = ds.frame["TRTSDT"]
    assert col.dtype == "datetime64[ns]"
    assert col.iloc[0] == pd.Timestamp("2014-01-02") and pd.isna(col.iloc[1])
    assert ds.problems == []


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_parquet_timestamps_without_zone(tmp_path, unit):
    ds = _write(tmp_path, {"TRTSDTM": pa.array([MOMENT, None], pa.timestamp(unit))})
    col = ds.frame["TRTSDTM"]
    assert col.dtype == "datetime64[ns]"
    assert col.iloc[0] == pd.Timestamp("2014-01-02 23:30:15") and pd.isna(col.iloc[1])


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_parquet_timestamps_with_zone_keep_the_wall_clock_time(tmp_path, unit):
    # 2014-01-03 04:30:15 UTC is 23:30:15 on 2 January in New York (UTC-5 in winter)
    instant = pd.Timestamp("2014-01-03 04:30:15", tz="UTC")
    array = pa.array([instant.value // {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[unit], None])
    zoned = array.cast(pa.timestamp(unit, tz="America/New_York"))
    ds = _write(tmp_path, {"TRTSDTM": zoned})
    col = ds.frame["TRTSDTM"]
    assert col.dtype == "datetime64[ns]"  # naive, no zone
    assert col.iloc[0] == pd.Timestamp("2014-01-02 23:30:15")


def test_parquet_date_outside_nanosecond_range_is_a_problem(tmp_path):
    ds = _write(tmp_path, {"TRTSDT": pa.array([DAY, dt.date(1, 1, 1)], pa.date32())})
    assert ds.frame["TRTSDT"].iloc[0] == pd.Timestamp("2014-01-02")
    assert pd.isna(ds.frame["TRTSDT"].iloc[1])
    (problem,) = ds.problems
    assert (problem.variable, problem.rule, problem.count) == ("TRTSDT", "type", 1)
    assert "outside the years 1678-2261" in problem.message


def test_parquet_decimals_are_numbers(tmp_path):
    from decimal import Decimal

    ds = _write(tmp_path, {"AVAL": pa.array([Decimal("1.25"), None], pa.decimal128(5, 2))})
    assert ds.frame["AVAL"].dtype == np.float64
    assert ds.frame["AVAL"].iloc[0] == 1.25 and np.isnan(ds.frame["AVAL"].iloc[1])


def _json(tmp_path, columns, rows):
    doc = {"datasetJSONVersion": "1.1", "columns": columns, "rows": rows}
    path = tmp_path / "adsl.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return read_dataset(path, "adsl")


def test_dataset_json_iso_dates_and_datetimes(tmp_path):
    columns = [
        {"itemOID": "IT.USUBJID", "name": "USUBJID", "dataType": "string"},
        {"itemOID": "IT.TRTSDT", "name": "TRTSDT", "dataType": "date"},
        {"itemOID": "IT.TRTSDTM", "name": "TRTSDTM", "dataType": "datetime"},
    ]
    ds = _json(
        tmp_path,
        columns,
        [["A", "2014-01-02", "2014-01-02T23:30:15"], ["B", None, "2014-01-02T08:00:00Z"]],
    )
    assert ds.frame["TRTSDT"].tolist()[0] == pd.Timestamp("2014-01-02")
    assert pd.isna(ds.frame["TRTSDT"].iloc[1])
    assert ds.frame["TRTSDTM"].tolist() == [
        pd.Timestamp("2014-01-02 23:30:15"),
        pd.Timestamp("2014-01-02 08:00:00"),
    ]
    assert ds.frame["TRTSDTM"].dtype == "datetime64[ns]" and ds.problems == []


def test_dataset_json_numeric_sas_dates_with_target_integer(tmp_path):
    # SAS counts days (dates) and seconds (datetimes) from 1960-01-01: 19725 days is 2014-01-02
    days = (pd.Timestamp("2014-01-02") - pd.Timestamp("1960-01-01")).days
    seconds = days * 86400 + 23 * 3600 + 30 * 60 + 15
    columns = [
        {"itemOID": "IT.USUBJID", "name": "USUBJID", "dataType": "string"},
        {"itemOID": "IT.D", "name": "TRTSDT", "dataType": "date", "targetDataType": "integer"},
        {"itemOID": "IT.T", "name": "TRTSDTM", "dataType": "datetime", "targetDataType": "integer"},
    ]
    ds = _json(tmp_path, columns, [["A", days, seconds], ["B", None, None]])
    assert days == 19725
    assert ds.frame["TRTSDT"].iloc[0] == pd.Timestamp("2014-01-02")
    assert ds.frame["TRTSDTM"].iloc[0] == pd.Timestamp("2014-01-02 23:30:15")
    assert ds.frame["TRTSDT"].isna().iloc[1]


def test_dataset_json_partial_date_and_bad_number_are_problems(tmp_path):
    columns = [
        {"itemOID": "IT.USUBJID", "name": "USUBJID", "dataType": "string"},
        {"itemOID": "IT.D", "name": "TRTSDT", "dataType": "date"},
        {"itemOID": "IT.AGE", "name": "AGE", "dataType": "integer"},
    ]
    ds = _json(tmp_path, columns, [["A", "2014-01", 70], ["B", "2014-01-05", "seventy"]])
    found = {(p.variable, p.rule): p for p in ds.problems}
    assert found["TRTSDT", "type"].examples == ("record 1 (USUBJID=A): TRTSDT='2014-01'",)
    assert found["AGE", "type"].examples == ("record 2 (USUBJID=B): AGE='seventy'",)
    assert ds.frame["TRTSDT"].iloc[1] == pd.Timestamp("2014-01-05")


def test_date_derived_from_iso_datetime_text(tmp_path):
    frame = pd.DataFrame(
        {
            "USUBJID": ["A", "B", "C"],
            "TRTSDTM": ["2014-01-02T23:59:59", "", "2014-03-04T00:00"],
        }
    )
    frame.to_csv(tmp_path / "adsl.csv", index=False)
    ds = read_dataset(tmp_path / "adsl.csv", "adsl")
    notes = derive_dates(ds, {"TRTSDT", "USUBJID"})
    assert ds.frame["TRTSDT"].tolist()[0] == pd.Timestamp("2014-01-02")
    assert pd.isna(ds.frame["TRTSDT"].iloc[1])
    assert ds.frame["TRTSDT"].iloc[2] == pd.Timestamp("2014-03-04")
    assert notes == [
        "adsl.csv: TRTSDT is not in the file; derived from TRTSDTM (its date part) for 2 "
        "record(s), 1 blank"
    ]


def test_date_derived_from_a_datetime_column(tmp_path):
    ds = _write(tmp_path, {"TRTEDTM": pa.array([MOMENT, None], pa.timestamp("s"))})
    notes = derive_dates(ds, {"TRTEDT"})
    assert ds.frame["TRTEDT"].iloc[0] == pd.Timestamp("2014-01-02")
    assert len(notes) == 1 and "derived from TRTEDTM" in notes[0]
    # a date already present is never replaced, a variable nobody needs is not derived
    assert derive_dates(ds, {"TRTEDT", "AENDT"}) == []


def test_bad_datetime_text_is_a_problem_of_the_datetime(tmp_path):
    frame = pd.DataFrame({"USUBJID": ["A"], "TRTSDTM": ["02JAN2014:10:00"]})
    frame.to_csv(tmp_path / "adsl.csv", index=False)
    ds = read_dataset(tmp_path / "adsl.csv", "adsl")
    derive_dates(ds, {"TRTSDT"})
    (problem,) = ds.problems
    assert (problem.variable, problem.rule) == ("TRTSDTM", "type")


def test_study_derives_trtsdt_with_a_warning(tmp_path):
    """An AE window rule needs ADSL TRTSDT; the file has only TRTSDTM: derived, stated."""
    adsl = tiny_adsl().drop(columns=["TRTSDT"])
    adsl["TRTSDTM"] = "2020-01-01T08:00:00"
    study = write_tiny_study(tmp_path, {"adsl": adsl}, lock=False)
    from csrgen.config import load_study

    config = load_study(study)
    data = load_study_data(config, config.data_dir(), {"adsl": {"TRTSDT"}})
    assert data["adsl"]["TRTSDT"].eq(pd.Timestamp("2020-01-01")).all()
    assert data.warnings == (
        "adsl.csv: TRTSDT is not in the file; derived from TRTSDTM (its date part) for 8 record(s)",
    )
    # without the datetime the date is simply missing
    with pytest.raises(DataValidationError, match=r"TRTSDT \[required\]"):
        write_tiny_study(tmp_path / "b", {"adsl": tiny_adsl().drop(columns=["TRTSDT"])})
        config = load_study(tmp_path / "b" / "tiny.toml")
        load_study_data(config, config.data_dir(), {"adsl": {"TRTSDT"}})


def test_identifiers_stored_as_numbers_read_as_text(tmp_path):
    ds = _write(tmp_path, {"SITEID": pa.array([701.0, None]), "AGE": pa.array([64.0, 70.0])})
    notes = numbers_as_text(ds, {"SITEID", "SUBJID"})
    assert ds.frame["SITEID"].tolist() == ["701", ""]
    assert ds.frame["AGE"].dtype == np.float64  # only the names given
    assert notes == ["adsl.parquet: SITEID (e.g. '701') stored as numbers; read as text"]
