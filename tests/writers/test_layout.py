"""Table layout: printed widths, column widths from content, orientation and type size, rows
kept together. Widths are checked against Arial's advance widths (Adobe's Helvetica AFM, which
Arial and Liberation Sans share for ASCII), summed by hand."""

from __future__ import annotations

import pytest

from csrgen.document.model import Cell, Column, Listing, Row, Table
from csrgen.writers import layout as lay

LETTER = lay.text_area("Letter")  # 6.5 x 9 inches of text


def table(columns, rows, number="Table 14.1.1", **kw) -> Table:
    return Table(
        id="t",
        number=number,
        title="T",
        population="",
        columns=tuple(columns),
        rows=tuple(Row(tuple(Cell(c) if isinstance(c, str) else c for c in r)) for r in rows),
        **kw,
    )


def arms(n: int, value: str = "74 (66.7) [135]") -> Table:
    columns = [Column("", align="left", width=2.5)] + [
        Column(f"Xanomeline Dose {i}\n(N=84)") for i in range(n)
    ]
    rows = [["Subjects with any TEAE"] + [value] * n, ["Pruritus"] + ["6 (7.0) [10]"] * n]
    return table(columns, rows)


def test_text_width_from_the_fonts_advance_widths():
    # Helvetica-Bold: P 667 l 278 a 556 c 556 e 556 b 611 o 611 (1/1000 em)
    assert lay.text_width("Placebo", 10, bold=True) == pytest.approx(38.35, abs=0.01)
    # Helvetica: P 667 l 222 a 556 c 500 e 556 b 556 o 556
    assert lay.text_width("Placebo", 9) == pytest.approx(3613 * 9 / 1000, abs=0.01)
    # the widest line of a multi-line text; a no-break space is as wide as a space
    assert lay.text_width("n\nMean (SD)", 9) == lay.text_width("Mean (SD)", 9)
    assert lay.text_width("74\u00a0(66.7)", 9) == lay.text_width("74 (66.7)", 9)
    # Arial's micro sign is wider than Helvetica's (1180/2048 em); unknown characters 1 em
    assert lay.text_width("\u00b5", 10) == pytest.approx(5.762, abs=0.001)
    assert lay.text_width("\u4e2d", 10) == 10


def test_wrap_breaks_at_spaces_only():
    room = lay.text_width("Log-rank test stratified by Child-", 9)
    lines = lay.wrap("Log-rank test stratified by Child-Pugh class", room, 9)
    assert lines == ["Log-rank test stratified by", "Child-Pugh class"]
    assert lay.wrap("RECOVERED/RESOLVED", 10, 9) == ["RECOVERED/RESOLVED"]  # whole, too wide


def test_number_columns_never_narrower_than_their_longest_cell():
    t = arms(4)
    widths = lay.fit_widths(t, LETTER.width, lay.TABLE_SCALES[0])
    for i in range(1, 5):
        room = widths[i] - 2 * lay.TABLE_SCALES[0].margin
        assert room >= lay.text_width("74 (66.7) [135]", 9) * lay.SLACK + lay.SLACK_PT
        assert room >= lay.text_width("Xanomeline", 9, bold=True)  # header words whole
    assert sum(widths) == pytest.approx(LETTER.width)


def test_mostly_empty_column_gets_only_what_it_needs():
    columns = [Column("", align="left", width=2.8), Column("Placebo"), Column("Across arms")]
    rows = [[f"{m} months", f"{80 - m}.0 (70.1, 88.2)", ""] for m in range(12, 84, 12)]
    rows.append(["p-value", "", "0.021"])
    t = table(columns, rows)
    needs = lay.column_needs(t, 9)
    assert needs[2].sparse and not needs[1].sparse
    widths = lay.fit_widths(t, LETTER.width, lay.TABLE_SCALES[0])
    pad = 2 * lay.TABLE_SCALES[0].margin
    # "Across" (bold) is its widest word; the header wraps rather than take the spare width
    assert widths[2] == pytest.approx(needs[2].low + pad + lay.AIR * 9)
    assert lay.text_width("Across", 9, True) < widths[2] - pad < lay.text_width("Across arms", 9)


