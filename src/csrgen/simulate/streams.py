"""Independent random streams for the datasets added after the first five.

ADSL, ADTTE, ADLB, ADAE and ADEX are drawn from one ``PCG64(seed)`` generator in a fixed order;
a dataset added later must not draw from it, or every draw after its first would move and the
committed files (and the calibration the seed was chosen for) would change. Each added dataset
has its own generator instead, spawned from the same seed with a fixed key
(``SeedSequence(seed, spawn_key=(key,))``; NumPy guarantees the spawned streams are independent
of the parent and of each other). A new dataset takes the next unused key; keys are never reused
or renumbered, so adding a dataset leaves every existing file byte-identical.
"""

from __future__ import annotations

import numpy as np

#: Spawn key of each added dataset's stream. Append only.
STREAM_KEYS: dict[str, int] = {
    "admh": 1,
    "adcm": 2,
    "addv": 3,
    "adeg": 4,
    "advs": 5,
}


def stream(seed: int, dataset: str) -> np.random.Generator:
    """The generator of one added dataset (the same for the same seed, whatever else is drawn)."""
    sequence = np.random.SeedSequence(seed, spawn_key=(STREAM_KEYS[dataset],))
    return np.random.Generator(np.random.PCG64(sequence))
