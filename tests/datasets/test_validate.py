"""One test per validation rule, each asserting the message; and all problems at once."""

import pandas as pd
import pytest

from csrgen.config import load_study
from csrgen.datasets import load_study_data
from csrgen.errors import DataValidationError
from csrgen.outputs.catalog import requirements, resolve_options
from tests.studies import PILOT_STUDY, tiny_adsl, write_tiny_study


def tiny_adtte() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "USUBJID": ["T-01", "T-02", "T-03"],
            "PARAMCD": ["OS"] * 3,
            "AVAL": [3.5, 12.0, 7.25],
            "CNSR": [0, 1, 0],
        }
    )


def problems(tmp_path, **frames):
    frames = {"adsl": tiny_adsl(), **frames}
    study = write_tiny_study(tmp_path, frames, lock=False)
    config = load_study(study)
    with pytest.raises(DataValidationError) as info:
        load_study_data(config, config.data_dir(), requirements(config, resolve_options(config)))
    return info.value.problems


def only(found, rule):
    hits = [p for p in found if p.rule == rule]
    assert len(hits) == 1, [p.render() for p in found]
    return hits[0]


def test_clean_tiny_study_passes(tmp_path):
    study = write_tiny_study(tmp_path, {"adsl": tiny_adsl(), "adtte": tiny_adtte()}, lock=False)
    config = load_study(study)
    data = load_study_data(config, config.data_dir())
    assert len(data["adsl"]) == 8 and len(data["adtte"]) == 3


def test_required_variable_missing(tmp_path):
    p = only(problems(tmp_path, adtte=tiny_adtte().drop(columns="CNSR")), "required")
    assert p.render() == "adtte.csv: CNSR [required] required variable is missing from the dataset"


def test_variable_named_by_an_output_is_required(tmp_path):
    p = only(problems(tmp_path, adsl=tiny_adsl().drop(columns="SEX")), "required")
    assert (p.file, p.variable) == ("adsl.csv", "SEX")


def test_wrong_type(tmp_path):
    adsl = tiny_adsl()
    adsl.loc[2, "AGE"] = "fifty"
    p = only(problems(tmp_path, adsl=adsl), "type")
    assert p.render() == (
        "adsl.csv: AGE [type] expected a number (1 row)\n"
        "    e.g. line 4 (USUBJID=T-03): AGE='fifty'"
    )


def test_duplicate_subject_in_adsl(tmp_path):
    adsl = tiny_adsl()
    adsl.loc[3, "USUBJID"] = "T-01"
    p = only(problems(tmp_path, adsl=adsl), "unique")
    assert p.render() == (
        "adsl.csv: USUBJID [unique] 1 value(s) occur more than once (2 rows)\n"
        "    e.g. line 2: USUBJID='T-01'\n"
        "    e.g. line 5: USUBJID='T-01'"
    )


def test_subject_not_in_adsl(tmp_path):
    adtte = tiny_adtte()
    adtte.loc[1, "USUBJID"] = "T-99"
    p = only(problems(tmp_path, adtte=adtte), "in-adsl")
    assert p.render() == (
        "adtte.csv: USUBJID [in-adsl] 1 subject(s) not in ADSL (adsl.csv) (1 row)\n"
        "    e.g. line 3: USUBJID='T-99'"
    )


def test_arm_not_in_study_file(tmp_path):
    adsl = tiny_adsl()
    adsl.loc[0, "TRT01P"] = "Drug 10 mg"
    p = only(problems(tmp_path, adsl=adsl), "arm")
    assert p.variable == "TRT01P" and p.count == 1
    assert "values ['Drug 10 mg'] (population ITT) are not arms of the study file" in p.message
    assert p.examples == ("line 2 (USUBJID=T-01): TRT01P='Drug 10 mg'",)


def test_arm_outside_population_is_allowed(tmp_path):
    adsl = tiny_adsl()
    adsl.loc[7, "TRT01A"] = ""  # T-08 is not in SAF (SAFFL = N): no actual arm is fine
    study = write_tiny_study(tmp_path, {"adsl": adsl}, lock=False)
    config = load_study(study)
    assert len(load_study_data(config, config.data_dir())["adsl"]) == 8


