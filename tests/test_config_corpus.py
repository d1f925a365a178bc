"""A corpus of wrong study-file values, each made by one mutation of a shipped study file.

Every case runs ``csrgen validate`` in-process: exit 2, a message naming the key (the file and
the key path, or for a data-stage rule the key among the data problems), and no traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from csrgen.cli import main
from tests.studies import PILOT_STUDY, SEED_STUDY

STUDIES = {"seed": SEED_STUDY, "pilot": PILOT_STUDY}


def _absolute(text: str, base: Path) -> str:
    """The study file with its data folder and lock as absolute paths (it moves to tmp)."""

    def repl(match):
        return f'{match.group(1)} = "{(base.parent / match.group(2)).resolve()}"'

    return re.sub(r'(?m)^(dir|lock) = "([^"]+)"', repl, text)


def _output_index(text: str, output_id: str) -> int:
    ids = re.findall(r'(?m)^\[\[outputs\]\]\nid = "([^"]+)"', text)
    return ids.index(output_id)


def mutate(tmp_path: Path, study: str, edits: list[tuple[str, str]]) -> Path:
    base = STUDIES[study]
    text = _absolute(base.read_text(encoding="utf-8"), base)
    for old, new in edits:
        assert old in text, f"the mutation's anchor is not in {base.name}: {old!r}"
        text = text.replace(old, new, 1)
    path = tmp_path / base.name
    path.write_text(text, encoding="utf-8")
    return path


def expand(expected: str, study: str, path: Path) -> str:
    """``{path}`` -> the mutated file; ``{out:ID}`` -> ``outputs[i]`` of that output id."""
    text = STUDIES[study].read_text(encoding="utf-8")
    expected = expected.replace("{path}", str(path))
    return re.sub(r"\{out:(\w+)\}", lambda m: f"outputs[{_output_index(text, m[1])}]", expected)


#: (case id, study, [(anchor text, replacement)], text the message must hold)
CASES = [
    # -- empty strings and malformed variable names ------------------------------------------
    (
        "empty-reason-var",
        "pilot",
        [('reason_var = "DCSREAS"', 'reason_var = ""')],
        "{path}: {out:l_disc}.options.phases[0].reason_var: empty variable name",
    ),
    (
        "reason-var-not-a-sas-name",
        "seed",
        [('reason_var = "DCTREAS"', 'reason_var = "DCT REAS"')],
        "{path}: {out:l_disc}.options.phases[0].reason_var: 'DCT REAS' is not a variable name",
    ),
    (
        "empty-competing-variable",
        "seed",
        [('competing_variable = "EVNTDESC"', 'competing_variable = ""')],
        "{path}: survival.endpoints[1].competing_variable: empty variable name",
    ),
    (
        "empty-arm-var",
        "pilot",
        [('arm_var = "TRT01A"', 'arm_var = ""')],
        "{path}: populations.SAF.arm_var: empty variable name",
    ),
    (
        "empty-output-title",
        "seed",
        [('title = "Deaths"', 'title = ""')],
        "{path}: {out:t_deaths}.title: empty text",
    ),
    (
        "empty-where",
        "seed",
        [('flag = "ITTFL"', 'flag = "ITTFL"\nwhere = ""')],
        "{path}: populations.ITT.where: empty expression",
    ),
    (
        "sort-variable-not-a-name",
        "seed",
        [
            (
                'title = "All Adverse Events"\npopulation = "SAF"\n',
                'title = "All Adverse Events"\npopulation = "SAF"\n[outputs.options]\n'
                'sort = ["AST DT"]\n',
            )
        ],
        "{path}: {out:l_ae}.options.sort[0]: 'AST DT' is not a variable name",
    ),
    # -- unknown keys at several depths --------------------------------------------------------
    (
        "unknown-top-level-table",
        "seed",
        [("[arms]", "[armz]\nx = 1\n\n[arms]")],
        "{path}: armz: unknown key",
    ),
    (
        "unknown-key-in-study",
        "seed",
        [('protocol = "UCMSC-DLC"', 'protocol = "UCMSC-DLC"\nsponsr = "typo"')],
        "{path}: study.sponsr: unknown key",
    ),
    (
        "unknown-key-in-population",
        "pilot",
        [('flag = "ITTFL"', 'flag = "ITTFL"\nflags = "RANDFL"')],
        "{path}: populations.ITT.flags: unknown key",
    ),
    (
        "unknown-key-in-endpoint",
        "seed",
        [
            (
                'paramcd = "OS"\nlabel = "Overall survival"',
                'paramcd = "OS"\nlabel = "Overall survival"\nlandmark = [12]',
            )
        ],
        "{path}: survival.endpoints[0].landmark: unknown key",
    ),
    (
        "unknown-option",
        "seed",
        [
            (
                "[outputs.options]\nvariables = [",
                '[outputs.options]\nlow_var = "ANRLO"\nvariables = [',
            )
        ],
        "{path}: {out:t_demog}.options.low_var: unknown key",
    ),
    (
        "unknown-key-in-option-row",
        "pilot",
        [
            (
                '{ id = "RANDOMIZED", label = "Randomized" }',
                '{ id = "RANDOMIZED", label = "Randomized", colour = "red" }',
            )
        ],
        "{path}: {out:t_disp}.options.rows[0].colour: unknown key",
    ),
    (
        "unknown-key-in-ae-rule",
        "pilot",
        [("missing = true }]", "missing = true, blank = true }]")],
        "{path}: safety.related[0].blank: unknown key",
    ),
    # -- options a module (or a setting) does not use -------------------------------------------
    (
        "fisher-with-by-severity",
        "pilot",
        [("by_severity = true\n", "by_severity = true\nfisher = true\n")],
        "{path}: {out:t_ae_sev}.options: fisher: not used with by_severity",
    ),
    (
        "levels-of-a-continuous-variable",
        "seed",
        [
            (
                '{ var = "AGE", label = "Age (years)", kind = "continuous" }',
                '{ var = "AGE", label = "Age (years)", kind = "continuous", levels = ["<40"] }',
            )
        ],
        "{path}: {out:t_demog}.options.variables[0]: levels: not used by a continuous variable",
    ),
    (
        "reasons-without-reasons-var",
        "seed",
        [('var = "LTFUFL", values = ["Y"] }', 'var = "LTFUFL", values = ["Y"], reasons = ["X"] }')],
        "{path}: {out:t_disp}.options.rows[9]: reasons: not used without reasons_var",
    ),
    (
        "competing-label-without-competing-event",
        "pilot",
        [
            (
                'curve_label = "Probability of no dermatologic event"',
                'curve_label = "Probability of no dermatologic event"\ncompeting_label = "death"',
            )
        ],
        "{path}: survival.endpoints[0]: competing_label: not used without competing_variable",
    ),
    (
        "te-missing-onset-with-te-flag",
        "pilot",
        [('te_flag = "TRTEMFL"', 'te_flag = "TRTEMFL"\nte_missing_onset = false')],
        "{path}: safety: te_missing_onset: not used with te_flag",
    ),
    (
        "subset-label-without-subset",
        "pilot",
        [('paramcd = "TTDE"\nlabel', 'paramcd = "TTDE"\nsubset_label = "responders"\nlabel')],
        "{path}: survival.endpoints[0]: subset_label: not used without subset = true",
    ),
    (
        "survival-label-of-no-covariate",
        "seed",
        [("labels = { AGE = ", 'labels = { WEIGHT = "weight", AGE = ')],
        "{path}: survival: labels: ['WEIGHT'] are neither covariates nor strata",
    ),
    # -- references that do not resolve ---------------------------------------------------------
    (
        "output-population-unknown",
        "seed",
        [
            (
                'title = "Overall Survival"\npopulation = "ITT"',
                'title = "Overall Survival"\npopulation = "PP"',
            )
        ],
        "{path}: {out:t_os}.population: 'PP' is not one of ['ITT', 'SAF']",
    ),
    (
        "disposition-row-population-unknown",
        "pilot",
        [('{ population = "EFF", indent = 1 }', '{ population = "EFFX", indent = 1 }')],
        "{path}: {out:t_disp}.options.rows[5].population: 'EFFX' is not one of",
    ),
    (
        "safety-population-unknown",
        "seed",
        [('[safety]\npopulation = "SAF"', '[safety]\npopulation = "SAFETY"')],
        "{path}: safety.population: 'SAFETY' is not one of ['ITT', 'SAF']",
    ),
    (
        "paramcd-not-an-endpoint",
        "seed",
        [('[outputs.options]\nparamcd = "OS"', '[outputs.options]\nparamcd = "OSX"')],
        "{path}: {out:t_os}.options.paramcd: 'OSX' is not one of the survival endpoints",
    ),
    (
        "exposure-arm-unknown",
        "seed",
        [('arms = ["UC-MSC"]', 'arms = ["UCMSC"]')],
        "{path}: {out:t_exposure}.options.variables[1].arms: ['UCMSC'] are not arms",
    ),
    (
        "duplicate-output-id",
        "seed",
        [('id = "l_sae"', 'id = "l_ae"')],
        "{path}: outputs: duplicate id l_ae",
    ),
    (
        "unknown-output-module",
        "seed",
        [('id = "t_deaths"', 'id = "t_death"')],
        "{path}: {out:t_deaths}.module: unknown output 't_death'",
    ),
    (
        "narrative-template-missing",
        "seed",
        [
            (
                '[document]\nstatus = "DRAFT"',
                '[document]\nstatus = "DRAFT"\nnarrative = ["synopsis", "nope"]',
            )
        ],
        "{path}: document.narrative[1]: no template narrative/nope.md.j2",
    ),
    # -- empty lists where one value is needed ---------------------------------------------------
    (
        "no-arm-levels",
        "seed",
        [('levels = ["Control", "UC-MSC"]', "levels = []")],
        "{path}: arms.levels: List should have at least 1 item",
    ),
    (
        "no-severity-levels",
        "pilot",
        [('severity_levels = ["MILD", "MODERATE", "SEVERE"]', "severity_levels = []")],
        "{path}: safety.severity_levels: List should have at least 1 item",
    ),
    (
        "no-discontinuation-phase",
        "pilot",
        [
            (
                'phases = [\n  { label = "Study", var = "EOSSTT", values = ["DISCONTINUED"], '
                'reason_var = "DCSREAS", date_var = "RFENDT" },\n]',
                "phases = []",
            )
        ],
        "{path}: {out:l_disc}.options.phases: List should have at least 1 item",
    ),
    (
        "no-related-rule",
        "pilot",
        [
            (
                'related = [{ var = "AEREL", values = ["POSSIBLE", "PROBABLE"], missing = true }]',
                "related = []",
            )
        ],
        "{path}: safety.related: List should have at least 1 item",
    ),
    (
        "exclude-with-no-values",
        "pilot",
        [
            (
                'counts link to the rows.\n[outputs.options]\ncategory = "range"\n',
                'counts link to the rows.\n[outputs.options]\ncategory = "range"\n'
                "exclude = { AVISIT = [] }\n",
            )
        ],
        "{path}: {out:l_lab_abn}.options.exclude: AVISIT: give at least one value",
    ),
    # -- wrong types, weird numbers, bad names ----------------------------------------------------
    (
        "text-for-a-boolean",
        "seed",
        [("synthetic = true", 'synthetic = "maybe"')],
        "{path}: study.synthetic: Input should be a valid boolean",
    ),
    (
        "list-where-a-table-is-expected",
        "seed",
        [('labels = { ALB = "serum albumin"', 'labels = ["serum albumin"]\nunits_ = { ALB = "x"')],
        "{path}: document.labels: Input should be a valid dictionary",
    ),
    (
        "table-where-a-list-is-expected",
        "pilot",
        [("landmarks = [30, 60, 90, 120, 150, 180]", "landmarks = { first = 30 }")],
        "{path}: survival.endpoints[0].landmarks: Input should be a valid list",
    ),
    (
        "list-where-text-is-expected",
        "seed",
        [('reference = "Control"', 'reference = ["Control"]')],
        "{path}: arms.reference: Input should be a valid string",
    ),
    (
        "nan-landmark",
        "seed",
        [("landmarks = [12, 24, 36, 48, 60, 72]", "landmarks = [nan, 24]")],
        "{path}: survival.endpoints[0].landmarks[0]: Input should be a finite number",
    ),
    (
        "infinite-confidence-level",
        "pilot",
        [("time_decimals = 1", "time_decimals = 1\nconf_level = inf")],
        "{path}: survival.conf_level: Input should be a finite number",
    ),
    (
        "too-many-decimals",
        "seed",
        [("time_decimals = 1", "time_decimals = 9")],
        "{path}: survival.time_decimals: Input should be less than or equal to 4",
    ),
    (
        "negative-days",
        "pilot",
        [("days_after_treatment = 30", "days_after_treatment = -30")],
        "{path}: {out:t_deaths}.options.days_after_treatment: Input should be greater than or "
        "equal to 0",
    ),
    (
        "true-for-a-number",
        "pilot",
        [("days_after_treatment = 30", "days_after_treatment = true")],
        "{path}: {out:t_deaths}.options.days_after_treatment: Input should be a valid integer",
    ),
    (
        "number-for-a-boolean",
        "pilot",
        [("by_severity = true\n", "by_severity = 1\n")],
        "{path}: {out:t_ae_sev}.options.by_severity: Input should be a valid boolean",
    ),
    (
        "quoted-number",
        "seed",
        [("time_decimals = 1", 'time_decimals = "1"')],
        "{path}: survival.time_decimals: Input should be a valid integer",
    ),
    (
        "landmark-beyond-any-follow-up",
        "seed",
        [("landmarks = [12, 24, 36, 48, 60, 72]", "landmarks = [12, 1e9]")],
        "{path}: survival.endpoints[0].landmarks[1]: Input should be less than or equal to 1000000",
    ),
    (
        "endless-days-after-treatment",
        "pilot",
        [("days_after_treatment = 30", "days_after_treatment = 1000000000")],
        "{path}: {out:t_deaths}.options.days_after_treatment: Input should be less than or equal "
        "to 36525",
    ),
    (
        "bad-encoding-name",
        "seed",
        [('dir = "', 'encoding = "utf-9"\ndir = "')],
        "{path}: data.encoding: unknown text encoding 'utf-9'",
    ),
    (
        "data-file-of-unknown-type",
        "seed",
        [('adsl = "adsl.csv"', 'adsl = "adsl.sas7bdat"')],
        "{path}: data.datasets: adsl = 'adsl.sas7bdat': a data file name ending in",
    ),
    (
        "toml-syntax",
        "seed",
        [("[arms]", "[arms")],
        "{path}: not valid TOML",
    ),
    # -- population expressions -----------------------------------------------------------------
    (
        "where-with-single-equals",
        "seed",
        [('flag = "ITTFL"', 'flag = "ITTFL"\nwhere = \'ARM = "UC-MSC"\'')],
        "{path}: populations.ITT.where: 'ARM = \"UC-MSC\"': column 5: not a valid expression "
        "(compare with ==, not =)",
    ),
    (
        "where-compares-a-number-with-text",
        "seed",
        [('flag = "ITTFL"', 'flag = "ITTFL"\nwhere = \'AGE >= "65"\'')],
        "adsl.csv: populations.ITT.where [where] AGE is numeric in the data: compare it with a "
        "number, not '65'",
    ),
    (
        "where-names-a-missing-variable",
        "seed",
        [('flag = "ITTFL"', 'flag = "ITTFL"\nwhere = \'RANDFLX == "Y"\'')],
        "adsl.csv: RANDFLX [required] required variable is missing from the dataset",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_wrong_value_exits_2_naming_the_key(case, tmp_path, capsys):
    _, study, edits, expected = case
    path = mutate(tmp_path, study, edits)
    code = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err
    assert err.startswith("csrgen validate: ")
    assert expand(expected, study, path) in err


def test_corpus_is_large_enough():
    assert len(CASES) >= 30
    assert len({c[0] for c in CASES}) == len(CASES)


def test_every_problem_of_the_file_in_one_message(tmp_path, capsys):
    """Structure, types, meanings, cross references and several outputs' options together."""
    path = mutate(
        tmp_path,
        "pilot",
        [
            ('protocol = "H2Q-MC-LZZT"', 'protocol = "H2Q-MC-LZZT"\nsponsr = "typo"'),
            ('arm_var = "TRT01A"', 'arm_var = ""'),
            ("landmarks = [30, 60, 90, 120, 150, 180]", "landmarks = [nan]"),
            ('[safety]\npopulation = "SAF"', '[safety]\npopulation = "SAFETY"'),
            ('reason_var = "DCSREAS"', 'reason_var = ""'),
            ("by_severity = true\n", "by_severity = true\nfisher = true\n"),
            ('{ population = "EFF", indent = 1 }', '{ population = "EFF", indent = 1, x = 1 }'),
        ],
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    text = PILOT_STUDY.read_text()
    keys = [
        "study.sponsr",
        "populations.SAF.arm_var",
        "survival.endpoints[0].landmarks[0]",
        "safety.population",
        f"outputs[{_output_index(text, 'l_disc')}].options.phases[0].reason_var",
        f"outputs[{_output_index(text, 't_ae_sev')}].options: fisher",
        f"outputs[{_output_index(text, 't_disp')}].options.rows[5].x",
    ]
    lines = err.removeprefix("csrgen validate: ").splitlines()
    for key in keys:
        assert sum(line.startswith(f"{path}: {key}") for line in lines) == 1, key
    assert len(lines) == len(keys)


def test_report_stops_with_the_same_message(tmp_path, capsys):
    """``csrgen report`` checks the study file exactly as ``csrgen validate`` does."""
    path = mutate(
        tmp_path,
        "seed",
        [
            ('protocol = "UCMSC-DLC"', 'protocol = "UCMSC-DLC"\nsponsr = "typo"'),
            ('reason_var = "DCTREAS"', 'reason_var = ""'),
        ],
    )
    assert main(["validate", str(path)]) == 2
    validate = capsys.readouterr().err.removeprefix("csrgen validate: ")
    assert main(["report", str(path), "--out", str(tmp_path / "out")]) == 2
    report = capsys.readouterr().err.removeprefix("csrgen report: ")
    assert report == validate and len(validate.splitlines()) == 2
    assert not (tmp_path / "out").exists()
