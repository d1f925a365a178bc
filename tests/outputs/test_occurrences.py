"""Medications, medical history and protocol deviations (t_cm, t_mh, t_dv and their listings) on
a tiny study whose every count is worked out by hand in the comments.

The tiny study (tests/studies.py): TRTSDT 2020-01-01 and TRTEDT 2020-06-01 for everyone; the
safety population is T-01..T-07 (Drug: T-01, T-03, T-05, T-07, N=4; Placebo: T-02, T-04, T-06,
N=3); T-08 (Placebo) is in the intent-to-treat population only.
"""

from __future__ import annotations

import pandas as pd
import pytest

from csrgen.ard import check_ard
from csrgen.document.model import Listing, ListingFilter, Table
from csrgen.errors import DataValidationError
from csrgen.report import prepare_study
from tests.outputs.test_ae_overview import run, stat
from tests.studies import tiny_adsl, write_tiny_study

CM_COLUMNS = ["USUBJID", "CMTRT", "CMDECOD", "CMCLAS", "ASTDT", "AENDT", "PREFL", "ONTRTFL"]
CM_ROWS = [
    # started before day 1, no end: prior and concomitant
    ("T-01", "Baraclude", "ENTECAVIR", "ANTIVIRALS", "2019-06-01", "", "Y", "Y"),
    # the same medication again, prior only: T-01 is counted once in the prior ENTECAVIR row
    ("T-01", "Entecavir", "ENTECAVIR", "ANTIVIRALS", "2019-06-01", "2019-07-01", "Y", ""),
    # starts on the day of the first dose: concomitant, not prior
    ("T-03", "Lasix", "FUROSEMIDE", "DIURETICS", "2020-01-01", "2020-01-10", "", ""),
    # no start and no end date: prior (start counts as before day 1) and concomitant
    ("T-03", "Losec", "OMEPRAZOLE", "ACID", "", "", "", ""),
    # no start date, ended before day 1: prior only
    ("T-05", "Omeprazole", "OMEPRAZOLE", "ACID", "", "2019-12-31", "", ""),
    # ends on the day of the first dose: prior and concomitant
    ("T-02", "Antisterone", "SPIRONOLACTONE", "DIURETICS", "2019-12-01", "2020-01-01", "", ""),
    # starts on the last dose day (TRTEDT): concomitant
    ("T-04", "Rocephin", "CEFTRIAXONE", "ANTIBACTERIALS", "2020-06-01", "2020-06-07", "", ""),
    # starts the day after the last dose: not concomitant (unless days after TRTEDT count)
    ("T-06", "Ceftriaxone", "CEFTRIAXONE", "ANTIBACTERIALS", "2020-06-02", "2020-06-05", "", ""),
    # one medication coded to two classes (two records): counted under each class
    ("T-07", "Prednisone", "PREDNISONE", "CORTICOSTEROIDS", "2020-02-01", "2020-02-10", "", ""),
    ("T-07", "Prednisone", "PREDNISONE", "INTESTINAL", "2020-02-01", "2020-02-10", "", ""),
    # no class: counted under UNCODED
    ("T-06", "Herbal tea", "HERBAL", "", "2020-03-01", "", "", ""),
    # not in the safety population
    ("T-08", "Baraclude", "ENTECAVIR", "ANTIVIRALS", "2019-06-01", "", "Y", "Y"),
]

MH_ROWS = [
    ("T-01", "GI", "ASCITES", "2019-01-01"),
    ("T-01", "GI", "ASCITES", "2019-05-01"),  # twice: counted once
    ("T-03", "GI", "VARICES", "2018-01-01"),
    ("T-02", "NERV", "ENCEPHALOPATHY", "2019-01-01"),
    ("T-05", "", "SOMETHING", ""),  # no SOC: UNCODED
    ("T-08", "GI", "ASCITES", "2019-01-01"),  # not in the safety population
]

