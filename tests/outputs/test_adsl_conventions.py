"""admiral's ADSL conventions on a tiny study checked by hand: populations defined by an
expression (no ITTFL/RANDFL), screen failures in ADSL and in the disposition table, the
discontinuation listing without a reason variable."""

from __future__ import annotations

import pandas as pd
import pytest

from csrgen.ard import stat_lookup
from csrgen.cli import main
from csrgen.datasets import population_subjects
from csrgen.errors import ConfigError
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import run_output
from csrgen.report import prepare_study
from tests.studies import tiny_adsl, write_tiny_study


def admiral_adsl() -> pd.DataFrame:
    """The tiny ADSL without ITTFL, plus two screen failures (ARM "Screen Failure", no
    treatment); EOSSTT and DTHFL as admiral writes them, no DCSREAS."""
    adsl = tiny_adsl().drop(columns=["ITTFL"])
    adsl["ARM"] = adsl["TRT01P"]
    adsl["EOSSTT"] = ["COMPLETED", "DISCONTINUED", "DISCONTINUED", "COMPLETED"] * 2
    adsl["EOSDT"] = "2020-07-01"
    screen = pd.DataFrame(
        {
            "STUDYID": ["TINY", "TINY"],
            "USUBJID": ["T-90", "T-91"],
            "TRT01P": ["Screen Failure", "Screen Failure"],
            "TRT01A": ["Screen Failure", "Screen Failure"],
            "SAFFL": ["N", "N"],
            "AGE": [33, 44],
            "SEX": ["F", "M"],
            "TRTSDT": ["", ""],
            "TRTEDT": ["", ""],
            "ARM": ["Screen Failure", "Screen Failure"],
            "EOSSTT": ["", ""],
            "EOSDT": ["", ""],
        }
    )
    return pd.concat([adsl, screen], ignore_index=True)


POPULATIONS = """
[populations.RAND]
label = "Randomized population"
where = 'ARM != "Screen Failure"'
arm_var = "TRT01P"
"""

DISP = """
[[outputs]]
id = "t_disp"
number = "Table 14.1.2"
title = "Disposition"
population = "RAND"

[outputs.options]
denominator = "RANDOMIZED"
rows = [
  {{ id = "SCREENED", label = "Screened", scope = "adsl" }},
  {{ id = "SCREEN_FAILURE", label = "Screen failures", scope = "adsl", {screen_failure} }},
  {{ id = "RANDOMIZED", label = "Randomized" }},
  {{ population = "SAF", indent = 1 }},
  {{ id = "OLDER", label = "Aged 50 or more", where = 'AGE >= 50' }},
  {{ id = "DISCONTINUED", label = "Discontinued", var = "EOSSTT", values = ["DISCONTINUED"] }},
]

[[outputs]]
id = "l_disc"
number = "Listing 16.2.1"
title = "Discontinued subjects"
population = "RAND"

[outputs.options]
phases = [{{ label = "Study", var = "EOSSTT", values = ["DISCONTINUED"], date_var = "EOSDT" }}]
"""


def study(tmp_path, adsl=None, total=True, populations=POPULATIONS, extra=""):
    """The tiny study file with a RAND population by expression; its Table 1 uses RAND."""
    path = write_tiny_study(
        tmp_path,
        {"adsl": admiral_adsl() if adsl is None else adsl},
        extra=DISP.format(screen_failure="where = 'ARM == \"Screen Failure\"'") + extra,
        lock=False,
    )
    text = path.read_text()
    text = text.replace(
        '[populations.ITT]\nlabel = "Intent-to-treat population"\nflag = "ITTFL"\n'
        'arm_var = "TRT01P"\n',
        populations,
    )
    text = text.replace('population = "ITT"', 'population = "RAND"')
    if not total:
        text = text.replace('reference = "Placebo"', 'reference = "Placebo"\ntotal = false')
    path.write_text(text)
    return path


def run(path, output_id):
    prep = prepare_study(path, draft=True)
    spec = prep.config.output(output_id)
    return prep, run_output(
        OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock)
    )


def test_population_by_expression(tmp_path):
    prep = prepare_study(study(tmp_path), draft=True)
    subjects = population_subjects(prep.data, prep.config, "RAND")
    assert subjects["USUBJID"].tolist() == [f"T-{i:02d}" for i in range(1, 9)]
    # flag and expression together: SAFFL = Y (T-01..T-07) and AGE >= 50 (T-03, T-04, T-05, T-08)
    populations = POPULATIONS + (
        '\n[populations.OLD]\nlabel = "Older"\nflag = "SAFFL"\nwhere = "AGE >= 50"\n'
        'arm_var = "TRT01A"\n'
    )
    prep = prepare_study(study(tmp_path / "b", populations=populations), draft=True)
    old = population_subjects(prep.data, prep.config, "OLD")
    assert old["USUBJID"].tolist() == ["T-03", "T-04", "T-05"]


def test_screen_failures_in_a_population_are_an_arm_problem(tmp_path, capsys):
    populations = POPULATIONS.replace('ARM != "Screen Failure"', 'AGE >= 0 or AGE == ""')
    assert main(["validate", str(study(tmp_path, populations=populations))]) == 2
    err = capsys.readouterr().err
    assert "adsl.csv: TRT01P [arm] values ['Screen Failure'] (population RAND: " in err
    assert "(2 rows)" in err


