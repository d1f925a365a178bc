"""The output folder: a file or an unwritable place is a clear error; concurrent runs do not
race; what a killed run leaves is cleared by the next; workers die with the report process;
an unexpected error prints one line and a log, not a traceback."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from csrgen.cli import main
from csrgen.report import recover
from tests.studies import SEED_STUDY, write_tiny_study


def snapshot(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_out_naming_a_file_is_refused_and_the_file_kept(tmp_path, capsys):
    study = write_tiny_study(tmp_path)
    target = tmp_path / "notes.txt"
    target.write_text("the user's own file")
    assert main(["report", str(study), "--out", str(target)]) == 2
    err = capsys.readouterr().err
    assert f"{target}: exists and is not a folder" in err and "Traceback" not in err
    assert target.read_text() == "the user's own file"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(
    ("make_out", "reason"),
    [
        (lambda tmp: tmp / "a-file" / "out", "cannot create the output folder"),
        (lambda tmp: Path("/sys/csrgen-test/out"), "cannot create the output folder"),
    ],
)
def test_a_folder_that_cannot_be_written_is_a_clear_error(tmp_path, capsys, make_out, reason):
    study = write_tiny_study(tmp_path)
    (tmp_path / "a-file").write_text("x")
    out = make_out(tmp_path)
    assert main(["report", str(study), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{out.parent}: {reason}" in err and "Traceback" not in err


def test_a_second_run_into_a_held_folder_stops_at_once(tmp_path, capsys):
    study = write_tiny_study(tmp_path)
    out = tmp_path / "out"
    with open(tmp_path / ".out.lock", "a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("pid 4242")
        held.flush()
        assert main(["report", str(study), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{out}: another csrgen report (pid 4242) is writing this folder" in err
    assert not out.exists()
    assert main(["report", str(study), "--out", str(out)]) == 0  # released: the next run works


def test_what_killed_runs_left_is_cleared(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "csr.html").write_text("the report")
    (tmp_path / ".out.partial-99999").mkdir()
    (tmp_path / ".out.partial-99999" / "csr.docx").write_bytes(b"half")
    (tmp_path / ".out.previous-99998").mkdir()
    recover(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert (out / "csr.html").read_text() == "the report"
    # killed between its two renames: the previous report is put back
    out.rename(tmp_path / ".out.previous-4242")
    recover(out)
    assert (out / "csr.html").read_text() == "the report"


def test_an_unexpected_error_prints_one_line_and_a_log(tmp_path, capsys, monkeypatch):
    import csrgen.report

    def bug(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(csrgen.report, "assemble", bug)
    study = write_tiny_study(tmp_path)
    assert main(["report", str(study), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("csrgen report: an unexpected error stopped the run")
    log = Path(err.rsplit("Details: ", 1)[1].strip())
    assert "ZeroDivisionError: a bug" in log.read_text()
    log.unlink()
    with pytest.raises(ZeroDivisionError):
        main(["--debug", "report", str(study), "--out", str(tmp_path / "out")])


# -- SIGKILL ---------------------------------------------------------------------------------
def children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid`` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                out.append(int(entry.name))
    return out


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; it only waits for its exit status to be read


def start_report(out: Path) -> subprocess.Popen:
    env = dict(os.environ, CSRGEN_JOBS="2")
    return subprocess.Popen(
        [sys.executable, "-m", "csrgen.cli", "report", str(SEED_STUDY), "--out", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(condition, timeout: float = 120.0, step: float = 0.01) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise TimeoutError
        time.sleep(step)


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("seed") / "out"
    assert start_report(out).wait(timeout=300) == 0
    return out


@pytest.mark.e2e
@pytest.mark.parametrize("phase", ["compute", "write"])
def test_sigkill_leaves_the_previous_report_and_no_worker(tmp_path, seed_report, phase):
    out = tmp_path / "out"
    shutil.copytree(seed_report, out)
    before = snapshot(out)

    run = start_report(out)
    if phase == "compute":  # workers busy with the outputs, nothing staged yet
        wait_for(lambda: len(children(run.pid)) >= 2)
        assert not list(tmp_path.glob(".out.partial-*"))
    else:  # the staging folder exists: files being written
        wait_for(lambda: any(tmp_path.glob(".out.partial-*")), step=0.002)
    workers = children(run.pid)
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=30)
    killed_at = time.monotonic()
    wait_for(lambda: not any(alive(w) for w in workers), timeout=10)
    assert time.monotonic() - killed_at <= 2.0, "a worker outlived its parent by more than 2 s"
    assert snapshot(out) == before  # the previous report, byte for byte

    # the next run (a small study into the same folder) clears what the killed one left
    study = write_tiny_study(tmp_path / "tiny")
    assert main(["report", str(study), "--out", str(out)]) == 0
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert leftovers == [".out.cache", ".out.lock"]  # the lock file and the output cache
    # no half-written cache entry is left either
    assert all(not p.name.startswith(".") for p in (tmp_path / ".out.cache").iterdir())
    assert (out / "csr.docx").exists() and snapshot(out) != before
