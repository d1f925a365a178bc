"""Hepatotoxicity outputs (t_hys_law, f_edish, l_hys_law): a tiny ADLB counted by hand (each eDISH
quadrant, the boundaries 3 x ULN and 2 x ULN, a record without ULN, an elevated baseline), the
study-file and data errors, and the CDISC pilot and the admiral study against an independent
pandas computation from the raw files."""

from __future__ import annotations

import io
import math
import zipfile
from functools import cache

import numpy as np
import pandas as pd
import pytest

from csrgen.ard import stat_lookup
from csrgen.cli import main
from csrgen.errors import ConfigError
from csrgen.figures import drawn
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import run_output
from csrgen.report import prepare_study
from tests.studies import (
    PHARMAVERSE_DATA,
    PHARMAVERSE_STUDY,
    PILOT_DATA,
    PILOT_STUDY,
    tiny_adsl,
    write_tiny_study,
)

LABS = """
[labs]
population = "SAF"
low_var = "ANRLO"
high_var = "ANRHI"
{labs_extra}

[[outputs]]
id = "t_hys"
module = "t_hys_law"
number = "Table 14.3.5.2"
title = "Hy's law"
population = "SAF"

[outputs.options]
alt = "{alt}"
ast = "AST"
bili = "BILI"

[[outputs]]
id = "f_edish"
number = "Figure 14.3.5.2"
title = "eDISH"
population = "SAF"

[outputs.options]
alt = "{alt}"
ast = "AST"
bili = "BILI"

[[outputs]]
id = "l_hys"
module = "l_hys_law"
number = "Listing 16.2.8.2"
title = "Liver tests"
population = "SAF"

[outputs.options]
alt = "{alt}"
ast = "AST"
bili = "BILI"
{listing_extra}
"""
ULN = {"ALT": 40.0, "AST": 40.0, "BILI": 20.0}
NAN = float("nan")
# (subject, PARAMCD, AVISIT, ADY, AVAL, ANRHI: "uln" the test's ULN, "none" missing).
# SAF: T-01..T-07; Drug = T-01, T-03, T-05, T-07; Placebo = T-02, T-04, T-06; T-08 is not in
# the population.
RECORDS = [
    # T-01: ALT exactly 3 x ULN and bilirubin exactly 2 x ULN: potential Hy's law (boundary)
    ("T-01", "ALT", "Baseline", 1, 20, "uln"),
    ("T-01", "AST", "Baseline", 1, 20, "uln"),
    ("T-01", "BILI", "Baseline", 1, 10, "uln"),
    ("T-01", "ALT", "Week 2", 14, 120, "uln"),
    ("T-01", "AST", "Week 2", 14, 40, "uln"),
    ("T-01", "BILI", "Week 4", 28, 40, "uln"),
    # T-02: ALT 2.975 x ULN (below), AST 3.25 x, bilirubin 3 x: Hy's law by AST, and in the
    # hyperbilirubinemia quadrant (the quadrants read ALT only)
    ("T-02", "ALT", "Baseline", 1, 20, "uln"),
    ("T-02", "AST", "Baseline", 1, 20, "uln"),
    ("T-02", "BILI", "Baseline", 1, 10, "uln"),
    ("T-02", "ALT", "Week 2", 14, 119, "uln"),
    ("T-02", "AST", "Week 2", 14, 130, "uln"),
    ("T-02", "BILI", "Week 2", 14, 60, "uln"),
    # T-03: ALT 5 x, bilirubin 1.995 x: Temple's corollary
    ("T-03", "ALT", "Baseline", 1, 20, "uln"),
    ("T-03", "AST", "Baseline", 1, 20, "uln"),
    ("T-03", "BILI", "Baseline", 1, 10, "uln"),
    ("T-03", "ALT", "Week 2", 14, 200, "uln"),
    ("T-03", "AST", "Week 2", 14, 40, "uln"),
    ("T-03", "BILI", "Week 2", 14, 39.9, "uln"),
    # T-04: normal range
    ("T-04", "ALT", "Baseline", 1, 20, "uln"),
    ("T-04", "AST", "Baseline", 1, 20, "uln"),
    ("T-04", "BILI", "Baseline", 1, 10, "uln"),
    ("T-04", "ALT", "Week 2", 14, 50, "uln"),
    ("T-04", "AST", "Week 2", 14, 40, "uln"),
    ("T-04", "BILI", "Week 2", 14, 25, "uln"),
    # T-05: bilirubin 2.5 x ULN at baseline; an ALT of 500 without ULN (left out): normal range
    ("T-05", "ALT", "Baseline", 1, 20, "uln"),
    ("T-05", "AST", "Baseline", 1, 20, "uln"),
    ("T-05", "BILI", "Baseline", 1, 50, "uln"),
    ("T-05", "ALT", "Week 2", 14, 60, "uln"),
    ("T-05", "ALT", "Week 4", 28, 500, "none"),
    ("T-05", "AST", "Week 2", 14, 40, "uln"),
    ("T-05", "BILI", "Week 2", 14, 10, "uln"),
    # T-06: bilirubin 2.5 x after baseline, no transaminase after baseline
    ("T-06", "BILI", "Baseline", 1, 10, "uln"),
    ("T-06", "BILI", "Week 2", 14, 50, "uln"),
    # T-07: a screening ALT before day 1 only (not post-baseline), a baseline bilirubin
    ("T-07", "ALT", "SCREENING", -5, 400, "uln"),
    ("T-07", "BILI", "Baseline", 1, 10, "uln"),
    # T-08: not in the safety population
    ("T-08", "ALT", "Week 2", 14, 999, "uln"),
    ("T-08", "BILI", "Week 2", 14, 99, "uln"),
]


