"""The observations of a SAS transport (XPORT) file decoded column by column with numpy.

An observation is ``obs_len`` bytes; each variable sits at its NAMESTR position ``npos`` for
``nlng`` bytes. A block of records is viewed as a ``(records, obs_len)`` array of bytes and each
column is decoded for the whole block at once, with no Python call per value:

* numbers are IBM System/370 hexadecimal floating point, big-endian, ``nlng`` bytes (2-8) padded
  with zeros to 8: a sign bit, a 7-bit base-16 exponent in excess 64 and a 56-bit fraction. They
  become IEEE float64 by integer operations and :func:`numpy.ldexp`, truncated to the 53 bits a
  float64 holds as readstat (pyreadstat's engine, the reader csrgen used before) truncates them;
* SAS missing values (``.``, ``._``, ``.A``-``.Z``) are their tag byte followed by zero bytes
  and read as NaN; readstat reads any non-zero first byte followed by zeros so (an IBM zero with a
  sign or an exponent, which SAS never writes), and so does this decoder. The largest magnitude
  (``7FFFFFFF FFFFFFFF``, SAS's mark of a number too large for the format) is infinity, which the
  readers' ``[finite]`` check then reports;
* text is the fixed-width bytes up to the first NUL, decoded as UTF-8 (what pyreadstat did: XPORT
  records no encoding) and stripped of outer blanks. Each distinct value of a block is decoded
  once; the values are found by hashing each cell's bytes as 64-bit words (checked byte for byte
  afterwards, so a hash collision can only cost time, never a wrong value).

One difference from readstat is deliberate: a number whose fraction does not start with a
non-zero hexadecimal digit (not normalised; SAS never writes one) is read as the value it
encodes, where readstat gives a wrong number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from csrgen.datasets.base import MAX_EXAMPLES, read_error

#: The bits to drop from a 56-bit fraction (indexed by its top three bits) to keep 53.
_SHIFT = np.array([0, 1, 2, 2, 3, 3, 3, 3], dtype=np.uint64)
_FRACTION = np.uint64(0x00FF_FFFF_FFFF_FFFF)
_MAGNITUDE = np.uint64(0x7FFF_FFFF_FFFF_FFFF)
#: An odd 64-bit multiplier (the golden ratio's) that mixes the words of a text cell.
_MIX = np.uint64(0x9E37_79B9_7F4A_7C15)


@dataclass(frozen=True)
class Variable:
    """One variable as its NAMESTR (and, in version 8, its long-label record) describes it."""

    name: str
    numeric: bool
    length: int
    position: int
    label: str = ""
    #: The display format's name, width and decimals (``DATE``, 9, 0).
    format_name: str = ""
    width: int = 0
    decimals: int = 0

    @property
    def format(self) -> str:
        """The display format as readstat spells it (``DATE9``, ``8.2``; pyreadstat's
        ``original_variable_types``)."""
        if not self.format_name:
            return ""
        if self.decimals:
            return f"{self.format_name}{self.width}.{self.decimals}"
        return f"{self.format_name}{self.width}" if self.width else self.format_name


def ibm_to_float(words: np.ndarray) -> np.ndarray:
    """IBM hexadecimal floating point numbers (``uint64``, the 8 bytes read big-endian) as
    float64; SAS missing values as NaN.

    Examples
    --------
    >>> ibm_to_float(np.array([0x4110000000000000, 0xC276A00000000000], dtype=np.uint64))
    array([   1.   , -118.625])
    """
    words = np.asarray(words, dtype=np.uint64)
    fraction = words & _FRACTION
    exponent = ((words >> np.uint64(56)) & np.uint64(0x7F)).astype(np.int32)
    # A fraction of more than 53 significant bits loses its lowest ones (truncated, as readstat
    # does); what is left converts to float64 exactly and ldexp scales it exactly (every IBM
    # magnitude, 16**-65 to 16**63, is a normal float64).
    shift = _SHIFT[(fraction >> np.uint64(53)).astype(np.intp)]
    mantissa = (fraction >> shift).astype(np.float64)
    out = np.ldexp(mantissa, 4 * (exponent - 64) - 56 + shift.astype(np.int32))
    np.negative(out, out=out, where=(words >> np.uint64(63)).astype(bool))
    out[(fraction == 0) & (words != 0)] = np.nan
    top = (words & _MAGNITUDE) == _MAGNITUDE
    if top.any():
        out[top] = np.copysign(np.inf, out[top])
    return out


def cells(block: np.ndarray, var: Variable, width: int) -> np.ndarray:
    """The variable's bytes of each record in ``block``, contiguous, zero-padded to ``width``."""
    out = np.zeros((len(block), width), dtype=np.uint8)
    out[:, : var.length] = block[:, var.position : var.position + var.length]
    return out


def decode_numbers(block: np.ndarray, var: Variable) -> np.ndarray:
    """A numeric variable of a block of records as float64."""
    words = cells(block, var, 8).view(">u8")[:, 0]
    return ibm_to_float(words.astype(np.uint64))


def decode_text(block: np.ndarray, var: Variable, first_record: int, name: str) -> np.ndarray:
    """A character variable of a block of records as an ``object`` array of ``str``, each
    distinct value decoded once. ``first_record`` (0-based) is the block's first record in the
    file, for the error an undecodable value raises."""
    codes, first = factorize_rows(cells(block, var, -(-var.length // 8) * 8))
    texts = np.empty(len(first), dtype=object)
    bad = []
    for i, row in enumerate(first):
        raw = block[row, var.position : var.position + var.length].tobytes()
        raw = raw.rstrip(b" ").split(b"\x00", 1)[0]  # readstat: blanks off, then a C string
        try:
            texts[i] = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            bad.append((int(row), raw, exc))
    if bad:
        bad.sort(key=lambda b: b[0])
        shown = "; ".join(
            f"record {first_record + row + 1}: {raw!r}" for row, raw, _ in bad[:MAX_EXAMPLES]
        )
        raise read_error(
            name,
            "encoding",
            f"not a readable SAS transport (XPORT) file: text of {var.name} is not UTF-8 "
            f"({bad[0][2]}); {shown} (re-export the file with its text in UTF-8)",
            variable=var.name,
        )
    return texts[codes]


def factorize_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the distinct rows of a ``(n, 8k)`` uint8 array and the index of each distinct
    row's first occurrence: ``rows[first[codes]]`` equals ``rows``."""
    words = rows.view("<u8")
    key = words[:, 0].copy()
    for j in range(1, words.shape[1]):
        key *= _MIX
        key ^= words[:, j]
    codes, uniques = pd.factorize(key)
    first = np.full(len(uniques), len(rows), dtype=np.intp)
    np.minimum.at(first, codes, np.arange(len(rows), dtype=np.intp))
    if words.shape[1] > 1 and not np.array_equal(rows[first[codes]], rows):
        # Two different values with one hash: compare the bytes themselves instead (slower).
        _, first, codes = np.unique(
            rows.view(f"V{rows.shape[1]}")[:, 0], return_index=True, return_inverse=True
        )
    return codes.astype(np.intp, copy=False), first
