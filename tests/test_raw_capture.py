"""`record --raw` then `redecode`: today's profiles reproduce the stored samples exactly, for every kind,
under the emulator's faults; a decoder change shows; exported vectors pass the device-vector check.

Emulated at 8x on the emulated world's clock: a busy machine makes a run slower, never different,
and the comparison is exact whatever the timing was (the tape keeps the arrival times it saw).
"""

from __future__ import annotations

import asyncio
import json
import lzma
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from sensorkit.ble import rawcapture
from sensorkit.ble.rawcapture import ATTACHMENT, NOTIFY, RawTape, TapeRecorder
from sensorkit.ble.redecode import export_vectors, redecode
from sensorkit.ble.sessions import Listeners, record_emulated
from sensorkit.cli.main import main
from sensorkit.emulator.faults import Faults
from sensorkit.emulator.registry import kinds
from sensorkit.emulator.sources import Source, simulation_rate
from sensorkit.samples import STANDARD_GRAVITY, SampleBlock
from sensorkit.store import RecordingReader
from test_devices_vectors import check_stream

FAULTS = Faults(loss=0.03, dup=0.02, reorder=0.02, corrupt=0.02, drop_every=4.0, drift_ppm=80)


def moving(rate_hz: float, seconds: float) -> SampleBlock:
    """Distinct values every sample (so any decoding difference shows), within every kind's range."""
    t = np.arange(int(round(rate_hz * seconds))) / rate_hz
    rng = np.random.default_rng(7)
    acc = np.stack([3 * np.sin(2 * t), 2 * np.cos(3 * t), STANDARD_GRAVITY + np.sin(5 * t)], axis=1)
    acc += rng.normal(0, 0.02, acc.shape)  # sensor noise: the capture cannot compress it away
    gyr = np.stack([np.sin(t), -0.5 * np.cos(2 * t), 0.3 + 0 * t], axis=1) + rng.normal(0, 0.005, acc.shape)
    return SampleBlock(t, acc, gyr)


def record(kind: str, path: Path, faults: Faults | None = None, seconds: float = 10.0, raw: bool = True):
    rate = simulation_rate(kind, 100.0)
    source = Source(moving(rate, seconds), rate, "test signal")
    return asyncio.run(record_emulated(kind, source, path, faults=faults, speed=8.0, seed=3, raw=raw))


@pytest.mark.parametrize("kind", kinds())
def test_redecode_reproduces_the_stored_samples_exactly_under_faults(kind: str, tmp_path: Path) -> None:
    result = record(kind, tmp_path / "r.skr", FAULTS)
    stats = result.stats
    assert stats.link_losses >= 1 and stats.gaps >= 1  # the faults did happen
    again = redecode(tmp_path / "r.skr")
    assert again.identical, again.differences
    assert len(again.redecoded) == len(again.stored) == stats.samples_stored > 0
    np.testing.assert_array_equal(again.redecoded.acc, again.stored.acc)
    assert len(again.gaps) == stats.gaps and again.corrupt == stats.corrupt_packets
    assert again.tape.notifications == stats.packets
    assert any(step[1] in ("write", "subscribe") for step in again.tape.gatt)  # the configuration is kept
    assert again.tape.services and all(s["uuid"] for s in again.tape.services)  # and the GATT table
    vectors = export_vectors(again, tmp_path / "vectors", "r.skr")
    doc = json.loads(vectors.read_text())
    assert doc["kind"] == kind and doc["streams"][0]["packets"]
    check_stream(kind, doc["streams"][0])  # what tests/test_devices_vectors.py does with a vector file


def test_a_decoder_change_is_reported_where_it_starts(tmp_path: Path, monkeypatch, capsys) -> None:
    record("thingy52", tmp_path / "r.skr")
    from sensorkit.devices import thingy52

    monkeypatch.setattr(thingy52, "ACC_PER_G", 1000)  # a "fix" of the accelerometer's scale
    assert main(["redecode", str(tmp_path / "r.skr")]) == 1
    out = capsys.readouterr().out
    assert "differs: acc differs in" in out and "first at sample 0" in out
    assert "t differs" not in out and "gyr differs" not in out


def test_redecode_cli_says_identical_and_exports(tmp_path: Path, capsys) -> None:
    record("sensorkit", tmp_path / "r.skr", seconds=4.0)
    assert main(["redecode", str(tmp_path / "r.skr"), "--export-vectors", str(tmp_path / "v")]) == 0
    out = capsys.readouterr().out
    assert "identical: every stored sample, time and gap" in out and (tmp_path / "v" / "sensorkit.json").exists()


