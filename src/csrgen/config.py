"""The study file: ``report/<study>.toml`` loaded once into a frozen, validated config.

Everything study-specific lives in the study file (datasets, arms, populations, endpoints, lab
parameters, the outputs with their numbers, titles and footnotes); the code stays generic. The
config is passed explicitly; there are no globals.

Unknown keys, missing keys, values of the wrong type and values without meaning (an empty or
malformed variable name, a reference to a population that does not exist, an option that the
chosen settings ignore) are errors that name the file and the key path
(``report/x.toml: outputs[2].population: 'PP' is not one of ['ITT', 'SAF']``). Every problem of
the file is reported at once (:func:`validate_study`).
"""

from __future__ import annotations

import codecs
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from csrgen import expr
from csrgen.config_bds import BdsSettings, LabSettings
from csrgen.errors import ConfigError

#: A SAS variable name: a letter or ``_``, then letters, digits or ``_``; at most 32 characters.
SAS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")


def check_var_name(value: str) -> str:
    """``value`` if it is a SAS variable name; a ValueError saying why not."""
    if value == "":
        raise ValueError(
            "empty variable name: name the dataset variable, or leave the key out where it is "
            "optional"
        )
    if not SAS_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a variable name (a letter or _, then letters, digits or _; at "
            "most 32 characters)"
        )
    return value


def _optional_var_name(value: str) -> str:
    return value if value == "" else check_var_name(value)


def _expression(value: str) -> str:
    if value == "":
        raise ValueError("empty expression: leave the key out for no filter")
    try:
        expr.parse(value)
    except expr.ExprError as exc:
        raise ValueError(f"{value!r}: {exc}") from None
    return value


#: A dataset variable named by the study file (``"DCSREAS"``): a valid SAS name, never empty.
#: An optional one has the default ``""`` (not used): the user leaves the key out.
VarName = Annotated[str, AfterValidator(check_var_name)]
#: A variable where an explicit ``""`` has a documented meaning (a population ``flag = ""``:
#: every subject; a death ``date_var = ""``: from the fatal adverse event).
VarNameOrBlank = Annotated[str, AfterValidator(_optional_var_name)]
#: A record filter over one dataset (:mod:`csrgen.expr`), checked for syntax on load.
Expression = Annotated[str, AfterValidator(_expression)]


def _path_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("a path cannot hold a NUL character")
    if any(len(part.encode("utf-8")) > 255 for part in re.split(r"[\\/]", value)):
        raise ValueError("a file or folder name longer than 255 bytes")
    if len(value.encode("utf-8")) > 4000:
        raise ValueError("a path longer than 4000 bytes")
    return value


#: A file or folder named by the study file (relative to it).
PathText = Annotated[str, AfterValidator(_path_text)]


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("empty text: give a value")
    return value


#: A time in the unit of AVAL (landmarks, axis ticks, windows): at most a million units.
Time = Annotated[float, Field(le=1e6, ge=-1e6)]
#: A number of study days (at most a hundred years either way).
Days = Annotated[int, Field(ge=-36525, le=36525)]

#: Text that must say something (a label, an arm level).
Text = Annotated[str, AfterValidator(_text)]


def unused_options(model: BaseModel, names: tuple[str, ...], why: str) -> None:
    """Refuse keys the user set that the model's other settings make meaningless (a key set to
    its default is harmless: a config dumped and validated again keeps validating)."""
    fields = type(model).model_fields
    given = sorted(
        n
        for n in names
        if n in model.model_fields_set
        and getattr(model, n) != fields[n].get_default(call_default_factory=True)
    )
    if given:
        raise ValueError(f"{', '.join(given)}: not used {why}")


class _Strict(BaseModel):
    # NaN and infinity (TOML's nan, inf) are never meaningful settings; strict types: a TOML
    # true is not the number 1, "3" is not the number 3 (a TOML array becomes a tuple only
    # where a field says Field(strict=False)).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


