"""``csrgen report``: study file -> validated data -> ARD -> document -> files, written atomically.

The report is built in a hidden staging folder beside ``OUT`` and moved into place only when
every file is complete, so a failed or interrupted run leaves the previous report untouched.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing as mp
import os
import platform
import shutil
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from csrgen import __version__
from csrgen.ard import concat_ard, write_ard
from csrgen.cache import (
    FileCache,
    FragmentStore,
    OutputCache,
    ReadCache,
    content_key,
    template_bytecode,
)
from csrgen.config import StudyConfig
from csrgen.datasets import StudyData, read_study_data, roles_with_problems
from csrgen.document.assemble import build_document
from csrgen.document.delta import Delta, compare, delta_csv, delta_section, with_delta
from csrgen.document.model import Document
from csrgen.document.snapshot import (
    SNAPSHOT,
    PreviousReportError,
    Snapshot,
    read_snapshot,
    record_hashes,
    take_snapshot,
    write_snapshot,
)
from csrgen.errors import ConfigError, DataValidationError, OutputError
from csrgen.lock import LockInfo, check_lock, sha256_file
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import (
    OutputResult,
    check_outputs,
    declared_roles,
    get_module,
    load_study_outputs,
    rebuild_output,
    requirements,
    run_output,
    work_group,
)
from csrgen.progress import Progress
from csrgen.resources import find_template, template_dirs, template_problems

#: Packages whose versions the manifest records (they shape the numbers or the files).
RECORDED_PACKAGES = (
    "pandas",
    "numpy",
    "scipy",
    "statsmodels",
    "lifelines",
    "tableone",
    "matplotlib",
    "python-docx",
    "Jinja2",
    "pyreadstat",
    "pyarrow",
    "pydantic",
    "XlsxWriter",  # the long listings' XLSX
)


@dataclass(frozen=True)
class Prepared:
    """A study ready to report: config, options per output, lock status, validated data."""

    config: StudyConfig
    options: dict[str, object]
    data_dir: Path
    lock: LockInfo
    data: StudyData
    #: What the run tells the user although nothing is wrong (records a declared rule left
    #: out, with counts), one line each: printed to stderr by the command line.
    warnings: tuple[str, ...] = ()
    #: The incremental rebuild's cache (see :mod:`csrgen.cache`); ``None``: every output runs.
    cache: OutputCache | None = None


def prepare_study(
    study: str | Path,
    data: str | Path | None = None,
    draft: bool = False,
    progress: Progress | None = None,
    cache_folder: Path | None = None,
) -> Prepared:
    """Load and check everything before any statistic is computed (fail fast, report all).

    ``csrgen validate`` and ``csrgen report`` both run exactly this, so a study that validates
    reports: the study file (every key, every output's options, the templates it names), the
    data lock, every dataset (:func:`~csrgen.datasets.read_study_data`) and then every output
    module's ``check`` hook on the valid datasets. Each stage lists all of its problems; data
    problems and the outputs' checks are reported together. The warnings of the datasets and
    of the checks (records a declared rule left out, with counts) are kept in order.
    ``progress`` hears of each dataset read. With ``cache_folder`` (a report's cache), the
    datasets as read and validated are kept there for the next run on the same files
    (:class:`csrgen.cache.ReadCache`); the outputs' checks always run.
    """
    progress = progress or Progress()
    config, options = load_study_outputs(study)
    problems = template_problems(config)
    if problems:
        raise ConfigError("\n".join(problems))
    data_dir = config.data_dir(data)
    lock = check_lock(config, data_dir, draft=draft)
    progress.stage("reading datasets", len(config.data.datasets))
    required = requirements(config, options)
    kept = ReadCache(cache_folder) if cache_folder is not None else None
    key = kept.key(config, data_dir, lock, required) if kept is not None else None
    frames = kept.get(key) if kept is not None else None
    if frames is not None:
        problems = []
        for role, frame in frames.frames.items():
            progress.step(f"{role.upper()} ({len(frame):,} rows)")
    else:
        frames, problems = read_study_data(
            config,
            data_dir,
            required,
            on_read=lambda role, rows: progress.step(f"{role.upper()} ({rows:,} rows)"),
        )
        if kept is not None and not problems:
            kept.put(key, frames)
    progress.close()
    skip = roles_with_problems(config, problems)
    warnings = list(frames.warnings)
    problems += check_outputs(config, options, frames, lock, skip, warnings)
    if problems:
        raise DataValidationError(problems)
    return Prepared(config, options, data_dir, lock, frames, tuple(warnings))


def run_outputs(
    prep: Prepared, jobs: int | None = None, progress: Progress | None = None
) -> list[OutputResult]:
    """Every output of the study file, in its order (``progress`` hears of each one done), with
    their figures drawn (:func:`csrgen.figures.draw_figures`).

    Outputs are independent, so with ``jobs`` > 1 they run in forked worker processes (which
    inherit the validated data without copying or re-reading it). The results, and therefore
    every file, are the same whatever ``jobs`` is; only the wall time differs.
    """
    ids = [spec.id for spec in prep.config.outputs]
    jobs = default_jobs() if jobs is None else jobs
    progress = progress or Progress()
    progress.stage("computing outputs", len(ids))
    # Outputs kept whole in the cache are read here: a worker would read the same entry and
    # send the result back through a pipe, pickled once more.
    done: dict[str, OutputResult] = {}
    if prep.cache is not None:
        for output_id in ids:
            kept = prep.cache.cached(_context(prep, output_id), _declared(prep, output_id))
            if kept is not None:
                done[output_id] = kept
                progress.step(output_id)
    # Outputs that share work run together (see catalog.work_group); the costliest groups first
    # (longest-processing-time scheduling): an expensive output that comes last in the study
    # file would otherwise run alone at the end while the other workers idle.
    groups: dict[str, list[str]] = {}
    for spec in prep.config.outputs:
        if spec.id not in done:
            key = work_group(spec, prep.options[spec.id])
            groups.setdefault(key, []).append(spec.id)
    tasks = sorted(groups.values(), key=lambda g: -sum(_cost(prep, i) for i in g))

    def finished(group: list[str]) -> None:
        for output_id in group:
            progress.step(output_id)

    results = _run_tasks(_run_group, prep, tasks, jobs, on_done=finished)
    progress.close()
    done.update((r.output_id, r) for group in results for r in group)
    if prep.cache is not None:
        keep = {p for i in ids for p in prep.cache.paths(_context(prep, i), _declared(prep, i))}
        prep.cache.prune(keep)
    # the figures of every output, drawn together over the workers (see csrgen.figures)
    from csrgen.figures import draw_figures

    folder = prep.cache.folder if prep.cache is not None else None
    return draw_figures([done[i] for i in ids], folder, jobs, _run_tasks, progress)


def _cost(prep: Prepared, output_id: str) -> int:
    """A rough cost of an output: the records of the largest dataset it reads."""
    spec = prep.config.output(output_id)
    module = get_module(spec.slug)
    roles = module.requires(prep.config, spec, prep.options[spec.id])
    frames = prep.data.frames
    return max((len(frames[r]) for r in roles if r in frames), default=0)


def default_jobs() -> int:
    """Worker processes for the outputs: ``CSRGEN_JOBS``, else the CPUs (at most 4)."""
    env = os.environ.get("CSRGEN_JOBS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))


def _run_group(prep: Prepared, output_ids: list[str]) -> list[OutputResult]:
    return [_run_one(prep, i) for i in output_ids]


def _context(prep: Prepared, output_id: str) -> OutputContext:
    spec = prep.config.output(output_id)
    return OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock)


def _declared(prep: Prepared, output_id: str) -> set[str]:
    return declared_roles(_context(prep, output_id))


def _run_one(prep: Prepared, output_id: str) -> OutputResult:
    ctx = _context(prep, output_id)
    if prep.cache is None:
        return run_output(ctx)
    result, _ = prep.cache.run(ctx, run_output, rebuild_output, declared_roles(ctx))
    return result


def assemble(prep: Prepared, results: list[OutputResult]) -> Document:
    by_id = {r.output_id: r for r in results}
    return build_document(
        prep.config,
        prep.lock,
        [(spec.section, by_id[spec.id].blocks) for spec in prep.config.outputs],
        ard=concat_ard(r.ard for r in results),
        template_dirs=template_dirs(prep.config),
        output_blocks={r.output_id: r.blocks for r in results},
        bytecode=template_bytecode(None if prep.cache is None else prep.cache.folder),
    )


def write_report(
    prep: Prepared,
    results: list[OutputResult],
    doc: Document,
    out: Path,
    progress: Progress | None = None,
    snapshot: Snapshot | None = None,
    delta: Delta | None = None,
    qmd: bool = False,
) -> Path:
    """Every file into a staging folder, then moved into place (see :func:`staging`);
    ``progress`` hears of each file written. With the run's ``snapshot`` (what the next lock
    compares with) it writes ``snapshot.json.gz``; with a ``delta`` from the previous lock,
    ``delta.csv`` and ``delta.html``.

    The files are independent (ARD, DOCX, HTML, each long listing's CSV/XLSX, the Quarto
    source when ``qmd`` or the study file's ``document.qmd`` asks for it), so with more than
    one job they are written by forked worker processes at the same time; the manifest, which
    lists them all, comes last.
    """
    ard = concat_ard(r.ard for r in results)
    progress = progress or Progress()
    tasks = _file_tasks(doc, qmd or prep.config.document.qmd)
    if snapshot is not None:
        tasks.append(("snapshot", 0))
    if delta is not None:
        tasks += [("delta_csv", 0), ("delta_html", 0)]
    progress.stage("writing files", len(tasks) + 1)
    files = None if prep.cache is None else (FileCache(prep.cache.folder), _templates_key(prep))
    with staging(out) as tmp:
        used = _run_tasks(
            _write_one,
            (prep, doc, ard, tmp, snapshot, delta, files),
            tasks,
            default_jobs(),
            on_done=lambda task: progress.step(_task_label(doc, task)),
        )
        said = [entry for entries in used for entry in entries]
        counts = [e.split("/") for e in said if e.startswith("pages/") and e.count("/") == 2]
        pages = {name: int(n) for _, name, n in counts}
        if files is not None:
            kept = set(said)
            files[0].prune({n.split("/")[1] for n in kept if n.startswith("files/")})
            for writer in ("docx", "html", "pages"):
                fragments = FragmentStore(prep.cache.folder / writer)
                fragments.prune({n.split("/")[1] for n in kept if n.startswith(f"{writer}/")})
        write_manifest(prep, tmp, pages)
        progress.step("manifest.json")
    progress.close()
    return out


def _task_label(doc: Document, task: tuple[str, int]) -> str:
    kind, index = task
    if kind == "listing":
        from csrgen.writers.listings import external_listings

        return ", ".join(external_listings(doc.sections)[index].external)
    if kind.startswith("att_"):
        return f"{doc.attachments[index][0]}.{kind[4:]}"
    names = {"ard": "ard.csv", "snapshot": SNAPSHOT, "delta_csv": "delta.csv"}
    return names.get(kind, "delta.html" if kind == "delta_html" else f"csr.{kind}")


def _file_tasks(doc: Document, qmd: bool = False) -> list[tuple[str, int]]:
    """("docx", 0), ("html", 0), ("ard", 0), ("qmd", 0) when asked for, ("listing", i) for each
    long listing; the largest first, so that the longest task starts at once; then each
    attachment's DOCX and HTML."""
    from csrgen.writers.listings import external_listings

    listings = external_listings(doc.sections)
    by_size = sorted(range(len(listings)), key=lambda i: -listings[i].total_rows)
    quarto = [("qmd", 0)] if qmd else []
    attached = [(k, i) for i in range(len(doc.attachments)) for k in ("att_docx", "att_html")]
    listed = [("listing", i) for i in by_size]
    return [("docx", 0), ("html", 0), ("ard", 0)] + quarto + attached + listed


def _templates_key(prep: Prepared) -> str:
    """A hash of every template file the writers may read (the study's own and the project's)."""
    h = hashlib.sha256()
    for folder in template_dirs(prep.config):
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _write_one(state: tuple, task: tuple[str, int]) -> list[str]:
    """Write one file; ``state`` is (prepared study, document, ARD, staging folder, snapshot,
    delta, written-file cache and templates key or None). The long listings' files and the
    attachments are made from their own block or document alone: with a cache they are copied
    from the previous run when that is unchanged; the CSR's DOCX keeps its tables' layout and
    XML. Returns the cache entries used ("files/KEY", "docx/KEY")."""
    prep, doc, ard, tmp, snapshot, delta, files = state
    kind, index = task
    if files is not None and (kind == "listing" or kind.startswith("att_")):
        from csrgen.writers.listings import external_listings, lock_stamp

        cache, templates = files
        if kind == "listing":
            part, extra = external_listings(doc.sections)[index], lock_stamp(doc)
        else:
            part, extra = doc.attachments[index], templates
        key = content_key(kind, part, extra, templates)
        used = cache.write(key, tmp, lambda folder: _write_one(_no_cache(state, folder), task))
        kept = [f"files/{used[:32]}"] if used else []
        if kind == "att_docx":  # its page count, whether written or copied (kept as well)
            from csrgen.writers.pages import estimate_pages

            name, attached = doc.attachments[index]
            counts = FragmentStore(cache.folder / "pages")
            pages = counts.get(key) if key else None
            if not isinstance(pages, int):
                pages = estimate_pages(attached)
                if key:
                    counts.put(key, pages)
            kept += [f"pages/{name}.docx/{pages}", *(f"pages/{n}" for n in counts.used)]
        return kept
    if kind.startswith("att_"):  # a document beside the CSR (the narratives): same writers
        name, doc = doc.attachments[index]
        kind = kind[4:]
    else:
        name = "csr"
    if kind == "snapshot":
        write_snapshot(snapshot, tmp / SNAPSHOT)
    elif kind == "delta_csv":
        (tmp / "delta.csv").write_text(delta_csv(delta), encoding="utf-8", newline="")
    elif kind == "delta_html":
        from csrgen.writers.html import write_html

        page = replace(doc, sections=(delta_section(delta, link_prefix="csr.html"),))
        write_html(page, tmp / "delta.html", template_dirs(prep.config))
    elif kind == "ard":
        write_ard(ard, tmp / "ard.csv")
    elif kind == "docx":
        from csrgen.writers.docx import write_docx

        tables = None if files is None else FragmentStore(files[0].folder / "docx")
        reference = find_template("reference.docx", prep.config)
        pages = write_docx(doc, tmp / f"{name}.docx", reference, tables)
        kept = [f"docx/{n}" for n in tables.used] if tables is not None else []
        return [*kept, f"pages/{name}.docx/{pages}"]
    elif kind == "html":
        from csrgen.writers.html import write_html

        bodies = None if files is None else FragmentStore(files[0].folder / "html")
        bytecode = template_bytecode(None if files is None else files[0].folder)
        write_html(doc, tmp / f"{name}.html", template_dirs(prep.config), bodies, bytecode)
        return [f"html/{n}" for n in bodies.used] if bodies is not None else []
    elif kind == "qmd":
        from csrgen.writers.qmd import write_qmd

        write_qmd(doc, tmp / "csr.qmd")
    else:
        from csrgen.writers.listings import external_listings, lock_stamp, write_listing_files

        write_listing_files(external_listings(doc.sections)[index], tmp, lock_stamp(doc))
    return []


def _no_cache(state: tuple, folder: Path) -> tuple:
    """``state`` writing into ``folder`` without the written-file cache."""
    prep, doc, ard, _, snapshot, delta, _ = state
    return (prep, doc, ard, folder, snapshot, delta, None)


#: What forked workers work on, set in the parent just before the fork (see :func:`_run_tasks`).
_SHARED: object = None


def _run_tasks(func, shared, tasks: list, jobs: int, on_done=None) -> list:
    """``func(shared, task)`` for each task, results in the order of ``tasks``: in this process,
    or in forked workers, which inherit ``shared`` (the validated data, the document) through
    the fork instead of having it pickled to them. ``on_done(task)`` is called in this process
    as each task finishes (in the order they finish)."""
    on_done = on_done or (lambda task: None)
    if jobs <= 1 or len(tasks) < 2 or "fork" not in mp.get_all_start_methods():
        results = []
        for t in tasks:
            results.append(func(shared, t))
            on_done(t)
        return results
    global _SHARED
    _SHARED = shared
    try:
        with ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=mp.get_context("fork"),
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        ) as pool:
            futures = {pool.submit(_call_shared, (func, t)): i for i, t in enumerate(tasks)}
            results: list = [None] * len(tasks)
            for future in as_completed(futures):
                i = futures[future]
                results[i] = future.result()
                on_done(tasks[i])
            return results
    finally:
        _SHARED = None


def _die_with_parent(parent: int) -> None:
    """A worker ends when the report process does, even killed with SIGKILL (Linux: the
    kernel sends the worker SIGKILL when its parent dies); elsewhere workers end when the pool
    finds its parent gone."""
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _call_shared(item: tuple) -> object:
    func, task = item
    return func(_SHARED, task)


def run_report(
    study: str | Path,
    data: str | Path | None = None,
    out: str | Path | None = None,
    draft: bool = False,
    warn=None,
    progress: Progress | None = None,
    previous: str | Path | None = None,
    cache: str | Path | bool = True,
    qmd: bool = False,
) -> Path:
    """The whole report; ``warn`` (if given) receives the run's warnings before the outputs run
    (a date derived from a datetime, records a declared rule left out, ...); ``progress`` (if
    given) hears of each dataset read, output computed and file written. ``previous`` (or the
    study file's ``document.previous_report``) names the previous data lock's report folder:
    the report then says what changed since (see :mod:`csrgen.document.delta`). ``cache``:
    True keeps each output's statistics and blocks in ``.<output folder>.cache`` beside the
    output for the next run (see :mod:`csrgen.cache`), a path keeps them there, False runs
    every output afresh and keeps nothing. ``qmd`` also writes the Quarto source ``csr.qmd`` (as
    the study file's ``document.qmd``)."""
    # the whole study file's check (as validate's), not the config's alone
    config, _ = load_study_outputs(study)
    target = Path(out) if out else Path("build") / config.study.id
    if previous is None and config.document.previous_report:
        previous = config.base_dir / config.document.previous_report
    with output_lock(target):
        # read before anything is computed (a bad folder stops the run at once), and before the
        # new report replaces it: --previous may name the output folder itself
        before = read_previous(Path(previous), config.study.id) if previous else None
        folder = None
        if cache is not False:
            folder = target.parent / f".{target.name}.cache" if cache is True else Path(cache)
        prep = prepare_study(study, data, draft, progress, folder)
        if warn is not None and prep.warnings:
            warn(prep.warnings)
        # each record's hash, once: the cache keys datasets by them, the snapshot keeps them
        hashes = {role: record_hashes(frame) for role, frame in prep.data.frames.items()}
        if folder is not None:
            opened = OutputCache.open(folder, prep.config, prep.lock, prep.data, hashes)
            prep = replace(prep, cache=opened)
        results = run_outputs(prep, progress=progress)
        doc = assemble(prep, results)
        snapshot = take_snapshot(prep.config, prep.lock, prep.data, doc, hashes)
        del hashes
        delta = None
        if before is not None:
            old_snapshot, old_ard = before
            new_ard = concat_ard(r.ard for r in results)
            delta = compare(old_snapshot, snapshot, config.arms.levels, old_ard, new_ard)
            doc = with_delta(doc, delta)
        return write_report(prep, results, doc, target, progress, snapshot, delta, qmd)


def read_previous(folder: Path, study_id: str):
    """The previous report's snapshot and ARD, or an error naming what is wrong with it."""
    from csrgen.ard import read_ard

    snapshot = read_snapshot(folder)
    if snapshot.study_id != study_id:
        raise PreviousReportError(
            f"{folder}: a report of study {snapshot.study_id!r}, not {study_id!r}"
        )
    try:
        ard = read_ard(folder / "ard.csv")
    except (OSError, ValueError, KeyError) as exc:
        raise PreviousReportError(f"{folder / 'ard.csv'}: cannot be read ({exc})") from None
    return snapshot, ard


@contextlib.contextmanager
def output_lock(out: Path):
    """Hold the output folder for one run: checked writable first, then locked (an advisory
    ``flock`` on ``.<name>.lock`` beside it, released by the kernel even when the run is killed),
    then cleared of what killed runs left (see :func:`recover`).

    A second run into the same folder while one holds it stops at once (exit 2) rather than
    racing it: which report would win would be chance.
    """
    import fcntl

    out = Path(out)
    check_output_folder(out)
    lock_path = out.parent / f".{out.name}.lock"
    try:
        handle = open(lock_path, "a+")  # noqa: SIM115 - held for the whole run
    except OSError as exc:
        raise OutputError(f"{lock_path}: cannot create the lock file ({exc.strerror})") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise OutputError(
                f"{out}: another csrgen report ({holder}) is writing this folder; run again "
                "when it has finished"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        recover(out)
        yield out
    finally:
        handle.close()  # releases the lock; the empty lock file stays (removing it would race)


def check_output_folder(out: Path) -> None:
    """``out`` must be a folder (or not exist yet) in a folder csrgen can write: an error
    naming the path and the reason otherwise, before any work is done."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; give --out a folder")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{out.parent}: cannot create the output folder ({exc.strerror})"
        ) from None
    probe = out.parent / f".{out.name}.probe-{os.getpid()}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise OutputError(f"{out.parent}: cannot write the report here ({exc.strerror})") from None


def recover(out: Path) -> None:
    """Clear what killed runs left beside ``out`` (called with the folder locked, so no other
    run is using them): a half-written ``.<name>.partial-<pid>`` is deleted; a complete
    ``.<name>.previous-<pid>`` (a run killed between its two renames) is put back when ``out``
    itself is missing, deleted otherwise."""
    for stale in sorted(out.parent.glob(f".{out.name}.partial-*")):
        shutil.rmtree(stale, ignore_errors=True)
    for old in sorted(out.parent.glob(f".{out.name}.previous-*")):
        if not out.exists():
            old.rename(out)
        else:
            shutil.rmtree(old, ignore_errors=True)


def write_manifest(prep: Prepared, folder: Path, pages: dict[str, int] | None = None) -> None:
    """``manifest.json``: versions, the lock, SHA-256 of every input and every output file, and
    the estimated page count of each Word document (:mod:`csrgen.writers.pages`)."""
    config = prep.config
    outputs = {
        p.relative_to(folder).as_posix(): sha256_file(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    manifest = {
        "csrgen_version": __version__,
        "study_id": config.study.id,
        "study_file": {"name": config.path.name, "sha256": sha256_file(config.path)},
        "data_lock": {
            "locked": prep.lock.locked,
            "lock_id": prep.lock.lock_id,
            "lock_date": prep.lock.lock_date,
        },
        "inputs": dict(sorted(prep.lock.files.items())),
        "outputs": outputs,
        "pages_estimated": dict(sorted((pages or {}).items())),
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in RECORDED_PACKAGES},
    }
    text = json.dumps(manifest, indent=2, sort_keys=False) + "\n"
    (folder / "manifest.json").write_text(text, encoding="utf-8", newline="\n")


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return ""


@contextlib.contextmanager
def staging(out: Path):
    """Yield an empty folder beside ``out``; on success swap it in, on any failure delete it."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}"
    old = out.parent / f".{out.name}.previous-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)
