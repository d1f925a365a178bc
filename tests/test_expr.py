"""The study file's record filters (csrgen.expr): syntax errors name a column, nothing outside
the whitelist is accepted, masks checked by hand on a six-row frame."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from csrgen import expr

FRAME = pd.DataFrame(
    {
        "ARM": ["Placebo", "Screen Failure", "Drug", "", "Drug", "Placebo"],
        "AGE": [64.0, 70.0, np.nan, 80.0, 65.0, 30.0],
        "TRTSDT": pd.to_datetime(["2014-01-01", None, "2014-06-01", "2013-12-31", None, None]),
    }
)


def mask(text: str) -> list[bool]:
    return expr.evaluate(expr.parse(text), FRAME).tolist()


@pytest.mark.parametrize(
    "text, expected",
    [
        ('ARM != "Screen Failure"', [True, False, True, True, True, True]),
        ("ARM == 'Drug'", [False, False, True, False, True, False]),
        ('ARM == ""', [False, False, False, True, False, False]),
        ('ARM != ""', [True, True, True, False, True, True]),
        ('ARM in ["Drug", "Placebo"]', [True, False, True, False, True, True]),
        ('ARM not in ["Drug", "Placebo"]', [False, True, False, True, False, False]),
        ('ARM in ["Drug", ""]', [False, False, True, True, True, False]),
        ("AGE >= 65", [False, True, False, True, True, False]),  # NaN meets no order
        ("AGE < 65", [True, False, False, False, False, True]),
        ('AGE == ""', [False, False, True, False, False, False]),
        ("AGE != 64", [False, True, True, True, True, True]),  # NaN is "not equal"
        ("AGE == -3", [False] * 6),
        ('TRTSDT >= "2014-01-01"', [True, False, True, False, False, False]),
        ('TRTSDT == ""', [False, True, False, False, True, True]),
        ('ARM == "Drug" and AGE >= 65', [False, False, False, False, True, False]),
        ('ARM == "Drug" or AGE < 40', [False, False, True, False, True, True]),
        ('not (ARM == "Drug" or AGE < 40)', [True, True, False, True, False, False]),
        # "and" binds tighter than "or": Placebo, or (Drug and recorded TRTSDT)
        (
            'ARM == "Placebo" or ARM == "Drug" and TRTSDT != ""',
            [True, False, True, False, False, True],
        ),
    ],
)
def test_masks(text, expected):
    assert mask(text) == expected


def test_text_is_compared_stripped():
    frame = pd.DataFrame({"ARM": ["  Drug ", "Drug"]})
    assert expr.evaluate(expr.parse('ARM == "Drug"'), frame).tolist() == [True, True]


@pytest.mark.parametrize(
    "text, message",
    [
        ('ARM = "Drug"', "column 5: not a valid expression (compare with ==, not =)"),
        ("ARM == Drug", "column 8: compare with a value, not the variable Drug (quote texts)"),
        ("ARM", 'column 1: ARM alone is not a test (e.g. ARM == "Y")'),
        ('ARM == "A" & AGE > 1', "use 'and' instead of '&'"),
        ('"Drug" == ARM', "column 1: the left side of a comparison must be a variable name"),
        ("AGE > 1 > 0", "column 1: one comparison at a time (join them with 'and')"),
        ("ARM in []", "column 8: 'in' needs a non-empty list"),
        ('ARM in ["A", 1]', "a list holds texts or numbers, not both"),
        ('AGE > ""', "'>' needs a number or a date, not a blank"),
        ("ARM is None", "unknown comparison"),
        ("ARM == True", "expected a quoted text or a number"),
        ("", "empty expression"),
        ("AGE > 1\nor AGE < 0", "an expression is one line"),
        ("AGE + 1 > 3", "the left side of a comparison must be a variable name"),
        ("AGE == 1 + 2", "expected a quoted text or a number"),
    ],
)
def test_errors_name_the_column(text, message):
    with pytest.raises(expr.ExprError) as info:
        expr.parse(text)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true') == 0",
        "ARM.upper() == 'DRUG'",
        "[x for x in ARM] == 1",
        "lambda: 1",
        "ARM == (1).__class__",
        "ARM[0] == 'D'",
    ],
)
def test_nothing_outside_the_whitelist_runs(text):
    with pytest.raises(expr.ExprError):
        expr.parse(text)


def test_variables_and_type_problems():
    parsed = expr.parse('AGE == "old" and ARM > 3 or TRTSDT == "yesterday" or ARM == ""')
    assert expr.variables(parsed) == {"AGE", "ARM", "TRTSDT"}
    assert expr.type_problems(parsed, FRAME) == [
        "AGE is numeric in the data: compare it with a number, not 'old'",
        "ARM is text in the data: compare it with a quoted text, not 3",
        "TRTSDT is a date in the data: compare it with \"YYYY-MM-DD\", not 'yesterday'",
    ]
    assert expr.type_problems(expr.parse('ARM < "B"'), FRAME) == [
        "ARM is text in the data: '<' compares numbers or dates only"
    ]
    # a variable the data lack is not a type problem (it is reported as missing)
    assert expr.type_problems(expr.parse("NOPE == 1"), FRAME) == []


def test_too_long_or_too_deep():
    with pytest.raises(expr.ExprError, match="longer than"):
        expr.parse("AGE == 1 or " * 300 + "AGE == 1")
    with pytest.raises(expr.ExprError):
        expr.parse("(" * 300 + "AGE == 1" + ")" * 300)
