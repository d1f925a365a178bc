"""The time-to-event outputs (t_tte, f_km, t_cif, f_cif) on a tiny study checked by hand."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from docx import Document as DocxDocument

from csrgen import formatting as fmt
from csrgen.ard import stat_lookup
from csrgen.document.model import Figure, Table
from csrgen.errors import ConfigError, DataValidationError
from csrgen.figures import drawn
from csrgen.outputs.base import OutputContext
from csrgen.outputs.catalog import run_output
from csrgen.report import prepare_study, run_report
from tests.studies import tiny_adsl, write_tiny_study

#: Placebo (reference): T-02, T-04, T-06, T-08; Drug: T-01, T-03, T-05, T-07.
OS = {  # USUBJID: (AVAL, CNSR, EVNTDESC)
    "T-01": (5.0, 1, "ALIVE"),
    "T-02": (1.0, 0, "DEATH"),
    "T-03": (7.0, 1, "ALIVE"),
    "T-04": (3.0, 0, "DEATH"),
    "T-05": (2.5, 1, "LOST"),
    "T-06": (4.0, 1, "ALIVE"),
    "T-07": (6.0, 1, "ALIVE"),
    "T-08": (2.0, 0, "DEATH"),
}
HCC = {
    "T-01": (5.0, 0, "HCC"),
    "T-02": (1.0, 1, "DEATH WITHOUT HCC"),
    "T-03": (2.0, 0, "HCC"),
    "T-04": (3.0, 1, "DEATH WITHOUT HCC"),
    "T-05": (2.5, 1, "LOST"),
    "T-06": (1.5, 0, "HCC"),
    "T-07": (6.0, 1, "ALIVE"),
    "T-08": (2.0, 1, "DEATH WITHOUT HCC"),
}

SURVIVAL = """
[survival]
population = "ITT"
time_unit = "months"
covariates = ["AGE"]
strata = ["SEX"]

[[survival.endpoints]]
paramcd = "OS"
label = "Overall survival"
event_label = "death"
curve_label = "Survival probability"
landmarks = [2, 4]
risk_ticks = [0, 2, 4, 6, 8]
windows = [[0, 3], [3, 8]]

[[survival.endpoints]]
paramcd = "HCC"
label = "Time to HCC"
event_label = "HCC"
landmarks = [2, 4]
risk_ticks = [0, 2, 4, 6, 8]
competing_variable = "EVNTDESC"
competing_values = ["DEATH WITHOUT HCC"]
competing_label = "death without HCC"

[[survival.endpoints]]
paramcd = "NONE"
label = "A parameter without records"

