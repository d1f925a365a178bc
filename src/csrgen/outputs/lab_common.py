"""What the laboratory outputs share: pre-processing of BDS lab records and block naming.

The lab outputs (``t_lab_summary``, ``t_lab_ancova``, ``f_lab_mean``) read the study file's
``[labs]`` table: parameters, visits, record flag, arm variable, decimals. Each output makes one
block per parameter, numbered ``<output number>.<k>`` (Table 14.2.4.1, 14.2.4.2, ...) with the
parameter in its title, so that long tables stay readable on the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from csrgen import formatting as fmt
from csrgen.analyses.labs import data_decimals
from csrgen.config import LabSettings, StudyConfig
from csrgen.datasets import ARM
from csrgen.document.model import Cell, Row, null_table
from csrgen.errors import ConfigError, DataValidationError, Problem
from csrgen.outputs.base import OutputContext, block_id

#: The ADLB variables every lab output reads.
LAB_VARIABLES = {"USUBJID", "PARAMCD", "PARAM", "AVISIT", "AVAL", "BASE", "CHG"}
MAX_EXAMPLES = 5


@dataclass(frozen=True)
class LabData:
    """The population and its lab records, ready for the ``ard_lab_*`` functions."""

    subjects: pd.DataFrame
    #: One row per subject, parameter and visit, with the arm in ``ARM``: the columns USUBJID,
    #: PARAMCD and AVISIT (categoricals of ``params`` and ``visits``), AVAL, BASE, CHG, ARM.
    records: pd.DataFrame
    #: PARAMCDs in display order (a listed parameter without data is kept: it gets a null block).
    params: list[str]
    visits: list[str]
    #: Visits other than baseline, in display order.
    post_visits: list[str]
    #: The ADaM arm variable (ARD ``group_var``).
    group_var: str
    labels: dict[str, str] = field(default_factory=dict)
    decimals: dict[str, int] = field(default_factory=dict)
    #: AVISITN of each visit (when the data have it): positions on a time axis.
    visit_numbers: dict[str, float] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.subjects.empty or self.records.empty

    def has_data(self, param: str) -> bool:
        return param in self._with_data

    @cached_property
    def _with_data(self) -> frozenset[str]:
        """The parameters with at least one record (found once, not at every look-up)."""
        return frozenset(self.records["PARAMCD"].dropna().unique())


def lab_settings(config: StudyConfig) -> LabSettings:
    if config.labs is None:
        raise ConfigError(f"{config.path}: labs: a lab output needs a [labs] table")
    return config.labs


def lab_requires(config: StudyConfig) -> dict[str, set[str]]:
    """ADLB and ADSL variables the lab outputs need (checked by dataset validation)."""
    labs = lab_settings(config)
    adlb = set(LAB_VARIABLES)
    if not labs.visits:
        adlb.add("AVISITN")
    if labs.record_flag:
        adlb.add(labs.record_flag)
    out = {labs.dataset: adlb}
    if labs.arm_var:
        out["adsl"] = {labs.arm_var}
    return out


#: The last lab data prepared, with the study data and configuration it was prepared from
#: (see :func:`prepare_labs`).
_MEMO: dict[tuple, tuple[object, object, LabData]] = {}


def lab_shares(options) -> str:
    """The lab tables and figure share :func:`prepare_labs`' memoised records: they run
    together (see :func:`csrgen.outputs.catalog.work_group`)."""
    return "labs"


def prepare_labs(ctx: OutputContext) -> LabData:
    """Population, arm, records to analyse, parameter and visit order (pre-processing).

    The lab outputs of one report share the same preparation, so it is made once per study
    data, configuration and population and reused by the next lab output run in the same
    process (nothing modifies a :class:`LabData`). Results are the same whether the outputs run
    in one process or in several (``CSRGEN_JOBS``); only the work done differs.
    """
    labs = lab_settings(ctx.config)
    key = (
        id(ctx.data),
        id(ctx.config),
        ctx.spec.population,
        labs.model_dump_json(),
        ctx.population.model_dump_json(),
        tuple(ctx.arms),
    )
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is ctx.data and hit[1] is ctx.config:
        return hit[2]
    lab = _prepare_labs(ctx, labs)
    _MEMO.clear()  # one study at a time: do not keep an earlier study's records alive
    _MEMO[key] = (ctx.data, ctx.config, lab)
    return lab


def _prepare_labs(ctx: OutputContext, labs: LabSettings) -> LabData:
    """:func:`prepare_labs` without the memo: masks over ADLB, then one copy of the analysed
    records' columns. Parameters and visits are coded once (``pd.factorize``), so that every
    later step works on integer codes instead of comparing strings record by record."""
    subjects = ctx.subjects
    group_var = labs.arm_var or ctx.arm_var
    if labs.arm_var:
        subjects = subjects.assign(
            **{ARM: pd.Categorical(subjects[labs.arm_var], categories=ctx.arms, ordered=True)}
        )
        _check_arms(ctx, subjects, labs.arm_var)
    adlb = ctx.data[labs.dataset]
    subject = _subject_positions(subjects["USUBJID"], adlb["USUBJID"])
    rows = np.flatnonzero(_analysed(adlb, labs) & (subject >= 0))
    subject = subject[rows]

    def take(var: str) -> np.ndarray:
        return adlb[var].to_numpy()[rows]

    param_code, param_values = pd.factorize(take("PARAMCD"))
    visit_code, visit_values = pd.factorize(take("AVISIT"))
    _check_one_record_per_visit(ctx, adlb, rows, subject, param_code, visit_code)

    def order(var: str):
        return take(var) if var in adlb.columns else None

    params = list(labs.params) or _data_order(param_code, param_values, order("PARAMN"))
    visits = list(labs.visits) or _data_order(visit_code, visit_values, order("AVISITN"))
    param_of = _recode(param_code, param_values, params)
    visit_of = _recode(visit_code, visit_values, visits)
    aval = take("AVAL").astype(float)
    labels = _first_labels(param_of, take("PARAM"), params)
    labels = {p: labs.labels.get(p) or labels.get(p) or p for p in params}
    decimals = {
        p: labs.decimals[p] if p in labs.decimals else data_decimals(aval[param_of == i])
        for i, p in enumerate(params)
    }
    numbers: dict[str, float] = {}
    if "AVISITN" in adlb.columns:
        seen = visit_of >= 0
        least = pd.Series(take("AVISITN")[seen]).groupby(visit_of[seen]).min()
        numbers = {visits[i]: float(x) for i, x in least.items()}
    records = pd.DataFrame(
        {
            "USUBJID": take("USUBJID"),
            "PARAMCD": pd.Categorical.from_codes(param_of, categories=params),
            "AVISIT": pd.Categorical.from_codes(visit_of, categories=visits),
            "AVAL": aval,
            "BASE": take("BASE"),
            "CHG": take("CHG"),
            ARM: subjects[ARM].array.take(subject),
        }
    )
    return LabData(
        subjects=subjects,
        records=records,
        params=params,
        visits=visits,
        post_visits=[v for v in visits if v != labs.baseline_visit],
        group_var=group_var,
        labels=labels,
        decimals=decimals,
        visit_numbers={v: numbers[v] for v in visits if v in numbers},
    )


def _analysed(adlb: pd.DataFrame, labs: LabSettings) -> np.ndarray:
    """Which ADLB records the lab outputs analyse (parameters, record flag, visits)."""
    keep = np.ones(len(adlb), dtype=bool)
    if labs.exclude_prefixes:
        prefixes = tuple(labs.exclude_prefixes)
        keep &= ~_per_value(adlb["PARAMCD"], lambda p: str(p).startswith(prefixes))
    if labs.params:
        keep &= adlb["PARAMCD"].isin(labs.params).to_numpy()
    if labs.record_flag:
        keep &= (adlb[labs.record_flag] == "Y").to_numpy()
    if labs.visits:
        keep &= adlb["AVISIT"].isin(labs.visits).to_numpy()
    else:
        keep &= (adlb["AVISITN"].notna() & (adlb["AVISIT"] != "")).to_numpy()
    return keep


def _per_value(values: pd.Series, test) -> np.ndarray:
    """``test`` of each record's value, evaluated once per distinct value (False if missing)."""
    codes, distinct = pd.factorize(values)
    return np.array([bool(test(v)) for v in distinct] + [False], dtype=bool)[codes]