class StudyInfo(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    title: Text
    protocol: Text
    phase: Text
    indication: Text
    sponsor: Text
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


#: File types the readers know (``datasets.readers``).
DATA_SUFFIXES = (".xpt", ".zip", ".csv", ".parquet", ".json")


class DataSettings(_Strict):
    #: Folder of the ADaM files, relative to the study file (``--data`` overrides it).
    dir: Annotated[PathText, AfterValidator(_text)]
    #: Dataset role (adsl, adtte, adlb, adae, adex) -> file name inside ``dir``.
    datasets: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], PathText]
    #: The lock file; default ``<dir>/lock.json``. Relative to the study file.
    lock: PathText = ""
    #: Text encoding of CSV files (XPT files carry their own).
    encoding: str = "utf-8"

    @field_validator("datasets")
    @classmethod
    def _needs_adsl(cls, value: dict[str, str]) -> dict[str, str]:
        if "adsl" not in value:
            raise ValueError("an 'adsl' entry is required")
        bad = [
            f"{role} = {name!r}"
            for role, name in value.items()
            if not name.strip() or Path(name).suffix.lower() not in DATA_SUFFIXES
        ]
        if bad:
            raise ValueError(
                f"{'; '.join(bad)}: a data file name ending in {', '.join(DATA_SUFFIXES)}"
            )
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(
                f"unknown text encoding {value!r} (e.g. utf-8, latin-1, cp1252)"
            ) from None
        return value


class Arms(_Strict):
    #: Arm labels exactly as in the data, in display order.
    levels: list[Text] = Field(min_length=1)
    #: The comparator: hazard ratios, differences and pairwise tests are against this arm.
    reference: str
    #: Show a Total column in subject-level tables.
    total: bool = True
    total_label: Text = "Total"

    @model_validator(mode="after")
    def _reference_is_a_level(self) -> Arms:
        if self.reference not in self.levels:
            raise ValueError(f"reference {self.reference!r} is not one of levels {self.levels}")
        if len(set(self.levels)) != len(self.levels):
            raise ValueError("levels must be unique")
        return self


class Population(_Strict):
    label: Text
    #: ADSL flag variable ('Y' = in the population); empty means every ADSL subject.
    flag: VarNameOrBlank = ""
    #: An expression over ADSL (:mod:`csrgen.expr`), e.g. ``ARM != "Screen Failure"``; with
    #: ``flag`` both must hold. Neither: every ADSL subject.
    where: Expression | None = None
    #: ADSL variable holding the arm for analyses of this population (TRT01P, TRT01A, ...).
    arm_var: VarName

    def variables(self) -> set[str]:
        """The ADSL variables that define the population and its arm."""
        names = {self.arm_var} | ({self.flag} if self.flag else set())
        return names | (expr.variables(expr.parse(self.where)) if self.where else set())

    def rule(self) -> str:
        """The definition in words, for footnotes: ``SAFFL = Y and ARM != "Screen Failure"``."""
        parts = ([f"{self.flag} = Y"] if self.flag else []) + ([self.where] if self.where else [])
        return " and ".join(parts) or "all subjects in ADSL"


class TteEndpoint(_Strict):
    """One time-to-event parameter (ADTTE PARAMCD) and what to report for it."""

    paramcd: Text
    #: Name of the endpoint ("Overall survival").
    label: Text
    #: What an event is, for table rows ("death", "HCC", "dermatologic event").
    event_label: str = "event"
    #: y-axis of the KM figure and heading of the KM estimates ("Survival probability").
    curve_label: str = "Event-free probability"
    #: Landmark times for KM estimates, in the unit of AVAL.
    landmarks: list[Time] = Field(default_factory=list)
    #: x-axis ticks of the KM figure, where numbers at risk are shown.
    risk_ticks: list[Time] = Field(default_factory=list)
    #: Landmark-analysis windows [start, end]; the second and later condition on being
    #: event-free at their start.
    windows: list[Annotated[tuple[Time, Time], Strict(False)]] = Field(default_factory=list)
    #: Censored records whose ``variable`` equals one of ``values`` are competing events.
    competing_variable: VarName | None = None
    competing_values: list[str] = Field(default_factory=list)
    #: What a competing event is, for table rows ("death without HCC").
    competing_label: str = "competing event"
    #: True: the endpoint is defined only for the subjects who have a record of the parameter
    #: (duration of response: responders only). N, the numbers at risk, the figure legend and
    #: the narrative count those subjects, and a footnote says so. False: every subject of the
    #: population (a subject without a record is counted in N, not analysed).
    subset: bool = False
    #: Who the subset is, for the footnote ("responders").
    subset_label: str = ""

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
        if not self.competing_variable:
            unused_options(self, ("competing_label",), "without competing_variable")
        if not self.subset:
            unused_options(self, ("subset_label",), "without subset = true")
        return self


