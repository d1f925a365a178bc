"""The seed study's vital signs and ECG (synthetic ADVS, ADEG) against independent pandas
computations on the CSV files read with pandas itself."""

from functools import cache

import pandas as pd
import pytest

from csrgen.ard import stat_lookup
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import run_output
from csrgen.report import prepare_study
from tests.studies import SEED_DATA, SEED_STUDY


@cache
def seed(name: str) -> pd.DataFrame:
    """A dataset of the safety population read with pandas, the actual arm in ARM_."""
    adsl = pd.read_csv(SEED_DATA / "adsl.csv", keep_default_na=False)
    saf = adsl.loc[adsl["SAFFL"] == "Y", ["USUBJID", "TRT01A"]].rename(columns={"TRT01A": "ARM_"})
    frame = pd.read_csv(SEED_DATA / f"{name}.csv", keep_default_na=False, na_values=[""])
    flags = [c for c in ("ABLFL", "ANL01FL", "AVALCAT1") if c in frame.columns]
    frame[flags] = frame[flags].fillna("")
    return frame.merge(saf, on="USUBJID")


@cache
def ard(output_id: str) -> pd.DataFrame:
    prep = prepare_study(SEED_STUDY)
    spec = prep.config.output(output_id)
    ctx = OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock)
    return run_output(ctx).ard


def post_baseline(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.loc[(frame["ABLFL"] != "Y") & (frame["ANL01FL"] == "Y") & (frame["ADY"] >= 1)]


def test_qtcf_categories_against_pandas():
    eg = seed("adeg")
    qtcf = post_baseline(eg.loc[eg["PARAMCD"] == "QTCF"])
    worst = qtcf.groupby(["USUBJID", "ARM_"])[["AVAL", "CHG"]].max().reset_index()
    rows = ard("t_eg_qtc")
    for arm in ("Control", "UC-MSC"):
        mine = worst.loc[worst["ARM_"] == arm]

        def got(variable, level, arm=arm):
            return stat_lookup(
                rows,
                group_level=arm,
                variable=variable,
                variable_level=level,
                param="QTCF",
                stat_name="n",
            )

        assert got("AVAL", "") == mine["AVAL"].notna().sum() > 0
        for x in (450, 480, 500):
            assert got("AVAL", f"> {x}") == (mine["AVAL"] > x).sum()
        assert got("CHG", "") == mine["CHG"].notna().sum()
        for x in (30, 60):
            assert got("CHG", f"> {x}") == (mine["CHG"] > x).sum()
    assert (
        sum(
            stat_lookup(
                rows,
                group_level=a,
                variable="AVAL",
                variable_level="> 450",
                param="QTCF",
                stat_name="n",
            )
            for a in ("Control", "UC-MSC")
        )
        > 0
    )


def test_qtcf_categories_agree_with_the_simulators_own_avalcat1():
    """The simulator's ICH E14 category of each record (AVALCAT1) is a second, independent
    route: a subject counts above 450 ms exactly when one of their post-baseline records is
    categorised above 450."""
    eg = seed("adeg")
    qtcf = post_baseline(eg.loc[eg["PARAMCD"] == "QTCF"])
    above = qtcf.loc[qtcf["AVALCAT1"].isin([">450<=480 msec", ">480<=500 msec", ">500 msec"])]
    rows = ard("t_eg_qtc")
    for arm in ("Control", "UC-MSC"):
        n = above.loc[above["ARM_"] == arm, "USUBJID"].nunique()
        got = stat_lookup(
            rows,
            group_level=arm,
            variable="AVAL",
            variable_level="> 450",
            param="QTCF",
            stat_name="n",
        )
        assert got == n


@pytest.mark.parametrize(
    ("output_id", "name", "param", "visit"),
    [
        ("t_vs", "advs", "SYSBP", "Week 12"),
        ("t_vs", "advs", "WEIGHT", "Week 48"),
        ("t_eg", "adeg", "QTCF", "Week 24"),
    ],
)
def test_vital_signs_and_ecg_by_visit_against_pandas(output_id, name, param, visit):
    frame = seed(name)
    for arm in ("Control", "UC-MSC"):
        cell = frame.loc[
            (frame["PARAMCD"] == param)
            & (frame["AVISIT"] == visit)
            & (frame["ANL01FL"] == "Y")
            & (frame["ARM_"] == arm)
        ]
        base = frame.loc[
            (frame["PARAMCD"] == param) & (frame["ABLFL"] == "Y") & (frame["ARM_"] == arm)
        ]

        def s(stat, variable="AVAL", timepoint=visit, arm=arm):
            return stat_lookup(
                ard(output_id),
                group_level=arm,
                variable=variable,
                param=param,
                timepoint=timepoint,
                stat_name=stat,
            )

        assert s("n") == cell["AVAL"].notna().sum() > 0
        assert s("mean") == pytest.approx(cell["AVAL"].mean(), rel=1e-12)
        assert s("mean", "CHG") == pytest.approx(cell["CHG"].mean(), rel=1e-12)
        assert s("n", timepoint="Baseline") == base["AVAL"].notna().sum()
