"""BDS conventions as study-file settings, on tiny hand-checked frames (tests/outputs/
bds_fixtures.py): baseline from a flag at any visit, the analysis flag that the baseline record
need not carry, derived records, unscheduled visits (out of by-visit tables, in worst values),
the rule for several records per visit, the reference-range variables, PARCAT1, timepoints,
and the warnings that count what each rule left out."""

import pandas as pd
import pytest

from csrgen.ard import stat_lookup
from csrgen.cli import main
from csrgen.errors import ConfigError, DataValidationError
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import run_output
from csrgen.report import prepare_study
from tests.outputs.bds_fixtures import admiral_adlb, admiral_study, bds_frame
from tests.studies import tiny_adsl, write_tiny_study


def run(study, output_id):
    prep = prepare_study(study)
    spec = prep.config.output(output_id)
    ctx = OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock)
    return run_output(ctx)


def stat(ard, arm, visit, name="n", variable="AVAL", param="ALT"):
    return stat_lookup(
        ard, group_level=arm, variable=variable, param=param, timepoint=visit, stat_name=name
    )


# -- baseline flag, analysis flag, derived records, unscheduled visits ---------------------------
def test_baseline_from_the_flag_at_any_visit_though_the_analysis_flag_is_blank(tmp_path):
    ard = run(admiral_study(tmp_path), "t_lab").ard
    # Baseline = ABLFL records: T-01's sits at UNSCHEDULED 1.1 (10), T-03 30; Placebo 20, 25.
    assert stat(ard, "Drug", "Baseline") == 2 and stat(ard, "Drug", "Baseline", "mean") == 20
    assert stat(ard, "Placebo", "Baseline") == 2
    assert stat(ard, "Placebo", "Baseline", "mean") == 22.5
    # Week 2: the analysis records only (T-02's retest of 50 has ANL01FL blank)
    assert stat(ard, "Placebo", "Week 2", "max") == 27
    assert stat(ard, "Drug", "Week 2", "mean", "CHG") == 3.5  # 14 - 10, 33 - 30
    # Week 4: T-03's post-treatment record (ANL01FL blank) is left out
    assert stat(ard, "Drug", "Week 4") == 1 and stat(ard, "Drug", "Week 4", "mean") == 12
    visits = set(ard.loc[ard["param"] == "ALT", "timepoint"])
    assert visits == {"Baseline", "Week 2", "Week 4"}  # no unscheduled or derived visit


def test_baseline_visit_rule_without_the_flag_would_differ(tmp_path):
    """The named-visit rule takes the records at "Baseline": T-01's unflagged one (11)."""
    study = admiral_study(tmp_path, labs_extra="")
    text = study.read_text().replace('baseline_flag = "ABLFL"\n', "")
    study.write_text(text)
    ard = run(_relock(study), "t_lab").ard
    assert stat(ard, "Drug", "Baseline") == 2 and stat(ard, "Drug", "Baseline", "mean") == 20.5


def test_warnings_count_what_each_rule_left_out(tmp_path, capsys):
    study = admiral_study(tmp_path)
    assert main(["validate", str(study)]) == 0
    err = capsys.readouterr().err
    prefix = "csrgen validate: warning: adlb.csv ([bds.labs]): "
    lines = [line.removeprefix(prefix) for line in err.splitlines() if line.startswith(prefix)]
    # ALT and HGB hold the same records: every count is twice ALT's
    assert lines == [
        "2 derived records (DTYPE LOV: 2) left out; keep some with bds.labs.keep_dtypes",
        "baseline taken from ABLFL = 'Y' at any visit: 2 baseline records of 1 subjects sit at "
        "another visit than 'Baseline' (UNSCHEDULED 1.1: 2)",
        "8 baseline records have ANL01FL blank: taken as baseline all the same (baseline rule: "
        "the record with ABLFL = 'Y', at any visit)",
        "2 records at AVISIT 'Baseline' without ABLFL = 'Y' left out (not the baseline record)",
        "4 non-baseline records with ANL01FL blank left out",
        "2 non-baseline records at unscheduled visits or without an analysis visit not shown by "
        "visit (kept for worst post-baseline values) (UNSCHEDULED 2.1: 2)",
    ]
    out = tmp_path / "out"
    assert main(["report", str(study), "--out", str(out)]) == 0
    assert capsys.readouterr().err.count("csrgen report: warning: adlb.csv") == len(lines)


