"""The figures of a run drawn together (csrgen.figures): each distinct plan drawn once, kept in the
cache folder between runs, a warm run drawing only the figures whose data changed, cold and
warm runs giving the same bytes."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import csrgen.figures as figures
from csrgen.document.model import Figure, FigurePlan, Section
from csrgen.outputs.plotting import plan
from tests.studies import SEED_DATA, SEED_STUDY


@dataclass(frozen=True)
class Point:
    x: float
    label: str


def fake_draw(figure_id: str, points, scale: float = 1.0) -> tuple[str, bytes]:
    """A stand-in draw function: its output names its input."""
    text = ";".join(f"{p.label}={p.x * scale}" for p in points)
    return f"<svg>{figure_id}:{text}</svg>", text.encode()


@dataclass(frozen=True)
class Result:
    output_id: str
    blocks: tuple


def figure(fid: str, p: FigurePlan | None) -> Figure:
    return Figure(fid, "", fid, "", "", b"", 6.0, 3.0, "alt", plan=p)


@pytest.fixture
def drawn_ids(monkeypatch):
    """The first argument (the figure id) of every plan drawn, in this process."""
    seen: list[str] = []
    draw = figures.draw

    def counted(p):
        seen.append(p.args[0])
        return draw(p)

    monkeypatch.setattr(figures, "draw", counted)
    return seen


def in_process(func, shared, tasks, jobs, on_done):
    out = []
    for t in tasks:
        out.append(func(shared, t))
        on_done(t)
    return out


class Quiet:
    def stage(self, *a):
        pass

    def step(self, *a):
        pass

    def close(self):
        pass


def run(results, folder=None):
    return figures.draw_figures(results, folder, 1, in_process, Quiet())


def test_a_plan_names_a_module_function_and_pickles():
    p = plan(fake_draw, "f1", (Point(1.0, "a"),), scale=2.0)
    assert p.func == "tests.test_figures:fake_draw" and p.kwargs == (("scale", 2.0),)
    again = pickle.loads(pickle.dumps(p))
    assert again == p and figures.key(again) == figures.key(p)
    assert figures.draw(p) == ("<svg>f1:a=2.0</svg>", b"a=2.0")

    def local(figure_id):
        return "", b""

    with pytest.raises(ValueError, match="module-level"):
        plan(local, "f1")


def test_the_key_is_the_content_not_the_objects():
    label = "".join(["arm", " A"])  # not the same object as the literal below
    shared = Point(1.0, label)
    one = plan(fake_draw, "f1", (shared, shared))
    two = plan(fake_draw, "f1", (Point(1.0, "arm A"), Point(1.0, "arm A")))
    assert pickle.dumps(one) != pickle.dumps(two)  # a pickle tells shared objects apart
    assert figures.key(one) == figures.key(two)
    assert figures.key(plan(fake_draw, "f1", (Point(1.5, "arm A"),))) != figures.key(
        plan(fake_draw, "f1", (Point(1.0, "arm A"),))
    )
    arrays = [plan(fake_draw, "f", np.array([1.0, 2.0])), plan(fake_draw, "f", np.array([1, 2]))]
    assert figures.key(arrays[0]) != figures.key(arrays[1])  # the dtype counts
    with pytest.raises(TypeError, match="not plain data"):
        figures.key(plan(fake_draw, "f", object()))


def test_each_distinct_plan_is_drawn_once_and_every_figure_filled(drawn_ids):
    p = plan(fake_draw, "same", (Point(1.0, "a"),))
    q = plan(fake_draw, "other", (Point(2.0, "b"),))
    drawn_already = Figure("d", "", "d", "", "<svg/>", b"png", 6.0, 3.0, "alt")
    results = [
        Result("o1", (figure("x", p), drawn_already)),
        Result("o2", (Section("1", "S", "s", (figure("y", p), figure("z", q))),)),
    ]
    out = run(results)
    assert sorted(drawn_ids) == ["other", "same"]  # p once, although two figures use it
    (x, d), (section,) = out[0].blocks, out[1].blocks
    y, z = section.blocks
    assert (x.svg, x.png) == (y.svg, y.png) == fake_draw("same", (Point(1.0, "a"),))
    assert (z.svg, z.png) == fake_draw("other", (Point(2.0, "b"),))
    assert d is drawn_already
    assert all(f.plan is None for f in (x, y, z)) and figures.pending([*out[0].blocks]) == []


def test_kept_figures_are_used_again_pruned_and_a_damaged_one_drawn_again(tmp_path, drawn_ids):
    folder = tmp_path / "cache"
    plans = {i: plan(fake_draw, f"f{i}", (Point(float(i), "a"),)) for i in range(3)}
    first = run([Result("o", tuple(figure(f"f{i}", p) for i, p in plans.items()))], folder)
    assert drawn_ids == ["f0", "f1", "f2"] and len(list((folder / "figures").iterdir())) == 3
    drawn_ids.clear()
    # f2's data changed: only f2 drawn; f2's old file removed
    plans[2] = plan(fake_draw, "f2", (Point(9.0, "a"),))
    second = run([Result("o", tuple(figure(f"f{i}", p) for i, p in plans.items()))], folder)
    assert drawn_ids == ["f2"]
    assert second[0].blocks[:2] == first[0].blocks[:2]
    assert second[0].blocks[2].png == b"a=9.0"
    kept = sorted(folder.glob("figures/*.pkl"))
    assert [k.stem for k in kept] == sorted(figures.key(p) for p in plans.values())
    # a damaged file is drawn again, never an error
    kept[0].write_bytes(b"not a pickle")
    drawn_ids.clear()
    third = run([Result("o", tuple(figure(f"f{i}", p) for i, p in plans.items()))], folder)
    assert len(drawn_ids) == 1 and third == second


@pytest.mark.e2e
def test_after_an_adae_change_only_that_subjects_timeline_is_drawn_again(
    tmp_path, monkeypatch, drawn_ids
):
    from csrgen.cli import main
    from csrgen.outputs.narrative_text import subject_anchor

    monkeypatch.setenv("CSRGEN_JOBS", "1")  # drawn in this process, where they are counted
    cache = tmp_path / "cache"
    data = tmp_path / "data"
    shutil.copytree(SEED_DATA, data)
    base = ["report", str(SEED_STUDY), "--data", str(data), "--quiet", "--cache", str(cache)]
    assert main([*base, "--out", str(tmp_path / "before")]) == 0
    before = list(drawn_ids)
    assert len(before) == len(set(before)) > 100  # every figure, each once
    timelines = {i for i in before if i.endswith("-timeline")}
    adae = pd.read_csv(data / "adae.csv", dtype=str, keep_default_na=False)
    row = next(
        i
        for i in adae.index
        if f"{subject_anchor('narratives', adae.loc[i, 'USUBJID'])}-timeline" in timelines
    )
    adae.loc[row, "AEDECOD"] = adae.loc[row, "AEDECOD"] + " (recoded)"  # the row's label
    adae.to_csv(data / "adae.csv", index=False, lineterminator="\n")
    assert main(["lock", str(SEED_STUDY), "--data", str(data), "--date", "2027-01-31"]) == 0
    drawn_ids.clear()
    assert main([*base, "--out", str(tmp_path / "after")]) == 0
    assert drawn_ids == [f"{subject_anchor('narratives', adae.loc[row, 'USUBJID'])}-timeline"]
    assert "(recoded)" in (tmp_path / "after" / "narratives.html").read_text(encoding="utf-8")
    # one file per figure of this run: the timeline's old version removed
    assert len(list((cache / "figures").glob("*.pkl"))) == len(before)
    assert main([*base[:-2], "--no-cache", "--out", str(tmp_path / "cold")]) == 0
    assert files(tmp_path / "after") == files(tmp_path / "cold")


def files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


_WARM_UP_CHECK = """
import sys
import numpy as np
import csrgen.figures as figures
from csrgen.outputs.km_plot import Curve, draw_survival_figure
from csrgen.outputs.narrative_plot import TimelineEvent, draw_timeline
from csrgen.outputs.plotting import plan

