"""Pre-processing shared by the adverse-event outputs (``t_ae_overview``, ``t_ae_soc_pt``).

From the study file's ``[safety]`` rules and the data it makes one frame of the
treatment-emergent AE records of the output's population, with:

* the arm from ADSL (the population's arm variable, e.g. TRT01A: actual treatment), never
  ADAE's own TRTA, so that AE tables use the same arm assignment as every other table;
* one boolean column per AE category (related, serious, severe, leading to discontinuation,
  leading to death), decided by the study file's rules;
* the severity with blanks counted at the highest level, SOC/PT blanks labelled.

The rules are also returned as footnote sentences, so that each table states what it counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csrgen import formatting as fmt
from csrgen.ard import ArdIndex
from csrgen.config import AeRule, SafetySettings, StudyConfig
from csrgen.datasets import ARM
from csrgen.errors import ConfigError, DataValidationError, Problem
from csrgen.outputs.base import OutputContext

SOC, PT = "AEBODSYS", "AEDECOD"
#: Shown for a blank SOC or PT (uncoded term).
UNCODED = "UNCODED"

#: ARD ``variable`` of each AE category -> (boolean column in the prepared events, row label).
CATEGORIES: dict[str, tuple[str, str]] = {
    "TEAE": ("", "Subjects with any TEAE"),
    "TEAE_RELATED": ("_RELATED", "Subjects with any related TEAE"),
    "TEAE_SERIOUS": ("_SERIOUS", "Subjects with any serious TEAE"),
    "TEAE_SEVERE": ("_SEVERE", "Subjects with any severe TEAE"),
    "TEAE_DISCONT": ("_DISCONT", "Subjects with any TEAE leading to discontinuation of treatment"),
    "TEAE_DEATH": ("_DEATH", "Subjects with any TEAE leading to death"),
}


@dataclass(frozen=True)
class AeData:
    """The output's population and its treatment-emergent AE records, ready to count."""

    #: ADSL rows of the population, arm in ``ARM``.
    subjects: pd.DataFrame
    #: TEAE records of those subjects: ADAE columns, ``ARM``, category columns, ``_SEV``.
    events: pd.DataFrame
    #: Footnote sentences: what was counted as treatment-emergent, related, serious, ...
    rules: dict[str, str]
    #: Categories whose rule variables are blank on every record of the population (the data
    #: do not hold them): category -> sentence. Their rows say "Not collected", untested.
    not_collected: dict[str, str] = field(default_factory=dict)


def safety_settings(config: StudyConfig, output_id: str = "") -> SafetySettings:
    if config.safety is None:
        raise ConfigError(
            f"{config.path}: safety: missing required table [safety] "
            f"(needed by adverse-event output {output_id!r})"
        )
    return config.safety


def ae_requires(config: StudyConfig, output_id: str) -> dict[str, set[str]]:
    """Variables the AE outputs need, by dataset role."""
    s = safety_settings(config, output_id)
    adae = {"USUBJID", SOC, PT, s.severity_var}
    for rules in (s.related, s.serious, s.discontinuation, s.death):
        adae |= {r.var for r in rules}
    needs: dict[str, set[str]] = {s.dataset: adae, "adsl": set()}
    if s.te_flag:
        adae.add(s.te_flag)
    else:
        adae.add("ASTDT")
        needs["adsl"].add("TRTSDT")
    return needs


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype(str).str.strip() == "")


def _text(series: pd.Series) -> pd.Series:
    return series.astype(object).where(~_blank(series), "").astype(str).str.strip()


def meets(events: pd.DataFrame, rules: Sequence[AeRule]) -> pd.Series:
    """Records meeting any of ``rules`` (a value listed, or blank where blanks count)."""
    hit = pd.Series(False, index=events.index)
    for rule in rules:
        values = _text(events[rule.var])
        hit |= values.isin(rule.values)
        if rule.missing:
            hit |= values == ""
    return hit


def rule_text(rules: Sequence[AeRule]) -> str:
    """``AEOUT = FATAL or AESDTH = Y``; ``AEREL in (POSSIBLE, PROBABLE) or blank``."""
    parts = []
    for r in rules:
        text = (
            f"{r.var} = {r.values[0]}"
            if len(r.values) == 1
            else (f"{r.var} in ({', '.join(r.values)})")
        )
        parts.append(text + (" or blank" if r.missing else ""))
    return " or ".join(parts)


