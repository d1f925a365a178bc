"""What the laboratory outputs share: pre-processing of BDS lab records and block naming.

The lab outputs (``t_lab_summary``, ``t_lab_ancova``, ``f_lab_mean``) read the study file's
``[labs]`` table: parameters, visits, record flag, arm variable, decimals. Each output makes one
block per parameter, numbered ``<output number>.<k>`` (Table 14.2.4.1, 14.2.4.2, ...) with the
parameter in its title, so that long tables stay readable on the page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from csrgen import formatting as fmt
from csrgen.analyses.labs import data_decimals
from csrgen.config import LabSettings, StudyConfig
from csrgen.datasets import ARM
from csrgen.document.model import Cell, Row, null_table
from csrgen.errors import ConfigError, DataValidationError, Problem
from csrgen.outputs.base import OutputContext

#: The ADLB variables every lab output reads.
LAB_VARIABLES = {"USUBJID", "PARAMCD", "PARAM", "AVISIT", "AVAL", "BASE", "CHG"}
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class LabData:
    """The population and its lab records, ready for the ``ard_lab_*`` functions."""

    subjects: pd.DataFrame
    #: One row per subject, parameter and visit, with the arm in ``ARM``.
    records: pd.DataFrame
    #: PARAMCDs in display order (a listed parameter without data is kept: it gets a null block).
    params: list[str]
    visits: list[str]
    #: Visits other than baseline, in display order.
    post_visits: list[str]
    #: The ADaM arm variable (ARD ``group_var``).
    group_var: str
    labels: dict[str, str] = field(default_factory=dict)
    decimals: dict[str, int] = field(default_factory=dict)
    #: AVISITN of each visit (when the data have it): positions on a time axis.
    visit_numbers: dict[str, float] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.subjects.empty or self.records.empty

    def has_data(self, param: str) -> bool:
        return bool((self.records["PARAMCD"] == param).any())


def lab_settings(config: StudyConfig) -> LabSettings:
    if config.labs is None:
        raise ConfigError(f"{config.path}: labs: a lab output needs a [labs] table")
    return config.labs


def lab_requires(config: StudyConfig) -> dict[str, set[str]]:
    """ADLB and ADSL variables the lab outputs need (checked by dataset validation)."""
    labs = lab_settings(config)
    adlb = set(LAB_VARIABLES)
    if not labs.visits:
        adlb.add("AVISITN")
    if labs.record_flag:
        adlb.add(labs.record_flag)
    out = {labs.dataset: adlb}
    if labs.arm_var:
        out["adsl"] = {labs.arm_var}
    return out


def prepare_labs(ctx: OutputContext) -> LabData:
    """Population, arm, records to analyse, parameter and visit order (pre-processing)."""
    labs = lab_settings(ctx.config)
    subjects = ctx.subjects
    group_var = labs.arm_var or ctx.arm_var
    if labs.arm_var:
        subjects = subjects.assign(
            **{ARM: pd.Categorical(subjects[labs.arm_var], categories=ctx.arms, ordered=True)}
        )
        _check_arms(ctx, subjects, labs.arm_var)
    adlb = ctx.data[labs.dataset]
    keep = pd.Series(True, index=adlb.index)
    if labs.exclude_prefixes:
        keep &= ~adlb["PARAMCD"].str.startswith(tuple(labs.exclude_prefixes))
    if labs.params:
        keep &= adlb["PARAMCD"].isin(labs.params)
    if labs.record_flag:
        keep &= adlb[labs.record_flag] == "Y"
    if labs.visits:
        keep &= adlb["AVISIT"].isin(labs.visits)
    else:
        keep &= adlb["AVISITN"].notna() & (adlb["AVISIT"] != "")
    records = adlb.loc[keep].merge(subjects[["USUBJID", ARM]], on="USUBJID", how="inner")
    _check_one_record_per_visit(ctx, records)

    params = list(labs.params) or _data_order(records, "PARAMCD", "PARAMN")
    visits = list(labs.visits) or _data_order(records, "AVISIT", "AVISITN")
    labels = records.groupby("PARAMCD", sort=False)["PARAM"].first().to_dict()
    labels = {p: labs.labels.get(p) or labels.get(p) or p for p in params}
    decimals = {
        p: labs.decimals[p]
        if p in labs.decimals
        else data_decimals(records.loc[records["PARAMCD"] == p, "AVAL"])
        for p in params
    }
    numbers = records.groupby("AVISIT")["AVISITN"].min().to_dict() if "AVISITN" in records else {}
    return LabData(
        subjects=subjects,
        records=records,
        params=params,
        visits=visits,
        post_visits=[v for v in visits if v != labs.baseline_visit],
        group_var=group_var,
        labels=labels,
        decimals=decimals,
        visit_numbers={v: float(numbers[v]) for v in visits if v in numbers},
    )


def _data_order(records: pd.DataFrame, var: str, order_var: str) -> list[str]:
    """Values of ``var`` ordered by their smallest ``order_var`` (then by name)."""
    if records.empty:
        return []
    if order_var not in records.columns:
        return sorted(records[var].unique())
    first = records.groupby(var)[order_var].min().reset_index()
    return list(first.sort_values([order_var, var], na_position="last")[var])


def _check_arms(ctx: OutputContext, subjects: pd.DataFrame, var: str) -> None:
    bad = subjects[ARM].isna()
    if bad.any():
        raise DataValidationError(
            [
                Problem(
                    ctx.data.file_name("adsl"),
                    var,
                    "arm",
                    f"values {sorted(set(subjects.loc[bad, var].astype(str)))} (labs.arm_var) "
                    f"are not arms of the study file (arms.levels = {ctx.arms})",
                    int(bad.sum()),
                    tuple(
                        f"USUBJID={u}: {var}={v!r}"
                        for u, v in subjects.loc[bad, ["USUBJID", var]].head(MAX_EXAMPLES).values
                    ),
                )
            ]
        )


def _check_one_record_per_visit(ctx: OutputContext, records: pd.DataFrame) -> None:
    """A subject counted twice at a visit would bias every statistic: refuse, naming the rows."""
    key = ["USUBJID", "PARAMCD", "AVISIT"]
    dup = records.duplicated(subset=key, keep=False)
    if not dup.any():
        return
    labs = lab_settings(ctx.config)
    rows = records.loc[dup, key].drop_duplicates().head(MAX_EXAMPLES)
    raise DataValidationError(
        [
            Problem(
                ctx.data.file_name(labs.dataset),
                "AVISIT",
                "one-per-visit",
                "more than one record per subject, parameter and visit among the records "
                "analysed; choose one with labs.record_flag (e.g. ANL01FL) or labs.visits",
                int(dup.sum()),
                tuple(
                    f"USUBJID={u}, PARAMCD={p}, AVISIT={v!r}" for u, p, v in rows.itertuples(False)
                ),
            )
        ]
    )


def block_id(output_id: str, param: str) -> str:
    """Anchor of one parameter's block: letters, digits and underscores (valid in HTML ids and
    Word bookmark names)."""
    return f"{output_id}_{re.sub(r'[^A-Za-z0-9]+', '_', param).lower()}"


def block_number(number: str, k: int) -> str:
    return f"{number}.{k}"


def block_title(title: str, label: str) -> str:
    return f"{title}: {label}"


class ArdIndex:
    """Constant-time look-up of one output's ARD rows (a lab table prints thousands of them).

    Same contract as :func:`csrgen.ard.stat_lookup`: a key that matches no row is an error.
    """

    _KEY = ("group_level", "variable", "variable_level", "param", "timepoint", "stat_name")

    def __init__(self, ard: pd.DataFrame):
        keys = zip(*(ard[c] for c in self._KEY), strict=True)
        self._stats = dict(zip(keys, ard["stat"].astype(float), strict=True))

    def __call__(
        self,
        group_level: str,
        stat_name: str,
        variable: str = "",
        variable_level: str = "",
        param: str = "",
        timepoint: str = "",
    ) -> float:
        key = (group_level, variable, variable_level, param, timepoint, stat_name)
        try:
            return self._stats[key]
        except KeyError:
            raise LookupError(f"no ARD row {dict(zip(self._KEY, key, strict=True))}") from None


def null_block(ctx: OutputContext, param: str, k: int, label: str, population: str):
    """The standard null report for one parameter's block (a parameter without data)."""
    return null_table(
        block_id(ctx.spec.id, param),
        block_number(ctx.spec.number, k),
        block_title(ctx.spec.title, label),
        population,
    )


