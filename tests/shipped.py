"""The shipped studies' documents, built once per test session and shared by the tests that
read them (the narrative checks, the document checks): each build runs every output."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from csrgen.document.model import Document
from csrgen.report import assemble, prepare_study, run_outputs
from tests.studies import ADMIRAL_STUDY, PILOT_STUDY, SEED_STUDY

#: The three shipped study files: the seed study, the CDISC pilot, the study made with admiral.
STUDIES = {"seed": SEED_STUDY, "pilot": PILOT_STUDY, "admiral": ADMIRAL_STUDY}


@dataclass(frozen=True)
class Shipped:
    """A shipped study's document with what the writers and checks need beside it."""

    doc: Document
    #: Every dataset variable with its label (from the files, or ``variables.csv``).
    variables: dict[str, str]
    reference: Path
    template_dirs: tuple[Path, ...]


@cache
def shipped(name: str) -> Shipped:
    """A shipped study ("seed", "pilot", "admiral") as `csrgen report` builds it."""
    from csrgen.resources import find_template, template_dirs

    prep = prepare_study(STUDIES[name])
    doc = assemble(prep, run_outputs(prep))
    reference = find_template("reference.docx", prep.config)
    return Shipped(doc, study_variables(prep), reference, tuple(template_dirs(prep.config)))


def shipped_document(name: str) -> Document:
    """The document model of a shipped study (a key of :data:`STUDIES`)."""
    return shipped(name).doc


def study_variables(prep) -> dict[str, str]:
    """Every dataset variable of a study with its label (from the files, or from the type spec
    ``variables.csv`` beside CSV data)."""
    variables: dict[str, str] = {}
    for role, frame in prep.data.frames.items():
        labels = prep.data.labels.get(role, {})
        for name in frame.columns:
            variables.setdefault(name, labels.get(name, ""))
    spec = prep.data_dir / "variables.csv"
    if spec.exists():
        for row in pd.read_csv(spec, dtype=str, keep_default_na=False).itertuples():
            if not variables.get(row.variable):
                variables[row.variable] = row.label
    return variables
