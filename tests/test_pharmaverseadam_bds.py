"""The BDS outputs of report/pharmaverseadam.toml (admiral's ADLB and ADVS as shipped) against
independent pandas computations on the Parquet files read with pandas itself.

admiral's conventions: baseline = ABLFL "Y" (some at unscheduled visits), ANL01FL the analysis
flag (blank on baseline and post-treatment records), DTYPE for derived records (the study file
keeps CALCULATION), several positions per visit in ADVS (ATPT).
"""

from functools import cache

import pandas as pd
import pytest

from csrgen.ard import stat_lookup
from csrgen.cli import main
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import run_output
from csrgen.report import prepare_study
from tests.studies import PHARMAVERSE_DATA, PHARMAVERSE_STUDY

VISITS = ["Week 2", "Week 4", "Week 6", "Week 8", "Week 12", "Week 16", "Week 20", "Week 24"]
VISITS.append("Week 26")
ARMS = ["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"]


@cache
def read(name: str) -> pd.DataFrame:
    """A dataset read with pandas (not csrgen), restricted to the safety population, with the
    subject's actual arm in ARM_."""
    adsl = pd.read_parquet(PHARMAVERSE_DATA / "adsl.parquet")
    saf = adsl.loc[adsl["SAFFL"] == "Y", ["USUBJID", "TRT01A"]].rename(columns={"TRT01A": "ARM_"})
    frame = pd.read_parquet(PHARMAVERSE_DATA / f"{name}.parquet")
    return frame.merge(saf, on="USUBJID")


@cache
def prepared():
    return prepare_study(PHARMAVERSE_STUDY)


@cache
def ard(output_id: str) -> pd.DataFrame:
    prep = prepared()
    spec = prep.config.output(output_id)
    ctx = OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock)
    return run_output(ctx).ard


def n_by(frame: pd.DataFrame, keys: list[str]) -> dict:
    return {k: float(v) for k, v in frame.groupby(keys).size().items()}


def ard_n(frame: pd.DataFrame, keys: list[str], variable: str = "AVAL", **where) -> dict:
    rows = frame.loc[(frame["stat_name"] == "n") & (frame["variable"] == variable)]
    for column, value in where.items():
        rows = rows.loc[rows[column] == value]
    return {
        tuple(r[k] for k in keys) if len(keys) > 1 else r[keys[0]]: r["stat"]
        for _, r in rows.iterrows()
        if r["stat"] > 0
    }


LAB_OUTPUTS = ["t_lb_chem", "t_lb_hem", "t_lb_uri"]


def lab_ard() -> pd.DataFrame:
    return pd.concat([ard(o) for o in LAB_OUTPUTS])


def test_lab_baseline_n_equals_the_ablfl_records():
    """Baseline n of every lab parameter and arm = ABLFL "Y" records with a value (admiral
    leaves ANL01FL blank on all of them; some sit at unscheduled visits)."""
    lb = read("adlb")
    base = lb.loc[(lb["ABLFL"] == "Y") & lb["AVAL"].notna()]
    assert (base["ANL01FL"] == "").all() and (base["AVISIT"] != "Baseline").any()
    expected = n_by(base, ["PARAMCD", "ARM_"])
    got = ard_n(lab_ard(), ["param", "group_level"], timepoint="Baseline")
    params = {p for p, _ in got}
    assert len(params) == 18 + 12 + 2  # chemistry, the haematology chosen, pH and gravity
    assert got == {k: v for k, v in expected.items() if k[0] in params}
    assert got[("ALB", "Placebo")] == 86 and got[("ALB", "Xanomeline High Dose")] == 72


