"""Suunto Movesense over the GATT SensorData Protocol (GSP), IMU6 stream (accelerometer + gyroscope).

Sources (``../shared/reference/ble-sensor-protocols.md`` section 2): ``alexisduque/movesense-device-lib``
@ 07177ff ("MS"), a mirror of the official movesense-device-lib: ``samples/gatt_sensordata_app/
GATTSensorDataClient.cpp``/``.h`` (UUIDs, commands, responses, the 150-byte split), ``MovesenseCoreLib/
resources/movesense-api/meas/imu.yaml`` (payload), ``python_client/movesense_sensor_data.py`` (arrays
not interleaved, writes with response), ``web_client/index.html`` (rates); the GSP spec page
https://movesense.com/docs/esw/gatt_sensordata_protocol ("MSDOC"). Nothing was checked on hardware.
GSP ships in the default firmware from Movesense 2.3.0 (MS ``CHANGES.md``); older sensors need the
sample app flashed.

Quirks handled here: values longer than 150 bytes arrive as DATA then DATA_PART2 (and PART3) and are
joined before parsing; a subscription is not confirmed, so data arriving is the confirmation; the
range cannot be set over basic GSP (the sensor's default applies).

Time: each message starts with the sensor-local time of its first sample in ms (uint32); samples
follow at the nominal period. The ms clock wraps after 49.7 days, longer than any recording.
"""

from __future__ import annotations

import struct
from typing import Any, ClassVar

import numpy as np

from ..errors import DecodeError, SettingsError
from .base import Advertisement, Capabilities, DecodedSamples, DeviceProfile, Notify
from .gatt import best_effort, notification_handler

# MS GATTSensorDataClient.cpp (SENSOR_DATASERVICE_UUID, COMMAND_CHAR_UUID, DATA_CHAR_UUID); MSDOC
SERVICE = "34802252-7185-4d5d-b431-630e7050e8f0"
COMMAND_CHAR = "34800001-7185-4d5d-b431-630e7050e8f0"
DATA_CHAR = "34800002-7185-4d5d-b431-630e7050e8f0"

HELLO, SUBSCRIBE, UNSUBSCRIBE = 0, 1, 2  # commands (MS GATTSensorDataClient.cpp)
COMMAND_RESULT, DATA, DATA_PART2, DATA_PART3 = 1, 2, 3, 4  # response types (MS, MSDOC)
FIRST_PART_LEN = 150  # payload bytes in a DATA packet before the value is split (MS firstPartLen)
RATES_HZ = (13, 26, 52, 104, 208, 416, 833)  # MS web_client/index.html
IMU6_REFERENCE = 1
ACC_RANGE_G = 8.0  # the default range; GSP cannot change it (see module docstring)
GYRO_RANGE_DPS = 2000.0


def subscribe_command(reference: int, path: str) -> bytes:
    """``01 ref`` + ASCII resource path, e.g. ``/Meas/IMU6/104`` (MS samples use the leading slash)."""
    if not 1 <= reference <= 255:
        raise SettingsError("a GSP client reference must be 1-255")
    return bytes([SUBSCRIBE, reference]) + path.encode("ascii")


def unsubscribe_command(reference: int) -> bytes:
    return bytes([UNSUBSCRIBE, reference])


def parse_command(command: bytes) -> tuple[int, int, bytes]:
    """(command, reference, data): the emulator's side of the command characteristic."""
    if len(command) < 2:
        raise DecodeError("GSP command shorter than 2 bytes")
    return command[0], command[1], command[2:]


def pack_imu6(timestamp_ms: int, acc: np.ndarray, gyr: np.ndarray) -> bytes:
    """Timestamp u32 then all acc vectors (float32 m/s^2) then all gyro vectors (float32 deg/s) (MS imu.yaml)."""
    acc = np.asarray(acc, "<f4").reshape(-1, 3)
    gyr = np.asarray(gyr, "<f4").reshape(-1, 3)
    return struct.pack("<I", timestamp_ms & 0xFFFFFFFF) + acc.tobytes() + gyr.tobytes()


def unpack_imu6(value: bytes) -> tuple[int, np.ndarray, np.ndarray]:
    """(timestamp ms, acc m/s^2, gyro deg/s); N = (len - 4) / 24 (MS python_client)."""
    if len(value) < 4 + 24 or (len(value) - 4) % 24:
        raise DecodeError(f"GSP IMU6 value of {len(value)} bytes is not 4 + 24 x N")
    n = (len(value) - 4) // 24
    floats = np.frombuffer(value, "<f4", offset=4).astype(np.float64)
    if not np.all(np.isfinite(floats)):
        raise DecodeError("GSP IMU6 value holds a non-finite number")
    return struct.unpack_from("<I", value)[0], floats[: 3 * n].reshape(n, 3), floats[3 * n :].reshape(n, 3)


def split_message(reference: int, value: bytes) -> list[bytes]:
    """The notifications for one value: DATA (first 150 bytes), then DATA_PART2, DATA_PART3 (MS)."""
    parts = [value[i : i + FIRST_PART_LEN] for i in range(0, max(len(value), 1), FIRST_PART_LEN)]
    if len(parts) > 3:
        raise ValueError("a GSP value has at most three parts")
    return [bytes([DATA + i, reference]) + part for i, part in enumerate(parts)]


