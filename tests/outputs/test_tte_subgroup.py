"""The subgroup outputs (t_tte_subgroup, f_forest) on a tiny study checked by hand.

Subgroup GRP: level G1 holds T-01..T-04 (Drug T-01, T-03; Placebo T-02, T-04), G2 holds
T-05..T-08. In G1 Placebo dies at 1 (T-02) and is censored at 3 (T-04), Drug dies at 2 (T-01)
and is censored at 4 (T-03). The Cox partial likelihood of Drug (x = exp(b)) is
``x / ((2 + 2x)(1 + 2x))`` (risk sets {all four} at 1 and {T-01, T-03, T-04} at 2), whose
score ``1 - x/(1+x) - 2x/(1+2x)`` vanishes at ``x**2 = 1/2``: HR = 1/sqrt(2), with information
``x/(1+x)**2 + 2x/(1+2x)**2``. In G2 no Placebo subject dies: not estimable.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from scipy.stats import norm

from csrgen.ard import stat_lookup
from csrgen.cli import main
from csrgen.document.model import Figure
from tests.outputs.test_tte import SURVIVAL, run
from tests.studies import tiny_adsl, write_tiny_study

OS = {  # USUBJID: (AVAL, CNSR)
    "T-01": (2.0, 0),
    "T-02": (1.0, 0),
    "T-03": (4.0, 1),
    "T-04": (3.0, 1),
    "T-05": (2.0, 0),
    "T-06": (4.0, 1),
    "T-07": (6.0, 1),
    "T-08": (5.0, 1),
}

SUBGROUPS = """subgroups = [
  { var = "GRP", label = "Group", levels = ["G1", "G2"], level_labels = { G1 = "Group 1" } },
  { var = "AGE", label = "Age (years)", breaks = [45] },
]"""


def outputs(subgroups: str = SUBGROUPS) -> str:
    return "\n".join(
        f'[[outputs]]\nid = "{i}"\nmodule = "{m}"\nnumber = "{n}"\ntitle = "{i}"\n'
        f'population = "ITT"\n[outputs.options]\nparamcd = "OS"\n{subgroups}\n'
        for i, m, n in (
            ("t_sub", "t_tte_subgroup", "Table 14.2.1"),
            ("f_sub", "f_forest", "Figure 14.2.1"),
        )
    )


def study(tmp_path, subgroups: str = SUBGROUPS, adsl=None):
    if adsl is None:
        adsl = tiny_adsl().assign(GRP=["G1"] * 4 + ["G2"] * 4)
    adtte = pd.DataFrame(
        [
            dict(STUDYID="TINY", USUBJID=s, PARAMCD="OS", AVAL=a, CNSR=c, EVNTDESC="")
            for s, (a, c) in OS.items()
        ]
    )
    extra = SURVIVAL.format(outputs=outputs(subgroups))
    return write_tiny_study(tmp_path, {"adsl": adsl, "adtte": adtte}, extra=extra)


def value(ard, **where) -> float:
    return stat_lookup(ard, param="OS", timepoint="", **where)


def test_hazard_ratio_in_a_level_by_hand(tmp_path):
    ard = run(study(tmp_path), "t_sub").ard
    x = 1 / math.sqrt(2)
    se = 1 / math.sqrt(x / (1 + x) ** 2 + 2 * x / (1 + 2 * x) ** 2)
    z = norm.ppf(0.975)
    w = dict(group_level="Drug", variable="GRP", variable_level="G1")
    assert value(ard, stat_name="hr", **w) == pytest.approx(x, rel=1e-9)
    assert value(ard, stat_name="hr_lcl", **w) == pytest.approx(x * math.exp(-z * se), rel=1e-9)
    assert value(ard, stat_name="hr_ucl", **w) == pytest.approx(x * math.exp(z * se), rel=1e-9)
    for arm, n, events in (("Drug", 2, 1), ("Placebo", 2, 1)):
        lv = dict(group_level=arm, variable="GRP", variable_level="G1")
        assert (value(ard, stat_name="n", **lv), value(ard, stat_name="n_event", **lv)) == (
            n,
            events,
        )


def test_level_without_events_is_not_estimable(tmp_path):
    result = run(study(tmp_path), "t_sub")
    ard = result.ard
    w = dict(group_level="Drug", variable="GRP", variable_level="G2")
    assert math.isnan(value(ard, stat_name="hr", **w))
    row = ard.loc[
        (ard["variable"] == "GRP") & (ard["variable_level"] == "G2") & (ard["stat_name"] == "hr")
    ]
    assert row["method"].tolist() == ["cox-efron; not estimable: no events in Placebo"]
    assert (
        value(ard, stat_name="n_event", group_level="Placebo", variable="GRP", variable_level="G2")
        == 0
    )
    # the interaction model has no finite maximum: NaN, and the ARD says why
    inter = ard.loc[(ard["variable"] == "GRP") & (ard["group_level"] == "Overall")]
    assert inter["stat"].isna().all()
    assert set(inter["method"]) == {
        "cox-lrt-interaction; not estimable: no events in Placebo for GRP G2"
    }
    (table,) = result.blocks
    cells = {r.cells[0].text: [c.text for c in r.cells[1:]] for r in table.rows}
    # columns: Placebo events/n, Drug events/n, hazard ratio, interaction p
    assert cells["G2"] == ["0/2", "1/2", "NE", ""]
    assert cells["Group"][-1] == "NE"
    assert cells["Group 1"][:2] == ["1/2", "1/2"]
    assert cells["Group 1"][2] == "0.71 (" + cells["Group 1"][2][6:]
    assert any(f.startswith("NE = not estimable") for f in table.footnotes)


def test_breaks_cut_a_numeric_variable(tmp_path, capsys):
    """AGE 30, 40, 50, 60, 70, 45, missing, 55: 45 belongs to >=45 (a level holds its lower
    bound); the subject without an age is in no level, and validate warns with the count."""
    path = study(tmp_path)
    ard = run(path, "t_sub").ard
    count = lambda arm, lv: value(  # noqa: E731
        ard, stat_name="n", group_level=arm, variable="AGE", variable_level=lv
    )
    # Drug T-01 30, T-03 50, T-05 70, T-07 missing; Placebo T-02 40, T-04 60, T-06 45, T-08 55
    assert (count("Drug", "<45"), count("Drug", ">=45")) == (1, 2)
    assert (count("Placebo", "<45"), count("Placebo", ">=45")) == (1, 3)
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert (
        "subgroups of OS: 1 of 8 subjects of the intent-to-treat population have AGE missing" in err
    )
    assert err.count("have AGE missing") == 1  # table and figure: said once


def test_forest_figure(tmp_path):
    path = study(tmp_path)
    first = run(path, "f_sub")
    (fig,) = first.blocks
    assert isinstance(fig, Figure) and not fig.null_reason
    assert fig.png.startswith(b"\x89PNG") and fig.svg.startswith("<svg")
    for text in ("Group 1", "G2", "0/2", "Favours Drug", "Interaction"):
        assert text in fig.svg, text
    assert "Group 1: 0.71 (" in fig.alt and "G2: NE" in fig.alt
    (again,) = run(path, "f_sub").blocks
    assert again.svg == fig.svg and again.png == fig.png  # same data, same bytes


@pytest.mark.parametrize(
    ("subgroups", "expected"),
    [
        (
            'subgroups = [{ var = "GRP", label = "G", levels = ["G1"], breaks = [1] }]',
            "outputs[1].options.subgroups[0]: give either levels or breaks",
        ),
        (
            'subgroups = [{ var = "GRP", label = "G", levels = ["G1"], '
            'level_labels = { G9 = "x" } }]',
            "level_labels: ['G9'] are not levels",
        ),
        (
            'subgroups = [{ var = "AGE", label = "A", breaks = [50, 40] }]',
            "breaks: [50.0, 40.0] must increase",
        ),
    ],
)
def test_invalid_options_name_the_key(tmp_path, capsys, subgroups, expected):
    assert main(["validate", str(study(tmp_path, subgroups))]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_unknown_variable_and_level(tmp_path, capsys):
    """A variable ADSL lacks is a [required] problem; a level that never occurs names the key."""
    subgroups = """subgroups = [
  { var = "NOPE", label = "N", levels = ["A"] },
]"""
    assert main(["validate", str(study(tmp_path / "a", subgroups))]) == 2
    err = capsys.readouterr().err
    assert "adsl.csv: NOPE [required]" in err
    subgroups = """subgroups = [
  { var = "GRP", label = "G", levels = ["G1", "G3"] },
]"""
    assert main(["validate", str(study(tmp_path / "b", subgroups))]) == 2
    err = capsys.readouterr().err
    assert "adsl.csv: GRP [subgroup-levels]" in err
    assert "outputs[1].options.subgroups[0].levels: ['G3'] do not occur in GRP" in err
    assert "Traceback" not in err


def test_breaks_need_a_numeric_variable(tmp_path, capsys):
    subgroups = 'subgroups = [{ var = "GRP", label = "G", breaks = [1] }]'
    assert main(["validate", str(study(tmp_path, subgroups))]) == 2
    err = capsys.readouterr().err
    assert "GRP [type]" in err and "subgroups[0].breaks names GRP" in err


def test_a_level_without_subjects(tmp_path):
    """An interval of ``breaks`` that no subject falls in: counts 0, HR and table "NE"."""
    subgroups = 'subgroups = [{ var = "AGE", label = "Age", breaks = [45, 100] }]'
    result = run(study(tmp_path, subgroups), "t_sub")
    ard = result.ard
    w = dict(group_level="Drug", variable="AGE", variable_level=">=100")
    assert value(ard, stat_name="n", **w) == 0 and math.isnan(value(ard, stat_name="hr", **w))
    row = ard.loc[(ard["variable_level"] == ">=100") & (ard["stat_name"] == "hr")]
    assert row["method"].tolist() == ["cox-efron; not estimable: no subjects in Placebo"]
    (table,) = result.blocks
    cells = {r.cells[0].text: [c.text for c in r.cells[1:]] for r in table.rows}
    assert cells[">=100"] == ["0/0", "0/0", "NE", ""]
    # the empty level is left out of the interaction test; of the others, 45-<100 has no
    # Placebo death (T-04, T-06, T-08 censored), so the test is not estimable either
    inter = ard.loc[(ard["variable"] == "AGE") & (ard["group_level"] == "Overall")]
    assert inter["stat"].isna().all()
    assert set(inter["method"]) == {
        "cox-lrt-interaction; not estimable: no events in Placebo for AGE 45-<100"
    }
