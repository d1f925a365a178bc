"""Datasets layer: read every file of a study once, validate it once, hand on typed frames."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from csrgen.config import StudyConfig
from csrgen.datasets.readers import RawDataset, ReadError, numbers_as_text, read_dataset
from csrgen.datasets.validate import (
    domain_specs,
    required_by_config,
    validate_across,
    validate_dataset,
)
from csrgen.errors import DataValidationError, Problem

__all__ = ["ARM", "StudyData", "load_study_data", "read_type_spec", "population_subjects"]

#: Column added by :func:`population_subjects`: the analysis arm (never a CDISC name).
ARM = "_ARM"

#: Optional type spec of a CSV data folder: ``dataset,variable,label,type`` per variable.
TYPE_SPEC_FILE = "variables.csv"


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


def read_type_spec(data_dir: Path) -> dict[str, dict[str, str]]:
    """``variables.csv`` beside CSV data: {DATASET: {VARIABLE: type}}; empty when absent."""
    path = data_dir / TYPE_SPEC_FILE
    if not path.exists():
        return {}
    spec = pd.read_csv(path, dtype=str, keep_default_na=False)
    out: dict[str, dict[str, str]] = {}
    for row in spec.itertuples(index=False):
        out.setdefault(row.dataset.upper(), {})[row.variable] = row.type
    return out


def load_study_data(
    config: StudyConfig,
    data_dir: Path,
    required: Mapping[str, set[str]] | None = None,
) -> StudyData:
    """Read and validate every dataset the study file names.

    ``required`` adds variables the outputs need, by role. Raises
    :class:`~csrgen.errors.DataValidationError` listing every problem in every file.
    """
    specs = domain_specs()
    type_spec = read_type_spec(data_dir)
    needed: dict[str, set[str]] = {role: set() for role in config.data.datasets}
    for source in (required_by_config(config), required or {}):
        for role, names in source.items():
            needed.setdefault(role, set()).update(names)

    problems: list[Problem] = []
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
    if problems:
        raise DataValidationError(problems)
    return StudyData(
        frames={role: ds.frame for role, ds in raw.items()},
        files={role: ds.path for role, ds in raw.items()},
        labels={role: ds.labels for role, ds in raw.items()},
        warnings=tuple(warnings),
    )


def population_subjects(data: StudyData, config: StudyConfig, population: str) -> pd.DataFrame:
    """ADSL rows of a population with ``_ARM``: an ordered categorical of the study's arm levels.

    The arm always comes from ADSL (the population's ``arm_var``), so that BDS and OCCDS
    datasets are analysed by the same arm assignment; merge on USUBJID to use it.
    """
    pop = config.populations[population]
    adsl = data["adsl"]
    if pop.flag:
        adsl = adsl.loc[adsl[pop.flag] == "Y"]
    out = adsl.copy()
    out[ARM] = pd.Categorical(out[pop.arm_var], categories=config.arms.levels, ordered=True)
    return out.reset_index(drop=True)
