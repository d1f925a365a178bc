"""The added datasets (ADCM, ADMH, ADDV, ADEG, ADVS): independent streams, consistency with the
first five datasets, the documented flag derivations, and the assumed targets on the committed
data. Expected values are recomputed here with pandas from the generated frames, not taken from
the generator's internals.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from csrgen.simulate import DEFAULT_SEED, SEED_SUBJECTS, SimulationParameters, simulate_study
from csrgen.simulate.params_bds import ECG
from tests.simulate.test_calibration import _read

FIRST_FIVE = ("adsl", "adtte", "adlb", "adae", "adex")
ADDED = ("adcm", "admh", "addv", "adeg", "advs")


@pytest.fixture(scope="module")
def study() -> dict[str, pd.DataFrame]:
    return simulate_study(2000, seed=7)


def _subject(frame: pd.DataFrame, adsl: pd.DataFrame, column: str) -> pd.Series:
    return frame["USUBJID"].map(adsl.set_index("USUBJID")[column])


def _cdisc_day(date: pd.Series, day1: pd.Series) -> pd.Series:
    days = (date - day1).dt.days
    return days.where(days < 0, days + 1)


def test_added_parameters_leave_the_first_five_datasets_unchanged():
    """Each added dataset draws from its own stream: changing any of their parameters changes
    nothing in ADSL, ADTTE, ADLB, ADAE, ADEX (so the calibrated seed keeps its data)."""
    default = simulate_study(300, seed=11)
    params = dataclasses.replace(
        SimulationParameters(),
        p_partial_date=0.9,
        p_unknown_start=0.5,
        p_ecg_not_done=0.5,
        medications=SimulationParameters().medications[:4],
        ecg=ECG[:2] + ECG[4:],  # HR, PR, QTCF (no derived QT)
    )
    changed = simulate_study(300, seed=11, params=params)
    for name in FIRST_FIVE:
        pd.testing.assert_frame_equal(default[name], changed[name])
    assert not default["adcm"].equals(changed["adcm"])
    assert not default["adeg"].equals(changed["adeg"])


def test_streams_are_independent_of_each_other():
    """ECG parameters do not move ADMH, ADVS or the drawn deviations; medications do not move
    ADMH."""
    default = simulate_study(300, seed=11)
    params = dataclasses.replace(SimulationParameters(), ecg=ECG[:2] + ECG[4:])
    changed = simulate_study(300, seed=11, params=params)
    for name in ("admh", "adcm", "advs"):
        pd.testing.assert_frame_equal(default[name], changed[name])


def test_medical_history_agrees_with_adsl(study):
    adsl, mh = study["adsl"], study["admh"]
    ongoing = mh[mh["MHENRTPT"] == "ONGOING"]
    for pt, var in (("Ascites", "ASCITES"), ("Hepatic encephalopathy", "HEPENC")):
        with_pt = set(ongoing.loc[ongoing["MHDECOD"] == pt, "USUBJID"])
        assert with_pt == set(adsl.loc[adsl[var] == "Yes", "USUBJID"]), pt
    assert set(mh.loc[mh["MHDECOD"] == "Chronic hepatitis B", "USUBJID"]) == set(adsl["USUBJID"])
    day1 = _subject(mh, adsl, "TRTSDT")
    assert (mh["ASTDT"] < day1).all()
    ended = mh["AENDT"].notna()
    assert (mh.loc[ended, "AENDT"] < day1[ended]).all()
    assert (mh.loc[ended, "ASTDT"] <= mh.loc[ended, "AENDT"]).all()
    assert ((mh["MHENRTPT"] == "ONGOING") == ~ended).all()
    assert (mh.groupby("MHDECOD")["MHBODSYS"].nunique() == 1).all()
    assert np.array_equal(mh["ASTDY"], _cdisc_day(mh["ASTDT"], day1).astype(float))


def test_partial_dates_are_imputed_to_the_first_day(study):
    for name in ("admh", "adcm"):
        frame = study[name]
        day_imputed = frame[frame["ASTDTF"] == "D"]["ASTDT"]
        year_imputed = frame[frame["ASTDTF"] == "M"]["ASTDT"]
        assert len(day_imputed) and len(year_imputed)
        assert (day_imputed.dt.day == 1).all()
        assert ((year_imputed.dt.day == 1) & (year_imputed.dt.month == 1)).all()
        assert frame["ASTDTF"].isin(["", "D", "M"]).all()


def test_medication_flags_follow_the_documented_rule(study):
    """PREFL: start before day 1 or unknown; ONTRTFL: not ended before day 1 and started by the
    end of treatment (or unknown); FUPFL: started after the end of treatment."""
    adsl, cm = study["adsl"], study["adcm"]
    day1, last = _subject(cm, adsl, "TRTSDT"), _subject(cm, adsl, "TRTEDT")
    unknown = cm["ASTDT"].isna()
    prior = unknown | (cm["ASTDT"] < day1)
    on = (cm["AENDT"].isna() | (cm["AENDT"] >= day1)) & (unknown | (cm["ASTDT"] <= last))
    follow = ~unknown & (cm["ASTDT"] > last)
    assert ((cm["PREFL"] == "Y") == prior).all()
    assert ((cm["ONTRTFL"] == "Y") == on).all()
    assert ((cm["FUPFL"] == "Y") == follow).all()
    assert unknown.any() and follow.any() and (prior & on).any() and (prior & ~on).any()
    known = ~unknown
    assert np.array_equal(
        cm.loc[known, "ASTDY"], _cdisc_day(cm.loc[known, "ASTDT"], day1[known]).astype(float)
    )
    both = cm["AENDT"].notna() & known
    assert (cm.loc[both, "ASTDT"] <= cm.loc[both, "AENDT"]).all()
    assert (cm["ASTDT"].dropna() <= _subject(cm, adsl, "EOSDT")[known]).all()
    assert ((cm["CMENRTPT"] == "ONGOING") == cm["AENDT"].isna()).all()


def test_medications_agree_with_adsl_and_history(study):
    adsl, cm, mh = study["adsl"], study["adcm"], study["admh"]
    day1 = _subject(cm, adsl, "TRTSDT")
    at_day1 = (cm["ASTDT"].isna() | (cm["ASTDT"] < day1)) & (
        cm["AENDT"].isna() | (cm["AENDT"] >= day1)
    )
    antiviral = cm[at_day1 & (cm["CMCLASCD"] == "J05")].groupby("USUBJID").size()
    antiviral = antiviral.reindex(adsl["USUBJID"], fill_value=0)
    expected = (adsl.set_index("USUBJID")["ANTIVIR"] == "Yes").astype(int)
    assert antiviral.equals(expected.rename(antiviral.name).astype(antiviral.dtype))
    # a beta-blocker for varices: only with varices in the history or a variceal bleed
    bb = set(cm.loc[cm["CMCLASCD"] == "C07", "USUBJID"])
    varices = set(mh.loc[mh["MHDECOD"] == "Oesophageal varices", "USUBJID"])
    bleeds = set(study["adae"].loc[study["adae"]["AEDECOD"].str.contains("varices"), "USUBJID"])
    assert bb and bb <= varices | bleeds
    assert (cm.groupby("CMDECOD")["CMCLAS"].nunique() == 1).all()


def test_deviations_agree_with_the_other_datasets(study):
    adsl, dv, lb, ex, eg = (study[k] for k in ("adsl", "addv", "adlb", "adex", "adeg"))
    assert dv["DVSCAT"].isin(["MAJOR", "MINOR"]).all()
    visits = lb.drop_duplicates(["USUBJID", "AVISIT"])
    seen = set(zip(visits["USUBJID"], visits["AVISIT"], strict=True))
    missed = dv[dv["DVDECOD"].isin(["VISIT MISSED", "PRIMARY LABORATORY VISIT MISSED"])]
    assert (
        missed["DVDECOD"]
        .eq("PRIMARY LABORATORY VISIT MISSED")
        .eq(missed["AVISIT"] == "Week 48")
        .all()
    )
    for subject, visit in zip(missed["USUBJID"], missed["AVISIT"], strict=True):
        assert (subject, visit) not in seen
    # a gap in a subject's ADLB visits (a later visit attended) is always a deviation
    order = ["Week 4", "Week 8", "Week 12", "Week 24", "Week 36", "Week 48"]
    flagged = set(zip(missed["USUBJID"], missed["AVISIT"], strict=True))
    for subject, group in visits.groupby("USUBJID"):
        attended = [order.index(v) for v in group["AVISIT"] if v in order]
        for k in range(max(attended, default=-1)):
            if k not in attended:
                assert (subject, order[k]) in flagged
    no_base = set(adsl["USUBJID"]) - set(lb.loc[lb["ABLFL"] == "Y", "USUBJID"])
    got = set(dv.loc[dv["DVDECOD"] == "BASELINE LABORATORY SAMPLE NOT TAKEN", "USUBJID"])
    assert got == no_base and no_base
    # infusions: a missing week-4 infusion before a given week-8 one is a deviation
    given = ex.pivot_table(index="USUBJID", columns="AVISITN", values="AVAL", aggfunc="size")
    gap = given.index[given[4.0].isna() & given[8.0].notna()]
    inf = dv[dv["DVDECOD"] == "UC-MSC INFUSION NOT GIVEN"]
    assert set(gap) <= set(inf.loc[inf["AVISIT"] == "Week 4", "USUBJID"])
    assert (_subject(inf, adsl, "TRT01A") == "UC-MSC").all()
    # ECG not performed: the visit was attended (ADLB has it; day 1 always) and ADEG has none
    ecg_seen = set(zip(eg["USUBJID"], eg["AVISIT"], strict=True))
    ecg_dv = dv[dv["DVDECOD"] == "ECG NOT PERFORMED"]
    assert len(ecg_dv)
    for subject, visit in zip(ecg_dv["USUBJID"], ecg_dv["AVISIT"], strict=True):
        assert (subject, visit) not in ecg_seen and (subject, visit) in seen | {
            (subject, "Baseline")
        }
    # a prohibited corticosteroid started in the treatment phase
    cm = study["adcm"]
    steroid = cm[cm["CMCLASCD"] == "H02"]
    in_phase = steroid[
        (steroid["ASTDT"] >= _subject(steroid, adsl, "TRTSDT"))
        & (steroid["ASTDT"] <= _subject(steroid, adsl, "TRTEDT"))
    ]
    prohibited = dv[dv["DVDECOD"] == "PROHIBITED MEDICATION TAKEN"]
    assert sorted(zip(in_phase["USUBJID"], in_phase["ASTDT"], strict=True)) == sorted(
        zip(prohibited["USUBJID"], prohibited["ASTDT"], strict=True)
    )


def test_ecg_and_vital_signs_bds(study):
    adsl, eg, vs, lb = study["adsl"], study["adeg"], study["advs"], study["adlb"]
    for frame in (eg, vs):
        assert not frame.duplicated(["USUBJID", "PARAMCD", "AVISIT"]).any()
        post = frame["ABLFL"] == ""
        ok = post & frame["BASE"].notna()
        assert np.allclose(frame.loc[ok, "CHG"], frame.loc[ok, "AVAL"] - frame.loc[ok, "BASE"])
        base = frame[frame["ABLFL"] == "Y"].set_index(["USUBJID", "PARAMCD"])["AVAL"]
        keys = pd.MultiIndex.from_frame(frame[["USUBJID", "PARAMCD"]])
        assert np.array_equal(base.reindex(keys).to_numpy(), frame["BASE"], equal_nan=True)
        assert (frame["ADT"] <= _subject(frame, adsl, "LSTALVDT")).all()
    # measured on the laboratory visit days
    lab_day = lb.drop_duplicates(["USUBJID", "AVISIT"]).set_index(["USUBJID", "AVISIT"])["ADT"]
    both = pd.MultiIndex.from_frame(eg[["USUBJID", "AVISIT"]])
    known = lab_day.reindex(both).notna().to_numpy()
    assert (lab_day.reindex(both).to_numpy()[known] == eg["ADT"].to_numpy()[known]).all()
    tracing = eg.pivot_table(index=["USUBJID", "AVISIT"], columns="PARAMCD", values="AVAL")
    qt = (tracing["QTCF"] * np.cbrt(60.0 / tracing["HR"])).round()
    assert np.array_equal(qt.to_numpy(), tracing["QT"].to_numpy())
    qtcf = eg[eg["PARAMCD"] == "QTCF"]
    cut = pd.cut(qtcf["AVAL"], [-np.inf, 450, 480, 500, np.inf], labels=False) + 1
    assert np.array_equal(qtcf["AVALCA1N"], cut.astype(float))
    post = qtcf[qtcf["CHG"].notna()]
    cut = pd.cut(post["CHG"], [-np.inf, 30, 60, np.inf], labels=False) + 1
    assert np.array_equal(post["CHGCAT1N"], cut.astype(float))
    assert (eg.loc[eg["PARAMCD"] != "QTCF", "AVALCAT1"] == "").all()
    weight = vs[(vs["PARAMCD"] == "WEIGHT") & (vs["ABLFL"] == "Y")]
    assert np.array_equal(weight["AVAL"], _subject(weight, adsl, "WEIGHTBL"))


def test_committed_data_meet_the_assumed_targets():
    """The assumed targets of the seed study's added datasets, on the committed files
    (not published facts: see the data README)."""
    adsl, cm, eg, dv = _read("adsl"), _read("adcm"), _read("adeg"), _read("addv")
    n = len(adsl)
    assert len(adsl) == SEED_SUBJECTS and DEFAULT_SEED == 365
    na = cm.loc[cm["CMCLASCD"] == "J05", "USUBJID"].nunique() / n
    assert 0.88 <= na <= 1.0  # nucleos(t)ide analogue in about 90 %
    qtcf = eg[eg["PARAMCD"] == "QTCF"]
    assert 430 <= qtcf.loc[qtcf["ABLFL"] == "Y", "AVAL"].mean() <= 450
    assert (qtcf["AVAL"] > 450).mean() > 0.2 and (qtcf["AVAL"] > 480).any()
    assert 0 < (qtcf["AVAL"] > 500).sum() <= 0.01 * len(qtcf)
    change = qtcf["CHG"].dropna()
    assert (change.abs() <= 30).mean() > 0.9 and (change > 30).any() and (change > 60).any()
    assert set(dv["DVSCAT"]) == {"MAJOR", "MINOR"}
