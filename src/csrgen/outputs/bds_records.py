"""The records a BDS output analyses: the study file's conventions (``[bds.<name>]``) applied to
one BDS dataset, each rule that leaves records out counted and reported.

The rules, in order, on the records of the population's subjects and the block's parameters:

1. **Derived records**: a record with a DTYPE (admiral's LOV, MAXIMUM, AVERAGE, ...) is left
   out unless its DTYPE is in ``keep_dtypes``.
2. **Baseline**: the record with ``baseline_flag`` = 'Y' at any visit, or the record at
   ``baseline_visit``; the analysis flag is not required on it. With a flag, the other records
   at ``baseline_visit`` are left out (they are not the baseline).
3. **Post-baseline**: every other record; with ``record_flag``, only those with 'Y'. These are
   the records of worst post-baseline values (shift and threshold tables), at any visit.
4. **By visit**: post-baseline records at scheduled visits: not blank or ".", with an AVISITN,
   not matching ``unscheduled_visits``, and among ``visits`` when the study file lists them.
5. **One record per visit**: several records of a subject, parameter, (timepoint) and visit
   are an error, or reduced to one by ``multiple`` (first, last, highest, lowest, mean).

The result, :class:`BdsData`, holds the by-visit records (one per subject, parameter, visit) and
the dataset positions of the baseline and post-baseline records, the problems a ``check`` hook
reports (several records under the ``error`` rule, arm values, several baselines) and one
warning per rule that left records out, with counts.
"""

from __future__ import annotations

import fnmatch
import re
from functools import cached_property

import numpy as np
import pandas as pd

from csrgen.analyses.bds import data_decimals
from csrgen.config import BdsSettings, StudyConfig
from csrgen.datasets import ARM, StudyData, population_subjects
from csrgen.errors import Problem
from csrgen.formatting import fmt_count
from csrgen.outputs.bds_data import (
    MAX_EXAMPLES,
    NO_VISIT,
    BdsData,
    TimepointGroup,
    arm_problems,
    combine_codes,
    counts_text,
    settings_key,
    visit_key,
)

#: Prepared blocks of the current study (see :func:`prepare_block`).
_MEMO: dict[tuple, BdsData] = {}
_MEMO_OWNER: list = [None, None]


def prepare_block(config: StudyConfig, data: StudyData, name: str, population: str) -> BdsData:
    """The block's records for a population, prepared once per study and reused.

    The check hooks run it in the parent process before the outputs; the outputs' workers are
    forked afterwards and inherit the result. Nothing modifies a :class:`BdsData`.
    """
    if _MEMO_OWNER[0] is not data or _MEMO_OWNER[1] is not config:
        _MEMO.clear()  # one study at a time: do not keep an earlier study's records alive
        _MEMO_OWNER[:] = [data, config]
    key = (name, population)
    if key not in _MEMO:
        _MEMO[key] = _prepare(config, data, name, population)
    return _MEMO[key]


def _prepare(config: StudyConfig, data: StudyData, name: str, population: str) -> BdsData:
    s = config.bds_blocks[name]
    where = settings_key(config, name)
    file = data.file_name(s.dataset)
    frame = data[s.dataset]
    subjects = population_subjects(data, config, population)
    group_var = s.arm_var or config.populations[population].arm_var
    problems: list[Problem] = []
    if s.arm_var:
        subjects[ARM] = pd.Categorical(
            subjects[s.arm_var], categories=config.arms.levels, ordered=True
        )
        problems += arm_problems(data, subjects, s.arm_var, where, config.arms.levels)
    sel = _Selection(frame, s, file, where, subjects)
    records = sel.by_visit_records()
    return BdsData(
        name=name,
        key=where,
        settings=s,
        file=file,
        subjects=subjects,
        group_var=group_var,
        records=records,
        params=sel.params,
        groups=sel.groups,
        visits=sel.visits,
        labels=sel.labels,
        decimals=sel.decimals(records),
        categories=sel.categories,
        visit_numbers=sel.visit_numbers,
        baseline_rows=sel.baseline_rows,
        other_rows=sel.other_rows,
        problems=tuple(problems + sel.problems),
        warnings=tuple(sel.warnings),
        derived_left_out=sel.derived_left_out,
    )


