"""Patient narratives on a tiny study checked by hand: who gets one, the separate files above
``document.narratives_inline_max`` (written, in the manifest, linked from the CSR), the
timeline's bytes, and bad options."""

from __future__ import annotations

import json
import re

import docx
import pandas as pd
import pytest

from csrgen.cli import main
from tests.studies import tiny_adsl, write_tiny_study

NARRATIVES = """
[document]
narratives_inline_max = {limit}

[safety]
population = "SAF"
te_flag = "TRTEMFL"

[[outputs]]
id = "narratives"
number = "Section 14.3.3"
title = "Narratives of Deaths, Other Serious and Certain Other Significant Adverse Events"
population = "SAF"

[outputs.options]
labs = ""
{options}
"""


def tiny_frames() -> dict[str, pd.DataFrame]:
    adsl = tiny_adsl()
    adsl["AGE"] = [30, 40, 50, 60, 70, 45, 33, 55]
    # T-01 died; T-08 died too but is outside the safety population (SAFFL = N).
    adsl["DTHFL"] = ["Y", "", "", "", "", "", "", "Y"]
    adsl["DTHDT"] = ["2020-03-05", "", "", "", "", "", "", "2020-02-01"]
    adsl["DTHCAUS"] = ["SEPSIS", "", "", "", "", "", "", "STROKE"]
    adae = pd.DataFrame(
        {
            "USUBJID": ["T-01", "T-02", "T-02", "T-03", "T-04", "T-05"],
            "AEDECOD": ["PNEUMONIA", "NAUSEA", "HEADACHE", "FALL", "RASH", "COUGH"],
            "AEBODSYS": ["INF", "GI", "NERV", "INJ", "SKIN", "RESP"],
            "AESEV": ["SEVERE", "MILD", "MODERATE", "MILD", "MODERATE", "MILD"],
            # T-03's serious event is not treatment-emergent: no narrative for it.
            "AESER": ["Y", "N", "Y", "Y", "N", "N"],
            "AEREL": ["NONE", "PROBABLE", "NONE", "NONE", "POSSIBLE", "NONE"],
            "AEACN": ["", "DOSE NOT CHANGED", "", "", "DRUG WITHDRAWN", ""],
            "AEOUT": ["FATAL", "RECOVERED/RESOLVED", "RECOVERED/RESOLVED", "", "", ""],
            "AESDTH": ["Y", "N", "N", "N", "N", "N"],
            "ASTDT": ["2020-03-01", "2020-01-20", "2020-01-10", "2019-12-20", "2020-02-02", ""],
            "AENDT": ["2020-03-05", "2020-01-22", "", "2019-12-21", "2020-02-09", ""],
            "TRTEMFL": ["Y", "Y", "Y", "", "Y", "Y"],
        }
    )
    return {"adsl": adsl, "adae": adae}


DEMOGRAPHICS = 'demographics = ["AGE", "SEX"]'


def build(tmp_path, limit: int = 20, options: str = DEMOGRAPHICS):
    study = write_tiny_study(
        tmp_path, tiny_frames(), NARRATIVES.format(limit=limit, options=options)
    )
    out = tmp_path / "out"
    code = main(["report", str(study), "--out", str(out)])
    return code, out


def docx_text(path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs]


def by_subject(text: list[str]) -> dict[str, str]:
    """Each subject's narrative text (its paragraphs up to the next subject's heading)."""
    out: dict[str, list[str]] = {}
    current = None
    for t in text:
        m = re.fullmatch(r"Subject (T-\d\d)", t)
        if m:
            current = m.group(1)
            out[current] = []
        elif current:
            out[current].append(t)
    return {k: "\n".join(v) for k, v in out.items()}


def test_inline_narratives_of_the_subjects_meeting_the_rules(tmp_path):
    code, out = build(tmp_path)
    assert code == 0
    assert not (out / "narratives.docx").exists()
    text = docx_text(out / "csr.docx")
    # the safety section (12.3) points to the drafted narratives
    assert any(t.endswith("are in Section 14.3.3.") for t in text)
    narratives = by_subject(text)
    # by hand: T-01 died, T-02 had a serious TEAE, T-04 a TEAE with the drug withdrawn; arm
    # order (Placebo: T-02, T-04; Drug: T-01), then subject
    assert list(narratives) == ["T-02", "T-04", "T-01"]
    t02 = narratives["T-02"]
    assert "Narrative for: Serious TEAE." in t02
    # onset order: HEADACHE (day 10) before NAUSEA (day 20); day 1 = TRTSDT 2020-01-01
    assert t02.index("HEADACHE (ADAE.AEDECOD): onset day 10 (2020-01-10)") < t02.index(
        "NAUSEA (ADAE.AEDECOD): onset day 20 (2020-01-20)"
    )
    assert "end day not known (not recorded) (ADAE.AENDT)" in t02
    assert "serious: yes (ADAE.AESER)" in t02 and "serious: no (ADAE.AESER)" in t02
    assert "action taken DOSE NOT CHANGED (ADAE.AEACN)" in t02
    assert "Narrative for: TEAE leading to discontinuation." in narratives["T-04"]
    t01 = narratives["T-01"]
    assert "Age: 30 (ADSL.AGE)" in t01
    assert "Death: 2020-03-05 (day 65) (ADSL.DTHDT); cause SEPSIS (ADSL.DTHCAUS)." in t01
    assert "[Medical writer: clinical assessment of causality and course]" in t01


def test_many_narratives_go_to_files_of_their_own(tmp_path):
    code, out = build(tmp_path, limit=2)
    assert code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    for name in ("narratives.docx", "narratives.html"):
        assert (out / name).stat().st_size > 0
        assert name in manifest["outputs"]
    separate = docx_text(out / "narratives.docx")
    assert list(by_subject(separate)) == ["T-02", "T-04", "T-01"]
    csr = docx_text(out / "csr.docx")
    assert not any(t.startswith("Subject T-") for t in csr)
    assert any("provided as narratives.docx and narratives.html" in t for t in csr)
    assert "T-04 (Placebo): TEAE leading to discontinuation" in csr
    html = (out / "csr.html").read_text()
    assert 'href="narratives.html#narratives-T-04"' in html
    assert 'id="narratives-T-04"' in (out / "narratives.html").read_text()


def test_same_data_same_bytes(tmp_path):
    code, out = build(tmp_path / "a", limit=2)
    code2, out2 = build(tmp_path / "b", limit=2)
    assert code == code2 == 0
    for name in ("narratives.docx", "narratives.html", "csr.html"):
        assert (out / name).read_bytes() == (out2 / name).read_bytes(), name


@pytest.mark.parametrize(
    "options, key, var",
    [
        ('demographics = ["AGE", "SEXX"]', "outputs[1].options.demographics[1]", "SEXX"),
        ('outcome_var = "AEOUTX"\n' + DEMOGRAPHICS, "outputs[1].options.outcome_var", "AEOUTX"),
    ],
)
def test_unknown_variable_is_named_by_its_key(tmp_path, capsys, options, key, var):
    code, _ = build(tmp_path, options=options)
    assert code == 2
    err = capsys.readouterr().err
    assert f"{key} names {var}" in err
    assert "Traceback" not in err


def test_a_criterion_needs_one_rule(tmp_path, capsys):
    code, _ = build(tmp_path, options='criteria = [{ label = "Death" }]\n' + DEMOGRAPHICS)
    assert code == 2
    err = capsys.readouterr().err
    assert "outputs[1].options.criteria[0]" in err
    assert "give exactly one of category or where" in err