def _subject_positions(population: pd.Series, usubjid: pd.Series) -> np.ndarray:
    """Row of each record's subject in the population, -1 when not in it (ADSL has one row
    per subject: dataset validation checks it)."""
    return pd.Index(population).get_indexer(usubjid)


def _data_order(codes: np.ndarray, values: np.ndarray, order) -> list[str]:
    """The distinct ``values`` ordered by their smallest ``order`` value (then by name)."""
    if not len(values):
        return []
    if order is None:
        return sorted(values)
    seen = codes >= 0
    least = pd.Series(np.asarray(order, dtype=float)[seen]).groupby(codes[seen]).min()
    first = pd.DataFrame({"value": values[least.index], "order": least.to_numpy()})
    return list(first.sort_values(["order", "value"], na_position="last")["value"])


def _recode(codes: np.ndarray, values: np.ndarray, levels: list[str]) -> np.ndarray:
    """``pd.factorize`` codes -> positions in ``levels`` (-1: not among them, or missing)."""
    position = pd.Index(levels).get_indexer(values) if len(values) else np.empty(0, np.intp)
    return np.append(position, -1)[codes].astype(np.int64)


def _first_labels(param_of: np.ndarray, label, params: list[str]) -> dict[str, str]:
    """Each parameter's first non-missing label (PARAM) in record order."""
    label = pd.Series(label)
    valid = label.notna().to_numpy() & (param_of >= 0)
    first = pd.Series(param_of[valid], index=np.flatnonzero(valid)).drop_duplicates()
    return {params[code]: label.iloc[row] for row, code in first.items()}


