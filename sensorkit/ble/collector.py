"""The collector: scan, connect, configure, stream, rebuild sample times, store; reconnect on link loss.

The path of one notification::

    bleak callback --(host time, bytes)--> asyncio.Queue --> consumer task:
        profile.decode -> sample indices (unwrapped counter | device time | arrival inference)
        -> reorder buffer (drops duplicates, waits briefly for late packets, else declares a gap)
        -> DriftClock (index -> seconds) -> RecordingWriter.append + flush (committed)
        -> live consumers (the signal pipeline, the screen)

Why a queue: bleak calls the callback from the OS (or, on the virtual radio, from inside Bumble's
packet dispatch); anything slow there stalls the radio. The callback only timestamps and enqueues.
Why commit before the live consumers see data: a crash or ``kill -9`` then loses at most what the
pipeline had not seen, and the stored recording is the truth the live view is drawn from.

Guarantees: every sample stored was received (nothing interpolated or invented); each sample index
is stored at most once (duplicates and late copies are dropped and counted); every missing index
becomes a gap (a jump in ``t``, and a ``data_gap`` event saying how many samples and why); corrupt
packets are counted and skipped. After a link loss a fresh ``BleakClient`` reconnects with backoff,
the profile restarts streaming and the recording continues; if the device's counter continued, the
gap is exact, otherwise (a new run) it is placed by host time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError

from ..devices.arrival import ArrivalClock
from ..devices.base import Advertisement, DecodedSamples, DeviceProfile
from ..devices import registry
from ..errors import DecodeError, DeviceError, RecordingError
from ..events import Event
from ..samples import RecordingMeta, SampleBlock
from ..store import RecordingWriter
from .timebase import DriftClock, unwrap

log = logging.getLogger(__name__)

REORDER_PACKETS = 4  # a hole is declared a gap once this many later packets wait behind it ...
REORDER_WAIT_S = 0.25  # ... or once the oldest waiting packet has waited this long (host seconds)
NEW_RUN_TOLERANCE_S = 2.0  # after a reconnect, a counter this far from the host's expectation is a new run
BACKOFF_S = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)  # waits between reconnect attempts (last repeats)
_LINK_LOST = object()


@dataclass(frozen=True)
class Transport:
    """Which bleak backends to use: ``None`` = the platform's own (a real adapter)."""

    scanner: type | None = None
    client: type | None = None

    @classmethod
    def virtual(cls) -> "Transport":
        from .backend import BumbleClient, BumbleScanner

        return cls(BumbleScanner, BumbleClient)


@dataclass
class Found:
    """A supported sensor seen in a scan."""

    device: BLEDevice
    advertisement: Advertisement
    profile: type[DeviceProfile] | None

    @property
    def kind(self) -> str | None:
        return self.profile.kind if self.profile else None


@dataclass
class CollectorStats:
    """What happened during a recording; stored in the recording as ``extra['collector']``."""

    packets: int = 0
    samples_stored: int = 0
    gaps: int = 0
    samples_lost: int = 0
    duplicates_dropped: int = 0  # samples
    late_dropped: int = 0  # samples that arrived after their slot was declared a gap
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

    def to_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["reconnect_s"] = [round(x, 4) for x in self.reconnect_s]
        return doc


def to_advertisement(device: BLEDevice, adv: AdvertisementData) -> Advertisement:
    return Advertisement(
        name=adv.local_name or device.name, address=device.address,
        service_uuids=tuple(adv.service_uuids), manufacturer_data=dict(adv.manufacturer_data), rssi=adv.rssi,
    )


async def scan(timeout_s: float = 5.0, transport: Transport = Transport(), *, only_supported: bool = True) -> list[Found]:
    """Sensors advertising nearby, strongest first, each with its kind (or None when unsupported)."""
    try:
        seen = await BleakScanner.discover(timeout=timeout_s, return_adv=True, backend=transport.scanner)
    except (BleakError, OSError, FileNotFoundError) as exc:
        raise DeviceError(_no_bluetooth(exc)) from exc
    found = []
    for device, adv in seen.values():
        advertisement = to_advertisement(device, adv)
        profile = registry.recognise(advertisement)
        if profile is not None or not only_supported:
            found.append(Found(device, advertisement, profile))
    return sorted(found, key=lambda f: -(f.advertisement.rssi or -999))


