"""The snapshot's records at scale: keys and hashes computed column by column (Arrow, no
per-record Python objects) and streamed into the file, equal to what the plain pandas/json
computation gives."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import pandas as hpd

from csrgen.document import snapshot
from csrgen.document.snapshot import (
    SEP,
    Records,
    Snapshot,
    _arrow_text,
    _key_array,
    _text,
    record_hashes,
    write_snapshot,
)

texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8)


def reference_keys(role: str, frame: pd.DataFrame) -> list[str]:
    """The key texts by plain Python: variables joined, the n-th repeat numbered."""
    names = snapshot.record_key_vars(role, frame)
    joined = [SEP.join(_text(frame[n]).iloc[i] for n in names) for i in range(len(frame))]
    seen: dict[str, int] = {}
    out = []
    for key in joined:
        seen[key] = seen.get(key, 0) + 1
        out.append(key if seen[key] == 1 else f"{key} #{seen[key]}")
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hpd.data_frames(
        [
            hpd.column("USUBJID", elements=st.sampled_from(["01-001", "01-002", 'a"b\\c'])),
            hpd.column("AESEQ", elements=st.one_of(st.integers(1, 4).map(float), st.just(np.nan))),
            hpd.column("AETERM", elements=texts),
        ]
    )
)
def test_keys_equal_the_plain_python_keys(frame):
    assert _key_array("adae", frame).to_pylist() == reference_keys("adae", frame)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=False, width=64),
            st.integers(-(10**6), 10**6).map(float),
        ),
        max_size=12,
    )
)
def test_number_texts_equal_pandas_texts(values):
    series = pd.Series(values, dtype="float64")
    assert _arrow_text(series).to_pylist() == _text(series).tolist()


def test_date_and_string_texts_equal_pandas_texts():
    dates = pd.Series(pd.to_datetime(["2024-01-31", None, "1999-12-01 13:45"], format="ISO8601"))
    assert _arrow_text(dates).to_pylist() == ["2024-01-31", "", "1999-12-01"]
    words = pd.Series(["x", None, "é ü", np.nan], dtype=object)
    assert _arrow_text(words).to_pylist() == _text(words).tolist() == ["x", "", "é ü", ""]
    ints = pd.Series([1, 2, 30], dtype="int64")
    assert _arrow_text(ints).to_pylist() == ["1", "2", "30"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hpd.data_frames(
        [
            hpd.column("B", elements=texts),
            hpd.column("A", elements=st.floats(allow_nan=True, width=64)),
            hpd.column("C", elements=st.integers(-5, 5)),
        ]
    )
)
def test_record_hashes_equal_pandas_on_the_frame_with_sorted_columns(frame):
    # the reference: pandas' own hash of the whole frame, its columns in name order
    expected = pd.util.hash_pandas_object(frame[sorted(frame.columns)], index=False).to_numpy()
    assert np.array_equal(record_hashes(frame), expected)


@pytest.mark.parametrize("chunk", [1, 2, 3, 1 << 20])
def test_streamed_records_are_the_json_object_of_keys_and_hashes(tmp_path, monkeypatch, chunk):
    import pyarrow as pa

    monkeypatch.setattr(snapshot, "_CHUNK", chunk)
    keys = ["01-001 | 1", 'quote " | 2', "back\\slash", "tab\there", "ünïcode | 3", "line\nend"]
    hashes = np.array([0, 1, 2**64 - 1, 255, 2**63, 12345], dtype=np.uint64)
    records = Records(pa.array(keys, type=pa.string()), hashes)
    snap = Snapshot(
        study_id="s",
        lock_id="",
        lock_date="",
        arms={"01-001": "A"},
        datasets={
            "adae": {"file": "adae.csv", "key": ["USUBJID"], "columns": [], "records": records},
            "adsl": {
                "file": "adsl.csv",
                "key": [],
                "columns": [],
                "records": Records(pa.array([], type=pa.string()), np.array([], np.uint64)),
            },
        },
        events={},
        tables={},
    )
    path = tmp_path / "s.json.gz"
    write_snapshot(snap, path)
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    data = json.loads(text)
    assert data["datasets"]["adae"]["records"] == {
        k: f"{int(h):016x}" for k, h in zip(keys, hashes, strict=True)
    }
    assert data["datasets"]["adsl"]["records"] == {}
    # the same layout json.dumps(indent=0) gives an object, in file order
    plain = json.dumps(data["datasets"]["adae"]["records"], ensure_ascii=False, indent=0)
    assert plain in text