def population_n(stat: ArdIndex, arms: list[str]) -> float:
    return sum(stat(a, "N") for a in arms)


NE_NOTE = (
    "NE = not estimable: the SD of fewer than two values, any statistic of an arm without "
    "values at the visit, a comparison without subjects in both arms."
)


def any_ne(rows: list[Row]) -> bool:
    return any(fmt.NE in cell.text.replace(",", " ").split() for row in rows for cell in row.cells)


def records_note(labs: LabSettings) -> str:
    """Which records were analysed, as a footnote."""
    if labs.visits:
        text = "Visits shown: " + ", ".join(labs.visits) + "."
    else:
        text = (
            "Visits as in the analysis dataset (AVISIT, ordered by AVISITN); unscheduled "
            "records without an analysis visit are not summarised."
        )
    if labs.record_flag:
        text += f" Records with {labs.record_flag} = 'Y'."
    return text


def visit_rows(visit: str, labels: Sequence[str], columns: list[list[str]]) -> list[Row]:
    """A visit's heading row and one row holding its statistics as lines (``labels`` in the
    stub, one list of texts per column). Rows never split across pages and a heading row stays
    with the next, so no statistic is printed on a page without its visit."""
    heading = Row((Cell(visit, bold=True),) + (Cell(""),) * len(columns), kind="group")
    body = Row(
        (Cell("\n".join(labels), indent=1),)
        + tuple(Cell("\n".join(c) if any(c) else "") for c in columns)
    )
    return [heading, body]
