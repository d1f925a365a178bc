"""The AE tables' counts linked to exactly the AE listing records behind them.

The AE listing (``l_ae``) carries, for every record, the facts by which the AE tables count it,
computed by the tables' own functions (:mod:`csrgen.outputs.ae_common`), so that a table and
its listing cannot disagree:

* ``te``: treatment-emergent by the study file's ``[safety]`` rule (a flag, or a window of study
  days): Y/N, a column of the listing;
* ``related``, ``serious``, ``severe``, ``discont``, ``death``: the record meets the category's
  rule (Y/N; blank when not treatment-emergent): hidden facts;
* ``maxsev_any``, ``maxsev_soc``, ``maxsev_pt``: the subject's maximum severity over their
  treatment-emergent records (in the SOC, in the PT; blanks counted at the highest level), for
  the tables by maximum severity (a table of a subset, say serious TEAEs by maximum severity,
  has its own: ``maxsev_pt_serious``); blank when not treatment-emergent.

SOC and PT are the listing's own columns (``AEBODSYS``, ``AEDECOD``), printed as the tables
count them (a blank term reads ``UNCODED``), and the arm its treatment column. A count then links
to ``#l_ae?TRT01A=Placebo&AEDECOD=ERYTHEMA&te=Y``: the subjects of the cell are the distinct
subjects of those rows, its events the rows.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from csrgen.config import StudyConfig
from csrgen.errors import ConfigError
from csrgen.outputs import ae_common
from csrgen.outputs.ae_common import CATEGORIES, PT, SOC
from csrgen.outputs.base import OutputContext
from csrgen.outputs.links import arm_where, listing_options

#: The treatment-emergent fact (a column of the AE listing).
TE = "te"
#: ARD category variable -> the listing's fact and its label.
CATEGORY_FACTS: dict[str, tuple[str, str]] = {
    "TEAE_RELATED": ("related", "Related"),
    "TEAE_SERIOUS": ("serious", "Serious"),
    "TEAE_SEVERE": ("severe", "Severe"),
    "TEAE_DISCONT": ("discont", "Leading to discontinuation"),
    "TEAE_DEATH": ("death", "Leading to death"),
}
#: Listing modules that list every AE record of the population (unless a study file filters
#: them with ``where``/``exclude``).
AE_LISTINGS = frozenset({"l_ae", "l_sae"})
Level = Literal["any", "soc", "pt"]
_LEVEL_VAR: dict[str, str | None] = {"any": None, "soc": SOC, "pt": PT}
_LEVEL_TEXT = {"any": "", "soc": " in the SOC", "pt": " in the PT"}


def maxsev_key(level: Level, category: str = "TEAE") -> str:
    """The fact holding a subject's maximum severity over the category's TEAEs (at ``level``)."""
    suffix = "" if category == "TEAE" else "_" + CATEGORY_FACTS[category][0]
    return f"maxsev_{level}{suffix}"


def severity_categories(config: StudyConfig, listing_id: str) -> list[str]:
    """The categories of the study's tables by maximum severity that link to ``listing_id``."""
    from csrgen.outputs.t_ae_soc_pt import SUBSETS  # the table module imports this one

    out = []
    for spec in config.outputs:
        if spec.slug != "t_ae_soc_pt":
            continue
        opts = listing_options(spec)
        category = SUBSETS[opts.subset][0]
        if opts.by_severity and opts.listing == listing_id and category not in out:
            out.append(category)
    return out


