"""What the BDS outputs share: the block they report, the parameters they select, the check hook,
and the table parts (block numbers and titles, visit rows, the footnote of the record rules).

Every BDS output (``t_bds_summary``, ``t_bds_ancova``, ``f_bds_mean``, ``t_bds_shift``,
``t_bds_cat``, ``l_bds_abn``) reports one ``[bds.<name>]`` block of the study file
(``options.bds``, default ``labs``), optionally one parameter category (``options.parcat``,
e.g. ``"CHEMISTRY"`` of PARCAT1) or a list of parameters (``options.params``). Each makes one
block per parameter (and timepoint), numbered ``<output number>.<k>`` (Table 14.3.4.1,
14.3.4.2, ...) with the parameter in its title, so that long tables stay readable on the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from pydantic import Field

from csrgen import formatting as fmt
from csrgen.config import BdsSettings, StudyConfig
from csrgen.document.model import Cell, Row, null_table
from csrgen.errors import ConfigError, Problem
from csrgen.outputs.base import OptionsModel, OutputContext, block_id
from csrgen.outputs.bds_data import BdsData, block_key, settings_key
from csrgen.outputs.bds_records import prepare_block

__all__ = ["BdsData", "BdsOptions", "BdsPrepared", "block_id", "block_key"]


class BdsOptions(OptionsModel):
    """Options every BDS output takes: which block, category and parameters it reports."""

    #: The ``[bds.<name>]`` block reported (``labs`` is also the ``[labs]`` table).
    bds: str = Field(default="labs", pattern=r"^[A-Za-z0-9_-]+$")
    #: Only the parameters whose category (the block's ``parcat_var``, e.g. PARCAT1) is this.
    parcat: str = ""
    #: Only these PARAMCDs, in this order; default every parameter of the block.
    params: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class BdsPrepared:
    """The block's records and the parameters this output reports."""

    data: BdsData
    params: list[str]

    @cached_property
    def blocks(self) -> list[tuple[str, str]]:
        """(parameter, timepoint) of each block of this output, in display order."""
        return self.data.blocks(self.params)

    @property
    def empty(self) -> bool:
        return self.data.empty or not self.params

    def groups(self):
        """(timepoint group, its parameters this output reports) for groups with any."""
        for g in self.data.groups:
            params = [p for p in g.params if p in self.params]
            if params:
                yield g, params


def settings(config: StudyConfig, options: BdsOptions) -> BdsSettings:
    return config.bds_blocks[options.bds]


def bds_requires(
    config: StudyConfig, spec, options: BdsOptions, by_visit: bool = True
) -> dict[str, set[str]]:
    """Variables a BDS output needs, each only when a setting uses it; a ``bds`` block that the
    study file lacks, or parameters outside the block's list, are study-file errors."""
    blocks = config.bds_blocks
    if options.bds not in blocks:
        index = next(i for i, o in enumerate(config.outputs) if o.id == spec.id)
        known = ", ".join(f"bds.{b}" for b in sorted(blocks)) or "none"
        raise ConfigError(
            f"{config.path}: outputs[{index}].options.bds: {options.bds!r} is not a BDS block "
            f"of the study file (a [bds.{options.bds}] table; known: {known})"
        )
    s = blocks[options.bds]
    outside = [p for p in options.params if s.params and p not in s.params]
    if outside:
        index = next(i for i, o in enumerate(config.outputs) if o.id == spec.id)
        raise ConfigError(
            f"{config.path}: outputs[{index}].options.params: {outside} are not parameters of "
            f"{settings_key(config, options.bds)}.params"
        )
    names = {"USUBJID", "PARAMCD", "PARAM", "AVISIT", "AVAL"}
    if by_visit:
        names |= {"BASE", "CHG"}
        if not s.visits:
            names.add("AVISITN")
    for var in (s.baseline_flag, s.record_flag, s.timepoint_var):
        if var:
            names.add(var)
    if s.keep_dtypes:
        names.add("DTYPE")
    if s.multiple in ("first", "last"):
        names.add(s.date_var)
    if options.parcat:
        names.add(s.parcat_var)
    need = {s.dataset: names}
    if s.arm_var:
        need["adsl"] = {s.arm_var}
    return need


def shares(options: BdsOptions) -> str:
    """The outputs of one block share its prepared records (see
    :func:`csrgen.outputs.catalog.work_group`)."""
    return f"bds:{options.bds}"


