"""Dataset validation: every rule checked on every file, all problems reported at once.

Each problem names the file, the variable, the rule, the count of offending rows and up to five
example rows. Rules (the ``rule`` tag in brackets):

* ``[required]``   a variable the spec, the study file or an output needs is missing
* ``[type]``       a value is not a number / not a date where one is expected
* ``[not-missing]`` a key variable is blank
* ``[unique]``     the same USUBJID twice in ADSL
* ``[in-adsl]``    a subject in another dataset but not in ADSL
* ``[arm]``        an arm value (in a population) that the study file does not list
* ``[where]``      a population's ``where`` expression compares a variable with a value of
                   another type (text with a number, a date with a text that is no date)
* ``[binary01]``   CNSR other than 0/1
* ``[nonneg]``     a negative AVAL (time to event), AGE, ...
* ``[flag]``       an ``*FL`` variable holding anything but Y, N or blank
* ``[date-order]`` a start date after its end date
* ``[records]``    ADSL holds no subjects
* raised by the readers (``csrgen.datasets.base``, ``csvfile``, ``xport``, ``columnar``):
  ``[finite]`` an infinite or NaN number; ``[columns]`` an empty or duplicated column name, or
  too many; ``[fields]`` a row not as wide as the header (CSV, Dataset-JSON), a blank line;
  ``[file-truncated]`` / ``[file-padded]`` a file cut off or with bytes added (XPT record
  arithmetic, a CSV row or quote left open, Dataset-JSON ``records``); ``[file-format]``
  another format under the name, binary content, two XPORT members or zip datasets;
  ``[encoding]``; ``[file-empty]``, ``[file-missing]``, ``[file-unreadable]``
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from csrgen import expr
from csrgen.config import StudyConfig
from csrgen.datasets.readers import RawDataset
from csrgen.errors import Problem

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class VariableSpec:
    name: str
    type: str
    required: bool = False
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class DomainSpec:
    role: str
    variables: tuple[VariableSpec, ...]
    date_order: tuple[tuple[str, str], ...]

    @property
    def types(self) -> dict[str, str]:
        return {v.name: v.type for v in self.variables}


@cache
def domain_specs() -> dict[str, DomainSpec]:
    """The packaged ADaM column specs (``adam_specs.toml``), one per dataset role."""
    text = resources.files("csrgen.datasets").joinpath("adam_specs.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    return {
        role: DomainSpec(
            role=role,
            variables=tuple(
                VariableSpec(
                    v["name"], v["type"], v.get("required", False), tuple(v.get("rules", ()))
                )
                for v in body["variables"]
            ),
            date_order=tuple(tuple(p) for p in body.get("date_order", ())),
        )
        for role, body in raw.items()
    }


def required_by_config(config: StudyConfig) -> dict[str, set[str]]:
    """Variables the study file itself names (population flags, expressions and arm variables
    in ADSL)."""
    adsl = {name for p in config.populations.values() for name in p.variables()}
    if config.survival:
        adsl |= set(config.survival.covariates) | set(config.survival.strata)
    return {"adsl": adsl}


def _examples(ds: RawDataset, mask: np.ndarray, columns: list[str]) -> tuple[str, ...]:
    rows = np.flatnonzero(mask)[:MAX_EXAMPLES]
    frame = ds.frame
    out = []
    for r in rows:
        where = _row_label(ds, r)
        if "USUBJID" in frame.columns and "USUBJID" not in columns:
            where += f" (USUBJID={frame['USUBJID'].iloc[r]})"
        values = ", ".join(f"{c}={_show(frame[c].iloc[r])}" for c in columns)
        out.append(f"{where}: {values}")
    return tuple(out)


def _row_label(ds: RawDataset, r: int) -> str:
    # CSV users look for line numbers (header is line 1); other formats count records.
    return f"line {r + 2}" if ds.path.suffix.lower() == ".csv" else f"record {r + 1}"


def _show(value) -> str:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return "(missing)"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


def _problem(ds: RawDataset, var: str, rule: str, message: str, mask, columns=None) -> Problem:
    mask = np.asarray(mask, dtype=bool)
    return Problem(
        ds.name, var, rule, message, int(mask.sum()), _examples(ds, mask, columns or [var])
    )


def _is_blank(series: pd.Series) -> np.ndarray:
    if series.dtype == object:
        return (series == "").to_numpy()
    return series.isna().to_numpy()


def validate_dataset(ds: RawDataset, spec: DomainSpec | None, required: set[str]) -> list[Problem]:
    """Rules local to one dataset."""
    frame = ds.frame
    problems = list(ds.problems)  # type problems found while reading
    specs = {v.name: v for v in spec.variables} if spec else {}
    needed = {v.name for v in specs.values() if v.required} | set(required)
    missing = sorted(needed - set(frame.columns))
    for var in missing:
        problems.append(
            Problem(ds.name, var, "required", "required variable is missing from the dataset", 0)
        )
    for var, vspec in specs.items():
        if var not in frame.columns:
            continue
        series = frame[var]
        problems += _type_problems(ds, vspec, series)
        numeric = pd.api.types.is_numeric_dtype(series)
        for rule in vspec.rules:
            if rule == "not-missing":
                mask = _is_blank(series)
                if mask.any():
                    problems.append(_problem(ds, var, rule, "value is missing", mask))
            elif rule == "unique":
                mask = series.duplicated(keep=False).to_numpy() & ~_is_blank(series)
                if mask.any():
                    n = int(series[mask].nunique())
                    problems.append(
                        _problem(ds, var, rule, f"{n} value(s) occur more than once", mask)
                    )
            elif rule == "binary01" and numeric:
                mask = (~series.isin([0, 1]) & series.notna()).to_numpy()
                if mask.any():
                    problems.append(
                        _problem(ds, var, rule, "must be 0 (event) or 1 (censored)", mask)
                    )
            elif rule == "nonneg" and numeric:
                mask = (series < 0).to_numpy()
                if mask.any():
                    problems.append(_problem(ds, var, rule, "must not be negative", mask))
    for var in frame.columns:
        if var.endswith("FL") and frame[var].dtype == object:
            mask = ~frame[var].isin(["Y", "N", ""]).to_numpy()
            if mask.any():
                problems.append(_problem(ds, var, "flag", "a flag must be 'Y', 'N' or blank", mask))
    for start, end in spec.date_order if spec else ():
        if start in frame.columns and end in frame.columns:
            a, b = frame[start], frame[end]
            if pd.api.types.is_datetime64_any_dtype(a) and pd.api.types.is_datetime64_any_dtype(b):
                mask = (a > b).to_numpy()
                if mask.any():
                    problems.append(
                        _problem(
                            ds,
                            f"{start}/{end}",
                            "date-order",
                            f"{start} is after {end}",
                            mask,
                            [start, end],
                        )
                    )
    return problems


def _type_problems(ds: RawDataset, vspec: VariableSpec, series: pd.Series) -> list[Problem]:
    is_dt = pd.api.types.is_datetime64_any_dtype(series)
    is_num = pd.api.types.is_numeric_dtype(series) and not is_dt
    actual = "date" if is_dt else "num" if is_num else "text"
    if actual == vspec.type or (vspec.type == "num" and actual == "date"):
        return []
    if ds.path.suffix.lower() == ".csv" and actual == "text":
        return []  # already reported by the CSV reader with the offending values
    want = {"num": "numeric", "date": "a date", "text": "character"}[vspec.type]
    return [
        Problem(
            ds.name, vspec.name, "type", f"must be {want}, but the file stores it as {actual}", 0
        )
    ]


def validate_across(datasets: dict[str, RawDataset], config: StudyConfig) -> list[Problem]:
    """Rules that need ADSL and the study file: subjects known to ADSL, arms the study lists."""
    problems: list[Problem] = []
    adsl = datasets.get("adsl")
    if adsl is None:
        return problems
    if adsl.frame.empty and len(adsl.frame.columns):
        problems.append(
            Problem(adsl.name, "", "records", "ADSL holds no subjects (a header and no rows)", 0)
        )
    if "USUBJID" not in adsl.frame.columns:
        return problems
    known = set(adsl.frame["USUBJID"])
    for role, ds in datasets.items():
        if role == "adsl" or "USUBJID" not in ds.frame.columns:
            continue
        mask = (~ds.frame["USUBJID"].isin(known)).to_numpy() & ~_is_blank(ds.frame["USUBJID"])
        if mask.any():
            n = ds.frame.loc[mask, "USUBJID"].nunique()
            problems.append(
                _problem(
                    ds, "USUBJID", "in-adsl", f"{n} subject(s) not in ADSL ({adsl.name})", mask
                )
            )
    levels = set(config.arms.levels)
    frame = adsl.frame
    for name, pop in config.populations.items():
        var = pop.arm_var
        if not pop.variables() <= set(frame.columns):
            continue  # reported as [required]
        if pop.flag and frame[pop.flag].dtype != object:
            problems.append(
                Problem(
                    adsl.name,
                    pop.flag,
                    "flag",
                    f"populations.{name}.flag: a population flag is text ('Y' = in the "
                    "population); the file stores it as numbers",
                    0,
                )
            )
            continue
        if pop.where:
            wrong = expr.type_problems(expr.parse(pop.where), frame)
            problems += [
                Problem(adsl.name, f"populations.{name}.where", "where", text, 0) for text in wrong
            ]
            if wrong:
                continue
        in_pop = population_rows(frame, config, name)
        mask = in_pop & ~frame[var].isin(levels).to_numpy()
        if mask.any():
            bad = sorted(set(frame.loc[mask, var].astype(str)))
            problems.append(
                _problem(
                    adsl,
                    var,
                    "arm",
                    f"values {bad} (population {name}"
                    + (f": {pop.rule()}" if pop.where else "")
                    + f") are not arms of the study file (arms.levels = {config.arms.levels})",
                    mask,
                )
            )
    return problems


def population_rows(frame: pd.DataFrame, config: StudyConfig, population: str) -> np.ndarray:
    """Rows of ADSL in a population: its flag is 'Y' and its ``where`` expression holds."""
    pop = config.populations[population]
    mask = np.ones(len(frame), dtype=bool)
    if pop.flag:
        mask &= (frame[pop.flag] == "Y").to_numpy()
    if pop.where:
        mask &= expr.evaluate(expr.parse(pop.where), frame)
    return mask
