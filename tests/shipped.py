"""The shipped studies' documents, built once per test session and shared by the tests that
read them (the narrative checks, the document checks): each build runs every output."""

from __future__ import annotations

from functools import cache

from csrgen.document.model import Document
from csrgen.report import assemble, prepare_study, run_outputs
from tests.studies import PILOT_STUDY, SEED_STUDY

STUDIES = {"seed": SEED_STUDY, "pilot": PILOT_STUDY}


@cache
def shipped_document(name: str) -> Document:
    """The document model of a shipped study ("seed", "pilot"), as `csrgen report` builds it."""
    prep = prepare_study(STUDIES[name])
    return assemble(prep, run_outputs(prep))
