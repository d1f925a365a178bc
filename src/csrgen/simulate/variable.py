"""The variable metadata record and the column container of the generated datasets."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: Columns of a dataset under construction: name -> one numpy array per variable.
Columns = dict[str, np.ndarray]


class Variable(NamedTuple):
    name: str
    label: str
    type: str  # "text", "num" or "date"
    values: str  # values or derivation, for the README
