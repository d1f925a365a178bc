"""ard_disposition, death_records and ard_deaths on tiny frames checked by hand."""

import numpy as np
import pandas as pd
import pytest

from csrgen.analyses.disposition import (
    Category,
    DeathSource,
    ard_deaths,
    ard_disposition,
    death_records,
    matches,
)
from csrgen.ard import check_ard, stat_lookup

ARMS = ["Placebo", "Drug", "Empty"]


def s(ard, level, var, name, var_level="", timepoint=""):
    return stat_lookup(
        ard,
        group_level=level,
        variable=var,
        stat_name=name,
        variable_level=var_level,
        timepoint=timepoint,
    )


@pytest.fixture
def adsl():
    """Six subjects; S6 was screened but never randomized (no RANDDT)."""
    return pd.DataFrame(
        {
            "USUBJID": ["S1", "S2", "S3", "S4", "S5", "S6"],
            "ARM": ["Placebo", "Placebo", "Drug", "Drug", "Drug", "Drug"],
            "RANDDT": pd.to_datetime(["2020-01-01"] * 5 + [None]),
            "TRTSDT": pd.to_datetime(["2020-01-02", None, "2020-01-02", "2020-01-03", None, None]),
            "EOSSTT": [
                "COMPLETED",
                "DISCONTINUED",
                "DISCONTINUED",
                "DISCONTINUED",
                "COMPLETED",
                "",
            ],
            "DCSREAS": ["", "WITHDRAWAL", "ADVERSE EVENT", "", "", "SCREEN FAILURE"],
            "SAFFL": ["Y", "N", "Y", "Y", "N", "N"],
            "NINF": [np.nan, np.nan, 3.0, 1.0, 0.0, np.nan],
        }
    )


CATEGORIES = [
    Category("TREATED", "TRTSDT"),
    Category("SAFFL", "SAFFL", ("Y",)),
    Category("DISCONTINUED", "EOSSTT", ("DISCONTINUED",), "DCSREAS", ("WITHDRAWAL",)),
]


@pytest.fixture
def ard(adsl):
    return ard_disposition(
        adsl, "ARM", ARMS, Category("RANDOMIZED", "RANDDT"), CATEGORIES, group_var="TRT01P"
    )


def test_shape(ard):
    assert check_ard(ard) == []


def test_denominator_is_randomized_only(ard):
    # S6 (not randomized) is left out everywhere, also from the Drug arm's N.
    assert [s(ard, a, "", "N") for a in ("Placebo", "Drug", "Empty", "Total")] == [2, 3, 0, 5]


def test_counts_and_percentages_by_hand(ard):
    assert s(ard, "Placebo", "TREATED", "n") == 1 and s(ard, "Placebo", "TREATED", "pct") == 50
    assert s(ard, "Drug", "TREATED", "n") == 2
    assert s(ard, "Drug", "TREATED", "pct") == pytest.approx(200 / 3)
    assert s(ard, "Total", "SAFFL", "n") == 3 and s(ard, "Total", "SAFFL", "pct") == 60
    assert s(ard, "Total", "DISCONTINUED", "n") == 3


def test_reasons_listed_first_in_given_order_then_alphabetical(ard):
    reasons = ard.loc[(ard.variable == "DCSREAS") & (ard.stat_name == "n"), "variable_level"]
    # SCREEN FAILURE belongs to S6 (not randomized): never a reason of this table.
    assert list(dict.fromkeys(reasons)) == ["WITHDRAWAL", "ADVERSE EVENT"]
    assert s(ard, "Placebo", "DCSREAS", "n", "WITHDRAWAL") == 1
    assert s(ard, "Drug", "DCSREAS", "n", "ADVERSE EVENT") == 1
    # S4 discontinued without a recorded reason
    assert s(ard, "Drug", "DCSREAS", "n_miss") == 1
    assert s(ard, "Total", "DCSREAS", "pct", "WITHDRAWAL") == 20


def test_empty_arm_gets_zero_counts_and_no_percentage(ard):
    assert s(ard, "Empty", "TREATED", "n") == 0
    assert np.isnan(s(ard, "Empty", "TREATED", "pct"))
    assert s(ard, "Empty", "DCSREAS", "n", "WITHDRAWAL") == 0


def test_matches_numbers_by_value_and_text_stripped(adsl):
    assert matches(adsl, "NINF", ["3", "1"]).tolist() == [False, False, True, True, False, False]
    adsl["EOSSTT"] = " " + adsl["EOSSTT"]
    assert matches(adsl, "EOSSTT", ["COMPLETED"]).sum() == 2
    assert matches(adsl, "", []).all()


