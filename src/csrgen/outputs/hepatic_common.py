"""What the hepatotoxicity outputs share (``t_hys_law``, ``f_edish``, ``l_hys_law``): their
options, the liver-test records with their upper limit of normal (ULN), and the check hook.

The outputs report one ``[bds.<name>]`` block (``options.bds``, default ``labs``) through its
conventions (:mod:`csrgen.outputs.bds_records`: baseline rule, analysis flag, derived records);
the PARAMCDs of ALT, AST and total bilirubin are options (``alt``, ``ast``, ``bili``), the ULN
is the block's ``high_var`` (ANRHI or A1HI). Post-baseline: the block's other analysis records
on or after study day ``min_day`` (and up to ``days_after_treatment`` after the last dose), at
any visit, scheduled or not. A record without a ULN cannot be expressed as a multiple of it:
it is left out, with a warning and a footnote that count them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from csrgen.analyses.hepatic import ROLES
from csrgen.config import VarName
from csrgen.datasets import ARM
from csrgen.errors import ConfigError, Problem
from csrgen.formatting import fmt_count, fmt_level
from csrgen.outputs import bds_common as bc
from csrgen.outputs.base import OutputContext, option_key
from csrgen.outputs.bds_data import MAX_EXAMPLES, BdsData, numbers_at
from csrgen.outputs.bds_records import prepare_block
from csrgen.outputs.t_bds_shift import post_baseline

PARAMCD = r"^\S(.*\S)?$"
#: Role -> how footnotes and rows name it.
NAMES = {"ALT": "ALT", "AST": "AST", "BILI": "total bilirubin"}


class HepaticOptions(bc.BdsOptions):
    """Options of every hepatotoxicity output."""

    #: PARAMCD of alanine aminotransferase, aspartate aminotransferase and total bilirubin in
    #: the block's dataset (``ALT``, ``AST``, ``BILI``; the seed's ``TBIL``).
    alt: str = Field(pattern=PARAMCD)
    ast: str = Field(pattern=PARAMCD)
    bili: str = Field(pattern=PARAMCD)
    #: Thresholds in multiples of the ULN (inclusive): transaminases and total bilirubin.
    transaminase_uln: float = Field(default=3.0, gt=0)
    bilirubin_uln: float = Field(default=2.0, gt=0)
    #: The study day variable; post-baseline records are on or after study day ``min_day``.
    day_var: VarName = "ADY"
    min_day: int = 1
    #: When set: only records up to this many days after the last dose (ADSL TRTEDT).
    days_after_treatment: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _own_params(self) -> HepaticOptions:
        given = sorted(k for k in ("params", "parcat") if k in self.model_fields_set)
        if given:
            raise ValueError(f"{', '.join(given)}: not used; alt, ast and bili name the tests")
        codes = [self.alt, self.ast, self.bili]
        if len(set(codes)) != 3:
            raise ValueError(f"alt, ast and bili must be three different PARAMCDs, got {codes}")
        return self

    @property
    def codes(self) -> dict[str, str]:
        """Role -> PARAMCD."""
        return {"ALT": self.alt, "AST": self.ast, "BILI": self.bili}


def hepatic_requires(config, spec, options: HepaticOptions) -> dict[str, set[str]]:
    """Variables the outputs read; a block without ``high_var``, or a PARAMCD outside the
    block's ``params``, is a study-file error naming the option."""
    blocks = config.bds_blocks
    if options.bds not in blocks:
        return bc.bds_requires(config, spec, options, by_visit=False)  # names the bds key
    s = blocks[options.bds]
    where = bc.settings_key(config, options.bds)
    errors = []
    if not s.high_var:
        errors.append(
            f"{option_key(config, spec, 'bds')}: the block [{where}] declares no high_var "
            "(the upper limit of normal, e.g. ANRHI or A1HI), which the hepatotoxicity "
            "outputs divide each value by"
        )
    for key, code in (("alt", options.alt), ("ast", options.ast), ("bili", options.bili)):
        if s.params and code not in s.params:
            errors.append(
                f"{option_key(config, spec, key)}: {code!r} is not a parameter of "
                f"{where}.params ({s.params})"
            )
    if errors:
        raise ConfigError("\n".join(errors))
    need = bc.bds_requires(config, spec, options, by_visit=False)
    need[s.dataset] |= {"AVAL", s.high_var, options.day_var}
    if options.days_after_treatment is not None:
        need[s.dataset].add("ADT")
        need.setdefault("adsl", set()).add("TRTEDT")
    return need


@dataclass(frozen=True)
class LiverRecords:
    """The block's data and its liver-test records: USUBJID, the arm (``ARM``), ROLE,
    PARAMCD, PHASE (``baseline``/``post``), AVAL, ULN, RATIO (AVAL / ULN) and ROW (dataset
    position), with the counts of records left out for want of a ULN, per role."""

    data: BdsData
    records: pd.DataFrame
    no_uln: dict[str, int]

    @property
    def empty(self) -> bool:
        return self.data.subjects.empty or self.records.empty


