"""The SensorKit open IMU protocol v1: the byte codec and the device profile.

The fixed core (UUIDs, data packet, control opcodes) is agreed in the project notes and specified in
full in ``firmware-protocol/``; this module is the Python side of it. The codec is strict: any packet
the spec does not allow is a :class:`DecodeError`, never a guess, because the collector counts and
skips bad packets rather than storing plausible-looking garbage (the protocol has no CRC of its own;
BLE's link layer CRC covers the air, so a malformed packet means a firmware bug or a foreign device).

Data packet (one notification)::

    0     version (1)
    1     flags: bit0 gyro present, bit1 battery low, bit2 clipped; bits 3-7 zero
    2     n samples (1..19)
    3     range codes: bits 0-1 acc (2/4/8/16 g), bits 2-4 gyro (125..2000 deg/s, codes 0-4), bits 5-7 zero
    4-7   u32 counter of the first sample (wraps at 2**32)
    8-    n x (ax, ay, az[, gx, gy, gz]) int16 little-endian; value = raw * full_scale / 32768

Decisions taken here where the core left room (the firmware spec follows them):

- ``n`` is 1..19 for both packet shapes: the samples-per-packet command caps it at 19, so an
  accelerometer-only packet with n > 19 is malformed even though it would fit a 247-byte MTU.
- A gyroscope range code of 5..7 is malformed (only codes 0-4 are defined), also in accelerometer-only
  packets (firmware sends its configured gyro code there, or 0).
- Config characteristic read-back: 20 bytes, ``<BBHBBIQBB`` (the first 18 are this module's original
  layout; the firmware spec, SPEC.md section 4, added the last two)::

      0      protocol version (1)
      1      status: bit0 streaming, bit1 gyro present, bit2 battery low; bits 3-7 zero
      2-3    u16 rate Hz (10..400)
      4      range codes (as data byte 3)
      5      samples per packet (1..19)
      6-9    u32 device counter recorded at the last time sync (0 when never synced)
      10-17  u64 host UNIX time in microseconds of the last time sync (0 = no sync record)
      18     battery-low threshold in percent (0..100, default 15)
      19     IMU chip code (informational; any value accepted)

- 0x01 start while already streaming is accepted and changes nothing (the counter keeps running), so
  a collector that reconnects after a link loss can (re)start without losing counter continuity.
  A link loss does not stop streaming for 60 s (the resume window, SPEC.md 3.4); 0x02 stop does,
  clears the sync record, and the next 0x01 restarts the counter at 0.
- Identify takes pattern 0..3 and duration 0..10000 ms, time sync a non-zero time (else 0x81).
- Configuration writes (0x03, 0x04, 0x05) while streaming are rejected with 0x82.
"""

from __future__ import annotations

import math
import struct
import time
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Mapping

import numpy as np

from ..errors import DecodeError, DeviceError
from ..samples import STANDARD_GRAVITY
from .base import COUNTER_FROM_ZERO, Advertisement, Capabilities, DecodedSamples, DeviceProfile, Notify

SERVICE_UUID = "5e450001-8e2a-4c1b-9d3f-6a7b8c9d0e1f"
DATA_UUID = "5e450002-8e2a-4c1b-9d3f-6a7b8c9d0e1f"
CONTROL_UUID = "5e450003-8e2a-4c1b-9d3f-6a7b8c9d0e1f"
CONFIG_UUID = "5e450004-8e2a-4c1b-9d3f-6a7b8c9d0e1f"
BATTERY_LEVEL_UUID = "00002a19-0000-1000-8000-00805f9b34fb"
NAME_PREFIX = "SensorKit"

PROTOCOL_VERSION = 1
HEADER = struct.Struct("<BBBBI")
CONFIG = struct.Struct("<BBHBBIQBB")
MAX_SAMPLES_PER_PACKET = 19
COUNTER_MODULUS = 2**32
RATE_RANGE_HZ = (10, 400)

ACC_RANGES_G = (2.0, 4.0, 8.0, 16.0)  # index = range code
GYR_RANGES_DPS = (125.0, 250.0, 500.0, 1000.0, 2000.0)

FLAG_GYRO, FLAG_BATTERY_LOW, FLAG_CLIPPED = 0x01, 0x02, 0x04
STATUS_STREAMING, STATUS_GYRO, STATUS_BATTERY_LOW = 0x01, 0x02, 0x04

