"""The incremental rebuild: each output's statistics (its ARD) and document blocks, kept between
runs and used again when nothing they depend on changed.

An output's statistics are keyed by a hash of: the csrgen version, its module and options, its
population, the study file's analysis settings (everything but the outputs' list and the
narrative's own keys), and the content of every dataset it reads (the roles its
``requires`` declares, ADSL, and any other role it was seen to read when the entry was made:
each entry records the roles the output read and their hashes, and is used only when all still
match). Its blocks are keyed by that, the data lock (its source line names it), and its
number, title and footnotes. So a footnote, title
or narrative edit recomputes no statistic (the edited output is rebuilt from its cached ARD); a
change in ADAE recomputes exactly the outputs that read ADAE.

The cache is never required: a miss runs the output as without it, and cold and warm runs
give byte-identical files (tested). Entries are pickles this csrgen wrote into its own cache
folder (beside the output, ``.<output folder>.cache``, or ``--cache DIR``), named by their key;
a damaged or foreign entry is a miss, never an error.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import pickle
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from csrgen import __version__
from csrgen.config import StudyConfig, StudyInfo
from csrgen.datasets import StudyData
from csrgen.lock import LockInfo

#: The narrative's own settings: they shape no output block.
NARRATIVE_KEYS = ("narrative", "labels", "units", "abbreviations", "previous_report", "status")
#: The study's descriptive text (title page, synopsis): no output reads it (its id does).
STUDY_TEXT_KEYS = tuple(name for name in StudyInfo.model_fields if name not in ("id", "synthetic"))
#: Raised when the layout of an entry changes.
FORMAT = 1


def _digest(*parts) -> str:
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def code_version() -> str:
    """csrgen's version and a hash of its code and data files (every file of the package): every
    key of the cache includes it, so that a changed csrgen (a new release, or an edited or
    checked-out source tree under the same version number) never reuses what another made."""
    return f"{__version__}+{tree_digest(Path(__file__).resolve().parent)[:16]}"


def tree_digest(root: Path) -> str:
    """A hash of every file under ``root`` (names and bytes; compiled caches left out)."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file() or path.suffix in (".pyc", ".pyo"):
            continue
        try:
            data = path.read_bytes()
        except OSError:
            data = b"?"
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + data + b"\0")
    return h.hexdigest()


def analysis_settings(config: StudyConfig) -> dict:
    """The study file's settings that shape the data and the statistics: everything but the
    outputs' list, the narrative's own keys and the study's descriptive text."""
    settings = config.model_dump(mode="json", exclude={"outputs"})
    for key in NARRATIVE_KEYS:
        settings.get("document", {}).pop(key, None)
    for key in STUDY_TEXT_KEYS:
        settings.get("study", {}).pop(key, None)
    return settings


#: The datasets are kept as read (see :class:`ReadCache`) only when their files hold at most
#: this many bytes together: reading a large study's files costs about what writing and
#: reading them back as a pickle would, and the copy would double its disk use.
KEEP_DATA_MAX_BYTES = 128 << 20


class ReadCache:
    """The study's datasets as read and validated, kept between runs by a key of: the SHA-256 of
    every data file (the ones the data lock checks, so they are hashed anyway), the data
    folder, the study file's analysis settings, the variables the outputs need, and the
    csrgen version. Only a read with no problem is kept, and only for studies whose files
    are small (:data:`KEEP_DATA_MAX_BYTES`); a damaged entry is a miss (checked by its hash)."""

    def __init__(self, folder: Path) -> None:
        self.store = FragmentStore(Path(folder) / "data")

    @staticmethod
    def key(config: StudyConfig, data_dir: Path, lock: LockInfo, required) -> str | None:
        paths = [Path(data_dir) / name for name in lock.files]
        try:
            size = sum(p.stat().st_size for p in paths)
        except OSError:
            return None
        if size > KEEP_DATA_MAX_BYTES:
            return None
        needed = {role: sorted(names) for role, names in sorted(required.items())}
        return _digest(
            FORMAT,
            code_version(),
            str(Path(data_dir).resolve()),
            sorted(lock.files.items()),
            analysis_settings(config),
            needed,
        )

    def get(self, key: str | None) -> StudyData | None:
        if key is None:
            return None
        data = self.store.get(key)
        return data if isinstance(data, StudyData) else None

    def put(self, key: str | None, data: StudyData) -> None:
        """Keep ``data`` under ``key``, and nothing else (the study's earlier reads go)."""
        if key is None:
            return
        self.store.put(key, data)
        self.store.prune({key[:32]})


def data_hashes(data: StudyData, row_hashes: Mapping[str, np.ndarray]) -> dict[str, str]:
    """A hash of each dataset's content: columns (in order), types and values (row order
    counts), from each record's hash (:func:`csrgen.document.snapshot.record_hashes`, which
    the run's snapshot also keeps)."""
    out = {}
    for role, frame in data.frames.items():
        h = hashlib.sha256(np.ascontiguousarray(row_hashes[role]).tobytes())
        h.update(json.dumps([list(map(str, frame.columns)), list(map(str, frame.dtypes))]).encode())
        h.update(data.files[role].name.encode())
        out[role] = h.hexdigest()
    return out