def test_portrait_then_landscape_then_smaller_type():
    # "74 (66.7) [135]" is 6504/1000 em: 58.5 pt at 9 pt, 65.9 pt with slack and padding, so
    # six arms and the stub fit the 468 pt of a portrait Letter page, seven do not
    assert lay.text_width("74 (66.7) [135]", 9) == pytest.approx(6.504 * 9, abs=0.01)
    assert lay.plan(arms(6), LETTER).landscape is False
    plans = {n: lay.plan(arms(n), LETTER) for n in (7, 9, 10, 11, 12)}
    assert [(p.landscape, p.scale.size) for p in plans.values()] == [
        (True, 9),
        (True, 9),
        (True, 8),
        (True, 7),
        (True, 7),
    ]
    assert plans[11].scale.margin < plans[10].scale.margin < plans[9].scale.margin
    assert sum(plans[12].widths) == pytest.approx(LETTER.height)  # landscape: the page's height


def test_a_table_that_cannot_fit_is_an_error_not_broken_numbers():
    with pytest.raises(lay.LayoutError) as err:
        lay.plan(arms(13), LETTER)
    message = str(err.value)
    assert message.startswith("Table 14.1.1 T: 14 columns need ")
    assert "at 7 pt type, a landscape page has 648 pt" in message


def test_in_text_tables_stay_portrait_and_listings_landscape():
    in_text = lay.plan(table(arms(6).columns, [], number=""), LETTER)
    assert in_text.landscape is False
    listing = Listing(
        id="l",
        number="Listing 16.2.1",
        title="L",
        population="",
        columns=(Column("Subject", align="left"),),
        rows=(Row((Cell("01-701-1015"),)),),
    )
    assert lay.orientations(listing) == (True,)
    assert lay.plan(listing, LETTER).scale.size == 8


def test_spanner_words_fit_over_their_columns():
    from csrgen.document.model import Spanner

    t = table(
        [Column("", align="left"), Column("A"), Column("B")],
        [["x", "1", "2"]],
        spanners=(Spanner("Fisher's exact p-value", 1, 2),),
    )
    needs = lay.column_needs(t, 9)
    assert needs[1].low + needs[2].low >= lay.text_width("Fisher's", 9, True)
    assert needs[1].high + needs[2].high >= lay.text_width("Fisher's exact p-value", 9, True)


def grouped(n_groups: int, per_group: int, notes: bool = True) -> Table:
    rows = []
    for g in range(n_groups):
        rows.append(Row((Cell(f"Group {g}"), Cell("")), "group"))
        rows += [Row((Cell(f"row {g}.{i}"), Cell("1"))) for i in range(per_group)]
    return Table(
        id="t",
        number="Table 14.1.1",
        title="T",
        population="",
        columns=(Column("", align="left"), Column("A")),
        rows=tuple(rows),
        footnotes=("A note.",) if notes else (),
    )


def test_a_table_that_fits_a_page_is_kept_whole():
    t = grouped(3, 2)
    assert lay.keep_with_next(t, whole=True) == [True] * 9
    assert lay.keep_with_next(grouped(3, 2, notes=False), whole=True) == [True] * 8 + [False]


def test_a_long_table_keeps_its_ends_and_its_short_groups_whole():
    t = grouped(3, 5)  # rows 0, 6, 12 are group rows, each with five rows
    keep = lay.keep_with_next(t, whole=False)
    kept = [i for i, k in enumerate(keep) if k]
    # a visit with its five statistics is never split: each group's rows stay with the next,
    # the last row of a group may end a page; the table's last two rows with the notes
    assert kept == [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17]


def test_a_long_group_keeps_its_heading_and_its_last_rows_together():
    t = grouped(2, 20)  # rows 0 and 21 are group rows, each with twenty rows
    keep = lay.keep_with_next(t, whole=False)
    kept = [i for i, k in enumerate(keep) if k]
    # each group with its next two rows; the last two rows of a group together; the table's
    # last row with the notes
    assert kept == [0, 1, 19, 21, 22, 40, 41]


def test_fits_page_estimate():
    page = lay.text_area("A4")
    short, long = grouped(3, 5), grouped(12, 5)
    for t, whole in ((short, True), (long, False)):
        layout = lay.plan(t, page)
        assert layout.whole is whole
