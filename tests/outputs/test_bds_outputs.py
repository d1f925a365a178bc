"""The lab outputs (t_lab_summary, t_lab_ancova, f_lab_mean) on a tiny study checked by hand,
on the CDISC pilot against an independent pandas/statsmodels computation, in the DOCX and HTML,
and with bad input."""

import io
import math
import re
import zipfile
from functools import cache

import docx
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from csrgen import formatting as fmt
from csrgen.ard import stat_lookup
from csrgen.cli import main
from csrgen.document.model import Figure, Table
from csrgen.errors import ConfigError, DataValidationError
from csrgen.figures import drawn
from csrgen.outputs import bds_records
from csrgen.outputs.base import OutputContext
from csrgen.outputs.bds_records import prepare_block
from csrgen.outputs.catalog import run_output
from csrgen.report import prepare_study
from tests.studies import PILOT_DATA, PILOT_STUDY, tiny_adsl, write_tiny_study

LABS_TOML = """
[labs]
population = "ITT"
params = ["ALB", "TBIL"]
decimals = {{ ALB = 0 }}
{labs_extra}

[[outputs]]
id = "t_lab_summary"
number = "Table 14.2.4"
title = "Laboratory Values by Visit"
population = "ITT"
footnotes = ["A study footnote."]

[[outputs]]
id = "t_lab_ancova"
number = "Table 14.2.5"
title = "Analysis of Change from Baseline"
population = "ITT"

[[outputs]]
id = "f_lab_mean"
number = "Figure 14.2.4"
title = "Mean Change from Baseline"
population = "ITT"
"""

# (USUBJID, AVISIT, AVAL, BASE). Placebo = T-02, T-04, T-06, T-08; Drug = T-01, T-03, T-05, T-07.
# Week 4 changes: Placebo 2, 1, 3, 0; Drug 4, 5, 6. Week 8: one subject per arm. Week 12:
# Placebo only. T-02 also has an unscheduled record (no AVISITN), which is not summarised.
ALB = [
    ("T-02", "Baseline", 30, 30),
    ("T-02", "Week 4", 32, 30),
    ("T-02", "Week 8", 33, 30),
    ("T-02", "Week 12", 34, 30),
    ("T-02", "Unscheduled", 99, 30),
    ("T-04", "Baseline", 34, 34),
    ("T-04", "Week 4", 35, 34),
    ("T-04", "Week 12", 37, 34),
    ("T-06", "Baseline", 28, 28),
    ("T-06", "Week 4", 31, 28),
    ("T-08", "Baseline", 36, 36),
    ("T-08", "Week 4", 36, 36),
    ("T-01", "Baseline", 29, 29),
    ("T-01", "Week 4", 33, 29),
    ("T-01", "Week 8", 34, 29),
    ("T-03", "Baseline", 31, 31),
    ("T-03", "Week 4", 36, 31),
    ("T-05", "Baseline", 35, 35),
    ("T-05", "Week 4", 41, 35),
    ("T-07", "Baseline", 33, 33),
]
VISITN = {"Baseline": 0, "Week 4": 4, "Week 8": 8, "Week 12": 12, "Unscheduled": ""}


def tiny_adlb(rows=ALB) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["USUBJID", "AVISIT", "AVAL", "BASE"])
    frame["CHG"] = (frame["AVAL"] - frame["BASE"]).where(frame["AVISIT"] != "Baseline")
    return frame.assign(
        PARAMCD="ALB",
        PARAM="Albumin (g/L)",
        PARAMN=1,
        AVISITN=frame["AVISIT"].map(VISITN),
    )


def tiny_lab_study(folder, adlb=None, labs_extra="", lock=True):
    frames = {"adsl": tiny_adsl(), "adlb": tiny_adlb() if adlb is None else adlb}
    extra = LABS_TOML.format(labs_extra=labs_extra)
    return write_tiny_study(folder, frames, extra=extra, lock=lock)


def run_module_prepare(ctx):
    from csrgen.outputs.catalog import get_module

    return get_module(ctx.spec.slug).prepare(ctx)


def run(study, output_id):
    prep = prepare_study(study)
    spec = prep.config.output(output_id)
    ctx = OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock)
    return drawn(run_output(ctx))  # figures drawn now (a run draws them all at once)


@pytest.fixture
def study(tmp_path):
    return tiny_lab_study(tmp_path)


