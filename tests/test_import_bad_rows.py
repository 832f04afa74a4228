"""One bad row costs one row (issue 15, points 6 and 7): impossible times and values are skipped and
listed, never allowed to drop the rest of the file, overflow the store or distort an analysis."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensorkit.cli.main import main
from sensorkit.errors import ImportFormatError
from sensorkit.importer import MAX_ACC_G, increasing_rows, read_csv
from sensorkit.store import RecordingReader

N = 12_000
START = 1_764_900_000.0  # 2025-12-05, UNIX seconds


def write_rows(path: Path, n: int = N, relative: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"time": np.round(np.arange(n) / 100.0 + (0.0 if relative else START), 6)})
    for axis in "xyz":
        frame[f"acc_{axis}"] = np.round(rng.normal(0, 0.5, n), 6)
    for axis in "xyz":
        frame[f"gyr_{axis}"] = np.round(rng.normal(0, 30, n), 6)
    frame.to_csv(path, index=False, float_format="%.6f")
    return frame


def replace_line(path: Path, line: int, text: str) -> None:
    """Line numbers as a user sees them: the header is line 1."""
    lines = path.read_text().splitlines(keepends=True)
    lines[line - 1] = text + "\n"
    path.write_text("".join(lines))


def field_of(path: Path, line: int, column: int, value: str) -> None:
    cells = path.read_text().splitlines()[line - 1].split(",")
    cells[column] = value
    replace_line(path, line, ",".join(cells))


def test_a_time_of_1e30_skips_that_row_only(tmp_path: Path) -> None:
    # before: 99 % of the rows dropped and t = -7.48e9 s stored (int64 nanosecond overflow)
    path = tmp_path / "in.csv"
    write_rows(path)
    field_of(path, 50, 0, "1e30")
    assert main(["import", str(path), "-o", str(tmp_path / "r")]) == 0
    with RecordingReader(tmp_path / "r") as reader:
        block = reader.samples()
        assert reader.meta.start_time == "2025-12-05T02:00:00Z"
        assert reader.meta.extra["import_report"]["skipped_lines"] == [50]
    assert len(block) == N - 1
    assert block.t[0] == 0.0 and block.t[-1] == pytest.approx((N - 1) / 100.0)


@pytest.mark.parametrize("bad_time", ["1e9", "-1e30", "inf", "1e15"])
def test_one_wild_time_in_a_relative_file_is_one_skipped_row(tmp_path: Path, bad_time: str) -> None:
    path = tmp_path / "in.csv"
    write_rows(path, relative=True)
    field_of(path, 4000, 0, bad_time)
    block, meta, report = read_csv(path, start="2025-12-05T08:00:00")
    assert len(block) == N - 1 and report.bad_lines == [4000]
    assert block.t[-1] == pytest.approx((N - 1) / 100.0)
    assert meta.start_time == "2025-12-05T08:00:00Z" and report.start_from == "--start"


def test_an_extra_field_on_the_first_row_skips_that_row_only(tmp_path: Path) -> None:
    # before: pandas took the extra field as an index column, 11,999 of 12,000 rows were dropped
    # and the start came from the file's modification time
    path = tmp_path / "in.csv"
    write_rows(path)
    lines = path.read_text().splitlines(keepends=True)
    lines[1] = lines[1].rstrip("\n") + ",5\n"
    path.write_text("".join(lines))
    block, meta, report = read_csv(path)
    assert len(block) == N - 1
    assert report.bad_lines == [2] and report.reasons == {"wrong number of fields": 1}
    assert report.start_from == "file" and meta.start_time == "2025-12-05T02:00:00.010000Z"


def test_a_timestamp_far_from_the_rest_and_out_of_order_rows(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    stamps = pd.date_range("2026-03-01T10:00:00", periods=500, freq="10ms").strftime("%Y-%m-%dT%H:%M:%S.%f")
    frame = pd.DataFrame({"timestamp": stamps, "acc_x": 0.0, "acc_y": 0.0, "acc_z": 1.0})
    frame.loc[10, "timestamp"] = "2099-01-01T00:00:00"  # within the sane range, a century from the rest
    frame.loc[300, "timestamp"] = frame.loc[100, "timestamp"]  # back in time
    frame.to_csv(path, index=False)
    block, meta, report = read_csv(path)
    assert len(block) == 498 and report.bad_lines == [12, 302]
    assert set(report.reasons) == {"time more than a month from the rest of the file",
                                   "time not after the previous row"}
    assert meta.start_time == "2026-03-01T10:00:00Z" and block.t[-1] == pytest.approx(4.99)


def test_the_longest_increasing_run_is_kept() -> None:
    t = np.array([0.0, 1, 2, 1e9, 4, 5, 3, 6, 6, 7])
    assert increasing_rows(t).tolist() == [0, 1, 2, 4, 5, 7, 9]  # the repeated 6: first kept
    assert increasing_rows(np.array([5.0, 0, 1, 2, 3])).tolist() == [1, 2, 3, 4]
    assert increasing_rows(np.arange(5.0)).tolist() == [0, 1, 2, 3, 4]


def longest_increasing_length(t: np.ndarray) -> int:
    """The textbook O(n^2) answer, for checking the fast one."""
    best = [1] * t.size
    for i in range(t.size):
        for j in range(i):
            if t[j] < t[i]:
                best[i] = max(best[i], best[j] + 1)
    return max(best, default=0)


def test_the_kept_run_is_a_longest_one_on_random_disorder() -> None:
    rng = np.random.default_rng(15)
    for trial in range(400):
        n = int(rng.integers(2, 40))
        t = np.sort(rng.integers(0, 40, n)).astype(float)  # ordered with repeats, then disturbed
        for _ in range(int(rng.integers(0, 5))):
            t[rng.integers(0, n)] = rng.integers(-10, 60)
        if trial % 3 == 0:
            t = rng.integers(0, 20, n).astype(float)
        kept = increasing_rows(t)
        assert np.all(np.diff(kept) > 0) and np.all(np.diff(t[kept]) > 0)
        assert kept.size == longest_increasing_length(t), t


def test_values_beyond_any_sensor_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    write_rows(path)
    field_of(path, 100, 1, "3000")  # acc_x 3000 g
    field_of(path, 200, 3, "-250")  # acc_z -250 g
    field_of(path, 300, 5, "1e30")  # gyr_y
    field_of(path, 400, 2, f"{MAX_ACC_G:g}")  # exactly at the limit: a saturated high-g sensor, kept
    block, _, report = read_csv(path)
    assert len(block) == N - 3 and report.bad_lines == [100, 200, 300]
    assert report.reasons == {"acceleration beyond 200 g": 2, "angular rate beyond 4000 deg/s": 1}


def test_a_wrong_unit_is_named_when_nothing_is_left(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    frame = write_rows(path, n=200)
    frame[["acc_x", "acc_y", "acc_z"]] = frame[["acc_x", "acc_y", "acc_z"]] * 50 + 1000  # milli-g
    frame.to_csv(path, index=False)
    with pytest.raises(ImportFormatError, match="is the unit right"):
        read_csv(path)


def test_a_file_cut_mid_line_is_reported_as_incomplete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # before: a truncated export re-imported with exit 0 and no word about the missing rest
    path = tmp_path / "in.csv"
    write_rows(path, n=1000)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    cut_line = path.read_text().count("\n") + 1
    assert main(["import", str(path), "-o", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err
    assert "incomplete" in err and f"skipped lines: {cut_line}" in err
    with RecordingReader(tmp_path / "r") as reader:
        report = reader.meta.extra["import_report"]
        assert report["cut_short"] is True and report["skipped_lines"] == [cut_line]
        assert reader.sample_count() == cut_line - 2


def test_relative_times_say_where_the_start_came_from(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.csv"
    write_rows(path, n=300, relative=True)
    assert main(["import", str(path), "-o", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err
    with RecordingReader(tmp_path / "r") as reader:
        start = reader.meta.start_time
    assert f"no --start; its start was guessed from the file's modification time, {start}" in err


@pytest.fixture(scope="module")
def simulated_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sim")
    assert main(["simulate", "--scenario", "demo", "--duration", "120", "-o", str(folder / "sim.skr")]) == 0
    assert main(["export", str(folder / "sim.skr"), "-o", str(folder / "sim.csv")]) == 0
    return folder / "sim.csv"


def analyze_json(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[dict, str]:
    capsys.readouterr()
    assert main(["analyze", str(path), "--json"]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def test_analyze_skips_impossible_values_and_reports_them(
    simulated_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # before: 12 cells of 1e30 g turned the day into 120 s of lying with no bends or steps, and one
    # 3000 g sample took the sitting time to 0
    clean, _ = analyze_json(simulated_csv, capsys)
    frame = pd.read_csv(simulated_csv)
    rows = np.arange(1000, 11_000, 1000)
    frame.loc[rows, "acc_x"] = 1e30
    frame.loc[[500, 5500], "acc_z"] = -1e30
    frame.loc[7777, "acc_y"] = 3000.0
    bad = tmp_path / "bad.csv"
    frame.to_csv(bad, index=False, float_format="%.6f")
    dirty, err = analyze_json(bad, capsys)
    assert dirty["recording"]["skipped_lines"] == 13 and dirty["recording"]["samples"] == 12_000 - 13
    assert "13 skipped (13 acceleration beyond 200 g)" in err
    a, b = clean["summary"]["total"], dirty["summary"]["total"]
    assert b["bends"]["count"] == a["bends"]["count"] > 0
    assert b["steps"] == pytest.approx(a["steps"], abs=1) and a["steps"] > 0
    for posture, seconds in a["posture_s"].items():
        assert b["posture_s"][posture] == pytest.approx(seconds, abs=1.0)


def test_rows_two_fields_too_wide_take_the_slow_path_and_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("time,acc_x,acc_y,acc_z\n0,0,0,1\n0.01,0,0,1,5,6\n0.02,0,0,1\n\n0.03,0,0\n0.04,0,0,1\n")
    block, _, report = read_csv(path, rate_hz=100)
    np.testing.assert_allclose(block.t, [0, 0.02, 0.04])
    assert report.bad_lines == [3, 6]
    assert report.reasons == {"wrong number of fields": 1, "unreadable or missing values": 1}


def test_real_recordings_lose_no_row_to_the_limits(shared_data: Path, validation_script) -> None:
    """The limits catch corruption, not people: real recordings exported and imported back keep every row
    (the full run over every file is ``python validation/import_real.py``)."""
    module = validation_script("import_real")
    results = module.check(shared_data, per_dataset=2)
    assert len(results) == 5
    for name, counts in results.items():
        assert counts["files"] == 2 and counts["rows"] > 0 and module.unexplained_skips(counts) == 0, (name, counts)
        assert counts["rows read back"] == counts["rows"] - counts["source times not increasing"], (name, counts)


def test_a_spreadsheet_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes("\ufefftime,acc_x,acc_y,acc_z\r\n0,0,0,1\r\n0.01,0,0,1\r\n0.02,0,0,1\r\n".encode())
    block, _, report = read_csv(path, start="2026-01-01T00:00:00")
    assert len(block) == 3 and not report.bad_lines


def test_a_file_not_separated_by_commas_says_so(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("time;acc_x;acc_y;acc_z\n0;0;0;1\n")
    with pytest.raises(ImportFormatError, match="the header is one column .*pass --sep ';'"):
        read_csv(path)
