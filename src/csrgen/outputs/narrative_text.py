"""The paragraphs of a patient narrative (:mod:`csrgen.outputs.narratives`): each value as
recorded, followed by its source variable in italics (``SEVERE (ADAE.AESEV)``), numbers and
dates through :mod:`csrgen.formatting`; and the subject's timeline figure."""

from __future__ import annotations

import re

import pandas as pd

from csrgen import formatting as fmt
from csrgen.document.model import Figure, Paragraph, Run
from csrgen.outputs.ae_common import safety_settings
from csrgen.outputs.base import OutputContext
from csrgen.outputs.narrative_data import SubjectRecords
from csrgen.outputs.narrative_plot import TimelineEvent, draw_timeline, timeline_height
from csrgen.outputs.plotting import plan


def uses_cm(config, options) -> bool:
    """Whether the narratives list medications: a ``cm_dataset`` the study declares."""
    return bool(options.cm_dataset) and options.cm_dataset in config.data.datasets


def cite(role: str, *names: str) -> Run:
    return Run(f" ({', '.join(f'{role.upper()}.{n}' for n in names)})", italic=True)


def value(x) -> str:
    """A recorded value as text: dates ISO 8601, numbers as recorded, blanks 'not recorded'."""
    if x is None or (not isinstance(x, str) and pd.isna(x)):
        return "not recorded"
    if isinstance(x, pd.Timestamp):
        return fmt.fmt_date(x)
    if isinstance(x, int | float):
        return fmt.fmt_value(x)
    text = str(x).strip()
    return text or "not recorded"


def day(x) -> str:
    return "day not known" if x is None or pd.isna(x) else f"day {fmt.fmt_value(x)}"


def label(ctx: OutputContext, role: str, var: str) -> str:
    return ctx.options.labels.get(var) or ctx.data.labels.get(role, {}).get(var) or var


def facts_text(ctx: OutputContext, row: pd.Series, names: list[str], lead: str) -> Paragraph | None:
    if not names:
        return None
    runs = [Run(lead, bold=True)]
    for k, var in enumerate(names):
        runs.append(Run(("" if k == 0 else "; ") + f"{label(ctx, 'adsl', var)}: "))
        runs.append(Run(value(row[var])))
        runs.append(cite("adsl", var))
    runs.append(Run("."))
    return Paragraph(tuple(runs))


def treatment_text(ctx: OutputContext, r: SubjectRecords) -> Paragraph:
    o = ctx.options
    row = r.adsl
    runs = [
        Run("Treatment: ", bold=True),
        Run(value(row[ctx.arm_var])),
        cite("adsl", ctx.arm_var),
        Run(", first dose "),
        Run(value(row[o.start_var])),
        cite("adsl", o.start_var),
        Run(", last dose "),
        Run(value(row[o.end_var])),
        cite("adsl", o.end_var),
    ]
    for var in o.exposure:
        runs += [Run(f"; {label(ctx, 'adsl', var)}: "), Run(value(row[var])), cite("adsl", var)]
    runs.append(Run("."))
    return Paragraph(tuple(runs))


def event_text(ctx: OutputContext, ev: pd.Series) -> Paragraph:
    o = ctx.options
    s = safety_settings(ctx.config, ctx.spec.id)
    role = s.dataset
    runs = [
        Run(value(ev[o.term_var]), bold=True),
        cite(role, o.term_var),
        Run(f": onset {day(ev['_DAY'])} ({value(ev['ASTDT'])})"),
        cite(role, "ASTDT"),
        Run(f", end {day(ev['_ENDDAY'])} ({value(ev['AENDT'])})"),
        cite(role, "AENDT"),
        Run("; severity "),
        Run(value(ev[s.severity_var])),
        cite(role, s.severity_var),
        Run("; serious: " + ("yes" if ev["_SERIOUS"] else "no")),
        cite(role, *dict.fromkeys(rule.var for rule in s.serious)),
    ]
    for var in dict.fromkeys(rule.var for rule in s.related):
        runs += [Run("; relationship "), Run(value(ev[var])), cite(role, var)]
    for word, var in (("action taken", o.action_var), ("outcome", o.outcome_var)):
        if var:
            runs += [Run(f"; {word} "), Run(value(ev[var])), cite(role, var)]
    if not ev["_TE"]:
        runs.append(Run("; not treatment-emergent"))
    runs.append(Run("."))
    return Paragraph(tuple(runs), style="bullet")


