"""`make bench`: how long a report takes, measured, not asserted.

1. Seed study: median wall time of cold `csrgen report` runs against the median time of a bare
   `python -c "import ..."` of the same third-party libraries the report imports, run alternately
   (so that both see the same machine state). The ratio is the headline figure.
2. Warm rebuilds (the incremental cache): the seed study after a title edit (no statistic
   recomputed) and after a change in ADAE (the outputs that read ADAE recomputed), medians,
   beside the cold run and the bare import.
3. Scale: studies simulated with `csrgen simulate --subjects N` (N = 1,000, 10,000, 100,000 by
   default), each reported with `--draft`: wall time, peak RSS, time per input row, and the growth
   exponent fitted to time ~ rows^k (k <= 1 means no worse than linear).

Usage: ``python bench/bench.py [--runs 5] [--sizes 1000 10000 100000] [--skip-scale]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SEED = ROOT / "report" / "ucmsc-dlc.toml"
GNU_TIME = shutil.which("time") or "/usr/bin/time"

_PROBE = """
import sys, sysconfig, json
from csrgen.report import run_report
run_report(sys.argv[1], out=sys.argv[2], draft=True)
std = sysconfig.get_paths()["stdlib"]
names = set()
for name, mod in list(sys.modules.items()):
    path = getattr(mod, "__file__", None) or ""
    if "site-packages" in path and not name.startswith(("csrgen", "_")):
        names.add(name)
print(json.dumps(sorted(names)))
"""


def report_libraries(tmp: Path) -> list[str]:
    """Every third-party module (submodules included: ``scipy.stats``, not just ``scipy``) a
    seed-study report imports."""
    # One process (CSRGEN_JOBS=1): forked workers' imports would not show in sys.modules.
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(SEED), str(tmp / "probe")],
        env={**os.environ, "CSRGEN_JOBS": "1"},
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def timed(cmd: list[str], cwd: Path = ROOT) -> tuple[float, float, float]:
    """Wall seconds, peak RSS of the largest single process (MB, GNU time) and peak memory of
    the whole process tree (MB, sum of PSS sampled every 50 ms).

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
    return wall, rss_kb / 1024, peak_tree


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


def seed_ratio(runs: int, tmp: Path) -> dict:
    libs = report_libraries(tmp)
    script = tmp / "bare_import.py"
    script.write_text(
        "import importlib\n"
        f"for name in {libs!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        pass\n",
        encoding="utf-8",
    )
    bare = [sys.executable, str(script)]
    report = [str(BIN / "csrgen"), "report", str(SEED), "--out", str(tmp / "seed"), "--no-cache"]
    t_report, t_import = [], []
    for _ in range(runs):
        t_import.append(timed(bare)[0])
        t_report.append(timed(report)[0])
    med_r, med_i = statistics.median(t_report), statistics.median(t_import)
    return {
        "libraries": libs,
        "report_s": med_r,
        "imports_s": med_i,
        "ratio": med_r / med_i,
        "report_runs": t_report,
        "import_runs": t_import,
    }


def warm(runs: int, tmp: Path) -> dict:
    """Median wall time of a warm run after a title edit and after a change in ADAE."""
    data = tmp / "warm-data"
    shutil.copytree(ROOT / "data" / "ucmsc-dlc", data)
    edited = tmp / "edited.toml"
    text = SEED.read_text(encoding="utf-8")
    edited.write_text(text.replace('title = "Subject Disposition"', 'title = "Disposition"'))
    adae = (data / "adae.csv").read_text(encoding="utf-8")
    changed = adae.replace(",MILD,", ",MODERATE,", 1)
    csrgen = str(BIN / "csrgen")

    def report(study: Path) -> list[str]:
        out, cache = str(tmp / "warm"), str(tmp / "warm-cache")
        return [csrgen, "report", str(study), "--data", str(data), "--out", out, "--cache", cache]

    def relock(adae_text: str) -> None:
        (data / "adae.csv").write_text(adae_text, encoding="utf-8")
        lock = [csrgen, "lock", str(SEED), "--data", str(data), "--date", "2026-01-31"]
        subprocess.run(lock, check=True, stdout=subprocess.DEVNULL)

    t_text, t_adae = [], []
    for _ in range(runs):
        relock(adae)
        subprocess.run(report(SEED), check=True, stdout=subprocess.DEVNULL)  # the cache, filled
        t_text.append(timed(report(edited))[0])
        relock(changed)
        t_adae.append(timed(report(edited))[0])
    return {"text_s": statistics.median(t_text), "adae_s": statistics.median(t_adae)}


