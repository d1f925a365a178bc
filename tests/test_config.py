"""The study file: validated on load; every error names the file and the key."""

import pytest
from pydantic import ValidationError

from csrgen.config import load_study
from csrgen.errors import ConfigError
from csrgen.outputs.catalog import resolve_options
from tests.studies import ADMIRAL_STUDY, PILOT_STUDY, SEED_STUDY, write_tiny_study


@pytest.mark.parametrize(
    "path", [SEED_STUDY, PILOT_STUDY, ADMIRAL_STUDY], ids=["seed", "pilot", "admiral"]
)
def test_shipped_study_files_load(path):
    config = load_study(path)
    resolve_options(config)
    assert config.arms.reference in config.arms.levels
    with pytest.raises(ValidationError, match="frozen"):  # nobody changes it after loading
        config.arms.reference = "x"


def _edit(tmp_path, old, new):
    study = write_tiny_study(tmp_path, lock=False)
    text = study.read_text()
    assert old in text
    study.write_text(text.replace(old, new, 1))
    return study


def _error(study):
    with pytest.raises(ConfigError) as info:
        config = load_study(study)
        resolve_options(config)
    return str(info.value)


def test_unknown_key_is_named(tmp_path):
    study = _edit(tmp_path, 'phase = "Phase 2"', 'phase = "Phase 2"\nphaze = "typo"')
    assert _error(study) == f"{study}: study.phaze: unknown key"


def test_missing_key_is_named(tmp_path):
    study = _edit(tmp_path, 'sponsor = "csrgen tests"\n', "")
    assert _error(study) == f"{study}: study.sponsor: missing required key"


def test_wrong_type_is_named(tmp_path):
    study = _edit(tmp_path, "synthetic = true", 'synthetic = "maybe"')
    msg = _error(study)
    assert msg.startswith(f"{study}: study.synthetic: ")
    assert "boolean" in msg


def test_reference_arm_must_be_a_level(tmp_path):
    study = _edit(tmp_path, 'reference = "Placebo"', 'reference = "Plac"')
    assert "arms: reference 'Plac' is not one of levels" in _error(study)


def test_output_population_must_exist(tmp_path):
    study = _edit(tmp_path, 'population = "ITT"', 'population = "PP"')
    assert "outputs[0].population: 'PP' is not one of ['ITT', 'SAF']" in _error(study)


def test_output_options_are_validated_by_their_module(tmp_path):
    study = _edit(tmp_path, 'kind = "continuous"', 'kind = "continous"')
    msg = _error(study)
    assert f"{study}: outputs[0].options.variables[0].kind:" in msg


def test_unknown_output_module(tmp_path):
    study = _edit(tmp_path, 'id = "t_demog"', 'id = "t_nothing"')
    assert "outputs[0].module: unknown output 't_nothing'" in _error(study)


def test_bad_output_number(tmp_path):
    study = _edit(tmp_path, 'number = "Table 14.1.1"', 'number = "Tab 1"')
    assert "outputs[0].number:" in _error(study)


def test_not_toml_and_missing_file(tmp_path):
    study = _edit(tmp_path, "[arms]", "[arms")
    assert _error(study).startswith(f"{study}: not valid TOML")
    assert _error(tmp_path / "nope.toml") == f"{tmp_path / 'nope.toml'}: study file not found"


def test_output_section_and_kind():
    config = load_study(PILOT_STUDY)
    spec = config.outputs[0]
    assert (spec.kind, spec.section, spec.slug) == ("Table", "14.1", "t_demog")
