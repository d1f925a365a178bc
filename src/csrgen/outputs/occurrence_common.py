"""What the occurrence tables share (``t_cm``, ``t_mh``, ``t_dv``): the records of the
population, the options every one takes, and the table of subjects by class and term.

pre-processing (:func:`occurrence_records`): the records of the output's population, the arm
from ADSL (the population's arm variable, as in every other table), the study file's
``where``/``exclude`` filters, blank class or term values labelled "UNCODED".
analysis: :func:`csrgen.analyses.occurrences.ard_occurrences`.
build (:func:`build_occurrence_table`): the any-record row, then each outer value (bold, kept
with its first inner row) with its inner values indented beneath, each level sorted by
descending number of subjects (all arms), then name (or by name); in HTML the innermost terms
link to their records in the listing (exact term).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import pandas as pd
from pydantic import Field

from csrgen import formatting as fmt
from csrgen.analyses.occurrences import PATH_SEP, ard_occurrences
from csrgen.ard import ArdIndex
from csrgen.datasets import ARM
from csrgen.document.model import Cell, Column, ListingFilter, Row, Table
from csrgen.outputs.base import (
    OptionsModel,
    OutputContext,
    arm_header_columns,
    arm_levels,
    population_n,
)
from csrgen.outputs.listing_common import keep_rows

#: Shown for a blank class or term (not coded).
UNCODED = "UNCODED"


class OccurrenceOptions(OptionsModel):
    """Options every occurrence table takes; modules add their own variables and rules."""

    #: Dataset role of the records (``data.datasets`` key).
    dataset: str
    #: Total column; default the study file's ``arms.total``.
    total: bool | None = None
    #: Row order within each level: by descending subjects (all arms), then name; or by name.
    sort: Literal["frequency", "alphabetical"] = "frequency"
    #: Text of the first row; default the module's.
    any_label: str = ""
    #: Landscape page; default: when the table has more than four number columns.
    landscape: bool | None = None
    #: Id of the listing the innermost terms link to in HTML (its records of the term, selected
    #: by the term's field: the listing's column or stacked-column part); "" for none.
    listing: str = ""
    #: Stub header; default the module's (the levels' names).
    stub_header: str = ""
    #: Keep only records whose variable holds one of the values ({MHCAT = ["..."]}).
    where: dict[str, list[str]] = Field(default_factory=dict)
    #: Drop records whose variable holds one of the values.
    exclude: dict[str, list[str]] = Field(default_factory=dict)


@dataclass(frozen=True)
class Occurrences:
    """The output's population and the records it counts."""

    #: ADSL rows of the population, arm in ``ARM``.
    subjects: pd.DataFrame
    #: The records to count: the dataset's columns, ``ARM``, level values labelled.
    records: pd.DataFrame
    #: Footnote sentences stating the rules applied (what was counted).
    notes: tuple[str, ...] = ()


def text(series: pd.Series) -> pd.Series:
    """Values as stripped text, missing as ""."""
    blank = series.isna()
    return series.astype(object).where(~blank, "").astype(str).str.strip()


def occurrence_requires(options: OccurrenceOptions, levels: Sequence[str]) -> dict[str, set]:
    """Variables an occurrence table needs: its levels and filters, from its dataset."""
    names = {"USUBJID", *levels, *options.where, *options.exclude}
    return {options.dataset: names, "adsl": set()}


def occurrence_records(ctx: OutputContext, levels: Sequence[str]) -> pd.DataFrame:
    """The records of the population's subjects, arm from ADSL, filters applied, levels as
    text (blank: :data:`UNCODED`)."""
    opts: OccurrenceOptions = ctx.options
    data = ctx.data[opts.dataset]
    arm_of = ctx.subjects.set_index("USUBJID")[ARM]
    records = keep_rows(data.loc[data["USUBJID"].isin(arm_of.index)], opts).copy()
    records[ARM] = pd.Categorical(
        records["USUBJID"].map(arm_of).astype(object), categories=ctx.arms, ordered=True
    )
    for var in levels:
        records[var] = text(records[var]).replace("", UNCODED)
    return records.reset_index(drop=True)


def occurrence_ard(
    ctx: OutputContext,
    occ: Occurrences,
    any_variable: str,
    levels: Sequence[str],
    top_levels: Sequence[str] = (),
) -> pd.DataFrame:
    return ard_occurrences(
        occ.subjects,
        occ.records,
        arm=ARM,
        arms=ctx.arms,
        any_variable=any_variable,
        levels=levels,
        group_var=ctx.arm_var,
        total_label=ctx.config.arms.total_label,
        total=show_total(ctx),
        top_levels=top_levels,
    )


