"""Table 14.3.5.x Laboratory shift table: baseline reference-range category against the worst
post-baseline category, by parameter and arm.

pre-processing: lab records (ADLB/ADLBC) of the population's subjects (arm from ADSL), of the
chosen parameters; each record's category LOW/NORMAL/HIGH from an indicator variable or from
AVAL against A1LO/A1HI (the study file says which); the baseline record (ABLFL = 'Y'), the
post-baseline records (study day >= ``min_day``, not the baseline record, optionally up to
``days_after_treatment`` after the last dose).
analysis: :func:`csrgen.analyses.lab_shifts.subject_shifts` (worst category per subject, rule in
that module) and :func:`~csrgen.analyses.lab_shifts.ard_lab_shift`.
build: per parameter and arm, one row per baseline category, one column per worst category.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from csrgen.analyses.lab_shifts import (
    BASELINE_LEVELS,
    BOTH,
    MISSING,
    WORST_LEVELS,
    ard_lab_shift,
    indicator_category,
    range_category,
    subject_shifts,
)
from csrgen.ard import ArdIndex
from csrgen.datasets import ARM
from csrgen.document.model import Cell, Column, Row, Spanner, Table
from csrgen.outputs.base import OptionsModel, OutputContext, population_n

LABELS = {
    "LOW": "Low",
    "NORMAL": "Normal",
    "HIGH": "High",
    BOTH: "Low and high",
    MISSING: "Missing",
}


class LabCategoryOptions(OptionsModel):
    """Which lab records and how they are categorised (shared with ``l_lab_abn``)."""

    #: Dataset role of the lab data.
    dataset: str = "adlb"
    #: PARAMCDs in order; empty: the study's ``[labs] params``, else every parameter in the data
    #: (ordered by PARAMN when present) not starting with an ``exclude_prefixes`` entry.
    params: list[str] = Field(default_factory=list)
    exclude_prefixes: list[str] = Field(default_factory=list)
    #: ``indicator``: category from ``indicator_var`` (LOW/NORMAL/HIGH or L/N/H, or mapped);
    #: ``range``: from ``value_var`` against ``low_var``/``high_var`` (limits inclusive).
    category: Literal["indicator", "range"] = "indicator"
    indicator_var: str = "ANRIND"
    indicator_map: dict[str, str] = Field(default_factory=dict)
    value_var: str = "AVAL"
    low_var: str = "A1LO"
    high_var: str = "A1HI"
    #: Record filter flag (e.g. ANL01FL); empty: every record.
    record_flag: str = ""
    param_label_var: str = "PARAM"


class Options(LabCategoryOptions):
    baseline_flag: str = "ABLFL"
    day_var: str = "ADY"
    #: Post-baseline records: study day >= min_day (day 1 = first dose).
    min_day: int = 1
    #: When set: only records up to this many days after the last dose (ADSL TRTEDT).
    days_after_treatment: int | None = Field(default=None, ge=0)


def category_vars(options: LabCategoryOptions) -> set[str]:
    names = {"USUBJID", "PARAMCD"}
    if options.category == "indicator":
        names.add(options.indicator_var)
    else:
        names |= {options.value_var, options.low_var, options.high_var}
    if options.record_flag:
        names.add(options.record_flag)
    if options.param_label_var:
        names.add(options.param_label_var)
    return names


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    names = category_vars(options) | {options.baseline_flag, options.day_var}
    need = {options.dataset: names}
    if options.days_after_treatment is not None:
        need[options.dataset].add("ADT")
        need["adsl"] = {"TRTEDT"}
    return need


def lab_params(ctx: OutputContext, lab: pd.DataFrame) -> list[str]:
    """The parameters in display order (see :attr:`LabCategoryOptions.params`)."""
    opts: LabCategoryOptions = ctx.options
    labs = ctx.config.labs
    params = list(opts.params) or (list(labs.params) if labs else [])
    if params:
        return params
    prefixes = tuple(opts.exclude_prefixes or (labs.exclude_prefixes if labs else []))
    # The distinct (PARAMN, PARAMCD) pairs, sorted, order the parameters as sorting every
    # record would, without sorting millions of records.
    keys = ["PARAMN", "PARAMCD"] if "PARAMN" in lab.columns else ["PARAMCD"]
    frame = lab[keys].drop_duplicates()
    if prefixes:
        frame = frame.loc[~frame["PARAMCD"].astype(str).str.startswith(prefixes)]
    frame = frame.sort_values(keys, kind="mergesort")
    return list(dict.fromkeys(frame["PARAMCD"].astype(str)))


def categorised(
    ctx: OutputContext, columns: Sequence[str] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """The population's lab records of the chosen parameters with their category in ``CAT``,
    and the parameters in order. With ``columns``, only those (and ``CAT``) are kept: the
    records are selected with one mask and copied once, without the dataset's other columns."""
    opts: LabCategoryOptions = ctx.options
    lab = ctx.data[opts.dataset]
    keep = lab["USUBJID"].isin(ctx.subjects["USUBJID"]).to_numpy()
    if opts.record_flag:
        keep &= (lab[opts.record_flag] == "Y").to_numpy()
    order = [c for c in ("PARAMCD", "PARAMN") if c in lab.columns]
    params = lab_params(ctx, lab.loc[keep, order])
    keep &= lab["PARAMCD"].isin(params).to_numpy()
    if columns is not None:
        lab = lab[list(dict.fromkeys(columns))]
    lab = lab.take(np.flatnonzero(keep))
    if opts.category == "indicator":
        lab["CAT"] = indicator_category(lab[opts.indicator_var], opts.indicator_map)
    else:
        lab["CAT"] = range_category(lab[opts.value_var], lab[opts.low_var], lab[opts.high_var])
    return lab, params


