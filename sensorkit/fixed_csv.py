"""Fixed-point CSV text from NumPy columns, built a whole chunk at a time.

pandas formats each value through Python (``float_format="%.6f"``): about a minute for a 24 h day of
100 Hz 6-axis samples. Here each column becomes a matrix of digit characters with NumPy integer
arithmetic, a mask drops the unused leading positions, and the masked characters, read row by row,
are the CSV text: the same numbers as ``%.6f`` (to within one unit in the last decimal where the
value sits exactly half way), roughly ten times faster.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

# the hundreds, tens and units characters of 0..999, so three digits cost one division and three lookups
_HUNDREDS, _TENS, _UNITS = (np.array([ord(f"{i:03d}"[k]) for i in range(1000)], dtype=np.uint8) for k in range(3))


def _put_digits(out: np.ndarray, number: np.ndarray, count: int) -> None:
    """Write the last ``count`` digits of non-negative integers into ``out`` (count, n), zero padded."""
    rest = number
    end = count
    while end > 0:
        rest, group = np.divmod(rest, 1000)
        for table in (_UNITS, _TENS, _HUNDREDS)[:min(3, end)]:
            end -= 1
            out[end] = table[group]


def _layout(values: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Sign, whole part, fraction (as integers) and the whole part's widest digit count."""
    scaled = np.rint(values * 10.0**decimals).astype(np.int64)
    negative = scaled < 0
    whole, fraction = np.divmod(np.abs(scaled), 10**decimals)
    widest = len(str(int(whole.max()))) if whole.size else 1
    small = np.int32 if widest < 9 else np.int64  # int32 division is the faster one
    return negative, whole.astype(small), fraction.astype(np.int32), widest


def format_rows(columns: Sequence[np.ndarray], decimals: int = 6, sep: str = ",") -> bytes:
    """The CSV lines (each ending in a newline) of equal-length float columns, ``decimals`` places each.

    Characters are laid out one text position per row of a (width, n) matrix, so every write is
    contiguous, and transposed once at the end.
    """
    if not columns or columns[0].shape[0] == 0:
        return b""
    n = columns[0].shape[0]
    layouts = [_layout(np.asarray(c, dtype=np.float64), decimals) for c in columns]
    width = sum(2 + widest + (1 + decimals if decimals else 0) for *_, widest in layouts)
    chars = np.empty((width, n), dtype=np.uint8)
    used = np.ones((width, n), dtype=bool)
    at = 0
    for i, (negative, whole, fraction, widest) in enumerate(layouts):
        chars[at] = ord("-")
        used[at] = negative
        at += 1
        _put_digits(chars[at:at + widest], whole, widest)
        for j in range(widest - 1):  # leading zeros are not written; the units digit always is
            used[at + j] = whole >= 10 ** (widest - 1 - j)
        at += widest
        if decimals:
            chars[at] = ord(".")
            _put_digits(chars[at + 1:at + 1 + decimals], fraction, decimals)
            at += 1 + decimals
        chars[at] = ord(sep) if i < len(columns) - 1 else ord("\n")
        at += 1
    return chars.T[used.T].tobytes()
