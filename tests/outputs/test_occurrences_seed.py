"""Medications, medical history and protocol deviations of the seed study against an independent
pandas computation on the committed CSV files (typed by variables.csv, read without csrgen)."""

from __future__ import annotations

from collections import Counter
from functools import cache

import pandas as pd
import pytest

from csrgen.ard import check_ard
from csrgen.report import prepare_study
from tests.outputs.test_ae_overview import run, stat
from tests.simulate.test_calibration import _read
from tests.studies import SEED_STUDY

ARMS = ("Control", "UC-MSC")


@cache
def seed_result(output_id: str):
    return run(SEED_STUDY, output_id)


@cache
def source(name: str, population: str) -> pd.DataFrame:
    """The dataset's records of the population's subjects, with their ADSL arm and dates."""
    adsl = _read("adsl")
    adsl = adsl[adsl[population] == "Y"]
    arm = "TRT01A" if population == "SAFFL" else "TRT01P"
    subjects = adsl[["USUBJID", "TRTSDT", "TRTEDT", arm]].rename(columns={arm: "ARM"})
    return _read(name).merge(subjects, on="USUBJID", how="inner")


def _check_levels(ard, records: pd.DataFrame, levels: list[str], big_n: pd.Series) -> None:
    """Every row of every level (and no other row) against pandas: subjects n, % of N."""
    for depth, var in enumerate(levels):
        keys = levels[: depth + 1]
        rows = ard[(ard["variable"] == var) & (ard["stat_name"] == "n")]
        got = {
            (tuple(r.param.split(" | ")) if r.param else ()) + (r.variable_level,)
            for r in rows.itertuples()
        }
        want = set(records[keys].drop_duplicates().itertuples(index=False, name=None))
        assert got == want, var
        counts = records.groupby(keys + ["ARM"])["USUBJID"].nunique()
        totals = {
            k if isinstance(k, tuple) else (k,): v
            for k, v in records.groupby(keys)["USUBJID"].nunique().items()
        }
        for key in want:
            param = " | ".join(key[:-1])
            for arm in ARMS:
                expected = int(counts.get(key + (arm,), 0))  # an arm without records: 0
                assert stat(ard, arm, var, "n", key[-1], param) == expected, (key, arm)
                pct = stat(ard, arm, var, "pct", key[-1], param)
                assert pct == pytest.approx(100 * expected / big_n[arm])
            assert stat(ard, "Total", var, "n", key[-1], param) == totals[key]


def _big_n(population: str) -> pd.Series:
    adsl = _read("adsl")
    arm = "TRT01A" if population == "SAFFL" else "TRT01P"
    return adsl[adsl[population] == "Y"][arm].value_counts()


def test_concomitant_medications_against_pandas():
    cm = source("adcm", "SAFFL")
    started = cm["ASTDT"].isna() | (cm["ASTDT"] <= cm["TRTEDT"])
    taken = cm["AENDT"].isna() | (cm["AENDT"] >= cm["TRTSDT"])
    conc = cm[started & taken]
    assert ((cm["ONTRTFL"] == "Y") == (started & taken)).all()  # the dataset's flag agrees
    ard = seed_result("t_cm_con").ard
    assert check_ard(ard) == []
    big_n = _big_n("SAFFL")
    for arm in ARMS:
        assert stat(ard, arm, "", "N") == big_n[arm]
        assert stat(ard, arm, "CONMED", "n") == conc.loc[conc["ARM"] == arm, "USUBJID"].nunique()
    _check_levels(ard, conc, ["CMCLAS", "CMDECOD"], big_n)


def test_prior_medications_against_pandas():
    cm = source("adcm", "SAFFL")
    prior = cm[cm["ASTDT"].isna() | (cm["ASTDT"] < cm["TRTSDT"])]
    assert set(prior.index) == set(cm.index[cm["PREFL"] == "Y"])
    ard = seed_result("t_cm_prior").ard
    big_n = _big_n("SAFFL")
    for arm in ARMS:
        want = prior.loc[prior["ARM"] == arm, "USUBJID"].nunique()
        assert stat(ard, arm, "PRIOR_MED", "n") == want
    _check_levels(ard, prior, ["CMCLAS", "CMDECOD"], big_n)


def test_medical_history_against_pandas():
    mh = source("admh", "SAFFL")
    ard = seed_result("t_mh").ard
    assert check_ard(ard) == []
    _check_levels(ard, mh, ["MHBODSYS", "MHDECOD"], _big_n("SAFFL"))


def test_protocol_deviations_against_pandas():
    dv = source("addv", "ITTFL")
    ard = seed_result("t_dv").ard
    assert check_ard(ard) == []
    big_n = _big_n("ITTFL")
    for arm in ARMS:
        assert stat(ard, arm, "ANY_DV", "n") == dv.loc[dv["ARM"] == arm, "USUBJID"].nunique()
    _check_levels(ard, dv, ["DVSCAT", "DVCAT", "DVDECOD"], big_n)


def test_deviation_listing_equals_the_source_records():
    dv = source("addv", "ITTFL")
    (listing,) = seed_result("l_dv").blocks
    assert listing.total_rows == len(dv) and len(listing.rows) == len(dv)
    keys = [c.key for c in listing.columns]
    term, text = keys.index("DVDECOD"), keys.index("DVTERM")  # SOC-like category, term apart
    got = Counter((r.cells[0].text, r.cells[term].text, r.cells[text].text) for r in listing.rows)
    want = Counter(zip(dv["USUBJID"], dv["DVDECOD"], dv["DVTERM"], strict=True))
    assert got == want
    arms = [r.cells[1].text for r in listing.rows]
    assert arms == sorted(arms, key=ARMS.index)  # Control first, then UC-MSC


def test_medication_listing_equals_the_source_records():
    """l_cm is longer than the DOCX prints: its rows are kept column by column."""
    cm = source("adcm", "SAFFL")
    result = seed_result("l_cm")
    (listing,) = result.blocks
    assert listing.total_rows == len(cm) and listing.external
    columns = zip(listing.columns, listing.text_columns(), strict=True)
    texts = {c.label: t.texts() for c, t in columns}
    names = texts["Preferred name"]  # class and name in columns of their own
    timing = texts["Prior/\nconcomitant"]
    got = Counter(zip(texts["Subject"], names, timing, strict=True))
    label = {("Y", ""): "Prior", ("", "Y"): "Concomitant", ("Y", "Y"): "Prior, concomitant"}
    flags = [label.get(pair, "") for pair in zip(cm["PREFL"], cm["ONTRTFL"], strict=True)]
    want = Counter(zip(cm["USUBJID"], cm["CMDECOD"], flags, strict=True))
    assert got == want
    for arm in ARMS:
        assert stat(result.ard, arm, "LISTED", "n_records") == (cm["ARM"] == arm).sum()


def test_medical_history_listing_counts():
    mh = source("admh", "SAFFL")
    result = seed_result("l_mh")
    (listing,) = result.blocks
    assert listing.total_rows == len(mh)
    for arm in ARMS:
        assert stat(result.ard, arm, "LISTED", "n") == mh.loc[mh["ARM"] == arm, "USUBJID"].nunique()


def test_seed_outputs_are_in_section_14_1_and_16_2():
    config = prepare_study(SEED_STUDY).config
    sections = {o.id: o.section for o in config.outputs}
    for oid in ("t_mh", "t_cm_prior", "t_cm_con", "t_dv"):
        assert sections[oid] == "14.1"
    assert config.output("l_dv").number == "Listing 16.2.2"
    assert {sections["l_mh"], sections["l_cm"]} == {"16.2"}
