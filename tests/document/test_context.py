"""Narrative templates on a tiny hand-written ARD: every sentence checked against numbers
rounded by hand (half-up) from the ARD rows in tiny_ard.py."""

import math

import pytest

from csrgen.document.assemble import build_document
from csrgen.document.context import (
    ArdView,
    narrative_environment,
    render_narrative,
    template_context,
)
from csrgen.document.model import (
    Cell,
    Column,
    Listing,
    ListingFilter,
    Paragraph,
    Row,
    Table,
    iter_blocks,
)
from csrgen.errors import ConfigError
from csrgen.resources import PROJECT_TEMPLATES
from tests.document.tiny_ard import HOSTILE_PT, LOCK, tiny_ard, tiny_config


def texts(doc):
    blocks = doc.sections if hasattr(doc, "sections") else doc.blocks
    return [b.text for b in iter_blocks(blocks) if isinstance(b, Paragraph)]


def section(doc, anchor):
    for b in iter_blocks(doc.sections):
        if getattr(b, "anchor", None) == anchor:
            return b
    raise AssertionError(anchor)


@pytest.fixture(scope="module")
def doc():
    return build_document(tiny_config(), LOCK, [], ard=tiny_ard())


def test_ard_view_lookups():
    ard = ArdView(tiny_ard())
    assert (
        ard.value("t_os", "hr", group_level="UC-MSC", variable="cox", variable_level="unadjusted")
        == 0.5234
    )
    assert (
        ard.value(
            "t_os",
            "hr",
            group_level="UC-MSC",
            variable="cox",
            variable_level="unadjusted",
            timepoint="12-75",
        )
        == 0.40
    )
    # a statistic that is absent is an error unless the template says what to print instead
    with pytest.raises(LookupError, match="no row of 't_os'"):
        ard.value("t_os", "hr", group_level="Control", variable="cox")
    assert math.isnan(
        ard.value("t_os", "hr", group_level="Control", variable="cox", missing=math.nan)
    )
    assert ard.value("t_missing", "N", missing=None) is None
    with pytest.raises(LookupError, match="unknown stat_name 'hr_lc'"):
        ard.value("t_os", "hr_lc", group_level="UC-MSC", variable="cox")
    # printed as the table prints it: the row's own format
    w = dict(group_level="UC-MSC", variable="cox", variable_level="unadjusted")
    assert ard.est_ci("t_os", "hr", **w) == "0.52 (0.31, 0.87)"
    assert ard.text("t_os", "p_value", **w) == "0.012"
    assert ard.has("t_os") and not ard.has("t_missing")
    assert ard.levels("t_os", "timepoint", variable="logrank") == ["0-12", "12-75"]
    # most frequent first by the largest percentage in any arm; Rash (1.8%) below 5%
    assert ard.frequent("t_ae_soc_pt", "AEDECOD", min_pct=5, groups=["Control", "UC-MSC"]) == [
        "Ascites",
        HOSTILE_PT,
    ]
    with pytest.raises(LookupError, match="matches 3 rows"):
        ard.value("t_os", "p_value", variable="logrank", timepoint=None)


def test_synopsis_numbers(doc):
    synopsis = " ".join(texts(section(doc, "sec-synopsis")))
    assert "The data of this report are synthetic." in synopsis
    assert "Intent-to-treat population: Control (N=111) and UC-MSC (N=108)." in synopsis
    # t_os: Control 40 events / 111, median not reached (NE), lower limit 50.25 -> 50.3 (half-up)
    assert (
        "Control 40 events in 111 patients (median not reached; 95% CI of the median (50.3, NE) "
        "months);" in synopsis
    )
    assert "UC-MSC 25 events in 108 patients (median not reached)." in synopsis
    # HR 0.5234 (0.3149, 0.8701), Wald p 0.01234; log-rank p 0.0004
    assert (
        "Hazard ratio (95% CI) UC-MSC versus Control: 0.52 (0.31, 0.87); p=0.012 (Cox model, Wald test)."  # noqa: E501
        in synopsis
    )
    assert "Log-rank test across arms: p<0.001." in synopsis
    # windows: p 0.9449 -> 0.945; 0.0025 -> 0.003 (half-up); log-rank 0.0012 -> 0.001
    assert (
        "Landmark analyses (Table 14.2.1): in the window 0-12 months, the hazard ratio (95% CI) UC-MSC versus Control was 1.02 (0.60, 1.70); p=0.945; log-rank p=0.800;"  # noqa: E501
        in synopsis
    )
    assert (
        "window 12-75 months, the hazard ratio (95% CI) UC-MSC versus Control was 0.40 (0.22, 0.73); p=0.003; log-rank p=0.001."  # noqa: E501
        in synopsis
    )
    # labs at the last visit (Week 48): 2.04 -> 2.0, 5.15 -> 5.2, 3.11 (1.95, 4.27) -> 3.1 (2.0, 4.3)  # noqa: E501
    assert (
        "Serum albumin: at Week 48 the least-squares mean change from baseline was 2.0 g/L (Control), 5.2 g/L (UC-MSC); difference (95% CI) UC-MSC - Control 3.1 (2.0, 4.3), p<0.001 (Table 14.2.2)."  # noqa: E501
        in synopsis
    )
    # AEs: 60 (54.5454 -> 54.5), 70 (64.8148 -> 64.8); serious 0 printed alone
    assert (
        "Patients with at least one treatment-emergent adverse event: Control 60 (54.5%) and UC-MSC 70 (64.8%)."  # noqa: E501
        in synopsis
    )
    assert "Serious: Control 0 and UC-MSC 2 (1.9%)." in synopsis
    assert (
        "Deaths during the study: Control 20 (18.2%) and UC-MSC 12 (11.1%) (Table 14.3.3)."
        in synopsis
    )
    assert "Date of the report: 2024-01-31 (data-lock date)." in synopsis


