"""What a long run tells a person watching the terminal: datasets read, outputs computed, files
written (tqdm bars on stderr).

:class:`Progress` does nothing; :func:`for_terminal` gives bars only when stderr is a terminal
(a log, a pipe or a test sees nothing), so the report's files and stdout never depend on it.
"""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    """Silent progress: the interface :func:`csrgen.report.run_report` calls.

    ``stage(label, total)`` opens a stage of ``total`` steps (closing the previous one);
    ``step(detail)`` counts one step done (``detail``: what was just done); ``close()`` ends
    the last stage.
    """

    def stage(self, label: str, total: int) -> None:
        pass

    def step(self, detail: str = "") -> None:
        pass

    def close(self) -> None:
        pass


class TerminalProgress(Progress):
    """One tqdm bar per stage, on ``stream``; each bar is removed when its stage ends."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._bar = None

    def stage(self, label: str, total: int) -> None:
        from tqdm import tqdm

        self.close()
        self._bar = tqdm(
            total=total,
            desc=label,
            file=self._stream,
            leave=False,
            dynamic_ncols=True,
            mininterval=0,  # a few dozen steps: draw each one
            bar_format="{desc}: {n_fmt} of {total_fmt} {bar}{postfix}",
        )

    def step(self, detail: str = "") -> None:
        if self._bar is None:
            return
        if detail:
            self._bar.set_postfix_str(detail, refresh=False)
        self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def for_terminal(stream: TextIO | None = None, quiet: bool = False) -> Progress:
    """Bars on ``stream`` (default stderr) if it is a terminal and not ``quiet``; else silence."""
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    if quiet or isatty is None or not isatty():
        return Progress()
    return TerminalProgress(stream)
