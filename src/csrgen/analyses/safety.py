"""Adverse-event incidence: subjects and events by arm, by category, SOC, PT and severity.

Every function takes the subjects of the analysis population (one row each, arm in ``arm``) and
the adverse-event records already selected for the table (treatment-emergent, of those subjects,
the arm attached), and returns ARD rows. Counting is vectorised (``groupby``); the only loop is
over the Fisher tests, whose results are cached by their 2x2 table.

Conventions (ICH E3 12.2; FDA Standard Safety Tables and Figures Integrated Guide, 2022):

* ``n`` counts subjects: a subject with several events in a row is counted once;
* ``n_records`` counts events (records): every record is counted;
* ``pct`` = 100 n / N, N the arm's population size (subjects without events included);
* an arm with no subject in a row gets ``n = 0`` rows, never a missing row;
* Fisher's exact test (two-sided) compares the proportion of subjects with the event in each
  compared arm with the reference arm; its p-value sits on the compared arm's row.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from csrgen.ard import normalise

SUBJECT = "USUBJID"
#: Internal key column holding the single level of an "any event" row.
_ANY = "_ANY"


def _population_n(
    subjects: pd.DataFrame, arm: str, arms: Sequence[str], total_label: str, total: bool
) -> pd.Series:
    """N per arm (and Total), in display order; an arm without subjects has N = 0."""
    counts = subjects[arm].astype(object).value_counts()
    n = pd.Series({a: float(counts.get(a, 0)) for a in arms})
    if total:
        n[total_label] = float(n.sum())
    return n


def _incidence(
    events: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    keys: list[str],
    total_label: str,
    total: bool,
    rows: pd.Index | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Distinct subjects and records per key row (index) and arm (columns); absent = 0.

    ``rows`` fixes the row index (rows without records get zeros); default: the rows present.
    """
    levels = list(arms) + ([total_label] if total else [])
    ev = events.assign(_LEVEL=events[arm].astype(object))
    grouped = ev.groupby(keys + ["_LEVEL"], sort=False, observed=True)
    n = grouped[SUBJECT].nunique().unstack("_LEVEL")
    rec = grouped.size().unstack("_LEVEL")
    if total:
        overall = ev.groupby(keys, sort=False, observed=True)
        n[total_label] = overall[SUBJECT].nunique()
        rec[total_label] = overall.size()
    n = n.reindex(columns=levels)
    rec = rec.reindex(columns=levels)
    if rows is not None:
        n, rec = n.reindex(rows), rec.reindex(rows)
    return n.fillna(0).astype(float), rec.fillna(0).astype(float)


def _long(wide: pd.DataFrame, stat_name: str, labels: pd.DataFrame) -> pd.DataFrame:
    """A rows x arms table of one statistic as ARD rows (arm in ``group_level``)."""
    frame = wide.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    frame = pd.concat([labels.reset_index(drop=True), frame], axis=1)
    out = frame.melt(id_vars=list(labels.columns), var_name="group_level", value_name="stat")
    out["stat_name"] = stat_name
    return out


@lru_cache(maxsize=8192)
def _fisher(a: int, b: int, c: int, d: int) -> float:
    from scipy.stats import fisher_exact  # analyses/ is the only layer importing scipy

    return float(fisher_exact([[a, b], [c, d]], alternative="two-sided").pvalue)


def _fisher_rows(
    n: pd.DataFrame, big_n: pd.Series, arms: Sequence[str], reference: str, labels: pd.DataFrame
) -> list[pd.DataFrame]:
    """Fisher p of each compared arm vs ``reference`` per row; NaN when either arm is empty."""
    frames = []
    n_ref, big_ref = n[reference].to_numpy(), int(big_n[reference])
    for compared in arms:
        if compared == reference:
            continue
        n_arm, big_arm = n[compared].to_numpy(), int(big_n[compared])
        if big_arm == 0 or big_ref == 0:
            p = np.full(len(n), np.nan)
        else:
            p = np.array(
                [
                    _fisher(int(x), big_arm - int(x), int(y), big_ref - int(y))
                    for x, y in zip(n_arm, n_ref, strict=True)
                ],
                dtype=float,
            )
        frame = labels.reset_index(drop=True).assign(
            group_level=compared, stat_name="p_value", stat=p, method="fisher"
        )
        frames.append(frame)
    return frames


