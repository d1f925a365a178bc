"""The patient narratives of the three shipped studies against an independent pandas reading of
the raw files: who gets a narrative (the study file's rules, computed here by hand), and for
five subjects of each study every fact the narrative states (age, sex, arm, treatment dates,
each event's term, onset day, severity, seriousness and outcome, death date and cause, lab
values outside the reference range near each onset), and the timeline figure."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from csrgen.document.model import Figure, Paragraph, Section
from tests.shipped import shipped
from tests.studies import PHARMAVERSE_DATA, PILOT_DATA, SEED_DATA


@dataclass(frozen=True)
class Rules:
    """What the study file says, restated for the independent reading."""

    files: dict[str, Path]
    #: ("flag", TRTEMFL) or ("window", first day, last day) for treatment-emergence.
    te: tuple
    #: Extra ADSL flag of a criterion (DSRAEFL = Y), or "".
    adsl_flag: str
    #: Death date and cause: from ADSL (DTHDT, DTHCAUS) or from the fatal event.
    death_from_ae: bool
    low: str
    high: str
    params: tuple[str, ...] = ()
    exclude_prefix: str = ""
    keep_dtypes: tuple[str, ...] = ()
    window: int = 7


RULES = {
    "seed": Rules(
        files={r: SEED_DATA / f"{r}.csv" for r in ("adsl", "adae", "adlb")},
        te=("window", 1, 336),
        adsl_flag="",
        death_from_ae=False,
        low="A1LO",
        high="A1HI",
        params=("ALB", "PTA", "CHE", "TBIL", "ALT", "AST"),
    ),
    "pilot": Rules(
        files={
            "adsl": PILOT_DATA / "adsl.xpt",
            "adae": PILOT_DATA / "adae.xpt",
            "adlb": PILOT_DATA / "adlbc.zip",
        },
        te=("flag", "TRTEMFL"),
        adsl_flag="DSRAEFL",
        death_from_ae=True,
        low="A1LO",
        high="A1HI",
        exclude_prefix="_",
    ),
    "admiral": Rules(
        files={r: PHARMAVERSE_DATA / f"{r}.parquet" for r in ("adsl", "adae", "adlb")},
        te=("flag", "TRTEMFL"),
        adsl_flag="",
        death_from_ae=False,
        low="ANRLO",
        high="ANRHI",
        keep_dtypes=("CALCULATION",),
    ),
}

DATES = {"TRTSDT", "TRTEDT", "DTHDT", "ASTDT", "AENDT", "ADT"}


@cache
def raw(study: str, role: str) -> pd.DataFrame:
    """The file as pandas reads it, text stripped, dates as timestamps."""
    path = RULES[study].files[role]
    if path.suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    elif path.suffix == ".parquet":
        frame = pd.read_parquet(path)
    else:
        data = path.read_bytes()
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as z:
                data = z.read(z.namelist()[0])
        frame = pd.read_sas(io.BytesIO(data), format="xport", encoding="utf-8")
    for col in frame.columns:
        if col in DATES:
            values = frame[col]
            if pd.api.types.is_numeric_dtype(values):  # SAS dates: days since 1960-01-01
                frame[col] = pd.Timestamp("1960-01-01") + pd.to_timedelta(values, unit="D")
            else:
                frame[col] = pd.to_datetime(values.replace("", None))
        elif frame[col].dtype == object:
            frame[col] = frame[col].fillna("").astype(str).str.strip()
    return frame


def study_day(date, start) -> float | None:
    if pd.isna(date) or pd.isna(start):
        return None
    d = (date - start).days
    return d + 1 if d >= 0 else d


def expected_subjects(study: str) -> set[str]:
    r = RULES[study]
    adsl = raw(study, "adsl")
    adsl = adsl.loc[adsl["SAFFL"] == "Y"]
    adae = raw(study, "adae")
    adae = adae.loc[adae["USUBJID"].isin(adsl["USUBJID"])]
    if r.te[0] == "flag":
        te = adae[r.te[1]] == "Y"
    else:
        start = adae["USUBJID"].map(adsl.set_index("USUBJID")["TRTSDT"])
        days = pd.Series(
            [study_day(a, s) for a, s in zip(adae["ASTDT"], start, strict=True)], adae.index
        )
        te = days.isna() | days.between(r.te[1], r.te[2])
    teae = adae.loc[te]
    ids = set(adsl.loc[adsl["DTHFL"] == "Y", "USUBJID"])
    ids |= set(teae.loc[teae["AESER"] == "Y", "USUBJID"])
    if "AEACN" in teae.columns:
        ids |= set(teae.loc[teae["AEACN"] == "DRUG WITHDRAWN", "USUBJID"])
    if r.adsl_flag:
        ids |= set(adsl.loc[adsl[r.adsl_flag] == "Y", "USUBJID"])
    return ids


# -- the narratives as the document holds them --------------------------------------------------
def subject_sections(study: str) -> dict[str, Section]:
    doc = shipped(study).doc
    roots = list(doc.sections) + [s for _, d in doc.attachments for s in d.sections]
    out = {}

    def walk(blocks):
        for b in blocks:
            if isinstance(b, Section):
                if b.anchor.startswith("narratives-") and b.title.startswith("Subject "):
                    out[b.title.removeprefix("Subject ")] = b
                walk(b.blocks)

    walk(roots)
    return out


def paragraphs(section: Section) -> list[Paragraph]:
    return [b for b in section.blocks if isinstance(b, Paragraph)]


def events_and_labs(section: Section) -> list[tuple[str, list[str]]]:
    """(event bullet text, [lab bullet texts beneath it]) in order."""
    out: list[tuple[str, list[str]]] = []
    inside = False
    for p in paragraphs(section):
        if p.text.startswith("Adverse events in order of onset"):
            inside = True
            continue
        if not inside:
            continue
        if p.style != "bullet":
            break
        if p.level == 0:
            out.append((p.text, []))
        else:
            out[-1][1].append(p.text)
    return out


def chosen(study: str) -> list[str]:
    """Five subjects with a narrative: the first who died and four spread over the rest."""
    ids = sorted(expected_subjects(study))
    adsl = raw(study, "adsl").set_index("USUBJID")
    dead = [u for u in ids if adsl.loc[u, "DTHFL"] == "Y"]
    rest = [u for u in ids if u not in dead[:1]]
    picks = dead[:1] + [rest[i * (len(rest) - 1) // 3] for i in range(4)] if len(rest) > 4 else ids
    return list(dict.fromkeys(picks))[:5]


def text(x) -> str:
    """A value as the narrative prints it (numbers as recorded, dates ISO 8601)."""
    if isinstance(x, pd.Timestamp):
        return x.date().isoformat()
    if isinstance(x, float | int) and not isinstance(x, bool):
        return str(int(x)) if float(x).is_integer() else repr(float(x))
    return str(x) if str(x) else "not recorded"


STUDY_NAMES = ["seed", "pilot", "admiral"]


@pytest.mark.parametrize("study", STUDY_NAMES)
def test_subjects_with_a_narrative_follow_the_rules(study):
    expected = expected_subjects(study)
    assert expected  # each shipped study has some
    assert set(subject_sections(study)) == expected


@pytest.mark.parametrize("study", STUDY_NAMES)
def test_narrative_facts_equal_the_raw_data(study):
    r = RULES[study]
    sections = subject_sections(study)
    adsl = raw(study, "adsl").set_index("USUBJID")
    adae = raw(study, "adae")
    adlb = raw(study, "adlb")
    picks = chosen(study)
    assert len(picks) == min(5, len(sections))
    for u in picks:
        sec = sections[u]
        body = "\n".join(p.text for p in paragraphs(sec))
        s = adsl.loc[u]
        assert f"Age: {text(s['AGE'])} (ADSL.AGE)" in body, u
        assert f"Sex: {s['SEX']} (ADSL.SEX)" in body, u
        assert f"Treatment: {s['TRT01A']} (ADSL.TRT01A)" in body, u
        assert f"first dose {text(s['TRTSDT'])} (ADSL.TRTSDT)" in body, u
        assert f"last dose {text(s['TRTEDT'])} (ADSL.TRTEDT)" in body, u

        mine = adae.loc[adae["USUBJID"] == u].sort_values(
            ["ASTDT", "AESEQ"], kind="mergesort", na_position="last"
        )
        shown = events_and_labs(sec)
        assert len(shown) == len(mine), u
        for (ev_text, lab_texts), (_, ev) in zip(shown, mine.iterrows(), strict=True):
            day = study_day(ev["ASTDT"], s["TRTSDT"])
            onset = "day not known" if day is None else f"day {day}"
            assert ev_text.startswith(f"{ev['AEDECOD']} (ADAE.AEDECOD): onset {onset} "), (
                u,
                ev_text,
            )
            assert f"severity {text(ev['AESEV'])} (ADAE.AESEV)" in ev_text
            serious = "yes" if ev["AESER"] == "Y" else "no"
            assert f"serious: {serious} (ADAE.AESER)" in ev_text
            assert f"outcome {text(ev['AEOUT'])} (ADAE.AEOUT)" in ev_text
            assert {_lab_key(t) for t in lab_texts} == _expected_labs(r, adlb, u, ev["ASTDT"])

        if s["DTHFL"] == "Y":
            if r.death_from_ae:
                fatal = mine.loc[mine["AESDTH"] == "Y"].sort_values("AENDT", kind="mergesort")
                date, cause = fatal["AENDT"].iloc[0], fatal["AEDECOD"].iloc[0]
                cites = ("ADAE.AENDT", "ADAE.AEDECOD")
            else:
                date, cause = s["DTHDT"], s["DTHCAUS"]
                cites = ("ADSL.DTHDT", "ADSL.DTHCAUS")
            day = study_day(date, s["TRTSDT"])
            assert f"Death: {text(date)} (day {day}) ({cites[0]})" in body, u
            assert f"cause {cause} ({cites[1]})" in body, u
        else:
            assert "Death: none recorded (ADSL.DTHFL)." in body

        figures = [b for b in sec.blocks if isinstance(b, Figure)]
        assert len(figures) == 1
        assert figures[0].png.startswith(b"\x89PNG") and len(figures[0].png) > 1000
        assert figures[0].svg.startswith("<svg")
        assert paragraphs(sec)[-1].style == "placeholder"


def _lab_key(t: str) -> tuple[str, str]:
    m = re.fullmatch(r"(\S+) .* on (\d{4}-\d{2}-\d{2})\.", t)
    assert m, t
    return m.group(1), m.group(2)


def _expected_labs(r: Rules, adlb: pd.DataFrame, u: str, onset) -> set[tuple[str, str]]:
    if pd.isna(onset):
        return set()
    lb = adlb.loc[adlb["USUBJID"] == u]
    if r.params:
        lb = lb.loc[lb["PARAMCD"].isin(r.params)]
    if r.exclude_prefix:
        lb = lb.loc[~lb["PARAMCD"].str.startswith(r.exclude_prefix)]
    if "DTYPE" in lb.columns:
        lb = lb.loc[(lb["DTYPE"] == "") | lb["DTYPE"].isin(r.keep_dtypes)]
    value, lo, hi = (pd.to_numeric(lb[c], errors="coerce") for c in ("AVAL", r.low, r.high))
    lb = lb.loc[(value < lo) | (value > hi)]
    lb = lb.loc[(lb["ADT"] - onset).abs() <= pd.Timedelta(days=r.window)]
    return {(p, d.date().isoformat()) for p, d in zip(lb["PARAMCD"], lb["ADT"], strict=True)}


@pytest.mark.parametrize("study", STUDY_NAMES)
def test_timelines_are_drawn_again_to_the_same_bytes(study):
    """A second drawing of the five subjects' timelines gives the same SVG and PNG bytes."""
    from csrgen.figures import drawn
    from csrgen.outputs import narratives
    from csrgen.outputs.base import OutputContext
    from csrgen.outputs.narrative_data import subject_records
    from csrgen.report import prepare_study
    from tests.shipped import STUDIES

    prep = prepare_study(STUDIES[study])
    spec = prep.config.output("narratives")
    ctx = OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock)
    picks = set(chosen(study))
    sections = subject_sections(study)
    for rec in subject_records(ctx):
        if rec.usubjid not in picks:
            continue
        again = drawn(narratives.subject_section(ctx, rec))
        first = [b for b in sections[rec.usubjid].blocks if isinstance(b, Figure)][0]
        second = [b for b in again.blocks if isinstance(b, Figure)][0]
        assert (first.svg, first.png) == (second.svg, second.png), rec.usubjid
