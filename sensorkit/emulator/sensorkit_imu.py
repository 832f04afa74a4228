"""An emulated board running the SensorKit open protocol (the worked example of an emulator).

It serves the protocol's service (data notify, control write-with-response, config read) beside the
SIG Battery and Device Information services, answers control writes with the protocol's ATT errors
(0x80 unknown opcode, 0x81 invalid parameter, 0x82 not allowed while streaming) and encodes samples
with the same codec the collector decodes with (:mod:`sensorkit.devices.sensorkit_imu`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from bumble import att, gatt
from bumble.device import Connection

from ..devices import sensorkit_imu as proto
from ..devices.base import DecodedSamples
from ..errors import DecodeError
from .base import EmulatedSensor, read_only


class SensorKitEmulator(EmulatedSensor):
    kind = "sensorkit"
    name_prefix = proto.NAME_PREFIX
    model = "SensorKit DIY IMU (emulated)"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.config = proto.DeviceConfig(rate_hz=int(round(self.rate_hz)), has_gyro=self.stream.gyr is not None)
        self.identify_log: list[tuple[int, int]] = []  # (pattern, duration ms) per buzz request

    def build_services(self) -> list[gatt.Service]:
        props = gatt.Characteristic.Properties
        self.data_characteristic = gatt.Characteristic(
            proto.DATA_UUID, props.NOTIFY, gatt.Characteristic.READABLE, b""
        )
        control = gatt.Characteristic(
            proto.CONTROL_UUID, props.WRITE, gatt.Characteristic.WRITEABLE,
            gatt.CharacteristicValue(write=self._on_control),
        )
        config = gatt.Characteristic(
            proto.CONFIG_UUID, props.READ, gatt.Characteristic.READABLE,
            read_only(lambda _c: self._config().pack()),
        )
        service = gatt.Service(proto.SERVICE_UUID, [self.data_characteristic, control, config])
        return [service, self.battery_service(), self.device_information_service()]

    def _config(self) -> proto.DeviceConfig:
        return replace(self.config, streaming=self.streaming, battery_low=self.battery_low)

    def _on_control(self, _connection: Connection, value: bytes) -> None:
        try:
            command = proto.parse_command(value)
            proto.check_command_state(command, self.streaming)
        except DecodeError as exc:
            raise att.ATT_Error(exc.att_error) from None  # type: ignore[attr-defined]
        op, params = command.opcode, command.params
        if op == proto.OP_START:
            self.start_streaming()
        elif op == proto.OP_STOP:
            self.stop_streaming()
            self.config = replace(self.config, sync_counter=0, sync_host_us=0)
        elif op == proto.OP_SET_RATE:
            if params[0] != int(round(self.rate_hz)):  # the source stream has one rate
                raise att.ATT_Error(proto.ERR_INVALID_PARAMETER)
            self.config = replace(self.config, rate_hz=params[0])
        elif op == proto.OP_SET_RANGES:
            self.config = replace(self.config, acc_code=params[0], gyr_code=params[1])
        elif op == proto.OP_SET_SAMPLES_PER_PACKET:
            self.config = replace(self.config, samples_per_packet=params[0])
        elif op == proto.OP_TIME_SYNC:
            self.config = replace(self.config, sync_counter=self.counter, sync_host_us=params[0])
        elif op == proto.OP_IDENTIFY:
            self.identify_log.append((params[0], params[1]))
            self.stats.feedback.append((self.stats.samples_sent, "buzz", params[0], params[1]))

    def samples_per_packet(self) -> int:
        by_mtu = (self.att_payload - proto.HEADER.size) // (12 if self.config.has_gyro else 6)
        return max(1, min(self.config.samples_per_packet, by_mtu))

    def position(self, counter: int) -> DecodedSamples:
        return DecodedSamples(acc=np.zeros((1, 3)), counter=counter % proto.COUNTER_MODULUS,
                              counter_modulus=proto.COUNTER_MODULUS)

    def encode(self, first_counter: int, acc: np.ndarray, gyr: np.ndarray | None) -> bytes:
        acc_raw, acc_clip = _to_counts(acc, proto.acc_scale(self.config.acc_code))
        gyr_raw, gyr_clip = (None, False) if gyr is None else _to_counts(gyr, proto.gyr_scale(self.config.gyr_code))
        packet = proto.DataPacket(
            counter=first_counter, acc=acc_raw, gyr=gyr_raw, acc_code=self.config.acc_code,
            gyr_code=self.config.gyr_code, battery_low=self.battery_low, clipped=acc_clip or gyr_clip,
        )
        return proto.pack_data(packet)

    def corrupt(self, payload: bytes) -> bytes:
        """Alternate the two malformations a buggy firmware produces: a short packet and a bad version."""
        if self.stats.corrupted % 2:
            return payload[:-1]
        return bytes([0xFF]) + payload[1:]


def _to_counts(values: np.ndarray, scale: float) -> tuple[np.ndarray, bool]:
    counts = np.clip(np.round(np.asarray(values) / scale), -32768, 32767)
    clipped = bool(np.any(counts == 32767) or np.any(counts == -32768))  # at full scale (SPEC.md 2)
    return counts.astype(np.int16), clipped
