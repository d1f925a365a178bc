"""`make bench`: how long csrgen takes, measured against the targets of issue 14, never asserted.

Parts (``--only`` runs some of them, e.g. ``--only admiral,pilot``):

- seed: the seed study, median of cold ``csrgen report --no-cache`` runs, against the median of
  a bare import of the third-party modules that report imports, run alternately (target: <= 2x).
- warm: warm rebuilds of the seed study with the incremental cache, after a title edit (target:
  <= 1.5x the bare import) and after a change in ADAE.
- admiral: the study made with admiral, every lab parameter and vital sign
  (bench/pharmaverseadam-full.toml): ``csrgen validate``, then first runs of ``csrgen report``
  (target: <= 15 s).
- pilot: the CDISC pilot from its XPT files (report/cdiscpilot01.toml; target: <= 8 s).
- scale: ``csrgen simulate --subjects N --format F`` for CSV, XPT and Parquet, reported with
  ``--draft`` (targets at 100,000 subjects: <= 30 s wall, <= 3 GB max RSS; growth k <= 1). A
  format that simulate refuses is "not measured".
- peer: the R peer (../shared/bench/peer_officer.R, PEER_ASSEMBLY=chunks) beside csrgen making
  the same four outputs (bench/cdiscpilot01-four.toml), alternately (target: csrgen >= 5x
  faster); only when Rscript and its packages are present.

"First run" means no output folder and no cache before it: what a user meets the first time.
The end is one table of every figure with its target and whether it is met; the same figures go
to ``build/bench.json`` (``--json``), where the parts not run this time keep their last result.

Usage: ``python bench/bench.py [--only PARTS] [--runs 5] [--sizes 1000 10000 100000]
[--formats csv xpt parquet] [--sim-dir DIR] [--json build/bench.json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import traceback
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from measure import ROOT, Figure, print_table
from peer import run_peer
from scale import run_scale
from seed import run_seed, run_warm
from studyruns import run_admiral, run_pilot

PARTS = {
    "seed": run_seed,
    "warm": run_warm,
    "admiral": run_admiral,
    "pilot": run_pilot,
    "scale": run_scale,
    "peer": run_peer,
}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        help=f"comma-separated parts to run (default: all: {','.join(PARTS)})",
    )
    parser.add_argument("--runs", type=int, default=5, help="runs of each timed command")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "xpt", "parquet"])
    parser.add_argument(
        "--sim-dir",
        type=Path,
        default=None,
        help="keep the simulated studies here and reuse them (the same size and format give "
        "the same bytes; simulating 100,000 subjects as XPT takes minutes)",
    )
    parser.add_argument("--skip-scale", action="store_true", help="all parts but scale")
    parser.add_argument("--json", type=Path, default=ROOT / "build" / "bench.json")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        parser.error(f"--only: unknown part(s) {', '.join(unknown)}; use {','.join(PARTS)}")
    if args.skip_scale:
        parts = [p for p in parts if p != "scale"]
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    args.parts = [p for p in PARTS if p in parts]  # always in the order of PARTS
    return args


def commit() -> str:
    """The checkout measured: its commit, "+dirty" when files differ from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return ""
    return head + ("+dirty" if dirty else "")


def run_parts(args: argparse.Namespace, tmp: Path) -> dict[str, dict]:
    """Each part in turn; a part that fails is recorded as failed and the others still run."""
    results = {}
    for name in args.parts:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        entry = {"measured_at": stamp, "commit": commit(), "runs": args.runs}
        try:
            figures, details = PARTS[name](args, tmp)
            entry |= {"figures": [asdict(f) for f in figures], "details": details}
        except Exception as err:  # a failed part is reported, the bench goes on
            text = getattr(err, "stderr", None) or ""
            if isinstance(text, bytes):
                text = text.decode(errors="replace")
            print(f"   FAILED: {err}\n{text}".rstrip())
            traceback.print_exc(file=sys.stdout)
            entry |= {"failed": f"{type(err).__name__}: {err}", "figures": []}
        results[name] = entry
    return results


def summary(results: dict[str, dict]) -> None:
    print("\nsummary (this run)")
    rows = []
    for name, entry in results.items():
        if "failed" in entry:
            rows.append((name, "(the part failed)", "", "", "FAILED", entry["failed"][:60]))
        for f in (Figure(**d) for d in entry["figures"]):
            rows.append((f.part, f.name, f.shown(), f.target, f.verdict(), f.note))
    print_table(("part", "figure", "value", "target", "met", "note"), rows, align="llrlll")


def write_json(path: Path, results: dict[str, dict]) -> None:
    """Merge this run's parts into ``path``: the parts not run now keep their last result."""
    old = {}
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8")).get("parts", {})
        except (ValueError, AttributeError):
            old = {}
    parts = {name: results[name] if name in results else old.get(name) for name in PARTS}
    parts = {name: entry for name, entry in parts.items() if entry is not None}
    doc = {
        "machine": {
            "cores": os.cpu_count(),
            "python": sys.version.split()[0],
            "platform": platform.platform(),
        },
        "figures": [f for entry in parts.values() for f in entry.get("figures", [])],
        "parts": parts,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    kept = [name for name in parts if name not in results]
    note = f" (kept from earlier runs: {', '.join(kept)})" if kept else ""
    print(f"\nwritten: {path}{note}")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    python = sys.version.split()[0]
    print(f"machine: {os.cpu_count()} cores, Python {python}; parts: {', '.join(args.parts)}")
    with tempfile.TemporaryDirectory(prefix="csrgen-bench-") as name:
        results = run_parts(args, Path(name))
    summary(results)
    write_json(args.json, results)
    return 1 if any("failed" in entry for entry in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
