"""Assemble the CSR: outputs and narrative into sections in ICH E3 order.

Output numbers, titles and order come from the study file; an output sits in the section its
number names (Table 14.2.1 in 14.2, Listing 16.2.7 in 16.2). The narrative (synopsis, contents,
abbreviations, sections 5-13) comes from the templates the study file lists
(``document.narrative``), rendered with the run's ARD; unnumbered parts stay in template order
at the front, numbered sections follow in numeric order, and a narrative section with the number
of an output section (say an introduction to 14) is merged into it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from csrgen import __version__
from csrgen.config import StudyConfig
from csrgen.document.context import narrative_environment, render_narrative, template_context
from csrgen.document.links import settle_links
from csrgen.document.model import Attachment, Block, Contents, Document, Section
from csrgen.document.narrative import NarrativeError, parse_narrative
from csrgen.errors import ConfigError
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
        # An output that is a section of its own (the narratives, 14.3.3) follows the section's
        # tables and figures: under its heading a reader finds only it (as in merge_sections).
        blocks = groups[number]
        ordered = [b for b in blocks if not isinstance(b, Section)]
        ordered += [b for b in blocks if isinstance(b, Section)]
        tops.setdefault(top, []).append(
            Section(number, ICH_E3_TITLES.get(number, ""), anchor(number), tuple(ordered))
        )
    return tuple(
        Section(top, ICH_E3_TITLES.get(top, ""), anchor(top), tuple(subs))
        for top, subs in tops.items()
    )


def narrative_sections(
    config: StudyConfig,
    lock: LockInfo,
    ard: pd.DataFrame | None,
    template_dirs: list[Path],
    output_blocks: Mapping[str, Sequence[Block]] | None = None,
    bytecode=None,
) -> tuple[Section, ...]:
    """Render and parse every narrative template of the study, in the study file's order
    (``bytecode``: see :func:`~csrgen.document.context.narrative_environment`)."""
    env = narrative_environment(template_dirs, bytecode)
    context = template_context(config, lock, ard, output_blocks)
    sections: list[Section] = []
    for name in config.document.narrative:
        text = render_narrative(env, name, context)
        try:
            blocks = parse_narrative(text, source=f"narrative/{name}.md.j2")
        except NarrativeError as exc:
            raise ConfigError(str(exc)) from None
        loose = [b for b in blocks if not isinstance(b, Section)]
        if loose:  # text before the first heading: an untitled part of its own
            sections.append(Section("", "", f"sec-{name}", tuple(loose)))
        sections.extend(b for b in blocks if isinstance(b, Section))
    return tuple(sections)


def _key(number: str) -> list[int]:
    return [int(p) for p in number.split(".")]


def merge_sections(*groups: Sequence[Section]) -> tuple[Section, ...]:
    """Unnumbered sections first (in the order given), then numbered ones in numeric order;
    sections with the same number are merged (blocks of the earlier first, subsections merged)."""
    front: list[Section] = []
    numbered: dict[str, Section] = {}
    for group in groups:
        for sec in group:
            if not sec.number:
                front.append(sec)
            elif sec.number in numbered:
                numbered[sec.number] = _merge(numbered[sec.number], sec)
            else:
                numbered[sec.number] = sec
    return tuple(front) + tuple(numbered[n] for n in sorted(numbered, key=_key))


def _merge(a: Section, b: Section) -> Section:
    plain = [x for x in a.blocks + b.blocks if not (isinstance(x, Section) and x.number)]
    subs = [x for x in a.blocks + b.blocks if isinstance(x, Section) and x.number]
    return Section(a.number, a.title or b.title, a.anchor, tuple(plain) + merge_sections(subs))


def build_document(
    config: StudyConfig,
    lock: LockInfo,
    blocks_by_output: Sequence[tuple[str, Sequence[Block]]],
    ard: pd.DataFrame | None = None,
    template_dirs: list[Path] | None = None,
    output_blocks: Mapping[str, Sequence[Block]] | None = None,
    bytecode=None,
) -> Document:
    """The whole CSR. ``ard`` is the run's concatenated ARD (the narrative's numbers);
    ``template_dirs`` default to the study's own folder, then the project's templates;
    ``output_blocks`` (output id -> blocks) let the narrative's links land on the blocks;
    ``bytecode`` keeps the compiled templates (:func:`csrgen.cache.template_bytecode`)."""
    if template_dirs is None:
        from csrgen.resources import template_dirs as default_dirs

        template_dirs = default_dirs(config)
    s = config.study
    lock_text = f"data lock {lock.lock_id} ({lock.lock_date})" if lock.locked else UNLOCKED_BANNER
    attachments = [b for _, blocks in blocks_by_output for b in blocks if isinstance(b, Attachment)]
    blocks_by_output = [
        (number, tuple(b for b in blocks if not isinstance(b, Attachment)))
        for number, blocks in blocks_by_output
    ]
    sections = merge_sections(
        narrative_sections(config, lock, ard, template_dirs, output_blocks, bytecode),
        output_sections(settle_links(blocks_by_output)),
    )
    doc = Document(
        study_id=s.id,
        title=s.title,
        header=(s.id, f"Protocol {s.protocol}", "CONFIDENTIAL", config.document.status),
        footer=f"{s.id} Clinical Study Report | {lock_text} | csrgen {__version__}",
        banners=banners(config, lock),
        title_page=title_page(config, lock),
        sections=sections,
        paper=config.document.paper,
        meta={"sponsor": s.sponsor, "lock_date": lock.lock_date if lock.locked else ""},
    )
    return replace(doc, attachments=tuple((a.name, attached(doc, a)) for a in attachments))


def attached(doc: Document, attachment: Attachment) -> Document:
    """The document of an :class:`Attachment`: the CSR's header, footer, banners and title
    page under the attachment's title, a table of contents and its sections."""
    return replace(
        doc,
        title=f"{doc.title}: {attachment.title}",
        title_page=(("Document", attachment.title), *doc.title_page),
        sections=(
            Section("", "Table of Contents", "sec-contents", (Contents(depth=2),)),
            *attachment.sections,
        ),
        attachments=(),
    )