def test_derived_records_kept_by_their_dtype(tmp_path):
    study = admiral_study(tmp_path, labs_extra='keep_dtypes = ["LOV"]')
    ard = run(study, "t_lab").ard
    # T-04's LOV record (99, visit POST-BASELINE LAST with AVISITN 9999) becomes a visit
    assert stat(ard, "Placebo", "POST-BASELINE LAST") == 1
    assert stat(ard, "Placebo", "POST-BASELINE LAST", "mean") == 99


def test_unscheduled_out_of_by_visit_tables_but_in_worst_post_baseline(tmp_path):
    ard = run(admiral_study(tmp_path), "t_shift").ard

    def shift(arm, level):
        return stat_lookup(
            ard, group_level=arm, variable="SHIFT", variable_level=level, param="ALT", stat_name="n"
        )

    # T-01's only high value (40 > ANRHI 35) is at UNSCHEDULED 2.1: worst HIGH
    assert shift("Drug", "NORMAL/HIGH") == 1 and shift("Drug", "NORMAL/NORMAL") == 1
    # T-02's retest (50) has ANL01FL blank, T-04's 99 is derived: both stay normal
    assert shift("Placebo", "NORMAL/NORMAL") == 2 and shift("Placebo", "NORMAL/HIGH") == 0


# -- reference ranges ------------------------------------------------------------------------------
def test_a1lo_a1hi_instead_of_anrlo_anrhi(tmp_path):
    labs = 'low_var = "A1LO"\nhigh_var = "A1HI"'
    study = admiral_study(tmp_path, labs_extra="")
    text = study.read_text().replace('low_var = "ANRLO"\nhigh_var = "ANRHI"', labs)
    study.write_text(text)
    ard = run(_relock(study), "t_shift").ard
    # under A1LO/A1HI (5-50) T-01's 40 is normal
    got = stat_lookup(
        ard,
        group_level="Drug",
        variable="SHIFT",
        variable_level="NORMAL/NORMAL",
        param="ALT",
        stat_name="n",
    )
    assert got == 2


def test_range_variables_required_only_by_the_options_that_use_them(tmp_path):
    """No A1LO/A1HI or ANRLO/ANRHI in the data: the indicator category and the listing work
    (the listing has no range column); category = "range" is a study-file error."""
    adlb = admiral_adlb().drop(columns=["ANRLO", "ANRHI", "A1LO", "A1HI"])
    study = admiral_study(tmp_path, adlb=adlb, category="indicator")
    study.write_text(study.read_text().replace('low_var = "ANRLO"\nhigh_var = "ANRHI"\n', ""))
    listing = run(_relock(study), "l_abn").blocks[0]
    assert [c.label for c in listing.columns if "range" in c.label.lower()] == []
    # ANRIND: T-01's 40, T-02's 50 (analysis flag not required in a listing), T-03's 60,
    # for ALT and HGB; T-04's derived 99 is left out
    assert listing.total_rows == 6
    study.write_text(study.read_text().replace('category = "indicator"', 'category = "range"', 1))
    with pytest.raises(ConfigError, match=r"options.category: 'range' needs .*low_var"):
        prepare_study(study)


def test_listing_range_column_and_block_labels(tmp_path):
    study = admiral_study(tmp_path, labs_extra='labels = { ALT = "ALT (U/L)" }')
    listing = run(study, "l_abn").blocks[0]
    labels = [c.label for c in listing.columns]
    assert "Reference\nrange" in labels
    texts = {
        c.label: t.texts().tolist()
        for c, t in zip(listing.columns, listing.text_columns(), strict=True)
    }
    assert "10 - 35" in texts["Reference\nrange"]
    assert "ALT (U/L)" in texts["Parameter"]  # the block's label, as every BDS output


# -- several records per visit -------------------------------------------------------------------
def _several(tmp_path, rule):
    """T-02 has four analysis records at Week 2: days 14, 15, 16, 17 with 21, 30, 15, 24."""
    rows = [r for r in _alt_rows() if not (r[0] == "T-02" and r[1] == "Week 2")]
    rows += [
        ("T-02", "Week 2", 2, d, v, 20, "", "Y", "")
        for d, v in zip((14, 15, 16, 17), (21, 30, 15, 24), strict=True)
    ]
    adlb = pd.concat(
        [bds_frame(rows, PARCAT1="CHEMISTRY"), bds_frame(rows, "HGB", "Hb", PARCAT1="HEMATOLOGY")]
    )
    extra = f'multiple = "{rule}"' if rule else ""
    return admiral_study(tmp_path, adlb=adlb.assign(ANRIND="NORMAL"), labs_extra=extra)


