"""Errors that reach the user as a short message, never a traceback (unless ``--debug``)."""

from __future__ import annotations

from dataclasses import dataclass, field


class CsrgenError(Exception):
    """A problem with the user's input: study file, data files, lock. Printed without traceback."""

    exit_code = 2


class ConfigError(CsrgenError):
    """The study file is missing, unreadable or invalid; the message names the file and the keys."""


class OutputError(CsrgenError):
    """The output folder cannot be used: it is a file, cannot be written, or another run holds
    it. The message names the path and the reason."""


class LockError(CsrgenError):
    """The data no longer match their lock, or there is no lock and ``--draft`` was not given."""


@dataclass(frozen=True)
class Problem:
    """One validation finding: which file, which variable, which rule, and where.

    ``examples`` holds up to five rows as short ``"row 12 (USUBJID=01-701-1015): AVAL=-3"`` strings.
    """

    file: str
    variable: str
    rule: str
    message: str
    count: int = 1
    examples: tuple[str, ...] = field(default_factory=tuple)

    def render(self) -> str:
        where = f"{self.file}: {self.variable}" if self.variable else self.file
        head = f"{where} [{self.rule}] {self.message}"
        if self.count > 1 or self.examples:
            head += f" ({self.count} row{'s' if self.count != 1 else ''})"
        lines = [head]
        lines += [f"    e.g. {example}" for example in self.examples]
        return "\n".join(lines)


class DataValidationError(CsrgenError):
    """The datasets broke one or more rules; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        body = "\n".join(p.render() for p in self.problems)
        super().__init__(f"{n} data problem{'s' if n != 1 else ''} found:\n{body}")

    def __reduce__(self):
        # Raised in a worker process, re-raised in the parent: keep the problems, not the text.
        return (type(self), (self.problems,))
