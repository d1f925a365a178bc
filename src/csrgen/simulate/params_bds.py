"""Assumed ECG and vital-sign values of the synthetic seed study (ADEG, ADVS).

The trial published neither. QT prolongation is common in cirrhosis (cirrhotic cardiomyopathy;
a QTc above 440 ms in about half of patients, longer with worse Child-Pugh class), the
circulation is hyperdynamic (fast heart rate, low blood pressure) and non-selective
beta-blockers slow the heart. The values below follow that picture; UC-MSC has no effect on
them (an assumption: no ECG or vital-sign effect was reported).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BdsSpec:
    """One ECG or vital-sign parameter.

    Baseline: ``mean`` + ``sd`` x a standard normal with correlation ``loading`` with the latent
    disease severity, plus ``beta_blocker`` in subjects taking a beta-blocker on day 1 (or the
    ADSL variable ``baseline_var`` when set). Each subject's value then drifts linearly by a
    change drawn with SD ``change_sd`` at week 48; every visit adds noise with SD ``noise_sd``,
    and a share ``p_outlier`` of the visits an extra error with SD ``outlier_sd`` (a poorly
    recorded tracing, an intercurrent illness). Values are clipped to
    ``lower_limit``-``upper_limit`` and rounded to ``decimals``. ``derive`` = ``"fridericia"``
    makes the QT interval from QTcF and the heart rate of the same tracing instead
    (QT = QTcF x (RR / 1000)^(1/3), RR = 60000 / HR ms).
    """

    paramcd: str
    param: str
    paramn: int
    decimals: int
    mean: float = 0.0
    sd: float = 0.0
    loading: float = 0.0
    beta_blocker: float = 0.0
    baseline_var: str = ""
    change_sd: float = 0.0
    noise_sd: float = 0.0
    p_outlier: float = 0.0
    outlier_sd: float = 0.0
    ref_low: float | None = None  # ANRLO
    ref_high: float | None = None  # ANRHI
    lower_limit: float = 0.0
    upper_limit: float = 1e9
    derive: str = ""


ECG: tuple[BdsSpec, ...] = (
    BdsSpec(
        paramcd="HR",
        param="Heart Rate (beats/min)",
        paramn=1,
        decimals=0,
        mean=82.0,
        sd=11.0,
        loading=0.2,
        beta_blocker=-10.0,
        change_sd=4.0,
        noise_sd=6.0,
        ref_low=60.0,
        ref_high=100.0,
        lower_limit=40.0,
        upper_limit=150.0,
    ),
    BdsSpec(
        paramcd="PR",
        param="PR Duration (msec)",
        paramn=2,
        decimals=0,
        mean=160.0,
        sd=20.0,
        change_sd=4.0,
        noise_sd=8.0,
        ref_low=120.0,
        ref_high=200.0,
        lower_limit=90.0,
        upper_limit=320.0,
    ),
    BdsSpec(
        paramcd="QRS",
        param="QRS Duration (msec)",
        paramn=3,
        decimals=0,
        mean=92.0,
        sd=10.0,
        change_sd=2.0,
        noise_sd=5.0,
        ref_low=70.0,
        ref_high=110.0,
        lower_limit=60.0,
        upper_limit=180.0,
    ),
    BdsSpec(
        paramcd="QT",
        param="QT Duration (msec)",
        paramn=4,
        decimals=0,
        ref_low=350.0,
        ref_high=450.0,
        lower_limit=250.0,
        upper_limit=650.0,
        derive="fridericia",
    ),
    BdsSpec(
        paramcd="QTCF",
        param="QTcF - Fridericia's Correction Formula (msec)",
        paramn=5,
        decimals=0,
        mean=440.0,
        sd=20.0,
        loading=0.3,
        change_sd=8.0,
        noise_sd=10.0,
        p_outlier=0.05,
        outlier_sd=30.0,
        ref_low=350.0,
        ref_high=450.0,
        lower_limit=360.0,
        upper_limit=560.0,
    ),
)

VITALS: tuple[BdsSpec, ...] = (
    BdsSpec(
        paramcd="SYSBP",
        param="Systolic Blood Pressure (mmHg)",
        paramn=1,
        decimals=0,
        mean=116.0,
        sd=13.0,
        loading=-0.2,
        beta_blocker=-5.0,
        change_sd=5.0,
        noise_sd=8.0,
        ref_low=90.0,
        ref_high=140.0,
        lower_limit=70.0,
        upper_limit=200.0,
    ),
    BdsSpec(
        paramcd="DIABP",
        param="Diastolic Blood Pressure (mmHg)",
        paramn=2,
        decimals=0,
        mean=72.0,
        sd=8.0,
        loading=-0.2,
        beta_blocker=-3.0,
        change_sd=3.0,
        noise_sd=6.0,
        ref_low=60.0,
        ref_high=90.0,
        lower_limit=40.0,
        upper_limit=120.0,
    ),
    BdsSpec(
        paramcd="PULSE",
        param="Pulse Rate (beats/min)",
        paramn=3,
        decimals=0,
        mean=82.0,
        sd=11.0,
        loading=0.2,
        beta_blocker=-10.0,
        change_sd=4.0,
        noise_sd=7.0,
        ref_low=60.0,
        ref_high=100.0,
        lower_limit=40.0,
        upper_limit=150.0,
    ),
    BdsSpec(
        paramcd="TEMP",
        param="Temperature (C)",
        paramn=4,
        decimals=1,
        mean=36.6,
        sd=0.25,
        noise_sd=0.25,
        p_outlier=0.02,
        outlier_sd=0.8,
        ref_low=36.0,
        ref_high=37.3,
        lower_limit=35.5,
        upper_limit=40.0,
    ),
    BdsSpec(
        paramcd="WEIGHT",
        param="Weight (kg)",
        paramn=5,
        decimals=1,
        baseline_var="WEIGHTBL",
        change_sd=2.5,
        noise_sd=1.2,
        lower_limit=30.0,
        upper_limit=150.0,
    ),
)