OP_START, OP_STOP, OP_SET_RATE, OP_SET_RANGES = 0x01, 0x02, 0x03, 0x04
OP_SET_SAMPLES_PER_PACKET, OP_TIME_SYNC, OP_IDENTIFY = 0x05, 0x06, 0x07
# ATT application errors a device answers a bad control write with.
ERR_UNKNOWN_OPCODE, ERR_INVALID_PARAMETER, ERR_NOT_ALLOWED_WHILE_STREAMING = 0x80, 0x81, 0x82

_PARAMS = {  # opcode -> struct of its parameters
    OP_START: struct.Struct("<"),
    OP_STOP: struct.Struct("<"),
    OP_SET_RATE: struct.Struct("<H"),
    OP_SET_RANGES: struct.Struct("<BB"),
    OP_SET_SAMPLES_PER_PACKET: struct.Struct("<B"),
    OP_TIME_SYNC: struct.Struct("<Q"),
    OP_IDENTIFY: struct.Struct("<BH"),
}


# -- data packets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataPacket:
    """One data notification in raw counts, exactly as on the air."""

    counter: int
    acc: np.ndarray  # (n, 3) int16 counts
    gyr: np.ndarray | None = None  # (n, 3) int16 counts, None when the packet has no gyro
    acc_code: int = 3
    gyr_code: int = 4
    battery_low: bool = False
    clipped: bool = False

    def __len__(self) -> int:
        return int(self.acc.shape[0])


def pack_data(packet: DataPacket) -> bytes:
    """The notification bytes for ``packet``; raises ``ValueError`` for a packet the spec forbids."""
    acc = np.asarray(packet.acc)
    n = acc.shape[0] if acc.ndim == 2 else 0
    if not 1 <= n <= MAX_SAMPLES_PER_PACKET or acc.shape[1:] != (3,):
        raise ValueError(f"a packet holds 1..{MAX_SAMPLES_PER_PACKET} samples of 3 axes, got {acc.shape}")
    if not (0 <= packet.acc_code < len(ACC_RANGES_G) and 0 <= packet.gyr_code < len(GYR_RANGES_DPS)):
        raise ValueError("range code out of range")
    flags = (FLAG_BATTERY_LOW if packet.battery_low else 0) | (FLAG_CLIPPED if packet.clipped else 0)
    columns = [acc]
    if packet.gyr is not None:
        gyr = np.asarray(packet.gyr)
        if gyr.shape != acc.shape:
            raise ValueError("gyr and acc must have the same shape")
        columns.append(gyr)
        flags |= FLAG_GYRO
    values = np.hstack(columns)
    if np.any(values < -32768) or np.any(values > 32767):
        raise ValueError("sample values must fit int16")
    header = HEADER.pack(
        PROTOCOL_VERSION, flags, n, packet.acc_code | (packet.gyr_code << 2), packet.counter % COUNTER_MODULUS
    )
    return header + values.astype("<i2").tobytes()


def unpack_data(payload: bytes | bytearray | memoryview) -> DataPacket:
    """Parse one notification strictly; anything the spec does not allow is a :class:`DecodeError`."""
    payload = bytes(payload)
    if len(payload) < HEADER.size:
        raise DecodeError(f"packet of {len(payload)} bytes is shorter than the 8-byte header")
    version, flags, n, codes, counter = HEADER.unpack_from(payload)
    if version != PROTOCOL_VERSION:
        raise DecodeError(f"protocol version {version}, expected {PROTOCOL_VERSION}")
    if flags & ~(FLAG_GYRO | FLAG_BATTERY_LOW | FLAG_CLIPPED):
        raise DecodeError(f"reserved flag bits set (flags 0x{flags:02x})")
    if not 1 <= n <= MAX_SAMPLES_PER_PACKET:
        raise DecodeError(f"sample count {n} outside 1..{MAX_SAMPLES_PER_PACKET}")
    if codes & 0xE0:
        raise DecodeError(f"reserved range bits set (range byte 0x{codes:02x})")
    acc_code, gyr_code = codes & 0x03, (codes >> 2) & 0x07
    if gyr_code >= len(GYR_RANGES_DPS):
        raise DecodeError(f"gyroscope range code {gyr_code} is undefined")
    has_gyro = bool(flags & FLAG_GYRO)
    width = 6 if has_gyro else 3
    expected = HEADER.size + 2 * width * n
    if len(payload) != expected:
        raise DecodeError(f"packet of {len(payload)} bytes, expected {expected} for {n} samples")
    values = np.frombuffer(payload, dtype="<i2", offset=HEADER.size).reshape(n, width)
    return DataPacket(
        counter=counter,
        acc=values[:, :3],
        gyr=values[:, 3:] if has_gyro else None,
        acc_code=acc_code,
        gyr_code=gyr_code,
        battery_low=bool(flags & FLAG_BATTERY_LOW),
        clipped=bool(flags & FLAG_CLIPPED),
    )


