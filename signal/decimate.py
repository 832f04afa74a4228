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

import numpy as np

from sensorkit.samples import SampleBlock

POSTURE_RATE_HZ = 25.0


@dataclass
class BinMeans:
    """Streaming bin averager; ``rate_hz`` is the output bin rate."""

    rate_hz: float = POSTURE_RATE_HZ
    _left: SampleBlock | None = None

    def update(self, block: SampleBlock) -> SampleBlock:
        """Means of every bin completed by ``block``; the last, possibly incomplete bin is kept.

        The kept bin is joined only with the block's first samples of the same bin (not the whole
        block, a copy that cost a fifth of the stage): its mean comes first, summed as before."""
        left, self._left = self._left, None
        if len(block) == 0:
            self._left = left
            return block
        idx = np.floor(block.t * self.rate_hz).astype(np.int64)
        head = None
        if left is not None and len(left):
            same = int(np.searchsorted(idx, int(np.floor(left.t[-1] * self.rate_hz)), side="right"))
            head = SampleBlock.concat([left, block.slice(0, same)])
            if same == len(block):  # still the kept bin
                self._left = head
                return block.slice(0, 0)
            block, idx = block.slice(same, len(block)), idx[same:]
        starts = np.flatnonzero(np.diff(idx)) + 1
        last = int(starts[-1]) if len(starts) else 0
        self._left = block.slice(last, len(block))
        means = _means(block.slice(0, last), np.concatenate([[0], starts[:-1]])) if last else block.slice(0, 0)
        return means if head is None else SampleBlock.concat([_means(head, np.array([0])), means])

    def flush(self) -> SampleBlock:
        """The kept last bin, averaged (end of data)."""
        left, self._left = self._left, None
        if left is None or len(left) == 0:
            return SampleBlock.empty()
        return _means(left, np.array([0]))


def _means(block: SampleBlock, starts: np.ndarray) -> SampleBlock:
    counts = np.diff(np.append(starts, len(block)))
    if len(counts) == len(block):  # one sample per bin: nothing to average
        return block
    mean = lambda x: np.add.reduceat(x, starts, axis=0) / (counts if x.ndim == 1 else counts[:, None])  # noqa: E731
    return SampleBlock(mean(block.t), mean(block.acc), None if block.gyr is None else mean(block.gyr))
