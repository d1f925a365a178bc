"""The datasets added after the first five: ADCM, ADMH, ADDV, ADEG, ADVS.

They are made after ADSL, ADTTE, ADLB, ADAE and ADEX from what those already hold (the
subjects' baseline state, follow-up, visits, infusions and adverse events), each drawing only
from its own stream (:mod:`csrgen.simulate.streams`), so the first five stay byte-identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csrgen.simulate.bds import build_bds, simulate_bds
from csrgen.simulate.deviations import (
    DeviationSources,
    Schedule,
    build_addv,
    simulate_deviations,
)
from csrgen.simulate.events import Follow
from csrgen.simulate.history import build_admh, history_subjects, simulate_history
from csrgen.simulate.medications import beta_blocker_on_day1, build_adcm, simulate_medications
from csrgen.simulate.metadata import Columns
from csrgen.simulate.occurrence import subject_groups
from csrgen.simulate.params import SimulationParameters
from csrgen.simulate.streams import stream


@dataclass(frozen=True)
class StudyState:
    """What the first five datasets were made from (the inputs of the added ones)."""

    keys: Columns
    arm: np.ndarray
    trtsdt: np.ndarray  # day 1 (datetime64[D])
    bl: dict
    follow: Follow
    visits: np.ndarray  # laboratory visit day offsets (n, V)
    lab_attended: np.ndarray  # (n, V): a laboratory record exists (baseline: sample taken)
    given: np.ndarray  # (n, k) infusions given
    infusion_day: np.ndarray  # (n, k) their scheduled day offsets
    ae_parts: list[dict]  # the ADAE event sources (subj, decod, onset, ...)


def _labels(weeks) -> np.ndarray:
    return np.array(["Baseline"] + [f"Week {w}" for w in weeks[1:]], dtype=object)


def simulate_added(state: StudyState, seed: int, params: SimulationParameters) -> dict:
    """ADCM, ADMH, ADDV, ADEG and ADVS as column dicts (not yet conformed)."""
    n = state.arm.size
    follow = state.follow
    last_off = np.minimum(follow.alive_off, params.ae_collection_days - 1)
    trt_end_off = np.minimum(follow.exit_off, params.treatment_days - 1)
    groups = subject_groups(state.bl, n)

    rng_mh = stream(seed, "admh")
    mh_rows = simulate_history(groups, params, rng_mh)
    groups.update(history_subjects(mh_rows, params, n))

    rng_cm = stream(seed, "adcm")
    ae = {k: np.concatenate([p[k] for p in state.ae_parts]) for k in ("subj", "decod", "onset")}
    cm_rows = simulate_medications(groups, last_off, ae, params, rng_cm)
    beta_blocker = beta_blocker_on_day1(cm_rows, params, n)

    weeks = list(params.visit_weeks)
    attended = state.lab_attended.copy()
    attended[:, 0] = True  # day 1 is attended by everyone (the sample may be missing)
    ecg_cols = np.array([weeks.index(w) for w in params.ecg_weeks])
    ecg_attended = attended[:, ecg_cols]
    eg_values, eg_done = simulate_bds(
        params.ecg,
        np.asarray(params.ecg_weeks),
        ecg_attended,
        params.p_ecg_not_done,
        state.bl["z"],
        beta_blocker,
        {},
        stream(seed, "adeg"),
    )
    vs_values, vs_done = simulate_bds(
        params.vitals,
        np.asarray(weeks),
        attended,
        params.p_vitals_not_done,
        state.bl["z"],
        beta_blocker,
        {"WEIGHTBL": state.bl["WEIGHT"]},
        stream(seed, "advs"),
    )

    prohibited = np.array([s.prohibited for s in params.medications])[cm_rows["spec"]]
    sources = DeviationSources(
        alive_off=follow.alive_off,
        labs=Schedule(state.visits, _labels(weeks), state.lab_attended),
        ecg=Schedule(state.visits[:, ecg_cols], _labels(params.ecg_weeks), eg_done),
        ecg_attended=ecg_attended,
        arm=state.arm,
        infusions=Schedule(
            state.infusion_day,
            np.array([f"Week {w}" for w in params.infusion_weeks], dtype=object),
            state.given,
        ),
        prohibited=(cm_rows["subj"][prohibited], cm_rows["start"][prohibited]),
        trt_end_off=trt_end_off,
    )
    dv_rows = simulate_deviations(sources, params, stream(seed, "addv"))

    keys, day1 = state.keys, state.trtsdt
    return {
        "adcm": build_adcm(keys, day1, trt_end_off, cm_rows, params, rng_cm),
        "admh": build_admh(keys, day1, mh_rows, params, rng_mh),
        "addv": build_addv(keys, day1, dv_rows, params),
        "adeg": build_bds(
            keys,
            day1,
            params.ecg,
            eg_values,
            eg_done,
            np.asarray(params.ecg_weeks),
            state.visits[:, ecg_cols],
            qtc_categories=True,
        ),
        "advs": build_bds(
            keys, day1, params.vitals, vs_values, vs_done, np.asarray(weeks), state.visits
        ),
    }
