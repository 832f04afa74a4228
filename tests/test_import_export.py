"""CSV/Parquet import and export: round trips, units, bad rows with line numbers, and the CLI's manners."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensorkit.cli.main import main
from sensorkit.errors import ImportFormatError
from sensorkit.importer import read_csv
from sensorkit.samples import STANDARD_GRAVITY
from sensorkit.store import RecordingReader


def sample_csv(path: Path, n: int = 500, rate: float = 50.0, gyro: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"time": np.round(np.arange(n) / rate, 6)})
    for axis in "xyz":
        frame[f"acc_{axis}"] = np.round(rng.normal(0, 0.5, n), 6)
    if gyro:
        for axis in "xyz":
            frame[f"gyr_{axis}"] = np.round(rng.normal(0, 30, n), 6)
    frame.to_csv(path, index=False, float_format="%.6f")
    return frame


def run_cli(*args: str) -> int:
    return main(list(args))


def test_import_converts_units_once(tmp_path: Path) -> None:
    frame = sample_csv(tmp_path / "in.csv")
    block, meta, report = read_csv(tmp_path / "in.csv")
    assert report.rows == 500 and not report.bad_lines
    assert meta.rate_hz == pytest.approx(50.0)
    np.testing.assert_allclose(block.acc[:, 0], frame["acc_x"] * STANDARD_GRAVITY, atol=1e-9)
    np.testing.assert_allclose(block.gyr[:, 2], np.deg2rad(frame["gyr_z"]), atol=1e-12)
    block2, _, _ = read_csv(tmp_path / "in.csv", acc_unit="m/s2")
    np.testing.assert_allclose(block2.acc[:, 0], frame["acc_x"], atol=1e-12)
    # deg/s values read as rad/s: rows beyond 4000 deg/s (69.8 rad/s) are impossible and skipped
    block3, _, report3 = read_csv(tmp_path / "in.csv", gyro_unit="rad/s")
    beyond = (np.rad2deg(frame[["gyr_x", "gyr_y", "gyr_z"]].abs()) > 4000).any(axis=1).to_numpy()
    assert 0 < beyond.sum() == len(report3.bad_lines) and len(block3) == 500 - beyond.sum()
    assert report3.reasons == {"angular rate beyond 4000 deg/s": beyond.sum()}
    np.testing.assert_allclose(block3.gyr[:, 2], frame["gyr_z"][~beyond], atol=1e-12)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_export_then_import_round_trips(tmp_path: Path, suffix: str) -> None:
    frame = sample_csv(tmp_path / "in.csv")
    assert run_cli("import", str(tmp_path / "in.csv"), "-o", str(tmp_path / "a")) == 0
    assert run_cli("export", str(tmp_path / "a"), "-o", str(tmp_path / f"out{suffix}")) == 0
    assert run_cli("import", str(tmp_path / f"out{suffix}"), "-o", str(tmp_path / "b")) == 0
    with RecordingReader(tmp_path / "a") as a, RecordingReader(tmp_path / "b") as b:
        sa, sb = a.samples(), b.samples()
        assert a.meta.start_time == b.meta.start_time
    np.testing.assert_allclose(sb.t, sa.t, atol=2e-6)
    np.testing.assert_allclose(sb.acc / STANDARD_GRAVITY, frame[["acc_x", "acc_y", "acc_z"]], atol=1e-6)
    np.testing.assert_allclose(np.rad2deg(sb.gyr), frame[["gyr_x", "gyr_y", "gyr_z"]], atol=1e-6)


def test_iso_timestamps_and_accelerometer_only(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        "timestamp,acc_x,acc_y,acc_z\n"
        "2026-11-27T08:00:00.00Z,0,0,1\n2026-11-27T08:00:00.05Z,0,0,1\n"
        "2026-11-27T08:00:00.10Z,0,0,1\n2026-11-27T08:00:00.30Z,0,0,1\n"
    )
    block, meta, _ = read_csv(path)
    assert block.gyr is None and not meta.has_gyro
    assert meta.start_time.startswith("2026-11-27T08:00:00")
    np.testing.assert_allclose(block.t, [0, 0.05, 0.10, 0.30], atol=1e-9)  # the gap is kept


def test_garbage_rows_are_reported_by_line_number(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        "time,acc_x,acc_y,acc_z\n"
        "0.00,0,0,1\n0.01,0,0,1\n0.02,zz,0,1\n0.03,0,0,1\n\n"
        "0.03,0,0,1\n0.04,0,0,1,7\n0.05,0,0\n0.06,0,0,1\n"
    )
    block, _, report = read_csv(path, rate_hz=100)
    assert len(block) == 4
    assert report.bad_lines == [4, 7, 8, 9]  # garbage, repeated time, too many and too few fields
    assert "4, 7, 8, 9" in report.describe()


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty"),
        ("acc_x,acc_y,acc_z\n1,2,3\n", "no 'time' or 'timestamp'"),
        ("time,acc_x,acc_y\n0,1,2\n", "lacks the column"),
        ("time,acc_x,acc_y,acc_z\nx,y,z,w\n", "no usable rows"),
        ("time,acc_x,acc_y,acc_z\n" + "".join(f"{i},0,0,1\n" for i in range(10)), "outside 10-400 Hz"),
    ],
)
def test_bad_files_get_one_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "in.csv"
    path.write_text(content)
    with pytest.raises(ImportFormatError, match=message):
        read_csv(path)


def test_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ImportFormatError):
        read_csv(path)


def test_info_json_is_the_documented_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample_csv(tmp_path / "in.csv", n=1000, rate=100.0)
    frame = pd.read_csv(tmp_path / "in.csv")
    frame.drop(index=range(300, 340)).to_csv(tmp_path / "gappy.csv", index=False)
    assert run_cli("import", str(tmp_path / "gappy.csv"), "-o", str(tmp_path / "r")) == 0
    capsys.readouterr()
    assert run_cli("info", str(tmp_path / "r"), "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == 1  # README: raised when a key changes meaning or goes
    assert doc["samples"] == 960 and isinstance(doc["samples"], int)
    assert doc["rate_hz"] == pytest.approx(100.0)
    assert doc["duration_s"] == pytest.approx(10.0)
    assert doc["gaps"] == [{"start": 2.99, "end": 3.4, "samples": 40}]
    assert run_cli("analyze", str(tmp_path / "r"), "--json") == 0  # import saved the analysis with the recording
    assert doc["events"] == len(json.loads(capsys.readouterr().out)["events"]) > 0


def test_events_export(tmp_path: Path) -> None:
    from sensorkit.events import Event
    from sensorkit.store import RecordingWriter

    block, meta, _ = read_csv(sample_csv(tmp_path / "in.csv") is not None and tmp_path / "in.csv")
    with RecordingWriter(tmp_path / "r", meta) as writer:
        writer.append(block)
        writer.add_events([Event("bend", 1.0, 2.0, {"peak_flexion_deg": 45.0})])
    assert run_cli("export", str(tmp_path / "r"), "--events", "-o", str(tmp_path / "e.csv")) == 0
    events = pd.read_csv(tmp_path / "e.csv", keep_default_na=False)
    row = events.to_dict("records")[0]
    assert len(events) == 1 and {k: row[k] for k in ("patient", "type", "start", "end", "peak_flexion_deg")} == {
        "patient": "", "type": "bend", "start": 1.0, "end": 2.0, "peak_flexion_deg": 45.0}
    start = pd.Timestamp(meta.start_time)  # the local clock times (the tests' computer is on UTC)
    ms = pd.Timedelta(milliseconds=1)
    assert abs(pd.Timestamp(row["start_local"]) - (start + pd.Timedelta(seconds=1))) < ms
    assert abs(pd.Timestamp(row["end_local"]) - (start + pd.Timedelta(seconds=2))) < ms


def test_cli_exit_codes_and_no_traceback(tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "sensorkit.cli", *args], capture_output=True, text=True)

    ok = cli("--help")
    assert ok.returncode == 0 and "import" in ok.stdout
    usage = cli("info")
    assert usage.returncode == 2
    (tmp_path / "junk").write_text("hello")
    failed = cli("info", str(tmp_path / "junk"))
    assert failed.returncode == 1
    assert failed.stderr.strip().count("\n") == 0 and "Traceback" not in failed.stderr
    assert "not a SensorKit recording" in failed.stderr
    debug = cli("--debug", "info", str(tmp_path / "junk"))
    assert debug.returncode == 1 and "Traceback" in debug.stderr
    bad_ext = cli("export", str(tmp_path / "junk"), "-o", str(tmp_path / "x.txt"))
    assert bad_ext.returncode == 1
