"""AE overview (t_ae_overview) and the AE pre-processing, on a tiny study checked by hand and on
the CDISC pilot against an independent pandas computation from the XPT files."""

from __future__ import annotations

from functools import cache

import pandas as pd
import pyreadstat
import pytest
from scipy.stats import fisher_exact

from csrgen.ard import check_ard, stat_lookup
from csrgen.config import load_study
from csrgen.errors import ConfigError, DataValidationError
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import run_output
from csrgen.report import prepare_study
from tests.studies import PILOT_DATA, PILOT_STUDY, tiny_adsl, write_tiny_study

# -- a tiny study: TRTSDT 2020-01-01 for everyone; safety population = T-01..T-07 -------------
# Drug: T-01, T-03, T-05, T-07 (N=4); Placebo: T-02, T-04, T-06 (N=3); T-08 is not in SAF.
AE_COLUMNS = ["USUBJID", "AEBODSYS", "AEDECOD", "AESEV", "AESER", "AEREL", "AEACN", "AEOUT"]
AE_ROWS = [
    # study day 1 and 10: one subject, one PT, two events (mild and severe)
    ("T-01", "NERV", "HEADACHE", "MILD", "N", "RELATED", "", "RECOVERED", "2020-01-01"),
    ("T-01", "NERV", "HEADACHE", "SEVERE", "N", "NOT RELATED", "", "RECOVERED", "2020-01-10"),
    ("T-03", "NERV", "HEADACHE", "MODERATE", "N", "NOT RELATED", "", "RECOVERED", "2020-01-05"),
    # serious, blank relationship (counted as related), drug withdrawn
    ("T-03", "GI", "NAUSEA", "MILD", "Y", "", "DRUG WITHDRAWN", "RECOVERED", "2020-01-20"),
    ("T-02", "GI", "NAUSEA", "MILD", "N", "NOT RELATED", "", "RECOVERED", "2020-01-03"),
    # study day -7: before treatment, not emergent (though its TRTEMFL says Y)
    ("T-04", "SKIN", "RASH", "MILD", "N", "RELATED", "", "RECOVERED", "2019-12-25"),
    # study day 336 (2020 is a leap year) is the window's last day; day 337 is outside
    ("T-05", "GEN", "FATIGUE", "MILD", "N", "NOT RELATED", "", "RECOVERED", "2020-12-01"),
    ("T-05", "GEN", "FATIGUE", "SEVERE", "N", "NOT RELATED", "", "RECOVERED", "2020-12-02"),
    # no onset date: counted as emergent; blank severity: counted as SEVERE; fatal
    ("T-06", "NERV", "DIZZINESS", "", "N", "NOT RELATED", "", "FATAL", ""),
    # not in the safety population
    ("T-08", "NERV", "HEADACHE", "MILD", "N", "RELATED", "", "RECOVERED", "2020-01-02"),
]

SAFETY_TOML = """
[safety]
population = "SAF"
te_window_days = [1, 336]
{safety_extra}

[[outputs]]
id = "t_ae_overview"
number = "Table 14.3.1"
title = "Overview of TEAEs"
population = "SAF"

[[outputs]]
id = "t_ae_soc_pt"
number = "Table 14.3.2.1"
title = "TEAEs by SOC and PT"
population = "SAF"

[outputs.options]
sort = "{sort}"

[[outputs]]
id = "t_ae_ser"
module = "t_ae_soc_pt"
number = "Table 14.3.2.3"
title = "Serious TEAEs by SOC and PT"
population = "SAF"

[outputs.options]
subset = "serious"

[[outputs]]
id = "t_ae_sev"
module = "t_ae_soc_pt"
number = "Table 14.3.2.2"
title = "TEAEs by SOC, PT and maximum severity"
population = "SAF"

[outputs.options]
by_severity = true
"""


