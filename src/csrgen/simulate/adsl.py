"""ADSL: one row per subject, assembled from the simulated parts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from csrgen.simulate.events import CUTOFF, DEATH, LTFU, TRANSPLANT, WITHDRAWAL, Follow
from csrgen.simulate.metadata import Columns
from csrgen.simulate.params import SimulationParameters

ARMS = np.array(["Control", "UC-MSC"], dtype=object)
ARMCDS = np.array(["CTRL", "UCMSC"], dtype=object)
_DCSREAS = {
    DEATH: "DEATH",
    TRANSPLANT: "OTHER",
    LTFU: "LOST TO FOLLOW-UP",
    WITHDRAWAL: "WITHDRAWAL BY SUBJECT",
    CUTOFF: "",
}
_AGE_GROUPS = np.array(["<40", "40-49", ">=50"], dtype=object)
_ASCITES = np.array(["None", "Mild", "Moderate/severe"], dtype=object)


def subject_keys(n: int, arm: np.ndarray, params: SimulationParameters) -> Columns:
    """Identifiers and arm variables that every dataset carries."""
    width = max(4, len(str(n)))
    subjid = pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width).to_numpy(dtype=object)
    prefix = f"{params.study_id}-{params.site_id}-"
    return {
        "STUDYID": np.full(n, params.study_id, dtype=object),
        "USUBJID": prefix + subjid,
        "SUBJID": subjid,
        "SITEID": np.full(n, params.site_id, dtype=object),
        "TRT01P": ARMS[arm],
        "TRT01PN": (arm + 1).astype(float),
        "TRT01A": ARMS[arm],
        "TRT01AN": (arm + 1).astype(float),
    }


def _yes_no(flag: np.ndarray, yes: str = "Yes", no: str = "No") -> np.ndarray:
    return np.where(flag, yes, no).astype(object)


def _date_or_nat(base: np.ndarray, off: np.ndarray, present: np.ndarray) -> np.ndarray:
    return np.where(present, base + off, np.datetime64("NaT")).astype("datetime64[ns]")


def _by_reason(reason: np.ndarray, table: dict[int, str]) -> np.ndarray:
    out = np.empty(reason.size, dtype=object)
    for code, text in table.items():  # five reasons, not subjects
        out[reason == code] = text
    return out


def build_adsl(
    keys: Columns,
    arm: np.ndarray,
    randdt: np.ndarray,
    bl: dict,
    base_labs: dict[str, np.ndarray],
    follow: Follow,
    ninf: np.ndarray,
    params: SimulationParameters,
) -> Columns:
    """ADSL from the keys, baseline draws, observed baseline labs, follow-up and infusions."""
    n = arm.size
    died, reason = follow.died, follow.reason
    in_treatment = params.treatment_days - 1  # offset of day 336
    completed_treatment = follow.alive_off >= in_treatment
    trt_end = np.minimum(follow.exit_off, in_treatment)
    dcsreas = _by_reason(reason, _DCSREAS)
    age_group = np.searchsorted([40, 50], bl["AGE"], side="right")
    cp = bl["CPSCORE"].astype(float)
    return {
        **keys,
        "ARM": ARMS[arm],
        "ARMCD": ARMCDS[arm],
        "ACTARM": ARMS[arm],
        "ACTARMCD": ARMCDS[arm],
        "RANDDT": randdt.astype("datetime64[ns]"),
        "TRTSDT": randdt.astype("datetime64[ns]"),
        "TRTEDT": (randdt + trt_end).astype("datetime64[ns]"),
        "TRTDURD": (trt_end + 1).astype(float),
        "AGE": bl["AGE"],
        "AGEU": np.full(n, "YEARS", dtype=object),
        "AGEGR1": _AGE_GROUPS[age_group],
        "AGEGR1N": (age_group + 1).astype(float),
        "SEX": _yes_no(bl["male"], "M", "F"),
        "RACE": np.full(n, "ASIAN", dtype=object),
        "ETHNIC": np.full(n, "NOT HISPANIC OR LATINO", dtype=object),
        "HEIGHTBL": bl["HEIGHT"],
        "WEIGHTBL": bl["WEIGHT"],
        "BMIBL": bl["BMI"],
        "HBEAG": _yes_no(bl["hbeag"], "Positive", "Negative"),
        "ANTIVIR": _yes_no(bl["antiviral"]),
        "ASCITES": _yes_no(bl["ascites_grade"] > 0),
        "ASCSEV": _ASCITES[bl["ascites_grade"]],
        "HEPENC": _yes_no(bl["enceph"] > 0),
        "CPSCORE": cp,
        "CPCAT": np.where(cp >= 10, "C", "B").astype(object),
        "MELDBL": bl["MELD"],
        "ALBBL": base_labs["ALB"],
        "TBILBL": base_labs["TBIL"],
        "PTABL": base_labs["PTA"],
        "CHEBL": base_labs["CHE"],
        "INRBL": bl["INR"],
        "CREATBL": bl["CREAT"],
        "RANDFL": np.full(n, "Y", dtype=object),
        "ITTFL": np.full(n, "Y", dtype=object),
        "SAFFL": np.full(n, "Y", dtype=object),
        "NINF": ninf.astype(float),
        "EOTSTT": np.where(completed_treatment, "COMPLETED", "DISCONTINUED").astype(object),
        "DCTREAS": np.where(completed_treatment, "", dcsreas).astype(object),
        "EOSSTT": np.where(reason == CUTOFF, "COMPLETED", "DISCONTINUED").astype(object),
        "DCSREAS": dcsreas,
        "DCSREASP": np.where(reason == TRANSPLANT, "Liver transplantation", "").astype(object),
        "EOSDT": (randdt + follow.exit_off).astype("datetime64[ns]"),
        "LSTALVDT": (randdt + follow.alive_off).astype("datetime64[ns]"),
        "DTHFL": np.where(died, "Y", "").astype(object),
        "DTHDT": _date_or_nat(randdt, follow.exit_off, died),
        "DTHCAUS": follow.death_cause,
        "LTFUFL": np.where(reason == LTFU, "Y", "").astype(object),
        "LTXFL": np.where(reason == TRANSPLANT, "Y", "").astype(object),
        "LTXDT": _date_or_nat(randdt, follow.exit_off, reason == TRANSPLANT),
    }
