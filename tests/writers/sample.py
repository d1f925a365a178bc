"""A document built in code with every block the writers must handle: a table with spanners,
group rows, indents and links to a listing; a landscape figure; a 2,000-row listing; a listing
kept outside the document; a null table; narrative with placeholders, bullets, links and a
hostile adverse-event term."""

from __future__ import annotations

from functools import cache

from csrgen.document.model import (
    Cell,
    Column,
    Contents,
    Document,
    Figure,
    Listing,
    ListingFilter,
    Paragraph,
    Row,
    Run,
    Section,
    Spanner,
    Table,
    null_table,
)

HOSTILE = "<script>alert('x')</script> & \"Headache\""
LISTING_ROWS = 2000
TITLES = {
    "t_ae": "Table 14.3.1 Adverse Events by Preferred Term",
    "t_null": "Table 14.3.2 Deaths",
    "f_km": "Figure 14.2.1 Kaplan-Meier Plot of Overall Survival",
    "l_ae": "Listing 16.2.7 Adverse Events",
    "l_big": "Listing 16.2.8 Laboratory Values",
}


@cache
def figure_images() -> tuple[str, bytes]:
    import numpy as np

    from csrgen.outputs.km_plot import Curve, draw_survival_figure

    curves = [
        Curve(arm, np.array([1.0, 2.0, 3.0]), np.array(v), np.array([False, True, False]), 1.0)
        for arm, v in (("Placebo", [0.9, 0.7, 0.6]), ("Drug", [0.95, 0.85, 0.8]))
    ]
    risk = [("Placebo", ["4", "3", "2", "1"]), ("Drug", ["4", "4", "3", "2"])]
    return draw_survival_figure(
        "f_km", curves, risk, [0.0, 1.0, 2.0, 3.0], "Months", "Survival", [], 9.0, 4.5, 1.0
    )


def pt_filter(term: str) -> ListingFilter:
    return ListingFilter.of("t_ae", AEDECOD=term, te="Y")


def ae_table() -> Table:
    columns = (
        Column("System organ class\n  Preferred term", align="left", width=2.5, key="stub"),
        Column("Placebo\n(N=4)", key="Placebo"),
        Column("Drug\n(N=4)", key="Drug"),
        Column("p-value", width=0.8, key="p"),
    )
    rows = (
        Row(
            (
                Cell("Any adverse event", bold=True),
                Cell("3 (75.0)"),
                Cell("2 (50.0)"),
                Cell("1.000"),
            )
        ),
        Row((Cell("Nervous system disorders"), Cell("2 (50.0)"), Cell("1 (25.0)"), Cell(""))),
        Row(
            (
                Cell(HOSTILE, indent=1, link="#l_ae", filter=pt_filter(HOSTILE)),
                Cell("1 (25.0)"),
                Cell("1 (25.0)"),
                Cell(""),
            )
        ),
        Row(
            (
                Cell("Dizziness", indent=1, link="#l_ae", filter=pt_filter("Dizziness")),
                Cell(
                    "1 (25.0)",
                    link="#l_ae",
                    filter=ListingFilter.of("t_ae", ARM="Placebo", AEDECOD="Dizziness", te="Y"),
                ),
                Cell("0"),
                Cell(""),
            )
        ),
    )
    return Table(
        id="t_ae",
        number="Table 14.3.1",
        title="Adverse Events by Preferred Term",
        population="Population: Safety population (N=8)",
        columns=columns,
        rows=rows,
        spanners=(Spanner("Treatment arm", 1, 2),),
        footnotes=("Subjects are counted once per term.", "PT = preferred term."),
        source="Source: adae.csv; output t_ae; data lock L-1 (2024-01-31).",
    )


def ae_listing() -> Listing:
    columns = (
        Column("Subject", align="left", key="USUBJID"),
        Column("Arm", align="left", key="ARM"),
        Column("Preferred term", align="left", width=2, key="AEDECOD"),
        Column("Study day", align="right", key="ASTDY"),
    )
    terms = [HOSTILE, "Dizziness", "Nausea"]
    rows = tuple(
        Row(
            (
                Cell(f"T-{i:02d}"),
                Cell("Drug" if i % 2 else "Placebo"),
                Cell(terms[i % 3]),
                Cell(str(i * 3)),
            ),
            anchor=f"l_ae-r{i}",
            facts=("N" if i == 1 else "Y",),
        )
        for i in range(1, 7)
    )
    return Listing(
        id="l_ae",
        number="Listing 16.2.7",
        title="Adverse Events",
        population="Population: Safety population (N=8)",
        columns=columns,
        rows=rows,
        source="Source: adae.csv; output l_ae.",
        facts=(Column("Treatment-emergent", key="te"),),
    )