def prepare(ctx: OutputContext) -> BdsPrepared:
    """The block's records (prepared once per study, see
    :func:`~csrgen.outputs.bds_records.prepare_block`) and this output's parameters."""
    data = prepare_block(ctx.config, ctx.data, ctx.options.bds, ctx.spec.population)
    return BdsPrepared(data, output_params(ctx.options, data))


def output_params(options: BdsOptions, data: BdsData) -> list[str]:
    params = list(options.params) or list(data.params)
    if options.parcat:
        params = [p for p in params if data.categories.get(p) == options.parcat]
    return params


def check(ctx: OutputContext) -> list[Problem]:
    """The block's data rules (several records under the ``error`` rule, several baselines, arm
    values) and a ``parcat`` that matches no parameter; the block's warnings go to
    ``ctx.warnings`` (each output of a block gives the same ones; the report prints them once).
    """
    opts: BdsOptions = ctx.options
    data = prepare_block(ctx.config, ctx.data, opts.bds, ctx.spec.population)
    ctx.warnings.extend(data.warnings)
    problems = list(data.problems)
    if opts.parcat and not output_params(opts, data):
        s = data.settings
        known = sorted(set(data.categories.values()))
        problems.append(
            Problem(
                data.file,
                s.parcat_var,
                "parcat",
                f"no parameter of {data.key} has {s.parcat_var} = {opts.parcat!r} (output "
                f"{ctx.spec.id}, options.parcat); the data have {known}",
                0,
            )
        )
    return problems


# -- table parts --------------------------------------------------------------------------------
def block_number(number: str, k: int) -> str:
    return f"{number}.{k}"


def block_title(title: str, label: str) -> str:
    return f"{title}: {label}"


def block_anchor(ctx: OutputContext, param: str, timepoint: str = "") -> str:
    return block_id(ctx.spec.id, block_key(param, timepoint))


def null_block(ctx: OutputContext, anchor: str, k: int, label: str, population: str):
    """The standard null report for one parameter's block (a parameter without data)."""
    return null_table(
        anchor, block_number(ctx.spec.number, k), block_title(ctx.spec.title, label), population
    )


NE_NOTE = (
    "NE = not estimable: the SD of fewer than two values, any statistic of an arm without "
    "values at the visit, a comparison without subjects in both arms."
)


def any_ne(rows: list[Row]) -> bool:
    return any(fmt.NE in cell.text.replace(",", " ").split() for row in rows for cell in row.cells)


def records_note(data: BdsData, by_visit: bool = True) -> str:
    """Which records were analysed, as a footnote: the visits, the baseline rule, the
    analysis flag, derived records and the rule for several records per visit."""
    s = data.settings
    parts = []
    if by_visit:
        if s.visits:
            parts.append("Visits shown: " + ", ".join(data.visits) + ".")
        else:
            parts.append(
                "Visits as in the analysis dataset (AVISIT, ordered by AVISITN); unscheduled "
                "records are not summarised by visit."
            )
    if s.baseline_flag or s.baseline_visit != "Baseline":
        parts.append(f"Baseline: {s.baseline_rule()}.")
    if s.record_flag:
        parts.append(f"Post-baseline values: records with {s.record_flag} = 'Y'.")
    if data.derived_left_out:
        kept = f" other than {', '.join(s.keep_dtypes)}" if s.keep_dtypes else ""
        parts.append(f"Derived records (DTYPE){kept} are not used.")
    if s.multiple != "error":
        rule = {
            "first": f"the first by {s.date_var}",
            "last": f"the last by {s.date_var}",
            "highest": "the highest value",
            "lowest": "the lowest value",
            "mean": "the mean of the values",
        }[s.multiple]
        parts.append(f"Several records of a subject at one visit: {rule}.")
    return " ".join(parts)


def visit_rows(visit: str, labels: Sequence[str], columns: list[list[str]]) -> list[Row]:
    """A visit's heading row, then one row per statistic (``labels`` in the stub, one list of
    texts per column): each value sits on the row of its own label, whatever wraps. A heading
    row stays with the rows after it, so no statistic prints on a page without its visit."""
    heading = Row((Cell(visit, bold=True),) + (Cell(""),) * len(columns), kind="group")
    body = [
        Row((Cell(label, indent=1),) + tuple(Cell(c[i]) for c in columns))
        for i, label in enumerate(labels)
    ]
    return [heading, *body]