#: Joins the parent levels of a nested row in its ARD ``param`` (``MAJOR | VISIT SCHEDULE``).
PATH_SEP = " | "


def _labels(
    index: pd.Index, variable: str, level: str | None, parents: Sequence[str] = ()
) -> pd.DataFrame:
    """ARD ``variable``/``variable_level``/``param`` of each row of a keys-indexed table;
    ``param`` holds the row's ``parents`` levels joined by :data:`PATH_SEP` (else "")."""
    keys = index.to_frame(index=False)
    param: object = ""
    for i, parent in enumerate(parents):
        text = keys[parent].astype(str).to_numpy(dtype=object)
        param = text if i == 0 else param + PATH_SEP + text
    return pd.DataFrame(
        {
            "variable": variable,
            "variable_level": keys[level].astype(str) if level else "",
            "param": param,
        },
        index=range(len(keys)),
    )


def _count_rows(
    events: pd.DataFrame,
    keys: list[str],
    variable: str,
    level: str | None,
    big_n: pd.Series,
    arm: str,
    arms: Sequence[str],
    total_label: str,
    total: bool,
    reference: str | None,
    rows: pd.Index | None = None,
    parents: Sequence[str] = (),
) -> list[pd.DataFrame]:
    """``n``, ``pct``, ``n_records`` (and Fisher p) of one level of rows."""
    n, rec = _incidence(events, arm, arms, keys, total_label, total, rows)
    labels = _labels(n.index, variable, level, parents)
    pct = n.div(big_n.replace(0, np.nan), axis=1) * 100.0
    frames = [_long(n, "n", labels), _long(pct, "pct", labels), _long(rec, "n_records", labels)]
    if reference is not None:
        frames += _fisher_rows(n, big_n, arms, reference, labels)
    return frames


def _finish(frames: list[pd.DataFrame], big_n: pd.Series | None, group_var: str) -> pd.DataFrame:
    parts = [f for f in frames if len(f)]
    if big_n is not None:
        header = pd.DataFrame(
            {"group_level": big_n.index, "variable": "", "stat_name": "N", "stat": big_n.values}
        )
        parts.insert(0, header)
    out = pd.concat(parts, ignore_index=True)
    out["group_var"] = group_var
    return normalise(out)


#: The single row of an "any event" count.
_ANY_ROW = pd.Index([""], name=_ANY)


def ard_ae_overview(
    subjects: pd.DataFrame,
    events: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    categories: Sequence[tuple[str, str]],
    group_var: str,
    total_label: str = "Total",
    total: bool = True,
    reference: str | None = None,
) -> pd.DataFrame:
    """Subjects and events per adverse-event category (the AE overview table).

    Parameters
    ----------
    subjects : one row per subject of the analysis population (the safety population).
    events : the treatment-emergent AE records of those subjects: ``USUBJID``, ``arm`` and one
        boolean column per category.
    arm : column holding the arm in both frames; values in ``arms``.
    arms : arm levels in display order.
    categories : ``(variable, column)`` pairs: the ARD ``variable`` (``TEAE``,
        ``TEAE_SERIOUS``, ...) and the boolean column of ``events`` selecting its records
        (``""``: every record).
    group_var : the ADaM arm variable written to ``group_var`` (e.g. TRT01A).
    reference : the reference arm of Fisher's exact tests; ``None`` for no tests.

    Returns
    -------
    ARD rows. Population: ``subjects``; denominator ``N`` per arm (and Total). Per category and
    arm: ``n`` (subjects with at least one such record, each counted once), ``pct`` =
    100 n / N (NaN when N = 0), ``n_records`` (records); a category without records gets
    zeros. With ``reference``: ``p_value`` of Fisher's exact test (two-sided; subjects with /
    without) of each other arm vs the reference, on that arm's row, method ``fisher``; NaN when
    either arm has no subject. Missing data: a record counts in a category only when its
    column is true (the caller's rules decide blanks).

    References
    ----------
    ICH E3 (1995) section 12.2.2; Fisher RA, Statistical Methods for Research Workers (1925);
    ``scipy.stats.fisher_exact``.
    """
    big_n = _population_n(subjects, arm, arms, total_label, total)
    ev = events.assign(**{_ANY: ""})
    frames: list[pd.DataFrame] = []
    for variable, column in categories:
        chosen = ev if not column else ev.loc[ev[column].astype(bool)]
        frames += _count_rows(
            chosen,
            [_ANY],
            variable,
            None,
            big_n,
            arm,
            arms,
            total_label,
            total,
            reference,
            rows=_ANY_ROW,
        )
    return _finish(frames, big_n, group_var)


