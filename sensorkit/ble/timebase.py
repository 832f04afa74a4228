"""Device sample index -> seconds, with the device clock's drift corrected against host arrival times.

Why not host arrival time itself: operating systems deliver notifications in bursts (one connection
event carries several), so arrival times jitter by tens of milliseconds while the device's counter is
exact. Why not the nominal rate alone: a sensor's clock is off by tens of ppm (crystal) to percent
(MEMS internal oscillator), which over a day is seconds to minutes against the wall clock. So the
sample index fixes the *order and spacing*, and arrivals correct only the *period*:

- arrivals are compared with the nominal schedule, ``r = arrival - k * nominal_period``; the lowest
  ``r`` of each ``window_s`` of samples is the least-delayed packet of that window (delivery only
  ever adds delay), so those minima follow the device clock without the delivery jitter;
- a straight line through the minima of the last ``history`` windows gives the period error; it is
  used once the windows span ``min_span_s``, clamped to ``max_ppm`` (2 % by default: crystals are
  off by tens of ppm, but IMUs timed by their internal MEMS oscillator by up to a few percent);
- when the period changes, the mapping is re-anchored at the newest sample, so times already handed
  out never move and new ones stay continuous and increasing.

Host times given to :meth:`DriftClock.observe` must be on the same scale as device seconds (the
collector multiplies by the emulation ``speed``).
"""

from __future__ import annotations

from collections import deque

import numpy as np


def unwrap(counter: int, reference: int, modulus: int) -> int:
    """The unwrapped value of ``counter`` (mod ``modulus``) nearest to the unwrapped ``reference``."""
    d = (counter - reference) % modulus
    if d >= modulus // 2:
        d -= modulus
    return reference + d


class DriftClock:
    """Maps unwrapped sample indices to seconds since the recording's first sample."""

    def __init__(
        self,
        rate_hz: float,
        *,
        window_s: float = 10.0,
        history: int = 60,
        min_span_s: float = 60.0,
        max_ppm: float = 20_000.0,
    ):
        self.nominal_period = 1.0 / float(rate_hz)
        self.period = self.nominal_period
        self._window = max(1, int(round(window_s * rate_hz)))
        self._min_span = min_span_s * rate_hz
        self._max_rel = max_ppm * 1e-6
        self._minima: deque[tuple[int, float]] = deque(maxlen=history)
        self._current: tuple[int, int, float] | None = None  # (window id, k, residual)
        self._anchor_k: int | None = None
        self._anchor_t = 0.0

    @property
    def ppm(self) -> float:
        """Estimated device clock error: positive when the device runs fast (short periods)."""
        return (self.nominal_period / self.period - 1.0) * 1e6

    def start(self, k: int) -> None:
        """Sample ``k`` is at t = 0."""
        self._anchor_k, self._anchor_t = int(k), 0.0

    def rebase(self, k: int, t: float) -> None:
        """A new device run (counter restarted): sample ``k`` is at ``t``; the period estimate is kept."""
        self._anchor_k, self._anchor_t = int(k), float(t)
        self._minima.clear()
        self._current = None

    def times(self, k: np.ndarray) -> np.ndarray:
        """Seconds of sample indices ``k`` (must be at or after the current anchor for monotony)."""
        assert self._anchor_k is not None, "start() first"
        return self._anchor_t + (np.asarray(k, dtype=np.float64) - self._anchor_k) * self.period

    def observe(self, k: int, host_s: float) -> None:
        """Sample ``k`` arrived at host time ``host_s`` (seconds, device-time scale)."""
        residual = host_s - k * self.nominal_period
        window = k // self._window
        cur = self._current
        if cur is None or window != cur[0]:
            if cur is not None:
                self._minima.append((cur[1], cur[2]))
                self._update(k)
            self._current = (window, k, residual)
        elif residual < cur[2]:
            self._current = (window, k, residual)

    def _update(self, k_now: int) -> None:
        if len(self._minima) < 3 or self._minima[-1][0] - self._minima[0][0] < self._min_span:
            return
        ks = np.array([m[0] for m in self._minima], dtype=np.float64)
        rs = np.array([m[1] for m in self._minima])
        slope = np.polyfit(ks - ks[0], rs, 1)[0]  # seconds of error per sample
        rel = float(np.clip(slope / self.nominal_period, -self._max_rel, self._max_rel))
        new_period = self.nominal_period * (1.0 + rel)
        if new_period != self.period and self._anchor_k is not None and k_now > self._anchor_k:
            self._anchor_t = float(self.times(np.array([k_now]))[0])
            self._anchor_k = k_now
        self.period = new_period
