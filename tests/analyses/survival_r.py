"""Reference results from R's survival package for the against-R tests.

Each data set is written to a temporary CSV, one R script computes every reference statistic
with the calls cited in the tests (``survfit(conf.type = "log-log")``, ``quantile``,
``summary(times =)``, ``survdiff``, ``coxph(ties = "efron")``, ``cox.zph``, multi-state
``survfit`` for the Aalen-Johansen estimator) and writes them as CSV files, which are read back
here. R has no XPT reader on these machines (no haven), so the pilot's XPT is read in Python and
only the needed columns are handed over.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from csrgen.analyses.survival import EVENT, STATUS, TIME, TteAnalysis
from tests.studies import PILOT_DATA, SEED_DATA

ARM = "_ARM"

R_SCRIPT = r"""
suppressPackageStartupMessages(library(survival))
dir <- commandArgs(TRUE)[1]
rd <- function(name) readLines(file.path(dir, name))
d <- read.csv(file.path(dir, "data.csv"), stringsAsFactors = FALSE)
d$arm <- factor(d$arm, levels = rd("levels.txt"))
landmarks <- as.numeric(rd("landmarks.txt"))
covs <- rd("covariates.txt")
strata_var <- rd("strata.txt")
windows <- read.csv(file.path(dir, "windows.csv"))
out <- function(name, x) write.csv(x, file.path(dir, paste0(name, ".csv")), row.names = FALSE)
arm_names <- function(s) sub("^arm=", "", s)

# Kaplan-Meier with log-log limits
fit <- survfit(Surv(time, status) ~ arm, data = d, conf.type = "log-log")
out("km", data.frame(arm = rep(arm_names(names(fit$strata)), fit$strata), time = fit$time,
                     n_risk = fit$n.risk, n_event = fit$n.event, surv = fit$surv,
                     std_err = fit$std.err, lower = fit$lower, upper = fit$upper))
q <- quantile(fit, probs = c(0.25, 0.5, 0.75))
out("quantile", data.frame(arm = arm_names(rownames(q$quantile)),
    q1 = q$quantile[, 1], q1_lcl = q$lower[, 1], q1_ucl = q$upper[, 1],
    median = q$quantile[, 2], median_lcl = q$lower[, 2], median_ucl = q$upper[, 2],
    q3 = q$quantile[, 3], q3_lcl = q$lower[, 3], q3_ucl = q$upper[, 3]))
s <- summary(fit, times = landmarks)
out("landmark", data.frame(arm = arm_names(as.character(s$strata)), time = s$time,
                           n_risk = s$n.risk, surv = s$surv, lower = s$lower, upper = s$upper))

tests <- data.frame(name = character(), arm = character(), value = numeric())
add <- function(name, arm, value) tests[nrow(tests) + 1, ] <<- list(name, arm, value)
lr_add <- function(prefix, lr) {
  add(paste0(prefix, "statistic"), "Overall", lr$chisq)
  add(paste0(prefix, "p_value"), "Overall", pchisq(lr$chisq, length(lr$n) - 1, lower.tail = FALSE))
}
cox_add <- function(prefix, m) {
  ci <- summary(m)$conf.int
  co <- summary(m)$coefficients
  for (lv in levels(d$arm)[-1]) {
    row <- paste0("arm", lv)
    if (!row %in% rownames(ci)) next
    add(paste0(prefix, "hr"), lv, ci[row, 1])
    add(paste0(prefix, "hr_lcl"), lv, ci[row, 3])
    add(paste0(prefix, "hr_ucl"), lv, ci[row, 4])
    add(paste0(prefix, "p_value"), lv, co[row, 5])
  }
}
lr_add("logrank.", survdiff(Surv(time, status) ~ arm, data = d))
if (length(strata_var)) {
  lr_add("logrank_stratified.", survdiff(Surv(time, status) ~ arm + strata(stratum), data = d))
}
cu <- coxph(Surv(time, status) ~ arm, data = d, ties = "efron")
cox_add("cox.unadjusted.", cu)
z <- cox.zph(cu)
add("ph_test.statistic", "Overall", z$table["GLOBAL", "chisq"])
add("ph_test.p_value", "Overall", z$table["GLOBAL", "p"])
if (length(covs)) {
  f <- as.formula(paste("Surv(time, status) ~ arm +", paste(covs, collapse = " + ")))
  cox_add("cox.adjusted.", coxph(f, data = d, ties = "efron"))
}
for (i in seq_len(nrow(windows))) {
  a <- windows$start[i]; b <- windows$end[i]; label <- windows$label[i]
  w <- if (a <= 0) d else d[d$time > a, ]
  w$wtime <- pmin(w$time, b) - max(a, 0)
  w$wstatus <- ifelse(w$time <= b, w$status, 0)
  lr_add(paste0("logrank@", label, "."), survdiff(Surv(wtime, wstatus) ~ arm, data = w))
  cox_add(paste0("cox.unadjusted@", label, "."),
          coxph(Surv(wtime, wstatus) ~ arm, data = w, ties = "efron"))
}

