"""Hepatotoxicity: peak liver tests as multiples of the upper limit of normal (ULN), the eDISH
quadrants and potential Hy's law (FDA 2009 drug-induced liver injury guidance).

Each subject's peak post-baseline ALT, AST and total bilirubin, each value divided by the
record's own ULN, give the subject's categories:

* ALT (AST) >= ``transaminase_uln`` x ULN (default 3), ALT or AST;
* total bilirubin >= ``bilirubin_uln`` x ULN (default 2);
* potential Hy's law: peak ALT or AST >= 3 x ULN and peak total bilirubin >= 2 x ULN, both
  post-baseline; the peaks need not be on the same day (the screening rule of the guidance and
  of eDISH; the clinical assessment of timing and other causes follows case by case);
* the eDISH quadrant of (peak ALT, peak bilirubin): normal range, hyperbilirubinemia (bilirubin
  only), Temple's corollary (ALT only), potential Hy's law (both).

Thresholds are inclusive: exactly 3 x ULN meets the criterion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from csrgen.ard import ard_frame
from csrgen.formatting import fmt_level

#: The liver tests, by role (the study file names each role's PARAMCD).
ROLES = ("ALT", "AST", "BILI")
#: eDISH quadrants (ARD ``variable_level`` of ``variable = "EDISH"``), in display order.
QUADRANTS = ("NORMAL", "HYPERBILIRUBINEMIA", "TEMPLE", "HYS_LAW")


def uln_level(multiple: float) -> str:
    """The ARD ``variable_level`` of a threshold: ``">=3xULN"``."""
    return f">={fmt_level(multiple)}xULN"


def subject_peaks(records: pd.DataFrame, phase: str) -> pd.DataFrame:
    """Each subject's highest ``RATIO`` (value / ULN) per role among the records of ``phase``
    (``baseline`` or ``post``): index USUBJID, one column per role (NaN: no value)."""
    part = records[(records["PHASE"] == phase).to_numpy() & records["RATIO"].notna().to_numpy()]
    peaks = part.groupby(["USUBJID", "ROLE"], sort=True)["RATIO"].max().unstack("ROLE")
    return peaks.reindex(columns=list(ROLES)).astype(float)


def ard_hys_law(
    records: pd.DataFrame,
    subjects: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    group_var: str,
    params: Mapping[str, str],
    transaminase_uln: float = 3.0,
    bilirubin_uln: float = 2.0,
) -> pd.DataFrame:
    """Subjects by peak liver tests (x ULN), eDISH quadrant and potential Hy's law, by arm.

    Parameters
    ----------
    records : liver-test records of the population with a ULN: ``USUBJID``, ``ROLE`` (one of
        :data:`ROLES`), ``PHASE`` (``baseline`` or ``post``) and ``RATIO`` (AVAL / ULN; NaN
        when AVAL is missing, ignored). Records without a ULN are left out by the caller.
    subjects : one row per subject of the population, arm in ``arm``; defines ``N``.
    arm, arms : arm column and its levels in display order.
    group_var : the ADaM arm variable written to ``group_var``.
    params : role -> PARAMCD (the ARD ``param`` of the single-test rows and peaks).
    transaminase_uln, bilirubin_uln : the thresholds, in multiples of the ULN (inclusive).

    Returns
    -------
    ARD rows (method ``count``): ``N`` per arm; for each category ``variable`` (``ALT``,
    ``AST``, ``ALT_OR_AST``, ``BILI``, ``HYS_LAW``, ``EDISH``; at baseline ``BASE_BILI``,
    ``BASE_ALT_OR_AST``) ``variable_level=""``: ``n`` evaluable subjects (with a value of each
    test the category needs, e.g. ALT or AST and bilirubin for Hy's law), the denominator; and
    per level (``">=3xULN"``, ``POTENTIAL``, a quadrant of :data:`QUADRANTS`) ``n`` and ``pct``
    of the evaluable subjects (NaN when none). The plotted points: ``variable="PEAK"``,
    ``variable_level`` = USUBJID, ``param`` = the PARAMCD, ``stat_name="max"`` = the subject's
    peak post-baseline value / ULN (method ``max``).

    References
    ----------
    FDA, Guidance for Industry: Drug-Induced Liver Injury: Premarketing Clinical Evaluation
    (July 2009); Watkins PB et al., eDISH, Drug Saf 2011;34(3):243-52.
    """
    rows: list[dict] = []

    def add(level, stat_name, stat, variable="", variable_level="", param="", method="count"):
        rows.append(
            dict(
                group_var=group_var,
                group_level=level,
                variable=variable,
                variable_level=variable_level,
                param=param,
                timepoint="",
                stat_name=stat_name,
                stat=stat,
                method=method,
            )
        )

    ids = subjects["USUBJID"].astype(str).to_numpy()
    arm_of = subjects[arm].astype(object).to_numpy()
    post = subject_peaks(records, "post").reindex(ids)
    base = subject_peaks(records, "baseline").reindex(ids)
    t, b = transaminase_uln, bilirubin_uln
    alt, ast, bili = (post[r].to_numpy() for r in ROLES)
    has = {r: ~np.isnan(post[r].to_numpy()) for r in ROLES}
    has_tx = has["ALT"] | has["AST"]
    high_tx = (alt >= t) | (ast >= t)  # a NaN compares False: no value, no elevation
    high_bili = bili >= b
    categories = [
        ("ALT", uln_level(t), has["ALT"], alt >= t, params["ALT"]),
        ("AST", uln_level(t), has["AST"], ast >= t, params["AST"]),
        ("ALT_OR_AST", uln_level(t), has_tx, high_tx, ""),
        ("BILI", uln_level(b), has["BILI"], high_bili, params["BILI"]),
        ("HYS_LAW", "POTENTIAL", has_tx & has["BILI"], high_tx & high_bili, ""),
    ]
    both = has["ALT"] & has["BILI"]
    high_alt = alt >= t
    quadrants = {
        "NORMAL": ~high_alt & ~high_bili,
        "HYPERBILIRUBINEMIA": ~high_alt & high_bili,
        "TEMPLE": high_alt & ~high_bili,
        "HYS_LAW": high_alt & high_bili,
    }
    categories += [("EDISH", q, both, quadrants[q], "") for q in QUADRANTS]
    b_alt, b_ast, b_bili = (base[r].to_numpy() for r in ROLES)
    categories += [
        ("BASE_BILI", uln_level(b), ~np.isnan(b_bili), b_bili >= b, params["BILI"]),
        (
            "BASE_ALT_OR_AST",
            uln_level(t),
            ~np.isnan(b_alt) | ~np.isnan(b_ast),
            (b_alt >= t) | (b_ast >= t),
            "",
        ),
    ]
    for level in arms:
        mine = arm_of == level
        add(level, "N", float(mine.sum()))
        done: set[str] = set()
        for variable, cat, evaluable, meets, param in categories:
            n = float((mine & evaluable).sum())
            if variable not in done:
                add(level, "n", n, variable, "", param)
                done.add(variable)
            k = float((mine & evaluable & meets).sum())
            add(level, "n", k, variable, cat, param)
            add(level, "pct", 100.0 * k / n if n else float("nan"), variable, cat, param)
        for role in ROLES:
            values = post[role].to_numpy()
            for subject, value in zip(ids[mine], values[mine], strict=True):
                if not np.isnan(value):
                    add(level, "max", float(value), "PEAK", subject, params[role], "max")
    return ard_frame(rows)


def flagged_subjects(
    records: pd.DataFrame,
    which: str = "hys_law",
    transaminase_uln: float = 3.0,
    bilirubin_uln: float = 2.0,
) -> list[str]:
    """Subjects whose peak post-baseline values meet the potential Hy's-law criteria
    (``which="hys_law"``, as :func:`ard_hys_law` counts them) or any one criterion
    (``"any"``: ALT or AST >= 3 x ULN, or total bilirubin >= 2 x ULN), sorted."""
    post = subject_peaks(records, "post")
    alt, ast, bili = (post[r].to_numpy() for r in ROLES)
    high_tx = (alt >= transaminase_uln) | (ast >= transaminase_uln)
    high_bili = bili >= bilirubin_uln
    meets = high_tx & high_bili if which == "hys_law" else high_tx | high_bili
    return sorted(post.index[meets].astype(str))
