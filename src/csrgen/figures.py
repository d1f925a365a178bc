"""The figures of a run, drawn together: spread over the workers, each drawn once, kept between
runs.

An output's build does not draw its figures: it returns :class:`~csrgen.document.model.Figure`
blocks carrying a :class:`~csrgen.document.model.FigurePlan` (the draw function's importable
name and its plain-data arguments). After every output is built, :func:`draw_figures`
collects the run's pending plans, draws each distinct plan once (over the worker processes,
the costliest first), and fills each figure's SVG and PNG in, before the document is
assembled.

Each plan is named by a hash of its content, csrgen's version and code and the versions of the
drawing libraries (matplotlib, Pillow). With the run's cache folder (see :mod:`csrgen.cache`),
drawn figures are kept in its ``figures/`` subfolder under that name: a later run draws only
the figures whose data changed (after an ADAE edit, only the timelines of the subjects whose
adverse events changed), and figures this run did not use are removed. Without a cache every
figure is drawn. A kept figure is the bytes the draw function returned, so cold and warm runs
give the same files.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import os
import pickle
import struct
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from csrgen.cache import code_version
from csrgen.document.model import Attachment, Figure, FigurePlan, Section

#: The subfolder of the run's cache folder that holds drawn figures.
FOLDER = "figures"
#: Raised when the layout of a kept figure changes.
FORMAT = 1


def draw(p: FigurePlan) -> tuple[str, bytes]:
    """SVG text and PNG bytes of a plan, drawn now in this process."""
    module, name = p.func.split(":")
    func = getattr(importlib.import_module(module), name)
    svg, png = func(*p.args, **dict(p.kwargs))
    return svg, png


def drawn(block):
    """``block`` (a figure, a section, an attachment, an output's result or a sequence of
    blocks) with every pending figure in it drawn now, in this process (for a single output, or
    a test; a run draws them all at once with :func:`draw_figures`)."""
    return _fill(block, lambda p: draw(p))


def key(p: FigurePlan) -> str:
    """A hash naming the figure a plan draws: its content (not the identity of its objects),
    csrgen's version and code (:func:`csrgen.cache.code_version`) and the versions of the
    drawing libraries."""
    h = hashlib.sha256()
    _feed(h, (code_version(), _library_versions(), p.func, p.args, p.kwargs))
    return h.hexdigest()


@functools.cache
def _library_versions() -> tuple[str, ...]:
    """matplotlib's (its fonts, locators and dash patterns) and Pillow's (which draws the
    figures: see csrgen.outputs.scene)."""
    from importlib.metadata import version

    return (version("matplotlib"), version("pillow"))


def pending(blocks: Iterable) -> list[FigurePlan]:
    """Every plan of the figures not drawn yet in ``blocks`` (sections and attachments
    included), in document order."""
    out: list[FigurePlan] = []

    def visit(block) -> None:
        if isinstance(block, Figure):
            if block.plan is not None:
                out.append(block.plan)
        elif isinstance(block, Section):
            for b in block.blocks:
                visit(b)
        elif isinstance(block, Attachment):
            for s in block.sections:
                visit(s)

    for b in blocks:
        visit(b)
    return out


def draw_figures(results: list, cache_folder: Path | None, jobs: int, run_tasks, progress) -> list:
    """``results`` (each output's result: ``output_id``, ``ard``, ``blocks``) with every pending
    figure drawn.

    Plans are drawn once each whatever the number of figures that share them; kept figures
    are read from ``cache_folder / "figures"`` (when given) and new ones written there; the
    files this run did not use are removed. ``run_tasks(func, shared, tasks, jobs, on_done)``
    runs the drawing (see :func:`csrgen.report._run_tasks`); ``progress`` hears of each
    figure drawn.
    """
    plans: dict[str, FigurePlan] = {}
    for result in results:
        for p in pending(result.blocks):
            plans.setdefault(key(p), p)
    folder = cache_folder / FOLDER if cache_folder is not None else None
    images: dict[str, tuple[str, bytes]] = {}
    if folder is not None:
        for k in plans:
            kept = _load(folder / f"{k}.pkl")
            if kept is not None:
                images[k] = kept
    todo = [k for k in plans if k not in images]
    if todo:
        # the costliest first (longest-processing-time scheduling): a plan's size is a fair
        # measure of what it draws (a curve's points, a timeline's rows)
        size = {k: len(pickle.dumps(plans[k], protocol=5)) for k in todo}
        todo.sort(key=lambda k: -size[k])
        _warm_up([plans[k] for k in todo])  # imported once here, inherited by the workers
        progress.stage("drawing figures", len(todo))
        drawn_now = run_tasks(
            _draw_task,
            [plans[k] for k in todo],
            list(range(len(todo))),
            jobs,
            lambda i: progress.step(plans[todo[i]].args[0] if plans[todo[i]].args else ""),
        )
        progress.close()
        for k, image in zip(todo, drawn_now, strict=True):
            images[k] = image
            if folder is not None:
                _store(folder / f"{k}.pkl", image)
    if folder is not None:
        _prune(folder, {f"{k}.pkl" for k in plans})
    return [replace(r, blocks=_fill(r.blocks, lambda p: images[key(p)])) for r in results]


def _draw_task(plans: list[FigurePlan], index: int) -> tuple[str, bytes]:
    return draw(plans[index])


def warm_up_modules(plans: Iterable[FigurePlan]) -> list[str]:
    """The modules the plans' draw functions import when they draw, sorted: each draw
    function's module names them in its ``WARM_UP`` (a figure laid out on a scene needs
    neither matplotlib's Figure nor its backends, a second of imports); a module without it
    warms nothing up (its workers import what it needs)."""
    names: set[str] = set()
    for module in sorted({p.func.split(":")[0] for p in plans}):
        names.update(getattr(importlib.import_module(module), "WARM_UP", ()))
    return sorted(names)


def _warm_up(plans: Iterable[FigurePlan]) -> None:
    """Import what the plans' drawing needs before the workers fork (each would import it
    again)."""
    names = warm_up_modules(plans)
    for name in names:
        importlib.import_module(name)


def _fill(block, image_of):
    """``block`` with each pending figure's images from ``image_of(plan)``."""
    if isinstance(block, Figure):
        if block.plan is None:
            return block
        svg, png = image_of(block.plan)
        return replace(block, svg=svg, png=png, plan=None)
    if isinstance(block, Section):
        return replace(block, blocks=tuple(_fill(b, image_of) for b in block.blocks))
    if isinstance(block, Attachment):
        return replace(block, sections=tuple(_fill(s, image_of) for s in block.sections))
    if isinstance(block, tuple | list):
        return type(block)(_fill(b, image_of) for b in block)
    if dataclasses.is_dataclass(block) and hasattr(block, "blocks"):  # an output's result
        return replace(block, blocks=_fill(block.blocks, image_of))
    return block


