"""Disposition, exposure, deaths and lab-shift tables on both studies, every count checked
against an independent pandas computation on the datasets (crosstabs written here, not csrgen's
code), and the printed cells against the ARD."""

from functools import cache

import numpy as np
import pandas as pd
import pytest

from csrgen import formatting as fmt
from csrgen.ard import stat_lookup
from csrgen.lock import LockInfo
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import run_output
from csrgen.report import prepare_study
from tests.studies import PILOT_STUDY, SEED_STUDY

STUDIES = {"seed": SEED_STUDY, "pilot": PILOT_STUDY}
ARM_P = {"seed": "TRT01P", "pilot": "TRT01P"}
ARM_A = {"seed": "TRT01A", "pilot": "TRT01A"}


@cache
def prepared(name):
    return prepare_study(STUDIES[name])


@cache
def result(name, output_id):
    prep = prepared(name)
    spec = prep.config.output(output_id)
    return run_output(OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock))


def ard_n(name, output_id, variable, level="", stat="n", timepoint="", param=""):
    """{arm: stat} from the output's ARD, for every arm of the study."""
    ard = result(name, output_id).ard
    return {
        arm: stat_lookup(
            ard,
            group_level=arm,
            variable=variable,
            variable_level=level,
            stat_name=stat,
            timepoint=timepoint,
            param=param,
        )
        for arm in prepared(name).config.arms.levels
    }


def by_arm(name, mask: pd.Series, arm_var: str, frame: pd.DataFrame | None = None) -> dict:
    """Independent count: subjects where ``mask``, per arm (0 for an arm without any)."""
    frame = prepared(name).data["adsl"] if frame is None else frame
    counts = frame.loc[mask.to_numpy(), arm_var].value_counts()
    return {arm: float(counts.get(arm, 0)) for arm in prepared(name).config.arms.levels}


def body(table):
    return {row.cells[0].text: [c.text for c in row.cells[1:]] for row in table.rows}


# -- disposition --------------------------------------------------------------------------------
def test_pilot_disposition_against_adsl():
    adsl = prepared("pilot").data["adsl"]
    arm = ARM_P["pilot"]
    # The CDISC pilot README: 86 / 84 / 84 randomized.
    assert ard_n("pilot", "t_disp", "", stat="N") == {
        "Placebo": 86,
        "Xanomeline Low Dose": 84,
        "Xanomeline High Dose": 84,
    }
    assert ard_n("pilot", "t_disp", "COMPLETED_STUDY") == by_arm(
        "pilot", adsl.EOSSTT == "COMPLETED", arm
    )
    assert ard_n("pilot", "t_disp", "COMPLETED_TREATMENT") == by_arm(
        "pilot", adsl.COMP24FL == "Y", arm
    )
    assert ard_n("pilot", "t_disp", "EFFFL") == by_arm("pilot", adsl.EFFFL == "Y", arm)
    assert ard_n("pilot", "t_disp", "DIED") == by_arm("pilot", adsl.DTHFL == "Y", arm)
    disc = adsl.EOSSTT == "DISCONTINUED"
    for reason in adsl.loc[disc, "DCSREAS"].unique():
        expected = by_arm("pilot", disc & (adsl["DCSREAS"] == reason), arm)
        assert ard_n("pilot", "t_disp", "DCSREAS", reason) == expected, reason
    n = ard_n("pilot", "t_disp", "DISCONTINUED")
    pct = ard_n("pilot", "t_disp", "DISCONTINUED", stat="pct")
    big_n = adsl[arm].value_counts()
    for a in n:
        assert pct[a] == pytest.approx(100 * n[a] / big_n[a], rel=1e-12)