def ard_ae_hierarchy(
    subjects: pd.DataFrame,
    events: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    any_variable: str,
    soc: str,
    pt: str,
    group_var: str,
    total_label: str = "Total",
    total: bool = True,
    reference: str | None = None,
) -> pd.DataFrame:
    """Subjects and events by system organ class and preferred term, and with any event.

    Parameters
    ----------
    subjects : one row per subject of the analysis population (the safety population).
    events : the AE records to count (already treatment-emergent and subset, e.g. serious):
        ``USUBJID``, ``arm``, ``soc``, ``pt``; each PT belongs to one SOC.
    any_variable : the ARD ``variable`` of the any-event row (``TEAE``, ``TEAE_SERIOUS``).
    soc, pt : the SOC and PT variables (AEBODSYS, AEDECOD).
    reference : the reference arm of Fisher's exact tests; ``None`` for no tests.

    Returns
    -------
    ARD rows. Population: ``subjects``; denominator ``N`` per arm. Rows: the any-event row
    (``variable = any_variable``; always present, zeros when there is no record), one per SOC
    (``variable = soc``, ``variable_level`` = the SOC) and one per PT (``variable = pt``,
    ``variable_level`` = the PT). Per row and arm: ``n`` (subjects with at least one record in
    the row, counted once however many records they have), ``pct`` = 100 n / N,
    ``n_records``; an arm without records in a row gets 0. With ``reference``: Fisher's exact
    p (two-sided) of each other arm vs the reference, method ``fisher``. Missing data: blank
    SOC/PT values count under their blank value (the caller labels them).

    References
    ----------
    ICH E3 (1995) 12.2.2; MedDRA Data Retrieval and Presentation: Points to Consider (ICH),
    section 3; ``scipy.stats.fisher_exact``.
    """
    return ard_hierarchy(
        subjects,
        events,
        arm,
        arms,
        any_variable,
        [soc, pt],
        group_var,
        total_label=total_label,
        total=total,
        reference=reference,
    )


def ard_hierarchy(
    subjects: pd.DataFrame,
    events: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    any_variable: str,
    levels: Sequence[str],
    group_var: str,
    total_label: str = "Total",
    total: bool = True,
    reference: str | None = None,
    nested_param: bool = False,
    top_levels: Sequence[str] = (),
) -> pd.DataFrame:
    """Subjects and records with any record, and by each level of a hierarchy of terms.

    The counting behind every "subjects with ... by class and term" table: adverse events by
    SOC and PT, medical history by SOC and PT, medications by ATC class and name, protocol
    deviations by importance, category and term.

    Parameters
    ----------
    subjects : one row per subject of the analysis population.
    events : the records to count: ``USUBJID``, ``arm`` and the ``levels`` variables.
    any_variable : the ARD ``variable`` of the any-record row.
    levels : the hierarchy's variables, outermost first (``[AEBODSYS, AEDECOD]``).
    reference : the reference arm of Fisher's exact tests; ``None`` for no tests.
    nested_param : write each row's parent levels into ``param`` (joined by
        :data:`PATH_SEP`), so that a term under two parents (a medication coded to two ATC
        classes) has a row under each; without it ``param`` is "" and each inner term must
        have a single parent (MedDRA's primary SOC), or its ARD keys would repeat.
    top_levels : values of the outermost level that get a row even without records (zeros),
        in front of the others (``["MAJOR", "MINOR"]``).

    Returns
    -------
    ARD rows. Population: ``subjects``; denominator ``N`` per arm. Rows: the any-record row
    (``variable = any_variable``; always present, zeros when there is no record) and one per
    value of each level (``variable`` = the level's variable, ``variable_level`` = the value).
    Per row and arm: ``n`` (subjects with at least one record in the row, counted once however
    many records they have), ``pct`` = 100 n / N (NaN when N = 0), ``n_records``; an arm
    without records in a row gets 0. With ``reference``: Fisher's exact p (two-sided) of each
    other arm vs the reference, method ``fisher``. Missing data: blank values count under
    their blank value (the caller labels them).

    References
    ----------
    ICH E3 (1995) 12.2.2 and 14.1; MedDRA Data Retrieval and Presentation: Points to Consider
    (ICH), section 3; ``scipy.stats.fisher_exact``.
    """
    big_n = _population_n(subjects, arm, arms, total_label, total)
    ev = events.assign(**{_ANY: ""})
    common = dict(
        big_n=big_n,
        arm=arm,
        arms=arms,
        total_label=total_label,
        total=total,
        reference=reference,
    )
    frames = _count_rows(ev, [_ANY], any_variable, None, rows=_ANY_ROW, **common)
    for depth, variable in enumerate(levels):
        if not len(ev) and (depth or not top_levels):
            break  # no records: the any-record row and the listed top levels only
        keys = list(levels[: depth + 1])
        rows = None
        if depth == 0 and top_levels:
            present = [v for v in pd.unique(ev[variable]) if v not in set(top_levels)]
            rows = pd.Index(list(top_levels) + present, name=variable)
        parents = keys[:-1] if nested_param else ()
        frames += _count_rows(ev, keys, variable, variable, rows=rows, parents=parents, **common)
    return _finish(frames, big_n, group_var)


