"""ard_occurrences (and the hierarchy count it shares with the AE tables) on frames small
enough to count by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from csrgen.analyses.occurrences import PATH_SEP, ard_occurrences
from csrgen.analyses.safety import ard_ae_hierarchy, ard_hierarchy
from csrgen.ard import check_ard, stat_lookup

SUBJECTS = pd.DataFrame({"USUBJID": ["a", "b", "c", "d"], "ARM": ["X", "Y", "Y", "Y"]})
RECORDS = pd.DataFrame(
    [
        # subject, arm, class, name
        ("a", "X", "C03", "FUROSEMIDE"),
        ("a", "X", "C03", "FUROSEMIDE"),  # the same medication twice: counted once
        ("b", "Y", "C03", "SPIRONOLACTONE"),
        ("b", "Y", "H02", "PREDNISONE"),  # one medication in two classes
        ("b", "Y", "A07", "PREDNISONE"),
        ("c", "Y", "H02", "PREDNISONE"),
    ],
    columns=["USUBJID", "ARM", "CLASS", "NAME"],
)


def _n(ard, arm, variable, level="", param="", stat="n"):
    return stat_lookup(
        ard,
        group_level=arm,
        variable=variable,
        variable_level=level,
        param=param,
        stat_name=stat,
    )


def test_counts_by_hand():
    ard = ard_occurrences(SUBJECTS, RECORDS, "ARM", ["X", "Y"], "ANY", ["CLASS", "NAME"], "TRTA")
    assert check_ard(ard) == []
    assert set(ard["method"]) == {"count"}
    assert (_n(ard, "X", "", stat="N"), _n(ard, "Y", "", stat="N")) == (1, 3)
    assert (_n(ard, "X", "ANY"), _n(ard, "Y", "ANY"), _n(ard, "Total", "ANY")) == (1, 2, 3)
    assert _n(ard, "X", "CLASS", "C03") == 1 and _n(ard, "Y", "CLASS", "C03") == 1
    assert _n(ard, "X", "CLASS", "H02") == 0  # an arm without records: 0, not missing
    assert _n(ard, "X", "NAME", "FUROSEMIDE", "C03") == 1
    assert _n(ard, "X", "NAME", "FUROSEMIDE", "C03", stat="n_records") == 2
    assert _n(ard, "Y", "NAME", "PREDNISONE", "H02") == 2  # b and c
    assert _n(ard, "Y", "NAME", "PREDNISONE", "A07") == 1  # b, under its second class
    assert _n(ard, "Y", "ANY", stat="n_records") == 4
    assert _n(ard, "Y", "NAME", "PREDNISONE", "H02", stat="pct") == pytest.approx(200 / 3)


def test_three_levels_and_listed_top_levels():
    records = pd.DataFrame(
        [
            ("a", "X", "MINOR", "VISITS", "MISSED"),
            ("b", "Y", "MINOR", "VISITS", "MISSED"),
            ("b", "Y", "OTHER", "VISITS", "MISSED"),  # a value not listed: after the listed
        ],
        columns=["USUBJID", "ARM", "IMP", "CAT", "TERM"],
    )
    levels = ["IMP", "CAT", "TERM"]
    ard = ard_occurrences(
        SUBJECTS, records, "ARM", ["X", "Y"], "ANY", levels, "TRTP", top_levels=["MAJOR", "MINOR"]
    )
    assert check_ard(ard) == []
    assert _n(ard, "Total", "IMP", "MAJOR") == 0  # listed, no record: a row of zeros
    tops = ard.loc[(ard["variable"] == "IMP") & (ard["stat_name"] == "n"), "variable_level"]
    assert list(dict.fromkeys(tops)) == ["MAJOR", "MINOR", "OTHER"]
    assert _n(ard, "Y", "TERM", "MISSED", PATH_SEP.join(["MINOR", "VISITS"])) == 1
    assert _n(ard, "Y", "TERM", "MISSED", "OTHER | VISITS") == 1
    assert _n(ard, "Y", "CAT", "VISITS", "MINOR") == 1


def test_no_records_and_empty_arm():
    empty = RECORDS.head(0)
    subjects = SUBJECTS[SUBJECTS["ARM"] == "Y"]
    ard = ard_occurrences(subjects, empty, "ARM", ["X", "Y"], "ANY", ["CLASS", "NAME"], "TRTA")
    assert check_ard(ard) == []
    assert _n(ard, "Y", "ANY") == 0 and _n(ard, "X", "", stat="N") == 0
    assert math.isnan(_n(ard, "X", "ANY", stat="pct"))  # N = 0: not estimable
    assert set(ard["variable"]) == {"", "ANY"}


def test_ae_hierarchy_is_the_shared_count_without_nested_keys():
    """The AE SOC/PT table keeps its ARD: PT rows have an empty param."""
    events = RECORDS.rename(columns={"CLASS": "AEBODSYS", "NAME": "AEDECOD"})
    events = events[events["AEBODSYS"] != "A07"]  # one SOC per PT, as MedDRA codes it
    args = (SUBJECTS, events, "ARM", ["X", "Y"], "TEAE")
    ae = ard_ae_hierarchy(*args, "AEBODSYS", "AEDECOD", "TRTA")
    shared = ard_hierarchy(*args, ["AEBODSYS", "AEDECOD"], "TRTA")
    pd.testing.assert_frame_equal(ae, shared)
    assert set(ae.loc[ae["variable"] == "AEDECOD", "param"]) == {""}
