"""The collector: scan, connect, configure, stream, rebuild sample times, store; reconnect on link loss.

The path of one notification::

    bleak callback --(host time, bytes)--> asyncio.Queue --> consumer task:
        profile.decode (corrupt packets counted and skipped)
        -> Reassembler (.reassembly): sample indices, reorder buffer, duplicates, gaps, DriftClock times
        -> RecordingWriter.append (committed within a second, the store's crash promise)
        -> live consumers (the signal pipeline, the screen)

Why a queue: bleak calls the callback from the OS (or, on the virtual radio, from inside Bumble's
packet dispatch); anything slow there stalls the radio. The callback only timestamps and enqueues.
Why store before the live consumers see data: the stored recording is the truth the live view is drawn
from. The store commits once a second, not per notification batch (each commit costs whole pages on
disk), so a crash or ``kill -9`` loses at most the last second, which the pipeline may have seen.

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
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable

import numpy as np
from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData
from bleak.exc import BleakError

from ..devices.base import Advertisement, DecodedSamples, DeviceProfile
from ..devices import registry
from ..errors import DecodeError, DeviceError, RecordingError
from ..events import Event
from ..samples import RecordingMeta, SampleBlock
from ..store import RecordingWriter
from .rawcapture import ATTACHMENT as RAW_ATTACHMENT, END, ORIGIN, TapeRecorder, to_tick
from .reassembly import CollectorStats, Reassembler

BACKOFF_S = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)  # waits between reconnect attempts (last repeats)
_LINK_LOST = object()
_CCCD = "00002902-0000-1000-8000-00805f9b34fb"


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
        raise DeviceError(_no_bluetooth(exc) + "; nothing was recorded") from exc
    if found.profile is None:
        raise DeviceError(
            f"{found.advertisement.name or found.device.address} is not a supported sensor "
            f"(supported kinds: {', '.join(registry.kinds())}); nothing was recorded"
        )
    return found


def _round_trip(client: BleakClient):
    """A harmless read the sensor itself answers: a readable characteristic, else a CCCD."""
    chars = [c for service in client.services for c in service.characteristics]
    for char in chars:
        if "read" in char.properties:
            return client.read_gatt_char(char)
    for char in chars:
        cccd = char.get_descriptor(_CCCD)
        if cccd is not None:
            return client.read_gatt_descriptor(cccd)
    raise BleakError("the sensor has nothing readable to confirm the link with")


def _no_bluetooth(exc: BaseException) -> str:
    return (
        "cannot use Bluetooth on this computer (no adapter, or the Bluetooth service is off: "
        f"{exc or type(exc).__name__})"
    )


class Collector:
    """Records one sensor into one recording until ``duration_s`` of data, :meth:`stop`, or an error.

    ``speed`` is only for emulated sensors running faster than real time: host times are multiplied
    by it so they are on the device's time scale; ``clock`` (seconds, ``time.monotonic`` by default)
    is an emulated session's world clock (:meth:`~sensorkit.emulator.base.EmulatedSensor.world_time`). ``consumers`` get each committed SampleBlock;
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
        calibration: dict[str, Any] | None = None,
        wearer: dict[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        raw: bool = False,
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
        self.calibration = calibration  # the wearer's sensor-to-body calibration (patient profile), if known
        self.wearer = dict(wearer or {})  # RecordingMeta's patient_id and timezone: who wears it, where
        self.clock = clock
        # awaited with the client each time a link is up and streaming (reconnect: True after the first),
        # e.g. to read the battery or to keep the client for haptic feedback
        self.on_connected: list[Callable[[BleakClient, bool], Awaitable[None]]] = []
        # Diagnostics for latency: clock() of the oldest notification in the block being published.
        self.published_arrival: float | None = None
        self.stats = CollectorStats()
        self.writer: RecordingWriter | None = None
        self.rate = self.profile.rate_hz
        self.stream = Reassembler(self.rate, self.stats, speed=self.speed, on_start=self._open_writer)
        self._queue: asyncio.Queue = asyncio.Queue()
        self._stop = asyncio.Event()
        self._link_lost = asyncio.Event()
        self._client: BleakClient | None = None  # the client while it is streaming (for caught_up)
        self._host0 = clock()
        self._forwarded = 0  # notifications handed on by the profile (the others answered its requests)
        # record --raw: the bytes and every input of the reassembly, written into the recording as they come
        self.raw = TapeRecorder(self._raw_header()) if raw else None

    # -- public --------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    async def caught_up(self, timeout_s: float = 10.0) -> bool:
        """Wait until every notification the sensor sent before this call has been queued.

        Why a read and not a sleep: the sensor answers it on the same ordered ATT bearer as its
        notifications, so when the answer is back every earlier notification has been through the
        callback, however busy the machine (a fixed sleep guesses). :meth:`stop` then commits them
        all, as the consumer empties the queue before it ends. True also when no link is up (nothing
        can still arrive); False when the read failed or took longer than ``timeout_s``.
        """
        client = self._client
        if client is None:
            return True
        try:
            await asyncio.wait_for(_round_trip(client), timeout_s)
        except (BleakError, TimeoutError, asyncio.TimeoutError, OSError):
            return self._client is None  # the link went down meanwhile: nothing more can arrive
        return True

    @property
    def streaming(self) -> bool:
        """True while a link is up and the sensor streams (False before, after, and during a reconnect)."""
        return self._client is not None and not self._stop.is_set()

    @property
    def elapsed_s(self) -> float:
        """Seconds of recording so far (device time of the last sample received)."""
        return self.stream.last_t

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
        return (self.clock() - self._host0) * self.speed

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
                await self._start_profile(client)
                self._client = client
                for hook in self.on_connected:
                    await hook(client, not first)
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
        self._client = None
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

    def _raw_header(self) -> dict[str, Any]:
        """What a replay of the raw capture needs besides the tape: the profile and its settings, the
        reassembly's rate and speed, and the recording's duration cut."""
        p = self.profile
        return {"kind": p.kind, "profile": {"rate_hz": p.rate_hz, "acc_range_g": p.acc_range_g,
                                            "gyr_range_dps": p.gyr_range_dps},
                "rate_hz": self.rate, "speed": self.speed, "duration_s": self.duration_s, "floats": p.sends_floats,
                "name": self.found.advertisement.name or "", "address": self.found.device.address}

    async def _start_profile(self, client: BleakClient) -> None:
        """The profile's start; with a raw capture, through a client that logs the conversation, and with
        the decode settings it learnt put on the tape (at start and after, as a decoder sees them)."""
        if self.raw is None:
            await self.profile.start(client, self._on_notify)
            return
        from .rawcapture import TapedClient, gatt_table

        if not self.raw.services:
            self.raw.services = gatt_table(client)
        self.raw.settings({**self.profile.decode_settings(), "starting": True})
        await self.profile.start(TapedClient(client, self.raw, self._host_now, lambda: self._forwarded), self._on_notify)
        self.raw.settings(self.profile.decode_settings())

    def expect_origin(self, first: DecodedSamples) -> None:
        """The stream began with ``first`` (an emulated session knows): see :meth:`Reassembler.expect_origin`."""
        if self.raw is not None:
            self.raw.position(ORIGIN, first)
        self.stream.expect_origin(first)

    def expect_end(self, last: DecodedSamples) -> None:
        """The stream's last sample is ``last``: see :meth:`Reassembler.expect_end`."""
        if self.raw is not None:
            self.raw.position(END, last)
        self.stream.expect_end(last)

    def _on_disconnect(self, _client: Any) -> None:
        if self._link_lost.is_set() or self._stop.is_set():
            return
        self._client = None
        self._queue.put_nowait((to_tick(self._host_now()), _LINK_LOST, b""))
        self._link_lost.set()

    def _on_notify(self, char_uuid: str, data: bytes | bytearray) -> None:
        """Runs inside the BLE stack's dispatch: timestamp and enqueue, nothing else."""
        self._forwarded += 1
        self._queue.put_nowait((to_tick(self._host_now()), char_uuid, bytes(data)))

    # -- the consumer --------------------------------------------------------------------------

    async def _consume(self) -> None:
        """Drain the queue in batches: decode, reassemble, commit, publish."""
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            self.stats.queue_max = max(self.stats.queue_max, len(batch))
            for entry in batch:
                if entry is None:
                    self.stream.finish()
                    self._commit()
                    return
                host, char, payload = entry
                if char is _LINK_LOST:
                    self.stats.link_losses += 1
                    if self.raw is not None:
                        self.raw.link_lost(host)
                    self.stream.link_lost(host)
                else:
                    self._handle(host, char, payload)
            now = to_tick(self._host_now())
            if self.raw is not None and self.stream.waiting:
                self.raw.release(now)
            self.stream.release_due(now)
            self._commit()

    def _handle(self, host: float, char: str, payload: bytes) -> None:
        self.stats.packets += 1
        if self.raw is not None:
            self.raw.notification(host, char, payload)
        try:
            decoded = self.profile.decode(char, payload)
        except DecodeError as exc:
            self.stats.corrupt_packets += 1
            if len(self.stats.corrupt_examples) < 5:
                self.stats.corrupt_examples.append(f"{exc} ({payload[:12].hex()})")
            return
        for samples in decoded:
            self.stream.packet(host, samples)

    # -- storing -------------------------------------------------------------------------------

    def _open_writer(self, samples: DecodedSamples) -> None:
        has_gyro = samples.gyr is not None
        # t = 0 is the stream's first sample: before the first packet that arrived when its start is known
        before_first = (len(samples) - 1 + self.stream.lead_samples) / self.rate
        wall_first = datetime.now(timezone.utc) - timedelta(seconds=before_first)
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
            calibration=self.calibration,
            **self.wearer,
        )
        self.writer = RecordingWriter(self.output, meta, overwrite=self.overwrite)
        for name, data in self.attachments.items():
            self.writer.put_attachment(name, data)
        if self.raw is not None:
            self.writer.add_chunk_source(RAW_ATTACHMENT, self.raw.next_chunk)

    def _commit(self) -> None:
        """Store first (committed within a second), then show the live consumers."""
        block, events, oldest_host = self.stream.take()
        if block is None and not events:
            return
        assert self.writer is not None
        if block is not None and self.duration_s is not None:
            block = block.slice(0, int(np.searchsorted(block.t, self.duration_s, side="left")))
            if self.stream.last_t >= self.duration_s - 0.5 / self.rate:
                self._stop.set()
        if events:  # before the samples after them: committed with them, or before
            self.writer.add_events(events)
        if block is not None and len(block):
            if self.raw is not None:  # before the writer may commit: its chunk is cut against them
                self.raw.samples_stored(block, self.writer.meta.acc_lsb, self.writer.meta.gyr_lsb)
            self.writer.append(block)
            self.stats.samples_stored += len(block)
        self.published_arrival = None if oldest_host is None else oldest_host / self.speed + self._host0
        for event in events:  # a gap is announced before the samples after it
            for consumer in self.event_consumers:
                consumer(event)
        if block is not None and len(block):
            for consumer in self.consumers:
                consumer(block)

    def _finish(self) -> None:
        self.stats.samples_incomplete = self.profile.incomplete_samples()
        if self.writer is None:
            return
        self.stats.clock_ppm = round(self.stream.clock.ppm, 2)
        if self.raw is not None:
            self.raw.finish()
            self.writer.flush()  # the capture's last chunk
            self.stats.raw_capture_bytes = self.raw.written_bytes
            self.stats.raw_capture_truncated = self.raw.truncated
        for finisher in self.finishers:
            self.writer.add_events(finisher())
        self.writer.set_extra("collector", self.stats.to_json())
        self.writer.close()