def tiny_adae(rows=AE_ROWS) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=AE_COLUMNS + ["ASTDT"])
    frame["AESDTH"] = "N"
    frame["TRTEMFL"] = "Y"  # deliberately wrong for T-04 and T-05's day 337: must be ignored
    return frame


def tiny_ae_study(tmp_path, adae=None, safety_extra="", sort="frequency", lock=True):
    frames = {"adsl": tiny_adsl(), "adae": tiny_adae() if adae is None else adae}
    extra = SAFETY_TOML.format(safety_extra=safety_extra, sort=sort)
    return write_tiny_study(tmp_path, frames, extra=extra, lock=lock)


def run(study, output_id):
    prep = prepare_study(study)
    spec = prep.config.output(output_id)
    return run_output(OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock))


def stat(ard, level, variable, name, variable_level="", param=""):
    return stat_lookup(
        ard,
        group_level=level,
        variable=variable,
        variable_level=variable_level,
        stat_name=name,
        param=param,
    )


def test_tiny_overview_by_hand(tmp_path):
    result = run(tiny_ae_study(tmp_path), "t_ae_overview")
    ard = result.ard
    assert check_ard(ard) == []
    assert stat(ard, "Drug", "", "N") == 4
    assert stat(ard, "Placebo", "", "N") == 3
    expected = {
        # variable: (Drug n, Drug events, Placebo n, Placebo events)
        "TEAE": (3, 5, 2, 2),  # T-01 x2, T-03 x2, T-05 day 336; T-02, T-06 (undated)
        "TEAE_RELATED": (2, 2, 0, 0),  # T-01 RELATED, T-03 blank relationship
        "TEAE_SERIOUS": (1, 1, 0, 0),  # T-03
        "TEAE_SEVERE": (1, 1, 1, 1),  # T-01; T-06 blank severity counted as SEVERE
        "TEAE_DISCONT": (1, 1, 0, 0),  # T-03 DRUG WITHDRAWN
        "TEAE_DEATH": (0, 0, 1, 1),  # T-06 FATAL
    }
    for variable, (dn, de, pn, pe) in expected.items():
        assert stat(ard, "Drug", variable, "n") == dn, variable
        assert stat(ard, "Drug", variable, "n_records") == de, variable
        assert stat(ard, "Drug", variable, "pct") == pytest.approx(100 * dn / 4), variable
        assert stat(ard, "Placebo", variable, "n") == pn, variable
        assert stat(ard, "Placebo", variable, "n_records") == pe, variable
        assert stat(ard, "Total", variable, "n") == dn + pn, variable
    assert "p_value" not in set(ard["stat_name"])  # fisher is off by default


def test_tiny_overview_table_states_the_rules(tmp_path):
    (table,) = run(tiny_ae_study(tmp_path), "t_ae_overview").blocks
    texts = [[c.text for c in row.cells] for row in table.rows]
    assert [t[0] for t in texts] == [
        "Subjects with any TEAE",
        "Subjects with any related TEAE",
        "Subjects with any serious TEAE",
        "Subjects with any severe TEAE",
        "Subjects with any TEAE leading to discontinuation of treatment",
        "Subjects with any TEAE leading to death",
    ]
    # columns are in study order: Placebo, Drug, Total
    assert [c.label for c in table.columns[1:]] == ["Placebo\n(N=3)", "Drug\n(N=4)", "Total\n(N=7)"]
    assert texts[0][1:] == [
        "2\u00a0(66.7)\u00a0[2]",
        "3\u00a0(75.0)\u00a0[5]",
        "5\u00a0(71.4)\u00a0[7]",
    ]
    assert texts[5][1:] == ["1\u00a0(33.3)\u00a0[1]", "0\u00a0[0]", "1\u00a0(14.3)\u00a0[1]"]
    notes = " ".join(table.footnotes)
    assert "study days 1 to 336" in notes
    assert "1 record(s) without an onset day (no ASTDT, TRTSDT or ASTDY) are counted" in notes
    assert "AEREL in (" in notes and "or blank" in notes
    assert "Serious: AESER = Y." in notes
    assert "Severe: AESEV = SEVERE (1 record(s) with blank AESEV counted as SEVERE)." in notes
    assert "Leading to discontinuation: AEACN = DRUG WITHDRAWN." in notes
    assert "Leading to death: AEOUT = FATAL or AESDTH = Y." in notes
    assert not table.landscape