class _Selection:
    """The rules of the module docstring over one dataset, as masks over the records of the
    population's subjects and the block's parameters (``self.rows``)."""

    def __init__(self, frame: pd.DataFrame, s: BdsSettings, file: str, where: str, subjects):
        self.frame, self.s, self.file, self.where = frame, s, file, where
        self.subjects = subjects
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        subject = pd.Index(subjects["USUBJID"]).get_indexer(frame["USUBJID"])
        scope = (subject >= 0) & self._param_mask()
        self.rows = np.flatnonzero(scope)
        self.subject = subject[self.rows]
        self.timepoint = s.timepoint_var or None  # the variable, when the block has one
        derived = self._derived()
        at_visit = self._in("AVISIT", [s.baseline_visit])
        is_base = self._flag(s.baseline_flag) if s.baseline_flag else at_visit
        self._warn_baseline(is_base, derived)
        base = is_base & ~derived
        other = ~is_base & ~derived
        if s.baseline_flag:
            at_base_visit = other & at_visit
            self._warn(
                at_base_visit,
                f"records at AVISIT {s.baseline_visit!r} without {s.baseline_flag} = 'Y' left "
                "out (not the baseline record)",
            )
            other &= ~at_base_visit
        if s.record_flag:
            blank = other & ~self._flag(s.record_flag)
            self._warn(blank, f"non-baseline records with {s.record_flag} blank left out")
            other &= ~blank
        self.base_mask, self.post_mask = base, other
        self.by_visit_mask = other & self._scheduled(other)
        self._base_pick = self._one_per_key(base, baseline=True)
        self.baseline_rows = self.rows[self._base_pick]
        self.other_rows = self.rows[other]

    # -- columns of the records in scope ---------------------------------------------------------
    def _take(self, var: str) -> np.ndarray:
        return self.frame[var].to_numpy()[self.rows]

    def _number(self, var: str) -> np.ndarray:
        """A numeric column of the records in scope as floats (text that is no number: NaN)."""
        return pd.to_numeric(pd.Series(self._take(var)), errors="coerce").to_numpy(dtype=float)

    def _coded(self, var: str) -> tuple[np.ndarray, np.ndarray]:
        """A text column of the records in scope as integer codes into its distinct stripped
        texts (a missing value is ""): factorised once, so that every later comparison, key
        and lookup works on integers, not on a string per record."""
        if var not in self._codes:
            codes, uniques = pd.factorize(self.frame[var].to_numpy()[self.rows])
            texts = np.array([str(u).strip() for u in uniques] + [""], dtype=object)
            merged, distinct = pd.factorize(texts)  # two values equal once stripped: one code
            self._codes[var] = (merged[codes], np.asarray(distinct, dtype=object))
        return self._codes[var]

    def _text(self, var: str) -> np.ndarray:
        """A text column of the records in scope, stripped."""
        codes, texts = self._coded(var)
        return texts[codes]

    def _in(self, var: str, values) -> np.ndarray:
        """Which records in scope have ``var`` among ``values`` (compared once per text)."""
        codes, texts = self._coded(var)
        table = np.isin(texts, list(values))
        return table[codes] if len(texts) else np.zeros(len(codes), dtype=bool)

    def _flag(self, var: str) -> np.ndarray:
        return self._in(var, ["Y"])

    def _param_mask(self) -> np.ndarray:
        s = self.s
        codes, uniques = pd.factorize(self.frame["PARAMCD"])
        prefixes = tuple(s.exclude_prefixes)
        ok = [
            (not prefixes or not str(p).startswith(prefixes)) and (not s.params or p in s.params)
            for p in uniques
        ]
        return np.array(ok + [False], dtype=bool)[codes]

    # -- rule 1: derived records ------------------------------------------------------------------
    def _derived(self) -> np.ndarray:
        self.derived_left_out = False
        if "DTYPE" not in self.frame.columns:
            return np.zeros(len(self.rows), dtype=bool)
        derived = ~self._in("DTYPE", ["", *self.s.keep_dtypes])
        self.derived_left_out = bool(derived.any())
        if derived.any():
            counts = counts_text(self._text("DTYPE")[derived])
            self.warnings.append(
                f"{self._prefix()}{fmt_count(int(derived.sum()))} derived records (DTYPE "
                f"{counts}) left out; keep some with {self.where}.keep_dtypes"
            )
        return derived

    # -- rule 2: baseline -------------------------------------------------------------------------
    def _warn_baseline(self, is_base: np.ndarray, derived: np.ndarray) -> None:
        s = self.s
        if s.baseline_flag:
            elsewhere = is_base & ~derived & ~self._in("AVISIT", [s.baseline_visit])
            if elsewhere.any():
                subjects = len(set(self.subject[elsewhere]))
                self.warnings.append(
                    f"{self._prefix()}baseline taken from {s.baseline_flag} = 'Y' at any visit: "
                    f"{fmt_count(int(elsewhere.sum()))} baseline records of "
                    f"{fmt_count(subjects)} subjects sit at another visit than "
                    f"{s.baseline_visit!r} ({counts_text(self._text('AVISIT')[elsewhere])})"
                )
        if s.record_flag:
            blank = is_base & ~derived & ~self._flag(s.record_flag)
            if blank.any():
                self.warnings.append(
                    f"{self._prefix()}{fmt_count(int(blank.sum()))} baseline records have "
                    f"{s.record_flag} blank: taken as baseline all the same (baseline rule: "
                    f"{s.baseline_rule()})"
                )
        if (is_base & derived).any():
            dtype = self._text("DTYPE")
            self._warn(
                is_base & derived,
                "baseline records are derived records and left out with them; keep them with "
                f"{self.where}.keep_dtypes",
                dtype,
            )

    # -- rule 4: scheduled visits -----------------------------------------------------------------
    def _scheduled(self, post: np.ndarray) -> np.ndarray:
        s = self.s
        unscheduled = self._in("AVISIT", NO_VISIT)
        if "AVISITN" in self.frame.columns:
            unscheduled |= np.isnan(self._number("AVISITN"))
        patterns = [re.compile(fnmatch.translate(p.upper())) for p in s.unscheduled_visits]
        codes, texts = self._coded("AVISIT")
        matches = np.array([any(p.match(v.upper()) for p in patterns) for v in texts], bool)
        unscheduled |= matches[codes]
        self._warn(
            post & unscheduled,
            "non-baseline records at unscheduled visits or without an analysis visit not "
            "shown by visit (kept for worst post-baseline values)",
            self._text("AVISIT"),
        )
        keep = ~unscheduled
        if s.visits:
            listed = self._in("AVISIT", [v for v in s.visits if v != s.baseline_visit])
            self._warn(
                post & keep & ~listed,
                f"non-baseline records at visits not in {self.where}.visits not shown by visit",
                self._text("AVISIT"),
            )
            keep &= listed
        return keep

    # -- rule 5: one record per key ---------------------------------------------------------------
    def _one_per_key(self, mask: np.ndarray, baseline: bool) -> np.ndarray:
        """Positions (into the records in scope) of the records kept: one per subject,
        parameter, timepoint (and visit, unless ``baseline``) by the ``multiple`` rule. For
        ``mean`` the first record of each key stands for it (see :meth:`by_visit_records`)."""
        s = self.s
        pos = np.flatnonzero(mask)
        parts = [self.subject[pos], self._coded("PARAMCD")[0][pos]]
        if self.timepoint is not None:
            parts.append(self._coded(s.timepoint_var)[0][pos])
        if not baseline:
            parts.append(self._coded("AVISIT")[0][pos])
        key = combine_codes(parts)
        dup = pd.Series(key).duplicated(keep=False).to_numpy()
        if not dup.any():
            return pos
        if s.multiple == "error":
            self.problems.append(self._several_problem(pos[dup], baseline))
            return pos[~pd.Series(key).duplicated(keep="first").to_numpy()]
        order = self._order(pos)
        ranked = pd.DataFrame({"key": key, "order": order, "i": np.arange(len(pos))})
        ranked = ranked.sort_values(["key", "order", "i"], kind="mergesort")
        keep = "last" if s.multiple in ("last", "highest") else "first"
        chosen = ranked.drop_duplicates("key", keep=keep)["i"].to_numpy()
        n_out = len(pos) - len(chosen)
        what = "baseline records" if baseline else "records"
        rule = {
            "first": f"the first by {s.date_var}",
            "last": f"the last by {s.date_var}",
            "highest": "the highest value",
            "lowest": "the lowest value",
            "mean": "their mean (AVAL, BASE, CHG)",
        }[s.multiple]
        self.warnings.append(
            f"{self._prefix()}{fmt_count(int(dup.sum()))} {what} share a subject, parameter"
            + ("" if baseline else " and visit")
            + f": {fmt_count(n_out)} left out, each group represented by {rule} "
            f"({self.where}.multiple = {s.multiple!r})"
        )
        return np.sort(pos[chosen])

    def _order(self, pos: np.ndarray) -> np.ndarray:
        """The sort value of the ``multiple`` rule (missing dates and values first)."""
        s = self.s
        if s.multiple in ("first", "last"):
            dates = pd.to_datetime(pd.Series(self._take(s.date_var)[pos]), errors="coerce")
            return dates.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(float)
        values = self._number("AVAL")[pos]
        return np.where(np.isnan(values), -np.inf if s.multiple == "highest" else np.inf, values)

    def _several_problem(self, pos: np.ndarray, baseline: bool) -> Problem:
        s = self.s
        columns = ["USUBJID", "PARAMCD"] + ([s.timepoint_var] if s.timepoint_var else [])
        if not baseline:
            columns.append("AVISIT")
        shown = self.frame[columns].take(self.rows[pos]).drop_duplicates().head(MAX_EXAMPLES)
        examples = tuple(
            ", ".join(
                f"{c}={v}" if c == "USUBJID" else f"{c}={v!r}"
                for c, v in zip(columns, r, strict=True)
            )
            for r in shown.itertuples(index=False)
        )
        if baseline:
            variable = s.baseline_flag or "AVISIT"
            message = (
                f"more than one baseline record ({s.baseline_rule()}) per subject and "
                f"parameter; declare a rule with {self.where}.multiple (first, last, highest, "
                "lowest, mean)"
            )
            rule = "one-baseline"
        else:
            variable = "AVISIT"
            message = (
                "more than one record per subject, parameter and visit among the records "
                f"analysed; choose one with {self.where}.record_flag (e.g. ANL01FL) or "
                f"{self.where}.visits, or declare a rule with {self.where}.multiple (first, "
                "last, highest, lowest, mean)"
            )
            rule = "one-per-visit"
        return Problem(self.file, variable, rule, message, len(pos), examples)

    # -- what the outputs read --------------------------------------------------------------------
    @cached_property
    def params(self) -> list[str]:
        if self.s.params:
            return list(self.s.params)
        used = self.base_mask | self.post_mask
        codes, texts = self._coded("PARAMCD")
        codes = codes[used]
        if "PARAMN" not in self.frame.columns:
            return sorted(texts[np.unique(codes)])
        least = pd.Series(self._number("PARAMN")[used]).groupby(codes).min()
        first = pd.DataFrame({"value": texts[least.index], "order": least.to_numpy()})
        return list(first.sort_values(["order", "value"], na_position="last")["value"])

    @cached_property
    def labels(self) -> dict[str, str]:
        """The study file's label, else the parameter's first PARAM in record order."""
        found = self._first_text("PARAM") if "PARAM" in self.frame.columns else {}
        return {p: self.s.labels.get(p) or found.get(p) or p for p in self.params}

    @cached_property
    def categories(self) -> dict[str, str]:
        if self.s.parcat_var not in self.frame.columns:
            return {}
        return self._first_text(self.s.parcat_var)

    def _first_text(self, var: str) -> dict[str, str]:
        """Each parameter's first non-blank ``var`` in record order."""
        param, params = self._coded("PARAMCD")
        codes, texts = self._coded(var)
        given = np.flatnonzero(~self._in(var, [""]))
        first = np.unique(param[given], return_index=True)[1]
        rows = given[first]
        return {params[param[r]]: texts[codes[r]] for r in rows}

    @cached_property
    def timepoints(self) -> list[str]:
        if self.timepoint is None:
            return [""]
        used = self.base_mask | self.post_mask
        codes, texts = self._coded(self.s.timepoint_var)
        codes = codes[used]
        number = f"{self.s.timepoint_var}N"
        if number not in self.frame.columns:
            return sorted(texts[np.unique(codes)])
        least = pd.Series(self._number(number)[used]).groupby(codes).min()
        order = pd.DataFrame({"t": texts[least.index], "n": least.to_numpy()})
        return list(order.sort_values(["n", "t"], na_position="first")["t"])

    @cached_property
    def visits(self) -> list[str]:
        """The study file's visits, else those of the by-visit records by AVISITN (then
        name); the baseline first."""
        s = self.s
        codes, texts = self._coded("AVISIT")
        seen = texts[np.unique(codes[self.by_visit_mask])]
        found = s.visits or list(self.visit_numbers) or sorted(seen)
        return [s.baseline_visit] + [v for v in found if v != s.baseline_visit]

    @cached_property
    def visit_numbers(self) -> dict[str, float]:
        """Each by-visit visit's smallest AVISITN, ordered by it (then by name)."""
        if "AVISITN" not in self.frame.columns:
            return {}
        mask = self.by_visit_mask
        codes, texts = self._coded("AVISIT")
        least = pd.Series(self._number("AVISITN")[mask]).groupby(codes[mask]).min()
        order = pd.DataFrame({"v": texts[least.index], "n": least.to_numpy()})
        order = order.sort_values(["n", "v"])
        return {v: float(n) for v, n in order.itertuples(index=False)}

    @cached_property
    def groups(self) -> tuple[TimepointGroup, ...]:
        used = self.base_mask | self.by_visit_mask
        param, texts = self._coded("PARAMCD")
        groups = []
        for tp in self.timepoints:
            here = used if self.timepoint is None else used & self._in(self.s.timepoint_var, [tp])
            present = set(texts[np.unique(param[here])])
            params = tuple(p for p in self.params if p in present)
            if tp == "" and len(self.timepoints) == 1:
                params = tuple(self.params)  # a listed parameter without data: a null block
            if params:
                groups.append(
                    TimepointGroup(tp, params, tuple(visit_key(v, tp) for v in self.visits))
                )
        return tuple(groups)

    def by_visit_records(self) -> pd.DataFrame:
        """Baseline and by-visit records, one per subject, parameter, timepoint and visit."""
        pick = self._one_per_key(self.by_visit_mask, baseline=False)
        pos = np.concatenate([self._base_pick, pick])
        # The visit key of each record, from the codes of (visit, timepoint): one string per
        # distinct pair, never one per record.
        visit, visits = self._coded("AVISIT")
        visit = visit[pos]
        baseline_code = len(visits)
        visits = np.append(visits, self.s.baseline_visit)
        visit[: len(self._base_pick)] = baseline_code
        if self.timepoint is not None:
            tp, tps = self._coded(self.s.timepoint_var)
            tp = tp[pos]
        else:
            tp, tps = np.zeros(len(pos), np.int64), np.array([""], dtype=object)
        pair = visit.astype(np.int64) * len(tps) + tp
        pair_code, pairs = pd.factorize(pair)
        all_keys = [k for g in self.groups for k in g.visits]
        keys = [visit_key(visits[p // len(tps)], tps[p % len(tps)]) for p in pairs]
        key_at = pd.Index(all_keys).get_indexer(keys)[pair_code] if len(pairs) else pair_code
        param, params = self._coded("PARAMCD")
        param_at = pd.Index(self.params).get_indexer(params)[param[pos]] if len(pos) else param
        inside = (key_at >= 0) & (param_at >= 0)
        values = {v: self._numbers(v)[pos] for v in ("AVAL", "BASE", "CHG")}
        if self.s.multiple == "mean":
            values = self._means(pos, values)
        pos = pos[inside]
        return pd.DataFrame(
            {
                "USUBJID": self._take("USUBJID")[pos],
                "PARAMCD": pd.Categorical.from_codes(param_at[inside], categories=self.params),
                "AVISIT": pd.Categorical.from_codes(key_at[inside], categories=all_keys),
                "TIMEPOINT": tps[tp[inside]],
                **{v: x[inside] for v, x in values.items()},
                ARM: self.subjects[ARM].array.take(self.subject[pos]),
                "ROW": self.rows[pos],
            }
        )

    def _numbers(self, var: str) -> np.ndarray:
        if var not in self.frame.columns:
            return np.full(len(self.rows), np.nan)
        return self._number(var)

    def _means(self, pos: np.ndarray, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Under ``multiple = "mean"``: each kept record's AVAL, BASE and CHG replaced by the
        means over the records of its subject, parameter, timepoint and visit."""
        base = self.base_mask
        visit = self._coded("AVISIT")[0].copy()
        visit[base] = -1  # the baseline records of a subject and parameter form one group
        parts = [self.subject, self._coded("PARAMCD")[0], base.astype(np.int64), visit + 1]
        if self.timepoint is not None:
            parts.append(self._coded(self.s.timepoint_var)[0])
        key = combine_codes(parts)
        mask = self.by_visit_mask | base
        out = {}
        for var in values:
            x = pd.Series(self._numbers(var)).where(mask)
            means = x.groupby(key).transform("mean").to_numpy()
            out[var] = means[pos]
        return out

    def decimals(self, records: pd.DataFrame) -> dict[str, int]:
        own = self.s.decimals
        aval = records["AVAL"].to_numpy(dtype=float)
        codes = records["PARAMCD"].cat.codes.to_numpy()
        return {
            p: own[p] if p in own else data_decimals(aval[codes == i])
            for i, p in enumerate(self.params)
        }

    # -- messages ---------------------------------------------------------------------------------
    def _prefix(self) -> str:
        return f"{self.file} ([{self.where}]): "

    def _warn(self, mask: np.ndarray, text: str, by: np.ndarray | None = None) -> None:
        if mask.any():
            detail = f" ({counts_text(by[mask])})" if by is not None else ""
            self.warnings.append(f"{self._prefix()}{fmt_count(int(mask.sum()))} {text}{detail}")
