"""The recording store: lossless, crash-safe, readable while written, and strict about what it opens."""

from __future__ import annotations

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sensorkit.errors import RecordingError
from sensorkit.events import Event
from sensorkit.samples import STANDARD_GRAVITY, RecordingMeta, SampleBlock, find_gaps
from sensorkit.store import RecordingReader, RecordingWriter

ACC_LSB = 16 * STANDARD_GRAVITY / 32768
GYR_LSB = np.deg2rad(2000) / 32768


def device_block(n: int, rate: float = 100.0, seed: int = 0, t0: float = 0.0) -> SampleBlock:
    """Samples that are exact multiples of the device resolution, as a real int16 sensor gives."""
    rng = np.random.default_rng(seed)
    acc = rng.integers(-32768, 32767, (n, 3)) * ACC_LSB
    gyr = rng.integers(-32768, 32767, (n, 3)) * GYR_LSB
    return SampleBlock(t0 + np.arange(n) / rate, acc, gyr)


def meta(rate: float = 100.0, has_gyro: bool = True) -> RecordingMeta:
    return RecordingMeta(rate_hz=rate, start_time="2026-11-27T08:00:00Z", has_gyro=has_gyro,
                         acc_lsb=ACC_LSB, gyr_lsb=GYR_LSB)


def write(path: Path, *blocks: SampleBlock, has_gyro: bool = True) -> None:
    with RecordingWriter(path, meta(has_gyro=has_gyro)) as writer:
        for block in blocks:
            writer.append(block)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_samples_round_trip_exactly_at_device_resolution(tmp_path: Path) -> None:
    block = device_block(12_345)
    write(tmp_path / "r", block.slice(0, 5000), block.slice(5000, 12_345))
    with RecordingReader(tmp_path / "r") as reader:
        back = reader.samples()
    assert len(back) == len(block)
    np.testing.assert_array_equal(np.rint(back.acc / ACC_LSB), np.rint(block.acc / ACC_LSB))
    np.testing.assert_array_equal(np.rint(back.gyr / GYR_LSB), np.rint(block.gyr / GYR_LSB))
    np.testing.assert_allclose(back.t, block.t, atol=1e-9)


def test_accelerometer_only_and_low_rates(tmp_path: Path) -> None:
    block = SampleBlock(np.arange(500) / 20.0, np.tile([0.0, 0.0, 9.81], (500, 1)))
    with RecordingWriter(tmp_path / "r", meta(rate=20.0, has_gyro=False)) as writer:
        writer.append(block)
    with RecordingReader(tmp_path / "r") as reader:
        back = reader.samples()
    assert back.gyr is None and len(back) == 500
    np.testing.assert_allclose(back.acc, block.acc, atol=ACC_LSB / 2)


def test_gaps_stay_gaps(tmp_path: Path) -> None:
    a, b = device_block(300), device_block(300, t0=3.5, seed=1)  # 50 samples missing between them
    write(tmp_path / "r", a, b)
    with RecordingReader(tmp_path / "r") as reader:
        back = reader.samples()
    assert len(back) == 600
    gaps = find_gaps(back.t, 100.0)
    assert [(g.start, g.end, g.samples) for g in gaps] == [(pytest.approx(2.99), pytest.approx(3.5), 50)]


def jittery_with_gaps(seed: int) -> SampleBlock:
    """Two minutes at 100 Hz with timing jitter and 20 gaps of 2-200 samples, some across block edges."""
    rng = np.random.default_rng(seed)
    keep = np.ones(12_000, bool)
    for start in rng.integers(0, 11_700, 20):
        keep[start:start + rng.integers(2, 200)] = False
    keep[0] = True
    block = device_block(12_000, seed=seed)
    t = block.t + rng.uniform(-0.002, 0.002, 12_000)
    return SampleBlock(t[keep], block.acc[keep], block.gyr[keep])


def test_gaps_are_stored_as_written_and_equal_those_of_the_samples(tmp_path: Path) -> None:
    block = jittery_with_gaps(4)
    with RecordingWriter(tmp_path / "r", meta()) as writer:
        for k in range(0, len(block), 777):  # pieces that split gaps from the samples around them
            writer.append(block.slice(k, k + 777))
        writer.append_block(SampleBlock(block.t[-1] + 5.0 + np.arange(100) / 100, block.acc[:100], block.gyr[:100]))
    with RecordingReader(tmp_path / "r") as reader:
        expected = find_gaps(reader.samples().t, 100.0)
        assert len(expected) >= 15
        assert reader.gaps() == expected  # from the gaps table, not from the samples


