"""Chevron's null-report test: every catalogued output, run on data where no subject qualifies,
returns the standard null report ("No data to report") instead of crashing."""

from functools import cache

import pytest

from csrgen.config import load_study
from csrgen.datasets import StudyData
from csrgen.document.model import Figure, Listing, Paragraph, Section, Table
from csrgen.lock import LockInfo
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import CATALOG, canonical, run_output
from csrgen.report import prepare_study
from tests.studies import PHARMAVERSE_STUDY, PILOT_STUDY, SEED_STUDY

STUDIES = {"seed": SEED_STUDY, "pilot": PILOT_STUDY, "pharmaverseadam": PHARMAVERSE_STUDY}


@cache
def prepared(name):
    return prepare_study(STUDIES[name])


def empty(data: StudyData) -> StudyData:
    return StudyData({k: v.head(0) for k, v in data.frames.items()}, data.files, data.labels)


def test_every_catalogued_output_is_used_by_a_shipped_study():
    """Every module (a synonym such as t_lab_summary names the same module as t_bds_summary)."""
    used = {canonical(spec.slug) for name in STUDIES for spec in prepared(name).config.outputs}
    modules = {canonical(slug) for slug in CATALOG}
    assert modules <= used, f"not exercised by any study file: {modules - used}"


CASES = [(name, spec.id) for name, path in STUDIES.items() for spec in load_study(path).outputs]


@pytest.mark.parametrize(("study", "output_id"), CASES)
def test_output_on_empty_data_gives_null_report(study, output_id):
    prep = prepared(study)
    spec = prep.config.output(output_id)
    lock = LockInfo("L", "2020-01-01", {})
    ctx = OutputContext(prep.config, spec, prep.options[spec.id], empty(prep.data), lock)
    result = run_output(ctx)
    assert result.blocks, "an output must always produce at least its null report"
    for block in result.blocks:
        if isinstance(block, Section):  # an output that is a section (the narratives)
            assert block.number and block.title
            assert block.blocks[-1] == Paragraph.of("No data to report")
            continue
        assert isinstance(block, (Table, Figure, Listing))
        assert block.null_reason == "No data to report"
        assert block.number and block.title