def test_lab_by_visit_n_equals_the_analysis_records():
    lb = read("adlb")
    post = lb.loc[
        (lb["ANL01FL"] == "Y")
        & lb["DTYPE"].isin(["", "CALCULATION"])
        & (lb["ABLFL"] != "Y")
        & lb["AVISIT"].isin(VISITS)
        & lb["AVAL"].notna()
    ]
    expected = n_by(post, ["PARAMCD", "AVISIT", "ARM_"])
    rows = lab_ard()
    got = ard_n(rows.loc[rows["timepoint"] != "Baseline"], ["param", "timepoint", "group_level"])
    params = {p for p, _, _ in got}
    assert got == {k: v for k, v in expected.items() if k[0] in params}
    assert len(got) > 800


def test_lab_change_from_baseline_against_pandas():
    lb = read("adlb")
    cell = lb.loc[
        (lb["PARAMCD"] == "ALT")
        & (lb["AVISIT"] == "Week 12")
        & (lb["ANL01FL"] == "Y")
        & (lb["DTYPE"] == "")
        & (lb["ARM_"] == "Xanomeline Low Dose"),
        "CHG",
    ].dropna()

    def s(name):
        return stat_lookup(
            ard("t_lb_chem"),
            group_level="Xanomeline Low Dose",
            variable="CHG",
            param="ALT",
            timepoint="Week 12",
            stat_name=name,
        )

    assert s("n") == len(cell) > 0
    assert s("mean") == pytest.approx(cell.mean(), rel=1e-12)
    assert s("sd") == pytest.approx(cell.std(), rel=1e-12)


def test_vital_signs_by_visit_and_timepoint():
    vs = read("advs")
    supine = vs.loc[vs["ATPT"] == "AFTER LYING DOWN FOR 5 MINUTES"]
    base = supine.loc[(supine["ABLFL"] == "Y") & supine["AVAL"].notna()]
    post = supine.loc[
        (supine["ANL01FL"] == "Y")
        & (supine["DTYPE"] == "")
        & supine["AVISIT"].isin(VISITS)
        & supine["AVAL"].notna()
    ]
    rows = ard("t_vs")
    key = " / AFTER LYING DOWN FOR 5 MINUTES"
    for param in ("SYSBP", "DIABP", "PULSE"):
        got = ard_n(rows, ["group_level"], param=param, timepoint="Baseline" + key)
        assert got == n_by(base.loc[base["PARAMCD"] == param], ["ARM_"])
        mine = rows.loc[(rows["param"] == param) & rows["timepoint"].str.endswith(key)]
        got = ard_n(
            mine.loc[~mine["timepoint"].str.startswith("Baseline")], ["timepoint", "group_level"]
        )
        expected = n_by(post.loc[post["PARAMCD"] == param], ["AVISIT", "ARM_"])
        assert got == {(v + key, a): n for (v, a), n in expected.items()}
    # weight has no timepoint: plain visits
    weight = ard_n(rows, ["group_level"], param="WEIGHT", timepoint="Week 2")
    w = vs.loc[(vs.PARAMCD == "WEIGHT") & (vs.AVISIT == "Week 2") & (vs.ANL01FL == "Y")]
    assert weight == n_by(w.loc[(w.DTYPE == "") & w.AVAL.notna()], ["ARM_"])


def test_vital_sign_thresholds_against_pandas():
    """Subjects whose maximum post-baseline systolic BP (supine) exceeds 160 mmHg, and whose
    maximum increase exceeds 20: every post-baseline analysis record, scheduled or not."""
    vs = read("advs")
    post = vs.loc[
        (vs["PARAMCD"] == "SYSBP")
        & (vs["ATPT"] == "AFTER LYING DOWN FOR 5 MINUTES")
        & (vs["ANL01FL"] == "Y")
        & (vs["DTYPE"] == "")
        & (vs["ABLFL"] != "Y")
        & (vs["ADY"] >= 1)
    ]
    worst = post.groupby(["USUBJID", "ARM_"])[["AVAL", "CHG"]].max().reset_index()
    rows = ard("t_vs_cat")

    def got(variable, level):
        return {
            arm: stat_lookup(
                rows,
                group_level=arm,
                variable=variable,
                variable_level=level,
                param="SYSBP",
                timepoint="AFTER LYING DOWN FOR 5 MINUTES",
                stat_name="n",
            )
            for arm in ARMS
        }

    def count(mask):
        return {a: float(((worst["ARM_"] == a) & mask).sum()) for a in ARMS}

    assert got("AVAL", "") == count(worst["AVAL"].notna())
    assert got("AVAL", "> 160") == count(worst["AVAL"] > 160)
    assert got("CHG", "> 20") == count(worst["CHG"] > 20)
    assert sum(got("AVAL", "> 160").values()) > 0


