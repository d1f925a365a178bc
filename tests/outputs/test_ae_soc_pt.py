"""TEAEs by SOC and PT (t_ae_soc_pt and its variants): counts against pandas and Fisher p
against scipy on the CDISC pilot, layout of the table, and the DOCX/HTML it becomes."""

from __future__ import annotations

import pytest
from docx import Document as open_docx
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from scipy.stats import fisher_exact

from csrgen.ard import check_ard
from csrgen.document.model import Document, ListingFilter, Section
from csrgen.resources import template_dirs
from csrgen.writers.docx import write_docx
from csrgen.writers.html import render_html
from tests.outputs.test_ae_overview import (
    AE_ROWS,
    pilot_prep,
    pilot_result,
    pilot_teae,
    run,
    stat,
    tiny_adae,
    tiny_ae_study,
)

ARMS = ["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"]


def _check_counts_against_pandas(ard, records, big_n, fisher: bool):
    """Every SOC and PT row of ``ard`` (and no other) against pandas on ``records``."""
    for var in ("AEBODSYS", "AEDECOD"):
        grouped = records.groupby([var, "TRT01A"])["USUBJID"]
        n, events = grouped.nunique(), grouped.size()
        expected_rows = set(records[var])
        assert set(ard.loc[ard["variable"] == var, "variable_level"]) == expected_rows
        for value in expected_rows:
            for arm in ARMS:
                want = int(n.get((value, arm), 0))  # an arm without events: 0, not missing
                assert stat(ard, arm, var, "n", value) == want, (value, arm)
                assert stat(ard, arm, var, "n_records", value) == int(events.get((value, arm), 0))
                assert stat(ard, arm, var, "pct", value) == pytest.approx(100 * want / big_n[arm])
                if fisher and arm != "Placebo":
                    ref = int(n.get((value, "Placebo"), 0))
                    table = [[want, big_n[arm] - want], [ref, big_n["Placebo"] - ref]]
                    p = stat(ard, arm, var, "p_value", value)
                    assert p == pytest.approx(fisher_exact(table).pvalue, rel=1e-12)
            total = records.loc[records[var] == value, "USUBJID"].nunique()
            assert stat(ard, "Total", var, "n", value) == total


def test_pilot_teae_by_soc_pt_against_pandas():
    teae, big_n = pilot_teae()
    ard = pilot_result("t_ae_soc_pt").ard
    assert check_ard(ard) == []
    assert ard.loc[ard["stat_name"] == "pct", "stat"].max() <= 100
    assert (ard["variable"] == "AEBODSYS").any() and teae["AEBODSYS"].nunique() == 23
    _check_counts_against_pandas(ard, teae, big_n, fisher=True)
    for arm in ARMS:
        assert stat(ard, arm, "", "N") == big_n[arm]
        assert stat(ard, arm, "TEAE", "n") == teae.loc[teae["TRT01A"] == arm, "USUBJID"].nunique()


def test_pilot_serious_teae_against_pandas():
    teae, big_n = pilot_teae()
    serious = teae[teae["AESER"] == "Y"]
    ard = pilot_result("t_ae_ser").ard
    assert check_ard(ard) == []
    _check_counts_against_pandas(ard, serious, big_n, fisher=True)
    assert stat(ard, "Placebo", "TEAE_SERIOUS", "n") == 0


