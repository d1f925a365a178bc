"""What the section 16.2 listings share: column specs, the source frame, sorting, the Listing.

Every listing starts with the subject and the treatment arm, is sorted by arm (study order),
subject and the listing's own date/sequence keys, and is laid out landscape with its header
repeated on every page. A listing longer than the study file's ``document.listing_max_rows``
names the files that :mod:`csrgen.writers.listings` writes beside the documents (CSV; XLSX too
up to ``document.listing_xlsx_max_rows`` rows), and the DOCX prints the reference to those files
instead of the rows. The HTML still shows the rows (sortable, filterable, the target of the
summary tables' links) up to ``document.html_listing_max_rows``; a listing longer than that holds
no rows of cells but its texts column by column, factorised (each distinct text once, see
:func:`column_text`), and the HTML refers to the files as well.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from csrgen import formatting as fmt
from csrgen.analyses.disposition import matches
from csrgen.analyses.listings import ard_listed
from csrgen.ard import ArdIndex
from csrgen.config import Text, VarName, check_var_name
from csrgen.datasets import ARM
from csrgen.document.model import Cell, Column, Listing, Row, TextColumn, small_codes
from csrgen.errors import Problem
from csrgen.outputs.base import OptionsModel, OutputContext, option_path, value_problems

SUBJECT_LABEL = "Subject"
ARM_LABEL = "Treatment"
NO_DATA = "No data to report"


class ListingColumn(OptionsModel):
    """A listing column: one or more variables, their printed values joined by ``sep``."""

    label: Text
    vars: list[VarName] = Field(min_length=1)
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
    sort: list[VarName] = Field(default_factory=list)
    #: Keep only records whose variable holds one of the values ({AESER = ["Y"]}).
    where: dict[VarName, list[str]] = Field(default_factory=dict)
    #: Drop records whose variable holds one of the values ({AVISIT = ["End of Treatment"]}).
    exclude: dict[VarName, list[str]] = Field(default_factory=dict)

    # Validators by field name: they also hold where a listing re-declares the field with
    # its own default (l_ae's sort, l_sae's where).
    @field_validator("where", "exclude")
    @classmethod
    def _values_given(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for name in value:
            check_var_name(name)
        empty = sorted(k for k, v in value.items() if not v)
        if empty:
            raise ValueError(f"{', '.join(empty)}: give at least one value")
        return value

    @field_validator("sort")
    @classmethod
    def _sort_names(cls, value: list[str]) -> list[str]:
        for name in value:
            check_var_name(name)
        return value


#: Subject-level variables a listing takes from ADSL when its own dataset lacks them.
SUBJECT_LEVEL = frozenset(
    {"AGE", "SEX", "RACE", "ETHNIC", "SITEID", "SUBJID", "TRTSDT", "TRTEDT", "RANDDT", "EOSDT"}
)


def listed_vars(options: ListingOptions) -> set[str]:
    """The variables a listing prints, sorts or filters by."""
    names = {v for col in options.columns for v in col.vars}
    return names | set(options.sort) | set(options.where) | set(options.exclude)


def listing_requires(
    options: ListingOptions, role: str, derived: frozenset[str] = frozenset()
) -> dict[str, set[str]]:
    """Variables a listing needs: subject-level ones from ADSL, every other one from ``role``;
    ``derived`` names are made by the listing itself (not read from a dataset)."""
    names = listed_vars(options) - derived
    out: dict[str, set[str]] = {role: {"USUBJID"} | (names - SUBJECT_LEVEL)}
    if role != "adsl":
        out["adsl"] = names & SUBJECT_LEVEL
    else:
        out["adsl"] |= names & SUBJECT_LEVEL
    return out


def with_subjects(
    ctx: OutputContext, records: pd.DataFrame, keep: Sequence[str] = ()
) -> pd.DataFrame:
    """Records of the population's subjects: USUBJID, the arm (``_ARM``) and the variables the
    listing prints, sorts or filters by (and ``keep``), those the records lack (AGE, SEX, TRTSDT,
    ...) merged from ADSL on USUBJID. Other variables are left out: every later step copies the
    rows."""
    subjects = ctx.subjects
    names = (listed_vars(ctx.options) | set(keep)) - {"USUBJID", ARM}
    own = [c for c in records.columns if c in names]
    extra = [c for c in subjects.columns if c in names and c not in own]
    return records[["USUBJID", *own]].merge(
        subjects[["USUBJID", ARM, *extra]], on="USUBJID", how="inner"
    )


def keep_rows(frame: pd.DataFrame, options: ListingOptions) -> pd.DataFrame:
    """Apply ``where`` and ``exclude`` (text compared stripped, numbers by value)."""
    mask = np.ones(len(frame), dtype=bool)
    for var, values in options.where.items():
        mask &= matches(frame, var, values).to_numpy()
    for var, values in options.exclude.items():
        mask &= ~matches(frame, var, values).to_numpy()
    return frame.loc[mask]


def listing_checks(ctx: OutputContext, role: str) -> list[Problem]:
    """A listing's ``check`` hook: its ``where``/``exclude`` values fit their variables' types
    (a text value for a numeric variable would never match)."""
    out = []
    own = ctx.data[role].columns if role in ctx.data else ()
    for name in ("where", "exclude"):
        for var, values in getattr(ctx.options, name).items():
            source = role if var in own or var not in SUBJECT_LEVEL else "adsl"
            key = option_path(ctx.config, ctx.spec, f"{name}.{var}")
            out += value_problems(ctx, source, key, var, values)
    return out


def _text(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.strip()


def sort_listing(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Arm (study order), subject, then ``keys``; missing dates/values last; stable."""
    by = [ARM, "USUBJID"] + [k for k in keys if k in frame.columns]
    # the order from the key columns alone, then one copy of the rows in that order
    order = frame[by].reset_index(drop=True).sort_values(by, kind="mergesort", na_position="last")
    out = frame.take(order.index.to_numpy())
    out.index = pd.RangeIndex(len(out))
    return out


