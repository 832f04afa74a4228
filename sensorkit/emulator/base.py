"""The emulated-sensor base class: a Bumble GATT peripheral that streams a SampleBlock with faults.

What the base does for every emulator: owns a Bumble device on a :class:`~sensorkit.ble.radio.VirtualRadio`,
advertises every 50 ms (restarting after a disconnection, as sensors do), serves the services the
subclass builds, and - while streaming - cuts the source stream into notifications at the configured
rate (times ``speed``, with the clock drift of ``faults.drift_ppm``) and sends them with the faults
of :class:`~sensorkit.emulator.faults.Faults` injected (loss, duplicates, reordering, corruption,
link drops, low battery). It also builds the SIG Battery and Device Information services by hand,
with explicit write rejection (Bumble's server does no permission check; any exception other than
``att.ATT_Error`` in a handler leaves the central waiting 30 s).

What a subclass provides (see :mod:`.sensorkit_imu` for a complete example of ~100 lines):

- class attributes ``kind`` (the device profile's kind), ``name_prefix``;
- :meth:`build_services` -> list of ``bumble.gatt.Service``; keep the notify characteristic that
  carries samples in ``self.data_characteristic``; control handlers raise ``att.ATT_Error`` only,
  and call :meth:`start_streaming` / :meth:`stop_streaming`;
- :meth:`encode` (samples in project units -> one notification's bytes) and, if the default is
  not right for the protocol, :meth:`samples_per_packet` and :meth:`corrupt`;
- optionally :meth:`advertising_data` (default: flags + complete name) and :meth:`on_battery_low`.

Time model: sample ``k`` of a stream (``k`` = the device's sample counter since :meth:`start_streaming`)
is source sample ``round(t * rate)`` and is sent at ``k / (rate * (1 + drift) * speed)`` seconds after
streaming started, in the packet that completes with it. A link loss does not stop the stream: the
counter keeps running and samples due while nobody is connected are never sent, as on a real sensor.
Gaps in the source (a replayed recording's) become counter jumps.

Those times are on the emulated world's clock (:meth:`EmulatedSensor.world_time`), which the
receiving side of an emulated session reads too. Why not the real clock: a real sensor keeps its
schedule whatever the computer does, but an emulator shares the event loop with the collector, and on
a busy machine it wakes late. Sent late and timed by the real clock, its packets would look delayed
in transit, which a collector reads as loss (a sensor without a clock on the air,
:mod:`sensorkit.devices.arrival`) or as a slow sensor clock (the drift correction). So the emulated
world pauses while the emulator is late: its clock is the real one less the time the emulator spent
behind its schedule, and it never runs past the moment the next packet is due. A busy machine then
only slows the emulation down; the collector sees the sensor's schedule plus the link's own delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Callable, ClassVar

import numpy as np
from bumble import att, gatt
from bumble.device import Connection, Device

from ..ble.radio import VirtualRadio
from ..devices.base import DecodedSamples
from ..samples import SampleBlock
from .faults import Faults

log = logging.getLogger(__name__)
ADVERTISING_INTERVAL_MS = 50  # connect latency is bounded by this (Bumble's default is 1 s)
LOW_BATTERY_LEVEL = 8
BAD_FIRMWARE_ANSWER = bytes([0xFF, 0x00, 0x13, 0x37])
RESUME_WINDOW_S = 60.0  # a sensor keeps sampling this long without a link, then stops (SPEC.md 3.4)


@dataclass
class EmulatorStats:
    """What the emulator did, the ground truth a test checks the collector against."""

    packets_sent: int = 0
    samples_sent: int = 0  # distinct samples delivered at least once
    duplicated: int = 0
    reordered: int = 0
    link_drops: int = 0
    withheld: list[tuple[int, int]] = field(default_factory=list)  # (first counter, n) lost or corrupted
    corrupted: int = 0
    unsent_no_link: int = 0  # samples due while no central was connected and subscribed
    # Samples taken but never sent because the fixed-size packet they belong to was never filled (the
    # end of the source, or a gap in a replayed one): :meth:`EmulatedSensor.encode` returned b"" for them.
    unsent_partial: int = 0
    # Samples due while the sensor was stopped between two streaming runs (a collector restarting a
    # sensor whose clock runs on, as Polar's does): the wearer moved on, the clock ran, nothing was taken.
    unsent_stopped: int = 0
    behind_s: float = 0.0  # stream seconds the emulated world waited for the emulator (a busy machine)
    # on-body feedback the sensor was asked for: (samples sent by then, what, *parameters) per command
    feedback: list[tuple] = field(default_factory=list)

    @property
    def samples_withheld(self) -> int:
        return sum(n for _, n in self.withheld)

    @property
    def samples_taken(self) -> int:
        """Every sample of the source the sensor's clock passed: sent, withheld, or never sent."""
        return (self.samples_sent + self.samples_withheld + self.unsent_no_link + self.unsent_partial
                + self.unsent_stopped)


