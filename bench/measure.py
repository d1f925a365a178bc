"""What every part of `make bench` shares: where things are, how one command is timed, and the
figure record that the summary table and ``build/bench.json`` are made of."""

from __future__ import annotations

import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
CSRGEN = str(BIN / "csrgen")
SEED = ROOT / "report" / "ucmsc-dlc.toml"
GNU_TIME = shutil.which("time") or "/usr/bin/time"

#: 3 GB, the memory target of issue 14, in the MB (MiB) the tables print
MB_3GB = 3 * 1024


@dataclass(frozen=True)
class Run:
    """One timed command: wall seconds, peak RSS of the largest single process (MB) and peak
    memory of the whole process tree (MB)."""

    wall: float
    rss_mb: float
    tree_mb: float


@dataclass
class Figure:
    """One figure of the summary: a measured value beside its target.

    ``met`` is True or False when the figure has a target, None when it has none or was not
    measured (``value`` None, the reason in ``note``).
    """

    part: str
    name: str
    value: float | None
    unit: str
    target: str = ""
    met: bool | None = None
    note: str = ""

    def shown(self) -> str:
        if self.value is None:
            return "not measured"
        if self.unit == "MB":
            return f"{self.value:,.0f} MB"
        if self.unit == "x":
            return f"{self.value:.2f} x"
        if self.unit == "s":
            return f"{self.value:.2f} s"
        return f"{self.value:.2f}{(' ' + self.unit) if self.unit else ''}"

    def verdict(self) -> str:
        if self.value is None:
            return "not measured"
        return {True: "pass", False: "MISS", None: "-"}[self.met]


def at_most(part: str, name: str, value: float, unit: str, limit: float, target: str) -> Figure:
    """A figure whose target is an upper bound."""
    return Figure(part, name, value, unit, target, bool(value <= limit))


def not_measured(part: str, name: str, reason: str, target: str = "") -> Figure:
    return Figure(part, name, None, "", target, None, reason)


def timed(cmd: list[str], cwd: Path = ROOT, env: dict | None = None) -> Run:
    """Run ``cmd`` and measure it: wall seconds, peak RSS of the largest single process (GNU
    time) and peak memory of the whole process tree (sum of PSS sampled every 50 ms).

    The report forks worker processes that share the parent's pages copy-on-write: the sum of
    their RSS would count shared pages several times, the largest RSS alone would miss the
    workers' own memory. PSS (each shared page divided among its sharers) adds up to what the
    tree really holds.
    """
    with tempfile.NamedTemporaryFile("r", suffix=".time") as handle:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [GNU_TIME, "-f", "%M", "-o", handle.name, *cmd],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        peak_tree = 0.0
        while proc.poll() is None:
            peak_tree = max(peak_tree, _tree_pss_mb(proc.pid))
            time.sleep(0.05)
        wall = time.perf_counter() - start
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.returncode:
            raise subprocess.CalledProcessError(proc.returncode, cmd, stderr=stderr)
        rss_kb = float(handle.read().strip().splitlines()[-1])
    return Run(wall, rss_kb / 1024, peak_tree)


def _tree_pss_mb(pid: int) -> float:
    """Sum of PSS over ``pid`` and its descendants now (Linux /proc; 0 where unreadable)."""
    total_kb, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total_kb += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return total_kb / 1024


def fresh(*paths: Path) -> None:
    """Remove output and cache folders left by the previous run, so that every run is a first
    run (cold: nothing to reuse) and pays for what a first run writes."""
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


def report_cmd(study: Path, out: Path, *extra: str) -> list[str]:
    """``csrgen report`` of ``study`` into ``out``, its cache beside it (fresh: see ``fresh``)."""
    cache = out.with_name(out.name + ".cache")
    return [CSRGEN, "report", str(study), "--out", str(out), "--cache", str(cache), *extra]


def cold_report(study: Path, out: Path, *extra: str) -> Run:
    """One timed first run of ``csrgen report``: no output folder and no cache before it."""
    fresh(out, out.with_name(out.name + ".cache"))
    return timed(report_cmd(study, out, *extra))


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def runs_text(runs: int) -> str:
    return f"{runs} run" if runs == 1 else f"{runs} runs"


def print_table(head: tuple[str, ...], rows: list[tuple], indent: int = 3, align: str = "") -> None:
    """A plain-text table; ``align`` holds "l" or "r" per column (default: the first column
    left-aligned, the others right-aligned, as numbers)."""
    align = align or "l" + "r" * (len(head) - 1)
    cells = [tuple(str(c) for c in head)] + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]
    for k, row in enumerate(cells):
        parts = [
            c.ljust(w) if a == "l" else c.rjust(w)
            for c, w, a in zip(row, widths, align, strict=True)
        ]
        print(" " * indent + "  ".join(parts).rstrip())
        if k == 0:
            print(" " * indent + "  ".join("-" * w for w in widths))
