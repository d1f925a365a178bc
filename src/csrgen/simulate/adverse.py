"""ADAE: infusion pyrexia, disease-related events, HCC and the fatal events of deaths.

AEs are collected from day 1 through ``ae_collection_days``; treatment-emergent (TRTEMFL) are
those starting from day 1 through ``treatment_days`` (week 48). Disease-related events occur in
both arms at the same rates and are never related to treatment; only infusion pyrexia is, and
it is mild and non-serious, so no serious AE is treatment-related.

Each source returns a dict of equal-length arrays (day offsets from day 1; ``end`` NaN while
ongoing); :func:`build_adae` concatenates and sorts them once.
"""

from __future__ import annotations

import numpy as np

from csrgen.simulate.events import HCC_CAUSE, Follow
from csrgen.simulate.metadata import Columns
from csrgen.simulate.params import NEO, SimulationParameters

NOT_RELATED = "NOT RELATED"
RECOVERED = "RECOVERED/RESOLVED"
RECOVERING = "RECOVERING/RESOLVING"
NOT_RECOVERED = "NOT RECOVERED/NOT RESOLVED"
FATAL = "FATAL"
# Internal names of the event fields (day offsets "onset"/"end"), mapped to ADAE in build_adae.
_COLUMNS = ("subj", "decod", "bodsys", "term", "sev", "ser", "rel", "acn", "out", "sdth")
_COLUMNS += ("onset", "end")


def _const(n: int, value: str) -> np.ndarray:
    return np.full(n, value, dtype=object)


def _rows(subj, decod, bodsys, term, sev, ser, rel, acn, out, sdth, onset, end) -> dict:
    n = np.asarray(subj).size
    values = (subj, decod, bodsys, term, sev, ser, rel, acn, out, sdth, onset, end)
    return {
        name: (_const(n, v) if isinstance(v, str) else np.asarray(v))
        for name, v in zip(_COLUMNS, values, strict=True)
    }


def _window_end(follow: Follow, params: SimulationParameters) -> np.ndarray:
    """Last day offset on which an AE can start (exit day or end of the collection period)."""
    return np.minimum(follow.exit_off, params.ae_collection_days - 1)


def _close(
    onset: np.ndarray,
    duration: np.ndarray,
    subj: np.ndarray,
    follow: Follow,
    params: SimulationParameters,
    rng: np.random.Generator,
):
    """End offset (NaN when ongoing at the last observation) and outcome of each event."""
    last_seen = np.minimum(follow.alive_off, params.ae_collection_days - 1)[subj]
    end = onset + duration
    ongoing = end > last_seen
    open_outcome = np.where(rng.random(onset.size) < 0.5, RECOVERING, NOT_RECOVERED)
    outcome = np.where(ongoing, np.where(follow.died[subj], NOT_RECOVERED, open_outcome), RECOVERED)
    return np.where(ongoing, np.nan, end.astype(float)), outcome.astype(object)


def disease_events(
    z: np.ndarray, follow: Follow, params: SimulationParameters, rng: np.random.Generator
) -> dict:
    """Poisson counts per subject and event type, onsets uniform over the collection window.

    Sicker subjects (latent severity ``z``) have proportionally more events; the frailty has
    mean 1 so the rates stay the assumed ones on average.
    """
    specs = params.disease_aes
    gamma = params.ae_severity_log_rr
    window = _window_end(follow, params) + 1
    frailty = np.exp(gamma * z - gamma**2 / 2.0)
    rates = np.array([s.rate_per_year for s in specs]) / 365.25
    counts = rng.poisson(rates[None, :] * (window * frailty)[:, None])
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    subj, k = np.divmod(cell, len(specs))
    m = subj.size
    onset = np.floor(rng.random(m) * window[subj]).astype(np.int64)
    median = np.array([s.median_days for s in specs])[k]
    duration = np.round(median * np.exp(params.ae_duration_log_sd * rng.standard_normal(m)))
    serious = rng.random(m) < np.array([s.p_serious for s in specs])[k]
    severity = np.where(
        serious,
        np.where(rng.random(m) < 0.5, "MODERATE", "SEVERE"),
        np.where(rng.random(m) < 0.6, "MILD", "MODERATE"),
    ).astype(object)
    terms = [np.array(s.terms, dtype=object) for s in specs]
    n_terms = np.array([t.size for t in terms])
    all_terms = np.concatenate(terms)
    first = np.concatenate([[0], np.cumsum(n_terms)[:-1]])
    term = all_terms[first[k] + np.floor(rng.random(m) * n_terms[k]).astype(np.int64)]
    end, outcome = _close(onset, duration.astype(np.int64), subj, follow, params, rng)
    return _rows(
        subj,
        np.array([s.decod for s in specs], dtype=object)[k],
        np.array([s.bodsys for s in specs], dtype=object)[k],
        term,
        severity,
        np.where(serious, "Y", "N").astype(object),
        NOT_RELATED,
        "NOT APPLICABLE",
        outcome,
        "N",
        onset,
        end,
    )


