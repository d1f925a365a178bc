"""The incremental rebuild (csrgen.cache): a warm run gives the same bytes as a cold one, a
footnote edit recomputes no statistic, a change in ADAE recomputes exactly the outputs that
read ADAE, and a damaged cache is only a miss."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

import csrgen.report as report
from csrgen.cli import main
from csrgen.config import load_study
from csrgen.outputs.catalog import get_module, load_study_outputs
from tests.studies import SEED_DATA, SEED_STUDY

pytestmark = pytest.mark.e2e


def files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture
def calls(monkeypatch):
    """Outputs run whole (statistics computed) and rebuilt from a cached ARD, in this process."""
    monkeypatch.setenv("CSRGEN_JOBS", "1")
    seen = {"computed": [], "rebuilt": []}
    run, rebuild = report.run_output, report.rebuild_output

    def counted_run(ctx):
        seen["computed"].append(ctx.spec.id)
        return run(ctx)

    def counted_rebuild(ctx, ard):
        seen["rebuilt"].append(ctx.spec.id)
        return rebuild(ctx, ard)

    monkeypatch.setattr(report, "run_output", counted_run)
    monkeypatch.setattr(report, "rebuild_output", counted_rebuild)
    return seen


@pytest.fixture
def written(monkeypatch):
    """The files the writers made (not copied from the written-file cache), in this process."""
    import csrgen.writers.docx as docx_writer
    import csrgen.writers.listings as listing_writer

    made: list[str] = []
    write_docx, write_listing_files = docx_writer.write_docx, listing_writer.write_listing_files

    def counted_docx(doc, path, *args, **kwargs):
        made.append(path.name)
        return write_docx(doc, path, *args, **kwargs)

    def counted_listing(listing, folder, *args, **kwargs):
        made.extend(listing.external)
        return write_listing_files(listing, folder, *args, **kwargs)

    monkeypatch.setattr(docx_writer, "write_docx", counted_docx)
    monkeypatch.setattr(listing_writer, "write_listing_files", counted_listing)
    return made


def reset(seen):
    seen["computed"].clear()
    seen["rebuilt"].clear()


def test_cold_and_warm_runs_give_the_same_bytes_and_an_edit_recomputes_no_statistic(
    tmp_path, calls, written
):
    ids = [spec.id for spec in load_study(SEED_STUDY).outputs]
    cache = tmp_path / "cache"
    args = ["report", str(SEED_STUDY), "--data", str(SEED_DATA), "--quiet"]
    assert main([*args, "--out", str(tmp_path / "cold"), "--no-cache"]) == 0
    assert sorted(calls["computed"]) == sorted(ids) and not (tmp_path / ".cold.cache").exists()
    reset(calls)
    long_listings = [n for n in written if n.endswith((".csv", ".xlsx"))]
    assert long_listings and "narratives.docx" in written  # the seed has both
    for name in ("first", "warm"):
        written.clear()
        assert main([*args, "--out", str(tmp_path / name), "--cache", str(cache)]) == 0
    # the first run filled the cache, the second took every output from it, and copied the
    # long listings' files and the narratives' documents instead of writing them
    assert sorted(calls["computed"]) == sorted(ids) and calls["rebuilt"] == []
    assert written == ["csr.docx"]
    cold = files(tmp_path / "cold")
    assert files(tmp_path / "first") == cold == files(tmp_path / "warm")

    # a footnote and a title edited: those outputs are rebuilt from their ARD, nothing computed
    text = SEED_STUDY.read_text(encoding="utf-8")
    edited = text.replace(
        'title = "Demographic and Baseline Characteristics"',
        'title = "Demographic and Baseline Characteristics (edited)"',
    )
    assert edited != text
    study = tmp_path / "edited.toml"
    study.write_text(edited, encoding="utf-8")
    reset(calls)
    args = ["report", str(study), "--data", str(SEED_DATA), "--quiet"]
    written.clear()
    assert main([*args, "--out", str(tmp_path / "edited"), "--cache", str(cache)]) == 0
    assert calls == {"computed": [], "rebuilt": ["t_demog"]}
    assert written == ["csr.docx"]
    assert main([*args, "--out", str(tmp_path / "edited_cold"), "--no-cache"]) == 0
    edited_files = files(tmp_path / "edited")
    assert "(edited)" in (tmp_path / "edited" / "csr.html").read_text(encoding="utf-8")
    # the study file's hash in the manifest differs from the first run's; the rest equals cold
    assert edited_files == files(tmp_path / "edited_cold")


def test_an_adae_change_recomputes_exactly_the_outputs_that_read_adae(tmp_path, calls):
    cache = tmp_path / "cache"
    data = tmp_path / "data"
    shutil.copytree(SEED_DATA, data)
    base = ["report", str(SEED_STUDY), "--data", str(data), "--quiet", "--cache", str(cache)]
    assert main([*base, "--out", str(tmp_path / "before")]) == 0
    adae = pd.read_csv(data / "adae.csv", dtype=str, keep_default_na=False)
    adae.loc[0, "AESEV"] = "MILD" if adae.loc[0, "AESEV"] != "MILD" else "MODERATE"
    adae.to_csv(data / "adae.csv", index=False, lineterminator="\n")
    assert main(["lock", str(SEED_STUDY), "--data", str(data), "--date", "2027-01-31"]) == 0
    reset(calls)
    assert main([*base, "--out", str(tmp_path / "after")]) == 0

    config, options = load_study_outputs(SEED_STUDY)
    reads_adae = sorted(
        spec.id
        for spec in config.outputs
        if "adae" in get_module(spec.slug).requires(config, spec, options[spec.id])
    )
    assert reads_adae and sorted(calls["computed"]) == reads_adae
    # every other output came from the cache, and the result is the cold run's
    assert main([*base[:-2], "--no-cache", "--out", str(tmp_path / "cold")]) == 0
    assert files(tmp_path / "after") == files(tmp_path / "cold")


def test_a_damaged_cache_is_a_miss(tmp_path, calls):
    cache = tmp_path / "cache"
    args = ["report", str(SEED_STUDY), "--quiet", "--cache", str(cache)]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    entries = sorted(cache.glob("*.pkl"))
    assert entries
    entries[0].write_bytes(b"not a pickle")
    entries[1].write_bytes(entries[1].read_bytes()[:100])
    # a kept listing file cut short, another entry's file list damaged: both misses
    kept = sorted((cache / "files").iterdir())
    assert len(kept) >= 2
    damaged = next(p for p in kept[0].iterdir() if p.name != "files.json")
    damaged.write_bytes(damaged.read_bytes()[:-10])
    (kept[1] / "files.json").write_text("{", encoding="utf-8")
    reset(calls)
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    assert 1 <= len(calls["computed"]) + len(calls["rebuilt"]) <= 2
    assert files(tmp_path / "a") == files(tmp_path / "b")
    # a later run leaves only this run's entries (two per output), the damaged files rewritten
    assert len(list(cache.glob("*.pkl"))) == 2 * len(load_study(SEED_STUDY).outputs)
    assert sorted((cache / "files").iterdir()) == kept
    assert damaged.read_bytes() == (tmp_path / "b" / damaged.name).read_bytes()
