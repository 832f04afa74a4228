"""mbientlab MetaMotion (R, RL, C, S): the MetaWear register protocol, accelerometer + gyroscope.

Every fact below comes from the official C++ SDK, ``mbientlab/MetaWear-SDK-Cpp`` @ f67699e ("MW"),
as summarised in ``../shared/reference/ble-sensor-protocols.md`` section 1; file names are given
next to each constant. Nothing was checked on hardware.

Protocol shape: one write characteristic takes ``[module, register, payload...]`` commands (write
without response); one notify characteristic carries every reply and every data packet in the same
framing. The board is either a BMI160 or a BMI270 design; register numbers differ, so :func:`chip_from_info`
decides from the module-info replies rather than from the model name (MW ``moduleinfo.cpp``).

Time: streamed MetaWear samples carry **no device timestamp and no counter** (MW
``datainterpreter.cpp``; the "accounter" processor that would add one is not mapped), so decoded
samples have no time reference and the collector times them from arrival and rate. Loss shorter than
the arrival jitter cannot be seen. Accelerometer and gyroscope arrive in separate packets; they are
paired in arrival order (see :class:`MetaMotion.decode`).
"""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

import numpy as np

from ..errors import DecodeError, DeviceError, SettingsError
from ..samples import STANDARD_GRAVITY
from .base import Advertisement, Capabilities, DecodedSamples, DeviceProfile, Notify
from .gatt import ReplyWaiter, best_effort, int_triplets, notification_handler, sig_uuid

# MW src/metawear/impl/cpp/metawearboard.cpp (METAWEAR_SERVICE_NOTIFY_CHAR, METAWEAR_COMMAND_CHAR)
SERVICE = "326a9000-85cb-9195-d9dd-464cfbbae75a"
COMMAND_CHAR = "326a9001-85cb-9195-d9dd-464cfbbae75a"
NOTIFY_CHAR = "326a9006-85cb-9195-d9dd-464cfbbae75a"
MODEL_NUMBER_CHAR = sig_uuid(0x2A24)  # "5" R/RL, "6" C, "8" S (MW metawearboard.cpp get_model)

# Module ids: MW src/metawear/core/module.h
ACC, HAPTIC, SETTINGS, GYRO = 0x03, 0x08, 0x11, 0x13
READ = 0x80  # read bit on a register (MW core/cpp/register.h); [module, 0x80] asks for module info
POWER_MODE, DATA_INTERRUPT_ENABLE, CONFIG = 0x01, 0x02, 0x03  # same on both chips and both sensors
BATTERY_REGISTER = 0x0C  # settings module (MW core/cpp/settings_register.h)
HAPTIC_PULSE = 0x01  # MW src/metawear/peripheral/cpp/haptic.cpp


@dataclass(frozen=True)
class Chip:
    """Register numbers and codes of one Bosch IMU design (MW accelerometer_bosch_register.h, gyro_bosch_register.h)."""

    name: str
    acc_impl: int  # module-info implementation id (MW accelerometer_bosch.cpp, gyro_bosch.cpp)
    gyro_impl: int
    acc_data: int
    acc_packed: int
    gyro_data: int
    gyro_packed: int
    acc_range_codes: dict[int, int]  # range in g -> config byte 1 (MW accelerometer_bosch.cpp)
    ultra_sample_bit: int  # the "us" bit of config byte 0 at ODR >= 12.5 Hz


BMI160 = Chip("BMI160", 1, 0, 0x04, 0x1C, 0x05, 0x07, {2: 0x03, 4: 0x05, 8: 0x08, 16: 0x0C}, 0)
BMI270 = Chip("BMI270", 4, 1, 0x04, 0x05, 0x04, 0x05, {2: 0, 4: 1, 8: 2, 16: 3}, 1)
CHIPS = (BMI160, BMI270)

ACC_LSB_PER_G = {2: 16384, 4: 8192, 8: 4096, 16: 2048}  # MW accelerometer_bosch.cpp
GYRO_RANGE_CODES = {2000: 0, 1000: 1, 500: 2, 250: 3, 125: 4}  # MW gyro_bosch.h
GYRO_LSB_PER_DPS = (16.4, 32.8, 65.6, 131.2, 262.4)  # by range code (MW gyro_bosch.cpp FSR_SCALE)
BANDWIDTH = 2  # the SDK's default "bwp" for both sensors (MW accelerometer_bosch.cpp, gyro_bosch.cpp)
SAMPLES_PER_PACKED = 3  # MW metawearboard.cpp response_handler_packed_data


