"""The catalog: every output module csrgen knows, listed explicitly, and the one runner.

A study file's ``[[outputs]]`` entry names a module by slug (``module``, default its ``id``).
Modules are imported when first used so that ``csrgen --help`` stays fast.

The catalog also gathers what the modules check before any statistic is computed:

* :func:`load_study_outputs`: the study file with every output's ``options`` (the module's
  ``Options`` model) and the module's own cross references (``requires`` raising
  :class:`~csrgen.errors.ConfigError`), every problem of the file in one error;
* :func:`check_outputs`: each module's optional ``check(ctx) -> list[Problem]`` on the
  validated data (rules that ``prepare`` then assumes), every problem of every output at once.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
from pydantic import ValidationError

from csrgen.ard import apply_formats, check_ard, normalise
from csrgen.config import StudyConfig, read_study_file, validate_study, validation_lines
from csrgen.datasets import StudyData
from csrgen.document.model import Block
from csrgen.errors import ConfigError, Problem
from csrgen.lock import LockInfo
from csrgen.outputs.base import OutputContext

#: slug -> module path. Add new outputs here.
CATALOG: dict[str, str] = {
    "t_demog": "csrgen.outputs.t_demog",
    "t_ae_overview": "csrgen.outputs.t_ae_overview",
    "t_ae_soc_pt": "csrgen.outputs.t_ae_soc_pt",
    # any BDS dataset (labs, vital signs, ECG, scores): by visit, thresholds, shifts, listing
    "t_bds_summary": "csrgen.outputs.t_bds_summary",
    "t_bds_ancova": "csrgen.outputs.t_bds_ancova",
    "f_bds_mean": "csrgen.outputs.f_bds_mean",
    "t_bds_cat": "csrgen.outputs.t_bds_cat",
    "t_bds_shift": "csrgen.outputs.t_bds_shift",
    "l_bds_abn": "csrgen.outputs.l_bds_abn",
    # hepatotoxicity from a lab block: eDISH, potential Hy's law and its subjects' liver tests
    "t_hys_law": "csrgen.outputs.t_hys_law",
    "f_edish": "csrgen.outputs.f_edish",
    "l_hys_law": "csrgen.outputs.l_hys_law",
    # disposition, exposure, deaths, lab shifts and the section 16.2 listings
    "t_disp": "csrgen.outputs.t_disp",
    "t_exposure": "csrgen.outputs.t_exposure",
    "t_deaths": "csrgen.outputs.t_deaths",
    "l_deaths": "csrgen.outputs.l_deaths",
    "narratives": "csrgen.outputs.narratives",
    "l_sae": "csrgen.outputs.l_sae",
    "l_ae": "csrgen.outputs.l_ae",
    "l_disc": "csrgen.outputs.l_disc",
    "t_tte": "csrgen.outputs.t_tte",
    "f_km": "csrgen.outputs.f_km",
    "t_cif": "csrgen.outputs.t_cif",
    "f_cif": "csrgen.outputs.f_cif",
    # the treatment effect by subgroup (table and forest plot)
    "t_tte_subgroup": "csrgen.outputs.t_tte_subgroup",
    "f_forest": "csrgen.outputs.f_forest",
    # medications, medical history and protocol deviations (OCCDS) with their listings
    "t_cm": "csrgen.outputs.t_cm",
    "t_mh": "csrgen.outputs.t_mh",
    "t_dv": "csrgen.outputs.t_dv",
    "l_cm": "csrgen.outputs.l_cm",
    "l_mh": "csrgen.outputs.l_mh",
    "l_dv": "csrgen.outputs.l_dv",
}


#: Earlier slugs of the BDS outputs, kept working: each names the same module.
SYNONYMS: dict[str, str] = {
    "t_lab_summary": "t_bds_summary",
    "t_lab_ancova": "t_bds_ancova",
    "f_lab_mean": "f_bds_mean",
    "t_lab_shift": "t_bds_shift",
    "l_lab_abn": "l_bds_abn",
}
CATALOG.update({old: CATALOG[new] for old, new in SYNONYMS.items()})
#: The outputs of a ``[bds.<name>]`` block (their ``options.bds``).
BDS_MODULES = frozenset(
    {
        "t_bds_summary",
        "t_bds_ancova",
        "f_bds_mean",
        "t_bds_cat",
        "t_bds_shift",
        "l_bds_abn",
        "t_hys_law",
        "f_edish",
        "l_hys_law",
    }
)


def canonical(slug: str) -> str:
    """The module's own slug (``t_lab_summary`` -> ``t_bds_summary``): formats declared for a
    module and the narrative's choice of outputs use it, whichever synonym a study file uses."""
    return SYNONYMS.get(slug, slug)


@dataclass(frozen=True)
class OutputResult:
    output_id: str
    ard: pd.DataFrame
    blocks: tuple[Block, ...]


def get_module(slug: str) -> ModuleType:
    return importlib.import_module(CATALOG[slug])


def load_study_outputs(path: str | Path) -> tuple[StudyConfig, dict[str, object]]:
    """The study file and each output's validated options, or one :class:`ConfigError` listing
    every problem: TOML, types, meanings, cross references, each output's options and each
    module's own references to the rest of the file (an endpoint, a population, an arm)."""
    raw = read_study_file(path)
    config, errors = validate_study(raw, path)
    outputs = raw.get("outputs")
    options, option_errors = _options_of(str(path), outputs if isinstance(outputs, list) else [])
    errors += option_errors
    if config is not None and not option_errors:
        errors += _requirement_errors(config, options)
    if errors:
        raise ConfigError("\n".join(dict.fromkeys(errors)))
    return config, options


