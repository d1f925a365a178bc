"""Table <number>.k Change from baseline by visit: ANCOVA and Wilcoxon rank-sum test, one block
per parameter.

pre-processing: :func:`csrgen.outputs.lab_common.prepare_labs`.
analysis: :func:`csrgen.analyses.labs.ard_lab_ancova` at each post-baseline visit (LS means,
difference of each arm from the reference with its confidence interval and p-value; Wilcoxon
rank-sum p-value as sensitivity analysis) and the population N per arm.
build: one table per parameter: visits as row groups, arms as columns.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from csrgen import formatting as fmt
from csrgen.analyses.labs import ANCOVA, WILCOXON, ard_lab_ancova, ard_lab_population
from csrgen.ard import ArdIndex, concat_ard
from csrgen.datasets import ARM
from csrgen.document.model import Column, Row, Table
from csrgen.outputs import lab_common as lc
from csrgen.outputs.base import OptionsModel, OutputContext, header_n, population_n


class Options(OptionsModel):
    #: Confidence level of the intervals of the differences.
    level: float = Field(default=0.95, gt=0.5, lt=1.0)
    #: Also show the Wilcoxon rank-sum test (sensitivity analysis).
    wilcoxon: bool = True
    landscape: bool = False


shares = lc.lab_shares


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    return lc.lab_requires(config)


def prepare(ctx: OutputContext) -> lc.LabData:
    return lc.prepare_labs(ctx)


def analyze(ctx: OutputContext, lab: lc.LabData) -> pd.DataFrame:
    opts: Options = ctx.options
    return concat_ard(
        [
            ard_lab_population(lab.subjects, ARM, ctx.arms, lab.group_var),
            ard_lab_ancova(
                lab.records,
                arm=ARM,
                arms=ctx.arms,
                reference=ctx.config.arms.reference,
                params=lab.params,
                visits=lab.post_visits,
                group_var=lab.group_var,
                level=opts.level,
                wilcoxon=opts.wilcoxon,
            ),
        ]
    )


def decimals(ctx: OutputContext, lab: lc.LabData) -> dict[str, int]:
    """Each parameter's data decimals (LS means and differences print one more)."""
    return lab.decimals


def build(ctx: OutputContext, lab: lc.LabData, ard: pd.DataFrame) -> list[Table]:
    if lab.empty or not lab.post_visits:
        return [ctx.null()]
    ix = ArdIndex(ard)
    population = ctx.population_line(population_n(ix, ctx))
    blocks = []
    for k, param in enumerate(lab.params, start=1):
        if not lab.has_data(param):
            blocks.append(lc.null_block(ctx, param, k, lab.labels[param], population))
        else:
            blocks.append(_table(ctx, lab, ix, param, k, population))
    return blocks


def _table(
    ctx: OutputContext, lab: lc.LabData, ix: ArdIndex, param: str, k: int, population: str
) -> Table:
    opts: Options = ctx.options
    arms, ref = ctx.arms, ctx.config.arms.reference
    columns = [Column(lab.labels[param], align="left", width=2.6, key="stub")]
    columns += [Column(header_n(ix, a), align="center", key=a) for a in arms]
    level = f"{fmt.fmt_num(100 * opts.level, 0)}%"
    rows: list[Row] = []
    for visit in lab.post_visits:

        def w(a: str, method: str = ANCOVA, visit: str = visit) -> dict:
            return dict(
                group_level=a, variable="CHG", variable_level=method, param=param, timepoint=visit
            )

        lines = [
            ("n", [ix.text("n", **w(a)) for a in arms]),
            ("LS mean (SE)", [ix.mean_sd("lsmean", "lsmean_se", **w(a)) for a in arms]),
            (
                f"Difference vs {ref} ({level} CI)",
                ["" if a == ref else ix.est_ci("diff", **w(a)) for a in arms],
            ),
            (
                "p-value (ANCOVA)",
                ["" if a == ref else ix.text("p_value", **w(a)) for a in arms],
            ),
        ]
        if opts.wilcoxon:
            lines.append(
                (
                    "p-value (Wilcoxon)",
                    ["" if a == ref else ix.text("p_value", **w(a, WILCOXON)) for a in arms],
                )
            )
        labels = [label for label, _ in lines]
        per_arm = [[texts[i] for _, texts in lines] for i in range(len(arms))]
        rows += lc.visit_rows(visit, labels, per_arm)
    return Table(
        id=lc.block_id(ctx.spec.id, param),
        number=lc.block_number(ctx.spec.number, k),
        title=lc.block_title(ctx.spec.title, lab.labels[param]),
        population=population,
        columns=tuple(columns),
        rows=tuple(rows),
        footnotes=tuple(_footnotes(ctx, rows, level)),
        source=ctx.source_line(["adsl", lc.lab_settings(ctx.config).dataset]),
        landscape=opts.landscape,
    )


def _footnotes(ctx: OutputContext, rows: list[Row], level: str) -> list[str]:
    opts: Options = ctx.options
    labs = lc.lab_settings(ctx.config)
    ref = ctx.config.arms.reference
    notes = list(ctx.spec.footnotes)
    notes.append(
        "N = number of subjects in the population; n = subjects with a baseline value and a "
        "value at the visit (observed cases; missing values are not imputed)."
    )
    multi = len(ctx.arms) > 2
    notes.append(
        "LS mean (SE) = least-squares mean change from baseline (standard error) from an analysis "
        "of covariance (ANCOVA) at each visit with arm as factor and the baseline value as "
        "covariate, evaluated at the mean baseline value of the subjects analysed"
        + ("; the model includes all arms (pooled residual variance)" if multi else "")
        + f". Difference = arm minus {ref}, with its {level} confidence interval (CI) and "
        "two-sided p-value from the model's t test. No adjustment for multiplicity."
    )
    if opts.wilcoxon:
        notes.append(
            f"Wilcoxon = two-sided Wilcoxon rank-sum test of the change from baseline, arm versus "
            f"{ref} (normal approximation with continuity correction), on the same subjects: a "
            "sensitivity analysis that does not assume normally distributed changes."
        )
    notes.append(lc.records_note(labs))
    if lc.any_ne(rows):
        notes.append(lc.NE_NOTE)
    return notes
