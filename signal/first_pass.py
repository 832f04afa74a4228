"""The first pass of an offline analysis (the statistics of a recording's worn windows, which the
alignment is learnt from), here or in a process of its own started before the signal core is imported.

Why apart: the pass (decoding every block, window statistics and wear verdicts, ~0.9 s CPU for a day
at 100 Hz) needs nothing from the pipeline, gait or SciPy: NumPy, the store and :mod:`.window_stats`
only, which is why this module imports nothing heavier. Forked before the analysing process imports
the signal core (:mod:`.pipeline`, SciPy: half a second), it runs while that import and the second
pass's start happen, on the second core, and hands back the statistics (~150 bytes per second of
data, sent without a copy: :mod:`.apart`). The alignment itself is made from them in the analysing
process: its walking cue filters with SciPy, which the first pass's process would have to import
again.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from .apart import Apart, can_fork
from .window_stats import WindowStats, worn_window_stats


def first_pass(source: Any, rate_hz: float) -> WindowStats:
    """One pass over every block of ``source``: the statistics of its worn windows."""
    return worn_window_stats(source.iter_blocks(), rate_hz)


def first_pass_apart(source: Any, rate_hz: float) -> Apart | None:
    """:func:`first_pass` started in a forked process (its :meth:`~.apart.Apart.result` is the
    statistics), or None where none can be forked (:func:`~.apart.can_fork`)."""
    if not can_fork():
        return None
    return Apart("the first pass", partial(first_pass, rate_hz=rate_hz), source)
