"""Data lock: ``lock.json`` records the lock id, the lock date and the SHA-256 of every data file.

``csrgen lock STUDY`` writes it; ``csrgen report`` refuses data that no longer match it (naming
every changed, added or missing file) unless ``--draft``, in which case every page says
"DRAFT - DATA NOT LOCKED".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from csrgen.config import StudyConfig
from csrgen.errors import LockError

LOCK_VERSION = 1


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class LockInfo:
    lock_id: str
    lock_date: str
    files: dict[str, str]
    #: False when the report runs on data that do not match a lock (``--draft``).
    locked: bool = True


def data_files(config: StudyConfig, data_dir: Path) -> list[Path]:
    """The files a lock covers: every dataset the study file names, plus the CSV type spec."""
    files = [data_dir / name for name in config.data.datasets.values()]
    spec = data_dir / "variables.csv"
    if spec.exists():
        files.append(spec)
    return sorted(files, key=lambda p: p.name)


def write_lock(
    config: StudyConfig, data_dir: Path, lock_date: str | None = None, lock_id: str | None = None
) -> Path:
    """Hash the data files and write the lock file; return its path.

    ``lock_date`` defaults to today (UTC): the day the database is locked is a fact of the study,
    recorded once here, and every report of this lock shows it instead of its own run time.
    ``lock_id`` defaults to a short digest of the file hashes, so the same data get the same id.
    """
    missing = [p.name for p in data_files(config, data_dir) if not p.is_file()]
    if missing:
        raise LockError(f"{data_dir}: cannot lock, missing data file(s): {', '.join(missing)}")
    files = {p.name: sha256_file(p) for p in data_files(config, data_dir)}
    if lock_date is None:
        lock_date = dt.datetime.now(dt.UTC).date().isoformat()
    else:
        try:
            dt.date.fromisoformat(lock_date)
        except ValueError:
            raise LockError(f"--date {lock_date!r}: expected an ISO date YYYY-MM-DD") from None
    if lock_id is None:
        combined = hashlib.sha256("".join(f"{k}={v}\n" for k, v in files.items()).encode())
        lock_id = f"{config.study.id.upper()}-{combined.hexdigest()[:8].upper()}"
    payload = {
        "lock_version": LOCK_VERSION,
        "study_id": config.study.id,
        "lock_id": lock_id,
        "lock_date": lock_date,
        "files": files,
    }
    path = config.lock_path(data_dir)
    path.write_text(json.dumps(payload, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def check_lock(config: StudyConfig, data_dir: Path, draft: bool = False) -> LockInfo:
    """Compare the data with their lock.

    Returns the lock's id and date when everything matches. On a mismatch (or no lock) raises
    :class:`LockError` naming each file, unless ``draft``: then returns ``locked=False``.
    """
    path = config.lock_path(data_dir)
    try:
        current = {p.name: sha256_file(p) for p in data_files(config, data_dir) if p.is_file()}
        found = path.exists()
    except OSError as exc:
        raise LockError(f"{exc.filename or path}: cannot read: {exc.strerror or exc}") from None
    if not found:
        if draft:
            return LockInfo("NOT LOCKED", "", current, locked=False)
        raise LockError(
            f"{path}: no data lock found. Lock the data with `csrgen lock {config.path.name}`"
            " or report them as a draft with --draft."
        )
    try:
        lock = json.loads(path.read_text(encoding="utf-8"))
        locked_files: dict[str, str] = lock["files"]
        lock_id, lock_date = lock["lock_id"], lock["lock_date"]
    except (ValueError, KeyError, TypeError) as exc:
        raise LockError(f"{path}: not a valid lock file ({exc})") from None
    except OSError as exc:
        raise LockError(f"{path}: cannot read the lock file: {exc.strerror or exc}") from None
    if not (isinstance(locked_files, dict) and isinstance(lock_id, str)):
        raise LockError(f"{path}: not a valid lock file (files must be a table, lock_id text)")
    changes = []
    for name in sorted(set(locked_files) | set(current)):
        if name not in current:
            changes.append(f"{name}: missing (locked {locked_files[name][:12]}...)")
        elif name not in locked_files:
            changes.append(f"{name}: not in the lock (new file)")
        elif current[name] != locked_files[name]:
            changes.append(
                f"{name}: changed since lock {lock_id} (SHA-256 {current[name][:12]}... "
                f"!= locked {locked_files[name][:12]}...)"
            )
    if changes:
        if draft:
            return LockInfo("NOT LOCKED", "", current, locked=False)
        raise LockError(
            f"{path}: the data do not match their lock {lock_id} of {lock_date}:\n  "
            + "\n  ".join(changes)
            + "\nRe-lock with `csrgen lock` after a new data lock, or use --draft."
        )
    return LockInfo(lock_id, lock_date, current)