def test_study_file_rules_and_fisher(tmp_path):
    extra = (
        'fisher = true\nrelated = [{ var = "AEREL", values = ["RELATED"] }]\n'
        'death = [{ var = "AEOUT", values = ["DEATH"] }]'
    )
    ard = run(tiny_ae_study(tmp_path, safety_extra=extra), "t_ae_overview").ard
    assert stat(ard, "Drug", "TEAE_RELATED", "n") == 1  # blank AEREL no longer counts
    assert stat(ard, "Placebo", "TEAE_DEATH", "n") == 0  # FATAL is not DEATH
    # TEAE: Drug 3/4 vs Placebo 2/3, against scipy
    expected = fisher_exact([[3, 1], [2, 1]]).pvalue
    assert stat(ard, "Drug", "TEAE", "p_value") == pytest.approx(expected, rel=1e-12)


def test_te_flag_rule_uses_the_flag(tmp_path):
    adae = tiny_adae()
    adae["TRTEMFL"] = ["Y", "", "", "", "", "", "", "", "", "Y"]
    study = tiny_ae_study(tmp_path, adae=adae)
    text = study.read_text().replace("te_window_days = [1, 336]", 'te_flag = "TRTEMFL"')
    study.write_text(text)
    ard = run(study, "t_ae_overview").ard
    assert stat(ard, "Drug", "TEAE", "n") == 1  # only T-01's first record; T-08 not in SAF
    assert stat(ard, "Drug", "TEAE", "n_records") == 1
    assert stat(ard, "Placebo", "TEAE", "n") == 0


def test_missing_onset_not_counted_when_the_study_says_so(tmp_path):
    ard = run(tiny_ae_study(tmp_path, safety_extra="te_missing_onset = false"), "t_ae_overview")
    assert stat(ard.ard, "Placebo", "TEAE", "n") == 1  # T-06's undated event is out


def test_astdy_used_where_dates_are_missing():
    from csrgen.config import SafetySettings
    from csrgen.outputs.ae_common import treatment_emergent

    events = pd.DataFrame(
        {
            "USUBJID": ["A", "A", "A", "A"],
            "ASTDT": pd.to_datetime(["2020-01-01", "2019-12-31", None, None]),
            "ASTDY": [99.0, 99.0, 5.0, None],
        }
    )
    subjects = pd.DataFrame({"USUBJID": ["A"], "TRTSDT": pd.to_datetime(["2020-01-01"])})
    rule = SafetySettings(population="SAF", te_window_days=(1, 336), te_missing_onset=False)
    mask, _ = treatment_emergent(events, subjects, rule)
    # day 1 from the dates; day -1 (no day 0) from the dates, not ASTDY; ASTDY 5; nothing
    assert mask.tolist() == [True, False, True, False]


def test_unknown_severity_is_a_data_error(tmp_path):
    adae = tiny_adae()
    adae.loc[0, "AESEV"] = "LIFE THREATENING"
    with pytest.raises(DataValidationError) as info:
        run(tiny_ae_study(tmp_path, adae=adae), "t_ae_overview")
    message = str(info.value)
    assert "adae.csv: AESEV [severity-levels]" in message
    assert "LIFE THREATENING" in message and "USUBJID=T-01" in message


def test_pt_under_two_socs_is_a_data_error(tmp_path):
    adae = tiny_adae()
    adae.loc[2, "AEBODSYS"] = "EYE"  # HEADACHE now under NERV and EYE
    with pytest.raises(DataValidationError, match=r"AEDECOD \[one-soc\].*HEADACHE"):
        run(tiny_ae_study(tmp_path, adae=adae), "t_ae_soc_pt")


