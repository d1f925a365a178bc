"""Pre-processing of the patient narratives (``narratives``): who gets one and the records of
each such subject, as plain frames (no text: the narrative module prints them).

Who gets a narrative is the study file's list of criteria (:class:`Criterion`): an expression
over ADSL or over the adverse-event dataset, or one of the ``[safety]`` categories (serious,
leading to discontinuation, leading to death) among the treatment-emergent events. A subject
meeting any criterion gets one narrative, which names every criterion met.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from csrgen import expr
from csrgen.analyses.disposition import death_records
from csrgen.config import BdsSettings, SafetySettings
from csrgen.outputs.ae_common import meets, safety_settings, study_day, treatment_emergent
from csrgen.outputs.base import OutputContext
from csrgen.outputs.bds_data import derived_mask

#: The [safety] categories a criterion may name, by SafetySettings attribute.
CATEGORIES = ("serious", "discontinuation", "death")


@dataclass(frozen=True)
class SubjectRecords:
    """One subject's data for the narrative (frames sorted in time order)."""

    usubjid: str
    #: The subject's ADSL row (population arm in ``_ARM``).
    adsl: pd.Series
    #: Labels of the criteria met, in the study file's order.
    reasons: tuple[str, ...]
    #: The subject's AE records, onset order, with ``_SERIOUS`` (by the [safety] rules) and
    #: ``_TE`` (treatment-emergent by the [safety] rule).
    events: pd.DataFrame
    #: Out-of-range lab records near each event: the event's row position in ``events`` in
    #: ``_EVENT``, ``_DIR`` 'low' / 'high'.
    labs: pd.DataFrame
    #: Concomitant medication records (empty frame when the study has none).
    meds: pd.DataFrame
    #: The death record (``DTHDT``, ``DTHCAUS``, ``DTHDY``) or None.
    death: pd.Series | None


def ae_events(ctx: OutputContext) -> pd.DataFrame:
    """AE records of the population's subjects with ``_TE`` and ``_SERIOUS``."""
    s = safety_settings(ctx.config, ctx.spec.id)
    adae = ctx.data[s.dataset]
    events = adae.loc[adae["USUBJID"].isin(ctx.subjects["USUBJID"])].copy()
    te, _ = treatment_emergent(events, ctx.subjects, s)
    events["_TE"] = te.to_numpy()
    events["_SERIOUS"] = meets(events, s.serious).to_numpy()
    return events


def criterion_subjects(ctx: OutputContext, events: pd.DataFrame) -> dict[str, set[str]]:
    """Criterion label -> subjects of the population meeting it."""
    s: SafetySettings = safety_settings(ctx.config, ctx.spec.id)
    out: dict[str, set[str]] = {}
    for c in ctx.options.criteria:
        if c.category:
            records = events.loc[events["_TE"].to_numpy()]
            hit = meets(records, getattr(s, c.category)).to_numpy()
            ids = set(records.loc[hit, "USUBJID"])
        else:
            role = c.dataset or s.dataset
            frame = ctx.subjects if role == "adsl" else events
            if role != "adsl" and c.treatment_emergent:
                frame = frame.loc[frame["_TE"].to_numpy()]
            ids = set(frame.loc[expr.evaluate(expr.parse(c.where), frame), "USUBJID"])
        out.setdefault(c.label, set()).update(ids)
    return out


def narrative_subjects(ctx: OutputContext, events: pd.DataFrame) -> pd.DataFrame:
    """ADSL rows of the subjects with a narrative (arm order, then USUBJID) and ``_REASONS``
    (a tuple of criterion labels)."""
    met = criterion_subjects(ctx, events)
    subjects = ctx.subjects
    reasons = subjects["USUBJID"].map(
        lambda u: tuple(label for label, ids in met.items() if u in ids)
    )
    chosen = subjects.loc[reasons.map(bool).to_numpy()].copy()
    chosen["_REASONS"] = reasons.loc[chosen.index]
    return chosen.sort_values(["_ARM", "USUBJID"], kind="mergesort")


def lab_settings(ctx: OutputContext) -> BdsSettings | None:
    name = ctx.options.labs
    return ctx.config.bds_blocks[name] if name else None