def big_listing(n: int = LISTING_ROWS) -> Listing:
    names = ["Subject", "Arm", "Parameter", "Visit", "Value", "Unit", "Low", "High", "Flag"]
    columns = tuple(
        Column(name, align="right" if name in ("Value", "Low", "High") else "left", key=name)
        for name in names
    )
    rows = tuple(
        Row(
            (
                Cell(f"S-{i // 7:04d}"),
                Cell("Drug" if i % 2 else "Placebo"),
                Cell("Albumin"),
                Cell(f"Week {i % 7 * 4}"),
                Cell(f"{30 + i % 11}.{i % 10}"),
                Cell("g/L"),
                Cell("35"),
                Cell("52"),
                Cell("L" if i % 11 < 5 else ""),
            )
        )
        for i in range(n)
    )
    return Listing(
        id="l_big",
        number="Listing 16.2.8",
        title="Laboratory Values",
        population="Population: Safety population (N=8)",
        columns=columns,
        rows=rows,
        source="Source: adlb.csv; output l_big.",
    )


def sample_document(listing_rows: int = LISTING_ROWS, synthetic: bool = True) -> Document:
    svg, png = figure_images()
    figure = Figure(
        id="f_km",
        number="Figure 14.2.1",
        title="Kaplan-Meier Plot of Overall Survival",
        population="Population: Intent-to-treat population (N=8)",
        svg=svg,
        png=png,
        width_in=9.0,
        height_in=4.5,
        alt="Kaplan-Meier curves of overall survival by arm",
        footnotes=("Tick marks show censored observations.",),
        source="Source: adtte.csv; output f_km.",
        landscape=True,
    )
    external = Listing(
        id="l_ext",
        number="Listing 16.2.9",
        title="All Laboratory Records",
        population="Population: Safety population (N=8)",
        columns=(Column("Subject", align="left"),),
        rows=(),
        external=("l_ext.csv", "l_ext.xlsx"),
        total_rows=123456,
    )
    narrative = (
        Section(
            "",
            "Synopsis",
            "sec-synopsis",
            (
                Paragraph(
                    (
                        Run("Bold", bold=True),
                        Run(" and a link to "),
                        Run("Table 14.3.1", link="#t_ae"),
                        Run("."),
                    )
                ),
                Paragraph.of("[Medical writer: summarise.]", "placeholder"),
                Paragraph.of(f"Most common term: {HOSTILE}"),
                Paragraph.of("first point", "bullet"),
                Paragraph.of("second point", "bullet"),
            ),
        ),
        Section("", "Table of Contents", "sec-contents", (Contents("sections"),)),
        Section("", "List of Tables", "sec-list-table", (Contents("Table"),)),
        Section("", "List of Figures", "sec-list-figure", (Contents("Figure"),)),
        Section("", "List of Listings", "sec-list-listing", (Contents("Listing"),)),
        Section(
            "12",
            "Safety Evaluation",
            "sec-12",
            (Section("12.1", "Adverse Events", "sec-12-1", (Paragraph.of("Text."),)),),
        ),
    )
    outputs = (
        Section(
            "14",
            "Tables, Figures and Graphs Referred to but not Included in the Text",
            "sec-14",
            (
                Section("14.2", "Efficacy Data", "sec-14-2", (figure,)),
                Section(
                    "14.3",
                    "Safety Data",
                    "sec-14-3",
                    (
                        ae_table(),
                        null_table(
                            "t_null",
                            "Table 14.3.2",
                            "Deaths",
                            "Population: Safety population (N=0)",
                        ),
                    ),
                ),
            ),
        ),
        Section(
            "16",
            "Appendices",
            "sec-16",
            (
                Section(
                    "16.2",
                    "Patient Data Listings",
                    "sec-16-2",
                    (ae_listing(), big_listing(listing_rows), external),
                ),
            ),
        ),
    )
    return Document(
        study_id="tiny",
        title="A tiny study",
        header=("tiny", "Protocol TINY-01", "CONFIDENTIAL", "DRAFT"),
        footer="tiny Clinical Study Report | data lock L-1 (2024-01-31) | csrgen test",
        banners=("SYNTHETIC DATA",) if synthetic else (),
        title_page=(("Study identifier", "tiny"), ("Document status", "DRAFT")),
        sections=narrative + outputs,
        meta={"sponsor": "csrgen tests", "lock_date": "2024-01-31"},
    )
