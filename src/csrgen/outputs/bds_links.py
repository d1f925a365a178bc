"""The shift tables' counts linked to exactly the abnormal-value listing rows behind them.

A shift table (``t_bds_shift``) counts subjects by their baseline category and their worst
post-baseline category. The abnormal-values listing of the same block (``l_bds_abn``) lists
every value outside the reference range, so a subject whose worst post-baseline category is
Low, High or Low and high has at least one row there: the post-baseline abnormal values the
table's rule counted. The listing carries, for every row, the facts by which each linked shift
table counts it, computed by the table's own functions (:mod:`csrgen.outputs.t_bds_shift`):

* ``param``, ``tpt``: the parameter (PARAMCD) and timepoint of the row;
* ``win_<table>``: Y when the row is one of the table's post-baseline records (the block's
  analysis records in the table's study-day window), else N;
* ``bcat_<table>``, ``wcat_<table>``: the subject's baseline and worst post-baseline category
  for the parameter by the table's rule (LOW, NORMAL, HIGH, LOW/HIGH, MISSING).

A count of subjects with baseline B and worst W (W abnormal) then links to the rows with the
arm, ``param``, ``tpt``, ``bcat_<table> = B``, ``wcat_<table> = W`` and ``win_<table> = Y``:
their distinct subjects are the count. Counts with a Normal worst category (their subjects
may have no abnormal value) and the baseline totals do not link.

A table links to a listing of the same population and block, with the same categorising rule,
that lists every value of the table's parameters (no ``where``/``exclude`` filter).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csrgen.config import OutputSpec
from csrgen.outputs import bds_common as bc
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import canonical
from csrgen.outputs.links import listing_options

PARAM, TIMEPOINT = "param", "tpt"


def win_key(table_id: str) -> str:
    return f"win_{table_id}"


def bcat_key(table_id: str) -> str:
    return f"bcat_{table_id}"


def wcat_key(table_id: str) -> str:
    return f"wcat_{table_id}"


def _context(ctx: OutputContext, spec: OutputSpec) -> OutputContext:
    return OutputContext(ctx.config, spec, listing_options(spec), ctx.data, ctx.lock)


def _linkable(shift: OutputContext, listing: OutputContext) -> bool:
    """Whether ``listing`` lists every abnormal value the shift table ``shift`` counts, by the
    same rule (see the module docstring)."""
    s_opts, l_opts = shift.options, listing.options
    if listing.spec.population != shift.spec.population or l_opts.bds != s_opts.bds:
        return False
    if l_opts.where or l_opts.exclude:
        return False
    if (l_opts.category, l_opts.indicator_map) != (s_opts.category, s_opts.indicator_map):
        return False
    shown = set(bc.prepare(listing).params)
    return set(bc.prepare(shift).params) <= shown


def shift_listing(shift: OutputContext) -> str:
    """The id of the study's abnormal-values listing the shift table's counts link to, or ""."""
    for spec in shift.config.outputs:
        abnormal = spec.kind == "Listing" and canonical(spec.slug) == "l_bds_abn"
        if abnormal and _linkable(shift, _context(shift, spec)):
            return spec.id
    return ""


def linked_shift_tables(listing: OutputContext) -> list[OutputContext]:
    """The shift tables whose counts link to this listing (each to the first it qualifies for)."""
    out = []
    for spec in listing.config.outputs:
        if canonical(spec.slug) != "t_bds_shift":
            continue
        shift = _context(listing, spec)
        if shift_listing(shift) == listing.spec.id:
            out.append(shift)
    return out


def listing_facts(listing: OutputContext, records: pd.DataFrame, rows: np.ndarray) -> list:
    """Add the facts of every linked shift table to ``records`` (the listing's abnormal values,
    whose dataset positions are ``rows``); return the facts' (variable, label) pairs."""
    from csrgen.outputs.t_bds_shift import post_baseline, prepare  # imports this module

    if not (tables := linked_shift_tables(listing)):
        return []
    data = bc.prepare(listing).data
    frame = listing.data[data.settings.dataset]
    tp = data.settings.timepoint_var
    records[PARAM] = frame["PARAMCD"].to_numpy()[rows]
    records[TIMEPOINT] = frame[tp].to_numpy()[rows] if tp else ""
    facts = [(PARAM, "Parameter code")] + ([(TIMEPOINT, "Timepoint")] if tp else [])
    for shift in tables:
        tid = shift.spec.id
        _, shifts = prepare(shift)
        window = post_baseline(shift, bc.prepare(shift).data, shift.options)
        records[win_key(tid)] = np.where(np.isin(rows, window), "Y", "N")
        keyed = shifts.rename(
            columns={"PARAMCD": PARAM, "TIMEPOINT": TIMEPOINT, "BASE_CAT": bcat_key(tid)}
        ).rename(columns={"WORST": wcat_key(tid)})
        keyed[TIMEPOINT] = keyed[TIMEPOINT].astype(str)
        found = (
            records[["USUBJID", PARAM, TIMEPOINT]]
            .astype(str)
            .merge(keyed, on=["USUBJID", PARAM, TIMEPOINT], how="left")
        )
        for key in (bcat_key(tid), wcat_key(tid)):
            records[key] = found[key].fillna("").to_numpy()
        facts += [
            (win_key(tid), f"Post-baseline record of {shift.spec.number}"),
            (bcat_key(tid), f"Baseline category ({shift.spec.number})"),
            (wcat_key(tid), f"Worst post-baseline category ({shift.spec.number})"),
        ]
    return facts