def column(table: Table, header_index: int) -> dict[str, list[str]]:
    """{visit: the column's statistics, one per row} from a table of visit blocks."""
    out, visit = {}, None
    for row in table.rows:
        if row.kind == "group":
            visit = row.cells[0].text
            out[visit] = []
        else:
            assert "\n" not in row.cells[header_index].text  # one statistic per row
            out[visit].append(row.cells[header_index].text)
    return out


def stub(table: Table) -> list[str]:
    """The row labels under the first visit."""
    return column(table, 0)[next(r.cells[0].text for r in table.rows if r.kind == "group")]


# -- t_lab_summary ------------------------------------------------------------------------------
def test_summary_blocks_by_hand(study):
    result = run(study, "t_lab_summary")
    alb, tbil = result.blocks
    assert (alb.number, tbil.number) == ("Table 14.2.4.1", "Table 14.2.4.2")
    assert alb.title == "Laboratory Values by Visit: Albumin (g/L)"
    assert alb.population == "Population: Intent-to-treat population (N=8)"
    labels = [c.label for c in alb.columns]
    assert labels == ["Albumin (g/L)"] + ["Placebo\n(N=4)", "Drug\n(N=4)"] * 2
    assert [(s.label, s.first, s.last) for s in alb.spanners] == [
        ("Value", 1, 2),
        ("Change from baseline", 3, 4),
    ]
    assert not alb.landscape  # two arms fit a portrait page
    # visits in AVISITN order; the unscheduled record (no AVISITN) is left out
    assert [r.cells[0].text for r in alb.rows if r.kind == "group"] == [
        "Baseline",
        "Week 4",
        "Week 8",
        "Week 12",
    ]
    assert stub(alb) == ["n", "Mean (SD)", "Median", "Q1, Q3", "Min, Max"]
    placebo_chg, drug_chg = column(alb, 3), column(alb, 4)
    # Placebo week 4: 2, 1, 3, 0 -> SD sqrt(5/3) = 1.29; SAS Q1 = (0+1)/2, Q3 = (2+3)/2
    assert placebo_chg["Week 4"] == ["4", "1.5 (1.29)", "1.5", "0.5, 2.5", "0, 3"]
    # Drug week 4: 4, 5, 6; n*p = 0.75 and 2.25 -> x(1), x(3)
    assert drug_chg["Week 4"] == ["3", "5.0 (1.00)", "5.0", "4.0, 6.0", "4, 6"]
    assert drug_chg["Week 8"] == ["1", "5.0 (NE)", "5.0", "5.0, 5.0", "5, 5"]
    assert drug_chg["Week 12"] == ["0", "NE", "NE", "NE", "NE"]
    assert placebo_chg["Baseline"] == [""] * 5  # no change at baseline
    # Drug baseline values 29, 31, 35, 33
    assert column(alb, 2)["Baseline"] == ["4", "32.0 (2.58)", "32.0", "30.0, 34.0", "29, 35"]
    assert "A study footnote." in alb.footnotes
    assert any(n.startswith("NE = not estimable") for n in alb.footnotes)
    assert any("SAS definition 5" in n for n in alb.footnotes)
    # a listed parameter without data: its own null block, the parameter in the title
    assert tbil.null_reason == "No data to report" and tbil.title.endswith(": TBIL")


def test_every_printed_number_is_in_the_ard(study):
    result = run(study, "t_lab_summary")
    ard = result.ard
    mean = stat_lookup(
        ard,
        group_level="Placebo",
        variable="CHG",
        param="ALB",
        timepoint="Week 4",
        stat_name="mean",
    )
    assert fmt.fmt_num(mean, 1) == "1.5"
    assert set(ard["output_id"]) == {"t_lab_summary"}
    assert set(ard.loc[ard["stat_name"] == "N", "stat"]) == {4.0}


def test_landscape_with_more_columns(tmp_path):
    study = tiny_lab_study(tmp_path)
    text = study.read_text().replace(
        'id = "t_lab_summary"', 'id = "t_lab_summary"\noptions = { landscape = true }'
    )
    study.write_text(text)
    from csrgen.config import load_study
    from csrgen.lock import write_lock

    config = load_study(study)
    write_lock(config, config.data_dir(), lock_date="2024-01-31", lock_id="TINY-LOCK-1")
    assert run(study, "t_lab_summary").blocks[0].landscape


