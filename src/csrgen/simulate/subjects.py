"""Subjects: randomization, enrolment dates, baseline characteristics and the visit schedule.

Every function takes the shared ``numpy.random.Generator`` and draws whole arrays at once, so the
cost grows with the number of subjects only through numpy, never through a Python loop per
subject.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtri

from csrgen.simulate.params import LabSpec, SimulationParameters

#: Arm index 0 = Control, 1 = UC-MSC (TRT01PN = index + 1).
CONTROL, UCMSC = 0, 1
#: Eligible candidates per screened candidate is about 0.9; draw this many per subject needed.
_SCREEN_FACTOR = 1.25


def randomize(n: int, params: SimulationParameters, rng: np.random.Generator) -> np.ndarray:
    """Arm index (0 Control, 1 UC-MSC) in randomization order.

    Permuted blocks of ``block_size`` (half of each arm) cover the pairs; the surplus of the larger
    arm (3 Control subjects for 219) is inserted at random positions, so the totals are exactly
    ``round(n * control_share)`` Control and the rest UC-MSC.
    """
    n_control = int(round(n * params.control_share))
    n_ucmsc = n - n_control
    balanced = 2 * min(n_control, n_ucmsc)
    block = params.block_size
    n_full, rest = divmod(balanced, block)
    template = np.repeat([CONTROL, UCMSC], block // 2)
    full = template[np.argsort(rng.random((n_full, block)), axis=1)].ravel()
    tail_template = np.repeat([CONTROL, UCMSC], rest // 2)
    tail = tail_template[np.argsort(rng.random(rest))]
    sequence = np.concatenate([full, tail])
    surplus = np.zeros(n, dtype=bool)
    surplus[rng.choice(n, size=n - balanced, replace=False)] = True
    arm = np.empty(n, dtype=np.int64)
    arm[surplus] = CONTROL if n_control > n_ucmsc else UCMSC
    arm[~surplus] = sequence
    return arm


def enrolment_dates(n: int, params: SimulationParameters, rng: np.random.Generator) -> np.ndarray:
    """Randomization dates (``datetime64[D]``), uniform over the enrolment period, in order."""
    offsets = np.sort(rng.integers(0, params.enrol_days, size=n))
    return np.datetime64(params.enrol_start, "D") + offsets


def _correlated(z: np.ndarray, loading: float, rng: np.random.Generator) -> np.ndarray:
    """Standard normal values with correlation ``loading`` with the latent severity ``z``."""
    return loading * z + math.sqrt(1.0 - loading**2) * rng.standard_normal(z.size)


def _baseline_lab(spec: LabSpec, z: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    x = _correlated(z, spec.severity_loading, rng)
    if spec.baseline_dist == "normal":
        value = spec.baseline_center + spec.baseline_spread * x
    else:
        value = spec.baseline_center * np.exp(spec.baseline_spread * x)
    return np.round(np.clip(value, spec.lower_limit, spec.upper_limit), spec.decimals)


def _child_pugh(c: dict[str, np.ndarray]) -> np.ndarray:
    """Child-Pugh score from bilirubin (umol/L), albumin (g/L), INR, ascites and encephalopathy."""
    bili = 1 + (c["TBIL"] >= 34) + (c["TBIL"] > 51)
    alb = 1 + (c["ALB"] <= 35) + (c["ALB"] < 28)
    inr = 1 + (c["INR"] >= 1.7) + (c["INR"] > 2.3)
    return bili + alb + inr + (c["ascites_grade"] + 1) + (c["enceph"] + 1)


def _meld(c: dict[str, np.ndarray]) -> np.ndarray:
    """MELD (UNOS, 2002): values below 1 set to 1; bilirubin and creatinine converted to mg/dL."""
    bili = np.maximum(c["TBIL"] / 17.1, 1.0)
    inr = np.maximum(c["INR"], 1.0)
    creat = np.maximum(c["CREAT"] / 88.4, 1.0)
    meld = 3.78 * np.log(bili) + 11.2 * np.log(inr) + 9.57 * np.log(creat) + 6.43
    return np.round(meld, 1)


def _candidates(m: int, params: SimulationParameters, rng: np.random.Generator) -> dict:
    """``m`` screened candidates; a latent severity ``z`` links labs, ascites and prognosis."""
    z = rng.standard_normal(m)
    c: dict[str, np.ndarray] = {"z": z}
    c["male"] = rng.random(m) < params.p_male
    span = params.age_max - params.age_min
    c["AGE"] = np.floor(params.age_min + span * rng.beta(params.age_beta_a, params.age_beta_b, m))
    mean_height = np.where(c["male"], params.height_mean_m, params.height_mean_f)
    c["HEIGHT"] = np.round(mean_height + params.height_sd * rng.standard_normal(m), 1)
    bmi = np.clip(params.bmi_mean + params.bmi_sd * rng.standard_normal(m), 16.0, 35.0)
    c["WEIGHT"] = np.round(bmi * (c["HEIGHT"] / 100.0) ** 2, 1)
    c["BMI"] = np.round(c["WEIGHT"] / (c["HEIGHT"] / 100.0) ** 2, 1)
    c["antiviral"] = rng.random(m) < params.p_antiviral
    c["hbeag"] = rng.random(m) < params.p_hbeag_positive
    for spec in params.labs:
        c[spec.paramcd] = _baseline_lab(spec, z, rng)
    ascites = _correlated(z, params.severity_loading_clinical, rng)
    cuts = ndtri([params.p_ascites_none, params.p_ascites_none + params.p_ascites_mild])
    c["ascites_grade"] = np.searchsorted(cuts, ascites)  # 0 none, 1 mild, 2 moderate/severe
    enceph = _correlated(z, params.severity_loading_clinical, rng)
    c["enceph"] = (enceph > ndtri(1.0 - params.p_encephalopathy)).astype(np.int64)
    creat = params.creat_median * np.exp(params.creat_log_sd * rng.standard_normal(m))
    c["CREAT"] = np.round(creat, 0)
    inr = 1.0 + params.inr_slope * (100.0 / c["PTA"] - 1.0)
    c["INR"] = np.round(np.maximum(inr, 0.8), 2)
    c["CPSCORE"] = _child_pugh(c)
    c["MELD"] = _meld(c)
    return c


def baseline(n: int, params: SimulationParameters, rng: np.random.Generator) -> dict:
    """Baseline characteristics of ``n`` enrolled subjects (arrays keyed by name).

    Candidates are screened in batches and those with a Child-Pugh score outside
    ``cp_min``-``cp_max`` are not enrolled, as in the trial's eligibility criteria; the loop runs
    over batches (usually one), never over subjects.
    """
    batches: list[dict] = []
    enrolled = 0
    while enrolled < n:
        c = _candidates(int(_SCREEN_FACTOR * (n - enrolled)) + 20, params, rng)
        keep = (c["CPSCORE"] >= params.cp_min) & (c["CPSCORE"] <= params.cp_max)
        batches.append({k: v[keep] for k, v in c.items()})
        enrolled += int(keep.sum())
    return {k: np.concatenate([b[k] for b in batches])[:n] for k in batches[0]}


def visit_offsets(n: int, params: SimulationParameters, rng: np.random.Generator) -> np.ndarray:
    """Day offsets from day 1 (0 = day 1) of the scheduled visits, shape ``(n, n_visits)``.

    Baseline is day 1; later visits fall uniformly within their window around week x 7 days.
    """
    weeks = np.asarray(params.visit_weeks)
    window = np.where(weeks <= 12, params.window_early, params.window_late)
    window[weeks == 0] = 0
    jitter = rng.integers(-window, window + 1, size=(n, weeks.size))
    return 7 * weeks + jitter
