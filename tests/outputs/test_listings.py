"""Section 16.2 listings on both studies: row counts equal the source records (counted here with
pandas), sort order, anchors, the external-file rule, and "No data to report" when empty."""

from functools import cache

import numpy as np
import pandas as pd
import pytest

from csrgen.ard import stat_lookup
from csrgen.datasets import ARM, StudyData
from csrgen.document.model import Listing
from csrgen.lock import LockInfo
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import get_module, run_output
from csrgen.outputs.listing_common import ListingColumn, cell_text, column_text
from csrgen.report import prepare_study
from tests.studies import PILOT_STUDY, SEED_STUDY

STUDIES = {"seed": SEED_STUDY, "pilot": PILOT_STUDY}


@cache
def prepared(name):
    return prepare_study(STUDIES[name])


def context(name, output_id, data=None):
    prep = prepared(name)
    spec = prep.config.output(output_id)
    return OutputContext(
        prep.config, spec, prep.options[spec.id], data or prep.data, LockInfo("L", "", {})
    )


@cache
def listing(name, output_id) -> Listing:
    (block,) = run_output(context(name, output_id)).blocks
    assert isinstance(block, Listing)
    return block


@cache
def frame(name, output_id) -> pd.DataFrame:
    """The sorted rows the listing prints (its pre-processing result)."""
    ctx = context(name, output_id)
    return get_module(ctx.spec.slug).prepare(ctx)


def cell_rows(block: Listing) -> list[tuple[str, ...]]:
    """The listing's rows as cell texts, whether printed (rows) or external (column data)."""
    return list(zip(*(c.texts().tolist() for c in block.text_columns()), strict=True))


def saf(name):
    adsl = prepared(name).data["adsl"]
    return adsl.loc[adsl.SAFFL == "Y", "USUBJID"]


def expected_rows(name, output_id) -> int:
    """Source records the listing must show, counted independently."""
    data = prepared(name).data
    adsl, adae = data["adsl"], data["adae"]
    in_saf = adae.USUBJID.isin(saf(name))
    if output_id == "l_ae":
        return int(in_saf.sum())
    if output_id == "l_sae":
        return int((in_saf & (adae.AESER == "Y")).sum())
    if output_id == "l_deaths":
        return int(((adsl.SAFFL == "Y") & (adsl.DTHFL == "Y")).sum())
    if output_id == "l_disc":
        n = int((adsl.EOSSTT == "DISCONTINUED").sum())
        return n + (int((adsl.EOTSTT == "DISCONTINUED").sum()) if "EOTSTT" in adsl else 0)
    if output_id == "l_lab_abn":
        lab = data["adlb"]
        lab = lab.loc[lab.USUBJID.isin(saf(name))]
        if name == "pilot":  # reference range from AVAL, A1LO, A1HI; EOT copies not listed
            lab = lab.loc[~lab.PARAMCD.str.startswith("_")]
            return int(((lab.AVAL < lab.A1LO) | (lab.AVAL > lab.A1HI)).sum())
        return int(lab.ANRIND.isin(["LOW", "HIGH"]).sum())
    raise KeyError(output_id)


CASES = [
    (study, oid)
    for study in STUDIES
    for oid in ("l_ae", "l_sae", "l_deaths", "l_disc", "l_lab_abn")
]


@pytest.mark.parametrize(("study", "output_id"), CASES)
def test_rows_equal_source_records(study, output_id):
    block = listing(study, output_id)
    n = expected_rows(study, output_id)
    assert n > 0
    assert len(cell_rows(block)) == n == block.total_rows  # every row kept, also when external
    # a listing too long for the HTML keeps its texts column by column, not as rows of cells;
    # one with files keeps its columns (with their typed values) for them
    too_long = n > prepared(study).config.document.html_listing_max_rows
    assert len(block.rows) == (0 if too_long else n)
    assert len(block.data) == (len(block.columns) if block.external else 0)
    ard = run_output(context(study, output_id)).ard
    assert stat_lookup(ard, group_level="Total", variable="LISTED", stat_name="n_records") == n