# -- t_lab_ancova -------------------------------------------------------------------------------
def test_ancova_block(study):
    result = run(study, "t_lab_ancova")
    alb, tbil = result.blocks
    assert alb.number == "Table 14.2.5.1" and tbil.null_reason == "No data to report"
    assert [c.label for c in alb.columns] == ["Albumin (g/L)", "Placebo\n(N=4)", "Drug\n(N=4)"]
    ard = result.ard

    def s(arm, name, level="ANCOVA", visit="Week 4"):
        return stat_lookup(
            ard,
            group_level=arm,
            variable="CHG",
            variable_level=level,
            param="ALB",
            timepoint=visit,
            stat_name=name,
        )

    assert stub(alb) == [
        "n",
        "LS mean (SE)",
        "Difference vs Placebo (95% CI)",
        "p-value (ANCOVA)",
        "p-value (Wilcoxon)",
    ]
    placebo, drug = column(alb, 1), column(alb, 2)
    assert placebo["Week 4"][2:] == ["", "", ""]  # the reference has no comparison
    assert drug["Week 4"] == [
        "3",
        f"{fmt.fmt_num(s('Drug', 'lsmean'), 1)} ({fmt.fmt_num(s('Drug', 'lsmean_se'), 2)})",
        fmt.fmt_est_ci(s("Drug", "diff"), s("Drug", "diff_lcl"), s("Drug", "diff_ucl"), 1),
        fmt.fmt_pvalue(s("Drug", "p_value")),
        fmt.fmt_pvalue(s("Drug", "p_value", "WILCOXON")),
    ]
    # Wilcoxon by hand: Drug 4, 5, 6 beat all of Placebo 2, 1, 3, 0: U = 12, mu = 6,
    # sigma = sqrt(3 * 4 * 8 / 12), continuity-corrected z = 5.5 / sigma -> p = 0.0518
    z = (12 - 6 - 0.5) / math.sqrt(3 * 4 * 8 / 12)
    assert drug["Week 4"][4] == fmt.fmt_pvalue(2 * stats.norm.sf(z)) == "0.052"
    # week 8: 2 subjects for 3 coefficients; week 12: no Drug subject
    assert drug["Week 8"][:4] == ["1", "NE", "NE", "NE"]
    assert drug["Week 12"] == ["0", "NE", "NE", "NE", "NE"]
    assert any(n.startswith("NE = not estimable") for n in alb.footnotes)
    assert any("analysis of covariance" in n for n in alb.footnotes)
    assert any("Wilcoxon rank-sum" in n for n in alb.footnotes)
    assert "Baseline" not in [r.cells[0].text for r in alb.rows if r.kind == "group"]


# -- f_lab_mean ---------------------------------------------------------------------------------
def test_figure_blocks_are_deterministic(study):
    first = run(study, "f_lab_mean")
    again = run(study, "f_lab_mean")
    alb, tbil = first.blocks
    assert isinstance(alb, Figure) and alb.number == "Figure 14.2.4.1"
    assert alb.title.endswith(": Albumin (g/L)") and "Albumin (g/L)" in alb.alt
    assert alb.svg.startswith("<svg") and alb.png.startswith(b"\x89PNG")
    # no ids at all: two figures inlined in one page cannot share one
    assert re.search(r"\bid=", alb.svg) is None
    assert (alb.svg, alb.png) == (again.blocks[0].svg, again.blocks[0].png)
    assert tbil.null_reason == "No data to report"
    mean = stat_lookup(
        first.ard,
        group_level="Drug",
        variable="CHG",
        param="ALB",
        timepoint="Week 4",
        stat_name="mean",
    )
    assert mean == 5.0


