"""Table 14.3.3 Deaths: number and cause by arm, in the whole study and in the treatment period.

pre-processing: ADSL subjects of the output's population (safety) and their deaths
(:func:`csrgen.analyses.disposition.death_records`): who died from the ADSL death flag; date and
cause from ADSL (DTHDT, DTHCAUS) or, where ADSL has none, from the fatal adverse event.
analysis: :func:`csrgen.analyses.disposition.ard_deaths`.
build: "All deaths" and "Deaths in the treatment period", each with its causes indented; in HTML
each count links to its deaths in the deaths listing (``l_deaths`` of the same population and
the same death rules: arm, ``ONTRT`` = Y for the treatment period, ``DTHCAUS``).
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from csrgen import formatting as fmt
from csrgen.analyses.disposition import DeathSource, ard_deaths, death_records
from csrgen.ard import ArdIndex
from csrgen.datasets import ARM
from csrgen.document.model import Cell, Column, Row, Table
from csrgen.outputs import links
from csrgen.outputs.base import (
    OptionsModel,
    OutputContext,
    arm_header_columns,
    arm_levels,
    population_n,
)


class DeathOptions(OptionsModel):
    """Where the study records deaths (shared with the deaths listing ``l_deaths``)."""

    #: ADSL flag of subjects who died ('Y').
    flag: str = "DTHFL"
    #: ADSL date and cause of death; empty: taken from the fatal adverse event (ADAE).
    date_var: str = "DTHDT"
    cause_var: str = "DTHCAUS"
    #: ADAE flag of the fatal event and its date and cause (used when the above are empty).
    ae_flag: str = "AESDTH"
    ae_date_var: str = "AENDT"
    ae_cause_var: str = "AEDECOD"
    #: The treatment period: first dose (start_var) to last dose (end_var) + this many days.
    start_var: str = "TRTSDT"
    end_var: str = "TRTEDT"
    days_after_treatment: int = Field(default=0, ge=0)

    def source(self) -> DeathSource:
        return DeathSource(
            flag=self.flag,
            date_var=self.date_var,
            cause_var=self.cause_var,
            ae_flag=self.ae_flag,
            ae_date_var=self.ae_date_var,
            ae_cause_var=self.ae_cause_var,
            days_after_treatment=self.days_after_treatment,
            start_var=self.start_var,
            end_var=self.end_var,
        )


class Options(DeathOptions):
    #: Cause order (values as recorded); other causes follow alphabetically.
    causes: list[str] = Field(default_factory=list)
    cause_labels: dict[str, str] = Field(default_factory=dict)
    all_label: str = "All deaths"
    treatment_label: str = "Deaths during the treatment period"
    missing_cause_label: str = "Cause not recorded"


def death_requires(options: DeathOptions) -> dict[str, set[str]]:
    adsl = {"USUBJID", options.flag, options.start_var, options.end_var}
    adsl |= {v for v in (options.date_var, options.cause_var) if v}
    need = {"adsl": adsl}
    if not options.date_var or not options.cause_var:
        need["adae"] = {"USUBJID", options.ae_flag, options.ae_date_var, options.ae_cause_var}
    return need


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    return death_requires(options)


def subject_deaths(ctx: OutputContext) -> pd.DataFrame:
    source = ctx.options.source()
    adae = ctx.data["adae"] if source.needs_adae and "adae" in ctx.data else None
    return death_records(ctx.subjects, source, adae)


def treatment_period_note(options: DeathOptions) -> str:
    extra = f" + {options.days_after_treatment} days" if options.days_after_treatment else ""
    return (
        f"Treatment period: from the first dose ({options.start_var}) to the last dose "
        f"({options.end_var}){extra}."
    )


def source_note(options: DeathOptions) -> str:
    if options.date_var and options.cause_var:
        return ""
    return (
        f"Date and cause of death from the fatal adverse event ({options.ae_flag} = 'Y': "
        f"{options.ae_date_var}, {options.ae_cause_var}); the study's ADSL records neither."
    )


def death_listing(ctx: OutputContext) -> str:
    """The deaths listing that lists exactly this table's deaths (same population, same rules,
    no record filter); "" when the study has none."""
    for spec, opts in links.listings(ctx.config, {"l_deaths"}, ctx.spec.population):
        if opts.source() == ctx.options.source() and not (opts.where or opts.exclude):
            return spec.id
    return ""


def prepare(ctx: OutputContext):
    return ctx.subjects, subject_deaths(ctx)


def analyze(ctx: OutputContext, prepared) -> pd.DataFrame:
    subjects, deaths = prepared
    return ard_deaths(
        subjects,
        deaths,
        arm=ARM,
        arms=ctx.arms,
        group_var=ctx.arm_var,
        causes=ctx.options.causes,
        total=ctx.config.arms.total,
        total_label=ctx.config.arms.total_label,
    )


def build(ctx: OutputContext, prepared, ard: pd.DataFrame) -> list[Table]:
    subjects, deaths = prepared
    if subjects.empty:
        return [ctx.null()]
    opts: Options = ctx.options
    levels = arm_levels(ctx)
    ix = ArdIndex(ard)
    columns = [Column("", align="left", width=2.6, key="stub")]
    columns += arm_header_columns(ix, ctx)

    causes = ard.loc[
        (ard["variable"] == "DTHCAUS") & (ard["stat_name"] == "n") & (ard["variable_level"] != "")
    ]
    causes = list(dict.fromkeys(causes["variable_level"]))
    listing = death_listing(ctx)

    def count(text: str, n: float, level: str, timepoint: str, **fields: str) -> Cell:
        where = links.arm_where(ctx, level)
        where.update(({"ONTRT": "Y"} if timepoint else {}), **fields)
        return links.count_cell(text, n, listing, ctx.spec.id, where)

    rows: list[Row] = []
    for timepoint, label in (("", opts.all_label), ("treatment", opts.treatment_label)):
        where = dict(variable="DEATH", timepoint=timepoint)
        cells = [
            count(
                ix.n_pct(group_level=lv, **where),
                ix.value("n", group_level=lv, **where),
                lv,
                timepoint,
            )
            for lv in levels
        ]
        rows.append(Row((Cell(label, bold=True), *cells), kind="group"))
        for cause in causes:
            where = dict(variable="DTHCAUS", variable_level=cause, timepoint=timepoint)
            cells = [
                count(
                    ix.n_pct(group_level=lv, **where),
                    ix.value("n", group_level=lv, **where),
                    lv,
                    timepoint,
                    DTHCAUS=cause,
                )
                for lv in levels
            ]
            label_c = opts.cause_labels.get(cause) or fmt.fmt_term(cause)
            rows.append(Row((Cell(label_c, indent=1), *cells)))
        where = dict(variable="DTHCAUS", timepoint=timepoint)
        missing = [ix.value("n_miss", group_level=lv, **where) for lv in levels]
        if any(m > 0 for m in missing):
            cells = [
                count(ix.text("n_miss", group_level=lv, **where), m, lv, timepoint, DTHCAUS="")
                for lv, m in zip(levels, missing, strict=True)
            ]
            rows.append(Row((Cell(opts.missing_cause_label, indent=1), *cells)))

    footnotes = list(ctx.spec.footnotes)
    footnotes.append(
        "N = number of subjects in the population; percentages are based on N. "
        "Causes as recorded; each subject is counted once."
    )
    footnotes.append(treatment_period_note(opts))
    undated = int((deaths["DTHDT"].isna()).sum())
    if undated:
        footnotes.append(
            f"{undated} death(s) without a known date are counted under all deaths only."
        )
    note = source_note(opts)
    if note:
        footnotes.append(note)
    roles = ["adsl"] + (["adae"] if opts.source().needs_adae else [])
    n_all = population_n(ix, ctx)
    return [
        Table(
            id=ctx.spec.id,
            number=ctx.spec.number,
            title=ctx.spec.title,
            population=ctx.population_line(n_all),
            columns=tuple(columns),
            rows=tuple(rows),
            footnotes=tuple(footnotes),
            source=ctx.source_line(roles),
        )
    ]
