"""The report of a new data lock against the previous one (``csrgen report --previous``).

The seed study is reported, then a copy of its data is changed by hand (one subject added, one
adverse event added, one death added, one lab value changed), re-locked and reported with
``--previous``. The delta must name exactly those changes; the HTML must mark exactly the table
cells whose printed text differs between the two reports, found here independently by reading
both HTML files; identical locks must give an empty delta; reruns the same bytes.
"""

from __future__ import annotations

import gzip
import json
import shutil
from html.parser import HTMLParser

import pandas as pd
import pytest

from csrgen.cli import main
from tests.studies import SEED_DATA, SEED_STUDY

pytestmark = pytest.mark.e2e

NEW_SUBJECT = "UCMSC-DLC-01-9001"
TEMPLATE_SUBJECT = "UCMSC-DLC-01-0001"  # completed, alive: copied as the new subject
AE_SUBJECT = "UCMSC-DLC-01-0004"  # Control, completed: gets one new serious AE
DEATH_SUBJECT = "UCMSC-DLC-01-0006"  # UC-MSC, completed, alive: dies
LAB_SUBJECT, LAB_PARAM, LAB_VISIT = "UCMSC-DLC-01-0001", "ALB", "Week 48"


def read(folder, name):
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def write(frame, folder, name):
    frame.to_csv(folder / name, index=False, lineterminator="\n")


def change_the_data(data):
    """The four changes, made with plain pandas; returns what the delta must find."""
    adsl, adae, adlb, adtte = (read(data, f"{n}.csv") for n in ("adsl", "adae", "adlb", "adtte"))
    new = adsl[adsl.USUBJID == TEMPLATE_SUBJECT].assign(USUBJID=NEW_SUBJECT, SUBJID="9001")
    died = adsl.USUBJID == DEATH_SUBJECT
    assert (adsl.loc[died, "DTHFL"] != "Y").all()
    last_alive = adsl.loc[died, "LSTALVDT"].iloc[0]
    adsl.loc[died, ["DTHFL", "DTHDT", "DTHCAUS"]] = ["Y", last_alive, "LIVER FAILURE"]
    write(pd.concat([adsl, new]), data, "adsl.csv")
    tte = adtte[adtte.USUBJID == TEMPLATE_SUBJECT].assign(USUBJID=NEW_SUBJECT)
    write(pd.concat([adtte, tte]), data, "adtte.csv")

    serious = adae[adae.AESER == "Y"].iloc[[0]]
    seq = max(adae.loc[adae.USUBJID == AE_SUBJECT, "AESEQ"].astype(int), default=0) + 1
    added_ae = serious.assign(USUBJID=AE_SUBJECT, AESEQ=str(seq), TRTA="Control")
    write(pd.concat([adae, added_ae]), data, "adae.csv")

    hit = (adlb.USUBJID == LAB_SUBJECT) & (adlb.PARAMCD == LAB_PARAM) & (adlb.AVISIT == LAB_VISIT)
    assert hit.sum() == 1
    aval = float(adlb.loc[hit, "AVAL"].iloc[0]) + 5.0
    base = float(adlb.loc[hit, "BASE"].iloc[0])
    adlb.loc[hit, ["AVAL", "CHG", "PCHG"]] = [
        f"{aval:.1f}",
        f"{aval - base:.1f}",
        f"{100 * (aval - base) / base:.2f}",
    ]
    write(adlb, data, "adlb.csv")
    lab_key = " | ".join(
        [LAB_SUBJECT, LAB_PARAM, LAB_VISIT, adlb.loc[hit, "ADT"].iloc[0]]
        + ([adlb.loc[hit, "DTYPE"].iloc[0]] if "DTYPE" in adlb else [])
    )
    return {
        "adsl": {"added": [NEW_SUBJECT], "removed": [], "changed": [DEATH_SUBJECT]},
        "adtte": {
            "added": sorted(f"{NEW_SUBJECT} | {p}" for p in tte.PARAMCD),
            "removed": [],
            "changed": [],
        },
        "adae": {"added": [f"{AE_SUBJECT} | {seq}"], "removed": [], "changed": []},
        "adlb": {"added": [], "removed": [], "changed": [lab_key]},
        "arm": new.TRT01P.iloc[0],
        "ae_term": serious.AEDECOD.iloc[0],
    }


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    root = tmp_path_factory.mktemp("delta")
    old = root / "old"
    assert main(["report", str(SEED_STUDY), "--out", str(old), "--quiet"]) == 0
    data = root / "data"
    shutil.copytree(SEED_DATA, data)
    expected = change_the_data(data)
    lock = ["lock", str(SEED_STUDY), "--data", str(data), "--date", "2027-06-30"]
    assert main([*lock, "--id", "SEED-RELOCK"]) == 0
    new = root / "new"
    args = ["report", str(SEED_STUDY), "--data", str(data), "--previous", str(old), "--quiet"]
    assert main([*args, "--out", str(new)]) == 0
    return old, new, expected, args, root


