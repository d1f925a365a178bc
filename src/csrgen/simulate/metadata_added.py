"""Variable metadata of the datasets added after the first five: ADCM, ADMH, ADDV, ADEG, ADVS.

Part of :data:`csrgen.simulate.metadata.VARIABLES` (column order, ``variables.csv`` and the data
README); kept apart so that each module stays short.
"""

from __future__ import annotations

from csrgen.simulate.variable import Variable

_V = Variable
_STUDY = _V("STUDYID", "Study Identifier", "text", '"UCMSC-DLC"')
_SUBJECT = _V("USUBJID", "Unique Subject Identifier", "text", "as ADSL")
_TRTA = _V("TRTA", "Actual Treatment", "text", "= ADSL.TRT01A")
_TRTP = _V("TRTP", "Planned Treatment", "text", "= ADSL.TRT01P")
_ASTDTF = _V(
    "ASTDTF",
    "Analysis Start Date Imputation Flag",
    "text",
    '"D" (day imputed: the 1st of the month), "M" (month and day imputed: 1 January), blank',
)


def _bds(paramcds: str, params: str, visits: str, ranges: str) -> tuple[Variable, ...]:
    """The BDS variables ADEG and ADVS share with ADLB (reference range as ANRLO/ANRHI)."""
    return (
        _STUDY,
        _SUBJECT,
        _V("PARAMCD", "Parameter Code", "text", paramcds),
        _V("PARAM", "Parameter", "text", params),
        _V("PARAMN", "Parameter (N)", "num", "1, 2, ... in the order of PARAMCD"),
        _V("AVISIT", "Analysis Visit", "text", visits),
        _V("AVISITN", "Analysis Visit (N)", "num", "the week (0 = baseline)"),
        _V("ADT", "Analysis Date", "date", "the laboratory visit date (ADLB ADT)"),
        _V("ADY", "Analysis Relative Day", "num", "ADT - TRTSDT + 1"),
        _V("AVAL", "Analysis Value", "num", "rounded to the parameter's decimals"),
        _V("BASE", "Baseline Value", "num", "AVAL of the baseline record; blank if none"),
        _V("CHG", "Change from Baseline", "num", "AVAL - BASE; blank on baseline records"),
        _V("PCHG", "Percent Change from Baseline", "num", "100 x CHG / BASE, 2 decimals"),
        _V("ANRLO", "Analysis Normal Range Lower Limit", "num", ranges),
        _V("ANRHI", "Analysis Normal Range Upper Limit", "num", ranges),
        _V(
            "ANRIND",
            "Analysis Reference Range Indicator",
            "text",
            '"LOW", "NORMAL", "HIGH"; blank without a range',
        ),
        _V("BNRIND", "Baseline Reference Range Indicator", "text", "ANRIND of the baseline"),
        _V("ABLFL", "Baseline Record Flag", "text", '"Y" on the baseline record, else blank'),
        _V("ANL01FL", "Analysis Flag 01", "text", '"Y" on every record'),
    )