def odr_code(rate_hz: float) -> int:
    """Bosch ODR code: 1 = 0.78125 Hz, doubling per step, 8 = 100 Hz (MW accelerometer_bosch.h, gyro_bosch.h)."""
    code = round(np.log2(rate_hz / 0.78125)) + 1
    if not 1 <= code <= 13 or abs(0.78125 * 2 ** (code - 1) - rate_hz) > 1e-6:
        raise SettingsError(f"{rate_hz:g} Hz is not a Bosch output data rate")
    return int(code)


def odr_hz(code: int) -> float:
    return 0.78125 * 2 ** (code - 1)


# ---- host -> sensor -----------------------------------------------------------------------------

def module_info_query(module: int) -> bytes:
    """``[module, 0x80]``: the reply names the implementation (MW moduleinfo.cpp)."""
    return bytes([module, READ])


def acc_config(chip: Chip, rate_hz: float, range_g: int) -> bytes:
    """``03 03 b0 b1``; b0 = odr | bwp<<4 | us<<7 (MW accelerometer_bosch.cpp set_odr); e.g. BMI160 100 Hz 2 g -> 28 03."""
    if range_g not in chip.acc_range_codes:
        raise SettingsError(f"accelerometer range must be one of {sorted(chip.acc_range_codes)} g")
    b0 = odr_code(rate_hz) | BANDWIDTH << 4 | chip.ultra_sample_bit << 7
    return bytes([ACC, CONFIG, b0, chip.acc_range_codes[range_g]])


def gyro_config(rate_hz: float, range_dps: int) -> bytes:
    """``13 03 b0 b1``; b0 = odr | bwp<<4, b1 = range code (MW gyro_bosch.cpp); gyro ODR starts at 25 Hz."""
    code = odr_code(rate_hz)
    if code < 6 or range_dps not in GYRO_RANGE_CODES:
        raise SettingsError(f"gyroscope needs 25-3200 Hz and a range in {sorted(GYRO_RANGE_CODES)} deg/s")
    return bytes([GYRO, CONFIG, code | BANDWIDTH << 4, GYRO_RANGE_CODES[range_dps]])


def subscribe(module: int, register: int, on: bool) -> bytes:
    """``[module, register, 1|0]`` (MW core/cpp/datasignal.cpp subscribe/unsubscribe)."""
    return bytes([module, register, 1 if on else 0])


def enable_sampling(module: int, on: bool) -> bytes:
    """``[m, 02, 01, 00]`` on, ``[m, 02, 00, 01]`` off (MW accelerometer_bosch.cpp, gyro_bosch.cpp)."""
    return bytes([module, DATA_INTERRUPT_ENABLE, 1, 0] if on else [module, DATA_INTERRUPT_ENABLE, 0, 1])


def power(module: int, on: bool) -> bytes:
    """``[m, 01, 01]`` start, ``[m, 01, 00]`` stop (BMI270 uses 02 only with us = 0, never at our rates)."""
    return bytes([module, POWER_MODE, 1 if on else 0])


def battery_query() -> bytes:
    """``11 8C``: settings register 0x0C with the read bit (MW core/cpp/settings.cpp)."""
    return bytes([SETTINGS, READ | BATTERY_REGISTER])


def connection_parameters(min_ms: float, max_ms: float, latency: int, timeout_ms: int) -> bytes:
    """``11 09`` + 4 x u16 in 1.25 ms / 10 ms units (MW settings.cpp); 7.5/7.5/0/6000 -> 11 09 06 00 06 00 00 00 58 02."""
    return bytes([SETTINGS, 0x09]) + struct.pack(
        "<4H", round(min_ms / 1.25), round(max_ms / 1.25), latency, timeout_ms // 10
    )


def haptic_pulse(duty_percent: float, width_ms: int) -> bytes:
    """``08 01 duty w_lo w_hi 00``: motor at duty x 248/100 for ``width_ms`` (MW peripheral/cpp/haptic.cpp)."""
    return bytes([HAPTIC, HAPTIC_PULSE, int(duty_percent / 100 * 248)]) + struct.pack("<HB", width_ms, 0)


