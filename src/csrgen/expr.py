"""Record filters written in the study file: a small, safe expression language over one dataset.

A population (``[populations.X] where = 'ARM != "Screen Failure"'``) or a disposition row may be
defined by an expression instead of a flag. The text is parsed with Python's :mod:`ast` and only
these forms are accepted (anything else is an error naming its position; nothing is evaluated
by Python, no ``eval`` and no ``DataFrame.query``)::

    VAR == "text"          VAR != "text"          equal / not equal (text compared stripped)
    VAR == 3               VAR >= 65              numbers: == != < <= > >=
    VAR >= "2014-01-01"    dates compared with an ISO 8601 date
    VAR in ["A", "B"]      VAR not in ["A", "B"]  one of / none of a list
    VAR == ""              VAR != ""              blank (missing text, number or date) / recorded
    a and b   a or b   not a   ( ... )            combinations (``and`` binds tighter than ``or``)

``VAR`` is a variable name of the dataset (letters, digits and ``_``). Strings are in single or
double quotes. :func:`parse` checks the syntax (when the study file is loaded), :func:`variables`
names the variables an expression reads (they are required in the data), :func:`type_problems`
checks the comparisons against the data's types, and :func:`evaluate` gives the row mask.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Expr", "ExprError", "parse", "evaluate", "variables", "type_problems"]

#: Longer texts are refused before parsing (a filter is a line of a study file).
MAX_LENGTH = 2000
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")
_OPS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}
_HINTS = {
    ast.BitAnd: "use 'and' instead of '&'",
    ast.BitOr: "use 'or' instead of '|'",
    ast.Call: 'functions are not allowed (test blanks with VAR == "")',
    ast.Attribute: "attributes are not allowed",
    ast.Subscript: "subscripts are not allowed",
}


class ExprError(ValueError):
    """A syntax or type error in an expression; the message names the column (1-based)."""


@dataclass(frozen=True)
class Comparison:
    var: str
    op: str
    #: str, float, or a tuple of them (``in``/``not in``).
    value: object


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    parts: tuple


@dataclass(frozen=True)
class Not:
    part: object


@dataclass(frozen=True)
class Expr:
    """A parsed expression: its text and its tree of comparisons."""

    text: str
    tree: object


def _error(node: ast.AST | None, message: str) -> ExprError:
    col = getattr(node, "col_offset", None)
    where = f"column {col + 1}: " if col is not None else ""
    return ExprError(f"{where}{message}")


def parse(text: str) -> Expr:
    """Parse an expression; :class:`ExprError` names the position of the first problem."""
    if not isinstance(text, str) or not text.strip():
        raise ExprError("empty expression")
    if "\n" in text or "\r" in text:
        raise ExprError("an expression is one line")
    if len(text) > MAX_LENGTH:
        raise ExprError(f"longer than {MAX_LENGTH} characters")
    try:
        module = ast.parse(text.strip(), mode="eval")
        for node in ast.walk(module):  # '&' and '|' bind tighter than comparisons: say so first
            if isinstance(node, ast.BinOp) and type(node.op) in _HINTS:
                raise _error(node, _HINTS[type(node.op)])
        return Expr(text.strip(), _node(module.body))
    except RecursionError:
        raise ExprError("nested too deeply") from None
    except SyntaxError as exc:
        hint = ""
        if re.search(r"(?<![=!<>])=(?!=)", text):
            hint = " (compare with ==, not =)"
        col = f"column {exc.offset}: " if exc.offset else ""
        raise ExprError(f"{col}not a valid expression{hint}") from None


def _node(node: ast.AST):
    if isinstance(node, ast.BoolOp):
        op = "and" if isinstance(node.op, ast.And) else "or"
        return BoolOp(op, tuple(_node(v) for v in node.values))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return Not(_node(node.operand))
    if isinstance(node, ast.Compare):
        return _compare(node)
    if isinstance(node, ast.Name):
        raise _error(node, f'{node.id} alone is not a test (e.g. {node.id} == "Y")')
    hint = next((h for t, h in _HINTS.items() if isinstance(node, t)), "")
    if isinstance(node, ast.BinOp):
        hint = _HINTS.get(type(node.op), "arithmetic is not allowed")
    kind = type(node).__name__
    raise _error(node, f"not allowed here: {kind}" + (f" ({hint})" if hint else ""))


def _compare(node: ast.Compare) -> Comparison:
    if len(node.ops) != 1:
        raise _error(node, "one comparison at a time (join them with 'and')")
    op = _OPS.get(type(node.ops[0]))
    if op is None:
        raise _error(node, "unknown comparison (use == != < <= > >= in, not in)")
    left, right = node.left, node.comparators[0]
    if not isinstance(left, ast.Name):
        raise _error(left, "the left side of a comparison must be a variable name")
    if not _NAME.match(left.id):
        raise _error(left, f"{left.id!r} is not a variable name")
    if op in ("in", "not in"):
        if not isinstance(right, (ast.List, ast.Tuple)) or not right.elts:
            raise _error(right, f'\'{op}\' needs a non-empty list, e.g. ["A", "B"]')
        values = tuple(_constant(e) for e in right.elts)
        kinds = {type(v) for v in values}
        if len(kinds) > 1:
            raise _error(right, "a list holds texts or numbers, not both")
        return Comparison(left.id, op, values)
    value = _constant(right)
    if op in ("<", "<=", ">", ">=") and value == "":
        raise _error(right, f"'{op}' needs a number or a date, not a blank")
    return Comparison(left.id, op, value)


def _constant(node: ast.AST):
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _constant(node.operand)
        if isinstance(value, float):
            return -value
        raise _error(node, "a minus sign goes with a number")
    if isinstance(node, ast.Constant) and not isinstance(node.value, bool):
        if isinstance(node.value, str):
            return node.value
        if isinstance(node.value, (int, float)) and np.isfinite(node.value):
            return float(node.value)
    if isinstance(node, ast.Name):
        raise _error(node, f"compare with a value, not the variable {node.id} (quote texts)")
    raise _error(node, "expected a quoted text or a number")


def variables(expr: Expr) -> set[str]:
    """The variables the expression reads."""
    out: set[str] = set()

    def walk(n):
        if isinstance(n, Comparison):
            out.add(n.var)
        elif isinstance(n, BoolOp):
            for p in n.parts:
                walk(p)
        elif isinstance(n, Not):
            walk(n.part)

    walk(expr.tree)
    return out


def _comparisons(tree) -> list[Comparison]:
    if isinstance(tree, Comparison):
        return [tree]
    if isinstance(tree, BoolOp):
        return [c for p in tree.parts for c in _comparisons(p)]
    return _comparisons(tree.part)


def _kind(series: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return "num"
    return "text"


def _as_date(value: str):
    try:
        return pd.Timestamp(value) if re.match(r"^\d{4}-\d{2}-\d{2}", value) else None
    except ValueError:
        return None


def type_problems(expr: Expr, frame: pd.DataFrame) -> list[str]:
    """Comparisons that do not fit the data: text vs number, a date that is not ISO 8601,
    order on text. One sentence each; variables absent from ``frame`` are skipped (they are
    reported as missing variables)."""
    out = []
    for c in _comparisons(expr.tree):
        if c.var not in frame.columns:
            continue
        kind = _kind(frame[c.var])
        values = c.value if isinstance(c.value, tuple) else (c.value,)
        for v in values:
            if v == "":
                continue
            if kind == "num" and isinstance(v, str):
                out.append(f"{c.var} is numeric in the data: compare it with a number, not {v!r}")
            elif kind == "text" and isinstance(v, float):
                out.append(f"{c.var} is text in the data: compare it with a quoted text, not {v:g}")
            elif kind == "date" and (isinstance(v, float) or _as_date(v) is None):
                out.append(
                    f'{c.var} is a date in the data: compare it with "YYYY-MM-DD", not {v!r}'
                )
            elif kind == "text" and c.op in ("<", "<=", ">", ">="):
                out.append(f"{c.var} is text in the data: '{c.op}' compares numbers or dates only")
    return list(dict.fromkeys(out))


def evaluate(expr: Expr, frame: pd.DataFrame) -> np.ndarray:
    """Boolean mask of the rows of ``frame`` that meet the expression (call
    :func:`type_problems` first: a comparison that does not fit the data is False)."""
    return _eval(expr.tree, frame)


def _eval(tree, frame: pd.DataFrame) -> np.ndarray:
    if isinstance(tree, BoolOp):
        masks = [_eval(p, frame) for p in tree.parts]
        combine = np.logical_and if tree.op == "and" else np.logical_or
        out = masks[0]
        for m in masks[1:]:
            out = combine(out, m)
        return out
    if isinstance(tree, Not):
        return ~_eval(tree.part, frame)
    return _eval_comparison(tree, frame[tree.var])


def _blank(series: pd.Series) -> np.ndarray:
    if _kind(series) == "text":
        return (series.fillna("").astype(str).str.strip() == "").to_numpy()
    return series.isna().to_numpy()


def _eval_comparison(c: Comparison, series: pd.Series) -> np.ndarray:
    kind = _kind(series)
    blank = _blank(series)
    if c.value == "" and c.op in ("==", "!="):
        return blank if c.op == "==" else ~blank
    values = series.fillna("").astype(str).str.strip() if kind == "text" else series
    wanted = c.value if isinstance(c.value, tuple) else (c.value,)
    converted = []
    for v in wanted:
        if v == "":
            continue
        if kind == "date":
            v = _as_date(v) if isinstance(v, str) else None
        elif kind == "num" and isinstance(v, str) or kind == "text" and isinstance(v, float):
            v = None
        if v is not None:
            converted.append(v)
    has_blank = "" in wanted
    if c.op in ("in", "not in"):
        hit = values.isin(converted).to_numpy() if converted else np.zeros(len(values), bool)
        if has_blank:
            hit = hit | blank
        return hit if c.op == "in" else ~hit
    if not converted:
        return np.zeros(len(values), bool) if c.op != "!=" else np.ones(len(values), bool)
    v = converted[0]
    ops = {
        "==": values.__eq__,
        "!=": values.__ne__,
        "<": values.__lt__,
        "<=": values.__le__,
        ">": values.__gt__,
        ">=": values.__ge__,
    }
    out = np.asarray(ops[c.op](v), dtype=bool)
    # A missing number or date meets no order comparison and is "not equal" to any value.
    if kind != "text" and c.op != "!=":
        out &= ~blank
    return out