ADDED_VARIABLES: dict[str, tuple[Variable, ...]] = {
    "ADCM": (
        _STUDY,
        _SUBJECT,
        _V("CMSEQ", "Sequence Number", "num", "1, 2, ... within subject, by ASTDT and CMDECOD"),
        _V("CMTRT", "Reported Name of Drug, Med, or Therapy", "text", "verbatim (mixed case)"),
        _V("CMDECOD", "Standardized Medication Name", "text", "WHO Drug-style preferred name"),
        _V("CMINDC", "Indication", "text", 'e.g. "ASCITES", "CHRONIC HEPATITIS B"'),
        _V("CMCLAS", "Medication Class", "text", 'ATC level 2 text, e.g. "DIURETICS"'),
        _V("CMCLASCD", "Medication Class Code", "text", 'ATC level 2 code, e.g. "C03"'),
        _V("ATC1", "ATC Level 1 Text", "text", 'e.g. "CARDIOVASCULAR SYSTEM"'),
        _V("ATC1CD", "ATC Level 1 Code", "text", 'e.g. "C"'),
        _V("CMDOSE", "Dose per Administration", "num", "in CMDOSU"),
        _V("CMDOSU", "Dose Units", "text", '"mg", "g", "mL", "IU", "ug/h"'),
        _V("CMDOSFRQ", "Dosing Frequency per Interval", "text", '"QD", "BID", "TID", ...'),
        _V("CMROUTE", "Route of Administration", "text", '"ORAL", "INTRAVENOUS", ...'),
        _V(
            "ASTDT",
            "Analysis Start Date",
            "date",
            "start (imputed when partial, see ASTDTF); blank when unknown",
        ),
        _ASTDTF,
        _V("AENDT", "Analysis End Date", "date", "blank when ongoing at the last observation"),
        _V("ASTDY", "Analysis Start Relative Day", "num", "ASTDT - TRTSDT (+ 1 from day 1 on)"),
        _V("AENDY", "Analysis End Relative Day", "num", "AENDT - TRTSDT (+ 1 from day 1 on)"),
        _V("CMENRTPT", "End Relative to Reference Time Point", "text", '"ONGOING" or blank'),
        _V(
            "PREFL",
            "Pre-treatment Flag",
            "text",
            '"Y" when ASTDT < TRTSDT or ASTDT is blank (start unknown)',
        ),
        _V(
            "ONTRTFL",
            "On Treatment Record Flag",
            "text",
            '"Y" when AENDT >= TRTSDT or blank, and ASTDT <= TRTEDT or blank',
        ),
        _V("FUPFL", "Follow-up Flag", "text", '"Y" when ASTDT > TRTEDT'),
        _TRTA,
    ),
    "ADMH": (
        _STUDY,
        _SUBJECT,
        _V("MHSEQ", "Sequence Number", "num", "1, 2, ... within subject, by ASTDT and MHDECOD"),
        _V("MHTERM", "Reported Term for the Medical History", "text", "verbatim"),
        _V("MHDECOD", "Dictionary-Derived Term", "text", "MedDRA-style preferred term"),
        _V("MHBODSYS", "Body System or Organ Class", "text", "primary SOC of MHDECOD"),
        _V(
            "MHCAT",
            "Category for Medical History",
            "text",
            '"LIVER DISEASE HISTORY", "GENERAL MEDICAL HISTORY"',
        ),
        _V("ASTDT", "Analysis Start Date", "date", "onset (imputed when partial, see ASTDTF)"),
        _ASTDTF,
        _V("AENDT", "Analysis End Date", "date", "blank when ongoing at screening"),
        _V("ASTDY", "Analysis Start Relative Day", "num", "ASTDT - TRTSDT (negative)"),
        _V("AENDY", "Analysis End Relative Day", "num", "AENDT - TRTSDT (negative)"),
        _V(
            "MHENRTPT",
            "End Relative to Reference Time Point",
            "text",
            '"ONGOING" (at screening) or "BEFORE"',
        ),
        _TRTA,
    ),
    "ADDV": (
        _STUDY,
        _SUBJECT,
        _V("DVSEQ", "Sequence Number", "num", "1, 2, ... within subject, by ASTDT and DVDECOD"),
        _V("DVTERM", "Protocol Deviation Term", "text", "verbatim description"),
        _V("DVDECOD", "Protocol Deviation Coded Term", "text", 'e.g. "VISIT MISSED"'),
        _V(
            "DVCAT",
            "Category for Protocol Deviation",
            "text",
            '"ELIGIBILITY CRITERIA", "INFORMED CONSENT", "STUDY TREATMENT", '
            '"CONCOMITANT MEDICATION", "VISIT SCHEDULE", "STUDY PROCEDURES"',
        ),
        _V(
            "DVSCAT",
            "Subcategory for Protocol Deviation",
            "text",
            '"MAJOR" or "MINOR" (importance)',
        ),
        _V(
            "AVISIT", "Analysis Visit", "text", "the visit of a visit-related deviation, else blank"
        ),
        _V("ASTDT", "Analysis Start Date", "date", "date of the deviation (scheduled visit date)"),
        _V("ASTDY", "Analysis Start Relative Day", "num", "ASTDT - TRTSDT + 1"),
        _TRTA,
    ),
    "ADEG": _bds(
        '"HR", "PR", "QRS", "QT", "QTCF"',
        'e.g. "QTcF - Fridericia\'s Correction Formula (msec)"',
        '"Baseline", "Week 4", "Week 12", "Week 24", "Week 48"',
        "adult reference range (HR 60-100 beats/min; QT and QTcF 350-450 ms, ...)",
    )
    + (
        _V(
            "AVALCAT1",
            "Analysis Value Category 1",
            "text",
            'QTCF: "<=450 msec", ">450<=480 msec", ">480<=500 msec", ">500 msec"; else blank',
        ),
        _V("AVALCA1N", "Analysis Value Category 1 (N)", "num", "1-4 (QTCF only)"),
        _V(
            "CHGCAT1",
            "Change from Baseline Category 1",
            "text",
            'QTCF post-baseline: "<=30 msec", ">30<=60 msec", ">60 msec"; else blank',
        ),
        _V("CHGCAT1N", "Change from Baseline Category 1 (N)", "num", "1-3 (QTCF only)"),
        _TRTP,
        _TRTA,
    ),
    "ADVS": _bds(
        '"SYSBP", "DIABP", "PULSE", "TEMP", "WEIGHT"',
        'e.g. "Systolic Blood Pressure (mmHg)"',
        '"Baseline", "Week 4", ..., "Week 48" (every laboratory visit)',
        "adult reference range; blank for WEIGHT",
    )
    + (_TRTP, _TRTA),
}
