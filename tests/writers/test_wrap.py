"""Line wrapping (csrgen.writers.layout.wrap) measures each word once; it breaks exactly where
measuring every trial line whole does (the reference, written out here)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from csrgen.writers.layout import _need, text_width, wrap


def reference(line: str, room: float, size: float, bold: bool) -> list[str]:
    """Greedy wrapping at spaces, each trial line measured whole."""
    out, current = [], ""
    for word in (w for w in line.split(" ") if w):
        trial = f"{current} {word}" if current else word
        if not current or _need(text_width(trial, size, bold)) <= room:
            current = trial
        else:
            out.append(current)
            current = word
    out.append(current)
    return out


@settings(max_examples=400, deadline=None)
@given(
    line=st.text(alphabet=st.sampled_from(list("aW il.-  1é中\n\t")), max_size=120),
    room=st.floats(min_value=0, max_value=600),
    size=st.sampled_from([7, 8, 9, 10, 14]),
    bold=st.booleans(),
)
def test_wrap_breaks_where_whole_trials_do(line, room, size, bold):
    assert wrap(line, room, size, bold) == reference(line, room, size, bold)
