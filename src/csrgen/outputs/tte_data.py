"""Pre-processing shared by the time-to-event outputs (t_tte, f_km, t_cif, f_cif).

The output's population from ADSL (arm from its arm variable, never ADTTE's own arm
variables), the parameter's ADTTE records (one per subject: :func:`check_tte`, the outputs'
``check`` hook), strata and covariates from ADSL, and the analysis settings of the endpoint
from the study file's ``[survival]`` table. An endpoint with ``subset = true`` (duration of
response) is analysed in the population's subjects who have a record of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from csrgen import formatting as fmt
from csrgen.analyses.disposition import matches
from csrgen.analyses.survival import EVENT, STATUS, TIME, TteAnalysis
from csrgen.config import StudyConfig, SurvivalSettings, TteEndpoint
from csrgen.datasets import ARM
from csrgen.errors import ConfigError, Problem
from csrgen.outputs.base import OutputContext, option_key, value_problems


@dataclass(frozen=True)
class TtePrepared:
    settings: SurvivalSettings
    endpoint: TteEndpoint
    #: One row per population subject (with ``endpoint.subset``: per subject with a record):
    #: ``_ARM``, ``_TIME`` (NaN without a record), ``_EVENT``, ``_STATUS`` (0 censored, 1
    #: event, 2 competing event), strata and covariates.
    frame: pd.DataFrame
    analysis: TteAnalysis

    @property
    def empty(self) -> bool:
        return not self.frame[TIME].notna().any()


def survival_endpoint(config: StudyConfig, spec, paramcd: str) -> TteEndpoint:
    """The study file's endpoint of an output; a :class:`ConfigError` naming the key if none."""
    where = option_key(config, spec)
    settings = config.survival
    if settings is None:
        raise ConfigError(f"{where}: output {spec.id!r} needs a [survival] table")
    if spec.population != settings.population:
        raise ConfigError(
            f"{where}.population: {spec.population!r} differs from survival.population "
            f"{settings.population!r}"
        )
    try:
        return settings.endpoint(paramcd)
    except KeyError:
        known = [e.paramcd for e in settings.endpoints]
        raise ConfigError(
            f"{where}.options.paramcd: {paramcd!r} is not one of the survival endpoints {known}"
        ) from None


def tte_requires(config: StudyConfig, spec, paramcd: str) -> dict[str, set[str]]:
    endpoint = survival_endpoint(config, spec, paramcd)
    settings = config.survival
    adtte = {"USUBJID", "PARAMCD", "AVAL", "CNSR"}
    if endpoint.competing_variable:
        adtte.add(endpoint.competing_variable)
    return {settings.dataset: adtte, "adsl": {*settings.strata, *settings.covariates}}


def tte_shares(options) -> str:
    """Outputs of one endpoint (``options.paramcd``) share its memoised statistics: its table
    and figures run together (see :func:`csrgen.outputs.catalog.work_group`)."""
    return f"tte:{options.paramcd}"


def check_tte(ctx: OutputContext, paramcd: str) -> list[Problem]:
    """The time-to-event outputs' ``check`` hook: one ADTTE record per subject for the
    parameter (two would count a subject twice in every statistic)."""
    role = ctx.config.survival.dataset
    endpoint = ctx.config.survival.endpoint(paramcd)
    index = ctx.config.survival.endpoints.index(endpoint)
    found = value_problems(
        ctx,
        role,
        f"survival.endpoints[{index}].competing_values",
        endpoint.competing_variable,
        endpoint.competing_values,
    )
    records = ctx.data[role]
    records = records.loc[records["PARAMCD"] == paramcd]
    dup = records["USUBJID"].duplicated(keep=False)
    if not dup.any():
        return found
    examples = tuple(
        f"USUBJID={r.USUBJID}: AVAL={r.AVAL:g}, CNSR={r.CNSR:g}"
        for r in records.loc[dup].head(5).itertuples()
    )
    return found + [
        Problem(
            ctx.data.file_name(role),
            "USUBJID",
            "one-record-per-subject",
            f"more than one record per subject for PARAMCD {paramcd!r}",
            int(dup.sum()),
            examples,
        )
    ]


