"""Progress of ``csrgen report``: bars on a terminal only, every dataset, output and file counted
once, ``--quiet`` silent, and the files the same whether anyone watches or not."""

import fcntl
import json
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios

from csrgen.cli import main
from csrgen.progress import Progress, TerminalProgress, for_terminal
from csrgen.report import run_report
from tests.studies import write_tiny_study


class Recorder(Progress):
    """Every stage with its declared total and the steps it received."""

    def __init__(self):
        self.stages: list[tuple[str, int, list[str]]] = []

    def stage(self, label, total):
        self.stages.append((label, total, []))

    def step(self, detail=""):
        self.stages[-1][2].append(detail)


def test_every_dataset_output_and_file_is_counted_once(tmp_path):
    from csrgen.config import load_study

    study = write_tiny_study(tmp_path)
    config = load_study(study)
    recorder = Recorder()
    out = run_report(study, out=tmp_path / "out", progress=recorder)
    labels = [label for label, _, _ in recorder.stages]
    assert labels == ["reading datasets", "computing outputs", "writing files"]
    for label, total, steps in recorder.stages:
        assert len(steps) == total, label  # a bar that ends full, never past it
    reading, computing, writing = (steps for _, _, steps in recorder.stages)
    assert reading == ["ADSL (8 rows)"]  # the tiny study's one dataset, eight subjects
    assert sorted(computing) == sorted(spec.id for spec in config.outputs)
    files = {p.name for p in out.iterdir()}
    expected = {"csr.docx", "csr.html", "ard.csv", "snapshot.json.gz", "manifest.json"}
    assert set(writing) == expected == files


def test_no_bars_unless_stderr_is_a_terminal(tmp_path, capsys):
    import io

    assert type(for_terminal(io.StringIO())) is Progress
    study = write_tiny_study(tmp_path)
    assert main(["report", str(study), "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    summary = re.fullmatch(
        rf"wrote {re.escape(str(tmp_path / 'out'))}: csr\.docx \(about (\d+) pages\), "
        r"csr\.html, ard\.csv, manifest\.json and 1 more file in \d+\.\d s\n",
        captured.out,
    )
    assert summary, captured.out
    # the count the manifest records (csrgen.writers.pages; tests/render checks it against
    # LibreOffice): a title page and at least one page of content
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pages_estimated"] == {"csr.docx": int(summary.group(1))}
    assert int(summary.group(1)) >= 2


class FakeTerminal:
    def __init__(self):
        self.text = ""

    def isatty(self):
        return True

    def write(self, text):
        self.text += text

    def flush(self):
        pass


def test_a_terminal_gets_bars_and_quiet_silences_them():
    terminal = FakeTerminal()
    progress = for_terminal(terminal)
    assert isinstance(progress, TerminalProgress)
    progress.stage("computing outputs", 3)
    for output_id in ("t_demog", "t_disp", "f_km_os"):
        progress.step(output_id)
    progress.close()
    assert "computing outputs: 3 of 3" in terminal.text and "f_km_os" in terminal.text
    assert type(for_terminal(FakeTerminal(), quiet=True)) is Progress


def _run_on_a_terminal(args, cwd):
    """``csrgen ARGS`` with stderr on a pseudo-terminal: (exit code, stdout, terminal text)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    proc = subprocess.Popen(
        [sys.executable, "-m", "csrgen.cli", *args],
        stdout=subprocess.PIPE,
        stderr=slave,
        cwd=cwd,
    )
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            proc.kill()
            raise AssertionError("no output for 120 s")
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    stdout = proc.stdout.read().decode()
    return proc.wait(), stdout, b"".join(chunks).decode(errors="replace")


def test_report_on_a_terminal_same_files_and_quiet(tmp_path):
    study = write_tiny_study(tmp_path)
    code, stdout, terminal = _run_on_a_terminal(
        ["report", str(study), "--out", "watched"], tmp_path
    )
    assert code == 0, terminal
    for stage in ("reading datasets", "computing outputs", "writing files"):
        assert stage in terminal
    assert re.search(
        r"wrote watched: csr\.docx \(about \d+ pages\), csr\.html, ard\.csv, manifest\.json "
        r"and 1 more file in",
        stdout,
    ), stdout
    code, stdout, terminal = _run_on_a_terminal(
        ["report", str(study), "--out", "quiet", "--quiet"], tmp_path
    )
    assert (code, stdout, terminal) == (0, "", "")
    for name in ("ard.csv", "csr.docx", "csr.html", "snapshot.json.gz", "manifest.json"):
        watched, quiet = (tmp_path / folder / name for folder in ("watched", "quiet"))
        assert watched.read_bytes() == quiet.read_bytes(), name