def test_seed_disposition_against_adsl():
    adsl = prepared("seed").data["adsl"]
    arm = ARM_P["seed"]
    assert ard_n("seed", "t_disp", "", stat="N") == {"Control": 111, "UC-MSC": 108}
    assert ard_n("seed", "t_disp", "COMPLETED_TREATMENT") == by_arm(
        "seed", adsl.EOTSTT == "COMPLETED", arm
    )
    assert ard_n("seed", "t_disp", "DISCONTINUED") == by_arm(
        "seed", adsl.EOSSTT == "DISCONTINUED", arm
    )
    off_trt = adsl.EOTSTT == "DISCONTINUED"
    for reason in adsl.loc[off_trt, "DCTREAS"].unique():
        assert ard_n("seed", "t_disp", "DCTREAS", reason) == by_arm(
            "seed", off_trt & (adsl["DCTREAS"] == reason), arm
        )
    assert ard_n("seed", "t_disp", "LOST_TO_FOLLOWUP") == by_arm(
        "seed", adsl.DCSREAS == "LOST TO FOLLOW-UP", arm
    )
    assert ard_n("seed", "t_disp", "DIED") == by_arm("seed", adsl.DTHFL == "Y", arm)


@pytest.mark.parametrize("study", ["seed", "pilot"])
def test_disposition_cells_print_the_ard(study):
    res = result(study, "t_disp")
    table = res.blocks[0]
    rows = body(table)
    arms = prepared(study).config.arms.levels
    died = ard_n(study, "t_disp", "DIED")
    pct = ard_n(study, "t_disp", "DIED", stat="pct")
    for i, arm in enumerate(arms):
        text = rows["Died"][i]
        if died[arm] == 0:
            assert text == "0"  # an arm without deaths shows 0, never a blank
        else:
            n_text, pct_text = text.rstrip(")").split(" (")
            assert int(n_text) == died[arm]
            assert abs(float(pct_text) - pct[arm]) <= 0.05
    # Only headings are blank: every category row has a number in every column.
    for row in table.rows:
        if row.kind != "group":
            assert all(c.text for c in row.cells[1:]), row.cells[0].text


# -- exposure -----------------------------------------------------------------------------------
def test_pilot_exposure_against_pandas():
    adsl = prepared("pilot").data["adsl"]
    grouped = adsl.groupby(ARM_A["pilot"])["TRTDURD"]
    mean = ard_n("pilot", "t_exposure", "TRTDURD", stat="mean")
    sd = ard_n("pilot", "t_exposure", "TRTDURD", stat="sd")
    median = ard_n("pilot", "t_exposure", "TRTDURD", stat="median")
    for arm in mean:
        assert mean[arm] == pytest.approx(grouped.mean()[arm], rel=1e-12)
        assert sd[arm] == pytest.approx(grouped.std()[arm], rel=1e-12)
        assert median[arm] == grouped.median()[arm]
    ard = result("pilot", "t_exposure").ard
    # The dose concerns the active arms only: no Placebo row, a dash in the table.
    assert not ((ard.variable == "AVGDD") & (ard.group_level == "Placebo")).any()
    table = result("pilot", "t_exposure").blocks[0]
    labels = [r.cells[0].text for r in table.rows]
    start = labels.index("Treatment duration (days)")
    mean_row = table.rows[labels.index("Mean (SD)", start)]
    placebo = fmt.fmt_mean_sd(grouped.mean()["Placebo"], grouped.std()["Placebo"], 0)
    assert mean_row.cells[1].text == placebo
    dose_mean = table.rows[labels.index("Mean (SD)", labels.index("Average daily dose (mg)"))]
    assert dose_mean.cells[1].text == "\u2013"  # Placebo: not applicable


def test_seed_exposure_against_adex():
    adsl = prepared("seed").data["adsl"]
    adex = prepared("seed").data["adex"]
    arm = ARM_A["seed"]
    for k in ("0", "1", "2", "3"):
        assert ard_n("seed", "t_exposure", "NINF", k) == by_arm("seed", adsl["NINF"] == int(k), arm)
    total = adex.loc[adex.PARAMCD == "DOSE"].groupby("USUBJID")["AVAL"].sum()
    cells = adsl.loc[adsl[arm] == "UC-MSC", "USUBJID"].map(total).fillna(0.0)
    ard = result("seed", "t_exposure").ard
    got = stat_lookup(ard, group_level="UC-MSC", variable="DOSETOT", stat_name="mean")
    assert got == pytest.approx(cells.mean(), rel=1e-12)
    # Infusions and cells/kg agree: 0.5 x 10^6 cells/kg per infusion.
    assert got == pytest.approx(0.5 * adsl.loc[adsl[arm] == "UC-MSC", "NINF"].mean())