def prepare_tte(ctx: OutputContext, paramcd: str) -> TtePrepared:
    """The analysis frame of an endpoint (the data passed :func:`check_tte`)."""
    settings = ctx.config.survival
    endpoint = settings.endpoint(paramcd)
    role = settings.dataset
    records = ctx.data[role]
    records = records.loc[records["PARAMCD"] == paramcd]
    extra = list(dict.fromkeys([*settings.strata, *settings.covariates]))
    keep = ["USUBJID", "AVAL", "CNSR"] + (
        [endpoint.competing_variable] if endpoint.competing_variable else []
    )
    merged = ctx.subjects[["USUBJID", ARM, *extra]].merge(
        records[keep], on="USUBJID", how="left", validate="one_to_one"
    )
    if endpoint.subset:  # defined on the subjects with a record only (e.g. responders)
        merged = merged.loc[merged["AVAL"].notna()].reset_index(drop=True)
    event = 1.0 - merged["CNSR"].astype(float)
    status = event.fillna(0).astype(int)
    if endpoint.competing_variable:
        competing = (merged["CNSR"] == 1) & matches(
            merged, endpoint.competing_variable, endpoint.competing_values
        )
        status = status.mask(competing, 2)
    frame = pd.DataFrame(
        {
            ARM: merged[ARM],
            TIME: merged["AVAL"].astype(float),
            EVENT: event,
            STATUS: status,
            **{c: merged[c] for c in extra},
        }
    )
    analysis = TteAnalysis(
        param=paramcd,
        arm=ARM,
        arms=tuple(ctx.arms),
        reference=ctx.config.arms.reference,
        group_var=ctx.arm_var,
        landmarks=tuple(float(t) for t in endpoint.landmarks),
        risk_times=tuple(float(t) for t in endpoint.risk_ticks),
        windows=tuple((float(a), float(b)) for a, b in endpoint.windows),
        strata=tuple(settings.strata),
        covariates=tuple(settings.covariates),
        conf_level=settings.conf_level,
    )
    return TtePrepared(settings, endpoint, frame, analysis)


def variable_label(ctx: OutputContext, var: str) -> str:
    """A covariate's name for footnotes: the study file's, else the data label, else ``var``."""
    settings = ctx.config.survival
    if settings is not None and var in settings.labels:
        return settings.labels[var]
    label = ctx.data.labels.get("adsl", {}).get(var, "") if ctx.data.labels else ""
    return label or var


def arm_note(ctx: OutputContext, prep: TtePrepared) -> str:
    """Where the arm comes from (ADSL, merged on USUBJID), for the footnotes."""
    return (
        f"Arm from ADSL {ctx.arm_var} (the {ctx.population.label.lower()}'s arm variable), "
        f"merged with {prep.settings.dataset.upper()} on USUBJID."
    )


def population_text(ctx: OutputContext, prep: TtePrepared, n: float) -> str:
    """The population line: with ``subset``, the subjects who have the parameter."""
    if not prep.endpoint.subset:
        return ctx.population_line(n)
    who = f" ({prep.endpoint.subset_label})" if prep.endpoint.subset_label else ""
    return (
        f"Population: {ctx.population.label}, subjects with a record of "
        f"{prep.endpoint.paramcd}{who} (N={fmt.fmt_int(n)})"
    )


def subset_note(prep: TtePrepared, n: float) -> str:
    """The footnote of an endpoint defined on a subset; "" for an ordinary endpoint."""
    if not prep.endpoint.subset:
        return ""
    who = f" ({prep.endpoint.subset_label})" if prep.endpoint.subset_label else ""
    return (
        f"Analysed: subjects of the population with a record of {prep.endpoint.paramcd}{who}, "
        f"N={fmt.fmt_int(n)}; the endpoint is not defined for the other subjects, who are not "
        "counted in N, the numbers at risk or the curves."
    )


def in_sentence(label: str) -> str:
    """A label inside a sentence: first letter lower-cased unless it starts an acronym."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]
