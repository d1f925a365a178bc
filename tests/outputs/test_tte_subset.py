"""A time-to-event endpoint defined on a subset (duration of response: responders only): N, the
numbers at risk, the figure legend and the narrative count the subjects with a record; checked
by hand on the tiny study, and on pharmaverseadam's RSD against pandas."""

from __future__ import annotations

import pandas as pd

from csrgen.ard import stat_lookup
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import run_output
from csrgen.report import prepare_study
from tests.outputs.test_tte import adtte, outputs_toml
from tests.studies import tiny_adsl, write_tiny_study

#: Responders: Drug T-01 (event at 3), T-03 (censored at 5); Placebo T-04 (event at 2).
DOR = {"T-01": (3.0, 0), "T-03": (5.0, 1), "T-04": (2.0, 0)}

SURVIVAL = """
[survival]
population = "ITT"
time_unit = "months"

[[survival.endpoints]]
paramcd = "OS"
label = "Overall survival"

[[survival.endpoints]]
paramcd = "DOR"
label = "Duration of response"
event_label = "progression"
risk_ticks = [0, 2, 4, 6]
{subset}

{outputs}
"""

OUTPUTS = [("t_dor", "t_tte", "Table 14.2.1", "DOR"), ("f_km_dor", "f_km", "Figure 14.2.1", "DOR")]


def study(tmp_path, subset: bool):
    records = adtte()
    dor = pd.DataFrame(
        [
            dict(STUDYID="TINY", USUBJID=s, PARAMCD="DOR", AVAL=a, CNSR=c, EVNTDESC="")
            for s, (a, c) in DOR.items()
        ]
    )
    frames = {"adsl": tiny_adsl(), "adtte": pd.concat([records, dor], ignore_index=True)}
    extra = SURVIVAL.format(
        subset='subset = true\nsubset_label = "responders"' if subset else "",
        outputs=outputs_toml(OUTPUTS),
    )
    return write_tiny_study(tmp_path, frames, extra=extra)


def run(path, output_id):
    prep = prepare_study(path)
    spec = prep.config.output(output_id)
    return run_output(OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock))


def stats(ard, name, timepoint=""):
    return {
        arm: stat_lookup(ard, group_level=arm, variable="", stat_name=name, timepoint=timepoint)
        for arm in ("Placebo", "Drug")
    }


def test_subset_counts_the_subjects_with_a_record(tmp_path):
    result = run(study(tmp_path, subset=True), "t_dor")
    ard = result.ard
    assert stats(ard, "N") == {"Placebo": 1, "Drug": 2}
    assert stats(ard, "n") == {"Placebo": 1, "Drug": 2}
    assert stats(ard, "n_event") == {"Placebo": 1, "Drug": 1}
    # KM by hand: Drug S = 1/2 from 3 until the last time 5, flat at exactly 1/2: the median is
    # the middle of that stretch, (3 + 5) / 2 = 4 (R survfit's convention); Placebo's only
    # subject has the event at 2
    assert stats(ard, "median_time") == {"Placebo": 2.0, "Drug": 4.0}
    table = result.blocks[0]
    assert table.population == (
        "Population: Intent-to-treat population, subjects with a record of DOR (responders) (N=3)"
    )
    assert [c.label for c in table.columns][1:3] == ["Placebo\n(N=1)", "Drug\n(N=2)"]
    notes = " ".join(table.footnotes)
    assert "Analysed: subjects of the population with a record of DOR (responders), N=3" in notes
    assert "Arm from ADSL TRT01P (the intent-to-treat population's arm variable)" in notes
    assert "N = subjects in the population" not in notes


def test_subset_figure_legend_and_numbers_at_risk(tmp_path):
    result = run(study(tmp_path, subset=True), "f_km_dor")
    figure = result.blocks[0]
    assert "Placebo (N=1); Drug (N=2)" in figure.alt
    # at risk (time >= t): Drug 3 and 5 -> 2, 2, 1, 0; Placebo 2 -> 1, 1, 0, 0
    ard = result.ard
    assert [stats(ard, "n_risk", t)["Drug"] for t in ("0", "2", "4", "6")] == [2, 2, 1, 0]
    assert [stats(ard, "n_risk", t)["Placebo"] for t in ("0", "2", "4", "6")] == [1, 1, 0, 0]
    assert any("responders" in n for n in figure.footnotes)
    assert "(N=3)" in figure.population


def test_without_subset_n_is_the_population(tmp_path):
    """The same data without the switch: N counts the whole population (the old behaviour)."""
    ard = run(study(tmp_path, subset=False), "t_dor").ard
    assert stats(ard, "N") == {"Placebo": 4, "Drug": 4}
    assert stats(ard, "n") == {"Placebo": 1, "Drug": 2}


def test_pharmaverseadam_duration_of_response():
    """RSD exists for 4 of 254 randomized subjects; the arm comes from ADSL TRT01P."""
    from tests.studies import ROOT

    study_file = ROOT / "report" / "pharmaverseadam.toml"
    prep = prepare_study(study_file)
    spec = prep.config.output("t_dor")
    result = run_output(
        OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock)
    )
    data = ROOT.parent / "shared" / "data" / "pharmaverseadam"
    adsl = pd.read_parquet(data / "adsl.parquet")
    tte = pd.read_parquet(data / "adtte_onco.parquet")
    rsd = tte.loc[tte["PARAMCD"] == "RSD"].merge(adsl[["USUBJID", "TRT01P"]], on="USUBJID")
    expected_n = rsd["TRT01P"].value_counts()
    expected_events = rsd.loc[rsd["CNSR"] == 0, "TRT01P"].value_counts()
    for arm in prep.config.arms.levels:
        n = stat_lookup(result.ard, group_level=arm, variable="", stat_name="N")
        events = stat_lookup(result.ard, group_level=arm, variable="", stat_name="n_event")
        assert n == expected_n.get(arm, 0)
        assert events == expected_events.get(arm, 0)
    assert sum(expected_n) == 4
