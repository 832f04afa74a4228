"""Daily sparklines: one character per calendar day, zero at the bottom, the row's largest value at the top.

The trends screen draws one per metric over a patient's weeks. Scaling from zero (not from the
row's smallest value) keeps a steady series flat: 100, 101, 99 minutes of sitting read as three
equal blocks, not as a jump. A day without a recording is a blank, so a gap does not read as a zero.
"""

from __future__ import annotations

from datetime import date, timedelta

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float | None]) -> str:
    """One block per value from the lowest block (zero) to the highest (the largest value); None: a blank."""
    top = max((v for v in values if v is not None), default=0.0)
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif top <= 0:
            out.append(BLOCKS[0])
        else:
            out.append(BLOCKS[min(len(BLOCKS) - 1, int(round(max(0.0, v) / top * (len(BLOCKS) - 1))))])
    return "".join(out)


def daily(values: dict[date, float], first: date, last: date) -> list[float | None]:
    """``values`` on every calendar day from ``first`` to ``last``, None where there is none."""
    return [values.get(first + timedelta(days=i)) for i in range((last - first).days + 1)]
