"""An emulated Movesense running the GATT SensorData Protocol (GSP): subscribe to ``/Meas/IMU6/<rate>``.

Speaks what :mod:`sensorkit.devices.movesense` documents (movesense-device-lib's gatt_sensordata_app):
HELLO is answered, SUBSCRIBE is not confirmed (data arriving is the confirmation), a full
subscription table answers COMMAND_RESULT 507 (sent as ``01 FB`` as the sample does), UNSUBSCRIBE
stops. Values are timestamp (ms) + all acc vectors + all gyro vectors; values over 150 bytes are
split into DATA / DATA_PART2 / DATA_PART3 notifications.
"""

from __future__ import annotations

import numpy as np
from bumble import gatt
from bumble.device import Connection

from ..devices import movesense as gsp
from ..devices.base import DecodedSamples
from ..errors import DecodeError
from .vendor import VendorEmulator, to_counts

MAX_SUBSCRIPTIONS = 4  # MAX_DATASUB_COUNT (MS GATTSensorDataClient.h)
# The sensor's own resolution: its IMU (an LSM6DSL) gives 16-bit counts, 0.244 mg at ±8 g and 70 mdps at
# ±2000 °/s (ST's datasheet), which the firmware sends as float32 count x scale. Seen on two real Movesense
# logs (../shared/data/formats/movesense, validation/movesense_real_capture.py): every float is exactly
# float32(count) x these float32 scales, the firmware's g being 9.807 (not 9.80665: those floats would be
# off by 3.6e-5 of their value, a whole count near full scale).
ACC_STEP = np.float32(0.244e-3 * 9.807)  # m/s^2 per count
GYR_STEP = np.float32(0.07)  # deg/s per count
CLOCK_START_MS = 123_456  # the sensor's ms clock at the first streaming run; any value works


class MovesenseEmulator(VendorEmulator):
    kind = "movesense"
    name_prefix = "Movesense"
    manufacturer = "Suunto"
    model = "Movesense MD"
    firmware = "2.3.1"  # GSP is in the default firmware from 2.3.0 (MS CHANGES.md)
    free_running_clock = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscriptions: dict[int, str] = {}  # client reference -> resource path
        self._reference: int | None = None

    def build_services(self) -> list[gatt.Service]:
        props = gatt.Characteristic.Properties
        self.data_characteristic = gatt.Characteristic(gsp.DATA_CHAR, props.NOTIFY, gatt.Characteristic.READABLE, b"")
        command = gatt.Characteristic(
            gsp.COMMAND_CHAR, props.WRITE | props.WRITE_WITHOUT_RESPONSE, gatt.Characteristic.WRITEABLE,
            gatt.CharacteristicValue(write=self._on_command),
        )
        return [gatt.Service(gsp.SERVICE, [command, self.data_characteristic]), self.battery_service()]

    @property
    def imu6_path(self) -> str:
        return f"/Meas/IMU6/{round(self.rate_hz)}"

    def _on_command(self, _connection: Connection, value: bytes) -> None:
        try:
            command, reference, data = gsp.parse_command(bytes(value))
        except DecodeError:
            return
        if command == gsp.HELLO:
            self.reply(self.data_characteristic, bytes([gsp.COMMAND_RESULT, reference]) + b"Hello")
        elif command == gsp.SUBSCRIBE:
            if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
                self.reply(self.data_characteristic, bytes([gsp.COMMAND_RESULT, reference, 0x01, 0xFB]))
                return
            path = data.decode("ascii", "replace")
            self.subscriptions[reference] = path
            if path == self.imu6_path:  # another rate or resource: silently nothing, as the sample
                self._reference = reference
                self.start_streaming()
        elif command == gsp.UNSUBSCRIBE and self.subscriptions.pop(reference, None) is not None:
            if reference == self._reference:
                self._reference = None
                self.stop_streaming()

    def samples_per_packet(self) -> int:
        """About 13 messages a second (8 samples at 104 Hz, as MS python_client assumes for IMU9)."""
        return int(min(18, max(1, round(self.rate_hz / 13))))

    def timestamp_ms(self, counter: int) -> int:
        """The sensor's ms clock at a sample of the current run (it runs on across restarts)."""
        run_start_ms = CLOCK_START_MS + round(self.device_seconds_at_run_start() * 1000)
        return run_start_ms + round(counter * 1000 / self.rate_hz)

    def position(self, counter: int) -> DecodedSamples:
        return DecodedSamples(acc=np.zeros((1, 3)), device_time_s=np.array([self.timestamp_ms(counter) / 1000.0]))

    def encode(self, first_counter: int, acc: np.ndarray, gyr: np.ndarray | None) -> bytes:
        gyr_dps = np.zeros_like(acc) if gyr is None else np.rad2deg(gyr)
        return gsp.pack_imu6(self.timestamp_ms(first_counter), as_sent(acc, ACC_STEP), as_sent(gyr_dps, GYR_STEP))

    def notifications(self, payload: bytes) -> list[bytes]:
        if not payload:
            return []
        return gsp.split_message(self._reference or 1, payload)

    def corrupt(self, payload: bytes) -> bytes:
        """A value five bytes short: its parts still arrive, but it is not 4 + 24 x N bytes."""
        return payload[:-5]


def as_sent(values: np.ndarray, step: np.float32) -> np.ndarray:
    """Values as the sensor's floats: its 16-bit counts times its scale, in float32."""
    return to_counts(values, float(step)).astype(np.float32) * step
