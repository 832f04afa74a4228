"""WitMotion BLE 5.0 IMUs (BWT901BLECL 5.0, WT901BLE, WT9011DCL family): the 0x55 0x61 output frame.

Sources (``../shared/reference/ble-sensor-protocols.md`` section 3): the official SDK
``WITMOTION/WitBluetooth_BWT901BLE5_0`` @ 9efaab0 ("WIT"): ``Python/BWT901BLE5.0_python_sdk/
device_model.py`` (UUIDs, byte-stream framing, scales, commands), ``Android_Java/.../Bwt901bleResolver.java``
(resynchronisation, the 0x71 register reply); the register map ``WITMOTION/WitStandardProtocol_JY901``
``REG.h`` @ 514e785 ("WITREG", rate codes, unlock key). Nothing was checked on hardware.

Note the non-standard base UUID ``...-00805f9a34fb`` ("9a", not "9b"): WitMotion's own strings.

Quirks handled here: notifications are a byte stream, not frames: frames may be split across
notifications or several may share one, so the decoder buffers, resynchronises on ``0x55`` and cuts
20-byte frames exactly as the SDK does.

What cannot be proven: the frame has **no checksum, sequence number or timestamp**. So:
- a lost notification is invisible in the data itself; it can only be *inferred* from arrival times
  against the nominal rate (:mod:`sensorkit.devices.arrival`), which sees a loss only when it is
  longer than the link's delivery jitter, and counts it only to within that jitter;
- a corrupted frame that still starts ``55 61`` decodes as a (wrong) sample; only values outside the
  sensor's range are caught;
- when a notification is lost mid-frame, the bytes around the hole may resynchronise on a ``0x55``
  inside sample data and yield one wrong frame; the SDK has the same weakness.
"""

from __future__ import annotations

import struct
from typing import Any, ClassVar

import numpy as np

from ..errors import DecodeError, SettingsError
from ..samples import STANDARD_GRAVITY
from .base import Advertisement, Capabilities, DecodedSamples, DeviceProfile, Notify
from .gatt import best_effort, notification_handler

# WIT device_model.py; WIT Android_Java .../bluetooth/constant/BleUUID.java
SERVICE = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY_CHAR = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE_CHAR = "0000ffe9-0000-1000-8000-00805f9a34fb"

HEADER, OUTPUT, REGISTERS = 0x55, 0x61, 0x71  # WIT device_model.py, Bwt901bleResolver.java
FRAME_LEN = 20
ACC_G_FULL_SCALE, GYRO_DPS_FULL_SCALE, ANGLE_FULL_SCALE = 16.0, 2000.0, 180.0  # per 32768 counts (WIT)
RATE_CODES = {10: 0x06, 20: 0x07, 50: 0x08, 100: 0x09, 200: 0x0B}  # WITREG RRATE_*
RATE_REGISTER, SAVE_REGISTER, KEY_REGISTER, UNLOCK_VALUE = 0x03, 0x00, 0x69, 0xB588  # WITREG


def command(register: int, value: int) -> bytes:
    """``FF AA reg lo hi`` (WIT device_model.py); unlock is FF AA 69 88 B5."""
    return bytes([0xFF, 0xAA, register]) + struct.pack("<H", value)


def parse_command(data: bytes) -> tuple[int, int]:
    """(register, value) of a 5-byte command; the emulator's side of :func:`command`."""
    if len(data) != 5 or data[:2] != b"\xff\xaa":
        raise DecodeError("not a WitMotion command")
    return data[2], struct.unpack_from("<H", data, 3)[0]


def unlock() -> bytes:
    return command(KEY_REGISTER, UNLOCK_VALUE)


def set_rate(rate_hz: int) -> bytes:
    if rate_hz not in RATE_CODES:
        raise SettingsError(f"WitMotion output rates are {sorted(RATE_CODES)} Hz")
    return command(RATE_REGISTER, RATE_CODES[rate_hz])


def pack_output(acc_counts: np.ndarray, gyr_counts: np.ndarray, angle_counts: np.ndarray) -> bytes:
    """Frames ``55 61`` + 9 x int16 (acc, gyro, angle) for each row (WIT device_model.py processData)."""
    rows = np.hstack([np.reshape(a, (-1, 3)) for a in (acc_counts, gyr_counts, angle_counts)])
    rows = np.clip(rows, -32768, 32767).astype("<i2")
    return b"".join(bytes([HEADER, OUTPUT]) + row.tobytes() for row in rows)