def test_ae_output_without_safety_table_names_the_key(tmp_path):
    study = tiny_ae_study(tmp_path)
    text = study.read_text()
    start = text.index("[safety]")
    study.write_text(text[:start] + text[text.index("[[outputs]]", start) :])
    with pytest.raises(ConfigError, match=r"safety: missing required table \[safety\]"):
        prepare_study(study)


def test_te_rule_is_exactly_one_of_flag_or_window(tmp_path):
    study = tiny_ae_study(tmp_path, safety_extra='te_flag = "TRTEMFL"', lock=False)
    with pytest.raises(ConfigError, match="give exactly one of te_flag or te_window_days"):
        load_study(study)


# -- the CDISC pilot against pandas on the XPT files ----------------------------------------------
@cache
def pilot_prep():
    return prepare_study(PILOT_STUDY)


@cache
def pilot_result(output_id):
    prep = pilot_prep()
    spec = prep.config.output(output_id)
    return run_output(OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock))


@cache
def pilot_teae() -> tuple[pd.DataFrame, pd.Series]:
    """TRTEMFL = Y records of SAFFL = Y subjects, arm = ADSL TRT01A; and N per arm (pandas and
    pyreadstat only, no csrgen code)."""
    adsl, _ = pyreadstat.read_xport(str(PILOT_DATA / "adsl.xpt"))
    adae, _ = pyreadstat.read_xport(str(PILOT_DATA / "adae.xpt"))
    saf = adsl.loc[adsl["SAFFL"] == "Y", ["USUBJID", "TRT01A"]]
    teae = adae.loc[adae["TRTEMFL"] == "Y"].drop(columns=["TRTA"]).merge(saf, on="USUBJID")
    return teae, saf["TRT01A"].value_counts()


def test_pilot_overview_against_pandas():
    teae, big_n = pilot_teae()
    result = pilot_result("t_ae_overview")
    ard = result.ard
    assert check_ard(ard) == []
    # AEACN is blank on every pilot ADAE record: the row says "Not collected" and has no counts
    # or test (not 0 / 0 / 0 with p > 0.999).
    assert (teae["AEACN"].astype(str).str.strip() == "").all()
    assert not (ard["variable"] == "TEAE_DISCONT").any()
    row = next(r for r in result.blocks[0].rows if "discontinuation" in r.cells[0].text)
    assert [c.text for c in row.cells[1:4]] == ["Not collected"] * 3
    assert any("AEACN is blank on every" in n for n in result.blocks[0].footnotes)
    subsets = {
        "TEAE": teae,
        "TEAE_RELATED": teae[teae["AEREL"].isin(["POSSIBLE", "PROBABLE", ""])],
        "TEAE_SERIOUS": teae[teae["AESER"] == "Y"],
        "TEAE_SEVERE": teae[teae["AESEV"] == "SEVERE"],
        "TEAE_DEATH": teae[(teae["AEOUT"] == "FATAL") | (teae["AESDTH"] == "Y")],
    }
    for variable, records in subsets.items():
        for arm in ["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"]:
            mine = records[records["TRT01A"] == arm]
            n = mine["USUBJID"].nunique()
            assert stat(ard, arm, variable, "n") == n, (variable, arm)
            assert stat(ard, arm, variable, "n_records") == len(mine), (variable, arm)
            assert stat(ard, arm, variable, "pct") == pytest.approx(100 * n / big_n[arm])
            if arm != "Placebo":
                ref = records[records["TRT01A"] == "Placebo"]["USUBJID"].nunique()
                table = [[n, big_n[arm] - n], [ref, big_n["Placebo"] - ref]]
                expected = fisher_exact(table).pvalue
                assert stat(ard, arm, variable, "p_value") == pytest.approx(expected, rel=1e-12)
        assert stat(ard, "Total", variable, "n") == records["USUBJID"].nunique()
