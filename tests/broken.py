"""Builders for the broken-input corpus and the mutation tests: the tiny study (tests/studies.py)
written as CSV, SAS XPORT, Parquet or Dataset-JSON, and the pilot's real XPT files.

The conversions use pandas, pyreadstat and pyarrow directly (not csrgen's readers), so a test
of a reader never reads what that reader's own code wrote.
"""

from __future__ import annotations

import hashlib
import json
import re
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from tests.outputs.test_ae_overview import SAFETY_TOML, tiny_adae
from tests.studies import PILOT_DATA, tiny_adsl, write_tiny_study

DATES = {"adsl": ("TRTSDT", "TRTEDT"), "adae": ("ASTDT", "AENDT")}
NUMBERS = {"adsl": ("AGE",), "adae": ("ASTDY", "AENDY", "ADURN")}
SAS_EPOCH = pd.Timestamp("1960-01-01")


def typed(role: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The tiny frame with numbers as floats and dates as datetimes (blank -> missing)."""
    frame = frame.copy()
    for col in set(NUMBERS[role]) & set(frame.columns):
        frame[col] = pd.to_numeric(frame[col].astype(str), errors="coerce").astype("float64")
    for col in set(DATES[role]) & set(frame.columns):
        frame[col] = pd.to_datetime(frame[col].astype(str), format="%Y-%m-%d", errors="coerce")
    return frame


def tiny_frames() -> dict[str, pd.DataFrame]:
    return {"adsl": tiny_adsl(), "adae": tiny_adae()}


def write_format(frame: pd.DataFrame, path: Path, role: str) -> None:
    """One typed frame as ``path`` (its suffix names the format)."""
    fmt = path.suffix.lstrip(".")
    if fmt == "csv":
        frame.to_csv(path, index=False, lineterminator="\n")
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    elif fmt == "xpt":
        import pyreadstat

        out = frame.copy()
        formats = {}
        for col in set(DATES[role]) & set(out.columns):
            out[col] = (out[col] - SAS_EPOCH).dt.days.astype("float64")
            formats[col] = "DATE9."
        pyreadstat.write_xport(
            out, str(path), table_name=role.upper(), file_format_version=5, variable_format=formats
        )
    elif fmt == "json":
        path.write_text(json.dumps(dataset_json(frame, role)), encoding="utf-8")
    else:
        raise ValueError(fmt)


def dataset_json(frame: pd.DataFrame, role: str) -> dict:
    """A CDISC Dataset-JSON 1.1 document of the typed frame."""
    columns, rows = [], []
    for col in frame.columns:
        kind = "date" if col in DATES[role] else "float" if col in NUMBERS[role] else "string"
        columns.append({"itemOID": f"IT.{col}", "name": col, "label": col, "dataType": kind})
    for record in frame.itertuples(index=False):
        row = []
        for value in record:
            if isinstance(value, pd.Timestamp):
                row.append(value.date().isoformat())
            elif isinstance(value, float) and np.isnan(value) or value is pd.NaT:
                row.append(None)
            else:
                row.append(value)
        rows.append(row)
    return {
        "datasetJSONVersion": "1.1",
        "name": role.upper(),
        "records": len(rows),
        "columns": columns,
        "rows": rows,
    }


def tiny_study(folder: Path, fmt: str = "csv", frames: dict | None = None) -> Path:
    """The tiny study (ADSL + ADAE, t_demog and the AE tables) with its data as ``fmt``."""
    frames = tiny_frames() if frames is None else frames
    extra = SAFETY_TOML.format(safety_extra="", sort="frequency")
    study = write_tiny_study(folder, frames, extra=extra, lock=False)
    if fmt == "csv":
        return study
    data = folder / "data"
    text = study.read_text(encoding="utf-8")
    for role, frame in frames.items():
        (data / f"{role}.csv").unlink()
        write_format(typed(role, frame), data / f"{role}.{fmt}", role)
        text = text.replace(f'{role} = "{role}.csv"', f'{role} = "{role}.{fmt}"')
    study.write_text(text, encoding="utf-8")
    return study


PILOT_MINI = """
[study]
id = "pilotmini"
title = "Pilot files, one table"
protocol = "CDISCPILOT01"
phase = "Phase 2"
indication = "Testing"
sponsor = "csrgen tests"
synthetic = false

[data]
dir = "{data}"

[data.datasets]
adsl = "adsl.xpt"
adae = "adae.xpt"

[arms]
levels = ["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"]
reference = "Placebo"

[populations.ITT]
label = "Intent-to-treat population"
flag = "ITTFL"
arm_var = "TRT01P"

[[outputs]]
id = "t_demog"
number = "Table 14.1.1"
title = "Demographics"
population = "ITT"

[outputs.options]
variables = [
  {{ var = "AGE", label = "Age (years)", kind = "continuous" }},
  {{ var = "SEX", label = "Sex, n (%)", kind = "categorical", levels = ["M", "F"] }},
]
"""


def pilot_mini(folder: Path) -> Path:
    """A study file reading copies of the pilot's ADSL and ADAE XPT files (real SAS output)."""
    import shutil

    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    for name in ("adsl.xpt", "adae.xpt"):
        shutil.copy(PILOT_DATA / name, data / name)
    study = folder / "pilotmini.toml"
    study.write_text(textwrap.dedent(PILOT_MINI).format(data=data), encoding="utf-8")
    return study


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` by its SHA-256 (empty when the folder does not exist)."""
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# -- byte surgery on XPORT files ---------------------------------------------------------------
def xpt_obs_start(data: bytes) -> int:
    """The offset of the first observation: after the OBS header record."""
    at = re.search(rb"HEADER RECORD\*{7}OBS(V8)?\s+HEADER RECORD", data).start()
    return at + 80
