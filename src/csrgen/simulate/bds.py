"""ADEG and ADVS: ECG intervals and vital signs by visit, in the BDS layout of ADLB.

Measured on the laboratory visit days the subject attended (baseline on day 1 for everyone),
unless not done at that visit; values from :class:`~csrgen.simulate.params_bds.BdsSpec`. Rows run
USUBJID, PARAMN, AVISITN; BASE, CHG, PCHG and the reference-range indicators are derived here,
and for ADEG the QTcF categories of ICH E14 (AVALCAT1, CHGCAT1, with admiral's texts).
Drawn from the ``adeg`` and ``advs`` streams.
"""

from __future__ import annotations

import numpy as np

from csrgen.simulate.metadata import Columns
from csrgen.simulate.params_bds import BdsSpec

_FLAG = np.array(["", "Y"], dtype=object)
_INDICATORS = np.array(["NORMAL", "LOW", "HIGH", ""], dtype=object)
#: ICH E14 QTc categories, as admiral's ADEG template words them (AVALCAT1, CHGCAT1).
QTC_VALUE_CUTS = (450.0, 480.0, 500.0)
QTC_VALUE_TEXT = ("<=450 msec", ">450<=480 msec", ">480<=500 msec", ">500 msec")
QTC_CHANGE_CUTS = (30.0, 60.0)
QTC_CHANGE_TEXT = ("<=30 msec", ">30<=60 msec", ">60 msec")
QTC_PARAM = "QTCF"


def simulate_bds(
    specs: tuple[BdsSpec, ...],
    weeks: np.ndarray,
    attended: np.ndarray,
    p_not_done: float,
    z: np.ndarray,
    beta_blocker: np.ndarray,
    baseline_values: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Values ``(n, P, V)`` and the visits ``(n, V)`` at which the measurements were done."""
    n, n_visits = attended.shape
    done = attended & (rng.random((n, n_visits)) >= p_not_done)
    time = np.asarray(weeks, dtype=float) / 48.0
    values = np.full((n, len(specs), n_visits), np.nan)
    for p, spec in enumerate(specs):  # a handful of parameters, not subjects
        if spec.derive:
            continue
        x = spec.loading * z + np.sqrt(1.0 - spec.loading**2) * rng.standard_normal(n)
        if spec.baseline_var:
            base = np.asarray(baseline_values[spec.baseline_var], dtype=float)
        else:
            base = spec.mean + spec.sd * x + spec.beta_blocker * beta_blocker
        change = spec.change_sd * rng.standard_normal(n)
        noise = spec.noise_sd * rng.standard_normal((n, n_visits))
        if spec.baseline_var:
            noise[:, 0] = 0.0  # the baseline value is the recorded one
        outlier = rng.random((n, n_visits)) < spec.p_outlier
        noise += outlier * spec.outlier_sd * rng.standard_normal((n, n_visits))
        value = base[:, None] + change[:, None] * time[None, :] + noise
        values[:, p, :] = _round(value, spec)
    for p, spec in enumerate(specs):
        if spec.derive == "fridericia":
            values[:, p, :] = _fridericia(values, specs, spec)
        elif spec.derive:
            raise ValueError(f"{spec.paramcd}: unknown derivation {spec.derive!r}")
    return values, done


def _round(value: np.ndarray, spec: BdsSpec) -> np.ndarray:
    return np.round(np.clip(value, spec.lower_limit, spec.upper_limit), spec.decimals) + 0.0


def _fridericia(values: np.ndarray, specs: tuple[BdsSpec, ...], spec: BdsSpec) -> np.ndarray:
    """QT (ms) from the recorded QTcF and heart rate: QT = QTcF x (60 / HR)^(1/3)."""
    index = {s.paramcd: p for p, s in enumerate(specs)}
    qtcf, hr = values[:, index["QTCF"], :], values[:, index["HR"], :]
    return _round(qtcf * np.cbrt(60.0 / hr), spec)


def _indicator(value: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    no_range = np.isnan(low) | np.isnan(high) | np.isnan(value)
    code = np.where(no_range, 3, np.where(value < low, 1, np.where(value > high, 2, 0)))
    return _INDICATORS[code]


def _category(x: np.ndarray, cuts: tuple[float, ...], texts: tuple[str, ...], on: np.ndarray):
    """Category number (1-based, NaN off ``on`` or missing) and text of each value."""
    code = np.searchsorted(np.asarray(cuts), x, side="left")  # x <= cut falls below it
    keep = on & ~np.isnan(x)
    number = np.where(keep, code + 1.0, np.nan)
    text = np.where(keep, np.array(texts, dtype=object)[np.minimum(code, len(texts) - 1)], "")
    return number, text.astype(object)


def build_bds(
    keys: Columns,
    trtsdt: np.ndarray,
    specs: tuple[BdsSpec, ...],
    values: np.ndarray,
    done: np.ndarray,
    weeks: np.ndarray,
    offsets: np.ndarray,
    qtc_categories: bool = False,
) -> Columns:
    """Rows for the measurements done; with ``qtc_categories`` the QTcF category variables."""
    subj, par, vis = (a.ravel() for a in np.indices(values.shape))
    keep = done[subj, vis]
    subj, par, vis = subj[keep], par[keep], vis[keep]
    decimals = np.array([s.decimals for s in specs])[par]
    aval = values[subj, par, vis]
    base_all = np.where(done[:, None, 0], values[:, :, 0], np.nan)
    base = base_all[subj, par]
    post = vis > 0
    chg = np.where(post, aval - base, np.nan)
    for d in np.unique(decimals):  # few decimal settings, not rows
        chg[decimals == d] = np.round(chg[decimals == d], int(d)) + 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        pchg = np.round(np.where(post & (base != 0), 100.0 * chg / base, np.nan), 2) + 0.0
    low = np.array([np.nan if s.ref_low is None else s.ref_low for s in specs])[par]
    high = np.array([np.nan if s.ref_high is None else s.ref_high for s in specs])[par]
    labels = np.array(["Baseline"] + [f"Week {w}" for w in weeks[1:]], dtype=object)
    offset = offsets[subj, vis]
    out = {
        "STUDYID": keys["STUDYID"][subj],
        "USUBJID": keys["USUBJID"][subj],
        "PARAMCD": np.array([s.paramcd for s in specs], dtype=object)[par],
        "PARAM": np.array([s.param for s in specs], dtype=object)[par],
        "PARAMN": np.array([s.paramn for s in specs], dtype=float)[par],
        "AVISIT": labels[vis],
        "AVISITN": np.asarray(weeks, dtype=float)[vis],
        "ADT": (trtsdt[subj] + offset).astype("datetime64[ns]"),
        "ADY": (offset + 1).astype(float),
        "AVAL": aval,
        "BASE": base,
        "CHG": chg,
        "PCHG": pchg,
        "ANRLO": low,
        "ANRHI": high,
        "ANRIND": _indicator(aval, low, high),
        "BNRIND": _indicator(base, low, high),
        "ABLFL": _FLAG[(~post).astype(np.int64)],
        "ANL01FL": np.full(subj.size, "Y", dtype=object),
        "TRTP": keys["TRT01P"][subj],
        "TRTA": keys["TRT01A"][subj],
    }
    if qtc_categories:
        qtc = out["PARAMCD"] == QTC_PARAM
        out["AVALCA1N"], out["AVALCAT1"] = _category(aval, QTC_VALUE_CUTS, QTC_VALUE_TEXT, qtc)
        out["CHGCAT1N"], out["CHGCAT1"] = _category(chg, QTC_CHANGE_CUTS, QTC_CHANGE_TEXT, qtc)
    return out