def test_pilot_soc_pt_table_layout():
    (table,) = pilot_result("t_ae_soc_pt").blocks
    teae, big_n = pilot_teae()
    assert table.landscape  # 4 arm columns + 2 p-value columns
    assert [c.label for c in table.columns[1:]] == [
        "Placebo\n(N=86)",
        "Xanomeline Low Dose\n(N=84)",
        "Xanomeline High Dose\n(N=84)",
        "Total\n(N=254)",
        "Xanomeline Low Dose\nvs Placebo",
        "Xanomeline High Dose\nvs Placebo",
    ]
    assert [(s.label, s.first, s.last) for s in table.spanners] == [
        ("Fisher's exact p-value", 5, 6)
    ]
    first, *rest = table.rows
    assert first.cells[0].text == "Subjects with any TEAE" and first.cells[0].bold
    socs = [r for r in rest if r.kind == "group"]
    pts = [r for r in rest if r.kind == "data"]
    assert len(socs) == 23 and len(pts) == teae["AEDECOD"].nunique()
    assert all(r.cells[0].bold and r.cells[0].indent == 0 for r in socs)
    assert all(r.cells[0].indent == 1 and not r.cells[0].bold for r in pts)
    # each PT leads to its treatment-emergent records in the AE listing (exact term, all arms)
    assert all(
        (r.cells[0].link, r.cells[0].filter)
        == ("#l_ae", ListingFilter.of("t_ae_soc_pt", AEDECOD=r.cells[0].text, te="Y"))
        for r in pts
    )
    assert all(c.text for r in table.rows for c in r.cells)  # no empty cell anywhere

    # SOCs by descending subjects (all arms), then name; PTs the same within each SOC
    soc_n = teae.groupby("AEBODSYS")["USUBJID"].nunique()
    shown = [r.cells[0].text for r in socs]
    assert shown == sorted(soc_n.index, key=lambda s: (-soc_n[s], s))
    pt_n = teae.groupby("AEDECOD")["USUBJID"].nunique()
    block = []
    for row in rest:
        if row.kind == "group":
            assert block == sorted(block, key=lambda p: (-pt_n[p], p))
            block = []
        else:
            block.append(row.cells[0].text)
    # APPLICATION SITE PRURITUS: Placebo 6 of 86 subjects with 10 events
    (pruritus,) = [r for r in pts if r.cells[0].text == "APPLICATION SITE PRURITUS"]
    n = teae[(teae["AEDECOD"] == "APPLICATION SITE PRURITUS") & (teae["TRT01A"] == "Placebo")]
    assert (n["USUBJID"].nunique(), len(n)) == (6, 10)
    assert pruritus.cells[1].text == "6\u00a0(7.0)\u00a0[10]"
    # ... and links to exactly those records: arm, exact term, treatment-emergent
    assert (pruritus.cells[1].link, pruritus.cells[1].filter) == (
        "#l_ae",
        ListingFilter.of(
            "t_ae_soc_pt", TRT01A="Placebo", te="Y", AEDECOD="APPLICATION SITE PRURITUS"
        ),
    )
    assert pruritus.cells[5].filter is None  # a p-value links nowhere


def test_pilot_severity_table():
    teae, big_n = pilot_teae()
    result = pilot_result("t_ae_sev")
    ard = result.ard
    assert check_ard(ard) == []
    order = {"MILD": 0, "MODERATE": 1, "SEVERE": 2}
    worst = (
        teae.assign(rank=teae["AESEV"].map(order))
        .groupby(["AEDECOD", "USUBJID", "TRT01A"])["rank"]
        .max()
        .reset_index()
    )
    counts = worst.groupby(["AEDECOD", "TRT01A", "rank"]).size()
    for pt in teae["AEDECOD"].unique():
        for arm in ARMS:
            for level, rank in order.items():
                want = int(counts.get((pt, arm, rank), 0))
                assert stat(ard, arm, "AEDECOD", "n", pt, param=level) == want, (pt, arm, level)
    (table,) = result.blocks
    # study file: no Total for this table -> 3 arms x 3 levels under arm spanners
    assert [s.label for s in table.spanners] == [
        "Placebo (N=86)",
        "Xanomeline Low Dose (N=84)",
        "Xanomeline High Dose (N=84)",
    ]
    assert [c.label for c in table.columns[1:4]] == ["Mild", "Moderate", "Severe"]
    assert "p_value" not in set(ard["stat_name"])