class _Reads(Mapping):
    """The datasets of a run, noting which roles an output looks at."""

    def __init__(self, frames: Mapping[str, pd.DataFrame]) -> None:
        self._frames = frames
        self.roles: set[str] = set()

    def __getitem__(self, role: str) -> pd.DataFrame:
        self.roles.add(role)
        return self._frames[role]

    def __contains__(self, role: object) -> bool:
        if isinstance(role, str):
            self.roles.add(role)
        return role in self._frames

    def __iter__(self) -> Iterator[str]:
        self.roles.update(self._frames)
        return iter(self._frames)

    def __len__(self) -> int:
        return len(self._frames)


@dataclass(frozen=True)
class OutputCache:
    """The cache of one run: its folder and the hashes of the run's datasets and settings."""

    folder: Path
    hashes: dict[str, str]
    settings: str
    #: The data lock (id, date): printed in every output's source line, not a statistic's input.
    lock: str = ""

    @classmethod
    def open(
        cls,
        folder: Path,
        config: StudyConfig,
        lock: LockInfo,
        data: StudyData,
        row_hashes: Mapping[str, np.ndarray],
    ):
        settings = analysis_settings(config)
        lock_part = _digest(lock.locked, lock.lock_id, lock.lock_date)
        hashes = data_hashes(data, row_hashes)
        return cls(Path(folder), hashes, _digest(code_version(), settings), lock_part)

    def _stats_key(self, ctx, roles: set[str]) -> str:
        spec = ctx.spec
        deps = {r: self.hashes.get(r, "") for r in sorted(roles)}
        return _digest(self.settings, spec.id, spec.slug, spec.population, spec.options, deps)

    def _path(self, kind: str, output_id: str, key: str) -> Path:
        return self.folder / f"{output_id}.{kind}.{key[:32]}.pkl"

    def _load(self, path: Path):
        try:
            with path.open("rb") as stream:
                entry = pickle.load(stream)  # noqa: S301 - our own folder, written by us
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            return None
        if any(self.hashes.get(r) != h for r, h in entry["reads"].items()):
            return None  # a dataset it read besides the declared ones changed
        return entry

    def _store(self, path: Path, entry: dict) -> None:
        """Written whole or not at all (a temporary file renamed); a failure is only a miss."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tmp.open("wb") as stream:
                pickle.dump({"format": FORMAT, **entry}, stream, protocol=5)
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)

    def paths(self, ctx, declared: set[str]) -> tuple[Path, Path]:
        """The output's two entries: its ARD, and its blocks."""
        stats_key = self._stats_key(ctx, declared | {"adsl"})
        spec = ctx.spec
        blocks_key = _digest(stats_key, self.lock, spec.number, spec.title, spec.footnotes)
        return self._path("ard", spec.id, stats_key), self._path("blocks", spec.id, blocks_key)

    def prune(self, keep: set[Path]) -> None:
        """Remove the entries this run did not use (older versions of its outputs)."""
        if not self.folder.is_dir():
            return
        for path in self.folder.glob("*.pkl"):
            if path not in keep:
                path.unlink(missing_ok=True)
        for path in self.folder.glob(".*.pkl.*"):  # left by a killed run
            path.unlink(missing_ok=True)

    def cached(self, ctx, declared: set[str]):
        """The output's result kept whole (nothing it depends on changed), or None."""
        _, blocks_path = self.paths(ctx, declared)
        entry = self._load(blocks_path)
        return None if entry is None else entry["result"]

    def run(self, ctx, run_output, run_build, declared: set[str]):
        """The output's result, from the cache where its dependencies are unchanged.

        ``run_output(ctx)`` runs it whole; ``run_build(ctx, ard)`` rebuilds its blocks from an
        ARD (prepare and build, no statistic).
        """
        roles = declared | {"adsl"}
        stats_path, blocks_path = self.paths(ctx, declared)
        entry = self._load(blocks_path)
        if entry is not None:
            return entry["result"], "cached"
        entry = self._load(stats_path)
        reads = _Reads(ctx.data.frames)
        watched = replace(ctx, data=replace(ctx.data, frames=reads))
        if entry is not None:
            result = run_build(watched, entry["ard"])
            how = "rebuilt"
        else:
            result = run_output(watched)
            how = "computed"
        read = {r: self.hashes[r] for r in sorted(reads.roles - roles) if r in self.hashes}
        if entry is None:
            self._store(stats_path, {"ard": result.ard, "reads": read})
        self._store(blocks_path, {"result": result, "reads": read})
        return result, how


