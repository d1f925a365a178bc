"""Subgroup hazard ratios and arm-by-subgroup interaction tests against R's survival package.

Data: the committed synthetic seed study (OS, ITT by planned arm; Child-Pugh class, MELD score
cut at 15 and 20, age group, sex) and the CDISC pilot (TTDE, safety population by actual arm,
three arms; age group, sex). R computes, per level, ``coxph(Surv(time, status) ~ arm,
ties = "efron", subset = level)`` (``summary()$conf.int``) and per variable
``anova(coxph(~ arm + g), coxph(~ arm * g))`` (likelihood-ratio chi-square, df, p), in a
temporary folder through ``tests/analyses/survival_r.py``'s runner conventions. Tolerance:
relative 1e-6.
"""

from __future__ import annotations

import subprocess

import numpy as np
import pandas as pd
import pytest

from csrgen.analyses.km import EVENT, TIME
from csrgen.analyses.subgroup import SubgroupAnalysis, ard_tte_subgroup
from tests.analyses.survival_r import ARM, rel_diff
from tests.studies import PILOT_DATA, SEED_DATA

pytestmark = pytest.mark.r
RTOL = 1e-6

R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
dir <- commandArgs(TRUE)[1]
d <- read.csv(file.path(dir, "data.csv"), stringsAsFactors = FALSE, na.strings = "")
d$arm <- factor(d$arm, levels = readLines(file.path(dir, "arms.txt")))
spec <- read.csv(file.path(dir, "subgroups.csv"), stringsAsFactors = FALSE)
hr <- data.frame(var = character(), level = character(), arm = character(), hr = numeric(),
                 lcl = numeric(), ucl = numeric())
