"""ADMH: medical history at screening, coded to MedDRA-style SOC and preferred term.

The conditions that ADSL already records agree with it: every subject with ascites or
encephalopathy at baseline (ASCITES, HEPENC) has it as an ongoing history; some of the others
had it before. Drawn from the ``admh`` stream (:mod:`csrgen.simulate.streams`).
"""

from __future__ import annotations

import numpy as np

from csrgen.simulate.metadata import Columns
from csrgen.simulate.occurrence import (
    concat,
    date_offsets,
    days_before,
    keys_of,
    offset_dates,
    order,
    partial_dates,
    pick_terms,
    sequence,
    study_day,
)
from csrgen.simulate.params import SimulationParameters

PROCEDURES = "Surgical and medical procedures"


def simulate_history(
    groups: dict[str, np.ndarray], params: SimulationParameters, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """History records: subject, spec index, term, start and end offsets (NaN = ongoing)."""
    parts = []
    for k, spec in enumerate(params.history):  # a few dozen conditions, not subjects
        has = groups[spec.group] & (rng.random(groups["all"].size) < spec.prob)
        subj = np.flatnonzero(has)
        m = subj.size
        start = days_before(spec.years_min, spec.years_max, m, rng)
        ongoing = rng.random(m) < spec.p_ongoing
        # Resolved: ended between the start and the day before day 1; a procedure on its day.
        span = np.floor(rng.random(m) * (-start)).astype(np.int64)
        end = start if spec.bodsys == PROCEDURES else start + np.minimum(span, -1 - start)
        parts.append(
            {
                "subj": subj,
                "spec": np.full(m, k),
                "term": pick_terms(spec.terms, m, rng),
                "start": start.astype(float),
                "end": np.where(ongoing, np.nan, end).astype(float),
            }
        )
    return concat(parts)


def history_subjects(rows: dict[str, np.ndarray], params: SimulationParameters, n: int):
    """``mh:<PT>`` subject groups: subjects with a history (ongoing or past) of the PT; every
    PT of the parameters has its group, empty when no subject of a small study drew it."""
    decod = np.array([s.decod for s in params.history], dtype=object)[rows["spec"]]
    groups = {}
    for pt in sorted({s.decod for s in params.history}):
        mask = np.zeros(n, dtype=bool)
        mask[rows["subj"][decod == pt]] = True
        groups[f"mh:{pt}"] = mask
    return groups


def build_admh(
    keys: Columns,
    trtsdt: np.ndarray,
    rows: dict[str, np.ndarray],
    params: SimulationParameters,
    rng: np.random.Generator,
) -> Columns:
    """ADMH from the history records: sorted by subject, start and term; MHSEQ within subject."""
    specs = params.history
    decod_all = np.array([s.decod for s in specs], dtype=object)
    rank = order(rows["subj"], rows["start"], decod_all[rows["spec"]])
    rows = {name: values[rank] for name, values in rows.items()}
    subj, k, start, end = rows["subj"], rows["spec"], rows["start"], rows["end"]
    day1 = trtsdt[subj]
    start_date, flag = partial_dates(start, day1, params, rng)
    return {
        **keys_of(keys, subj),
        "MHSEQ": sequence(subj),
        "MHTERM": rows["term"],
        "MHDECOD": decod_all[k],
        "MHBODSYS": np.array([s.bodsys for s in specs], dtype=object)[k],
        "MHCAT": np.array([s.cat for s in specs], dtype=object)[k],
        "ASTDT": start_date.astype("datetime64[ns]"),
        "ASTDTF": flag,
        "AENDT": offset_dates(day1, end),
        "ASTDY": study_day(date_offsets(start_date, day1)),
        "AENDY": study_day(end),
        "MHENRTPT": np.where(np.isnan(end), "ONGOING", "BEFORE").astype(object),
        "TRTA": keys["TRT01A"][subj],
    }