class SurvivalSettings(_Strict):
    dataset: Text = "adtte"
    #: The population of every time-to-event output (their ``population`` must match).
    population: str
    #: Unit of AVAL, plural ("months", "days").
    time_unit: Text
    endpoints: list[TteEndpoint] = Field(min_length=1)
    #: Baseline covariates (ADSL variables) for the adjusted Cox model.
    covariates: list[VarName] = Field(default_factory=list)
    #: Stratification variables (ADSL) for the stratified log-rank test.
    strata: list[VarName] = Field(default_factory=list)
    #: Footnote names of covariates and strata ({MELDBL = "MELD score"}); default: the
    #: variable's label in the data, else its name.
    labels: dict[str, str] = Field(default_factory=dict)
    #: Decimals of times (medians, quartiles) in tables.
    time_decimals: int = Field(default=1, ge=0, le=4)
    #: Confidence level of every interval.
    conf_level: float = Field(default=0.95, gt=0.5, lt=1)

    @model_validator(mode="after")
    def _consistent(self) -> SurvivalSettings:
        codes = [e.paramcd for e in self.endpoints]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise ValueError(f"endpoints: paramcd {twice} given more than once")
        unused = sorted(set(self.labels) - set(self.covariates) - set(self.strata))
        if unused:
            raise ValueError(f"labels: {unused} are neither covariates nor strata")
        return self

    def endpoint(self, paramcd: str) -> TteEndpoint:
        for e in self.endpoints:
            if e.paramcd == paramcd:
                return e
        raise KeyError(paramcd)


class AeRule(_Strict):
    """ADAE records meet the rule when ``var`` holds one of ``values`` (or is blank and
    ``missing`` is true). A category given as a list of rules is met when any rule is met."""

    var: VarName
    #: Values as recorded (a blank is ``missing = true``, not ``""``).
    values: list[Text] = Field(min_length=1)
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
    dataset: Text = "adae"
    #: How treatment-emergence is decided: a flag variable in ADAE ('Y' = emergent), or a window
    #: of study days (day 1 = TRTSDT, no day 0) in which the onset (ASTDT) must fall.
    te_flag: VarName | None = None
    te_window_days: Annotated[tuple[Days, Days], Strict(False)] | None = None
    #: Window rule: a record with no onset date (and no ASTDY) counts as treatment-emergent
    #: (the conservative convention of most SAPs).
    te_missing_onset: bool = True
    #: Fisher exact p of each active arm against the reference in AE tables.
    fisher: bool = False
    #: Severity variable and its levels in increasing order; "severe" = the last level. A record
    #: with blank severity counts at the highest level (conservative; stated in the footnotes).
    severity_var: VarName = "AESEV"
    severity_levels: list[Text] = Field(
        default_factory=lambda: ["MILD", "MODERATE", "SEVERE"], min_length=1
    )
    related: list[AeRule] = Field(
        default_factory=lambda: [AeRule(var="AEREL", values=DEFAULT_RELATED, missing=True)],
        min_length=1,
    )
    serious: list[AeRule] = Field(
        default_factory=lambda: [AeRule(var="AESER", values=["Y"])], min_length=1
    )
    #: TEAE leading to discontinuation of study treatment.
    discontinuation: list[AeRule] = Field(
        default_factory=lambda: [AeRule(var="AEACN", values=["DRUG WITHDRAWN"])], min_length=1
    )
    #: TEAE leading to death.
    death: list[AeRule] = Field(
        default_factory=lambda: [
            AeRule(var="AEOUT", values=["FATAL"]),
            AeRule(var="AESDTH", values=["Y"]),
        ],
        min_length=1,
    )

    @model_validator(mode="after")
    def _one_te_rule(self) -> SafetySettings:
        if bool(self.te_flag) == (self.te_window_days is not None):
            raise ValueError("give exactly one of te_flag or te_window_days")
        if self.te_window_days is not None and self.te_window_days[0] > self.te_window_days[1]:
            raise ValueError(f"te_window_days {list(self.te_window_days)}: start after end")
        if len(set(self.severity_levels)) != len(self.severity_levels):
            raise ValueError("severity_levels must be unique")
        if self.te_flag:
            unused_options(self, ("te_missing_onset",), "with te_flag (a window rule setting)")
        return self


