"""The data README of the synthetic seed study, rendered from the parameters and the metadata.

Rendering (rather than hand-writing) the parameter and variable tables keeps them equal to
:class:`~csrgen.simulate.params.SimulationParameters` and
:data:`~csrgen.simulate.metadata.VARIABLES`; a test compares the committed README with
:func:`data_readme`.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from csrgen.simulate.metadata import VARIABLES
from csrgen.simulate.params import AeSpec, DeathCause, LabSpec, SimulationParameters
from csrgen.simulate.params_bds import BdsSpec
from csrgen.simulate.params_history import DvSpec, MhSpec
from csrgen.simulate.params_medications import CmSpec

_NESTED = {"labs", "disease_aes", "death_causes", "history", "medications", "deviations"}
_NESTED |= {"ecg", "vitals"}

_INTRO = """\
# Synthetic locked ADaM database: UC-MSC vs Control in HBV-related decompensated cirrhosis

> **SYNTHETIC DATA — NOT REAL PATIENT DATA.** These files were made by a seeded random
> generator (`src/csrgen/simulate/`). They reproduce the design and the published facts of the
> trial and fill everything else with the assumed values listed below. No number in them is a
> result of the trial.

The seed trial: Shi M, Li YY, Xu RN, et al. *Mesenchymal stem cell therapy in decompensated
liver cirrhosis: a long-term follow-up analysis of the randomized controlled clinical trial.*
Hepatol Int. 2021;15(6):1431-1441 (NCT01220492): 219 patients randomized to Control (n = 111,
conventional treatment) or UC-MSC (n = 108, three infusions of 0.5 x 10^6 cells/kg at weeks 0, 4
and 8 plus conventional treatment), followed from October 2010 to October 2017. The real
patient data are not public; the published facts and the assumptions are in
`shared/seed-trial/CALIBRATION.md`.

The data were generated so that (checked by `tests/simulate/test_calibration.py` on these
files): the arms hold 111 and 108 subjects; overall survival does not differ in months 0-12
(log-rank p >= 0.05) but favours UC-MSC in the landmark analysis of months 13-75 (p < 0.05)
with a whole-follow-up hazard ratio below 1; time to HCC does not differ; ALB, PTA, CHE rise
and TBIL falls more with UC-MSC at week 48 (p < 0.05); no serious adverse event is
treatment-related; and the same seed gives byte-identical files.

The seed ({seed}) was selected, not drawn: seeds 1-400 were scanned and {seed} meets every
constraint with margin, with Control survival closest to the assumed 84 % at 12 and 55 % at 60
months. With these parameters a seed taken at random meets the months 13-75 constraint in about
7 of 10 cases. Nothing computed from these files is evidence about UC-MSC: the effects were
put in by the generator.

## Regenerate

```
make data
# or
csrgen simulate --subjects 219 --seed {seed} --out data/ucmsc-dlc
# or, from Python
from csrgen.simulate import simulate_study, write_study
write_study(simulate_study(219, {seed}), Path("data/ucmsc-dlc"))
```

`--format parquet` writes Parquet instead of CSV (for large scale runs, e.g. 100,000 subjects).
This README is rendered by `csrgen.simulate.readme.write_data_readme("data/ucmsc-dlc")`; do not
edit it by hand (a test compares it with the parameters).

## Files

| file | content |
|---|---|
| `adsl.csv` | ADSL, one row per subject |
| `adtte.csv` | ADTTE, overall survival (`OS`) and time to HCC (`HCC`), one row per subject each |
| `adlb.csv` | ADLB, liver panel at baseline and weeks 4, 8, 12, 24, 36, 48 |
| `adae.csv` | ADAE, adverse events from day 1 to the end of AE collection (week 52) |
| `adex.csv` | ADEX, one record per UC-MSC infusion given |
| `adcm.csv` | ADCM, prior and concomitant medications (before day 1 to week 52) |
| `admh.csv` | ADMH, medical history at screening |
| `addv.csv` | ADDV, protocol deviations, MAJOR or MINOR |
| `adeg.csv` | ADEG, ECG intervals at baseline and weeks 4, 12, 24, 48 |
| `advs.csv` | ADVS, vital signs at every attended visit |
| `variables.csv` | `dataset,variable,label,type` of every variable (the CSV type spec) |