def show_total(ctx: OutputContext) -> bool:
    return ctx.config.arms.total if ctx.options.total is None else ctx.options.total


def _ordered(
    n_rows: pd.DataFrame, variable: str, path: str, sort: str, fixed: Sequence[str]
) -> list[str]:
    """Values of ``variable`` under the parent ``path``: ``fixed`` ones first in their order,
    then the others by descending subjects (all arms), then name (or by name)."""
    rows = n_rows[(n_rows["variable"] == variable) & (n_rows["param"] == path)]
    total = rows.groupby("variable_level")["stat"].sum()
    rest = [v for v in total.index if v not in fixed]
    key = None if sort == "alphabetical" else (lambda v: (-total[v], v))
    return [v for v in fixed if v in total.index] + sorted(rest, key=key)


def build_occurrence_table(
    ctx: OutputContext,
    occ: Occurrences,
    ard: pd.DataFrame,
    levels: Sequence[str],
    any_variable: str,
    any_label: str,
    stub_header: str,
    what: str,
    footnotes: Sequence[str],
    top_levels: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
) -> list[Table]:
    """The table of subjects n (%) by arm: any-record row, then the levels nested.

    ``what`` names the records for the "No ... reported" row; ``labels`` maps outermost values
    to the text shown (``MAJOR`` -> ``Major``).
    """
    if occ.subjects.empty:
        return [ctx.null()]
    opts: OccurrenceOptions = ctx.options
    levels_shown = arm_levels(ctx, show_total(ctx))
    ix = ArdIndex(ard)
    n_rows = ard[(ard["stat_name"] == "n") & ard["group_level"].isin(ctx.arms)]
    labels = labels or {}
    listing = opts.listing if any(o.id == opts.listing for o in ctx.config.outputs) else ""

    def cells(variable: str, value: str, path: str) -> list[Cell]:
        where = dict(variable=variable, variable_level=value, param=path)
        return [Cell(fmt.fmt_nowrap(ix.n_pct(group_level=lv, **where))) for lv in levels_shown]

    rows = [Row((Cell(opts.any_label or any_label, bold=True), *cells(any_variable, "", "")))]

    def nest(depth: int, path: str, parents: list[str]) -> None:
        variable = levels[depth]
        fixed = top_levels if depth == 0 else ()
        for value in _ordered(n_rows, variable, path, opts.sort, fixed):
            inner = depth < len(levels) - 1
            shown = labels.get(value, value) if depth == 0 else value
            cell = Cell(shown, indent=depth, bold=inner)
            if not inner and listing:
                # the term's records in the listing, by the term's own field (exact text); an
                # uncoded term is blank there: the link jumps to the listing as a whole
                rows_of = (
                    None if value == UNCODED else ListingFilter.of(ctx.spec.id, **{variable: value})
                )
                cell = replace(cell, link=f"#{listing}", filter=rows_of)
            rows.append(
                Row((cell, *cells(variable, value, path)), kind="group" if inner else "data")
            )
            if inner:
                child = PATH_SEP.join([*parents, value])
                nest(depth + 1, child, [*parents, value])

    nest(0, "", [])
    if occ.records.empty and not top_levels:
        blank = [Cell("")] * len(levels_shown)
        rows.append(Row((Cell(f"No {what} reported"), *blank)))
    columns = [Column(opts.stub_header or stub_header, align="left", width=3.0, key="stub")]
    columns += arm_header_columns(ix, ctx, show_total(ctx))
    return [
        Table(
            id=ctx.spec.id,
            number=ctx.spec.number,
            title=ctx.spec.title,
            population=ctx.population_line(population_n(ix, ctx)),
            columns=tuple(columns),
            rows=tuple(rows),
            footnotes=tuple(ctx.spec.footnotes) + tuple(footnotes),
            source=ctx.source_line(["adsl", opts.dataset]),
            landscape=(opts.landscape if opts.landscape is not None else len(columns) - 1 > 4),
        )
    ]


def counts_footnote(what: str) -> str:
    return (
        f"n (%): subjects with at least one {what} in the row (percentage of N, the subjects of "
        "the population in the arm); a subject is counted once per row, whatever the number of "
        "records."
    )


def filter_note(options: OccurrenceOptions) -> list[str]:
    """The ``where``/``exclude`` filters as a footnote sentence (none when unused)."""
    parts = [f"{var} in ({', '.join(v)})" for var, v in options.where.items()]
    parts += [f"{var} not in ({', '.join(v)})" for var, v in options.exclude.items()]
    return [f"Records counted: {' and '.join(parts)}."] if parts else []


def sort_text(sort: str) -> str:
    """How the rows are ordered, for the footnote."""
    if sort == "alphabetical":
        return "name"
    return "descending number of subjects (all arms), then name"