class OutputSpec(_Strict):
    #: Stable id, unique in the study: the ``output_id`` of its ARD rows and its anchor.
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    #: The catalog module that makes it; defaults to ``id``.
    module: str = ""
    #: Display number, e.g. "Table 14.1.1", "Figure 14.2.1", "Listing 16.2.7"; an output that
    #: is a section of its own (the narratives) is "Section 14.3.3".
    number: str = Field(pattern=r"^(Table|Figure|Listing|Section) \d+(\.\d+)*$")
    title: Text
    population: str
    footnotes: list[Text] = Field(default_factory=list)
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
    templates: PathText = ""
    #: Listings longer than this go to CSV/XLSX files beside the documents.
    listing_max_rows: int = Field(default=500, ge=1)
    #: Such a listing gets an XLSX beside its CSV only up to this many rows (0: CSV only);
    #: at most 1,048,575, an Excel sheet's rows below the header.
    listing_xlsx_max_rows: int = Field(default=50_000, ge=0, le=1_048_575)
    #: The HTML shows a listing's rows (sortable, filterable, the targets of the summary
    #: tables' links) up to this many, also when the DOCX refers to its files; above it, the
    #: HTML refers to the files too.
    html_listing_max_rows: int = Field(default=10_000, ge=0)
    #: Also write ``csr.qmd`` (a Quarto source of the CSR, figures in ``csr-figures/``), as
    #: ``csrgen report --qmd`` does.
    qmd: bool = False
    #: Abbreviation -> meaning, added to the standard list of the abbreviations template.
    abbreviations: dict[str, str] = Field(default_factory=dict)
    #: Paper size of the Word document (A4 outside the US; Letter for US submissions).
    paper: Literal["A4", "Letter"] = "A4"
    #: Narrative templates in document order (names in ``narrative/``, without ``.md.j2``).
    narrative: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")]] = Field(
        default_factory=lambda: list(DEFAULT_NARRATIVE)
    )
    #: How the narrative names parameters (PARAMCD -> "serum albumin"); default the PARAMCD.
    labels: dict[str, str] = Field(default_factory=dict)
    #: Units of parameters for the narrative (PARAMCD -> "g/L").
    units: dict[str, str] = Field(default_factory=dict)
    #: Patient narratives (section 14.3.3) printed in the CSR up to this many subjects; above
    #: it they go to ``narratives.docx`` and ``narratives.html`` beside it.
    narratives_inline_max: int = Field(default=20, ge=0)
    #: The previous data lock's report folder (relative to the study file): the report then
    #: says what changed since it (``csrgen report --previous`` overrides this).
    previous_report: PathText = ""


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
    def _cross_references(self, info: ValidationInfo) -> StudyConfig:
        # validate_study checks the raw file (with every other error); a config built in code
        # is checked here
        if info.context and info.context.get("cross_references_checked"):
            return self
        errors = cross_reference_errors(self.model_dump(exclude={"path"}))
        if errors:
            raise ValueError("; ".join(errors))
        return self

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


def validation_lines(exc: ValidationError, prefix: str = "") -> list[str]:
    """``key.path: message`` for each problem of a pydantic error; ``prefix`` is the key path
    of the validated value (``outputs[3].options``)."""
    lines = []
    for err in exc.errors():
        # pydantic names union members and validators in the location; keep keys only.
        loc = tuple(
            p
            for p in err["loc"]
            if not (isinstance(p, str) and re.match(r"^(function-|literal\[|str$|list\[)", p))
        )
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif err["type"] == "missing":
            msg = "missing required key"
        key = ".".join(p for p in (prefix, _loc(loc)) if p).replace(".[", "[")
        lines.append(f"{key or '(top level)'}: {msg}")
    return lines


def format_validation_error(source: str, exc: ValidationError) -> str:
    """One line per problem: ``file: key.path: message``."""
    return "\n".join(f"{source}: {line}" for line in validation_lines(exc))


