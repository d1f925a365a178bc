"""Parts "seed" and "warm": the seed study cold against a bare import of its libraries, and its
warm rebuilds with the incremental cache."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from measure import CSRGEN, ROOT, SEED, Figure, at_most, median, print_table, runs_text, timed

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


@functools.cache  # the probe is a whole report: once for the parts seed and warm together
def bare_import(tmp: Path) -> tuple[list[str], list[str]]:
    """The libraries the seed report imports, and a command that imports just them."""
    script = tmp / "bare_import.py"
    libs = report_libraries(tmp)
    script.write_text(
        "import importlib\n"
        f"for name in {libs!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception:\n"
        "        pass\n",
        encoding="utf-8",
    )
    return libs, [sys.executable, str(script)]


def run_seed(opts, tmp: Path) -> tuple[list[Figure], dict]:
    """Median of cold ``csrgen report --no-cache`` runs of the seed study against the median of
    a bare import of the same third-party modules, run alternately (so that both see the same
    machine state)."""
    print(f"\nseed: the seed study cold ({runs_text(opts.runs)}, alternately, medians)")
    libs, bare = bare_import(tmp)
    report = [CSRGEN, "report", str(SEED), "--out", str(tmp / "seed"), "--no-cache"]
    t_report, t_import = [], []
    for _ in range(opts.runs):
        t_import.append(timed(bare).wall)
        t_report.append(timed(report).wall)
    med_r, med_i = median(t_report), median(t_import)
    tops = sorted({name.split(".")[0] for name in libs})
    print(f"   libraries the report imports ({len(libs)} modules): {', '.join(tops)}")
    print_table(
        ("", "median s", "runs s"),
        [
            ("bare import", f"{med_i:.2f}", " ".join(f"{t:.2f}" for t in t_import)),
            ("csrgen report --no-cache", f"{med_r:.2f}", " ".join(f"{t:.2f}" for t in t_report)),
        ],
    )
    ratio = med_r / med_i
    print(f"   ratio {ratio:.2f} (target <= 2)")
    figures = [
        Figure("seed", "seed study cold", med_r, "s"),
        Figure("seed", "bare import of its libraries", med_i, "s"),
        at_most("seed", "seed cold / bare import", ratio, "x", 2.0, "<= 2 x"),
    ]
    details = {
        "libraries": libs,
        "report_s": med_r,
        "imports_s": med_i,
        "ratio": ratio,
        "report_runs": t_report,
        "import_runs": t_import,
    }
    return figures, details


def run_warm(opts, tmp: Path) -> tuple[list[Figure], dict]:
    """Median wall time of a warm run of the seed study after a title edit (no statistic
    recomputed) and after a change in ADAE (re-locked; the outputs reading ADAE recomputed),
    beside a bare import of its libraries timed in the same loop."""
    print(f"\nwarm: warm rebuilds of the seed study ({runs_text(opts.runs)}, medians)")
    data = tmp / "warm-data"
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(ROOT / "data" / "ucmsc-dlc", data)
    edited = tmp / "edited.toml"
    text = SEED.read_text(encoding="utf-8")
    edited.write_text(text.replace('title = "Subject Disposition"', 'title = "Disposition"'))
    adae = (data / "adae.csv").read_text(encoding="utf-8")
    changed = adae.replace(",MILD,", ",MODERATE,", 1)
    _, bare = bare_import(tmp)

    def report(study: Path) -> list[str]:
        out, cache = str(tmp / "warm"), str(tmp / "warm-cache")
        return [CSRGEN, "report", str(study), "--data", str(data), "--out", out, "--cache", cache]

    def relock(adae_text: str) -> None:
        (data / "adae.csv").write_text(adae_text, encoding="utf-8")
        lock = [CSRGEN, "lock", str(SEED), "--data", str(data), "--date", "2026-01-31"]
        subprocess.run(lock, check=True, stdout=subprocess.DEVNULL)

    t_text, t_adae, t_import = [], [], []
    for _ in range(opts.runs):
        relock(adae)
        subprocess.run(report(SEED), check=True, stdout=subprocess.DEVNULL)  # the cache, filled
        t_import.append(timed(bare).wall)
        t_text.append(timed(report(edited)).wall)
        relock(changed)
        t_adae.append(timed(report(edited)).wall)
    med_i, med_text, med_adae = median(t_import), median(t_text), median(t_adae)
    ratio = med_text / med_i
    print_table(
        ("", "median s", "x bare import"),
        [
            ("bare import", f"{med_i:.2f}", ""),
            ("after a title edit", f"{med_text:.2f}", f"{ratio:.2f}"),
            ("after a change in ADAE", f"{med_adae:.2f}", f"{med_adae / med_i:.2f}"),
        ],
    )
    print(f"   after a title edit: {ratio:.2f} x the bare import (target <= 1.5)")
    figures = [
        Figure("warm", "seed warm after a title edit", med_text, "s"),
        at_most("warm", "warm (title edit) / bare import", ratio, "x", 1.5, "<= 1.5 x"),
        Figure("warm", "seed warm after an ADAE change", med_adae, "s"),
    ]
    details = {
        "text_s": med_text,
        "adae_s": med_adae,
        "imports_s": med_i,
        "text_runs": t_text,
        "adae_runs": t_adae,
        "import_runs": t_import,
    }
    return figures, details