async def find(target: str, timeout_s: float = 5.0, transport: Transport = Transport()) -> Found:
    """The sensor named ``target`` (a name or an address); DeviceError when absent or unsupported."""
    want = target.lower()
    result: asyncio.Future[Found] = asyncio.get_running_loop().create_future()

    def seen(device: BLEDevice, adv: AdvertisementData) -> None:
        name = (adv.local_name or device.name or "").lower()
        if not result.done() and want in (device.address.lower(), name):
            advertisement = to_advertisement(device, adv)
            result.set_result(Found(device, advertisement, registry.recognise(advertisement)))

    try:
        async with BleakScanner(seen, backend=transport.scanner):
            found = await asyncio.wait_for(result, timeout_s)
    except asyncio.TimeoutError:
        raise DeviceError(f"no Bluetooth device named or addressed {target!r} answered within {timeout_s:g} s") from None
    except (BleakError, OSError) as exc:
        raise DeviceError(_no_bluetooth(exc)) from exc
    if found.profile is None:
        raise DeviceError(
            f"{found.advertisement.name or found.device.address} is not a supported sensor "
            f"(supported kinds: {', '.join(registry.kinds())}); nothing was recorded"
        )
    return found


def _no_bluetooth(exc: BaseException) -> str:
    return (
        "cannot use Bluetooth on this computer (no adapter, or the Bluetooth service is off: "
        f"{exc or type(exc).__name__}); nothing was recorded"
    )