def adlb(records=RECORDS) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=["USUBJID", "PARAMCD", "AVISIT", "ADY", "AVAL", "HI"])
    uln = frame["PARAMCD"].map(ULN)
    frame["ANRHI"] = uln.where(frame["HI"] == "uln")
    frame["ANRLO"] = 0.0
    day = pd.to_datetime("2020-01-01") + pd.to_timedelta(frame["ADY"] - 1, unit="D")
    return frame.drop(columns="HI").assign(
        PARAM=frame["PARAMCD"] + " (U/L)",
        AVISITN=frame["AVISIT"].map({"SCREENING": -1, "Baseline": 0, "Week 2": 2, "Week 4": 4}),
        ADT=day.dt.strftime("%Y-%m-%d"),
        BASE=NAN,
        CHG=NAN,
    )


def study(tmp_path, alt="ALT", labs_extra="", listing_extra="", frame=None):
    frames = {"adsl": tiny_adsl(), "adlb": adlb() if frame is None else frame}
    extra = LABS.format(alt=alt, labs_extra=labs_extra, listing_extra=listing_extra)
    return write_tiny_study(tmp_path, frames, extra=extra)


def run(path, output_id):
    prep = prepare_study(path)
    spec = prep.config.output(output_id)
    ctx = OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock)
    return drawn(run_output(ctx))  # figures drawn now (a run draws them all at once)


