"""``variables.csv``: the optional type spec beside CSV data, ``dataset,variable,label,type``.

Read strictly, since a wrong type silently changes what a column is: the columns
``dataset``, ``variable`` and ``type`` must be there (``[columns]``), every row as wide as the
header (``[fields]``), a dataset and a variable name on every row (``[not-missing]``), a type
among ``text``, ``num``, ``date`` (``[type]``), and one type per variable (``[unique]``). Every
problem names ``variables.csv``, the key and the lines.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from csrgen.errors import Problem

#: Optional type spec of a CSV data folder: ``dataset,variable,label,type`` per variable.
TYPE_SPEC_FILE = "variables.csv"
#: Column types a type spec may name.
TYPES = ("text", "num", "date")
_MAX_EXAMPLES = 5


def read_type_spec_checked(
    data_dir: Path, encoding: str = "utf-8"
) -> tuple[dict[str, dict[str, str]], list[Problem]]:
    """{DATASET: {VARIABLE: type}} and the problems of the file (none when it is absent)."""
    path = Path(data_dir) / TYPE_SPEC_FILE
    if not path.exists():
        return {}, []
    name = path.name

    def one(variable: str, rule: str, message: str, lines=()) -> Problem:
        lines = list(lines)
        return Problem(
            name,
            variable,
            rule,
            message,
            count=len(lines) or 1,
            examples=tuple(lines[:_MAX_EXAMPLES]),
        )

    try:
        text = path.read_bytes().decode(
            "utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding
        )
    except (OSError, UnicodeDecodeError, LookupError) as exc:
        return {}, [
            one(
                "",
                "file-unreadable" if isinstance(exc, OSError) else "encoding",
                f"cannot read the type spec: {exc}",
            )
        ]
    if "\x00" in text:
        return {}, [
            one("", "file-format", "binary content (a NUL byte); the type spec is a CSV text file")
        ]
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        return {}, [one("", "fields", f"not a readable CSV file: {exc}")]
    rows = [(i + 1, r) for i, r in enumerate(rows) if any(field.strip() for field in r)]
    if not rows:
        return {}, [
            one("", "file-empty", "the type spec holds no header (dataset,variable,label,type)")
        ]
    (_, header), body = rows[0], rows[1:]
    header = [h.strip().lower() for h in header]
    missing = [k for k in ("dataset", "variable", "type") if k not in header]
    if missing:
        return {}, [
            one(k, "columns", f"the header lacks the column {k!r} (dataset,variable,label,type)")
            for k in missing
        ]
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        return {}, [one(twice[0], "columns", f"duplicate column name(s): {', '.join(twice)}")]
    at = {k: header.index(k) for k in ("dataset", "variable", "type")}
    problems: list[Problem] = []
    wide = [f"line {n}: {len(r)} fields" for n, r in body if len(r) != len(header)]
    if wide:
        problems.append(
            one(
                "",
                "fields",
                f"rows with another number of fields than the header's {len(header)}",
                wide,
            )
        )
    blank = {"dataset": [], "variable": []}
    unknown, conflict = [], []
    out: dict[str, dict[str, str]] = {}
    for n, r in body:
        if len(r) != len(header):
            continue
        dataset, variable, kind = (r[at[k]].strip() for k in ("dataset", "variable", "type"))
        for key, value in (("dataset", dataset), ("variable", variable)):
            if not value:
                blank[key].append(f"line {n}")
        if kind not in TYPES:
            unknown.append(f"line {n}: {dataset}.{variable} type={kind!r}")
            continue
        if not dataset or not variable:
            continue
        known = out.setdefault(dataset.upper(), {})
        if known.get(variable, kind) != kind:
            conflict.append(
                f"line {n}: {dataset}.{variable} is {kind!r}, earlier {known[variable]!r}"
            )
        known[variable] = kind
    for key, lines in blank.items():
        if lines:
            problems.append(one(key, "not-missing", f"a row without a {key} name", lines))
    if unknown:
        problems.append(
            one("type", "type", f"unknown type; the types are {', '.join(TYPES)}", unknown)
        )
    if conflict:
        problems.append(one("type", "unique", "a variable given two different types", conflict))
    return ({} if problems else out), problems
