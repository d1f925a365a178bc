"""ADLB: the liver-function panel at the scheduled visits of the 48-week treatment phase.

Each subject has, per parameter, a week-48 change drawn around the arm's mean; the change builds
up as ``1 - exp(-week / tau)`` (normalised to reach it at week 48) and every visit adds
measurement noise. Arrays are laid out ``(subject, parameter, visit)`` and flattened once, so the
row order is USUBJID, PARAMN, AVISITN.
"""

from __future__ import annotations

import numpy as np

from csrgen.simulate.metadata import Columns
from csrgen.simulate.params import LabSpec, SimulationParameters
from csrgen.simulate.subjects import UCMSC


def _shape(weeks: np.ndarray, tau: float) -> np.ndarray:
    """Share of the week-48 change reached at each visit week."""
    return (1.0 - np.exp(-weeks / tau)) / (1.0 - np.exp(-48.0 / tau))


def _values(
    spec: LabSpec, base: np.ndarray, arm: np.ndarray, shape: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Simulated values ``(n, n_visits)`` of one parameter; column 0 is the baseline."""
    n, n_visits = base.size, shape.size
    if spec.change_scale == "additive":
        mean = np.where(arm == UCMSC, spec.change_ucmsc, spec.change_control)
    else:
        # Log-normal ratio whose mean is 1 + percent / 100 at week 48 (where the shape is 1 and
        # the visit noise adds to the between-subject spread).
        pct = np.where(arm == UCMSC, spec.change_ucmsc, spec.change_control)
        mean = np.log1p(pct / 100.0) - (spec.change_sd**2 + spec.noise_sd**2) / 2.0
    change = mean + spec.change_sd * rng.standard_normal(n)
    drift = change[:, None] * shape[None, :] + spec.noise_sd * rng.standard_normal((n, n_visits))
    if spec.change_scale == "additive":
        value = base[:, None] + drift
    else:
        value = base[:, None] * np.exp(drift)
    value = np.round(np.clip(value, spec.lower_limit, spec.upper_limit), spec.decimals)
    value[:, 0] = base
    return value


_INDICATORS = np.array(["NORMAL", "LOW", "HIGH", ""], dtype=object)
_FLAG = np.array(["", "Y"], dtype=object)


def _range_indicator(value: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    code = np.where(np.isnan(value), 3, np.where(value < low, 1, np.where(value > high, 2, 0)))
    return _INDICATORS[code]


def simulate_labs(
    base: dict[str, np.ndarray],
    arm: np.ndarray,
    visits: np.ndarray,
    alive_off: np.ndarray,
    params: SimulationParameters,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values ``(n, P, V)``, a present-mask of the same shape and the baseline sample flag.

    A record exists when the visit falls on or before the last day known alive (no records
    after death or dropout), the visit was not missed, and, for baseline, the sample was taken.
    """
    n = arm.size
    weeks = np.asarray(params.visit_weeks, dtype=float)
    shape = _shape(weeks, params.lab_tau_weeks)
    values = np.stack([_values(s, base[s.paramcd], arm, shape, rng) for s in params.labs], axis=1)
    attended = visits <= alive_off[:, None]
    attended[:, 1:] &= rng.random((n, weeks.size - 1)) >= params.p_visit_missed
    has_baseline = rng.random(n) >= params.p_baseline_missed
    attended[:, 0] = has_baseline
    present = np.broadcast_to(attended[:, None, :], values.shape)
    return values, present, has_baseline


def build_adlb(
    keys: Columns,
    trtsdt: np.ndarray,
    values: np.ndarray,
    present: np.ndarray,
    visits: np.ndarray,
    params: SimulationParameters,
) -> Columns:
    """ADLB rows for the present records; BASE/CHG/PCHG and range indicators derived here."""
    subj, par, vis = (a.ravel() for a in np.indices(values.shape))
    keep = present.ravel()
    subj, par, vis = subj[keep], par[keep], vis[keep]
    specs = params.labs
    decimals = np.array([s.decimals for s in specs])[par]
    base_all = np.where(present[:, :, 0], values[:, :, 0], np.nan)  # (n, P)
    aval = values[subj, par, vis]
    base = base_all[subj, par]
    post = vis > 0
    chg = np.where(post, aval - base, np.nan)
    chg = _round_by(chg, decimals) + 0.0  # "+ 0.0" turns -0.0 into 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        pchg = np.round(np.where(post & (base != 0), 100.0 * chg / base, np.nan), 2) + 0.0
    low = np.array([s.ref_low for s in specs])[par]
    high = np.array([s.ref_high for s in specs])[par]
    weeks = np.asarray(params.visit_weeks)
    labels = np.array(["Baseline"] + [f"Week {w}" for w in weeks[1:]], dtype=object)
    offset = visits[subj, vis]
    return {
        "STUDYID": keys["STUDYID"][subj],
        "USUBJID": keys["USUBJID"][subj],
        "PARAMCD": np.array([s.paramcd for s in specs], dtype=object)[par],
        "PARAM": np.array([s.param for s in specs], dtype=object)[par],
        "PARAMN": np.array([s.paramn for s in specs], dtype=float)[par],
        "PARCAT1": np.array([s.parcat1 for s in specs], dtype=object)[par],
        "AVISIT": labels[vis],
        "AVISITN": weeks[vis].astype(float),
        "ADT": (trtsdt[subj] + offset).astype("datetime64[ns]"),
        "ADY": (offset + 1).astype(float),
        "AVAL": aval,
        "BASE": base,
        "CHG": chg,
        "PCHG": pchg,
        "A1LO": low,
        "A1HI": high,
        "ANRIND": _range_indicator(aval, low, high),
        "BNRIND": _range_indicator(base, low, high),
        "ABLFL": _FLAG[(~post).astype(np.int64)],
        "ANL01FL": np.full(subj.size, "Y", dtype=object),
        "TRTP": keys["TRT01P"][subj],
        "TRTA": keys["TRT01A"][subj],
    }


def _round_by(x: np.ndarray, decimals: np.ndarray) -> np.ndarray:
    """Round each value to its own number of decimals (few distinct values, so loop over them)."""
    out = x.copy()
    for d in np.unique(decimals):
        mask = decimals == d
        out[mask] = np.round(x[mask], int(d))
    return out


def observed_baseline(
    values: np.ndarray, has_baseline: np.ndarray, params: SimulationParameters
) -> dict[str, np.ndarray]:
    """Baseline value per parameter as recorded in ADLB (NaN without a baseline sample)."""
    return {
        s.paramcd: np.where(has_baseline, values[:, i, 0], np.nan)
        for i, s in enumerate(params.labs)
    }