def test_hys_law_table_by_hand(tmp_path):
    result = run(study(tmp_path), "t_hys")
    ard = result.ard

    def s(arm, variable, level="", name="n", param=""):
        return stat_lookup(
            ard,
            group_level=arm,
            variable=variable,
            variable_level=level,
            param=param,
            stat_name=name,
        )

    assert (s("Drug", "", name="N"), s("Placebo", "", name="N")) == (4, 3)
    # ALT: Drug T-01 (3.0, on the boundary), T-03 (5.0), T-05 (1.5: its 500 has no ULN);
    # Placebo T-02 (2.975), T-04 (1.25); T-07's screening value is before day 1
    assert (s("Drug", "ALT", param="ALT"), s("Drug", "ALT", ">=3xULN", param="ALT")) == (3, 2)
    assert s("Drug", "ALT", ">=3xULN", "pct", "ALT") == pytest.approx(200 / 3)
    assert (s("Placebo", "ALT", param="ALT"), s("Placebo", "ALT", ">=3xULN", param="ALT")) == (2, 0)
    assert s("Placebo", "AST", ">=3xULN", param="AST") == 1  # T-02, 3.25
    assert (s("Drug", "ALT_OR_AST"), s("Drug", "ALT_OR_AST", ">=3xULN")) == (3, 2)
    assert (s("Placebo", "ALT_OR_AST"), s("Placebo", "ALT_OR_AST", ">=3xULN")) == (2, 1)
    # bilirubin: Drug T-01 (2.0, boundary), T-03 (1.995), T-05 (0.5); Placebo T-02 (3.0),
    # T-04 (1.25), T-06 (2.5)
    assert (s("Drug", "BILI", param="BILI"), s("Drug", "BILI", ">=2xULN", param="BILI")) == (3, 1)
    assert s("Placebo", "BILI", ">=2xULN", param="BILI") == 2
    # Hy's law: evaluable with a transaminase and bilirubin (T-06 has no transaminase)
    assert (s("Drug", "HYS_LAW"), s("Drug", "HYS_LAW", "POTENTIAL")) == (3, 1)  # T-01
    assert (s("Placebo", "HYS_LAW"), s("Placebo", "HYS_LAW", "POTENTIAL")) == (2, 1)  # T-02
    assert s("Placebo", "HYS_LAW", "POTENTIAL", "pct") == 50
    quadrants = ("NORMAL", "HYPERBILIRUBINEMIA", "TEMPLE", "HYS_LAW")
    assert [s("Drug", "EDISH", q) for q in quadrants] == [1, 0, 1, 1]  # T-05, T-03, T-01
    assert [s("Placebo", "EDISH", q) for q in quadrants] == [1, 1, 0, 0]  # T-04, T-02
    # baseline bilirubin >= 2 x ULN: T-05 (2.5) of the four Drug subjects with a baseline
    assert (
        s("Drug", "BASE_BILI", param="BILI"),
        s("Drug", "BASE_BILI", ">=2xULN", param="BILI"),
    ) == (4, 1)
    assert s("Placebo", "BASE_BILI", ">=2xULN", param="BILI") == 0
    # the plotted peaks
    assert s("Drug", "PEAK", "T-01", "max", "ALT") == 3.0
    assert s("Placebo", "PEAK", "T-02", "max", "BILI") == 3.0
    assert not (ard["variable_level"] == "T-08").any()

    (table,) = result.blocks
    rows = [(r.cells[0].text, [c.text for c in r.cells[1:]]) for r in table.rows]
    assert table.columns[1].label.startswith("Placebo") and "(N=3)" in table.columns[1].label
    hys = rows.index(("Potential Hy's law", ["", ""]))
    assert rows[hys + 1] == ("n", ["2", "3"])
    assert rows[hys + 2][1] == ["1 (50.0)", "1 (33.3)"]
    notes = " ".join(table.footnotes)
    assert "Records without ANRHI are left out: 1 (ALT 1)" in notes
    assert "already ≥ 2 × ULN at baseline in Placebo 0/3 (0.0%), Drug 1/4 (25.0%)" in notes


def test_missing_uln_warns_with_counts(tmp_path, capsys):
    assert main(["validate", str(study(tmp_path))]) == 0
    err = capsys.readouterr().err
    assert "1 liver-test records without ANRHI (upper limit of normal) left out" in err
    assert "(ALT: 1)" in err


def test_edish_figure_is_deterministic_and_reads_the_peaks(tmp_path):
    path = study(tmp_path)
    first, second = run(path, "f_edish"), run(path, "f_edish")
    (fig,) = first.blocks
    assert fig.png and fig.png == second.blocks[0].png and fig.svg == second.blocks[0].svg
    assert not fig.null_reason
    for label in ("Normal range", "Hyperbilirubinemia", "Temple", "Potential"):
        assert label in fig.svg
    assert "Drug" in fig.svg and "(n=3)" in fig.svg and "(n=2)" in fig.svg
    # the figure's own ARD holds every plotted point: T-01 (3, 2), T-03 (5, 1.995), T-05 (1.5, .5)
    peaks = first.ard[(first.ard["variable"] == "PEAK") & (first.ard["group_level"] == "Drug")]
    got = peaks.pivot(index="variable_level", columns="param", values="stat")
    assert got.loc["T-03", "ALT"] == 5.0 and got.loc["T-03", "BILI"] == pytest.approx(1.995)
    assert sorted(got.index) == ["T-01", "T-03", "T-05"]


