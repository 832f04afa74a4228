"""Does every real file in ../shared/data/formats import with no options? (issue 12, first done-when)

    python validation/import_formats.py [--data ../shared/data]

Each file of the folder (but its README, SOURCE and LICENSE texts) is imported as a user would,
``sensorkit import FILE`` with no options, and the outcome tabulated as Markdown: the format
recognised, samples, rate, units, gyroscope, start, rows skipped; or the one-sentence error. A
file that holds no samples of its own (a gyroscope file read with its session's accelerometer
file, an app's metadata) must say which file to import; a file with no times at all must ask
for ``--rate`` and ``--start``, and is then imported with them (the rate its source states). The
run fails on any other error: a file whose format was not recognised, or a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sensorkit.datasets.location import default_shared_data, require_shared_data
from sensorkit.errors import SensorKitError
from sensorkit.importer import ImportOptions, read_all

ROOT = Path(__file__).resolve().parents[1]
NOT_DATA = ("README.md", "SOURCE.txt")
# the rate each source says a file without times was recorded at (its SOURCE.txt)
STATED_RATE_HZ = {"example_data.TXT": 20.0, "20220714084918.txt": 10.0}
COMPANION = ("import the", "is phyphox's experiment metadata")  # errors that point to the session's sample file


def data_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in NOT_DATA
                  and not p.name.startswith("LICENSE"))


def outcome(path: Path) -> tuple[str, bool]:
    """(the table row's outcome, whether it is acceptable)."""
    try:
        block, meta, report = read_all(path, ImportOptions())
    except SensorKitError as exc:
        message = str(exc).replace(str(path.parent) + "/", "").replace("|", "\\|")
        if "has no sample times" in message and path.name in STATED_RATE_HZ:
            rate = STATED_RATE_HZ[path.name]
            block, meta, _ = read_all(path, ImportOptions(rate_hz=rate, start="2000-01-01T00:00:00"))
            return f"no times: asks for --rate/--start; with --rate {rate:g}: {len(block)} samples", True
        return f"error: {message}", any(marker in message for marker in COMPANION)
    except Exception as exc:  # noqa: BLE001 - a traceback is what this run exists to catch
        return f"CRASH: {type(exc).__name__}: {exc}", False
    units = meta.source.rsplit("(", 1)[-1].rstrip(")")
    return (f"{len(block)} samples, {meta.rate_hz:.4g} Hz, {units}, gyro {'yes' if meta.has_gyro else 'no'}, "
            f"start {meta.start_time} ({report.start_from}), {report.skipped} rows skipped"), True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=default_shared_data(ROOT))
    args = parser.parse_args()
    require_shared_data(args.data)
    folder = args.data / "formats"
    print("| file | outcome with no options |\n|---|---|")
    failed = 0
    for path in data_files(folder):
        text, ok = outcome(path)
        failed += not ok
        print(f"| `{path.relative_to(folder)}` | {text} |")
    print(f"\n{'PASS' if failed == 0 else 'FAIL'}: {failed} file(s) neither imported nor pointed to the file to import")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
