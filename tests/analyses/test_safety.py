"""Adverse-event incidence on tiny frames checked by hand; Fisher p by hand and against scipy."""

from math import comb

import numpy as np
import pandas as pd
import pytest
from scipy.stats import fisher_exact

from csrgen.analyses.safety import ard_ae_hierarchy, ard_ae_max_severity, ard_ae_overview
from csrgen.ard import check_ard, stat_lookup

ARMS = ["Placebo", "Drug"]


def subjects() -> pd.DataFrame:
    """Placebo: P1, P2 (N=2); Drug: D1, D2, D3 (N=3); Empty: nobody."""
    ids = ["P1", "P2", "D1", "D2", "D3"]
    arms = ["Placebo", "Placebo", "Drug", "Drug", "Drug"]
    return pd.DataFrame({"USUBJID": ids, "ARM": pd.Categorical(arms, categories=ARMS)})


def events() -> pd.DataFrame:
    """D1 has HEADACHE twice (mild, then severe) and NAUSEA; D2 HEADACHE (moderate);
    P1 NAUSEA (mild). Nobody else has an event."""
    rows = [
        ("D1", "NERVOUS SYSTEM DISORDERS", "HEADACHE", "MILD", True),
        ("D1", "NERVOUS SYSTEM DISORDERS", "HEADACHE", "SEVERE", False),
        ("D1", "GASTROINTESTINAL DISORDERS", "NAUSEA", "MILD", False),
        ("D2", "NERVOUS SYSTEM DISORDERS", "HEADACHE", "MODERATE", False),
        ("P1", "GASTROINTESTINAL DISORDERS", "NAUSEA", "MILD", False),
    ]
    frame = pd.DataFrame(rows, columns=["USUBJID", "AEBODSYS", "AEDECOD", "AESEV", "_SER"])
    arm = dict(zip(subjects()["USUBJID"], subjects()["ARM"], strict=True))
    frame["ARM"] = pd.Categorical(frame["USUBJID"].map(arm), categories=ARMS)
    return frame


def hierarchy(ev=None, reference="Placebo", arms=ARMS):
    return ard_ae_hierarchy(
        subjects(),
        events() if ev is None else ev,
        arm="ARM",
        arms=arms,
        any_variable="TEAE",
        soc="AEBODSYS",
        pt="AEDECOD",
        group_var="TRT01A",
        reference=reference,
    )


def value(ard, level, variable, variable_level, stat_name, param=""):
    return stat_lookup(
        ard,
        group_level=level,
        variable=variable,
        variable_level=variable_level,
        stat_name=stat_name,
        param=param,
    )


def test_subjects_counted_once_events_every_time():
    ard = hierarchy()
    assert check_ard(ard) == []
    # HEADACHE: D1 (2 records) and D2 (1 record) -> 2 of 3 Drug subjects, 3 events
    assert value(ard, "Drug", "AEDECOD", "HEADACHE", "n") == 2
    assert value(ard, "Drug", "AEDECOD", "HEADACHE", "n_records") == 3
    assert value(ard, "Drug", "AEDECOD", "HEADACHE", "pct") == pytest.approx(200 / 3)
    # the SOC of HEADACHE has the same subjects; any TEAE in Drug: D1, D2 with 4 records
    assert value(ard, "Drug", "AEBODSYS", "NERVOUS SYSTEM DISORDERS", "n") == 2
    assert value(ard, "Drug", "TEAE", "", "n") == 2
    assert value(ard, "Drug", "TEAE", "", "n_records") == 4
    # Total: 3 subjects of 5 with any TEAE, 5 records
    assert value(ard, "Total", "TEAE", "", "n") == 3
    assert value(ard, "Total", "TEAE", "", "pct") == 60.0
    assert value(ard, "Total", "TEAE", "", "n_records") == 5


def test_arm_without_events_in_a_row_gets_zeros_not_missing_rows():
    ard = hierarchy()
    assert value(ard, "Placebo", "AEDECOD", "HEADACHE", "n") == 0
    assert value(ard, "Placebo", "AEDECOD", "HEADACHE", "pct") == 0
    assert value(ard, "Placebo", "AEDECOD", "HEADACHE", "n_records") == 0
    assert value(ard, "Placebo", "AEBODSYS", "NERVOUS SYSTEM DISORDERS", "n") == 0


def test_population_n_rows_and_an_arm_without_subjects():
    ard = hierarchy(arms=["Placebo", "Drug", "Empty"])
    assert value(ard, "Placebo", "", "", "N") == 2
    assert value(ard, "Drug", "", "", "N") == 3
    assert value(ard, "Empty", "", "", "N") == 0
    assert value(ard, "Total", "", "", "N") == 5
    assert value(ard, "Empty", "TEAE", "", "n") == 0
    assert np.isnan(value(ard, "Empty", "TEAE", "", "pct"))  # 0 of 0: not estimable
    assert np.isnan(value(ard, "Empty", "AEDECOD", "NAUSEA", "p_value"))


