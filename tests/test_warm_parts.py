"""The pieces that make a warm rebuild cheap, each checked on its own: compiled templates kept
in the cache, listing rows that share one cell per distinct text, and the page measure kept
with a table's XML."""

from __future__ import annotations

import hashlib
import pickle
import shutil

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import csrgen
from csrgen.cache import FragmentStore, template_bytecode
from csrgen.document.context import narrative_environment
from csrgen.document.model import TextColumn
from csrgen.lock import LockError
from csrgen.outputs.listing_common import _body
from csrgen.writers.docx import write_docx
from csrgen.writers.pages import estimate_pages
from tests.studies import SEED_DATA, SEED_STUDY
from tests.writers.sample import sample_document


def _render(folder, cache):
    env = narrative_environment([folder], template_bytecode(cache))
    return env.get_template("narrative/t.md.j2").render(name="x")


def test_kept_templates_follow_an_edit_and_survive_damage(tmp_path):
    (tmp_path / "narrative").mkdir()
    template = tmp_path / "narrative" / "t.md.j2"
    template.write_text("first {{ name }}\n", encoding="utf-8")
    cache = tmp_path / "cache"
    assert _render(tmp_path, cache) == "first x\n"
    kept = list((cache / "jinja").iterdir())
    assert len(kept) == 1  # compiled once and kept
    assert _render(tmp_path, cache) == "first x\n"
    # an edited template is compiled again, not read from the kept code
    template.write_text("second {{ name }}\n", encoding="utf-8")
    assert _render(tmp_path, cache) == "second x\n"
    # a damaged entry is compiled again
    kept[0].write_bytes(kept[0].read_bytes()[:20])
    assert _render(tmp_path, cache) == "second x\n"
    # a cache folder that cannot be made (a file is in its way) keeps nothing, and fails nothing
    blocked = tmp_path / "blocked"
    blocked.write_text("", encoding="utf-8")
    assert _render(tmp_path, blocked) == "second x\n"
    assert template_bytecode(None) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "b", "", "Ü 1", "a "]), min_size=3, max_size=3)))
def test_listing_rows_print_each_record_and_share_cells(records):
    columns = [TextColumn.of([r[i] for r in records]) for i in range(3)] if records else []
    if not records:
        return
    rows = _body("l_x", columns, anchors=True, facts=[])
    # each row prints its record, in order (the reference: the records themselves)
    assert [[c.text for c in row.cells] for row in rows] == records
    # one cell object per distinct text of a column
    for i in range(3):
        assert len({id(row.cells[i]) for row in rows}) == len({r[i] for r in records})
    # anchors number the repeats of a first-column text: 1, 2, ... (unique)
    assert len({row.anchor for row in rows}) == len(rows)
    # shared cells survive the cache's pickle as the same content
    assert pickle.loads(pickle.dumps(rows)) == rows


def test_kept_page_measures_give_the_same_count(tmp_path):
    """A warm run's estimate uses each table's measure kept with its XML: the same count as
    the cold run's, and as the estimate made with no writer at all."""
    doc = sample_document()
    store = FragmentStore(tmp_path / "docx")
    cold = write_docx(doc, tmp_path / "cold.docx", fragments=store)
    assert store.used  # tables were kept
    warm_store = FragmentStore(tmp_path / "docx")
    warm = write_docx(doc, tmp_path / "warm.docx", fragments=warm_store)
    assert warm_store.used == store.used  # every table came from the store
    assert cold == warm == estimate_pages(doc)
    assert (tmp_path / "cold.docx").read_bytes() == (tmp_path / "warm.docx").read_bytes()
    # entries of the earlier layout (layout and XML, no measure) are misses, not crashes
    for path in (tmp_path / "docx").iterdir():
        entry = pickle.loads(path.read_bytes()[32:])
        assert len(entry) == 3
        payload = pickle.dumps(entry[:2])
        path.write_bytes(hashlib.sha256(payload).digest() + payload)
    again = write_docx(doc, tmp_path / "again.docx", fragments=FragmentStore(tmp_path / "docx"))
    assert again == cold
    assert (tmp_path / "again.docx").read_bytes() == (tmp_path / "cold.docx").read_bytes()


@pytest.fixture
def reads(monkeypatch):
    """How many times the datasets were read from their files."""
    import csrgen.report as report

    count = {"n": 0}
    real = report.read_study_data

    def counted(*args, **kwargs):
        count["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(report, "read_study_data", counted)
    return count


def _same_data(a, b) -> None:
    assert list(a.frames) == list(b.frames)
    for role in a.frames:
        pd.testing.assert_frame_equal(a.frames[role], b.frames[role], check_exact=True)
    assert a.files == b.files and a.labels == b.labels and a.warnings == b.warnings


def test_datasets_kept_as_read_until_a_file_changes(tmp_path, reads):
    from csrgen.report import prepare_study

    data = tmp_path / "data"
    shutil.copytree(SEED_DATA, data)
    cache = tmp_path / "cache"
    cold = prepare_study(SEED_STUDY, data, cache_folder=None)
    assert reads["n"] == 1
    first = prepare_study(SEED_STUDY, data, cache_folder=cache)
    warm = prepare_study(SEED_STUDY, data, cache_folder=cache)
    assert reads["n"] == 2  # the warm one read nothing
    _same_data(cold.data, first.data)
    _same_data(cold.data, warm.data)
    assert warm.warnings == cold.warnings

    # a damaged entry is read again from the files
    (entry,) = (cache / "data").iterdir()
    entry.write_bytes(entry.read_bytes()[:-10])
    _same_data(cold.data, prepare_study(SEED_STUDY, data, cache_folder=cache).data)
    assert reads["n"] == 3

    # a changed file (re-locked) is read again, and the earlier entry goes
    adae = data / "adae.csv"
    adae.write_text(adae.read_text(encoding="utf-8").replace(",MILD,", ",MODERATE,", 1))
    with pytest.raises(LockError):
        prepare_study(SEED_STUDY, data, cache_folder=cache)  # the lock still checks first
    changed = prepare_study(SEED_STUDY, data, draft=True, cache_folder=cache)
    assert reads["n"] == 4
    assert (changed.data["adae"]["AESEV"] == "MODERATE").sum() == (
        cold.data["adae"]["AESEV"] == "MODERATE"
    ).sum() + 1
    assert len(list((cache / "data").iterdir())) == 1


def test_large_studies_are_not_kept(tmp_path, reads, monkeypatch):
    import csrgen.cache
    from csrgen.report import prepare_study

    monkeypatch.setattr(csrgen.cache, "KEEP_DATA_MAX_BYTES", 1000)
    for _ in range(2):
        prepare_study(SEED_STUDY, SEED_DATA, cache_folder=tmp_path / "cache")
    assert reads["n"] == 2
    assert not (tmp_path / "cache" / "data").exists()


def test_the_code_hash_follows_every_file_but_compiled_caches(tmp_path):
    from csrgen.cache import code_version, tree_digest

    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "sub" / "b.toml").write_text("k = 1\n")
    first = tree_digest(tmp_path / "pkg")
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    assert tree_digest(tmp_path / "pkg") == first
    (tmp_path / "pkg" / "sub" / "b.toml").write_text("k = 2\n")
    assert tree_digest(tmp_path / "pkg") != first
    (tmp_path / "pkg" / "sub" / "b.toml").write_text("k = 1\n")
    (tmp_path / "pkg" / "sub" / "b.toml").rename(tmp_path / "pkg" / "sub" / "c.toml")
    assert tree_digest(tmp_path / "pkg") != first  # a renamed file counts too
    assert code_version().startswith(csrgen.__version__ + "+")
