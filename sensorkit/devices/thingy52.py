"""Nordic Thingy:52 (stock firmware): the Motion Service raw-data stream, accelerometer + gyroscope.

Sources (``../shared/reference/ble-sensor-protocols.md`` section 4): the official firmware
``NordicSemiconductor/Nordic-Thingy52-FW`` @ 6ada0a9 ("THY"): ``include/ble_services/ble_tms.h`` and
``source/ble_services/ble_tms.c`` (UUIDs, raw and config layouts, config limits),
``source/modules/m_motion.c`` (Q-format scaling, the stream runs only while raw notifications are
on), ``include/modules/m_motion.h`` (default config), ``include/ble_services/ble_uis.h`` (LED modes
and lengths). Nothing was checked on hardware.

Scaling: the firmware holds Q16.16 values and shifts them right by 6 (acc, g), 11 (gyro, deg/s) and
12 (compass, uT) before sending, so acc = raw/1024 g, gyro = raw/32 deg/s (THY m_motion.c); it clips
at +-32 g and +-1024 deg/s, which is therefore the range on the air. The compass is dropped.

Time: one sample per notification, **no counter, no timestamp**: the collector times samples from
arrival and rate, and loss is only inferred (see :mod:`sensorkit.devices.arrival`).
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any, ClassVar

import numpy as np

from ..errors import DecodeError, SettingsError
from ..samples import STANDARD_GRAVITY
from .base import Advertisement, Capabilities, DecodedSamples, DeviceProfile, Notify
from .gatt import best_effort, int_triplets, notification_handler


def thingy_uuid(short: int) -> str:
    """``EF68xxxx-9B35-4933-9B10-52FFA9740042`` (THY TMS_BASE_UUID, stored byte-reversed there)."""
    return f"ef68{short:04x}-9b35-4933-9b10-52ffa9740042"


CONFIG_SERVICE = thingy_uuid(0x0100)  # advertised by the stock firmware
UI_SERVICE, LED_CHAR = thingy_uuid(0x0300), thingy_uuid(0x0301)  # THY ble_uis.h
MOTION_SERVICE = thingy_uuid(0x0400)
MOTION_CONFIG_CHAR = thingy_uuid(0x0401)
RAW_CHAR = thingy_uuid(0x0406)

CONFIG_FORMAT = "<4HB"  # pedo ms, temp ms, compass ms, motion Hz, wake-on-motion (THY ble_tms.h)
DEFAULT_CONFIG = (1000, 500, 500, 10, 1)  # THY m_motion.h
RAW_LEN = 18
ACC_PER_G, GYRO_PER_DPS, COMPASS_PER_UT = 1024, 32, 16  # THY m_motion.c (>> 6, 11, 12 of Q16.16)
LED_BREATHE_ONE_SHOT = 0x03  # [mode, color mix 1-7, intensity 1-100] (THY ble_uis.h)


def pack_config(pedo_ms: int, temp_ms: int, compass_ms: int, motion_hz: int, wake_on_motion: int) -> bytes:
    return struct.pack(CONFIG_FORMAT, pedo_ms, temp_ms, compass_ms, motion_hz, wake_on_motion)


def unpack_config(data: bytes) -> tuple[int, int, int, int, int]:
    if len(data) != struct.calcsize(CONFIG_FORMAT):
        raise DecodeError(f"Thingy motion config of {len(data)} bytes, expected 9")
    return struct.unpack(CONFIG_FORMAT, data)


def with_rate(config: bytes, motion_hz: int) -> bytes:
    """The sensor's current config with only the motion rate changed (100 Hz -> E8 03 F4 01 F4 01 64 00 01 from defaults)."""
    pedo, temp, compass, _, wom = unpack_config(config)
    return pack_config(pedo, temp, compass, motion_hz, wom)


def pack_raw(acc_counts: np.ndarray, gyr_counts: np.ndarray, compass_counts: np.ndarray) -> bytes:
    """One raw notification: acc, gyro, compass x/y/z int16 (THY ble_tms.h ble_tms_raw_t)."""
    values = np.concatenate([np.reshape(v, 3) for v in (acc_counts, gyr_counts, compass_counts)])
    return np.clip(values, -32768, 32767).astype("<i2").tobytes()