def labs_text(ctx: OutputContext, labs: pd.DataFrame) -> list[Paragraph]:
    s = ctx.config.bds_blocks[ctx.options.labs]
    out = []
    for _, lab in labs.iterrows():
        digits = s.decimals.get(lab["PARAMCD"])

        def num(x, digits=digits):
            return fmt.fmt_listing_num(x, digits) or "not recorded"

        out.append(
            Paragraph(
                (
                    Run(f"{lab['PARAMCD']} {num(lab['AVAL'])} ({lab['_DIR']}; reference "),
                    Run(f"{num(lab[s.low_var])} to {num(lab[s.high_var])}) on "),
                    Run(value(lab["ADT"]) + "."),
                ),
                style="bullet",
                level=1,
            )
        )
    return out


def meds_text(ctx: OutputContext, meds: pd.DataFrame) -> list[Paragraph]:
    o = ctx.options
    role = o.cm_dataset
    return [
        Paragraph(
            (
                Run(value(m[o.cm_term_var])),
                cite(role, o.cm_term_var),
                Run(f", {value(m[o.cm_start_var])} to {value(m[o.cm_end_var])}"),
                cite(role, o.cm_start_var, o.cm_end_var),
                Run("."),
            ),
            style="bullet",
        )
        for _, m in meds.iterrows()
    ]


def death_text(ctx: OutputContext, r: SubjectRecords) -> Paragraph:
    o = ctx.options
    if r.death is None:
        return Paragraph(
            (Run("Death: ", bold=True), Run("none recorded"), cite("adsl", o.flag), Run("."))
        )
    role = "adsl" if o.date_var and o.cause_var else safety_settings(ctx.config).dataset
    date_var = o.date_var or o.ae_date_var
    cause_var = o.cause_var or o.ae_cause_var
    d = r.death
    return Paragraph(
        (
            Run("Death: ", bold=True),
            Run(f"{value(d['DTHDT'])} ({day(d['DTHDY'])})"),
            cite(role, date_var),
            Run("; cause "),
            Run(value(d["DTHCAUS"] or None)),
            cite(role, cause_var),
            Run("."),
        )
    )


def subject_anchor(output_id: str, usubjid: str) -> str:
    return f"{output_id}-{re.sub(r'[^A-Za-z0-9_-]+', '-', usubjid)}"


def timeline(ctx: OutputContext, r: SubjectRecords, anchor: str) -> Figure:
    o = ctx.options
    start = r.adsl[o.start_var]
    end = r.adsl[o.end_var]
    t_end = None if pd.isna(end) or pd.isna(start) else float((end - start).days + 1)
    events = [
        TimelineEvent(
            label=value(ev[o.term_var]),
            start=None if pd.isna(ev["_DAY"]) else float(ev["_DAY"]),
            end=None if pd.isna(ev["_ENDDAY"]) else float(ev["_ENDDAY"]),
            serious=bool(ev["_SERIOUS"]),
        )
        for _, ev in r.events.iterrows()
    ]
    dday = None if r.death is None or pd.isna(r.death["DTHDY"]) else float(r.death["DTHDY"])
    fig_id = f"{anchor}-timeline"
    treatment = (None if pd.isna(start) else 1.0, t_end)
    return Figure(
        id=fig_id,
        number="",
        title=f"Timeline of subject {r.usubjid}",
        population="",
        svg="",
        png=b"",
        width_in=6.3,
        height_in=timeline_height(events),
        plan=plan(draw_timeline, fig_id, treatment, tuple(events), dday),
        alt=(
            f"Study days of treatment, {len(events)} adverse event(s)"
            + (" and death" if dday is not None else "")
            + f" of subject {r.usubjid}"
        ),
        footnotes=(
            f"Study days from the first dose ({o.start_var}); each AE from onset (ASTDT) to end "
            "(AENDT), a dot where the end is not recorded; serious by the [safety] rule.",
        ),
    )
