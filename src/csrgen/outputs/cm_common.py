"""Prior vs concomitant medication: the study's rule, shared by ``t_cm`` and ``l_cm``.

Two rules, chosen in the output's options:

* ``rule = "dates"`` (default): from the record's dates and the subject's first and last dose
  in ADSL. Prior: started before the first dose (ASTDT < TRTSDT). Concomitant: taken on or
  after the first dose (AENDT >= TRTSDT, or no end date) and started no later than the last
  dose plus ``days_after_treatment`` (ASTDT <= TRTEDT + days; ``upper_limit = false``: no
  such limit). A medication can be both.
* ``rule = "flags"``: the dataset's own flags (``prior_flag`` = "Y", ``concomitant_flag`` =
  "Y"; ADaM OCCDS names PREFL and ONTRTFL).

Unknown dates are resolved conservatively, as statistical analysis plans usually do: a missing
start date counts as before the first dose (so the medication is prior, and concomitant unless
it ended before the first dose) and a missing end date as ongoing. A subject without a first
dose (TRTSDT blank) has only prior medications; without a last dose (TRTEDT blank), no upper
limit applies. The footnote states the rule and how many records relied on these conventions.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field

from csrgen import formatting as fmt
from csrgen.outputs.base import OptionsModel


class MedicationRule(OptionsModel):
    """The options deciding prior vs concomitant (the same in a table and its listing)."""

    rule: Literal["dates", "flags"] = "dates"
    #: ``rule = "flags"``: the flag variables ("Y" = prior / concomitant).
    prior_flag: str = Field(default="PREFL", min_length=1)
    concomitant_flag: str = Field(default="ONTRTFL", min_length=1)
    #: ``rule = "dates"``: concomitant medications start no later than this many days after
    #: the last dose (TRTEDT) ...
    days_after_treatment: int = Field(default=0, ge=0)
    #: ... unless ``upper_limit`` is false (then any start on or after the first dose counts).
    upper_limit: bool = True


def rule_requires(rule: MedicationRule, role: str, subsets: set[str]) -> dict[str, set[str]]:
    """Variables the rule reads, by dataset role, for the subsets used (prior, concomitant)."""
    if rule.rule == "flags":
        names = set()
        if "prior" in subsets:
            names.add(rule.prior_flag)
        if "concomitant" in subsets:
            names.add(rule.concomitant_flag)
        return {role: names, "adsl": set()}
    adsl = {"TRTSDT"}
    if "concomitant" in subsets and rule.upper_limit:
        adsl.add("TRTEDT")
    return {role: {"ASTDT", "AENDT"}, "adsl": adsl}


def _flag(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), "").astype(str).str.strip() == "Y"


def classify(
    records: pd.DataFrame, subjects: pd.DataFrame, rule: MedicationRule
) -> tuple[pd.Series, pd.Series, str]:
    """Prior and concomitant masks of ``records`` and the footnote sentence of the rule."""
    if rule.rule == "flags":
        prior = _flag(records[rule.prior_flag]) if rule.prior_flag in records else None
        conc = _flag(records[rule.concomitant_flag]) if rule.concomitant_flag in records else None
        empty = pd.Series(False, index=records.index)
        note = (
            f"Prior medication: {rule.prior_flag} = Y; concomitant medication: "
            f"{rule.concomitant_flag} = Y (the dataset's flags)."
        )
        return (empty if prior is None else prior), (empty if conc is None else conc), note
    by_subject = subjects.set_index("USUBJID")
    first = records["USUBJID"].map(by_subject["TRTSDT"])
    # validation types ASTDT/AENDT as dates; an unreadable one counts as unknown (and is
    # counted in the footnote's "no start/end date")
    start = pd.to_datetime(records["ASTDT"], errors="coerce")
    end = pd.to_datetime(records["AENDT"], errors="coerce")
    no_start, no_end, untreated = start.isna(), end.isna(), first.isna()
    prior = no_start | untreated | (start < first)
    conc = ~untreated & (no_end | (end >= first))
    days = rule.days_after_treatment if rule.upper_limit else None
    if days is not None and "TRTEDT" in by_subject:
        last = records["USUBJID"].map(by_subject["TRTEDT"]) + pd.Timedelta(days=days)
        conc &= no_start | last.isna() | (start <= last)
    counts = (len(records), int(no_start.sum()), int(no_end.sum()))
    return prior, conc, _dates_note(days, *counts)


def _dates_note(days: int | None, n_records: int, no_start: int, no_end: int) -> str:
    if days is None:
        until = ""
    elif days == 0:
        until = " and started no later than the last dose (ASTDT on or before TRTEDT)"
    else:
        until = (
            f" and started no later than {days} days after the last dose "
            f"(ASTDT on or before TRTEDT + {days})"
        )
    return (
        "Prior medication: started before the first dose of study treatment (ASTDT before "
        "TRTSDT). Concomitant medication: taken on or after the first dose (AENDT on or after "
        f"TRTSDT, or no end date){until}. A medication can be both. A missing start date counts "
        "as before the first dose (the medication is prior, and concomitant unless it ended "
        "before the first dose), a missing end date as ongoing: of the "
        f"{fmt.fmt_count(n_records)} records of the population, {fmt.fmt_count(no_start)} have "
        f"no start date and {fmt.fmt_count(no_end)} no end date."
    )


def timing_labels(prior: pd.Series, conc: pd.Series) -> pd.Series:
    """Per record: "Prior", "Concomitant", "Prior, concomitant" or "" (neither)."""
    out = pd.Series("", index=prior.index, dtype=object)
    out[prior & ~conc] = "Prior"
    out[~prior & conc] = "Concomitant"
    out[prior & conc] = "Prior, concomitant"
    return out
