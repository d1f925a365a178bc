"""Study-file variables whose data type does not fit their use: found by ``csrgen validate``
(the outputs' check hooks), never a traceback or a silently empty count; numeric variables in
record rules compared by value."""

from __future__ import annotations

import pandas as pd
import pytest

from csrgen.ard import stat_lookup
from csrgen.cli import main
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import run_output
from csrgen.report import prepare_study
from tests.outputs.test_ae_overview import tiny_adae
from tests.studies import tiny_adsl, write_tiny_study


def adsl_with_deaths() -> pd.DataFrame:
    adsl = tiny_adsl()
    adsl["DTHFL"] = ["", "Y", "", "", "", "", "", ""]
    adsl["DTHDT"] = ["", "2020-03-01", "", "", "", "", "", ""]
    adsl["DTHCAUS"] = ["", "STROKE", "", "", "", "", "", ""]
    adsl["AGEN"] = adsl["AGE"]
    return adsl


def validate(tmp_path, capsys, extra, frames=None) -> tuple[int, str]:
    frames = frames or {"adsl": adsl_with_deaths()}
    study = write_tiny_study(tmp_path, frames, extra=extra, lock=False)
    code = main(["validate", str(study)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def output(module, options, population="SAF", number="Table 14.9.1", oid=None):
    return (
        f'[[outputs]]\nid = "{oid or module}"\nmodule = "{module}"\nnumber = "{number}"\n'
        f'title = "x"\npopulation = "{population}"\n[outputs.options]\n{options}\n'
    )


def test_death_date_that_is_text(tmp_path, capsys):
    code, err = validate(tmp_path, capsys, output("t_deaths", 'date_var = "DTHCAUS"'))
    assert code == 2
    assert (
        "adsl.csv: DTHCAUS [type] outputs[1].options.date_var names DTHCAUS, which is text in "
        "the data; a date variable is needed"
    ) in err


def test_disposition_values_that_are_not_numbers(tmp_path, capsys):
    rows = (
        'denominator = "ALL"\nrows = [{ id = "ALL", label = "All" }, '
        '{ id = "OLD", label = "Old", var = "AGEN", values = ["old"] }]'
    )
    code, err = validate(tmp_path, capsys, output("t_disp", rows))
    assert code == 2
    assert "outputs[1].options.rows[1].values: AGEN is numeric in the data; ['old'] are not" in err


def test_continuous_variable_that_is_text(tmp_path, capsys):
    options = 'variables = [{ var = "SEX", label = "Sex", kind = "continuous" }]'
    code, err = validate(tmp_path, capsys, output("t_demog", options, oid="t_demog2"))
    assert code == 2
    assert "adsl.csv: SEX [type] outputs[1].options.variables[0].var names SEX, which is text" in (
        err
    )


def test_duration_between_text_variables(tmp_path, capsys):
    options = (
        'variables = [{ name = "DUR", label = "Days", kind = "continuous", source = "duration", '
        'var = "TRTEDT", start = "SEX" }]'
    )
    code, err = validate(tmp_path, capsys, output("t_exposure", options))
    assert code == 2
    assert "outputs[1].options.variables[0].start names SEX, which is text in the data" in err


def test_population_flag_stored_as_numbers(tmp_path, capsys):
    adsl = adsl_with_deaths()
    adsl["SAFFL"] = [1, 1, 1, 1, 1, 1, 1, 0]
    code, err = validate(tmp_path, capsys, "", {"adsl": adsl})
    assert code == 2
    assert "adsl.csv: SAFFL [flag] populations.SAF.flag: a population flag is text" in err


SAFETY = """
[safety]
population = "SAF"
te_window_days = [1, 336]
serious = [{{ var = "AETOXGR", values = [{grades}] }}]

[[outputs]]
id = "t_ae_overview"
number = "Table 14.3.1"
title = "Overview"
population = "SAF"

[outputs.options]
listing = ""

[[outputs]]
id = "l_ae"
number = "Listing 16.2.7.1"
title = "AEs"
population = "SAF"

[outputs.options]
where = {{ AETOXGR = [{listed}] }}
columns = [{{ label = "Term", vars = ["AEDECOD"] }}]
sort = ["ASTDT"]
"""


def ae_frames():
    adae = tiny_adae()
    # grades: T-01 3 and 1, T-03 2 and 4, T-02 1 (the rest missing)
    adae["AETOXGR"] = [3, 1, 2, 4, 1, None, None, None, None, None]
    return {"adsl": tiny_adsl(), "adae": adae}


def test_numeric_rule_values_compare_by_value(tmp_path):
    extra = SAFETY.format(grades='"3", "4.0"', listed='"1"')
    study = write_tiny_study(tmp_path, ae_frames(), extra=extra)
    prep = prepare_study(study)

    def run(output_id):
        spec = prep.config.output(output_id)
        ctx = OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock)
        return run_output(ctx)

    ard = run("t_ae_overview").ard
    # serious = grade 3 or 4: T-01 (3) and T-03 (4), both Drug; none in Placebo
    serious = {
        arm: stat_lookup(ard, group_level=arm, variable="TEAE_SERIOUS", stat_name="n")
        for arm in ("Drug", "Placebo")
    }
    assert serious == {"Drug": 2, "Placebo": 0}
    listing = run("l_ae").blocks[0]
    # grade 1: T-01's second record and T-02's nausea
    assert sorted(row.cells[0].text for row in listing.rows) == ["T-01", "T-02"]


def test_numeric_rule_values_that_are_not_numbers(tmp_path, capsys):
    extra = SAFETY.format(grades='"grade 3"', listed='"one"')
    code, err = validate(tmp_path, capsys, extra, ae_frames())
    assert code == 2
    assert "adae.csv: AETOXGR [type] safety.serious[0].values: AETOXGR is numeric" in err
    assert "adae.csv: AETOXGR [type] outputs[2].options.where.AETOXGR: AETOXGR is numeric" in err


@pytest.mark.parametrize(
    "toml_name, message",
    [
        ("x" * 300 + ".csv", "a file or folder name longer than 255 bytes"),
        ("ad\\u0000sl.csv", "a path cannot hold a NUL character"),  # TOML's escape of NUL
    ],
)
def test_path_values_that_no_file_system_takes(tmp_path, capsys, toml_name, message):
    study = write_tiny_study(tmp_path, lock=False)
    study.write_text(study.read_text().replace('adsl = "adsl.csv"', f'adsl = "{toml_name}"'))
    assert main(["validate", str(study)]) == 2
    err = capsys.readouterr().err
    assert f"{study}: data.datasets.adsl: {message}" in err