CSV conventions: UTF-8, comma separator, LF line ends, header row, dates `YYYY-MM-DD`, missing
values as empty fields, numbers rounded at generation and written in their shortest form
(integers without `.0`), text quoted only when it holds a comma or a quote.

## Design choices

- **Randomization**: permuted blocks of 4 (two per arm); the surplus Control subjects (3 of 219)
  sit at random positions of the sequence. Randomization dates are uniform over the enrolment
  year; day 1 (TRTSDT) is the randomization date, and the first UC-MSC infusion is given on it.
- **Eligibility**: screened candidates with a Child-Pugh score outside 7-13 are not enrolled,
  so the enrolled cohort's baseline means differ slightly from the pre-screening values below.
  A latent disease severity (standard normal) links the baseline labs, ascites, encephalopathy,
  the risk of death and the rate of disease-related adverse events.
- **Overall survival** (ADTTE `OS`): time from randomization to death from any cause. Censored
  at liver transplantation, loss to follow-up, withdrawal or the data cut-off ({cut}).
  The Control hazard is constant before and after month {landmark:g}, solved so that the
  expected Control survival of the simulated cohort is {s1:g} at month {landmark:g} and
  {s2:g} at month {m2:g}; UC-MSC has the same hazard up to month {landmark:g} and a hazard
  ratio of {hr:g} after it. Sicker subjects (latent severity) die sooner.
- **HCC** (ADTTE `HCC`): time from randomization to the diagnosis of hepatocellular carcinoma,
  with no treatment effect. **Deaths without HCC are censored at the date of death**
  (EVNTDESC "DEATH WITHOUT HCC"), so the Kaplan-Meier analysis estimates the cause-specific
  hazard; the same records serve a competing-risks analysis (Aalen-Johansen / Fine-Gray), with
  "DEATH WITHOUT HCC" as the competing event. Transplantation, losses and the cut-off censor
  as for OS.
- **Time scale**: AVAL = (ADT - STARTDT + 1) / 30.4375 months; events fall at least one day
  after randomization. Follow-up runs to the data cut-off, {fu_min}-{fu_max} months after
  randomization; the trial reports follow-up up to 75 months, so analyses of "months 13-75"
  truncate at 75.