def content_key(*parts) -> str | None:
    """A key of everything ``parts`` hold (a listing, a document, a table), or None when they
    cannot be keyed (then nothing is kept).

    A pickle without its memo (``Pickler.fast``): every value is written out where it occurs,
    so the key depends on the content only, not on which objects happen to be shared (a block
    computed and the same block read back from the cache give the same key; tested). The model
    is a tree of frozen dataclasses, tuples, text, numbers and arrays, which this handles."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True
    try:
        pickler.dump((FORMAT, code_version(), parts))
    except (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
        return None
    return hashlib.sha256(buffer.getbuffer()).hexdigest()


def template_bytecode(folder: Path | None):
    """Jinja's compiled templates kept in ``folder`` (the run's cache: compiling the narrative's
    and the page's templates costs more than rendering them), or None without a cache.

    Jinja names each entry by the template's name and file and checks the source's hash
    before using it, so an edited template is compiled again; a damaged entry is compiled
    again too, and a folder that cannot be written only means nothing is kept."""
    if folder is None:
        return None
    from jinja2 import FileSystemBytecodeCache

    class _Kept(FileSystemBytecodeCache):
        def load_bytecode(self, bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:  # a damaged entry (jinja checks its magic and hash, not its end)
                bucket.reset()

        def dump_bytecode(self, bucket) -> None:
            try:
                Path(self.directory).mkdir(parents=True, exist_ok=True)
                super().dump_bytecode(bucket)
            except OSError:
                pass

    return _Kept(str(folder / "jinja"))


def _sha256(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _place(source: Path, target: Path) -> None:
    """``target`` as a hard link to ``source`` (no copy of a listing of hundreds of MB; the
    files are never written again in place, and a kept one is checked by its hash before use),
    or a copy on a file system without links."""
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


@dataclass(frozen=True)
class FileCache:
    """Files a writer made, kept by a key of everything they are made from (see
    :func:`content_key`): a long listing's CSV and XLSX, the narratives' documents. A run whose
    key matches copies the files instead of writing them again; they are the same bytes."""

    folder: Path

    def _entry(self, key: str) -> Path:
        return self.folder / "files" / key[:32]

    def write(self, key: str | None, target: Path, write) -> str | None:
        """``write(folder)`` writes files into ``folder``; they end in ``target``. Returns the key
        used (for :meth:`prune`), or None when nothing was kept."""
        if key is None:
            write(target)
            return None
        entry = self._entry(key)
        if self._copy(entry, target):
            return key
        scratch = target / f".files-{key[:16]}"
        scratch.mkdir()
        write(scratch)
        written = sorted(p.name for p in scratch.iterdir())
        self._store(entry, scratch, written)
        for name in written:
            os.replace(scratch / name, target / name)
        scratch.rmdir()
        return key

    @staticmethod
    def _copy(entry: Path, target: Path) -> bool:
        """The entry's files into ``target`` when each is whole (its recorded hash), else
        nothing (a damaged entry is a miss)."""
        try:
            sums = json.loads((entry / "files.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if not isinstance(sums, dict) or not sums or any(Path(str(n)).name != n for n in sums):
            return False
        try:
            if any(_sha256(entry / name) != sums[name] for name in sums):
                return False
            for name in sums:
                _place(entry / name, target / name)
        except OSError:
            for name in sums:
                (target / name).unlink(missing_ok=True)
            return False
        return True

    def _store(self, entry: Path, scratch: Path, names: list[str]) -> None:
        """Kept whole or not at all (a temporary folder renamed); a failure is only a miss."""
        tmp = entry.with_name(f".{entry.name}.{os.getpid()}")
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            sums = {}
            for name in names:
                _place(scratch / name, tmp / name)
                sums[name] = _sha256(tmp / name)
            (tmp / "files.json").write_text(json.dumps(sums, sort_keys=True), encoding="utf-8")
            shutil.rmtree(entry, ignore_errors=True)
            os.replace(tmp, entry)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)

    def prune(self, keep: set[str]) -> None:
        """Remove the entries this run did not use."""
        root = self.folder / "files"
        if not root.is_dir():
            return
        wanted = {k[:32] for k in keep}
        for entry in root.iterdir():
            if entry.name not in wanted:
                shutil.rmtree(entry, ignore_errors=True)


class FragmentStore:
    """Pieces of a document a writer made (each table's layout and XML), kept between runs by
    a key the writer computes from everything they are made from; a damaged or foreign entry
    is a miss. ``used`` names the entries this run read or wrote (for :meth:`prune`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.used: set[str] = set()

    @staticmethod
    def key(*parts) -> str | None:
        """A key of the parts' content (:func:`content_key`), or None."""
        return content_key(*parts)

    def get(self, key: str):
        name = key[:32]
        try:
            raw = (self.folder / name).read_bytes()
            if hashlib.sha256(raw[32:]).digest() != raw[:32]:
                return None
            value = pickle.loads(raw[32:])  # noqa: S301 - our own folder, checked by its hash
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            return None
        self.used.add(name)
        return value

    def put(self, key: str, value) -> None:
        name = key[:32]
        payload = pickle.dumps(value, protocol=5)
        path = self.folder / name
        tmp = path.with_name(f".{name}.{os.getpid()}")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, path)
            self.used.add(name)
        except OSError:
            tmp.unlink(missing_ok=True)

    def prune(self, keep: set[str]) -> None:
        """Remove the entries no writer of this run used."""
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.name not in keep:
                path.unlink(missing_ok=True)