def lab_records(ctx: OutputContext, ids: set[str]) -> pd.DataFrame:
    """Lab records of ``ids`` outside their reference range (``_DIR``), derived records left
    out, with a value, a date and both limits."""
    s = lab_settings(ctx)
    if s is None:
        return pd.DataFrame()
    frame = ctx.data[s.dataset]
    keep = frame["USUBJID"].isin(ids).to_numpy() & ~derived_mask(frame, s)
    if s.params:
        keep &= frame["PARAMCD"].isin(s.params).to_numpy()
    if s.exclude_prefixes:
        keep &= ~frame["PARAMCD"].astype(str).str.startswith(tuple(s.exclude_prefixes)).to_numpy()
    labs = frame.loc[keep]
    value, lo, hi = (
        pd.to_numeric(labs[v], errors="coerce") for v in ("AVAL", s.low_var, s.high_var)
    )
    low = (value < lo).to_numpy()
    high = (value > hi).to_numpy()
    labs = labs.assign(_DIR=np.where(high, "high", "low"))
    labs = labs.loc[(low | high) & labs["ADT"].notna().to_numpy()]
    # a value at two visits of one day (scheduled and unscheduled) is one fact
    return labs.drop_duplicates(["USUBJID", "PARAMCD", "ADT", "AVAL"])


def labs_near(events: pd.DataFrame, labs: pd.DataFrame, window: int) -> pd.DataFrame:
    """Lab records within ``window`` days of each event's onset, for every subject at once:
    ``_EVENT`` is the event's position among its subject's ``events`` (in their order); by
    subject, in event, date and parameter order (ties in the labs' order).

    One join of the events with their subjects' labs, not a pass over the labs per event (a
    study's narratives have thousands of events)."""
    empty = labs.iloc[0:0].assign(_EVENT=pd.Series(dtype=int))
    if labs.empty or events.empty:
        return empty
    onset = events["ASTDT"]
    position = events.groupby("USUBJID", sort=False).cumcount()
    left = pd.DataFrame(
        {
            "_KEY": events["USUBJID"].astype(str).to_numpy(),
            "_EVENT": position.to_numpy(),
            "_ONSET": onset.to_numpy(),
        }
    ).loc[onset.notna().to_numpy()]
    right = labs.assign(_KEY=labs["USUBJID"].astype(str).to_numpy(), _ROW=np.arange(len(labs)))
    joined = left.merge(right, on="_KEY", how="inner", sort=False)
    if joined.empty:
        return empty
    gap = (joined["ADT"] - joined["_ONSET"]).dt.days.abs()
    joined = joined.loc[(gap <= window).to_numpy()]
    joined = joined.sort_values(["_EVENT", "ADT", "PARAMCD", "_ROW"], kind="mergesort")
    return joined[[*labs.columns, "_EVENT"]]


def med_records(ctx: OutputContext, ids: set[str]) -> pd.DataFrame:
    o = ctx.options
    if not o.cm_dataset or o.cm_dataset not in ctx.data:
        return pd.DataFrame()
    frame = ctx.data[o.cm_dataset]
    frame = frame.loc[frame["USUBJID"].isin(ids)]
    if o.cm_where:
        frame = frame.loc[expr.evaluate(expr.parse(o.cm_where), frame)]
    return frame


def subject_records(ctx: OutputContext) -> list[SubjectRecords]:
    """Every narrative subject's records, in the order of :func:`narrative_subjects`."""
    o = ctx.options
    events = ae_events(ctx)
    chosen = narrative_subjects(ctx, events)
    ids = set(chosen["USUBJID"])
    source = o.source()
    s = safety_settings(ctx.config, ctx.spec.id)
    adae = ctx.data[s.dataset] if source.needs_adae else None
    deaths = death_records(chosen, source, adae).set_index("USUBJID")
    labs = lab_records(ctx, ids)
    meds = med_records(ctx, ids)
    start = chosen.set_index("USUBJID")[o.start_var]
    events = events.loc[events["USUBJID"].isin(ids)].copy()
    events["_DAY"] = study_day(events["ASTDT"], events["USUBJID"].map(start))
    events["_ENDDAY"] = study_day(events["AENDT"], events["USUBJID"].map(start))
    order = ["USUBJID", "ASTDT"] + (["AESEQ"] if "AESEQ" in events.columns else [])
    events = events.sort_values(order, kind="mergesort", na_position="last")
    by_events = dict(tuple(events.groupby("USUBJID", sort=False)))
    by_meds = dict(tuple(meds.groupby("USUBJID", sort=False))) if len(meds) else {}
    near_all = labs_near(events, labs, o.lab_window_days)
    by_near = dict(tuple(near_all.groupby("USUBJID", sort=False))) if len(near_all) else {}
    out = []
    for _, row in chosen.iterrows():
        u = row["USUBJID"]
        mine = by_events.get(u, events.iloc[0:0]).reset_index(drop=True)
        near = by_near.get(u, near_all.iloc[0:0])
        med = by_meds.get(u, meds.iloc[0:0])
        if len(med):
            med = med.sort_values(
                [o.cm_start_var, o.cm_term_var], kind="mergesort", na_position="first"
            )
        out.append(
            SubjectRecords(
                usubjid=u,
                adsl=row,
                reasons=tuple(row["_REASONS"]),
                events=mine,
                labs=near,
                meds=med,
                death=deaths.loc[u] if u in deaths.index else None,
            )
        )
    return out
