"""pharmaverseadam (ADaM made by admiral) through the draft study file, data as shipped: the
numbers its README states and independent pandas counts from the Parquet files."""

from __future__ import annotations

from functools import cache

import pandas as pd

from csrgen.ard import stat_lookup
from csrgen.cli import main
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import run_output
from csrgen.report import prepare_study
from tests.studies import ROOT

STUDY = ROOT / "report" / "pharmaverseadam.toml"
DATA = ROOT.parent / "shared" / "data" / "pharmaverseadam"
ARMS = ["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"]


@cache
def prepared():
    return prepare_study(STUDY)


@cache
def ard(output_id):
    prep = prepared()
    spec = prep.config.output(output_id)
    ctx = OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock)
    return run_output(ctx).ard


def by_arm(output_id, variable, stat="n", levels=ARMS):
    return [
        stat_lookup(ard(output_id), group_level=a, variable=variable, stat_name=stat)
        for a in levels
    ]


def test_validates_with_the_identifier_warning(capsys):
    assert main(["validate", str(STUDY)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("pharmaverseadam: 6 datasets")
    assert "warning: adsl.parquet: SITEID (e.g. '701'), SUBJID (e.g. '1015') stored as " in (
        captured.err
    )


def test_date32_columns_are_dates():
    adsl = prepared().data["adsl"]
    for var in ("TRTSDT", "TRTEDT", "EOSDT", "RANDDT"):
        assert adsl[var].dtype == "datetime64[ns]", var
    raw = pd.read_parquet(DATA / "adsl.parquet")
    assert (adsl["TRTSDT"].dt.date.astype(object).where(adsl["TRTSDT"].notna(), None)).equals(
        raw["TRTSDT"].astype(object).where(raw["TRTSDT"].notna(), None)
    )


def test_safety_population_and_teae_against_pandas():
    adsl = pd.read_parquet(DATA / "adsl.parquet")
    adae = pd.read_parquet(DATA / "adae.parquet")
    saf = adsl.loc[adsl["SAFFL"] == "Y"]
    n = saf["TRT01A"].value_counts()
    teae = adae.loc[(adae["TRTEMFL"] == "Y") & adae["USUBJID"].isin(saf["USUBJID"])]
    subjects = teae[["USUBJID"]].drop_duplicates().merge(saf[["USUBJID", "TRT01A"]], on="USUBJID")
    with_teae = subjects["TRT01A"].value_counts()
    assert [n[a] for a in ARMS] == [86, 96, 72]  # the data README's facts
    assert [with_teae[a] for a in ARMS] == [65, 84, 68]
    assert by_arm("t_ae_overview", "", "N") == [n[a] for a in ARMS]
    assert by_arm("t_ae_overview", "TEAE") == [with_teae[a] for a in ARMS]


def test_disposition_with_screen_failures_against_pandas():
    adsl = pd.read_parquet(DATA / "adsl.parquet")
    randomized = adsl.loc[adsl["ARM"] != "Screen Failure"]
    assert len(adsl) == 306 and (adsl["ARM"] == "Screen Failure").sum() == 52
    total = ["Total"]
    assert by_arm("t_disp", "SCREENED", levels=total) == [306]
    assert by_arm("t_disp", "SCREEN_FAILURE", levels=total) == [52]
    counts = randomized["TRT01P"].value_counts()
    assert by_arm("t_disp", "", "N") == [counts[a] for a in ARMS]
    done = randomized.loc[randomized["EOSSTT"] == "COMPLETED", "TRT01P"].value_counts()
    assert by_arm("t_disp", "COMPLETED_STUDY") == [done.get(a, 0) for a in ARMS]


def test_tte_arm_from_adsl_in_the_footnote():
    prep = prepared()
    spec = prep.config.output("t_os")
    ctx = OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock)
    table = run_output(ctx).blocks[0]
    assert any(n.startswith("Arm from ADSL TRT01P") for n in table.footnotes)