@pytest.mark.parametrize(("study", "output_id"), CASES)
def test_external_files_exactly_when_over_the_limit(study, output_id):
    block = listing(study, output_id)
    settings = prepared(study).config.document
    if block.total_rows > settings.listing_xlsx_max_rows:
        assert block.external == (f"{output_id}.csv",)
    elif block.total_rows > settings.listing_max_rows:
        assert block.external == (f"{output_id}.csv", f"{output_id}.xlsx")
    else:
        assert block.external == ()
    assert block.landscape


@pytest.mark.parametrize(("study", "output_id"), CASES)
def test_sorted_by_arm_subject_then_date(study, output_id):
    rows = frame(study, output_id)
    date = {"l_ae": "ASTDT", "l_sae": "ASTDT", "l_deaths": "DTHDT", "l_lab_abn": "ADT"}.get(
        output_id
    )
    arms = prepared(study).config.arms.levels
    arm_pos = rows[ARM].map({a: i for i, a in enumerate(arms)}).to_numpy()
    assert (np.diff(arm_pos) >= 0).all()
    for _, part in rows.groupby(arm_pos):
        subjects = part["USUBJID"].tolist()
        assert subjects == sorted(subjects)
        if date:
            for _, one in part.groupby("USUBJID"):
                days = one[date].to_numpy(dtype="datetime64[ns]")
                seen = days[~np.isnat(days)]
                assert (np.diff(seen) >= np.timedelta64(0)).all()
                # missing dates come last within the subject
                assert not np.isnat(days[: len(seen)]).any()
    block = listing(study, output_id)
    assert [r[0] for r in cell_rows(block)] == rows["USUBJID"].tolist()
    assert [r[1] for r in cell_rows(block)] == rows[ARM].astype(str).tolist()


@pytest.mark.parametrize("study", STUDIES)
def test_ae_listing_rows_have_unique_anchors_and_the_pt(study):
    block = listing(study, "l_ae")
    assert block.id == "l_ae"
    # every row the HTML shows has an anchor (the pilot's l_ae: files beside the DOCX, rows
    # in the HTML); a listing too long for the HTML has no rows
    anchors = [r.anchor for r in block.rows]
    html_max = prepared(study).config.document.html_listing_max_rows
    assert len(anchors) == (0 if block.total_rows > html_max else block.total_rows)
    assert study != "pilot" or (block.external and anchors)
    assert all(a.startswith("l_ae-") for a in anchors)
    assert len(set(anchors)) == len(anchors)
    keys = [c.key for c in block.columns]
    adae = prepared(study).data["adae"]
    adae = adae.loc[adae.USUBJID.isin(saf(study))]
    for var in ("AEBODSYS", "AEDECOD"):  # SOC and PT each in a column of its own
        listed = sorted(r[keys.index(var)] for r in cell_rows(block))
        coded = adae[var].fillna("").str.strip().replace("", "UNCODED")  # as the tables count
        assert listed == sorted(coded)


def test_seed_ae_listing_duration_and_days_as_recorded():
    block = listing("seed", "l_ae")
    keys = [c.key for c in block.columns]
    days, dur = keys.index("ASTDY+AENDY"), keys.index("ADURN")
    adae = prepared("seed").data["adae"]
    ongoing = int(adae.AENDY.isna().sum())
    assert ongoing > 0
    # An open-ended event keeps its start day and an empty end ("12/"), no duration.
    open_rows = [r for r in cell_rows(block) if r[days].endswith("/")]
    assert len(open_rows) == ongoing
    assert all(r[dur] == "" for r in open_rows)


