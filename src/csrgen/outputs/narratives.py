"""Section 14.3.3 Narratives of deaths, other serious adverse events and adverse events leading
to discontinuation: one drafted narrative per subject, every fact cited.

pre-processing: :func:`csrgen.outputs.narrative_data.subject_records`: the subjects meeting any
of the study file's ``criteria`` (expressions over ADSL or the AE dataset, or ``[safety]``
categories among the treatment-emergent events) and each one's ADSL row, AE records in onset
order, lab values outside the reference range within ``lab_window_days`` of each onset (the BDS
block ``labs``, its ``low_var``/``high_var``), concomitant medications (``cm_dataset``, when the
study has it) and death (the deaths table's rules, :class:`~csrgen.outputs.t_deaths.DeathOptions`).
analysis: :func:`csrgen.analyses.listings.ard_listed` (subjects with a narrative, by arm).
build: a section 14.3.3 holding one subsection per subject: the criteria met, demographics and
baseline characteristics, treatment and exposure, the events (each value followed by its source
variable, ``(ADAE.AESEV)``), the labs near each event, medications, death, a timeline figure and
the medical writer's placeholder for the clinical assessment. With more subjects than
``document.narratives_inline_max`` the subsections go to ``narratives.docx``/``.html`` beside
the CSR (an :class:`~csrgen.document.model.Attachment`), and the CSR's section lists the
subjects and says where their narratives are.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd
from pydantic import Field, model_validator

from csrgen import expr
from csrgen import formatting as fmt
from csrgen.config import Expression, Text, VarName, VarNameOrBlank, unused_options
from csrgen.datasets import ARM
from csrgen.document.model import Attachment, Paragraph, Run, Section
from csrgen.errors import ConfigError, Problem
from csrgen.outputs.ae_common import ae_requires, safety_settings
from csrgen.outputs.base import OptionsModel, OutputContext, option_key, option_path
from csrgen.outputs.listing_common import listing_ard
from csrgen.outputs.narrative_data import SubjectRecords, subject_records
from csrgen.outputs.narrative_text import (
    cite,
    death_text,
    event_text,
    facts_text,
    labs_text,
    meds_text,
    subject_anchor,
    timeline,
    treatment_text,
    uses_cm,
    value,
)
from csrgen.outputs.t_deaths import DeathOptions, death_checks, death_requires

PLACEHOLDER = "[Medical writer: clinical assessment of causality and course]"
NO_DATA = "No data to report"
#: The file stem of the separate narratives document.
ATTACHMENT = "narratives"


class Criterion(OptionsModel):
    """Subjects who get a narrative: those meeting ``category`` (a ``[safety]`` category among
    their treatment-emergent events) or ``where`` (an expression over ``dataset``)."""

    label: Text
    category: Literal["serious", "discontinuation", "death"] | None = None
    #: ``adsl`` or the AE dataset (``[safety] dataset``).
    dataset: str = Field(default="adsl", pattern=r"^[a-z][a-z0-9_]*$")
    where: Expression | None = None
    #: With an AE ``dataset``: only treatment-emergent records (the ``[safety]`` rule) count.
    treatment_emergent: bool = True

    @model_validator(mode="after")
    def _one_rule(self) -> Criterion:
        if (self.category is None) == (self.where is None):
            raise ValueError("give exactly one of category or where")
        if self.category:
            unused_options(self, ("dataset", "treatment_emergent"), "with category")
        return self


def _default_criteria() -> list[Criterion]:
    return [
        Criterion(label="Death", where='DTHFL == "Y"'),
        Criterion(label="Serious TEAE", category="serious"),
        Criterion(label="TEAE leading to discontinuation", category="discontinuation"),
    ]


class Options(DeathOptions):
    criteria: list[Criterion] = Field(default_factory=_default_criteria, min_length=1)
    #: ADSL variables of the demographic and the baseline-disease paragraphs, in order.
    demographics: list[VarName] = Field(default_factory=lambda: ["AGE", "SEX", "RACE"])
    baseline: list[VarName] = Field(default_factory=list)
    #: ADSL variables of exposure (duration, dose) printed after the treatment dates.
    exposure: list[VarName] = Field(default_factory=list)
    #: Labels of the variables above; default the dataset's variable label.
    labels: dict[str, Text] = Field(default_factory=dict)
    #: The AE term; onset and end are ASTDT/AENDT (study days from them and start_var).
    term_var: VarName = "AEDECOD"
    action_var: VarNameOrBlank = "AEACN"
    outcome_var: VarNameOrBlank = "AEOUT"
    #: The BDS block (``[labs]`` is ``labs``) whose out-of-range values are shown; "" none.
    labs: str = "labs"
    lab_window_days: int = Field(default=7, ge=0, le=365)
    #: Concomitant medications: the dataset role ("" none; skipped when the study has none).
    cm_dataset: str = Field(default="adcm", pattern=r"^([a-z][a-z0-9_]*)?$")
    cm_term_var: VarName = "CMDECOD"
    cm_start_var: VarName = "ASTDT"
    cm_end_var: VarName = "AENDT"
    cm_where: Expression | None = None


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    s = safety_settings(config, spec.id)
    need = {role: set(v) for role, v in ae_requires(config, spec.id).items()}
    for role, names in death_requires(options).items():
        need.setdefault(role, set()).update(names)
    # The variables the narrative only prints (demographics, AE term, action, ...) are checked
    # by check(), which names the option; requires holds those the selection and dates need.
    need.setdefault("adsl", set()).update({"USUBJID", options.start_var, options.end_var})
    need.setdefault(s.dataset, set()).update({"USUBJID", "ASTDT", "AENDT"})
    errors = []
    for i, c in enumerate(options.criteria):
        if c.where:
            if c.dataset not in ("adsl", s.dataset):
                errors.append(
                    f"{option_key(config, spec, f'criteria[{i}].dataset')}: {c.dataset!r} is "
                    f"neither adsl nor the adverse-event dataset ({s.dataset})"
                )
                continue
            need[c.dataset] |= expr.variables(expr.parse(c.where))
    if options.labs:
        blocks = config.bds_blocks
        if options.labs not in blocks:
            errors.append(
                f"{option_key(config, spec, 'labs')}: no [bds.{options.labs}] or [labs] "
                f"block; known: {', '.join(sorted(blocks)) or 'none'}"
            )
        elif not blocks[options.labs].low_var:
            errors.append(
                f"{option_key(config, spec, 'labs')}: the block {options.labs!r} has no "
                "reference range (low_var, high_var)"
            )
        else:
            b = blocks[options.labs]
            need.setdefault(b.dataset, set()).update(
                {"USUBJID", "PARAMCD", "AVAL", "ADT", b.low_var, b.high_var}
            )
    if uses_cm(config, options):
        cm = {"USUBJID", options.cm_term_var, options.cm_start_var, options.cm_end_var}
        if options.cm_where:
            cm |= expr.variables(expr.parse(options.cm_where))
        need.setdefault(options.cm_dataset, set()).update(cm)
    if errors:
        raise ConfigError("\n".join(errors))
    return need


def check(ctx: OutputContext) -> list[Problem]:
    """The deaths rules' types and the criteria's comparisons against the data's types."""
    out = death_checks(ctx) + _printed_problems(ctx)
    for i, c in enumerate(ctx.options.criteria):
        if c.where:
            frame = ctx.data[c.dataset]  # requires: adsl or the AE dataset
            out += [
                Problem(
                    ctx.data.file_name(c.dataset),
                    option_path(ctx.config, ctx.spec, f"criteria[{i}].where"),
                    "where",
                    text,
                    0,
                )
                for text in expr.type_problems(expr.parse(c.where), frame)
            ]
    return out


