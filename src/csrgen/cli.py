"""Command line: ``csrgen report|validate|lock|simulate|diff``.

Exit codes: 0 success; 2 bad input (study file, data, lock, output folder), with a short
message naming the file, variable, rule and example rows; 130 interrupted; 1 an unexpected error
(a bug): one line naming the log file that holds the traceback. No traceback on the terminal
unless ``--debug``.
Heavy libraries are imported inside the commands so that ``csrgen --help`` is instant.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from csrgen import __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="csrgen",
        description="Locked CDISC ADaM datasets in; a Clinical Study Report (DOCX, HTML, ARD) out.",
    )
    parser.add_argument("--version", action="version", version=f"csrgen {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("report", help="build the CSR: csr.docx, csr.html, ard.csv, manifest.json")
    p.add_argument("study", type=Path, help="study file, e.g. report/ucmsc-dlc.toml")
    p.add_argument("--data", type=Path, help="folder of the ADaM files (default: the study file's)")
    p.add_argument("--out", type=Path, help="output folder (default: build/<study id>)")
    p.add_argument(
        "--draft",
        action="store_true",
        help="report data that do not match their lock; every page says DRAFT - DATA NOT LOCKED",
    )
    p.add_argument(
        "--previous",
        type=Path,
        metavar="OLD_OUT",
        help="the previous data lock's report folder: say what changed since (delta.html, "
        "delta.csv, an appendix, changed cells marked in the HTML)",
    )
    p.add_argument(
        "--cache",
        type=Path,
        metavar="DIR",
        help="keep each output's statistics and blocks here for the next run "
        "(default: .<output folder>.cache beside it)",
    )
    p.add_argument(
        "--no-cache", action="store_true", help="recompute every output and keep nothing"
    )
    p.add_argument(
        "--qmd",
        action="store_true",
        help="also write csr.qmd, a Quarto source of the CSR (as [document] qmd = true)",
    )
    p.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bars and no summary line (warnings and errors still print)",
    )

    p = sub.add_parser("validate", help="check the study file and every dataset; list all problems")
    p.add_argument("study", type=Path)
    p.add_argument("--data", type=Path)

    p = sub.add_parser(
        "lock", help="write lock.json: lock id, lock date, SHA-256 of every data file"
    )
    p.add_argument("study", type=Path)
    p.add_argument("--data", type=Path)
    p.add_argument("--date", help="lock date YYYY-MM-DD (default: today)")
    p.add_argument("--id", dest="lock_id", help="lock id (default: derived from the file hashes)")

    p = sub.add_parser("simulate", help="generate the synthetic seed-study ADaM datasets")
    p.add_argument("--subjects", type=int, default=None, help="number of subjects (default 219)")
    p.add_argument(
        "--seed", type=int, default=None, help="random seed (default: the committed data's)"
    )
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument(
        "--format",
        choices=("csv", "parquet", "xpt", "json"),
        default="csv",
        help="csv (default), parquet, xpt (SAS transport v5) or json (Dataset-JSON 1.1)",
    )

    p = sub.add_parser(
        "diff", help="compare two ard.csv files (QC, or one data lock with the next)"
    )
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p.add_argument("--rtol", type=float, default=0.0, help="relative tolerance for 'changed'")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from csrgen.errors import CsrgenError

    try:
        return _COMMANDS[args.command](args)
    except CsrgenError as exc:
        if args.debug:
            raise
        print(f"csrgen {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"csrgen {args.command}: interrupted; nothing was replaced", file=sys.stderr)
        return 130
    except Exception:  # the last line of defence: a bug, not a user error
        if args.debug:
            raise
        log = _crash_log(args.command)
        print(
            f"csrgen {args.command}: an unexpected error stopped the run (a bug in csrgen, "
            f"please report it); nothing was replaced. Details: {log}",
            file=sys.stderr,
        )
        return 1


def _crash_log(command: str) -> str:
    """Write the traceback of the exception being handled to a log file; return its path."""
    import tempfile
    import traceback

    try:
        fd, path = tempfile.mkstemp(prefix=f"csrgen-{command}-", suffix=".log")
        with open(fd, "w", encoding="utf-8") as handle:
            handle.write(f"csrgen {__version__} {command}\n")
            traceback.print_exc(file=handle)
        return path
    except OSError:
        return "(no log: the temporary folder cannot be written; run with --debug)"


def _warn(command: str, warnings) -> None:
    for line in warnings:
        print(f"csrgen {command}: warning: {line}", file=sys.stderr)


def _report(args) -> int:
    import time

    from csrgen.progress import for_terminal
    from csrgen.report import run_report

    start = time.perf_counter()
    out = run_report(
        args.study,
        args.data,
        args.out,
        args.draft,
        warn=lambda w: _warn("report", w),
        progress=for_terminal(quiet=args.quiet),
        previous=args.previous,
        cache=False if args.no_cache else (args.cache or True),
        qmd=args.qmd,
    )
    if not args.quiet:
        print(f"{_written(out)} in {time.perf_counter() - start:.1f} s")
    return 0


def _written(out: Path) -> str:
    """The report folder and the files its manifest lists (the documents named first)."""
    import json

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    files = [*manifest["outputs"], "manifest.json"]
    first = ("csr.docx", "csr.html", "csr.qmd", "ard.csv", "manifest.json")
    named = [f for f in first if f in files]
    pages = manifest.get("pages_estimated", {})
    named = [f"{f} (about {pages[f]} pages)" if f in pages else f for f in named]
    attached = [f"{f} (about {n} pages)" for f, n in pages.items() if f not in first]
    rest = len(files) - len(named) - len(attached)
    more = f" and {rest} more file{'s' if rest != 1 else ''}" if rest else ""
    return f"wrote {out}: {', '.join(named + attached)}{more}"


def _validate(args) -> int:
    from csrgen.report import prepare_study

    prep = prepare_study(args.study, args.data, draft=True)
    _warn("validate", prep.warnings)
    rows = sum(len(f) for f in prep.data.frames.values())
    lock = f"locked as {prep.lock.lock_id}" if prep.lock.locked else "NOT matching a lock"
    print(
        f"{prep.config.study.id}: {len(prep.data.frames)} datasets, {rows} rows valid; data {lock}"
    )
    return 0


def _lock(args) -> int:
    from csrgen.config import load_study
    from csrgen.lock import write_lock

    config = load_study(args.study)
    path = write_lock(config, config.data_dir(args.data), args.date, args.lock_id)
    print(f"wrote {path}")
    return 0


def _simulate(args) -> int:
    from csrgen.errors import CsrgenError
    from csrgen.simulate import DEFAULT_SEED, SEED_SUBJECTS, simulate_study, write_study

    n = SEED_SUBJECTS if args.subjects is None else args.subjects
    if n < 2:
        raise CsrgenError("--subjects must be at least 2")
    seed = DEFAULT_SEED if args.seed is None else args.seed
    args.out.mkdir(parents=True, exist_ok=True)
    files = write_study(simulate_study(n, seed), args.out, args.format)
    print(f"wrote {len(files)} files for {n} subjects (seed {seed}) to {args.out}")
    return 0


def _diff(args) -> int:
    from csrgen.ard import diff_ard, read_ard

    diff = diff_ard(read_ard(args.old), read_ard(args.new), rtol=args.rtol)
    if diff.empty:
        print("no differences")
        return 0
    print(diff.to_csv(index=False, lineterminator="\n"), end="")
    return 1


_COMMANDS = {
    "report": _report,
    "validate": _validate,
    "lock": _lock,
    "simulate": _simulate,
    "diff": _diff,
}

if __name__ == "__main__":
    sys.exit(main())