def test_a_recording_without_stored_gaps_finds_them_and_is_not_given_a_partial_list(tmp_path: Path) -> None:
    path = tmp_path / "r"
    write(path, jittery_with_gaps(5))
    db = sqlite3.connect(path)
    db.execute("DROP TABLE gaps")  # as recordings made before gaps were stored
    db.commit()
    db.close()
    with RecordingWriter.reopen(path) as writer:  # its earlier gaps are unknown: none are stored
        writer.append(device_block(500, t0=200.0, seed=3))
    with RecordingReader(path) as reader:
        assert reader.gaps() == find_gaps(reader.samples().t, 100.0)
        assert reader.gaps()[-1].end == pytest.approx(200.0)
        assert not reader._rows("SELECT 1 FROM sqlite_master WHERE name='gaps'")


def test_time_window_and_events_and_summaries(tmp_path: Path) -> None:
    with RecordingWriter(tmp_path / "r", meta()) as writer:
        writer.append(device_block(10_000))
        writer.add_events([Event("bend", 12.0, 15.5, {"peak_flexion_deg": 72.0, "severity": "high"})])
        writer.set_summary("day", {"bends": 1})
        writer.set_calibration({"method": "upright_stand"})
    with RecordingReader(tmp_path / "r") as reader:
        window = reader.samples(20.0, 30.0)
        assert len(window) == 1000 and window.t[0] == pytest.approx(20.0)
        assert reader.events()[0].to_json() == {
            "type": "bend", "start": 12.0, "end": 15.5, "peak_flexion_deg": 72.0, "severity": "high"}
        assert reader.summaries() == {"day": {"bends": 1}}
        assert reader.meta.calibration == {"method": "upright_stand"}


def test_times_must_increase(tmp_path: Path) -> None:
    with RecordingWriter(tmp_path / "r", meta()) as writer:
        writer.append(device_block(100))
        with pytest.raises(RecordingError, match="increase"):
            writer.append(device_block(100))  # same times again


def test_existing_file_is_not_overwritten_without_asking(tmp_path: Path) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("my notes")
    with pytest.raises(RecordingError, match="already exists"):
        RecordingWriter(target, meta())
    with pytest.raises(RecordingError, match="not a SensorKit recording"):
        RecordingWriter(target, meta(), overwrite=True)  # never clobber a foreign file
    assert target.read_text() == "my notes"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "not a SensorKit recording"),
        (b"time,acc_x\n0,1\n" * 20, "not a SensorKit recording"),
    ],
)
def test_foreign_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "f"
    path.write_bytes(content)
    with pytest.raises(RecordingError, match=message):
        RecordingReader(path)


def test_a_foreign_sqlite_file_is_refused_and_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (x)")
    db.commit()
    db.close()
    before = digest(path)
    with pytest.raises(RecordingError, match="SQLite file but not a SensorKit recording"):
        RecordingReader(path)
    assert digest(path) == before


def test_missing_path_and_folder(tmp_path: Path) -> None:
    with pytest.raises(RecordingError, match="no recording"):
        RecordingReader(tmp_path / "absent")
    with pytest.raises(RecordingError, match="folder"):
        RecordingReader(tmp_path)


def test_truncated_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r"
    write(path, device_block(50_000))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RecordingError, match="truncated"):
        RecordingReader(path)


