"""Death, HCC, liver transplantation and losses to follow-up; the ADTTE dataset.

Times are drawn in months from randomization and turned into whole days (day offsets from the
randomization date, at least 1). Competing exits (death, transplantation, loss to follow-up,
withdrawal, data cut-off) end follow-up at the earliest; HCC is observed only before that exit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq

from csrgen.simulate.metadata import Columns
from csrgen.simulate.params import SimulationParameters
from csrgen.simulate.subjects import UCMSC

#: Days per month used for every month <-> day conversion (365.25 / 12).
DAYS_PER_MONTH = 30.4375
#: Exit reasons, in the order that breaks ties on the same day (death first).
DEATH, TRANSPLANT, LTFU, WITHDRAWAL, CUTOFF = range(5)
HCC_CAUSE = "HEPATOCELLULAR CARCINOMA"


@dataclass(frozen=True)
class Follow:
    """What happened to each subject (arrays of length n)."""

    exit_off: np.ndarray  # day offset from randomization of the end of follow-up
    reason: np.ndarray  # DEATH, TRANSPLANT, LTFU, WITHDRAWAL or CUTOFF
    hcc: np.ndarray  # bool: HCC diagnosed during follow-up
    hcc_off: np.ndarray  # day offset of the HCC diagnosis (meaningful where hcc)
    death_cause: np.ndarray  # object: DTHCAUS or ""

    @property
    def died(self) -> np.ndarray:
        return self.reason == DEATH

    @property
    def alive_off(self) -> np.ndarray:
        """Last day offset the subject is known alive (the day before death for deaths)."""
        return self.exit_off - self.died


def _annual_to_monthly_rate(annual_risk: float) -> float:
    return -np.log1p(-annual_risk) / 12.0


def control_hazard(frailty: np.ndarray, params: SimulationParameters) -> tuple[float, float]:
    """Monthly Control hazards before and after the landmark month, calibrated to this cohort.

    Solves ``mean(exp(-H(t) * frailty)) = target`` at the landmark and the target month, so that
    the expected Control survival of the simulated cohort (with its own mix of severity) meets
    the assumed values whatever the prognostic effect of severity.
    """

    def cumulative(target: float) -> float:
        return brentq(lambda h: np.mean(np.exp(-h * frailty)) - target, 1e-9, 50.0, xtol=1e-12)

    landmark, later = params.os_landmark_month, params.os_target_month
    h_landmark = cumulative(params.os_control_landmark)
    h_later = cumulative(params.os_control_target)
    return h_landmark / landmark, (h_later - h_landmark) / (later - landmark)


def death_months(
    arm: np.ndarray, z: np.ndarray, params: SimulationParameters, rng: np.random.Generator
) -> np.ndarray:
    """Time to death (months) by inverting a piecewise-constant proportional-hazards model."""
    beta = params.os_severity_log_hr
    frailty = np.exp(beta * z)
    early, late = control_hazard(frailty, params)
    landmark = params.os_landmark_month
    late_rate = late * np.where(arm == UCMSC, params.os_hr_late, 1.0)
    target = rng.exponential(size=arm.size) / frailty  # cumulative baseline hazard reached
    before = target <= early * landmark
    return np.where(before, target / early, landmark + (target - early * landmark) / late_rate)


def _days(months: np.ndarray) -> np.ndarray:
    """Whole-day offset (at least 1) of a time in months; capped to stay in int64 range."""
    return np.maximum(1, np.ceil(np.minimum(months, 1e6) * DAYS_PER_MONTH)).astype(np.int64)


def follow_up(
    arm: np.ndarray,
    z: np.ndarray,
    randdt: np.ndarray,
    params: SimulationParameters,
    rng: np.random.Generator,
) -> Follow:
    """Draw every subject's exit (death, transplant, losses, cut-off), HCC and cause of death."""
    n = arm.size
    death = _days(death_months(arm, z, params, rng))
    transplant = _days(rng.exponential(1.0 / _annual_to_monthly_rate(params.transplant_annual), n))
    ltfu = _days(rng.exponential(1.0 / _annual_to_monthly_rate(params.ltfu_annual), n))
    withdrawal = _days(rng.exponential(1.0 / _annual_to_monthly_rate(params.withdrawal_annual), n))
    cutoff = (np.datetime64(params.data_cut, "D") - randdt).astype(np.int64)
    times = np.stack([death, transplant, ltfu, withdrawal, cutoff])
    reason = np.argmin(times, axis=0)  # first minimum: death wins a tie
    exit_off = times[reason, np.arange(n)]
    hcc_off = _days(rng.exponential(1.0 / _annual_to_monthly_rate(params.hcc_annual_risk), n))
    hcc = hcc_off <= exit_off
    died = reason == DEATH
    causes = np.array([c.cause for c in params.death_causes], dtype=object)
    probs = np.array([c.prob for c in params.death_causes])
    other_cause = causes[rng.choice(causes.size, size=n, p=probs / probs.sum())]
    by_hcc = hcc & (rng.random(n) < params.p_hcc_death_cause)
    death_cause = np.where(died, np.where(by_hcc, HCC_CAUSE, other_cause), "").astype(object)
    return Follow(exit_off, reason, hcc, hcc_off, death_cause)


