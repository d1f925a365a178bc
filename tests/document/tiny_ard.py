"""A tiny study config and an ARD written by hand following /notes ARD conventions (survival,
labs, adverse events, deaths), for the narrative templates."""

from __future__ import annotations

import math
from pathlib import Path

from csrgen.ard import apply_formats, ard_frame, concat_ard
from csrgen.config import StudyConfig
from csrgen.formatting import default_formats
from csrgen.lock import LockInfo

NAN = math.nan
ARMS = ("Control", "UC-MSC")
HOSTILE_PT = "<b>*Pyrexia*</b> | [x](#y)"


def tiny_config(outputs: list[dict] | None = None, **document) -> StudyConfig:
    outputs = (
        outputs
        if outputs is not None
        else [
            {
                "id": "t_demog",
                "number": "Table 14.1.1",
                "title": "Demographics",
                "population": "ITT",
            },
            {
                "id": "t_os",
                "module": "t_tte",
                "number": "Table 14.2.1",
                "title": "Overall Survival",
                "population": "ITT",
            },
            {
                "id": "t_lab_ancova",
                "number": "Table 14.2.2",
                "title": "Liver Function",
                "population": "ITT",
            },
            {
                "id": "t_ae_overview",
                "number": "Table 14.3.1",
                "title": "AE Overview",
                "population": "SAF",
            },
            {
                "id": "t_ae_soc_pt",
                "number": "Table 14.3.2",
                "title": "AEs by SOC and PT",
                "population": "SAF",
            },
            {"id": "t_deaths", "number": "Table 14.3.3", "title": "Deaths", "population": "SAF"},
            {
                "id": "l_ae",
                "number": "Listing 16.2.7",
                "title": "Adverse Events",
                "population": "SAF",
            },
        ]
    )
    return StudyConfig.model_validate(
        {
            "study": {
                "id": "tiny",
                "title": "A tiny trial",
                "protocol": "TINY-01",
                "phase": "Phase 2",
                "indication": "Cirrhosis",
                "sponsor": "Tests",
                "synthetic": True,
                "objectives_primary": ["To compare overall survival."],
            },
            "data": {"dir": "data", "datasets": {"adsl": "adsl.csv"}},
            "arms": {"levels": list(ARMS), "reference": "Control"},
            "populations": {
                "ITT": {
                    "label": "Intent-to-treat population",
                    "flag": "ITTFL",
                    "arm_var": "TRT01P",
                },
                "SAF": {"label": "Safety population", "flag": "SAFFL", "arm_var": "TRT01A"},
            },
            "survival": {
                "population": "ITT",
                "time_unit": "months",
                "endpoints": [
                    {
                        "paramcd": "OS",
                        "label": "Overall survival",
                        "landmarks": [12],
                        "windows": [[0, 12], [12, 75]],
                    }
                ],
            },
            "document": {"labels": {"ALB": "serum albumin"}, "units": {"ALB": "g/L"}} | document,
            "outputs": outputs,
            "path": Path("/nonexistent/tiny.toml"),
        }
    )


LOCK = LockInfo("TINY-LOCK-1", "2024-01-31", {})


def _n(output_id, sizes):
    return [
        {"output_id": output_id, "group_level": level, "stat_name": "N", "stat": n}
        for level, n in sizes.items()
    ]