def acc_scale(acc_code: int) -> float:
    """m/s^2 per count at an accelerometer range code."""
    return ACC_RANGES_G[acc_code] * STANDARD_GRAVITY / 32768.0


def gyr_scale(gyr_code: int) -> float:
    """rad/s per count at a gyroscope range code."""
    return math.radians(GYR_RANGES_DPS[gyr_code]) / 32768.0


def to_samples(packet: DataPacket) -> DecodedSamples:
    """Counts -> project units (m/s^2, rad/s), timed by the packet's counter."""
    flags = frozenset(
        name for name, on in (("battery_low", packet.battery_low), ("clipped", packet.clipped)) if on
    )
    return DecodedSamples(
        acc=packet.acc.astype(np.float64) * acc_scale(packet.acc_code),
        gyr=None if packet.gyr is None else packet.gyr.astype(np.float64) * gyr_scale(packet.gyr_code),
        counter=packet.counter,
        counter_modulus=COUNTER_MODULUS,
        flags=flags,
    )


# -- control commands and configuration --------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """A parsed control write: ``opcode`` and its parameters in spec order."""

    opcode: int
    params: tuple[int, ...] = ()


def pack_command(opcode: int, *params: int) -> bytes:
    """The control-write bytes for an opcode and its parameters (no range checks: see ``parse_command``)."""
    if opcode not in _PARAMS:
        raise ValueError(f"unknown opcode 0x{opcode:02x}")
    return bytes([opcode]) + _PARAMS[opcode].pack(*params)


def parse_command(data: bytes | bytearray) -> Command:
    """Parse and validate a control write as a device would.

    Raises :class:`DecodeError` whose ``att_error`` attribute is the ATT application error the device
    answers with (0x80 unknown opcode, 0x81 invalid parameter).
    """
    data = bytes(data)
    if not data or data[0] not in _PARAMS:
        raise _command_error(ERR_UNKNOWN_OPCODE, f"unknown opcode {data[:1].hex() or '(empty)'}")
    opcode, fmt = data[0], _PARAMS[data[0]]
    if len(data) != 1 + fmt.size:
        raise _command_error(ERR_INVALID_PARAMETER, f"opcode 0x{opcode:02x} takes {fmt.size} parameter bytes")
    params = fmt.unpack(data[1:])
    valid = {
        OP_SET_RATE: lambda p: RATE_RANGE_HZ[0] <= p[0] <= RATE_RANGE_HZ[1],
        OP_SET_RANGES: lambda p: p[0] < len(ACC_RANGES_G) and p[1] < len(GYR_RANGES_DPS),
        OP_SET_SAMPLES_PER_PACKET: lambda p: 1 <= p[0] <= MAX_SAMPLES_PER_PACKET,
        OP_IDENTIFY: lambda p: p[0] <= 3 and p[1] <= 10_000,
        OP_TIME_SYNC: lambda p: p[0] != 0,  # 0 means "no sync record" in the config read-back
    }.get(opcode, lambda p: True)
    if not valid(params):
        raise _command_error(ERR_INVALID_PARAMETER, f"invalid parameters {params} for opcode 0x{opcode:02x}")
    return Command(opcode, params)


def check_command_state(command: Command, streaming: bool) -> None:
    """Raise the device's 0x82 error for a configuration write while streaming."""
    if streaming and command.opcode in (OP_SET_RATE, OP_SET_RANGES, OP_SET_SAMPLES_PER_PACKET):
        raise _command_error(ERR_NOT_ALLOWED_WHILE_STREAMING, "configuration cannot change while streaming")


def _command_error(code: int, message: str) -> DecodeError:
    error = DecodeError(message)
    error.att_error = code  # type: ignore[attr-defined]
    return error


