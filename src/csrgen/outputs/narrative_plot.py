"""The per-subject timeline of a patient narrative: treatment bar, adverse events, death.

Study days on the x axis (day 1 = first dose); one row per adverse event (onset to end, or a
marker at onset when the end is not recorded), serious events in a colour of their own, the
treatment period as a bar on the top row, death as a cross. Drawn with csrgen's figure style
(:mod:`csrgen.outputs.plotting`), so the same data give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from csrgen.outputs.plotting import ARM_COLOURS, render, style

SERIOUS_COLOUR = ARM_COLOURS[1]  # vermillion
OTHER_COLOUR = ARM_COLOURS[0]  # blue
TREATMENT_COLOUR = "#BBBBBB"
MAX_LABEL = 28


@dataclass(frozen=True)
class TimelineEvent:
    label: str
    #: Study days of onset and end (None: not recorded).
    start: float | None
    end: float | None
    serious: bool


def _short(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "\u2026"


def timeline_height(events: Sequence[TimelineEvent]) -> float:
    """The height (inches) of the timeline of ``events``: a row each, and the treatment's."""
    return 0.9 + 0.22 * (1 + len(events))


def draw_timeline(
    figure_id: str,
    treatment: tuple[float | None, float | None],
    events: Sequence[TimelineEvent],
    death_day: float | None,
    width_in: float = 6.3,
) -> tuple[str, bytes]:
    """SVG and PNG of one subject's timeline (:func:`timeline_height` high)."""
    rows = ["Treatment"] + [_short(e.label) for e in events]
    height = timeline_height(events)
    fig = _figure(width_in, height)
    fig.subplots_adjust(
        left=1.75 / width_in, right=1 - 0.15 / width_in, top=1 - 0.4 / height, bottom=0.5 / height
    )
    with style():
        ax = fig.add_subplot()
        days = [d for d in treatment if d is not None]
        days += [d for e in events for d in (e.start, e.end) if d is not None]
        if death_day is not None:
            days.append(death_day)
        lo, hi = (min(days), max(days)) if days else (0.0, 1.0)
        pad = max(1.0, (hi - lo) * 0.03)
        y_of = {i: len(rows) - 1 - i for i in range(len(rows))}
        t0, t1 = treatment
        if t0 is not None:
            end = t1 if t1 is not None else t0
            ax.barh(y_of[0], max(end - t0, 0.5), left=t0, height=0.5, color=TREATMENT_COLOUR)
        for i, e in enumerate(events, start=1):
            colour = SERIOUS_COLOUR if e.serious else OTHER_COLOUR
            if e.start is None:
                continue
            if e.end is not None and e.end > e.start:
                ax.barh(y_of[i], e.end - e.start, left=e.start, height=0.45, color=colour)
            else:
                ax.plot([e.start], [y_of[i]], marker="o", markersize=4, color=colour, ls="none")
        if death_day is not None:
            ax.axvline(death_day, color="black", lw=0.8, ls="--")
            ax.plot([death_day], [y_of[0]], marker="X", markersize=7, color="black", ls="none")
        ax.set_yticks([y_of[i] for i in range(len(rows))], rows)
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_xlim(lo - pad, hi + pad)
        ax.set_xlabel("Study day (day 1 = first dose)")
        handles = [
            _patch(TREATMENT_COLOUR, "Treatment"),
            _patch(SERIOUS_COLOUR, "Serious AE"),
            _patch(OTHER_COLOUR, "Non-serious AE"),
        ]
        if death_day is not None:
            from matplotlib.lines import Line2D

            handles.append(
                Line2D([], [], color="black", marker="X", ls="--", lw=0.8, label="Death")
            )
        fig.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, 1.0),
            ncols=len(handles),
            fontsize=8,
        )
        return render(fig, figure_id)


def _figure(width_in: float, height_in: float):
    """A figure of csrgen's style with fixed margins instead of the constrained layout (see
    :func:`~csrgen.outputs.plotting.new_figure`): the same look for every subject, and half the
    drawing time (a study has a hundred narratives or more)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    with style():
        fig = Figure(figsize=(width_in, height_in))
    fig.set_dpi(100)
    return fig


def _patch(colour: str, label: str):
    from matplotlib.patches import Patch

    return Patch(color=colour, label=label)
