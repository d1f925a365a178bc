"""The assumed values of the synthetic seed study: the single source of every number.

The published facts of the trial (Shi M et al., Hepatol Int 2021;15:1431-1441; NCT01220492) fix
the design: 219 subjects, Control 111 / UC-MSC 108, three infusions of 0.5 x 10^6 cells/kg at
weeks 0, 4 and 8, follow-up October 2010 to October 2017. Everything else below is an
*assumption* chosen inside the ranges of ``seed-trial/CALIBRATION.md``; none is a published
result. Every field carries its documentation in ``metadata["doc"]``, from which the data README
renders its parameter tables (so the two cannot drift apart).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from csrgen.simulate.params_bds import ECG, VITALS, BdsSpec
from csrgen.simulate.params_history import DEVIATIONS, HISTORY, DvSpec, MhSpec
from csrgen.simulate.params_medications import MEDICATIONS, CmSpec


def _p(default, doc: str, source: str = "assumed"):
    """A parameter field with its documentation and source (rendered into the data README).

    ``source`` is ``"assumed"`` unless the value is a published fact of the trial's design.
    """
    return field(default=default, metadata={"doc": doc, "source": source})


@dataclass(frozen=True)
class LabSpec:
    """One laboratory parameter: baseline distribution, reference range and change model.

    ``change_scale`` ``"additive"``: ``change_*`` is the mean change from baseline at week 48 in
    the parameter's unit, ``change_sd`` and ``noise_sd`` are in that unit. ``"ratio"``:
    ``change_*`` is the mean percent change from baseline at week 48 (the ratio to baseline is
    log-normal), ``change_sd`` and ``noise_sd`` are SDs on the natural-log scale.
    """

    paramcd: str
    param: str
    paramn: int
    parcat1: str
    decimals: int
    baseline_dist: str  # "normal" (center = mean, spread = SD) or "lognormal" (median, SD of log)
    baseline_center: float
    baseline_spread: float
    severity_loading: float  # signed correlation of the baseline value with latent severity
    lower_limit: float  # plausible range; simulated values are clipped to it
    upper_limit: float
    ref_low: float  # adult reference range (A1LO, A1HI)
    ref_high: float
    change_scale: str
    change_control: float
    change_ucmsc: float
    change_sd: float  # between-subject SD of the week-48 change
    noise_sd: float  # visit-to-visit (analytical + biological) SD


@dataclass(frozen=True)
class AeSpec:
    """One disease-related adverse event: coding, verbatim terms and rates (equal in both arms)."""

    decod: str  # MedDRA-style preferred term
    bodsys: str  # its primary system organ class
    terms: tuple[str, ...]  # verbatim terms, one drawn per event
    rate_per_year: float  # events per patient-year in the AE collection period
    p_serious: float
    median_days: float  # median duration (log-normal, SD of log 0.6)


@dataclass(frozen=True)
class DeathCause:
    """A cause of death other than HCC, its share and the fatal AE that records it."""

    cause: str  # DTHCAUS
    prob: float
    decod: str
    bodsys: str
    term: str


GI = "Gastrointestinal disorders"
INF = "Infections and infestations"
MET = "Metabolism and nutrition disorders"
NEO = "Neoplasms benign, malignant and unspecified (incl cysts and polyps)"

# Keyword arguments throughout, so that each number is read with its name.
LABS: tuple[LabSpec, ...] = (
    LabSpec(
        paramcd="ALB",
        param="Albumin (g/L)",
        paramn=1,
        parcat1="CHEMISTRY",
        decimals=1,
        baseline_dist="normal",
        baseline_center=30.0,
        baseline_spread=4.5,
        severity_loading=-0.5,
        lower_limit=15.0,
        upper_limit=55.0,
        ref_low=35.0,
        ref_high=55.0,
        change_scale="additive",
        change_control=2.0,
        change_ucmsc=5.0,
        change_sd=3.5,
        noise_sd=1.5,
    ),
    LabSpec(
        paramcd="PTA",
        param="Prothrombin activity (%)",
        paramn=2,
        parcat1="COAGULATION",
        decimals=1,
        baseline_dist="normal",
        baseline_center=62.0,
        baseline_spread=15.0,
        severity_loading=-0.5,
        lower_limit=15.0,
        upper_limit=130.0,
        ref_low=70.0,
        ref_high=120.0,
        change_scale="additive",
        change_control=2.0,
        change_ucmsc=8.0,
        change_sd=9.0,
        noise_sd=5.0,
    ),
    LabSpec(
        paramcd="CHE",
        param="Cholinesterase (U/L)",
        paramn=3,
        parcat1="CHEMISTRY",
        decimals=0,
        baseline_dist="lognormal",
        baseline_center=3080.0,
        baseline_spread=0.39,
        severity_loading=-0.5,
        lower_limit=300.0,
        upper_limit=15000.0,
        ref_low=5000.0,
        ref_high=12000.0,
        change_scale="additive",
        change_control=300.0,
        change_ucmsc=1100.0,
        change_sd=900.0,
        noise_sd=350.0,
    ),
    LabSpec(
        paramcd="TBIL",
        param="Total bilirubin (umol/L)",
        paramn=4,
        parcat1="CHEMISTRY",
        decimals=1,
        baseline_dist="lognormal",
        baseline_center=32.5,
        baseline_spread=0.6,
        severity_loading=0.5,
        lower_limit=3.0,
        upper_limit=600.0,
        ref_low=3.4,
        ref_high=20.5,
        change_scale="ratio",
        change_control=-5.0,
        change_ucmsc=-30.0,
        change_sd=0.35,
        noise_sd=0.12,
    ),
    LabSpec(
        paramcd="ALT",
        param="Alanine aminotransferase (U/L)",
        paramn=5,
        parcat1="CHEMISTRY",
        decimals=0,
        baseline_dist="lognormal",
        baseline_center=42.0,
        baseline_spread=0.55,
        severity_loading=0.0,
        lower_limit=5.0,
        upper_limit=2000.0,
        ref_low=7.0,
        ref_high=40.0,
        change_scale="ratio",
        change_control=-10.0,
        change_ucmsc=-10.0,
        change_sd=0.4,
        noise_sd=0.2,
    ),
    LabSpec(
        paramcd="AST",
        param="Aspartate aminotransferase (U/L)",
        paramn=6,
        parcat1="CHEMISTRY",
        decimals=0,
        baseline_dist="lognormal",
        baseline_center=52.0,
        baseline_spread=0.5,
        severity_loading=0.2,
        lower_limit=8.0,
        upper_limit=2000.0,
        ref_low=13.0,
        ref_high=40.0,
        change_scale="ratio",
        change_control=-10.0,
        change_ucmsc=-10.0,
        change_sd=0.35,
        noise_sd=0.2,
    ),
)

DISEASE_AES: tuple[AeSpec, ...] = (
    AeSpec(
        decod="Ascites",
        bodsys=GI,
        rate_per_year=0.35,
        p_serious=0.30,
        median_days=21.0,
        terms=("worsening ascites", "increased ascites", "abdominal distension due to ascites"),
    ),
    AeSpec(
        decod="Oesophageal varices haemorrhage",
        bodsys=GI,
        rate_per_year=0.08,
        p_serious=1.0,
        median_days=7.0,
        terms=("oesophageal variceal bleeding", "esophageal variceal hemorrhage"),
    ),
    AeSpec(
        decod="Upper gastrointestinal haemorrhage",
        bodsys=GI,
        rate_per_year=0.05,
        p_serious=0.9,
        median_days=6.0,
        terms=("upper GI bleeding", "melena, upper GI bleed"),
    ),
    AeSpec(
        decod="Hepatic encephalopathy",
        bodsys="Nervous system disorders",
        rate_per_year=0.10,
        p_serious=0.6,
        median_days=5.0,
        terms=("hepatic encephalopathy", "hepatic encephalopathy grade 2"),
    ),
    AeSpec(
        decod="Peritonitis bacterial",
        bodsys=INF,
        rate_per_year=0.08,
        p_serious=0.8,
        median_days=14.0,
        terms=("spontaneous bacterial peritonitis", "SBP"),
    ),
    AeSpec(
        decod="Hepatorenal syndrome",
        bodsys="Renal and urinary disorders",
        rate_per_year=0.03,
        p_serious=1.0,
        median_days=14.0,
        terms=("hepatorenal syndrome",),
    ),
    AeSpec(
        decod="Pneumonia",
        bodsys=INF,
        rate_per_year=0.06,
        p_serious=0.6,
        median_days=12.0,
        terms=("pneumonia", "lung infection"),
    ),
    AeSpec(
        decod="Urinary tract infection",
        bodsys=INF,
        rate_per_year=0.06,
        p_serious=0.1,
        median_days=7.0,
        terms=("urinary tract infection", "UTI"),
    ),
    AeSpec(
        decod="Hyponatraemia",
        bodsys=MET,
        rate_per_year=0.12,
        p_serious=0.1,
        median_days=10.0,
        terms=("hyponatremia", "low serum sodium"),
    ),
    AeSpec(
        decod="Hypokalaemia",
        bodsys=MET,
        rate_per_year=0.10,
        p_serious=0.05,
        median_days=5.0,
        terms=("hypokalemia", "low potassium"),
    ),
)

DEATH_CAUSES: tuple[DeathCause, ...] = (
    DeathCause(
        cause="LIVER FAILURE",
        prob=0.45,
        decod="Hepatic failure",
        bodsys="Hepatobiliary disorders",
        term="liver failure",
    ),
    DeathCause(
        cause="VARICEAL BLEEDING",
        prob=0.25,
        decod="Oesophageal varices haemorrhage",
        bodsys=GI,
        term="massive oesophageal variceal bleeding",
    ),
    DeathCause(cause="INFECTION", prob=0.15, decod="Sepsis", bodsys=INF, term="sepsis"),
    DeathCause(
        cause="HEPATORENAL SYNDROME",
        prob=0.15,
        decod="Hepatorenal syndrome",
        bodsys="Renal and urinary disorders",
        term="hepatorenal syndrome",
    ),
)


@dataclass(frozen=True)
class SimulationParameters:
    """Every assumed value of the synthetic seed study (see each field's ``metadata["doc"]``)."""

    # -- design and enrolment --------------------------------------------------------------
    study_id: str = _p("UCMSC-DLC", "STUDYID", "label")
    site_id: str = _p("01", "SITEID (single centre)", "published: single centre")
    control_share: float = _p(
        111 / 219, "share of subjects randomized to Control (111 of 219)", "published"
    )
    block_size: int = _p(
        4,
        "permuted block size (1:1 blocks; the extra Control subjects are "
        "inserted at random positions of the sequence)",
    )
    enrol_start: str = _p("2010-10-08", "first randomization date", "published: month")
    enrol_days: int = _p(365, "length of the enrolment period (days); dates uniform over it")
    data_cut: str = _p("2017-10-31", "data cut-off date (end of follow-up)", "published: month")
    # -- baseline ------------------------------------------------------------------------------
    p_male: float = _p(0.87, "probability of male sex")
    age_min: float = _p(25.0, "youngest age (years)")
    age_max: float = _p(65.0, "oldest age (years)")
    age_beta_a: float = _p(3.5, "age = age_min + (age_max - age_min) x Beta(a, b): a")
    age_beta_b: float = _p(2.8, "Beta b (median age about 47-48)")
    height_mean_m: float = _p(170.0, "height of men, mean (cm)")
    height_mean_f: float = _p(159.0, "height of women, mean (cm)")
    height_sd: float = _p(6.0, "height SD (cm)")
    bmi_mean: float = _p(22.5, "BMI mean (kg/m2)")
    bmi_sd: float = _p(3.0, "BMI SD (kg/m2)")
    p_antiviral: float = _p(0.90, "nucleos(t)ide analogue therapy at baseline")
    p_hbeag_positive: float = _p(0.30, "HBeAg positive")
    p_ascites_none: float = _p(0.30, "no ascites (latent-severity threshold model)")
    p_ascites_mild: float = _p(0.42, "mild ascites (the rest moderate/severe)")
    p_encephalopathy: float = _p(0.12, "grade 1-2 hepatic encephalopathy at baseline")
    severity_loading_clinical: float = _p(
        0.5, "correlation of ascites and encephalopathy with the latent disease severity"
    )
    creat_median: float = _p(72.0, "creatinine median (umol/L; log-normal, for MELD)")
    creat_log_sd: float = _p(0.25, "creatinine SD of log")
    inr_slope: float = _p(0.7, "INR = 1 + slope x (100 / PTA - 1)")
    cp_min: int = _p(
        7, "lowest eligible Child-Pugh score (screened candidates outside 7-13 are not enrolled)"
    )
    cp_max: int = _p(13, "highest eligible Child-Pugh score")
    # -- overall survival ----------------------------------------------------------------------
    os_landmark_month: float = _p(
        12.0,
        "landmark month: the Control hazard is constant on "
        "each side of it and UC-MSC changes the hazard after it",
    )
    os_control_landmark: float = _p(0.84, "expected Control survival at the landmark month")
    os_target_month: float = _p(60.0, "a later month with a survival target")
    os_control_target: float = _p(0.55, "expected Control survival at os_target_month")
    os_hr_late: float = _p(
        0.5, "UC-MSC vs Control hazard ratio after the landmark month (1 before it)"
    )
    os_severity_log_hr: float = _p(0.4, "log hazard ratio of death per SD of latent severity")
    # -- HCC, transplantation, losses ------------------------------------------------------------
    hcc_annual_risk: float = _p(0.035, "annual risk of HCC, both arms (constant hazard)")
    p_hcc_death_cause: float = _p(0.7, "probability that a death after HCC is due to HCC")
    transplant_annual: float = _p(
        0.006, "annual risk of liver transplantation (censors OS and HCC)"
    )
    ltfu_annual: float = _p(0.006, "annual risk of loss to follow-up")
    withdrawal_annual: float = _p(0.004, "annual risk of withdrawal by subject")
    # -- treatment -----------------------------------------------------------------------------
    dose: float = _p(0.5, "UC-MSC dose per infusion (10^6 cells/kg)", "published")
    infusion_weeks: tuple[int, ...] = _p((0, 4, 8), "infusion weeks", "published")
    p_infusion_missed: float = _p(
        0.03,
        "probability that a week-4 or week-8 infusion is not "
        "given although the subject is in the study",
    )
    treatment_days: int = _p(336, "length of the treatment phase (days; week 48)", "published")
    # -- laboratory ----------------------------------------------------------------------------
    visit_weeks: tuple[int, ...] = _p((0, 4, 8, 12, 24, 36, 48), "laboratory visits (weeks)")
    window_early: int = _p(3, "visit window up to week 12 (+/- days, uniform)")
    window_late: int = _p(7, "visit window from week 24 (+/- days, uniform)")
    p_visit_missed: float = _p(0.04, "probability of a missed post-baseline visit (whole panel)")
    p_baseline_missed: float = _p(0.01, "probability of no baseline sample (whole panel)")
    lab_tau_weeks: float = _p(
        8.0,
        "time constant of the change: change(w) = change(48) x "
        "(1 - exp(-w / tau)) / (1 - exp(-48 / tau))",
    )
    labs: tuple[LabSpec, ...] = _p(LABS, "laboratory parameters (table below)")
    # -- adverse events ------------------------------------------------------------------------
    ae_collection_days: int = _p(
        364,
        "AE collection period (days from day 1; week 52); "
        "treatment-emergent through treatment_days",
    )
    ae_severity_log_rr: float = _p(0.3, "log rate ratio of disease AEs per SD of latent severity")
    ae_duration_log_sd: float = _p(0.6, "SD of log duration of disease AEs")
    p_pyrexia_per_infusion: float = _p(
        0.045, "pyrexia on the day of an infusion (about 13 % of subjects with three infusions)"
    )
    p_pyrexia_possibly: float = _p(
        0.2, "share of infusion pyrexia rated POSSIBLY RELATED (the rest RELATED)"
    )
    fatal_ae_lead_days: int = _p(14, "the fatal AE starts 0 to this many days before death")
    disease_aes: tuple[AeSpec, ...] = _p(DISEASE_AES, "disease-related AEs (table below)")
    death_causes: tuple[DeathCause, ...] = _p(
        DEATH_CAUSES, "causes of death other than HCC (table below)"
    )
    # -- medical history, medications, protocol deviations (ADMH, ADCM, ADDV) -----------------
    # Drawn from their own random streams (simulate.streams), after the five datasets above.
    history: tuple[MhSpec, ...] = _p(HISTORY, "medical history conditions (table below)")
    medications: tuple[CmSpec, ...] = _p(MEDICATIONS, "prior and concomitant medications (below)")
    cm_start_years_max: float = _p(
        5.0, "a medication taken on day 1 started 30 days to this many years before day 1"
    )
    cm_course_log_sd: float = _p(0.5, "SD of log course length of a medication course")
    p_partial_date: float = _p(
        0.4,
        "share of start dates more than a year before day 1 (history, prior medications) "
        "recorded as month and year only: ASTDT imputed to the 1st, ASTDTF = D",
    )
    p_year_only: float = _p(
        0.2, "of those, share recorded as year only: ASTDT imputed to 1 January, ASTDTF = M"
    )
    p_unknown_start: float = _p(
        0.03, "share of medications taken on day 1 whose start is unknown (ASTDT blank)"
    )
    deviations: tuple[DvSpec, ...] = _p(DEVIATIONS, "protocol deviations (table below)")
    # -- ECG and vital signs (ADEG, ADVS) ------------------------------------------------------
    ecg_weeks: tuple[int, ...] = _p(
        (0, 4, 12, 24, 48), "ECG visits (weeks; a subset of visit_weeks, on the visit day)"
    )
    p_ecg_not_done: float = _p(0.02, "probability that an attended visit has no ECG")
    p_vitals_not_done: float = _p(0.01, "probability that an attended visit has no vital signs")
    ecg: tuple[BdsSpec, ...] = _p(ECG, "ECG parameters (table below)")
    vitals: tuple[BdsSpec, ...] = _p(VITALS, "vital signs, at every attended visit (below)")
