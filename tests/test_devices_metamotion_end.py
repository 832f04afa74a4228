"""MetaMotion sessions account for every sample at their end (issue 6: 999 of 1000 stored, none missing).

MetaWear packed frames carry exactly three samples, and accelerometer and gyroscope travel in
separate notifications paired by order. So a session can end with samples that never left the board
(a packed frame never filled) or that arrived only in part (an accelerometer frame whose gyroscope
frame never came). Neither can be stored; both must be counted: stored + accounted == sent.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from sensorkit.ble import sessions
from sensorkit.ble.sessions import record_emulated
from sensorkit.cli.record import summary_lines
from sensorkit.devices import metamotion as mw
from sensorkit.emulator.metamotion import MetaMotionEmulator
from sensorkit.emulator.sources import Source
from sensorkit.samples import STANDARD_GRAVITY, SampleBlock
from sensorkit.store import RecordingReader

RATE = 100.0
SPEED = 10.0


def signal(n: int) -> SampleBlock:
    t = np.arange(n) / RATE
    acc = np.stack([3 * np.sin(2 * t), 2 * np.cos(3 * t), STANDARD_GRAVITY + np.sin(5 * t)], axis=1)
    gyr = np.stack([np.sin(t), -0.5 * np.cos(2 * t), 0.3 + 0 * t], axis=1)
    return SampleBlock(t, acc, gyr)


def stored(path: Path) -> SampleBlock:
    with RecordingReader(path) as reader:
        return reader.samples()


@pytest.mark.parametrize("n,unsent", [(1000, 1), (1001, 2)])
def test_samples_left_in_an_unfilled_packed_frame_are_counted_as_never_sent(n: int, unsent: int, tmp_path: Path) -> None:
    """The reported case: 1000 samples in frames of 3 leave one on the board; it was counted as sent."""
    sent = signal(n)
    result = asyncio.run(record_emulated("metamotion", Source(sent, RATE, "test"), tmp_path / "r.skr", speed=SPEED))
    got, emu, stats = stored(tmp_path / "r.skr"), result.emulator, result.stats
    assert len(got) == stats.samples_stored == emu.samples_sent == n - unsent  # was 999 stored, 1000 "sent"
    assert emu.unsent_partial == unsent
    assert stats.samples_incomplete == 0 and stats.samples_lost == 0 and result.warnings == []
    assert len(got) + emu.unsent_partial == n
    # Which ones: the last, and everything stored is the source's first n - unsent samples in order.
    np.testing.assert_allclose(got.acc, sent.acc[: n - unsent], rtol=0, atol=0.003)
    np.testing.assert_allclose(got.gyr, sent.gyr[: n - unsent], rtol=0, atol=0.0011)
    assert f"{unsent} samples never sent" in "\n".join(summary_lines(result))


class LastGyroscopeLost(MetaMotionEmulator):
    """A board whose final gyroscope notification never arrives: its last accelerometer frame has no pair."""

    def notifications(self, payload: bytes) -> list[bytes]:
        parts = super().notifications(payload)
        last_packet = self.counter > self._last_counter()
        return parts[:1] if last_packet else parts


def test_an_accelerometer_frame_without_its_gyroscope_at_the_end_is_counted(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sessions, "emulator_class", lambda kind: LastGyroscopeLost)
    sent = signal(300)
    result = asyncio.run(record_emulated("metamotion", Source(sent, RATE, "test"), tmp_path / "r.skr", speed=SPEED))
    got, emu, stats = stored(tmp_path / "r.skr"), result.emulator, result.stats
    assert emu.samples_sent == 300 and emu.unsent_partial == 0  # the emulator sent every accelerometer frame
    assert len(got) == stats.samples_stored == 297
    assert stats.samples_incomplete == mw.SAMPLES_PER_PACKED
    assert len(got) + stats.samples_incomplete == emu.samples_sent
    with RecordingReader(tmp_path / "r.skr") as reader:
        assert reader.meta.extra["collector"]["samples_incomplete"] == 3
    assert "3 samples arrived incomplete" in "\n".join(summary_lines(result))


class FakeMetaWear:
    """Just enough of a BleakClient for :meth:`MetaMotion.start`: answers the two module-info queries."""

    def __init__(self) -> None:
        self.handler = None

    async def start_notify(self, _char: str, handler) -> None:
        self.handler = handler

    async def write_gatt_char(self, _char: str, command: bytes, response: bool = False) -> None:
        if command in (mw.module_info_query(mw.ACC), mw.module_info_query(mw.GYRO)):
            reply = mw.pack_module_info(command[0], mw.BMI160.acc_impl if command[0] == mw.ACC else mw.BMI160.gyro_impl)
            asyncio.get_running_loop().call_soon(self.handler, SimpleNamespace(uuid=mw.NOTIFY_CHAR), bytearray(reply))


def test_halves_waiting_across_a_reconnect_are_counted_not_paired_with_the_new_run() -> None:
    profile = mw.MetaMotion(100, 8, 2000)
    acc = lambda k: mw.pack_xyz(mw.ACC, 0x1C, np.full((3, 3), k))
    gyr = lambda k: mw.pack_xyz(mw.GYRO, 0x07, np.full((3, 3), k))
    assert profile.decode("", acc(1)) == []

    async def reconnect() -> None:
        await profile.start(FakeMetaWear(), lambda _uuid, _payload: None)

    asyncio.run(reconnect())  # the link dropped between acc(1) and its gyroscope frame
    assert profile.decode("", acc(2)) == []
    (pair,) = profile.decode("", gyr(2))
    assert pair.acc[0, 0] == pytest.approx(2 * profile.acc_lsb)  # not acc(1) joined to the new run's gyroscope
    assert profile.unpaired_dropped == profile.incomplete_samples() == 3


def test_a_half_still_waiting_at_the_end_counts_as_incomplete() -> None:
    profile = mw.MetaMotion(100, 8, 2000)
    profile.decode("", mw.pack_xyz(mw.GYRO, 0x07, np.ones((3, 3))))
    profile.decode("", mw.pack_xyz(mw.ACC, 0x1C, np.ones((3, 3))))
    assert profile.decode("", mw.pack_xyz(mw.ACC, 0x1C, np.ones((3, 3)))) == []  # its gyroscope never comes
    assert profile.incomplete_samples() == 3 and profile.unpaired_dropped == 0