if ("status3" %in% names(d)) {
  # competing risks: multi-state survfit = Aalen-Johansen with infinitesimal-jackknife SE
  d$ev <- factor(d$status3, 0:2, labels = c("censor", "event", "competing"))
  aj <- survfit(Surv(time, ev) ~ arm, data = d, conf.type = "log-log")
  k <- which(aj$states == "event")
  out("aj", data.frame(arm = rep(arm_names(names(aj$strata)), aj$strata), time = aj$time,
                       n_risk = aj$n.risk[, 1], cuminc = aj$pstate[, k],
                       std_err = aj$std.err[, k], lower = aj$lower[, k], upper = aj$upper[, k]))
  sa <- summary(aj, times = landmarks)
  out("aj_landmark", data.frame(arm = arm_names(as.character(sa$strata)), time = sa$time,
                                cuminc = sa$pstate[, k], lower = sa$lower[, k],
                                upper = sa$upper[, k]))
  cox_add("cox_cs.unadjusted.", coxph(Surv(time, status3 == 1) ~ arm, data = d, ties = "efron"))
  if (length(covs)) {
    f <- as.formula(paste("Surv(time, status3 == 1) ~ arm +", paste(covs, collapse = " + ")))
    cox_add("cox_cs.adjusted.", coxph(f, data = d, ties = "efron"))
  }
}
out("tests", tests)
"""


@dataclass(frozen=True)
class Dataset:
    """An analysis frame (csrgen's columns) and the settings of its analysis."""

    name: str
    frame: pd.DataFrame
    spec: TteAnalysis
    competing: bool = False
    notes: dict = field(default_factory=dict)


def _frame(arm, time, status, extra: dict, status3=None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {ARM: np.asarray(arm, dtype=object), TIME: np.asarray(time, float)}
        | {EVENT: np.asarray(status, float)}
    )
    frame[STATUS] = np.asarray(status if status3 is None else status3, dtype=int)
    for name, values in extra.items():
        frame[name] = np.asarray(values)
    return frame


def pilot_ttde() -> Dataset:
    """CDISC pilot ADTTE TTDE (days), safety population, actual treatment; strata SITEGR1."""
    import pyreadstat

    adtte, _ = pyreadstat.read_xport(str(PILOT_DATA / "adtte.xpt"))
    adsl, _ = pyreadstat.read_xport(str(PILOT_DATA / "adsl.xpt"))
    adsl = adsl.loc[adsl["SAFFL"] == "Y"]
    d = adsl[["USUBJID", "TRT01A", "SITEGR1", "AGE", "SEX", "BMIBL"]].merge(
        adtte.loc[adtte["PARAMCD"] == "TTDE", ["USUBJID", "AVAL", "CNSR"]], on="USUBJID"
    )
    levels = ("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose")
    frame = _frame(
        d["TRT01A"],
        d["AVAL"],
        1 - d["CNSR"],
        {"SITEGR1": d["SITEGR1"], "AGE": d["AGE"], "SEX": d["SEX"], "BMIBL": d["BMIBL"]},
    )
    spec = TteAnalysis(
        param="TTDE",
        arm=ARM,
        arms=levels,
        reference="Placebo",
        group_var="TRT01A",
        landmarks=(30.0, 60.0, 90.0, 120.0, 150.0, 180.0),
        windows=((0.0, 60.0), (60.0, 200.0)),
        strata=("SITEGR1",),
        covariates=("AGE", "SEX", "BMIBL"),
    )
    return Dataset("pilot-TTDE", frame, spec)


def seed(paramcd: str) -> Dataset:
    """The committed synthetic seed study, ITT by planned arm; HCC with the competing event."""
    adtte = pd.read_csv(SEED_DATA / "adtte.csv", keep_default_na=False, na_values=[""])
    adsl = pd.read_csv(SEED_DATA / "adsl.csv", keep_default_na=False, na_values=[""])
    adsl = adsl.loc[adsl["ITTFL"] == "Y"]
    rec = adtte.loc[adtte["PARAMCD"] == paramcd, ["USUBJID", "AVAL", "CNSR", "EVNTDESC"]]
    d = adsl[["USUBJID", "TRT01P", "AGE", "SEX", "CPCAT", "MELDBL"]].merge(rec, on="USUBJID")
    competing = (d["CNSR"] == 1) & (d["EVNTDESC"] == "DEATH WITHOUT HCC")
    status3 = np.where(d["CNSR"] == 0, 1, np.where(competing, 2, 0))
    frame = _frame(
        d["TRT01P"],
        d["AVAL"],
        1 - d["CNSR"],
        {c: d[c] for c in ("AGE", "SEX", "CPCAT", "MELDBL")},
        status3=status3 if paramcd == "HCC" else None,
    )
    spec = TteAnalysis(
        param=paramcd,
        arm=ARM,
        arms=("Control", "UC-MSC"),
        reference="Control",
        group_var="TRT01P",
        landmarks=(12.0, 24.0, 36.0, 48.0, 60.0, 72.0),
        windows=((0.0, 12.0), (12.0, 75.0)) if paramcd == "OS" else (),
        strata=("CPCAT",),
        covariates=("AGE", "SEX", "CPCAT", "MELDBL"),
    )
    return Dataset(f"seed-{paramcd}", frame, spec, competing=paramcd == "HCC")


def tied() -> Dataset:
    """Heavy ties (integer times 1-8), censorings at event times, ties between the two causes;
    arm B is flat at exactly 0.75 between two drops (R's midpoint rule for the 25th
    percentile), arm C ends flat at exactly 0.5 after its last event (midpoint with the last
    time for the median)."""
    arm = ["A"] * 12 + ["B"] * 12 + ["C"] * 6
    time = [1, 2, 2, 3, 3, 4, 4, 4, 6, 6, 8, 8] + [1, 1, 2, 3, 3, 3, 5, 5, 5, 7, 7, 8]
    time += [1, 2, 3, 4, 4, 5]
    status3 = [1, 2, 0, 1, 1, 0, 2, 1, 0, 1, 0, 0] + [1, 2, 1, 1, 2, 0, 1, 1, 0, 2, 1, 0]
    status3 += [1, 2, 1, 0, 0, 0]
    status = [1 if s > 0 else 0 for s in status3]
    group = ["x", "y"] * 15
    age = [50 + (i * 7) % 23 for i in range(30)]
    frame = _frame(arm, time, status, {"G": group, "AGE": age}, status3=status3)
    # the cause-specific analyses use status3; the KM ones all-cause status
    spec = TteAnalysis(
        param="TIED",
        arm=ARM,
        arms=("A", "B", "C"),
        reference="A",
        group_var="ARM",
        landmarks=(1.0, 2.5, 4.0, 6.0),
        windows=((0.0, 3.0), (3.0, 8.0)),
        strata=("G",),
        covariates=("AGE", "G"),
    )
    return Dataset("tied", frame, spec, competing=True)


def run_r(ds: Dataset, folder: Path) -> dict[str, pd.DataFrame]:
    """Run the reference script on ``ds``; its result tables by name."""
    folder.mkdir(parents=True, exist_ok=True)
    frame, spec = ds.frame, ds.spec
    data = pd.DataFrame(
        {"arm": frame[ARM], "time": frame[TIME], "status": frame[EVENT].astype(int)}
    )
    if ds.competing:
        data["status3"] = frame[STATUS]
    if spec.strata:
        data["stratum"] = frame[list(spec.strata)].astype(str).agg(" / ".join, axis=1)
    for c in spec.covariates:
        data[c] = frame[c]
    data.to_csv(folder / "data.csv", index=False)
    (folder / "levels.txt").write_text("\n".join(spec.arms) + "\n")
    (folder / "landmarks.txt").write_text("\n".join(repr(t) for t in spec.landmarks) + "\n")
    (folder / "covariates.txt").write_text("".join(c + "\n" for c in spec.covariates))
    (folder / "strata.txt").write_text("stratum\n" if spec.strata else "")
    pd.DataFrame(
        [(a, b, f"{a:g}-{b:g}") for a, b in spec.windows], columns=["start", "end", "label"]
    ).to_csv(folder / "windows.csv", index=False)
    (folder / "reference.R").write_text(R_SCRIPT)
    done = subprocess.run(
        ["Rscript", "--vanilla", str(folder / "reference.R"), str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"R failed:\n{done.stderr}"
    return {
        p.stem: pd.read_csv(p, keep_default_na=False, na_values=["NA"])
        for p in folder.glob("*.csv")
        if p.stem not in ("data", "windows")
    }


def rel_diff(ours, theirs) -> float:
    """Largest relative difference; NaN/NA and infinities must sit at the same places."""
    ours = np.asarray(ours, dtype=float)
    theirs = np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    assert np.array_equal(np.isnan(ours), np.isnan(theirs)), (
        f"not estimable at different places:\nours   {ours}\nR      {theirs}"
    )
    assert np.array_equal(np.isinf(ours), np.isinf(theirs)), (ours, theirs)
    ok = np.isfinite(theirs)
    if not ok.any():
        return 0.0
    a, b = ours[ok], theirs[ok]
    scale = np.where(b == 0, 1.0, np.abs(b))
    return float(np.max(np.abs(a - b) / scale))
