"""micro:bit accelerometer periods per board, from the vendors' driver tables (issue 16).

microbit-dal's MMA8653.cpp, FXOS8700.cpp and LSM303Accelerometer.cpp (v1 boards) and codal-core's
LSM303Accelerometer.cpp (v2) each map a requested period to the smallest period in their table at or
above it (KeyValueTable::find), in microseconds, read back in whole milliseconds; FXOS8700 looks up
twice the request. The cases below are those tables' rows.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from bleak import BleakClient

from sensorkit.ble.collector import Transport, find
from sensorkit.ble.radio import VirtualRadio, use_radio
from sensorkit.devices import microbit as ubit
from sensorkit.emulator.microbit import MicroBitEmulator
from sensorkit.errors import DeviceError
from sensorkit.samples import SampleBlock


@pytest.mark.parametrize("chip,requested,chosen", [
    ("MMA8653", 10, 10), ("MMA8653", 20, 20), ("MMA8653", 80, 80), ("MMA8653", 1, 1),  # 1250 us reads back 1
    ("MMA8653", 15, 20), ("MMA8653", 30, 80), ("MMA8653", 1000, 640),  # above the table: its largest
    ("LSM303AGR", 10, 10), ("LSM303AGR", 20, 20), ("LSM303AGR", 40, 40), ("LSM303AGR", 80, 100),
    ("LSM303AGR", 0, 0), ("LSM303AGR", 1, 2), ("LSM303AGR", 2000, 1000),
    ("FXOS8700", 10, 20), ("FXOS8700", 20, 80), ("FXOS8700", 80, 160),  # twice the request looked up
    ("FXOS8700", 5, 10), ("FXOS8700", 40, 80), ("FXOS8700", 1, 2),
])
def test_the_period_each_driver_chooses(chip, requested, chosen) -> None:
    assert ubit.chosen_period(chip, requested) == chosen


def test_which_rates_each_board_can_give() -> None:
    can = {chip: [rate for rate in ubit.MicroBit.capabilities.rates_hz
                  if ubit.request_for(chip, round(1000 / rate)) is not None] for chip in ubit.PERIOD_TABLES_US}
    assert can == {"MMA8653": [12.5, 50.0, 100.0], "FXOS8700": [12.5, 50.0, 100.0], "LSM303AGR": [50.0, 100.0]}
    assert [ubit.request_for("FXOS8700", p) for p in (10, 20, 80)] == [5, 10, 40]


class Board(MicroBitEmulator):
    """An emulated micro:bit with a given accelerometer; it records what was written to its period."""

    def __init__(self, chip: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.chip = chip
        self.requests: list[int] = []

    def _on_period(self, connection, value: bytes) -> None:
        self.requests.append(ubit.unpack_period(bytes(value)))
        super()._on_period(connection, value)


async def _start(board: Board, rate_hz: float) -> None:
    radio = VirtualRadio()
    use_radio(radio)
    try:
        await board.start(radio)
        found = await find(board.name, 5.0, Transport.virtual())
        async with BleakClient(found.device, backend=Transport.virtual().client) as client:
            profile = ubit.MicroBit(rate_hz)
            await profile.start(client, lambda _c, _d: None)
            await profile.stop(client)
    finally:
        await board.close()
        use_radio(None)


def _board(chip: str) -> Board:
    return Board(chip, SampleBlock(np.arange(10) / 50.0, np.zeros((10, 3)), None), 50.0)


@pytest.mark.parametrize("chip,rate,requests,period", [
    ("MMA8653", 12.5, [80], 80), ("MMA8653", 100.0, [10], 10),
    ("LSM303AGR", 50.0, [20], 20), ("LSM303AGR", 100.0, [10], 10),
    ("FXOS8700", 50.0, [20, 10], 20), ("FXOS8700", 100.0, [10, 5], 10), ("FXOS8700", 12.5, [80, 40], 80),
])
def test_the_profile_gets_the_rate_from_each_board(chip, rate, requests, period) -> None:
    board = _board(chip)
    asyncio.run(_start(board, rate))
    assert board.requests == requests and board.period_ms == period


def test_a_v2_board_refuses_12_5_hz_with_the_rates_it_has() -> None:
    board = _board("LSM303AGR")
    with pytest.raises(DeviceError, match=r"cannot sample at 12.5 Hz: asked for a 80 ms period, it chose 100 ms "
                                          r"\(LSM303AGR: 50/100 Hz\)"):
        asyncio.run(_start(board, 12.5))
