"""The Markdown-subset parser: headings to sections, placeholders, bullets, notes, in-text
tables, inline emphasis and links, escaping of values from the data."""

import pytest

from csrgen.document.model import Contents, Paragraph, Run, Section, Table
from csrgen.document.narrative import NarrativeError, md_escape, parse_inline, parse_narrative


def test_headings_nest_and_number():
    blocks = parse_narrative(
        "# 9 Investigational Plan\n\nIntro.\n\n## 9.1 Design\n\nText.\n\n"
        "### 9.1.1 Detail\n\n## 9.2 Choice\n\n# Synopsis {anchor=sec-syn}\n"
    )
    assert [type(b) for b in blocks] == [Section, Section]
    nine, syn = blocks
    assert (nine.number, nine.title, nine.anchor) == ("9", "Investigational Plan", "sec-9")
    assert nine.blocks[0] == Paragraph((Run("Intro."),))
    design, choice = nine.blocks[1:]
    assert (design.heading, design.anchor) == ("9.1 Design", "sec-9-1")
    assert design.blocks[1].heading == "9.1.1 Detail"
    assert choice.heading == "9.2 Choice"
    assert (syn.number, syn.title, syn.anchor) == ("", "Synopsis", "sec-syn")


def test_paragraph_lines_join_and_blank_line_splits():
    blocks = parse_narrative("one\ntwo\n\nthree\n")
    assert [b.text for b in blocks] == ["one two", "three"]


def test_placeholder_bullets_note_and_toc():
    blocks = parse_narrative(
        "[Medical writer: describe *this*.]\n\nList:\n- first\n  - nested\n- second\n\n"
        "> small print\n\n[TOC]\n\n[TOC Listing]\n"
    )
    placeholder, text, b1, b2, b3, note, toc, lot = blocks
    assert placeholder.style == "placeholder"
    assert placeholder.runs == (  # brackets kept as the visible marker; emphasis works
        Run("[Medical writer: describe "),
        Run("this", italic=True),
        Run(".]"),
    )
    assert text.text == "List:"  # a list interrupts the paragraph
    assert [(b.style, b.level, b.text) for b in (b1, b2, b3)] == [
        ("bullet", 0, "first"),
        ("bullet", 1, "nested"),
        ("bullet", 0, "second"),
    ]
    assert note == Paragraph((Run("small print"),), style="note")
    assert toc == Contents("sections") and lot == Contents("Listing")


def test_inline_emphasis_links_and_escapes():
    runs = parse_inline(r"a **bold** and *it* [Table 14.1.1](#t_demog) \*star\* end")
    assert runs == (
        Run("a "),
        Run("bold", bold=True),
        Run(" and "),
        Run("it", italic=True),
        Run(" "),
        Run("Table 14.1.1", link="#t_demog"),
        Run(" *star* end"),
    )
    assert parse_inline("**unclosed") == (Run("**unclosed"),)


@pytest.mark.parametrize(
    "value",
    [
        "<script>alert(1)</script>",
        "*not italic* **nor bold**",
        "[not a link](#x)",
        "- not a bullet | nor a cell",
        "# not a heading",
        "[Medical writer: not a placeholder]",
        "back\\slash ~tilde `code` > quote",
    ],
)
def test_escaped_values_come_back_verbatim(value):
    blocks = parse_narrative(md_escape(value) + "\n")
    assert blocks == (Paragraph((Run(value),)),)
    table = parse_narrative("| a | b |\n|---|---|\n| " + md_escape(value) + " | x |\n")[0]
    assert table.rows[0].cells[0].text == value


def test_pipe_table_with_title_alignment_groups_and_indent():
    (table,) = parse_narrative(
        "Table: Summary of survival\n"
        "| Arm | N<br>(all) | HR |\n"
        "|:--|--:|:-:|\n"
        "| **Group** | | |\n"
        "| ~Control | 111 | Reference |\n"
        "| ~~[UC-MSC](#t_os) | 108 | 0.52 |\n"
    )
    assert isinstance(table, Table)
    assert (table.number, table.title, table.caption) == (
        "",
        "Summary of survival",
        "Summary of survival",
    )
    assert [c.label for c in table.columns] == ["Arm", "N\n(all)", "HR"]
    assert [c.align for c in table.columns] == ["left", "right", "center"]
    group, control, msc = table.rows
    assert group.kind == "group" and group.cells[0].bold
    assert (control.cells[0].text, control.cells[0].indent) == ("Control", 1)
    assert (msc.cells[0].text, msc.cells[0].indent, msc.cells[0].link) == ("UC-MSC", 2, "#t_os")


def test_ragged_table_row_is_an_error_naming_the_line():
    with pytest.raises(
        NarrativeError, match=r"synopsis: line 3: table row has 1 cells, the header 2"
    ):
        parse_narrative("| a | b |\n|---|---|\n| only |\n", source="synopsis")