def check_listing(config: StudyConfig, spec, listing_id: str) -> None:
    """An AE table's ``options.listing`` must list every record the table counts: an AE listing
    of the same population and dataset, without a record filter. Absent: no links."""
    target = next((o for o in config.outputs if o.id == listing_id), None)
    if target is None:
        return
    s = ae_common.safety_settings(config, spec.id)
    problem = ""
    if target.slug not in AE_LISTINGS:
        problem = (
            f"is made by {target.slug!r}, not an AE listing ({', '.join(sorted(AE_LISTINGS))})"
        )
    elif target.population != spec.population:
        problem = f"lists population {target.population!r}, the table {spec.population!r}"
    elif s.dataset != "adae":
        problem = f"lists adae, the table safety.dataset {s.dataset!r}"
    else:
        opts = listing_options(target)
        if opts.where or opts.exclude:
            problem = "keeps only some records (where/exclude)"
    if problem:
        raise ConfigError(
            f"{config.path}: outputs {spec.id}: options.listing: {listing_id!r} {problem}, so "
            "its rows could not reproduce the table's counts; name an AE listing of all records "
            'of the population, or "" for no links'
        )


def listing_for(ctx: OutputContext, listing_id: str) -> str:
    """``listing_id`` when the study has that listing (checked by :func:`check_listing`)."""
    return listing_id if any(o.id == listing_id for o in ctx.config.outputs) else ""


def count_where(
    ctx: OutputContext,
    level: str,
    category: str,
    soc: str | None = None,
    pt: str | None = None,
    severity: tuple[Level, str] | None = None,
) -> dict[str, str]:
    """The listing fields of one count: arm (none for Total), treatment-emergent, the category,
    the SOC or PT, and with ``severity`` = (level, value) the subject's maximum severity."""
    where = arm_where(ctx, level)
    where[TE] = "Y"
    if category != "TEAE":
        where[CATEGORY_FACTS[category][0]] = "Y"
    if soc is not None:
        where[SOC] = soc
    if pt is not None:
        where[PT] = pt
    if severity is not None:
        where[maxsev_key(severity[0], category)] = severity[1]
    return where


def fact_labels(ctx: OutputContext) -> list[tuple[str, str]]:
    """(fact, label) of every fact :func:`listing_facts` adds, in order."""
    labels = [(TE, "TE")] + list(CATEGORY_FACTS.values())
    for category in severity_categories(ctx.config, ctx.spec.id):
        what = "TEAEs" if category == "TEAE" else CATEGORY_FACTS[category][1].lower() + " TEAEs"
        for level in _LEVEL_VAR:
            text = f"Maximum severity of the subject's {what}{_LEVEL_TEXT[level]}"
            labels.append((maxsev_key(level, category), text))  # type: ignore[arg-type]
    return labels


def listing_facts(ctx: OutputContext, records: pd.DataFrame) -> pd.DataFrame:
    """``records`` (the population's AE records) with SOC and PT as the AE tables count them
    and one column per fact of :func:`fact_labels`, decided as the tables decide them."""
    s = ae_common.safety_settings(ctx.config, ctx.spec.id)
    file = ctx.data.file_name(s.dataset)
    te = ae_common.treatment_emergent(records, ctx.subjects, s)[0].to_numpy()
    out = ae_common.coded_terms(records)
    out[TE] = np.where(te, "Y", "N")
    events, _ = ae_common.with_categories(out.loc[te], s, file)
    for category, (fact, _) in CATEGORY_FACTS.items():
        out[fact] = ""
        out.loc[te, fact] = np.where(events[CATEGORIES[category][0]], "Y", "N")
    rank_of = {lv: i for i, lv in enumerate(s.severity_levels)}
    levels = np.asarray(s.severity_levels, dtype=object)
    for category in severity_categories(ctx.config, ctx.spec.id):
        column = CATEGORIES[category][0]
        chosen = events.loc[events[column]] if column else events
        rank = chosen["_SEV"].map(rank_of)
        for level, var in _LEVEL_VAR.items():
            # each subject's most severe record within the row, as ard_ae_max_severity counts
            keys = [chosen["USUBJID"]] + ([chosen[var]] if var else [])
            worst = rank.groupby(keys, sort=False).transform("max").to_numpy(dtype=int)
            key = maxsev_key(level, category)  # type: ignore[arg-type]
            out[key] = ""
            out.loc[chosen.index, key] = levels[worst]
    return out