def test_lab_shift_against_pandas():
    """Baseline ANRIND (ABLFL record) against the worst ANRIND of the post-baseline analysis
    records (ANL01FL, not derived, study day >= 1, any visit)."""
    lb = read("adlb")
    alt = lb.loc[lb["PARAMCD"] == "ALT"]
    base = alt.loc[alt["ABLFL"] == "Y"].set_index("USUBJID")["ANRIND"]
    post = alt.loc[
        (alt["ANL01FL"] == "Y")
        & alt["DTYPE"].isin(["", "CALCULATION"])
        & (alt["ABLFL"] != "Y")
        & (alt["ADY"] >= 1)
        & (alt["ANRIND"] != "")
    ]
    flags = post.groupby(["USUBJID", "ARM_"])["ANRIND"].agg(
        low=lambda c: (c == "LOW").any(), high=lambda c: (c == "HIGH").any()
    )
    flags = flags.reset_index()
    flags["WORST"] = [
        "LOW AND HIGH" if lo and hi else "HIGH" if hi else "LOW" if lo else "NORMAL"
        for lo, hi in zip(flags["low"], flags["high"], strict=True)
    ]
    flags["BASE"] = flags["USUBJID"].map(base).replace("", "MISSING").fillna("MISSING")
    expected = {
        (a, f"{b}/{w}"): float(n)
        for (a, b, w), n in flags.groupby(["ARM_", "BASE", "WORST"]).size().items()
    }
    rows = ard("t_lb_chem_shift")
    shift = rows.loc[(rows.variable == "SHIFT") & (rows.stat_name == "n") & (rows.param == "ALT")]
    got = {(r.group_level, r.variable_level): r.stat for r in shift.itertuples() if r.stat > 0}
    assert got == expected


def test_validate_warns_with_the_counts(capsys):
    """What the rules leave out of ADLB, counted here with pandas."""
    assert main(["validate", str(PHARMAVERSE_STUDY)]) == 0
    err = capsys.readouterr().err
    lb = read("adlb")
    derived = lb.loc[~lb["DTYPE"].isin(["", "CALCULATION"])]
    base = lb.loc[lb["ABLFL"] == "Y"]
    elsewhere = base.loc[base["AVISIT"] != "Baseline"]
    other = lb.loc[(lb["ABLFL"] != "Y") & lb["DTYPE"].isin(["", "CALCULATION"])]
    other = other.loc[other["AVISIT"] != "Baseline"]
    blank = other.loc[other["ANL01FL"] != "Y"]
    unscheduled = other.loc[
        (other["ANL01FL"] == "Y") & other["AVISIT"].str.upper().str.startswith("UNSCHEDULED")
    ]
    prefix = "csrgen validate: warning: adlb.parquet ([bds.labs]): "
    for text in (
        f"{len(derived):,} derived records (DTYPE LOV: 8,166",
        f"baseline taken from ABLFL = 'Y' at any visit: {len(elsewhere):,} baseline records of "
        f"{elsewhere['USUBJID'].nunique()} subjects",
        f"{len(base):,} baseline records have ANL01FL blank",
        f"{len(blank):,} non-baseline records with ANL01FL blank left out",
        f"{len(unscheduled):,} non-baseline records at unscheduled visits",
    ):
        assert prefix + text in err
