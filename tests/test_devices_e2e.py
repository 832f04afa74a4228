"""Every commodity kind end to end on the virtual radio: emulator -> bleak -> profile -> collector -> store.

Each test streams a known signal from the vendor's emulator at one of the device's usual rates and
checks what was stored against what the emulator sent: the sample count, and every value to within
the device's own resolution on the air. Feedback commands are checked at the emulator.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest
from bleak import BleakClient

from sensorkit.ble.collector import Collector, Transport, find
from sensorkit.ble.radio import VirtualRadio, use_radio
from sensorkit.ble.sessions import record_emulated
from sensorkit.devices import registry
from sensorkit.emulator.faults import Faults
from sensorkit.emulator.metamotion import MetaMotionEmulator, MetaMotionSEmulator
from sensorkit.emulator.microbit import MicroBitEmulator
from sensorkit.emulator.polar import PolarH10Emulator, PolarVeritySenseEmulator
from sensorkit.emulator.sources import Source
from sensorkit.emulator.thingy52 import Thingy52Emulator
from sensorkit.samples import STANDARD_GRAVITY, SampleBlock
from sensorkit.store import RecordingReader

SPEED = 4.0
SECONDS = 3.0


def signal(rate_hz: float, seconds: float = SECONDS, gyro: bool = True) -> SampleBlock:
    """A slowly turning, gently moving sensor: distinct values for every sample, within every range."""
    t = np.arange(int(round(rate_hz * seconds))) / rate_hz
    acc = np.stack([3 * np.sin(2 * t), 2 * np.cos(3 * t), STANDARD_GRAVITY + np.sin(5 * t)], axis=1)
    gyr = np.stack([np.sin(t), -0.5 * np.cos(2 * t), 0.3 + 0 * t], axis=1) if gyro else None
    return SampleBlock(t, acc, gyr)


def stored(path: Path) -> SampleBlock:
    with RecordingReader(path) as reader:
        return reader.samples()


def check_values(
    got: SampleBlock, sent: SampleBlock, rate_hz: float, acc_tol: float, gyr_tol: float | None, first: int = 0
) -> None:
    """Each stored sample equals the sent sample with the same device index, to within the tolerance.

    ``first`` is the device index of the first stored sample (t = 0 is the first sample received)."""
    index = np.round(got.t * rate_hz).astype(int) + first
    assert np.all(np.diff(index) >= 1) and index[-1] < len(sent)
    np.testing.assert_allclose(got.acc, sent.acc[index], rtol=0, atol=acc_tol)
    if gyr_tol is None:
        assert got.gyr is None
    else:
        np.testing.assert_allclose(got.gyr, sent.gyr[index], rtol=0, atol=gyr_tol)


MOVESENSE_TOL = (0.0018, 0.0007)  # half a count on the air plus half the store's: m/s^2, rad/s
# kind, usual rate, has gyro, acc tolerance (m/s^2: half a count on the air plus the store's), gyro tolerance (rad/s)
KINDS = [
    ("metamotion", 100.0, True, 0.003, 0.0011),  # 8 g default range: 4096 LSB/g
    ("polar", 100.0, False, 0.0099, None),  # 1 mG counts
    # its LSM6DSL counts (0.244 mg, 70 mdps) as float32 on the air, 0.1 mg / 0.01 deg/s in the store
    ("movesense", 104.0, True, *MOVESENSE_TOL),
    ("witmotion", 100.0, True, 0.0048, 0.0011),  # 16 g / 2000 deg/s over 32768
    ("thingy52", 50.0, True, 0.0097, 0.0006),  # 1/1024 g, 1/32 deg/s
    ("microbit", 50.0, False, 0.0099, None),  # 1 mg
]


@pytest.mark.parametrize("kind,rate,gyro,acc_tol,gyr_tol", KINDS, ids=[k[0] for k in KINDS])
def test_record_emulate_kind_stores_every_sample_the_emulator_sent(
    kind: str, rate: float, gyro: bool, acc_tol: float, gyr_tol: float | None, tmp_path: Path
) -> None:
    """The same path as ``sensorkit record --emulate KIND``: scan, recognise, configure, stream, store."""
    sent = signal(rate, gyro=gyro)
    source = Source(sent, rate, f"test signal at {rate:g} Hz")
    result = asyncio.run(record_emulated(kind, source, tmp_path / "r.skr", speed=SPEED))
    got = stored(tmp_path / "r.skr")
    assert result.kind == kind and result.stats.corrupt_packets == 0
    assert len(got) == result.emulator.samples_sent == len(sent)
    if registry.profile_class(kind).capabilities.has_counter:
        assert result.stats.gaps == 0
        check_values(got, sent, rate, acc_tol, gyr_tol)
    else:
        # Timed by arrival: a host stall longer than the latency bound reads as a gap (documented in
        # sensorkit.devices.arrival), so on a loaded machine only the order of samples is certain.
        check_values(SampleBlock(np.arange(len(got)) / rate, got.acc, got.gyr), sent, rate, acc_tol, gyr_tol)


async def _record(emulator, rate: float, profile_kwargs: dict, path: Path) -> tuple[Collector, object]:
    radio = VirtualRadio()
    use_radio(radio)
    try:
        await emulator.start(radio)
        found = await find(emulator.name, 5.0, Transport.virtual())
        profile = found.profile(**profile_kwargs)
        length = len(emulator.stream) / rate
        collector = Collector(found, path, profile=profile, duration_s=length, transport=Transport.virtual(),
                              speed=SPEED, clock=emulator.world_time)  # a busy machine only slows it down
        task = asyncio.get_running_loop().create_task(collector.run())
        finished = asyncio.get_running_loop().create_task(emulator.finished.wait())
        await asyncio.wait({task, finished}, timeout=length / SPEED + 10, return_when=asyncio.FIRST_COMPLETED)
        await collector.caught_up()  # all it sent is queued (not a fixed sleep)
        finished.cancel()
        collector.stop()
        await task
        return collector, profile
    finally:
        await emulator.close()
        use_radio(None)


@pytest.mark.parametrize(
    "emulator_class,rate,kwargs,acc_tol,gyr_tol",
    [
        (MetaMotionSEmulator, 50.0, dict(rate_hz=50, acc_range_g=4, gyr_range_dps=500), 0.0013, 0.0003),
        (PolarVeritySenseEmulator, 52.0, dict(rate_hz=52, acc_range_g=8), 0.0025, None),
    ],
    ids=["metamotion-bmi270", "polar-verity-delta-frames"],
)
def test_vendor_variants_end_to_end(emulator_class, rate, kwargs, acc_tol, gyr_tol, tmp_path: Path) -> None:
    sent = signal(rate, gyro=gyr_tol is not None)
    emulator = emulator_class(sent, rate, speed=SPEED)
    collector, profile = asyncio.run(_record(emulator, rate, kwargs, tmp_path / "r.skr"))
    got = stored(tmp_path / "r.skr")
    assert len(got) == emulator.stats.samples_sent == len(sent)
    if profile.capabilities.has_counter:
        assert collector.stats.gaps == 0
    else:  # timed by arrival: compare in order (see the test above)
        got = SampleBlock(np.arange(len(got)) / rate, got.acc, got.gyr)
    check_values(got, sent, rate, acc_tol, gyr_tol)
    if isinstance(emulator, MetaMotionSEmulator):
        assert profile.chip.name == "BMI270" and emulator.acc_range_g == 4 and emulator.gyr_rate_hz == 50
    else:
        assert profile.factor == pytest.approx(8 / 32768) and emulator.started_settings[0] == (52,)


def test_timestamped_kinds_account_lost_and_corrupt_packets_exactly(tmp_path: Path) -> None:
    """Movesense carries device time: every withheld sample is a counted gap, every bad packet counted.

    Seed 3 loses the first packet: with the emulator's start known, that is a gap at the start of the
    recording (before: in no gap, 8 samples unaccounted)."""
    rate = 104.0
    sent = signal(rate, seconds=4.0)
    source = Source(sent, rate, "test signal")
    faults = Faults(loss=0.1, corrupt=0.1)
    result = asyncio.run(record_emulated("movesense", source, tmp_path / "r.skr", speed=SPEED, faults=faults, seed=3))
    got = stored(tmp_path / "r.skr")
    emu, stats = result.emulator, result.stats
    assert emu.samples_withheld > 0 and emu.corrupted > 0
    assert len(got) == emu.samples_sent == len(sent) - emu.samples_withheld
    head, _ = edge_losses(emu.withheld, len(sent))
    assert head == 8 and got.t[0] == pytest.approx(head / rate)  # the lost start is a gap in t
    assert stats.samples_lost == emu.samples_withheld
    assert stats.corrupt_packets >= emu.corrupted
    check_values(got, sent, rate, *MOVESENSE_TOL)


def edge_losses(withheld: list[tuple[int, int]], total: int) -> tuple[int, int]:
    """Samples withheld in runs touching the start and the end of the stream (no gap can show them)."""
    runs = sorted(withheld)
    head = 0
    for first, n in runs:
        if first != head:
            break
        head += n
    tail, end = 0, total
    for first, n in reversed(runs):
        if first + n != end:
            break
        tail, end = tail + n, first
    return head, tail


def test_witmotion_loss_is_inferred_from_arrival_within_the_documented_bound(tmp_path: Path) -> None:
    """No counter on the air: a 2 s outage is found from arrival times, its size to within 0.25 s x rate."""
    rate = 50.0
    full = signal(rate, seconds=6.0)
    keep = np.ones(len(full), bool)
    keep[100:200] = False  # the sensor's samples 100-199 never reach the host
    sent = SampleBlock(full.t[keep], full.acc[keep], full.gyr[keep])
    result = asyncio.run(record_emulated("witmotion", Source(sent, rate, "signal with a 2 s hole"), tmp_path / "r.skr", speed=2.0))
    got = stored(tmp_path / "r.skr")
    assert len(got) == result.emulator.samples_sent == len(sent)
    gap = int(np.argmax(np.diff(got.t)))  # (a host stall may add small spurious gaps elsewhere)
    inferred = round((got.t[gap + 1] - got.t[gap]) * rate) - 1
    assert gap == 99 and abs(inferred - 100) <= 0.25 * rate


async def _feedback(emulator, pattern: str) -> None:
    radio = VirtualRadio()
    use_radio(radio)
    try:
        await emulator.start(radio)
        found = await find(emulator.name, 5.0, Transport.virtual())
        profile = found.profile(rate_hz=emulator.rate_hz)
        async with BleakClient(found.device, backend=Transport.virtual().client) as client:
            await profile.start(client, lambda _c, _d: None)
            await profile.feedback(client, pattern)
            if isinstance(emulator, MetaMotionEmulator):
                assert await profile.read_battery(client) == (100, 4000)
            await profile.stop(client)
        await asyncio.sleep(0.05)
    finally:
        await emulator.close()
        use_radio(None)


def test_feedback_reaches_the_metamotion_motor() -> None:
    emulator = MetaMotionEmulator(signal(100.0, 30.0), 100.0)
    asyncio.run(_feedback(emulator, "double"))
    assert emulator.haptic_log == [(100.0, 150), (100.0, 150)]
    assert not emulator.streaming  # stop() powered both sensors down


def test_feedback_lights_and_clears_the_microbit_leds() -> None:
    emulator = MicroBitEmulator(signal(50.0, 30.0, gyro=False), 50.0)
    asyncio.run(_feedback(emulator, "short"))
    assert emulator.led_writes == [bytes([0, 14, 14, 14, 0]), bytes(5)]
    assert emulator.period_ms == 20


def test_feedback_breathes_the_thingy_led() -> None:
    emulator = Thingy52Emulator(signal(50.0, 30.0), 50.0)
    asyncio.run(_feedback(emulator, "long"))
    assert emulator.led_log == [bytes([3, 1, 100])] and emulator.motion_hz == 50


def test_feedback_is_off_unless_the_caller_asks(tmp_path: Path) -> None:
    """A plain recording sends no feedback: the collector never calls it (switched on per patient)."""
    emulator = PolarH10Emulator(signal(100.0, 1.0, gyro=False), 100.0)
    thingy = Thingy52Emulator(signal(50.0, 1.2), 50.0)
    asyncio.run(_record(thingy, 50.0, dict(rate_hz=50), tmp_path / "t.skr"))
    assert thingy.led_log == [] and emulator.stats.packets_sent == 0


def test_polar_recording_survives_link_losses_with_one_clock(tmp_path: Path) -> None:
    """After a link loss the H10 is still measuring: the profile restarts it and device time runs on."""
    rate = 100.0
    sent = signal(rate, seconds=8.0, gyro=False)
    faults = Faults(drop_every=3.0)
    result = asyncio.run(record_emulated("polar", Source(sent, rate, "test"), tmp_path / "r.skr", speed=SPEED, faults=faults))
    got = stored(tmp_path / "r.skr")
    assert result.emulator.link_drops >= 2 and result.stats.reconnects == result.emulator.link_drops
    assert result.stats.new_runs == 0  # the restarted stream's stamps continued the same clock
    # A gap per outage, placed by device time, and one more when the old run's packets came through
    # before the profile's STOP/START (the samples due while stopped); every lost sample is one of those.
    assert result.emulator.link_drops <= result.stats.gaps <= 2 * result.emulator.link_drops
    assert result.stats.samples_lost == result.emulator.unsent_no_link + result.emulator.unsent_stopped
    # Nothing invented, order kept: the stored samples are a subsequence of those sent. (How many are
    # stored depends on how long the restarts took: the recording ends at the source's length in
    # device time, which the outages used up in part.)
    assert len(got) <= result.emulator.samples_sent
    assert in_order_within(got.acc, sent.acc, tol=0.0099)


def in_order_within(got: np.ndarray, sent: np.ndarray, tol: float) -> bool:
    """Every row of ``got`` matches a row of ``sent`` to within ``tol``, at increasing positions."""
    j = 0
    for row in got:
        while j < len(sent) and np.max(np.abs(sent[j] - row)) > tol:
            j += 1
        if j == len(sent):
            return False
        j += 1
    return True