DV_ROWS = [
    ("T-01", "MAJOR", "ELIGIBILITY", "INCLUSION NOT MET", "2020-01-01"),
    ("T-01", "MINOR", "VISITS", "VISIT MISSED", "2020-02-01"),
    ("T-01", "MINOR", "VISITS", "VISIT MISSED", "2020-03-01"),  # twice: counted once
    ("T-02", "MINOR", "VISITS", "VISIT MISSED", "2020-02-01"),
    ("T-04", "MINOR", "VISITS", "OUT OF WINDOW", "2020-02-03"),
    # the same term as major in the same category: its own row under MAJOR
    ("T-04", "MAJOR", "VISITS", "VISIT MISSED", "2020-06-01"),
    ("T-08", "MAJOR", "ELIGIBILITY", "EXCLUSION MET", "2020-01-01"),  # ITT only
]

OCC_TOML = """
[[outputs]]
id = "t_mh"
number = "Table 14.1.4"
title = "Medical history"
population = "SAF"

[[outputs]]
id = "t_cm_prior"
module = "t_cm"
number = "Table 14.1.5"
title = "Prior medications"
population = "SAF"

[outputs.options]
subset = "prior"

[[outputs]]
id = "t_cm_con"
module = "t_cm"
number = "Table 14.1.6"
title = "Concomitant medications"
population = "SAF"

[[outputs]]
id = "t_cm_open"
module = "t_cm"
number = "Table 14.1.6.2"
title = "Concomitant medications, no upper limit"
population = "SAF"

[outputs.options]
{open}

[[outputs]]
id = "t_cm_flags"
module = "t_cm"
number = "Table 14.1.6.3"
title = "Concomitant medications by the dataset's flag"
population = "SAF"

[outputs.options]
rule = "flags"

[[outputs]]
id = "t_cm_none"
module = "t_cm"
number = "Table 14.1.6.4"
title = "Concomitant corticosteroid-free medications"
population = "SAF"

[outputs.options]
where = {{ CMCLAS = ["NO SUCH CLASS"] }}

[[outputs]]
id = "t_dv"
number = "Table 14.1.7"
title = "Protocol deviations"
population = "ITT"

[[outputs]]
id = "t_dv_none"
module = "t_dv"
number = "Table 14.1.7.2"
title = "Protocol deviations, none selected"
population = "ITT"

[outputs.options]
where = {{ DVCAT = ["NO SUCH CATEGORY"] }}

[[outputs]]
id = "l_dv"
number = "Listing 16.2.2"
title = "Protocol deviations"
population = "ITT"

[outputs.options]
columns = [{{ label = "Term", vars = ["DVSCAT", "DVDECOD"] }}]

[[outputs]]
id = "l_mh"
number = "Listing 16.2.4.1"
title = "Medical history"
population = "SAF"

[outputs.options]
columns = [{{ label = "SOC/PT", vars = ["MHBODSYS", "MHDECOD"] }}]

[[outputs]]
id = "l_cm"
number = "Listing 16.2.4.2"
title = "Medications"
population = "SAF"

[outputs.options]
columns = [
  {{ label = "Name", vars = ["CMDECOD"] }},
  {{ label = "Start", vars = ["ASTDT"] }},
  {{ label = "Prior/concomitant", vars = ["TIMING"] }},
]
"""


def tiny_frames() -> dict[str, pd.DataFrame]:
    return {
        "adsl": tiny_adsl(),
        "adcm": pd.DataFrame(CM_ROWS, columns=CM_COLUMNS),
        "admh": pd.DataFrame(MH_ROWS, columns=["USUBJID", "MHBODSYS", "MHDECOD", "ASTDT"]),
        "addv": pd.DataFrame(DV_ROWS, columns=["USUBJID", "DVSCAT", "DVCAT", "DVDECOD", "ASTDT"]),
    }