def ard_ae_max_severity(
    subjects: pd.DataFrame,
    events: pd.DataFrame,
    arm: str,
    arms: Sequence[str],
    severity: str,
    levels: Sequence[str],
    any_variable: str,
    soc: str,
    pt: str,
    group_var: str,
    total_label: str = "Total",
    total: bool = True,
) -> pd.DataFrame:
    """Subjects by the maximum severity of their events, by SOC and PT, and with any event.

    Parameters
    ----------
    events : as for :func:`ard_ae_hierarchy`, plus ``severity`` holding one of ``levels`` on
        every record (the caller imputes blanks).
    severity : the severity variable (AESEV).
    levels : severity levels in increasing order (MILD, MODERATE, SEVERE).

    Returns
    -------
    The rows of :func:`ard_ae_hierarchy` (any severity, ``param = ""``, no tests) plus, per
    row, arm and severity level, ``n`` and ``pct`` of the subjects whose most severe record in
    that row has that level (``param`` = the level). A subject is counted once per row, at
    their maximum, so the levels of a row add up to its any-severity ``n``. Population and
    denominator as for :func:`ard_ae_hierarchy`. Raises ``ValueError`` for a severity value
    not in ``levels``.

    References
    ----------
    FDA Standard Safety Tables and Figures Integrated Guide (2022), adverse events by maximum
    severity; MedDRA Data Retrieval and Presentation: Points to Consider, section 3.
    """
    base = ard_ae_hierarchy(
        subjects, events, arm, arms, any_variable, soc, pt, group_var, total_label, total
    )
    big_n = _population_n(subjects, arm, arms, total_label, total)
    rank = events[severity].map({lv: i for i, lv in enumerate(levels)})
    if rank.isna().any():
        bad = sorted(set(events.loc[rank.isna(), severity].astype(str)))
        raise ValueError(f"{severity} values {bad} are not among the severity levels {levels}")
    ev = events.assign(**{_ANY: "", "_RANK": rank.astype(int)})
    frames: list[pd.DataFrame] = []
    rows_of = [([_ANY], any_variable, None), ([soc], soc, soc), ([soc, pt], pt, pt)]
    for keys, variable, level in rows_of if len(ev) else rows_of[:1]:
        # Each subject's most severe record within the row; then subjects per row and level.
        worst = ev.groupby(keys + [SUBJECT], sort=False, observed=True).agg(
            _RANK=("_RANK", "max"), **{arm: (arm, "first")}
        )
        worst = worst.reset_index()
        rows = (
            _ANY_ROW if keys == [_ANY] else ev.groupby(keys, sort=False, observed=True).size().index
        )
        for i, sev in enumerate(levels):
            n, _ = _incidence(
                worst.loc[worst["_RANK"] == i], arm, arms, keys, total_label, total, rows
            )
            labels = _labels(n.index, variable, level).assign(param=sev)
            pct = n.div(big_n.replace(0, np.nan), axis=1) * 100.0
            frames += [_long(n, "n", labels), _long(pct, "pct", labels)]
    return normalise(pd.concat([base, _finish(frames, None, group_var)], ignore_index=True))