def delta_rows(folder):
    return pd.read_csv(folder / "delta.csv", dtype=str, keep_default_na=False)


def test_the_delta_lists_exactly_the_changes(reports):
    old, new, expected, _, _ = reports
    rows = delta_rows(new)
    records = rows[rows.kind == "record"]
    files = {"adsl": "adsl.csv", "adtte": "adtte.csv", "adae": "adae.csv", "adlb": "adlb.csv"}
    for role, file in files.items():
        for change in ("added", "removed", "changed"):
            got = sorted(
                records.loc[(records.dataset == file) & (records.change == change)].record_key
            )
            assert got == expected[role][change], (role, change)
    assert set(records.dataset) == set(files.values())  # no other dataset changed

    html = (new / "delta.html").read_text(encoding="utf-8")
    assert f"{NEW_SUBJECT}" in html and "New deaths (1)" in html
    assert "New serious adverse events (1)" in html and "New discontinuations (0)" in html
    text = (new / "csr.html").read_text(encoding="utf-8")
    assert "Changes since data lock" in text and 'href="#sec-delta"' in text
    # the changed statistics carry their old and new unrounded values
    stats = rows[rows.kind == "statistic"]
    assert len(stats) > 0 and (stats.stat_old != stats.stat_new).all()


def test_new_events_name_the_subjects(reports):
    _, new, expected, _, _ = reports
    snap = json.loads(gzip.decompress((new / "snapshot.json.gz").read_bytes()))
    old_snap = json.loads(gzip.decompress((reports[0] / "snapshot.json.gz").read_bytes()))
    assert set(snap["events"]["deaths"]) - set(old_snap["events"]["deaths"]) == {DEATH_SUBJECT}
    added_serious = set(snap["events"]["serious"]) - set(old_snap["events"]["serious"])
    assert added_serious == set(expected["adae"]["added"])
    assert snap["arms"][NEW_SUBJECT] == expected["arm"]


class Tables(HTMLParser):
    """Numbered tables of a csr.html: id -> rows of (text, changed?, previous)."""

    def __init__(self):
        super().__init__()
        self.tables, self._id, self._cell, self._depth = {}, None, None, 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "div" and "output" in classes and "intext" not in classes:
            self._id = a.get("id")
            self.tables[self._id] = []
        elif self._id and tag == "tr":
            self.tables[self._id].append([])
        elif self._id and tag in ("td", "th") and self.tables[self._id]:
            self._cell = ["", "changed" in classes, a.get("data-previous")]
        elif tag == "br" and self._cell is not None:
            self._cell[0] += "\n"

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[self._id][-1].append(tuple(self._cell))
            self._cell = None
        elif tag == "table":
            self._id = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data


def tables_of(path):
    parser = Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return {k: v for k, v in parser.tables.items() if k and k.startswith("t_")}


