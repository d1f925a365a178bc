"""The ARD contract: columns and order, types, checker, diff, round trip through ard.csv."""

import math

import pandas as pd
import pytest

from csrgen.ard import ARD_COLUMNS, ard_frame, check_ard, diff_ard, read_ard, stat_lookup, write_ard


def sample():
    return ard_frame(
        [
            {
                "output_id": "t",
                "group_var": "TRT01P",
                "group_level": "A",
                "stat_name": "N",
                "stat": 10,
            },
            {
                "output_id": "t",
                "group_var": "TRT01P",
                "group_level": "A",
                "variable": "AGE",
                "stat_name": "mean",
                "stat": 1 / 3,
            },
            {
                "output_id": "t",
                "group_level": "Overall",
                "variable": "AGE",
                "stat_name": "p_value",
                "stat": float("nan"),
                "method": "anova",
            },
            {
                "output_id": "k",
                "group_level": "A",
                "param": "OS",
                "timepoint": 12.0,
                "stat_name": "surv",
                "stat": 0.84,
            },
        ]
    )


def test_columns_in_contract_order_then_method():
    assert tuple(sample().columns) == ARD_COLUMNS
    assert ARD_COLUMNS[:9] == (
        "output_id",
        "group_var",
        "group_level",
        "variable",
        "variable_level",
        "param",
        "timepoint",
        "stat_name",
        "stat",
    )


def test_text_columns_are_never_nan_and_numeric_levels_print_plainly():
    ard = sample()
    assert ard.loc[0, "variable"] == "" and ard.loc[3, "timepoint"] == "12"
    assert check_ard(ard) == []


def test_checker_finds_problems():
    ard = sample()
    bad = pd.concat([ard, ard.iloc[[0]]], ignore_index=True)
    assert any("share a key" in p for p in check_ard(bad))
    bad = ard.copy()
    bad.loc[1, "stat_name"] = "average"
    assert check_ard(bad) == ["stat_name: unknown names ['average']"]
    bad = ard.copy()
    bad.loc[3, "stat"] = 1.5
    assert check_ard(bad) == ["a probability (p_value, surv) outside 0-1"]
    with pytest.raises(ValueError, match="unknown keys"):
        ard_frame([{"stat_name": "n", "stat": 1, "colour": "red"}])


def test_round_trip_keeps_full_precision(tmp_path):
    ard = sample()
    write_ard(ard, tmp_path / "ard.csv")
    back = read_ard(tmp_path / "ard.csv")
    assert back.loc[1, "stat"] == 1 / 3  # exact, not 0.333333
    assert math.isnan(back.loc[2, "stat"])
    pd.testing.assert_frame_equal(back, ard)
    assert (tmp_path / "ard.csv").read_text().splitlines()[0] == ",".join(ARD_COLUMNS)


def test_diff_reports_added_removed_changed():
    old = sample()
    new = old.copy()
    new.loc[0, "stat"] = 11
    new = new.drop(index=3)
    new = pd.concat(
        [new, ard_frame([{"output_id": "t", "group_level": "B", "stat_name": "N", "stat": 9}])],
        ignore_index=True,
    )
    diff = diff_ard(old, new)
    assert sorted(diff["change"]) == ["added", "changed", "removed"]
    assert diff_ard(old, old).empty  # NaN equals NaN for QC purposes
    near = old.copy()
    near.loc[1, "stat"] *= 1 + 1e-12
    assert diff_ard(old, near, rtol=1e-9).empty and len(diff_ard(old, near)) == 1


def test_stat_lookup_wants_exactly_one_row():
    ard = sample()
    assert stat_lookup(ard, group_level="A", stat_name="N") == 10
    with pytest.raises(LookupError):
        stat_lookup(ard, group_level="A")
