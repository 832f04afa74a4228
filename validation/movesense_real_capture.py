"""What `record --raw` costs on a real Movesense's floats, and that they come back bit for bit (issue 17).

    python validation/movesense_real_capture.py [--data ../shared/data] [--speed 20]

Why: the raw capture predicts a Movesense's float32 values from the stored samples with a step it learns
from the data; the emulated Movesense sends its counts times a scale, so the emulated figure
(benchmarks/raw_capture_size.py) shows only that the predictor fits the emulator. Two real logs
(../shared/data/formats/movesense: a DataLogger .sbem, 52 Hz, 3 s; a logbook JSON, 104 Hz, 85 s) hold
the floats a real sensor computed. Each is replayed by the emulated Movesense over the virtual radio
(its notification layout and payload encoder), recorded without and with ``--raw``, and redecoded.
The floats on the air are checked to be the real ones, bit for bit (the emulator's float32 count x
scale reproduces them exactly: what its ACC_STEP/GYR_STEP say), so the figure is the capture's cost
on real floats. Printed per log: samples, recording bytes without and with the capture, the file's
growth and the capture's own bytes as a share of the recording (the growth also counts the SQLite pages
freed when a minute's one-second chunks are merged), capture bytes per sample beside the stored
samples' blocks, whether the floats sent were the log's, and whether redecode is identical.
The log's own packet timestamps (78/79 ms steps) are not carried: the emulator stamps its own.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sensorkit import movesense_files
from sensorkit.ble.rawcapture import RawTape
from sensorkit.ble.redecode import redecode
from sensorkit.ble.sessions import record_emulated
from sensorkit.datasets.location import default_shared_data, require_shared_data
from sensorkit.devices import movesense as gsp
from sensorkit.emulator.sources import Source
from sensorkit.samples import SampleBlock

ROOT = Path(__file__).resolve().parents[1]
LOGS = ("formats/movesense/sbem_datalogger/imu9-prefix.sbem", "formats/movesense/json_log/MovesenseLog_3_786.json")


@dataclass
class Measured:
    name: str
    samples: int
    plain_bytes: int
    raw_bytes: int
    capture_bytes: int
    blocks_bytes: int
    floats_as_real: bool  # the floats on the air were the log's, bit for bit
    identical: bool  # redecode reproduced the stored samples

    @property
    def growth(self) -> float:
        return self.raw_bytes / self.plain_bytes - 1

    @property
    def capture_share(self) -> float:
        """The capture's own bytes over the recording's without it (the growth adds SQLite's free pages)."""
        return self.capture_bytes / self.plain_bytes

    @property
    def capture_per_sample(self) -> float:
        return self.capture_bytes / self.samples


def real_floats(path: Path) -> tuple[np.ndarray, np.ndarray, float]:
    """(acc m/s^2, gyr deg/s, both float32 as the sensor sent them; its GSP rate nearest the log's)."""
    parts = list(movesense_files.open_file(path).parts())
    t = np.concatenate([p[0] for p in parts])
    acc, gyr = (np.concatenate([p[i] for p in parts]).astype(np.float32) for i in (1, 2))
    rate = min(gsp.RATES_HZ, key=lambda r: abs(r - 1 / float(np.median(np.diff(t)))))
    return acc, gyr, float(rate)


def source_of(path: Path, seconds: float | None = None) -> tuple[Source, np.ndarray, np.ndarray]:
    """The log as an emulator's source (its first ``seconds``), with the floats it must send."""
    acc, gyr, rate = real_floats(path)
    n = len(acc) if seconds is None else min(len(acc), round(seconds * rate))
    block = SampleBlock(np.arange(n) / rate, acc[:n], np.deg2rad(gyr[:n].astype(np.float64)))
    return Source(block, rate, f"real Movesense log {path.name}"), acc[:n], gyr[:n]


def floats_on_the_air(tape: RawTape) -> tuple[np.ndarray, np.ndarray]:
    """(acc, gyr) float32 of every IMU6 value in a raw capture, joined from its parts."""
    joiner, values = gsp.Reassembler(), []
    for payload in tape.payloads:
        done = joiner.feed(payload) if payload else None
        if done:
            values.append(done[1])
    floats = [np.frombuffer(v, "<f4", offset=4).reshape(2, -1, 3) for v in values]
    return np.concatenate([f[0] for f in floats]), np.concatenate([f[1] for f in floats])


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.all(a.view(np.int32) == b.view(np.int32)))


def measure(path: Path, folder: Path, speed: float = 20.0, seconds: float | None = None) -> Measured:
    """Record the log through the emulated Movesense without and with ``--raw``; redecode the raw one."""
    source, acc, gyr = source_of(path, seconds)
    sizes, capture = {}, 0
    for raw in (False, True):
        out = folder / f"{path.stem}-{'raw' if raw else 'plain'}.skr"
        result = asyncio.run(record_emulated("movesense", source, out, speed=speed, seed=1, raw=raw))
        sizes[raw], capture = out.stat().st_size, result.stats.raw_capture_bytes
    again = redecode(out)
    sent_acc, sent_gyr = floats_on_the_air(again.tape)
    with sqlite3.connect(out) as db:
        blocks = int(db.execute("SELECT sum(length(payload)) FROM blocks").fetchone()[0])
    return Measured(path.name, result.stats.samples_stored, sizes[False], sizes[True], capture, blocks,
                    same_bits(sent_acc, acc) and same_bits(sent_gyr, gyr), again.identical)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=default_shared_data(ROOT))
    ap.add_argument("--speed", type=float, default=20.0)
    args = ap.parse_args()
    data = require_shared_data(args.data)
    print(f"{'log':<26} {'samples':>7} {'plain B':>8} {'raw B':>8} {'growth':>7} {'capture':>8} {'capture B/sample':>17} "
          f"{'blocks B/sample':>16}  floats   redecode")
    with tempfile.TemporaryDirectory() as tmp:
        for log in LOGS:
            r = measure(data / log, Path(tmp), args.speed)
            print(f"{r.name:<26} {r.samples:>7} {r.plain_bytes:>8} {r.raw_bytes:>8} {r.growth:>7.0%} {r.capture_share:>8.0%} "
                  f"{r.capture_per_sample:>17.2f} {r.blocks_bytes / r.samples:>16.2f}  "
                  f"{'real' if r.floats_as_real else 'CHANGED'}     {'identical' if r.identical else 'DIFFERS'}")


if __name__ == "__main__":
    main()
