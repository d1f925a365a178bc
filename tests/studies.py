"""Test studies: tiny hand-checkable studies written to a temporary folder, and the real ones.

``tiny_study(tmp_path, frames=..., study_toml=...)`` writes CSV datasets and a study file and
returns the study file's path; tests edit frames to break exactly one rule at a time.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SEED_STUDY = ROOT / "report" / "ucmsc-dlc.toml"
PILOT_STUDY = ROOT / "report" / "cdiscpilot01.toml"
#: ADaM made by admiral (pharmaverseadam), read from ../shared/data/pharmaverseadam.
ADMIRAL_STUDY = ROOT / "report" / "pharmaverseadam.toml"
PILOT_DATA = ROOT.parent / "shared" / "data" / "cdiscpilot01"
PHARMAVERSE_STUDY = ROOT / "report" / "pharmaverseadam.toml"
PHARMAVERSE_DATA = ROOT.parent / "shared" / "data" / "pharmaverseadam"
SEED_DATA = ROOT / "data" / "ucmsc-dlc"


def tiny_adsl() -> pd.DataFrame:
    """Eight subjects, two arms; values small enough to check every statistic by hand."""
    return pd.DataFrame(
        {
            "STUDYID": ["TINY"] * 8,
            "USUBJID": [f"T-{i:02d}" for i in range(1, 9)],
            "TRT01P": ["Drug", "Placebo", "Drug", "Placebo", "Drug", "Placebo", "Drug", "Placebo"],
            "TRT01A": ["Drug", "Placebo", "Drug", "Placebo", "Drug", "Placebo", "Drug", "Placebo"],
            "ITTFL": ["Y"] * 8,
            "SAFFL": ["Y"] * 7 + ["N"],
            "AGE": [30, 40, 50, 60, 70, 45, "", 55],
            "SEX": ["M", "F", "M", "M", "F", "F", "M", ""],
            "TRTSDT": ["2020-01-01"] * 8,
            "TRTEDT": ["2020-06-01"] * 8,
        }
    )


TINY_TOML = """
[study]
id = "tiny"
title = "A tiny study"
protocol = "TINY-01"
phase = "Phase 2"
indication = "Testing"
sponsor = "csrgen tests"
synthetic = true

[data]
dir = "data"

[data.datasets]
{datasets}

[arms]
levels = ["Placebo", "Drug"]
reference = "Placebo"

[populations.ITT]
label = "Intent-to-treat population"
flag = "ITTFL"
arm_var = "TRT01P"

[populations.SAF]
label = "Safety population"
flag = "SAFFL"
arm_var = "TRT01A"

[[outputs]]
id = "t_demog"
number = "Table 14.1.1"
title = "Demographics"
population = "ITT"
footnotes = ["A footnote from the study file."]

[outputs.options]
variables = [
  {{ var = "AGE", label = "Age (years)", kind = "continuous" }},
  {{ var = "SEX", label = "Sex, n (%)", kind = "categorical", levels = ["M", "F"] }},
]
{extra}
"""


def write_tiny_study(
    folder: Path, frames: dict[str, pd.DataFrame] | None = None, extra: str = "", lock: bool = True
) -> Path:
    """Write CSVs (all columns as given, text as-is) and ``tiny.toml``; lock unless told not to."""
    frames = {"adsl": tiny_adsl()} if frames is None else frames
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    for role, frame in frames.items():
        frame.to_csv(data / f"{role}.csv", index=False, lineterminator="\n")
    datasets = "\n".join(f'{role} = "{role}.csv"' for role in frames)
    study = folder / "tiny.toml"
    study.write_text(
        textwrap.dedent(TINY_TOML).format(datasets=datasets, extra=extra), encoding="utf-8"
    )
    if lock:
        from csrgen.config import load_study
        from csrgen.lock import write_lock

        config = load_study(study)
        write_lock(config, config.data_dir(), lock_date="2024-01-31", lock_id="TINY-LOCK-1")
    return study
