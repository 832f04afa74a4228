"""An emulated WitMotion BLE 5.0 IMU: 0x55 0x61 frames as a byte stream cut anywhere, no counter.

Speaks what :mod:`sensorkit.devices.witmotion` documents (WitMotion's BWT901BLE5.0 SDK): streams
whenever notifications are on (the sensor needs no start command), takes ``FF AA`` register writes
(rate changes only after the unlock key, as the register map requires), and - the quirks - carries
nothing that identifies a sample (no counter, timestamp or checksum) and cuts its frame stream into
notifications at arbitrary byte boundaries, so frames straddle notifications.
"""

from __future__ import annotations

import numpy as np
from bumble import gatt
from bumble.device import Connection

from ..devices import witmotion as wit
from ..errors import DecodeError
from ..samples import STANDARD_GRAVITY
from .vendor import VendorEmulator, to_counts


class WitMotionEmulator(VendorEmulator):
    kind = "witmotion"
    name_prefix = "WT901BLE"
    manufacturer = "WitMotion"
    model = "BWT901BLECL5.0"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unlocked = False
        self.rate_code: int | None = None  # last rate the host set (None: the stored default)
        self.commands: list[tuple[int, int]] = []

    def build_services(self) -> list[gatt.Service]:
        props = gatt.Characteristic.Properties
        self.data_characteristic = gatt.Characteristic(wit.NOTIFY_CHAR, props.NOTIFY, gatt.Characteristic.READABLE, b"")
        self.data_characteristic.on("subscription", self._on_subscription_change)
        write = gatt.Characteristic(
            wit.WRITE_CHAR, props.WRITE | props.WRITE_WITHOUT_RESPONSE, gatt.Characteristic.WRITEABLE,
            gatt.CharacteristicValue(write=self._on_write),
        )
        return [gatt.Service(wit.SERVICE, [self.data_characteristic, write]), self.battery_service()]

    def _on_subscription_change(self, _connection: Connection, notify: bool, indicate: bool) -> None:
        if notify or indicate:
            self.start_streaming()

    def _on_write(self, _connection: Connection, value: bytes) -> None:
        try:
            register, data = wit.parse_command(bytes(value))
        except DecodeError:
            return  # the sensor ignores what is not a command
        self.commands.append((register, data))
        if register == wit.KEY_REGISTER:
            self.unlocked = data == wit.UNLOCK_VALUE
        elif register == wit.RATE_REGISTER and self.unlocked:
            self.rate_code = data

    def samples_per_packet(self) -> int:
        """Frames per emulated packet; they go out as notifications cut at arbitrary byte positions."""
        return 3

    def encode(self, first_counter: int, acc: np.ndarray, gyr: np.ndarray | None) -> bytes:
        acc_counts = to_counts(acc, wit.ACC_G_FULL_SCALE / 32768 * STANDARD_GRAVITY)
        gyr_rad = np.zeros_like(acc) if gyr is None else gyr
        gyr_counts = to_counts(gyr_rad, np.deg2rad(wit.GYRO_DPS_FULL_SCALE / 32768))
        return wit.pack_output(acc_counts, gyr_counts, np.zeros_like(acc_counts))

    def notifications(self, payload: bytes) -> list[bytes]:
        """The frames cut into chunks of 7-20 bytes (seeded), never aligned to frame boundaries on purpose."""
        chunks, i = [], 0
        limit = max(7, min(20, self.att_payload))
        while i < len(payload):
            size = int(self.rng.integers(7, limit + 1))
            chunks.append(payload[i : i + size])
            i += size
        return chunks

    def corrupt(self, payload: bytes) -> bytes:
        """Bytes with no frame header at all: the decoder can only skip them."""
        return payload.replace(bytes([wit.HEADER]), b"\x00")
