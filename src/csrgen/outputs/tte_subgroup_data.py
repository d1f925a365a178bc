"""Options and pre-processing shared by the subgroup outputs (t_tte_subgroup, f_forest).

The endpoint's analysis frame comes from :func:`csrgen.outputs.tte_data.prepare_tte` (the
population, arm from ADSL, the parameter's ADTTE record); each subgroup variable (ADSL) is
added as the subject's level name: the value itself for a variable with declared ``levels``, or
the interval of a numeric variable cut at declared ``breaks`` (``breaks = [15, 20]`` gives
``<15``, ``15-<20``, ``>=20``), so that a grouping of a continuous baseline value needs no
derived variable in the data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from csrgen import formatting as fmt
from csrgen.analyses.subgroup import SubgroupAnalysis
from csrgen.config import Text, VarName
from csrgen.errors import Problem
from csrgen.outputs.base import (
    OptionsModel,
    OutputContext,
    kind_of,
    kind_problems,
    option_path,
)
from csrgen.outputs.tte_data import TtePrepared, check_tte, prepare_tte, tte_requires


class Subgroup(OptionsModel):
    """One subgroup variable of the forest plot."""

    #: ADSL variable.
    var: VarName
    #: Its name in the table and figure ("Child-Pugh class").
    label: Text
    #: The levels shown, in order (values as in the data); subjects with another value or a
    #: missing one are left out of this variable's rows (with a warning).
    levels: list[Text] = Field(default_factory=list)
    #: Instead of ``levels``: cut a numeric variable at these increasing values; each level
    #: includes its lower bound (``[15, 20]``: ``<15``, ``15-<20``, ``>=20``).
    breaks: list[float] = Field(default_factory=list)
    #: Display text of a level ({B = "Class B"}; for ``breaks`` keyed by the generated names).
    level_labels: dict[str, Text] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _levels_or_breaks(self) -> Subgroup:
        if bool(self.levels) == bool(self.breaks):
            raise ValueError("give either levels or breaks (not both)")
        if len(set(self.levels)) < len(self.levels):
            raise ValueError(f"levels: {self.levels} repeat a level")
        if any(b >= c for b, c in zip(self.breaks, self.breaks[1:], strict=False)):
            raise ValueError(f"breaks: {self.breaks} must increase")
        unknown = sorted(set(self.level_labels) - set(self.level_names))
        if unknown:
            raise ValueError(
                f"level_labels: {unknown} are not levels (levels: {list(self.level_names)})"
            )
        return self

    @property
    def level_names(self) -> tuple[str, ...]:
        if not self.breaks:
            return tuple(self.levels)
        cuts = [fmt.fmt_level(b) for b in self.breaks]
        middle = [f"{a}-<{b}" for a, b in zip(cuts, cuts[1:], strict=False)]
        return (f"<{cuts[0]}", *middle, f">={cuts[-1]}")

    def display(self, level: str) -> str:
        return self.level_labels.get(level, level)

    def assign(self, values: pd.Series) -> pd.Series:
        """Each subject's level name; ``""`` when missing or in none of the levels."""
        if self.breaks:
            x = pd.to_numeric(values, errors="coerce").to_numpy(float)
            index = np.searchsorted(np.asarray(self.breaks, float), x, side="right")
            names = np.asarray(self.level_names, dtype=object)
            out = np.where(np.isnan(x), "", names[np.minimum(index, len(names) - 1)])
            return pd.Series(out, index=values.index, dtype=object)
        text = level_text(values)
        return text.where(text.isin(self.levels), "")


def level_text(values: pd.Series) -> pd.Series:
    """Values as level names: text as is, numbers by their one spelling (``2``, not ``2.0``);
    missing values ``""``."""
    if kind_of(values) == "num":
        return values.map(lambda v: "" if pd.isna(v) else fmt.fmt_level(float(v))).astype(object)
    return values.astype(object).where(values.notna(), "").astype(str)


class Options(OptionsModel):
    #: The ADTTE parameter: one of ``[survival].endpoints``.
    paramcd: str
    subgroups: list[Subgroup] = Field(min_length=1)
    #: Label of the first row (every subject of the population).
    overall_label: Text = "All subjects"

    @model_validator(mode="after")
    def _unique(self) -> Options:
        names = [s.var for s in self.subgroups]
        twice = sorted({v for v in names if names.count(v) > 1})
        if twice:
            raise ValueError(f"subgroups: {twice} given more than once")
        return self


