"""The only place numbers become strings.

Rounding is half-up on the decimal value as printed (SAS ``ROUND``/``PUT`` behaviour), not
Python's round-half-to-even and not on the binary float: ``2.675`` rounds to ``2.68`` and
``0.125`` to ``0.13``. Not-estimable values print as ``NE``.

Conventions (ICH E3 / common CSR practice):

* counts ``n (%)`` with one decimal, ``0`` printed alone, 100% as ``(100)``;
* means and medians one decimal more than the raw data, SD two more, min/max as raw;
* p-values three decimals, ``<0.001`` below, ``>0.999`` above;
* confidence intervals ``(lower, upper)``.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

NE = "NE"


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def round_half_up(x: float, digits: int = 0) -> Decimal:
    """Round half away from zero on the shortest decimal representation of ``x``.

    ``repr(x)`` is the shortest string that round-trips to the same float, so ``2.675`` (stored as
    2.67499999...) is treated as the decimal 2.675 the data meant, as SAS does with its fuzz.
    """
    quantum = Decimal(1).scaleb(-digits)
    return Decimal(repr(float(x))).quantize(quantum, rounding=ROUND_HALF_UP)


def fmt_num(x: float | None, digits: int = 0) -> str:
    """A number rounded half-up to ``digits`` decimals; ``NE`` when missing."""
    if _missing(x) or (isinstance(x, float) and math.isinf(x)):
        return NE
    text = f"{round_half_up(x, digits):f}"
    if text.startswith("-") and Decimal(text) == 0:
        text = text[1:]  # never print "-0.0"
    return text


def fmt_int(x: float | None) -> str:
    return fmt_num(x, 0)


def fmt_count(n: int) -> str:
    """A count in running text, with thousands separators: ``2,542,486``."""
    return f"{n:,}"


def fmt_pct(pct: float | None, digits: int = 1) -> str:
    """A percentage without the sign: 100 prints as ``100``, other values with ``digits``."""
    if _missing(pct):
        return NE
    if pct == 100:
        return "100"
    return fmt_num(pct, digits)


def fmt_n_pct(n: float | None, pct: float | None, digits: int = 1) -> str:
    """``n (pct)``; a zero count prints ``0`` alone, as in most CSR shells."""
    if _missing(n):
        return NE
    if n == 0:
        return "0"
    return f"{fmt_int(n)} ({fmt_pct(pct, digits)})"


def fmt_n_pct_events(n: float, pct: float, events: float, digits: int = 1) -> str:
    """``n (pct) events`` for adverse-event tables: subjects and records."""
    return f"{fmt_n_pct(n, pct, digits)} [{fmt_int(events)}]"


def fmt_mean_sd(mean: float | None, sd: float | None, digits: int = 0) -> str:
    """``mean (SD)`` with the mean at ``digits + 1`` and the SD at ``digits + 2`` decimals."""
    if _missing(mean):
        return NE
    return f"{fmt_num(mean, digits + 1)} ({fmt_num(sd, digits + 2)})"


def fmt_median(median: float | None, digits: int = 0) -> str:
    return fmt_num(median, digits + 1)


def fmt_range(lo: float | None, hi: float | None, digits: int = 0) -> str:
    """``lo, hi`` (min-max or Q1-Q3 inside brackets or after a label)."""
    return f"{fmt_num(lo, digits)}, {fmt_num(hi, digits)}"


def fmt_median_iqr(median: float, q1: float, q3: float, digits: int = 0) -> str:
    """``median [Q1, Q3]``, all at ``digits + 1`` decimals."""
    return f"{fmt_num(median, digits + 1)} [{fmt_range(q1, q3, digits + 1)}]"


def fmt_ci(lcl: float | None, ucl: float | None, digits: int = 2) -> str:
    """``(lcl, ucl)``; an unestimable limit prints ``NE``."""
    return f"({fmt_num(lcl, digits)}, {fmt_num(ucl, digits)})"


def fmt_est_ci(est: float | None, lcl: float | None, ucl: float | None, digits: int = 2) -> str:
    """``est (lcl, ucl)``."""
    return f"{fmt_num(est, digits)} {fmt_ci(lcl, ucl, digits)}"


def fmt_pvalue(p: float | None, digits: int = 3) -> str:
    """Three decimals; ``<0.001`` and ``>0.999`` at the ends; ``NE`` when not computed."""
    if _missing(p):
        return NE
    floor = 10.0**-digits
    if p < floor:
        return f"<{floor:.{digits}f}"
    if p > 1 - floor:
        return f">{1 - floor:.{digits}f}"
    return fmt_num(p, digits)


def fmt_header_n(label: str, n: float) -> str:
    """Column header ``Arm\\n(N=xx)``."""
    return f"{label}\n(N={fmt_int(n)})"


def fmt_prob_pct(p: float | None, digits: int = 1) -> str:
    """A probability (0-1) printed as a percentage: ``0.8425`` -> ``84.3``; ``NE`` when missing.

    The scaling is done on the decimal value (``Decimal(repr(p))``), so ``0.845`` prints ``84.5``
    and not the ``84.4`` of the binary product ``0.845 * 100 = 84.49999...``.
    """
    if _missing(p) or (isinstance(p, float) and math.isinf(p)):
        return NE
    quantum = Decimal(1).scaleb(-digits)
    text = f"{(Decimal(repr(float(p))).scaleb(2)).quantize(quantum, rounding=ROUND_HALF_UP):f}"
    return text[1:] if text.startswith("-") and Decimal(text) == 0 else text


def fmt_prob_pct_ci(p: float | None, lcl: float | None, ucl: float | None, digits: int = 1) -> str:
    """``est (lcl, ucl)`` of probabilities printed as percentages (KM, cumulative incidence)."""
    return f"{fmt_prob_pct(p, digits)} ({fmt_prob_pct(lcl, digits)}, {fmt_prob_pct(ucl, digits)})"


def fmt_stat_df(statistic: float | None, df: float | None, digits: int = 2) -> str:
    """A test statistic with its degrees of freedom: ``5.23 (1)``; ``NE`` when not computed."""
    if _missing(statistic):
        return NE
    return f"{fmt_num(statistic, digits)} ({fmt_int(df)})"


def fmt_level(x: float | None) -> str:
    """A number used as a label (landmark time, window bound, axis tick): ``12``, ``0.5``;
    written as the ARD writes levels (``%g``); ``NE`` when missing."""
    if _missing(x):
        return NE
    return f"{float(x):g}"


def fmt_nowrap(text: str) -> str:
    """``text`` with no-break spaces, so that a cell like ``65 (75.6) [281]`` never wraps
    between its parts (HTML and Word both honour U+00A0)."""
    return text.replace(" ", "\u00a0")


def fmt_value(x: float | None) -> str:
    """A stored value as recorded, unrounded (listings): ``39.33``, ``140``; blank if missing.

    The shortest decimal that round-trips to the float (as :func:`round_half_up` reads values),
    without exponent or trailing zeros.
    """
    if _missing(x) or (isinstance(x, float) and math.isinf(x)):
        return ""
    text = f"{Decimal(repr(float(x))).normalize():f}"
    return "0" if text in ("-0", "0") else text


def fmt_listing_num(x: float | None, digits: int | None = None) -> str:
    """A number in a listing cell: blank when missing, else :func:`fmt_num` (or as recorded)."""
    if _missing(x):
        return ""
    return fmt_value(x) if digits is None else fmt_num(x, digits)


def fmt_date(value) -> str:
    """An ISO 8601 date (``2013-01-14``) from a date or timestamp; blank when missing."""
    if value is None:
        return ""
    try:
        import pandas as pd  # formatting is imported everywhere; pandas only when dates print

        if pd.isna(value):
            return ""
        return pd.Timestamp(value).date().isoformat()
    except (TypeError, ValueError):
        return str(value)
