"""``[bds.<name>]``: one BDS dataset (labs, vital signs, ECG, questionnaire scores) and the ADaM
conventions its outputs read, as study-file settings rather than data edits.

Each BDS dataset is named by its role (``[bds.labs]``, ``[bds.vitals]``, ``[bds.ecg]``) and
names its file's role in ``[data.datasets]`` (``dataset = "advs"``). Every BDS output
(``t_bds_summary``, ``t_bds_ancova``, ``f_bds_mean``, ``t_bds_shift``, ``t_bds_cat``,
``l_bds_abn``) names the block it reports (``options.bds``, default ``"labs"``); ``[labs]`` is a
synonym of ``[bds.labs]`` (its dataset defaults to ``adlb``). The rules the settings declare
are applied in :mod:`csrgen.outputs.bds_records`, which warns with counts whenever one leaves
records out.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: A dataset variable name (SAS): a letter or ``_``, then letters, digits or ``_``.
VAR = r"^[A-Za-z_][A-Za-z0-9_]{0,31}$"
#: The same, or ``""`` where a blank value means "not used".
OPTIONAL_VAR = r"^([A-Za-z_][A-Za-z0-9_]{0,31})?$"

#: How several records of one subject, parameter and visit (after the flags) become one.
MultipleRule = Literal["error", "first", "last", "highest", "lowest", "mean"]


class BdsSettings(BaseModel):
    """One BDS dataset: which parameters, visits and records its outputs analyse, and how."""

    # strict types as every study-file table (a TOML true is not 1, "3" is not 3), no NaN
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)

    #: Role of the dataset in ``[data.datasets]`` (``adlb``, ``advs``, ``adeg``, ``adqs``).
    dataset: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    #: The population of the block's outputs (each output names its own; keep them equal).
    population: str
    #: What the parameters are, in footnotes and the narrative ("laboratory", "vital signs").
    label: str = ""

    # -- parameters -------------------------------------------------------------------------------
    #: PARAMCDs in display order; empty: every parameter in the data not excluded, ordered by
    #: PARAMN (else PARAMCD).
    params: list[str] = Field(default_factory=list)
    #: PARAMCD prefixes that are not analysis parameters (e.g. derived ``_`` parameters).
    exclude_prefixes: list[str] = Field(default_factory=list)
    #: The parameter category variable an output's ``parcat`` option selects by.
    parcat_var: str = Field(default="PARCAT1", pattern=VAR)
    #: Display label per PARAMCD; default the data's PARAM. Every output of the block prints
    #: the same label.
    labels: dict[str, str] = Field(default_factory=dict)
    #: Decimals of the raw data per PARAMCD (means print one more, SD two more); default the
    #: decimals the parameter's data show (at most 3).
    decimals: dict[str, int] = Field(default_factory=dict)

    # -- visits and timepoints ---------------------------------------------------------------------
    #: AVISITs shown by visit, in order; empty: every scheduled AVISIT with an AVISITN,
    #: ordered by it. Records at other visits are left out of by-visit tables (with a warning).
    visits: list[str] = Field(default_factory=list)
    #: AVISIT patterns of unscheduled visits (``*`` any text, case ignored): not shown by visit,
    #: but used for worst post-baseline values. A blank or "." AVISIT, or a missing AVISITN,
    #: is always unscheduled.
    unscheduled_visits: list[str] = Field(default_factory=lambda: ["UNSCHEDULED*"])
    #: Timepoint within a visit (e.g. ``ATPT``): each parameter and timepoint gets its own
    #: block, ordered by ``<timepoint_var>N`` when the data have it. Empty: no timepoints.
    timepoint_var: str = Field(default="", pattern=OPTIONAL_VAR)
    #: Display label per timepoint value; default the value.
    timepoint_labels: dict[str, str] = Field(default_factory=dict)

    # -- baseline and analysis records -----------------------------------------------------------
    #: Baseline from a flag ('Y' = the baseline record, at any visit), e.g. ``ABLFL``.
    #: Empty: the records at ``baseline_visit``.
    baseline_flag: str = Field(default="", pattern=OPTIONAL_VAR)
    #: The AVISIT of the baseline records (without ``baseline_flag``); with it, the name of
    #: the baseline row, and other records at this visit are left out.
    baseline_visit: str = "Baseline"
    #: Analysis-record flag (e.g. ``ANL01FL``): post-baseline records need 'Y'. The baseline
    #: record is taken by the baseline rule even when this flag is blank on it.
    record_flag: str = Field(default="", pattern=OPTIONAL_VAR)
    #: DTYPE values kept as analysis records (e.g. ``["LOCF"]``); every other derived record
    #: (DTYPE not blank: admiral's LOV, MAXIMUM, AVERAGE, ...) is left out.
    keep_dtypes: list[str] = Field(default_factory=list)
    #: Several records of a subject, parameter and visit (after the flags): ``error`` (stop
    #: and name them), ``first``/``last`` by ``date_var``, ``highest``/``lowest`` value, or
    #: ``mean`` (of AVAL and CHG).
    multiple: MultipleRule = "error"
    #: The date ordering records for ``multiple = "first"`` or ``"last"``.
    date_var: str = Field(default="ADT", pattern=VAR)

    # -- reference ranges -------------------------------------------------------------------------
    #: Reference-range indicator (LOW/NORMAL/HIGH or L/N/H), for ``category = "indicator"``.
    indicator_var: str = Field(default="ANRIND", pattern=VAR)
    #: Reference-range limits (``ANRLO``/``ANRHI`` or ``A1LO``/``A1HI``), for
    #: ``category = "range"`` and the listing's range column; empty: none declared.
    low_var: str = Field(default="", pattern=OPTIONAL_VAR)
    high_var: str = Field(default="", pattern=OPTIONAL_VAR)

    #: ADSL variable holding the arm of every output of the block (e.g. TRT01P); default the
    #: population's arm variable.
    arm_var: str = Field(default="", pattern=OPTIONAL_VAR)

    @field_validator("decimals")
    @classmethod
    def _decimals_in_range(cls, value: dict[str, int]) -> dict[str, int]:
        bad = {k: v for k, v in value.items() if not 0 <= v <= 6}
        if bad:
            raise ValueError(f"decimals must be 0-6, got {bad}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BdsSettings:
        if bool(self.low_var) != bool(self.high_var):
            raise ValueError("give both low_var and high_var, or neither")
        if self.timepoint_labels and not self.timepoint_var:
            raise ValueError("timepoint_labels: not used without timepoint_var")
        if len(set(self.params)) != len(self.params):
            raise ValueError("params must be unique")
        return self

    @property
    def has_range(self) -> bool:
        return bool(self.low_var)

    def baseline_rule(self) -> str:
        """The baseline rule in words, for footnotes and warnings."""
        if self.baseline_flag:
            return f"the record with {self.baseline_flag} = 'Y', at any visit"
        return f"the record with AVISIT = '{self.baseline_visit}'"


class LabSettings(BdsSettings):
    """``[labs]``: a synonym of ``[bds.labs]`` whose dataset defaults to ``adlb``."""

    dataset: str = Field(default="adlb", pattern=r"^[a-z][a-z0-9_]*$")