def _alt_rows():
    from tests.outputs.bds_fixtures import ALT

    return list(ALT)


@pytest.mark.parametrize(
    ("rule", "name", "expected"),
    [
        ("first", "min", 21),  # T-02's day 14 (21) beside T-04's 27
        ("last", "min", 24),  # day 17
        ("highest", "max", 30),
        ("lowest", "min", 15),
        ("mean", "min", 22.5),  # (21 + 30 + 15 + 24) / 4
    ],
)
def test_several_records_per_visit_rule(tmp_path, rule, name, expected):
    ard = run(_several(tmp_path, rule), "t_lab").ard
    assert stat(ard, "Placebo", "Week 2") == 2
    assert stat(ard, "Placebo", "Week 2", name) == expected


def test_several_records_rule_warns(tmp_path, capsys):
    assert main(["validate", str(_several(tmp_path, "last"))]) == 0
    err = capsys.readouterr().err
    assert (
        "8 records share a subject, parameter and visit: 6 left out, each group represented "
        "by the last by ADT (bds.labs.multiple = 'last')" in err
    )


# -- check hooks: validate = report ---------------------------------------------------------------
def test_several_records_without_a_rule_stop_validate(tmp_path, capsys):
    study = _several(tmp_path, "")
    assert main(["validate", str(study)]) == 2
    err = capsys.readouterr().err
    assert "adlb.csv: AVISIT [one-per-visit] more than one record per subject" in err
    assert "bds.labs.multiple" in err and "(8 rows)" in err
    assert "e.g. USUBJID=T-02, PARAMCD='ALT', AVISIT='Week 2'" in err
    assert "Traceback" not in err


def test_two_baselines_stop_validate(tmp_path, capsys):
    adlb = admiral_adlb()
    adlb.loc[(adlb.USUBJID == "T-02") & (adlb.AVISIT == "Week 4"), "ABLFL"] = "Y"
    assert main(["validate", str(admiral_study(tmp_path, adlb=adlb))]) == 2
    err = capsys.readouterr().err
    assert "adlb.csv: ABLFL [one-baseline] more than one baseline record" in err
    assert "USUBJID=T-02, PARAMCD='ALT'" in err


def test_arm_values_and_parcat_stop_validate(tmp_path, capsys):
    """An arm variable only the block uses (no population's: dataset validation would stop
    first) and a category no parameter has: both reported by the check hooks, at once."""
    adsl = tiny_adsl().assign(TRTGRP=lambda d: d["TRT01P"])
    adsl.loc[0, "TRTGRP"] = "Drugg"
    frames = {"adsl": adsl, "adlb": admiral_adlb()}
    from tests.outputs.bds_fixtures import ADMIRAL_LABS

    text = ADMIRAL_LABS.format(labs_extra='arm_var = "TRTGRP"', category="range", extra="")
    study = write_tiny_study(tmp_path, frames, extra=text.replace('"HEMATOLOGY"', '"HAEM"'))
    assert main(["validate", str(study)]) == 2
    err = capsys.readouterr().err
    assert "2 data problems found" in err
    assert "adsl.csv: TRTGRP [arm] values ['Drugg'] (bds.labs.arm_var)" in err
    assert "adlb.csv: PARCAT1 [parcat] no parameter of bds.labs has PARCAT1 = 'HAEM'" in err
    with pytest.raises(DataValidationError):
        prepare_study(study)  # what report runs first: it stops on the same problems


# -- the study file ------------------------------------------------------------------------------
def test_labs_and_bds_labs_are_synonyms_not_both(tmp_path):
    study = admiral_study(tmp_path, lock=False)
    text = study.read_text()
    study.write_text(text.replace("[bds.labs]", "[labs]", 1))
    assert prepare_study(study, draft=True).config.bds_blocks["labs"].baseline_flag == "ABLFL"
    study.write_text(text + '\n[labs]\npopulation = "SAF"\n')
    with pytest.raises(ConfigError, match=r"give \[labs\] or \[bds.labs\], not both"):
        prepare_study(study, draft=True)


def test_unknown_block_and_dataset_are_study_file_errors(tmp_path):
    study = admiral_study(tmp_path, lock=False)
    text = study.read_text()
    study.write_text(text.replace('parcat = "CHEMISTRY"', 'bds = "vitals"'))
    with pytest.raises(ConfigError, match=r"outputs\[1\].options.bds: 'vitals' is not a BDS block"):
        prepare_study(study, draft=True)
    study.write_text(text.replace('dataset = "adlb"', 'dataset = "advs"'))
    with pytest.raises(ConfigError, match=r"bds.labs.dataset: 'advs' is not a dataset"):
        prepare_study(study, draft=True)


