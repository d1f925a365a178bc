"""Count links of the shipped studies' documents, followed in Python: every linked count selects
listing rows whose number (rows for events, distinct subjects for n) is the number printed in
the cell; the subjects selected are those an independent pandas computation on the data counts;
a count links wherever something is behind it; links to a listing the HTML does not show are
removed with a footnote. (The same links followed in Chromium: tests/writers/test_links_browser.)
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from csrgen.config import load_study
from csrgen.document.links import settle_links
from csrgen.document.model import (
    Cell,
    Column,
    Listing,
    ListingFilter,
    Row,
    Table,
    TextColumn,
    iter_blocks,
)
from csrgen.errors import ConfigError
from csrgen.outputs.catalog import requirements, resolve_options
from tests.shipped import STUDIES, shipped_document
from tests.studies import PILOT_DATA, SEED_DATA

#: Tables in which every count with something behind it must link (t_disp: the rows l_disc holds).
LINKED_MODULES = ("t_ae_overview", "t_ae_soc_pt", "t_deaths")


def blocks(name: str) -> dict[str, Table | Listing]:
    doc = shipped_document(name)
    return {
        b.id: b for b in iter_blocks(doc.sections) if isinstance(b, Table | Listing) and b.number
    }


def select(listing: Listing, rows: ListingFilter) -> list[Row]:
    """The listing rows whose fields hold exactly the filter's texts (a column by its key, else
    a hidden fact); an unknown field selects nothing."""
    columns = {c.key: i for i, c in enumerate(listing.columns)}
    facts = {f.key: i for i, f in enumerate(listing.facts)}

    def holds(row: Row, key: str, value: str) -> bool:
        if key in columns:
            return row.cells[columns[key]].text == value
        return key in facts and row.facts[facts[key]] == value

    return [r for r in listing.rows if all(holds(r, k, v) for k, v in rows.where)]


def printed(text: str) -> tuple[int | None, int | None]:
    """(n, events) as the cell prints them: "12 (11.1) [15]" -> (12, 15); "3 (2.7)" -> (3, None)."""
    flat = text.replace("\u00a0", " ")
    n = re.match(r"\s*(\d[\d,]*)", flat)
    events = re.search(r"\[(\d[\d,]*)\]", flat)
    return (
        int(n.group(1).replace(",", "")) if n else None,
        int(events.group(1).replace(",", "")) if events else None,
    )


def count_cells(table: Table):
    """(row, column index, cell) of the count columns (not the stub, not p-values)."""
    for row in table.rows:
        for i, cell in enumerate(row.cells[1:], start=1):
            if not table.columns[i].key.startswith("p:"):
                yield row, i, cell


@pytest.mark.parametrize("name", STUDIES)
def test_every_linked_count_selects_exactly_its_records(name):
    tables = blocks(name)
    checked = 0
    for table in tables.values():
        for row, _, cell in count_cells(table):
            if cell.filter is None:
                continue
            listing = tables[cell.link.removeprefix("#")]
            assert isinstance(listing, Listing) and listing.rows
            chosen = select(listing, cell.filter)
            n, events = printed(cell.text)
            assert n == len({r.cells[0].text for r in chosen}), (table.id, row.cells[0].text)
            if events is not None:
                assert events == len(chosen), (table.id, row.cells[0].text)
            assert cell.filter.back == table.id
            checked += 1
    assert checked > (1500 if name == "pilot" else 300)


@pytest.mark.parametrize("name", STUDIES)
def test_a_count_links_wherever_something_is_behind_it(name):
    config = load_study(STUDIES[name])
    tables = blocks(name)
    for spec in config.outputs:
        if spec.slug not in LINKED_MODULES:
            continue
        for row, _, cell in count_cells(tables[spec.id]):
            n, _ = printed(cell.text)
            if n is not None:
                assert (cell.filter is not None) == (n > 0), (spec.id, row.cells[0].text, cell)


@pytest.mark.parametrize("name", STUDIES)
def test_disposition_links_the_rows_the_discontinuation_listing_holds(name):
    """The discontinued-the-study row (and, in the seed, the treatment phase) and their reasons
    link; randomized, populations, completed, lost to follow-up and died do not."""
    table = blocks(name)["t_disp"]
    linked = [r.cells[0].text for r in table.rows if any(c.filter for c in r.cells[1:])]
    expected = {
        "seed": [
            "Discontinued the 48-week treatment phase",
            "Death",
            "Lost to follow-up",
            "Discontinued the study",
            "Death",
            "Lost to follow-up",
            "Withdrawal by subject",
            "Other",
        ],
        "pilot": ["Discontinued the study", "Adverse Event", "Death", "Lack of Efficacy"],
        # admiral's ADSL records no discontinuation reason: the row, and no reasons beneath
        "admiral": ["Discontinued the study"],
    }[name]
    assert linked[: len(expected)] == expected
    assert (
        "Randomized" not in linked and "Died" not in linked and "Completed the study" not in linked
    )


# -- the selected subjects against pandas on the data ---------------------------------------------
def pilot_frames():
    adsl = pd.read_sas(PILOT_DATA / "adsl.xpt", encoding="latin-1")
    adae = pd.read_sas(PILOT_DATA / "adae.xpt", encoding="latin-1")
    saf = adsl.loc[adsl["SAFFL"] == "Y", ["USUBJID", "TRT01A"]]
    return saf, adae.merge(saf, on="USUBJID")


def linked(table: Table, label: str, column: str) -> Cell:
    (row,) = [r for r in table.rows if r.cells[0].text == label]
    return row.cells[[c.key for c in table.columns].index(column)]


def chosen_subjects(name: str, cell: Cell) -> set[str]:
    listing = blocks(name)[cell.link.removeprefix("#")]
    return {r.cells[0].text for r in select(listing, cell.filter)}


def test_pilot_erythema_is_erythema_only_in_its_arm_and_treatment_emergent():
    """ERYTHEMA is not APPLICATION SITE ERYTHEMA (the old substring filter's error), nor another
    arm's, nor a non-emergent event."""
    _, ae = pilot_frames()
    table = blocks("pilot")["t_ae_soc_pt"]
    for arm in ("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"):
        mine = ae[(ae["AEDECOD"] == "ERYTHEMA") & (ae["TRT01A"] == arm) & (ae["TRTEMFL"] == "Y")]
        cell = linked(table, "ERYTHEMA", arm)
        assert chosen_subjects("pilot", cell) == set(mine.USUBJID)
        assert printed(cell.text) == (mine.USUBJID.nunique(), len(mine))
    listing = blocks("pilot")["l_ae"]
    rows = select(listing, linked(table, "ERYTHEMA", "Total").filter)
    pt = [c.key for c in listing.columns].index("AEDECOD")
    assert {r.cells[pt].text for r in rows} == {"ERYTHEMA"}


def test_pilot_maximum_severity_cells_select_the_subjects_at_that_maximum():
    _, ae = pilot_frames()
    te = ae[ae["TRTEMFL"] == "Y"].copy()
    rank = {"MILD": 0, "MODERATE": 1, "SEVERE": 2}
    te["rank"] = te.AESEV.str.strip().map(rank).fillna(2)  # blank counted as SEVERE
    table = blocks("pilot")["t_ae_sev"]
    term = "APPLICATION SITE PRURITUS"
    worst = te[te["AEDECOD"] == term].groupby(["USUBJID", "TRT01A"])["rank"].max().reset_index()
    for arm in ("Placebo", "Xanomeline High Dose"):
        for level, i in rank.items():
            expected = set(worst[(worst["TRT01A"] == arm) & (worst["rank"] == i)].USUBJID)
            cell = linked(table, term, f"{arm}:{level}")
            assert (cell.filter is not None) == bool(expected)
            if expected:
                assert chosen_subjects("pilot", cell) == expected


def test_pilot_serious_table_selects_serious_teaes():
    _, ae = pilot_frames()
    serious = ae[(ae["TRTEMFL"] == "Y") & (ae["AESER"] == "Y")]
    cell = linked(blocks("pilot")["t_ae_ser"], "Subjects with any serious TEAE", "Total")
    assert chosen_subjects("pilot", cell) == set(serious.USUBJID)


def seed_frames():
    adsl = pd.read_csv(SEED_DATA / "adsl.csv")
    adae = pd.read_csv(SEED_DATA / "adae.csv")
    return adsl, adae


def test_seed_te_column_is_the_study_day_window():
    """The seed's rule: onset on study days 1-336 from ASTDT and TRTSDT (ASTDY where undated;
    no onset day at all counts), not ADAE's TRTEMFL."""
    adsl, adae = seed_frames()
    saf = adsl.loc[adsl["SAFFL"] == "Y", ["USUBJID", "TRTSDT", "TRT01A"]]
    ae = adae.merge(saf, on="USUBJID")
    days = (pd.to_datetime(ae.ASTDT) - pd.to_datetime(ae.TRTSDT)).dt.days
    day = pd.Series(np.where(days >= 0, days + 1, days), index=ae.index).fillna(ae.ASTDY)
    ae["te"] = np.where(day.isna() | day.between(1, 336), "Y", "N")
    assert (ae.te == "Y").sum() not in (0, len(ae))
    listing = blocks("seed")["l_ae"]
    keys = [c.key for c in listing.columns]
    listed = sorted(
        (r.cells[0].text, r.cells[keys.index("AETERM")].text, r.cells[keys.index("te")].text)
        for r in listing.rows
    )
    assert listed == sorted(zip(ae.USUBJID, ae.AETERM.fillna("").str.strip(), ae.te, strict=True))
    # and the any-TEAE count of each arm selects exactly the subjects with such a record
    table = blocks("seed")["t_ae_overview"]
    for arm in ("Control", "UC-MSC"):
        cell = linked(table, "Subjects with any TEAE", arm)
        assert chosen_subjects("seed", cell) == set(
            ae[(ae.te == "Y") & (ae["TRT01A"] == arm)].USUBJID
        )


def test_seed_discontinued_for_death_against_pandas():
    adsl, _ = seed_frames()
    table = blocks("seed")["t_disp"]
    rows = list(table.rows)
    start = [r.cells[0].text for r in rows].index("Discontinued the 48-week treatment phase")
    death = rows[start + 1]
    assert death.cells[0].text == "Death"
    itt = adsl[adsl["ITTFL"] == "Y"]
    for i, arm in enumerate(("Control", "UC-MSC"), start=1):
        mine = itt[
            (itt["EOTSTT"] == "DISCONTINUED") & (itt["DCTREAS"] == "DEATH") & (itt["TRT01P"] == arm)
        ]
        assert chosen_subjects("seed", death.cells[i]) == set(mine.USUBJID)


def test_pilot_deaths_in_the_treatment_period():
    """Deaths from the fatal AE (AESDTH = Y), in the treatment period up to 30 days after the
    last dose: the listing's ONTRT = Y rows of the arm."""
    saf, ae = pilot_frames()
    adsl = pd.read_sas(PILOT_DATA / "adsl.xpt", encoding="latin-1")
    dead = adsl[(adsl["SAFFL"] == "Y") & (adsl["DTHFL"] == "Y")]
    fatal = ae[ae["AESDTH"] == "Y"].sort_values(["USUBJID", "AENDT"]).drop_duplicates("USUBJID")
    when = dead.merge(fatal[["USUBJID", "AENDT"]], on="USUBJID", how="left")
    # SAS dates (days since 1960), as pandas reads them from the transport files
    inside = (when.AENDT >= when.TRTSDT) & (when.AENDT <= when.TRTEDT + 30)
    table = blocks("pilot")["t_deaths"]
    for arm in ("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"):
        cell = linked(table, "Deaths during the treatment period", arm)
        expected = set(when[inside & (when["TRT01A"] == arm)].USUBJID)
        assert (cell.filter is not None) == bool(expected)
        if expected:
            assert chosen_subjects("pilot", cell) == expected
        cell = linked(table, "All deaths", arm)
        expected = set(dead[dead["TRT01A"] == arm].USUBJID)
        assert (cell.filter is not None) == bool(expected)
        if expected:
            assert chosen_subjects("pilot", cell) == expected
    assert len(dead) == 3  # the pilot's deaths: the loop checked some links


# -- rules ----------------------------------------------------------------------------------------
def _listing(rows: tuple[Row, ...], external: tuple[str, ...] = ()) -> Listing:
    return Listing(
        id="l_x",
        number="Listing 16.2.9",
        title="X",
        population="",
        columns=(Column("Subject", key="USUBJID"),),
        rows=rows,
        external=external,
        total_rows=3 if external else len(rows),
        data=(TextColumn.of(["a", "b", "c"]),) if external else (),
    )


def _table() -> Table:
    count = Cell("2", link="#l_x", filter=ListingFilter.of("t_x", USUBJID="a"))
    return Table(
        "t_x", "Table 14.3.9", "X", "", (Column(""), Column("A")), (Row((Cell("r"), count)),)
    )


def test_links_to_a_listing_the_html_does_not_show_are_removed_with_a_footnote():
    shown = _listing((Row((Cell("a"),)),))
    ((_, (table, _)),) = settle_links([("14.3", (_table(), shown))])
    assert table.rows[0].cells[1].filter is not None and not table.footnotes
    files = _listing((), external=("l_x.csv", "l_x.xlsx"))  # too long for the HTML: no rows
    ((_, (table, _)),) = settle_links([("14.3", (_table(), files))])
    cell = table.rows[0].cells[1]
    assert (cell.text, cell.link, cell.filter) == ("2", "", None)
    assert table.footnotes == (
        "The records behind these counts are in Listing 16.2.9, provided as l_x.csv and "
        "l_x.xlsx (too long to show in this document).",
    )


def test_an_ae_table_cannot_link_to_a_listing_that_filters_records():
    config = load_study(STUDIES["pilot"])
    outputs = [
        o.model_copy(update={"options": {**o.options, "listing": "l_sae"}})
        if o.id == "t_ae_ser"
        else o
        for o in config.outputs
    ]
    config = config.model_copy(update={"outputs": outputs})
    with pytest.raises(ConfigError, match=r"t_ae_ser: options.listing: 'l_sae' keeps only some"):
        requirements(config, resolve_options(config))


# -- a tiny study checked by hand ------------------------------------------------------------------
L_AE = """
[[outputs]]
id = "l_ae"
number = "Listing 16.2.7.1"
title = "All Adverse Events"
population = "SAF"
"""


def tiny_document(tmp_path, **document):
    from csrgen.report import assemble, prepare_study, run_outputs
    from tests.outputs.test_ae_overview import SAFETY_TOML, tiny_adae
    from tests.studies import tiny_adsl, write_tiny_study

    extra = SAFETY_TOML.format(safety_extra="", sort="frequency") + L_AE
    extra += "\n[document]\n" + "".join(f"{k} = {v}\n" for k, v in document.items())
    adae = tiny_adae().assign(
        AETERM=lambda f: f.AEDECOD.str.lower() + "-" + f.ASTDT,
        AENDT="",
        ASTDY="",
        AENDY="",
        ADURN="",
    )
    study = write_tiny_study(tmp_path, {"adsl": tiny_adsl(), "adae": adae}, extra=extra)
    prep = prepare_study(study)
    doc = assemble(prep, run_outputs(prep, jobs=1))
    return {
        b.id: b for b in iter_blocks(doc.sections) if isinstance(b, Table | Listing) and b.number
    }


def test_tiny_links_by_hand(tmp_path):
    """The tiny AE study (tests/outputs/test_ae_overview.py, window rule days 1-336): HEADACHE
    in Drug is T-01 twice (mild, severe) and T-03 once (moderate); T-04's RASH on day -7 and
    T-05's FATIGUE on day 337 are listed but not emergent; T-06's undated DIZZINESS is emergent
    with a blank severity counted as SEVERE."""
    blocks = tiny_document(tmp_path)
    listing = blocks["l_ae"]
    subjects = lambda cell: sorted(r.cells[0].text for r in select(listing, cell.filter))  # noqa: E731
    term = [c.key for c in listing.columns].index("AETERM")
    te = [c.key for c in listing.columns].index("te")
    assert {r.cells[term].text: r.cells[te].text for r in listing.rows} == {
        "headache-2020-01-01": "Y",
        "headache-2020-01-10": "Y",
        "headache-2020-01-05": "Y",
        "nausea-2020-01-20": "Y",
        "nausea-2020-01-03": "Y",
        "rash-2019-12-25": "N",
        "fatigue-2020-12-01": "Y",
        "fatigue-2020-12-02": "N",
        "dizziness-": "Y",
    }
    soc_pt = blocks["t_ae_soc_pt"]
    headache = linked(soc_pt, "HEADACHE", "Drug")
    assert headache.text.startswith("2") and headache.text.endswith("[3]")
    assert subjects(headache) == ["T-01", "T-01", "T-03"]
    assert linked(soc_pt, "HEADACHE", "Placebo").filter is None  # 0: nothing behind it
    assert subjects(linked(soc_pt, "FATIGUE", "Drug")) == ["T-05"]  # day 336 only
    assert "RASH" not in [r.cells[0].text for r in soc_pt.rows]
    severity = blocks["t_ae_sev"]
    assert subjects(linked(severity, "HEADACHE", "Drug:SEVERE")) == ["T-01", "T-01"]
    assert subjects(linked(severity, "HEADACHE", "Drug:MODERATE")) == ["T-03"]
    assert linked(severity, "HEADACHE", "Drug:MILD").filter is None  # T-01's worst is severe
    assert subjects(linked(severity, "DIZZINESS", "Placebo:SEVERE")) == ["T-06"]
    serious = blocks["t_ae_ser"]
    assert subjects(linked(serious, "NAUSEA", "Drug")) == ["T-03"]
    overview = blocks["t_ae_overview"]
    assert subjects(linked(overview, "Subjects with any TEAE leading to death", "Placebo")) == [
        "T-06"
    ]


def test_tiny_listing_too_long_for_the_html(tmp_path):
    blocks = tiny_document(tmp_path, listing_max_rows=3, html_listing_max_rows=3)
    assert not blocks["l_ae"].rows and blocks["l_ae"].external
    for oid in ("t_ae_overview", "t_ae_soc_pt", "t_ae_sev", "t_ae_ser"):
        table = blocks[oid]
        assert not any(c.link or c.filter for r in table.rows for c in r.cells)
        assert table.footnotes[-1] == (
            "The records behind these counts are in Listing 16.2.7.1, provided as l_ae.csv and "
            "l_ae.xlsx (too long to show in this document)."
        )


@pytest.mark.parametrize("name", STUDIES)
def test_every_term_link_selects_records_of_its_term(name):
    """A term's own link (AE, medication, history and deviation tables; the narrative's PT
    table) selects at least one record, each of which holds the term in its field: the field
    exists in the listing (a column, or a stacked column's part), the match is exact."""
    doc = shipped_document(name)
    tables = blocks(name)
    terms = [
        (table.id, row.cells[0])
        for table in iter_blocks(doc.sections)
        if isinstance(table, Table) and not isinstance(table, Listing)
        for row in table.rows
        if row.cells[0].filter is not None
    ]
    assert len({t for t, _ in terms}) >= {"seed": 7}.get(name, 3)
    for table_id, cell in terms:
        listing = tables[cell.link.removeprefix("#")]
        chosen = select(listing, cell.filter)
        assert chosen, (table_id, cell.text, cell.filter)


@pytest.mark.parametrize("name", STUDIES)
def test_shift_counts_with_an_abnormal_worst_category_link(name):
    """A shift count links when its subjects' worst post-baseline category is abnormal (each
    such subject has abnormal values in the listing) and never when it is Normal; the listing's
    rows reproduce the count (test_every_linked_count_selects_exactly_its_records)."""
    config = load_study(STUDIES[name])
    tables = blocks(name)
    shifts = [s.id for s in config.outputs if s.slug in ("t_lab_shift", "t_bds_shift")]
    assert shifts
    linked = 0
    for table_id in shifts:
        table = tables[table_id]
        for row, i, cell in count_cells(table):
            column = table.columns[i].key
            n, _ = printed(cell.text)
            if column in ("NORMAL", "TOTAL") or not n or row.kind == "group":
                assert cell.filter is None, (table_id, row.cells[0].text, column)
            else:
                assert cell.filter is not None, (table_id, row.cells[0].text, column)
                linked += 1
    assert linked > 20
