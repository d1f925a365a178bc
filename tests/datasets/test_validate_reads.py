"""``csrgen validate`` reads each data file once, as ``csrgen report`` does before its outputs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import csrgen.datasets
import csrgen.report
from csrgen.cli import main
from csrgen.config import load_study


class _Stop(Exception):
    pass


def _counting(monkeypatch) -> Counter:
    reads: Counter = Counter()
    real = csrgen.datasets.read_dataset

    def read_dataset(path, *args, **kwargs):
        reads[Path(path).name] += 1
        return real(path, *args, **kwargs)

    monkeypatch.setattr(csrgen.datasets, "read_dataset", read_dataset)
    return reads


def test_validate_reads_each_file_once_as_report_does(tiny_study, monkeypatch, capsys):
    files = set(load_study(tiny_study).data.datasets.values())
    reads = _counting(monkeypatch)
    assert main(["validate", str(tiny_study)]) == 0
    assert set(reads) == files and set(reads.values()) == {1}
    validated = Counter(reads)

    reads.clear()

    def stop(*args, **kwargs):
        raise _Stop  # the report's reading is done: its outputs would come next

    monkeypatch.setattr(csrgen.report, "run_outputs", stop)
    with pytest.raises(_Stop):
        csrgen.report.run_report(tiny_study, out=tiny_study.parent / "out", draft=True)
    assert reads == validated
