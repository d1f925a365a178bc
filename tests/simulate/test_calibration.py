"""The committed synthetic data meet the six constraints of ``seed-trial/CALIBRATION.md``.

Reference for every test: Shi M, Li YY, Xu RN, et al. Mesenchymal stem cell therapy in
decompensated liver cirrhosis: a long-term follow-up analysis of the randomized controlled
clinical trial. Hepatol Int. 2021;15(6):1431-1441 (NCT01220492), as summarised in
CALIBRATION.md ("Constraints the committed dataset must satisfy", items 1-6).

The tests read the COMMITTED files in ``data/ucmsc-dlc`` with pandas (typed by
``variables.csv``) and use lifelines, scipy and statsmodels directly, so that they check the
data, not csrgen's own analysis code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from lifelines import CoxPHFitter
from lifelines.statistics import logrank_test
from scipy import stats

from csrgen.simulate import DEFAULT_SEED, SEED_SUBJECTS, simulate_study, write_study

DATA = Path(__file__).resolve().parents[2] / "data" / "ucmsc-dlc"
FILES = ("adsl.csv", "adtte.csv", "adlb.csv", "adae.csv", "adex.csv", "variables.csv")
FILES += ("adcm.csv", "admh.csv", "addv.csv", "adeg.csv", "advs.csv")
CONTROL, UCMSC = "Control", "UC-MSC"


def _read(name: str) -> pd.DataFrame:
    """A committed CSV typed by variables.csv (num -> float64, date -> datetime64, text -> str)."""
    spec = pd.read_csv(DATA / "variables.csv", dtype=str, keep_default_na=False)
    types = dict(spec.loc[spec["dataset"] == name.upper(), ["variable", "type"]].values)
    frame = pd.read_csv(DATA / f"{name}.csv", dtype=str, keep_default_na=False)
    for col, kind in types.items():
        if kind == "num":
            frame[col] = pd.to_numeric(frame[col].replace("", np.nan)).astype("float64")
        elif kind == "date":
            frame[col] = pd.to_datetime(frame[col].replace("", None), format="%Y-%m-%d")
    return frame


@pytest.fixture(scope="module")
def adsl() -> pd.DataFrame:
    return _read("adsl")


@pytest.fixture(scope="module")
def adtte() -> pd.DataFrame:
    return _read("adtte")


def _logrank(frame: pd.DataFrame, time: pd.Series, event: pd.Series) -> float:
    ucmsc = (frame["TRTP"] == UCMSC).to_numpy()
    t, e = time.to_numpy(), event.to_numpy()
    return logrank_test(t[~ucmsc], t[ucmsc], e[~ucmsc], e[ucmsc]).p_value


def _truncate(frame: pd.DataFrame, months: float) -> tuple[pd.Series, pd.Series]:
    """Follow-up truncated at ``months``: later events censored there."""
    event = (frame["CNSR"] == 0) & (frame["AVAL"] <= months)
    return frame["AVAL"].clip(upper=months), event.astype(int)


def test_constraint_1_randomized_arms(adsl):
    """CALIBRATION.md 1 (Shi 2021: 219 randomized, 111 Control, 108 UC-MSC)."""
    assert len(adsl) == SEED_SUBJECTS and adsl["USUBJID"].is_unique
    for var in ("ARM", "TRT01P", "TRT01A"):
        assert adsl[var].value_counts().to_dict() == {CONTROL: 111, UCMSC: 108}, var
    first = adsl.sort_values("TRT01PN").drop_duplicates("TRT01PN")
    assert list(first["TRT01P"]) == [CONTROL, UCMSC]  # Control first (TRT01PN 1)
    assert (adsl["ITTFL"] == "Y").all()


def test_constraint_2_os_no_difference_in_months_0_12(adtte):
    """CALIBRATION.md 2 (Shi 2021: no OS difference in the first 12 months): log-rank p >= 0.05."""
    os_ = adtte[adtte["PARAMCD"] == "OS"]
    assert _logrank(os_, *_truncate(os_, 12.0)) >= 0.05


def test_constraint_2_os_landmark_months_13_75_favours_ucmsc(adtte):
    """CALIBRATION.md 2 (Shi 2021: OS higher with UC-MSC over months 13-75): landmark log-rank.

    Subjects alive and followed at month 12; follow-up truncated at 75 months. The log-rank test
    is the same whether time is re-based at 12 months or not.
    """
    os_ = adtte[adtte["PARAMCD"] == "OS"]
    landmark = os_[os_["AVAL"] > 12.0]
    assert _logrank(landmark, *_truncate(landmark, 75.0)) < 0.05
    ucmsc = landmark["TRTP"] == UCMSC
    time, event = _truncate(landmark, 75.0)
    rate = event.groupby(ucmsc).sum() / time.groupby(ucmsc).sum()
    assert rate[True] < rate[False]  # the difference goes the published way


def test_constraint_2_cox_hazard_ratio_favours_ucmsc(adtte):
    """CALIBRATION.md 2: Cox HR (UC-MSC vs Control) over the whole follow-up below 1."""
    os_ = adtte[adtte["PARAMCD"] == "OS"]
    data = pd.DataFrame(
        {
            "T": os_["AVAL"].to_numpy(),
            "E": 1 - os_["CNSR"].to_numpy(),
            "UCMSC": (os_["TRTP"] == UCMSC).astype(float).to_numpy(),
        }
    )
    cph = CoxPHFitter().fit(data, duration_col="T", event_col="E")
    assert np.exp(cph.params_["UCMSC"]) < 1.0


def test_constraint_3_hcc_no_difference(adtte):
    """CALIBRATION.md 3 (Shi 2021: HCC incidence did not differ over 75 months): log-rank p >= 0.05.

    Whole follow-up and truncated at 75 months; deaths without HCC are censored.
    """
    hcc = adtte[adtte["PARAMCD"] == "HCC"]
    assert _logrank(hcc, hcc["AVAL"], 1 - hcc["CNSR"]) >= 0.05
    assert _logrank(hcc, *_truncate(hcc, 75.0)) >= 0.05


@pytest.mark.parametrize("paramcd, direction", [("ALB", 1), ("PTA", 1), ("CHE", 1), ("TBIL", -1)])
def test_constraint_4_week48_change_favours_ucmsc(paramcd, direction):
    """CALIBRATION.md 4 (Shi 2021: ALB, PTA, CHE rose and TBIL fell more with UC-MSC in 48 weeks).

    Welch t-test (scipy) and ANCOVA of CHG on arm + BASE (statsmodels OLS), p < 0.05 both.
    """
    adlb = _read("adlb")
    week48 = adlb[(adlb["PARAMCD"] == paramcd) & (adlb["AVISITN"] == 48) & adlb["CHG"].notna()]
    control = week48.loc[week48["TRTP"] == CONTROL, "CHG"]
    ucmsc = week48.loc[week48["TRTP"] == UCMSC, "CHG"]
    assert direction * (ucmsc.mean() - control.mean()) > 0
    assert stats.ttest_ind(ucmsc, control, equal_var=False).pvalue < 0.05
    model = smf.ols("CHG ~ C(TRTP, Treatment('Control')) + BASE", data=week48).fit()
    term = "C(TRTP, Treatment('Control'))[T.UC-MSC]"
    assert direction * model.params[term] > 0
    assert model.pvalues[term] < 0.05


def test_constraint_5_no_treatment_related_serious_ae():
    """CALIBRATION.md 5 (Shi 2021: no treatment-related complications): zero related SAEs."""
    adae = _read("adae")
    related = adae["AEREL"].isin(["RELATED", "POSSIBLY RELATED"])
    assert adae[(adae["AESER"] == "Y") & related].empty
    assert (adae.loc[related, "AEDECOD"] == "Pyrexia").all()  # transient fever only


def test_constraint_6_same_seed_gives_identical_bytes(tmp_path):
    """CALIBRATION.md 6: regenerating with DEFAULT_SEED reproduces every committed file."""
    write_study(simulate_study(SEED_SUBJECTS, DEFAULT_SEED), tmp_path, fmt="csv")
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name
