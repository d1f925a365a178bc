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
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib.resources import files

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
    """A number used as a label or a key (landmark time, window bound, axis tick, an ARD
    ``timepoint``): ``12``, ``0.5``, ``365.2425``; ``NE`` when missing.

    The one spelling of a numeric level: whole numbers without ``.0``, others as the shortest
    decimal that round-trips (so ``365.2425`` is not cut to ``365.242`` as ``%g`` would).
    The ARD writes its numeric levels through this function, so a label found in a table is a
    key of the ARD."""
    if _missing(x):
        return NE
    x = float(x)
    return f"{x:g}" if x.is_integer() and abs(x) < 1e15 else repr(x)


def fmt_nowrap(text: str) -> str:
    """``text`` with no-break spaces, so that a cell like ``65 (75.6) [281]`` never wraps
    between its parts (HTML and Word both honour U+00A0)."""
    return text.replace(" ", "\u00a0")


#: Short words put in lower case when an upper-case term is put in sentence case; other
#: words of up to three letters are taken for abbreviations (HCC, AE, HIV, I/E) and kept.
_SMALL_WORDS = frozenset(
    [
        "a",
        "all",
        "an",
        "and",
        "any",
        "as",
        "at",
        "by",
        "day",
        "due",
        "end",
        "for",
        "in",
        "is",
        "met",
        "new",
        "no",
        "non",
        "not",
        "of",
        "off",
        "old",
        "on",
        "one",
        "or",
        "out",
        "own",
        "per",
        "the",
        "to",
        "two",
        "up",
        "use",
        "via",
        "yes",
    ]
)


def fmt_term(text: str) -> str:
    """A coded term for a reader: an ALL-CAPITALS value (``LOST TO FOLLOW-UP``) in sentence
    case (``Lost to follow-up``), words of up to three letters other than common small words
    kept as abbreviations (``HCC``, ``HIV``); a value in mixed case is printed as recorded.
    A study file's own labels for the values take precedence over this."""
    if not text or text != text.upper() or not any(ch.isalpha() for ch in text):
        return text
    words = text.split(" ")
    out = []
    for i, word in enumerate(words):
        bare = "".join(ch for ch in word if ch.isalpha())
        if len(bare) <= 3 and bare.lower() not in _SMALL_WORDS:
            out.append(word)
        elif i == 0:
            out.append(word[:1] + word[1:].lower())
        else:
            out.append(word.lower())
    return " ".join(out)


def fmt_value(x: float | None) -> str:
    """A stored value as recorded, unrounded (listings): ``39.33``, ``140``; blank if missing.

    Up to 12 significant digits, as SAS's BEST12. shows a stored value: the binary noise of a
    value converted between units (``99.17999999999999`` in the CDISC pilot's ADLB) prints as
    the value it stands for, ``99.18``. No exponent, no trailing zeros.
    """
    if _missing(x) or (isinstance(x, float) and math.isinf(x)):
        return ""
    text = f"{Decimal(f'{float(x):.12g}').normalize():f}"
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


# -- formats as data ------------------------------------------------------------------------------
#: How a statistic prints, as ``style`` or ``style:decimals`` (the ARD's ``fmt`` column):
#: ``int`` a count; ``num:d`` a number at d decimals; ``pct:d`` a percentage (100 prints
#: ``100``); ``pvalue:d`` a p-value (``<0.001``, ``>0.999``); ``prob:d`` a probability (0-1)
#: printed as a percentage.
STYLES = ("int", "num", "pct", "pvalue", "prob")


def format_code(style: str, decimals: int = 0) -> str:
    if style not in STYLES:
        raise ValueError(f"unknown format style {style!r} (known: {', '.join(STYLES)})")
    return style if style == "int" else f"{style}:{int(decimals)}"