def pyrexia_events(
    given: np.ndarray,
    offset: np.ndarray,
    follow: Follow,
    params: SimulationParameters,
    rng: np.random.Generator,
) -> dict:
    """Fever on the day of an infusion: mild, non-serious, related, resolved within a day."""
    fever = given & (rng.random(given.shape) < params.p_pyrexia_per_infusion)
    subj, k = np.nonzero(fever)
    m = subj.size
    onset = offset[subj, k]
    end = np.minimum(onset + rng.integers(0, 2, size=m), follow.alive_off[subj]).astype(float)
    relation = np.where(rng.random(m) < params.p_pyrexia_possibly, "POSSIBLY RELATED", "RELATED")
    return _rows(
        subj,
        "Pyrexia",
        "General disorders and administration site conditions",
        "fever after cell infusion",
        "MILD",
        "N",
        relation.astype(object),
        "DOSE NOT CHANGED",
        RECOVERED,
        "N",
        onset,
        end,
    )


def hcc_events(follow: Follow, params: SimulationParameters, rng: np.random.Generator) -> dict:
    """HCC diagnosed in the collection period: serious, ongoing, FATAL when it caused death."""
    last = params.ae_collection_days - 1
    subj = np.flatnonzero(follow.hcc & (follow.hcc_off <= last))
    m = subj.size
    fatal = (follow.death_cause[subj] == HCC_CAUSE) & (follow.exit_off[subj] <= last)
    end = np.where(fatal, follow.exit_off[subj], np.nan)
    term = np.where(rng.random(m) < 0.5, "hepatocellular carcinoma", "primary liver cancer")
    return _rows(
        subj,
        "Hepatocellular carcinoma",
        NEO,
        term.astype(object),
        "SEVERE",
        "Y",
        NOT_RELATED,
        "NOT APPLICABLE",
        np.where(fatal, FATAL, NOT_RECOVERED).astype(object),
        np.where(fatal, "Y", "N").astype(object),
        follow.hcc_off[subj],
        end,
    )


def fatal_events(follow: Follow, params: SimulationParameters, rng: np.random.Generator) -> dict:
    """The fatal AE of each death in the collection period (HCC deaths: see hcc_events)."""
    last = params.ae_collection_days - 1
    subj = np.flatnonzero(
        follow.died & (follow.exit_off <= last) & (follow.death_cause != HCC_CAUSE)
    )
    cause = follow.death_cause[subj]
    death = follow.exit_off[subj]
    onset = np.maximum(0, death - rng.integers(0, params.fatal_ae_lead_days + 1, size=subj.size))
    decod, bodsys, term = (np.empty(subj.size, dtype=object) for _ in range(3))
    for c in params.death_causes:  # a handful of causes, not subjects
        hit = cause == c.cause
        decod[hit], bodsys[hit], term[hit] = c.decod, c.bodsys, c.term
    return _rows(
        subj,
        decod,
        bodsys,
        term,
        "SEVERE",
        "Y",
        NOT_RELATED,
        "NOT APPLICABLE",
        FATAL,
        "Y",
        onset,
        death.astype(float),
    )


def build_adae(
    keys: Columns, trtsdt: np.ndarray, parts: list[dict], params: SimulationParameters
) -> Columns:
    """ADAE from the event sources: sorted by subject, start day and term; AESEQ within subject."""
    rows = {name: np.concatenate([p[name] for p in parts]) for name in _COLUMNS}
    order = np.lexsort((rows["decod"].astype(str), rows["onset"], rows["subj"]))
    rows = {name: values[order] for name, values in rows.items()}
    subj, onset, end = rows["subj"], rows["onset"].astype(np.int64), rows["end"]
    first_of_subject = np.searchsorted(subj, subj, side="left")
    start_date = trtsdt[subj] + onset
    end_date = np.where(
        np.isnan(end), np.datetime64("NaT"), trtsdt[subj] + np.nan_to_num(end).astype(np.int64)
    )
    return {
        "STUDYID": keys["STUDYID"][subj],
        "USUBJID": keys["USUBJID"][subj],
        "AESEQ": (np.arange(subj.size) - first_of_subject + 1).astype(float),
        "AETERM": rows["term"],
        "AEDECOD": rows["decod"],
        "AEBODSYS": rows["bodsys"],
        "AESEV": rows["sev"],
        "AESER": rows["ser"],
        "AEREL": rows["rel"],
        "AEACN": rows["acn"],
        "AEOUT": rows["out"],
        "AESDTH": rows["sdth"],
        "ASTDT": start_date.astype("datetime64[ns]"),
        "AENDT": end_date.astype("datetime64[ns]"),
        "ASTDY": (onset + 1).astype(float),
        "AENDY": end + 1.0,
        "ADURN": end - onset + 1.0,
        "ADURU": np.where(np.isnan(end), "", "DAYS").astype(object),
        "TRTEMFL": np.where(onset + 1 <= params.treatment_days, "Y", "").astype(object),
        "TRTA": keys["TRT01A"][subj],
    }
