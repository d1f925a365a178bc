"""Assumed prior and concomitant medications of the synthetic seed study (ADCM).

Only two facts are published: every patient had conventional treatment, and about 90 % took a
nucleos(t)ide analogue (CALIBRATION.md; ADSL ANTIVIR). Everything else is an assumption chosen
to be plausible for HBV-related decompensated cirrhosis in a Chinese centre around 2010-2012:
antivirals, diuretics for ascites, lactulose and rifaximin for encephalopathy, albumin
infusions, non-selective beta-blockers for varices, proton-pump inhibitors, liver-protective
drugs, antibiotics for infections, vasoactive drugs for bleeding and hepatorenal syndrome.
Coding is WHO Drug-style: CMDECOD the preferred name, CMCLAS/CMCLASCD the ATC level 2 class
and ATC1/ATC1CD its anatomical main group (one ATC path per medication).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CmSpec:
    """One medication: coding, regimen, who takes it and when.

    A subject of ``group`` (a subject group of ``params_history.GROUPS``, or ``mh:<PT>``: a
    medical history of that preferred term) takes it

    * since before day 1 and still on day 1 with probability ``p_ongoing`` (started 1 month to
      5 years before; stopped during the study with probability ``p_stop``, else ongoing);
      specs sharing a ``choice`` are alternatives: a subject takes at most one of them, with
      the specs' ``p_ongoing`` as shares;
    * only before day 1 with probability ``p_past`` (a course that ended before day 1);
    * in courses started during the study at ``rate_per_year`` (at most ``max_courses``; 0 = no
      limit), each ``course_days`` long (median, log-normal; 0 = until the end of follow-up);
    * in a course started at the onset of each ADAE event whose preferred term is in
      ``triggers``, with probability ``p_trigger`` (course length as above).

    ``prohibited`` marks a medication the protocol prohibits during the treatment phase (each
    such record started in it is a protocol deviation).
    """

    decod: str  # CMDECOD
    terms: tuple[str, ...]  # CMTRT verbatim names, one drawn per record
    atc1cd: str
    atc1: str
    atc2cd: str  # CMCLASCD
    atc2: str  # CMCLAS
    indication: str  # CMINDC
    dose: float
    unit: str
    freq: str
    route: str
    group: str = "all"
    p_ongoing: float = 0.0
    p_stop: float = 0.0
    choice: str = ""
    p_past: float = 0.0
    rate_per_year: float = 0.0
    max_courses: int = 0
    course_days: float = 0.0
    triggers: tuple[str, ...] = ()
    p_trigger: float = 0.0
    prohibited: bool = False


_A = ("A", "ALIMENTARY TRACT AND METABOLISM")
_B = ("B", "BLOOD AND BLOOD FORMING ORGANS")
_C = ("C", "CARDIOVASCULAR SYSTEM")
_H = ("H", "SYSTEMIC HORMONAL PREPARATIONS, EXCL. SEX HORMONES AND INSULINS")
_J = ("J", "ANTIINFECTIVES FOR SYSTEMIC USE")
ANTIVIRALS = ("J05", "ANTIVIRALS FOR SYSTEMIC USE")
ANTIBACTERIALS = ("J01", "ANTIBACTERIALS FOR SYSTEMIC USE")
DIURETICS = ("C03", "DIURETICS")
BETA_BLOCKERS = ("C07", "BETA BLOCKING AGENTS")
ACID = ("A02", "DRUGS FOR ACID RELATED DISORDERS")
LIVER = ("A05", "BILE AND LIVER THERAPY")
LAXATIVES = ("A06", "DRUGS FOR CONSTIPATION")
INTESTINAL = ("A07", "ANTIDIARRHEALS, INTESTINAL ANTIINFLAMMATORY/ANTIINFECTIVE AGENTS")
BLEEDING = ("H01", "PITUITARY AND HYPOTHALAMIC HORMONES AND ANALOGUES")
INFECTIONS = ("Peritonitis bacterial", "Pneumonia", "Sepsis", "Urinary tract infection")
VARICEAL = ("Oesophageal varices haemorrhage", "Upper gastrointestinal haemorrhage")
ORAL, IV = "ORAL", "INTRAVENOUS"


def _cm(main: tuple[str, str], klass: tuple[str, str], decod: str, **kw) -> CmSpec:
    return CmSpec(decod=decod, atc1cd=main[0], atc1=main[1], atc2cd=klass[0], atc2=klass[1], **kw)


def _na(decod: str, terms: tuple[str, ...], dose: float, share: float) -> CmSpec:
    """A nucleos(t)ide analogue taken at baseline (ADSL ANTIVIR = "Yes"): one per subject."""
    return _cm(
        _J,
        ANTIVIRALS,
        decod,
        terms=terms,
        indication="CHRONIC HEPATITIS B",
        dose=dose,
        unit="mg",
        freq="QD",
        route=ORAL,
        group="antiviral",
        p_ongoing=share,
        choice="nucleos(t)ide analogue",
    )


MEDICATIONS: tuple[CmSpec, ...] = (
    _na("ENTECAVIR", ("Entecavir", "Baraclude", "entecavir 0.5mg"), 0.5, 0.58),
    _na("ADEFOVIR DIPIVOXIL", ("Adefovir dipivoxil", "Hepsera"), 10.0, 0.14),
    _na("TENOFOVIR DISOPROXIL", ("Tenofovir", "Viread"), 300.0, 0.12),
    _na("LAMIVUDINE", ("Lamivudine", "Heptodin"), 100.0, 0.09),
    _na("TELBIVUDINE", ("Telbivudine", "Sebivo"), 600.0, 0.07),
    _cm(
        _J,
        ANTIVIRALS,
        "ENTECAVIR",
        terms=("Entecavir", "Baraclude"),
        indication="CHRONIC HEPATITIS B",
        dose=0.5,
        unit="mg",
        freq="QD",
        route=ORAL,
        group="no_antiviral",
        rate_per_year=2.0,
        max_courses=1,
    ),
    _cm(
        _C,
        DIURETICS,
        "SPIRONOLACTONE",
        terms=("Spironolactone", "Antisterone"),
        indication="ASCITES",
        dose=40.0,
        unit="mg",
        freq="TID",
        route=ORAL,
        group="ascites",
        p_ongoing=0.85,
        p_stop=0.15,
        triggers=("Ascites",),
        p_trigger=0.5,
        course_days=60.0,
    ),
    _cm(
        _C,
        DIURETICS,
        "FUROSEMIDE",
        terms=("Furosemide", "Lasix"),
        indication="ASCITES",
        dose=20.0,
        unit="mg",
        freq="QD",
        route=ORAL,
        group="ascites",
        p_ongoing=0.6,
        p_stop=0.25,
        triggers=("Ascites",),
        p_trigger=0.4,
        course_days=30.0,
    ),
    _cm(
        _C,
        DIURETICS,
        "TORASEMIDE",
        terms=("Torasemide",),
        indication="ASCITES",
        dose=10.0,
        unit="mg",
        freq="QD",
        route=ORAL,
        group="ascites",
        p_ongoing=0.08,
    ),
    _cm(
        _C,
        BETA_BLOCKERS,
        "PROPRANOLOL",
        terms=("Propranolol", "propranolol hydrochloride"),
        indication="PROPHYLAXIS OF VARICEAL BLEEDING",
        dose=10.0,
        unit="mg",
        freq="TID",
        route=ORAL,
        group="mh:Oesophageal varices",
        p_ongoing=0.55,
        p_stop=0.1,
        choice="beta-blocker",
        triggers=("Oesophageal varices haemorrhage",),
        p_trigger=0.6,
    ),
    _cm(
        _C,
        BETA_BLOCKERS,
        "CARVEDILOL",
        terms=("Carvedilol",),
        indication="PROPHYLAXIS OF VARICEAL BLEEDING",
        dose=6.25,
        unit="mg",
        freq="BID",
        route=ORAL,
        group="mh:Oesophageal varices",
        p_ongoing=0.08,
        choice="beta-blocker",
    ),
    _cm(
        _A,
        LAXATIVES,
        "LACTULOSE",
        terms=("Lactulose", "lactulose oral solution"),
        indication="HEPATIC ENCEPHALOPATHY",
        dose=15.0,
        unit="mL",
        freq="TID",
        route=ORAL,
        group="enceph",
        p_ongoing=0.9,
        triggers=("Hepatic encephalopathy",),
        p_trigger=0.9,
        course_days=14.0,
    ),
    _cm(
        _A,
        LAXATIVES,
        "LACTULOSE",
        terms=("Lactulose",),
        indication="CONSTIPATION",
        dose=15.0,
        unit="mL",
        freq="BID",
        route=ORAL,
        group="no_enceph",
        p_ongoing=0.12,
        p_stop=0.3,
    ),
    _cm(
        _A,
        INTESTINAL,
        "RIFAXIMIN",
        terms=("Rifaximin",),
        indication="HEPATIC ENCEPHALOPATHY",
        dose=400.0,
        unit="mg",
        freq="TID",
        route=ORAL,
        group="enceph",
        p_ongoing=0.3,
        triggers=("Hepatic encephalopathy",),
        p_trigger=0.3,
        course_days=28.0,
    ),
    _cm(
        _B,
        ("B05", "BLOOD SUBSTITUTES AND PERFUSION SOLUTIONS"),
        "ALBUMIN HUMAN",
        terms=("Human albumin", "albumin infusion 20%"),
        indication="HYPOALBUMINAEMIA",
        dose=10.0,
        unit="g",
        freq="QD",
        route=IV,
        group="ascites",
        p_past=0.5,
        rate_per_year=1.2,
        course_days=3.0,
        triggers=("Ascites", "Peritonitis bacterial", "Hepatorenal syndrome"),
        p_trigger=0.7,
    ),
    _cm(
        _A,
        ACID,
        "OMEPRAZOLE",
        terms=("Omeprazole", "Losec"),
        indication="GASTRIC PROTECTION",
        dose=20.0,
        unit="mg",
        freq="QD",
        route=ORAL,
        p_ongoing=0.15,
        p_stop=0.3,
        choice="proton-pump inhibitor",
        p_past=0.1,
        rate_per_year=0.3,
        course_days=14.0,
        triggers=VARICEAL,
        p_trigger=0.5,
    ),
    _cm(
        _A,
        ACID,
        "PANTOPRAZOLE",
        terms=("Pantoprazole", "pantoprazole sodium"),
        indication="GASTRIC PROTECTION",
        dose=40.0,
        unit="mg",
        freq="QD",
        route=IV,
        p_ongoing=0.08,
        choice="proton-pump inhibitor",
        rate_per_year=0.15,
        course_days=10.0,
        triggers=VARICEAL,
        p_trigger=0.4,
    ),
    _cm(
        _A,
        ACID,
        "ESOMEPRAZOLE",
        terms=("Esomeprazole",),
        indication="GASTRIC PROTECTION",
        dose=20.0,
        unit="mg",
        freq="QD",
        route=ORAL,
        p_ongoing=0.05,
        choice="proton-pump inhibitor",
    ),
    _cm(
        _A,
        LIVER,
        "URSODEOXYCHOLIC ACID",
        terms=("Ursodeoxycholic acid", "UDCA"),
        indication="LIVER PROTECTION",
        dose=250.0,
        unit="mg",
        freq="TID",
        route=ORAL,
        p_ongoing=0.2,
        p_stop=0.2,
        p_past=0.1,
    ),
    _cm(
        _A,
        LIVER,
        "GLYCYRRHIZIC ACID",
        terms=("Magnesium isoglycyrrhizinate injection", "Glycyrrhizin"),
        indication="LIVER PROTECTION",
        dose=100.0,
        unit="mg",
        freq="QD",
        route=IV,
        p_ongoing=0.15,
        p_stop=0.4,
        p_past=0.2,
        rate_per_year=0.1,
        course_days=21.0,
    ),
    _cm(
        _J,
        ANTIBACTERIALS,
        "CEFTRIAXONE",
        terms=("Ceftriaxone", "Rocephin"),
        indication="INFECTION",
        dose=2.0,
        unit="g",
        freq="QD",
        route=IV,
        rate_per_year=0.05,
        course_days=7.0,
        triggers=INFECTIONS,
        p_trigger=0.45,
    ),
    _cm(
        _J,
        ANTIBACTERIALS,
        "LEVOFLOXACIN",
        terms=("Levofloxacin",),
        indication="INFECTION",
        dose=500.0,
        unit="mg",
        freq="QD",
        route=ORAL,
        triggers=("Pneumonia", "Urinary tract infection"),
        p_trigger=0.35,
        course_days=7.0,
    ),
    _cm(
        _J,
        ANTIBACTERIALS,
        "PIPERACILLIN W/TAZOBACTAM",
        terms=("Piperacillin/tazobactam", "Tazocin"),
        indication="INFECTION",
        dose=4.5,
        unit="g",
        freq="TID",
        route=IV,
        triggers=("Sepsis", "Peritonitis bacterial", "Pneumonia"),
        p_trigger=0.2,
        course_days=10.0,
    ),
    _cm(
        _J,
        ANTIBACTERIALS,
        "NORFLOXACIN",
        terms=("Norfloxacin",),
        indication="PROPHYLAXIS OF SPONTANEOUS BACTERIAL PERITONITIS",
        dose=400.0,
        unit="mg",
        freq="QD",
        route=ORAL,
        group="mh:Peritonitis bacterial",
        p_ongoing=0.4,
        p_past=0.3,
        triggers=("Peritonitis bacterial",),
        p_trigger=0.3,
    ),
    _cm(
        _H,
        BLEEDING,
        "OCTREOTIDE",
        terms=("Octreotide", "Sandostatin"),
        indication="VARICEAL BLEEDING",
        dose=25.0,
        unit="ug/h",
        freq="CONTINUOUS",
        route=IV,
        triggers=VARICEAL,
        p_trigger=0.7,
        course_days=5.0,
    ),
    _cm(
        _H,
        BLEEDING,
        "TERLIPRESSIN",
        terms=("Terlipressin",),
        indication="HEPATORENAL SYNDROME",
        dose=1.0,
        unit="mg",
        freq="Q6H",
        route=IV,
        triggers=("Hepatorenal syndrome", "Oesophageal varices haemorrhage"),
        p_trigger=0.5,
        course_days=7.0,
    ),
    _cm(
        _B,
        ("B02", "ANTIHEMORRHAGICS"),
        "PHYTOMENADIONE",
        terms=("Vitamin K1", "phytomenadione injection"),
        indication="COAGULOPATHY",
        dose=10.0,
        unit="mg",
        freq="QD",
        route=IV,
        p_ongoing=0.05,
        p_stop=0.8,
        rate_per_year=0.2,
        course_days=5.0,
        triggers=VARICEAL,
        p_trigger=0.3,
    ),
    _cm(
        _A,
        ("A12", "MINERAL SUPPLEMENTS"),
        "POTASSIUM CHLORIDE",
        terms=("Potassium chloride", "KCl sustained-release tablets"),
        indication="HYPOKALAEMIA",
        dose=1.0,
        unit="g",
        freq="TID",
        route=ORAL,
        p_ongoing=0.05,
        p_stop=0.5,
        triggers=("Hypokalaemia",),
        p_trigger=0.8,
        course_days=7.0,
    ),
    _cm(
        _A,
        ("A10", "DRUGS USED IN DIABETES"),
        "INSULIN HUMAN",
        terms=("Insulin", "Novolin R"),
        indication="TYPE 2 DIABETES MELLITUS",
        dose=8.0,
        unit="IU",
        freq="TID",
        route="SUBCUTANEOUS",
        group="mh:Type 2 diabetes mellitus",
        p_ongoing=0.6,
    ),
    _cm(
        _A,
        ("A10", "DRUGS USED IN DIABETES"),
        "ACARBOSE",
        terms=("Acarbose", "Glucobay"),
        indication="TYPE 2 DIABETES MELLITUS",
        dose=50.0,
        unit="mg",
        freq="TID",
        route=ORAL,
        group="mh:Type 2 diabetes mellitus",
        p_ongoing=0.35,
    ),
    _cm(
        _C,
        ("C08", "CALCIUM CHANNEL BLOCKERS"),
        "AMLODIPINE",
        terms=("Amlodipine", "Norvasc"),
        indication="HYPERTENSION",
        dose=5.0,
        unit="mg",
        freq="QD",
        route=ORAL,
        group="mh:Hypertension",
        p_ongoing=0.5,
    ),
    _cm(
        _H,
        ("H02", "CORTICOSTEROIDS FOR SYSTEMIC USE"),
        "PREDNISONE",
        terms=("Prednisone",),
        indication="OTHER",
        dose=20.0,
        unit="mg",
        freq="QD",
        route=ORAL,
        rate_per_year=0.02,
        course_days=10.0,
        prohibited=True,
    ),
    _cm(
        _H,
        ("H02", "CORTICOSTEROIDS FOR SYSTEMIC USE"),
        "METHYLPREDNISOLONE",
        terms=("Methylprednisolone",),
        indication="OTHER",
        dose=40.0,
        unit="mg",
        freq="QD",
        route=IV,
        rate_per_year=0.01,
        course_days=5.0,
        prohibited=True,
    ),
)
