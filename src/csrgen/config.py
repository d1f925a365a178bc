"""The study file: ``report/<study>.toml`` loaded once into a frozen, validated config.

Everything study-specific lives in the study file (datasets, arms, populations, endpoints, lab
parameters, the outputs with their numbers, titles and footnotes); the code stays generic. The
config is passed explicitly; there are no globals.

Unknown keys, missing keys and values of the wrong type are errors that name the file and the key
(``report/x.toml: outputs[2].population: Field required``).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from csrgen.config_bds import BdsSettings, LabSettings
from csrgen.errors import ConfigError

__all__ = ["BdsSettings", "LabSettings", "StudyConfig", "load_study"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StudyInfo(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    title: str
    protocol: str
    phase: str
    indication: str
    sponsor: str
    registry: str = ""
    design: str = ""
    treatments: str = ""
    #: When true every page and the title page say the data are synthetic.
    synthetic: bool = False
    # Facts for the synopsis and the narrative sections (free text; empty = writer placeholder).
    centres: str = ""
    study_period: str = ""
    publication: str = ""
    #: Diagnosis and main criteria for inclusion, as in the synopsis.
    inclusion: str = ""
    planned_subjects: str = ""
    objectives_primary: list[str] = Field(default_factory=list)
    objectives_secondary: list[str] = Field(default_factory=list)
    endpoints_primary: list[str] = Field(default_factory=list)
    endpoints_secondary: list[str] = Field(default_factory=list)


class Endpoint(_Strict):
    """An endpoint of the protocol (``[[endpoints]]``): what the synopsis and sections 9, 11 and
    12 name, where its results are, or why there are none."""

    label: str = Field(min_length=1)
    role: Literal["primary", "secondary", "exploratory"] = "primary"
    kind: Literal["efficacy", "safety"] = "efficacy"
    #: Dataset roles its analysis needs (e.g. ``adqsadas``); one the study file's
    #: ``data.datasets`` does not name makes the endpoint "not analysed: dataset ... not
    #: supplied" wherever it is mentioned.
    datasets: list[str] = Field(default_factory=list)
    #: Ids of the outputs that report it (linked from the synopsis and section 9.5).
    outputs: list[str] = Field(default_factory=list)


class DataSettings(_Strict):
    #: Folder of the ADaM files, relative to the study file (``--data`` overrides it).
    dir: str
    #: Dataset role (adsl, adtte, adlb, adae, adex) -> file name inside ``dir``.
    datasets: dict[str, str]
    #: The lock file; default ``<dir>/lock.json``. Relative to the study file.
    lock: str = ""
    #: Text encoding of CSV files (XPT files carry their own).
    encoding: str = "utf-8"

    @field_validator("datasets")
    @classmethod
    def _needs_adsl(cls, value: dict[str, str]) -> dict[str, str]:
        if "adsl" not in value:
            raise ValueError("an 'adsl' entry is required")
        return value


class Arms(_Strict):
    #: Arm labels exactly as in the data, in display order.
    levels: list[str] = Field(min_length=1)
    #: The comparator: hazard ratios, differences and pairwise tests are against this arm.
    reference: str
    #: Show a Total column in subject-level tables.
    total: bool = True
    total_label: str = "Total"

    @model_validator(mode="after")
    def _reference_is_a_level(self) -> Arms:
        if self.reference not in self.levels:
            raise ValueError(f"reference {self.reference!r} is not one of levels {self.levels}")
        if len(set(self.levels)) != len(self.levels):
            raise ValueError("levels must be unique")
        return self


class Population(_Strict):
    label: str
    #: ADSL flag variable ('Y' = in the population); empty means every ADSL subject.
    flag: str = ""
    #: ADSL variable holding the arm for analyses of this population (TRT01P, TRT01A, ...).
    arm_var: str


class TteEndpoint(_Strict):
    """One time-to-event parameter (ADTTE PARAMCD) and what to report for it."""

    paramcd: str
    #: Name of the endpoint ("Overall survival").
    label: str
    #: What an event is, for table rows ("death", "HCC", "dermatologic event").
    event_label: str = "event"
    #: y-axis of the KM figure and heading of the KM estimates ("Survival probability").
    curve_label: str = "Event-free probability"
    #: Landmark times for KM estimates, in the unit of AVAL.
    landmarks: list[float] = Field(default_factory=list)
    #: x-axis ticks of the KM figure, where numbers at risk are shown.
    risk_ticks: list[float] = Field(default_factory=list)
    #: Landmark-analysis windows [start, end]; the second and later condition on being
    #: event-free at their start.
    windows: list[tuple[float, float]] = Field(default_factory=list)
    #: Censored records whose ``variable`` equals one of ``values`` are competing events.
    competing_variable: str = ""
    competing_values: list[str] = Field(default_factory=list)
    #: What a competing event is, for table rows ("death without HCC").
    competing_label: str = "competing event"

    @model_validator(mode="after")
    def _consistent(self) -> TteEndpoint:
        if any(t < 0 for t in self.landmarks + self.risk_ticks):
            raise ValueError("landmarks and risk_ticks must not be negative")
        if self.risk_ticks != sorted(set(self.risk_ticks)):
            raise ValueError("risk_ticks must be increasing")
        for start, end in self.windows:
            if not 0 <= start < end:
                raise ValueError(f"window [{start:g}, {end:g}]: need 0 <= start < end")
        if bool(self.competing_variable) != bool(self.competing_values):
            raise ValueError("give both competing_variable and competing_values, or neither")
        return self


class SurvivalSettings(_Strict):
    dataset: str = "adtte"
    #: The population of every time-to-event output (their ``population`` must match).
    population: str
    #: Unit of AVAL, plural ("months", "days").
    time_unit: str
    endpoints: list[TteEndpoint] = Field(min_length=1)
    #: Baseline covariates (ADSL variables) for the adjusted Cox model.
    covariates: list[str] = Field(default_factory=list)
    #: Stratification variables (ADSL) for the stratified log-rank test.
    strata: list[str] = Field(default_factory=list)
    #: Footnote names of covariates and strata ({MELDBL = "MELD score"}); default: the
    #: variable's label in the data, else its name.
    labels: dict[str, str] = Field(default_factory=dict)
    #: Decimals of times (medians, quartiles) in tables.
    time_decimals: int = Field(default=1, ge=0, le=4)
    #: Confidence level of every interval.
    conf_level: float = Field(default=0.95, gt=0.5, lt=1)

    def endpoint(self, paramcd: str) -> TteEndpoint:
        for e in self.endpoints:
            if e.paramcd == paramcd:
                return e
        raise KeyError(paramcd)


class AeRule(_Strict):
    """ADAE records meet the rule when ``var`` holds one of ``values`` (or is blank and
    ``missing`` is true). A category given as a list of rules is met when any rule is met."""

    var: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    values: list[str] = Field(min_length=1)
    #: Count blank values as meeting the rule (conservative: e.g. missing relationship = related).
    missing: bool = False


#: Relationship values that mean "related" in the common controlled terminologies (CDISC
#: SDTM "Y"; sponsor scales RELATED / POSSIBLY / PROBABLY / DEFINITELY RELATED, the CDISC pilot's
#: POSSIBLE / PROBABLE). Study files should name their own scale.
DEFAULT_RELATED = [
    "Y",
    "RELATED",
    "POSSIBLY RELATED",
    "PROBABLY RELATED",
    "DEFINITELY RELATED",
    "POSSIBLE",
    "PROBABLE",
    "DEFINITE",
]


class SafetySettings(_Strict):
    """``[safety]``: which adverse events are treatment-emergent and what the AE categories mean.

    The rules are stated in the footnotes of every AE table, so that a reader sees exactly what
    was counted.
    """

    population: str
    dataset: str = "adae"
    #: How treatment-emergence is decided: a flag variable in ADAE ('Y' = emergent), or a window
    #: of study days (day 1 = TRTSDT, no day 0) in which the onset (ASTDT) must fall.
    te_flag: str = ""
    te_window_days: tuple[int, int] | None = None
    #: Window rule: a record with no onset date (and no ASTDY) counts as treatment-emergent
    #: (the conservative convention of most SAPs).
    te_missing_onset: bool = True
    #: Fisher exact p of each active arm against the reference in AE tables.
    fisher: bool = False
    #: Severity variable and its levels in increasing order; "severe" = the last level. A record
    #: with blank severity counts at the highest level (conservative; stated in the footnotes).
    severity_var: str = "AESEV"
    severity_levels: list[str] = Field(
        default_factory=lambda: ["MILD", "MODERATE", "SEVERE"], min_length=1
    )
    related: list[AeRule] = Field(
        default_factory=lambda: [AeRule(var="AEREL", values=DEFAULT_RELATED, missing=True)]
    )
    serious: list[AeRule] = Field(default_factory=lambda: [AeRule(var="AESER", values=["Y"])])
    #: TEAE leading to discontinuation of study treatment.
    discontinuation: list[AeRule] = Field(
        default_factory=lambda: [AeRule(var="AEACN", values=["DRUG WITHDRAWN"])]
    )
    #: TEAE leading to death.
    death: list[AeRule] = Field(
        default_factory=lambda: [
            AeRule(var="AEOUT", values=["FATAL"]),
            AeRule(var="AESDTH", values=["Y"]),
        ]
    )

    @model_validator(mode="after")
    def _one_te_rule(self) -> SafetySettings:
        if bool(self.te_flag) == (self.te_window_days is not None):
            raise ValueError("give exactly one of te_flag or te_window_days")
        if self.te_window_days is not None and self.te_window_days[0] > self.te_window_days[1]:
            raise ValueError(f"te_window_days {list(self.te_window_days)}: start after end")
        if len(set(self.severity_levels)) != len(self.severity_levels):
            raise ValueError("severity_levels must be unique")
        return self


class OutputSpec(_Strict):
    #: Stable id, unique in the study: the ``output_id`` of its ARD rows and its anchor.
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    #: The catalog module that makes it; defaults to ``id``.
    module: str = ""
    #: Display number, e.g. "Table 14.1.1", "Figure 14.2.1", "Listing 16.2.7".
    number: str = Field(pattern=r"^(Table|Figure|Listing) \d+(\.\d+)*$")
    title: str
    population: str
    footnotes: list[str] = Field(default_factory=list)
    #: Module-specific options, validated by the module's own ``Options`` model.
    options: dict[str, Any] = Field(default_factory=dict)

    @property
    def slug(self) -> str:
        return self.module or self.id

    @property
    def kind(self) -> str:
        return self.number.split(" ", 1)[0]

    @property
    def section(self) -> str:
        """The CSR section holding the output: first two parts of the number (14.2, 16.2)."""
        digits = self.number.split(" ", 1)[1].split(".")
        return ".".join(digits[:2])


#: The narrative templates (``templates/narrative/<name>.md.j2``) in ICH E3 order. Sections 14
#: and 16 (tables, figures, listings) are added from the outputs.
DEFAULT_NARRATIVE = (
    "synopsis",
    "contents",
    "abbreviations",
    "05_ethics",
    "06_investigators",
    "07_introduction",
    "08_objectives",
    "09_investigational_plan",
    "10_study_patients",
    "11_efficacy",
    "12_safety",
    "13_discussion",
)


class FormatRule(_Strict):
    """One statistic's format in ``[formats]`` (see ``src/csrgen/formats.toml``): the keys given
    replace those of the catalog's rule for the statistic."""

    style: Literal["int", "num", "pct", "pvalue", "prob"] = "num"
    decimals: int | None = Field(default=None, ge=0, le=10)
    offset: int | None = Field(default=None, ge=-6, le=6)
    like: str = ""