def parse_haptic(command: bytes) -> tuple[float, int]:
    """(duty %, width ms) of a haptic command; the emulator's side of :func:`haptic_pulse`."""
    if len(command) != 6 or command[:2] != bytes([HAPTIC, HAPTIC_PULSE]):
        raise DecodeError("not a haptic pulse command")
    return command[2] * 100 / 248, struct.unpack_from("<H", command, 3)[0]


def parse_acc_config(chip: Chip, command: bytes) -> tuple[float, int]:
    """(rate Hz, range g) from ``03 03 b0 b1``; the emulator's side of :func:`acc_config`."""
    ranges = {code: g for g, code in chip.acc_range_codes.items()}
    if len(command) != 4 or command[:2] != bytes([ACC, CONFIG]) or command[3] not in ranges:
        raise DecodeError("bad accelerometer config")
    return odr_hz(command[2] & 0x0F), ranges[command[3]]


def parse_gyro_config(command: bytes) -> tuple[float, int]:
    """(rate Hz, range deg/s) from ``13 03 b0 b1``."""
    ranges = {code: dps for dps, code in GYRO_RANGE_CODES.items()}
    if len(command) != 4 or command[:2] != bytes([GYRO, CONFIG]) or command[3] not in ranges:
        raise DecodeError("bad gyroscope config")
    return odr_hz(command[2] & 0x0F), ranges[command[3]]


# ---- sensor -> host -----------------------------------------------------------------------------

def pack_module_info(module: int, implementation: int | None, revision: int = 0) -> bytes:
    """Module-info reply; ``None`` = module absent (a 2-byte reply, MW moduleinfo.cpp)."""
    if implementation is None:
        return bytes([module, READ])
    return bytes([module, READ, implementation, revision])


def chip_from_info(acc_info: bytes, gyro_info: bytes) -> Chip:
    """Which Bosch design answered, from the two module-info replies; DeviceError for anything else."""
    if len(acc_info) < 3:
        raise DeviceError("this MetaWear board has no accelerometer")
    if len(gyro_info) < 3:
        raise DeviceError("this MetaWear board has no gyroscope (an older MetaWear, not a MetaMotion)")
    for chip in CHIPS:
        if acc_info[2] == chip.acc_impl and gyro_info[2] == chip.gyro_impl:
            return chip
    raise DeviceError(
        f"unsupported MetaWear IMU (accelerometer implementation {acc_info[2]}, gyroscope {gyro_info[2]})"
    )


def pack_xyz(module: int, register: int, counts: np.ndarray) -> bytes:
    """``[module, register]`` + int16 x, y, z per sample: single (1 sample) or packed (3) data packets."""
    rows = np.clip(np.asarray(counts, dtype=np.int64).reshape(-1, 3), -32768, 32767)
    return bytes([module, register]) + rows.astype("<i2").tobytes()


def pack_battery(percent: int, millivolts: int) -> bytes:
    """``11 8C pct mV_lo mV_hi`` (MW datainterpreter.cpp convert_to_battery_state)."""
    return battery_query() + struct.pack("<BH", percent, millivolts)


def unpack_battery(payload: bytes) -> tuple[int, int]:
    """(charge %, voltage mV) of a battery reply."""
    if len(payload) != 5 or payload[:2] != battery_query():
        raise DecodeError("not a MetaWear battery reply")
    return payload[2], struct.unpack_from("<H", payload, 3)[0]


