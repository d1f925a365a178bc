"""What a BDS output reads: a block's prepared records (:class:`BdsData`, made by
:func:`csrgen.outputs.bds_records.prepare_block`), its timepoint groups, and the keys that name
visits, blocks and settings the same way everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from csrgen.config import BdsSettings, StudyConfig
from csrgen.datasets import ARM
from csrgen.errors import Problem
from csrgen.formatting import fmt_count

MAX_EXAMPLES = 5
#: Visit texts that mean "no analysis visit" (the CDISC pilot's unscheduled records have ".").
NO_VISIT = ("", ".")


def visit_key(visit: str, timepoint: str = "") -> str:
    """The ARD ``timepoint`` (and the analyses' visit key) of a visit at a timepoint: the visit,
    or ``"<visit> / <timepoint>"`` when the block has timepoints."""
    return f"{visit} / {timepoint}" if timepoint else visit


@dataclass(frozen=True)
class TimepointGroup:
    """The parameters measured at one timepoint ("" when the block has none) and the visit keys
    of their rows (baseline first)."""

    timepoint: str
    params: tuple[str, ...]
    visits: tuple[str, ...]

    @property
    def baseline(self) -> str:
        return self.visits[0]

    @property
    def post_visits(self) -> tuple[str, ...]:
        return self.visits[1:]


@dataclass(frozen=True)
class BdsData:
    """A block's records prepared for the ``ard_bds_*`` functions (see the module docstring)."""

    name: str
    #: How the study file names the block: ``bds.vitals`` or ``labs``.
    key: str
    settings: BdsSettings
    file: str
    subjects: pd.DataFrame
    #: The ADaM arm variable (ARD ``group_var``).
    group_var: str
    #: By-visit records, one per subject, parameter and visit key: USUBJID, PARAMCD and AVISIT
    #: (categoricals of ``params`` and every group's visit keys), TIMEPOINT, AVAL, BASE, CHG,
    #: the arm (``_ARM``) and ROW (the record's position in the dataset).
    records: pd.DataFrame
    params: list[str]
    groups: tuple[TimepointGroup, ...]
    #: Visit names in display order, baseline first (the same for every timepoint).
    visits: list[str]
    labels: dict[str, str] = field(default_factory=dict)
    decimals: dict[str, int] = field(default_factory=dict)
    #: Each parameter's category (``parcat_var``), where the data have one.
    categories: dict[str, str] = field(default_factory=dict)
    #: AVISITN of each visit name (when the data have it): positions on a time axis.
    visit_numbers: dict[str, float] = field(default_factory=dict)
    #: Dataset positions of the baseline records (one per subject, parameter, timepoint) and of
    #: every other analysis record at any visit (rules 1-3): the worst-value outputs keep those
    #: on or after their first post-baseline study day.
    baseline_rows: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    other_rows: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    problems: tuple[Problem, ...] = ()
    warnings: tuple[str, ...] = ()
    #: The dataset has derived records (DTYPE) that the rules left out.
    derived_left_out: bool = False

    @property
    def empty(self) -> bool:
        return self.subjects.empty or self.records.empty

    def has_data(self, param: str, timepoint: str = "") -> bool:
        return (param, timepoint) in self._with_data

    @cached_property
    def _with_data(self) -> frozenset[tuple[str, str]]:
        pairs = self.records[["PARAMCD", "TIMEPOINT"]].drop_duplicates().astype(str)
        return frozenset(map(tuple, pairs.to_numpy()))

    def timepoint_label(self, timepoint: str) -> str:
        return self.settings.timepoint_labels.get(timepoint, timepoint)

    def block_label(self, param: str, timepoint: str = "", sep: str = ", ") -> str:
        """The parameter's label, with its timepoint when it has one (``sep="\n"``: on a line
        of its own, for a stub header)."""
        label = self.labels.get(param, param)
        return f"{label}{sep}{self.timepoint_label(timepoint)}" if timepoint else label

    def group(self, timepoint: str) -> TimepointGroup:
        return next(g for g in self.groups if g.timepoint == timepoint)

    def blocks(self, params: Sequence[str]) -> list[tuple[str, str]]:
        """(parameter, timepoint) of each block in display order: a parameter measured at
        several timepoints gets one block per timepoint; one without data a block of its own."""
        out = []
        for param in params:
            found = [(param, g.timepoint) for g in self.groups if param in g.params]
            out += found or [(param, "")]
        return out


def numbers_at(frame: pd.DataFrame, var: str, rows: np.ndarray) -> np.ndarray:
    """``var`` of the records at ``rows`` as floats: NaN where blank or not a number (a CSV
    column without a type spec and without a value is read as text)."""
    if var not in frame.columns:
        return np.full(len(rows), np.nan)
    values = frame[var].to_numpy()[rows]
    return pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)


def derived_mask(frame: pd.DataFrame, s: BdsSettings) -> np.ndarray:
    """Records left out as derived (rule 1): DTYPE not blank and not among ``keep_dtypes``."""
    if "DTYPE" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    codes, uniques = pd.factorize(frame["DTYPE"])
    derived = [str(u).strip() != "" and str(u).strip() not in s.keep_dtypes for u in uniques]
    return np.array(derived + [False], dtype=bool)[codes]


def block_key(param: str, timepoint: str = "") -> str:
    """The key of a block's anchor (:func:`csrgen.outputs.base.block_id`)."""
    return f"{param} {timepoint}" if timepoint else param


def settings_key(config: StudyConfig, name: str) -> str:
    """``labs`` (the synonym table) or ``bds.<name>``: where the study file holds the block."""
    return "labs" if name == "labs" and config.labs is not None else f"bds.{name}"


def counts_text(values: np.ndarray) -> str:
    """``Unscheduled 1.1: 606, Week 2: 12, ...``: the most frequent values (at most five)."""
    counts = pd.Series(values).map(lambda v: str(v) or "(blank)").value_counts(sort=False)
    counts = counts.sort_values(ascending=False, kind="mergesort")
    shown = [f"{v}: {fmt_count(int(n))}" for v, n in counts.head(MAX_EXAMPLES).items()]
    more = len(counts) - MAX_EXAMPLES
    return ", ".join(shown) + (f", and {more} more" if more > 0 else "")


def combine_codes(parts: Sequence[np.ndarray]) -> np.ndarray:
    """One integer per row from several non-negative integer codes (a composite key)."""
    key = np.zeros(len(parts[0]), dtype=np.int64)
    for part in parts:
        part = np.asarray(part, dtype=np.int64)
        key = key * (int(part.max(initial=0)) + 2) + part + 1
    return key


def arm_problems(data, subjects, var: str, where: str, levels) -> list[Problem]:
    bad = subjects[ARM].isna()
    if not bad.any():
        return []
    return [
        Problem(
            data.file_name("adsl"),
            var,
            "arm",
            f"values {sorted(set(subjects.loc[bad, var].astype(str)))} ({where}.arm_var) are "
            f"not arms of the study file (arms.levels = {list(levels)})",
            int(bad.sum()),
            tuple(
                f"USUBJID={u}: {var}={v!r}"
                for u, v in subjects.loc[bad, ["USUBJID", var]].head(MAX_EXAMPLES).values
            ),
        )
    ]