@dataclass(frozen=True)
class SubgroupPrepared:
    tte: TtePrepared
    #: One row per subject (as ``tte.frame``) with a column per subgroup variable holding the
    #: level name.
    frame: pd.DataFrame
    analysis: SubgroupAnalysis

    @property
    def empty(self) -> bool:
        return self.tte.empty


def subgroup_requires(config, spec, options: Options) -> dict[str, set[str]]:
    needed = tte_requires(config, spec, options.paramcd)
    needed["adsl"] = needed.get("adsl", set()) | {s.var for s in options.subgroups}
    return needed


def subgroup_shares(options: Options) -> str:
    """The subgroup table and forest plot of an endpoint run in one worker (their statistics
    are memoised), apart from the endpoint's own table and figure (nothing in common)."""
    return f"tte_subgroup:{options.paramcd}"


def check_subgroups(ctx: OutputContext) -> list[Problem]:
    """One ADTTE record per subject; ``breaks`` cut a numeric variable; every declared level
    occurs in ADSL (a level that never occurs is a typo); population subjects in none of the
    levels are left out of that variable's rows: a warning with counts."""
    opts: Options = ctx.options
    problems = check_tte(ctx, opts.paramcd)
    adsl = ctx.data["adsl"]
    key = lambda i, name: option_path(ctx.config, ctx.spec, f"subgroups[{i}].{name}")  # noqa: E731
    problems += kind_problems(
        ctx,
        "adsl",
        [(key(i, "breaks"), s.var, "num") for i, s in enumerate(opts.subgroups) if s.breaks],
    )
    for i, s in enumerate(opts.subgroups):
        if s.var not in adsl.columns or (s.breaks and kind_of(adsl[s.var]) != "num"):
            continue  # reported as [required] / [type]
        if s.levels:
            present = set(level_text(adsl[s.var])) - {""}
            absent = [lv for lv in s.levels if lv not in present]
            if absent:
                problems.append(
                    Problem(
                        ctx.data.file_name("adsl"),
                        s.var,
                        "subgroup-levels",
                        f"{key(i, 'levels')}: {absent} do not occur in {s.var} "
                        f"(values: {sorted(present)[:12]})",
                        0,
                    )
                )
        left_out = s.assign(ctx.subjects[s.var]) == ""
        if left_out.any():
            ctx.warnings.append(
                # the same words for the table and the figure of the same options: said once
                f"subgroups of {opts.paramcd}: {int(left_out.sum())} of {len(left_out)} "
                f"subjects of the {ctx.population.label.lower()} "
                f"have {s.var} missing or outside {list(s.level_names)}; they are "
                f"left out of the {s.label} rows and its interaction test"
            )
    return problems


def prepare_subgroups(ctx: OutputContext) -> SubgroupPrepared:
    opts: Options = ctx.options
    tte = prepare_tte(ctx, opts.paramcd)
    settings = ctx.config.survival
    records = ctx.data[settings.dataset]
    records = records.loc[records["PARAMCD"] == opts.paramcd, ["USUBJID", "AVAL"]]
    variables = list(dict.fromkeys(s.var for s in opts.subgroups))
    merged = ctx.subjects[["USUBJID", *variables]].merge(
        records, on="USUBJID", how="left", validate="one_to_one"
    )
    if tte.endpoint.subset:  # as prepare_tte: the subjects with a record
        merged = merged.loc[merged["AVAL"].notna()].reset_index(drop=True)
    base = tte.frame.drop(columns=[c for c in variables if c in tte.frame.columns])
    frame = base.assign(**{s.var: s.assign(merged[s.var]).to_numpy() for s in opts.subgroups})
    analysis = SubgroupAnalysis(
        param=opts.paramcd,
        arm=tte.analysis.arm,
        arms=tte.analysis.arms,
        reference=tte.analysis.reference,
        group_var=tte.analysis.group_var,
        subgroups=tuple((s.var, s.level_names) for s in opts.subgroups),
        conf_level=settings.conf_level,
    )
    return SubgroupPrepared(tte, frame, analysis)


def analyze_subgroups(ctx: OutputContext, prep: SubgroupPrepared) -> pd.DataFrame:
    from csrgen.analyses.subgroup import ard_tte_subgroup

    return ard_tte_subgroup(prep.frame, prep.analysis)
