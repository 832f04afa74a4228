"""Peak memory of importing research device files of growing length: read a part at a time
(Axivity .cwa, ActiGraph NEO .gt3x) against whole through actfast (ActiGraph log.bin .gt3x,
GENEActiv .bin, and .cwa before it was read here).

Run by hand:  python benchmarks/device_import_benchmark.py [--hours 1 6 24] [--data ../shared/data]

The long files are built from the real ones in ../shared/data/formats, read there and never copied
into the repository: the data blocks of ``axivity_cwa/ax3_testfile.cwa`` (AX3, 100 Hz, packed) are
repeated with their clock moved on by the file's length each time (sequence numbers and checksums
rewritten), and the ``activity.bin`` of ``actigraph_gt3x/pygt3x/neo.gt3x`` (30 Hz) is repeated in a
new zip with its ``info.txt``. Each import runs in a fresh process that reports its peak RSS, which
includes loading the command-line program (~190 MB); "actfast" is the same .cwa imported through
``actfast.read``, the path .gt3x (log.bin) and GENEActiv .bin files still take, so its growth per
hour is theirs (at the same rate and axes).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RUN = """
import resource, sys, time
from sensorkit.cli.main import main
if sys.argv[1] == "actfast":
    from sensorkit import axivity_cwa, device_files
    axivity_cwa.open_file = lambda path: device_files._actfast_file(path, "axivity")
t0 = time.perf_counter()
code = main(["import", *sys.argv[2:]])
print("BENCH", time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, code)
"""


def _pack(moment: datetime) -> int:
    return ((moment.year - 2000) << 26 | moment.month << 22 | moment.day << 17 | moment.hour << 12
            | moment.minute << 6 | moment.second)


def _unpack(packed: int) -> datetime:
    return datetime(2000 + (packed >> 26 & 0x3F), packed >> 22 & 0x0F, packed >> 17 & 0x1F,
                    packed >> 12 & 0x1F, packed >> 6 & 0x3F, packed & 0x3F)


def long_cwa(source: Path, target: Path, hours: float) -> int:
    """The AX3 file's data blocks repeated, each copy later by the source's length; samples written."""
    data = source.read_bytes()
    header, blocks = data[:1024], np.frombuffer(data[1024:], np.uint8).reshape(-1, 512).copy()
    stamps = blocks[:, 14:18].copy().view("<u4")[:, 0]
    moments = [_unpack(int(s)) for s in stamps]
    span = (moments[-1] - moments[0]).total_seconds() + 2  # whole seconds: the fractions stay valid
    copies = int(np.ceil(hours * 3600 / span))
    samples = 0
    with target.open("wb") as out:
        out.write(header)
        for k in range(copies):
            part = blocks.copy()
            part[:, 14:18] = np.array([_pack(m + timedelta(seconds=k * span)) for m in moments],
                                      dtype="<u4").view(np.uint8).reshape(-1, 4)
            part[:, 10:14] = (np.arange(len(part), dtype="<u4") + k * len(part)).view(np.uint8).reshape(-1, 4)
            words = part.view("<u2")
            words[:, 255] = 0
            words[:, 255] = (-words[:, :255].astype(np.int64).sum(axis=1)) & 0xFFFF
            out.write(part.tobytes())
            samples += int(part[:, 28:30].copy().view("<u2")[:, 0].sum())
    return samples


def long_neo(source: Path, target: Path, hours: float) -> int:
    """The NEO file's activity.bin repeated (its 81,018 bytes are whole sample pairs); samples written."""
    with zipfile.ZipFile(source) as archive:
        info, activity = archive.read("info.txt"), archive.read("activity.bin")
    copies = int(np.ceil(hours * 3600 * 30 / (len(activity) * 8 // 36)))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("info.txt", info)
        with archive.open("activity.bin", "w", force_zip64=True) as f:
            for _ in range(copies):
                f.write(activity)
    return copies * len(activity) * 8 // 36


def run(mode: str, path: Path, out: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one import in a fresh process."""
    done = subprocess.run([sys.executable, "-c", RUN, mode, str(path), "-o", str(out), "--force"],
                          capture_output=True, text=True, cwd=tempfile.gettempdir())
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCH")), None)
    if line is None or not line.endswith(" 0"):
        raise SystemExit(f"{mode} {path} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    _, seconds, rss, _ = line.split()
    return float(seconds), float(rss)


def main() -> None:
    from sensorkit.datasets.location import default_shared_data, require_shared_data

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, nargs="+", default=[1.0, 6.0, 24.0])
    parser.add_argument("--data", type=Path, default=default_shared_data(ROOT))
    parser.add_argument("--skip-actfast", action="store_true")
    args = parser.parse_args()
    formats = require_shared_data(args.data) / "formats"
    folder = Path(tempfile.mkdtemp(prefix="device-bench-"))
    results = []
    try:
        for hours in args.hours:
            cwa, neo, rec = folder / "long.cwa", folder / "long.gt3x", folder / "r.skr"
            row: dict[str, object] = {"hours": hours, "cwa_samples": long_cwa(formats / "axivity_cwa" / "ax3_testfile.cwa",
                                                                               cwa, hours)}
            row["cwa_mb"] = round(cwa.stat().st_size / 1e6, 1)
            seconds, rss = run("parts", cwa, rec)
            row.update(cwa_s=round(seconds, 1), cwa_peak_rss_mb=round(rss))
            if not args.skip_actfast:
                seconds, rss = run("actfast", cwa, rec)
                row.update(cwa_actfast_s=round(seconds, 1), cwa_actfast_peak_rss_mb=round(rss))
            row["neo_samples"] = long_neo(formats / "actigraph_gt3x" / "pygt3x" / "neo.gt3x", neo, hours)
            seconds, rss = run("parts", neo, rec)
            row.update(neo_s=round(seconds, 1), neo_peak_rss_mb=round(rss))
            results.append(row)
            print(json.dumps(row), flush=True)
            cwa.unlink()
            neo.unlink()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
