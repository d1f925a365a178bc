"""What the section 16.2 listings share: column specs, the source frame, sorting, the Listing.

Every listing starts with the subject and the treatment arm, is sorted by arm (study order),
subject and the listing's own date/sequence keys, and is laid out landscape with its header
repeated on every page. A listing longer than the study file's ``document.listing_max_rows``
keeps all its rows (the HTML shows them) and names the CSV/XLSX files that
:mod:`csrgen.writers.listings` writes beside the documents; the DOCX prints the reference only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from csrgen import formatting as fmt
from csrgen.analyses.listings import ard_listed
from csrgen.ard import stat_lookup
from csrgen.datasets import ARM
from csrgen.document.model import Cell, Column, Listing, Row
from csrgen.outputs.base import OptionsModel, OutputContext

SUBJECT_LABEL = "Subject"
ARM_LABEL = "Treatment"
NO_DATA = "No data to report"


class ListingColumn(OptionsModel):
    """A listing column: one or more variables, their printed values joined by ``sep``."""

    label: str
    vars: list[str] = Field(min_length=1)
    sep: str = "/"
    #: Decimals of numbers; None prints the value as recorded (never rounded).
    decimals: int | None = Field(default=None, ge=0, le=6)
    #: Relative width hint for the page layout.
    width: float = Field(default=1.0, gt=0)
    #: ``keep``: a blank part keeps its place ("12/" = start day 12, no end day); ``drop``:
    #: blank parts are left out ("DEATH", not "DEATH: "). All parts blank print blank.
    blanks: Literal["keep", "drop"] = "drop"


class ListingOptions(OptionsModel):
    """Options every listing takes; modules add their own and set the defaults."""

    columns: list[ListingColumn] = Field(default_factory=list)
    #: Sort keys after arm and subject (dates first, then a sequence number for ties).
    sort: list[str] = Field(default_factory=list)
    #: Keep only records whose variable holds one of the values ({AESER = ["Y"]}).
    where: dict[str, list[str]] = Field(default_factory=dict)
    #: Drop records whose variable holds one of the values ({AVISIT = ["End of Treatment"]}).
    exclude: dict[str, list[str]] = Field(default_factory=dict)


#: Subject-level variables a listing takes from ADSL when its own dataset lacks them.
SUBJECT_LEVEL = frozenset(
    {"AGE", "SEX", "RACE", "ETHNIC", "SITEID", "SUBJID", "TRTSDT", "TRTEDT", "RANDDT", "EOSDT"}
)


def listing_requires(
    options: ListingOptions, role: str, derived: frozenset[str] = frozenset()
) -> dict[str, set[str]]:
    """Variables a listing needs: subject-level ones from ADSL, every other one from ``role``;
    ``derived`` names are made by the listing itself (not read from a dataset)."""
    names = {v for col in options.columns for v in col.vars}
    names |= set(options.sort) | set(options.where) | set(options.exclude)
    names -= derived
    out: dict[str, set[str]] = {role: {"USUBJID"} | (names - SUBJECT_LEVEL)}
    if role != "adsl":
        out["adsl"] = names & SUBJECT_LEVEL
    else:
        out["adsl"] |= names & SUBJECT_LEVEL
    return out


def with_subjects(ctx: OutputContext, records: pd.DataFrame) -> pd.DataFrame:
    """Records of the population's subjects, with the arm (``_ARM``) and the ADSL variables the
    records lack (AGE, SEX, TRTSDT, ...) merged on USUBJID."""
    subjects = ctx.subjects
    extra = [c for c in subjects.columns if c not in records.columns and c != "USUBJID"]
    records = records.drop(columns=[ARM], errors="ignore")
    return records.merge(subjects[["USUBJID", *extra]], on="USUBJID", how="inner")


def keep_rows(frame: pd.DataFrame, options: ListingOptions) -> pd.DataFrame:
    """Apply ``where`` and ``exclude`` (text compared stripped)."""
    mask = np.ones(len(frame), dtype=bool)
    for var, values in options.where.items():
        mask &= _text(frame[var]).isin(values).to_numpy()
    for var, values in options.exclude.items():
        mask &= ~_text(frame[var]).isin(values).to_numpy()
    return frame.loc[mask]


def _text(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.strip()


def sort_listing(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Arm (study order), subject, then ``keys``; missing dates/values last; stable."""
    by = [ARM, "USUBJID"] + [k for k in keys if k in frame.columns]
    return frame.sort_values(by, kind="mergesort", na_position="last").reset_index(drop=True)