# -- in the documents ---------------------------------------------------------------------------
def test_docx_and_html(study, tmp_path):
    out = tmp_path / "out"
    assert main(["report", str(study), "--out", str(out)]) == 0
    tables = docx.Document(str(out / "csr.docx")).tables
    table = next(t for t in tables if "Albumin (g/L)" in t.rows[1].cells[0].text)
    header = [c.text for c in table.rows[0].cells]
    assert header[1] == "Value" and header[-1] == "Change from baseline"
    body = [[c.text for c in row.cells] for row in table.rows[2:]]
    start = body.index(["Week 4", "", "", "", ""]) + 1
    assert [row[3] for row in body[start : start + 5]] == [
        "4",
        "1.5 (1.29)",
        "1.5",
        "0.5, 2.5",
        "0, 3",
    ]
    assert [row[0] for row in body[start : start + 5]] == [
        "n",
        "Mean (SD)",
        "Median",
        "Q1, Q3",
        "Min, Max",
    ]
    html = (out / "csr.html").read_text()
    for anchor in ("t_lab_summary_alb", "t_lab_ancova_alb", "f_lab_mean_alb", "t_lab_summary_tbil"):
        assert f'id="{anchor}"' in html
    assert "Table 14.2.4.1</span> Laboratory Values by Visit: Albumin (g/L)" in html
    assert '<th scope="row" class="a-left indent-1">Mean (SD)</th>' in html
    ard = pd.read_csv(out / "ard.csv", keep_default_na=False)
    assert {"t_lab_summary", "t_lab_ancova", "f_lab_mean"} <= set(ard["output_id"])


# -- shared preparation ---------------------------------------------------------------------
def test_lab_outputs_share_one_preparation(tmp_path):
    """The lab outputs of one study reuse one prepared LabData; another study's data (even in
    the same process, right after) is prepared afresh, never served from the first."""
    prep = prepare_study(tiny_lab_study(tmp_path / "a"))

    def ctx(prep, output_id):
        spec = prep.config.output(output_id)
        return OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock)

    def prepared(prep, output_id):
        return run_module_prepare(ctx(prep, output_id)).data

    first = prepared(prep, "t_lab_summary")
    # made by the check hooks in prepare_study, before any output runs (or forks a worker)
    assert bds_records._MEMO[("labs", "ITT")] is first
    assert prepared(prep, "t_lab_ancova") is first
    assert prepared(prep, "f_lab_mean") is first
    assert first is prepare_block(prep.config, prep.data, "labs", "ITT")
    fewer = tiny_adlb([r for r in ALB if r[0] != "T-05"])
    other = prepare_study(tiny_lab_study(tmp_path / "b", adlb=fewer))
    second = prepared(other, "t_lab_summary")
    assert second is not first
    assert len(second.records) == len(first.records) - 2
    assert prepared(prep, "t_lab_summary") is not second


# -- bad input ----------------------------------------------------------------------------------
def test_two_records_at_a_visit_is_a_clear_error(tmp_path):
    adlb = tiny_adlb(ALB + [("T-04", "Week 4", 40, 34)])
    study = tiny_lab_study(tmp_path, adlb=adlb)
    with pytest.raises(DataValidationError) as err:
        prepare_study(study)  # what validate and report both run, before any statistic
    text = str(err.value)
    assert "adlb.csv: AVISIT [one-per-visit]" in text and "record_flag" in text
    assert "labs.multiple" in text
    assert "USUBJID=T-04, PARAMCD='ALB', AVISIT='Week 4'" in text


def test_record_flag_selects_one(tmp_path):
    adlb = tiny_adlb(ALB + [("T-04", "Week 4", 40, 34)])
    adlb["ANL01FL"] = ["Y"] * len(ALB) + [""]
    study = tiny_lab_study(tmp_path, adlb=adlb, labs_extra='record_flag = "ANL01FL"')
    alb = run(study, "t_lab_summary").blocks[0]
    assert column(alb, 3)["Week 4"][0] == "4"
    assert any("ANL01FL = 'Y'" in n for n in alb.footnotes)


def test_study_without_labs_table(tmp_path):
    study = tiny_lab_study(tmp_path)
    text = study.read_text()
    start = text.index("[labs]")
    study.write_text(text[:start] + text[text.index("[[outputs]]", start) :])
    with pytest.raises(ConfigError, match=r"options.bds: 'labs' is not a BDS block"):
        prepare_study(study)


def test_parameters_from_the_data(tmp_path):
    """No parameter list: every PARAMCD but the excluded prefixes, in PARAMN order."""
    alb = tiny_adlb()
    derived = alb.assign(PARAMCD="_ALB", PARAM="Albumin change from previous visit", PARAMN=3)
    bili = alb.assign(PARAMCD="BILI", PARAM="Bilirubin (umol/L)", PARAMN=0)
    study = tiny_lab_study(tmp_path, adlb=pd.concat([alb, derived, bili]))
    text = study.read_text().replace('params = ["ALB", "TBIL"]', 'exclude_prefixes = ["_"]')
    study.write_text(text)
    from csrgen.config import load_study
    from csrgen.lock import write_lock

    config = load_study(study)
    write_lock(config, config.data_dir(), lock_date="2024-01-31", lock_id="TINY-LOCK-1")
    blocks = run(study, "t_lab_summary").blocks
    assert [b.title.split(": ")[1] for b in blocks] == ["Bilirubin (umol/L)", "Albumin (g/L)"]