lrt <- data.frame(var = character(), chisq = numeric(), df = numeric(), p = numeric())
m <- coxph(Surv(time, status) ~ arm, data = d, ties = "efron")
ci <- summary(m)$conf.int
for (a in levels(d$arm)[-1]) {
  hr[nrow(hr) + 1, ] <- list("", "", a, ci[paste0("arm", a), 1], ci[paste0("arm", a), 3],
                             ci[paste0("arm", a), 4])
}
for (v in unique(spec$var)) {
  levels <- spec$level[spec$var == v]
  for (lv in levels) {
    m <- coxph(Surv(time, status) ~ arm, data = d[!is.na(d[[v]]) & d[[v]] == lv, ],
               ties = "efron")
    ci <- summary(m)$conf.int
    for (a in levels(d$arm)[-1]) {
      hr[nrow(hr) + 1, ] <- list(v, lv, a, ci[paste0("arm", a), 1], ci[paste0("arm", a), 3],
                                 ci[paste0("arm", a), 4])
    }
  }
  dd <- d[!is.na(d[[v]]) & d[[v]] %in% levels, ]
  dd$g <- factor(dd[[v]], levels = levels)
  fit0 <- coxph(Surv(time, status) ~ arm + g, data = dd, ties = "efron")
  fit1 <- coxph(Surv(time, status) ~ arm + g + arm:g, data = dd, ties = "efron")
  a <- anova(fit0, fit1)
  lrt[nrow(lrt) + 1, ] <- list(v, a$Chisq[2], a$Df[2], a[["Pr(>|Chi|)"]][2])
}
write.csv(hr, file.path(dir, "hr.csv"), row.names = FALSE)
write.csv(lrt, file.path(dir, "lrt.csv"), row.names = FALSE)
"""


def run_r(frame: pd.DataFrame, spec: SubgroupAnalysis, folder) -> dict[str, pd.DataFrame]:
    data = pd.DataFrame(
        {"arm": frame[ARM], "time": frame[TIME], "status": frame[EVENT].astype(int)}
    )
    for var, _ in spec.subgroups:
        data[var] = frame[var]
    data.to_csv(folder / "data.csv", index=False)
    (folder / "arms.txt").write_text("\n".join(spec.arms) + "\n")
    pd.DataFrame(
        [(v, lv) for v, levels in spec.subgroups for lv in levels], columns=["var", "level"]
    ).to_csv(folder / "subgroups.csv", index=False)
    (folder / "reference.R").write_text(R_SCRIPT)
    done = subprocess.run(
        ["Rscript", "--vanilla", str(folder / "reference.R"), str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"R failed:\n{done.stderr}"
    read = lambda name: pd.read_csv(folder / name, keep_default_na=False, na_values=["NA"])  # noqa: E731
    return {"hr": read("hr.csv"), "lrt": read("lrt.csv")}


def seed_os() -> tuple[pd.DataFrame, SubgroupAnalysis]:
    adsl = pd.read_csv(SEED_DATA / "adsl.csv", keep_default_na=False, na_values=[""])
    adtte = pd.read_csv(SEED_DATA / "adtte.csv", keep_default_na=False, na_values=[""])
    adsl = adsl.loc[adsl["ITTFL"] == "Y"]
    d = adsl.merge(adtte.loc[adtte["PARAMCD"] == "OS", ["USUBJID", "AVAL", "CNSR"]], on="USUBJID")
    meld = np.select([d["MELDBL"] < 15, d["MELDBL"] < 20], ["<15", "15-<20"], ">=20")
    frame = pd.DataFrame(
        {
            ARM: d["TRT01P"],
            TIME: d["AVAL"].astype(float),
            EVENT: 1.0 - d["CNSR"],
            "CPCAT": d["CPCAT"],
            "MELDGR": meld,
            "AGEGR1": d["AGEGR1"],
            "SEX": d["SEX"],
        }
    )
    spec = SubgroupAnalysis(
        param="OS",
        arm=ARM,
        arms=("Control", "UC-MSC"),
        reference="Control",
        group_var="TRT01P",
        subgroups=(
            ("CPCAT", ("B", "C")),
            ("MELDGR", ("<15", "15-<20", ">=20")),
            ("AGEGR1", ("<40", "40-49", ">=50")),
            ("SEX", ("M", "F")),
        ),
    )
    return frame, spec


def pilot_ttde() -> tuple[pd.DataFrame, SubgroupAnalysis]:
    import pyreadstat

    adtte, _ = pyreadstat.read_xport(str(PILOT_DATA / "adtte.xpt"))
    adsl, _ = pyreadstat.read_xport(str(PILOT_DATA / "adsl.xpt"))
    adsl = adsl.loc[adsl["SAFFL"] == "Y"]
    d = adsl.merge(adtte.loc[adtte["PARAMCD"] == "TTDE", ["USUBJID", "AVAL", "CNSR"]], on="USUBJID")
    frame = pd.DataFrame(
        {
            ARM: d["TRT01A"],
            TIME: d["AVAL"].astype(float),
            EVENT: 1.0 - d["CNSR"],
            "AGEGR1": d["AGEGR1"],
            "SEX": d["SEX"],
        }
    )
    spec = SubgroupAnalysis(
        param="TTDE",
        arm=ARM,
        arms=("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"),
        reference="Placebo",
        group_var="TRT01A",
        subgroups=(("AGEGR1", ("<65", "65-80", ">80")), ("SEX", ("F", "M"))),
    )
    return frame, spec


@pytest.fixture(scope="module", params=["seed-OS", "pilot-TTDE"])
def case(request, tmp_path_factory):
    frame, spec = seed_os() if request.param == "seed-OS" else pilot_ttde()
    ref = run_r(frame, spec, tmp_path_factory.mktemp(request.param))
    return frame, spec, ref, ard_tte_subgroup(frame, spec)


def ard_value(ard: pd.DataFrame, **where) -> float:
    mask = np.ones(len(ard), dtype=bool)
    for col, value in where.items():
        mask &= (ard[col] == value).to_numpy()
    assert mask.sum() == 1, where
    return float(ard.loc[mask, "stat"].iloc[0])


def test_level_hazard_ratios_against_R(case):
    """``summary(coxph(Surv(time, status) ~ arm, ties = "efron", subset = <level>))$conf.int``:
    exp(coef), lower .95, upper .95 for every level and compared arm, and for all subjects
    (the first row; ``variable`` and ``variable_level`` empty)."""
    _, spec, ref, ard = case
    hr = ref["hr"]
    assert len(hr) == (1 + sum(len(lv) for _, lv in spec.subgroups)) * (len(spec.arms) - 1)
    for row in hr.itertuples():
        w = dict(group_level=row.arm, variable=row.var, variable_level=str(row.level))
        ours = [ard_value(ard, stat_name=n, **w) for n in ("hr", "hr_lcl", "hr_ucl")]
        assert rel_diff(ours, [row.hr, row.lcl, row.ucl]) <= RTOL, (row.var, row.level, row.arm)


def test_interaction_lrt_against_R(case):
    """``anova(coxph(~ arm + g), coxph(~ arm + g + arm:g))``: Chisq, Df and Pr(>|Chi|)."""
    _, spec, ref, ard = case
    for row in ref["lrt"].itertuples():
        w = dict(group_level="Overall", variable=row.var, variable_level="")
        ours = [ard_value(ard, stat_name=n, **w) for n in ("statistic", "df", "p_value")]
        assert rel_diff(ours, [row.chisq, row.df, row.p]) <= RTOL, row.var
        assert ours[1] == (len(spec.arms) - 1) * (len(dict(spec.subgroups)[row.var]) - 1)


def test_level_counts_are_the_data(case):
    """Subjects and events per arm and level, counted here with a pandas crosstab."""
    frame, spec, _, ard = case
    for var, levels in spec.subgroups:
        sub = frame.loc[frame[var].isin(levels)]
        n = pd.crosstab(sub[var], sub[ARM])
        events = pd.crosstab(sub[var], sub[ARM], values=sub[EVENT], aggfunc="sum").fillna(0)
        for lv in levels:
            for arm in spec.arms:
                w = dict(group_level=arm, variable=var, variable_level=lv)
                assert ard_value(ard, stat_name="n", **w) == n.loc[lv, arm]
                assert ard_value(ard, stat_name="n_event", **w) == events.loc[lv, arm]
