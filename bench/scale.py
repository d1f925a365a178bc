"""Part "scale": studies simulated with ``csrgen simulate --subjects N --format F`` (CSV, XPT,
Parquet), each reported once with ``--draft`` (a first run): wall time, the largest single
process's peak RSS, the process tree's peak PSS, time per input row, and the growth exponent
fitted to time ~ rows^k between the two largest sizes."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

from measure import (
    CSRGEN,
    MB_3GB,
    ROOT,
    SEED,
    Figure,
    at_most,
    cold_report,
    not_measured,
    print_table,
)

#: the size the targets of issue 14 are set for
TARGET_SUBJECTS = 100_000


class NoSuchFormat(Exception):
    """``csrgen simulate`` refused the format (exit 2): the installed csrgen cannot write it."""


def simulate(n: int, fmt: str, out: Path, reuse: bool = False) -> None:
    """``csrgen simulate`` into ``out``; with ``reuse``, a complete earlier one is kept."""
    done = out / ".complete"
    if reuse and done.exists():
        return
    shutil.rmtree(out, ignore_errors=True)
    cmd = [CSRGEN, "simulate", "--subjects", str(n), "--out", str(out), "--format", fmt]
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode == 2:
        raise NoSuchFormat(proc.stderr.decode(errors="replace").strip())
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd, stderr=proc.stderr)
    done.touch()


def scale_study(data: Path, path: Path) -> dict[str, Path]:
    """The seed study file pointed at simulated data, without the patient narratives; returns
    the data file of each dataset role.

    Each of the seed study's datasets is matched by its stem to the file simulate wrote
    (``adsl.csv`` -> ``adsl.xpt``), whatever the format's extension. The narratives are left
    out: one timeline figure per subject who died or had a serious AE (about 0.12 s each)
    would measure matplotlib, not the study's size.
    """
    text = SEED.read_text(encoding="utf-8")
    with open(SEED, "rb") as f:
        datasets = tomllib.load(f)["data"]["datasets"]
    files = {}
    for role, name in datasets.items():
        stem = Path(name).stem
        found = sorted(p for p in data.glob(f"{stem}.*") if p.is_file())
        if len(found) != 1:
            raise RuntimeError(f"simulate wrote {len(found)} files for {name} in {data}: {found}")
        files[role] = found[0]
        text = text.replace(f'{role} = "{name}"', f'{role} = "{found[0].name}"', 1)
    text = re.sub(r'(?m)^dir = ".*"$', f'dir = "{data.as_posix()}"', text, count=1)
    blocks = text.split("\n[[outputs]]\n")
    text = "\n[[outputs]]\n".join(b for b in blocks if 'id = "narratives"' not in b)
    path.write_text(text, encoding="utf-8")
    return files


def count_rows(path: Path) -> int:
    """Records in one data file, read from its metadata where the format has it."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    if suffix == ".xpt":  # a transport file does not say how many records it holds: read one column
        import pyreadstat

        first = pyreadstat.read_xport(str(path), metadataonly=True)[1].column_names[:1]
        return len(pyreadstat.read_xport(str(path), usecols=first)[0])
    if suffix == ".csv":  # the simulator quotes no line break: one record a line
        with open(path, "rb") as f:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b"")) - 1
    if suffix == ".json":  # Dataset-JSON 1.1 says it before its rows: no need to parse gigabytes
        with open(path, encoding="utf-8") as f:
            found = re.search(r'"records"\s*:\s*(\d+)', f.read(1 << 16))
        if found:
            return int(found[1])
    raise RuntimeError(f"no row count for {path.name}")


def growth_exponent(rows: list[dict]) -> float:
    """Slope of log(time) on log(input rows) between the two largest sizes.

    The small sizes are dominated by the fixed cost (imports, document); the step between the
    largest two shows how the cost grows with the data.
    """
    if len(rows) < 2:
        return math.nan
    a, b = rows[-2], rows[-1]
    return math.log(b["wall_s"] / a["wall_s"]) / math.log(b["input_rows"] / a["input_rows"])