def test_exactly_the_cells_whose_printed_text_changed_are_marked(reports):
    old, new, _, _, _ = reports
    before, after = tables_of(old / "csr.html"), tables_of(new / "csr.html")
    assert before.keys() == after.keys()
    compared = 0
    for tid, rows in after.items():
        marked = {(i, j) for i, r in enumerate(rows) for j, c in enumerate(r) if c[1]}
        if len(rows) == len(before[tid]) and all(
            len(a) == len(b) and a[0][0] == b[0][0] for a, b in zip(rows, before[tid], strict=True)
        ):  # the same rows: compare cell by cell, in place
            differ = {
                (i, j)
                for i, (a, b) in enumerate(zip(rows, before[tid], strict=True))
                for j, (x, y) in enumerate(zip(a, b, strict=True))
                if x[0] != y[0] and (j > 0 or i < 2)  # row labels are places, not values
            }
            assert marked == differ, tid
            compared += 1
            for i, j in marked:
                was = before[tid][i][j][0].replace("\n", " ")
                assert rows[i][j][2] == f"Previous data lock: {was}", (tid, i, j)
        else:  # rows were added (a new adverse event term): every marked cell is new or differs
            old_texts = {c[0] for r in before[tid] for c in r}
            assert marked, tid
            for i, j in marked:
                assert rows[i][j][0] not in old_texts or rows[i][j][2] is not None
    assert compared > 10
    # the lab change moves the week-48 albumin numbers; the added AE the AE tables
    assert (
        any(c[1] for r in after["t_lab_summary_chemistry"] for c in r)
        if ("t_lab_summary_chemistry" in after)
        else any(c[1] for t in after if t.startswith("t_lab") for r in after[t] for c in r)
    )
    assert any(c[1] for r in after["t_ae_soc_pt"] for c in r)


def test_identical_locks_give_an_empty_delta(reports):
    old, _, _, _, root = reports
    again = root / "again"
    args = ["report", str(SEED_STUDY), "--previous", str(old), "--quiet", "--out", str(again)]
    assert main(args) == 0
    assert delta_rows(again).empty
    assert 'class="changed' not in (again / "csr.html").read_text(encoding="utf-8")
    assert "nothing changed" in (again / "delta.html").read_text(encoding="utf-8")
    assert (again / "snapshot.json.gz").read_bytes() == (old / "snapshot.json.gz").read_bytes()


