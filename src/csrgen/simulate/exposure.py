"""ADEX: the UC-MSC infusions given (weeks 0, 4 and 8)."""

from __future__ import annotations

import numpy as np

from csrgen.simulate.metadata import Columns
from csrgen.simulate.params import SimulationParameters
from csrgen.simulate.subjects import UCMSC


def simulate_infusions(
    arm: np.ndarray,
    visits: np.ndarray,
    alive_off: np.ndarray,
    params: SimulationParameters,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Which scheduled infusions were given ``(n, k)`` and their day offsets ``(n, k)``.

    The first infusion is given on day 1 to every UC-MSC subject; later ones on the visit day if
    the subject is still alive and in the study and the infusion was not skipped.
    """
    columns = [params.visit_weeks.index(w) for w in params.infusion_weeks]
    offset = visits[:, columns]
    given = (arm == UCMSC)[:, None] & (offset <= alive_off[:, None])
    given[:, 1:] &= rng.random((arm.size, len(columns) - 1)) >= params.p_infusion_missed
    return given, offset


def build_adex(
    keys: Columns,
    trtsdt: np.ndarray,
    given: np.ndarray,
    offset: np.ndarray,
    params: SimulationParameters,
) -> Columns:
    """One record per infusion given, in subject and visit order."""
    subj, k = np.nonzero(given)
    weeks = np.asarray(params.infusion_weeks)
    day = offset[subj, k]
    date = (trtsdt[subj] + day).astype("datetime64[ns]")
    n = subj.size
    return {
        "STUDYID": keys["STUDYID"][subj],
        "USUBJID": keys["USUBJID"][subj],
        "EXTRT": np.full(n, "UC-MSC", dtype=object),
        "EXSEQ": np.cumsum(given, axis=1)[subj, k].astype(float),
        "PARAMCD": np.full(n, "DOSE", dtype=object),
        "PARAM": np.full(n, "UC-MSC dose (10^6 cells/kg)", dtype=object),
        "AVAL": np.full(n, params.dose),
        "AVALU": np.full(n, "10^6 cells/kg", dtype=object),
        "AVISIT": np.array([f"Week {w}" for w in weeks], dtype=object)[k],
        "AVISITN": weeks[k].astype(float),
        "ASTDT": date,
        "AENDT": date,
        "ASTDY": (day + 1).astype(float),
        "TRTA": keys["TRT01A"][subj],
    }
