"""Peak memory of importing research device files of growing length: read a part at a time
(Axivity .cwa, ActiGraph NEO .gt3x) against whole through actfast (how .cwa, log.bin .gt3x and
GENEActiv .bin were read before sensorkit read them itself).

Run by hand:  python benchmarks/device_import_benchmark.py [--hours 1 6 24] [--data ../shared/data]

The long files are built from the real ones in ../shared/data/formats, read there and never copied
into the repository: the data blocks of ``axivity_cwa/ax3_testfile.cwa`` (AX3, 100 Hz, packed) are
repeated with their clock moved on by the file's length each time (sequence numbers and checksums
rewritten), the ``activity.bin`` of ``actigraph_gt3x/pygt3x/neo.gt3x`` (30 Hz) is repeated in a
new zip with its ``info.txt``, the activity records of ``actigraph_gt3x/actfast/actigraph.gt3x``
(60 Hz log.bin) and the pages of ``geneactiv_bin/actfast/geneactiv.bin`` (60 Hz) likewise, their
times moved on. Each import runs in a fresh process that reports its peak RSS, which
includes loading the command-line program; "actfast" is the same .cwa imported through
``actfast.read`` (the test extra installs it), which holds the whole recording: its growth per hour
is what every actfast format costs at the same rate and axes.
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
if sys.argv[1] == "actfast":  # the whole file through actfast.read, then stored in blocks as before
    import actfast, numpy as np
    from sensorkit import formats
    from sensorkit.device_files import DeviceFile

    def whole(path, kind):
        series = actfast.read(str(path), lenient=True)["timeseries"]["high_frequency"]
        t = series["datetime"].astype(np.float64) / 1e9
        acc = np.asarray(series["acceleration"], dtype=np.float64)
        parts = lambda: ((t[i:i + 60000], acc[i:i + 60000], None) for i in range(0, t.size, 60000))
        return DeviceFile(kind, False, parts, rate_hz=100.0)

    formats.open_device_file = whole
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


def long_log_bin(source: Path, target: Path, hours: float) -> int:
    """The wGT3X-BT file's log.bin activity records repeated, each copy later by the source's span
    (UNIX seconds and checksums rewritten; its other records kept once); samples written."""
    with zipfile.ZipFile(source) as archive:
        info, log = archive.read("info.txt"), archive.read("log.bin")
    records, i = [], 0
    while i + 8 <= len(log):
        size = int.from_bytes(log[i + 6:i + 8], "little")
        records.append(log[i:i + 9 + size])
        i += 9 + size
    activity = [r for r in records if r[1] == 0x00 and len(r) > 10]
    seconds = [int.from_bytes(r[2:6], "little") for r in activity]
    span = seconds[-1] - seconds[0] + 1
    copies = int(np.ceil(hours * 3600 / span))
    samples = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("info.txt", info)
        with archive.open("log.bin", "w", force_zip64=True) as f:
            f.write(b"".join(r for r in records if r not in activity))
            for k in range(copies):
                for record, second in zip(activity, seconds):
                    body = bytearray(record[:-1])
                    body[2:6] = (second + k * span).to_bytes(4, "little")
                    f.write(bytes(body) + bytes([~int(np.bitwise_xor.reduce(np.frombuffer(bytes(body), np.uint8))) & 0xFF]))
                    samples += (len(record) - 9) * 8 // 36
    return samples


def long_geneactiv(source: Path, target: Path, hours: float) -> int:
    """The GENEActiv file's pages repeated, each copy later by the source's span (Page Time rewritten)."""
    lines = [line.rstrip(b"\r") for line in source.read_bytes().split(b"\n")]
    first = lines.index(b"Recorded Data")
    header, pages = lines[:first], [lines[k:k + 10] for k in range(first, len(lines) - 9, 10)]
    stamp = "%Y-%m-%d %H:%M:%S:%f"
    times = [datetime.strptime(page[3][10:].decode(), stamp) for page in pages]
    span = (times[-1] - times[0]).total_seconds() + 300 / 60.0
    copies = int(np.ceil(hours * 3600 / span))
    with target.open("wb") as out:
        out.write(b"\r\n".join(header) + b"\r\n")
        for k in range(copies):
            for page, moment in zip(pages, times):
                shifted = (moment + timedelta(seconds=k * span)).strftime(stamp)[:-3].encode()
                out.write(b"\r\n".join([*page[:3], b"Page Time:" + shifted, *page[4:]]) + b"\r\n")
    return copies * len(pages) * 300


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
            log = folder / "log.gt3x"
            row["log_bin_samples"] = long_log_bin(formats / "actigraph_gt3x" / "actfast" / "actigraph.gt3x", log, hours)
            seconds, rss = run("parts", log, rec)
            row.update(log_bin_s=round(seconds, 1), log_bin_peak_rss_mb=round(rss))
            geneactiv = folder / "long.bin"
            row["geneactiv_samples"] = long_geneactiv(formats / "geneactiv_bin" / "actfast" / "geneactiv.bin",
                                                      geneactiv, hours)
            seconds, rss = run("parts", geneactiv, rec)
            row.update(geneactiv_s=round(seconds, 1), geneactiv_peak_rss_mb=round(rss))
            results.append(row)
            print(json.dumps(row), flush=True)
            for done in (cwa, neo, log, geneactiv):
                done.unlink()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