# -- parameter categories and timepoints ----------------------------------------------------------
def test_parcat_splits_one_dataset(tmp_path):
    study = admiral_study(tmp_path)
    chem, hem = run(study, "t_lab"), run(study, "t_hem")
    assert [b.title for b in chem.blocks] == ["Chemistry: Alanine Aminotransferase (U/L)"]
    assert [b.title for b in hem.blocks] == ["Haematology: Hemoglobin (g/dL)"]
    assert set(chem.ard["param"]) - {""} == {"ALT"} and set(hem.ard["param"]) - {""} == {"HGB"}
    assert stat(hem.ard, "Drug", "Week 2", "mean", param="HGB") == 23.5 / 2


VITALS = """
[bds.vitals]
dataset = "advs"
population = "SAF"
baseline_flag = "ABLFL"
timepoint_var = "ATPT"
timepoint_labels = {{ SUPINE = "supine" }}

[[outputs]]
id = "t_vs"
module = "t_bds_summary"
number = "Table 14.3.6.1"
title = "Vital signs"
population = "SAF"

[outputs.options]
bds = "vitals"
{extra}
"""


def vitals_frame() -> pd.DataFrame:
    """T-01 (Drug) and T-02 (Placebo): systolic BP supine and standing, weight once."""
    rows = []
    for param, tp, tpn, (b1, v1, b2, v2) in [
        ("SYSBP", "SUPINE", 1, (120, 130, 110, 100)),
        ("SYSBP", "STANDING", 2, (125, 140, 115, 118)),
        ("WEIGHT", "", "", (70, 71, 80, 78)),
    ]:
        for subject, base, post in (("T-01", b1, v1), ("T-02", b2, v2)):
            rows.append((subject, param, tp, tpn, "Baseline", 0, base, base, "", "Y"))
            rows.append((subject, param, tp, tpn, "Week 2", 2, post, base, post - base, ""))
    columns = ["USUBJID", "PARAMCD", "ATPT", "ATPTN", "AVISIT", "AVISITN", "AVAL", "BASE"]
    frame = pd.DataFrame(rows, columns=[*columns, "CHG", "ABLFL"])
    names = {"SYSBP": "Systolic BP (mmHg)", "WEIGHT": "Weight (kg)"}
    return frame.assign(
        PARAM=frame["PARAMCD"].map(names), PARAMN=frame["PARAMCD"].map({"SYSBP": 1, "WEIGHT": 2})
    )


def test_timepoints_make_their_own_blocks(tmp_path):
    frames = {"adsl": tiny_adsl(), "advs": vitals_frame()}
    study = write_tiny_study(tmp_path, frames, extra=VITALS.format(extra=""))
    result = run(study, "t_vs")
    assert [b.title for b in result.blocks] == [
        "Vital signs: Systolic BP (mmHg), supine",
        "Vital signs: Systolic BP (mmHg), STANDING",
        "Vital signs: Weight (kg)",
    ]
    assert [b.id for b in result.blocks] == [
        "t_vs_sysbp_supine",
        "t_vs_sysbp_standing",
        "t_vs_weight",
    ]
    ard = result.ard
    # the visit key carries the timepoint: each position has its own baseline and change
    assert stat(ard, "Drug", "Week 2 / STANDING", "mean", "CHG", "SYSBP") == 15
    assert stat(ard, "Placebo", "Week 2 / SUPINE", "mean", "CHG", "SYSBP") == -10
    assert stat(ard, "Placebo", "Baseline / STANDING", "mean", param="SYSBP") == 115
    assert stat(ard, "Drug", "Week 2", "mean", param="WEIGHT") == 71
    visits = [r.cells[0].text for r in result.blocks[1].rows if r.kind == "group"]
    assert visits == ["Baseline", "Week 2"]  # the row names are the visits


def _relock(study):
    from csrgen.config import load_study
    from csrgen.lock import write_lock

    config = load_study(study)
    write_lock(config, config.data_dir(), lock_date="2024-01-31", lock_id="TINY-LOCK-1")
    return study


def test_options_moved_to_the_block_say_where(tmp_path):
    study = admiral_study(tmp_path, lock=False)
    text = study.read_text().replace('category = "range"', 'category = "range"\nlow_var = "A1LO"')
    study.write_text(text)
    with pytest.raises(
        ConfigError, match=r"low_var: set in the BDS block .* \(low_var -> low_var\)"
    ):
        prepare_study(study, draft=True)