def test_fisher_p_by_hand():
    """HEADACHE: Drug 2/3, Placebo 0/2. Hypergeometric with margins (3, 2) rows, (2, 3)
    columns: P(X = x events in Drug) = C(3,x) C(2,2-x) / C(5,2) = 0.1, 0.6, 0.3 for x = 0, 1, 2.
    Two-sided p sums the tables as or less likely than the observed (x = 2, 0.3): 0.1 + 0.3."""
    probs = [comb(3, x) * comb(2, 2 - x) / comb(5, 2) for x in range(3)]
    assert probs == pytest.approx([0.1, 0.6, 0.3])
    ard = hierarchy()
    p = value(ard, "Drug", "AEDECOD", "HEADACHE", "p_value")
    assert p == pytest.approx(0.4, abs=1e-12)
    rows = ard[ard["stat_name"] == "p_value"]
    assert set(rows["group_level"]) == {"Drug"}  # on the compared arm's row only
    assert set(rows["method"]) == {"fisher"}


def test_fisher_p_against_scipy_on_every_row():
    ard = hierarchy()
    n = ard[ard["stat_name"] == "n"].set_index(["variable", "variable_level", "group_level"])
    for (variable, level), rows in ard[ard["stat_name"] == "p_value"].groupby(
        ["variable", "variable_level"]
    ):
        a = int(n.loc[(variable, level, "Drug"), "stat"])
        c = int(n.loc[(variable, level, "Placebo"), "stat"])
        expected = fisher_exact([[a, 3 - a], [c, 2 - c]]).pvalue
        assert rows["stat"].iloc[0] == pytest.approx(expected, rel=1e-12)


def test_no_tests_without_reference():
    assert "p_value" not in set(hierarchy(reference=None)["stat_name"])


def test_no_events_gives_the_any_row_with_zeros_and_no_soc_rows():
    ard = hierarchy(ev=events().head(0))
    assert check_ard(ard) == []
    assert set(ard["variable"]) == {"", "TEAE"}
    assert value(ard, "Drug", "TEAE", "", "n") == 0
    assert value(ard, "Drug", "TEAE", "", "pct") == 0
    assert value(ard, "Drug", "TEAE", "", "p_value") == 1.0  # 0/3 vs 0/2: every table is as likely


def test_overview_categories():
    ard = ard_ae_overview(
        subjects(),
        events(),
        arm="ARM",
        arms=ARMS,
        categories=[("TEAE", ""), ("TEAE_SERIOUS", "_SER")],
        group_var="TRT01A",
        reference="Placebo",
    )
    assert check_ard(ard) == []
    assert value(ard, "Drug", "TEAE_SERIOUS", "", "n") == 1  # D1's first headache
    assert value(ard, "Drug", "TEAE_SERIOUS", "", "n_records") == 1
    assert value(ard, "Placebo", "TEAE_SERIOUS", "", "n") == 0
    assert value(ard, "Total", "TEAE_SERIOUS", "", "pct") == 20.0
    # 1/3 vs 0/2: P(x) = C(3,x) C(2,1-x) / C(5,1) = 0.4 (x=0), 0.6 (x=1); p = 1
    assert value(ard, "Drug", "TEAE_SERIOUS", "", "p_value") == pytest.approx(1.0)


def test_max_severity_counts_each_subject_once_at_the_maximum():
    ard = ard_ae_max_severity(
        subjects(),
        events(),
        arm="ARM",
        arms=ARMS,
        severity="AESEV",
        levels=["MILD", "MODERATE", "SEVERE"],
        any_variable="TEAE",
        soc="AEBODSYS",
        pt="AEDECOD",
        group_var="TRT01A",
    )
    assert check_ard(ard) == []
    # HEADACHE in Drug: D1 (mild + severe -> severe), D2 (moderate)
    assert value(ard, "Drug", "AEDECOD", "HEADACHE", "n", "MILD") == 0
    assert value(ard, "Drug", "AEDECOD", "HEADACHE", "n", "MODERATE") == 1
    assert value(ard, "Drug", "AEDECOD", "HEADACHE", "n", "SEVERE") == 1
    assert value(ard, "Drug", "AEDECOD", "HEADACHE", "pct", "SEVERE") == pytest.approx(100 / 3)
    # NAUSEA in Drug: D1 mild only; any TEAE in Drug: D1 severe, D2 moderate
    assert value(ard, "Drug", "AEDECOD", "NAUSEA", "n", "MILD") == 1
    assert value(ard, "Drug", "TEAE", "", "n", "SEVERE") == 1
    assert value(ard, "Drug", "TEAE", "", "n", "MODERATE") == 1
    assert value(ard, "Drug", "TEAE", "", "n", "MILD") == 0
    # the levels of every row add up to its any-severity n
    n = ard[ard["stat_name"] == "n"]
    by_level = n[n["param"] != ""].groupby(["group_level", "variable", "variable_level"])["stat"]
    anyn = n[n["param"] == ""].set_index(["group_level", "variable", "variable_level"])["stat"]
    pd.testing.assert_series_equal(
        by_level.sum().sort_index(), anyn.sort_index(), check_names=False
    )


def test_unknown_severity_is_an_error():
    ev = events()
    ev.loc[0, "AESEV"] = "LIFE THREATENING"
    with pytest.raises(ValueError, match="LIFE THREATENING"):
        ard_ae_max_severity(
            subjects(),
            ev,
            "ARM",
            ARMS,
            "AESEV",
            ["MILD", "MODERATE", "SEVERE"],
            "TEAE",
            "AEBODSYS",
            "AEDECOD",
            "TRT01A",
        )