class FrameStream:
    """Cuts 20-byte frames out of a notification byte stream, resynchronising on ``55 61``/``55 71``.

    ``skipped`` counts bytes discarded while hunting for a header (garbage or the tail of a frame whose
    start was lost).
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.skipped = 0

    @property
    def pending(self) -> int:
        """Bytes held for a frame not yet complete."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        buf = self._buffer
        buf += data
        frames: list[bytes] = []
        while True:
            start = buf.find(HEADER)
            if start < 0:
                self.skipped += len(buf)
                buf.clear()
                break
            if start:
                self.skipped += start
                del buf[:start]
            if len(buf) < 2:
                break
            if buf[1] not in (OUTPUT, REGISTERS):
                self.skipped += 1
                del buf[:1]
                continue
            if len(buf) < FRAME_LEN:
                break
            frames.append(bytes(buf[:FRAME_LEN]))
            del buf[:FRAME_LEN]
        return frames


def unpack_output(frames: list[bytes]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(acc counts, gyro counts, angle counts) of ``55 61`` frames, each (n, 3) int."""
    values = np.frombuffer(b"".join(f[2:] for f in frames), "<i2").reshape(-1, 9).astype(np.int64)
    return values[:, 0:3], values[:, 3:6], values[:, 6:9]


class WitMotion(DeviceProfile):
    """A WitMotion BLE 5.0 IMU streaming its default 0x61 frame (acc, gyro, angles) at a set rate."""

    kind: ClassVar[str] = "witmotion"
    service_uuids: ClassVar[tuple[str, ...]] = (SERVICE,)
    capabilities: ClassVar[Capabilities] = Capabilities(
        model="WitMotion BWT901BLECL 5.0 / WT901BLE / WT9011DCL",
        has_gyro=True,
        rates_hz=tuple(float(r) for r in RATE_CODES),
        acc_ranges_g=(ACC_G_FULL_SCALE,),
        gyr_ranges_dps=(GYRO_DPS_FULL_SCALE,),
        feedback=None,
        has_counter=False,
    )

    def __init__(self, rate_hz: float = 50.0, acc_range_g: float = ACC_G_FULL_SCALE, gyr_range_dps: float | None = GYRO_DPS_FULL_SCALE):
        super().__init__(rate_hz, acc_range_g, GYRO_DPS_FULL_SCALE)
        if int(self.rate_hz) not in RATE_CODES or self.rate_hz != int(self.rate_hz):
            raise SettingsError(f"WitMotion output rates are {sorted(RATE_CODES)} Hz, not {rate_hz:g}")
        self._stream = FrameStream()
        self.register_replies = 0
        self.last_angles_deg: np.ndarray | None = None  # the sensor's own attitude, for diagnostics

    @classmethod
    def recognises(cls, adv: Advertisement) -> bool:
        """Names starting "WT" (e.g. "WT901BLE68"; unverified), or the ffe5 service with WitMotion's base."""
        return (adv.name or "").startswith("WT") or SERVICE in {u.lower() for u in adv.service_uuids}

    @property
    def skipped_bytes(self) -> int:
        return self._stream.skipped

    @property
    def acc_lsb(self) -> float:
        return ACC_G_FULL_SCALE / 32768 * STANDARD_GRAVITY

    @property
    def gyr_lsb(self) -> float:
        return float(np.deg2rad(GYRO_DPS_FULL_SCALE / 32768))

    async def start(self, client: Any, on_notify: Notify) -> None:
        """Notifications on, unlock, set the output rate. The sensor streams by itself; no save, so the
        sensor's stored settings are left as the user had them."""
        await client.start_notify(NOTIFY_CHAR, notification_handler(on_notify))
        await client.write_gatt_char(WRITE_CHAR, unlock(), response=False)
        await client.write_gatt_char(WRITE_CHAR, set_rate(int(self.rate_hz)), response=False)

    async def stop(self, client: Any) -> None:
        await best_effort(client.stop_notify(NOTIFY_CHAR), "stop_notify")

    def decode(self, char_uuid: str, payload: bytes) -> list[DecodedSamples]:
        """Whole frames in the stream so far; DecodeError when every byte of the notification was discarded."""
        skipped_before = self._stream.skipped
        frames = self._stream.feed(payload)
        outputs = [f for f in frames if f[1] == OUTPUT]
        self.register_replies += len(frames) - len(outputs)
        if not frames and not self._stream.pending and self._stream.skipped > skipped_before:
            raise DecodeError(f"{self._stream.skipped - skipped_before} WitMotion bytes with no frame header")
        if not outputs:
            return []
        acc, gyr, angles = unpack_output(outputs)
        self.last_angles_deg = angles[-1] * ANGLE_FULL_SCALE / 32768
        return [DecodedSamples(acc=acc * self.acc_lsb, gyr=gyr * self.gyr_lsb)]
