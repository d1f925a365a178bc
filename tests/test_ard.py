"""The ARD contract: columns and order, types, checker, diff, round trip through ard.csv."""

import math

import pandas as pd
import pytest

from csrgen.ard import (
    ARD_COLUMNS,
    ard_frame,
    check_ard,
    concat_ard,
    diff_ard,
    read_ard,
    stat_lookup,
    write_ard,
)


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


# -- formats and the one accessor -----------------------------------------------------------------
def formatted():
    from csrgen.ard import apply_formats
    from csrgen.formatting import default_formats

    rows = [
        {"output_id": "t", "group_level": "A", "stat_name": "N", "stat": 111},
        {"output_id": "t", "group_level": "A", "param": "ALB", "stat_name": "mean", "stat": 29.15},
        {"output_id": "t", "group_level": "A", "param": "ALB", "stat_name": "sd", "stat": 4.5049},
        {"output_id": "t", "group_level": "B", "param": "ALB", "stat_name": "diff", "stat": 3.9},
        {
            "output_id": "t",
            "group_level": "B",
            "param": "ALB",
            "stat_name": "diff_lcl",
            "stat": 2.725,
        },
        {
            "output_id": "t",
            "group_level": "B",
            "param": "ALB",
            "stat_name": "diff_ucl",
            "stat": 5.07,
        },
        {
            "output_id": "t",
            "group_level": "B",
            "param": "ALB",
            "stat_name": "p_value",
            "stat": 1e-5,
        },
        {"output_id": "t", "group_level": "A", "variable": "AE", "stat_name": "n", "stat": 0},
        {"output_id": "t", "group_level": "A", "variable": "AE", "stat_name": "pct", "stat": 0.0},
    ]
    return apply_formats(ard_frame(rows), default_formats(), "t_lab_ancova", {"ALB": 1})


def test_apply_formats_resolves_each_row_from_the_declared_formats():
    ard = formatted()
    assert check_ard(ard) == []
    codes = dict(zip(ard["stat_name"], ard["fmt"], strict=False))
    # ALB has one decimal: mean two, SD three, the difference and its limits two
    assert codes["mean"] == "num:2" and codes["sd"] == "num:3"
    assert codes["diff"] == codes["diff_lcl"] == codes["diff_ucl"] == "num:2"
    assert codes["p_value"] == "pvalue:3" and codes["N"] == "int"


def test_one_accessor_prints_through_the_rows_formats():
    from csrgen.ard import ArdIndex

    ix = ArdIndex(formatted())
    assert ix.value("N", group_level="A") == 111
    assert ix.text("N", group_level="A") == "111"
    assert ix.mean_sd(group_level="A", param="ALB") == "29.15 (4.505)"
    assert ix.est_ci("diff", group_level="B", param="ALB") == "3.90 (2.73, 5.07)"  # 2.725 half-up
    assert ix.text("p_value", group_level="B", param="ALB") == "<0.001"
    assert ix.n_pct(group_level="A", variable="AE") == "0"  # a zero count alone


def test_the_accessor_is_strict():
    from csrgen.ard import ArdIndex

    ix = ArdIndex(formatted())
    with pytest.raises(LookupError, match="no ARD row"):
        ix.value("N", group_level="B")  # a key that is not there is an error, not NaN or "NE"
    assert math.isnan(ix.value("N", group_level="B", missing=math.nan))
    assert ix.text("N", group_level="B", missing="-") == "-"
    with pytest.raises(LookupError, match="unknown stat_name 'mena'"):
        ix.value("mena", group_level="A", param="ALB")  # a typo never prints "NE"
    with pytest.raises(LookupError, match="not key columns"):
        ix.value("N", group="A")
    two = ArdIndex(concat_ard([formatted(), formatted().assign(output_id="u")]))
    with pytest.raises(LookupError, match="name the output_id"):
        two.value("N", group_level="A")
    assert two.value("N", group_level="A", output_id="u") == 111
    # defaults fix key columns for every look-up
    assert ArdIndex(formatted(), param="ALB").text("mean", group_level="A") == "29.15"


def test_unformatted_rows_cannot_be_printed():
    from csrgen.ard import ArdIndex

    ix = ArdIndex(sample())
    assert ix.value("N", output_id="t", group_level="A") == 10
    with pytest.raises(LookupError, match="has no format"):
        ix.text("N", output_id="t", group_level="A")


def test_numeric_levels_have_one_spelling():
    from csrgen.ard import level_key
    from csrgen.formatting import fmt_level

    frame = ard_frame([{"output_id": "k", "timepoint": 365.2425, "stat_name": "n", "stat": 1}])
    # the ARD key and the printed label of a landmark of 365.2425 days are one string
    assert frame["timepoint"].iloc[0] == level_key(365.2425) == fmt_level(365.2425) == "365.2425"
    assert level_key(12.0) == "12"