curve = Curve("A", np.array([1.0, 2.0]), np.array([0.5, 0.2]), np.array([True, False]), 1.0)
plans = [
    plan(draw_survival_figure, "km", [curve], [("A", ["1", "0"])], [0.0, 2.0], "t", "s", ["n"],
         6.5, 4.6, 1.0),
    plan(draw_timeline, "tl", (1.0, 9.0), (TimelineEvent("AE", 2.0, 3.0, False),), None),
]
if sys.argv[1] == "undeclared":
    # a module that declares no WARM_UP warms nothing up (not drawn here)
    from csrgen.outputs.plotting import style
    plans.append(plan(style, "figure"))
from csrgen.outputs.edish_plot import draw_edish
from csrgen.outputs.forest_plot import draw_forest
from csrgen.outputs.mean_plot import draw_mean_change
# every other figure's module too (warmed up, not drawn here)
warm = plans + [plan(f, "x") for f in (draw_edish, draw_forest, draw_mean_change)]
figures._warm_up(warm)
heavy = ("matplotlib.figure", "matplotlib.backends.backend_agg", "matplotlib.backends.backend_svg")
print(" ".join(m for m in heavy if m in sys.modules))
if sys.argv[1] == "scene":
    for p in plans:
        figures.draw(p)
    print(" ".join(m for m in heavy if m in sys.modules))
"""


@pytest.mark.parametrize(
    ("plans", "expected"),
    [
        # every figure is laid out on a scene: neither before nor after drawing them
        ("scene", ["", ""]),
        # a module that declares nothing among them: nothing more imported for it
        ("undeclared", [""]),
    ],
)
def test_warming_up_the_figures_imports_no_matplotlib_figure_or_backend(plans, expected):
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", _WARM_UP_CHECK, plans],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    )
    assert out.stdout.split("\n")[:-1] == expected
