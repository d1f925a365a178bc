"""csrgen report end to end: files, DOCX reopened and checked, byte-identical reruns, atomic
replacement, clear errors without traceback."""

import json
import subprocess
import sys

import docx
import pytest

from csrgen.cli import main
from csrgen.errors import DataValidationError
from tests.studies import PILOT_STUDY, tiny_adsl, write_tiny_study


def docx_tables(path):
    return docx.Document(str(path)).tables


def table_with(path, text):
    """The first numbered output table (Table 14.x) whose header mentions ``text``; the
    narrative's in-text tables come earlier in the document."""
    from docx.oxml.ns import qn

    for table in docx_tables(path):
        caption = table._tbl.tblPr.find(qn("w:tblCaption"))
        numbered = caption is not None and caption.get(qn("w:val")).startswith("Table 14")
        if numbered and any(text in cell.text for cell in table.rows[0].cells):
            return table
    raise AssertionError(f"no table headed {text!r} in {path}")


def rows_text(table):
    return [[cell.text for cell in row.cells] for row in table.rows]


@pytest.fixture
def tiny_report(tmp_path):
    study = write_tiny_study(tmp_path)
    out = tmp_path / "out"
    assert main(["report", str(study), "--out", str(out)]) == 0
    return out


def test_tiny_report_files_and_table(tiny_report):
    assert sorted(p.name for p in tiny_report.iterdir()) == [
        "ard.csv",
        "csr.docx",
        "csr.html",
        "manifest.json",
        "snapshot.json.gz",
    ]
    table = table_with(tiny_report / "csr.docx", "Placebo")
    rows = rows_text(table)
    assert rows[0] == ["Characteristic", "Placebo\n(N=4)", "Drug\n(N=4)", "Total\n(N=8)", "p-value"]
    body = {r[0]: r[1:] for r in rows[1:]}
    # Placebo ages 40, 60, 45, 55; Drug 30, 50, 70 (+1 missing); Total SD sqrt(1050 / 6)
    assert body["Mean (SD)"] == ["50.0 (9.13)", "50.0 (20.00)", "50.0 (13.23)", ""]
    assert body["Q1, Q3"] == ["42.5, 57.5", "30.0, 70.0", "40.0, 60.0", ""]  # n*p = 1.75, 5.25
    assert body["Missing"][:3] in (["0", "1", "1"], ["1", "0", "1"])
    assert body["M"] == ["1 (25.0)", "3 (75.0)", "4 (50.0)", ""]
    html = (tiny_report / "csr.html").read_text()
    assert 'id="t_demog"' in html and "Placebo<br>(N=4)" in html
    assert "SYNTHETIC DATA" in html


def test_manifest(tiny_report, tmp_path):
    manifest = json.loads((tiny_report / "manifest.json").read_text())
    assert manifest["data_lock"] == {
        "locked": True,
        "lock_id": "TINY-LOCK-1",
        "lock_date": "2024-01-31",
    }
    assert set(manifest["outputs"]) == {"ard.csv", "csr.docx", "csr.html", "snapshot.json.gz"}
    assert set(manifest["inputs"]) == {"adsl.csv"}
    assert manifest["packages"]["lifelines"]


def test_same_data_same_bytes(tiny_report, tmp_path):
    study = tmp_path / "tiny.toml"
    again = tmp_path / "again"
    assert main(["report", str(study), "--out", str(again)]) == 0
    for name in ("ard.csv", "csr.docx", "csr.html", "manifest.json"):
        assert (again / name).read_bytes() == (tiny_report / name).read_bytes(), name


def test_failed_run_leaves_previous_report(tiny_report, tmp_path, monkeypatch):
    before = {p.name: p.read_bytes() for p in tiny_report.iterdir()}
    import csrgen.writers.html as html_writer

    def boom(*args, **kwargs):
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C while the HTML was written

    monkeypatch.setattr(html_writer, "write_html", boom)
    assert main(["report", str(tmp_path / "tiny.toml"), "--out", str(tiny_report)]) == 130
    assert {p.name: p.read_bytes() for p in tiny_report.iterdir()} == before
    # nothing half-written is left; the (empty) lock file of the folder stays
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert leftovers == [".out.cache", ".out.lock"]  # the lock file and the output cache


def test_draft_marks_every_page(tmp_path):
    adsl = tiny_adsl()
    study = write_tiny_study(tmp_path, {"adsl": adsl})
    (tmp_path / "data" / "adsl.csv").write_text(
        (tmp_path / "data" / "adsl.csv").read_text().replace("T-08", "T-80")
    )
    out = tmp_path / "out"
    assert main(["report", str(study), "--out", str(out)]) == 2  # changed since the lock
    assert not out.exists()
    assert main(["report", str(study), "--out", str(out), "--draft"]) == 0
    document = docx.Document(str(out / "csr.docx"))
    for section in document.sections:
        assert "DRAFT - DATA NOT LOCKED" in section.header.paragraphs[0].text
    assert "DRAFT - DATA NOT LOCKED" in (out / "csr.html").read_text()


