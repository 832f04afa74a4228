"""Wear time: when the sensor lies still on a desk, in a bag or on a charger instead of on the back.

The method is the one of van Hees et al. (2011, PLoS ONE 6:e22922; 2013, PLoS ONE 8:e61691), used by
GGIR, actipy and SKDH: a worn accelerometer never stays as still as one lying on a table, so a long
enough stretch in which the standard deviation of every axis stays below a threshold near the
device's noise is non-wear. Those tools look at wrist sensors, where sleep can be still for hours,
so they need 30-60 min windows and thresholds of 3-13 mg on the raw samples, and they miss shorter
removals. The lower back is different: a person lying or sitting perfectly still still breathes,
and breathing tilts the pelvis and lumbar spine by tenths of a degree every 3-6 s (plus the heart
beat and small shifts of weight). What this module changes, and why:

- **Slow part only.** The deviation is taken of 1-s means (``bin_s``), not of the raw samples. White
  sensor noise averages out in a second (its 1-s means vary by ``density / sqrt(2 s)``: 0.13 mg for a
  180 ug/sqrt(Hz) part, at any sampling rate), while breathing (0.1-0.5 Hz) and posture shifts pass.
  So the threshold can sit just above a still sensor's floor instead of above each part's noise, and
  the same threshold holds for 25 Hz and 200 Hz sensors.
- **Short windows, sustained.** Each 10-s window (``window_s``, two or three breaths, sliding by one
  bin) is still when the largest per-axis deviation of its 1-s means is below ``acc_still_mg`` and,
  when there is a gyroscope, that of the angular rate below ``gyr_still_dps``. Non-wear is an unbroken
  run of still windows lasting ``min_not_worn_s`` (5 min): long enough that no one wearing it is that
  still (no worn recording in ``../shared/data``, lying included, stays still for more than 11 s;
  ``validation/wear.py``), short enough to find a 15-min break almost whole.
- **Both sensors.** The gyroscope's floor (0.005 deg/s for 1-s means of a 0.007 deg/s/sqrt(Hz) part)
  is far below the rotation of breathing (0.1-1 deg/s), so with a gyroscope the test is safer still.

Thresholds: ``acc_still_mg`` 0.5 mg (3-4x a still consumer part's 1-s floor; a lying person's 10-s
windows in UCI HAPT reach 0.7 mg at the very stillest, typically 7 mg) and ``gyr_still_dps`` 0.04 deg/s
(HAPT's stillest lying window: 0.075 deg/s, typically 0.7). The non-wear period starts where the
stillness started (the first still window's first bin: just after the sensor was put down) and ends
where it ended (the first bin that moved: the pick-up). The put-down and pick-up movements
themselves count as worn; they last a second or two.

Streaming: samples in any chunks; a 1-s bin is complete once a sample of a later bin arrives (its
samples are summed together, so chunking cannot change a mean), and every change is decided at a
bin boundary on the recording's clock, so the posture tracker can apply it at the same sample
whatever the chunking. Bins are aligned to whole seconds of the recording clock, like the posture
rate's bins (:mod:`.decimate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sensorkit.samples import STANDARD_GRAVITY, SampleBlock

from .decimate import join_kept_bin

MIN_BINS_SHARE = 0.5  # a window needs more than half of its bins with samples, else it is not judged still
MIN_WORN_KEPT = 0.02  # worn_samples keeps the whole block when less than this share of it was worn


@dataclass(frozen=True)
class WearParams:
    """Settings of :class:`WearDetector` (see the module docstring for where the values come from)."""

    bin_s: float = 1.0  # s: averaging bin; noise averages out, breathing does not
    window_s: float = 10.0  # s: window of bins whose spread is tested
    acc_still_mg: float = 0.5  # mg: largest per-axis SD of the 1-s means of a still window
    gyr_still_dps: float = 0.04  # deg/s: the same for the angular rate (when there is a gyroscope)
    min_not_worn_s: float = 300.0  # s: stillness this long is non-wear


@dataclass(frozen=True)
class WearChange:
    """A change of wear state, decided at ``time`` (a bin boundary) about ``at`` (when it happened).

    ``kind``: ``still`` (the sensor has been still since ``at``), ``moving`` (a stillness too short for
    non-wear ended at ``at``), ``not_worn`` (the stillness since ``at`` has lasted ``min_not_worn_s``)
    or ``worn`` (the non-wear ended at ``at``: the sensor moved again).
    """

    time: float
    kind: str
    at: float


@dataclass
class WearDetector:
    """Streaming non-wear detection on samples in the sensor's own frame (orientation does not matter);
    the pipeline feeds it the 1/25-s bin means it already makes, whose 1-s means are the same."""

    params: WearParams = field(default_factory=WearParams)
    use_gyro: bool = True
    still_since: float | None = None  # start of the current stillness, once its first window is complete
    not_worn_since: float | None = None  # start of the current non-wear, once confirmed
    _left: SampleBlock | None = None  # samples of the bin not yet complete
    _tail: np.ndarray | None = None  # (bin index, means...) rows of the last window - 1 complete bins
    _periods: list[tuple[float, float]] = field(default_factory=list)  # confirmed non-wear, closed

    @property
    def _width(self) -> int:
        return max(2, int(round(self.params.window_s / self.params.bin_s)))

    def update(self, block: SampleBlock) -> list[WearChange]:
        """Feed the next samples (time order); returns the changes decided by the bins they complete.

        The kept bin is joined only with the block's first samples of the same bin
        (:func:`.decimate.join_kept_bin`): its sums come first, summed as before."""
        left, self._left = self._left, None
        if len(block) == 0:
            self._left = left
            return []
        head, head_bin, block, idx = join_kept_bin(left, block, self._bin_of(block.t), self._bin_of)
        if head is not None and len(block) == 0:  # still the kept bin
            self._left = head
            return []
        last = int(np.searchsorted(idx, idx[-1], side="left"))
        self._left = block.slice(last, len(block))
        return self._bins(block.slice(0, last), idx[:last], None if head is None else (head, head_bin))

    def _bin_of(self, t: np.ndarray) -> np.ndarray:
        return np.floor(t / self.params.bin_s).astype(np.int64)

    def finish(self) -> list[WearChange]:
        """End of data: the last bin counts; an open non-wear period ends at the last sample (the
        caller closes its own state there: no ``worn`` or ``moving`` change is made up)."""
        left, self._left = self._left, None
        if left is None or len(left) == 0:
            return []
        out = self._bins(left, self._bin_of(left.t))
        if self.not_worn_since is not None:
            self._periods.append((self.not_worn_since, float(left.t[-1])))
        self.still_since = self.not_worn_since = None
        return out

    def periods(self) -> list[tuple[float, float]]:
        """Confirmed non-wear periods so far, (start, end) seconds; an open one ends at NaN."""
        out = list(self._periods)
        if self.not_worn_since is not None:
            out.append((self.not_worn_since, float("nan")))
        return out

    def not_worn_at(self, t: np.ndarray) -> np.ndarray:
        """Per time in ``t``: inside a non-wear period confirmed so far (an open one has no end yet)."""
        out = np.zeros(len(t), dtype=bool)
        for start, end in self.periods():
            if len(t) and start <= t[-1] and not end <= t[0]:  # (t in time order) others hold none of t
                out |= (t >= start) & ((t < end) | np.isnan(end))
        return out

    # -- inside -----------------------------------------------------------------------------------

    def _bin_sums(self, block: SampleBlock, starts: np.ndarray) -> np.ndarray:
        """Per bin (``starts``: its first sample), the sums of the samples in threshold units:
        accelerometer in ``acc_still_mg``, gyroscope in ``gyr_still_dps``. Each sensor is scaled as its
        own contiguous array (4x faster than into the columns of one) and summed into its columns: each
        column is summed on its own either way, so the sums are the same to the bit."""
        gyro = self.use_gyro and block.gyr is not None
        sums = np.empty((len(starts), 6 if gyro else 3))
        np.add.reduceat(block.acc * (1000.0 / STANDARD_GRAVITY / self.params.acc_still_mg), starts, axis=0,
                        out=sums[:, :3])
        if gyro:
            np.add.reduceat(block.gyr * (np.degrees(1.0) / self.params.gyr_still_dps), starts, axis=0,
                            out=sums[:, 3:])
        return sums

    def _bins(self, block: SampleBlock, idx: np.ndarray, head: tuple[SampleBlock, int] | None = None) -> list[WearChange]:
        """Means of the complete bins of ``block`` (``idx``: each sample's bin, sorted), after the bin
        ``head`` (its samples and index) if given, then their windows."""
        means, bins = [], []
        if head is not None:
            means.append(self._bin_sums(head[0], np.zeros(1, dtype=np.intp)) / len(head[0]))
            bins.append(np.array([head[1]], dtype=np.int64))
        if len(block):
            starts = np.flatnonzero(np.concatenate([[True], idx[1:] != idx[:-1]]))
            counts = np.diff(np.append(starts, len(idx)))
            means.append(self._bin_sums(block, starts) / counts[:, None])
            bins.append(idx[starts])
        if not means:
            return []
        means = means[0] if len(means) == 1 else np.concatenate(means)
        bins = bins[0] if len(bins) == 1 else np.concatenate(bins)
        first, n = int(bins[0]), int(bins[-1] - bins[0]) + 1
        rows = np.full((n, means.shape[1] + 1), np.nan)  # a bin without samples stays NaN
        rows[:, 0] = np.arange(first, first + n)
        rows[bins - first, 1:] = means
        return self._windows(rows)

    def _windows(self, rows: np.ndarray) -> list[WearChange]:
        """Judge every window that ends in one of ``rows`` (bin index, means in threshold units)."""
        w = self._width
        tail = self._tail
        if tail is None:  # before the first bin: nothing, so the first windows are not judged still
            tail = np.full((w - 1, rows.shape[1]), np.nan)
            tail[:, 0] = rows[0, 0] - np.arange(w - 1, 0, -1)
        gap = int(rows[0, 0] - tail[-1, 0]) - 1
        if gap > 0:
            # bins between two calls had no samples; w of them decide every window that ends in the
            # gap (the rest hold nothing), as when the gap arrives inside one call
            fill = np.full((min(gap, w), rows.shape[1]), np.nan)
            fill[:, 0] = tail[-1, 0] + 1 + np.arange(len(fill))
            rows = np.vstack([fill, rows])
        joined = np.vstack([tail, rows])
        self._tail = joined[-(w - 1):].copy()
        ends = rows[:, 0]
        if not np.isnan(joined[:, 1]).any():  # every bin has samples (the usual case): nothing to leave out
            return self._runs(ends, _still_full(joined[:, 1:], w), joined[:len(rows), 0], ends)
        window = joined[np.arange(len(rows))[:, None] + np.arange(w)]  # (windows, w, 1 + channels)
        bins, values = window[:, :, 0], window[:, :, 1:]
        empty = np.isnan(values[:, :, 0])  # a bin has all channels or none
        valid = w - empty.sum(axis=1)
        count = np.maximum(valid, 1)[:, None]
        mean = np.where(empty[:, :, None], 0.0, values).sum(axis=1) / count
        var = (np.where(empty[:, :, None], 0.0, values - mean[:, None, :]) ** 2).sum(axis=1) / count
        still = (valid > MIN_BINS_SHARE * w) & (np.sqrt(var.max(axis=1)) < 1.0)
        # where each window's data begins and ends: a stillness next to a gap starts and ends with the data
        first = np.where(empty, np.inf, bins).min(axis=1)
        last = np.where(empty, -np.inf, bins).max(axis=1)
        has_data = valid > 0
        return self._runs(ends, still, np.where(has_data, first, ends), np.where(has_data, np.minimum(last + 1, ends), ends))

    def _runs(self, ends: np.ndarray, still: np.ndarray, first: np.ndarray, stop: np.ndarray) -> list[WearChange]:
        """Turn the per-window verdicts (windows ending in bins ``ends``) into changes, in time order.
        ``first``: each window's first bin with data (where a stillness starts); ``stop``: the bin where
        its data stopped being still (its last bin, or the end of its data before a gap)."""
        p = self.params
        out: list[WearChange] = []
        changes = (np.flatnonzero(still[1:] != still[:-1]) + 1).tolist()
        if len(still) and still[0] != (self.still_since is not None):
            changes.insert(0, 0)
        for i in [*changes, len(still)]:
            if self.still_since is not None and self.not_worn_since is None:
                # does the stillness reach min_not_worn_s before bin i (where it stops or the chunk ends)?
                due = int(np.ceil((self.still_since + p.min_not_worn_s) / p.bin_s - 1e-9))  # boundary index
                reach = int(stop[i]) if i < len(still) else int(ends[-1]) + 1
                if due <= reach:
                    self.not_worn_since = self.still_since
                    out.append(WearChange(float(due * p.bin_s), "not_worn", self.still_since))
            if i == len(still):
                break
            boundary = float((ends[i] + 1) * p.bin_s)  # the window ending in bin ends[i] is complete here
            if still[i]:
                self.still_since = float(first[i] * p.bin_s)
                out.append(WearChange(boundary, "still", self.still_since))
            else:
                end = float(stop[i] * p.bin_s)  # the first bin that moved, or where the data stopped
                if self.not_worn_since is not None:
                    self._periods.append((self.not_worn_since, end))
                    out.append(WearChange(boundary, "worn", end))
                else:
                    out.append(WearChange(boundary, "moving", end))
                self.still_since = self.not_worn_since = None
        return out


def _still_full(values: np.ndarray, w: int) -> np.ndarray:
    """Per window of ``w`` consecutive rows of ``values`` (bin means in threshold units, every bin with
    samples): whether every channel's SD is below 1. The windows overlap, so instead of gathering
    them (a copy ``w`` times the size) each sum adds the shifted rows, one at a time in the order
    ``np.sum`` adds a window's bins (not a running sum: the same figures to the bit), 4x faster."""
    rows = np.ascontiguousarray(values)
    k = len(rows) - w + 1
    total = rows[:k].copy()
    for j in range(1, w):
        total += rows[j:j + k]
    mean = total / w
    dev, spread = np.empty_like(mean), np.zeros_like(mean)
    for j in range(w):
        np.square(np.subtract(rows[j:j + k], mean, out=dev), out=dev)
        spread += dev
    return np.sqrt((spread / w).max(axis=1)) < 1.0


def worn_samples(block: SampleBlock, params: WearParams | None = None, use_gyro: bool = True) -> SampleBlock:
    """``block`` without the samples of its non-wear periods.

    For whatever learns from a whole recording how the sensor sits on the body (the automatic
    alignment, the accelerometer offset): an hour on a desk is an hour of a still, "upright"
    orientation that has nothing to do with the wearer."""
    det = WearDetector(params or WearParams(), use_gyro=use_gyro)
    det.update(block)
    det.finish()
    if not det.periods():
        return block
    keep = np.flatnonzero(~det.not_worn_at(block.t))
    if len(keep) < MIN_WORN_KEPT * len(block):  # (almost) never worn: nothing better to learn from
        return block
    return SampleBlock(block.t[keep], block.acc[keep], None if block.gyr is None else block.gyr[keep])
