"""ADCM: prior and concomitant medications, WHO Drug-style coding with ATC classes.

Medications follow the subject's state: a nucleos(t)ide analogue for every subject with
ANTIVIR = "Yes" in ADSL, diuretics with ascites, lactulose with encephalopathy, beta-blockers
with varices in the medical history, and courses started at the onset of ADAE events
(antibiotics for infections, octreotide for variceal bleeding, ...). Collected from before day 1
through the end of AE collection (week 52). Drawn from the ``adcm`` stream.

Flags (derived here as admiral's ADCM template does, with the conservative conventions for
unknown dates):

* ``PREFL`` = "Y": started before day 1 (ASTDT < TRTSDT), or start unknown;
* ``ONTRTFL`` = "Y": taken on or after day 1 (AENDT >= TRTSDT or no end date) and started by
  the end of the treatment phase (ASTDT <= TRTEDT, or start unknown);
* ``FUPFL`` = "Y": started after the end of the treatment phase (ASTDT > TRTEDT).
"""

from __future__ import annotations

import numpy as np

from csrgen.simulate.metadata import Columns
from csrgen.simulate.occurrence import (
    concat,
    date_offsets,
    keys_of,
    offset_dates,
    order,
    partial_dates,
    pick_terms,
    sequence,
    study_day,
)
from csrgen.simulate.params import SimulationParameters
from csrgen.simulate.params_medications import CmSpec

_FLAG = np.array(["", "Y"], dtype=object)


def _course_days(spec: CmSpec, m: int, params: SimulationParameters, rng) -> np.ndarray:
    """Course lengths in days (at least 1); NaN for a medication taken until follow-up ends."""
    if spec.course_days <= 0:
        rng.standard_normal(m)  # keep the number of draws independent of the spec's shape
        return np.full(m, np.nan)
    log = np.log(spec.course_days) + params.cm_course_log_sd * rng.standard_normal(m)
    return np.maximum(1.0, np.round(np.exp(log)))


