"""Polar H10 and Verity Sense: the accelerometer stream of the Polar Measurement Data (PMD) service.

Sources (see ``../shared/reference/ble-sensor-protocols.md`` section 7): the official SDK
``polarofficial/polar-ble-sdk`` @ 8fb5311 ("POLAR"): ``BlePMDClient.kt`` (UUIDs, delta frames),
``PmdControlPointCommand.kt`` / ``PmdControlPointResponse.kt`` (commands, status codes),
``PmdSetting.kt`` (setting encoding), ``PmdDataFrame.kt`` and ``model/AccData.kt`` (frame layout,
units), ``PmdTimeStampUtils.kt`` (sample times), ``documentation/products/PolarH10.md`` and
``PolarVeritySense.md`` (rates and ranges); ``technical_documentation/online_measurement.pdf`` v1.0.
Nothing was checked on hardware; the H10 needs bonding on Windows (bleak issue #1943).

Quirks handled here: settings are discovered from the sensor (GET_MEASUREMENT_SETTINGS) rather than
assumed per model; the start response may carry a conversion factor; frames are either raw int16
(H10, mG) or delta-compressed (Verity: a reference sample then blocks of bit-packed deltas).

Time: every frame carries the device time of its **last** sample, ns since 2000-01-01 UTC; earlier
samples are spaced at the nominal period backwards from it. (The SDK spreads them over the interval
since the previous frame; the nominal period keeps a lost frame visible as a gap instead of
stretching the next frame over it. The collector's drift correction absorbs the clock's rate error.)
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

import numpy as np

from ..errors import DecodeError, DeviceError, SettingsError
from ..samples import STANDARD_GRAVITY
from .base import Advertisement, Capabilities, DecodedSamples, DeviceProfile, Notify
from .gatt import ReplyWaiter, best_effort, int_triplets, notification_handler

# POLAR BlePMDClient.kt companion object
SERVICE = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
CONTROL_POINT = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
DATA_CHAR = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"

GET_SETTINGS, START, STOP = 0x01, 0x02, 0x03  # POLAR PmdControlPointCommand.kt
RESPONSE = 0xF0  # POLAR PmdControlPointResponse.kt
ALREADY_IN_STATE = 6  # response status (POLAR PmdControlPointResponse.kt)
MEASUREMENT_STOPPED = 0x01  # [0x01, types...] notified by the sensor (POLAR BlePMDClient.kt)
ACC = 2  # measurement type (POLAR PmdMeasurementType.kt)
SAMPLE_RATE, RESOLUTION, RANGE, RANGE_MILLIUNIT, CHANNELS, FACTOR = 0, 1, 2, 3, 4, 5  # POLAR PmdSetting.kt
SETTING_SIZES = {0: 2, 1: 2, 2: 2, 3: 4, 4: 1, 5: 4, 6: 16}  # bytes per value (POLAR PmdSetting.kt)
STATUS = (
    "success", "invalid op code", "invalid measurement type", "not supported", "invalid length",
    "invalid parameter", "already in state", "invalid resolution", "invalid sample rate",
    "invalid range", "invalid MTU", "invalid number of channels", "invalid state", "device in charger",
    "disk full",
)  # POLAR PmdControlPointResponse.kt
EPOCH_2000_UNIX_S = 946_684_800  # POLAR documentation/TimeSystemExplained.md
FRAME_HEADER = 10  # type u8, timestamp u64, frame type u8 (POLAR PmdDataFrame.kt)
COMPRESSED = 0x80


# ---- control point ------------------------------------------------------------------------------

def pack_settings(settings: dict[int, tuple[float, ...]]) -> bytes:
    """``[type, count, values...]`` per setting; floats for the factor (type 5), LE ints otherwise
    (the 4-byte milli-unit range signed: the SDK's PmdSettingTest reads FF FF FF FF as -1)."""
    out = bytearray()
    for kind, values in settings.items():
        out += bytes([kind, len(values)])
        for value in values:
            if kind == FACTOR:
                out += struct.pack("<f", value)
            else:
                out += int(value).to_bytes(SETTING_SIZES[kind], "little", signed=kind == RANGE_MILLIUNIT)
    return bytes(out)


def unpack_settings(data: bytes) -> dict[int, tuple[float, ...]]:
    """Inverse of :func:`pack_settings`; DecodeError on unknown types or truncation."""
    settings: dict[int, tuple[float, ...]] = {}
    offset = 0
    while offset < len(data):
        if offset + 2 > len(data) or data[offset] not in SETTING_SIZES:
            raise DecodeError(f"PMD settings: bad setting header at byte {offset}")
        kind, count = data[offset], data[offset + 1]
        size = SETTING_SIZES[kind]
        offset += 2
        if offset + count * size > len(data):
            raise DecodeError("PMD settings: truncated values")
        raw = [data[offset + i * size : offset + (i + 1) * size] for i in range(count)]
        settings[kind] = tuple(
            struct.unpack("<f", r)[0] if kind == FACTOR else int.from_bytes(r, "little", signed=kind == RANGE_MILLIUNIT)
            for r in raw
        )
        offset += count * size
    return settings


def start_command(rate_hz: int, range_g: int, resolution: int = 16, measurement: int = ACC) -> bytes:
    """``02 02 00 01 rate 01 01 res 02 01 range``; H10 200 Hz 8 g -> 02 02 00 01 C8 00 01 01 10 00 02 01 08 00."""
    body = pack_settings({SAMPLE_RATE: (rate_hz,), RESOLUTION: (resolution,), RANGE: (range_g,)})
    return bytes([START, measurement]) + body


@dataclass(frozen=True)
class ControlPointResponse:
    op_code: int
    measurement: int
    status: int
    more: bool
    params: bytes

    @property
    def ok(self) -> bool:
        return self.status == 0

    def describe(self) -> str:
        return STATUS[self.status] if self.status < len(STATUS) else f"status {self.status}"


def pack_response(op_code: int, measurement: int, status: int = 0, params: bytes = b"") -> bytes:
    """``F0 op type status more params`` (POLAR PmdControlPointResponse.kt)."""
    return bytes([RESPONSE, op_code, measurement, status, 0]) + params


def unpack_response(payload: bytes) -> ControlPointResponse:
    if len(payload) < 4 or payload[0] != RESPONSE:
        raise DecodeError("not a PMD control-point response")
    more = len(payload) > 4 and payload[4] != 0
    params = payload[5:] if len(payload) > 4 else b""
    return ControlPointResponse(payload[1], payload[2], payload[3], more, params)


# ---- data frames --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Frame:
    measurement: int
    timestamp_ns: int  # device time of the last sample, ns since 2000-01-01 UTC
    frame_type: int  # 0x80 bit = delta compressed
    samples: np.ndarray = field(repr=False)  # (n, 3) integer counts before the factor


def _sign_extend(values: np.ndarray, bits: int) -> np.ndarray:
    sign = np.int64(1) << (bits - 1)
    return (values ^ sign) - sign


def unpack_deltas(data: bytes, channels: int = 3, resolution: int = 16) -> np.ndarray:
    """Reference sample then ``[bit width, count, LSB-first packed deltas]`` blocks, cumulatively summed.

    POLAR BlePMDClient.kt ``parseDeltaFramesAll``/``parseDeltaFrame``. A zero or > 32 bit width is
    rejected (the SDK would yield no samples for width 0, silently losing the block's count).
    """
    ref_bytes = math.ceil(resolution / 8)
    if len(data) < channels * ref_bytes:
        raise DecodeError("PMD delta frame shorter than its reference sample")
    ref = np.array(
        [int.from_bytes(data[i * ref_bytes : (i + 1) * ref_bytes], "little", signed=True) for i in range(channels)],
        dtype=np.int64,
    )
    rows = [ref[None, :]]
    offset = channels * ref_bytes
    while offset < len(data):
        if offset + 2 > len(data):
            raise DecodeError("PMD delta frame: block header cut short")
        width, count = data[offset], data[offset + 1]
        offset += 2
        if not 1 <= width <= 32:
            raise DecodeError(f"PMD delta frame: bit width {width}")
        nbytes = math.ceil(width * count * channels / 8)
        if offset + nbytes > len(data):
            raise DecodeError("PMD delta frame: deltas cut short")
        bits = np.unpackbits(np.frombuffer(data, np.uint8, nbytes, offset), bitorder="little")
        bits = bits[: width * count * channels].reshape(count * channels, width).astype(np.int64)
        deltas = _sign_extend(bits @ (np.int64(1) << np.arange(width, dtype=np.int64)), width)
        rows.append(deltas.reshape(count, channels))
        offset += nbytes
    return np.cumsum(np.concatenate(rows), axis=0)


def pack_deltas(samples: np.ndarray, resolution: int = 16, block: int = 64) -> bytes:
    """Encoder for :func:`unpack_deltas`: each block uses the narrowest signed width that fits."""
    samples = np.asarray(samples, dtype=np.int64)
    ref_bytes = math.ceil(resolution / 8)
    out = bytearray(b"".join(int(v).to_bytes(ref_bytes, "little", signed=True) for v in samples[0]))
    deltas = np.diff(samples, axis=0)
    for start in range(0, len(deltas), block):
        chunk = deltas[start : start + block]
        peak = int(max(chunk.max(), -chunk.min() - 1, 0))
        width = max(peak.bit_length() + 1, 1)
        bits = ((chunk.reshape(-1, 1) >> np.arange(width)) & 1).astype(np.uint8).reshape(-1)
        out += bytes([width, len(chunk)]) + np.packbits(bits, bitorder="little").tobytes()
    return bytes(out)


def pack_frame(timestamp_ns: int, samples: np.ndarray, compressed: bool, measurement: int = ACC) -> bytes:
    """A data notification: raw type 1 (int16 x3, H10) or compressed type 0 (16-bit deltas, Verity)."""
    counts = np.asarray(samples, dtype=np.int64).reshape(-1, 3)
    if compressed:
        body, frame_type = pack_deltas(counts), COMPRESSED | 0
    else:
        body, frame_type = counts.astype("<i2").tobytes(), 1
    return bytes([measurement]) + struct.pack("<Q", timestamp_ns) + bytes([frame_type]) + body


def unpack_frame(payload: bytes) -> Frame:
    """Header and integer samples of a data notification (POLAR PmdDataFrame.kt, AccData.kt)."""
    if len(payload) <= FRAME_HEADER:
        raise DecodeError(f"PMD frame of {len(payload)} bytes has no samples")
    measurement = payload[0] & 0x3F
    timestamp = struct.unpack_from("<Q", payload, 1)[0]
    frame_type = payload[9]
    body = payload[FRAME_HEADER:]
    if frame_type & COMPRESSED:
        if frame_type & 0x7F not in (0, 1):
            raise DecodeError(f"PMD compressed frame type {frame_type & 0x7F} is not an ACC type")
        samples = unpack_deltas(body)
    elif frame_type == 1:
        samples = int_triplets(body, "<i2", "PMD type-1 frame")
    elif frame_type == 2:
        if len(body) % 9:
            raise DecodeError("PMD type-2 frame is not whole int24 samples")
        raw = np.frombuffer(body, np.uint8).reshape(-1, 3, 3).astype(np.int64)
        samples = _sign_extend(raw[..., 0] | raw[..., 1] << 8 | raw[..., 2] << 16, 24)
    else:
        raise DecodeError(f"PMD frame type {frame_type} is not supported")
    return Frame(measurement, timestamp, frame_type, samples)


def frame_to_g(frame: Frame, factor: float) -> np.ndarray:
    """Samples in g: compressed type 0 is G x factor; other types are mG (x factor when not 1) (POLAR AccData.kt)."""
    if frame.frame_type == COMPRESSED | 0:
        return frame.samples * factor
    return frame.samples * factor / 1000.0


class Polar(DeviceProfile):
    """Polar H10 or Verity Sense accelerometer over PMD (no gyroscope streamed)."""

    kind: ClassVar[str] = "polar"
    service_uuids: ClassVar[tuple[str, ...]] = (SERVICE,)
    capabilities: ClassVar[Capabilities] = Capabilities(
        model="Polar H10 / Verity Sense (PMD accelerometer)",
        has_gyro=False,
        rates_hz=(25.0, 26.0, 50.0, 52.0, 100.0, 104.0, 200.0, 208.0, 416.0),  # H10 | Verity SDK mode
        acc_ranges_g=(2.0, 4.0, 8.0, 16.0),
        feedback=None,
        has_counter=True,  # device timestamps on every frame
    )

    def __init__(self, rate_hz: float = 52.0, acc_range_g: float = 8.0, gyr_range_dps: float | None = None):
        super().__init__(rate_hz, acc_range_g, None)
        self.factor = 1.0
        self.frame_type: int | None = None  # of the last frame, for acc_lsb
        self.stopped_by_sensor = False
        self._waiter = ReplyWaiter()

    @classmethod
    def recognises(cls, adv: Advertisement) -> bool:
        """Names "Polar H10 <id>" / "Polar Sense <id>" (Verity), or the PMD service UUID (names as public
        examples show them, unverified here)."""
        name = adv.name or ""
        return name.startswith(("Polar H10", "Polar Sense")) or SERVICE in {u.lower() for u in adv.service_uuids}

    @property
    def acc_lsb(self) -> float:
        if self.frame_type == COMPRESSED | 0:
            return self.factor * STANDARD_GRAVITY
        return self.factor * STANDARD_GRAVITY / 1000.0

    async def _command(self, client: Any, command: bytes) -> ControlPointResponse:
        reply = self._waiter.expect(lambda p: len(p) >= 4 and p[0] == RESPONSE and p[1] == command[0])
        await client.write_gatt_char(CONTROL_POINT, command, response=True)
        return unpack_response(await self._waiter.wait(reply, f"PMD command {command[0]}"))

    async def start(self, client: Any, on_notify: Notify) -> None:
        """Both notifications on (the SDK waits for both), read the offered settings, start ACC."""

        def on_control_point(_char: Any, data: bytearray) -> None:
            payload = bytes(data)
            if not self._waiter.offer(payload) and payload[:1] == bytes([MEASUREMENT_STOPPED]):
                self.stopped_by_sensor = True

        await client.start_notify(CONTROL_POINT, on_control_point)
        await client.start_notify(DATA_CHAR, notification_handler(on_notify))
        offered = await self._command(client, bytes([GET_SETTINGS, ACC]))
        if not offered.ok:
            raise DeviceError(f"the Polar sensor refused to list accelerometer settings: {offered.describe()}")
        settings = unpack_settings(offered.params)
        rate, rng = int(self.rate_hz), int(self.acc_range_g)
        if rate not in settings.get(SAMPLE_RATE, ()) or rng not in settings.get(RANGE, ()):
            raise SettingsError(
                f"this Polar sensor offers {list(settings.get(SAMPLE_RATE, ()))} Hz and "
                f"{list(settings.get(RANGE, ()))} g, not {rate} Hz / {rng} g"
            )
        resolution = int((settings.get(RESOLUTION) or (16,))[0])
        started = await self._command(client, start_command(rate, rng, resolution))
        if started.status == ALREADY_IN_STATE:
            # Still measuring from before a link loss (an H10 keeps going until told to stop, POLAR
            # documentation/KnownIssues.md): restart so the settings and factor are ours and known.
            await self._command(client, bytes([STOP, ACC]))
            started = await self._command(client, start_command(rate, rng, resolution))
        if not started.ok:
            raise DeviceError(f"the Polar sensor did not start the accelerometer: {started.describe()}")
        self.factor = float((unpack_settings(started.params).get(FACTOR) or (1.0,))[0])

    def decode_settings(self) -> dict[str, Any]:
        return {"factor": self.factor}

    def restore_decode_settings(self, settings: Mapping[str, Any]) -> None:
        self.factor = float(settings["factor"])

    async def stop(self, client: Any) -> None:
        """Stop explicitly: an H10 keeps measuring otherwise (POLAR documentation/KnownIssues.md)."""
        await best_effort(client.write_gatt_char(CONTROL_POINT, bytes([STOP, ACC]), response=True), "PMD stop")
        await best_effort(client.stop_notify(DATA_CHAR), "stop_notify data")
        await best_effort(client.stop_notify(CONTROL_POINT), "stop_notify control point")

    def decode(self, char_uuid: str, payload: bytes) -> list[DecodedSamples]:
        frame = unpack_frame(payload)
        if frame.measurement != ACC:
            raise DecodeError(f"PMD frame of measurement type {frame.measurement}, expected ACC")
        self.frame_type = frame.frame_type
        acc = frame_to_g(frame, self.factor) * STANDARD_GRAVITY
        n = len(acc)
        last = frame.timestamp_ns / 1e9
        t = last - (n - 1 - np.arange(n)) / self.rate_hz
        return [DecodedSamples(acc=acc, device_time_s=t)]


def device_time_to_unix(device_time_s: float) -> float:
    """Polar device seconds (since 2000-01-01 UTC) as Unix seconds."""
    return device_time_s + EPOCH_2000_UNIX_S
