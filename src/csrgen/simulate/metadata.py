"""Variable metadata of the generated datasets: order, label, type and derivation.

The single source of the column order of every dataset, of ``variables.csv`` (the CSV type spec
the reader uses) and of the variable tables of the data README.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csrgen.simulate.metadata_added import ADDED_VARIABLES
from csrgen.simulate.variable import Columns, Variable

__all__ = ["Columns", "VARIABLES", "Variable", "conform", "variables_frame"]

_V = Variable
_ARM = '"Control" or "UC-MSC"'

VARIABLES: dict[str, tuple[Variable, ...]] = {
    "ADSL": (
        _V("STUDYID", "Study Identifier", "text", '"UCMSC-DLC"'),
        _V("USUBJID", "Unique Subject Identifier", "text", "STUDYID-SITEID-SUBJID"),
        _V(
            "SUBJID",
            "Subject Identifier for the Study",
            "text",
            "randomization number, zero-padded (0001 ...)",
        ),
        _V("SITEID", "Study Site Identifier", "text", '"01" (single centre)'),
        _V("ARM", "Description of Planned Arm", "text", _ARM),
        _V("ARMCD", "Planned Arm Code", "text", '"CTRL" or "UCMSC"'),
        _V("ACTARM", "Description of Actual Arm", "text", "= ARM"),
        _V("ACTARMCD", "Actual Arm Code", "text", "= ARMCD"),
        _V("TRT01P", "Planned Treatment for Period 01", "text", _ARM),
        _V("TRT01PN", "Planned Treatment for Period 01 (N)", "num", "1 Control, 2 UC-MSC"),
        _V("TRT01A", "Actual Treatment for Period 01", "text", "= TRT01P"),
        _V("TRT01AN", "Actual Treatment for Period 01 (N)", "num", "= TRT01PN"),
        _V("RANDDT", "Date of Randomization", "date", "uniform over the enrolment period"),
        _V(
            "TRTSDT",
            "Date of First Exposure to Treatment",
            "date",
            "= RANDDT (day 1; first infusion in UC-MSC)",
        ),
        _V(
            "TRTEDT",
            "Date of Last Exposure to Treatment",
            "date",
            "end of the 48-week treatment phase (day 336), or EOSDT if earlier",
        ),
        _V("TRTDURD", "Total Treatment Duration (Days)", "num", "TRTEDT - TRTSDT + 1"),
        _V("AGE", "Age", "num", "years, 25-65"),
        _V("AGEU", "Age Units", "text", '"YEARS"'),
        _V("AGEGR1", "Pooled Age Group 1", "text", '"<40", "40-49", ">=50"'),
        _V("AGEGR1N", "Pooled Age Group 1 (N)", "num", "1, 2, 3"),
        _V("SEX", "Sex", "text", '"M", "F"'),
        _V("RACE", "Race", "text", '"ASIAN"'),
        _V("ETHNIC", "Ethnicity", "text", '"NOT HISPANIC OR LATINO"'),
        _V("HEIGHTBL", "Baseline Height (cm)", "num", "1 decimal"),
        _V("WEIGHTBL", "Baseline Weight (kg)", "num", "1 decimal"),
        _V("BMIBL", "Baseline BMI (kg/m2)", "num", "WEIGHTBL / (HEIGHTBL / 100)^2, 1 decimal"),
        _V("HBEAG", "HBeAg Status at Baseline", "text", '"Positive", "Negative"'),
        _V("ANTIVIR", "Nucleos(t)ide Analogue Therapy at Baseline", "text", '"Yes", "No"'),
        _V("ASCITES", "Ascites at Baseline", "text", '"Yes", "No"'),
        _V("ASCSEV", "Ascites Severity at Baseline", "text", '"None", "Mild", "Moderate/severe"'),
        _V("HEPENC", "Hepatic Encephalopathy at Baseline", "text", '"Yes" (grade 1-2), "No"'),
        _V(
            "CPSCORE",
            "Child-Pugh Score at Baseline",
            "num",
            "7-13, from TBILBL, ALBBL, INRBL, ASCSEV and HEPENC (screening assessment)",
        ),
        _V("CPCAT", "Child-Pugh Class at Baseline", "text", '"B" (7-9), "C" (10-13)'),
        _V(
            "MELDBL",
            "MELD Score at Baseline",
            "num",
            "UNOS MELD from TBILBL, INRBL and CREATBL, 1 decimal",
        ),
        _V("ALBBL", "Baseline Albumin (g/L)", "num", "= ADLB BASE of ALB (blank if no sample)"),
        _V("TBILBL", "Baseline Total Bilirubin (umol/L)", "num", "= ADLB BASE of TBIL"),
        _V("PTABL", "Baseline Prothrombin Activity (%)", "num", "= ADLB BASE of PTA"),
        _V("CHEBL", "Baseline Cholinesterase (U/L)", "num", "= ADLB BASE of CHE"),
        _V("INRBL", "Baseline INR", "num", "1 + inr_slope x (100 / PTA - 1), 2 decimals"),
        _V("CREATBL", "Baseline Creatinine (umol/L)", "num", "log-normal"),
        _V("RANDFL", "Randomized Population Flag", "text", '"Y" for all'),
        _V("ITTFL", "Intent-To-Treat Population Flag", "text", '"Y" for all'),
        _V(
            "SAFFL",
            "Safety Population Flag",
            "text",
            '"Y" for all (every UC-MSC subject received the day-1 infusion)',
        ),
        _V("NINF", "Number of UC-MSC Infusions Received", "num", "1-3 (UC-MSC), 0 (Control)"),
        _V(
            "EOTSTT",
            "End of Treatment Phase Status",
            "text",
            '"COMPLETED" (in the study at day 336) or "DISCONTINUED"',
        ),
        _V(
            "DCTREAS",
            "Reason for Discontinuation of Treatment Phase",
            "text",
            "= DCSREAS when EOTSTT is DISCONTINUED, else blank",
        ),
        _V(
            "EOSSTT",
            "End of Study Status",
            "text",
            '"COMPLETED" (alive and followed to the data cut-off) or "DISCONTINUED"',
        ),
        _V(
            "DCSREAS",
            "Reason for Discontinuation from Study",
            "text",
            '"DEATH", "LOST TO FOLLOW-UP", "WITHDRAWAL BY SUBJECT", "OTHER"; blank if completed',
        ),
        _V(
            "DCSREASP",
            "Reason Spec for Discont from Study",
            "text",
            '"Liver transplantation" when DCSREAS is OTHER',
        ),
        _V(
            "EOSDT",
            "End of Study Date",
            "date",
            "date of death, transplantation, last contact, withdrawal or the data cut-off",
        ),
        _V(
            "LSTALVDT",
            "Date Last Known Alive",
            "date",
            "EOSDT; the day before death for subjects who died",
        ),
        _V("DTHFL", "Subject Death Flag", "text", '"Y" or blank'),
        _V("DTHDT", "Date of Death", "date", "blank if alive"),
        _V(
            "DTHCAUS",
            "Cause of Death",
            "text",
            '"LIVER FAILURE", "VARICEAL BLEEDING", "HEPATOCELLULAR CARCINOMA", "INFECTION", '
            '"HEPATORENAL SYNDROME"; blank if alive',
        ),
        _V("LTFUFL", "Lost to Follow-up Flag", "text", '"Y" or blank'),
        _V("LTXFL", "Liver Transplantation Flag", "text", '"Y" or blank'),
        _V("LTXDT", "Date of Liver Transplantation", "date", "blank if none"),
    ),
    "ADTTE": (
        _V("STUDYID", "Study Identifier", "text", '"UCMSC-DLC"'),
        _V("USUBJID", "Unique Subject Identifier", "text", "as ADSL"),
        _V("PARAMCD", "Parameter Code", "text", '"OS", "HCC"'),
        _V(
            "PARAM",
            "Parameter",
            "text",
            '"Overall survival (months)", "Time to hepatocellular carcinoma (months)"',
        ),
        _V("PARAMN", "Parameter (N)", "num", "1 OS, 2 HCC"),
        _V("STARTDT", "Time to Event Origin Date for Subject", "date", "= RANDDT"),
        _V("ADT", "Analysis Date", "date", "date of the event or of censoring"),
        _V("AVAL", "Analysis Value", "num", "months = (ADT - STARTDT + 1) / 30.4375, 4 decimals"),
        _V("CNSR", "Censor", "num", "0 event, 1 censored"),
        _V(
            "EVNTDESC",
            "Event or Censoring Description",
            "text",
            '"DEATH", "HEPATOCELLULAR CARCINOMA"; censored: "ALIVE AT DATA CUT-OFF", '
            '"LOST TO FOLLOW-UP", "WITHDRAWAL BY SUBJECT", "LIVER TRANSPLANTATION", '
            '"DEATH WITHOUT HCC" (HCC only: a competing event)',
        ),
        _V(
            "CNSDTDSC",
            "Censor Date Description",
            "text",
            '"DATA CUT-OFF DATE", "DATE OF LAST CONTACT", "DATE OF WITHDRAWAL", '
            '"DATE OF LIVER TRANSPLANTATION", "DATE OF DEATH"; blank for events',
        ),
        _V("TRTP", "Planned Treatment", "text", "= ADSL.TRT01P"),
        _V("TRTPN", "Planned Treatment (N)", "num", "= ADSL.TRT01PN"),
        _V("TRTA", "Actual Treatment", "text", "= ADSL.TRT01A"),
        _V("TRTAN", "Actual Treatment (N)", "num", "= ADSL.TRT01AN"),
    ),
    "ADLB": (
        _V("STUDYID", "Study Identifier", "text", '"UCMSC-DLC"'),
        _V("USUBJID", "Unique Subject Identifier", "text", "as ADSL"),
        _V("PARAMCD", "Parameter Code", "text", "ALB, PTA, CHE, TBIL, ALT, AST"),
        _V("PARAM", "Parameter", "text", 'name with unit, e.g. "Albumin (g/L)"'),
        _V("PARAMN", "Parameter (N)", "num", "1-6 in the order of PARAMCD"),
        _V("PARCAT1", "Parameter Category 1", "text", '"CHEMISTRY", "COAGULATION" (PTA)'),
        _V("AVISIT", "Analysis Visit", "text", '"Baseline", "Week 4", ..., "Week 48"'),
        _V("AVISITN", "Analysis Visit (N)", "num", "0, 4, 8, 12, 24, 36, 48 (weeks)"),
        _V("ADT", "Analysis Date", "date", "TRTSDT + scheduled day +/- window"),
        _V("ADY", "Analysis Relative Day", "num", "ADT - TRTSDT + 1"),
        _V("AVAL", "Analysis Value", "num", "ALB, PTA, TBIL 1 decimal; CHE, ALT, AST integer"),
        _V("BASE", "Baseline Value", "num", "AVAL of the baseline record; blank if none"),
        _V("CHG", "Change from Baseline", "num", "AVAL - BASE; blank on baseline records"),
        _V("PCHG", "Percent Change from Baseline", "num", "100 x CHG / BASE, 2 decimals"),
        _V("A1LO", "Analysis Normal Range Lower Limit", "num", "adult reference range"),
        _V("A1HI", "Analysis Normal Range Upper Limit", "num", "adult reference range"),
        _V("ANRIND", "Analysis Reference Range Indicator", "text", '"LOW", "NORMAL", "HIGH"'),
        _V(
            "BNRIND",
            "Baseline Reference Range Indicator",
            "text",
            '"LOW", "NORMAL", "HIGH"; blank without baseline',
        ),
        _V("ABLFL", "Baseline Record Flag", "text", '"Y" on the baseline record, else blank'),
        _V("ANL01FL", "Analysis Flag 01", "text", '"Y" on every record (all are analysis records)'),
        _V("TRTP", "Planned Treatment", "text", "= ADSL.TRT01P"),
        _V("TRTA", "Actual Treatment", "text", "= ADSL.TRT01A"),
    ),
    "ADAE": (
        _V("STUDYID", "Study Identifier", "text", '"UCMSC-DLC"'),
        _V("USUBJID", "Unique Subject Identifier", "text", "as ADSL"),
        _V("AESEQ", "Sequence Number", "num", "1, 2, ... within subject, by ASTDT and AEDECOD"),
        _V(
            "AETERM",
            "Reported Term for the Adverse Event",
            "text",
            "verbatim as reported (mixed case)",
        ),
        _V("AEDECOD", "Dictionary-Derived Term", "text", "MedDRA-style preferred term"),
        _V("AEBODSYS", "Body System or Organ Class", "text", "primary SOC of AEDECOD"),
        _V("AESEV", "Severity/Intensity", "text", '"MILD", "MODERATE", "SEVERE"'),
        _V("AESER", "Serious Event", "text", '"Y", "N"'),
        _V(
            "AEREL",
            "Causality",
            "text",
            '"RELATED", "POSSIBLY RELATED" (infusion pyrexia only), "NOT RELATED"',
        ),
        _V(
            "AEACN",
            "Action Taken with Study Treatment",
            "text",
            '"DOSE NOT CHANGED" (pyrexia), "NOT APPLICABLE"',
        ),
        _V(
            "AEOUT",
            "Outcome of Adverse Event",
            "text",
            '"RECOVERED/RESOLVED", "RECOVERING/RESOLVING", "NOT RECOVERED/NOT RESOLVED", "FATAL"',
        ),
        _V("AESDTH", "Results in Death", "text", '"Y", "N"'),
        _V("ASTDT", "Analysis Start Date", "date", "within day 1 to the end of AE collection"),
        _V("AENDT", "Analysis End Date", "date", "blank when ongoing at the last observation"),
        _V("ASTDY", "Analysis Start Relative Day", "num", "ASTDT - TRTSDT + 1"),
        _V("AENDY", "Analysis End Relative Day", "num", "AENDT - TRTSDT + 1"),
        _V("ADURN", "Analysis Duration (N)", "num", "AENDT - ASTDT + 1; blank when ongoing"),
        _V("ADURU", "Analysis Duration Units", "text", '"DAYS"; blank when ongoing'),
        _V(
            "TRTEMFL",
            "Treatment Emergent Analysis Flag",
            "text",
            '"Y" when ASTDY is 1-336 (through week 48), else blank',
        ),
        _V("TRTA", "Actual Treatment", "text", "= ADSL.TRT01A"),
    ),
    "ADEX": (
        _V("STUDYID", "Study Identifier", "text", '"UCMSC-DLC"'),
        _V("USUBJID", "Unique Subject Identifier", "text", "as ADSL (UC-MSC subjects only)"),
        _V("EXTRT", "Name of Treatment", "text", '"UC-MSC"'),
        _V("EXSEQ", "Infusion Sequence Number", "num", "1, 2, 3 within subject"),
        _V("PARAMCD", "Parameter Code", "text", '"DOSE"'),
        _V("PARAM", "Parameter", "text", '"UC-MSC dose (10^6 cells/kg)"'),
        _V("AVAL", "Analysis Value", "num", "0.5"),
        _V("AVALU", "Analysis Value Unit", "text", '"10^6 cells/kg"'),
        _V("AVISIT", "Analysis Visit", "text", '"Week 0", "Week 4", "Week 8"'),
        _V("AVISITN", "Analysis Visit (N)", "num", "0, 4, 8"),
        _V("ASTDT", "Analysis Start Date", "date", "infusion date (the visit date)"),
        _V("AENDT", "Analysis End Date", "date", "= ASTDT"),
        _V("ASTDY", "Analysis Start Relative Day", "num", "ASTDT - TRTSDT + 1"),
        _V("TRTA", "Actual Treatment", "text", '"UC-MSC"'),
    ),
    # ADCM, ADMH, ADDV, ADEG, ADVS: their own random streams (simulate.streams)
    **ADDED_VARIABLES,
}


def conform(columns: Columns, dataset: str) -> pd.DataFrame:
    """The dataset as a frame: columns in metadata order with the contracted dtypes.

    text -> ``object`` of ``str`` with ``""`` for missing; num -> ``float64``;
    date -> ``datetime64[ns]``. A column the generator did not make, or made without metadata,
    is a bug, so it raises.
    """
    out = {}
    for var in VARIABLES[dataset]:
        values = np.asarray(columns[var.name])
        if var.type == "num":
            out[var.name] = values.astype(np.float64, copy=False)
        elif var.type == "date":
            out[var.name] = values.astype("datetime64[ns]", copy=False)
        else:
            out[var.name] = values.astype(object, copy=False)
    extra = set(columns) - set(out)
    if extra:
        raise ValueError(f"{dataset}: columns without metadata: {sorted(extra)}")
    return pd.DataFrame(out)


def variables_frame() -> pd.DataFrame:
    """``variables.csv``: dataset, variable, label, type of every variable of every dataset."""
    rows = [(ds, v.name, v.label, v.type) for ds, variables in VARIABLES.items() for v in variables]
    return pd.DataFrame(rows, columns=["dataset", "variable", "label", "type"], dtype=object)