def tiny_ard():
    rows = []
    itt = {"Control": 111, "UC-MSC": 108, "Total": 219}
    saf = {"Control": 110, "UC-MSC": 108, "Total": 218}
    rows += _n("t_demog", itt)
    rows += [
        {"output_id": "t_demog", "group_level": a, "variable": "AGE", "stat_name": s, "stat": v}
        for a, s, v in [
            ("Control", "mean", 47.55),
            ("Control", "sd", 9.1234),
            ("UC-MSC", "mean", 46.25),
            ("UC-MSC", "sd", 8.5),
        ]
    ]
    # survival: t_os
    tte = dict(output_id="t_os", param="OS", method="km-loglog")
    rows += [tte | r for r in _n("t_os", {"Control": 111, "UC-MSC": 108})]
    for arm, events, med, lcl in (("Control", 40, NAN, 50.25), ("UC-MSC", 25, NAN, NAN)):
        n = {"Control": 111, "UC-MSC": 108}[arm]
        rows += [tte | {"group_level": arm, "stat_name": "n_event", "stat": events}]
        rows += [tte | {"group_level": arm, "stat_name": "n", "stat": n}]
        rows += [tte | {"group_level": arm, "stat_name": "pct_event", "stat": 100 * events / n}]
        rows += [
            tte | {"group_level": arm, "stat_name": s, "stat": v}
            for s, v in (("median_time", med), ("median_lcl", lcl), ("median_ucl", NAN))
        ]
    for arm, surv in (("Control", (0.8423, 0.76, 0.8951)), ("UC-MSC", (0.85, 0.7666, 0.905))):
        rows += [
            tte | {"group_level": arm, "timepoint": "12", "stat_name": name, "stat": v}
            for name, v in zip(("surv", "surv_lcl", "surv_ucl"), surv, strict=True)
        ]
    for window, p_lr, (hr, lo, hi, p) in (
        ("", 0.0004, (0.5234, 0.3149, 0.8701, 0.01234)),
        ("0-12", 0.8, (1.02, 0.6, 1.7, 0.9449)),
        ("12-75", 0.0012, (0.40, 0.22, 0.73, 0.0025)),
    ):
        rows += [
            tte
            | {
                "group_level": "Overall",
                "variable": "logrank",
                "timepoint": window,
                "stat_name": "p_value",
                "stat": p_lr,
                "method": "logrank",
            }
        ]
        cox = tte | {
            "group_level": "UC-MSC",
            "variable": "cox",
            "variable_level": "unadjusted",
            "timepoint": window,
            "method": "cox-efron",
        }
        rows += [
            cox | {"stat_name": s, "stat": v}
            for s, v in (("hr", hr), ("hr_lcl", lo), ("hr_ucl", hi), ("p_value", p))
        ]
    # labs: ANCOVA of CHG, two visits
    lab = dict(
        output_id="t_lab_ancova",
        param="ALB",
        variable="CHG",
        variable_level="ANCOVA",
        method="ancova",
    )
    for visit, (c_ls, m_ls, d, dl, du, p) in (
        ("Week 24", (1.0, 3.0, 2.0, 1.0, 3.0, 0.01)),
        ("Week 48", (2.04, 5.15, 3.11, 1.95, 4.27, 0.00001)),
    ):
        rows += [
            lab
            | {"timepoint": visit, "group_level": "Control", "stat_name": "lsmean", "stat": c_ls}
        ]
        rows += [
            lab | {"timepoint": visit, "group_level": "UC-MSC", "stat_name": "lsmean", "stat": m_ls}
        ]
        rows += [
            lab | {"timepoint": visit, "group_level": "UC-MSC", "stat_name": s, "stat": v}
            for s, v in (("diff", d), ("diff_lcl", dl), ("diff_ucl", du), ("p_value", p))
        ]
    # safety
    rows += _n("t_ae_overview", saf)
    for variable, counts in (
        ("TEAE", ((60, 54.5454), (70, 64.8148), (130, 59.633))),
        ("TEAE_SERIOUS", ((0, 0.0), (2, 1.8519), (2, 0.9174))),
    ):
        for level, (n, pct) in zip(("Control", "UC-MSC", "Total"), counts, strict=True):
            rows += [
                {
                    "output_id": "t_ae_overview",
                    "group_level": level,
                    "variable": variable,
                    "stat_name": "n",
                    "stat": n,
                }
            ]
            rows += [
                {
                    "output_id": "t_ae_overview",
                    "group_level": level,
                    "variable": variable,
                    "stat_name": "pct",
                    "stat": pct,
                }
            ]
    rows += _n("t_ae_soc_pt", saf)
    for term, counts in ((HOSTILE_PT, (0, 14)), ("Ascites", (20, 15)), ("Rash", (1, 2))):
        for level, n in zip(ARMS, counts, strict=True):
            pct = 100 * n / saf[level]
            base = {
                "output_id": "t_ae_soc_pt",
                "group_level": level,
                "variable": "AEDECOD",
                "variable_level": term,
            }
            rows += [base | {"stat_name": "n", "stat": n}, base | {"stat_name": "pct", "stat": pct}]
    rows += _n("t_deaths", saf)
    for level, n, pct in (("Control", 20, 18.1818), ("UC-MSC", 12, 11.1111)):
        rows += [
            {
                "output_id": "t_deaths",
                "group_level": level,
                "variable": "DEATH",
                "stat_name": s,
                "stat": v,
            }
            for s, v in (("n", n), ("pct", pct))
        ]
    # Formats as the runner resolves them: times of t_os at one decimal (survival.time_decimals),
    # ALB and the Table 1 variables with whole-number data.
    frame = ard_frame(rows)
    parts = [
        apply_formats(sub, default_formats(), {"t_os": "t_tte"}.get(oid, oid), MODULE_DECIMALS)
        for oid, sub in frame.groupby("output_id", sort=False)
    ]
    return concat_ard(parts)


#: Data decimals of the tiny ARD's rows: survival times 1 (by the endpoint "OS"), others 0.
MODULE_DECIMALS = {"OS": 1}
