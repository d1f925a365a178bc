"""Table <number> Shift table: baseline reference-range category against the worst post-baseline
category, by parameter (and timepoint) and arm, for any BDS dataset.

pre-processing: the block's baseline records and its other analysis records at any visit,
scheduled or not (:mod:`csrgen.outputs.bds_records`: baseline rule, analysis flag, derived
records), of the chosen parameters; post-baseline = study day >= ``min_day`` (optionally up
to ``days_after_treatment`` after the last dose); each record's category LOW/NORMAL/HIGH from
the block's ``indicator_var`` or from AVAL against its ``low_var``/``high_var``.
analysis: :func:`csrgen.analyses.bds_shifts.subject_shifts` (worst category per subject, rule in
that module) and :func:`~csrgen.analyses.bds_shifts.ard_bds_shift`.
build: per parameter and arm, one row per baseline category, one column per worst category.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from csrgen.analyses.bds_shifts import (
    BASELINE_LEVELS,
    BOTH,
    MISSING,
    NORMAL,
    WORST_LEVELS,
    ard_bds_shift,
    indicator_category,
    range_category,
    subject_shifts,
)
from csrgen.ard import ArdIndex
from csrgen.config import BdsSettings
from csrgen.datasets import ARM
from csrgen.document.model import Cell, Column, Row, Spanner, Table
from csrgen.errors import ConfigError
from csrgen.outputs import bds_common as bc
from csrgen.outputs import bds_links, links
from csrgen.outputs.base import OutputContext, population_n
from csrgen.outputs.bds_data import numbers_at

LABELS = {
    "LOW": "Low",
    "NORMAL": "Normal",
    "HIGH": "High",
    BOTH: "Low and high",
    MISSING: "Missing",
}


#: Options of the earlier lab shift table and listing that the BDS block now holds: a study
#: file still giving one is told where it went.
MOVED = {
    "dataset": "dataset",
    "exclude_prefixes": "exclude_prefixes",
    "indicator_var": "indicator_var",
    "low_var": "low_var",
    "high_var": "high_var",
    "record_flag": "record_flag",
    "baseline_flag": "baseline_flag",
    "param_label_var": "labels",
}


class CategoryOptions(bc.BdsOptions):
    """How records are categorised (shared with ``l_bds_abn``)."""

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data):
        moved = sorted(k for k in MOVED if isinstance(data, dict) and k in data)
        if moved:
            where = ", ".join(f"{k} -> {MOVED[k]}" for k in moved)
            raise ValueError(
                f"{', '.join(moved)}: set in the BDS block the output reports ([labs] or "
                f"[bds.<name>]), not in the output's options ({where})"
            )
        return data

    #: ``indicator``: category from the block's ``indicator_var`` (LOW/NORMAL/HIGH or L/N/H,
    #: or mapped); ``range``: AVAL against the block's ``low_var``/``high_var`` (inclusive).
    category: Literal["indicator", "range"] = "indicator"
    indicator_map: dict[str, str] = Field(default_factory=dict)


class Options(CategoryOptions):
    #: The study day variable; post-baseline records are on or after study day ``min_day``
    #: (day 1 = first dose).
    day_var: str = Field(default="ADY", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    min_day: int = 1
    #: When set: only records up to this many days after the last dose (ADSL TRTEDT).
    days_after_treatment: int | None = Field(default=None, ge=0)


# (no shares: the block is prepared by the check hooks before the workers fork)
check = bc.check


def category_vars(config, spec, options: CategoryOptions) -> set[str]:
    """The variables the category needs (only those the chosen category uses)."""
    s = bc.settings(config, options)
    if options.category == "indicator":
        return {s.indicator_var}
    if not s.has_range:
        index = next(i for i, o in enumerate(config.outputs) if o.id == spec.id)
        key = bc.settings_key(config, options.bds)
        raise ConfigError(
            f"{config.path}: outputs[{index}].options.category: 'range' needs the reference-range "
            f"limits: set {key}.low_var and {key}.high_var (e.g. ANRLO/ANRHI or A1LO/A1HI)"
        )
    return {"AVAL", s.low_var, s.high_var}


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    need = bc.bds_requires(config, spec, options, by_visit=False)
    role = bc.settings(config, options).dataset
    need[role] |= category_vars(config, spec, options) | {options.day_var}
    if options.days_after_treatment is not None:
        need[role].add("ADT")
        need.setdefault("adsl", set()).add("TRTEDT")
    return need


def categorise(frame: pd.DataFrame, rows: np.ndarray, s: BdsSettings, options) -> np.ndarray:
    """The category (LOW/NORMAL/HIGH, "" when unknown) of the records at ``rows`` by the chosen
    rule (only the columns it uses are read)."""
    if options.category == "indicator":
        indicator = pd.Series(frame[s.indicator_var].to_numpy()[rows])
        return indicator_category(indicator, options.indicator_map).to_numpy()
    value, low, high = (
        pd.Series(frame[v].to_numpy()[rows]) for v in ("AVAL", s.low_var, s.high_var)
    )
    return range_category(value, low, high).to_numpy()


def category_note(s: BdsSettings, options: CategoryOptions) -> str:
    if options.category == "range":
        return (
            f"Category from AVAL below {s.low_var} (Low) or above {s.high_var} (High); limits "
            "inclusive."
        )
    return f"Category from the reference-range indicator {s.indicator_var}."


def post_baseline(ctx: OutputContext, data: bc.BdsData, options) -> np.ndarray:
    """Dataset positions of the post-baseline records: the block's other analysis records on
    or after study day ``min_day`` (and within ``days_after_treatment`` of the last dose)."""
    frame = ctx.data[data.settings.dataset]
    rows = data.other_rows
    day = numbers_at(frame, options.day_var, rows)
    rows = rows[day >= options.min_day]
    if getattr(options, "days_after_treatment", None) is not None:
        end = frame["USUBJID"].iloc[rows].map(data.subjects.set_index("USUBJID")["TRTEDT"])
        limit = end + pd.to_timedelta(options.days_after_treatment, unit="D")
        rows = rows[(frame["ADT"].iloc[rows] <= limit).to_numpy()]
    return rows


def record_frame(frame: pd.DataFrame, rows: np.ndarray, data: bc.BdsData, params) -> pd.DataFrame:
    """USUBJID, PARAMCD, TIMEPOINT and ROW (dataset position) of the records at ``rows`` of the
    chosen parameters (only these columns are read, whatever the dataset holds)."""
    s = data.settings
    param = frame["PARAMCD"].to_numpy()[rows]
    keep = pd.Series(param).isin(params).to_numpy()
    rows = rows[keep]
    return pd.DataFrame(
        {
            "USUBJID": frame["USUBJID"].to_numpy()[rows],
            "PARAMCD": param[keep],
            "TIMEPOINT": frame[s.timepoint_var].to_numpy()[rows] if s.timepoint_var else "",
            "ROW": rows,
        }
    )


def prepare(ctx: OutputContext):
    opts: Options = ctx.options
    prep = bc.prepare(ctx)
    data = prep.data
    frame = ctx.data[data.settings.dataset]
    parts = []
    for rows in (data.baseline_rows, post_baseline(ctx, data, opts)):
        records = record_frame(frame, rows, data, prep.params)
        records["CAT"] = categorise(frame, records["ROW"].to_numpy(), data.settings, opts)
        parts.append(records)
    shifts = subject_shifts(*parts)
    return prep, shifts


def analyze(ctx: OutputContext, prepared) -> pd.DataFrame:
    prep, shifts = prepared
    data = prep.data
    return ard_bds_shift(
        shifts, data.subjects, ARM, ctx.arms, _keys(prep), group_var=data.group_var
    )


def _keys(prep: bc.BdsPrepared) -> list[tuple[str, str]]:
    return list(prep.blocks)


def build(ctx: OutputContext, prepared, ard: pd.DataFrame) -> list[Table]:
    prep, shifts = prepared
    data = prep.data
    if data.subjects.empty or shifts.empty:
        return [ctx.null()]
    opts: Options = ctx.options
    ix = ArdIndex(ard)
    listing = bds_links.shift_listing(ctx)
    tid = ctx.spec.id

    def n_pct(level, key, variable, variable_level):
        return ix.n_pct(
            group_level=level,
            param=key[0],
            timepoint=key[1],
            variable=variable,
            variable_level=variable_level,
        )

    def count(level, key, base: str, worst: str) -> Cell:
        """A shift count, linked to the listing rows of its subjects' abnormal post-baseline
        values when the worst category is abnormal (see :mod:`csrgen.outputs.bds_links`)."""
        variable, value = ("SHIFT", f"{base}/{worst}") if base else ("WORST", worst)
        where = dict(group_level=level, param=key[0], timepoint=key[1], variable=variable)
        text = n_pct(level, key, variable, value)
        if worst == NORMAL:
            return Cell(text)
        fields = links.arm_where(ctx, level) | {
            bds_links.PARAM: key[0],
            bds_links.win_key(tid): "Y",
            bds_links.wcat_key(tid): worst,
        }
        if key[1]:  # a block with timepoints: the row's timepoint too
            fields[bds_links.TIMEPOINT] = key[1]
        if base:
            fields[bds_links.bcat_key(tid)] = base
        n = ix.value("n", variable_level=value, **where)
        return links.count_cell(text, n, listing, tid, fields)

    def evaluable(level, key) -> str:
        return ix.text("n", group_level=level, param=key[0], timepoint=key[1], variable="WORST")

    columns = [Column("Parameter\n  Treatment arm\n    Baseline category", align="left", width=1.6)]
    columns += [Column(LABELS[w], key=w) for w in WORST_LEVELS] + [Column("Total", key="TOTAL")]
    spanners = (Spanner("Worst post-baseline category, n (%)", 1, len(WORST_LEVELS) + 1),)
    blank = [Cell("")] * (len(columns) - 1)
    rows: list[Row] = []
    for key in _keys(prep):
        rows.append(Row((Cell(data.block_label(*key), bold=True), *blank), kind="group"))
        has_missing = any(
            ix.value(
                "n",
                group_level=a,
                param=key[0],
                timepoint=key[1],
                variable="BNRIND",
                variable_level=MISSING,
            )
            > 0
            for a in ctx.arms
        )
        for arm in ctx.arms:
            head = f"{arm} (n={evaluable(arm, key)})"
            rows.append(Row((Cell(head, indent=1), *blank), kind="group"))
            for b in BASELINE_LEVELS:
                if b == MISSING and not has_missing:
                    continue
                cells = [Cell(LABELS[b], indent=2)]
                for w in WORST_LEVELS:
                    cells.append(count(arm, key, b, w))
                cells.append(Cell(n_pct(arm, key, "BNRIND", b)))
                rows.append(Row(tuple(cells)))
            total = [Cell("Total", indent=2)]
            for w in WORST_LEVELS:
                total.append(count(arm, key, "", w))
            total.append(Cell(evaluable(arm, key)))
            rows.append(Row(tuple(total)))

    footnotes = list(ctx.spec.footnotes)
    footnotes += [
        "n = subjects of the arm with at least one post-baseline value of the parameter; "
        "percentages are based on n. Each subject is counted once per parameter.",
        "Worst post-baseline category: High if any post-baseline value is above the reference "
        "range and none below; Low if any is below and none above; Low and high if the subject "
        "has values both below and above the range; Normal if all are within it. Missing: no "
        "baseline value.",
        window_note(data, opts),
    ]
    n_all = population_n(ix, ctx)
    return [
        Table(
            id=ctx.spec.id,
            number=ctx.spec.number,
            title=ctx.spec.title,
            population=ctx.population_line(n_all),
            columns=tuple(columns),
            rows=tuple(rows),
            spanners=spanners,
            footnotes=tuple(footnotes),
            source=ctx.source_line([data.settings.dataset, "adsl"]),
        )
    ]


def window_note(data: bc.BdsData, opts, categories: bool = True) -> str:
    """Which records were baseline and post-baseline, as a footnote."""
    s = data.settings
    window = f"study day {opts.day_var} >= {opts.min_day}"
    if getattr(opts, "days_after_treatment", None) is not None:
        window += f" and up to {opts.days_after_treatment} days after the last dose"
    flag = f" with {s.record_flag} = 'Y'" if s.record_flag else ""
    derived = " Derived records (DTYPE) are not used." if data.derived_left_out else ""
    return (
        (f"{category_note(s, opts)} " if categories else "")
        + f"Baseline: {s.baseline_rule()}. Post-baseline: every other record{flag} with "
        f"{window}, scheduled or not.{derived}"
    )


__all__: Sequence[str] = ["Options", "CategoryOptions", "requires", "prepare", "analyze", "build"]
