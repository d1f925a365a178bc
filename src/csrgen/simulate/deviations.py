"""ADDV: protocol deviations, by category (DVCAT) and coded term (DVDECOD), MAJOR or MINOR.

Importance is in DVSCAT ("MAJOR"/"MINOR"), as in the ADDV of ``random.cdisc.data`` (the data
behind the ``chevron`` deviation tables, which keep it in DVCAT as well); DVCAT holds the
category, as SDTM's DV domain defines it. Most deviations follow from the other datasets and
agree with them (see :class:`~csrgen.simulate.params_history.DvSpec`); the rest are drawn from
the ``addv`` stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csrgen.simulate.metadata import Columns
from csrgen.simulate.occurrence import (
    concat,
    keys_of,
    offset_dates,
    order,
    pick_terms,
    sequence,
    study_day,
)
from csrgen.simulate.params import SimulationParameters
from csrgen.simulate.subjects import UCMSC


@dataclass(frozen=True)
class Schedule:
    """Visits of one kind: day offsets ``(n, V)``, labels, and which ones happened."""

    offsets: np.ndarray
    labels: np.ndarray
    done: np.ndarray  # bool (n, V)


@dataclass(frozen=True)
class DeviationSources:
    """What the other datasets say that the deviations must agree with."""

    alive_off: np.ndarray  # last day offset known alive
    labs: Schedule  # ADLB visits (column 0 = baseline: done = sample taken)
    ecg: Schedule  # ADEG visits: done = ECG recorded
    ecg_attended: np.ndarray  # the ECG visits the subject attended
    arm: np.ndarray
    infusions: Schedule  # ADEX: done = infusion given
    prohibited: tuple[np.ndarray, np.ndarray]  # ADCM: subjects and start offsets
    trt_end_off: np.ndarray


def _cells(mask: np.ndarray, schedule: Schedule, columns: np.ndarray | None = None):
    """Subjects, offsets and visit labels of the ``True`` cells of ``mask`` (n, V)."""
    if columns is not None:
        mask = mask & np.isin(np.arange(mask.shape[1]), columns)[None, :]
    subj, v = np.nonzero(mask)
    return subj, schedule.offsets[subj, v].astype(float), schedule.labels[v]


def _sourced(source: str, src: DeviationSources):
    """Subjects, offsets and visit labels of the deviations that follow from the data."""
    labs = src.labs
    in_study = labs.offsets <= src.alive_off[:, None]
    last = labs.offsets.shape[1] - 1
    if source == "missed_visit":
        return _cells(in_study & ~labs.done, labs, np.arange(1, last))
    if source == "missed_week48":
        return _cells(in_study & ~labs.done, labs, np.array([last]))
    if source == "no_baseline_lab":
        return _cells(~labs.done, labs, np.array([0]))
    if source == "ecg_not_done":
        return _cells(src.ecg_attended & ~src.ecg.done, src.ecg)
    if source == "missed_infusion":
        inf = src.infusions
        due = (src.arm == UCMSC)[:, None] & (inf.offsets <= src.alive_off[:, None])
        return _cells(due & ~inf.done, inf)
    if source == "prohibited_med":
        subj, start = src.prohibited
        keep = (start >= 0) & (start <= src.trt_end_off[subj])
        return subj[keep], start[keep], np.full(int(keep.sum()), "", dtype=object)
    raise ValueError(f"unknown deviation source {source!r}")


def simulate_deviations(
    src: DeviationSources, params: SimulationParameters, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Deviation records: subject, spec index, term, day offset and visit label."""
    n = src.alive_off.size
    attended = src.labs.done.copy()
    attended[:, 0] = False  # drawn visit deviations happen at post-baseline visits
    n_attended = attended.sum(axis=1)
    parts = []
    for k, spec in enumerate(params.deviations):  # a dozen kinds, not subjects
        draw = rng.random(n) < spec.prob
        pick = rng.random(n)
        if spec.source == "day1":
            subj = np.flatnonzero(draw)
            off, label = np.zeros(subj.size), np.full(subj.size, "", dtype=object)
        elif spec.source == "visit":
            subj = np.flatnonzero(draw & (n_attended > 0))
            # the j-th attended post-baseline visit, j uniform
            j = np.floor(pick[subj] * n_attended[subj]).astype(np.int64)
            rank = np.cumsum(attended[subj], axis=1) - 1
            v = np.argmax(attended[subj] & (rank == j[:, None]), axis=1)
            off, label = src.labs.offsets[subj, v].astype(float), src.labs.labels[v]
        else:
            subj, off, label = _sourced(spec.source, src)
        parts.append(
            {
                "subj": np.asarray(subj, dtype=np.int64),
                "spec": np.full(subj.size, k),
                "term": pick_terms(spec.terms, subj.size, rng),
                "start": np.asarray(off, dtype=float),
                "visit": np.asarray(label, dtype=object),
            }
        )
    return concat(parts)


def build_addv(
    keys: Columns, trtsdt: np.ndarray, rows: dict[str, np.ndarray], params: SimulationParameters
) -> Columns:
    """ADDV sorted by subject, date and coded term; DVSEQ within subject."""
    specs = params.deviations
    decod = np.array([s.decod for s in specs], dtype=object)
    rank = order(rows["subj"], rows["start"], decod[rows["spec"]])
    rows = {name: values[rank] for name, values in rows.items()}
    subj, k, start = rows["subj"], rows["spec"], rows["start"]
    return {
        **keys_of(keys, subj),
        "DVSEQ": sequence(subj),
        "DVTERM": rows["term"],
        "DVDECOD": decod[k],
        "DVCAT": np.array([s.cat for s in specs], dtype=object)[k],
        "DVSCAT": np.array([s.scat for s in specs], dtype=object)[k],
        "AVISIT": rows["visit"],
        "ASTDT": offset_dates(trtsdt[subj], start),
        "ASTDY": study_day(start),
        "TRTA": keys["TRT01A"][subj],
    }