def _printed_problems(ctx: OutputContext) -> list[Problem]:
    """Variables the options name for the text that the data lack, each named by its key."""
    o: Options = ctx.options
    ae = safety_settings(ctx.config, ctx.spec.id).dataset
    named = [
        ("adsl", f"{key}[{i}]", v)
        for key in ("demographics", "baseline", "exposure")
        for i, v in enumerate(getattr(o, key))
    ]
    named += [(ae, key, getattr(o, key)) for key in ("term_var", "action_var", "outcome_var")]
    out = []
    for role, key, var in named:
        if var and var not in ctx.data[role].columns:
            out.append(
                Problem(
                    ctx.data.file_name(role),
                    var,
                    "required",
                    f"{option_path(ctx.config, ctx.spec, key)} names {var}, which the dataset "
                    "does not have",
                    0,
                )
            )
    return out


def prepare(ctx: OutputContext) -> list[SubjectRecords]:
    return subject_records(ctx)


def analyze(ctx: OutputContext, records: list[SubjectRecords]) -> pd.DataFrame:
    ids = [r.usubjid for r in records]
    chosen = ctx.subjects.loc[ctx.subjects["USUBJID"].isin(ids), ["USUBJID", ARM]]
    return listing_ard(ctx, chosen)


def subject_section(ctx: OutputContext, r: SubjectRecords) -> Section:
    anchor = subject_anchor(ctx.spec.id, r.usubjid)
    blocks: list = [
        Paragraph(
            (
                Run("Narrative for: ", bold=True),
                Run("; ".join(r.reasons) + "."),
            )
        )
    ]
    o: Options = ctx.options
    for names, lead in ((o.demographics, "Demographics: "), (o.baseline, "Baseline: ")):
        p = facts_text(ctx, r.adsl, names, lead)
        if p is not None:
            blocks.append(p)
    blocks.append(treatment_text(ctx, r))
    if r.events.empty:
        blocks.append(Paragraph.of("Adverse events: none recorded."))
    else:
        lead = [Run("Adverse events in order of onset (study day 1 = first dose", bold=True)]
        if o.labs:
            b = ctx.config.bds_blocks[o.labs]
            lead += [
                Run(
                    "; beneath each, lab values outside the reference range within "
                    f"{o.lab_window_days} days of onset",
                    bold=True,
                ),
                cite(b.dataset, "PARAMCD", "AVAL", b.low_var, b.high_var, "ADT"),
            ]
        blocks.append(Paragraph((*lead, Run("):", bold=True))))
        for pos, (_, ev) in enumerate(r.events.iterrows()):
            blocks.append(event_text(ctx, ev))
            if o.labs:
                blocks += labs_text(ctx, r.labs.loc[(r.labs["_EVENT"] == pos).to_numpy()])
    if uses_cm(ctx.config, o):
        if r.meds.empty:
            blocks.append(Paragraph.of("Concomitant medications: none recorded."))
        else:
            blocks.append(Paragraph((Run("Concomitant medications:", bold=True),)))
            blocks += meds_text(ctx, r.meds)
    blocks.append(death_text(ctx, r))
    blocks.append(timeline(ctx, r, anchor))
    blocks.append(Paragraph.of(PLACEHOLDER, "placeholder"))
    return Section("", f"Subject {r.usubjid}", anchor, tuple(blocks))