def _feed(h, obj) -> None:
    """Feed ``obj`` to the hash ``h``: the same content gives the same bytes, whichever
    objects hold it (a pickle would differ with shared references)."""
    import numpy as np

    if obj is None or isinstance(obj, bool):
        h.update(f"{obj!r};".encode())
    elif isinstance(obj, int):
        h.update(f"i{obj};".encode())
    elif isinstance(obj, float):
        h.update(b"f" + struct.pack("<d", obj))
    elif isinstance(obj, str):
        data = obj.encode("utf-8")
        h.update(f"s{len(data)}:".encode() + data)
    elif isinstance(obj, bytes):
        h.update(f"b{len(obj)}:".encode() + obj)
    elif isinstance(obj, tuple | list):
        h.update(f"{type(obj).__name__}{len(obj)}(".encode())
        for item in obj:
            _feed(h, item)
        h.update(b")")
    elif isinstance(obj, dict):
        h.update(f"d{len(obj)}(".encode())
        for k in sorted(obj, key=repr):
            _feed(h, k)
            _feed(h, obj[k])
        h.update(b")")
    elif isinstance(obj, np.ndarray):
        data = np.ascontiguousarray(obj)
        h.update(f"a{data.dtype.str}{data.shape}:".encode() + data.tobytes())
    elif isinstance(obj, np.generic):
        _feed(h, obj.item())
    elif dataclasses.is_dataclass(obj):
        cls = type(obj)
        h.update(f"D{cls.__module__}.{cls.__qualname__}(".encode())
        for f in dataclasses.fields(obj):
            _feed(h, f.name)
            _feed(h, getattr(obj, f.name))
        h.update(b")")
    else:
        raise TypeError(f"a figure plan holds {type(obj).__name__}, not plain data")


def _load(path: Path) -> tuple[str, bytes] | None:
    """A kept figure, or ``None`` (absent, damaged or of another layout: drawn again)."""
    try:
        with path.open("rb") as stream:
            entry = pickle.load(stream)  # noqa: S301 - our own folder, written by us
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("format") != FORMAT:
        return None
    svg, png = entry.get("svg"), entry.get("png")
    if not isinstance(svg, str) or not isinstance(png, bytes):
        return None
    return svg, png


def _store(path: Path, image: tuple[str, bytes]) -> None:
    """Written whole or not at all (a temporary file renamed); a failure is only a miss."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as stream:
            pickle.dump({"format": FORMAT, "svg": image[0], "png": image[1]}, stream, protocol=5)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


def _prune(folder: Path, keep: set[str]) -> None:
    """Remove the kept figures this run did not use, and what killed runs left."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name not in keep and (path.suffix == ".pkl" or path.name.startswith(".")):
            path.unlink(missing_ok=True)