_OS_CENSOR = {  # reason -> (EVNTDESC, CNSDTDSC)
    TRANSPLANT: ("LIVER TRANSPLANTATION", "DATE OF LIVER TRANSPLANTATION"),
    LTFU: ("LOST TO FOLLOW-UP", "DATE OF LAST CONTACT"),
    WITHDRAWAL: ("WITHDRAWAL BY SUBJECT", "DATE OF WITHDRAWAL"),
    CUTOFF: ("ALIVE AT DATA CUT-OFF", "DATA CUT-OFF DATE"),
}


def _describe(reason: np.ndarray, event_text: str, death_censor: tuple[str, str] | None):
    """EVNTDESC and CNSDTDSC per subject from the exit reason."""
    table = dict(_OS_CENSOR)
    table[DEATH] = death_censor or (event_text, "")
    evnt = np.empty(reason.size, dtype=object)
    cnsd = np.empty(reason.size, dtype=object)
    for code, (e, c) in table.items():  # loop over 5 reasons, not subjects
        evnt[reason == code] = e
        cnsd[reason == code] = c
    return evnt, cnsd


def build_adtte(adsl_keys: Columns, randdt: np.ndarray, follow: Follow) -> Columns:
    """ADTTE: OS and time to HCC, one row per subject per parameter.

    AVAL = (ADT - STARTDT + 1) / 30.4375 months. OS: death is the event; transplantation, loss to
    follow-up, withdrawal and the data cut-off censor at their date. HCC: diagnosis is the event;
    a death without HCC censors at the date of death (EVNTDESC "DEATH WITHOUT HCC").
    """
    evnt, cnsd = _describe(follow.reason, "DEATH", None)
    os_part = _tte_rows(
        adsl_keys,
        randdt,
        follow.exit_off,
        ~follow.died,
        evnt,
        cnsd,
        "OS",
        "Overall survival (months)",
        1,
    )
    evnt, cnsd = _describe(follow.reason, "", ("DEATH WITHOUT HCC", "DATE OF DEATH"))
    hcc_off = np.where(follow.hcc, follow.hcc_off, follow.exit_off)
    evnt = np.where(follow.hcc, HCC_CAUSE, evnt).astype(object)
    cnsd = np.where(follow.hcc, "", cnsd).astype(object)
    hcc_part = _tte_rows(
        adsl_keys,
        randdt,
        hcc_off,
        ~follow.hcc,
        evnt,
        cnsd,
        "HCC",
        "Time to hepatocellular carcinoma (months)",
        2,
    )
    # Interleave, so that rows run subject by subject, OS before HCC.
    return {name: np.stack([os_part[name], hcc_part[name]], axis=1).ravel() for name in os_part}


def _tte_rows(
    keys: Columns,
    randdt: np.ndarray,
    off: np.ndarray,
    censored: np.ndarray,
    evnt: np.ndarray,
    cnsd: np.ndarray,
    paramcd: str,
    param: str,
    paramn: int,
) -> Columns:
    n = len(randdt)
    return {
        "STUDYID": keys["STUDYID"],
        "USUBJID": keys["USUBJID"],
        "PARAMCD": np.full(n, paramcd, dtype=object),
        "PARAM": np.full(n, param, dtype=object),
        "PARAMN": np.full(n, float(paramn)),
        "STARTDT": randdt.astype("datetime64[ns]"),
        "ADT": (randdt + off).astype("datetime64[ns]"),
        "AVAL": np.round((off + 1) / DAYS_PER_MONTH, 4),
        "CNSR": censored.astype(np.float64),
        "EVNTDESC": evnt,
        "CNSDTDSC": cnsd,
        "TRTP": keys["TRT01P"],
        "TRTPN": keys["TRT01PN"],
        "TRTA": keys["TRT01A"],
        "TRTAN": keys["TRT01AN"],
    }