def _rules(ctx: OutputContext) -> str:
    parts = []
    for c in ctx.options.criteria:
        if c.category:
            parts.append(f"{c.label} ([safety] {c.category} rule, treatment-emergent events)")
        else:
            te = (
                " (treatment-emergent records)"
                if c.dataset != "adsl" and c.treatment_emergent
                else ""
            )
            parts.append(f"{c.label} ({c.dataset.upper()}: {c.where}{te})")
    return "; ".join(parts)


def _section(ctx: OutputContext, blocks) -> Section:
    """The output's section: the number of ``Section 14.3.3`` and the study file's title."""
    number = ctx.spec.number.split(" ", 1)[1]
    return Section(number, ctx.spec.title, ctx.spec.id, tuple(blocks))


def build(ctx: OutputContext, records: list[SubjectRecords], ard: pd.DataFrame):
    intro = Paragraph.of(
        f"{ctx.population_line(len(ctx.subjects))}. A narrative is drafted from the data for "
        f"each subject meeting any of: {_rules(ctx)}. Each value is followed by its source "
        "variable (DATASET.VARIABLE); dates are ISO 8601. "
        f"{ctx.source_line(_roles(ctx))}"
    )
    if ctx.subjects.empty:  # the standard null report, as a section
        return [_section(ctx, (Paragraph.of(ctx.population_line(0)), Paragraph.of(NO_DATA)))]
    if not records:
        body = (intro, Paragraph.of("No subject meets the criteria: no narratives."))
        return [_section(ctx, body)]
    subsections = tuple(subject_section(ctx, r) for r in records)
    limit = ctx.config.document.narratives_inline_max
    if len(records) <= limit:
        return [_section(ctx, (intro, *subsections))]
    files = f"{ATTACHMENT}.docx and {ATTACHMENT}.html"
    where = Paragraph.of(
        f"The narratives of the {fmt.fmt_count(len(records))} subjects below are provided as "
        f"{files} beside this document (more than document.narratives_inline_max = "
        f"{fmt.fmt_count(limit)}).",
        "note",
    )
    listed = [
        Paragraph(
            (
                Run(r.usubjid, link=f"{ATTACHMENT}.html#{subject_anchor(ctx.spec.id, r.usubjid)}"),
                Run(f" ({value(r.adsl[ctx.arm_var])}): {'; '.join(r.reasons)}"),
            ),
            style="bullet",
        )
        for r in records
    ]
    full = _section(ctx, (intro, *subsections))
    attachment = Attachment(ATTACHMENT, f"Patient Narratives ({full.number})", (full,))
    return [
        _section(ctx, (intro, where, *listed)),
        attachment,
    ]


def _roles(ctx: OutputContext) -> list[str]:
    o: Options = ctx.options
    roles = ["adsl", safety_settings(ctx.config, ctx.spec.id).dataset]
    if o.labs:
        roles.append(ctx.config.bds_blocks[o.labs].dataset)
    if uses_cm(ctx.config, o):
        roles.append(o.cm_dataset)
    return roles
