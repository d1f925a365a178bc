"""Words for people: endpoints said analysed or not, terms in sentence case, no variable names
as labels, singular and plural; on tiny configs and on the shipped studies' documents."""

from __future__ import annotations

import re

import pytest

from csrgen.document.assemble import build_document
from csrgen.document.model import Paragraph, Table, iter_blocks
from csrgen.formatting import fmt_term
from tests.document.tiny_ard import LOCK, tiny_ard, tiny_config
from tests.shipped import STUDIES, shipped_document


def paragraphs(doc, anchor=None) -> str:
    blocks = doc.sections
    if anchor:
        blocks = (next(b for b in iter_blocks(doc.sections) if getattr(b, "anchor", "") == anchor),)
    return " ".join(b.text for b in iter_blocks(blocks) if isinstance(b, Paragraph))


@pytest.mark.parametrize(
    ("raw", "printed"),
    [
        ("LOST TO FOLLOW-UP", "Lost to follow-up"),
        ("WITHDRAWAL BY SUBJECT", "Withdrawal by subject"),
        ("DEATH DUE TO HCC", "Death due to HCC"),  # an abbreviation stays
        ("HIV INFECTION", "HIV infection"),
        ("Adverse Event", "Adverse Event"),  # mixed case: as recorded
        ("I/E NOT MET", "I/E not met"),
        ("", ""),
    ],
)
def test_terms_in_sentence_case(raw, printed):
    assert fmt_term(raw) == printed


def endpoint_config(**extra):
    base = tiny_config()
    raw = base.model_dump(exclude={"path"})
    raw["study"].pop("endpoints_primary", None)
    raw["endpoints"] = [
        {"label": "Overall survival", "outputs": ["t_os"]},
        {"label": "ADAS-Cog at week 24", "datasets": ["adqsadas"]},
        {"label": "Adverse events", "role": "secondary", "kind": "safety"},
    ]
    raw.update(extra)
    return type(base).model_validate(raw)


def test_an_endpoint_without_its_data_says_so_wherever_it_is_named():
    doc = build_document(endpoint_config(), LOCK, [], ard=tiny_ard())
    synopsis = paragraphs(doc, "sec-synopsis")
    assert "Primary efficacy endpoint: Overall survival (Table 14.2.1)" in synopsis
    assert (
        "Primary efficacy endpoint: ADAS-Cog at week 24: not analysed (dataset ADQSADAS was not "
        "supplied)" in synopsis
    )
    assert "ADAS-Cog at week 24: not analysed (dataset ADQSADAS was not supplied)." in synopsis
    assert (
        "Secondary safety endpoint: Adverse events: not analysed (no output of this report "
        "presents it)" in synopsis
    )
    variables = paragraphs(doc, "sec-9-5")
    assert "ADAS-Cog at week 24 (efficacy): not analysed (dataset ADQSADAS" in variables
    efficacy = paragraphs(doc, "sec-11-4-1")
    assert "ADAS-Cog at week 24 (primary endpoint): not analysed" in efficacy


def test_endpoints_are_checked_against_the_outputs():
    with pytest.raises(ValueError, match=r"endpoints\[0\]\.outputs\[0\]: no output with id 't_x'"):
        endpoint_config(endpoints=[{"label": "x", "outputs": ["t_x"]}])


def test_endpoints_given_twice_is_an_error():
    base = tiny_config()
    raw = base.model_dump(exclude={"path"})
    raw["study"]["endpoints_primary"] = ["Overall survival"]
    raw["endpoints"] = [{"label": "Overall survival"}]
    with pytest.raises(ValueError, match="give the endpoints once"):
        type(base).model_validate(raw)


# -- the shipped studies ------------------------------------------------------------------------
VARIABLE = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")


@pytest.mark.e2e
@pytest.mark.parametrize("name", list(STUDIES))
def test_no_variable_name_is_a_row_or_column_label(name):
    """Labels come from the study file or ADaM labels: no stub label or column header is an
    ADaM variable name, or one title-cased ("Ittfl", "Dctreas NE")."""
    doc = shipped_document(name)
    names = {"ITTFL", "SAFFL", "EFFFL", "DCTREAS", "DCSREAS", "EOSSTT", "EOTSTT", "DTHFL", "AEACN"}
    bad = []
    for table in (b for b in iter_blocks(doc.sections) if isinstance(b, Table)):
        labels = [r.cells[0].text for r in table.rows] + [c.label for c in table.columns]
        for label in labels:
            first = label.split()[0] if label.split() else ""
            if first.upper() in names:
                bad.append((table.number or table.title, label))
    assert bad == []


@pytest.mark.e2e
def test_pilot_endpoints_are_placed_as_declared():
    doc = shipped_document("pilot")
    synopsis = paragraphs(doc, "sec-synopsis")
    assert "ADAS-Cog (11) total score at week 24: not analysed (dataset ADQSADAS" in synopsis
    assert "CIBIC+ at week 24: not analysed (dataset ADQSCIBC was not supplied)" in synopsis
    # time to first dermatologic event is a safety endpoint: in 12, not in 11
    efficacy = paragraphs(doc, "sec-11")
    safety = paragraphs(doc, "sec-12")
    assert "dermatologic" not in efficacy
    assert "Time to first dermatologic event (Table 14.3.6):" in safety
    results = synopsis[synopsis.index("Efficacy results:") : synopsis.index("Safety results:")]
    assert "dermatologic" not in results


@pytest.mark.e2e
@pytest.mark.parametrize("name", list(STUDIES))
def test_counts_take_singular_and_plural(name):
    text = paragraphs(shipped_document(name))
    assert not re.search(r"\b1 (events|patients|subjects|deaths)\b", text)
    assert "NE%" not in text


@pytest.mark.parametrize("name", ["seed", "pilot", "admiral"])
def test_kaplan_meier_curves_are_named_only_for_kaplan_meier_figures(name):
    """A forest plot or a cumulative-incidence figure of an endpoint is not its KM curves."""
    from csrgen.document.model import Figure

    doc = shipped_document(name)
    modules = {b.id: b for b in iter_blocks(doc.sections) if isinstance(b, Figure)}
    said = [
        run.link.removeprefix("#")
        for b in iter_blocks(doc.sections)
        if isinstance(b, Paragraph) and b.text.startswith("The Kaplan-Meier curves are shown in")
        for run in b.runs
        if run.link
    ]
    assert said, name
    assert all(fid in modules and fid.startswith("f_km") for fid in said), said
    assert len(said) == len(set(said))  # each figure named once
