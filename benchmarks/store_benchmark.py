"""Store benchmark: a 24 h day of 100 Hz 6-axis samples written, sized and loaded back; bytes written while recording.

Targets (issue 2): load into NumPy in under 1 s, under 80 MB on disk.
Run by hand:  python benchmarks/store_benchmark.py [--hours 24] [--keep PATH]
              python benchmarks/store_benchmark.py --read RECORDING   (the read figures of an existing recording,
                                                                       and analyze's first pass on it)
              python benchmarks/store_benchmark.py --amplification [--seconds 120] [--scenario demo]

``--amplification`` (issue 15, point 15) records an emulated sensor in real time through the whole
path (``sensorkit record --emulate sensorkit --from`` a simulated recording of ``--scenario``: bleak,
the collector, the store) in a fresh process and reads that process's ``/proc/self/io`` around it:
``wchar``, the bytes it handed to the operating system (SQLite's log, file and journal writes), and
``write_bytes``, what the kernel charged it for writing to the disk (4 KiB page-cache pages, counted
again whenever a page dirtied after a flush to disk). Both per second of data, beside the growth of the
recording file itself. Linux only. ``--unsynced`` measures the same without the store's flush to disk
(SQLite's synchronous=OFF, which a power cut could corrupt), to show what that flush costs.

The day is the simulator's warehouse shift (walking, bending, lifting: the least compressible kind
of day) repeated to fill the hours, quantised to a +-16 g / +-2000 deg/s int16 sensor with that
sensor's noise. The load is timed in a fresh process (open to arrays in memory; the package import is reported
apart), so no cache of ours helps it. Before that load, the same process reads the recording block by
block (``iter_blocks``, one pass as ``analyze`` reads each of its passes) and reads back 100 minutes
spread over it (``samples(t, t + 60)``, as the alignment reads walking back): their CPU time is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sensorkit.samples import SampleBlock
from sensorkit.simulator import simulate
from sensorkit.store import RecordingWriter

LOAD_SCRIPT = """
import json, resource, sys, time
t0 = time.perf_counter()
from sensorkit.store import RecordingReader
import_s = time.perf_counter() - t0
import numpy as np
def cpu():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime
with RecordingReader(sys.argv[1]) as reader:
    c = cpu()
    samples = sum(len(part) for part in reader.iter_blocks())  # one pass, as analysis reads
    c_pass = cpu() - c
    span = reader.time_span()
    starts = span[0] + (span[1] - span[0] - 60.0) * (np.arange(100) * 0.618034 % 1.0)  # spread, not in order
    c = cpu()
    for start in starts:
        reader.samples(start, start + 60.0)
    c_minute = (cpu() - c) / len(starts)
    if sys.argv[2] == "first":
        from sensorkit.signal.first_pass import first_pass
        c = cpu()
        stats = first_pass(reader, reader.meta.rate_hz)
        c_first = cpu() - c
        from sensorkit.signal.alignment import alignment_from
        alignment_from(stats, reader.samples, reader.meta)  # SciPy's import and first calls left out
        with RecordingReader(sys.argv[1]) as again:
            c = cpu()
            alignment_from(stats, again.samples, again.meta)
            c_align = cpu() - c
t1 = time.perf_counter()
u1 = resource.getrusage(resource.RUSAGE_SELF)
with RecordingReader(sys.argv[1]) as reader:
    block = reader.samples()
t2 = time.perf_counter()
u2 = resource.getrusage(resource.RUSAGE_SELF)
load_cpu = u2.ru_utime - u1.ru_utime + u2.ru_stime - u1.ru_stime
rss = u2.ru_maxrss / 1024
print(json.dumps({"import_s": import_s, "load_s": t2 - t1, "cpu_s": load_cpu, "samples": len(block), "peak_rss_mb": rss,
                  "pass_cpu_s": c_pass, "minute_cpu_s": c_minute, "hours": (span[1] - span[0]) / 3600,
                  "first_cpu_s": c_first if sys.argv[2] == "first" else None,
                  "align_cpu_s": c_align if sys.argv[2] == "first" else None}))
"""


def write_day(path: Path, hours: float) -> tuple[float, int]:
    shift = simulate("warehouse", seed=1, duration_s=8 * 3600.0, rate_hz=100.0)
    shift_len = shift.block.t[-1] + 0.01
    repeats = int(np.ceil(hours / 8.0))
    start = time.perf_counter()
    written = 0
    with RecordingWriter(path, shift.meta, overwrite=True) as writer:
        for k in range(repeats):
            block = shift.block
            keep = block.t + k * shift_len < hours * 3600.0
            for lo in range(0, int(keep.sum()), 6000):  # one minute per append, as a collector would
                hi = min(lo + 6000, int(keep.sum()))
                part = block.slice(lo, hi)
                writer.append(SampleBlock(part.t + k * shift_len, part.acc, part.gyr))
                written += hi - lo
    return time.perf_counter() - start, written


RECORD_SCRIPT = """
import json, sys
from pathlib import Path
from sensorkit.cli.main import main
if sys.argv[4] == "unsynced":  # what the per-second flush to disk costs: SQLite's synchronous=OFF
    import sensorkit.store.recording as store
    connect = store._connect_for_writing
    def unsynced(path):
        db = connect(path)
        db.execute("PRAGMA synchronous=OFF")
        return db
    store._connect_for_writing = unsynced