def test_delta_files_are_the_same_bytes_on_a_rerun(reports):
    _, new, _, args, root = reports
    rerun = root / "rerun"
    assert main([*args, "--out", str(rerun)]) == 0
    for name in ("delta.csv", "delta.html", "csr.html", "csr.docx", "snapshot.json.gz"):
        assert (rerun / name).read_bytes() == (new / name).read_bytes(), name


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda f: shutil.rmtree(f), "no such report folder"),
        (lambda f: (f / "snapshot.json.gz").unlink(), "snapshot.json.gz: not found"),
        (lambda f: (f / "snapshot.json.gz").write_bytes(b"not gzip"), "damaged"),
        (
            lambda f: (f / "snapshot.json.gz").write_bytes(gzip.compress(b'{"format": 0}')),
            "snapshot format 0 is not 1",
        ),
        (lambda f: (f / "ard.csv").unlink(), "ard.csv: cannot be read"),
    ],
)
def test_a_bad_previous_folder_is_a_clear_error(reports, tmp_path, capsys, damage, message):
    old = reports[0]
    copy = tmp_path / "old"
    shutil.copytree(old, copy)
    damage(copy)
    out = tmp_path / "out"
    args = ["report", str(SEED_STUDY), "--previous", str(copy), "--quiet", "--out", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()  # stopped before anything was computed or written


CHROMIUM_CHECK = """
(() => {
  const out = {};
  const changed = [...document.querySelectorAll('main .changed')];
  out.changed = changed.length;
  const outputs = [...document.querySelectorAll('main .output:not(.intext)')];
  const button = document.getElementById('changed-only');
  out.button = button ? button.textContent : null;
  const shown = () => outputs.filter(o => o.offsetParent !== null);
  out.before = shown().length;
  button.click();
  out.pressed = button.getAttribute('aria-pressed');
  out.after = shown().length;
  out.shownWithoutChange = shown().filter(o => !o.querySelector('.changed')).length;
  out.hiddenWithChange = outputs
    .filter(o => o.offsetParent === null && o.querySelector('.changed')).length;
  button.click();
  out.restored = shown().length;
  const cell = document.querySelector('#t_ae_soc_pt td.changed');
  cell.focus();
  out.focused = document.activeElement === cell;
  out.tip = getComputedStyle(cell, '::after').content;
  out.previous = cell.getAttribute('data-previous');
  cell.scrollIntoView({block: 'center'});
  return out;
})()
"""


@pytest.mark.render
def test_chromium_shows_the_previous_value_and_the_changed_only_toggle(reports, tmp_path):
    from tests.writers.browser import load_page

    new = reports[1]
    page = load_page(new / "csr.html", tmp_path / "profile", {"check": CHROMIUM_CHECK}, focus=True)
    assert page.errors == []
    r = page.results["check"]
    assert r["changed"] > 0 and r["button"] == "Show only changed tables"
    assert r["pressed"] == "true" and 0 < r["after"] < r["before"] == r["restored"]
    assert r["shownWithoutChange"] == 0 and r["hiddenWithChange"] == 0
    assert r["focused"] and r["previous"].startswith("Previous data lock: ")
    assert r["tip"] == json.dumps(r["previous"], ensure_ascii=False)  # CSS content is quoted
    (tmp_path / "changed.png").write_bytes(page.screenshot)


def test_the_study_file_can_name_the_previous_report(tmp_path, capsys):
    from tests.studies import write_tiny_study

    study = write_tiny_study(tmp_path)
    assert main(["report", str(study), "--out", str(tmp_path / "first"), "--quiet"]) == 0
    study = write_tiny_study(tmp_path, extra='[document]\nprevious_report = "first"\n')
    assert main(["report", str(study), "--out", str(tmp_path / "second"), "--quiet"]) == 0
    assert "nothing changed" in (tmp_path / "second" / "delta.html").read_text(encoding="utf-8")
    assert delta_rows(tmp_path / "second").empty
    missing = write_tiny_study(tmp_path, extra='[document]\nprevious_report = "none"\n')
    assert main(["report", str(missing), "--out", str(tmp_path / "third"), "--quiet"]) == 2
    assert "no such report folder" in capsys.readouterr().err


def test_events_the_data_cannot_determine_are_said_not_counted_as_zero():
    """No DTHFL/DTHDT is not "no deaths": the appendix says the kind is not determined."""
    from csrgen.document.delta import compare, delta_section, summary_sentences
    from csrgen.document.snapshot import Snapshot

    def snap(arms, events):
        return Snapshot("s", "L", "2024-01-01", arms, {}, events, {})

    old = snap({"A-1": "Drug"}, {"serious": {}})
    new = snap({"A-1": "Drug", "A-2": "Placebo"}, {"serious": {}})
    from csrgen.ard import ARD_COLUMNS

    empty = pd.DataFrame(
        {c: pd.Series(dtype=float if c == "stat" else object) for c in ARD_COLUMNS}
    )
    delta = compare(old, new, ["Placebo", "Drug"], empty, empty)
    assert delta.new_deaths is None and delta.new_serious == ()
    text = summary_sentences(delta)
    assert "new deaths not determined" in text and "0 new serious adverse events" in text
    events = next(b for b in delta_section(delta).blocks if getattr(b, "id", "") == "delta_events")
    labels = [r.cells[0].text for r in events.rows if r.kind == "group"]
    assert labels == [
        "New deaths (not determined: ADSL has neither DTHFL nor DTHDT)",
        "New serious adverse events (0)",
        "New discontinuations (not determined: ADSL has no EOSSTT)",
    ]
