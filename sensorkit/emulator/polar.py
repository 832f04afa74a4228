"""An emulated Polar H10 (raw int16 mG frames) or Verity Sense (delta-compressed frames): the PMD service.

Speaks what :mod:`sensorkit.devices.polar` documents (polar-ble-sdk): a control point that answers
GET_MEASUREMENT_SETTINGS with the model's accelerometer settings, validates START (status 8/9/7 for a
rate/range/resolution it does not offer), returns the conversion factor, and STOP; a data
characteristic carrying ACC frames stamped with the device time of their last sample (ns since
2000-01-01). Feature bits are readable on the control point (byte1 0x04 = ACC).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from bumble import gatt
from bumble.device import Connection

from ..devices import polar as pmd
from ..devices.base import DecodedSamples
from ..errors import DecodeError
from ..samples import STANDARD_GRAVITY
from .vendor import VendorEmulator, to_counts

# Device clock at the first sample: 2026-01-01 in Polar's epoch (ns since 2000-01-01), any fixed value works.
CLOCK_START_NS = (1_767_225_600 - pmd.EPOCH_2000_UNIX_S) * 1_000_000_000


class PolarH10Emulator(VendorEmulator):
    kind = "polar"
    name_prefix = "Polar H10"
    manufacturer = "Polar Electro Oy"
    model = "Polar H10"
    rates_hz: ClassVar[tuple[int, ...]] = (25, 50, 100, 200)  # POLAR documentation/products/PolarH10.md
    ranges_g: ClassVar[tuple[int, ...]] = (2, 4, 8)
    compressed: ClassVar[bool] = False
    free_running_clock = True
    features: ClassVar[bytes] = bytes([0x0F, 0x05, 0x00])  # ECG + ACC (polar-ble-sdk#360)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.factor = 1.0
        self.range_g = 8
        self.started_settings: dict[int, tuple[float, ...]] | None = None
        self._cp: gatt.Characteristic | None = None

    def build_services(self) -> list[gatt.Service]:
        props = gatt.Characteristic.Properties
        self._cp = gatt.Characteristic(
            pmd.CONTROL_POINT, props.READ | props.WRITE | props.INDICATE | props.NOTIFY,
            gatt.Characteristic.READABLE | gatt.Characteristic.WRITEABLE,
            gatt.CharacteristicValue(read=lambda _c: self.features, write=self._on_control),
        )
        self.data_characteristic = gatt.Characteristic(pmd.DATA_CHAR, props.NOTIFY, gatt.Characteristic.READABLE, b"")
        return [gatt.Service(pmd.SERVICE, [self._cp, self.data_characteristic]), self.battery_service()]

    def offered(self) -> dict[int, tuple[float, ...]]:
        return {pmd.SAMPLE_RATE: self.rates_hz, pmd.RESOLUTION: (16,), pmd.RANGE: self.ranges_g}

    def _on_control(self, _connection: Connection, value: bytes) -> None:
        command = bytes(value)
        op = command[0] if command else 0
        measurement = command[1] if len(command) > 1 else 0
        if op not in (pmd.GET_SETTINGS, pmd.START, pmd.STOP):
            status, params = 1, b""  # invalid op code
        elif measurement != pmd.ACC:
            status, params = 3, b""  # not supported
        elif op == pmd.GET_SETTINGS:
            status, params = 0, pmd.pack_settings(self.offered())
        elif op == pmd.START:
            status, params = self._start(command[2:])
        else:
            self.stop_streaming()
            status, params = 0, b""
        self.reply(self._cp, pmd.pack_response(op, measurement, status, params))

    def _start(self, body: bytes) -> tuple[int, bytes]:
        try:
            settings = pmd.unpack_settings(body)
        except DecodeError:
            return 5, b""  # invalid parameter
        rate, range_g, resolution = (_first(settings, kind) for kind in (pmd.SAMPLE_RATE, pmd.RANGE, pmd.RESOLUTION))
        if rate not in self.rates_hz or rate != round(self.rate_hz):
            return 8, b""  # invalid sample rate (the emulated source has one rate)
        if range_g not in self.ranges_g:
            return 9, b""
        if resolution != 16:
            return 7, b""
        if self.streaming:
            return 6, b""  # already in state
        self.range_g = int(range_g)
        self.started_settings = settings
        self.factor = self.start_factor()
        self.start_streaming()
        return 0, pmd.pack_settings({pmd.FACTOR: (self.factor,)}) if self.factor != 1.0 else b""

    def start_factor(self) -> float:
        return 1.0

    def samples_per_packet(self) -> int:
        """As many int16 x3 samples as fit after the 10-byte header (the H10 fills its MTU)."""
        return max(1, (self.att_payload - pmd.FRAME_HEADER) // 6)

    def timestamp_ns(self, last_counter: int) -> int:
        """The device clock at a sample: it believes its own rate, so samples are 1/rate s apart, and
        the clock runs on across restarts (a real-time clock, POLAR TimeSystemExplained.md)."""
        run_start = CLOCK_START_NS + round(self.device_seconds_at_run_start() * 1e9)
        return run_start + round(last_counter * 1e9 / self.rate_hz)

    def position(self, counter: int) -> DecodedSamples:
        return DecodedSamples(acc=np.zeros((1, 3)), device_time_s=np.array([self.timestamp_ns(counter) / 1e9]))

    def encode(self, first_counter: int, acc: np.ndarray, gyr: np.ndarray | None) -> bytes:
        lsb = STANDARD_GRAVITY / 1000.0  # mG
        counts = to_counts(acc, lsb)
        return pmd.pack_frame(self.timestamp_ns(first_counter + len(acc) - 1), counts, compressed=False)

    def corrupt(self, payload: bytes) -> bytes:
        return payload[:-1]  # a type-1 frame one byte short is not whole samples


def _first(settings: dict[int, tuple[float, ...]], kind: int) -> float | None:
    """The single value of a requested setting (a start request names one value per setting)."""
    values = settings.get(kind, ())
    return values[0] if len(values) == 1 else None


class PolarVeritySenseEmulator(PolarH10Emulator):
    """Verity Sense in SDK mode: delta-compressed type-0 frames in G x factor (POLAR AccData.kt)."""

    name_prefix = "Polar Sense"
    model = "Polar Verity Sense"
    rates_hz = (26, 52, 104, 208, 416)  # POLAR documentation/products/PolarVeritySense.md
    ranges_g = (2, 4, 8, 16)
    compressed = True
    features = bytes([0x0F, 0x24, 0x02])  # ACC + GYRO, SDK mode

    def start_factor(self) -> float:
        return self.range_g / 32768.0  # G per count at 16-bit resolution

    def samples_per_packet(self) -> int:
        """Worst case (16-bit deltas) must fit: header 10, reference 6, then 2 + 6 bytes per delta."""
        return max(1, (self.att_payload - pmd.FRAME_HEADER - 6 - 2) // 6 + 1)

    def encode(self, first_counter: int, acc: np.ndarray, gyr: np.ndarray | None) -> bytes:
        counts = to_counts(acc, self.factor * STANDARD_GRAVITY)
        return pmd.pack_frame(self.timestamp_ns(first_counter + len(acc) - 1), counts, compressed=True)

    def corrupt(self, payload: bytes) -> bytes:
        """A delta block of bit width 0, or a reference sample cut short when there is no block."""
        block = pmd.FRAME_HEADER + 6
        if len(payload) > block + 2:
            return payload[:block] + b"\x00" + payload[block + 1 :]
        return payload[: pmd.FRAME_HEADER + 2]