def test_empty_listing_says_no_data_to_report():
    prep = prepared("pilot")
    frames = dict(prep.data.frames)
    frames["adae"] = frames["adae"].head(0)  # subjects, but no adverse event at all
    data = StudyData(frames, prep.data.files, prep.data.labels)
    (block,) = run_output(context("pilot", "l_sae", data)).blocks
    assert isinstance(block, Listing)
    assert block.null_reason == "No data to report"
    assert block.population.endswith("(N=254)")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (39.33, "39.33"),  # as recorded, never rounded
        (140.0, "140"),
        (2.27045, "2.27045"),
        (-0.0, "0"),
        (float("nan"), ""),  # a missing value is a blank cell, not "NE"
        (pd.Timestamp("2013-01-14"), "2013-01-14"),
        (pd.NaT, ""),
        ("  MILD ", "MILD"),
        (None, ""),
    ],
)
def test_listing_cell_text(value, text):
    assert cell_text(value) == text


def test_listing_numbers_with_fixed_decimals_round_half_up():
    assert cell_text(2.675, 2) == "2.68"


def per_cell_texts(frame: pd.DataFrame, col: ListingColumn) -> list[str]:
    """A column's texts printed cell by cell (what column_text computes once per value)."""
    parts = [
        [cell_text(v, col.decimals) for v in frame[var].tolist()]
        if var in frame.columns
        else [""] * len(frame)
        for var in col.vars
    ]
    if col.blanks == "keep":
        return [col.sep.join(v) if any(v) else "" for v in zip(*parts, strict=True)]
    return [col.sep.join(p for p in v if p) for v in zip(*parts, strict=True)]


def awkward_frame() -> pd.DataFrame:
    """Every kind of value and missing value a listing may meet, repeated so values recur."""
    frame = pd.DataFrame(
        {
            "F": [1.5, np.nan, 140.0, -0.0, 0.0, 2.675, 1.5, np.nan],
            "I": np.array([3, 1, 3, 0, -2, 7, 1, 3], dtype=np.int64),
            "NI": pd.array([1, None, 3, None, 1, 2, 2, 1], dtype="Int64"),
            "D": pd.to_datetime(
                ["2020-01-02", None, "2020-01-02", "2021-12-31", None, "2019-07-01", None, None]
            ),
            "S": [" MILD", "MILD", None, np.nan, "", pd.NA, pd.NaT, "SEVERE "],
            "M": [1, True, 1.0, "1", None, pd.Timestamp("2020-01-02"), "x", np.nan],
            "C": pd.Categorical(["b", "a", None, "b", "a", "a", None, "c"]),
            "B": [True, False, True, True, False, False, True, False],
        }
    )
    return pd.concat([frame, frame.iloc[::-1]], ignore_index=True)


@pytest.mark.parametrize("var", ["F", "I", "NI", "D", "S", "M", "C", "B", "ABSENT"])
@pytest.mark.parametrize("decimals", [None, 1])
def test_factorised_texts_equal_the_per_cell_texts(var, decimals):
    frame = awkward_frame()
    col = ListingColumn(label="x", vars=[var], decimals=decimals)
    assert column_text(frame, col).texts().tolist() == per_cell_texts(frame, col)


@pytest.mark.parametrize("blanks", ["keep", "drop"])
@pytest.mark.parametrize(
    "names", [["F", "S"], ["S", "D", "F"], ["S", "ABSENT", "C"], ["M", "NI", "S", "B"]]
)
def test_factorised_multi_variable_columns_join_as_per_cell(names, blanks):
    frame = awkward_frame()
    col = ListingColumn(label="x", vars=names, sep=" - ", blanks=blanks)
    column = column_text(frame, col)
    assert column.texts().tolist() == per_cell_texts(frame, col)
    assert len(column.labels) <= len(frame)  # codes re-numbered: one label per combination


def test_keep_and_drop_rules_on_blank_parts():
    frame = pd.DataFrame({"A": [12.0, np.nan, np.nan, 3.0], "B": [np.nan, 5.0, np.nan, 4.0]})
    keep = ListingColumn(label="x", vars=["A", "B"], blanks="keep")
    drop = ListingColumn(label="x", vars=["A", "B"], blanks="drop")
    assert column_text(frame, keep).texts().tolist() == ["12/", "/5", "", "3/4"]
    assert column_text(frame, drop).texts().tolist() == ["12", "5", "", "3/4"]
