"""Shared fixtures (builders live in tests/studies.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.studies import PILOT_DATA, write_tiny_study


@pytest.fixture
def tiny_study(tmp_path) -> Path:
    return write_tiny_study(tmp_path)


@pytest.fixture
def pilot_copy(tmp_path) -> Path:
    """A writable copy of the pilot's small files (not ADLBC) for tests that damage them."""
    dest = tmp_path / "pilot"
    dest.mkdir()
    for name in ("adsl.xpt", "adae.xpt", "adtte.xpt"):
        shutil.copy(PILOT_DATA / name, dest / name)
    return dest
