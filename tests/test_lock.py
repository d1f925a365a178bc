"""Data lock: lock.json written, checked; changed files named; --draft marks the documents."""

import json

import pytest

from csrgen.config import load_study
from csrgen.errors import LockError
from csrgen.lock import check_lock, sha256_file, write_lock
from tests.studies import write_tiny_study


def test_lock_records_hashes_and_is_deterministic(tmp_path):
    study = write_tiny_study(tmp_path, lock=False)
    config = load_study(study)
    path = write_lock(config, config.data_dir(), lock_date="2024-02-01")
    first = path.read_bytes()
    lock = json.loads(first)
    assert lock["files"] == {"adsl.csv": sha256_file(tmp_path / "data" / "adsl.csv")}
    assert lock["lock_date"] == "2024-02-01" and lock["lock_id"].startswith("TINY-")
    assert write_lock(config, config.data_dir(), lock_date="2024-02-01").read_bytes() == first
    info = check_lock(config, config.data_dir())
    assert (info.locked, info.lock_id, info.lock_date) == (True, lock["lock_id"], "2024-02-01")


def test_changed_file_is_named(tmp_path):
    study = write_tiny_study(tmp_path)
    config = load_study(study)
    with (tmp_path / "data" / "adsl.csv").open("a") as handle:
        handle.write("TINY,T-09,Drug,Drug,Y,Y,33,F,2020-01-01,2020-06-01\n")
    with pytest.raises(LockError) as info:
        check_lock(config, config.data_dir())
    msg = str(info.value)
    assert "do not match their lock TINY-LOCK-1 of 2024-01-31" in msg
    assert "adsl.csv: changed since lock TINY-LOCK-1" in msg
    draft = check_lock(config, config.data_dir(), draft=True)
    assert draft.locked is False and draft.lock_id == "NOT LOCKED"


def test_missing_lock_needs_draft(tmp_path):
    study = write_tiny_study(tmp_path, lock=False)
    config = load_study(study)
    with pytest.raises(LockError, match="no data lock found"):
        check_lock(config, config.data_dir())
    assert check_lock(config, config.data_dir(), draft=True).locked is False


def test_bad_lock_date(tmp_path):
    config = load_study(write_tiny_study(tmp_path, lock=False))
    with pytest.raises(LockError, match="expected an ISO date"):
        write_lock(config, config.data_dir(), lock_date="31/01/2024")