def parse_code(code: str) -> tuple[str, int]:
    """``"num:2"`` -> ``("num", 2)``; an error for anything else than :func:`format_code` makes."""
    style, _, digits = code.partition(":")
    if (
        style not in STYLES
        or (style == "int") != (digits == "")
        or not (style == "int" or (digits.isdigit() and int(digits) <= 10))
    ):
        raise ValueError(f"not a format code: {code!r}")
    return style, int(digits or 0)


def fmt_stat(x: float | None, code: str) -> str:
    """One statistic printed by its format code (see :data:`STYLES`)."""
    style, digits = parse_code(code)
    if style == "int":
        return fmt_int(x)
    if style == "pct":
        return fmt_pct(x, digits)
    if style == "pvalue":
        return fmt_pvalue(x, digits)
    if style == "prob":
        return fmt_prob_pct(x, digits)
    return fmt_num(x, digits)


@dataclass(frozen=True)
class StatFormat:
    """How one statistic prints: a ``style`` with fixed ``decimals``, or with the decimals of
    the data it summarises plus ``offset``; or ``like`` another statistic."""

    style: str = "num"
    decimals: int | None = None
    offset: int | None = None
    like: str = ""


@dataclass(frozen=True)
class FormatSpec:
    """Every statistic's format, declared once: ``stats`` by ARD stat_name, ``modules`` the
    overrides of an output family (a stat_name that means something else there: the ``q1`` of
    a survival table is a time), resolved with the data decimals of each row."""

    stats: Mapping[str, StatFormat]
    modules: Mapping[str, Mapping[str, StatFormat]] = field(default_factory=dict)

    def rule(self, stat_name: str, module: str = "") -> StatFormat:
        seen = []
        name = stat_name
        while True:
            rule = self.modules.get(module, {}).get(name) or self.stats.get(name)
            if rule is None:
                raise KeyError(f"no format declared for statistic {name!r}")
            if not rule.like:
                return rule
            seen.append(name)
            if rule.like in seen:
                raise ValueError(f"formats: circular 'like' {' -> '.join(seen + [rule.like])}")
            name = rule.like

    def code(self, stat_name: str, module: str = "", data_decimals: int = 0) -> str:
        """The format code of ``stat_name`` in ``module`` for data with ``data_decimals``."""
        rule = self.rule(stat_name, module)
        fixed = rule.decimals
        digits = fixed if fixed is not None else data_decimals + (rule.offset or 0)
        return format_code(rule.style, max(0, min(digits, 10)))

    def merged(self, stats: Mapping[str, StatFormat], modules=None) -> FormatSpec:
        """This spec with a study file's overrides on top."""
        own = {m: dict(rules) for m, rules in self.modules.items()}
        for module, rules in (modules or {}).items():
            own.setdefault(module, {}).update(rules)
        return FormatSpec({**self.stats, **stats}, own)


def _rules(table: Mapping[str, Mapping]) -> dict[str, StatFormat]:
    return {name: StatFormat(**dict(rule)) for name, rule in table.items()}


@cache
def default_formats() -> FormatSpec:
    """The catalog's formats (``csrgen/formats.toml``)."""
    raw = tomllib.loads(files("csrgen").joinpath("formats.toml").read_text(encoding="utf-8"))
    modules = {m: _rules(rules) for m, rules in raw.get("modules", {}).items()}
    return FormatSpec(_rules(raw["stats"]), modules)


def fmt_n_pct_codes(n: float | None, pct: float | None, pct_code: str) -> str:
    """``n (pct)`` with the percentage printed by ``pct_code``; a zero count prints ``0``."""
    if _missing(n):
        return NE
    if n == 0:
        return "0"
    return f"{fmt_int(n)} ({fmt_stat(pct, pct_code)})"


def fmt_est_ci_codes(est, lcl, ucl, code: str) -> str:
    """``est (lcl, ucl)`` printed by ``code``; a plain ``NE`` when nothing is estimable."""
    if all(_missing(v) for v in (est, lcl, ucl)):
        return NE
    return f"{fmt_stat(est, code)} ({fmt_stat(lcl, code)}, {fmt_stat(ucl, code)})"