def liver_records(ctx: OutputContext) -> LiverRecords:
    opts: HepaticOptions = ctx.options
    data = prepare_block(ctx.config, ctx.data, ctx.options.bds, ctx.spec.population)
    frame = ctx.data[data.settings.dataset]
    codes = {code: role for role, code in opts.codes.items()}
    parts = []
    for phase, rows in (("baseline", data.baseline_rows), ("post", post_baseline(ctx, data, opts))):
        param = frame["PARAMCD"].to_numpy()[rows]
        keep = pd.Series(param).isin(list(codes)).to_numpy()
        rows = rows[keep]
        parts.append(
            pd.DataFrame(
                {
                    "USUBJID": frame["USUBJID"].to_numpy()[rows],
                    "PARAMCD": param[keep],
                    "PHASE": phase,
                    "AVAL": numbers_at(frame, "AVAL", rows),
                    "ULN": numbers_at(frame, data.settings.high_var, rows),
                    "ROW": rows,
                }
            )
        )
    records = pd.concat(parts, ignore_index=True)
    records["ROLE"] = records["PARAMCD"].map(codes)
    arm_of = data.subjects.set_index("USUBJID")[ARM]
    records[ARM] = records["USUBJID"].map(arm_of).to_numpy()
    missing = records["ULN"].isna().to_numpy() & records["AVAL"].notna().to_numpy()
    no_uln = {r: int((missing & (records["ROLE"] == r).to_numpy()).sum()) for r in ROLES}
    records = records[~missing & records["ULN"].gt(0).to_numpy()].reset_index(drop=True)
    records["RATIO"] = records["AVAL"] / records["ULN"]
    return LiverRecords(data, records, no_uln)


def check(ctx: OutputContext) -> list[Problem]:
    """The block's rules, a PARAMCD option that no record has, a ULN that is zero or negative
    (an impossible value); records without a ULN are left out with a warning."""
    problems = bc.check(ctx)
    opts: HepaticOptions = ctx.options
    data = prepare_block(ctx.config, ctx.data, ctx.options.bds, ctx.spec.population)
    s = data.settings
    frame = ctx.data[s.dataset]
    present = set(pd.unique(frame["PARAMCD"].astype(str).str.strip()))
    for key, code in (("alt", opts.alt), ("ast", opts.ast), ("bili", opts.bili)):
        if code not in present:
            shown = sorted(present)[:20]
            problems.append(
                Problem(
                    data.file,
                    "PARAMCD",
                    "paramcd",
                    f"{option_key(ctx.config, ctx.spec, key)} = {code!r} (output "
                    f"{ctx.spec.id}): no record has PARAMCD = {code!r}; the data have {shown}",
                    0,
                )
            )
    rows = np.concatenate([data.baseline_rows, data.other_rows])
    mine = frame["PARAMCD"].to_numpy()[rows]
    rows = rows[pd.Series(mine).isin(list(opts.codes.values())).to_numpy()]
    uln = numbers_at(frame, s.high_var, rows)
    bad = rows[uln <= 0]
    if len(bad):
        shown = frame[["USUBJID", "PARAMCD", s.high_var]].take(bad[:MAX_EXAMPLES])
        problems.append(
            Problem(
                data.file,
                s.high_var,
                "uln",
                f"the upper limit of normal ({s.high_var}) of a liver test must be positive "
                f"(output {ctx.spec.id} divides each value by it)",
                len(bad),
                tuple(
                    f"USUBJID={u}: PARAMCD={p!r}, {s.high_var}={v}"
                    for u, p, v in shown.itertuples(index=False)
                ),
            )
        )
    if not problems:
        lost = liver_records(ctx).no_uln
        if sum(lost.values()):
            detail = ", ".join(f"{opts.codes[r]}: {fmt_count(n)}" for r, n in lost.items() if n)
            ctx.warnings.append(
                f"{data.file} ([{data.key}]): {fmt_count(sum(lost.values()))} liver-test "
                f"records without {s.high_var} (upper limit of normal) left out of the "
                f"hepatotoxicity outputs ({detail})"
            )
    return problems


def rule_note(opts: HepaticOptions) -> str:
    """The Hy's-law rule in words, for footnotes."""
    t, b = fmt_level(opts.transaminase_uln), fmt_level(opts.bilirubin_uln)
    return (
        f"Potential Hy's law: peak post-baseline ALT or AST ≥ {t} × ULN and peak post-baseline "
        f"total bilirubin ≥ {b} × ULN, at any post-baseline time (not necessarily on the same "
        "day or in that order); alkaline phosphatase is not considered. Thresholds are "
        f"inclusive (exactly {t} × ULN meets the criterion). FDA Guidance for Industry, "
        "Drug-Induced Liver Injury: Premarketing Clinical Evaluation (2009)."
    )


def records_note(liver: LiverRecords, opts: HepaticOptions) -> str:
    """Which records were used, and those left out for want of a ULN."""
    data = liver.data
    s = data.settings
    codes = ", ".join(f"{NAMES[r]} ({c})" if NAMES[r] != c else c for r, c in opts.codes.items())
    window = f"from study day {opts.min_day} ({opts.day_var}) on"
    if opts.days_after_treatment is not None:
        window += f" and up to {opts.days_after_treatment} days after the last dose"
    flag = f" with {s.record_flag} = 'Y'" if s.record_flag else ""
    text = (
        f"Each value divided by its record's upper limit of normal ({s.high_var}); tests "
        f"(PARAMCD): {codes}. Baseline: {s.baseline_rule()}. Post-baseline: every other "
        f"record{flag} {window}, scheduled or not; a subject's peak is the highest multiple "
        "of the ULN."
    )
    if data.derived_left_out:
        text += " Derived records (DTYPE) are not used."
    lost = sum(liver.no_uln.values())
    if lost:
        detail = ", ".join(f"{opts.codes[r]} {fmt_count(n)}" for r, n in liver.no_uln.items() if n)
        text += f" Records without {s.high_var} are left out: {fmt_count(lost)} ({detail})."
    return text