def _chosen(specs: tuple[CmSpec, ...], n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """For each ``choice``: the index of the spec each subject takes on day 1 (-1: none)."""
    out = {}
    for name in dict.fromkeys(s.choice for s in specs if s.choice):
        members = [k for k, s in enumerate(specs) if s.choice == name]
        bounds = np.cumsum([specs[k].p_ongoing for k in members])
        slot = np.searchsorted(bounds, rng.random(n), side="right")
        out[name] = np.where(slot < len(members), np.array(members + [-1])[slot], -1)
    return out


def _records(subj, k, start, end, rng: np.random.Generator, spec: CmSpec) -> dict:
    m = np.asarray(subj).size
    return {
        "subj": np.asarray(subj, dtype=np.int64),
        "spec": np.full(m, k),
        "term": pick_terms(spec.terms, m, rng),
        "start": np.asarray(start, dtype=float),
        "end": np.asarray(end, dtype=float),
    }


def simulate_medications(
    groups: dict[str, np.ndarray],
    last_off: np.ndarray,
    ae: dict[str, np.ndarray],
    params: SimulationParameters,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Medication records: subject, spec index, term, start and end offsets (NaN: unknown/ongoing).

    ``last_off``: the last day offset of collection per subject (last day known alive, at most
    the end of AE collection). ``ae``: the ADAE events (``subj``, ``decod``, ``onset``).
    """
    specs = params.medications
    n = last_off.size
    chosen = _chosen(specs, n, rng)
    parts = []
    for k, spec in enumerate(specs):  # a few dozen medications, not subjects
        eligible = groups[spec.group]
        # taken on day 1, started before it
        draw = rng.random(n) < spec.p_ongoing
        on = eligible & ((chosen[spec.choice] == k) if spec.choice else draw)
        subj = np.flatnonzero(on)
        m = subj.size
        years = params.cm_start_years_max * 365.25
        start = -np.round(30 + (years - 30) * rng.random(m))
        start[rng.random(m) < params.p_unknown_start] = np.nan
        stops = rng.random(m) < spec.p_stop
        end = np.where(stops, np.floor(rng.random(m) * (last_off[subj] + 1)), np.nan)
        parts.append(_records(subj, k, start, end, rng, spec))
        # taken only before day 1
        subj = np.flatnonzero(eligible & (rng.random(n) < spec.p_past))
        start = -np.round(30 + 1065 * rng.random(subj.size))
        length = _course_days(spec, subj.size, params, rng)
        end = np.minimum(start + np.nan_to_num(length, nan=30.0) - 1, -1)
        parts.append(_records(subj, k, start, end, rng, spec))
        # courses started during the study
        counts = rng.poisson(spec.rate_per_year * (last_off + 1) / 365.25) * eligible
        if spec.max_courses:
            counts = np.minimum(counts, spec.max_courses)
        subj = np.repeat(np.arange(n), counts)
        onset = np.floor(rng.random(subj.size) * (last_off[subj] + 1))
        parts.append(_course(subj, k, onset, last_off, spec, params, rng))
        # courses started at the onset of an adverse event
        hit = np.isin(ae["decod"], spec.triggers) & (rng.random(ae["subj"].size) < spec.p_trigger)
        subj = ae["subj"][hit]
        delay = rng.integers(0, 2, size=subj.size)
        onset = np.minimum(ae["onset"][hit] + delay, np.maximum(last_off[subj], ae["onset"][hit]))
        parts.append(_course(subj, k, onset.astype(float), last_off, spec, params, rng))
    return concat(parts)


def _course(subj, k, onset, last_off, spec, params, rng) -> dict:
    """Courses starting at ``onset``; open (no end) when they outlast the last observation."""
    length = _course_days(spec, subj.size, params, rng)
    end = onset + length - 1
    end = np.where(end > np.maximum(last_off[subj], onset), np.nan, end)
    return _records(subj, k, onset, end, rng, spec)


def beta_blocker_on_day1(rows: dict[str, np.ndarray], params: SimulationParameters, n: int):
    """Subjects taking a beta-blocker (ATC C07) on day 1."""
    c07 = np.array([s.atc2cd == "C07" for s in params.medications])[rows["spec"]]
    started = np.isnan(rows["start"]) | (rows["start"] <= 0)
    running = np.isnan(rows["end"]) | (rows["end"] >= 0)
    mask = np.zeros(n, dtype=bool)
    mask[rows["subj"][c07 & started & running]] = True
    return mask


def build_adcm(
    keys: Columns,
    trtsdt: np.ndarray,
    trt_end_off: np.ndarray,
    rows: dict[str, np.ndarray],
    params: SimulationParameters,
    rng: np.random.Generator,
) -> Columns:
    """ADCM from the medication records, sorted by subject, start and name; CMSEQ within."""
    specs = params.medications
    decod = np.array([s.decod for s in specs], dtype=object)
    rank = order(rows["subj"], rows["start"], decod[rows["spec"]])
    rows = {name: values[rank] for name, values in rows.items()}
    subj, end = rows["subj"], rows["end"]
    day1 = trtsdt[subj]
    start_date, flag = partial_dates(rows["start"], day1, params, rng)
    start = date_offsets(start_date, day1)
    unknown = np.isnan(start)
    trt_end = trt_end_off[subj]
    prior = unknown | (start < 0)
    on_treatment = (np.isnan(end) | (end >= 0)) & (unknown | (start <= trt_end))
    follow_up = ~unknown & (start > trt_end)

    def field(name: str) -> np.ndarray:
        return np.array([getattr(s, name) for s in specs], dtype=object)[rows["spec"]]

    return {
        **keys_of(keys, subj),
        "CMSEQ": sequence(subj),
        "CMTRT": rows["term"],
        "CMDECOD": field("decod"),
        "CMINDC": field("indication"),
        "CMCLAS": field("atc2"),
        "CMCLASCD": field("atc2cd"),
        "ATC1": field("atc1"),
        "ATC1CD": field("atc1cd"),
        "CMDOSE": np.array([s.dose for s in specs], dtype=float)[rows["spec"]],
        "CMDOSU": field("unit"),
        "CMDOSFRQ": field("freq"),
        "CMROUTE": field("route"),
        "ASTDT": start_date.astype("datetime64[ns]"),
        "ASTDTF": flag,
        "AENDT": offset_dates(day1, end),
        "ASTDY": study_day(start),
        "AENDY": study_day(end),
        "CMENRTPT": np.where(np.isnan(end), "ONGOING", "").astype(object),
        "PREFL": _FLAG[prior.astype(np.int64)],
        "ONTRTFL": _FLAG[on_treatment.astype(np.int64)],
        "FUPFL": _FLAG[follow_up.astype(np.int64)],
        "TRTA": keys["TRT01A"][subj],
    }