# -- deaths -------------------------------------------------------------------------------------
def test_seed_deaths_against_adsl():
    adsl = prepared("seed").data["adsl"]
    arm = ARM_A["seed"]
    dead = adsl.DTHFL == "Y"
    assert ard_n("seed", "t_deaths", "DEATH") == by_arm("seed", dead, arm)
    in_trt = dead & (adsl.DTHDT >= adsl.TRTSDT) & (adsl.DTHDT <= adsl.TRTEDT)
    assert ard_n("seed", "t_deaths", "DEATH", timepoint="treatment") == by_arm("seed", in_trt, arm)
    for cause in adsl.loc[dead, "DTHCAUS"].unique():
        assert ard_n("seed", "t_deaths", "DTHCAUS", cause) == by_arm(
            "seed", dead & (adsl["DTHCAUS"] == cause), arm
        )
        assert ard_n("seed", "t_deaths", "DTHCAUS", cause, timepoint="treatment") == by_arm(
            "seed", in_trt & (adsl["DTHCAUS"] == cause), arm
        )


def test_pilot_deaths_against_adsl_and_fatal_aes():
    adsl = prepared("pilot").data["adsl"]
    adae = prepared("pilot").data["adae"]
    arm = ARM_A["pilot"]
    assert ard_n("pilot", "t_deaths", "DEATH") == by_arm("pilot", adsl.DTHFL == "Y", arm)
    fatal = adae.loc[adae.AESDTH == "Y", ["USUBJID", "AEDECOD", "AENDT"]].merge(
        adsl[["USUBJID", arm, "TRTEDT"]], on="USUBJID"
    )
    for cause, rows in fatal.groupby("AEDECOD"):
        counts = rows[arm].value_counts()
        got = ard_n("pilot", "t_deaths", "DTHCAUS", cause)
        assert got == {a: float(counts.get(a, 0)) for a in got}
    # All three pilot deaths fall within 30 days of the last dose (the study file's window).
    assert ((fatal.AENDT - fatal.TRTEDT).dt.days <= 30).all()
    assert sum(ard_n("pilot", "t_deaths", "DEATH", timepoint="treatment").values()) == 3
    cells = body(result("pilot", "t_deaths").blocks[0])
    assert cells["All deaths"][2] == "0"  # High Dose: no death -> 0


# -- lab shifts ---------------------------------------------------------------------------------
def _shift_counts(lab, adsl, arm, base_cat, post_cat):
    """Independent worst-category shift counts: any-low / any-high flags per subject."""
    lab = lab.merge(adsl[["USUBJID", arm]], on="USUBJID")
    lab = lab.assign(BASE_CAT=base_cat(lab), POST_CAT=post_cat(lab))
    base = (
        lab.loc[lab.ABLFL == "Y"]
        .loc[lambda d: d.BASE_CAT != ""]
        .drop_duplicates(["USUBJID", "PARAMCD"])
        .set_index(["USUBJID", "PARAMCD"])["BASE_CAT"]
    )
    post = lab.loc[(lab.ABLFL != "Y") & (lab.ADY >= 1) & (lab.POST_CAT != "")]
    flags = post.groupby(["USUBJID", "PARAMCD", arm], observed=True)["POST_CAT"].agg(
        low=lambda c: (c == "LOW").any(), high=lambda c: (c == "HIGH").any()
    )
    flags["WORST"] = np.select(
        [flags.low & flags.high, flags.high, flags.low],
        ["LOW AND HIGH", "HIGH", "LOW"],
        "NORMAL",
    )
    flags = flags.reset_index()
    keys = list(zip(flags.USUBJID, flags.PARAMCD, strict=True))
    flags["BASE"] = [base.get(k, "MISSING") for k in keys]
    return flags.groupby(["PARAMCD", arm, "BASE", "WORST"]).size()


