"""Disposition counts linked to the subjects of the discontinuation listing behind them (HTML).

A row of ``t_disp`` (a category rule: ADSL ``var`` in ``values``, reasons in ``reasons_var``)
links to ``l_disc`` when that listing, of the same population, has a phase with the same rule:
the row's count selects the phase's rows of the arm (``DCPHASE``, the arm column), a reason's
count those with that reason (``DCREAS``; blank for "reason not recorded").
"""

from __future__ import annotations

import pandas as pd

from csrgen.analyses.disposition import Category, matches
from csrgen.ard import ArdIndex
from csrgen.document.model import Cell
from csrgen.outputs import links
from csrgen.outputs.base import OutputContext


class DispLinks:
    """Count cells linked to the subjects of a discontinuation listing (``l_disc`` of the same
    population) whose phase has the row's rule: the listing's ``DCPHASE`` and arm (and
    ``DCREAS`` for a reason), when every subject it lists for the phase is in the table's
    denominator (so that the listed subjects are the counted ones)."""

    def __init__(
        self, ctx: OutputContext, ix: ArdIndex, subjects: pd.DataFrame, base: Category
    ) -> None:
        self.ctx, self.ix = ctx, ix
        inside = matches(subjects, base.var, base.values).to_numpy()
        self.phases = []
        for spec, opts in links.listings(ctx.config, {"l_disc"}, ctx.spec.population):
            for phase in opts.phases if not (opts.where or opts.exclude) else ():
                listed = matches(subjects, phase.var, phase.values).to_numpy()
                if not (listed & ~inside).any():
                    self.phases.append((spec.id, phase))

    def __call__(self, row, level: str, text: str, reason: str | None = None) -> Cell:
        """The cell ``text`` of ``row`` (a t_disp row) in arm ``level``, linked when a phase of
        the listing has the row's rule; ``reason``: a reason row's reason ("" for none
        recorded), None for the category row itself."""
        target = next(
            (
                (lid, ph)
                for lid, ph in self.phases
                if row.values
                and (ph.var, sorted(ph.values)) == (row.var, sorted(row.values))
                and (reason is None or ph.reason_var == row.reasons_var)
            ),
            None,
        )
        if target is None:
            return Cell(text)
        where = links.arm_where(self.ctx, level) | {"DCPHASE": target[1].label}
        if reason is None:
            n = self.ix.value("n", group_level=level, variable=row.id)
        elif reason:
            where["DCREAS"] = reason
            n = self.ix.value(
                "n", group_level=level, variable=row.reasons_var, variable_level=reason
            )
        else:
            where["DCREAS"] = ""
            n = self.ix.value("n_miss", group_level=level, variable=row.reasons_var)
        return links.count_cell(text, n, target[0], self.ctx.spec.id, where)