def test_bad_data_exit_2_lists_problems_without_traceback(tmp_path, capsys):
    adsl = tiny_adsl()
    adsl.loc[0, "ITTFL"] = "yes"
    adsl.loc[1, "USUBJID"] = "T-01"
    study = write_tiny_study(tmp_path, {"adsl": adsl})
    assert main(["validate", str(study)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("csrgen validate: 2 data problems found:\n")
    assert "adsl.csv: ITTFL [flag]" in err and "adsl.csv: USUBJID [unique]" in err
    assert "Traceback" not in err
    with pytest.raises(DataValidationError):  # --debug lets the exception through
        main(["--debug", "validate", str(study)])


def test_cli_subprocess_help_and_error(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "csrgen.cli", "--help"], capture_output=True, text=True
    )
    assert run.returncode == 0 and "report" in run.stdout
    run = subprocess.run(
        [sys.executable, "-m", "csrgen.cli", "report", str(tmp_path / "none.toml")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert run.stderr == f"csrgen report: {tmp_path / 'none.toml'}: study file not found\n"


def test_pilot_table_1(tmp_path):
    """The CDISC pilot's Table 1 through the same code; values as in its CSR (Table 14-2.01)."""
    out = tmp_path / "pilot"
    assert main(["report", str(PILOT_STUDY), "--out", str(out)]) == 0
    rows = rows_text(table_with(out / "csr.docx", "Placebo"))
    assert rows[0] == [
        "Characteristic",
        "Placebo\n(N=86)",
        "Xanomeline Low Dose\n(N=84)",
        "Xanomeline High Dose\n(N=84)",
        "Total\n(N=254)",
        "p-value",
    ]
    labels = [r[0] for r in rows]
    age = rows[labels.index("Age (years)") :]
    assert age[0][-1] == "0.593"  # pilot CSR: ANOVA p-value for age
    assert age[2][1:5] == ["75.2 (8.59)", "75.7 (8.29)", "74.4 (7.89)", "75.1 (8.25)"]
    sex = rows[labels.index("Sex, n (%)") :]
    assert sex[0][-1] == "0.141" and sex[1][1:5] == [
        "53 (61.6)",
        "50 (59.5)",
        "40 (47.6)",
        "143 (56.3)",
    ]
    # The pilot's chemistry labs and its dermatologic-event endpoint are safety data (section
    # 14.3): the synopsis's efficacy results say that the primary endpoints' datasets are not
    # supplied, and show no laboratory ANCOVA; the safety results have the endpoint.
    text = [p.text for p in docx.Document(str(out / "csr.docx")).paragraphs]
    synopsis = text[: text.index("Table of Contents")]
    efficacy = next(t for t in synopsis if t.startswith("Efficacy results:"))
    assert "ADAS-Cog (11) total score at week 24: not analysed (dataset ADQSADAS" in efficacy
    assert "dermatologic" not in efficacy
    safety = next(t for t in synopsis if t.startswith("Safety results:"))
    assert "Time to first dermatologic event (Table 14.3.6)" in safety
    assert not any("least-squares mean change" in t for t in synopsis)


def test_worker_processes_do_not_change_a_byte(tmp_path, monkeypatch):
    """Outputs and files are made in forked workers, costliest first; one process must give
    the very same files (the seed study: every kind of output, one long listing)."""
    from csrgen.report import run_report
    from tests.studies import SEED_STUDY

    files = {}
    for jobs in ("1", "2"):
        monkeypatch.setenv("CSRGEN_JOBS", jobs)
        out = run_report(SEED_STUDY, out=tmp_path / f"jobs{jobs}")
        files[jobs] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert "l_lab_abn.csv" in files["1"]
    assert files["1"].keys() == files["2"].keys()
    for name in files["1"]:
        assert files["1"][name] == files["2"][name], name


def test_outputs_sharing_work_run_in_one_group():
    """An endpoint's table and figures share memoised work: they form one group (one worker);
    every other output is a group of its own. The BDS outputs need no group: their block is
    prepared by the check hooks before the workers fork (see test_bds_outputs)."""
    from csrgen.config import load_study
    from csrgen.outputs.catalog import resolve_options, work_group
    from tests.studies import SEED_STUDY

    config = load_study(SEED_STUDY)
    options = resolve_options(config)
    groups: dict[str, list[str]] = {}
    for spec in config.outputs:
        groups.setdefault(work_group(spec, options[spec.id]), []).append(spec.id)
    assert groups["tte:OS"] == ["t_os", "f_km_os"]
    assert groups["tte_subgroup:OS"] == ["t_os_subgroup", "f_forest_os"]
    assert groups["tte:HCC"] == ["t_hcc", "f_km_hcc", "t_hcc_cif", "f_cif_hcc"]
    for bds in ("t_lab_summary", "f_lab_mean", "t_lab_ancova", "t_lab_shift", "l_lab_abn"):
        assert groups[f"output:{bds}"] == [bds]
    assert groups["output:t_demog"] == ["t_demog"]
