"""t_bds_cat: subjects whose worst post-baseline value or change passes the study file's
thresholds (ECG QTcF > 450/480/500 ms, increase > 30/60 ms), on a tiny ADEG counted by hand."""

import math

import pandas as pd
import pytest

from csrgen.ard import stat_lookup
from csrgen.errors import ConfigError
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import run_output
from csrgen.report import prepare_study
from tests.studies import tiny_adsl, write_tiny_study

ECG = """
[bds.ecg]
dataset = "adeg"
population = "SAF"

[[outputs]]
id = "t_qtc"
module = "t_bds_cat"
number = "Table 14.3.7.1"
title = "QTc categories"
population = "SAF"

[outputs.options]
bds = "ecg"
criteria = [{criteria}]
{extra}
"""
QTC = '{ params = ["QTCF"], above = [450, 480, 500], increase = [30, 60], unit = "ms" }'

# (subject, AVISIT, ADY, AVAL, BASE, CHG). Baseline by visit name (no ABLFL: the named-visit
# rule). SAF: T-01..T-07 (T-08 is not in it). Drug = T-01, T-03, T-05, T-07; Placebo = T-02,
# T-04, T-06.
NAN = float("nan")
QTCF = [
    ("T-01", "Baseline", 1, 440, 440, NAN),
    ("T-01", "Week 2", 14, 455, 440, 15),
    ("T-01", "UNSCHEDULED 2.1", 20, 470, 440, 30),  # max 470; max change 30 (not > 30)
    ("T-03", "Baseline", 1, 430, 430, NAN),
    ("T-03", "Week 2", 14, 485, 430, 55),
    ("T-03", "Week 4", 28, 510, 430, 80),  # max 510: > 450, > 480, > 500; change 80
    ("T-05", "Baseline", 1, 460, 460, NAN),
    ("T-05", "Week 2", 14, 450, 460, -10),  # 450 is not > 450
    ("T-07", "Baseline", 1, 420, 420, NAN),  # no post-baseline value: not evaluable
    ("T-02", "SCREENING", -5, 600, 400, NAN),  # before day 1: not post-baseline
    ("T-02", "Baseline", 1, 400, 400, NAN),
    ("T-02", "Week 2", 14, 452, 400, 52),
    ("T-04", "Baseline", 1, 410, 410, NAN),
    ("T-04", "Week 2", 14, 481, NAN, NAN),  # a value without a change
    ("T-06", "Baseline", 1, 450, 450, NAN),
    ("T-06", "Week 2", 14, 440, 450, -10),
    ("T-08", "Week 2", 14, 999, 400, 599),  # not in the safety population
]


def adeg() -> pd.DataFrame:
    frame = pd.DataFrame(QTCF, columns=["USUBJID", "AVISIT", "ADY", "AVAL", "BASE", "CHG"])
    return frame.assign(
        PARAMCD="QTCF",
        PARAM="QTcF Interval (msec)",
        AVISITN=frame["AVISIT"].map({"Baseline": 0, "Week 2": 2, "Week 4": 4}),
    )


def study(tmp_path, extra="", criteria=QTC, frame=None):
    frames = {"adsl": tiny_adsl(), "adeg": adeg() if frame is None else frame}
    return write_tiny_study(tmp_path, frames, extra=ECG.format(criteria=criteria, extra=extra))


def run(tmp_path, **kwargs):
    prep = prepare_study(study(tmp_path, **kwargs))
    spec = prep.config.output("t_qtc")
    return run_output(OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock))


def test_qtc_categories_by_hand(tmp_path):
    result = run(tmp_path)
    ard = result.ard

    def s(arm, variable, level="", name="n"):
        return stat_lookup(
            ard,
            group_level=arm,
            variable=variable,
            variable_level=level,
            param="QTCF",
            stat_name=name,
        )

    assert stat_lookup(ard, group_level="Drug", stat_name="N") == 4
    assert stat_lookup(ard, group_level="Placebo", stat_name="N") == 3
    # Drug: evaluable T-01, T-03, T-05; > 450: T-01 (470), T-03 (510)
    assert s("Drug", "AVAL") == 3
    assert [s("Drug", "AVAL", f"> {x}") for x in (450, 480, 500)] == [2, 1, 1]
    assert s("Drug", "AVAL", "> 450", "pct") == pytest.approx(200 / 3)
    # changes 30 (T-01, not > 30), 80 (T-03), -10 (T-05)
    assert s("Drug", "CHG") == 3
    assert [s("Drug", "CHG", f"> {x}") for x in (30, 60)] == [1, 1]
    # Placebo: 452 (T-02; its screening 600 is before day 1), 481 (T-04), 440 (T-06)
    assert s("Placebo", "AVAL") == 3
    assert [s("Placebo", "AVAL", f"> {x}") for x in (450, 480, 500)] == [2, 1, 0]
    # T-04 has no change: 2 evaluable (52, -10)
    assert s("Placebo", "CHG") == 2
    assert [s("Placebo", "CHG", f"> {x}") for x in (30, 60)] == [1, 0]
    assert s("Placebo", "CHG", "> 30", "pct") == 50

    (table,) = result.blocks
    rows = {r.cells[0].text: [c.text for c in r.cells[1:]] for r in table.rows}
    assert rows["> 480 ms"] == ["1 (33.3)", "1 (33.3)"]  # Placebo, Drug
    assert rows["> 60 ms"] == ["0", "1 (33.3)"]
    assert [r.cells[0].text for r in table.rows if r.kind == "group"] == [
        "QTcF Interval (msec)",
        "Maximum post-baseline value",
        "Maximum increase from baseline",
    ]
    assert any("cumulative" in n for n in table.footnotes)


def test_below_and_decrease(tmp_path):
    ard = run(tmp_path, criteria='{ params = ["QTCF"], below = [445], decrease = [5] }').ard

    def s(arm, variable, level):
        return stat_lookup(
            ard,
            group_level=arm,
            variable=variable,
            variable_level=level,
            param="QTCF",
            stat_name="n",
        )

    # minimum post-baseline value < 445: Drug none (455, 485, 450); Placebo T-06 (440)
    assert (s("Drug", "AVAL", "< 445"), s("Placebo", "AVAL", "< 445")) == (0, 1)
    # decrease of more than 5 (CHG < -5): Drug T-05 (-10); Placebo T-06 (-10)
    assert (s("Drug", "CHG", "< -5"), s("Placebo", "CHG", "< -5")) == (1, 1)


def test_criteria_name_the_parameters(tmp_path):
    with pytest.raises(ConfigError, match=r"params: not used; the criteria name the parameters"):
        prepare_study(study(tmp_path, extra='params = ["QTCF"]'))


def test_no_post_baseline_value_gives_nan_percentages(tmp_path):
    result = run(tmp_path, frame=adeg().loc[lambda d: d.AVISIT == "Baseline"])
    assert result.blocks[0].null_reason == "No data to report"
    pct = result.ard.loc[result.ard.stat_name == "pct", "stat"]
    assert len(pct) and pct.map(math.isnan).all()