def test_listing_holds_the_hys_law_subjects_records(tmp_path):
    result = run(study(tmp_path), "l_hys")
    (listing,) = result.blocks
    subjects = {r.cells[0].text for r in listing.rows}
    assert subjects == {"T-01", "T-02"}
    assert len(listing.rows) == 12  # three baseline and three post-baseline records each
    keys = [c.key for c in listing.columns]
    ratio = [r.cells[keys.index("XULN")].text for r in listing.rows]
    assert "3.00" in ratio and "2.98" in ratio  # T-01's ALT 120/40; T-02's 119/40 (2.975)


def test_listing_of_any_criterion(tmp_path):
    result = run(study(tmp_path, listing_extra='subjects = "any"'), "l_hys")
    subjects = {r.cells[0].text for r in result.blocks[0].rows}
    assert subjects == {"T-01", "T-02", "T-03", "T-06"}


def test_unknown_paramcd_stops_naming_the_key(tmp_path, capsys):
    assert main(["validate", str(study(tmp_path, alt="SGPT"))]) == 2
    err = capsys.readouterr().err
    assert "tiny.toml: outputs[1].options.alt = 'SGPT'" in err  # outputs[0] is the tiny t_demog
    assert "no record has PARAMCD = 'SGPT'" in err
    assert "Traceback" not in err


def test_paramcd_outside_the_block_params_is_a_study_file_error(tmp_path):
    path = study(tmp_path, alt="ALP", labs_extra='params = ["ALT", "AST", "BILI"]')
    with pytest.raises(ConfigError, match=r"outputs\[1\]\.options\.alt: 'ALP' is not a param"):
        prepare_study(path)


def test_block_without_uln_is_a_study_file_error(tmp_path):
    path = study(tmp_path)
    text = path.read_text().replace('low_var = "ANRLO"\nhigh_var = "ANRHI"\n', "")
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"options\.bds: the block \[labs\] declares no high_var"):
        prepare_study(path)


def test_zero_uln_is_a_data_problem(tmp_path, capsys):
    frame = adlb()
    frame.loc[3, "ANRHI"] = 0.0
    assert main(["validate", str(study(tmp_path, frame=frame))]) == 2
    err = capsys.readouterr().err
    assert "[uln]" in err and "must be positive" in err and "USUBJID=T-01" in err


# -- the shipped studies against pandas on the raw files -----------------------------------------
def expected_counts(records: pd.DataFrame, subjects: pd.DataFrame, names: dict) -> dict:
    """Per arm: (evaluable, meeting) of each criterion, from the post-baseline records
    (``USUBJID``, ``PARAMCD``, ``R`` = AVAL / ULN) of the population (``USUBJID``, ``ARM_``)."""
    peak = records.groupby(["USUBJID", "PARAMCD"])["R"].max().unstack()
    peak = peak.reindex(columns=list(names.values())).reindex(subjects["USUBJID"])
    alt, ast, bili = (peak[names[k]] for k in ("ALT", "AST", "BILI"))
    arm = subjects.set_index("USUBJID")["ARM_"]
    tx = alt.notna() | ast.notna()
    high_tx = (alt >= 3) | (ast >= 3)
    criteria = {
        "ALT": (alt.notna(), alt >= 3),
        "AST": (ast.notna(), ast >= 3),
        "ALT_OR_AST": (tx, high_tx),
        "BILI": (bili.notna(), bili >= 2),
        "HYS_LAW": (tx & bili.notna(), high_tx & (bili >= 2)),
        "EDISH_TEMPLE": (alt.notna() & bili.notna(), (alt >= 3) & (bili < 2)),
    }
    out = {}
    for level in arm.unique():
        mine = (arm == level).to_numpy()
        for name, (ev, meets) in criteria.items():
            ev, meets = ev.to_numpy(), meets.to_numpy()
            out[(level, name)] = (int((mine & ev).sum()), int((mine & ev & meets).sum()))
    return out


LEVELS = {
    "ALT": ">=3xULN",
    "AST": ">=3xULN",
    "ALT_OR_AST": ">=3xULN",
    "BILI": ">=2xULN",
    "HYS_LAW": "POTENTIAL",
    "EDISH_TEMPLE": "TEMPLE",
}


