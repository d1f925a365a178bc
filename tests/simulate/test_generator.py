"""Structure and internal consistency of the generator's output (any size, any seed).

The calibration of the committed data is checked in ``test_calibration.py``; here a 2,000-subject
study (and the 219-subject default) must be a valid, self-consistent ADaM database.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csrgen.datasets import read_type_spec
from csrgen.datasets.readers import read_csv
from csrgen.simulate import (
    DEFAULT_SEED,
    SEED_SUBJECTS,
    SimulationParameters,
    simulate_study,
    write_study,
)
from csrgen.simulate.metadata import VARIABLES
from csrgen.simulate.readme import data_readme

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data" / "ucmsc-dlc"
NAMES = ("adsl", "adtte", "adlb", "adae", "adex", "adcm", "admh", "addv", "adeg", "advs")


@pytest.fixture(scope="module")
def study() -> dict[str, pd.DataFrame]:
    return simulate_study(2000, seed=7)


def _by_subject(frame: pd.DataFrame, adsl: pd.DataFrame, column: str) -> pd.Series:
    return frame["USUBJID"].map(adsl.set_index("USUBJID")[column])


def test_datasets_columns_and_dtypes_follow_the_metadata(study):
    assert tuple(study) == NAMES
    for name, frame in study.items():
        spec = VARIABLES[name.upper()]
        assert list(frame.columns) == [v.name for v in spec]
        for var in spec:
            series = frame[var.name]
            if var.type == "num":
                assert series.dtype == np.float64, var.name
            elif var.type == "date":
                assert series.dtype == "datetime64[ns]", var.name
            else:
                assert series.dtype == object, var.name
                assert series.map(type).eq(str).all(), f"{name}.{var.name} holds a non-str"


def test_subjects_arms_and_orphans(study):
    adsl = study["adsl"]
    assert adsl["USUBJID"].is_unique and len(adsl) == 2000
    counts = adsl["TRT01P"].value_counts()
    assert (
        counts["Control"] == round(2000 * 111 / 219)
        and counts["UC-MSC"] == 2000 - counts["Control"]
    )
    assert (adsl["TRT01A"] == adsl["TRT01P"]).all() and (adsl["ARM"] == adsl["TRT01P"]).all()
    assert set(zip(adsl["TRT01P"], adsl["TRT01PN"], strict=True)) == {
        ("Control", 1.0),
        ("UC-MSC", 2.0),
    }
    known = set(adsl["USUBJID"])
    for name in NAMES[1:]:
        assert set(study[name]["USUBJID"]) <= known, f"orphan subjects in {name}"
    assert set(study["adex"]["USUBJID"]) <= set(adsl.loc[adsl["TRT01P"] == "UC-MSC", "USUBJID"])


def test_flags_are_y_n_or_blank(study):
    for name, frame in study.items():
        for col in (c for c in frame.columns if c.endswith("FL")):
            assert frame[col].isin(["Y", "N", ""]).all(), f"{name}.{col}"


def test_adtte_one_row_per_subject_and_parameter(study):
    tte = study["adtte"]
    assert not tte.duplicated(["USUBJID", "PARAMCD"]).any()
    assert len(tte) == 2 * len(study["adsl"])
    assert tte["CNSR"].isin([0.0, 1.0]).all()
    assert tte["AVAL"].notna().all() and (tte["AVAL"] >= 0).all()
    assert (tte["STARTDT"] <= tte["ADT"]).all()
    days = (tte["ADT"] - tte["STARTDT"]).dt.days + 1
    assert np.allclose(tte["AVAL"], (days / 30.4375).round(4))


def test_dates_in_order(study):
    adsl = study["adsl"]
    assert (adsl["TRTSDT"] <= adsl["TRTEDT"]).all()
    assert (adsl["RANDDT"] <= adsl["TRTSDT"]).all()
    assert (adsl["TRTEDT"] <= adsl["EOSDT"]).all()
    assert (adsl["LSTALVDT"] <= adsl["EOSDT"]).all()
    assert (adsl["EOSDT"] <= pd.Timestamp("2017-10-31")).all()
    dead = adsl["DTHFL"] == "Y"
    assert (adsl.loc[dead, "DTHDT"] == adsl.loc[dead, "EOSDT"]).all()
    assert adsl.loc[~dead, "DTHDT"].isna().all()
    for name in ("adae", "adex"):
        frame = study[name]
        ended = frame["AENDT"].notna()
        assert (frame.loc[ended, "ASTDT"] <= frame.loc[ended, "AENDT"]).all()
        assert (frame["ASTDT"] >= _by_subject(frame, adsl, "TRTSDT")).all()
        assert (frame["ASTDT"] <= _by_subject(frame, adsl, "EOSDT")).all()
        assert (frame.loc[ended, "AENDT"] <= _by_subject(frame[ended], adsl, "EOSDT")).all()


def test_adsl_agrees_with_adtte(study):
    adsl = study["adsl"].set_index("USUBJID")
    os_ = study["adtte"].query("PARAMCD == 'OS'").set_index("USUBJID").loc[adsl.index]
    hcc = study["adtte"].query("PARAMCD == 'HCC'").set_index("USUBJID").loc[adsl.index]
    assert ((os_["CNSR"] == 0) == (adsl["DTHFL"] == "Y")).all()
    assert (os_["ADT"] == adsl["EOSDT"]).all()
    assert (hcc["ADT"] <= os_["ADT"]).all()
    censored_by_death = hcc["EVNTDESC"] == "DEATH WITHOUT HCC"
    assert (hcc.loc[censored_by_death, "CNSR"] == 1).all()
    assert (adsl.loc[censored_by_death, "DTHFL"] == "Y").all()
    transplant = adsl["DCSREASP"] == "Liver transplantation"
    assert (os_.loc[transplant, "EVNTDESC"] == "LIVER TRANSPLANTATION").all()
    hcc_deaths = adsl["DTHCAUS"] == "HEPATOCELLULAR CARCINOMA"
    assert (hcc.loc[hcc_deaths, "CNSR"] == 0).all()


def test_labs_stop_at_death_or_dropout_and_baseline_matches_adsl(study):
    adsl, lb = study["adsl"], study["adlb"]
    assert (lb["ADT"] <= _by_subject(lb, adsl, "LSTALVDT")).all()
    assert not lb.duplicated(["USUBJID", "PARAMCD", "AVISITN"]).any()
    base = lb[lb["ABLFL"] == "Y"].set_index(["USUBJID", "PARAMCD"])["AVAL"].unstack()
    assert len(base) >= 0.97 * len(adsl)  # baseline for almost everyone
    for paramcd, var in (("ALB", "ALBBL"), ("TBIL", "TBILBL"), ("PTA", "PTABL"), ("CHE", "CHEBL")):
        expected = base[paramcd].reindex(adsl["USUBJID"]).to_numpy()
        assert np.array_equal(adsl[var].to_numpy(), expected, equal_nan=True)
    post = lb[lb["ABLFL"] == ""]
    ok = post["BASE"].notna()
    assert np.allclose(post.loc[ok, "CHG"], post.loc[ok, "AVAL"] - post.loc[ok, "BASE"], atol=1e-9)
    assert lb["ANRIND"].isin(["LOW", "NORMAL", "HIGH"]).all()
    assert (lb["A1LO"] < lb["A1HI"]).all()


def test_infusions_and_exposure(study):
    adsl, ex = study["adsl"], study["adex"]
    counts = ex.groupby("USUBJID").size().reindex(adsl["USUBJID"], fill_value=0).to_numpy()
    assert np.array_equal(adsl["NINF"].to_numpy(), counts)
    ucmsc = adsl["TRT01P"] == "UC-MSC"
    assert (adsl.loc[ucmsc, "NINF"] >= 1).all() and (adsl.loc[~ucmsc, "NINF"] == 0).all()
    assert (ex["AVAL"] == 0.5).all() and set(ex["AVISITN"]) == {0.0, 4.0, 8.0}
    assert (ex["ASTDT"] <= _by_subject(ex, adsl, "LSTALVDT")).all()


def test_adverse_events(study):
    adsl, ae = study["adsl"], study["adae"]
    related = ae["AEREL"].isin(["RELATED", "POSSIBLY RELATED"])
    assert not (related & (ae["AESER"] == "Y")).any()
    assert set(ae.loc[related, "AEDECOD"]) == {"Pyrexia"}
    assert (ae["ASTDY"] >= 1).all()
    assert ((ae["TRTEMFL"] == "Y") == (ae["ASTDY"] <= 336)).all()
    assert (
        ae.groupby("USUBJID")["AESEQ"].apply(lambda s: list(s) == list(range(1, len(s) + 1))).all()
    )
    fatal = ae[ae["AEOUT"] == "FATAL"]
    assert (_by_subject(fatal, adsl, "DTHFL") == "Y").all()
    assert (fatal["AENDT"] == _by_subject(fatal, adsl, "DTHDT")).all()
    assert fatal["USUBJID"].is_unique
    early_deaths = adsl[(adsl["DTHFL"] == "Y") & ((adsl["DTHDT"] - adsl["TRTSDT"]).dt.days < 364)]
    assert set(early_deaths["USUBJID"]) == set(fatal["USUBJID"])
    ongoing = ae["AENDT"].isna()
    assert (
        ae.loc[ongoing, "AEOUT"].isin(["RECOVERING/RESOLVING", "NOT RECOVERED/NOT RESOLVED"]).all()
    )
    pyrexia = ae[ae["AEDECOD"] == "Pyrexia"]
    assert (pyrexia["AESEV"] == "MILD").all() and (pyrexia["ADURN"] <= 2).all()
    share = pyrexia["USUBJID"].nunique() / (adsl["TRT01P"] == "UC-MSC").sum()
    assert 0.08 < share < 0.18


def test_same_seed_same_frames_other_seed_other_frames():
    a, b = simulate_study(300, seed=11), simulate_study(300, seed=11)
    for name in NAMES:
        pd.testing.assert_frame_equal(a[name], b[name])
    c = simulate_study(300, seed=12)
    assert not a["adlb"]["AVAL"].equals(c["adlb"]["AVAL"])


def test_default_size_is_the_seed_trial():
    adsl = simulate_study()["adsl"]
    assert len(adsl) == SEED_SUBJECTS
    assert adsl["TRT01P"].value_counts().to_dict() == {"Control": 111, "UC-MSC": 108}


def test_csv_round_trip_through_the_reader(study, tmp_path):
    """The CSV files and variables.csv read back (with csrgen's reader) to the same frames."""
    small = {name: frame for name, frame in simulate_study(150, seed=3).items()}
    paths = write_study(small, tmp_path)
    assert [p.name for p in paths] == [f"{n}.csv" for n in NAMES] + ["variables.csv"]
    types = read_type_spec(tmp_path)
    for name in NAMES:
        raw = read_csv(tmp_path / f"{name}.csv", name, types[name.upper()])
        assert not raw.problems
        pd.testing.assert_frame_equal(raw.frame, small[name], check_dtype=True)
        text = (tmp_path / f"{name}.csv").read_bytes()
        assert b"\r" not in text and text.endswith(b"\n")
        assert b".0," not in text and b",-0," not in text  # integers written without ".0"


def test_parquet_round_trip(tmp_path):
    small = simulate_study(150, seed=3)
    write_study(small, tmp_path, fmt="parquet")
    for name in NAMES:
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / f"{name}.parquet"), small[name])
    with pytest.raises(ValueError, match="unknown format"):
        write_study(small, tmp_path, fmt="xlsx")


def test_data_readme_matches_the_parameters():
    """The committed data README is the one rendered from SimulationParameters and DEFAULT_SEED."""
    committed = (DATA / "README.md").read_text(encoding="utf-8")
    assert committed == data_readme(SimulationParameters(), DEFAULT_SEED), (
        "data/ucmsc-dlc/README.md is stale: regenerate it with "
        "csrgen.simulate.readme.write_data_readme"
    )
    for f in dataclasses.fields(SimulationParameters):
        assert f"| `{f.name}` |" in committed


@pytest.mark.parametrize("n", [2, 3, 5, 20])
def test_a_small_study_simulates(n):
    """Small studies draw no subject for some history terms: their medication groups are empty,
    not missing (20 subjects stopped with a KeyError)."""
    frames = simulate_study(n, 11)
    assert len(frames["adsl"]) == n
    assert frames["adsl"]["USUBJID"].is_unique