def _study(tmp_path, open_rule="upper_limit = false", frames=None):
    frames = tiny_frames() if frames is None else frames
    return write_tiny_study(tmp_path, frames, extra=OCC_TOML.format(open=open_rule))


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    folder = tmp_path_factory.mktemp("occ")
    study = _study(folder)
    prep = prepare_study(study)
    return {spec.id: run(study, spec.id) for spec in prep.config.outputs}


def n(ard, arm, variable, level="", param=""):
    return stat(ard, arm, variable, "n", level, param)


def test_concomitant_medications_by_hand(results):
    ard = results["t_cm_con"].ard
    assert check_ard(ard) == []
    assert stat(ard, "Drug", "", "N") == 4
    assert stat(ard, "Placebo", "", "N") == 3
    # Drug: T-01 (entecavir), T-03 (furosemide, omeprazole), T-07; Placebo: T-02, T-04, T-06
    assert (n(ard, "Drug", "CONMED"), n(ard, "Placebo", "CONMED")) == (3, 3)
    assert n(ard, "Total", "CONMED") == 6
    expected = {  # class: (Drug, Placebo)
        "ANTIVIRALS": (1, 0),  # T-01; T-08 is not in the safety population
        "DIURETICS": (1, 1),  # T-03 (starts on day 1), T-02 (ends on day 1)
        "ACID": (1, 0),  # T-03 (no dates)
        "ANTIBACTERIALS": (0, 1),  # T-04 (starts on TRTEDT); T-06 started the day after
        "CORTICOSTEROIDS": (1, 0),  # T-07 under both of its classes
        "INTESTINAL": (1, 0),
        "UNCODED": (0, 1),  # T-06, no class
    }
    for klass, (drug, placebo) in expected.items():
        assert (n(ard, "Drug", "CMCLAS", klass), n(ard, "Placebo", "CMCLAS", klass)) == (
            drug,
            placebo,
        ), klass
    assert n(ard, "Drug", "CMDECOD", "PREDNISONE", "CORTICOSTEROIDS") == 1
    assert n(ard, "Drug", "CMDECOD", "PREDNISONE", "INTESTINAL") == 1
    assert n(ard, "Placebo", "CMDECOD", "CEFTRIAXONE", "ANTIBACTERIALS") == 1
    assert stat(ard, "Drug", "CMDECOD", "pct", "FUROSEMIDE", "DIURETICS") == pytest.approx(25.0)
    assert set(ard.loc[ard["variable"] == "CMDECOD", "variable_level"]) == {
        "ENTECAVIR",
        "FUROSEMIDE",
        "SPIRONOLACTONE",
        "OMEPRAZOLE",
        "CEFTRIAXONE",
        "PREDNISONE",
        "HERBAL",
    }


def test_prior_medications_by_hand(results):
    ard = results["t_cm_prior"].ard
    # Drug: T-01 (entecavir twice), T-03 and T-05 (omeprazole, no start date); Placebo: T-02
    assert (n(ard, "Drug", "PRIOR_MED"), n(ard, "Placebo", "PRIOR_MED")) == (3, 1)
    assert n(ard, "Drug", "CMDECOD", "ENTECAVIR", "ANTIVIRALS") == 1
    assert stat(ard, "Drug", "CMDECOD", "n_records", "ENTECAVIR", "ANTIVIRALS") == 2
    assert n(ard, "Drug", "CMCLAS", "ACID") == 2
    assert n(ard, "Placebo", "CMCLAS", "DIURETICS") == 1
    assert "FUROSEMIDE" not in set(ard["variable_level"])  # started on day 1: not prior


def test_upper_limit_and_flags_rules(results, tmp_path):
    open_ard = results["t_cm_open"].ard  # no upper limit: T-06's ceftriaxone counts
    assert n(open_ard, "Placebo", "CMCLAS", "ANTIBACTERIALS") == 2
    one_day = run(_study(tmp_path, "days_after_treatment = 1"), "t_cm_open").ard  # TRTEDT + 1
    assert n(one_day, "Placebo", "CMCLAS", "ANTIBACTERIALS") == 2
    flags = results["t_cm_flags"].ard  # ONTRTFL = Y on T-01's first record only
    assert (n(flags, "Drug", "CONMED"), n(flags, "Placebo", "CONMED")) == (1, 0)
    (table,) = results["t_cm_flags"].blocks
    assert any("ONTRTFL = Y" in note for note in table.footnotes)