def cell_text(value, decimals: int | None = None) -> str:
    """A data value as printed in a listing: dates ISO 8601, numbers unrounded, blanks blank."""
    if isinstance(value, (pd.Timestamp, np.datetime64)) or value is pd.NaT:
        return fmt.fmt_date(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return fmt.fmt_listing_num(float(value), decimals)
    if value is None:
        return ""
    return str(value).strip()


def column_texts(frame: pd.DataFrame, col: ListingColumn) -> list[str]:
    parts = [
        [cell_text(v, col.decimals) for v in frame[var].tolist()]
        if var in frame.columns
        else [""] * len(frame)
        for var in col.vars
    ]
    if col.blanks == "keep":
        return [col.sep.join(v) if any(v) else "" for v in zip(*parts, strict=True)]
    return [col.sep.join(p for p in v if p) for v in zip(*parts, strict=True)]


def anchor_id(listing_id: str, subject: str, k: int) -> str:
    """A stable HTML id for a listing row: listing, subject, the row's place within the subject."""
    return f"{listing_id}-{re.sub(r'[^A-Za-z0-9_-]+', '-', subject)}-{k}"


def listing_ard(ctx: OutputContext, rows: pd.DataFrame) -> pd.DataFrame:
    return ard_listed(
        ctx.subjects,
        rows,
        arm=ARM,
        arms=ctx.arms,
        group_var=ctx.arm_var,
        total=True,
        total_label=ctx.config.arms.total_label,
    )


def null_listing(ctx: OutputContext, n: float | None = 0, reason: str = NO_DATA) -> Listing:
    return Listing(
        id=ctx.spec.id,
        number=ctx.spec.number,
        title=ctx.spec.title,
        population=ctx.population_line(n),
        columns=(Column(""),),
        rows=(),
        footnotes=tuple(ctx.spec.footnotes),
        null_reason=reason,
    )


def build_listing(
    ctx: OutputContext,
    rows: pd.DataFrame,
    ard: pd.DataFrame,
    columns: Sequence[ListingColumn],
    roles: Sequence[str],
    footnotes: Sequence[str] = (),
    anchors: bool = False,
) -> Listing:
    """The Listing of sorted ``rows``: subject, arm, then ``columns``; external when too long."""
    total = ctx.config.arms.total_label
    big_n = stat_lookup(ard, group_level=total, variable="", stat_name="N")
    notes = tuple(ctx.spec.footnotes) + tuple(footnotes)
    if rows.empty:
        return null_listing(ctx, big_n)
    cols = [
        Column(SUBJECT_LABEL, align="left", width=1.1, key="USUBJID"),
        Column(ARM_LABEL, align="left", width=1.1, key=ctx.arm_var),
    ]
    cols += [Column(c.label, align="left", width=c.width, key="+".join(c.vars)) for c in columns]
    texts = [rows["USUBJID"].astype(str).tolist(), rows[ARM].astype(str).tolist()]
    texts += [column_texts(rows, c) for c in columns]
    body = []
    seen: dict[str, int] = {}
    for values in zip(*texts, strict=True):
        anchor = ""
        if anchors:
            seen[values[0]] = seen.get(values[0], 0) + 1
            anchor = anchor_id(ctx.spec.id, values[0], seen[values[0]])
        body.append(Row(tuple(Cell(v) for v in values), anchor=anchor))
    n_rows = len(body)
    external: tuple[str, ...] = ()
    if n_rows > ctx.config.document.listing_max_rows:
        external = (f"{ctx.spec.id}.csv", f"{ctx.spec.id}.xlsx")
    return Listing(
        id=ctx.spec.id,
        number=ctx.spec.number,
        title=ctx.spec.title,
        population=ctx.population_line(big_n),
        columns=tuple(cols),
        rows=tuple(body),
        footnotes=notes,
        source=ctx.source_line(roles),
        external=external,
        total_rows=n_rows,
    )
