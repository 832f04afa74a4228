"""An emulated Nordic Thingy:52: Motion Service config + raw data, and the UI service's LED.

Speaks what :mod:`sensorkit.devices.thingy52` documents (Nordic-Thingy52-FW): a 9-byte motion
config that rejects out-of-range values (as ble_tms.c does), one raw sample (acc, gyro, compass
int16 in Q-formats) per notification while raw notifications are on and no counter, and an LED
characteristic whose writes are logged so tests can check feedback arrived.
"""

from __future__ import annotations

import numpy as np
from bumble import att, gatt
from bumble.device import Connection

from ..devices import thingy52 as thy
from ..errors import DecodeError
from ..samples import STANDARD_GRAVITY
from .vendor import VendorEmulator, to_counts

CONFIG_LIMITS = ((100, 5000), (100, 5000), (100, 5000), (1, 200), (0, 1))  # THY ble_tms.h BLE_TMS_CONFIG_*


class Thingy52Emulator(VendorEmulator):
    kind = "thingy52"
    name_prefix = "Thingy"
    manufacturer = "Nordic Semiconductor ASA"
    model = "Thingy:52"
    advertised_uuid = thy.CONFIG_SERVICE

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.config = thy.pack_config(*thy.DEFAULT_CONFIG)
        self.led_log: list[bytes] = []

    def build_services(self) -> list[gatt.Service]:
        props = gatt.Characteristic.Properties
        rw = gatt.Characteristic.READABLE | gatt.Characteristic.WRITEABLE
        config = gatt.Characteristic(
            thy.MOTION_CONFIG_CHAR, props.READ | props.WRITE, rw,
            gatt.CharacteristicValue(read=lambda _c: self.config, write=self._on_config),
        )
        self.data_characteristic = gatt.Characteristic(thy.RAW_CHAR, props.NOTIFY, gatt.Characteristic.READABLE, b"")
        self.data_characteristic.on("subscription", self._on_raw_subscription)
        led = gatt.Characteristic(
            thy.LED_CHAR, props.READ | props.WRITE, rw,
            gatt.CharacteristicValue(read=lambda _c: bytes([0x01, 0, 0xFF, 0xFF]), write=self._on_led),
        )
        return [
            gatt.Service(thy.MOTION_SERVICE, [config, self.data_characteristic]),
            gatt.Service(thy.UI_SERVICE, [led]),
            self.battery_service(),
        ]

    @property
    def motion_hz(self) -> int:
        return thy.unpack_config(self.config)[3]

    def _on_config(self, _connection: Connection, value: bytes) -> None:
        try:
            fields = thy.unpack_config(bytes(value))
        except DecodeError:
            raise att.ATT_Error(att.ErrorCode.INVALID_ATTRIBUTE_LENGTH) from None
        if any(not lo <= v <= hi for v, (lo, hi) in zip(fields, CONFIG_LIMITS)):
            raise att.ATT_Error(att.ErrorCode.VALUE_NOT_ALLOWED)
        self.config = bytes(value)

    def _on_raw_subscription(self, _connection: Connection, notify: bool, indicate: bool) -> None:
        """The raw stream runs only while its notifications are on (THY m_motion.c)."""
        if notify or indicate:
            self.start_streaming()
        else:
            self.stop_streaming()

    def _on_led(self, _connection: Connection, value: bytes) -> None:
        lengths = {0: 1, 1: 4, 2: 5, 3: 3}  # THY ble_uis.h BLE_UIS_LED_MODE_*_LENGTH
        value = bytes(value)
        if not value or lengths.get(value[0]) != len(value):
            raise att.ATT_Error(att.ErrorCode.VALUE_NOT_ALLOWED)
        self.led_log.append(value)

    def encode(self, first_counter: int, acc: np.ndarray, gyr: np.ndarray | None) -> bytes:
        acc_counts = to_counts(acc[0], STANDARD_GRAVITY / thy.ACC_PER_G)
        gyr_counts = to_counts(np.zeros(3) if gyr is None else gyr[0], np.deg2rad(1.0 / thy.GYRO_PER_DPS))
        return thy.pack_raw(acc_counts, gyr_counts, np.zeros(3, np.int64))
