"""BBC micro:bit (Bluetooth profile): the Accelerometer Service. Accelerometer only, no gyroscope.

Sources (``../shared/reference/ble-sensor-protocols.md`` section 5): ``lancaster-university/
microbit-dal`` and ``codal-microbit-v2`` ``source/bluetooth/MicroBitAccelerometerService.cpp``
("UBIT": UUIDs, milli-g int16 data, the period write-back), the profile page
https://lancaster-university.github.io/microbit-docs/resources/bluetooth/bluetooth_profile.html
(v1.6 "signed 16 bit integer fields", v1.7 pairing); ``microbit-dal``
``source/bluetooth/MicroBitLEDService.cpp`` (LED matrix: 5 bytes, one per row, bit 4-x = column x;
read for this module, not in the reference notes). Nothing was checked on hardware.

Quirks: the service exists only if the program on the micro:bit instantiates it; v1.7+ builds need
bonding. A period written is replaced by one the board's accelerometer supports and that is what reads
back, so :meth:`MicroBit.start` reads it back. Which periods depends on the chip, and each driver has
its own table (``accelerometerPeriodData`` in microbit-dal ``source/drivers/MMA8653.cpp``,
``FXOS8700.cpp``, ``LSM303Accelerometer.cpp``; codal-core's ``LSM303Accelerometer.cpp`` for the v2,
the same table): the request is looked up as the table's smallest period at or above it (the largest
when none is; ``KeyValueTable::find`` in ``MicroBitUtil.cpp`` / ``CodalUtil.cpp``), in microseconds,
and read back in whole milliseconds. The FXOS8700 driver looks up *twice* the request (accelerometer
and magnetometer share the chip's rate), so that board never reads back what was asked; :func:`request_for`
finds what to ask instead. 12.5 Hz (80 ms) is in no LSM303AGR table: every v2 and the LSM303 v1.5 boards
refuse it. None of this was checked on hardware.

Time: one sample per notification, **no counter, no timestamp**; loss is only inferred from arrival
(see :mod:`sensorkit.devices.arrival`).
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any, ClassVar

import numpy as np

from ..errors import DecodeError, DeviceError, SettingsError
from ..samples import STANDARD_GRAVITY
from .base import Advertisement, Capabilities, DecodedSamples, DeviceProfile, Notify
from .gatt import best_effort, int_triplets, notification_handler


def microbit_uuid(short: int) -> str:
    """``E95Dxxxx-251D-470A-A062-FA1922DFA9A8`` (UBIT)."""
    return f"e95d{short:04x}-251d-470a-a062-fa1922dfa9a8"


ACC_SERVICE = microbit_uuid(0x0753)
ACC_DATA_CHAR = microbit_uuid(0xCA4B)
ACC_PERIOD_CHAR = microbit_uuid(0xFB24)
LED_SERVICE = microbit_uuid(0xD91D)  # microbit-dal MicroBitLEDService.cpp
LED_MATRIX_CHAR = microbit_uuid(0x7B77)
# The drivers' period tables, in microseconds (see the module docstring), and how many times the
# request each one looks up.
PERIOD_TABLES_US: dict[str, tuple[int, ...]] = {
    "MMA8653": (1250, 2500, 5000, 10000, 20000, 80000, 160000, 640000),  # v1.3 and earlier (microbit-dal)
    "FXOS8700": (2500, 5000, 10000, 20000, 80000, 160000, 320000, 1280000),  # some v1.5 (microbit-dal)
    "LSM303AGR": (617, 744, 2500, 5000, 10000, 20000, 40000, 100000, 1000000),  # other v1.5; v2 (codal)
}
LOOKUP_FACTOR = {"MMA8653": 1, "FXOS8700": 2, "LSM303AGR": 1}
DATA_LEN = 6

# Row bitmaps for the 5 x 5 display (bit 4 = left column).
PATTERNS = {
    "short": (0b00000, 0b01110, 0b01110, 0b01110, 0b00000),  # a square
    "long": (0b11111, 0b11111, 0b11111, 0b11111, 0b11111),  # all on
    "double": (0b10001, 0b01010, 0b00100, 0b01010, 0b10001),  # a cross
}
BLANK = bytes(5)


def pack_period(period_ms: int) -> bytes:
    return struct.pack("<H", period_ms)


def unpack_period(data: bytes) -> int:
    if len(data) != 2:
        raise DecodeError(f"micro:bit period of {len(data)} bytes")
    return struct.unpack("<H", data)[0]


def chosen_period(chip: str, requested_ms: int) -> int:
    """The period (ms) a board with this accelerometer sets, and reads back, for a request (the driver's
    ``configure``: the table's smallest period at or above the request, else its largest)."""
    table, wanted = PERIOD_TABLES_US[chip], requested_ms * 1000 * LOOKUP_FACTOR[chip]
    return next((key for key in table if key >= wanted), table[-1]) // 1000


def request_for(chip: str, period_ms: int) -> int | None:
    """A request that this accelerometer turns into ``period_ms``, or None when it cannot."""
    return next((r for r in range(period_ms, 0, -1) if chosen_period(chip, r) == period_ms), None)


def chips_answering(requested_ms: int, answer_ms: int) -> list[str]:
    """The accelerometers whose driver answers ``answer_ms`` to ``requested_ms``."""
    return [chip for chip in PERIOD_TABLES_US if chosen_period(chip, requested_ms) == answer_ms]


def pack_acc(milli_g: np.ndarray) -> bytes:
    return np.clip(np.reshape(milli_g, 3), -32768, 32767).astype("<i2").tobytes()


def unpack_acc(payload: bytes) -> np.ndarray:
    """(1, 3) milli-g of one notification."""
    if len(payload) != DATA_LEN:
        raise DecodeError(f"micro:bit accelerometer packet of {len(payload)} bytes, expected {DATA_LEN}")
    return int_triplets(payload, "<i2", "micro:bit accelerometer")


def led_matrix(rows: tuple[int, ...]) -> bytes:
    """5 row bytes for the LED matrix characteristic (MicroBitLEDService.cpp onDataWritten)."""
    if len(rows) != 5 or any(not 0 <= r < 32 for r in rows):
        raise SettingsError("an LED matrix is five rows of five bits")
    return bytes(rows)


def lit_pixels(matrix: bytes) -> set[tuple[int, int]]:
    """(x, y) of every lit LED in a matrix write; the emulator's side of :func:`led_matrix`."""
    if not 0 < len(matrix) < 6:
        raise DecodeError("an LED matrix write is 1-5 bytes")
    return {(x, y) for y, row in enumerate(matrix) for x in range(5) if row & (1 << (4 - x))}


class MicroBit(DeviceProfile):
    """A micro:bit running a program with the Accelerometer (and LED) Bluetooth services."""

    kind: ClassVar[str] = "microbit"
    service_uuids: ClassVar[tuple[str, ...]] = (ACC_SERVICE,)
    capabilities: ClassVar[Capabilities] = Capabilities(
        model="BBC micro:bit v1/v2 (Bluetooth profile, accelerometer service)",
        has_gyro=False,
        rates_hz=(12.5, 50.0, 100.0),
        acc_ranges_g=(2.0,),  # the DAL's default range; not configurable over this service
        feedback="leds",
        has_counter=False,
    )
    FEEDBACK_SECONDS = 0.6

    def __init__(self, rate_hz: float = 50.0, acc_range_g: float = 2.0, gyr_range_dps: float | None = None):
        super().__init__(rate_hz, 2.0, None)
        if self.rate_hz not in self.capabilities.rates_hz:
            raise SettingsError(f"micro:bit rates offered are {self.capabilities.rates_hz} Hz, not {rate_hz:g}")

    @classmethod
    def recognises(cls, adv: Advertisement) -> bool:
        """Names "BBC micro:bit [zuvit]" (unverified), or the accelerometer service UUID."""
        return (adv.name or "").startswith("BBC micro:bit") or ACC_SERVICE in {u.lower() for u in adv.service_uuids}

    @property
    def acc_lsb(self) -> float:
        return STANDARD_GRAVITY / 1000.0

    async def start(self, client: Any, on_notify: Notify) -> None:
        """Set the period, asking for what the board's accelerometer turns into it (found from its answer)."""
        period = round(1000.0 / self.rate_hz)
        actual = await self._set_period(client, period)
        chips = chips_answering(period, actual)
        if actual != period and len(chips) == 1 and (request := request_for(chips[0], period)) is not None:
            actual = await self._set_period(client, request)
        if actual != period:
            offers = "; ".join(f"{chip}: {self._rates_of(chip)} Hz" for chip in chips) or "an unknown accelerometer"
            raise DeviceError(f"this micro:bit cannot sample at {self.rate_hz:g} Hz: asked for a {period} ms period, "
                              f"it chose {actual} ms ({offers})")
        await client.start_notify(ACC_DATA_CHAR, notification_handler(on_notify))

    @staticmethod
    async def _set_period(client: Any, request_ms: int) -> int:
        await client.write_gatt_char(ACC_PERIOD_CHAR, pack_period(request_ms), response=True)
        return unpack_period(bytes(await client.read_gatt_char(ACC_PERIOD_CHAR)))

    @classmethod
    def _rates_of(cls, chip: str) -> str:
        """The rates this profile offers that a board with this accelerometer can give."""
        return "/".join(f"{rate:g}" for rate in cls.capabilities.rates_hz
                        if request_for(chip, round(1000.0 / rate)) is not None) or "none"

    async def stop(self, client: Any) -> None:
        await best_effort(client.stop_notify(ACC_DATA_CHAR), "stop_notify")

    async def feedback(self, client: Any, pattern: str = "short") -> None:
        """Show a picture on the LED matrix, then clear it ("double" shows it twice)."""
        if pattern not in PATTERNS:
            raise SettingsError(f"unknown feedback pattern {pattern!r}: {', '.join(PATTERNS)}")
        for _ in range(2 if pattern == "double" else 1):
            await client.write_gatt_char(LED_MATRIX_CHAR, led_matrix(PATTERNS[pattern]), response=True)
            await asyncio.sleep(self.FEEDBACK_SECONDS)
            await client.write_gatt_char(LED_MATRIX_CHAR, BLANK, response=True)

    def decode(self, char_uuid: str, payload: bytes) -> list[DecodedSamples]:
        return [DecodedSamples(acc=unpack_acc(payload) * self.acc_lsb)]