def assert_ard_matches(ard: pd.DataFrame, expected: dict, names: dict) -> None:
    checked = 0
    for (arm, name), (n, k) in expected.items():
        variable = "EDISH" if name.startswith("EDISH") else name
        param = names.get(name, "")
        where = dict(group_level=arm, variable=variable, param=param, stat_name="n")
        assert stat_lookup(ard, variable_level="", **where) == n, (arm, name)
        assert stat_lookup(ard, variable_level=LEVELS[name], **where) == k, (arm, name)
        pct = stat_lookup(ard, variable_level=LEVELS[name], **{**where, "stat_name": "pct"})
        assert pct == pytest.approx(100 * k / n) if n else math.isnan(pct)
        checked += k
    assert checked > 0  # the data have elevations: the comparison is not of zeros only


@cache
def pilot_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """ADSL and ADLBC read with pandas' own XPORT reader (not csrgen's)."""
    adsl = pd.read_sas(PILOT_DATA / "adsl.xpt", format="xport", encoding="latin-1")
    with zipfile.ZipFile(PILOT_DATA / "adlbc.zip") as archive:
        data = archive.read("adlbc.xpt")
    adlbc = pd.read_sas(io.BytesIO(data), format="xport", encoding="latin-1")
    for frame in (adsl, adlbc):
        for col in frame.columns:
            if frame[col].dtype == object:
                frame[col] = frame[col].str.strip()
    return adsl, adlbc


def test_pilot_hys_law_against_pandas():
    """The pilot's rules (study file): safety population (SAFFL), arm TRT01P ([labs] arm_var);
    baseline the AVISIT 'Baseline' record; post-baseline every other record on or after study
    day 1; ULN A1HI."""
    adsl, adlbc = pilot_frames()
    subjects = adsl.loc[adsl["SAFFL"] == "Y", ["USUBJID", "TRT01P"]]
    subjects = subjects.rename(columns={"TRT01P": "ARM_"})
    names = {"ALT": "ALT", "AST": "AST", "BILI": "BILI"}
    post = adlbc[
        adlbc["PARAMCD"].isin(list(names.values()))
        & (adlbc["AVISIT"] != "Baseline")
        & (adlbc["ADY"] >= 1)
        & adlbc["USUBJID"].isin(subjects["USUBJID"])
        & adlbc["A1HI"].notna()
    ]
    post = post.assign(R=post["AVAL"] / post["A1HI"])
    expected = expected_counts(post, subjects, names)
    assert expected[("Placebo", "HYS_LAW")][1] >= 1
    assert_ard_matches(run(PILOT_STUDY, "t_hys_law").ard, expected, names)


def test_admiral_hys_law_against_pandas():
    """The admiral study's rules (study file): SAFFL, arm TRT01A; baseline ABLFL; post-baseline
    records with ANL01FL = 'Y', not derived (DTYPE blank), not at 'Baseline', study day >= 1;
    ULN ANRHI."""
    adsl = pd.read_parquet(PHARMAVERSE_DATA / "adsl.parquet")
    adlb = pd.read_parquet(PHARMAVERSE_DATA / "adlb.parquet")
    subjects = adsl.loc[adsl["SAFFL"] == "Y", ["USUBJID", "TRT01A"]]
    subjects = subjects.rename(columns={"TRT01A": "ARM_"})
    names = {"ALT": "ALT", "AST": "AST", "BILI": "BILI"}
    blank = adlb["DTYPE"].isna() | (adlb["DTYPE"].astype(str).str.strip() == "")
    post = adlb[
        adlb["PARAMCD"].isin(list(names.values()))
        & (adlb["ABLFL"] != "Y")
        & (adlb["ANL01FL"] == "Y")
        & blank
        & (adlb["AVISIT"] != "Baseline")
        & (adlb["ADY"] >= 1)
        & adlb["USUBJID"].isin(subjects["USUBJID"])
        & adlb["ANRHI"].notna()
    ]
    post = post.assign(R=post["AVAL"] / post["ANRHI"])
    expected = expected_counts(post, subjects, names)
    assert_ard_matches(run(PHARMAVERSE_STUDY, "t_hys_law").ard, expected, names)
    assert np.isfinite(post["R"].dropna()).all()