def cell_text(value, decimals: int | None = None) -> str:
    """A data value as printed in a listing: dates ISO 8601, numbers unrounded, blanks blank."""
    if isinstance(value, (pd.Timestamp, np.datetime64)) or value is pd.NaT:
        return fmt.fmt_date(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return fmt.fmt_listing_num(float(value), decimals)
    if value is None:
        return ""
    return str(value).strip()


#: Object columns whose values are all of one kind of type: equal values print alike, so each
#: distinct value is printed once. Others (1, 1.0 and True are one value to pandas but print
#: "1" and "True"; datetime and Timestamp) are printed value by value.
_SAFE_OBJECTS = frozenset({"string", "empty", "integer", "floating", "boolean"})


def _first_positions(codes: np.ndarray) -> np.ndarray:
    """Where each code first occurs: :func:`pandas.factorize` numbers values in order of
    appearance, so a code first occurs where the running maximum grows (missing = -1 skipped)."""
    running = np.maximum.accumulate(codes) if len(codes) else codes
    return np.flatnonzero(np.diff(running, prepend=-1) > 0)


def value_codes(
    series: pd.Series, text_of: Callable[[pd.Series], list[str]]
) -> tuple[np.ndarray, list[str]]:
    """Codes of a variable's values and the text of each code, ``text_of`` applied once per
    distinct value (on the values as ``Series.tolist`` gives them).

    Missing values get one code per kind (None, NaN, NaT and pd.NA may print differently),
    with the text ``text_of`` gives that kind. Returns ``(codes, texts)``.
    """
    mixed = series.dtype == object and (
        pd.api.types.infer_dtype(series, skipna=True) not in _SAFE_OBJECTS
    )
    if mixed:
        codes, uniques = pd.factorize(np.asarray(text_of(series), dtype=object))
        return codes, list(uniques)
    codes, _ = pd.factorize(series)
    texts = text_of(series.iloc[_first_positions(codes)])
    missing = codes < 0
    if missing.any():
        gaps = series[missing]
        kinds = (
            pd.factorize(gaps.map(type))[0]
            if series.dtype == object
            else np.zeros(len(gaps), dtype=np.intp)
        )
        codes[missing] = len(texts) + kinds
        texts += text_of(gaps.iloc[_first_positions(kinds)])
    return codes, texts


def _printed(decimals: int | None) -> Callable[[pd.Series], list[str]]:
    return lambda values: [cell_text(v, decimals) for v in values.tolist()]


def _as_str(values: pd.Series) -> list[str]:
    return values.astype(str).tolist()


def _as_text_column(series: pd.Series) -> TextColumn:
    """Subject and arm: the values as text (``str``), not as listing cells."""
    codes, texts = value_codes(series, _as_str)
    return TextColumn(tuple(texts), small_codes(codes, len(texts)))


def column_text(frame: pd.DataFrame, col: ListingColumn) -> TextColumn:
    """The printed texts of a listing column, factorised (:class:`TextColumn`).

    Each variable's distinct values are printed once (:func:`cell_text`); a column of several
    variables pairs their codes (re-numbered after each pair, so codes stay small) and joins the
    parts' texts once per distinct combination: ``keep`` joins all parts unless all are blank,
    ``drop`` leaves blank parts out.
    """
    parts = [
        value_codes(frame[var], _printed(col.decimals))
        if var in frame.columns
        else (np.zeros(len(frame), dtype=np.intp), [""])
        for var in col.vars
    ]
    codes, texts = parts[0]
    if len(parts) == 1:
        values = (
            typed_values(frame[col.vars[0]], codes, col.decimals) if col.vars[0] in frame else ()
        )
        return TextColumn(tuple(texts), small_codes(codes, len(texts)), values, col.decimals)
    # combos[p][j]: the code of part p in distinct combination j
    combos = [np.arange(len(texts))]
    for part_codes, part_texts in parts[1:]:
        paired, _ = pd.factorize(codes.astype(np.int64) * len(part_texts) + part_codes)
        first = _first_positions(paired)
        combos = [c[codes[first]] for c in combos] + [part_codes[first]]
        codes = paired
    part_texts = [t for _, t in parts]
    joined = []
    for combo in zip(*combos, strict=True):
        values = [t[k] for t, k in zip(part_texts, combo, strict=True)]
        if col.blanks == "keep":
            joined.append(col.sep.join(values) if any(values) else "")
        else:
            joined.append(col.sep.join(v for v in values if v))
    return TextColumn(tuple(joined), small_codes(codes, len(joined)))


def typed_values(series: pd.Series, codes: np.ndarray, decimals: int | None) -> tuple:
    """The value each code of a number or date variable prints (:func:`value_codes`), for a
    spreadsheet: a number rounded as printed (an integer when whole) or a date; ``None`` for a
    blank. Empty for any other variable (its cells are text)."""
    if pd.api.types.is_bool_dtype(series):
        return ()
    is_date = pd.api.types.is_datetime64_any_dtype(series)
    if not (is_date or pd.api.types.is_numeric_dtype(series)) or not len(codes):
        return ()
    _, first = np.unique(codes, return_index=True)  # every code occurs: its first row
    out: list = []
    for value in series.iloc[first].tolist():
        if value is None or pd.isna(value):
            out.append(None)
        elif is_date:
            out.append(pd.Timestamp(value).date())
        else:
            number = float(value if decimals is None else fmt.round_half_up(value, decimals))
            out.append(int(number) if number.is_integer() else number)
    return tuple(out)


def stacked_facts(columns: Sequence[ListingColumn]) -> list[tuple[str, str]]:
    """The variables of stacked columns (several variables one per line, e.g. a class above its
    term) as (variable, label) fields of their own, for :func:`build_listing`'s ``facts``: a
    link then selects a term exactly, not by the text of the stacked cell. The label is the
    column label's line of the variable (``"ATC class/\\nPreferred name"``)."""
    out = []
    for col in columns:
        if len(col.vars) < 2 or col.sep != "\n":
            continue
        lines = [line.strip().rstrip("/").strip() for line in col.label.split("\n")]
        names = lines if len(lines) == len(col.vars) else col.vars
        out += list(zip(col.vars, names, strict=True))
    return out


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
    facts: Sequence[tuple[str, str]] = (),
) -> Listing:
    """The Listing of sorted ``rows``: subject, arm, then ``columns``; external when too long.

    ``facts`` (variable, label) are the fields that the summary tables' links select rows by
    (:class:`~csrgen.document.model.ListingFilter`): each is a column when one prints that
    variable alone, else a hidden fact of the rows (the variable's printed text)."""
    total = ctx.config.arms.total_label
    big_n = ArdIndex(ard).value("N", group_level=total)
    notes = tuple(ctx.spec.footnotes) + tuple(footnotes)
    if rows.empty:
        return null_listing(ctx, big_n)
    cols = [
        Column(SUBJECT_LABEL, align="left", width=1.1, key="USUBJID"),
        Column(ARM_LABEL, align="left", width=1.1, key=ctx.arm_var),
    ]
    cols += [Column(c.label, align="left", width=c.width, key="+".join(c.vars)) for c in columns]
    texts = [_as_text_column(rows["USUBJID"]), _as_text_column(rows[ARM])]
    texts += [column_text(rows, c) for c in columns]
    shown = {c.key for c in cols}
    hidden = [(var, label) for var, label in facts if var not in shown]
    settings = ctx.config.document
    listing = Listing(
        id=ctx.spec.id,
        number=ctx.spec.number,
        title=ctx.spec.title,
        population=ctx.population_line(big_n),
        columns=tuple(cols),
        rows=(),
        footnotes=notes,
        source=ctx.source_line(roles),
        total_rows=len(rows),
    )
    if len(rows) > settings.listing_max_rows:
        files = listing_files(ctx.spec.id, len(rows), settings.listing_xlsx_max_rows)
        listing = replace(listing, external=files, data=tuple(texts))
        if len(rows) > settings.html_listing_max_rows:
            return listing
    fact_texts = [column_text(rows, ListingColumn(label=lb, vars=[v])) for v, lb in hidden]
    return replace(
        listing,
        rows=_body(ctx.spec.id, texts, anchors, fact_texts),
        facts=tuple(Column(label, key=var) for var, label in hidden),
    )