# -- deaths -----------------------------------------------------------------------------------
@pytest.fixture
def safety():
    return pd.DataFrame(
        {
            "USUBJID": ["D1", "D2", "D3", "D4", "D5"],
            "ARM": ["Placebo", "Placebo", "Drug", "Drug", "Drug"],
            "TRTSDT": pd.to_datetime(["2020-01-01"] * 5),
            "TRTEDT": pd.to_datetime(["2020-03-01"] * 5),
            "DTHFL": ["Y", "", "Y", "Y", "Y"],
            "DTHDT": pd.to_datetime(["2020-02-01", None, "2020-03-05", None, "2020-03-01"]),
            "DTHCAUS": ["LIVER FAILURE", "", "INFECTION", "LIVER FAILURE", ""],
        }
    )


def test_death_records_study_day_and_treatment_window(safety):
    deaths = death_records(safety, DeathSource())
    by = deaths.set_index("USUBJID")
    assert list(by.index) == ["D1", "D3", "D4", "D5"]
    # 2020-02-01 is 31 days after 2020-01-01: day 32 (day 1 = first dose, no day 0)
    assert by.loc["D1", "DTHDY"] == 32
    assert by.loc["D1", "ONTRT"] == "Y"
    assert by.loc["D3", "ONTRT"] == "N"  # 4 days after the last dose
    assert by.loc["D4", "ONTRT"] == "" and np.isnan(by.loc["D4", "DTHDY"])  # date unknown
    assert by.loc["D5", "ONTRT"] == "Y"  # on the last-dose day: inclusive
    wide = death_records(safety, DeathSource(days_after_treatment=4)).set_index("USUBJID")
    assert wide.loc["D3", "ONTRT"] == "Y"


def test_ard_deaths_by_hand(safety):
    deaths = death_records(safety, DeathSource())
    ard = ard_deaths(safety, deaths, "ARM", ["Placebo", "Drug"], "TRT01A", causes=["INFECTION"])
    assert check_ard(ard) == []
    assert s(ard, "Placebo", "DEATH", "n") == 1 and s(ard, "Placebo", "DEATH", "pct") == 50
    assert s(ard, "Drug", "DEATH", "n") == 3 and s(ard, "Drug", "DEATH", "pct") == 100
    assert s(ard, "Drug", "DEATH", "n", timepoint="treatment") == 1  # D5 only
    assert s(ard, "Total", "DEATH", "n", timepoint="treatment") == 2
    assert s(ard, "Drug", "DTHCAUS", "n", "LIVER FAILURE") == 1
    assert s(ard, "Drug", "DTHCAUS", "n_miss") == 1
    # A cause with no death in an arm or period is a zero row, not a missing one.
    assert s(ard, "Placebo", "DTHCAUS", "n", "INFECTION") == 0
    assert s(ard, "Drug", "DTHCAUS", "n", "INFECTION", "treatment") == 0
    levels = ard.loc[(ard.variable == "DTHCAUS") & (ard.stat_name == "n"), "variable_level"]
    assert list(dict.fromkeys(levels)) == ["INFECTION", "LIVER FAILURE"]


def test_death_date_and_cause_from_the_fatal_adverse_event(safety):
    adsl = safety.drop(columns=["DTHDT", "DTHCAUS"])
    adae = pd.DataFrame(
        {
            "USUBJID": ["D1", "D1", "D3", "D2"],
            "AESDTH": ["N", "Y", "Y", "N"],
            "AENDT": pd.to_datetime(["2020-01-05", "2020-01-20", "2020-03-02", "2020-01-09"]),
            "AEDECOD": ["NAUSEA", "SUDDEN DEATH", "SEPSIS", "RASH"],
        }
    )
    source = DeathSource(date_var="", cause_var="", days_after_treatment=1)
    by = death_records(adsl, source, adae).set_index("USUBJID")
    assert by.loc["D1", "DTHCAUS"] == "SUDDEN DEATH"
    assert by.loc["D1", "DTHDT"] == pd.Timestamp("2020-01-20")
    assert by.loc["D3", "ONTRT"] == "Y"  # one day after the last dose, window + 1 day
    assert by.loc["D4", "DTHCAUS"] == "" and pd.isna(by.loc["D4", "DTHDT"])  # no fatal AE


def test_two_fatal_events_count_one_death_under_the_earliest(safety):
    adsl = safety.drop(columns=["DTHDT", "DTHCAUS"])
    adae = pd.DataFrame(
        {
            "USUBJID": ["D1", "D1"],
            "AESDTH": ["Y", "Y"],
            "AENDT": pd.to_datetime(["2020-01-25", "2020-01-20"]),
            "AEDECOD": ["SEPSIS", "HEPATIC FAILURE"],
        }
    )
    deaths = death_records(adsl, DeathSource(date_var="", cause_var=""), adae)
    assert (deaths.USUBJID == "D1").sum() == 1
    assert deaths.set_index("USUBJID").loc["D1", "DTHCAUS"] == "HEPATIC FAILURE"
    ard = ard_deaths(adsl, deaths, "ARM", ["Placebo", "Drug"], "TRT01A")
    assert s(ard, "Placebo", "DEATH", "n") == 1
    # the later fatal event is not a second cause
    assert "SEPSIS" not in set(ard.loc[ard.variable == "DTHCAUS", "variable_level"])
