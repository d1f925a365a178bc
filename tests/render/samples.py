"""Small documents for the rendered-document checks: a good one, and the same made broken.

``checked_document()`` holds what the checks look at: a lab table with stacked multi-line
cells and a mostly empty p-value column, a long table with groups over pages, a listing,
narrative that quotes the lab table's numbers and links to it, a table of contents and a list
of tables, and probes (filler text, then a table) that put tables at every height of a page.
"""

from __future__ import annotations

from csrgen.document.model import (
    Cell,
    Column,
    Contents,
    Document,
    Listing,
    Paragraph,
    Row,
    Run,
    Section,
    Spanner,
    Table,
)

STACK = "n\nMean (SD)\nMedian\nQ1, Q3\nMin, Max"


def lab_table() -> Table:
    """Table 14.2.1: visits as group rows, five statistics stacked in one cell per arm, a
    difference with its CI and a p-value in a column that is mostly empty."""
    columns = (
        Column("Albumin (g/L)", align="left", width=2.0),
        Column("Placebo\n(N=86)"),
        Column("Xanomeline High Dose\n(N=84)"),
        Column("Difference (95% CI)"),
        Column("p-value", width=0.8),
    )
    rows = []
    for week, shift in (("Baseline", 0), ("Week 24", 1), ("Week 48", 2)):
        rows.append(Row((Cell(week, bold=True), Cell(""), Cell(""), Cell(""), Cell("")), "group"))
        rows.append(
            Row(
                (
                    Cell(STACK, indent=1),
                    Cell(f"86\n140.3 (2.74)\n140.0\n139.0, 142.0\n13{shift}, 147"),
                    Cell(f"84\n139.6 (2.47)\n139.0\n138.0, 141.0\n12{shift}, 149"),
                    Cell("" if not shift else "3.90 (2.73, 5.07)\n\n\n\n-11.0 (-16.0, -6.0)"),
                    Cell("" if shift < 2 else "<0.001"),
                )
            )
        )
    return Table(
        id="t_lab",
        number="Table 14.2.1",
        title="Albumin by Visit",
        population="Population: Safety population (N=170)",
        columns=columns,
        rows=tuple(rows),
        spanners=(Spanner("Treatment arm", 1, 2),),
        footnotes=("N = number of subjects; n = subjects with a value at the visit.",),
        source="Source: adlb.xpt; output t_lab.",
    )


def long_table(number: str = "Table 14.3.1", id: str = "t_ae", groups: int = 12) -> Table:
    """System organ classes (group rows with counts) and four terms each: two pages and more."""
    columns = (
        Column("System organ class\n   Preferred term", align="left", width=3.0),
        Column("Placebo\n(N=86)"),
        Column("Xanomeline Low Dose\n(N=84)"),
        Column("Total\n(N=170)"),
    )
    rows = []
    for g in range(groups):
        rows.append(
            Row(
                (
                    Cell(f"Organ class {g + 1} disorders", bold=True),
                    Cell(f"{g + 4} (4.7) [{g + 9}]"),
                    Cell(f"{g + 2} (2.4) [{g + 3}]"),
                    Cell(f"{2 * g + 6} (3.5) [{3 * g + 12}]"),
                ),
                "group",
            )
        )
        for t in range(4):
            rows.append(
                Row(
                    (
                        Cell(f"Term {g + 1}.{t + 1} of a long name", indent=1),
                        Cell(f"{t} ({t + 0.5:.1f}) [{t + 1}]"),
                        Cell(f"{t + 1} (1.2) [{t + 2}]"),
                        Cell(f"{2 * t + 1} (0.6) [{t + 3}]"),
                    )
                )
            )
    return Table(
        id=id,
        number=number,
        title="Adverse Events by System Organ Class and Preferred Term",
        population="Population: Safety population (N=170)",
        columns=columns,
        rows=tuple(rows),
        footnotes=("n (%) [E]: subjects with the event (percentage) [number of events].",),
        source=f"Source: adae.xpt; output {id}.",
    )


def listing() -> Listing:
    columns = (
        Column("Subject", align="left"),
        Column("Preferred term", align="left", width=2.0),
        Column("Study day", align="right"),
    )
    rows = tuple(
        Row((Cell(f"01-701-10{i:02d}"), Cell("APPLICATION SITE ERYTHEMA"), Cell(str(3 * i))))
        for i in range(1, 9)
    )
    return Listing(
        id="l_ae",
        number="Listing 16.2.7",
        title="Adverse Events",
        population="Population: Safety population (N=170)",
        columns=columns,
        rows=rows,
        source="Source: adae.xpt; output l_ae.",
    )


def narrative(quote: str = "3.90 (2.73, 5.07)", link: str = "#t_lab") -> tuple[Paragraph, ...]:
    return (
        Paragraph(
            (
                Run("Albumin at week 48 ("),
                Run("Table 14.2.1", link=link),
                Run(f"): difference {quote}, p<0.001; median 140.0 in both arms."),
            )
        ),
        Paragraph.of("Adverse events are listed in Listing 16.2.7 for 8 subjects."),
    )


def probes(n: int = 6) -> tuple[Section, ...]:
    """Sections that each start a page (after a landscape listing) with more filler lines than
    the last, then a table of twenty rows: tables start at every height of a page."""
    out = []
    for k in range(n):
        filler = tuple(
            Paragraph.of(f"Filler line {i + 1} of probe {k + 1}.") for i in range(18 + 3 * k)
        )
        table = long_table(f"Table 14.3.{k + 2}", f"t_probe{k + 1}", groups=4)
        out.append(
            Section(
                f"14.4.{k + 1}",
                f"Probe {k + 1}",
                f"sec-probe-{k + 1}",
                (listing_page(k), *filler, table),
            )
        )
    return tuple(out)


def listing_page(k: int) -> Listing:
    base = listing()
    return Listing(
        id=f"l_probe{k + 1}",
        number=f"Listing 16.2.{k + 8}",
        title=f"Page Turner {k + 1}",
        population=base.population,
        columns=base.columns,
        rows=base.rows[:2],
        source=base.source,
    )


def checked_document(paragraphs: tuple[Paragraph, ...] | None = None, n_probes: int = 6):
    sections = (
        Section("", "Table of Contents", "sec-contents", (Contents("sections"),)),
        Section("", "List of Tables", "sec-list-table", (Contents("Table"),)),
        Section(
            "11",
            "Efficacy Evaluation",
            "sec-11",
            (Section("11.4", "Efficacy Results", "sec-11-4", paragraphs or narrative()),),
        ),
        Section(
            "14",
            "Tables",
            "sec-14",
            (
                Section("14.2", "Efficacy Data", "sec-14-2", (lab_table(),)),
                Section("14.3", "Safety Data", "sec-14-3", (long_table(),)),
                *probes(n_probes),
            ),
        ),
        Section("16", "Appendices", "sec-16", (listing(),)),
    )
    return Document(
        study_id="check",
        title="A document to check",
        header=("check", "Protocol CHECK-01", "CONFIDENTIAL"),
        footer="check Clinical Study Report",
        banners=(),
        title_page=(("Study identifier", "check"),),
        sections=sections,
        paper="Letter",
        meta={"lock_date": "2024-01-31"},
    )