def read_only(read: Callable[[Connection], bytes]) -> gatt.CharacteristicValue:
    """A characteristic value that answers reads and rejects writes properly (Bumble B4)."""

    def reject(_connection: Connection, _value: bytes) -> None:
        raise att.ATT_Error(att.ErrorCode.WRITE_NOT_PERMITTED)

    return gatt.CharacteristicValue(read=read, write=reject)


class EmulatedSensor(ABC):
    kind: ClassVar[str]
    name_prefix: ClassVar[str]
    manufacturer: ClassVar[str] = "SensorKit emulator"
    model: ClassVar[str] = "emulated"
    firmware: ClassVar[str] = "emu-1"

    def __init__(
        self,
        stream: SampleBlock,
        rate_hz: float,
        *,
        name: str | None = None,
        address: str = "D0:5E:45:00:00:01",
        faults: Faults | None = None,
        speed: float = 1.0,
        seed: int = 0,
    ):
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.stream = stream
        self.rate_hz = float(rate_hz)
        self.name = name or f"{self.name_prefix}-{address[-5:].replace(':', '')}"
        self.address = address
        self.faults = faults or Faults()
        self.speed = float(speed)
        self.rng = np.random.default_rng(seed)
        self.stats = EmulatorStats()
        self.battery_level = 100
        self.battery_low = False
        self.counter = 0  # device sample counter: next sample to be taken
        self.streaming = False
        self.finished = asyncio.Event()  # set when the source is exhausted
        self.end_position: DecodedSamples | None = None  # its last sample's, kept when a later Start resets the counter
        self.radio: VirtualRadio | None = None
        self.device: Device | None = None
        self.data_characteristic: gatt.Characteristic | None = None
        self._battery_char: gatt.Characteristic | None = None
        self._task: asyncio.Task | None = None
        self._source_base = 0
        self._held: tuple[int, bytes] | None = None  # (samples, payload) held back for reordering
        self.on_stream_start: Callable[[DecodedSamples], None] | None = None  # told where the first run begins
        self._paused_s = 0.0  # real seconds the emulated world has waited for the emulator so far
        self._due: float | None = None  # world time the next packet is due (held there meanwhile)
        self._subscribed: set = set()
        # Device counter of each source row, so gaps in a replayed source become counter jumps.
        t = np.asarray(stream.t, dtype=np.float64)
        self._source_counter = np.round((t - (t[0] if len(t) else 0.0)) * self.rate_hz).astype(np.int64)
        self._contiguous = bool(len(t) == 0 or self._source_counter[-1] == len(t) - 1)

    # -- for subclasses ---------------------------------------------------------------------

    @abstractmethod
    def build_services(self) -> list[gatt.Service]:
        """The GATT services (include :meth:`battery_service` / :meth:`device_information_service`)."""

    @abstractmethod
    def encode(self, first_counter: int, acc: np.ndarray, gyr: np.ndarray | None) -> bytes:
        """One notification holding these samples (project units) starting at ``first_counter``.

        ``b""`` when the protocol cannot send these samples on their own (fixed-size packets: a run
        shorter than one, at the end of the source or before a gap); they count as ``unsent_partial``,
        never as sent."""

    def samples_per_packet(self) -> int:
        """Samples per notification at the current link; the default sends one."""
        return 1

    def corrupt(self, payload: bytes) -> bytes:
        """A malformed version of ``payload`` that the protocol's decoder must reject (default: one byte short)."""
        return payload[:-1]

    def advertising_data(self) -> bytes:
        """Legacy advertising data (<= 31 bytes): flags + complete local name."""
        name = self.name.encode()
        return bytes([2, 0x01, 0x06, len(name) + 1, 0x09]) + name

    def scan_response_data(self) -> bytes:
        """Scan response data. The virtual radio never delivers it (Bumble B7): keep the name in adv data."""
        return b""

    def on_battery_low(self) -> None:
        """Called once when the battery turns low; protocols with a status flag set it here."""

    def position(self, counter: int) -> DecodedSamples | None:
        """Sample ``counter`` of the current run as the device profile decodes it (one zero sample with
        its counter or device time), so a collector can be told where the stream began and ended;
        None for protocols that put nothing on the air that places a sample."""
        return None

    # -- services every sensor has ---------------------------------------------------------------

    def battery_service(self) -> gatt.Service:
        self._battery_char = gatt.Characteristic(
            gatt.GATT_BATTERY_LEVEL_CHARACTERISTIC,
            gatt.Characteristic.Properties.READ | gatt.Characteristic.Properties.NOTIFY,
            gatt.Characteristic.READABLE,
            read_only(lambda _c: bytes([self.battery_level])),
        )
        return gatt.Service(gatt.GATT_BATTERY_SERVICE, [self._battery_char])

    def device_information_service(self) -> gatt.Service:
        def text(value: str) -> gatt.CharacteristicValue:
            return read_only(lambda _c: value.encode())

        chars = [
            gatt.Characteristic(uuid, gatt.Characteristic.Properties.READ, gatt.Characteristic.READABLE, value)
            for uuid, value in (
                (gatt.GATT_MANUFACTURER_NAME_STRING_CHARACTERISTIC, text(self.manufacturer)),
                (gatt.GATT_MODEL_NUMBER_STRING_CHARACTERISTIC, text(self.model)),
                (gatt.GATT_FIRMWARE_REVISION_STRING_CHARACTERISTIC, read_only(lambda _c: self.firmware_answer())),
            )
        ]
        return gatt.Service(gatt.GATT_DEVICE_INFORMATION_SERVICE, chars)

    def firmware_answer(self) -> bytes:
        """The Firmware Revision String read's answer; with the ``bad_firmware`` fault, bytes that are
        no revision at all (what a build speaking another protocol variant might put there)."""
        return BAD_FIRMWARE_ANSWER if self.faults.bad_firmware else self.firmware.encode()

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self, radio: VirtualRadio) -> None:
        """Power on on ``radio``, serve the services and advertise."""
        self.radio = radio
        self.device = radio.new_device(self.name, self.address)
        services = self.build_services()
        if not any(s.uuid == gatt.GATT_DEVICE_INFORMATION_SERVICE for s in services):
            services.append(self.device_information_service())  # every emulator says who it is
        self.device.add_services(services)
        if self.faults.mtu is not None:  # a sensor that accepts no larger MTU than this
            self.device.gatt_server.max_mtu = int(self.faults.mtu)
        if self.faults.low_battery == 0:
            self._go_low()
        if self.data_characteristic is not None:
            self.data_characteristic.on("subscription", self._on_subscription)
        await self.device.power_on()
        await self.device.start_advertising(
            advertising_data=self.advertising_data(),
            scan_response_data=self.scan_response_data() or None,
            advertising_interval_min=ADVERTISING_INTERVAL_MS,
            advertising_interval_max=ADVERTISING_INTERVAL_MS,
            auto_restart=True,
        )

    async def close(self) -> None:
        self.stop_streaming()
        if self.device is not None:
            with contextlib.suppress(Exception):
                await self.device.stop_advertising()
            for connection in list(self.device.connections.values()):
                with contextlib.suppress(Exception):
                    await connection.disconnect()

    @property
    def connections(self) -> list[Connection]:
        return list(self.device.connections.values()) if self.device else []

    @property
    def listening(self) -> bool:
        """True when a connected central has notifications of the data characteristic enabled."""
        return bool(self._listeners())

    def _listeners(self) -> list[Connection]:
        return [c for c in self.connections if c in self._subscribed]

    def _on_subscription(self, bearer: Connection, notify: bool, indicate: bool) -> None:
        if notify or indicate:
            self._subscribed.add(bearer)
        else:
            self._subscribed.discard(bearer)

    @property
    def att_payload(self) -> int:
        """Bytes one notification can carry on the current link (ATT MTU - 3; 20 when unconnected)."""
        mtus = [c.att_mtu for c in self.connections]
        return (min(mtus) if mtus else 23) - 3

    async def _let_sent_arrive(self) -> None:
        """Packets counted as sent reach the central before an injected link loss: a loss that caught them on
        the way (more often when the emulator runs late and sends with no pause) lost samples counted sent."""
        if self.radio is not None and self.device is not None:
            await self.radio.delivered(self.device)

    def drop_link(self) -> None:
        """Lose the radio link now (an emulated supervision timeout on both ends)."""
        if self.radio is not None and self.device is not None and self.radio.drop_link(self.device):
            self.stats.link_drops += 1
            self._subscribed.clear()  # the host hears of the loss a loop turn later; nothing gets through now

    # -- streaming ---------------------------------------------------------------------------

    def start_streaming(self) -> None:
        """Start taking samples from counter 0 (no-op while streaming)."""
        if self.streaming:
            return
        self.streaming = True
        self.counter = 0
        tell, self.on_stream_start = self.on_stream_start, None  # only the first run's start
        origin = self.position(0) if tell is not None else None
        if origin is not None:
            tell(origin)
        self._task = asyncio.get_running_loop().create_task(self._stream())

    def world_time(self) -> float:
        """The emulated world's time in seconds (the ``time.monotonic()`` scale, not ``speed``-scaled).

        The real clock less the pauses, held at the due time of the next packet until the emulator
        sends it (see the module's docstring); monotonic, and running at the real clock's rate
        whenever the emulator keeps up."""
        now = time.monotonic() - self._paused_s
        return now if self._due is None else min(now, self._due)

    def _pause_until_due(self) -> float:
        """The world waits for the packet due at ``_due`` if the emulator is late; real seconds late."""
        assert self._due is not None
        late = max(0.0, time.monotonic() - self._paused_s - self._due)
        self._paused_s += late
        return late

    def _release_world(self) -> None:
        """Streaming stopped: the world's clock runs on from where it was held."""
        if self._due is not None:
            self._pause_until_due()
            self._due = None

    def stop_streaming(self) -> None:
        if not self.streaming:
            return
        self.streaming = False
        self._release_world()
        self._source_base += self.counter  # a restart continues the source where it stopped
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _stream(self) -> None:
        try:
            await self._stream_source()
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug in an emulator: say so, and do not leave anyone waiting for the end
            log.exception("emulated sensor %s stopped streaming", self.name)
            self.finished.set()
            return
        if self.streaming and self.counter > self._last_counter():  # exhausted (not merely stopped)
            self._finish()

    def _finish(self) -> None:
        """The source is exhausted: where it ended is kept now. A central that reconnects after the end
        stops and starts the stream again, which resets the counter: the session read the end from the
        counter after waiting for the collector, and then marked no end (the lost tail went uncounted)."""
        if not self.finished.is_set() and self.counter:
            self.end_position = self.position(self.counter - 1)
        self.finished.set()

    def _last_counter(self) -> int:
        return int(self._source_counter[-1]) - self._source_base if len(self._source_counter) else -1

    async def _stream_source(self) -> None:
        start = self.world_time()
        samples_per_s = self.rate_hz * (1.0 + self.faults.drift_ppm * 1e-6) * self.speed
        next_drop = self.faults.drop_every * self.rate_hz if self.faults.drop_every else None
        last = self._last_counter()
        unlinked_since: int | None = None
        while self.streaming and self.counter <= last:
            if self.connections:
                unlinked_since = None
            elif unlinked_since is None:
                unlinked_since = self.counter
            elif self.counter - unlinked_since > RESUME_WINDOW_S * self.rate_hz:
                self.stop_streaming()  # resume window over: the next Start begins a new run
                return
            n = min(self.samples_per_packet(), last - self.counter + 1)
            self._due = start + (self.counter + n) / samples_per_s
            await asyncio.sleep(max(self._due - self.world_time(), 0.0))
            dropping = next_drop is not None and self.counter >= next_drop
            if dropping:  # what is on its way arrives first (waited for before these samples are taken)
                await self._let_sent_arrive()
            self.stats.behind_s += self._pause_until_due() * self.speed
            first, self.counter = self.counter, self.counter + n
            self._battery_check(first)
            if dropping:
                next_drop += self.faults.drop_every * self.rate_hz
                self.drop_link()
                if not self.streaming:  # a subclass powered off with the link: these were never sent
                    self.stats.unsent_no_link += n
                    return
            for run_first, acc, gyr in self._source_runs(first, n):
                payload = self.encode(run_first, acc, gyr)
                if payload:
                    await self._send(run_first, len(acc), payload)
                else:
                    self.stats.unsent_partial += len(acc)
        # Hold the world where the next packet would be due until streaming stops: the last ones may
        # still be on their way (the collector confirms that by a read; the session then stops us).
        if self.streaming:
            self._due = start + (self.counter + self.samples_per_packet()) / samples_per_s
        if self._held is not None:  # a packet held back for reordering goes out last, if it can
            await self._release_held()

    def _source_runs(self, first: int, n: int):
        """The source samples with device counters first..first+n-1, as contiguous runs."""
        lo = first + self._source_base
        if self._contiguous:
            rows = [np.arange(lo, lo + n)]
        else:
            idx = np.arange(*np.searchsorted(self._source_counter, [lo, lo + n]))
            if len(idx) == 0:
                return
            breaks = np.flatnonzero(np.diff(self._source_counter[idx]) != 1) + 1
            rows = np.split(idx, breaks)
        s = self.stream
        for r in rows:
            counter = int(self._source_counter[r[0]]) - self._source_base
            yield counter, s.acc[r[0] : r[-1] + 1], None if s.gyr is None else s.gyr[r[0] : r[-1] + 1]

    async def _send(self, first: int, n: int, payload: bytes) -> None:
        if not self.listening:
            self.stats.unsent_no_link += n
            return
        f, rng = self.faults, self.rng
        if f.silent:  # started, but nothing ever goes on the air
            self.stats.withheld.append((first, n))
            return
        if f.loss and rng.random() < f.loss:
            self.stats.withheld.append((first, n))
            return
        if f.corrupt and rng.random() < f.corrupt:
            self.stats.withheld.append((first, n))
            self.stats.corrupted += 1
            payload = self.corrupt(payload)
            n = 0
        elif f.reorder and self._held is None and rng.random() < f.reorder:
            self._held = (n, payload)
            self.stats.reordered += 1
            return
        copies = 2 if f.dup and rng.random() < f.dup else 1
        self.stats.duplicated += copies - 1
        delivered = False
        try:
            for _ in range(copies):
                delivered = await self._notify(payload) or delivered
        finally:  # also when a Stop cancels the stream mid-send: the samples are counted either way
            self._count_sent(n, delivered)
        if self._held is not None:
            await self._release_held()

    async def _release_held(self) -> None:
        (n, payload), self._held = self._held, None
        delivered = False
        try:
            delivered = self.listening and await self._notify(payload)
        finally:
            self._count_sent(n, delivered)

    def _count_sent(self, n: int, delivered: bool) -> None:
        """Samples count as sent only once on the air; a send the link cut short never left."""
        if delivered:
            self.stats.samples_sent += n
        else:
            self.stats.unsent_no_link += n

    async def _notify(self, payload: bytes) -> bool:
        """Put ``payload`` on the air to each subscribed central, never yielding to the event loop.

        A Stop cancels the stream task wherever it waits. Bumble's ``notify_subscribers`` hands each
        notification to a task of its own, which that cancel does not stop: under load a packet went out
        while this counted it unsent, and the collector stored more than the emulator had sent. Its
        ``notify_subscriber`` sends at once, so a packet is counted exactly when it is on the air."""
        assert self.device is not None and self.data_characteristic is not None
        listeners = self._listeners()
        if not listeners:  # the link went away between the parts of a packet
            return False
        try:
            for connection in listeners:
                await self.device.notify_subscriber(connection, self.data_characteristic, payload)
        except Exception:  # noqa: BLE001 - the link went away mid-send: on the air, that is a lost packet
            return False
        self.stats.packets_sent += 1
        return True

    def _battery_check(self, counter: int) -> None:
        at = self.faults.low_battery
        if at is None or self.battery_low or counter < at * self.rate_hz:
            return
        self._go_low()

    def _go_low(self) -> None:
        self.battery_low = True
        self.battery_level = LOW_BATTERY_LEVEL
        self.on_battery_low()
        if self.device is not None and self._battery_char is not None:
            asyncio.get_running_loop().create_task(self.device.notify_subscribers(self._battery_char))
