"""What changed since the previous data lock: subjects, records, new events, printed numbers.

:func:`compare` sets the new run's :class:`~csrgen.document.snapshot.Snapshot` against the
previous report's, and the ARDs against each other; :func:`with_delta` then gives the document
its appendix "Changes since data lock X", a paragraph at the head of the synopsis, and, on each
table cell whose printed text changed, the text it had (the HTML marks those cells). A cell
whose unrounded value changed but prints the same is not a change of the document; the ARD's
changed statistics are in ``delta.csv`` all the same (:func:`delta_csv`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace

import pandas as pd

from csrgen import formatting as fmt
from csrgen.document.context import plural
from csrgen.document.model import (
    Cell,
    Column,
    Document,
    Listing,
    Paragraph,
    Row,
    Run,
    Section,
    Table,
)
from csrgen.document.snapshot import (
    SEP,
    UNDETERMINED,
    Snapshot,
    cell_positions,
    records_series,
)

ANCHOR = "sec-delta"
#: Records of the appendix's record listing at most (all of them are in delta.csv).
RECORD_ROWS = 500


@dataclass(frozen=True)
class RecordChanges:
    role: str
    file: str
    key: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    columns_added: tuple[str, ...] = ()
    columns_removed: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return bool(self.added or self.removed or self.changed)


@dataclass(frozen=True)
class CellChange:
    number: str
    table_id: str
    title: str
    place: str
    #: ``None``: the cell is new (old) or gone (new).
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Delta:
    previous: Snapshot
    current: Snapshot
    #: arm -> subjects, in the arm order of the study file.
    subjects_added: dict[str, tuple[str, ...]]
    subjects_removed: dict[str, tuple[str, ...]]
    records: tuple[RecordChanges, ...]
    #: (subject, arm, date or reason or term)
    #: ``None``: the kind cannot be determined from the data (see snapshot.UNDETERMINED).
    new_deaths: tuple[tuple[str, str, str], ...] | None
    new_discontinued: tuple[tuple[str, str, str], ...] | None
    #: (ADAE key, arm, term)
    new_serious: tuple[tuple[str, str, str], ...] | None
    cells: tuple[CellChange, ...]
    #: ARD rows added, removed or changed (see :func:`csrgen.ard.diff_ard`).
    statistics: pd.DataFrame = field(compare=False, repr=False)

    @property
    def empty(self) -> bool:
        return not (
            any(self.subjects_added.values())
            or any(self.subjects_removed.values())
            or any(r.any or r.columns_added or r.columns_removed for r in self.records)
            or self.cells
            or len(self.statistics)
        )

    @property
    def previous_lock(self) -> str:
        p = self.previous
        return f"{p.lock_id} ({p.lock_date})" if p.lock_id else "an unlocked draft"


def compare(
    previous: Snapshot,
    current: Snapshot,
    arms: list[str],
    ard_old: pd.DataFrame,
    ard_new: pd.DataFrame,
) -> Delta:
    """Everything that differs between two snapshots (and their ARDs), in a stable order."""
    from csrgen.ard import diff_ard

    order = {a: i for i, a in enumerate(arms)}

    def by_arm(ids, source) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {a: [] for a in arms}
        for s in sorted(ids):
            out.setdefault(source.get(s, ""), []).append(s)
        return {a: tuple(v) for a, v in sorted(out.items(), key=lambda kv: order.get(kv[0], 99))}

    old_ids, new_ids = set(previous.arms), set(current.arms)
    records = []
    for role in sorted(set(previous.datasets) | set(current.datasets)):
        old = previous.datasets.get(role, {"records": {}, "columns": [], "key": [], "file": ""})
        new = current.datasets.get(role, {"records": {}, "columns": [], "key": [], "file": ""})
        a, b = records_series(old["records"]), records_series(new["records"])
        both = b.index.intersection(a.index)
        records.append(
            RecordChanges(
                role=role,
                file=new["file"] or old["file"],
                key=tuple(new["key"] or old["key"]),
                added=tuple(sorted(b.index.difference(a.index, sort=False))),
                removed=tuple(sorted(a.index.difference(b.index, sort=False))),
                changed=tuple(sorted(both[a[both].to_numpy() != b[both].to_numpy()])),
                columns_added=tuple(sorted(set(new["columns"]) - set(old["columns"]))),
                columns_removed=tuple(sorted(set(old["columns"]) - set(new["columns"]))),
            )
        )

    def new_events(kind: str, arm_of) -> tuple[tuple[str, str, str], ...] | None:
        if kind not in current.events or kind not in previous.events:
            return None
        was, now = previous.events[kind], current.events[kind]
        return tuple((k, arm_of(k), now[k]) for k in sorted(set(now) - set(was)))

    def arm_of_subject(s: str) -> str:
        return current.arms.get(s, "")

    def arm_of_record(key: str) -> str:
        return current.arms.get(key.split(SEP)[0], "")

    return Delta(
        previous=previous,
        current=current,
        subjects_added=by_arm(new_ids - old_ids, current.arms),
        subjects_removed=by_arm(old_ids - new_ids, previous.arms),
        records=tuple(records),
        new_deaths=new_events("deaths", arm_of_subject),
        new_discontinued=new_events("discontinued", arm_of_subject),
        new_serious=new_events("serious", arm_of_record),
        cells=tuple(_cell_changes(previous.tables, current.tables)),
        statistics=diff_ard(ard_old, ard_new),
    )


def _cell_changes(old_tables: dict, new_tables: dict):
    for number, new in new_tables.items():
        old = old_tables.get(number, {"cells": {}})
        a, b = old["cells"], new["cells"]
        for place, text in b.items():
            if a.get(place) != text:
                yield CellChange(number, new["id"], new["title"], place, a.get(place), text)
        for place in a.keys() - b.keys():
            yield CellChange(number, new["id"], new["title"], place, a[place], None)
    for number in old_tables.keys() - new_tables.keys():
        old = old_tables[number]
        for place, text in old["cells"].items():
            yield CellChange(number, old["id"], old["title"], place, text, None)


# -- the document ----------------------------------------------------------------------------
def with_delta(doc: Document, delta: Delta) -> Document:
    """``doc`` with the appendix, the synopsis paragraph and the changed cells marked."""
    previous = {(c.table_id, c.place): c.old for c in delta.cells if c.new is not None}
    sections = tuple(_marked(s, previous) for s in doc.sections)
    sections = tuple(
        replace(s, blocks=(summary_paragraph(delta), *s.blocks))
        if s.anchor == "sec-synopsis"
        else s
        for s in sections
    )
    return replace(doc, sections=(*sections, delta_section(delta)))


def _marked(section: Section, previous: dict) -> Section:
    blocks = []
    for block in section.blocks:
        if isinstance(block, Section):
            block = _marked(block, previous)
        elif isinstance(block, Table) and block.number:
            block = _mark_table(block, previous)
        blocks.append(block)
    return replace(section, blocks=tuple(blocks))


def _mark_table(table: Table, previous: dict) -> Table:
    marks = {
        (row, col): previous[(table.id, place)]
        for place, row, col, _ in cell_positions(table)
        if (table.id, place) in previous
    }
    if not marks:
        return table
    columns = tuple(
        replace(c, previous=_was(marks[(None, j)])) if (None, j) in marks else c
        for j, c in enumerate(table.columns)
    )
    spanners = tuple(
        replace(sp, previous=_was(marks[("span", k)])) if ("span", k) in marks else sp
        for k, sp in enumerate(table.spanners)
    )
    rows = tuple(
        replace(
            row,
            cells=tuple(
                replace(cell, previous=_was(marks[(i, j)])) if (i, j) in marks else cell
                for j, cell in enumerate(row.cells)
            ),
        )
        if any((i, j) in marks for j in range(len(row.cells)))
        else row
        for i, row in enumerate(table.rows)
    )
    return replace(table, columns=columns, spanners=spanners, rows=rows)


def _was(old: str | None) -> str:
    return "(not in the previous report)" if old is None else old.replace("\n", " ")


def _n(n: int, word: str) -> str:
    return f"{fmt.fmt_count(n)} {plural(n, word)}"


def _events_n(events, word: str) -> str:
    return f"{word}s not determined" if events is None else _n(len(events), word)


def summary_sentences(delta: Delta) -> str:
    """One paragraph: what changed since the previous lock, in words and counts."""
    if delta.empty:
        return (
            f"Compared with the report of data lock {delta.previous_lock}, nothing changed: the "
            "same subjects, records and printed numbers."
        )
    added = sum(len(v) for v in delta.subjects_added.values())
    removed = sum(len(v) for v in delta.subjects_removed.values())
    changed_records = sum(len(r.added) + len(r.removed) + len(r.changed) for r in delta.records)
    tables = {c.number for c in delta.cells}
    parts = [
        f"{_n(added, 'subject')} added and {removed} removed",
        f"{_n(changed_records, 'record')} added, removed or changed in "
        f"{_n(sum(r.any for r in delta.records), 'dataset')}",
        f"{_events_n(delta.new_deaths, 'new death')}, "
        f"{_events_n(delta.new_serious, 'new serious adverse event')} and "
        f"{_events_n(delta.new_discontinued, 'new discontinuation')}",
        f"printed numbers changed in {_n(len(tables), 'table')} ({_n(len(delta.cells), 'cell')})",
    ]
    return f"Since data lock {delta.previous_lock}: " + "; ".join(parts) + "."


def summary_paragraph(delta: Delta) -> Paragraph:
    return Paragraph(
        (
            Run(summary_sentences(delta) + " "),
            Run("Changes since the previous data lock", link=f"#{ANCHOR}"),
            Run(" lists them; changed cells are marked in the HTML."),
        )
    )


def delta_section(delta: Delta, link_prefix: str = "") -> Section:
    """The appendix. ``link_prefix`` ("csr.html") makes its links to the outputs land in the
    CSR from a separate page (delta.html)."""
    blocks: list = [Paragraph.of(summary_sentences(delta))]
    if not delta.empty:
        blocks += [
            _subjects_table(delta),
            _records_table(delta),
            _events_table(delta),
            _outputs_table(delta, link_prefix),
            _records_listing(delta),
        ]
    title = f"Changes since data lock {delta.previous_lock}"
    return Section("", title, ANCHOR, tuple(b for b in blocks if b is not None))


def _subjects_table(delta: Delta) -> Table:
    arms = list(dict.fromkeys([*delta.subjects_added, *delta.subjects_removed]))
    rows = [
        Row(
            (
                Cell(arm or "(no arm)", indent=0),
                Cell(str(len(delta.subjects_added.get(arm, ())))),
                Cell(", ".join(delta.subjects_added.get(arm, ())) or "-"),
                Cell(str(len(delta.subjects_removed.get(arm, ())))),
                Cell(", ".join(delta.subjects_removed.get(arm, ())) or "-"),
            )
        )
        for arm in arms
    ]
    return Table(
        id="delta_subjects",
        number="",
        title="Subjects added and removed, by arm",
        population="",
        columns=(
            Column("Arm", "left", 1.2),
            Column("Added"),
            Column("Subjects added", "left", 2.5),
            Column("Removed"),
            Column("Subjects removed", "left", 2.5),
        ),
        rows=tuple(rows),
    )


def _records_table(delta: Delta) -> Table:
    rows = []
    for r in delta.records:
        columns = []
        if r.columns_added:
            columns.append("added: " + ", ".join(r.columns_added))
        if r.columns_removed:
            columns.append("removed: " + ", ".join(r.columns_removed))
        rows.append(
            Row(
                (
                    Cell(r.file),
                    Cell(", ".join(r.key)),
                    Cell(str(len(r.added))),
                    Cell(str(len(r.removed))),
                    Cell(str(len(r.changed))),
                    Cell("; ".join(columns) or "-"),
                )
            )
        )
    return Table(
        id="delta_records",
        number="",
        title="Records added, removed and changed, by dataset",
        population="",
        columns=(
            Column("Dataset", "left"),
            Column("Record key", "left", 2.0),
            Column("Added"),
            Column("Removed"),
            Column("Changed"),
            Column("Variables", "left", 1.5),
        ),
        rows=tuple(rows),
        footnotes=(
            "A record is changed when any of its values differs; it is matched across the "
            "locks by its key (and its position among records with the same key).",
        ),
    )


def _events_table(delta: Delta) -> Table:
    rows = []
    for label, kind, events in (
        ("New deaths", "deaths", delta.new_deaths),
        ("New serious adverse events", "serious", delta.new_serious),
        ("New discontinuations", "discontinued", delta.new_discontinued),
    ):
        count = f"not determined: {UNDETERMINED[kind]}" if events is None else len(events)
        rows.append(Row((Cell(f"{label} ({count})", bold=True), Cell(""), Cell("")), "group"))
        for key, arm, detail in events or ():
            rows.append(Row((Cell(key, indent=1), Cell(arm), Cell(fmt.fmt_term(detail) or "-"))))
    return Table(
        id="delta_events",
        number="",
        title="New deaths, serious adverse events and discontinuations",
        population="",
        columns=(
            Column("Subject (record)", "left", 2.0),
            Column("Arm", "left"),
            Column("Date, term or reason", "left", 1.5),
        ),
        rows=tuple(rows),
        footnotes=(
            "Deaths: DTHFL = Y or a death date (DTHDT); discontinuations: EOSSTT = DISCONTINUED "
            "(reason DCSREAS); serious adverse events: the study's [safety] serious rule.",
        ),
    )


def _outputs_table(delta: Delta, link_prefix: str) -> Table | None:
    counts: dict[str, list] = {}
    for c in delta.cells:
        entry = counts.setdefault(c.number, [c.table_id, c.title, 0, 0, 0])
        entry[2 if c.old is not None and c.new is not None else 3 if c.old is None else 4] += 1
    rows = tuple(
        Row(
            (
                Cell(number, link=f"{link_prefix}#{tid}" if new_cells + changed else ""),
                Cell(title),
                Cell(str(changed)),
                Cell(str(new_cells)),
                Cell(str(gone)),
            )
        )
        for number, (tid, title, changed, new_cells, gone) in counts.items()
    )
    return Table(
        id="delta_outputs",
        number="",
        title="Tables whose printed numbers changed",
        population="",
        columns=(
            Column("Table", "left", 1.4),
            Column("Title", "left", 3.6),
            Column("Changed cells"),
            Column("New cells"),
            Column("Removed cells"),
        ),
        rows=rows,
        null_reason="" if rows else "No printed number changed",
        footnotes=(
            "A cell counts when its printed text changed; a statistic whose unrounded value "
            "changed but prints the same is listed in delta.csv only. Figures are not compared.",
        ),
    )


def _records_listing(delta: Delta) -> Listing | None:
    rows = [
        (r.file, change, key)
        for r in delta.records
        for change, keys in (("added", r.added), ("removed", r.removed), ("changed", r.changed))
        for key in keys
    ]
    if not rows:
        return None
    shown = rows[:RECORD_ROWS]
    note = (
        ()
        if len(rows) <= RECORD_ROWS
        else (f"The first {RECORD_ROWS:,} of {len(rows):,} records; all are in delta.csv.",)
    )
    return Listing(
        id="delta_record_list",
        number="",
        title="Records added, removed and changed",
        population="",
        columns=(
            Column("Dataset", "left", 1.0, "dataset"),
            Column("Change", "left", 0.8, "change"),
            Column("Record key", "left", 3.0, "key"),
        ),
        rows=tuple(Row(tuple(Cell(v) for v in row)) for row in shown),
        footnotes=note,
        landscape=False,
    )


# -- delta.csv --------------------------------------------------------------------------------
DELTA_COLUMNS = (
    "kind",
    "change",
    "dataset",
    "record_key",
    "output_id",
    "group_var",
    "group_level",
    "variable",
    "variable_level",
    "param",
    "timepoint",
    "stat_name",
    "stat_old",
    "stat_new",
)


def delta_csv(delta: Delta) -> str:
    """One row per changed ARD statistic and per record added, removed or changed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(DELTA_COLUMNS)
    for r in delta.records:
        for change, keys in (("added", r.added), ("removed", r.removed), ("changed", r.changed)):
            for key in keys:
                writer.writerow(["record", change, r.file, key] + [""] * 10)
    stats = delta.statistics
    for row in stats.itertuples(index=False):
        values = row._asdict()
        writer.writerow(
            ["statistic", values["change"], "", ""]
            + [_plain(values[c]) for c in DELTA_COLUMNS[4:12]]
            + [_number(values["stat_old"]), _number(values["stat_new"])]
        )
    return buffer.getvalue()


def _plain(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _number(value) -> str:
    return "" if value is None or pd.isna(value) else repr(float(value))
