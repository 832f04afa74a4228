"""An emulated mbientlab MetaMotion: the MetaWear register protocol on one command and one notify pipe.

Speaks what :mod:`sensorkit.devices.metamotion` documents (MetaWear-SDK-Cpp): answers module-info
queries with the BMI160 (MetaMotion R/RL/C) or BMI270 (``MetaMotionSEmulator``) implementation ids,
takes accelerometer/gyroscope config, subscriptions, enable and power commands, streams **packed**
frames (3 samples) once both sensors are powered, sends each packet's accelerometer and gyroscope
halves as separate notifications with no counter (the real quirk), answers battery queries and logs
haptic pulses so tests can check that feedback arrived.
"""

from __future__ import annotations

import numpy as np
from bumble import gatt
from bumble.device import Connection

from ..devices import metamotion as mw
from ..errors import DecodeError
from ..samples import STANDARD_GRAVITY
from .vendor import VendorEmulator, to_counts


class MetaMotionEmulator(VendorEmulator):
    kind = "metamotion"
    name_prefix = "MetaWear"
    manufacturer = "MbientLab Inc"
    model = "5"  # model number string of a MetaMotion R (MW metawearboard.cpp get_model)
    advertised_uuid = mw.SERVICE
    chip = mw.BMI160

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.acc_range_g = 16 if self.chip is mw.BMI160 else 8
        self.gyr_range_dps = 2000
        self.acc_rate_hz: float | None = None
        self.gyr_rate_hz: float | None = None
        self.subscribed: set[tuple[int, int]] = set()
        self.sampling: set[int] = set()
        self.powered: set[int] = set()
        self.haptic_log: list[tuple[float, int]] = []  # (duty %, width ms) per pulse
        self.commands: list[bytes] = []
        self._notify_char: gatt.Characteristic | None = None

    def build_services(self) -> list[gatt.Service]:
        props = gatt.Characteristic.Properties
        self._notify_char = self.data_characteristic = gatt.Characteristic(
            mw.NOTIFY_CHAR, props.NOTIFY, gatt.Characteristic.READABLE, b""
        )
        command = gatt.Characteristic(
            mw.COMMAND_CHAR, props.WRITE | props.WRITE_WITHOUT_RESPONSE, gatt.Characteristic.WRITEABLE,
            gatt.CharacteristicValue(write=self._on_command),
        )
        return [
            gatt.Service(mw.SERVICE, [self.data_characteristic, command]),
            self.device_information_service(),  # its model number (2A24) is what MetaWear SDKs read
        ]

    # -- commands ------------------------------------------------------------------------------

    def _on_command(self, _connection: Connection, value: bytes) -> None:
        command = bytes(value)
        self.commands.append(command)
        if len(command) < 2:
            return  # a real board ignores what it cannot parse; nothing to answer on the air
        module, register, body = command[0], command[1], command[2:]
        if register == mw.READ and module in (mw.ACC, mw.GYRO):
            impl = self.chip.acc_impl if module == mw.ACC else self.chip.gyro_impl
            self.reply(self._notify_char, mw.pack_module_info(module, impl, 1))
        elif command == mw.battery_query():
            self.reply(self._notify_char, mw.pack_battery(self.battery_level, 4000 if self.battery_level > 20 else 3500))
        elif module == mw.HAPTIC:
            self._try(lambda: self._haptic(mw.parse_haptic(command)))
        elif register == mw.CONFIG and module == mw.ACC:
            self._try(lambda: self._set_acc(*mw.parse_acc_config(self.chip, command)))
        elif register == mw.CONFIG and module == mw.GYRO:
            self._try(lambda: self._set_gyr(*mw.parse_gyro_config(command)))
        elif register == mw.DATA_INTERRUPT_ENABLE and module in (mw.ACC, mw.GYRO) and len(body) == 2:
            (self.sampling.add if body[0] else self.sampling.discard)(module)
        elif register == mw.POWER_MODE and module in (mw.ACC, mw.GYRO) and len(body) == 1:
            (self.powered.add if body[0] else self.powered.discard)(module)
            self._update_streaming()
        elif len(body) == 1 and module in (mw.ACC, mw.GYRO):
            (self.subscribed.add if body[0] else self.subscribed.discard)((module, register))

    def _haptic(self, pulse: tuple[float, int]) -> None:
        self.haptic_log.append(pulse)
        self.stats.feedback.append((self.stats.samples_sent, "pulse", *pulse))

    @staticmethod
    def _try(action) -> None:
        try:
            action()
        except DecodeError:
            pass  # a malformed command changes nothing on a real board either

    def _set_acc(self, rate_hz: float, range_g: int) -> None:
        self.acc_rate_hz, self.acc_range_g = rate_hz, range_g

    def _set_gyr(self, rate_hz: float, range_dps: int) -> None:
        self.gyr_rate_hz, self.gyr_range_dps = rate_hz, range_dps

    def _update_streaming(self) -> None:
        on = {mw.ACC, mw.GYRO} <= self.powered and {mw.ACC, mw.GYRO} <= self.sampling
        if on:
            self.start_streaming()
        elif not self.powered:
            self.stop_streaming()

    # -- data ----------------------------------------------------------------------------------

    def samples_per_packet(self) -> int:
        return mw.SAMPLES_PER_PACKED

    def encode(self, first_counter: int, acc: np.ndarray, gyr: np.ndarray | None) -> bytes:
        """Acc packed frame then gyro packed frame. A run shorter than a packed frame (the end of the
        source, or before a gap in a replayed one) is not sent: packed signals carry exactly three, so
        a board stopped with one or two samples in its packer never sends them (the base counts them
        in ``stats.unsent_partial``). What a real board does with a partial frame at stop is unverified."""
        if len(acc) != mw.SAMPLES_PER_PACKED:
            return b""
        gyr = np.zeros_like(acc) if gyr is None else gyr
        acc_lsb = STANDARD_GRAVITY / mw.ACC_LSB_PER_G[int(self.acc_range_g)]
        gyr_lsb = np.deg2rad(1.0 / mw.GYRO_LSB_PER_DPS[mw.GYRO_RANGE_CODES[int(self.gyr_range_dps)]])
        packets = []
        if (mw.ACC, self.chip.acc_packed) in self.subscribed:
            packets.append(mw.pack_xyz(mw.ACC, self.chip.acc_packed, to_counts(acc, acc_lsb)))
        if (mw.GYRO, self.chip.gyro_packed) in self.subscribed:
            packets.append(mw.pack_xyz(mw.GYRO, self.chip.gyro_packed, to_counts(gyr, gyr_lsb)))
        return b"".join(packets)

    def notifications(self, payload: bytes) -> list[bytes]:
        size = 2 + 6 * mw.SAMPLES_PER_PACKED
        return [payload[i : i + size] for i in range(0, len(payload), size)]

    def corrupt(self, payload: bytes) -> bytes:
        return payload[: 2 + 6 * mw.SAMPLES_PER_PACKED - 1]  # one byte short of a packed frame


class MetaMotionSEmulator(MetaMotionEmulator):
    """The BMI270 variant (the reference believes MetaMotion S is BMI270; unverified)."""

    model = "8"
    chip = mw.BMI270