def _check_arms(ctx: OutputContext, subjects: pd.DataFrame, var: str) -> None:
    bad = subjects[ARM].isna()
    if bad.any():
        raise DataValidationError(
            [
                Problem(
                    ctx.data.file_name("adsl"),
                    var,
                    "arm",
                    f"values {sorted(set(subjects.loc[bad, var].astype(str)))} (labs.arm_var) "
                    f"are not arms of the study file (arms.levels = {ctx.arms})",
                    int(bad.sum()),
                    tuple(
                        f"USUBJID={u}: {var}={v!r}"
                        for u, v in subjects.loc[bad, ["USUBJID", var]].head(MAX_EXAMPLES).values
                    ),
                )
            ]
        )


def _check_one_record_per_visit(
    ctx: OutputContext,
    adlb: pd.DataFrame,
    rows: np.ndarray,
    subject: np.ndarray,
    param_code: np.ndarray,
    visit_code: np.ndarray,
) -> None:
    """A subject counted twice at a visit would bias every statistic: refuse, naming the rows.

    ``rows`` are the analysed ADLB rows, identified by integer codes (subject's row in the
    population, parameter, visit; -1 for missing), so the check hashes one integer a record."""
    n_params = int(param_code.max(initial=-1)) + 2
    n_visits = int(visit_code.max(initial=-1)) + 2
    key = (subject.astype(np.int64) * n_params + param_code + 1) * n_visits + visit_code + 1
    size = int(key.max(initial=-1)) + 1
    if size <= 4 * len(key):  # a count per possible key: linear, no hashing
        dup = np.bincount(key, minlength=size)[key] > 1
    else:
        dup = pd.Series(key).duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    labs = lab_settings(ctx.config)
    shown = adlb[["USUBJID", "PARAMCD", "AVISIT"]].take(rows[dup])
    shown = shown.drop_duplicates().head(MAX_EXAMPLES)
    raise DataValidationError(
        [
            Problem(
                ctx.data.file_name(labs.dataset),
                "AVISIT",
                "one-per-visit",
                "more than one record per subject, parameter and visit among the records "
                "analysed; choose one with labs.record_flag (e.g. ANL01FL) or labs.visits",
                int(dup.sum()),
                tuple(
                    f"USUBJID={u}, PARAMCD={p}, AVISIT={v!r}" for u, p, v in shown.itertuples(False)
                ),
            )
        ]
    )


def block_number(number: str, k: int) -> str:
    return f"{number}.{k}"


def block_title(title: str, label: str) -> str:
    return f"{title}: {label}"


def null_block(ctx: OutputContext, param: str, k: int, label: str, population: str):
    """The standard null report for one parameter's block (a parameter without data)."""
    return null_table(
        block_id(ctx.spec.id, param),
        block_number(ctx.spec.number, k),
        block_title(ctx.spec.title, label),
        population,
    )


NE_NOTE = (
    "NE = not estimable: the SD of fewer than two values, any statistic of an arm without "
    "values at the visit, a comparison without subjects in both arms."
)


def any_ne(rows: list[Row]) -> bool:
    return any(fmt.NE in cell.text.replace(",", " ").split() for row in rows for cell in row.cells)


def records_note(labs: LabSettings) -> str:
    """Which records were analysed, as a footnote."""
    if labs.visits:
        text = "Visits shown: " + ", ".join(labs.visits) + "."
    else:
        text = (
            "Visits as in the analysis dataset (AVISIT, ordered by AVISITN); unscheduled "
            "records without an analysis visit are not summarised."
        )
    if labs.record_flag:
        text += f" Records with {labs.record_flag} = 'Y'."
    return text


def visit_rows(visit: str, labels: Sequence[str], columns: list[list[str]]) -> list[Row]:
    """A visit's heading row, then one row per statistic (``labels`` in the stub, one list of
    texts per column): each value sits on the row of its own label, whatever wraps. A heading
    row stays with the rows after it, so no statistic prints on a page without its visit."""
    heading = Row((Cell(visit, bold=True),) + (Cell(""),) * len(columns), kind="group")
    body = [
        Row((Cell(label, indent=1),) + tuple(Cell(c[i]) for c in columns))
        for i, label in enumerate(labels)
    ]
    return [heading, *body]
