"""The labs shown near each adverse event of a narrative (narrative_data.labs_near), against
a plain loop written here: for each event of a subject in turn, the subject's lab records
within the window of its onset, then in event, date and parameter order."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from csrgen.outputs.narrative_data import labs_near

DAY0 = pd.Timestamp("2020-01-01")


def reference(events: pd.DataFrame, labs: pd.DataFrame, window: int) -> dict[str, list]:
    out: dict[str, list] = {}
    for u in dict.fromkeys(events["USUBJID"]):
        mine = events.loc[events["USUBJID"] == u].reset_index(drop=True)
        theirs = labs.loc[labs["USUBJID"] == u]
        rows = []
        for pos, onset in enumerate(mine["ASTDT"]):
            if pd.isna(onset):
                continue
            for k, lab in theirs.iterrows():
                if abs((lab["ADT"] - onset).days) <= window:
                    rows.append((pos, lab["ADT"], lab["PARAMCD"], k, lab["AVAL"]))
        rows.sort(key=lambda r: r[:3])  # stable: ties keep the labs' order
        if rows:
            out[u] = [(p, d, c, v) for p, d, c, _, v in rows]
    return out


days = st.one_of(st.none(), st.integers(-20, 40))


@settings(max_examples=80, deadline=None)
@given(
    events=st.lists(st.tuples(st.sampled_from("ABC"), days), max_size=8),
    labs=st.lists(
        st.tuples(st.sampled_from("ABCD"), st.integers(-30, 50), st.sampled_from(["ALT", "AST"])),
        max_size=12,
    ),
    window=st.integers(0, 10),
)
def test_labs_near_each_event_as_a_loop_finds_them(events, labs, window):
    ev = pd.DataFrame(
        {
            "USUBJID": [u for u, _ in events],
            "ASTDT": [DAY0 + pd.Timedelta(days=d) if d is not None else pd.NaT for _, d in events],
        }
    ).sort_values(["USUBJID"], kind="mergesort")
    ev["ASTDT"] = pd.to_datetime(ev["ASTDT"])
    lb = pd.DataFrame(
        {
            "USUBJID": [u for u, _, _ in labs],
            "ADT": pd.to_datetime([DAY0 + pd.Timedelta(days=d) for _, d, _ in labs]),
            "PARAMCD": [p for _, _, p in labs],
            "AVAL": [float(i) for i in range(len(labs))],  # tells records apart
        }
    )
    got = labs_near(ev, lb, window)
    assert list(got.columns) == [*lb.columns, "_EVENT"]
    found = {
        u: list(zip(g["_EVENT"], g["ADT"], g["PARAMCD"], g["AVAL"], strict=True))
        for u, g in got.groupby("USUBJID", sort=False)
    }
    assert found == reference(ev, lb, window)