def study_day(onset: pd.Series, start: pd.Series) -> pd.Series:
    """CDISC study day: onset - start + 1 on or after the start, onset - start before (no day 0)."""
    days = (pd.to_datetime(onset) - pd.to_datetime(start)).dt.days.astype(float)
    return pd.Series(np.where(days >= 0, days + 1, days), index=onset.index)


def te_rule(s: SafetySettings) -> str:
    """The treatment-emergence rule in words: ``TRTEMFL = Y``, ``onset (ASTDT) on study days 1
    to 336 (...)``."""
    if s.te_flag:
        return f"{s.te_flag} = Y"
    lo, hi = s.te_window_days
    return f"onset (ASTDT) on study days {lo} to {hi} (day 1 = first day of treatment, TRTSDT)"


def treatment_emergent(
    events: pd.DataFrame, subjects: pd.DataFrame, s: SafetySettings
) -> tuple[pd.Series, str]:
    """Mask of treatment-emergent records and the sentence stating the rule."""
    text = "Treatment-emergent: " + te_rule(s)
    if s.te_flag:
        return _text(events[s.te_flag]) == "Y", text + "."
    start = events["USUBJID"].map(subjects.set_index("USUBJID")["TRTSDT"])
    day = study_day(events["ASTDT"], start)
    if "ASTDY" in events.columns:  # the dataset's own study day where the dates are missing
        day = day.fillna(pd.to_numeric(events["ASTDY"], errors="coerce"))
    lo, hi = s.te_window_days
    mask = day.between(lo, hi)
    undated = day.isna()
    if undated.any():
        verb = "are" if s.te_missing_onset else "are not"
        text += (
            f"; {int(undated.sum())} record(s) without an onset day (no ASTDT, TRTSDT or ASTDY) "
            f"{verb} counted"
        )
    if s.te_missing_onset:
        mask |= undated
    return mask, text + "."


def _severity(events: pd.DataFrame, s: SafetySettings, file: str) -> tuple[pd.Series, str]:
    values = _text(events[s.severity_var])
    unknown = (values != "") & ~values.isin(s.severity_levels)
    if unknown.any():
        examples = tuple(
            f"USUBJID={u}: {s.severity_var}={v}"
            for u, v in zip(events.loc[unknown, "USUBJID"][:5], values[unknown][:5], strict=True)
        )
        raise DataValidationError(
            [
                Problem(
                    file,
                    s.severity_var,
                    "severity-levels",
                    f"values {sorted(set(values[unknown]))} are not in the study file's "
                    f"safety.severity_levels {s.severity_levels}",
                    int(unknown.sum()),
                    examples,
                )
            ]
        )
    top = s.severity_levels[-1]
    missing = values == ""
    note = ""
    if missing.any():
        note = f" ({int(missing.sum())} record(s) with blank {s.severity_var} counted as {top})"
    return values.where(~missing, top), note


def _check_pt_in_one_soc(events: pd.DataFrame, file: str) -> None:
    """MedDRA codes each PT to one primary SOC; two SOCs for a PT would split its counts."""
    socs = events.groupby(PT)[SOC].nunique()
    split = socs[socs > 1]
    if len(split):
        bad = events[events[PT].isin(split.index)].drop_duplicates([PT, SOC])
        examples = tuple(f"{PT}={r[PT]}: {SOC}={r[SOC]}" for _, r in bad.head(5).iterrows())
        raise DataValidationError(
            [
                Problem(
                    file,
                    PT,
                    "one-soc",
                    f"preferred terms {sorted(split.index)[:5]} are coded to more than one "
                    f"{SOC} (MedDRA primary SOC expected)",
                    int(len(bad)),
                    examples,
                )
            ]
        )