def test_concomitant_table_layout_and_rule_footnote(results):
    (table,) = results["t_cm_con"].blocks
    assert isinstance(table, Table) and not table.landscape
    assert [c.label for c in table.columns] == [
        "ATC class\n   Preferred name",
        "Placebo\n(N=3)",
        "Drug\n(N=4)",
        "Total\n(N=7)",
    ]
    stub = [(r.cells[0].text, r.cells[0].indent) for r in table.rows]
    assert stub[0] == ("Subjects with any concomitant medication", 0)
    # classes by descending subjects (all arms), then name; names indented beneath
    assert [t for t, i in stub if i == 0][1:] == [
        "DIURETICS",
        "ACID",
        "ANTIBACTERIALS",
        "ANTIVIRALS",
        "CORTICOSTEROIDS",
        "INTESTINAL",
        "UNCODED",
    ]
    assert stub[1:4] == [("DIURETICS", 0), ("FUROSEMIDE", 1), ("SPIRONOLACTONE", 1)]
    assert table.rows[1].kind == "group" and table.rows[1].cells[0].bold
    # the name leads to its records in the medication listing: the name's own field, exact
    assert (table.rows[2].cells[0].link, table.rows[2].cells[0].filter) == (
        "#l_cm",
        ListingFilter.of("t_cm_con", CMDECOD="FUROSEMIDE"),
    )
    cells = [c.text.replace("\xa0", " ") for c in table.rows[0].cells[1:]]  # no-break spaces
    assert cells == ["3 (100)", "3 (75.0)", "6 (85.7)"]
    notes = " ".join(table.footnotes)
    assert "ASTDT on or before TRTEDT" in notes and "A missing start date counts" in notes
    assert "of the 11 records of the population, 2 have no start date and 3 no end date" in notes


def test_no_selected_medication_gives_zero_row_and_note(results):
    ard = results["t_cm_none"].ard
    assert n(ard, "Drug", "CONMED") == 0 and n(ard, "Placebo", "CONMED") == 0
    (table,) = results["t_cm_none"].blocks
    assert table.null_reason == ""
    assert [r.cells[0].text for r in table.rows] == [
        "Subjects with any concomitant medication",
        "No concomitant medications reported",
    ]
    assert any("CMCLAS in (NO SUCH CLASS)" in note for note in table.footnotes)


def test_medical_history_by_hand(results):
    ard = results["t_mh"].ard
    assert check_ard(ard) == []
    assert (n(ard, "Drug", "ANY_MH"), n(ard, "Placebo", "ANY_MH")) == (3, 1)
    assert (n(ard, "Drug", "MHBODSYS", "GI"), n(ard, "Placebo", "MHBODSYS", "GI")) == (2, 0)
    assert n(ard, "Drug", "MHDECOD", "ASCITES", "GI") == 1  # T-01 twice: once
    assert stat(ard, "Drug", "MHDECOD", "n_records", "ASCITES", "GI") == 2
    assert n(ard, "Placebo", "MHDECOD", "ENCEPHALOPATHY", "NERV") == 1
    assert n(ard, "Drug", "MHBODSYS", "UNCODED") == 1
    assert n(ard, "Total", "MHDECOD", "ASCITES", "GI") == 1  # T-08 is not in SAF


