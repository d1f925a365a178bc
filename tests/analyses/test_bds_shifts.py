"""Lab shift categories, the worst-category rule and ard_bds_shift, checked by hand."""

import numpy as np
import pandas as pd
import pytest

from csrgen.analyses.bds_shifts import (
    ard_bds_shift,
    indicator_category,
    range_category,
    subject_shifts,
    worst_category,
)
from csrgen.ard import check_ard, stat_lookup


def test_range_category_limits_inclusive_and_open_sides():
    value = pd.Series([3.4, 3.39, 20.5, 20.51, np.nan, 50.0, 1.0])
    low = pd.Series([3.4, 3.4, 3.4, 3.4, 3.4, np.nan, np.nan])
    high = pd.Series([20.5, 20.5, 20.5, 20.5, 20.5, 20.5, np.nan])
    assert range_category(value, low, high).tolist() == [
        "NORMAL",
        "LOW",
        "NORMAL",
        "HIGH",
        "",  # no value
        "HIGH",  # no lower limit: can still be high
        "",  # no limits at all
    ]


def test_indicator_category_codes_and_map():
    ind = pd.Series(["L", "normal", "HIGH", "", "ABN", None])
    assert indicator_category(ind, {}).tolist() == ["LOW", "NORMAL", "HIGH", "", "", ""]
    assert indicator_category(ind, {"ABN": "HIGH"}).tolist()[4] == "HIGH"


@pytest.mark.parametrize(
    ("categories", "worst"),
    [
        (["NORMAL", "NORMAL"], "NORMAL"),
        (["NORMAL", "HIGH"], "HIGH"),
        (["LOW", "NORMAL"], "LOW"),
        (["LOW", "HIGH", "NORMAL"], "LOW AND HIGH"),
        (["", "LOW"], "LOW"),
        (["", ""], ""),
    ],
)
def test_worst_category_rule(categories, worst):
    assert worst_category(pd.Series(categories)) == worst


def test_ard_bds_shift_by_hand():
    subjects = pd.DataFrame({"USUBJID": ["P1", "P2", "P3", "D1", "D2"], "ARM": list("PPPDD")})
    base = pd.DataFrame(
        {
            "USUBJID": ["P1", "P2", "D1", "D2"],
            "PARAMCD": ["ALB"] * 4,
            "CAT": ["LOW", "NORMAL", "NORMAL", ""],
        }
    )
    post = pd.DataFrame(
        {
            "USUBJID": ["P1", "P1", "P2", "P2", "P3", "D1", "D2"],
            "PARAMCD": ["ALB"] * 7,
            "CAT": ["NORMAL", "LOW", "HIGH", "LOW", "NORMAL", "", "HIGH"],
        }
    )
    shifts = subject_shifts(base, post).set_index("USUBJID")
    assert (shifts.pop("TIMEPOINT") == "").all()  # no timepoints given
    # P3 has no baseline; D1 has no categorised post-baseline value (not evaluable);
    # D2's baseline is uncategorised -> MISSING.
    assert shifts.to_dict("index") == {
        "D2": {"PARAMCD": "ALB", "BASE_CAT": "MISSING", "WORST": "HIGH"},
        "P1": {"PARAMCD": "ALB", "BASE_CAT": "LOW", "WORST": "LOW"},
        "P2": {"PARAMCD": "ALB", "BASE_CAT": "NORMAL", "WORST": "LOW AND HIGH"},
        "P3": {"PARAMCD": "ALB", "BASE_CAT": "MISSING", "WORST": "NORMAL"},
    }
    ard = ard_bds_shift(shifts.reset_index(), subjects, "ARM", ["P", "D"], ["ALB", "PTA"], "TRT01A")
    assert check_ard(ard) == []

    def s(level, variable, name, vl="", param="ALB"):
        return stat_lookup(
            ard,
            group_level=level,
            param=param,
            variable=variable,
            stat_name=name,
            variable_level=vl,
        )

    assert s("P", "WORST", "n") == 3 and s("D", "WORST", "n") == 1
    assert s("P", "SHIFT", "n", "NORMAL/LOW AND HIGH") == 1
    assert s("P", "SHIFT", "pct", "NORMAL/LOW AND HIGH") == pytest.approx(100 / 3)
    assert s("P", "BNRIND", "n", "MISSING") == 1
    assert s("D", "SHIFT", "pct", "MISSING/HIGH") == 100
    assert s("P", "WORST", "n", "HIGH") == 0
    # A listed parameter without data: zero evaluable subjects, NaN percentages.
    assert s("D", "WORST", "n", param="PTA") == 0
    assert np.isnan(s("D", "WORST", "pct", "LOW", param="PTA"))
    # Every subject once per parameter: the shift cells of an arm add up to its n.
    shift_n = ard[(ard.variable == "SHIFT") & (ard.stat_name == "n") & (ard.param == "ALB")]
    assert shift_n.groupby("group_level")["stat"].sum().to_dict() == {"D": 1, "P": 3}


def test_subject_shifts_follow_worst_category_for_every_subject():
    """The vectorised worst category equals worst_category applied subject by subject."""
    rng = np.random.default_rng(3)
    n = 400
    post = pd.DataFrame(
        {
            "USUBJID": rng.choice([f"S{i:02d}" for i in range(60)], n),
            "PARAMCD": rng.choice(["ALB", "ALT", "AST"], n),
            "CAT": rng.choice(["LOW", "NORMAL", "HIGH", ""], n, p=[0.1, 0.6, 0.2, 0.1]),
        }
    )
    base = post.drop_duplicates(["USUBJID", "PARAMCD"]).sample(frac=0.7, random_state=1)
    shifts = subject_shifts(base, post)
    expected = post.groupby(["USUBJID", "PARAMCD"])["CAT"].agg(worst_category)
    expected = expected[expected != ""]
    assert list(zip(shifts["USUBJID"], shifts["PARAMCD"], strict=True)) == list(expected.index)
    assert shifts["WORST"].tolist() == expected.tolist()
    first_base = base.loc[base["CAT"] != ""].set_index(["USUBJID", "PARAMCD"])["CAT"]
    for subject, param, base_cat in shifts[["USUBJID", "PARAMCD", "BASE_CAT"]].itertuples(False):
        assert base_cat == first_base.get((subject, param), "MISSING")
