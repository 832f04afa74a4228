"""Decoded packets in arrival order -> samples in device order with times, gap events and statistics.

This is the collector's bookkeeping, kept free of Bluetooth so it reads (and is reasoned about) on
its own. For each decoded packet it works out the recording-wide index of its first sample:

- from the device counter, unwrapped (:func:`.timebase.unwrap`), in ``counter_step`` units;
- from device timestamps (index = time x rate, counted from the first stamp of the run so that coarse
  stamps, Movesense's whole milliseconds, never round two ways);
- without either, from arrival times (:class:`sensorkit.devices.arrival.ArrivalClock`).

After a reconnect, or when a counter jumps far backwards, the index is checked against host time: a
device that kept counting through the outage gives the exact gap; one that restarted its counter
(power cycle, resume window over) starts a *new run*, placed where host time says it belongs. Time
stamps that moved forward across an outage are taken as they are: the device's clock ran on (host
time would only add the host's own delays, an emulator's lag on a busy machine).

Packets then pass a small reorder buffer: a packet that continues the stream goes straight out; one
after a hole waits until ``REORDER_PACKETS`` packets queue behind the hole or ``REORDER_WAIT_S`` has
passed, and then the hole is declared a gap. Each index goes out at most once: duplicates (and late
copies of a declared gap) are dropped and counted. Times come from :class:`.timebase.DriftClock`.

The edges: what was lost before the first packet that arrives is a gap when the stream's start is
known (a counter that a start resets to 0, flagged ``COUNTER_FROM_ZERO``; or :meth:`Reassembler.expect_origin`,
which an emulated session calls with the emulator's first sample), and what was lost after the last
is one when its end is known (:meth:`Reassembler.expect_end`, once the session confirms it has all
the sensor sent). Every sample the sensor took is then stored or counted lost.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Callable

import numpy as np

from ..devices.arrival import ArrivalClock
from ..devices.base import COUNTER_FROM_ZERO, DecodedSamples
from ..events import Event
from ..samples import SampleBlock
from .timebase import DriftClock, unwrap

REORDER_PACKETS = 4  # a hole is declared a gap once this many later packets wait behind it ...
REORDER_WAIT_S = 0.25  # ... or once the oldest waiting packet has waited this long (host seconds)
NEW_RUN_TOLERANCE_S = 2.0  # a first index this far from host time's expectation starts a new run


@dataclass
class CollectorStats:
    """What happened during a recording; stored in the recording as ``extra['collector']``."""

    packets: int = 0
    samples_stored: int = 0
    gaps: int = 0
    samples_lost: int = 0
    duplicates_dropped: int = 0  # samples
    late_dropped: int = 0  # samples that arrived after their slot was declared a gap
    samples_incomplete: int = 0  # arrived only in part, not stored (DeviceProfile.incomplete_samples)
    corrupt_packets: int = 0
    corrupt_examples: list[str] = field(default_factory=list)
    reconnects: int = 0
    link_losses: int = 0
    reconnect_s: list[float] = field(default_factory=list)  # link loss -> first new sample, host s
    new_runs: int = 0
    queue_max: int = 0
    battery_low: bool = False
    clipped_packets: int = 0
    clock_ppm: float = 0.0
    raw_capture_bytes: int = 0  # size of the raw capture attachment (record --raw), 0 without one
    raw_capture_truncated: bool = False  # the capture reached its size bound and stopped

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["reconnect_s"] = [round(x, 4) for x in self.reconnect_s]
        return doc


class Reassembler:
    """Feed :meth:`packet` / :meth:`link_lost` in arrival order; :meth:`take` what is ready.

    Host times are seconds on the device's time scale (the collector multiplies by the emulation
    speed); ``speed`` converts waits back to real seconds. ``on_start`` sees the first packet.
    """

    def __init__(self, rate_hz: float, stats: CollectorStats, *, speed: float = 1.0,
                 on_start: Callable[[DecodedSamples], None] | None = None):
        self.rate = float(rate_hz)
        self.stats = stats
        self.speed = float(speed)
        self.on_start = on_start
        self.clock = DriftClock(self.rate)
        self.last_t = 0.0  # time of the last sample released
        self._next_k: int | None = None  # next expected sample index
        self._last_host: float | None = None  # host time of the last released packet
        self._pending: dict[int, tuple[float, DecodedSamples]] = {}
        self._unwrap_ref: int | None = None
        self._run_offset = 0  # added to device indices after a new run
        self._check_run = False
        self._lost_at: float | None = None
        self._gap_cause = "loss"
        self._arrival: ArrivalClock | None = None
        self._lost_ranges: deque[tuple[int, int]] = deque(maxlen=64)  # recent gaps, to tell late from dup
        self._blocks: list[SampleBlock] = []
        self._events: list[Event] = []
        self._oldest_host: float | None = None
        self._time_anchor: tuple[float, int] | None = None  # (device time, index) of a stamped run's first packet
        self._reanchor = False
        self._origin: DecodedSamples | None = None
        self._end_k: int | None = None
        self.lead_samples = 0  # samples lost before the first packet that arrived (t = 0 is the stream's start)

    # -- input -------------------------------------------------------------------------------

    def packet(self, host: float, samples: DecodedSamples) -> None:
        if len(samples) == 0:
            return
        self._note_flags(samples)
        k0 = self._index_of(samples, host)
        self._place(k0, host, samples)

    def link_lost(self, host: float) -> None:
        """The link dropped: what waits is released (the outage follows), the next gap is a link gap."""
        self.release_all()
        self._lost_at = host
        self._gap_cause = "link"
        self._check_run = True
        self._reanchor = True  # a restarted stamped stream may sit at another phase of its clock

    def expect_origin(self, first: DecodedSamples) -> None:
        """The sensor's stream begins with ``first`` (a one-sample position, as the profile decodes
        it): samples lost before the first packet that arrives become a gap. Only before any packet."""
        if self._next_k is None:
            self._origin = first

    def expect_end(self, last: DecodedSamples) -> None:
        """The sensor's last sample is ``last``: samples lost after the last that arrives become a
        gap at :meth:`finish`. Call it once the link has delivered everything sent before it."""
        if self._next_k is not None:
            self._end_k = self._device_index(last, peek=True) + self._run_offset

    def finish(self) -> None:
        """End of the session: release what waits, and count a lost tail when the end is known."""
        self.release_all()
        if self._end_k is None or self._next_k is None or self._end_k < self._next_k:
            return
        missing = self._end_k + 1 - self._next_k
        self._count_gap(missing, float(self.clock.times(np.array([self._end_k]))[0]))

    def release_due(self, host: float) -> None:
        """Release what no longer needs to wait for a late packet."""
        while self._pending:
            k0 = min(self._pending)
            if k0 != self._next_k:
                oldest = min(h for h, _ in self._pending.values())
                if len(self._pending) <= REORDER_PACKETS and (host - oldest) / self.speed < REORDER_WAIT_S:
                    return
            self._release(k0, *self._pending.pop(k0))

    @property
    def waiting(self) -> bool:
        """Packets are held for a late one (:meth:`release_due` has something to decide)."""
        return bool(self._pending)

    def release_all(self) -> None:
        while self._pending:
            k0 = min(self._pending)
            self._release(k0, *self._pending.pop(k0))

    # -- output ------------------------------------------------------------------------------

    def take(self) -> tuple[SampleBlock | None, list[Event], float | None]:
        """(samples released since the last take, their events, host time of the oldest packet)."""
        block = SampleBlock.concat(self._blocks) if self._blocks else None
        out = (block, self._events, self._oldest_host)
        self._blocks, self._events, self._oldest_host = [], [], None
        return out

    # -- indexing ----------------------------------------------------------------------------

    def _note_flags(self, samples: DecodedSamples) -> None:
        if "clipped" in samples.flags:
            self.stats.clipped_packets += 1
        if "battery_low" in samples.flags and not self.stats.battery_low:
            self.stats.battery_low = True
            self._events.append(Event("battery_low", self.last_t, self.last_t, {}))

    def _device_index(self, samples: DecodedSamples, peek: bool = False) -> int:
        """The device's index of the first sample, from its counter or its time stamp."""
        if samples.counter is not None:
            raw, modulus = samples.counter, samples.counter_modulus or 2**32
            ref = self._unwrap_ref if self._unwrap_ref is not None else raw
            k = unwrap(raw, ref, modulus)
            if not peek:
                self._unwrap_ref = max(k, ref)
            return int(round(k / samples.counter_step))
        t = float(samples.device_time_s[0])
        if self._time_anchor is None:
            k = int(round(t * self.rate))
        else:
            t0, k0 = self._time_anchor
            k = k0 + int(round((t - t0) * self.rate))
        if not peek and (self._time_anchor is None or self._reanchor):
            self._time_anchor, self._reanchor = (t, k), False
        return k

    def _index_of(self, samples: DecodedSamples, host: float) -> int:
        """The recording-wide index of the packet's first sample."""
        if samples.counter is not None or samples.device_time_s is not None:
            k_dev = self._device_index(samples)
        else:
            if self._arrival is None:
                self._arrival = ArrivalClock(self.rate)
            k_dev = self._arrival.place(host, len(samples))[0]
        k = k_dev + self._run_offset
        if self._next_k is None:
            return k
        far_behind = k + len(samples) <= self._next_k - NEW_RUN_TOLERANCE_S * self.rate
        # a time stamp that moved on across an outage is the device's own clock running on: only a
        # counter, which a restart resets, needs host time to tell a new run from a long outage
        stamped_forward = samples.device_time_s is not None and not far_behind
        if (self._check_run and not stamped_forward) or far_behind:
            k = self._continuity(k, host)
        self._check_run = False
        return k

    def _continuity(self, k: int, host: float) -> int:
        """Keep the device's index if host time agrees with it; else start a new run where host time says."""
        assert self._next_k is not None
        if self._last_host is None:
            return k
        elapsed = host - self._last_host
        expected = self._next_k + elapsed * self.rate
        if abs(k - expected) <= (NEW_RUN_TOLERANCE_S + 0.05 * elapsed) * self.rate:
            return k
        self.stats.new_runs += 1
        placed = max(self._next_k, int(round(expected)))
        self._run_offset += placed - k
        self.clock.rebase(placed, self.last_t + (placed - self._next_k + 1) * self.clock.period)
        return placed

    # -- ordering ----------------------------------------------------------------------------

    def _place(self, k0: int, host: float, samples: DecodedSamples) -> None:
        n = len(samples)
        if self._next_k is None:
            origin = self._origin_index(samples)
            self._next_k = k0 if origin is None else min(k0, origin)
            self.lead_samples = k0 - self._next_k
            self.clock.start(self._next_k)
            if self.on_start:
                self.on_start(samples)
        if k0 + n <= self._next_k:
            self._count_stale(k0, n)
            return
        if k0 < self._next_k:  # partly stale: keep the new tail only
            cut = self._next_k - k0
            self.stats.duplicates_dropped += cut
            samples, k0 = _tail(samples, cut), self._next_k
        if k0 in self._pending:
            self.stats.duplicates_dropped += n
            return
        self._pending[k0] = (host, samples)
        self.release_due(host)

    def _origin_index(self, first: DecodedSamples) -> int | None:
        """Where the stream began, when that is known."""
        if self._origin is not None:
            return self._device_index(self._origin, peek=True)
        if COUNTER_FROM_ZERO in first.flags and first.counter is not None:
            return 0
        return None

    def _count_stale(self, k0: int, n: int) -> None:
        """A packet wholly before the next expected index: a late copy of a declared gap, or a duplicate."""
        if any(start <= k0 < end for start, end in self._lost_ranges):
            self.stats.late_dropped += n
        else:
            self.stats.duplicates_dropped += n

    def _release(self, k0: int, host: float, samples: DecodedSamples) -> None:
        assert self._next_k is not None
        k = np.arange(k0, k0 + len(samples))
        t = self.clock.times(k)
        if k0 > self._next_k:
            self._count_gap(k0 - self._next_k, float(t[0]))
        if self._lost_at is not None:
            self.stats.reconnect_s.append((host - self._lost_at) / self.speed)
            self._lost_at = None
        self._gap_cause = "loss"
        self._blocks.append(SampleBlock(t, samples.acc, samples.gyr))
        self._oldest_host = host if self._oldest_host is None else min(self._oldest_host, host)
        self._next_k = int(k[-1]) + 1
        self.last_t = float(t[-1])
        self._last_host = host
        self.clock.observe(int(k[-1]), host)

    def _count_gap(self, missing: int, t_after: float) -> None:
        """``missing`` samples from the next expected one were lost (``t_after``: the next sample's time)."""
        assert self._next_k is not None
        self.stats.gaps += 1
        self.stats.samples_lost += missing
        self._lost_ranges.append((self._next_k, self._next_k + missing))
        fields = {"samples": int(missing), "cause": self._gap_cause}
        self._events.append(Event("data_gap", self.last_t, t_after, fields))


def _tail(samples: DecodedSamples, cut: int) -> DecodedSamples:
    return replace(
        samples, acc=samples.acc[cut:], gyr=None if samples.gyr is None else samples.gyr[cut:],
        counter=None if samples.counter is None else samples.counter + cut * samples.counter_step,
        device_time_s=None if samples.device_time_s is None else samples.device_time_s[cut:],
    )
