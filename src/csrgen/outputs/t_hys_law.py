"""Table <number> Hepatotoxicity: subjects with peak post-baseline ALT, AST or total bilirubin
beyond multiples of the upper limit of normal, in each eDISH quadrant and meeting the potential
Hy's-law criteria, n (%) by arm (FDA 2009 drug-induced liver injury guidance).

pre-processing: :func:`csrgen.outputs.hepatic_common.liver_records` (the block's baseline and
post-baseline records of the three tests, each value as a multiple of its record's ULN).
analysis: :func:`csrgen.analyses.hepatic.ard_hys_law`.
build: one table; per criterion a group with the evaluable subjects (n, the denominator) and
the subjects meeting it; the same at baseline, so that a reader sees elevations that were
there before treatment.
"""

from __future__ import annotations

import pandas as pd

from csrgen.analyses.hepatic import ard_hys_law, uln_level
from csrgen.ard import ArdIndex
from csrgen.datasets import ARM
from csrgen.document.model import Cell, Column, Row, Table
from csrgen.formatting import fmt_level
from csrgen.outputs import hepatic_common as hc
from csrgen.outputs.base import OutputContext, header_n, population_n

Options = hc.HepaticOptions
check = hc.check
requires = hc.hepatic_requires
prepare = hc.liver_records

#: eDISH quadrant -> row label.
QUADRANT_LABELS = {
    "NORMAL": "Normal range",
    "HYPERBILIRUBINEMIA": "Hyperbilirubinemia",
    "TEMPLE": "Temple's corollary",
    "HYS_LAW": "Potential Hy's law",
}


def analyze(ctx: OutputContext, liver: hc.LiverRecords) -> pd.DataFrame:
    opts: Options = ctx.options
    data = liver.data
    return ard_hys_law(
        liver.records,
        data.subjects,
        ARM,
        ctx.arms,
        data.group_var,
        opts.codes,
        opts.transaminase_uln,
        opts.bilirubin_uln,
    )


def decimals(ctx: OutputContext, liver: hc.LiverRecords) -> int:
    """Peaks are ratios to the ULN: two decimals."""
    return 2


def sections(opts: Options) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(heading, ARD variable, [(level, row label)]) of each group of rows, in display order."""
    t, b = fmt_level(opts.transaminase_uln), fmt_level(opts.bilirubin_uln)
    tl, bl = uln_level(opts.transaminase_uln), uln_level(opts.bilirubin_uln)
    return [
        ("Peak post-baseline ALT", "ALT", [(tl, f"≥ {t} × ULN")]),
        ("Peak post-baseline AST", "AST", [(tl, f"≥ {t} × ULN")]),
        ("Peak post-baseline ALT or AST", "ALT_OR_AST", [(tl, f"≥ {t} × ULN")]),
        ("Peak post-baseline total bilirubin", "BILI", [(bl, f"≥ {b} × ULN")]),
        (
            "Potential Hy's law",
            "HYS_LAW",
            [("POTENTIAL", f"ALT or AST ≥ {t} × ULN and total bilirubin ≥ {b} × ULN")],
        ),
        (
            "eDISH quadrant (peak ALT, peak total bilirubin)",
            "EDISH",
            list(QUADRANT_LABELS.items()),
        ),
        ("Baseline total bilirubin", "BASE_BILI", [(bl, f"≥ {b} × ULN")]),
        ("Baseline ALT or AST", "BASE_ALT_OR_AST", [(tl, f"≥ {t} × ULN")]),
    ]


def build(ctx: OutputContext, liver: hc.LiverRecords, ard: pd.DataFrame) -> list[Table]:
    if liver.empty:
        return [ctx.null()]
    opts: Options = ctx.options
    ix = ArdIndex(ard)
    arms = ctx.arms
    columns = [Column("Criterion", align="left", width=2.6, key="stub")]
    columns += [Column(header_n(ix, a), align="center", key=a) for a in arms]
    blank = [Cell("")] * len(arms)
    rows: list[Row] = []
    for heading, variable, levels in sections(opts):
        param = {"ALT": opts.alt, "AST": opts.ast, "BILI": opts.bili, "BASE_BILI": opts.bili}
        where = dict(variable=variable, param=param.get(variable, ""))
        rows.append(Row((Cell(heading, bold=True), *blank), kind="group"))
        n = [ix.text("n", group_level=a, **where) for a in arms]
        rows.append(Row((Cell("n", indent=1), *map(Cell, n))))
        for level, label in levels:
            cells = [Cell(ix.n_pct(group_level=a, variable_level=level, **where)) for a in arms]
            rows.append(Row((Cell(label, indent=1), *cells)))
    footnotes = list(ctx.spec.footnotes)
    footnotes += [
        "ULN = upper limit of normal. N = subjects in the population; n = subjects with at "
        "least one value of the test(s) the criterion needs (for Hy's law: ALT or AST, and "
        "total bilirubin), the denominator of the percentages. Each subject is counted once "
        "per row.",
        hc.rule_note(opts),
        "eDISH quadrants (evaluation of drug-induced serious hepatotoxicity) by peak "
        f"post-baseline ALT (≥ {fmt_level(opts.transaminase_uln)} × ULN or not) and peak "
        f"total bilirubin (≥ {fmt_level(opts.bilirubin_uln)} × ULN or not): normal range "
        "(neither), hyperbilirubinemia (bilirubin only), Temple's corollary (ALT only), "
        "potential Hy's law (both).",
        hc.records_note(liver, opts),
    ]
    elevated = baseline_note(ix, ctx, opts)
    if elevated:
        footnotes.append(elevated)
    return [
        Table(
            id=ctx.spec.id,
            number=ctx.spec.number,
            title=ctx.spec.title,
            population=ctx.population_line(population_n(ix, ctx)),
            columns=tuple(columns),
            rows=tuple(rows),
            footnotes=tuple(footnotes),
            source=ctx.source_line([liver.data.settings.dataset, "adsl"]),
        )
    ]


def baseline_note(ix: ArdIndex, ctx: OutputContext, opts: Options) -> str:
    """A footnote when some subjects had total bilirubin >= 2 x ULN already at baseline (the
    disease, not the drug, may explain their post-baseline values); "" when none had."""
    level = uln_level(opts.bilirubin_uln)
    where = dict(variable="BASE_BILI", param=opts.bili)
    k = sum(ix.value("n", group_level=a, variable_level=level, **where) for a in ctx.arms)
    if not k:
        return ""
    parts = [
        f"{a} {ix.text('n', group_level=a, variable_level=level, **where)}/"
        f"{ix.text('n', group_level=a, **where)} "
        f"({ix.text('pct', group_level=a, variable_level=level, **where)}%)"
        for a in ctx.arms
        if ix.value("n", group_level=a, **where)
    ]
    return (
        f"Total bilirubin was already ≥ {fmt_level(opts.bilirubin_uln)} × ULN at baseline in "
        f"{', '.join(parts)} of the subjects with a baseline value: in them an elevated "
        "post-baseline bilirubin may reflect the underlying liver disease rather than "
        "drug-induced liver injury."
    )


__all__ = ["Options", "requires", "check", "prepare", "analyze", "build", "decimals"]