class Reassembler:
    """Joins DATA / DATA_PART2 / DATA_PART3 into whole values.

    A DATA part shorter than 150 bytes is complete; a full one waits for its PART2 (and so on). A
    new DATA while a value is pending means the rest was lost: the pending value is dropped and
    counted in ``dropped`` (a 150-byte prefix is never a whole IMU6 value: 150 - 4 is not 24 x N).
    """

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.dropped = 0

    def feed(self, packet: bytes) -> tuple[int, bytes] | None:
        """(reference, value) when a value completes; None while waiting or for results."""
        if len(packet) < 2:
            raise DecodeError(f"GSP packet of {len(packet)} bytes")
        kind, reference, body = packet[0], packet[1], packet[2:]
        if kind == COMMAND_RESULT:
            return None
        if kind not in (DATA, DATA_PART2, DATA_PART3):
            raise DecodeError(f"GSP response type {kind}")
        if kind == DATA:
            if self._parts:
                self.dropped += 1
            self._parts = []
        elif len(self._parts) != kind - DATA:
            self._parts = []
            raise DecodeError(f"GSP part {kind - DATA + 1} without the parts before it")
        self._parts.append(body)
        if len(body) == FIRST_PART_LEN and kind != DATA_PART3:
            return None
        value, self._parts = b"".join(self._parts), []
        return reference, value


class Movesense(DeviceProfile):
    """A Movesense streaming IMU6 (acc + gyro) at one of the GSP sample rates."""

    kind: ClassVar[str] = "movesense"
    sends_floats: ClassVar[dict[str, str] | None] = {"acc": "m/s2", "gyr": "deg/s"}  # MS imu.yaml
    service_uuids: ClassVar[tuple[str, ...]] = (SERVICE,)
    capabilities: ClassVar[Capabilities] = Capabilities(
        model="Suunto Movesense (GSP firmware >= 2.3.0)",
        has_gyro=True,
        rates_hz=tuple(float(r) for r in RATES_HZ[:5]),
        acc_ranges_g=(ACC_RANGE_G,),
        gyr_ranges_dps=(GYRO_RANGE_DPS,),
        feedback=None,
        has_counter=True,  # ms timestamps on every message
    )

    def __init__(self, rate_hz: float = 52.0, acc_range_g: float = ACC_RANGE_G, gyr_range_dps: float | None = GYRO_RANGE_DPS):
        super().__init__(rate_hz, acc_range_g, GYRO_RANGE_DPS)
        if self.rate_hz not in self.capabilities.rates_hz:
            raise SettingsError(
                f"Movesense streams IMU6 at {', '.join(map(str, RATES_HZ[:5]))} Hz, not {rate_hz:g} "
                "(to emulate one, replay a recording made at one of these rates with --from)"
            )
        if self.acc_range_g != ACC_RANGE_G:
            raise SettingsError(f"GSP cannot set the Movesense range; it runs at its default {ACC_RANGE_G:g} g")
        self._assembler = Reassembler()

    @classmethod
    def recognises(cls, adv: Advertisement) -> bool:
        """Name "Movesense <serial>", or the GSP service UUID (the name as public examples show it, unverified)."""
        return (adv.name or "").startswith("Movesense") or SERVICE in {u.lower() for u in adv.service_uuids}

    @property
    def dropped_parts(self) -> int:
        return self._assembler.dropped

    @property
    def acc_lsb(self) -> float:
        """Floats on the air; the store keeps them at 0.1 mg, below the sensor's own resolution."""
        return 0.001 * 9.80665 / 10

    @property
    def gyr_lsb(self) -> float:
        return float(np.deg2rad(0.01))

    async def start(self, client: Any, on_notify: Notify) -> None:
        """Notifications on, then SUBSCRIBE ``/Meas/IMU6/<rate>``, written with response as MS's client does."""
        await client.start_notify(DATA_CHAR, notification_handler(on_notify))
        path = f"/Meas/IMU6/{int(self.rate_hz)}"
        await client.write_gatt_char(COMMAND_CHAR, subscribe_command(IMU6_REFERENCE, path), response=True)

    async def stop(self, client: Any) -> None:
        await best_effort(
            client.write_gatt_char(COMMAND_CHAR, unsubscribe_command(IMU6_REFERENCE), response=True), "unsubscribe"
        )
        await best_effort(client.stop_notify(DATA_CHAR), "stop_notify")

    def decode(self, char_uuid: str, payload: bytes) -> list[DecodedSamples]:
        done = self._assembler.feed(payload)
        if done is None:
            return []
        reference, value = done
        if reference != IMU6_REFERENCE:
            raise DecodeError(f"GSP data for reference {reference}, which was never subscribed")
        timestamp_ms, acc, gyr = unpack_imu6(value)
        t = timestamp_ms / 1000.0 + np.arange(len(acc)) / self.rate_hz
        return [DecodedSamples(acc=acc, gyr=np.deg2rad(gyr), device_time_s=t)]