def _check_shift(study, expected, arm):
    ard = result(study, "t_lab_shift").ard
    shift = ard[(ard.variable == "SHIFT") & (ard.stat_name == "n")]
    got = {
        (r.param, r.group_level, *r.variable_level.split("/")): r.stat
        for r in shift.itertuples()
        if r.stat > 0
    }
    assert got == {k: float(v) for k, v in expected.items()}
    pct = ard.loc[ard.stat_name == "pct", "stat"].dropna()
    assert ((pct >= 0) & (pct <= 100)).all()


def test_pilot_lab_shift_against_pandas():
    prep = prepared("pilot")
    lab = prep.data["adlb"]
    lab = lab.loc[~lab.PARAMCD.str.startswith("_")]

    def by_range(d):
        return np.select(
            [d.AVAL.isna(), d.AVAL < d.A1LO, d.AVAL > d.A1HI], ["", "LOW", "HIGH"], "NORMAL"
        )

    expected = _shift_counts(lab, prep.data["adsl"], ARM_A["pilot"], by_range, by_range)
    assert len({k[0] for k in expected.index}) == 18  # the 18 chemistry parameters
    _check_shift("pilot", expected, ARM_A["pilot"])


def test_seed_lab_shift_against_pandas():
    prep = prepared("seed")
    # Baseline from BNRIND (on every record), post-baseline from ANRIND: a different route to
    # the same categories than csrgen's (the baseline record's ANRIND).
    expected = _shift_counts(
        prep.data["adlb"],
        prep.data["adsl"],
        ARM_A["seed"],
        lambda d: d.BNRIND.fillna(""),
        lambda d: d.ANRIND.fillna(""),
    )
    _check_shift("seed", expected, ARM_A["seed"])


def test_lab_shift_on_locked_but_labless_data_is_null():
    prep = prepared("seed")
    spec = prep.config.output("t_lab_shift")
    frames = dict(prep.data.frames)
    frames["adlb"] = frames["adlb"].head(0)
    data = type(prep.data)(frames, prep.data.files, prep.data.labels)
    ctx = OutputContext(prep.config, spec, prep.options[spec.id], data, LockInfo("L", "", {}))
    block = run_output(ctx).blocks[0]
    assert block.null_reason == "No data to report"


@pytest.mark.parametrize("study", ["seed", "pilot"])
@pytest.mark.parametrize("output_id", ["t_disp", "t_exposure", "t_deaths", "t_lab_shift"])
def test_percentages_within_0_100_and_counts_whole(study, output_id):
    ard = result(study, output_id).ard
    pct = ard.loc[ard.stat_name == "pct", "stat"].dropna()
    assert ((pct >= 0) & (pct <= 100)).all()
    counts = ard.loc[ard.stat_name.isin(["N", "n", "n_miss"]), "stat"]
    assert (counts == counts.round()).all() and (counts >= 0).all()


def test_a_table_1_variable_blank_for_everyone_says_not_collected(tmp_path):
    """No statistics and no test for a variable the data do not hold (not "Missing 8")."""
    from csrgen.outputs.base import OutputContext
    from csrgen.outputs.catalog import run_output
    from csrgen.report import prepare_study
    from tests.studies import tiny_adsl, write_tiny_study

    adsl = tiny_adsl().assign(RACE="")
    study = write_tiny_study(tmp_path, {"adsl": adsl})
    text = study.read_text().replace(
        '{ var = "SEX"',
        '{ var = "RACE", label = "Race, n (%)", kind = "categorical" },\n  { var = "SEX"',
    )
    study.write_text(text)
    from csrgen.config import load_study
    from csrgen.lock import write_lock

    config = load_study(study)
    write_lock(config, config.data_dir(), lock_date="2024-01-31", lock_id="TINY-LOCK-1")
    prep = prepare_study(study)
    spec = prep.config.output("t_demog")
    table = run_output(
        OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock)
    ).blocks[0]
    race = [r for r in table.rows if r.cells[0].text == "Race, n (%)"]
    assert len(race) == 1  # the heading row only, no category or "Missing" rows
    assert [c.text for c in race[0].cells[1:]] == ["Not collected"] * 3 + [""]
    assert any(n.startswith("Not collected: Race, n (%) (RACE)") for n in table.footnotes)
