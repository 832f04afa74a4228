"""Per-window statistics of a whole recording, gathered in one streaming pass: all that the automatic
alignment learns from, besides a few minutes of walking it reads again (:mod:`.alignment`).

Why: learning how the sensor sits on the body used to take full-rate copies of the whole recording
(7 GB for a week). The alignment only ever looks at one-second windows (their mean acceleration and
how much its magnitude varies: still, walking, bending) and at still half-second windows (the
accelerometer offset fit), so those are gathered block by block instead: ~90 bytes per second of data.
Windows are runs of ``round(rate)`` (and ``round(rate / 2)``) consecutive samples, as the alignment
always cut them; each is summed once all of its samples have arrived, so any chunking gives the same
statistics.

One subtlety: the magnitude's variation is wanted after the offset ``b`` is removed, and ``b`` is only
known once the pass is over. Each window therefore keeps the variance of ``|a|`` and its covariance
with the direction ``u = a/|a|``: ``|a - b| = |a| - u.b + O(|b|^2/|a|)``, so ``var|a - b| = var|a| -
2 b.cov(|a|, u)`` plus ``b' cov(u) b`` and smaller terms, left out: they change the standard deviation
by less than 1e-3 m/s^2 for a 0.2 g offset (none for ``b = 0``), far below the thresholds it is
compared with (0.35 m/s^2 and up).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import numpy as np

from sensorkit.samples import SampleBlock

from .nonwear import MIN_WORN_KEPT, WearDetector

SECOND_S = 1.0
HALF_S = 0.5  # the offset fit's still windows
STILL_ACC_SD, STILL_GYR = 0.06, 0.05  # m/s^2 per axis, rad/s: "still" for the offset fit


@dataclass
class WindowStats:
    """One-second windows (first and last sample times) and the means of the still half-second windows."""

    rate_hz: float
    t: np.ndarray  # (k,) time of each one-second window's first sample, s
    t_last: np.ndarray  # (k,) ... and of its last
    mean: np.ndarray  # (k, 3) mean acceleration
    mag_var: np.ndarray  # (k,) variance of |a|
    mag_dir_cov: np.ndarray  # (k, 3) covariance of |a| with u = a/|a|
    still_t: np.ndarray  # (m, 2) first and last sample time of each still half-second window
    still: np.ndarray  # (m, 3) its mean acceleration
    samples: int  # samples seen in all (windows left out included)

    def mag_sd(self, bias: np.ndarray) -> np.ndarray:
        """Per window: the standard deviation of ``|a - bias|`` (see the module docstring)."""
        var = self.mag_var - 2.0 * (self.mag_dir_cov @ np.asarray(bias, dtype=np.float64))
        return np.sqrt(np.maximum(var, 0.0))

    def without(self, periods: list[tuple[float, float]]) -> "WindowStats":
        """The windows with no sample in any of ``periods`` ((start, end) s; a NaN end: to the end)."""
        if not periods:
            return self
        keep, keep_still = np.ones(len(self.t), bool), np.ones(len(self.still_t), bool)
        for start, end in periods:
            end = np.inf if np.isnan(end) else end
            keep &= ~((self.t < end) & (self.t_last >= start))
            keep_still &= ~((self.still_t[:, 0] < end) & (self.still_t[:, 1] >= start))
        return WindowStats(self.rate_hz, self.t[keep], self.t_last[keep], self.mean[keep], self.mag_var[keep],
                           self.mag_dir_cov[keep], self.still_t[keep_still], self.still[keep_still], self.samples)


class WindowCollector:
    """Gathers :class:`WindowStats` from samples fed in any chunks (time order)."""

    def __init__(self, rate_hz: float) -> None:
        self.rate_hz = float(rate_hz)
        self.width = max(1, int(round(rate_hz)))
        self.half_width = max(2, int(round(rate_hz * HALF_S)))
        self._buffer = SampleBlock.empty()  # samples of windows not complete yet; the first is sample ...
        self._at = 0  # ... number _at of the recording
        self._next = {"second": 0, "half": 0}  # the first sample of the next window of each kind
        self._fields = {name: _Rows(shape) for name, shape in _SHAPES.items()}  # the WindowStats so far
        self._samples = 0

    def update(self, block: SampleBlock) -> None:
        """Feed the next samples."""
        self._samples += len(block)
        buffer = SampleBlock.concat([self._buffer, block]) if len(self._buffer) else block
        if len(buffer) == 0:
            return
        cols = _columns(buffer)
        self._seconds(buffer, cols)
        self._halves(buffer, cols)
        keep_from = min(self._next.values()) - self._at
        self._buffer, self._at = buffer.slice(keep_from, len(buffer)), self._at + keep_from

    def finish(self) -> WindowStats:
        """The statistics of everything fed (a recording shorter than one window: one window of it all)."""
        if not len(self._fields["t"]) and len(self._buffer):
            self.width = len(self._buffer)
            self._seconds(self._buffer, _columns(self._buffer))
        return WindowStats(self.rate_hz, **{name: rows.array() for name, rows in self._fields.items()},
                           samples=self._samples)

    def _complete(self, kind: str, width: int, buffer: SampleBlock) -> tuple[int, int]:
        """(offset in the buffer of the first complete window of ``kind``, how many there are)."""
        start = self._next[kind] - self._at
        count = (len(buffer) - start) // width
        self._next[kind] += count * width
        return start, count

    def _seconds(self, buffer: SampleBlock, cols: np.ndarray) -> None:
        w = self.width
        start, k = self._complete("second", w, buffer)
        if k == 0:
            return
        stop = start + k * w
        s = cols[:, start:stop].reshape(len(cols), k, w).sum(axis=2).T  # each window's samples are contiguous
        mean = s[:, 0:3] / w
        mag = s[:, 6:7] / w
        mag_var = s[:, 3:6].sum(axis=1) / w - mag[:, 0] ** 2  # |a|^2 = the sum of the squares
        mag_dir_cov = mean - mag * (s[:, 7:10] / w)  # E[|a| u] = E[a]
        for name, value in zip(("t", "t_last", "mean", "mag_var", "mag_dir_cov"),
                               (buffer.t[start:stop:w], buffer.t[start + w - 1:stop:w], mean, mag_var, mag_dir_cov)):
            self._fields[name].add(value)

    def _halves(self, buffer: SampleBlock, cols: np.ndarray) -> None:
        w = self.half_width
        start, k = self._complete("half", w, buffer)
        if k == 0:
            return
        stop = start + k * w
        acc = cols[0:3, start:stop].reshape(3, k, w)
        mean = acc.mean(axis=2, keepdims=True)
        sd = acc.std(axis=2, mean=mean).T  # the mean summed once (the same figures as summing it again)
        mean = mean[:, :, 0].T
        gyr = None if buffer.gyr is None else _window_means(buffer.gyr[start:stop], k, w)
        still = still_windows(sd, gyr)
        times = np.column_stack([buffer.t[start:stop:w], buffer.t[start + w - 1:stop:w]])
        self._fields["still_t"].add(times[still])
        self._fields["still"].add(mean[still])


_SHAPES = {"t": (), "t_last": (), "mean": (3,), "mag_var": (), "mag_dir_cov": (3,), "still_t": (2,), "still": (3,)}


class _Rows:
    """Rows added a few at a time, kept in one buffer grown by a quarter when full: a week's windows
    are then a few large arrays, not thousands of small ones that pin the heap between the blocks'
    temporary arrays (which kept 200 MB more resident than the statistics themselves)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self._data = np.empty((1024,) + shape)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def add(self, rows: np.ndarray) -> None:
        end = self._n + len(rows)
        if end > len(self._data):
            grown = np.empty((max(end, len(self._data) * 5 // 4),) + self._data.shape[1:])
            grown[: self._n] = self._data[: self._n]
            self._data = grown
        self._data[self._n:end] = rows
        self._n = end

    def array(self) -> np.ndarray:
        return self._data[: self._n]


def _window_means(x: np.ndarray, k: int, w: int) -> np.ndarray:
    """The means of ``k`` windows of ``w`` consecutive rows of ``x`` (n, 3), each window's samples added
    one after the other: the order in which NumPy reduces the strided view ``x.T.reshape(3, k, w)``
    (which this replaces), so the same figures to the bit. Laid out sample position first, each
    addition covers every window at once: 8x faster than reducing that view."""
    by_position = np.ascontiguousarray(x.reshape(k, w, 3).transpose(1, 2, 0))  # (w, 3, k)
    return (by_position.sum(axis=0) / w).T


def still_windows(sd: np.ndarray, gyr_mean: np.ndarray | None) -> np.ndarray:
    """Which windows were still (per-axis SD and mean rotation rate small): the offset fit's windows."""
    still = np.all(sd < STILL_ACC_SD, axis=1)
    if gyr_mean is not None:
        still &= np.linalg.norm(gyr_mean, axis=1) < STILL_GYR
    return still


def _columns(block: SampleBlock) -> np.ndarray:
    """What the one-second windows sum, one row per quantity (a, a^2, |a|, u = a/|a|), one column per
    sample: a window's samples are then contiguous and sum fast."""
    out = np.empty((10, len(block)))
    out[0:3] = block.acc.T
    np.square(out[0:3], out=out[3:6])
    mag = np.sqrt(out[3] + out[4] + out[5])
    out[6] = mag
    mag[mag == 0] = 1.0
    np.divide(out[0:3], mag, out=out[7:10])
    return out


def window_stats(block: SampleBlock, rate_hz: float) -> WindowStats:
    """The statistics of one block (a calibration, a test's samples): every window, worn or not."""
    return all_window_stats(_pieces(block), rate_hz)


def worn_window_stats(blocks: Iterable[SampleBlock], rate_hz: float) -> WindowStats:
    """One pass over a recording: the statistics of its worn windows (:func:`worn_only`)."""
    collector, wear = WindowCollector(rate_hz), WearDetector()
    for block in blocks:
        collector.update(block)
        wear.update(block)
    wear.finish()
    return worn_only(collector.finish(), wear.periods())


def all_window_stats(blocks: Iterable[SampleBlock], rate_hz: float) -> WindowStats:
    """One pass over a recording: the statistics of every window, worn or not."""
    collector = WindowCollector(rate_hz)
    for block in blocks:
        collector.update(block)
    return collector.finish()


def worn_only(stats: WindowStats, periods: list[tuple[float, float]]) -> WindowStats:
    """The worn windows of ``stats``, outside the non-wear ``periods``: a desk's orientation is nobody's
    posture; a recording (almost) never worn keeps every window, as there is nothing better to learn from."""
    worn = stats.without(periods)
    if len(worn.t) < MIN_WORN_KEPT * len(stats.t):
        return stats
    return worn


def _pieces(block: SampleBlock, size: int = 60_000) -> Iterable[SampleBlock]:
    """``block`` in pieces of ``size`` samples (bounded temporary arrays; chunking changes nothing)."""
    for i0 in range(0, len(block), size):
        yield block.slice(i0, i0 + size)