def category_note(opts: LabCategoryOptions) -> str:
    if opts.category == "range":
        return (
            f"Category from {opts.value_var} below {opts.low_var} (Low) or above "
            f"{opts.high_var} (High); limits inclusive."
        )
    return f"Category from the reference-range indicator {opts.indicator_var}."


def prepare(ctx: OutputContext):
    opts: Options = ctx.options
    subjects = ctx.subjects
    names = category_vars(opts) | {opts.baseline_flag, opts.day_var}
    if opts.days_after_treatment is not None:
        names.add("ADT")
    lab, params = categorised(ctx, sorted(names))
    is_base = (lab[opts.baseline_flag] == "Y").to_numpy()
    is_post = ~is_base & (lab[opts.day_var] >= opts.min_day).to_numpy()
    if opts.days_after_treatment is not None:
        rows = np.flatnonzero(is_post)
        end = lab["USUBJID"].iloc[rows].map(subjects.set_index("USUBJID")["TRTEDT"])
        limit = end + pd.to_timedelta(opts.days_after_treatment, unit="D")
        is_post[rows] = (lab["ADT"].iloc[rows] <= limit).to_numpy()
    keys = ["USUBJID", "PARAMCD", "CAT"]
    shifts = subject_shifts(lab.loc[is_base, keys], lab.loc[is_post, keys])
    labels = {}
    if opts.param_label_var:
        # Each parameter's label on its last record (as a dict built over all records keeps).
        last = ~lab["PARAMCD"].duplicated(keep="last").to_numpy()
        pairs = zip(
            lab.loc[last, "PARAMCD"].astype(str),
            lab.loc[last, opts.param_label_var].astype(str),
            strict=True,
        )
        labels = dict(pairs)
    return subjects, shifts, params, labels


def analyze(ctx: OutputContext, prepared) -> pd.DataFrame:
    subjects, shifts, params, _ = prepared
    return ard_lab_shift(shifts, subjects, ARM, ctx.arms, params, group_var=ctx.arm_var)


def build(ctx: OutputContext, prepared, ard: pd.DataFrame) -> list[Table]:
    subjects, shifts, params, labels = prepared
    if subjects.empty or shifts.empty:
        return [ctx.null()]
    opts: Options = ctx.options
    ix = ArdIndex(ard)

    def stat(level, param, variable, name, variable_level=""):
        return ix.value(
            name, group_level=level, param=param, variable=variable, variable_level=variable_level
        )

    def n_pct(level, param, variable, variable_level):
        return ix.n_pct(
            group_level=level, param=param, variable=variable, variable_level=variable_level
        )

    columns = [Column("Parameter\n  Treatment arm\n    Baseline category", align="left", width=1.6)]
    columns += [Column(LABELS[w], key=w) for w in WORST_LEVELS] + [Column("Total", key="TOTAL")]
    spanners = (Spanner("Worst post-baseline category, n (%)", 1, len(WORST_LEVELS) + 1),)
    blank = [Cell("")] * (len(columns) - 1)
    rows: list[Row] = []
    for param in params:
        rows.append(Row((Cell(labels.get(param, param), bold=True), *blank), kind="group"))
        has_missing = any(stat(a, param, "BNRIND", "n", MISSING) > 0 for a in ctx.arms)
        for arm in ctx.arms:
            head = f"{arm} (n={ix.text('n', group_level=arm, param=param, variable='WORST')})"
            rows.append(Row((Cell(head, indent=1), *blank), kind="group"))
            for b in BASELINE_LEVELS:
                if b == MISSING and not has_missing:
                    continue
                cells = [Cell(LABELS[b], indent=2)]
                for w in WORST_LEVELS:
                    k = f"{b}/{w}"
                    cells.append(Cell(n_pct(arm, param, "SHIFT", k)))
                cells.append(Cell(n_pct(arm, param, "BNRIND", b)))
                rows.append(Row(tuple(cells)))
            total = [Cell("Total", indent=2)]
            for w in WORST_LEVELS:
                total.append(Cell(n_pct(arm, param, "WORST", w)))
            total.append(Cell(ix.text("n", group_level=arm, param=param, variable="WORST")))
            rows.append(Row(tuple(total)))

    footnotes = list(ctx.spec.footnotes)
    footnotes += [
        "n = subjects of the arm with at least one post-baseline value of the parameter; "
        "percentages are based on n. Each subject is counted once per parameter.",
        "Worst post-baseline category: High if any post-baseline value is above the reference "
        "range and none below; Low if any is below and none above; Low and high if the subject "
        "has values both below and above the range; Normal if all are within it. Missing: no "
        "baseline value.",
        _window_note(opts),
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
            source=ctx.source_line([opts.dataset, "adsl"]),
        )
    ]


def _window_note(opts: Options) -> str:
    window = f"study day {opts.day_var} >= {opts.min_day}"
    if opts.days_after_treatment is not None:
        window += f" and up to {opts.days_after_treatment} days after the last dose"
    return (
        f"{category_note(opts)} Baseline: the record with {opts.baseline_flag} = 'Y'. "
        f"Post-baseline: every other record with {window}, scheduled or not."
    )
