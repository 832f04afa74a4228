"""An emulated BBC micro:bit with the Accelerometer and LED Bluetooth services: milli-g, no gyroscope.

Speaks what :mod:`sensorkit.devices.microbit` documents (microbit-dal, codal): the period characteristic
turns a requested period into one its accelerometer's driver table has (``chip``: a v2's LSM303AGR by
default, or a v1's MMA8653 or FXOS8700) and reads back what it chose; the data characteristic
notifies one milli-g sample per event with no counter; LED matrix writes are kept so tests can see
which pixels feedback lit.
"""

from __future__ import annotations

import numpy as np
from bumble import att, gatt
from bumble.device import Connection

from ..devices import microbit as ubit
from ..errors import DecodeError
from ..samples import STANDARD_GRAVITY
from .vendor import VendorEmulator, to_counts


class MicroBitEmulator(VendorEmulator):
    kind = "microbit"
    name_prefix = "BBC micro:bit"
    manufacturer = "BBC"
    model = "BBC micro:bit V2"
    chip = "LSM303AGR"  # the v2's accelerometer

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.period_ms = 20  # the default period
        self.led_writes: list[bytes] = []

    def build_services(self) -> list[gatt.Service]:
        props = gatt.Characteristic.Properties
        rw = gatt.Characteristic.READABLE | gatt.Characteristic.WRITEABLE
        self.data_characteristic = gatt.Characteristic(
            ubit.ACC_DATA_CHAR, props.READ | props.NOTIFY, gatt.Characteristic.READABLE, bytes(6)
        )
        self.data_characteristic.on("subscription", self._on_data_subscription)
        period = gatt.Characteristic(
            ubit.ACC_PERIOD_CHAR, props.READ | props.WRITE, rw,
            gatt.CharacteristicValue(read=lambda _c: ubit.pack_period(self.period_ms), write=self._on_period),
        )
        matrix = gatt.Characteristic(
            ubit.LED_MATRIX_CHAR, props.READ | props.WRITE, rw,
            gatt.CharacteristicValue(read=lambda _c: self.led_writes[-1] if self.led_writes else bytes(5), write=self._on_matrix),
        )
        return [gatt.Service(ubit.ACC_SERVICE, [self.data_characteristic, period]), gatt.Service(ubit.LED_SERVICE, [matrix])]

    def _on_period(self, _connection: Connection, value: bytes) -> None:
        try:
            self.period_ms = ubit.chosen_period(self.chip, ubit.unpack_period(bytes(value)))
        except DecodeError:
            raise att.ATT_Error(att.ErrorCode.INVALID_ATTRIBUTE_LENGTH) from None

    def _on_data_subscription(self, _connection: Connection, notify: bool, indicate: bool) -> None:
        if notify or indicate:
            self.start_streaming()

    def _on_matrix(self, _connection: Connection, value: bytes) -> None:
        if not 0 < len(value) < 6:  # MicroBitLEDService.cpp ignores other lengths
            return
        self.led_writes.append(bytes(value))

    def encode(self, first_counter: int, acc: np.ndarray, gyr: np.ndarray | None) -> bytes:
        return ubit.pack_acc(to_counts(acc[0], STANDARD_GRAVITY / 1000.0))
