"""Bin means: bring any sampling rate down to the posture rate before the posture work.

Posture, slouching, bending and hip height change over tenths of a second; 25 values a second
describe them fully (a bend's fastest component, the 150 deg/s peak of a minimum-jerk move, is below
2 Hz). Averaging the raw samples in fixed time bins of 1/25 s (not by count, so irregular and gappy
streams bin correctly) cuts the work of everything downstream four-fold at 100 Hz and eight-fold at
200 Hz, which is what makes a 24 h day run in well under a second. Averaging keeps the gyroscope's
integral (mean rate x bin length) and low-passes the accelerometer a little, which the complementary
filter does anyway. Gait detection, which needs the full rate, is fed the raw samples.

A bin is emitted once a sample of a later bin has arrived, so chunking never changes the output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from sensorkit.samples import SampleBlock

POSTURE_RATE_HZ = 25.0
MAX_IN_ORDER = 8  # bins of up to this many samples are summed in order by np.add.reduceat (see _equal_bin_sums)


@dataclass
class BinMeans:
    """Streaming bin averager; ``rate_hz`` is the output bin rate."""

    rate_hz: float = POSTURE_RATE_HZ
    _left: SampleBlock | None = None

    def update(self, block: SampleBlock) -> SampleBlock:
        """Means of every bin completed by ``block``; the last, possibly incomplete bin is kept.

        The kept bin is joined only with the block's first samples of the same bin
        (:func:`join_kept_bin`): its mean comes first, summed as before."""
        left, self._left = self._left, None
        if len(block) == 0:
            self._left = left
            return block
        head, _, block, idx = join_kept_bin(left, block, self._bin_of(block.t), self._bin_of)
        if head is not None and len(block) == 0:  # still the kept bin
            self._left = head
            return block
        starts = np.flatnonzero(np.diff(idx)) + 1
        last = int(starts[-1]) if len(starts) else 0
        self._left = block.slice(last, len(block))
        return _means(block.slice(0, last), np.concatenate([[0], starts[:-1]]) if last else starts, head)

    def _bin_of(self, t: np.ndarray) -> np.ndarray:
        return np.floor(t * self.rate_hz).astype(np.int64)

    def flush(self) -> SampleBlock:
        """The kept last bin, averaged (end of data)."""
        left, self._left = self._left, None
        if left is None or len(left) == 0:
            return SampleBlock.empty()
        return _means(left, np.array([0]))


def join_kept_bin(left: SampleBlock | None, block: SampleBlock, idx: np.ndarray,
                  bin_of: Callable[[np.ndarray], np.ndarray]) -> tuple[SampleBlock | None, int, SampleBlock, np.ndarray]:
    """A streaming binner's kept bin (``left``: the samples of the bin the block before left
    incomplete, or None) joined with the first samples of ``block`` in that bin (``idx``: each
    sample's bin, by ``bin_of``): returns that bin's samples and index (None and 0 when nothing was
    kept), then the rest of the block and its bins; the rest is empty while the kept bin goes on.
    Joined with those samples alone, not the whole block: copying every block behind the kept bin
    cost a fifth of binning (:class:`BinMeans`, :class:`.nonwear.WearDetector`)."""
    if left is None or len(left) == 0:
        return None, 0, block, idx
    kept = int(bin_of(left.t[-1:])[0])
    same = int(np.searchsorted(idx, kept, side="right"))
    return SampleBlock.concat([left, block.slice(0, same)]), kept, block.slice(same, len(block)), idx[same:]


def _means(block: SampleBlock, starts: np.ndarray, head: SampleBlock | None = None) -> SampleBlock:
    """Means of the bins of ``block`` that start at ``starts``, after the mean of ``head`` (the samples
    of one bin) if given: written into one array, so the block's means are not copied behind it."""
    if head is None and len(starts) == len(block):  # one sample per bin: nothing to average
        return block
    counts = np.diff(np.append(starts, len(block)))
    size = int(counts[0]) if len(counts) else 0
    equal = 1 < size <= MAX_IN_ORDER and bool((counts == size).all())  # a device's own clock: the usual case
    first = 0 if head is None else 1

    def mean(x: np.ndarray, x_head: np.ndarray | None) -> np.ndarray:
        out = np.empty((first + len(counts), *x.shape[1:]))
        if x_head is not None:
            np.divide(np.add.reduceat(x_head, [0], axis=0, out=out[:1]), len(x_head), out=out[:1])
        body = out[first:]
        if equal:
            np.divide(_equal_bin_sums(x, size, body), size, out=body)
        elif len(counts):
            np.add.reduceat(x, starts, axis=0, out=body)
            body /= counts if x.ndim == 1 else counts[:, None]
        return out

    def of(name: str) -> np.ndarray | None:
        x = getattr(block, name)
        return None if x is None else mean(x, None if head is None else getattr(head, name))

    return SampleBlock(of("t"), of("acc"), of("gyr"))


def _equal_bin_sums(x: np.ndarray, size: int, sums: np.ndarray) -> np.ndarray:
    """Sums of consecutive bins of ``size`` rows, to the bit those of ``np.add.reduceat``: it adds a
    bin's first row to the in-order sum of the others (NumPy's pairwise summation adds fewer than
    eight values one after the other). Here each addition covers every bin at once, on one column at
    a time (a strided view whose inner loop runs over the bins: 2-3x faster than reduceat)."""
    for column in range(x.shape[1]) if x.ndim == 2 else [None]:
        values, out = (x, sums) if column is None else (x[:, column], sums[:, column])
        np.copyto(out, values[1::size])
        for j in range(2, size):
            out += values[j::size]
        np.add(values[::size], out, out=out)
    return sums