def test_deviations_by_hand(results):
    ard = results["t_dv"].ard  # ITT: Placebo T-02, T-04, T-06, T-08 (N=4)
    assert check_ard(ard) == []
    assert stat(ard, "Placebo", "", "N") == 4
    assert (n(ard, "Drug", "ANY_DV"), n(ard, "Placebo", "ANY_DV")) == (1, 3)
    assert (n(ard, "Drug", "DVSCAT", "MAJOR"), n(ard, "Placebo", "DVSCAT", "MAJOR")) == (1, 2)
    assert (n(ard, "Drug", "DVSCAT", "MINOR"), n(ard, "Placebo", "DVSCAT", "MINOR")) == (1, 2)
    assert n(ard, "Drug", "DVDECOD", "VISIT MISSED", "MINOR | VISITS") == 1  # twice: once
    assert n(ard, "Placebo", "DVDECOD", "VISIT MISSED", "MINOR | VISITS") == 1
    assert n(ard, "Placebo", "DVDECOD", "VISIT MISSED", "MAJOR | VISITS") == 1
    assert n(ard, "Placebo", "DVCAT", "ELIGIBILITY", "MAJOR") == 1  # T-08
    (table,) = results["t_dv"].blocks
    stub = [(r.cells[0].text, r.cells[0].indent) for r in table.rows]
    assert stub == [
        ("Subjects with any protocol deviation", 0),
        ("Major deviations", 0),
        ("ELIGIBILITY", 1),
        ("EXCLUSION MET", 2),
        ("INCLUSION NOT MET", 2),
        ("VISITS", 1),
        ("VISIT MISSED", 2),
        ("Minor deviations", 0),
        ("VISITS", 1),
        ("VISIT MISSED", 2),
        ("OUT OF WINDOW", 2),
    ]


def test_deviation_importance_rows_shown_without_deviations(results):
    ard = results["t_dv_none"].ard
    assert n(ard, "Drug", "DVSCAT", "MAJOR") == 0 and n(ard, "Placebo", "DVSCAT", "MINOR") == 0
    (table,) = results["t_dv_none"].blocks
    assert [r.cells[0].text for r in table.rows] == [
        "Subjects with any protocol deviation",
        "Major deviations",
        "Minor deviations",
    ]
    assert [c.text for c in table.rows[1].cells[1:]] == ["0", "0", "0"]


def test_listings_hold_the_source_records(results):
    dv = results["l_dv"]
    (listing,) = dv.blocks
    assert isinstance(listing, Listing)
    # every ADDV record of the ITT population, sorted by arm (Placebo first), subject, date
    subjects = [r.cells[0].text for r in listing.rows]
    assert subjects == ["T-02", "T-04", "T-04", "T-08", "T-01", "T-01", "T-01"]
    assert stat(dv.ard, "Placebo", "LISTED", "n_records") == 4
    assert stat(dv.ard, "Drug", "LISTED", "n") == 1
    (mh,) = results["l_mh"].blocks
    assert [r.cells[2].text for r in mh.rows] == [
        "NERV/ENCEPHALOPATHY",
        "GI/ASCITES",
        "GI/ASCITES",
        "GI/VARICES",
        "SOMETHING",
    ]
    (cm,) = results["l_cm"].blocks
    timing = {(r.cells[0].text, r.cells[2].text): r.cells[4].text for r in cm.rows}
    assert timing[("T-03", "FUROSEMIDE")] == "Concomitant"
    assert timing[("T-03", "OMEPRAZOLE")] == "Prior, concomitant"
    assert timing[("T-05", "OMEPRAZOLE")] == "Prior"
    assert timing[("T-06", "CEFTRIAXONE")] == ""  # after the last dose: neither
    assert len(cm.rows) == 11  # every record of the safety population
    assert any("ASTDT on or before TRTEDT" in note for note in cm.footnotes)


def test_missing_variable_is_a_validation_error(tmp_path):
    frames = tiny_frames()
    frames["adcm"] = frames["adcm"].drop(columns=["CMCLAS"])
    study = _study(tmp_path, frames=frames)
    with pytest.raises(DataValidationError) as err:
        prepare_study(study)
    assert "CMCLAS" in str(err.value) and "adcm.csv" in str(err.value)
