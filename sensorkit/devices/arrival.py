"""Sample indices for sensors with no clock on the air (WitMotion, Thingy:52, micro:bit, MetaMotion).

Such a sensor emits samples at a nominal rate and the host only sees *when* notifications arrive.
Arrival = generation + link latency, and latency jitters (connection events, OS batching). For each
notification the last sample's index ``s`` implies a generation origin ``o = arrival - s / rate``;
with no loss, ``o`` stays within the latency spread of the smallest origin seen so far (the packet
that travelled fastest). When ``o`` exceeds that floor by more than ``max_latency_s``, the sensor
must have produced samples that never arrived: the index jumps by enough to explain the delay if the
late packet had the link's *typical* latency (a running mean), so that the packets after it, with
their own jitter, do not each add a small spurious gap.

What this can prove, given that real latency never exceeds ``max_latency_s``:
- any loss longer than ``max_latency_s`` is detected, and counted to within ``max_latency_s x rate``
  samples (the late packet's deviation from typical latency is the error);
- a loss shorter than the latency jitter is invisible: it is indistinguishable from a slow packet;
- where inside a burst a loss happened cannot be known; the gap is placed before the late packet;
- a delivery stall longer than ``max_latency_s`` *without* loss is misread as loss (the samples after
  it land later than they were taken); nothing on the air can tell the two apart.
The sensor's oscillator error would slowly accumulate as false loss; the floor therefore creeps
forward by ``drift`` (fraction of elapsed time) so a clock slower than nominal by up to that much does
not. A clock faster than nominal only hides loss, by its error x elapsed time at most.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ArrivalClock:
    """Assigns sample indices from host arrival times; ``lost`` totals the inferred missing samples."""

    rate_hz: float
    max_latency_s: float = 0.25
    drift: float = 200e-6
    next_index: int = 0
    lost: int = 0
    _floor: float | None = None
    _last_arrival: float | None = None
    _typical: float = 0.0  # running mean of latency above the floor, in seconds

    TYPICAL_WEIGHT = 0.05  # weight of the newest packet in the running mean

    def place(self, arrival_s: float, n_samples: int) -> tuple[int, int]:
        """(index of the notification's first sample, samples inferred lost just before it)."""
        last = self.next_index + n_samples - 1
        origin = arrival_s - last / self.rate_hz
        missing = 0
        if self._floor is None:
            self._floor = origin
        else:
            self._floor += self.drift * max(0.0, arrival_s - (self._last_arrival or arrival_s))
            late = origin - self._floor
            if late > self.max_latency_s:
                missing = max(1, round((late - self._typical) * self.rate_hz))
                origin -= missing / self.rate_hz
            else:
                self._typical += self.TYPICAL_WEIGHT * (late - self._typical)
            self._floor = min(self._floor, origin)
        self._last_arrival = arrival_s
        first = self.next_index + missing
        self.next_index = first + n_samples
        self.lost += missing
        return first, missing