def run_format(fmt: str, sizes: list[int], tmp: Path, keep: Path | None = None) -> list[dict]:
    """Simulate and report every size in ``fmt``; raises NoSuchFormat on the first size if
    simulate cannot write it. Each size's data and report are removed after its run (100,000
    subjects in CSV are gigabytes)."""
    rows = []
    for n in sorted(sizes):
        data = (keep or tmp) / f"sim-{fmt}-{n}"
        simulate(n, fmt, data, reuse=keep is not None)
        study = tmp / f"sim-{fmt}-{n}.toml"
        files = scale_study(data, study)
        n_rows = sum(count_rows(p) for p in files.values())
        out = tmp / f"out-{fmt}-{n}"
        run = cold_report(study, out, "--draft")
        rows.append(
            {
                "format": fmt,
                "subjects": n,
                "input_rows": n_rows,
                "input_mb": sum(p.stat().st_size for p in files.values()) / 2**20,
                "wall_s": run.wall,
                "peak_rss_mb": run.rss_mb,
                "peak_tree_mb": run.tree_mb,
                "us_per_row": 1e6 * run.wall / n_rows,
            }
        )
        r = rows[-1]
        wall, rss = r["wall_s"], r["peak_rss_mb"]
        print(f"   {fmt:8} {n:>9,d} subjects: {wall:.1f} s, {rss:,.0f} MB max RSS", flush=True)
        for path in (out, out.with_name(out.name + ".cache"), None if keep else data):
            if path is not None:
                shutil.rmtree(path, ignore_errors=True)
    return rows


def run_scale(opts, tmp: Path) -> tuple[list[Figure], dict]:
    sizes = sorted(opts.sizes)
    print(f"\nscale: simulated studies ({', '.join(opts.formats)}; 1 run each; report --draft)")
    figures, details, table = [], {"sizes": sizes, "formats": {}}, []
    for fmt in opts.formats:
        try:
            rows = run_format(fmt, sizes, tmp, opts.sim_dir)
        except NoSuchFormat as err:
            reason = f"simulate has no {fmt} format"
            print(f"   {fmt:8} not measured: {reason}")
            details["formats"][fmt] = {"not_measured": reason, "simulate_said": str(err)}
            figures.append(not_measured("scale", f"{fmt}: {TARGET_SUBJECTS:,} subjects", reason))
            continue
        except (subprocess.CalledProcessError, RuntimeError, OSError) as err:
            # one format failing (simulate or report) leaves the other formats measured
            said = err.stderr if isinstance(err, subprocess.CalledProcessError) else ""
            said = said.decode(errors="replace") if isinstance(said, bytes) else said or ""
            reason = f"failed: {err}"
            print(f"   {fmt:8} {reason}\n{said}".rstrip())
            details["formats"][fmt] = {"failed": str(err), "stderr": said}
            figures.append(not_measured("scale", f"{fmt}: {TARGET_SUBJECTS:,} subjects", reason))
            continue
        k = growth_exponent(rows)
        details["formats"][fmt] = {"rows": rows, "growth_exponent": k}
        table += [
            (
                fmt,
                f"{r['subjects']:,d}",
                f"{r['input_rows']:,d}",
                f"{r['input_mb']:,.0f}",
                f"{r['wall_s']:.1f}",
                f"{r['peak_rss_mb']:,.0f}",
                f"{r['peak_tree_mb']:,.0f}",
                f"{r['us_per_row']:.1f}",
            )
            for r in rows
        ]
        figures += _format_figures(fmt, rows, k)
    if table:
        print()
        head = ("format", "subjects", "input rows", "input MB", "wall s", "max RSS MB")
        print_table(head + ("tree PSS MB", "us/row"), table)
        print(
            f"   targets at {TARGET_SUBJECTS:,} subjects: <= 30 s wall and <= {MB_3GB:,} MB max RSS"
            " in every format; growth exponent k <= 1 (time ~ rows^k, two largest sizes)"
        )
        print(
            "   max RSS: the largest single process (GNU time); tree PSS: parent and forked"
            " workers together, shared pages counted once"
        )
    return figures, details


def _format_figures(fmt: str, rows: list[dict], k: float) -> list[Figure]:
    big = rows[-1]
    name = f"{fmt}: {big['subjects']:,} subjects"
    if big["subjects"] == TARGET_SUBJECTS:
        wall = at_most("scale", f"{name}, wall", big["wall_s"], "s", 30.0, "<= 30 s")
        rss = at_most("scale", f"{name}, max RSS", big["peak_rss_mb"], "MB", MB_3GB, "<= 3 GB")
    else:  # the targets are for 100,000 subjects: a smaller run is shown, not judged
        note = f"targets are for {TARGET_SUBJECTS:,} subjects"
        wall = Figure("scale", f"{name}, wall", big["wall_s"], "s", note=note)
        rss = Figure("scale", f"{name}, max RSS", big["peak_rss_mb"], "MB", note=note)
    figures = [wall, rss]
    if len(rows) >= 2:
        figures.append(at_most("scale", f"{fmt}: growth exponent k", k, "", 1.0, "<= 1"))
    return figures