def scale(sizes: list[int], tmp: Path) -> list[dict]:
    rows = []
    for n in sizes:
        data = tmp / f"sim{n}"
        subprocess.run(
            [
                str(BIN / "csrgen"),
                "simulate",
                "--subjects",
                str(n),
                "--out",
                str(data),
                "--format",
                "parquet",
            ],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        study = tmp / f"sim{n}.toml"
        text = SEED.read_text(encoding="utf-8")
        text = re.sub(r'(?m)^dir = ".*"$', f'dir = "{data.as_posix()}"', text, count=1)
        text = text.replace('.csv"', '.parquet"')
        # without the patient narratives: one timeline figure per subject who died or had a
        # serious AE (about 0.12 s each) would measure matplotlib, not the study's size
        blocks = text.split("\n[[outputs]]\n")
        text = "\n[[outputs]]\n".join(b for b in blocks if 'id = "narratives"' not in b)
        study.write_text(text, encoding="utf-8")
        n_rows = sum(_rows(p) for p in data.glob("*.parquet"))
        wall, rss, tree = timed(
            [str(BIN / "csrgen"), "report", str(study), "--draft", "--out", str(tmp / f"out{n}")]
        )
        rows.append(
            {
                "subjects": n,
                "input_rows": n_rows,
                "wall_s": wall,
                "peak_rss_mb": rss,
                "peak_tree_mb": tree,
                "us_per_row": 1e6 * wall / n_rows,
            }
        )
    return rows


def _rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def growth_exponent(rows: list[dict]) -> float:
    """Slope of log(time) on log(input rows) between the two largest sizes.

    The small sizes are dominated by the fixed cost (imports, document); the step between the
    largest two shows how the cost grows with the data.
    """
    if len(rows) < 2:
        return float("nan")
    a, b = rows[-2], rows[-1]
    return math.log(b["wall_s"] / a["wall_s"]) / math.log(b["input_rows"] / a["input_rows"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="csrgen-bench-") as name:
        tmp = Path(name)
        seed = seed_ratio(args.runs, tmp)
        print(f"\n1. seed study ({args.runs} alternating cold runs, medians)")
        tops = sorted({name.split(".")[0] for name in seed["libraries"]})
        n_mod = len(seed["libraries"])
        print(f"   libraries the report imports ({n_mod} modules): {', '.join(tops)}")
        print(f"   bare import   {seed['imports_s']:6.2f} s")
        print(f"   csrgen report {seed['report_s']:6.2f} s")
        print(f"   ratio         {seed['ratio']:6.2f}   (target <= 2)")
        rebuild = warm(args.runs, tmp)
        print(f"\n2. warm rebuilds of the seed study ({args.runs} runs, medians)")
        print(f"   cold run (--no-cache)          {seed['report_s']:6.2f} s")
        ratio = rebuild["text_s"] / seed["imports_s"]
        print(
            f"   after a title edit             {rebuild['text_s']:6.2f} s"
            f"   {ratio:.2f} x the bare import (target <= 1.5)"
        )
        print(f"   after a change in ADAE         {rebuild['adae_s']:6.2f} s")
        if not args.skip_scale:
            print("\n3. scale (csrgen simulate --format parquet; csrgen report --draft)")
            head = ("subjects", "input rows", "wall s", "max RSS MB", "tree PSS MB", "us/row")
            print("   {:>9} {:>11} {:>8} {:>11} {:>12} {:>8}".format(*head))
            rows = scale(args.sizes, tmp)
            for r in rows:
                print(
                    f"   {r['subjects']:9,d} {r['input_rows']:11,d} {r['wall_s']:8.1f} "
                    f"{r['peak_rss_mb']:11.0f} {r['peak_tree_mb']:12.0f} {r['us_per_row']:8.1f}"
                )
            print(
                f"   growth exponent (time ~ rows^k): k = {growth_exponent(rows):.2f}"
                "   (targets: 100,000 subjects <= 60 s and <= 4096 MB; k <= 1)"
            )
            print(
                "   max RSS: the largest single process (GNU time); tree PSS: parent and forked"
                " workers together, shared pages counted once"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
