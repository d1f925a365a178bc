"""Table <number>.k Change from baseline by visit: ANCOVA and Wilcoxon rank-sum test, one block
per parameter (and timepoint), for any BDS dataset.

pre-processing: :func:`csrgen.outputs.bds_common.prepare`.
analysis: :func:`csrgen.analyses.bds.ard_bds_ancova` at each post-baseline visit (LS means,
difference of each arm from the reference with its confidence interval and p-value; Wilcoxon
rank-sum p-value as sensitivity analysis) and the population N per arm.
build: one table per parameter: visits as row groups, arms as columns.
"""

from __future__ import annotations

import pandas as pd
from pydantic import Field

from csrgen import formatting as fmt
from csrgen.analyses.bds import ANCOVA, WILCOXON, ard_bds_ancova, ard_bds_population
from csrgen.ard import ArdIndex, concat_ard
from csrgen.datasets import ARM
from csrgen.document.model import Column, Row, Table
from csrgen.outputs import bds_common as bc
from csrgen.outputs.base import OutputContext, header_n, population_n


class Options(bc.BdsOptions):
    #: Confidence level of the intervals of the differences.
    level: float = Field(default=0.95, gt=0.5, lt=1.0)
    #: Also show the Wilcoxon rank-sum test (sensitivity analysis).
    wilcoxon: bool = True
    landscape: bool = False


# (no shares: the block is prepared by the check hooks before the workers fork)
check = bc.check
prepare = bc.prepare


def requires(config, spec, options: Options) -> dict[str, set[str]]:
    return bc.bds_requires(config, spec, options)


def analyze(ctx: OutputContext, prep: bc.BdsPrepared) -> pd.DataFrame:
    opts: Options = ctx.options
    data = prep.data
    parts = [ard_bds_population(data.subjects, ARM, ctx.arms, data.group_var)]
    for group, params in prep.groups():
        parts.append(
            ard_bds_ancova(
                data.records,
                arm=ARM,
                arms=ctx.arms,
                reference=ctx.config.arms.reference,
                params=params,
                visits=group.post_visits,
                group_var=data.group_var,
                level=opts.level,
                wilcoxon=opts.wilcoxon,
            )
        )
    return concat_ard(parts)


def decimals(ctx: OutputContext, prep: bc.BdsPrepared) -> dict[str, int]:
    """Each parameter's data decimals (LS means and differences print one more)."""
    return prep.data.decimals


def build(ctx: OutputContext, prep: bc.BdsPrepared, ard: pd.DataFrame) -> list[Table]:
    data = prep.data
    if prep.empty or len(data.visits) < 2:
        return [ctx.null()]
    ix = ArdIndex(ard)
    population = ctx.population_line(population_n(ix, ctx))
    blocks = []
    for k, (param, tp) in enumerate(prep.blocks, start=1):
        anchor = bc.block_anchor(ctx, param, tp)
        if not data.has_data(param, tp):
            label = data.block_label(param, tp)
            blocks.append(bc.null_block(ctx, anchor, k, label, population))
        else:
            blocks.append(_table(ctx, data, ix, param, tp, k, population))
    return blocks


def _table(
    ctx: OutputContext,
    data: bc.BdsData,
    ix: ArdIndex,
    param: str,
    tp: str,
    k: int,
    population: str,
) -> Table:
    opts: Options = ctx.options
    arms, ref = ctx.arms, ctx.config.arms.reference
    label = data.block_label(param, tp)
    stub = data.block_label(param, tp, sep="\n")
    columns = [Column(stub, align="left", width=2.6, key="stub")]
    columns += [Column(header_n(ix, a), align="center", key=a) for a in arms]
    level = f"{fmt.fmt_num(100 * opts.level, 0)}%"
    rows: list[Row] = []
    for name, visit in zip(data.visits[1:], data.group(tp).post_visits, strict=True):

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
        rows += bc.visit_rows(name, labels, per_arm)
    return Table(
        id=bc.block_anchor(ctx, param, tp),
        number=bc.block_number(ctx.spec.number, k),
        title=bc.block_title(ctx.spec.title, label),
        population=population,
        columns=tuple(columns),
        rows=tuple(rows),
        footnotes=tuple(_footnotes(ctx, data, rows, level)),
        source=ctx.source_line(["adsl", data.settings.dataset]),
        landscape=opts.landscape,
    )


def _footnotes(ctx: OutputContext, data: bc.BdsData, rows: list[Row], level: str) -> list[str]:
    opts: Options = ctx.options
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
    notes.append(bc.records_note(data))
    if bc.any_ne(rows):
        notes.append(bc.NE_NOTE)
    return notes
