"""The seed study's AE tables against an independent pandas computation on its CSV files:
treatment-emergent = onset on study days 1-336 from ASTDT and TRTSDT (not ADAE's TRTEMFL)."""

from __future__ import annotations

from functools import cache

import pandas as pd
import pytest

from csrgen.ard import check_ard
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import run_output
from csrgen.report import prepare_study
from tests.outputs.test_ae_overview import stat
from tests.studies import SEED_DATA, SEED_STUDY

ARMS = ["Control", "UC-MSC"]


@cache
def seed_result(output_id):
    prep = prepare_study(SEED_STUDY)
    spec = prep.config.output(output_id)
    return run_output(OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock))


@cache
def seed_teae() -> tuple[pd.DataFrame, pd.Series]:
    adsl = pd.read_csv(SEED_DATA / "adsl.csv", dtype=str, keep_default_na=False)
    adae = pd.read_csv(SEED_DATA / "adae.csv", dtype=str, keep_default_na=False)
    saf = adsl.loc[adsl["SAFFL"] == "Y", ["USUBJID", "TRT01A", "TRTSDT"]]
    ae = adae.drop(columns=["TRTA"]).merge(saf, on="USUBJID")
    day = (pd.to_datetime(ae["ASTDT"]) - pd.to_datetime(ae["TRTSDT"])).dt.days + 1
    teae = ae[(day >= 1) & (day <= 336)]
    return teae, saf["TRT01A"].value_counts()


def test_seed_overview_against_pandas():
    teae, big_n = seed_teae()
    ard = seed_result("t_ae_overview").ard
    assert check_ard(ard) == []
    subsets = {
        "TEAE": teae,
        "TEAE_RELATED": teae[teae["AEREL"].isin(["RELATED", "POSSIBLY RELATED", ""])],
        "TEAE_SERIOUS": teae[teae["AESER"] == "Y"],
        "TEAE_SEVERE": teae[teae["AESEV"] == "SEVERE"],
        "TEAE_DISCONT": teae[teae["AEACN"] == "DRUG WITHDRAWN"],
        "TEAE_DEATH": teae[(teae["AEOUT"] == "FATAL") | (teae["AESDTH"] == "Y")],
    }
    for variable, records in subsets.items():
        for arm in ARMS:
            mine = records[records["TRT01A"] == arm]
            n = mine["USUBJID"].nunique()
            assert stat(ard, arm, variable, "n") == n, (variable, arm)
            assert stat(ard, arm, variable, "n_records") == len(mine), (variable, arm)
            assert stat(ard, arm, variable, "pct") == pytest.approx(100 * n / big_n[arm])
    assert "p_value" not in set(ard["stat_name"])  # the seed study file has fisher = false


def test_seed_soc_pt_against_pandas():
    teae, big_n = seed_teae()
    for output_id, records in [
        ("t_ae_soc_pt", teae),
        ("t_ae_ser", teae[teae["AESER"] == "Y"]),
        ("t_ae_rel", teae[teae["AEREL"].isin(["RELATED", "POSSIBLY RELATED"])]),
    ]:
        ard = seed_result(output_id).ard
        assert check_ard(ard) == []
        assert ard.loc[ard["stat_name"] == "pct", "stat"].max() <= 100
        for var in ("AEBODSYS", "AEDECOD"):
            n = records.groupby([var, "TRT01A"])["USUBJID"].nunique()
            e = records.groupby([var, "TRT01A"]).size()
            assert set(ard.loc[ard["variable"] == var, "variable_level"]) == set(records[var])
            for value in set(records[var]):
                for arm in ARMS:
                    assert stat(ard, arm, var, "n", value) == n.get((value, arm), 0)
                    assert stat(ard, arm, var, "n_records", value) == e.get((value, arm), 0)


def test_seed_pyrexia_only_in_uc_msc_and_shown_as_zero_for_control():
    teae, big_n = seed_teae()
    pyrexia = teae[teae["AEDECOD"] == "Pyrexia"]
    assert set(pyrexia["TRT01A"]) == {"UC-MSC"}
    (table,) = seed_result("t_ae_soc_pt").blocks
    (row,) = [r for r in table.rows if r.cells[0].text == "Pyrexia"]
    n, e = pyrexia["USUBJID"].nunique(), len(pyrexia)
    pct = f"{100 * n / big_n['UC-MSC']:.1f}"  # 12/108 = 11.11..: no half-way rounding case
    assert [c.text for c in row.cells[1:3]] == ["0\u00a0[0]", f"{n}\u00a0({pct})\u00a0[{e}]"]