def io():
    return {k: int(v) for k, v in (line.split(': ') for line in Path('/proc/self/io').read_text().splitlines())}
before = io()
code = main(['record', '--emulate', 'sensorkit', '--from', sys.argv[1], '--duration', sys.argv[3], '-o', sys.argv[2]])
after = io()
print(json.dumps({'code': code, 'wchar': after['wchar'] - before['wchar'],
                  'write_bytes': after['write_bytes'] - before['write_bytes']}))
"""


def amplification(seconds: float, scenario: str, unsynced: bool = False) -> None:
    """Bytes written per second of data by a real-time recording, end to end (see the module docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "source.skr", Path(tmp) / "recorded.skr"
        sim = simulate(scenario, seed=1, duration_s=max(seconds + 10.0, 60.0), rate_hz=100.0)
        with RecordingWriter(source, sim.meta) as writer:
            writer.append(sim.block)
        done = subprocess.run([sys.executable, "-c", RECORD_SCRIPT, str(source), str(out), f"{seconds:g}",
                               "unsynced" if unsynced else "synced"],
                              capture_output=True, text=True, check=True, cwd=tmp)  # imports the installed package
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        size = os.path.getsize(out)
    print(f"recorded {seconds:g} s of the simulated '{scenario}' scenario in real time (100 Hz, 6 axes), exit {figures['code']}"
          + (" (unsynced: no flush to disk, NOT power-cut safe; for comparison only)" if unsynced else ""))
    print(f"recording file: {size / seconds:.0f} bytes per second of data")
    print(f"handed to the OS (wchar): {figures['wchar'] / seconds:.0f} bytes per second of data "
          f"({figures['wchar'] / size:.1f}x the file)")
    print(f"charged as disk writes (write_bytes): {figures['write_bytes'] / seconds:.0f} bytes per second of data")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--keep", type=Path, help="write the day here and keep it")
    parser.add_argument("--read", type=Path, help="only read back this recording (no day written)")
    parser.add_argument("--amplification", action="store_true", help="bytes written per second of data while recording")
    parser.add_argument("--seconds", type=float, default=120.0, help="with --amplification: seconds to record")
    parser.add_argument("--scenario", default="demo", help="with --amplification: the simulated scenario streamed")
    parser.add_argument("--unsynced", action="store_true",
                        help="with --amplification: measure the store without its flush to disk (comparison only)")
    args = parser.parse_args()
    if args.amplification:
        amplification(args.seconds, args.scenario, args.unsynced)
        return
    if args.read:
        loads = read_back(args.read, first=True)
        print(f"{args.read}: {loads[0]['samples']} samples ({loads[0]['hours']:.3g} h)")
        print_reads(loads)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "day.skr"
        write_s, samples = write_day(path, args.hours)
        size_mb = os.path.getsize(path) / 1e6
        loads = read_back(path)
    print(f"{samples} samples ({args.hours:g} h at 100 Hz, 6 axes)")
    print(f"write: {write_s:.1f} s ({write_s / args.hours:.2f} s per hour of data)")
    print(f"size on disk: {size_mb:.1f} MB (target < 80 MB)")
    print_reads(loads)


def read_back(path: Path, first: bool = False) -> list[dict]:
    """Three fresh processes reading ``path`` (:data:`LOAD_SCRIPT`); ``first``: analyze's first pass too."""
    return [json.loads(subprocess.run([sys.executable, "-c", LOAD_SCRIPT, str(path), "first" if first else "-"],
                                      capture_output=True, text=True, check=True).stdout)
            for _ in range(3)]


def print_reads(loads: list[dict]) -> None:
    best = min(load["load_s"] for load in loads)
    print(f"load into NumPy, fresh process: best {best:.2f} s of {[round(l['load_s'], 2) for l in loads]} (target < 1 s); "
          f"CPU time best {min(l['cpu_s'] for l in loads):.2f} s (what a busy machine cannot inflate)")
    print(f"import of sensorkit.store (numpy, zstandard) before that: {min(l['import_s'] for l in loads):.2f} s")
    print(f"peak RSS of the loading process: {max(l['peak_rss_mb'] for l in loads):.0f} MB")
    per_day = 24.0 / loads[0]["hours"]
    print(f"one pass block by block (iter_blocks, as analysis reads), CPU time: best "
          f"{min(l['pass_cpu_s'] for l in loads) * per_day:.3f} s per 24 h of data")
    print(f"a minute read back (samples(t, t + 60) at 100 spread places), CPU time: best "
          f"{min(l['minute_cpu_s'] for l in loads) * 1e3:.2f} ms each")
    if loads[0]["first_cpu_s"] is not None:
        print(f"analyze's first pass (the blocks fed to the window statistics and the wear detector), CPU time: "
              f"best {min(l['first_cpu_s'] for l in loads) * per_day:.3f} s per 24 h of data")
        print(f"the alignment from its statistics (alignment_from, reading its minutes of walking back through a "
              f"fresh reader), CPU time: best {min(l['align_cpu_s'] for l in loads):.3f} s")


if __name__ == "__main__":
    main()