def read_study_file(path: str | Path) -> dict[str, Any]:
    """The study file as TOML data; :class:`ConfigError` when it cannot be read or parsed."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: study file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: a folder, not a study file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the study file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return raw


def validate_study(raw: dict[str, Any], path: str | Path) -> tuple[StudyConfig | None, list[str]]:
    """Validate the study file's data: the config (None when invalid) and every problem, each
    as ``file: key.path: message`` (types, meanings and cross references together)."""
    path = Path(path)
    lines: list[str] = []
    config = None
    if "path" in raw:
        lines.append("path: unknown key")
    try:
        config = StudyConfig.model_validate(
            {**raw, "path": path.resolve()}, context={"cross_references_checked": True}
        )
    except ValidationError as exc:
        lines += validation_lines(exc)
    lines += cross_reference_errors(raw)
    if lines:
        config = None
    return config, [f"{path}: {line}" for line in dict.fromkeys(lines)]


def cross_reference_errors(raw: dict[str, Any]) -> list[str]:
    """Names that must refer to something else in the file: populations, unique ids and numbers.

    Works on the raw TOML data so that these are reported together with every type error
    (pydantic runs a model's own checks only once all its fields are valid)."""
    errors = []
    pops_raw = raw.get("populations")
    pops = sorted(pops_raw) if isinstance(pops_raw, dict) else None
    outputs = raw.get("outputs")
    outputs = (
        [o if isinstance(o, dict) else {} for o in outputs] if isinstance(outputs, list) else []
    )
    if pops is not None:
        for i, out in enumerate(outputs):
            population = out.get("population")
            if isinstance(population, str) and population not in pops:
                errors.append(f"outputs[{i}].population: {population!r} is not one of {pops}")
        for name in ("survival", "labs", "safety"):
            section = raw.get(name)
            population = section.get("population") if isinstance(section, dict) else None
            if isinstance(population, str) and population not in pops:
                errors.append(f"{name}.population: {population!r} is not one of {pops}")
    errors += _bds_errors(raw, pops)
    for key in ("id", "number"):
        values = [o.get(key) for o in outputs if isinstance(o.get(key), str)]
        dupes = sorted({v for v in values if values.count(v) > 1})
        if dupes:
            errors.append(f"outputs: duplicate {key} {', '.join(dupes)}")
    errors += _endpoint_errors(raw, [o.get("id") for o in outputs])
    return errors


def _bds_errors(raw: dict[str, Any], pops: list[str] | None) -> list[str]:
    """``[labs]`` and ``[bds.<name>]`` blocks: one of the two synonyms for labs, populations
    that exist, datasets that ``[data.datasets]`` names."""
    errors = []
    bds = raw.get("bds") if isinstance(raw.get("bds"), dict) else {}
    labs = raw.get("labs")
    if isinstance(labs, dict) and "labs" in bds:
        errors.append("labs: give [labs] or [bds.labs], not both (they are synonyms)")
    blocks = [(f"bds.{name}", block) for name, block in bds.items()]
    if isinstance(labs, dict):
        blocks.append(("labs", {"dataset": "adlb", **labs}))
    data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
    datasets = data.get("datasets") if isinstance(data.get("datasets"), dict) else None
    for key, block in blocks:
        if not isinstance(block, dict):
            continue
        population = block.get("population")
        known = pops is None or population in pops
        if key != "labs" and isinstance(population, str) and not known:
            errors.append(f"{key}.population: {population!r} is not one of {pops}")
        dataset = block.get("dataset")
        if datasets is not None and isinstance(dataset, str) and dataset not in datasets:
            errors.append(
                f"{key}.dataset: {dataset!r} is not a dataset of data.datasets "
                f"({', '.join(sorted(datasets))})"
            )
    return errors


def _endpoint_errors(raw: dict[str, Any], ids: list[Any]) -> list[str]:
    """``[[endpoints]]`` name outputs that exist, and replace the study's endpoint lists."""
    endpoints = raw.get("endpoints")
    if not isinstance(endpoints, list):
        return []
    errors = []
    for i, endpoint in enumerate(endpoints):
        outputs = endpoint.get("outputs") if isinstance(endpoint, dict) else None
        for j, output_id in enumerate(outputs if isinstance(outputs, list) else []):
            if isinstance(output_id, str) and output_id not in ids:
                errors.append(f"endpoints[{i}].outputs[{j}]: no output with id {output_id!r}")
    study = raw.get("study")
    if (
        endpoints
        and isinstance(study, dict)
        and (study.get("endpoints_primary") or study.get("endpoints_secondary"))
    ):
        errors.append(
            "study.endpoints_primary/endpoints_secondary: give the endpoints once, as [[endpoints]]"
        )
    return errors


def load_study(path: str | Path) -> StudyConfig:
    """Read and validate a study file; raise :class:`ConfigError` naming file and key of every
    problem (the outputs' own options are checked by :mod:`csrgen.outputs.catalog`)."""
    config, errors = validate_study(read_study_file(path), path)
    if errors:
        raise ConfigError("\n".join(errors))
    return config