class Collector:
    """Records one sensor into one recording until ``duration_s`` of data, :meth:`stop`, or an error.

    ``speed`` is only for emulated sensors running faster than real time: host times are multiplied
    by it so they are on the device's time scale. ``consumers`` get each committed SampleBlock;
    ``event_consumers`` each gap/battery event (after it is stored).
    """

    def __init__(
        self,
        found: Found,
        output: str | Path,
        *,
        profile: DeviceProfile | None = None,
        duration_s: float | None = None,
        transport: Transport = Transport(),
        speed: float = 1.0,
        source: str = "",
        overwrite: bool = False,
        consumers: list[Callable[[SampleBlock], None]] | None = None,
        event_consumers: list[Callable[[Event], None]] | None = None,
        connect_timeout_s: float = 10.0,
        attachments: dict[str, bytes] | None = None,
        finishers: list[Callable[[], list[Event]]] | None = None,
    ):
        if found.profile is None:
            raise DeviceError(f"{found.device.address} is not a supported sensor")
        self.found = found
        self.output = Path(output)
        self.profile = profile or found.profile(rate_hz=100.0)  # type: ignore[call-arg]
        self.duration_s = duration_s
        self.transport = transport
        self.speed = float(speed)
        self.source = source or f"ble:{found.profile.kind}"
        self.overwrite = overwrite
        self.consumers = list(consumers or [])
        self.event_consumers = list(event_consumers or [])
        self.connect_timeout_s = connect_timeout_s
        self.attachments = dict(attachments or {})  # stored once the recording exists (e.g. ground truth)
        self.finishers = list(finishers or [])  # called at the end; the events they return are stored
        # Diagnostics for latency: time.monotonic() of the oldest notification in the block being published.
        self.published_arrival: float | None = None
        self._batch_arrival: float | None = None
        self.stats = CollectorStats()
        self.writer: RecordingWriter | None = None
        self.rate = self.profile.rate_hz
        self.clock = DriftClock(self.rate)
        self._queue: asyncio.Queue = asyncio.Queue()
        self._stop = asyncio.Event()
        self._link_lost = asyncio.Event()
        self._next_k: int | None = None  # next expected sample index
        self._last_t = 0.0
        self._last_host: float | None = None  # host time (scaled) of the last released sample
        self._pending: dict[int, tuple[float, DecodedSamples]] = {}
        self._unwrap_ref: int | None = None
        self._run_offset = 0  # added to unwrapped device indices after a new run
        self._check_run = False
        self._lost_at: float | None = None
        self._gap_cause = "loss"
        self._arrival: ArrivalClock | None = None
        self._lost_ranges: deque[tuple[int, int]] = deque(maxlen=64)  # recent gaps, to tell late from dup
        self._host0 = time.monotonic()

    # -- public --------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    @property
    def elapsed_s(self) -> float:
        """Seconds of recording so far (device time of the last stored sample)."""
        return self._last_t

    async def run(self) -> CollectorStats:
        """Connect, record, reconnect after link losses; returns the statistics (also stored)."""
        self._check_output()
        consumer = asyncio.get_running_loop().create_task(self._consume())
        consumer.add_done_callback(lambda _task: self._stop.set())  # it only ends on error or at the end
        try:
            await self._session_loop()
        finally:
            self._queue.put_nowait(None)
            try:
                await consumer  # re-raises what stopped it (e.g. the disk is full)
            finally:
                self._finish()
        return self.stats

    def _check_output(self) -> None:
        """Refuse a bad output path before connecting (the file itself is created at the first sample)."""
        if self.output.exists() and not self.overwrite:
            raise RecordingError(f"{self.output} already exists (choose another name or pass --force)")
        if not self.output.parent.is_dir():
            raise RecordingError(f"folder {self.output.parent} does not exist")

    # -- connection management -----------------------------------------------------------------

    def _host_now(self) -> float:
        return (time.monotonic() - self._host0) * self.speed

    async def _session_loop(self) -> None:
        attempt, first = 0, True
        while not self._stop.is_set():
            client = BleakClient(
                self.found.device, disconnected_callback=self._on_disconnect,
                timeout=self.connect_timeout_s, backend=self.transport.client,
            )
            try:
                self._link_lost.clear()
                await client.connect()
                self._check_run = not first
                await self.profile.start(client, self._on_notify)
            except (BleakError, TimeoutError, asyncio.TimeoutError, OSError, DecodeError) as exc:
                with contextlib.suppress(Exception):
                    await client.disconnect()
                if first:
                    raise DeviceError(f"could not start {self.found.advertisement.name or self.found.device.address}: {exc}") from exc
                await self._backoff(attempt)
                attempt += 1
                continue
            if not first:
                self.stats.reconnects += 1
            first, attempt = False, 0
            try:
                await self._wait_until_done_or_lost()
            finally:  # also on Ctrl-C (cancellation): leave the sensor stopped, not streaming into the void
                if self._stop.is_set() or not self._link_lost.is_set():
                    await self._hang_up(client)
            # Link lost: go round again with a fresh BleakClient (reusing one breaks on some OS stacks).

    async def _hang_up(self, client: BleakClient) -> None:
        self._stop.set()  # the disconnect that follows is ours, not a link loss
        for step in (lambda: self.profile.stop(client), client.disconnect):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(step(), 3.0)

    async def _wait_until_done_or_lost(self) -> None:
        stop = asyncio.ensure_future(self._stop.wait())
        lost = asyncio.ensure_future(self._link_lost.wait())
        try:
            await asyncio.wait({stop, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            lost.cancel()

    async def _backoff(self, attempt: int) -> None:
        delay = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._stop.wait(), delay)

    def _on_disconnect(self, _client: Any) -> None:
        if self._link_lost.is_set() or self._stop.is_set():
            return
        self._queue.put_nowait((self._host_now(), _LINK_LOST, b""))
        self._link_lost.set()

    def _on_notify(self, char_uuid: str, data: bytes | bytearray) -> None:
        """Runs inside the BLE stack's dispatch: timestamp and enqueue, nothing else."""
        self._queue.put_nowait((self._host_now(), char_uuid, bytes(data)))

    # -- the consumer --------------------------------------------------------------------------

    async def _consume(self) -> None:
        while True:
            item = await self._queue.get()
            batch = [item]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            self.stats.queue_max = max(self.stats.queue_max, len(batch))
            released: list[SampleBlock] = []
            events: list[Event] = []
            for entry in batch:
                if entry is None:
                    self._release_all(released, events)
                    self._commit(released, events)
                    return
                host, char, payload = entry
                if char is _LINK_LOST:
                    self._on_link_lost(host, released, events)
                else:
                    self._handle(host, char, payload, released, events)
            self._release_due(self._host_now(), released, events)
            self._commit(released, events)

    def _on_link_lost(self, host: float, released: list, events: list) -> None:
        self.stats.link_losses += 1
        self._release_all(released, events)
        self._lost_at = host
        self._gap_cause = "link"

    def _handle(self, host: float, char: str, payload: bytes, released: list, events: list) -> None:
        self.stats.packets += 1
        try:
            decoded = self.profile.decode(char, payload)
        except DecodeError as exc:
            self.stats.corrupt_packets += 1
            if len(self.stats.corrupt_examples) < 5:
                self.stats.corrupt_examples.append(f"{exc} ({payload[:12].hex()})")
            return
        for samples in decoded:
            if len(samples) == 0:
                continue
            self._note_flags(samples, events)
            k0 = self._index_of(samples, host)
            self._place(k0, host, samples, released, events)

    def _note_flags(self, samples: DecodedSamples, events: list) -> None:
        if "clipped" in samples.flags:
            self.stats.clipped_packets += 1
        if "battery_low" in samples.flags and not self.stats.battery_low:
            self.stats.battery_low = True
            events.append(Event("battery_low", self._last_t, self._last_t, {}))

    def _index_of(self, samples: DecodedSamples, host: float) -> int:
        """The sample index (recording-wide, unwrapped) of the packet's first sample."""
        if samples.counter is not None:
            raw, modulus = samples.counter, samples.counter_modulus or 2**32
            ref = self._unwrap_ref if self._unwrap_ref is not None else raw
            k = unwrap(raw, ref, modulus)
            self._unwrap_ref = max(k, ref)
            k_dev = int(round(k / samples.counter_step))
        elif samples.device_time_s is not None:
            t = float(samples.device_time_s[0])
            k_dev = int(round(t * self.rate))
        else:
            if self._arrival is None:
                self._arrival = ArrivalClock(self.rate)
            k_dev = self._arrival.place(host, len(samples))[0]
        k = k_dev + self._run_offset
        if self._check_run and self._next_k is not None:
            self._check_run = False
            k = self._continuity(k, host)
        elif self._next_k is not None and k + len(samples) <= self._next_k - NEW_RUN_TOLERANCE_S * self.rate:
            k = self._continuity(k, host)  # far behind: the device restarted its counter
        return k

    def _continuity(self, k: int, host: float) -> int:
        """After a reconnect: keep the device's index if it agrees with host time, else start a new run."""
        assert self._next_k is not None
        if self._last_host is None:
            return k
        expected = self._next_k + (host - self._last_host) * self.rate
        if abs(k - expected) <= NEW_RUN_TOLERANCE_S * self.rate + 0.05 * (host - self._last_host) * self.rate:
            return k
        self.stats.new_runs += 1
        placed = max(self._next_k, int(round(expected)))
        self._run_offset += placed - k
        self.clock.rebase(placed, self._last_t + (placed - self._next_k + 1) * self.clock.period)
        return placed

    def _place(self, k0: int, host: float, samples: DecodedSamples, released: list, events: list) -> None:
        n = len(samples)
        if self._next_k is None:
            self._next_k = k0
            self.clock.start(k0)
            self._open_writer(samples)
        if k0 + n <= self._next_k:
            self._count_stale(k0, n)
            return
        if k0 < self._next_k:  # partly stale: keep the new tail only
            cut = self._next_k - k0
            self.stats.duplicates_dropped += cut
            samples = _tail(samples, cut)
            k0 = self._next_k
        if k0 in self._pending:
            self.stats.duplicates_dropped += n
            return
        self._pending[k0] = (host, samples)
        self._release_due(host, released, events)

    def _count_stale(self, k0: int, n: int) -> None:
        """A packet wholly before the next expected index: a late copy of a declared gap, or a duplicate."""
        if any(start <= k0 < end for start, end in self._lost_ranges):
            self.stats.late_dropped += n
        else:
            self.stats.duplicates_dropped += n

    def _release_due(self, host: float, released: list, events: list) -> None:
        while self._pending:
            k0 = min(self._pending)
            waited_host, _ = self._pending[k0]
            if k0 != self._next_k:
                oldest = min(h for h, _ in self._pending.values())
                if len(self._pending) <= REORDER_PACKETS and (host - oldest) / self.speed < REORDER_WAIT_S:
                    return
            _, samples = self._pending.pop(k0)
            self._release(k0, waited_host, samples, released, events)

    def _release_all(self, released: list, events: list) -> None:
        while self._pending:
            k0 = min(self._pending)
            host, samples = self._pending.pop(k0)
            self._release(k0, host, samples, released, events)

    def _release(self, k0: int, host: float, samples: DecodedSamples, released: list, events: list) -> None:
        assert self._next_k is not None
        n = len(samples)
        k = np.arange(k0, k0 + n)
        t = self.clock.times(k)
        if k0 > self._next_k:
            missing = k0 - self._next_k
            self.stats.gaps += 1
            self.stats.samples_lost += missing
            self._lost_ranges.append((self._next_k, k0))
            events.append(Event("data_gap", self._last_t, float(t[0]), {"samples": int(missing), "cause": self._gap_cause}))
        if self._lost_at is not None:
            self.stats.reconnect_s.append((host - self._lost_at) / self.speed)
            self._lost_at = None
        self._gap_cause = "loss"
        released.append(SampleBlock(t, samples.acc, samples.gyr))
        arrival = host / self.speed + self._host0
        self._batch_arrival = arrival if self._batch_arrival is None else min(self._batch_arrival, arrival)
        self._next_k = k0 + n
        self._last_t = float(t[-1])
        self._last_host = host
        self.clock.observe(int(k[-1]), host)

    # -- storing -------------------------------------------------------------------------------

    def _open_writer(self, samples: DecodedSamples) -> None:
        has_gyro = samples.gyr is not None
        wall_first = datetime.now(timezone.utc) - timedelta(seconds=(len(samples) - 1) / self.rate)
        meta = RecordingMeta(
            rate_hz=self.rate,
            start_time=wall_first.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            device_kind=self.profile.kind,
            device_name=self.found.advertisement.name or "",
            device_address=self.found.device.address,
            has_gyro=has_gyro,
            acc_range=self.profile.acc_range_g * 9.80665,
            gyr_range=float(np.deg2rad(self.profile.gyr_range_dps or 2000.0)),
            acc_lsb=self.profile.acc_lsb,
            gyr_lsb=self.profile.gyr_lsb if has_gyro and self.profile.gyr_lsb > 0 else 1.0,
            source=self.source,
        )
        self.writer = RecordingWriter(self.output, meta, overwrite=self.overwrite)
        for name, data in self.attachments.items():
            self.writer.put_attachment(name, data)

    def _commit(self, released: list[SampleBlock], events: list[Event]) -> None:
        """Store first (committed), then show the live consumers."""
        if not released and not events:
            return
        assert self.writer is not None
        block = SampleBlock.concat(released) if released else None
        if block is not None and self.duration_s is not None:
            block = block.slice(0, int(np.searchsorted(block.t, self.duration_s, side="left")))
            if self._last_t >= self.duration_s - 0.5 / self.rate:
                self._stop.set()
        if block is not None and len(block):
            self.writer.append(block)
            self.stats.samples_stored += len(block)
        if events:
            self.writer.add_events(events)
        self.writer.flush()
        released.clear()
        self.published_arrival, self._batch_arrival = self._batch_arrival, None
        for event in events:  # a gap is announced before the samples after it
            for consumer in self.event_consumers:
                consumer(event)
        events.clear()
        if block is not None and len(block):
            for consumer in self.consumers:
                consumer(block)

    def _finish(self) -> None:
        if self.writer is None:
            return
        self.stats.clock_ppm = round(self.clock.ppm, 2)
        for finisher in self.finishers:
            self.writer.add_events(finisher())
        self.writer.set_extra("collector", self.stats.to_json())
        self.writer.close()


def _tail(samples: DecodedSamples, cut: int) -> DecodedSamples:
    return replace(
        samples, acc=samples.acc[cut:], gyr=None if samples.gyr is None else samples.gyr[cut:],
        counter=None if samples.counter is None else samples.counter + cut * samples.counter_step,
        device_time_s=None if samples.device_time_s is None else samples.device_time_s[cut:],
    )