@dataclass(frozen=True)
class DeviceConfig:
    """The config characteristic's read-back (layout in the module docstring)."""

    rate_hz: int = 100
    acc_code: int = 3
    gyr_code: int = 4
    samples_per_packet: int = MAX_SAMPLES_PER_PACKET
    streaming: bool = False
    has_gyro: bool = True
    battery_low: bool = False
    sync_counter: int = 0
    sync_host_us: int = 0
    battery_low_pct: int = 15
    imu_chip: int = 0
    version: int = PROTOCOL_VERSION

    def pack(self) -> bytes:
        status = (
            (STATUS_STREAMING if self.streaming else 0)
            | (STATUS_GYRO if self.has_gyro else 0)
            | (STATUS_BATTERY_LOW if self.battery_low else 0)
        )
        return CONFIG.pack(
            self.version, status, self.rate_hz, self.acc_code | (self.gyr_code << 2),
            self.samples_per_packet, self.sync_counter, self.sync_host_us, self.battery_low_pct, self.imu_chip,
        )

    @classmethod
    def unpack(cls, data: bytes | bytearray) -> "DeviceConfig":
        data = bytes(data)
        if len(data) != CONFIG.size:
            raise DecodeError(f"config of {len(data)} bytes, expected {CONFIG.size}")
        version, status, rate, codes, spp, sync_counter, sync_us, low_pct, chip = CONFIG.unpack(data)
        if version != PROTOCOL_VERSION:
            raise DecodeError(f"device speaks protocol version {version}, this is version {PROTOCOL_VERSION}")
        if status & 0xF8 or codes & 0xE0:
            raise DecodeError("config has reserved bits set")
        if (codes >> 2) & 0x07 >= len(GYR_RANGES_DPS) or not RATE_RANGE_HZ[0] <= rate <= RATE_RANGE_HZ[1]:
            raise DecodeError(f"config out of range (rate {rate} Hz, range byte 0x{codes:02x})")
        if not 1 <= spp <= MAX_SAMPLES_PER_PACKET or low_pct > 100:
            raise DecodeError(f"config out of range (samples per packet {spp}, battery threshold {low_pct} %)")
        return cls(
            rate_hz=rate, acc_code=codes & 0x03, gyr_code=(codes >> 2) & 0x07, samples_per_packet=spp,
            streaming=bool(status & STATUS_STREAMING), has_gyro=bool(status & STATUS_GYRO),
            battery_low=bool(status & STATUS_BATTERY_LOW), sync_counter=sync_counter,
            sync_host_us=sync_us, battery_low_pct=low_pct, imu_chip=chip, version=version,
        )


def range_code(value: float, table: tuple[float, ...], what: str) -> int:
    """The code of a full-scale value, or a clear error naming the ones the device has."""
    if value not in table:
        raise DeviceError(f"{what} {value:g} is not supported; choose one of {', '.join(f'{v:g}' for v in table)}")
    return table.index(value)


# -- the profile -------------------------------------------------------------------------------