class FormatSettings(_Strict):
    """``[formats]``: overrides of the declared formats, by ARD stat_name (``stats``) and per
    output module (``modules.<slug>``). Every table and sentence prints through them."""

    stats: dict[str, FormatRule] = Field(default_factory=dict)
    modules: dict[str, dict[str, FormatRule]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known_statistics(self) -> FormatSettings:
        from csrgen.ard import STAT_NAMES

        rules = [("stats", self.stats)] + [
            (f"modules.{m}", rules) for m, rules in self.modules.items()
        ]
        bad = [
            f"{where}.{name}" + (f" (like {r.like!r})" if r.like not in ("", *STAT_NAMES) else "")
            for where, table in rules
            for name, r in table.items()
            if name not in STAT_NAMES or r.like not in ("", *STAT_NAMES)
        ]
        if bad:
            raise ValueError(f"unknown statistics {', '.join(bad)} (not ARD stat_names)")
        return self


class DocumentSettings(_Strict):
    #: DRAFT or FINAL, shown in the page header.
    status: Literal["DRAFT", "FINAL"] = "DRAFT"
    #: Folder of sponsor templates overriding the packaged ones, relative to the study file.
    templates: str = ""
    #: Listings longer than this go to CSV/XLSX files beside the documents.
    listing_max_rows: int = Field(default=500, ge=1)
    #: Such a listing gets an XLSX beside its CSV only up to this many rows (0: CSV only);
    #: at most 1,048,575, an Excel sheet's rows below the header.
    listing_xlsx_max_rows: int = Field(default=50_000, ge=0, le=1_048_575)
    #: The HTML shows a listing's rows (sortable, filterable, the targets of the summary
    #: tables' links) up to this many, also when the DOCX refers to its files; above it, the
    #: HTML refers to the files too.
    html_listing_max_rows: int = Field(default=10_000, ge=0)
    #: Abbreviation -> meaning, added to the standard list of the abbreviations template.
    abbreviations: dict[str, str] = Field(default_factory=dict)
    #: Paper size of the Word document (A4 outside the US; Letter for US submissions).
    paper: Literal["A4", "Letter"] = "A4"
    #: Narrative templates in document order (names in ``narrative/``, without ``.md.j2``).
    narrative: list[str] = Field(default_factory=lambda: list(DEFAULT_NARRATIVE))
    #: How the narrative names parameters (PARAMCD -> "serum albumin"); default the PARAMCD.
    labels: dict[str, str] = Field(default_factory=dict)
    #: Units of parameters for the narrative (PARAMCD -> "g/L").
    units: dict[str, str] = Field(default_factory=dict)


class StudyConfig(_Strict):
    study: StudyInfo
    data: DataSettings
    arms: Arms
    populations: dict[str, Population] = Field(min_length=1)
    survival: SurvivalSettings | None = None
    #: ``[labs]``: a synonym of ``[bds.labs]`` (give one or the other).
    labs: LabSettings | None = None
    #: ``[bds.<name>]``: the BDS datasets by role (labs, vitals, ecg, ...).
    bds: dict[str, BdsSettings] = Field(default_factory=dict)
    safety: SafetySettings | None = None
    document: DocumentSettings = Field(default_factory=DocumentSettings)
    formats: FormatSettings = Field(default_factory=FormatSettings)
    #: The protocol's endpoints (when given, they replace study.endpoints_primary/_secondary in
    #: the synopsis and section 9.5).
    endpoints: list[Endpoint] = Field(default_factory=list)
    outputs: list[OutputSpec] = Field(min_length=1)
    #: The study file itself (set by the loader; not a TOML key).
    path: Path = Field(default=Path("."), exclude=True)

    @model_validator(mode="after")
    def _cross_references(self) -> StudyConfig:
        errors = []
        pops = set(self.populations)
        for i, out in enumerate(self.outputs):
            if out.population not in pops:
                errors.append(
                    f"outputs[{i}].population: {out.population!r} is not one of {sorted(pops)}"
                )
        for name in ("survival", "safety"):
            section = getattr(self, name)
            if section is not None and section.population not in pops:
                errors.append(
                    f"{name}.population: {section.population!r} is not one of {sorted(pops)}"
                )
        errors += self._bds_errors()
        ids = [o.id for o in self.outputs]
        for i, endpoint in enumerate(self.endpoints):
            for j, output_id in enumerate(endpoint.outputs):
                if output_id not in ids:
                    errors.append(f"endpoints[{i}].outputs[{j}]: no output with id {output_id!r}")
        if self.endpoints and (self.study.endpoints_primary or self.study.endpoints_secondary):
            errors.append(
                "study.endpoints_primary/endpoints_secondary: give the endpoints once, "
                "as [[endpoints]]"
            )
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            errors.append(f"outputs: duplicate id {', '.join(dupes)}")
        numbers = [o.number for o in self.outputs]
        dupes = sorted({n for n in numbers if numbers.count(n) > 1})
        if dupes:
            errors.append(f"outputs: duplicate number {', '.join(dupes)}")
        if errors:
            raise ValueError("; ".join(errors))
        return self

    def _bds_errors(self) -> list[str]:
        errors = []
        if self.labs is not None and "labs" in self.bds:
            errors.append("labs: give [labs] or [bds.labs], not both (they are synonyms)")
        pops = sorted(self.populations)
        for name, block in self.bds_blocks.items():
            key = "labs" if block is self.labs else f"bds.{name}"
            if block.population not in pops:
                errors.append(f"{key}.population: {block.population!r} is not one of {pops}")
            if block.dataset not in self.data.datasets:
                errors.append(
                    f"{key}.dataset: {block.dataset!r} is not a dataset of data.datasets "
                    f"({', '.join(sorted(self.data.datasets))})"
                )
        return errors

    @property
    def bds_blocks(self) -> dict[str, BdsSettings]:
        """The BDS datasets by role: ``[bds.<name>]`` and ``[labs]`` (as ``labs``)."""
        blocks = dict(self.bds)
        if self.labs is not None:
            blocks.setdefault("labs", self.labs)
        return blocks

    # -- derived paths -------------------------------------------------------------------------
    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def data_dir(self, override: str | Path | None = None) -> Path:
        if override is not None:
            return Path(override)
        return (self.base_dir / self.data.dir).resolve()

    def lock_path(self, data_dir: Path) -> Path:
        if self.data.lock:
            return (self.base_dir / self.data.lock).resolve()
        return data_dir / "lock.json"

    def dataset_path(self, role: str, data_dir: Path) -> Path:
        return data_dir / self.data.datasets[role]

    def output(self, output_id: str) -> OutputSpec:
        for out in self.outputs:
            if out.id == output_id:
                return out
        raise KeyError(output_id)


def _loc(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def format_validation_error(source: str, exc: ValidationError) -> str:
    """One line per problem: ``file: key.path: message``."""
    lines = []
    for err in exc.errors():
        # pydantic appends the validator name for union/after-validators; keep keys only.
        loc = tuple(
            p for p in err["loc"] if not (isinstance(p, str) and re.match(r"^function-", p))
        )
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "missing required key"
        lines.append(f"{source}: {_loc(loc) or '(top level)'}: {msg}")
    return "\n".join(lines)


def load_study(path: str | Path) -> StudyConfig:
    """Read and validate a study file; raise :class:`ConfigError` naming file and key."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: study file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if "path" in raw:
        raise ConfigError(f"{path}: path: unknown key")
    try:
        return StudyConfig.model_validate({**raw, "path": path.resolve()})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(str(path), exc)) from None
