"""``csrgen simulate --format xpt|json``: every format reads back as the CSV's frames, within
the SAS version 5 limits, the same bytes for the same seed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from csrgen.cli import main
from csrgen.config import load_study
from csrgen.datasets import read_study_data
from csrgen.simulate import simulate_study, write_study
from csrgen.simulate.formats import write_xpt

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "report" / "ucmsc-dlc.toml"
FORMATS = ("csv", "parquet", "xpt", "json")


def _study(tmp: Path, fmt: str) -> Path:
    """The seed study file reading 60 simulated subjects in ``fmt``."""
    data = tmp / fmt
    assert (
        main(["simulate", "--subjects", "60", "--seed", "5", "--out", str(data), "--format", fmt])
        == 0
    )
    text = SEED.read_text(encoding="utf-8")
    text = text.replace('dir = "../data/ucmsc-dlc"', f'dir = "{data.as_posix()}"')
    text = text.replace('.csv"', f'.{fmt}"')
    study = tmp / f"sim-{fmt}.toml"
    study.write_text(text, encoding="utf-8")
    return study


@pytest.fixture(scope="module")
def studies(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("formats")
    return {fmt: _study(tmp, fmt) for fmt in FORMATS}


def test_every_format_reads_back_as_the_csv(studies):
    """The frames the report computes on (values and dtypes) are the same from every format,
    and are the simulated frames themselves: so are its numbers."""
    simulated = simulate_study(60, seed=5)
    read = {}
    for fmt, study in studies.items():
        config = load_study(study)
        data, problems = read_study_data(config, config.data_dir(None))
        assert not problems, (fmt, [p.render() for p in problems])
        read[fmt] = data
    for role, frame in read["csv"].frames.items():
        expected = simulated[role]
        pd.testing.assert_frame_equal(frame[expected.columns], expected, check_exact=True)
        for fmt in ("parquet", "xpt", "json"):
            other = read[fmt].frames[role]
            assert list(other.columns) == list(frame.columns), (fmt, role)
            pd.testing.assert_frame_equal(other, frame, check_exact=True, obj=f"{fmt} {role}")


def test_validate_passes_on_every_format(studies, capsys):
    for fmt, study in studies.items():
        assert main(["validate", str(study)]) == 0, fmt
        assert "datasets" in capsys.readouterr().out


def test_xpt_is_sas_version_5_within_its_limits(studies):
    import pyreadstat

    data = studies["xpt"].parent / "xpt"
    for path in sorted(data.glob("*.xpt")):
        head = path.read_bytes()[:80]
        assert head.startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!"), path.name
        _, meta = pyreadstat.read_xport(str(path), metadataonly=True)
        assert all(len(n) <= 8 for n in meta.column_names), path.name
        assert all(len(label or "") <= 40 for label in meta.column_labels), path.name
        assert meta.table_name == path.stem.upper()
    _, meta = pyreadstat.read_xport(str(data / "adsl.xpt"), metadataonly=True)
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["USUBJID"] == "Unique Subject Identifier"
    full = "Reason for Discontinuation of Treatment Phase"  # 45 characters: cut at 40
    assert labels["DCTREAS"] == full[:40].rstrip()


def test_xpt_refuses_what_version_5_cannot_hold(tmp_path):
    with pytest.raises(ValueError, match="longer than 8"):
        write_xpt(pd.DataFrame({"TOOLONGNAME": [1.0]}), tmp_path / "a.xpt", "ADSL", {})
    with pytest.raises(ValueError, match="201 bytes"):
        write_xpt(pd.DataFrame({"X": ["é" * 100 + "a"]}), tmp_path / "a.xpt", "ADSL", {})


def test_same_seed_same_bytes(tmp_path):
    frames = {"adsl": simulate_study(20, seed=2)["adsl"]}
    for fmt in ("xpt", "json"):
        write_study(frames, tmp_path / "a", fmt)
        write_study(frames, tmp_path / "b", fmt)
        name = f"adsl.{fmt}"
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), fmt


def test_dataset_json_shape(studies):
    path = studies["json"].parent / "json" / "adsl.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["datasetJSONVersion"] == "1.1.0"
    assert doc["records"] == len(doc["rows"]) == 60
    kinds = {c["name"]: c["dataType"] for c in doc["columns"]}
    assert kinds["USUBJID"] == "string" and kinds["TRTSDT"] == "date"
    assert kinds["AGE"] == "integer"
    row = dict(zip(kinds, doc["rows"][0], strict=True))
    assert isinstance(row["AGE"], int) and len(row["TRTSDT"]) == 10
    doubles = [i for i, k in enumerate(kinds.values()) if k == "double"]
    values = [r[i] for r in doc["rows"] for i in doubles]
    assert doubles and all(v is None or isinstance(v, float) for v in values)
    assert np.isfinite([v for v in values if v is not None]).all()
