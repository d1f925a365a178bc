"""Data lock: ``lock.json`` records the lock id, the lock date and the SHA-256 of every data file.

``csrgen lock STUDY`` writes it; ``csrgen report`` refuses data that no longer match it (naming
every changed, added or missing file) unless ``--draft``, in which case every page says
"DRAFT - DATA NOT LOCKED".
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
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
    locked_files, lock_id, lock_date, study_id = read_lock(path)
    changes = []
    if study_id is not None and study_id != config.study.id:
        changes.append(
            f"the lock is of study {study_id!r}, the study file's is {config.study.id!r}"
        )
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


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def read_lock(path: Path) -> tuple[dict[str, str], str, str, str | None]:
    """The files, lock id, lock date and study id of a lock file, each checked for its type:
    a damaged or hand-edited lock is a :class:`LockError` naming the file and the key."""

    def refuse(message: str) -> LockError:
        return LockError(f"{path}: not a valid lock file: {message}")

    def pairs(items: list) -> dict:
        out = {}
        for key, value in items:
            if key in out:
                raise refuse(f"the key {key!r} occurs twice")
            out[key] = value
        return out

    def constant(word: str):
        raise refuse(f"{word} is not a JSON value")

    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise LockError(f"{path}: cannot read the lock file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise refuse(f"not UTF-8 text (byte {exc.start})") from None
    try:
        lock = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as exc:
        raise refuse(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise refuse("nested too deeply") from None
    if not isinstance(lock, dict):
        raise refuse(f"the top level is {_kind(lock)}, not an object")
    problems = []
    for key, want in (("lock_id", str), ("lock_date", str), ("files", dict)):
        if key not in lock:
            problems.append(f"the key {key!r} is missing")
        elif not isinstance(lock[key], want):
            what = "text" if want is str else "an object of file name: SHA-256"
            problems.append(f"{key}: expected {what}, found {_kind(lock[key])}")
    for key, want in (("lock_version", int), ("study_id", str)):
        value = lock.get(key)
        if value is not None and (not isinstance(value, want) or isinstance(value, bool)):
            problems.append(
                f"{key}: expected {'a whole number' if want is int else 'text'}, "
                f"found {_kind(value)}"
            )
    version = lock.get("lock_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > LOCK_VERSION:
        problems.append(
            f"lock_version {version}: written by a newer csrgen (this one reads {LOCK_VERSION})"
        )
    if isinstance(lock.get("lock_id"), str) and not lock["lock_id"].strip():
        problems.append("lock_id: empty text")
    if isinstance(lock.get("lock_date"), str):
        try:
            dt.date.fromisoformat(lock["lock_date"])
        except ValueError:
            problems.append(f"lock_date: {lock['lock_date']!r} is not a date YYYY-MM-DD")
    if isinstance(lock.get("files"), dict):
        for name, digest in lock["files"].items():
            if not isinstance(digest, str) or not _SHA256.match(digest):
                problems.append(
                    f"files.{name}: expected a SHA-256 (64 hex digits), found {digest!r}"[:200]
                )
    if problems:
        raise refuse("; ".join(problems[:10]))
    return lock["files"], lock["lock_id"], lock["lock_date"], lock.get("study_id")


def _kind(value) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "text",
        bool: "true/false",
        type(None): "null",
    }.get(type(value), "a number")