- **Disposition**: EOSSTT "COMPLETED" = alive and followed to the cut-off; "DISCONTINUED" with
  DCSREAS "DEATH", "LOST TO FOLLOW-UP", "WITHDRAWAL BY SUBJECT" or "OTHER" (DCSREASP "Liver
  transplantation"). EOTSTT refers to the 48-week treatment phase (day 336).
- **Laboratory**: no records after the last day known alive (deaths, dropouts), a few missed
  visits (whole panel), and a few subjects without a baseline sample (then BASE, CHG and the
  ADSL baseline variables are blank). CPSCORE and MELDBL come from the screening assessment.
- **Adverse events**: collected from day 1 through day {ae_days} (week 52); TRTEMFL = "Y" for
  onset on days 1-{trt_days} (week 48). Pyrexia on an infusion day is the only treatment-related
  event (mild, non-serious, resolved within a day). Disease-related events occur at the same
  rates in both arms and are never related. Each death in the collection period has one fatal
  AE matching DTHCAUS (an HCC death: the HCC event itself turns fatal); AEs still open at the
  last observation have no end date.
- **Added datasets** (ADCM, ADMH, ADDV, ADEG, ADVS): made after the first five, from what they
  hold, each drawing from its own random stream (`numpy.random.SeedSequence(seed,
  spawn_key=(k,))`, `k` fixed per dataset in `simulate/streams.py`), so that adding them left
  every byte of the first five unchanged. **Every value in them is assumed**: the trial
  published no medication, history, deviation, ECG or vital-sign data.
- **Medical history** (ADMH): chronic hepatitis B and cirrhosis in everyone; ascites and
  encephalopathy ongoing exactly in the subjects with ASCITES / HEPENC = "Yes" in ADSL (and
  resolved in some others); complications and comorbidities at the rates below. Start dates
  more than a year before day 1 are partly recorded as month or year only and imputed to the
  first day (ASTDTF "D" or "M"), as ADaM imputation does.
- **Medications** (ADCM): a nucleos(t)ide analogue in every subject with ANTIVIR = "Yes"
  (one each; some others start entecavir during the study); diuretics with ascites, lactulose
  with encephalopathy, beta-blockers with varices in ADMH; courses started at the onset of
  ADAE events (antibiotics for infections, octreotide and proton-pump inhibitors for
  bleeding, albumin for ascites, ...). Collected through day {ae_days}. A few starts are
  unknown (ASTDT blank). PREFL/ONTRTFL/FUPFL are derived from the dates (the variable table
  says how; a blank start counts as prior and, if the medication did not end before day 1,
  as on treatment).
- **Protocol deviations** (ADDV): DVSCAT holds the importance ("MAJOR"/"MINOR"), DVCAT the
  category. They agree with the other datasets: every missed post-baseline visit in ADLB
  (week 48: MAJOR), every missing baseline sample, every UC-MSC infusion not given (ADEX),
  every visit without an ECG (ADEG) and every prohibited corticosteroid started in the
  treatment phase (ADCM) is a deviation; eligibility, consent and window deviations are drawn.
- **ECG and vital signs** (ADEG, ADVS): BDS like ADLB (BASE, CHG, ABLFL, ANL01FL; reference
  range in ANRLO/ANRHI, ANRIND). Measured on the laboratory visit days the subject attended
  (everyone at baseline), a few not done. QTcF is prolonged as in cirrhosis (mean about 440
  ms; some above 450 and 480, a few above 500) and lower heart rate with beta-blockers; QT
  is derived from QTcF and HR (Fridericia); AVALCAT1/CHGCAT1 hold the ICH E14 QTcF
  categories. Baseline weight is ADSL's WEIGHTBL. No treatment effect on either.
"""


def _fmt(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, tuple):
        return ", ".join(_fmt(v) for v in value)
    return str(value)


def _table(header: tuple[str, ...], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _parameter_tables(params: SimulationParameters) -> str:
    scalar = [
        (f"`{f.name}`", getattr(params, f.name), f.metadata["source"], f.metadata["doc"])
        for f in dataclasses.fields(params)
        if f.name not in _NESTED
    ]
    nested = [
        (f"`{f.name}`", "see below", f.metadata["source"], f.metadata["doc"])
        for f in dataclasses.fields(params)
        if f.name in _NESTED
    ]
    parts = [
        "## Parameters (`SimulationParameters`)",
        "Every value the generator uses. `source` says which are published facts of the trial's "
        "design; all others are assumptions chosen inside the ranges of CALIBRATION.md, not "
        "results of the trial.",
        _table(("parameter", "value", "source", "meaning"), scalar + nested),
        "### `labs`: laboratory parameters",
        "Baseline: `normal` = mean and SD, `lognormal` = median and SD of log, before screening; "
        "`loading` = correlation with the latent severity. Change at week 48: `additive` = mean "
        "change in the unit; `ratio` = mean % change (log-normal ratio to baseline), SDs on "
        "the log scale. `noise` = visit-to-visit SD.",
        _table(
            tuple(f.name for f in dataclasses.fields(LabSpec)),
            [dataclasses.astuple(s) for s in params.labs],
        ),
        "### `disease_aes`: disease-related adverse events (both arms alike)",
        "Rates per patient-year in the AE collection period (multiplied by a severity frailty of "
        "mean 1); if serious, severity MODERATE or SEVERE (1:1), else MILD or MODERATE (6:4); "
        "durations log-normal around the median.",
        _table(
            tuple(f.name for f in dataclasses.fields(AeSpec)),
            [dataclasses.astuple(s) for s in params.disease_aes],
        ),
        "### `death_causes`: causes of death other than HCC",
        "A death after an HCC diagnosis is due to HCC with probability `p_hcc_death_cause`; the "
        "other deaths get one of these causes with the probabilities shown.",
        _table(
            tuple(f.name for f in dataclasses.fields(DeathCause)),
            [dataclasses.astuple(s) for s in params.death_causes],
        ),
        "### `history`: medical history (ADMH)",
        "`group`: the subjects concerned (ADSL state); `prob`: share of them with the condition; "
        "`p_ongoing`: share still present at screening; start `years_min`-`years_max` years "
        "before day 1.",
        _spec_table(MhSpec, params.history),
        "### `medications`: prior and concomitant medications (ADCM)",
        "`group`: the subjects concerned (`mh:<PT>`: with that medical history); `p_ongoing`: "
        "taken on day 1 (alternatives sharing a `choice`: at most one per subject), stopped "
        "during the study with `p_stop`; `p_past`: a course ended before day 1; "
        "`rate_per_year`: courses started during the study (at most `max_courses`, 0 = no "
        "limit) of median `course_days` (0 = until the end of follow-up); `triggers`: ADAE "
        "preferred terms whose onset starts a course with `p_trigger`; `prohibited`: a protocol "
        "deviation when started in the treatment phase.",
        _spec_table(CmSpec, params.medications),
        "### `deviations`: protocol deviations (ADDV)",
        "`source`: what produces the deviation (see `DvSpec`); `prob`: per subject, for the "
        "drawn ones (`day1`, `visit`).",
        _spec_table(DvSpec, params.deviations),
        "### `ecg` and `vitals`: ECG (ADEG) and vital signs (ADVS)",
        "Baseline `mean` + `sd` x N(0, 1) correlated `loading` with the latent severity, "
        "`beta_blocker` added when taking one on day 1 (or the ADSL variable `baseline_var`); "
        "a subject-level change of SD `change_sd` at week 48 (linear); visit noise `noise_sd`, "
        "and `outlier_sd` more at a share `p_outlier` of visits; reference range "
        "`ref_low`-`ref_high` (ANRLO, ANRHI); `derive`: QT from QTcF and HR.",
        _spec_table(BdsSpec, params.ecg + params.vitals),
    ]
    return "\n\n".join(parts)


def _spec_table(kind: type, specs: tuple) -> str:
    return _table(
        tuple(f.name for f in dataclasses.fields(kind)), [dataclasses.astuple(s) for s in specs]
    )


def _variable_tables() -> str:
    parts = ["## Variables"]
    for dataset, variables in VARIABLES.items():
        parts.append(f"### {dataset}")
        parts.append(
            _table(
                ("variable", "label", "type", "values / derivation"),
                [(f"`{v.name}`", v.label, v.type, v.values) for v in variables],
            )
        )
    return "\n\n".join(parts)


def _months(cut: str, start: str, extra_days: int) -> float:
    days = (np.datetime64(cut, "D") - np.datetime64(start, "D")).astype(int) - extra_days
    return days / 30.4375


def data_readme(params: SimulationParameters, seed: int) -> str:
    """The README of ``data/ucmsc-dlc`` for these parameters and this seed."""
    intro = _INTRO.format(
        seed=seed,
        cut=params.data_cut,
        landmark=params.os_landmark_month,
        s1=params.os_control_landmark,
        s2=params.os_control_target,
        m2=params.os_target_month,
        hr=params.os_hr_late,
        ae_days=params.ae_collection_days,
        trt_days=params.treatment_days,
        fu_min=int(_months(params.data_cut, params.enrol_start, params.enrol_days - 1)),
        fu_max=int(_months(params.data_cut, params.enrol_start, 0)),
    )
    body = "\n\n".join([intro.rstrip("\n"), _parameter_tables(params), _variable_tables()])
    return body + "\n"


def write_data_readme(out_dir: str | Path, seed: int | None = None) -> Path:
    """Write ``README.md`` for the default parameters (and ``DEFAULT_SEED`` unless given)."""
    from csrgen.simulate import DEFAULT_SEED

    path = Path(out_dir) / "README.md"
    text = data_readme(SimulationParameters(), DEFAULT_SEED if seed is None else seed)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path