def test_a_recording_without_raw_capture_is_one_sentence(tmp_path: Path, capsys) -> None:
    record("microbit", tmp_path / "r.skr", seconds=2.0, raw=False)
    with RecordingReader(tmp_path / "r.skr") as reader:
        assert reader.attachment(ATTACHMENT) is None and not reader.attachment_chunks(ATTACHMENT)
    assert main(["redecode", str(tmp_path / "r.skr")]) == 1
    err = capsys.readouterr().err
    assert err == f"sensorkit: error: {tmp_path / 'r.skr'} has no raw capture (record it with `sensorkit record --raw`)\n"


def test_the_capture_stops_at_its_bound_and_says_so(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(rawcapture, "LIMIT_BYTES", 4000)
    result = record("sensorkit", tmp_path / "r.skr", seconds=6.0)
    assert result.stats.raw_capture_truncated and result.stats.samples_stored == 600
    again = redecode(tmp_path / "r.skr")
    assert again.tape.truncated
    kept = sum(len(p) for p, op in zip(again.tape.payloads, again.tape.ops) if op == NOTIFY)
    assert kept <= 4000 and len(again.redecoded) < 600
    assert again.identical, again.differences  # what it covered, less its last second, is exact


@pytest.mark.parametrize("stride", [0, 2, 6, 12, 20])
@pytest.mark.parametrize("classes", [True, False], ids=["few-packet-classes", "many"])
def test_tape_packing_is_lossless(stride: int, classes: bool, monkeypatch) -> None:
    """Written in chunks (as the recorder's commits ask for them, merged every second here) and read
    back: the same tape, also when the recorder stopped after a few commits."""
    monkeypatch.setattr(rawcapture, "_best_stride", lambda _stream: stride)
    monkeypatch.setattr(rawcapture, "MERGE_S", 1.0)
    rng = np.random.default_rng(stride)
    recorder = TapeRecorder({"kind": "x", "rate_hz": 100.0})
    chunks, ops = [], []
    for i in range(300):
        char = f"uuid-{i % 3}"
        if classes:  # two kinds of packet per characteristic, as a MetaWear's halves
            payload = bytes([i % 2]) + rng.integers(0, 256, 9 + 10 * (i % 2), dtype=np.uint8).tobytes()
        else:
            payload = rng.integers(0, 256, int(rng.integers(1, 60)), dtype=np.uint8).tobytes()
        recorder.notification(i * 0.0123456, char, payload)
        ops.append((NOTIFY, round(i * 123.456), i % 3, payload))
        if i % 7 == 0:
            recorder.release(i * 0.0123456 + 1e-6)
            ops.append((rawcapture.RELEASE, round(i * 123.456 + 0.01), 0, b""))
        if i % 10 == 9:
            commit(chunks, recorder.next_chunk())
        if i == 155:
            cut_short = list(chunks)  # a recorder killed here
    recorder.conversation(0.5, "write", "c", b"\x01\x02", True)
    recorder.finish()
    commit(chunks, recorder.next_chunk())
    assert recorder.next_chunk() is None and recorder.written_bytes == sum(map(len, chunks))
    assert [c[:2] for c in chunks] == [b"\x04M"] * 4  # each second's chunks were replaced by their merge
    back = RawTape.from_chunks(chunks, rawcapture.SampleTokens.empty())
    assert list(zip(back.ops, back.host_ticks, back.chars, back.payloads)) == ops
    assert back.gatt == [[5000, "write", "c", "0102", True]] and back.header == {"kind": "x", "rate_hz": 100.0}
    assert back.complete and back.characteristics == ["uuid-0", "uuid-1", "uuid-2"]
    assert re.fullmatch(rb"MS{3,}", bytes(c[1] for c in cut_short))  # a merged second, then 10 notifications each
    killed = RawTape.from_chunks(cut_short, rawcapture.SampleTokens.empty())
    assert not killed.complete and killed.payloads == back.payloads[: len(killed.payloads)]
    assert killed.notifications == 150


def commit(chunks: list[bytes], chunk: tuple[bytes, bool]) -> None:
    """What the writer does with a chunk: a summing-up one replaces those since the last one that did."""
    data, sums_up = chunk
    if sums_up:
        while chunks and not chunks[-1].startswith(b"\x04M"):
            chunks.pop()
    chunks.append(data)


def test_memory_stays_bounded_however_long_the_capture(tmp_path: Path) -> None:
    """What the recorder holds for the capture (the ops since the last merge, the stored samples they are
    cut against) stays within one merge cycle's worth: as much after 150 s as in the first 70 s."""
    sizes: list[tuple[float, int, int]] = []
    collectors = []

    def watch(block: SampleBlock) -> None:
        raw = collectors[0].raw
        sizes.append((float(block.t[-1]), len(raw.part.ops), raw.window_rows))

    rate = simulation_rate("sensorkit", 100.0)
    source = Source(moving(rate, 150.0), rate, "test signal")
    asyncio.run(record_emulated("sensorkit", source, tmp_path / "r.skr", speed=30.0, seed=3, raw=True,
                                listeners=Listeners([watch], []), on_collector=collectors.append))
    early = max(ops for t, ops, _ in sizes if t < 70), max(rows for t, _, rows in sizes if t < 70)
    late = max(ops for t, ops, _ in sizes if t >= 80), max(rows for t, _, rows in sizes if t >= 80)
    assert sizes[-1][0] > 149
    assert late[0] <= 1.1 * early[0] and late[1] <= (rawcapture.MERGE_S + rawcapture.WINDOW_S + 2) * rate
    assert late[1] < 1.3 * early[1]
    with RecordingReader(tmp_path / "r.skr") as reader:
        assert [c[:2] for c in reader.attachment_chunks(ATTACHMENT)] == [b"\x04M"] * 3
    assert redecode(tmp_path / "r.skr").identical


def test_a_recorder_killed_mid_way_keeps_its_capture(tmp_path: Path) -> None:
    """kill -9 while recording with faults: the capture holds every chunk committed (with the samples),
    and redecode reproduces every stored sample and gap from it."""
    path = tmp_path / "killed.skr"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sensorkit.cli", "record", "--emulate", "metamotion", "--raw", "--duration", "120",
         "--speed", "12", "--fault", "loss=0.03,reorder=0.02,dup=0.02,corrupt=0.02", "-o", str(path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not re.fullmatch(rb"M+S{4,}", _chunks(path)):  # both kinds
            time.sleep(0.2)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    kinds = _chunks(path)
    assert kinds.startswith(b"M") and kinds.count(b"S") >= 4, kinds
    again = redecode(path)
    assert not again.tape.complete and again.identical, again.differences
    assert len(again.redecoded) == len(again.stored) > 6000 and again.tape.notifications > 4000
    assert again.corrupt >= 1 and again.gaps  # the faults did happen


def _chunks(path: Path) -> bytes:
    """The kinds of the capture's chunks committed so far, M (merged) or S (a second's), in order."""
    try:
        with RecordingReader(path) as reader:
            return bytes(c[1] for c in reader.attachment_chunks(ATTACHMENT))
    except Exception:  # noqa: BLE001 - the recorder may be between creating the file and its schema
        return b""


def test_a_capture_written_whole_still_reads(tmp_path: Path, capsys) -> None:
    """SKRAW3 (one attachment written at the recording's end, before captures were chunked): a metamotion
    recording made then, with losses and duplicates, is still read and redecodes identical."""
    old = Path(__file__).parent / "recordings" / "skraw3-metamotion.skr"
    with RecordingReader(old) as reader:
        assert reader.attachment(ATTACHMENT).startswith(b"SKRAW3\n") and not reader.attachment_chunks(ATTACHMENT)
    again = redecode(old)
    assert again.identical and again.tape.complete and len(again.stored) == 306 and again.tape.notifications == 204
    assert again.tape.services and again.tape.header["kind"] == "metamotion"


def test_raw_capture_size_figure(tmp_path: Path) -> None:
    """The figure (noisy 6-channel signal, SensorKit protocol, 10 s at 100 Hz): with the samples cut out
    against the stored ones the capture is a small fraction of the stored samples' own compressed blocks
    (SKRAW2, packed on its own, was 6.0 vs 5.3 bytes a sample and the file grew 38 %)."""
    plain = record("sensorkit", tmp_path / "plain.skr", raw=False)
    raw = record("sensorkit", tmp_path / "raw.skr")
    with sqlite3.connect(tmp_path / "raw.skr") as db:
        blocks = db.execute("SELECT sum(length(payload)) FROM blocks").fetchone()[0]
    growth = (tmp_path / "raw.skr").stat().st_size / (tmp_path / "plain.skr").stat().st_size - 1
    assert plain.stats.samples_stored == raw.stats.samples_stored == 1000
    assert raw.stats.raw_capture_bytes <= 0.25 * blocks  # 12 bytes a sample on the air
    assert growth < 0.15


def test_record_raw_cli_says_what_the_capture_costs(tmp_path: Path, capsys) -> None:
    out = tmp_path / "r.skr"
    assert main(["record", "--emulate", "polar", "--duration", "3", "--speed", "8", "--raw", "-o", str(out)]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if "raw capture:" in l)
    size = int(line.split("raw capture: ")[1].split(" bytes")[0])
    share = int(line.split("(")[1].split("% of the recording)")[0])  # before record saved its analysis in it
    assert abs(share - 100 * size / out.stat().st_size) < 5
    with RecordingReader(out) as reader:
        chunks = reader.attachment_chunks(ATTACHMENT)
        assert sum(map(len, chunks)) == size and reader.meta.extra["collector"]["raw_capture_bytes"] == size


def test_a_damaged_capture_is_one_sentence(tmp_path: Path, capsys) -> None:
    record("microbit", tmp_path / "r.skr", seconds=2.0)
    with sqlite3.connect(tmp_path / "r.skr") as db:
        chunk_id, data = db.execute("SELECT id, data FROM attachment_chunks ORDER BY id LIMIT 1").fetchone()
        db.execute("UPDATE attachment_chunks SET data = ? WHERE id = ?", (data[:10] + b"\0" * 8 + data[18:], chunk_id))
    assert main(["redecode", str(tmp_path / "r.skr")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sensorkit: error: the raw capture is damaged (") and err.count("\n") == 1


def test_cut_and_paste_against_stored_samples_is_exact() -> None:
    """Payload streams with stored triples at odd offsets, repeated triples (a still sensor), a triple
    split across packets, duplicates and noise: the samples are cut out and the stream comes back exact."""
    rng = np.random.default_rng(5)
    acc = rng.integers(-300, 300, (200, 3))
    acc[50:80] = acc[50]  # a still stretch: one triple many times
    gyr = rng.integers(-40000, 40000, (200, 3))  # wraps to 16 bits: matched as sent, never misread
    tokens = rawcapture.SampleTokens(acc, gyr)
    parts = []
    for i in range(200):
        parts += [bytes([i % 256, 0x55]), rawcapture._triples(acc[i : i + 1]).tobytes(),
                  rawcapture._triples(gyr[i : i + 1]).tobytes()]
        if i % 17 == 0:
            parts.append(rng.integers(0, 256, int(rng.integers(1, 9)), dtype=np.uint8).tobytes())
        if i % 23 == 0:  # a duplicate
            parts.append(rawcapture._triples(acc[i : i + 1]).tobytes())
    stream = b"".join(parts)
    rest, cut = tokens.cut(stream)
    assert len(rest) < 0.3 * len(stream) and rest
    assert tokens.paste(rest + b"\0" * 3, cut, len(stream)) == stream  # trailing padding is ignored


def test_the_capture_refers_to_the_stored_samples(tmp_path: Path, capsys) -> None:
    record("microbit", tmp_path / "r.skr", seconds=2.0)
    with RecordingReader(tmp_path / "r.skr") as reader:
        chunks = reader.attachment_chunks(ATTACHMENT)
        stored, meta = reader.samples(), reader.meta
    right = rawcapture.SampleTokens.of(stored, meta.acc_lsb, meta.gyr_lsb)
    assert RawTape.from_chunks(chunks, right).notifications > 0
    other = SampleBlock(stored.t, stored.acc + meta.acc_lsb, None)  # samples that are not the ones referred to
    with pytest.raises(rawcapture.RecordingError, match="does not match the recording's stored samples"):
        RawTape.from_chunks(chunks, rawcapture.SampleTokens.of(other, meta.acc_lsb, meta.gyr_lsb))
    fewer = rawcapture.SampleTokens.of(stored.slice(0, 50), meta.acc_lsb, meta.gyr_lsb)
    with pytest.raises(rawcapture.RecordingError, match="refers to samples the recording does not hold"):
        RawTape.from_chunks(chunks, fewer)
    with pytest.raises(rawcapture.RecordingError, match="older format"):
        RawTape.unpack(b"SKRAW2\n" + chunks[0][7:], right)


ACC_LSB, GYR_LSB = 0.001 * 9.80665 / 10, float(np.deg2rad(0.01))  # the store's Movesense resolution


def sent_floats(kind: str, n: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """(acc m/s^2, gyr deg/s) float32 as a sensor might send them: its counts times one float32 scale
    ("scaled"), that through three float32 steps as C code may write it ("stepwise"), or none ("free")."""
    rng = np.random.default_rng(11)
    acc = np.cumsum(rng.normal(0, 0.05, (n, 3)), axis=0) + [0, 0, 9.8]
    gyr = np.cumsum(rng.normal(0, 0.5, (n, 3)), axis=0)
    if kind == "free":
        return acc.astype(np.float32), gyr.astype(np.float32)
    k_acc, k_gyr = np.rint(acc / 0.0023928), np.rint(gyr / 0.07)
    if kind == "scaled":
        return (k_acc.astype(np.float32) * np.float32(0.244e-3 * 9.80665),
                k_gyr.astype(np.float32) * np.float32(0.07))
    stepwise = k_acc.astype(np.float32) * np.float32(0.244) * np.float32(9.80665) / np.float32(1000)
    return stepwise.astype(np.float32), (k_gyr.astype(np.float32) * np.float32(70) / np.float32(1000)).astype(np.float32)


@pytest.mark.parametrize("kind, most", [("scaled", 0.03), ("stepwise", 0.2), ("free", 0.7)])
def test_floats_are_cut_against_the_stored_samples_and_come_back_exact(kind: str, most: float) -> None:
    """A Movesense-like stream (a 6-byte header, then acc floats, then gyro floats): each float triple is
    predicted from its stored sample (the store keeps 0.1 mg and 0.01 deg/s), and only the difference
    is kept. Exact back whatever the floats were; nearly nothing left when they are the sensor's counts
    times its scale (the step is learnt), little when computed otherwise, and less than the floats'
    own size even when they never were counts."""
    acc, gyr = sent_floats(kind)
    stored = SampleBlock(np.arange(len(acc)) / 104.0, acc.astype(np.float64), np.deg2rad(gyr.astype(np.float64)))
    tokens = rawcapture.SampleTokens.of(stored, ACC_LSB, GYR_LSB)
    floats = rawcapture.FloatTokens(tokens, {"acc": "m/s2", "gyr": "deg/s"}, [None, None])
    stream = b"".join(bytes([2, 1, i % 256, 0, 0, 0]) + acc[i : i + 8].tobytes() + gyr[i : i + 8].tobytes()
                      for i in range(0, len(acc), 8))
    floats.learn(stream)
    assert (floats.steps[0] is not None) == (kind != "free")
    rest, cut = floats.cut(stream, [0, 0, 0, 0])
    assert len(rest) == len(stream) - 24 * len(acc)  # every triple found
    again = rawcapture.FloatTokens(tokens, {"acc": "m/s2", "gyr": "deg/s"}, floats.steps)
    assert again.paste(rest, cut, len(stream), [0, 0, 0, 0]) == stream
    packed = len(lzma.compress(rest + cut, preset=9))
    assert packed < most * len(lzma.compress(stream, preset=9))


def test_a_movesense_capture_costs_a_fraction_of_its_samples(tmp_path: Path) -> None:
    """The emulated Movesense sends its LSM6DSL counts times their scale, as float32: the capture learns
    both steps and costs a small part of the stored samples' blocks (it cost 1.6x them before)."""
    record("movesense", tmp_path / "r.skr", seconds=20.0)
    with sqlite3.connect(tmp_path / "r.skr") as db:
        blocks = db.execute("SELECT sum(length(payload)) FROM blocks").fetchone()[0]
    again = redecode(tmp_path / "r.skr")
    assert again.identical and len(again.stored) == 2080
    with RecordingReader(tmp_path / "r.skr") as reader:
        capture = sum(map(len, reader.attachment_chunks(ATTACHMENT)))
    assert capture < 0.35 * blocks


def test_chunks_are_committed_with_the_samples_and_merges_replace_them(tmp_path: Path) -> None:
    """The store's side: a chunk is asked for at each commit and lands in that commit's transaction (a
    reader sees it exactly when it sees the samples); a summing-up chunk replaces the ones since the last."""
    from sensorkit.samples import RecordingMeta
    from sensorkit.store import RecordingWriter

    made = iter([(b"a", False), (b"b", False), (b"AB", True), (b"c", False), None, (b"ABC", True)])
    path = tmp_path / "r.skr"
    writer = RecordingWriter(path, RecordingMeta(rate_hz=100, start_time="2026-12-05T08:00:00Z", has_gyro=False))
    writer.add_chunk_source("tape", lambda: next(made, None))
    seen = []
    for second in range(6):
        t = second + np.arange(100) / 100
        writer.append(SampleBlock(t, np.zeros((100, 3)), None))  # a second of samples: committed now
        with RecordingReader(path) as reader:
            seen.append((reader.sample_count(), reader.attachment_chunks("tape")))
    writer.close()
    assert seen == [(100, [b"a"]), (200, [b"a", b"b"]), (300, [b"AB"]), (400, [b"AB", b"c"]), (500, [b"AB", b"c"]),
                    (600, [b"AB", b"ABC"])]
