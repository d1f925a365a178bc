"""Datasets layer: read every file of a study once, validate it once, hand on typed frames."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from csrgen.config import StudyConfig
from csrgen.datasets.readers import (
    RawDataset,
    ReadError,
    derive_dates,
    numbers_as_text,
    read_dataset,
)
from csrgen.datasets.typespec import TYPE_SPEC_FILE, read_type_spec_checked
from csrgen.datasets.validate import (
    domain_specs,
    population_rows,
    required_by_config,
    validate_across,
    validate_dataset,
)
from csrgen.errors import DataValidationError, Problem

__all__ = [
    "ARM",
    "StudyData",
    "load_study_data",
    "read_study_data",
    "TYPE_SPEC_FILE",
    "read_type_spec",
    "population_rows",
    "population_subjects",
]

#: Column added by :func:`population_subjects`: the analysis arm (never a CDISC name).
ARM = "_ARM"


@dataclass(frozen=True)
class StudyData:
    """The validated datasets of one study, by role (adsl, adtte, adlb, adae, adex)."""

    frames: Mapping[str, pd.DataFrame]
    files: Mapping[str, Path]
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: What the run must tell the user although nothing is wrong (a date derived from a
    #: datetime): one line each, printed by the command line.
    warnings: tuple[str, ...] = ()

    def __getitem__(self, role: str) -> pd.DataFrame:
        return self.frames[role]

    def __contains__(self, role: str) -> bool:
        return role in self.frames

    def file_name(self, role: str) -> str:
        return self.files[role].name


@cache
def standard_labels() -> dict[str, str]:
    """Labels of common ADaM variables (``adam_labels.toml``), for files that carry none."""
    text = resources.files("csrgen.datasets").joinpath("adam_labels.toml").read_text("utf-8")
    return dict(tomllib.loads(text)["labels"])


def with_standard_labels(labels: Mapping[str, str], columns) -> dict[str, str]:
    """A dataset's labels with the standard ADaM label of each column the file left unlabelled."""
    standard = standard_labels()
    own = dict(labels)
    for name in columns:
        if not own.get(name) and name in standard:
            own[name] = standard[name]
    return own


def read_type_spec(data_dir: Path, encoding: str = "utf-8") -> dict[str, dict[str, str]]:
    """``variables.csv`` beside CSV data: {DATASET: {VARIABLE: type}}; empty when absent.
    Raises :class:`~csrgen.errors.DataValidationError` naming every problem of the file."""
    spec, problems = read_type_spec_checked(data_dir, encoding)
    if problems:
        raise DataValidationError(problems)
    return spec


def load_study_data(
    config: StudyConfig,
    data_dir: Path,
    required: Mapping[str, set[str]] | None = None,
) -> StudyData:
    """Read and validate every dataset the study file names.

    ``required`` adds variables the outputs need, by role. Raises
    :class:`~csrgen.errors.DataValidationError` listing every problem in every file.
    """
    data, problems = read_study_data(config, data_dir, required)
    if problems:
        raise DataValidationError(problems)
    return data


def read_study_data(
    config: StudyConfig,
    data_dir: Path,
    required: Mapping[str, set[str]] | None = None,
    on_read: Callable[[str, int], None] | None = None,
) -> tuple[StudyData, list[Problem]]:
    """Every dataset the study file names, read and validated: the datasets that could be read
    and every problem found (the caller decides what runs on them; see
    :func:`load_study_data`).

    A date variable the study needs (``TRTSDT``) that is absent while its datetime (``TRTSDTM``)
    is present is derived from the datetime's date part, with a warning; identifiers the specs
    call text (SUBJID, SITEID) but a file stores as numbers are read as text, with a warning.
    ``on_read(role, rows)`` is told of each dataset as it is read (progress).
    """
    specs = domain_specs()
    type_spec, problems = read_type_spec_checked(data_dir, config.data.encoding)
    needed: dict[str, set[str]] = {role: set() for role in config.data.datasets}
    for source in (required_by_config(config), required or {}):
        for role, names in source.items():
            needed.setdefault(role, set()).update(names)

    warnings: list[str] = []
    raw: dict[str, RawDataset] = {}
    for role, name in config.data.datasets.items():
        path = data_dir / name
        spec = specs.get(role)
        types = dict(spec.types) if spec else {}
        types.update(type_spec.get(Path(name).stem.upper(), {}))
        try:
            raw[role] = read_dataset(path, role, types, config.data.encoding)
        except ReadError as exc:
            problems.append(exc.problem)
            continue
        if on_read is not None:
            on_read(role, len(raw[role].frame))
        warnings += raw[role].warnings
        warnings += derive_dates(raw[role], needed.get(role, set()))
        if spec is not None:
            text = {v.name for v in spec.variables if v.type == "text"}
            warnings += numbers_as_text(raw[role], text)
    for role, ds in raw.items():
        problems += validate_dataset(ds, specs.get(role), needed.get(role, set()))
    problems += validate_across(raw, config)
    for role in sorted(set(needed) - set(config.data.datasets)):
        if needed[role]:
            problems.append(
                Problem(
                    str(config.path.name),
                    f"data.datasets.{role}",
                    "required",
                    f"an output needs {role.upper()}, but the study file names no file for it",
                    0,
                )
            )
    data = StudyData(
        frames={role: ds.frame for role, ds in raw.items()},
        files={role: ds.path for role, ds in raw.items()},
        labels={
            role: with_standard_labels(ds.labels, ds.frame.columns) for role, ds in raw.items()
        },
        warnings=tuple(warnings),
    )
    return data, problems


def roles_with_problems(config: StudyConfig, problems: list[Problem]) -> set[str]:
    """Dataset roles whose file has a problem (or that the study file does not name)."""
    files = {Path(name).name: role for role, name in config.data.datasets.items()}
    bad = set()
    for p in problems:
        name = p.file.split(":", 1)[0]  # "adlbc.zip:ADLBC.xpt" -> the zip
        if name in files:
            bad.add(files[name])
        elif p.variable.startswith("data.datasets."):
            bad.add(p.variable.removeprefix("data.datasets."))
    return bad


def population_subjects(data: StudyData, config: StudyConfig, population: str) -> pd.DataFrame:
    """ADSL rows of a population with ``_ARM``: an ordered categorical of the study's arm levels.

    The arm always comes from ADSL (the population's ``arm_var``), so that BDS and OCCDS
    datasets are analysed by the same arm assignment; merge on USUBJID to use it.
    """
    pop = config.populations[population]
    adsl = data["adsl"]
    if pop.flag or pop.where:
        adsl = adsl.loc[population_rows(adsl, config, population)]
    out = adsl.copy()
    out[ARM] = pd.Categorical(out[pop.arm_var], categories=config.arms.levels, ordered=True)
    return out.reset_index(drop=True)
