"""Assemble the CSR: outputs and narrative into sections in ICH E3 order.

Output numbers, titles and order come from the study file; an output sits in the section its
number names (Table 14.2.1 in 14.2, Listing 16.2.7 in 16.2).
"""

from __future__ import annotations

from collections.abc import Sequence

from csrgen import __version__
from csrgen.config import StudyConfig
from csrgen.document.model import Block, Document, Section
from csrgen.lock import LockInfo

#: ICH E3 headings of the sections that hold outputs (generic; not study-specific).
ICH_E3_TITLES: dict[str, str] = {
    "14": "Tables, Figures and Graphs Referred to but not Included in the Text",
    "14.1": "Demographic Data",
    "14.2": "Efficacy Data",
    "14.3": "Safety Data",
    "16": "Appendices",
    "16.1": "Study Information",
    "16.2": "Patient Data Listings",
}

SYNTHETIC_BANNER = "SYNTHETIC DATA"
UNLOCKED_BANNER = "DRAFT - DATA NOT LOCKED"


def anchor(number: str) -> str:
    return "sec-" + number.replace(".", "-") if number else "sec"


def banners(config: StudyConfig, lock: LockInfo) -> tuple[str, ...]:
    out = []
    if config.study.synthetic:
        out.append(SYNTHETIC_BANNER)
    if not lock.locked:
        out.append(UNLOCKED_BANNER)
    return tuple(out)


def title_page(config: StudyConfig, lock: LockInfo) -> tuple[tuple[str, str], ...]:
    s = config.study
    pairs = [
        ("Study identifier", s.id),
        ("Protocol", s.protocol),
        ("Registry", s.registry),
        ("Phase", s.phase),
        ("Indication", s.indication),
        ("Treatments", s.treatments),
        ("Design", s.design),
        ("Sponsor", s.sponsor),
        ("Data lock", f"{lock.lock_id} ({lock.lock_date})" if lock.locked else UNLOCKED_BANNER),
        ("Document status", config.document.status),
    ]
    if s.synthetic:
        pairs.append(
            (
                "Data",
                "Synthetic data generated to mimic the published design and results; "
                "not real patient data. Numbers not published by the trial are assumptions.",
            )
        )
    return tuple((k, v) for k, v in pairs if v)


def output_sections(blocks_by_output: Sequence[tuple[str, Sequence[Block]]]) -> tuple[Section, ...]:
    """Group output blocks under their ICH E3 section (14.1, 14.2, ..., 16.2), in study order."""
    groups: dict[str, list[Block]] = {}
    for section_number, blocks in blocks_by_output:
        groups.setdefault(section_number, []).extend(blocks)
    tops: dict[str, list[Section]] = {}
    for number in sorted(groups, key=lambda n: [int(p) for p in n.split(".")]):
        top = number.split(".")[0]
        tops.setdefault(top, []).append(
            Section(number, ICH_E3_TITLES.get(number, ""), anchor(number), tuple(groups[number]))
        )
    return tuple(
        Section(top, ICH_E3_TITLES.get(top, ""), anchor(top), tuple(subs))
        for top, subs in tops.items()
    )


def build_document(
    config: StudyConfig,
    lock: LockInfo,
    blocks_by_output: Sequence[tuple[str, Sequence[Block]]],
) -> Document:
    s = config.study
    lock_text = f"data lock {lock.lock_id} ({lock.lock_date})" if lock.locked else UNLOCKED_BANNER
    return Document(
        study_id=s.id,
        title=s.title,
        header=(s.id, f"Protocol {s.protocol}", "CONFIDENTIAL", config.document.status),
        footer=f"{s.id} Clinical Study Report | {lock_text} | csrgen {__version__}",
        banners=banners(config, lock),
        title_page=title_page(config, lock),
        sections=output_sections(blocks_by_output),
        meta={"sponsor": s.sponsor, "lock_date": lock.lock_date if lock.locked else ""},
    )
