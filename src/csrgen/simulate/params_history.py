"""Assumed medical history and protocol deviations of the synthetic seed study (ADMH, ADDV).

None of these numbers is published: the trial reports neither its patients' medical history nor
its protocol deviations. The rates are chosen to be plausible for HBV-related decompensated
cirrhosis treated in a Chinese hepatology centre around 2010-2012, and are documented in the
data README from these specs (so the two cannot drift apart).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Subject groups a spec can apply to (see ``simulate.history.subject_groups``).
GROUPS = ("all", "antiviral", "no_antiviral", "ascites", "no_ascites", "enceph", "no_enceph")


@dataclass(frozen=True)
class MhSpec:
    """One medical-history condition: coding, who has it, and when it started.

    ``group`` is a subject group (:data:`GROUPS`); ``prob`` the share of that group with the
    condition; ``p_ongoing`` the share of them in whom it is still present at screening (the
    others resolved before day 1; a procedure ends on its start date). The start lies
    ``years_min``-``years_max`` years before day 1 (uniform).
    """

    decod: str  # MedDRA-style preferred term (MHDECOD)
    bodsys: str  # its primary system organ class (MHBODSYS)
    cat: str  # MHCAT
    terms: tuple[str, ...]  # verbatim terms (MHTERM), one drawn per record
    group: str
    prob: float
    p_ongoing: float
    years_min: float
    years_max: float


@dataclass(frozen=True)
class DvSpec:
    """One kind of protocol deviation: coding, importance and what produces it.

    ``source`` says where the deviations come from. Most follow from what the other datasets
    already hold, so the deviations agree with them: ``missed_visit`` (a post-baseline visit
    before week 48 without a laboratory record while the subject was in the study),
    ``missed_week48`` (the same at week 48, the primary laboratory time point),
    ``missed_infusion`` (an ADEX infusion not given), ``no_baseline_lab`` (no baseline sample in
    ADLB), ``ecg_not_done`` (an attended visit without an ECG in ADEG), ``prohibited_med`` (an
    ADCM record of a prohibited medication started on or after day 1 and by the end of
    the treatment phase). ``day1`` and ``visit`` deviations are drawn: each subject has one with
    probability ``prob``, on day 1 or at one of their attended post-baseline visits.
    """

    decod: str  # DVDECOD
    cat: str  # DVCAT: the category
    scat: str  # DVSCAT: "MAJOR" or "MINOR"
    terms: tuple[str, ...]  # DVTERM, one drawn per record
    source: str
    prob: float = 0.0


SOC_INF = "Infections and infestations"
SOC_HEP = "Hepatobiliary disorders"
SOC_GI = "Gastrointestinal disorders"
SOC_BLOOD = "Blood and lymphatic system disorders"
SOC_VASC = "Vascular disorders"
LIVER = "LIVER DISEASE HISTORY"
GENERAL = "GENERAL MEDICAL HISTORY"

HISTORY: tuple[MhSpec, ...] = (
    MhSpec(
        decod="Chronic hepatitis B",
        bodsys=SOC_INF,
        cat=LIVER,
        terms=("chronic hepatitis B", "chronic HBV infection", "HBV infection"),
        group="all",
        prob=1.0,
        p_ongoing=1.0,
        years_min=3.0,
        years_max=25.0,
    ),
    MhSpec(
        decod="Hepatic cirrhosis",
        bodsys=SOC_HEP,
        cat=LIVER,
        terms=("liver cirrhosis", "HBV-related cirrhosis", "decompensated cirrhosis"),
        group="all",
        prob=1.0,
        p_ongoing=1.0,
        years_min=0.3,
        years_max=6.0,
    ),
    MhSpec(
        decod="Ascites",
        bodsys=SOC_GI,
        cat=LIVER,
        terms=("ascites", "cirrhotic ascites"),
        group="ascites",
        prob=1.0,
        p_ongoing=1.0,
        years_min=0.1,
        years_max=3.0,
    ),
    MhSpec(
        decod="Ascites",
        bodsys=SOC_GI,
        cat=LIVER,
        terms=("resolved ascites", "previous ascites"),
        group="no_ascites",
        prob=0.3,
        p_ongoing=0.0,
        years_min=0.2,
        years_max=4.0,
    ),
    MhSpec(
        decod="Oesophageal varices",
        bodsys=SOC_GI,
        cat=LIVER,
        terms=("oesophageal varices", "moderate esophageal varices", "gastroesophageal varices"),
        group="all",
        prob=0.7,
        p_ongoing=1.0,
        years_min=0.2,
        years_max=5.0,
    ),
    MhSpec(
        decod="Oesophageal varices haemorrhage",
        bodsys=SOC_GI,
        cat=LIVER,
        terms=("variceal bleeding", "oesophageal variceal haemorrhage"),
        group="all",
        prob=0.25,
        p_ongoing=0.0,
        years_min=0.1,
        years_max=5.0,
    ),
    MhSpec(
        decod="Hepatic encephalopathy",
        bodsys="Nervous system disorders",
        cat=LIVER,
        terms=("hepatic encephalopathy", "hepatic encephalopathy grade 1"),
        group="enceph",
        prob=1.0,
        p_ongoing=1.0,
        years_min=0.05,
        years_max=2.0,
    ),
    MhSpec(
        decod="Hepatic encephalopathy",
        bodsys="Nervous system disorders",
        cat=LIVER,
        terms=("previous episode of hepatic encephalopathy",),
        group="no_enceph",
        prob=0.08,
        p_ongoing=0.0,
        years_min=0.1,
        years_max=3.0,
    ),
    MhSpec(
        decod="Peritonitis bacterial",
        bodsys=SOC_INF,
        cat=LIVER,
        terms=("spontaneous bacterial peritonitis", "SBP"),
        group="ascites",
        prob=0.12,
        p_ongoing=0.0,
        years_min=0.1,
        years_max=3.0,
    ),
    MhSpec(
        decod="Portal hypertension",
        bodsys=SOC_VASC,
        cat=LIVER,
        terms=("portal hypertension",),
        group="all",
        prob=0.5,
        p_ongoing=1.0,
        years_min=0.3,
        years_max=6.0,
    ),
    MhSpec(
        decod="Portal vein thrombosis",
        bodsys=SOC_VASC,
        cat=LIVER,
        terms=("portal vein thrombosis",),
        group="all",
        prob=0.05,
        p_ongoing=1.0,
        years_min=0.1,
        years_max=3.0,
    ),
    MhSpec(
        decod="Splenomegaly",
        bodsys=SOC_BLOOD,
        cat=LIVER,
        terms=("splenomegaly", "enlarged spleen"),
        group="all",
        prob=0.6,
        p_ongoing=1.0,
        years_min=0.3,
        years_max=6.0,
    ),
    MhSpec(
        decod="Hypersplenism",
        bodsys=SOC_BLOOD,
        cat=LIVER,
        terms=("hypersplenism",),
        group="all",
        prob=0.3,
        p_ongoing=1.0,
        years_min=0.3,
        years_max=6.0,
    ),
    MhSpec(
        decod="Thrombocytopenia",
        bodsys=SOC_BLOOD,
        cat=GENERAL,
        terms=("thrombocytopenia", "low platelet count"),
        group="all",
        prob=0.45,
        p_ongoing=1.0,
        years_min=0.2,
        years_max=5.0,
    ),
    MhSpec(
        decod="Anaemia",
        bodsys=SOC_BLOOD,
        cat=GENERAL,
        terms=("anemia", "anaemia"),
        group="all",
        prob=0.2,
        p_ongoing=1.0,
        years_min=0.2,
        years_max=3.0,
    ),
    MhSpec(
        decod="Type 2 diabetes mellitus",
        bodsys="Metabolism and nutrition disorders",
        cat=GENERAL,
        terms=("type 2 diabetes", "diabetes mellitus type II", "hepatogenous diabetes"),
        group="all",
        prob=0.17,
        p_ongoing=1.0,
        years_min=1.0,
        years_max=15.0,
    ),
    MhSpec(
        decod="Hypertension",
        bodsys=SOC_VASC,
        cat=GENERAL,
        terms=("hypertension", "essential hypertension"),
        group="all",
        prob=0.10,
        p_ongoing=1.0,
        years_min=1.0,
        years_max=15.0,
    ),
    MhSpec(
        decod="Cholelithiasis",
        bodsys=SOC_HEP,
        cat=GENERAL,
        terms=("gallstones", "cholelithiasis"),
        group="all",
        prob=0.12,
        p_ongoing=1.0,
        years_min=1.0,
        years_max=10.0,
    ),
    MhSpec(
        decod="Peptic ulcer",
        bodsys=SOC_GI,
        cat=GENERAL,
        terms=("duodenal ulcer", "gastric ulcer"),
        group="all",
        prob=0.08,
        p_ongoing=0.0,
        years_min=1.0,
        years_max=15.0,
    ),
    MhSpec(
        decod="Appendicectomy",
        bodsys="Surgical and medical procedures",
        cat=GENERAL,
        terms=("appendectomy",),
        group="all",
        prob=0.05,
        p_ongoing=0.0,
        years_min=2.0,
        years_max=30.0,
    ),
)

ELIG = "ELIGIBILITY CRITERIA"
CONSENT = "INFORMED CONSENT"
VISITS = "VISIT SCHEDULE"
PROCEDURES = "STUDY PROCEDURES"

DEVIATIONS: tuple[DvSpec, ...] = (
    DvSpec(
        decod="INCLUSION CRITERION NOT MET",
        cat=ELIG,
        scat="MAJOR",
        terms=(
            "HBV DNA result not available before randomization",
            "Child-Pugh assessment older than the screening window",
        ),
        source="day1",
        prob=0.010,
    ),
    DvSpec(
        decod="EXCLUSION CRITERION MET",
        cat=ELIG,
        scat="MAJOR",
        terms=(
            "Serum creatinine above the exclusion limit at screening",
            "Liver imaging to exclude HCC not done before randomization",
        ),
        source="day1",
        prob=0.008,
    ),
    DvSpec(
        decod="REVISED CONSENT FORM SIGNED LATE",
        cat=CONSENT,
        scat="MINOR",
        terms=("Revised informed consent signed after the next visit",),
        source="visit",
        prob=0.03,
    ),
    DvSpec(
        decod="UC-MSC INFUSION NOT GIVEN",
        cat="STUDY TREATMENT",
        scat="MAJOR",
        terms=("Scheduled UC-MSC infusion not given",),
        source="missed_infusion",
    ),
    DvSpec(
        decod="PROHIBITED MEDICATION TAKEN",
        cat="CONCOMITANT MEDICATION",
        scat="MAJOR",
        terms=("Systemic corticosteroid given during the treatment phase",),
        source="prohibited_med",
    ),
    DvSpec(
        decod="PRIMARY LABORATORY VISIT MISSED",
        cat=VISITS,
        scat="MAJOR",
        terms=("Week 48 visit not attended",),
        source="missed_week48",
    ),
    DvSpec(
        decod="VISIT MISSED",
        cat=VISITS,
        scat="MINOR",
        terms=("Scheduled visit not attended", "Visit missed (subject unavailable)"),
        source="missed_visit",
    ),
    DvSpec(
        decod="VISIT OUTSIDE THE PROTOCOL WINDOW",
        cat=VISITS,
        scat="MINOR",
        terms=("Visit performed outside the protocol window",),
        source="visit",
        prob=0.10,
    ),
    DvSpec(
        decod="BASELINE LABORATORY SAMPLE NOT TAKEN",
        cat=PROCEDURES,
        scat="MAJOR",
        terms=("No baseline liver function sample",),
        source="no_baseline_lab",
    ),
    DvSpec(
        decod="ECG NOT PERFORMED",
        cat=PROCEDURES,
        scat="MINOR",
        terms=("12-lead ECG not performed at the visit",),
        source="ecg_not_done",
    ),
    DvSpec(
        decod="LABORATORY TEST NOT PERFORMED",
        cat=PROCEDURES,
        scat="MINOR",
        terms=("Urinalysis not performed", "Alpha-fetoprotein not measured"),
        source="visit",
        prob=0.04,
    ),
)