class SensorKitProfile(DeviceProfile):
    """A board running the SensorKit open protocol (see ``firmware-protocol/``)."""

    kind: ClassVar[str] = "sensorkit"
    capabilities: ClassVar[Capabilities] = Capabilities(
        model="SensorKit open IMU (DIY board)",
        has_gyro=True,
        rates_hz=(25.0, 50.0, 100.0, 200.0, 400.0),
        acc_ranges_g=ACC_RANGES_G,
        gyr_ranges_dps=GYR_RANGES_DPS,
        feedback="haptic",
        has_counter=True,
        hardware_tested=False,
    )
    service_uuids: ClassVar[tuple[str, ...]] = (SERVICE_UUID,)

    def __init__(self, rate_hz: float = 100.0, acc_range_g: float = 16.0, gyr_range_dps: float | None = 2000.0):
        super().__init__(rate_hz, acc_range_g, gyr_range_dps)
        if not (RATE_RANGE_HZ[0] <= self.rate_hz <= RATE_RANGE_HZ[1]) or self.rate_hz != int(self.rate_hz):
            raise DeviceError(f"rate {rate_hz:g} Hz is not supported; the protocol allows whole 10..400 Hz")
        self.acc_code = range_code(self.acc_range_g, ACC_RANGES_G, "accelerometer range (g)")
        self.gyr_code = range_code(self.gyr_range_dps or 2000.0, GYR_RANGES_DPS, "gyroscope range (deg/s)")
        self.device_config: DeviceConfig | None = None  # as read back after configuring
        self.counter_from_zero = False  # the stream was started from stopped: its counter began at 0

    @classmethod
    def recognises(cls, adv: Advertisement) -> bool:
        return SERVICE_UUID in {u.lower() for u in adv.service_uuids} or (
            adv.name is not None and adv.name.startswith(NAME_PREFIX)
        )

    async def start(self, client: Any, on_notify: Notify) -> None:
        """Configure, time-sync, subscribe and start; keeps a running stream running (see docstring).

        On a reconnect the device is usually still streaming with our configuration: we leave it so,
        and the counter continues, which lets the collector account the outage exactly.
        """
        config = DeviceConfig.unpack(await client.read_gatt_char(CONFIG_UUID))
        wanted = (int(self.rate_hz), self.acc_code, self.gyr_code)
        if config.streaming and (config.rate_hz, config.acc_code, config.gyr_code) != wanted:
            await self._control(client, OP_STOP)
            config = DeviceConfig.unpack(await client.read_gatt_char(CONFIG_UUID))
        if not config.streaming:
            await self._control(client, OP_SET_RATE, int(self.rate_hz))
            await self._control(client, OP_SET_RANGES, self.acc_code, self.gyr_code)
            await self._control(client, OP_SET_SAMPLES_PER_PACKET, self._samples_per_packet(client))
        await self._control(client, OP_TIME_SYNC, time.time_ns() // 1000)
        # a Start from stopped begins a new counter at 0 (SPEC.md 3.2): packets lost before the first
        # that arrives are then a gap the collector can size; a running stream's counter says nothing
        self.counter_from_zero = not config.streaming
        await client.start_notify(DATA_UUID, lambda _char, data: on_notify(DATA_UUID, data))
        await self._control(client, OP_START)
        self.device_config = config = DeviceConfig.unpack(await client.read_gatt_char(CONFIG_UUID))
        # Boards on ArduinoBLE cannot answer with ATT errors and ignore a rejected write (SPEC.md 3.3).
        if (config.rate_hz, config.acc_code, config.gyr_code) != wanted or not config.streaming:
            raise DeviceError(
                f"the sensor did not take the configuration (asked {self.rate_hz:g} Hz, ranges "
                f"{self.acc_code}/{self.gyr_code}; it reports {config.rate_hz} Hz, ranges "
                f"{config.acc_code}/{config.gyr_code}, {'streaming' if config.streaming else 'stopped'})"
            )

    def decode_settings(self) -> dict[str, Any]:
        return {"counter_from_zero": self.counter_from_zero}

    def restore_decode_settings(self, settings: Mapping[str, Any]) -> None:
        self.counter_from_zero = bool(settings["counter_from_zero"])

    async def stop(self, client: Any) -> None:
        try:
            await self._control(client, OP_STOP)
        except Exception:  # noqa: BLE001 - best effort: the link may be gone already
            pass

    def decode(self, char_uuid: str, payload: bytes) -> list[DecodedSamples]:
        samples = to_samples(unpack_data(payload))
        if self.counter_from_zero:
            samples = replace(samples, flags=samples.flags | {COUNTER_FROM_ZERO})
        return [samples]

    @property
    def acc_lsb(self) -> float:
        return acc_scale(self.acc_code)

    @property
    def gyr_lsb(self) -> float:
        return gyr_scale(self.gyr_code)

    async def feedback(self, client: Any, pattern: str = "short") -> None:
        patterns = {"short": (1, 300), "long": (2, 1200), "double": (3, 600)}
        if pattern not in patterns:
            raise DeviceError(f"unknown feedback pattern {pattern!r}; choose one of {', '.join(patterns)}")
        await self._control(client, OP_IDENTIFY, *patterns[pattern])

    @staticmethod
    async def _control(client: Any, opcode: int, *params: int) -> None:
        await client.write_gatt_char(CONTROL_UUID, pack_command(opcode, *params), response=True)

    @staticmethod
    def _samples_per_packet(client: Any) -> int:
        """As many samples as one notification carries at the link's MTU (MTU 23 -> 1, 247 -> 19)."""
        char = client.services.get_characteristic(DATA_UUID)
        payload = char.max_write_without_response_size if char is not None else 20
        return max(1, min(MAX_SAMPLES_PER_PACKET, (payload - HEADER.size) // 12))