# -- the CDISC pilot against an independent computation ------------------------------------------
@cache
def pilot_adlbc() -> pd.DataFrame:
    """ADLBC read with pandas' own XPORT reader (not csrgen's), AVISIT stripped."""
    with zipfile.ZipFile(PILOT_DATA / "adlbc.zip") as archive:
        data = archive.read("adlbc.xpt")
    frame = pd.read_sas(io.BytesIO(data), format="xport", encoding="latin-1")
    for col in ("USUBJID", "PARAMCD", "AVISIT", "TRTP"):
        frame[col] = frame[col].str.strip()
    return frame


@cache
def pilot_result(output_id):
    return run(PILOT_STUDY, output_id)


@pytest.mark.parametrize(
    ("param", "visit", "arm", "variable"),
    [
        ("ALB", "Week 24", "Placebo", "CHG"),
        ("BILI", "End of Treatment", "Xanomeline High Dose", "AVAL"),
        ("SODIUM", "Baseline", "Xanomeline Low Dose", "AVAL"),
        ("CK", "Week 2", "Xanomeline Low Dose", "CHG"),
    ],
)
def test_pilot_summary_against_pandas(param, visit, arm, variable):
    adlbc = pilot_adlbc()
    values = adlbc.loc[
        (adlbc["PARAMCD"] == param) & (adlbc["AVISIT"] == visit) & (adlbc["TRTP"] == arm),
        variable,
    ].dropna()
    ard = pilot_result("t_lab_summary").ard

    def s(name):
        return stat_lookup(
            ard, group_level=arm, variable=variable, param=param, timepoint=visit, stat_name=name
        )

    assert s("n") == len(values) > 0
    assert s("mean") == pytest.approx(values.mean(), rel=1e-12)
    assert s("sd") == pytest.approx(values.std(), rel=1e-12)
    assert s("median") == pytest.approx(values.median(), rel=1e-12)
    assert (s("min"), s("max")) == (values.min(), values.max())
    # SAS definition 5 = R quantile type 2 = numpy "averaged_inverted_cdf"
    assert s("q1") == pytest.approx(np.quantile(values, 0.25, method="averaged_inverted_cdf"))


def test_pilot_visits_and_parameters():
    blocks = pilot_result("t_lab_summary").blocks
    assert len(blocks) == 18 and all(b.landscape for b in blocks)  # 3 arms: landscape
    assert not any(b.title.split(": ")[1].startswith("_") for b in blocks)
    visits = [r.cells[0].text for r in blocks[0].rows if r.kind == "group"]
    assert visits[0] == "Baseline" and visits[-1] == "End of Treatment" and len(visits) == 11


def test_pilot_ancova_against_statsmodels():
    import statsmodels.formula.api as smf

    adlbc = pilot_adlbc()
    data = adlbc.loc[
        (adlbc["PARAMCD"] == "ALB") & (adlbc["AVISIT"] == "Week 24"), ["TRTP", "BASE", "CHG"]
    ].dropna()
    fit = smf.ols("CHG ~ C(TRTP, Treatment('Placebo')) + BASE", data=data).fit()
    ard = pilot_result("t_lab_ancova").ard
    for arm in ("Xanomeline Low Dose", "Xanomeline High Dose"):
        term = f"C(TRTP, Treatment('Placebo'))[T.{arm}]"
        for name, expected in (("diff", fit.params[term]), ("p_value", fit.pvalues[term])):
            got = stat_lookup(
                ard,
                group_level=arm,
                variable="CHG",
                variable_level="ANCOVA",
                param="ALB",
                timepoint="Week 24",
                stat_name=name,
            )
            assert got == pytest.approx(expected, rel=1e-9)
    assert not math.isnan(
        stat_lookup(
            ard,
            group_level="Placebo",
            variable="CHG",
            variable_level="ANCOVA",
            param="ALB",
            timepoint="End of Treatment",
            stat_name="lsmean",
        )
    )
