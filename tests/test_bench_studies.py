"""The study files `make bench` times (bench/*.toml) validate against the shared data, and say
what the bench claims they report.

Only correctness is checked here, never time: a bench study file that no longer validates (a key
renamed, the data moved) would stop the bench after hours of other parts.
"""

from __future__ import annotations

import json
import tomllib

import pandas as pd
import pytest

from csrgen.cli import main
from tests.studies import PHARMAVERSE_DATA, ROOT

BENCH_STUDIES = sorted((ROOT / "bench").glob("*.toml"))
ADMIRAL_FULL = ROOT / "bench" / "pharmaverseadam-full.toml"
PILOT_FOUR = ROOT / "bench" / "cdiscpilot01-four.toml"


def _study(path):
    with open(path, "rb") as f:
        return tomllib.load(f)


def test_the_bench_has_its_study_files():
    assert ADMIRAL_FULL in BENCH_STUDIES
    assert PILOT_FOUR in BENCH_STUDIES


@pytest.mark.parametrize("path", BENCH_STUDIES, ids=lambda p: p.name)
def test_bench_study_validates_against_its_locked_data(path, capsys):
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    # locked: the bench times a real report, not a draft of data that no longer match
    lock = ROOT / "bench" / _study(path)["data"]["lock"]
    assert f"data locked as {json.loads(lock.read_text(encoding='utf-8'))['lock_id']}" in out


def _selected(outputs, module, frame):
    """PARAMCDs the lab outputs of ``module`` report: each output's ``params``, else every
    parameter of its ``parcat`` (PARCAT1), else every parameter."""
    chosen = set()
    for out in outputs:
        opts = out.get("options", {})
        if out.get("module", out["id"]) != module or opts.get("bds", "labs") != "labs":
            continue
        if "params" in opts:
            chosen |= set(opts["params"])
        elif "parcat" in opts:
            chosen |= set(frame.loc[frame["PARCAT1"] == opts["parcat"], "PARAMCD"])
        else:
            chosen |= set(frame["PARAMCD"])
    return chosen


def test_admiral_full_reports_every_lab_parameter_and_vital_sign():
    study = _study(ADMIRAL_FULL)
    adlb = pd.read_parquet(PHARMAVERSE_DATA / "adlb.parquet", columns=["PARCAT1", "PARAMCD"])
    every = set(adlb["PARAMCD"])
    assert len(every) > 40
    for module in ("t_bds_summary", "f_bds_mean", "t_bds_shift"):
        assert _selected(study["outputs"], module, adlb) == every, module
    # vital signs: the block keeps every parameter, and the by-visit table and figure show them
    assert "params" not in study["bds"]["vitals"]
    vitals = [o for o in study["outputs"] if o.get("options", {}).get("bds") == "vitals"]
    kinds = {o["module"] for o in vitals if "params" not in o["options"]}
    assert {"t_bds_summary", "f_bds_mean"} <= kinds


def test_pilot_four_has_the_outputs_of_the_r_peer():
    # ../shared/bench/peer_officer.R: Table 1 (ITT), TEAEs by SOC/PT with Fisher p (SAF), the
    # TTDE KM table and plot (SAF), the chemistry summary by visit (SAF)
    study = _study(PILOT_FOUR)
    got = {(o["id"], o.get("module", o["id"]), o["population"]) for o in study["outputs"]}
    assert got == {
        ("t_demog", "t_demog", "ITT"),
        ("t_ae_soc_pt", "t_ae_soc_pt", "SAF"),
        ("t_ttde", "t_tte", "SAF"),
        ("f_km_ttde", "f_km", "SAF"),
        ("t_lab_summary", "t_lab_summary", "SAF"),
    }
    assert study["safety"]["fisher"] is True
    assert next(o for o in study["outputs"] if o["id"] == "t_ttde")["options"]["paramcd"] == "TTDE"
