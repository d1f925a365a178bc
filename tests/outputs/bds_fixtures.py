"""Tiny BDS datasets with admiral's conventions, small enough to check every count by hand.

``admiral_adlb()``: one parameter (ALT, CHEMISTRY) and one haematology parameter (HGB) of four
subjects (tests.studies.tiny_adsl: T-01, T-03 Drug; T-02, T-04 Placebo), with

* T-01's baseline (ABLFL = "Y") at "UNSCHEDULED 1.1" (day -2) and an unflagged record at
  "Baseline", a high value (40) at "UNSCHEDULED 2.1";
* ANL01FL blank on every baseline record, on a retest of T-02 at Week 2 (50) and on T-03's
  post-treatment record at Week 4 (60);
* a derived last-value record of T-04 (DTYPE LOV, 99);
* reference range ANRLO/ANRHI 10-35 (and A1LO/A1HI 5-50, under which 40 is normal).

HGB holds ALT's records with every value and limit halved (the same categories).
"""

from __future__ import annotations

import pandas as pd

from tests.studies import tiny_adsl, write_tiny_study

COLUMNS = ["USUBJID", "AVISIT", "AVISITN", "ADY", "AVAL", "BASE", "ABLFL", "ANL01FL", "DTYPE"]

ALT = [
    ("T-01", "UNSCHEDULED 1.1", 1.1, -2, 10, 10, "Y", "", ""),
    ("T-01", "Baseline", 0, 1, 11, 10, "", "", ""),
    ("T-01", "Week 2", 2, 14, 14, 10, "", "Y", ""),
    ("T-01", "UNSCHEDULED 2.1", 2.1, 20, 40, 10, "", "Y", ""),
    ("T-01", "Week 4", 4, 28, 12, 10, "", "Y", ""),
    ("T-02", "Baseline", 0, 1, 20, 20, "Y", "", ""),
    ("T-02", "Week 2", 2, 14, 21, 20, "", "Y", ""),
    ("T-02", "Week 2", 2, 16, 50, 20, "", "", ""),
    ("T-02", "Week 4", 4, 28, 22, 20, "", "Y", ""),
    ("T-03", "Baseline", 0, 1, 30, 30, "Y", "", ""),
    ("T-03", "Week 2", 2, 14, 33, 30, "", "Y", ""),
    ("T-03", "Week 4", 4, 40, 60, 30, "", "", ""),
    ("T-04", "Baseline", 0, 1, 25, 25, "Y", "", ""),
    ("T-04", "Week 2", 2, 14, 27, 25, "", "Y", ""),
    ("T-04", "POST-BASELINE LAST", 9999, 14, 99, 25, "", "Y", "LOV"),
]


def bds_frame(rows, paramcd="ALT", param="Alanine Aminotransferase (U/L)", **extra):
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["CHG"] = (frame["AVAL"] - frame["BASE"]).where(frame["ABLFL"] != "Y")
    day = pd.to_datetime("2020-01-01") + pd.to_timedelta(frame["ADY"] - 1, unit="D")
    return frame.assign(
        PARAMCD=paramcd,
        PARAM=param,
        PARAMN=1,
        ADT=day.dt.strftime("%Y-%m-%d"),
        ANRLO=10,
        ANRHI=35,
        A1LO=5,
        A1HI=50,
        **extra,
    )


def admiral_adlb() -> pd.DataFrame:
    alt = bds_frame(ALT, PARCAT1="CHEMISTRY")
    hgb = bds_frame(ALT, "HGB", "Hemoglobin (g/dL)", PARCAT1="HEMATOLOGY")
    # the same values halved, with the limits halved: the same categories
    halved = {v: hgb[v] / 2 for v in ("AVAL", "BASE", "CHG", "ANRLO", "ANRHI", "A1LO", "A1HI")}
    hgb = hgb.assign(PARAMN=2, **halved)
    frame = pd.concat([alt, hgb], ignore_index=True)
    ind = pd.Series("NORMAL", index=frame.index).mask(frame["AVAL"] > frame["ANRHI"], "HIGH")
    return frame.assign(ANRIND=ind.mask(frame["AVAL"] < frame["ANRLO"], "LOW"))


ADMIRAL_LABS = """
[bds.labs]
dataset = "adlb"
population = "SAF"
baseline_flag = "ABLFL"
record_flag = "ANL01FL"
low_var = "ANRLO"
high_var = "ANRHI"
{labs_extra}

[[outputs]]
id = "t_lab"
module = "t_bds_summary"
number = "Table 14.3.4.1"
title = "Chemistry"
population = "SAF"

[outputs.options]
parcat = "CHEMISTRY"

[[outputs]]
id = "t_hem"
module = "t_bds_summary"
number = "Table 14.3.4.2"
title = "Haematology"
population = "SAF"

[outputs.options]
parcat = "HEMATOLOGY"

[[outputs]]
id = "t_shift"
module = "t_bds_shift"
number = "Table 14.3.5.1"
title = "Shift"
population = "SAF"

[outputs.options]
params = ["ALT"]
category = "{category}"

[[outputs]]
id = "l_abn"
module = "l_bds_abn"
number = "Listing 16.2.8.1"
title = "Abnormal values"
population = "SAF"

[outputs.options]
category = "indicator"
{extra}
"""


def admiral_study(folder, adlb=None, labs_extra="", category="range", extra="", lock=True):
    """The tiny study with :func:`admiral_adlb` (or ``adlb``) and the ADMIRAL_LABS outputs."""
    frames = {"adsl": tiny_adsl(), "adlb": admiral_adlb() if adlb is None else adlb}
    text = ADMIRAL_LABS.format(labs_extra=labs_extra, category=category, extra=extra)
    return write_tiny_study(folder, frames, extra=text, lock=lock)