class MetaMotion(DeviceProfile):
    """A MetaMotion streaming packed accelerometer and gyroscope at one rate.

    Packed signals always (3 samples per notification): mbientlab says rates above 100 Hz need them
    and a 7.5 ms connection interval, which :meth:`start` requests (MW cppdocs advanced_features.rst).
    """

    kind: ClassVar[str] = "metamotion"
    service_uuids: ClassVar[tuple[str, ...]] = (SERVICE,)
    capabilities: ClassVar[Capabilities] = Capabilities(
        model="mbientlab MetaMotion R/RL/C/S (BMI160 or BMI270)",
        has_gyro=True,
        rates_hz=(25.0, 50.0, 100.0, 200.0),
        acc_ranges_g=(2.0, 4.0, 8.0, 16.0),
        gyr_ranges_dps=(125.0, 250.0, 500.0, 1000.0, 2000.0),
        feedback="haptic",
        has_counter=False,
    )
    # The pairing queues may drift apart by this many samples before the excess counts as unpaired.
    MAX_UNPAIRED = 2 * SAMPLES_PER_PACKED

    def __init__(self, rate_hz: float = 100.0, acc_range_g: float = 8.0, gyr_range_dps: float | None = 2000.0):
        super().__init__(rate_hz, acc_range_g, 2000.0 if gyr_range_dps is None else gyr_range_dps)
        if self.rate_hz not in self.capabilities.rates_hz:
            raise SettingsError(f"MetaMotion streams at {self.capabilities.rates_hz} Hz, not {rate_hz:g}")
        self.chip = BMI160
        self.battery: tuple[int, int] | None = None  # (percent, mV) from the last battery reply
        self.unpaired_dropped = 0
        self._waiter = ReplyWaiter()
        self._acc: list[np.ndarray] = []
        self._gyr: list[np.ndarray] = []

    @classmethod
    def recognises(cls, adv: Advertisement) -> bool:
        """The MetaWear service UUID in the advertisement, or the default name "MetaWear" (the name is
        common knowledge, not from the cited sources: unverified)."""
        uuids = {u.lower() for u in adv.service_uuids}
        return SERVICE in uuids or (adv.name or "").startswith("MetaWear")

    @property
    def acc_lsb(self) -> float:
        return STANDARD_GRAVITY / ACC_LSB_PER_G[int(self.acc_range_g)]

    @property
    def gyr_lsb(self) -> float:
        return float(np.deg2rad(1.0 / GYRO_LSB_PER_DPS[GYRO_RANGE_CODES[int(self.gyr_range_dps or 2000)]]))

    async def _ask(self, client: Any, command: bytes, prefix: bytes, what: str) -> bytes:
        reply = self._waiter.expect(lambda p: p[: len(prefix)] == prefix)
        await client.write_gatt_char(COMMAND_CHAR, command, response=False)
        return await self._waiter.wait(reply, what)

    async def start(self, client: Any, on_notify: Notify) -> None:
        """Identify the chip, configure both sensors, subscribe to packed data, start them (MW SDK order).

        Halves still waiting for their pair from before a link loss are counted as unpaired and
        forgotten: pairing them with the new run's first packets would join samples taken apart."""
        self._discard_pending()
        await client.start_notify(NOTIFY_CHAR, notification_handler(on_notify, self._waiter))
        acc_info = await self._ask(client, module_info_query(ACC), bytes([ACC, READ]), "the accelerometer query")
        gyro_info = await self._ask(client, module_info_query(GYRO), bytes([GYRO, READ]), "the gyroscope query")
        self.chip = chip_from_info(acc_info, gyro_info)
        if self.rate_hz > 100:
            await client.write_gatt_char(COMMAND_CHAR, connection_parameters(7.5, 7.5, 0, 6000), response=False)
        for command in (
            acc_config(self.chip, self.rate_hz, int(self.acc_range_g)),
            gyro_config(self.rate_hz, int(self.gyr_range_dps or 2000)),
            subscribe(ACC, self.chip.acc_packed, True),
            subscribe(GYRO, self.chip.gyro_packed, True),
            enable_sampling(ACC, True),
            enable_sampling(GYRO, True),
            power(ACC, True),
            power(GYRO, True),
        ):
            await client.write_gatt_char(COMMAND_CHAR, command, response=False)

    def decode_settings(self) -> dict[str, Any]:
        return {"chip": self.chip.name}

    def restore_decode_settings(self, settings: Mapping[str, Any]) -> None:
        if settings.get("starting"):
            self._discard_pending()  # as start does
        self.chip = {c.name: c for c in (BMI160, BMI270)}[settings["chip"]]

    async def stop(self, client: Any) -> None:
        for command in (
            power(ACC, False),
            power(GYRO, False),
            enable_sampling(ACC, False),
            enable_sampling(GYRO, False),
            subscribe(ACC, self.chip.acc_packed, False),
            subscribe(GYRO, self.chip.gyro_packed, False),
        ):
            await best_effort(client.write_gatt_char(COMMAND_CHAR, command, response=False), command.hex())
        await best_effort(client.stop_notify(NOTIFY_CHAR), "stop_notify")

    async def read_battery(self, client: Any) -> tuple[int, int]:
        """(charge %, voltage mV) via the settings module (revision >= 3 boards)."""
        reply = await self._ask(client, battery_query(), battery_query(), "the battery query")
        self.battery = unpack_battery(reply)
        return self.battery

    async def feedback(self, client: Any, pattern: str = "short") -> None:
        """Vibrate: "short" one 200 ms pulse, "long" one 600 ms pulse, "double" two short pulses."""
        pulses = {"short": [200], "long": [600], "double": [150, 150]}.get(pattern)
        if pulses is None:
            raise SettingsError(f"unknown feedback pattern {pattern!r}: short, long or double")
        for i, width in enumerate(pulses):
            if i:
                await asyncio.sleep((width + 150) / 1000)
            await client.write_gatt_char(COMMAND_CHAR, haptic_pulse(100.0, width), response=False)

    def decode(self, char_uuid: str, payload: bytes) -> list[DecodedSamples]:
        """Packed or single acc/gyro packets, paired in arrival order into acc+gyro samples.

        With no counters on the air, pairing is by order: if one stream runs more than two packets
        ahead of the other (the other lost a packet), the oldest excess samples are dropped and
        counted in ``unpaired_dropped``; which samples were lost cannot be known. Halves still
        unpaired when the session ends are lost too, and counted by :meth:`incomplete_samples`.
        """
        if len(payload) < 2:
            raise DecodeError(f"MetaWear packet of {len(payload)} bytes")
        module, register = payload[0], payload[1]
        body = payload[2:]
        if module == SETTINGS and register == READ | BATTERY_REGISTER:
            self.battery = unpack_battery(payload)
            return []
        if register == READ and module in (ACC, GYRO):
            return []  # a late module-info reply
        chip = self.chip
        if module == ACC and register in (chip.acc_packed, chip.acc_data):
            self._acc.append(self._samples(body, register == chip.acc_packed, "accelerometer"))
        elif module == GYRO and register in (chip.gyro_packed, chip.gyro_data):
            self._gyr.append(self._samples(body, register == chip.gyro_packed, "gyroscope"))
        else:
            raise DecodeError(f"unexpected MetaWear packet {payload[:2].hex()} ({len(payload)} bytes)")
        return self._pair()

    @staticmethod
    def _samples(body: bytes, packed: bool, what: str) -> np.ndarray:
        expected = 6 * (SAMPLES_PER_PACKED if packed else 1)
        if len(body) != expected:
            raise DecodeError(f"MetaWear {what} packet has {len(body)} data bytes, expected {expected}")
        return int_triplets(body, "<i2", f"MetaWear {what}")

    def incomplete_samples(self) -> int:
        """Samples dropped as unpaired plus those waiting now for their other half (at the end of a
        session: an accelerometer frame whose gyroscope frame never came)."""
        return self.unpaired_dropped + self._pending()

    def _pending(self) -> int:
        return max(sum(len(a) for a in self._acc), sum(len(g) for g in self._gyr))

    def _discard_pending(self) -> None:
        self.unpaired_dropped += self._pending()
        self._acc, self._gyr = [], []

    def _pair(self) -> list[DecodedSamples]:
        acc = np.concatenate(self._acc) if self._acc else np.empty((0, 3), np.int64)
        gyr = np.concatenate(self._gyr) if self._gyr else np.empty((0, 3), np.int64)
        excess = len(acc) - len(gyr)
        if excess > self.MAX_UNPAIRED:
            acc = acc[excess - self.MAX_UNPAIRED :]
            self.unpaired_dropped += excess - self.MAX_UNPAIRED
        elif -excess > self.MAX_UNPAIRED:
            gyr = gyr[-excess - self.MAX_UNPAIRED :]
            self.unpaired_dropped += -excess - self.MAX_UNPAIRED
        n = min(len(acc), len(gyr))
        self._acc, self._gyr = [acc[n:]], [gyr[n:]]
        if n == 0:
            return []
        return [DecodedSamples(acc=acc[:n] * self.acc_lsb, gyr=gyr[:n] * self.gyr_lsb)]