def test_tiny_soc_pt_and_no_serious_row(tmp_path):
    rows = [r[:4] + ("N",) + r[5:] for r in AE_ROWS]  # nobody serious
    study = tiny_ae_study(tmp_path, adae=tiny_adae(rows), sort="alphabetical")
    (table,) = run(study, "t_ae_soc_pt").blocks
    labels = [(r.cells[0].text, r.kind) for r in table.rows]
    assert labels == [
        ("Subjects with any TEAE", "data"),
        ("GEN", "group"),
        ("FATIGUE", "data"),
        ("GI", "group"),
        ("NAUSEA", "data"),
        ("NERV", "group"),
        ("DIZZINESS", "data"),
        ("HEADACHE", "data"),
    ]
    # HEADACHE: T-01 twice, T-03 once -> 2 of 4 Drug subjects, 3 events; Placebo none
    headache = [r for r in table.rows if r.cells[0].text == "HEADACHE"][0]
    assert [c.text for c in headache.cells[1:]] == [
        "0\u00a0[0]",
        "2\u00a0(50.0)\u00a0[3]",
        "2\u00a0(28.6)\u00a0[3]",
    ]

    result = run(study, "t_ae_ser")
    (table,) = result.blocks
    assert not table.null_reason  # the population exists: header and a "none" row
    assert [c.label for c in table.columns[1:]] == ["Placebo\n(N=3)", "Drug\n(N=4)", "Total\n(N=7)"]
    assert [[c.text for c in r.cells] for r in table.rows] == [
        ["Subjects with any serious TEAE", "0\u00a0[0]", "0\u00a0[0]", "0\u00a0[0]"],
        ["No serious treatment-emergent adverse events reported", "", "", ""],
    ]
    assert stat(result.ard, "Drug", "TEAE_SERIOUS", "n") == 0


def test_tiny_frequency_sort_and_severity(tmp_path):
    study = tiny_ae_study(tmp_path)
    (table,) = run(study, "t_ae_soc_pt").blocks
    # NERV: T-01, T-03 (Drug), T-06 (Placebo) = 3 subjects; GI 2; GEN 1
    assert [r.cells[0].text for r in table.rows if r.kind == "group"] == ["NERV", "GI", "GEN"]
    result = run(study, "t_ae_sev")
    # HEADACHE in Drug: T-01 mild + severe -> severe; T-03 moderate
    assert stat(result.ard, "Drug", "AEDECOD", "n", "HEADACHE", param="SEVERE") == 1
    assert stat(result.ard, "Drug", "AEDECOD", "n", "HEADACHE", param="MODERATE") == 1
    assert stat(result.ard, "Drug", "AEDECOD", "n", "HEADACHE", param="MILD") == 0
    # DIZZINESS (T-06, blank severity) counts as SEVERE
    assert stat(result.ard, "Placebo", "AEDECOD", "n", "DIZZINESS", param="SEVERE") == 1
    (table,) = result.blocks
    assert any("blank AESEV counted as SEVERE" in note for note in table.footnotes)


def test_pilot_table_in_docx_and_html(tmp_path):
    (table,) = pilot_result("t_ae_soc_pt").blocks
    doc = Document(
        study_id="x",
        title="x",
        header=("x",),
        footer="x",
        banners=(),
        title_page=(),
        sections=(Section("14.3", "Safety Data", "sec-14-3", (table,)),),
    )
    path = tmp_path / "t.docx"
    write_docx(doc, path)
    word = open_docx(str(path))
    assert word.sections[-1].orientation == WD_ORIENT.LANDSCAPE
    (docx_table,) = word.tables[1:]  # the first table is the title page's
    header_rows = [r for r in docx_table.rows if r._tr.trPr.find(qn("w:tblHeader")) is not None]
    assert len(header_rows) == 2  # spanner row + labels, repeated on every page
    soc_row = docx_table.rows[3]
    assert soc_row.cells[0].text == "GENERAL DISORDERS AND ADMINISTRATION SITE CONDITIONS"
    assert soc_row.cells[0].paragraphs[0].paragraph_format.keep_with_next
    assert soc_row.cells[0].paragraphs[0].runs[0].bold

    html = render_html(doc, template_dirs(pilot_prep().config))
    # the anchor jumps without script; the page script filters the listing by data-filter
    query = "AEDECOD=APPLICATION SITE PRURITUS&amp;te=Y&amp;back=t_ae_soc_pt"
    link = f'<a href="#l_ae" data-filter="{query}">APPLICATION SITE PRURITUS</a>'
    assert link in html