def test_in_text_tables(doc):
    tables = {b.title: b for b in iter_blocks(doc.sections) if isinstance(b, Table)}
    os_table = tables["Summary of Overall survival (Intent-to-treat population; see Table 14.2.1)"]
    assert [[c.text for c in r.cells] for r in os_table.rows] == [
        ["Control", "111", "40 (36.0)", "NE (50.3, NE)", "Reference", ""],
        ["UC-MSC", "108", "25 (23.1)", "NE", "0.52 (0.31, 0.87)", "0.012"],
    ]
    pts = next(
        t
        for title, t in tables.items()
        if title.startswith("Treatment-emergent adverse events reported by at least 5%")
    )
    # ordered by the largest arm percentage: Ascites 18.2% (20/110) before the hostile term 13.0% (14/108)  # noqa: E501
    assert [[c.text for c in r.cells] for r in pts.rows] == [
        ["Ascites", "20 (18.2)", "15 (13.9)"],
        [HOSTILE_PT, "0", "14 (13.0)"],
    ]
    # no listing block known to show rows: the term links to the listing as a whole
    assert (pts.rows[1].cells[0].link, pts.rows[1].cells[0].filter) == ("#l_ae", None)


def _listing(rows: int) -> Listing:
    cells = (Cell("S-1"), Cell(HOSTILE_PT))
    return Listing(
        id="l_ae",
        number="Listing 16.2.7.1",
        title="All Adverse Events",
        population="",
        columns=(Column("Subject", key="USUBJID"), Column("Preferred term", key="AEDECOD")),
        rows=tuple(Row(cells, facts=("Y",)) for _ in range(rows)),
        facts=(Column("TE", key="te"),),
    )


def _pt_cell(doc):
    (pts,) = [
        b
        for b in iter_blocks(doc.sections)
        if isinstance(b, Table) and b.title.startswith("Treatment-emergent adverse events")
    ]
    return pts.rows[1].cells[0]


def test_in_text_pt_links_select_the_pt_s_treatment_emergent_records():
    """The in-text table's term selects exactly its TE records in the AE listing (all arms):
    the PT column equal to the term (not a substring) and te = Y, as the AE tables count."""
    config, ard = tiny_config(), tiny_ard()
    doc = build_document(config, LOCK, [], ard=ard, output_blocks={"l_ae": (_listing(2),)})
    cell = _pt_cell(doc)
    assert cell.link == "#l_ae"
    assert cell.filter == ListingFilter((("AEDECOD", HOSTILE_PT), ("te", "Y")))
    # a listing the HTML does not show (too long: no rows): the link jumps to it, no filter
    doc = build_document(config, LOCK, [], ard=ard, output_blocks={"l_ae": (_listing(0),)})
    assert (_pt_cell(doc).link, _pt_cell(doc).filter) == ("#l_ae", None)


def test_study_without_survival_labs_or_safety_still_renders():
    config = tiny_config(
        outputs=[
            {
                "id": "t_demog",
                "number": "Table 14.1.1",
                "title": "Demographics",
                "population": "ITT",
            }
        ]
    )
    doc = build_document(config, LOCK, [], ard=None)
    body = " ".join(texts(doc))
    assert "Hazard ratio" not in body and "Serum albumin" not in body
    placeholders = [
        b.text
        for b in iter_blocks(doc.sections)
        if isinstance(b, Paragraph) and b.style == "placeholder"
    ]
    assert (
        "[Medical writer: summarise the safety results (adverse events, deaths).]" in placeholders
    )
    numbered = [s.number for s in doc.sections if s.number]
    assert numbered == ["5", "6", "7", "8", "9", "10", "11", "12", "13"]


def test_raw_float_in_a_template_is_refused(tmp_path):
    (tmp_path / "narrative").mkdir()
    (tmp_path / "narrative" / "bad.md.j2").write_text(
        "{{ ard.value('t_os', 'n_event', group_level='Control') }}"
    )
    env = narrative_environment([tmp_path, PROJECT_TEMPLATES])
    with pytest.raises(ConfigError, match="narrative/bad.md.j2: a raw number .* fmt function"):
        render_narrative(env, "bad", template_context(tiny_config(), LOCK, tiny_ard()))


def test_sponsor_template_replaces_a_section_without_code(tmp_path):
    own = tmp_path / "sponsor" / "narrative"
    own.mkdir(parents=True)
    (own / "07_introduction.md.j2").write_text(
        "# 7 Introduction\n\nOur own words for {{ study.id }}.\n"
    )
    config = tiny_config(templates="sponsor").model_copy(update={"path": tmp_path / "tiny.toml"})
    doc = build_document(config, LOCK, [], ard=tiny_ard())
    intro = section(doc, "sec-7")
    assert [b.text for b in intro.blocks] == ["Our own words for tiny."]
    assert section(doc, "sec-9").title == "Investigational Plan"  # others from the project
