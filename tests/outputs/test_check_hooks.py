"""validate = report: the output modules' ``check`` hooks run in ``csrgen validate`` and in
``csrgen report`` before any statistic, every problem of every output at once (exit 2)."""

from __future__ import annotations

import sys
import types

import pandas as pd
import pytest

from csrgen.cli import main
from csrgen.errors import Problem
from csrgen.outputs import catalog
from csrgen.outputs.base import NoOptions
from tests.outputs.test_ae_overview import SAFETY_TOML, tiny_adae
from tests.outputs.test_tte import SURVIVAL, adtte, outputs_toml
from tests.studies import tiny_adsl, write_tiny_study

TTE_OUTPUTS = [("t_os", "t_tte", "Table 14.2.1", "OS"), ("f_km_os", "f_km", "Figure 14.2.1", "OS")]


def ae_tte_study(tmp_path, adae=None, frame=None):
    """The tiny study with the AE tables and the OS table and figure (both sections)."""
    frames = {
        "adsl": tiny_adsl(),
        "adae": tiny_adae() if adae is None else adae,
        "adtte": adtte() if frame is None else frame,
    }
    extra = SAFETY_TOML.format(safety_extra="", sort="frequency")
    extra += SURVIVAL.replace("{outputs}", outputs_toml(TTE_OUTPUTS))
    # the survival outputs' numbers follow the AE tables'; keep them unique
    return write_tiny_study(tmp_path, frames, extra=extra)


def validate_and_report(study, tmp_path, capsys) -> tuple[str, str]:
    """stderr of ``csrgen validate`` and of ``csrgen report``, both having exited 2."""
    assert main(["validate", str(study)]) == 2
    validate = capsys.readouterr().err
    out = tmp_path / "out"
    assert main(["report", str(study), "--out", str(out)]) == 2
    report = capsys.readouterr().err
    assert not out.exists()  # stopped before any output was made
    assert "Traceback" not in validate + report
    return validate, report


def same_problems(validate: str, report: str) -> None:
    assert validate.removeprefix("csrgen validate: ") == report.removeprefix("csrgen report: ")


def test_clean_study_validates(tmp_path):
    assert main(["validate", str(ae_tte_study(tmp_path))]) == 0


def test_severity_outside_the_levels(tmp_path, capsys):
    adae = tiny_adae()
    adae.loc[0, "AESEV"] = "LIFE THREATENING"
    validate, report = validate_and_report(ae_tte_study(tmp_path, adae=adae), tmp_path, capsys)
    same_problems(validate, report)
    assert "adae.csv: AESEV [severity-levels] values ['LIFE THREATENING'] are not in" in validate
    assert "e.g. USUBJID=T-01: AESEV=LIFE THREATENING" in validate
    # four AE outputs share the rule: the problem is reported once
    assert validate.count("[severity-levels]") == 1


def test_preferred_term_in_two_socs(tmp_path, capsys):
    adae = tiny_adae()
    adae.loc[2, "AEBODSYS"] = "EYE"  # HEADACHE now under NERV and EYE
    validate, report = validate_and_report(ae_tte_study(tmp_path, adae=adae), tmp_path, capsys)
    same_problems(validate, report)
    assert "adae.csv: AEDECOD [one-soc] preferred terms ['HEADACHE']" in validate
    assert "e.g. AEDECOD=HEADACHE: AEBODSYS=EYE" in validate


def test_two_tte_records_of_a_subject(tmp_path, capsys):
    frame = adtte()
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    validate, report = validate_and_report(ae_tte_study(tmp_path, frame=frame), tmp_path, capsys)
    same_problems(validate, report)
    assert "adtte.csv: USUBJID [one-record-per-subject] more than one record per subject" in (
        validate
    )
    assert "PARAMCD 'OS' (2 rows)" in validate and "e.g. USUBJID=T-01" in validate
    assert validate.count("[one-record-per-subject]") == 1  # table and figure: once


def test_every_output_problem_at_once(tmp_path, capsys):
    adae = tiny_adae()
    adae.loc[0, "AESEV"] = "GRADE 5"
    adae.loc[2, "AEBODSYS"] = "EYE"
    frame = adtte()
    frame = pd.concat([frame, frame.iloc[[3]]], ignore_index=True)
    validate, _ = validate_and_report(ae_tte_study(tmp_path, adae, frame), tmp_path, capsys)
    assert validate.startswith("csrgen validate: 3 data problems found:\n")
    for rule in ("[severity-levels]", "[one-soc]", "[one-record-per-subject]"):
        assert rule in validate


def test_data_problems_and_output_checks_together(tmp_path, capsys):
    """ADTTE breaks a dataset rule (CNSR 2): its outputs are not checked (their rule assumes a
    valid ADTTE), but the AE outputs' checks are reported with the ADTTE problem."""
    adae = tiny_adae()
    adae.loc[0, "AESEV"] = "GRADE 5"
    frame = adtte()
    frame.loc[0, "CNSR"] = 2
    frame = pd.concat([frame, frame.iloc[[3]]], ignore_index=True)
    validate, _ = validate_and_report(ae_tte_study(tmp_path, adae, frame), tmp_path, capsys)
    assert "adtte.csv: CNSR [binary01]" in validate
    assert "adae.csv: AESEV [severity-levels]" in validate
    assert "[one-record-per-subject]" not in validate


def test_a_module_check_hook_is_collected(tmp_path, capsys, monkeypatch):
    """The contract: ``check(ctx) -> list[Problem]``, any module, run by the catalog."""
    seen = []

    def check(ctx):
        seen.append(ctx.spec.id)
        old = ctx.subjects.loc[pd.to_numeric(ctx.subjects["AGE"]) > 60, "USUBJID"]
        return [
            Problem(
                ctx.data.file_name("adsl"),
                "AGE",
                "too-old",
                "subjects over 60",
                len(old),
                tuple(f"USUBJID={u}" for u in old),
            )
        ]

    fake = types.ModuleType("csrgen_test_fake_output")
    fake.Options = NoOptions
    fake.requires = lambda config, spec, options: {"adsl": {"AGE"}}
    fake.check = check
    monkeypatch.setitem(sys.modules, fake.__name__, fake)
    monkeypatch.setitem(catalog.CATALOG, "t_fake", fake.__name__)
    extra = "".join(
        f'[[outputs]]\nid = "{i}"\nmodule = "t_fake"\nnumber = "Table 9.{k}"\ntitle = "x"\n'
        'population = "ITT"\n'
        for k, i in enumerate(("fake_one", "fake_two"), 1)
    )
    study = write_tiny_study(tmp_path, extra=extra)
    assert main(["validate", str(study)]) == 2
    err = capsys.readouterr().err
    assert seen == ["fake_one", "fake_two"]
    # T-05 (70) only: T-04 is 60, T-07 has no age; two outputs, one problem
    assert err == (
        "csrgen validate: 1 data problem found:\n"
        "adsl.csv: AGE [too-old] subjects over 60 (1 row)\n"
        "    e.g. USUBJID=T-05\n"
    )


@pytest.mark.parametrize("slug", sorted(catalog.CATALOG))
def test_check_hooks_have_the_contract_signature(slug):
    import inspect

    module = catalog.get_module(slug)
    check = getattr(module, "check", None)
    if check is None:
        return
    assert list(inspect.signature(check).parameters) == ["ctx"]