def prepare_ae(ctx: OutputContext) -> AeData:
    """The population, its TEAE records with arm and category columns, and the rules' text."""
    s = safety_settings(ctx.config, ctx.spec.id)
    subjects = ctx.subjects
    adae = ctx.data[s.dataset]
    file = ctx.data.file_name(s.dataset)
    arm_of = subjects.set_index("USUBJID")[ARM]
    events = adae.loc[adae["USUBJID"].isin(arm_of.index)].copy()
    events[ARM] = pd.Categorical(
        events["USUBJID"].map(arm_of).astype(object), categories=ctx.arms, ordered=True
    )
    te, te_text = treatment_emergent(events, subjects, s)
    events = coded_terms(events.loc[te.to_numpy()])
    _check_pt_in_one_soc(events, file)
    events, sev_note = with_categories(events, s, file)
    not_collected = _not_collected(adae.loc[adae["USUBJID"].isin(arm_of.index)], s, file)
    rules = {
        "TEAE": te_text,
        "TEAE_RELATED": f"Related: {rule_text(s.related)}.",
        "TEAE_SERIOUS": f"Serious: {rule_text(s.serious)}.",
        "TEAE_SEVERE": f"Severe: {s.severity_var} = {s.severity_levels[-1]}{sev_note}.",
        "TEAE_DISCONT": f"Leading to discontinuation: {rule_text(s.discontinuation)}.",
        "TEAE_DEATH": f"Leading to death: {rule_text(s.death)}.",
        "severity": f"Severity: {s.severity_var}, {' < '.join(s.severity_levels)}{sev_note}.",
    }
    return AeData(subjects, events.reset_index(drop=True), rules, not_collected)


def coded_terms(events: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``events`` with SOC and PT as the AE tables count them: stripped text, a blank
    labelled :data:`UNCODED`."""
    events = events.copy()
    for col in (SOC, PT):
        events[col] = _text(events[col]).replace("", UNCODED)
    return events


def with_categories(events: pd.DataFrame, s: SafetySettings, file: str) -> tuple[pd.DataFrame, str]:
    """``events`` (treatment-emergent records) with the severity as counted (``_SEV``: blanks
    at the highest level) and one boolean column per AE category (:data:`CATEGORIES`), by the
    study file's rules; and the note on blank severities."""
    events = events.copy()
    events["_SEV"], sev_note = _severity(events, s, file)
    events["_RELATED"] = meets(events, s.related)
    events["_SERIOUS"] = meets(events, s.serious)
    events["_SEVERE"] = events["_SEV"] == s.severity_levels[-1]
    events["_DISCONT"] = meets(events, s.discontinuation)
    events["_DEATH"] = meets(events, s.death)
    return events, sev_note


#: The rules of each category (by SafetySettings attribute), for :func:`_not_collected`.
_CATEGORY_RULES = {
    "TEAE_RELATED": "related",
    "TEAE_SERIOUS": "serious",
    "TEAE_DISCONT": "discontinuation",
    "TEAE_DEATH": "death",
}

#: Shown in the cells of a category the data do not hold.
NOT_COLLECTED = "Not collected"


def _not_collected(records: pd.DataFrame, s: SafetySettings, file: str) -> dict[str, str]:
    """Categories whose every rule variable is blank on every record: not "none had one" but
    "not recorded", which a table must not print as zero counts with a test."""
    if records.empty:
        return {}
    out = {}
    rule_vars = {k: sorted({r.var for r in getattr(s, a)}) for k, a in _CATEGORY_RULES.items()}
    rule_vars["TEAE_SEVERE"] = [s.severity_var]
    for category, names in rule_vars.items():
        if all(_blank(records[v]).all() for v in names if v in records.columns):
            listed = " and ".join(names)
            verb = "is" if len(names) == 1 else "are"
            out[category] = (
                f"{CATEGORIES[category][1].removeprefix('Subjects with any ')}: not collected "
                f"({listed} {verb} blank on every {file} record of the population)."
            )
    return out


def fisher_reference(ctx: OutputContext, option: bool | None) -> str | None:
    """The reference arm when Fisher tests are on (the output's option, else the study's)."""
    s = safety_settings(ctx.config, ctx.spec.id)
    on = s.fisher if option is None else option
    return ctx.config.arms.reference if on and len(ctx.arms) > 1 else None


def counts_footnote() -> str:
    return (
        "TEAE: treatment-emergent adverse event. n (%) [E]: subjects with at least one event "
        "(percentage of N, the subjects of the population in the arm) [number of events]; a "
        "subject is counted once per row."
    )


def fisher_footnote(ctx: OutputContext) -> str:
    return (
        "p-values: Fisher's exact test (two-sided) of the proportion of subjects with the event, "
        f"each arm vs {ctx.config.arms.reference}; not adjusted for multiplicity."
    )


def n_pct_events(ix: ArdIndex, level: str, **where) -> str:
    """The AE table cell ``n (%) [E]`` of one arm (or Total), kept on one line."""
    return fmt.fmt_nowrap(ix.n_pct_events(group_level=level, **where))