def test_expression_that_does_not_fit_the_data(tmp_path, capsys):
    populations = POPULATIONS.replace('ARM != "Screen Failure"', "ARM != 3 and TRTSDT > 5")
    assert main(["validate", str(study(tmp_path, populations=populations))]) == 2
    err = capsys.readouterr().err
    assert "adsl.csv: populations.RAND.where [where] ARM is text in the data" in err
    assert "adsl.csv: populations.RAND.where [where] TRTSDT is a date in the data" in err


def test_disposition_with_screen_failures(tmp_path):
    prep, result = run(study(tmp_path), "t_disp")
    ard = result.ard

    def n(level, variable, stat="n"):
        return stat_lookup(ard, group_level=level, variable=variable, stat_name=stat)

    # 10 ADSL records, 2 of them screen failures: counted in Total only
    assert n("Total", "SCREENED") == 10 and n("Total", "SCREEN_FAILURE") == 2
    assert not ((ard["group_level"] != "Total") & ard["variable"].isin(["SCREENED"])).any()
    # randomized by arm: Drug T-01/03/05/07, Placebo T-02/04/06/08
    assert (n("Drug", "", "N"), n("Placebo", "", "N"), n("Total", "", "N")) == (4, 4, 8)
    # AGE >= 50: Drug T-03 (50), T-05 (70); Placebo T-04 (60), T-08 (55)
    assert (n("Drug", "OLDER"), n("Placebo", "OLDER")) == (2, 2)
    # SAFFL: all but T-08 (Placebo)
    assert (n("Drug", "SAFFL"), n("Placebo", "SAFFL")) == (4, 3)
    table = result.blocks[0]
    body = {row.cells[0].text: [c.text for c in row.cells[1:]] for row in table.rows}
    assert body["Screened"] == ["", "", "10"]  # Placebo, Drug, Total
    assert body["Screen failures"] == ["", "", "2"]
    assert body["Randomized"] == ["4", "4", "8"]
    notes = " ".join(table.footnotes)
    assert "Screened and Screen failures: every subject in ADSL, counted in the Total column" in (
        notes
    )
    assert 'Screen failures: ARM == "Screen Failure"' in notes
    assert "Aged 50 or more: AGE >= 50" in notes


def test_screening_rows_bring_a_total_column(tmp_path):
    _, result = run(study(tmp_path, total=False), "t_disp")
    table = result.blocks[0]
    assert [c.key for c in table.columns] == ["stub", "Placebo", "Drug", "Total"]


@pytest.mark.parametrize(
    "row, message",
    [
        (
            '{ id = "SCREENED", label = "Screened", scope = "adsl", reasons_var = "DCSREAS" }',
            'rows[6]: reasons_var: not used with scope = "adsl"',
        ),
        (
            '{ id = "X", label = "X", var = "", values = ["Y"] }',
            "rows[6].var: empty variable name",
        ),
        (
            '{ population = "SAF", where = "AGE > 1" }',
            "rows[6]: where: not used with population",
        ),
        ('{ id = "X", label = "X", where = "AGE => 1" }', "rows[6].where: 'AGE => 1': column"),
    ],
)
def test_disposition_row_errors(tmp_path, row, message):
    path = study(tmp_path)
    text = path.read_text()
    path.write_text(
        text.replace(
            '["DISCONTINUED"] },\n]', f'["DISCONTINUED"] }},\n  {row},\n]'.replace("}}", "}"), 1
        )
    )
    with pytest.raises(ConfigError) as info:
        prepare_study(path, draft=True)
    assert f"outputs[1].options.{message}" in str(info.value)


def test_screened_row_cannot_be_the_denominator(tmp_path):
    path = study(tmp_path)
    path.write_text(
        path.read_text().replace('denominator = "RANDOMIZED"', 'denominator = "SCREENED"')
    )
    with pytest.raises(ConfigError, match="denominator 'SCREENED' is not the id of a row of the"):
        prepare_study(path, draft=True)


def test_discontinuation_listing_without_a_reason(tmp_path):
    _, result = run(study(tmp_path), "l_disc")
    listing = result.blocks[0]
    labels = [c.label for c in listing.columns]
    assert "Reason" not in labels and "Discontinued" in labels and "Date" in labels
    # EOSSTT DISCONTINUED among the randomized: T-02, T-03, T-06, T-07
    subjects = [row.cells[0].text for row in listing.rows]
    assert sorted(subjects) == ["T-02", "T-03", "T-06", "T-07"]
    assert "Study: EOSSTT = DISCONTINUED, no reason recorded." in " ".join(listing.footnotes)


def test_discontinuation_detail_needs_a_reason(tmp_path):
    path = study(tmp_path)
    path.write_text(path.read_text().replace('date_var = "EOSDT"', 'detail_var = "DCSREASP"'))
    with pytest.raises(ConfigError, match=r"phases\[0\]: detail_var: not used without reason_var"):
        prepare_study(path, draft=True)
