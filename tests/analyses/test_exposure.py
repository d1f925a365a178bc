"""ard_exposure on a tiny frame: ADSL, duration and ADEX-total variables, checked by hand."""

import numpy as np
import pandas as pd
import pytest

from csrgen.analyses.exposure import ExposureVariable, ard_exposure, exposure_values
from csrgen.ard import check_ard, stat_lookup


@pytest.fixture
def subjects():
    return pd.DataFrame(
        {
            "USUBJID": ["A", "B", "C", "D", "E"],
            "ARM": ["Control", "Control", "Cells", "Cells", "Cells"],
            "TRTSDT": pd.to_datetime(["2020-01-01"] * 5),
            "TRTEDT": pd.to_datetime(
                ["2020-01-01", "2020-01-10", "2020-01-31", None, "2020-01-02"]
            ),
            "NINF": [0.0, 0.0, 3.0, 1.0, 0.0],
        }
    )


@pytest.fixture
def adex():
    return pd.DataFrame(
        {
            "USUBJID": ["C", "C", "C", "D", "D"],
            "PARAMCD": ["DOSE", "DOSE", "DOSE", "DOSE", "WEIGHT"],
            "AVAL": [0.5, 0.5, 0.5, 0.5, 70.0],
        }
    )


DOSE = ExposureVariable(
    "DOSETOT", "AVAL", "continuous", source="adex", paramcd=("DOSE",), arms=("Cells",)
)


def s(ard, level, var, name, var_level=""):
    return stat_lookup(
        ard, group_level=level, variable=var, stat_name=name, variable_level=var_level
    )


def test_duration_counts_both_days(subjects):
    spec = ExposureVariable("DUR", "TRTEDT", "continuous", source="duration", start="TRTSDT")
    values = exposure_values(subjects, spec, None)
    assert values.tolist()[:3] == [1, 10, 31] and np.isnan(values[3])


def test_adex_sum_only_listed_paramcd_and_missing_as_zero(subjects, adex):
    assert exposure_values(subjects, DOSE, adex).tolist()[2:4] == [1.5, 0.5]
    assert np.isnan(exposure_values(subjects, DOSE, adex)[4])  # E: no record -> missing
    zero = ExposureVariable(**{**DOSE.__dict__, "missing_as_zero": True})
    assert exposure_values(subjects, zero, adex).tolist()[2:] == [1.5, 0.5, 0.0]
    count = ExposureVariable(**{**DOSE.__dict__, "aggregate": "count", "missing_as_zero": True})
    assert exposure_values(subjects, count, adex).tolist() == [0, 0, 3, 1, 0]


def test_ard_exposure_by_hand(subjects, adex):
    zero = ExposureVariable(**{**DOSE.__dict__, "missing_as_zero": True})
    ninf = ExposureVariable("NINF", "NINF", "categorical", levels=("0", "1", "2", "3"))
    ard = ard_exposure(subjects, "ARM", ["Control", "Cells"], [zero, ninf], "TRT01A", adex=adex)
    assert check_ard(ard) == []
    assert [s(ard, a, "", "N") for a in ("Control", "Cells", "Total")] == [2, 3, 5]
    # Cells: totals 1.5, 0.5, 0 -> mean 2/3, median 0.5
    assert s(ard, "Cells", "DOSETOT", "mean") == pytest.approx(2 / 3)
    assert s(ard, "Cells", "DOSETOT", "median") == 0.5
    assert s(ard, "Cells", "DOSETOT", "n") == 3
    # The dose concerns the Cells arm only: no Control or Total rows for it.
    dose_levels = set(ard.loc[ard.variable == "DOSETOT", "group_level"])
    assert dose_levels == {"Cells"}
    # Numeric categories matched by value: NINF 3.0 counts under "3".
    assert s(ard, "Cells", "NINF", "n", "3") == 1 and s(ard, "Cells", "NINF", "n", "0") == 1
    assert s(ard, "Total", "NINF", "n", "0") == 3 and s(ard, "Total", "NINF", "pct", "0") == 60
    assert s(ard, "Control", "NINF", "n", "2") == 0