def listing_files(listing_id: str, n_rows: int, xlsx_max_rows: int) -> tuple[str, ...]:
    """The files a long listing is written to: the CSV, and the XLSX unless the listing is
    longer than ``document.listing_xlsx_max_rows`` (a spreadsheet of millions of rows is slow to
    write and to open; Excel's sheets stop at 1,048,576 rows)."""
    names = (f"{listing_id}.csv",)
    return (*names, f"{listing_id}.xlsx") if n_rows <= xlsx_max_rows else names


def _body(
    listing_id: str, texts: Sequence[TextColumn], anchors: bool, facts: Sequence[TextColumn]
) -> tuple[Row, ...]:
    """Rows of cells of a printed listing, with their hidden ``facts``; with ``anchors``, each
    row's HTML id.

    Each distinct text of a column is one Cell, shared by the rows that print it: a listing
    of thousands of rows repeats a few hundred texts, and shared cells are pickled once (to
    the cache, from a worker), so that reading them back costs a tenth."""
    body = []
    seen: dict[str, int] = {}
    fact_rows = zip(*(f.texts().tolist() for f in facts), strict=True) if facts else None
    columns = [_shared_cells(t) for t in texts]
    for cells in zip(*columns, strict=True):
        anchor = ""
        if anchors:
            first = cells[0].text
            seen[first] = seen.get(first, 0) + 1
            anchor = anchor_id(listing_id, first, seen[first])
        row_facts = tuple(next(fact_rows)) if fact_rows is not None else ()
        body.append(Row(cells, anchor=anchor, facts=row_facts))
    return tuple(body)


def _shared_cells(column: TextColumn) -> list[Cell]:
    """The column's cells, row by row, one Cell object per distinct text."""
    distinct = np.empty(len(column.labels), dtype=object)
    distinct[:] = [Cell(text) for text in column.labels]
    return distinct[column.codes].tolist()