def test_cnsr_not_0_or_1(tmp_path):
    adtte = tiny_adtte()
    adtte.loc[2, "CNSR"] = 2
    p = only(problems(tmp_path, adtte=adtte), "binary01")
    assert p.render() == (
        "adtte.csv: CNSR [binary01] must be 0 (event) or 1 (censored) (1 row)\n"
        "    e.g. line 4 (USUBJID=T-03): CNSR=2"
    )


def test_missing_or_negative_aval(tmp_path):
    adtte = tiny_adtte()
    adtte["AVAL"] = adtte["AVAL"].astype(object)
    adtte.loc[0, "AVAL"] = -1.5
    adtte.loc[1, "AVAL"] = ""
    found = problems(tmp_path, adtte=adtte)
    assert only(found, "nonneg").render() == (
        "adtte.csv: AVAL [nonneg] must not be negative (1 row)\n"
        "    e.g. line 2 (USUBJID=T-01): AVAL=-1.5"
    )
    assert only(found, "not-missing").render() == (
        "adtte.csv: AVAL [not-missing] value is missing (1 row)\n"
        "    e.g. line 3 (USUBJID=T-02): AVAL=(missing)"
    )


def test_flags_are_y_n_or_blank(tmp_path):
    adsl = tiny_adsl()
    adsl.loc[4, "SAFFL"] = "yes"
    adsl.loc[5, "SAFFL"] = "1"
    p = only(problems(tmp_path, adsl=adsl), "flag")
    assert p.render() == (
        "adsl.csv: SAFFL [flag] a flag must be 'Y', 'N' or blank (2 rows)\n"
        "    e.g. line 6 (USUBJID=T-05): SAFFL='yes'\n"
        "    e.g. line 7 (USUBJID=T-06): SAFFL='1'"
    )


def test_start_date_after_end_date(tmp_path):
    adsl = tiny_adsl()
    adsl.loc[1, "TRTSDT"] = "2020-07-01"
    p = only(problems(tmp_path, adsl=adsl), "date-order")
    assert p.render() == (
        "adsl.csv: TRTSDT/TRTEDT [date-order] TRTSDT is after TRTEDT (1 row)\n"
        "    e.g. line 3 (USUBJID=T-02): TRTSDT=2020-07-01, TRTEDT=2020-06-01"
    )


def test_empty_truncated_and_badly_encoded_files(tmp_path):
    study = write_tiny_study(tmp_path, {"adsl": tiny_adsl(), "adtte": tiny_adtte()}, lock=False)
    data = tmp_path / "data"
    (data / "adtte.csv").write_bytes(b"")
    config = load_study(study)
    with pytest.raises(DataValidationError) as info:
        load_study_data(config, data)
    assert [p.rule for p in info.value.problems] == ["file-empty"]
    (data / "adtte.csv").write_bytes(b"USUBJID,PARAMCD,AVAL,CNSR\nT-01,OS,3")
    with pytest.raises(DataValidationError) as info:
        load_study_data(config, data)
    assert [p.rule for p in info.value.problems] == ["file-truncated"]
    (data / "adtte.csv").write_bytes(
        "USUBJID,PARAMCD,AVAL,CNSR\nT-01,\xc9V,3,0\n".encode("latin-1")
    )
    with pytest.raises(DataValidationError) as info:
        load_study_data(config, data)
    assert [p.rule for p in info.value.problems] == ["encoding"]


def test_all_problems_in_all_files_at_once(tmp_path):
    adsl = tiny_adsl()
    adsl.loc[3, "USUBJID"] = "T-01"
    adsl.loc[4, "ITTFL"] = "X"
    adtte = tiny_adtte()
    adtte.loc[2, "CNSR"] = 5
    found = problems(tmp_path, adsl=adsl, adtte=adtte)
    assert sorted(p.rule for p in found) == ["binary01", "flag", "unique"]
    message = str(DataValidationError(found))
    assert message.startswith("3 data problems found:\n")


def test_pilot_validates_clean():
    config = load_study(PILOT_STUDY)
    data = load_study_data(config, config.data_dir(), requirements(config, resolve_options(config)))
    assert len(data["adsl"]) == 254