{outputs}
"""

OUTPUTS = [
    ("t_os", "t_tte", "Table 14.2.1", "OS"),
    ("f_km_os", "f_km", "Figure 14.2.1", "OS"),
    ("t_hcc_cif", "t_cif", "Table 14.2.2", "HCC"),
    ("f_cif_hcc", "f_cif", "Figure 14.2.2", "HCC"),
    ("t_none", "t_tte", "Table 14.2.3", "NONE"),
    ("f_none", "f_km", "Figure 14.2.3", "NONE"),
]


def outputs_toml(outputs=OUTPUTS, population="ITT") -> str:
    return "\n".join(
        f'[[outputs]]\nid = "{i}"\nmodule = "{m}"\nnumber = "{n}"\ntitle = "{i}"\n'
        f'population = "{population}"\n[outputs.options]\nparamcd = "{p}"\n'
        for i, m, n, p in outputs
    )


def adtte(os=OS, hcc=HCC) -> pd.DataFrame:
    rows = [
        dict(STUDYID="TINY", USUBJID=s, PARAMCD=p, AVAL=a, CNSR=c, EVNTDESC=d)
        for p, table in (("OS", os), ("HCC", hcc))
        for s, (a, c, d) in table.items()
    ]
    return pd.DataFrame(rows)


def study(tmp_path, frame=None, outputs=None, population="ITT"):
    frames = {"adsl": tiny_adsl(), "adtte": adtte() if frame is None else frame}
    extra = SURVIVAL.format(outputs=outputs_toml(outputs or OUTPUTS, population))
    return write_tiny_study(tmp_path, frames, extra=extra)


def run(path, output_id):
    prep = prepare_study(path)
    spec = prep.config.output(output_id)
    ctx = OutputContext(prep.config, spec, prep.options[spec.id], prep.data, prep.lock)
    return drawn(run_output(ctx))  # figures drawn now (a run draws them all at once)


def texts(table: Table) -> dict[str, list[str]]:
    """Stub label -> the cells of its row (first occurrence)."""
    out: dict[str, list[str]] = {}
    for row in table.rows:
        out.setdefault(row.cells[0].text, [c.text for c in row.cells[1:]])
    return out


def test_tte_table_by_hand(tmp_path):
    result = run(study(tmp_path), "t_os")
    (table,) = result.blocks
    assert [c.label for c in table.columns] == [
        "",
        "Placebo\n(N=4)",
        "Drug\n(N=4)",
        "Across arms",
    ]
    rows = texts(table)
    # Placebo: deaths at 1, 2, 3, censored at 4 -> 3 of 4 (75%); Drug: no deaths
    assert rows["Subjects with an event (death), n (%)"] == ["3 (75.0)", "0", ""]
    # Placebo KM: 3/4 from 1 to 2, exactly 1/2 from 2 to 3, 1/4 from 3: R's rule takes the
    # midpoint of a stretch at exactly the probability: median (2 + 3) / 2, 25th (1 + 2) / 2
    assert rows["Median (95% CI)"][0].startswith("2.5 (")
    assert rows["25th percentile (95% CI)"][0].startswith("1.5 (")
    assert rows["Median (95% CI)"][1] == "NE"  # Drug: no events, nothing estimable
    assert rows["2 months"][0].startswith("50.0 (")  # survival at 2 months, %
    assert rows["Unadjusted"] == ["", "NE", ""]  # no events in Drug: HR not estimable
    assert any(f.startswith("NE = not estimable") for f in table.footnotes)
    assert any("Efron" in f for f in table.footnotes)
    assert table.population == "Population: Intent-to-treat population (N=8)"


def test_every_printed_number_is_in_the_ard(tmp_path):
    result = run(study(tmp_path), "t_os")
    (table,) = result.blocks
    ard = result.ard
    p = stat_lookup(
        ard, group_level="Overall", variable="logrank", stat_name="p_value", timepoint=""
    )
    chi = stat_lookup(
        ard, group_level="Overall", variable="logrank", stat_name="statistic", timepoint=""
    )
    rows = table.rows
    logrank_at = next(i for i, r in enumerate(rows) if r.cells[0].text == "Log-rank test")
    assert rows[logrank_at + 1].cells[-1].text == fmt.fmt_stat_df(chi, 1)
    assert rows[logrank_at + 2].cells[-1].text == fmt.fmt_pvalue(p)
    # Placebo median from the ARD
    med = [
        stat_lookup(ard, group_level="Placebo", variable="", stat_name=n)
        for n in ("median_time", "median_lcl", "median_ucl")
    ]
    assert texts(table)["Median (95% CI)"][0] == fmt.fmt_est_ci(*med, 1)
    # table rows carry only landmark times, the figure's ticks stay in the figure's ARD
    assert set(ard.loc[ard["stat_name"] == "n_risk", "timepoint"]) == {"2", "4", "0-3", "3-8"}


def test_km_figure(tmp_path):
    path = study(tmp_path)
    first = run(path, "f_km_os")
    (fig,) = first.blocks
    assert isinstance(fig, Figure) and not fig.null_reason
    assert fig.svg.startswith("<svg") and fig.png.startswith(b"\x89PNG")
    assert "Number at risk" in fig.svg and "Placebo (N=4)" in fig.svg
    # numbers at risk at the ticks 0, 2, 4, 6, 8 from the ARD: Placebo 4, 3, 1, 0, 0
    ard = first.ard
    at_risk = [
        stat_lookup(ard, group_level="Placebo", stat_name="n_risk", timepoint=t)
        for t in ("0", "2", "4", "6", "8")
    ]
    assert at_risk == [4, 3, 1, 0, 0]
    assert "Log-rank p = " in fig.svg
    # identical bytes from run to run
    (again,) = run(path, "f_km_os").blocks
    assert again.svg == fig.svg and again.png == fig.png


def test_cumulative_incidence_table_and_figure(tmp_path):
    path = study(tmp_path)
    (table,) = run(path, "t_hcc_cif").blocks
    rows = texts(table)
    assert rows["Subjects with an event (HCC), n (%)"] == ["1 (25.0)", "2 (50.0)"]
    assert rows["Subjects with a competing event (death without HCC), n (%)"] == [
        "3 (75.0)",
        "0",
    ]
    # Placebo: HCC at 1.5 after the competing death at 1: F = S(1.5-) * 1/3 = 3/4 * 1/3
    assert rows["2 months"][0].startswith("25.0 (")
    (fig,) = run(path, "f_cif_hcc").blocks
    assert "Cumulative incidence of HCC" in fig.svg and "Cause-specific" in fig.svg


def test_parameter_without_records_gives_null_reports(tmp_path):
    path = study(tmp_path)
    for output_id in ("t_none", "f_none"):
        (block,) = run(path, output_id).blocks
        assert block.null_reason == "No data to report"


def test_report_embeds_the_figures(tmp_path):
    out = run_report(study(tmp_path), out=tmp_path / "out")
    html = (out / "csr.html").read_text(encoding="utf-8")
    figure = re.search(r'<figure class="output figure" id="f_km_os">(.*?)</figure>', html, re.S)
    assert figure and "<svg" in figure.group(1)
    docx = DocxDocument(str(out / "csr.docx"))
    assert len(docx.inline_shapes) == 2  # the KM and the cumulative-incidence figure
    ard = pd.read_csv(out / "ard.csv", keep_default_na=False)
    assert {"t_os", "f_km_os", "t_hcc_cif", "f_cif_hcc"} <= set(ard["output_id"])


def test_unknown_parameter_is_a_config_error(tmp_path):
    path = study(tmp_path, outputs=[("t_x", "t_tte", "Table 14.2.1", "XX")])
    with pytest.raises(ConfigError, match=r"outputs\[1\]\.options\.paramcd: 'XX' is not one"):
        prepare_study(path)


def test_cumulative_incidence_needs_a_competing_event(tmp_path):
    path = study(tmp_path, outputs=[("t_x", "t_cif", "Table 14.2.1", "OS")])
    with pytest.raises(ConfigError, match="names no competing event"):
        prepare_study(path)


def test_population_must_be_the_survival_population(tmp_path):
    path = study(tmp_path, outputs=[("t_os", "t_tte", "Table 14.2.1", "OS")], population="SAF")
    with pytest.raises(ConfigError, match=r"population: 'SAF' differs from survival"):
        prepare_study(path)


def test_two_records_of_a_subject_are_a_data_error(tmp_path):
    frame = adtte()
    frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
    path = study(tmp_path, frame=frame)
    with pytest.raises(DataValidationError) as err:
        run(path, "t_os")
    message = str(err.value)
    assert "adtte.csv: USUBJID [one-record-per-subject]" in message
    assert "USUBJID=T-01" in message


def test_covariate_missing_values_drop_from_the_adjusted_model_only(tmp_path):
    """T-07 has no AGE: the adjusted model has 7 subjects, the unadjusted 8."""
    result = run(study(tmp_path), "t_os")
    ard = result.ard
    n_adj = stat_lookup(
        ard, group_level="Overall", variable="cox", variable_level="adjusted", stat_name="n"
    )
    n_un = stat_lookup(
        ard,
        group_level="Overall",
        variable="cox",
        variable_level="unadjusted",
        stat_name="n",
        timepoint="",
    )
    assert (n_un, n_adj) == (8, 7)
    assert np.isnan(
        stat_lookup(
            ard, group_level="Drug", variable="cox", variable_level="adjusted", stat_name="hr"
        )
    )


def test_study_formats_change_the_table_and_the_narrative_alike(tmp_path):
    """A format declared in the study file ([formats]) is the one every copy prints through."""
    from csrgen.report import assemble
    from tests.document.quotes import misquotes

    os = OS | {"T-05": (2.5, 0, "DEATH")}  # an event in Drug: the hazard ratio is estimable
    path = study(tmp_path, frame=adtte(os=os), outputs=OUTPUTS[:2])
    text = path.read_text().replace(
        "[survival]", "[formats.stats]\nhr = { decimals = 3 }\n\n[survival]", 1
    )
    path.write_text(text)
    prep = prepare_study(path)
    from csrgen.report import run_outputs

    results = run_outputs(prep, jobs=1)
    t_os = next(r for r in results if r.output_id == "t_os")
    hr = texts(t_os.blocks[0])["Unadjusted"][1]
    assert re.fullmatch(r"\d\.\d{3} \(\d\.\d{3}, \d+\.\d{3}\)", hr), hr
    assert set(t_os.ard.loc[t_os.ard["stat_name"] == "hr", "fmt"]) == {"num:3"}
    doc = assemble(prep, results)
    assert misquotes(doc) == []
    from csrgen.document.model import Paragraph, iter_blocks

    synopsis = next(s for s in doc.sections if s.anchor == "sec-synopsis")
    quoted = " ".join(b.text for b in iter_blocks(synopsis.blocks) if isinstance(b, Paragraph))
    assert f"Drug versus Placebo: {hr}; p=" in quoted


def test_unknown_statistic_in_formats_names_the_key(tmp_path):
    path = study(tmp_path, outputs=OUTPUTS[:1])
    text = path.read_text().replace(
        "[survival]", "[formats.stats]\nhrr = { decimals = 3 }\n\n[survival]", 1
    )
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"formats: unknown statistics stats\.hrr"):
        prepare_study(path)