def test_a_corrupted_block_is_skipped_and_reported_the_rest_is_read(tmp_path: Path) -> None:
    path = tmp_path / "r"
    block = device_block(20_000)
    write(path, *(block.slice(k, k + 5000) for k in range(0, 20_000, 5000)))  # merged: 0-100 s, 100-200 s
    db = sqlite3.connect(path)
    second = db.execute("SELECT id, payload FROM blocks ORDER BY t_start LIMIT 1 OFFSET 1").fetchone()
    blob = bytearray(second[1])
    blob[len(blob) // 2] ^= 0xFF
    db.execute("UPDATE blocks SET payload = ? WHERE id = ?", (bytes(blob), second[0]))
    db.commit()
    db.close()
    with RecordingReader(path) as reader:
        back = reader.samples()
        report = reader.damage_report()
        assert [(d.start, d.end, d.samples) for d in reader.damage] == [(100.0, 199.99, 10_000)]
    assert len(back) == 10_000  # every intact sample, the damaged stretch a gap, nothing invented
    np.testing.assert_allclose(back.t, block.t[:10_000])
    assert str(path) in report and "10000 samples lost" in report and "100.0-200.0 s" in report
    assert "backup" in report


def test_reading_never_modifies_the_file(tmp_path: Path) -> None:
    path = tmp_path / "r"
    write(path, device_block(5000))
    before, mtime = digest(path), path.stat().st_mtime_ns
    with RecordingReader(path) as reader:
        reader.samples()
        reader.events()
    assert digest(path) == before and path.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_a_reader_sees_what_a_live_writer_committed(tmp_path: Path) -> None:
    path = tmp_path / "r"
    writer = RecordingWriter(path, meta())
    block = device_block(1000)
    writer.append(block.slice(0, 500))
    with RecordingReader(path) as reader:
        assert reader.sample_count() == 500
        writer.append(block.slice(500, 1000))
        assert reader.sample_count() == 1000
    writer.close()


def test_windows_read_while_a_writer_appends_and_merges_are_its_latest_samples(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader keeps its block list and last decoded block between window reads; a commit of the writer
    (a second of samples, a merge that replaces the one-second blocks and may reuse their ids) must
    show in the next read all the same."""
    monkeypatch.setattr("sensorkit.store.recording.MERGE_SECONDS", 5.0)  # merges every few reads
    path, block = tmp_path / "r", device_block(3000)
    now = [0.0]
    writer = RecordingWriter(path, meta(), clock=lambda: now[0])
    try:
        with RecordingReader(path) as reader:
            for second in range(30):
                now[0] = second + 1.0
                writer.append(block.slice(100 * second, 100 * second + 100))
                window = reader.samples(second - 2.5, second + 0.55)
                expected = block.between(second - 2.5, second + 0.55)
                np.testing.assert_array_equal(np.rint(window.acc / ACC_LSB), np.rint(expected.acc / ACC_LSB))
                np.testing.assert_allclose(window.t, expected.t, atol=1e-9)
            assert reader.sample_count() == 3000
            merged = reader._db.execute("SELECT COUNT(*) FROM blocks WHERE merged = 1").fetchone()[0]
            assert merged >= 4  # the reads went on across merges
    finally:
        writer.close()


WRITER_SCRIPT = """
import sys, time
import numpy as np
from sensorkit.samples import RecordingMeta, SampleBlock
from sensorkit.store import RecordingWriter
writer = RecordingWriter(sys.argv[1], RecordingMeta(rate_hz=100, start_time="2026-11-27T08:00:00Z"))
i = 0
while True:
    t = (i + np.arange(10)) / 100.0
    writer.append(SampleBlock(t, np.tile([0.0, 0.0, 9.81], (10, 1)), np.zeros((10, 3))))
    i += 10
    print(i, flush=True)
    time.sleep(0.002)
"""


def test_kill_9_of_the_writer_loses_at_most_the_last_second(tmp_path: Path) -> None:
    path = tmp_path / "crash"
    proc = subprocess.Popen([sys.executable, "-c", WRITER_SCRIPT, str(path)],
                            stdout=subprocess.PIPE, text=True)
    appended = 0
    deadline = time.monotonic() + 30
    while appended < 7000 and time.monotonic() < deadline:  # well past a minute-block merge
        appended = int(proc.stdout.readline())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert appended >= 7000
    with RecordingReader(path) as reader:
        stored = reader.samples()
    assert appended - 100 <= len(stored) <= appended + 10  # at most one second (100 samples) lost
    np.testing.assert_allclose(stored.t, np.arange(len(stored)) / 100.0, atol=1e-9)


def test_reopen_appends_and_keeps_what_was_there(tmp_path: Path) -> None:
    path = tmp_path / "r"
    write(path, device_block(1000))
    with RecordingWriter.reopen(path) as writer:
        with pytest.raises(RecordingError, match="increase"):
            writer.append(device_block(10, t0=5.0))  # overlaps what is stored
        writer.append(device_block(500, t0=12.0, seed=3))
        writer.replace_analysis([Event("bend", 1.0, 2.0, {})], {})
    with RecordingReader(path) as reader:
        assert reader.sample_count() == 1500
        assert [e.type for e in reader.events()] == ["bend"]
        assert len(find_gaps(reader.samples().t, 100.0)) == 1


def test_reopen_refuses_a_foreign_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my notes")
    with pytest.raises(RecordingError, match="not a SensorKit recording"):
        RecordingWriter.reopen(path)
    assert path.read_text() == "my notes"