def _options_of(source: str, outputs: list[Any]) -> tuple[dict[str, object], list[str]]:
    """Each output's options validated by its module's ``Options`` (outputs given as TOML data,
    so that they are checked even when another part of the file is invalid)."""
    errors: list[str] = []
    resolved: dict[str, object] = {}
    for i, out in enumerate(outputs):
        if not isinstance(out, dict):
            continue  # reported by the study file's own validation
        slug = out.get("module") or out.get("id")
        options = out.get("options", {})
        if not isinstance(slug, str) or not isinstance(options, dict):
            continue
        if slug not in CATALOG:
            errors.append(
                f"{source}: outputs[{i}].module: unknown output {slug!r}; "
                f"known: {', '.join(sorted(CATALOG))}"
            )
            continue
        try:
            resolved[str(out.get("id"))] = get_module(slug).Options.model_validate(options)
        except ValidationError as exc:
            errors += [
                f"{source}: {line}" for line in validation_lines(exc, f"outputs[{i}].options")
            ]
    return resolved, errors


def resolve_options(config: StudyConfig) -> dict[str, object]:
    """Validate every output's ``options`` with its module's model; all errors at once."""
    outputs = [spec.model_dump(exclude_defaults=False) for spec in config.outputs]
    options, errors = _options_of(str(config.path), outputs)
    if errors:
        raise ConfigError("\n".join(errors))
    return options


def _requirement_errors(config: StudyConfig, options: dict[str, object]) -> list[str]:
    """The modules' own checks of the study file (``requires`` raises :class:`ConfigError`
    for an endpoint, population or arm the file does not define), all of them."""
    errors = []
    for spec in config.outputs:
        try:
            get_module(spec.slug).requires(config, spec, options[spec.id])
        except ConfigError as exc:
            errors.append(str(exc))
    return errors


def requirements(config: StudyConfig, options: dict[str, object]) -> dict[str, set[str]]:
    """Variables each dataset must have for the study's outputs, by dataset role."""
    errors = _requirement_errors(config, options)
    if errors:
        raise ConfigError("\n".join(dict.fromkeys(errors)))
    needed: dict[str, set[str]] = {}
    for spec in config.outputs:
        for role, names in get_module(spec.slug).requires(config, spec, options[spec.id]).items():
            needed.setdefault(role, set()).update(names)
    return needed


def check_outputs(
    config: StudyConfig,
    options: dict[str, object],
    data: StudyData,
    lock: LockInfo,
    skip_roles: Iterable[str] = (),
    warnings: list[str] | None = None,
) -> list[Problem]:
    """Every output module's ``check(ctx)`` on the validated data: all problems, each once.

    ``check`` is optional; it returns :class:`~csrgen.errors.Problem` s for data that break a
    rule the module's ``prepare`` relies on (one record per subject, parameter and visit,
    severities the study file lists, arm values, ...), and may append lines to
    ``ctx.warnings`` (records a declared rule left out, with counts): they are collected into
    ``warnings``, each once, in order. Outputs that read a dataset in ``skip_roles`` (one with
    problems of its own) are not checked: their rules assume a valid dataset.
    """
    skip = set(skip_roles)
    problems: list[Problem] = []
    sink: list[str] = []
    for spec in config.outputs:
        module = get_module(spec.slug)
        check = getattr(module, "check", None)
        if check is None:
            continue
        roles = set(module.requires(config, spec, options[spec.id])) | {"adsl"}
        if roles & skip or not roles <= set(data.frames):
            continue
        ctx = OutputContext(config, spec, options[spec.id], data, lock, warnings=sink)
        problems += check(ctx)
    if warnings is not None:
        warnings.extend(w for w in dict.fromkeys(sink) if w not in warnings)
    return list(dict.fromkeys(problems))


def work_group(spec, options) -> str:
    """The group of outputs that share intermediate results with this one.

    A module may define ``shares(options) -> str``: outputs naming the same key reuse each
    other's memoised work (an endpoint's survival statistics for its table and its figure; the
    prepared lab records for the lab tables and figure) when they run in the same process, so
    the report runs a group in one worker. Without it an output is a group of its own.
    """
    shares = getattr(get_module(spec.slug), "shares", None)
    key = shares(options) if shares is not None else ""
    return key or f"output:{spec.id}"


def run_output(ctx: OutputContext) -> OutputResult:
    """pre-processing -> analysis (ARD) -> formats -> build, the same for every output."""
    module = get_module(ctx.spec.slug)
    prepared = module.prepare(ctx)
    ard = module.analyze(ctx, prepared)
    ard = normalise(ard.assign(output_id=ctx.spec.id))
    decimals = getattr(module, "decimals", None)
    data_decimals = decimals(ctx, prepared) if decimals else 0
    ard = apply_formats(ard, ctx.formats, canonical(ctx.spec.slug), data_decimals)
    problems = check_ard(ard)
    if problems:  # a bug in the output module, not a user error: fail loudly
        raise AssertionError(f"{ctx.spec.id}: malformed ARD: {problems}")
    blocks = tuple(module.build(ctx, prepared, ard))
    return OutputResult(ctx.spec.id, ard, blocks)


def rebuild_output(ctx: OutputContext, ard: pd.DataFrame) -> OutputResult:
    """The output's blocks from its (cached) ARD: pre-processing and build, no statistic."""
    module = get_module(ctx.spec.slug)
    prepared = module.prepare(ctx)
    return OutputResult(ctx.spec.id, ard, tuple(module.build(ctx, prepared, ard)))


def declared_roles(ctx: OutputContext) -> set[str]:
    """The datasets an output declares it reads (its ``requires``)."""
    module = get_module(ctx.spec.slug)
    return set(module.requires(ctx.config, ctx.spec, ctx.options))