def unpack_raw(payload: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(acc, gyro, compass) counts of one raw notification, each (1, 3)."""
    if len(payload) != RAW_LEN:
        raise DecodeError(f"Thingy raw packet of {len(payload)} bytes, expected {RAW_LEN}")
    rows = int_triplets(payload, "<i2", "Thingy raw")
    return rows[0:1], rows[1:2], rows[2:3]


def led_one_shot(color_mix: int, intensity: int) -> bytes:
    """One breathe cycle of colour mix 1-7 (on/off per primary, THY ble_uis.h) at 1-100 % intensity."""
    if not (1 <= color_mix <= 7 and 1 <= intensity <= 100):
        raise SettingsError("Thingy LED colour mix is 1-7 and intensity 1-100")
    return bytes([LED_BREATHE_ONE_SHOT, color_mix, intensity])


class Thingy52(DeviceProfile):
    """A Thingy:52 streaming raw accelerometer and gyroscope at the configured motion rate."""

    kind: ClassVar[str] = "thingy52"
    service_uuids: ClassVar[tuple[str, ...]] = (CONFIG_SERVICE, MOTION_SERVICE)
    capabilities: ClassVar[Capabilities] = Capabilities(
        model="Nordic Thingy:52 (stock firmware)",
        has_gyro=True,
        rates_hz=(10.0, 25.0, 50.0, 100.0, 200.0),
        acc_ranges_g=(32.0,),
        gyr_ranges_dps=(1024.0,),
        feedback="led",
        has_counter=False,
    )

    def __init__(self, rate_hz: float = 50.0, acc_range_g: float = 32.0, gyr_range_dps: float | None = 1024.0):
        super().__init__(rate_hz, 32.0, 1024.0)
        if self.rate_hz not in self.capabilities.rates_hz:
            raise SettingsError(f"Thingy:52 motion rates offered are {self.capabilities.rates_hz} Hz")

    @classmethod
    def recognises(cls, adv: Advertisement) -> bool:
        """Default name "Thingy" (unverified), or the Thingy configuration / motion service UUID."""
        uuids = {u.lower() for u in adv.service_uuids}
        return (adv.name or "").startswith("Thingy") or bool(uuids & set(cls.service_uuids))

    @property
    def acc_lsb(self) -> float:
        return STANDARD_GRAVITY / ACC_PER_G

    @property
    def gyr_lsb(self) -> float:
        return float(np.deg2rad(1.0 / GYRO_PER_DPS))

    async def start(self, client: Any, on_notify: Notify) -> None:
        """Set the motion rate (keeping the user's other settings), then enable raw notifications."""
        current = bytes(await client.read_gatt_char(MOTION_CONFIG_CHAR))
        await client.write_gatt_char(MOTION_CONFIG_CHAR, with_rate(current, int(self.rate_hz)), response=True)
        await client.start_notify(RAW_CHAR, notification_handler(on_notify))

    async def stop(self, client: Any) -> None:
        """Disabling raw notifications is what stops the stream (THY m_motion.c)."""
        await best_effort(client.stop_notify(RAW_CHAR), "stop_notify")

    async def feedback(self, client: Any, pattern: str = "short") -> None:
        """Breathe the LED once: "short" yellow, "long"/"double" red (the Thingy has no vibration)."""
        flashes = {"short": [(3, 100)], "long": [(1, 100)], "double": [(1, 100), (1, 100)]}.get(pattern)
        if flashes is None:
            raise SettingsError(f"unknown feedback pattern {pattern!r}: short, long or double")
        for i, (mix, intensity) in enumerate(flashes):
            if i:
                await asyncio.sleep(1.0)
            await client.write_gatt_char(LED_CHAR, led_one_shot(mix, intensity), response=True)

    def decode(self, char_uuid: str, payload: bytes) -> list[DecodedSamples]:
        acc, gyr, _compass = unpack_raw(payload)
        return [DecodedSamples(acc=acc * self.acc_lsb, gyr=gyr * self.gyr_lsb)]
