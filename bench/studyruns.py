"""Parts "admiral" and "pilot": the real studies users meet first, each a first run of
``csrgen report`` (no output folder, no cache before it), medians of ``--runs``."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from measure import (
    BENCH,
    CSRGEN,
    ROOT,
    Figure,
    at_most,
    cold_report,
    median,
    print_table,
    runs_text,
    timed,
)

#: the study made with admiral, every lab parameter and vital sign (a bench study file)
ADMIRAL_FULL = BENCH / "pharmaverseadam-full.toml"
#: the CDISC pilot as shipped: its datasets are SAS transport files
PILOT = ROOT / "report" / "cdiscpilot01.toml"


def validated(study: Path) -> float:
    """Wall seconds of ``csrgen validate``; a study that does not validate stops the part."""
    try:
        return timed([CSRGEN, "validate", str(study)]).wall
    except subprocess.CalledProcessError as err:
        raise RuntimeError(
            f"csrgen validate {study.relative_to(ROOT)} exited {err.returncode}:\n{err.stderr}"
        ) from err


def study_runs(study: Path, runs: int, out: Path) -> dict:
    """``runs`` first runs of ``csrgen report`` of ``study``: wall times and memory."""
    results = [cold_report(study, out) for _ in range(runs)]
    return {
        "wall_s": median([r.wall for r in results]),
        "peak_rss_mb": max(r.rss_mb for r in results),
        "peak_tree_mb": max(r.tree_mb for r in results),
        "runs_s": [r.wall for r in results],
    }


def _print_runs(name: str, validate_s: float, res: dict) -> None:
    print_table(
        ("", "wall s", "max RSS MB", "tree PSS MB", "runs s"),
        [
            ("csrgen validate", f"{validate_s:.2f}", "", "", ""),
            (
                name,
                f"{res['wall_s']:.2f}",
                f"{res['peak_rss_mb']:.0f}",
                f"{res['peak_tree_mb']:.0f}",
                " ".join(f"{t:.2f}" for t in res["runs_s"]),
            ),
        ],
    )


def run_admiral(opts, tmp: Path) -> tuple[list[Figure], dict]:
    """The study made with admiral, fully reported (bench/pharmaverseadam-full.toml)."""
    print(
        f"\nadmiral: the study made with admiral, fully reported ({runs_text(opts.runs)}, median)"
    )
    print(f"   {ADMIRAL_FULL.relative_to(ROOT)}: every ADLB parameter and every vital sign")
    validate_s = validated(ADMIRAL_FULL)
    res = study_runs(ADMIRAL_FULL, opts.runs, tmp / "admiral")
    _print_runs("csrgen report (first run)", validate_s, res)
    print(f"   target: report <= 15 s; {_outputs(tmp / 'admiral')}")
    figures = [
        Figure("admiral", "admiral study: csrgen validate", validate_s, "s"),
        at_most("admiral", "admiral study, fully reported", res["wall_s"], "s", 15.0, "<= 15 s"),
        Figure("admiral", "admiral study: max RSS", res["peak_rss_mb"], "MB"),
    ]
    return figures, {"study": str(ADMIRAL_FULL.relative_to(ROOT)), "validate_s": validate_s, **res}


def run_pilot(opts, tmp: Path) -> tuple[list[Figure], dict]:
    """The CDISC pilot as shipped (report/cdiscpilot01.toml), read from its XPT files."""
    print(f"\npilot: the CDISC pilot from XPT ({runs_text(opts.runs)}, median)")
    files = _dataset_files(PILOT)
    not_xpt = [f for f in files if Path(f).suffix.lower() not in (".xpt", ".zip")]
    if not_xpt:
        raise RuntimeError(f"{PILOT.relative_to(ROOT)} reads files not in XPT: {not_xpt}")
    print(f"   {PILOT.relative_to(ROOT)} reads {', '.join(files)} (SAS transport files)")
    validate_s = validated(PILOT)
    res = study_runs(PILOT, opts.runs, tmp / "pilot")
    _print_runs("csrgen report (first run)", validate_s, res)
    print(f"   target: report <= 8 s; {_outputs(tmp / 'pilot')}")
    figures = [
        Figure("pilot", "pilot: csrgen validate", validate_s, "s"),
        at_most("pilot", "CDISC pilot from XPT", res["wall_s"], "s", 8.0, "<= 8 s"),
        Figure("pilot", "pilot: max RSS", res["peak_rss_mb"], "MB"),
    ]
    return figures, {"study": str(PILOT.relative_to(ROOT)), "validate_s": validate_s, **res}


def _dataset_files(study: Path) -> list[str]:
    with open(study, "rb") as f:
        return list(tomllib.load(f)["data"]["datasets"].values())


def _outputs(out: Path) -> str:
    """What the last run wrote: its ARD rows and files (to see that the run was complete)."""
    ard = out / "ard.csv"
    rows = sum(1 for _ in ard.open(encoding="utf-8")) - 1 if ard.exists() else 0
    files = sorted(p.name for p in out.iterdir()) if out.exists() else []
    return f"the last run wrote {rows:,} ARD rows and {len(files)} files"
