"""Part "peer": csrgen beside the R program a clinical programmer would write instead.

``../shared/bench/peer_officer.R`` (haven, dplyr, tidyr, survival, survminer, ggplot2,
flextable, officer) makes four outputs of the CDISC pilot into one DOCX: Table 1 (ITT), TEAEs by
SOC/PT with Fisher's exact p, the KM table and the survminer plot with its risk table for the
time to first dermatologic event, and the chemistry summary by visit. It is run with
``PEER_ASSEMBLY=chunks`` (each output its own small DOCX, joined: how an R programmer avoids
officer's cursor search, which grows with the document). csrgen makes the same four outputs from
bench/cdiscpilot01-four.toml (a first run: no output folder, no cache). The two, and a bare
``library()`` of the R packages, run alternately; the figure is the ratio of the medians.

Only when ``Rscript`` and those packages are present: the bench never installs them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from measure import (
    BENCH,
    ROOT,
    Figure,
    cold_report,
    median,
    not_measured,
    print_table,
    runs_text,
    timed,
)

SHARED = ROOT.parent / "shared"
PEER_SCRIPT = SHARED / "bench" / "peer_officer.R"
PILOT_DATA = SHARED / "data" / "cdiscpilot01"
FOUR = BENCH / "cdiscpilot01-four.toml"
R_PACKAGES = ("haven", "dplyr", "tidyr", "survival", "survminer", "ggplot2", "flextable", "officer")
_LOAD = "suppressPackageStartupMessages({" + "; ".join(f"library({p})" for p in R_PACKAGES) + "})"


def missing() -> str:
    """Why the peer cannot run here, or "" when it can."""
    rscript = shutil.which("Rscript")
    if not rscript:
        return "Rscript is not installed"
    if not PEER_SCRIPT.exists():
        return f"{PEER_SCRIPT} is missing"
    proc = subprocess.run([rscript, "-e", _LOAD], capture_output=True, text=True)
    if proc.returncode:
        lines = (proc.stderr.strip().splitlines() or ["library() failed"])[:2]
        return "R packages missing: " + " ".join(lines)
    return ""


def run_peer(opts, tmp: Path) -> tuple[list[Figure], dict]:
    runs = runs_text(opts.runs)
    print(f"\npeer: csrgen beside the R peer, four outputs of the pilot ({runs}, alternately)")
    why = missing()
    target = ">= 5 x"
    if why:
        print(f"   not measured: {why}")
        figure = not_measured("peer", "R peer / csrgen, same four outputs", why, target)
        return [figure], {"not_measured": why}
    rscript = shutil.which("Rscript")
    peer = [rscript, str(PEER_SCRIPT), str(PILOT_DATA), str(tmp / "peer" / "peer.docx")]
    env = {**os.environ, "PEER_ASSEMBLY": "chunks"}
    load = [rscript, "-e", _LOAD]
    t_r, t_csr, t_load = [], [], []
    for _ in range(opts.runs):
        t_r.append(timed(peer, env=env).wall)
        t_csr.append(cold_report(FOUR, tmp / "four").wall)
        t_load.append(timed(load).wall)
    med_r, med_csr, med_load = median(t_r), median(t_csr), median(t_load)
    ratio = med_r / med_csr

    def row(name: str, times: list[float], med: float) -> tuple:
        return (name, f"{med:.2f}", " ".join(f"{t:.2f}" for t in times))

    print_table(
        ("", "median s", "runs s"),
        [
            row("R peer (PEER_ASSEMBLY=chunks)", t_r, med_r),
            row("R library() of its packages alone", t_load, med_load),
            row(f"csrgen report {FOUR.relative_to(ROOT)}", t_csr, med_csr),
        ],
    )
    print(f"   csrgen is {ratio:.2f} x faster than the R peer (target >= 5 x)")
    figures = [
        Figure("peer", "R peer, four outputs (chunks)", med_r, "s"),
        Figure("peer", "csrgen, same four outputs", med_csr, "s"),
        Figure("peer", "R peer / csrgen, same four outputs", ratio, "x", target, bool(ratio >= 5)),
    ]
    details = {
        "peer_s": med_r,
        "csrgen_s": med_csr,
        "r_library_s": med_load,
        "ratio": ratio,
        "peer_runs": t_r,
        "csrgen_runs": t_csr,
        "r_library_runs": t_load,
        "study": str(FOUR.relative_to(ROOT)),
    }
    return figures, details
