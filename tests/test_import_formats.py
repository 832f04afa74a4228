"""App and device exports imported with no options (issue 12, points 1 and 2), checked against the
real files in ../shared/data/formats (read in place: several carry no licence to copy them), and any
other table described by --columns/--sep/--decimal/--time-unit."""

from __future__ import annotations

import csv
import struct
import math
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pytest

from sensorkit.cli.main import main
from sensorkit.errors import ImportFormatError, SettingsError
from sensorkit.importer import read_csv
from sensorkit.samples import STANDARD_GRAVITY
from sensorkit.store import RecordingReader

G = STANDARD_GRAVITY
DEG = math.pi / 180


def rows(path: Path, sep: str = ",") -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return [row for row in csv.reader(f, delimiter=sep)][1:]


def utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat().replace("+00:00", "Z")


@pytest.fixture()
def formats(shared_data: Path) -> Path:
    folder = shared_data / "formats"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    return folder


def test_metabase_accelerometer_and_gyroscope_files_are_paired(formats: Path) -> None:
    folder = formats / "metabase_csv" / "classyglass"
    acc_file = next(folder.glob("*_Accelerometer_*.csv"))
    gyr_file = next(folder.glob("*_Gyroscope_*.csv"))
    block, meta, report = read_csv(acc_file)
    acc, gyr = rows(acc_file), rows(gyr_file)
    assert len(block) == len(acc) == 2966 and not report.bad_lines
    assert meta.rate_hz == pytest.approx(100.0, rel=1e-3) and meta.has_gyro
    assert meta.start_time == utc(int(acc[0][0]) / 1000)
    np.testing.assert_allclose(block.acc[0], [float(v) * G for v in acc[0][3:6]])
    np.testing.assert_allclose(block.acc[-1], [float(v) * G for v in acc[-1][3:6]])
    assert block.t[-1] == pytest.approx((int(acc[-1][0]) - int(acc[0][0])) / 1000)
    # gyroscope samples 13 ms after the accelerometer's: interpolated between the two around each row
    t_acc, t_gyr = int(acc[100][0]), [int(r[0]) for r in gyr]
    k = int(np.searchsorted(t_gyr, t_acc))
    expected = np.interp(t_acc, t_gyr[k - 1:k + 1], [float(gyr[k - 1][3]), float(gyr[k][3])]) * DEG
    assert block.gyr[100, 0] == pytest.approx(expected)


def test_metabase_at_different_rates(formats: Path) -> None:
    acc_file = next((formats / "metabase_csv" / "ebbelaar").glob("*_Accelerometer_*.csv"))
    block, meta, _ = read_csv(acc_file)
    assert len(block) == len(rows(acc_file)) == 206 and meta.rate_hz == pytest.approx(12.5, rel=1e-2)
    assert meta.has_gyro  # the 25 Hz gyroscope file beside it


def test_polar_sensor_logger_acc_in_mg_with_its_2000_epoch(formats: Path) -> None:
    folder = formats / "polar_sensor_logger"
    block, meta, report = read_csv(folder / "Polar_Sense_ACC.txt")
    acc, gyr = rows(folder / "Polar_Sense_ACC.txt", ";"), rows(folder / "Polar_Sense_GYRO.txt", ";")
    ns = np.array([int(r[1]) for r in acc])
    gyr_end = int(gyr[-1][1])
    paired = ns <= gyr_end + 100_000_000  # the GYRO file stops first: later rows have no angular rate
    assert len(block) == paired.sum() == len(acc) - report.reasons["no gyroscope sample within 0.1 s"]
    assert meta.rate_hz == pytest.approx(51.7, abs=0.1)  # by the sensor clock, not the nominal 52 Hz
    assert meta.start_time.startswith("2022-04-25T11:39:3")  # the phone's local clock, read as UTC
    assert any("local clock" in note for note in report.notes)
    np.testing.assert_allclose(block.acc[0], [int(v) / 1000 * G for v in acc[0][2:5]])
    assert block.t[-1] == pytest.approx((ns[paired][-1] - ns[0]) / 1e9, abs=1e-6)


def test_phyphox_two_sensor_export_takes_its_start_from_meta_time(formats: Path) -> None:
    folder = formats / "phyphox" / "accel_gyro_ios_1.1.9"
    block, meta, report = read_csv(folder / "Accelerometer.csv")
    acc = rows(folder / "Accelerometer.csv")
    assert report.start_from == "file" and not report.cut_short  # phyphox never ends its last line
    start = 1.621948067521186e9 + float(acc[0][0])
    assert meta.start_time[:23] == utc(start)[:23] and meta.has_gyro
    assert len(block) == len(acc) - report.skipped and report.skipped <= 1
    np.testing.assert_allclose(block.acc[0], [float(v) for v in acc[0][1:4]])  # m/s^2 already
    assert meta.rate_hz == pytest.approx(100.0, rel=0.01)


def test_phyphox_acceleration_with_g_is_relative_and_says_so(formats: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = formats / "phyphox" / "acceleration_with_g" / "Raw Data.csv"
    assert main(["import", str(path), "-o", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err
    assert "relative times and no --start" in err and "modification time" in err
    with RecordingReader(tmp_path / "r") as reader:
        assert reader.sample_count() == len(rows(path)) and not reader.meta.has_gyro


@pytest.mark.parametrize("session, sign, unit", [("android_1.60.0", 1.0, 1.0), ("ios_1.10.4", -1.0, G)])
def test_sensor_logger_folder_gravity_included_and_axes_reordered(formats: Path, session: str, sign: float,
                                                                  unit: float) -> None:
    folder = formats / "sensor_logger" / session
    block, meta, _ = read_csv(folder)
    acc_file = folder / ("TotalAcceleration.csv" if session.startswith("android") else "AccelerometerUncalibrated.csv")
    acc = rows(acc_file)
    first = acc[0]
    np.testing.assert_allclose(block.acc[0], [sign * unit * float(first[i]) for i in (4, 3, 2)])  # z,y,x
    assert meta.start_time[:22] == utc(int(first[0]) / 1e9)[:22] and meta.has_gyro
    assert len(block) >= len(acc) - 3
    at_rest = np.linalg.norm(block.acc, axis=1).mean()
    assert 8.0 < at_rest < 12.0  # gravity is in, in m/s^2, whatever the phone wrote
    # a plain file of the session imports the whole session
    assert len(read_csv(folder / "Gyroscope.csv")[0]) == len(block)


def test_a_gyroscope_file_alone_says_which_file_to_import(formats: Path) -> None:
    with pytest.raises(ImportFormatError, match="looks like a Polar Sensor Logger GYRO file; import the ACC"):
        read_csv(formats / "polar_sensor_logger" / "Polar_Sense_GYRO.txt")


def test_a_wrong_format_name_says_what_the_file_looks_like(formats: Path) -> None:
    with pytest.raises(ImportFormatError, match="not a metabase export .it looks like a polar export"):
        read_csv(formats / "polar_sensor_logger" / "Polar_Sense_ACC.txt", format="metabase")


EUROPEAN = (
    "Zeit [ms];Beschl. X [mg];Beschl. Y [mg];Beschl. Z [mg]\n"
    + "".join(f"{i * 10};{i % 7},5;-3,25;1000,{i % 10}\n" for i in range(500))
)


def test_a_european_spreadsheet_with_a_column_map(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(EUROPEAN, encoding="utf-8")
    block, meta, report = read_csv(
        path, acc_unit="mg", start="2026-02-01T09:00:00", sep=";", decimal=",", time_unit="ms",
        columns={"time": "Zeit [ms]", "acc_x": "Beschl. X [mg]", "acc_y": "Beschl. Y [mg]", "acc_z": "Beschl. Z [mg]"})
    assert len(block) == 500 and not report.bad_lines and meta.rate_hz == pytest.approx(100.0)
    assert meta.start_time == "2026-02-01T09:00:00Z" and block.t[-1] == pytest.approx(4.99)
    np.testing.assert_allclose(block.acc[3], [3.5e-3 * G, -3.25e-3 * G, 1000.3e-3 * G])


def test_wrong_options_list_the_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "export.csv"
    path.write_text(EUROPEAN, encoding="utf-8")
    with pytest.raises(ImportFormatError, match=r"the header is one column .*pass --sep ';'"):
        read_csv(path)
    with pytest.raises(ImportFormatError, match=r"lacks the column\(s\) acc_x.*its columns are 'Zeit \[ms\]', "
                                                r"'Beschl. X \[mg\]'.*--columns time=COL"):
        read_csv(path, sep=";")
    with pytest.raises(SettingsError, match=r"--columns acc_x=ax, acc_y=ay, acc_z=az: not in export.csv, whose columns are .Zeit"):
        read_csv(path, sep=";", columns={"time": "Zeit [ms]", "acc_x": "ax", "acc_y": "ay", "acc_z": "az"})
    code = main(["import", str(path), "-o", str(tmp_path / "r"), "--sep", ";", "--decimal", ",",
                 "--columns", "time=Zeit [ms],acc_x=Beschl. X [mg],acc_y=Beschl. Y [mg],acc_z=Beschl. Z [mg]",
                 "--time-unit", "ms", "--acc-unit", "mg", "--start", "2026-02-01T09:00:00"])
    assert code == 0 and "imported 500 samples at 100 Hz" in capsys.readouterr().out


def test_a_zipped_sensor_logger_session(formats: Path, tmp_path: Path) -> None:
    import zipfile

    folder = formats / "sensor_logger" / "android_1.60.0"
    with zipfile.ZipFile(tmp_path / "session.zip", "w") as archive:
        for file in folder.glob("*.csv"):
            archive.write(file, f"2026-06-18_16-48-30/{file.name}")
    block, meta, _ = read_csv(tmp_path / "session.zip")
    assert np.array_equal(block.acc, read_csv(folder)[0].acc) and meta.has_gyro
    assert not list(Path(__import__("tempfile").gettempdir()).glob("sensorkit-import-*"))


@pytest.mark.parametrize("name, gyro", [("ax3_testfile_unix_timestamps.csv", False),
                                        ("ax6_testfile_formatted_timestamps.csv", True)])
def test_axivity_csv_exports_without_a_header(formats: Path, name: str, gyro: bool) -> None:
    path = formats / "axivity_cwa" / "csv_export" / name
    with path.open() as f:
        table = list(csv.reader(f))
    block, meta, report = read_csv(path)
    assert len(block) == len(table) and not report.bad_lines and meta.has_gyro == gyro
    assert meta.rate_hz == pytest.approx(100.0, rel=0.02) and report.notes  # local clock, said so
    np.testing.assert_allclose(block.acc[-1], [float(v) * G for v in table[-1][1:4]])
    if gyro:
        np.testing.assert_allclose(block.gyr[0], [float(v) * DEG for v in table[0][4:7]])
        assert meta.start_time == "2019-12-23T21:04:06.690000Z"
    else:
        assert meta.start_time == utc(float(table[0][0]))


def test_actilife_csv_rows_at_the_preamble_rate_from_its_start(formats: Path) -> None:
    path = formats / "actigraph_gt3x" / "pygt3x" / "neo.csv"
    block, meta, report = read_csv(path)
    with path.open() as f:
        table = list(csv.reader(f))[11:]
    assert len(block) == len(table) and meta.rate_hz == pytest.approx(30.0)
    assert meta.start_time == "2021-12-20T11:55:00Z" and not meta.has_gyro
    assert block.t[-1] == pytest.approx((len(table) - 1) / 30.0)
    np.testing.assert_allclose(block.acc[0], [float(v) * G for v in table[0]])


DEVICE_FILES = [  # file, samples, rate (Hz), gyroscope, first acceleration (g) as the device's own tools decode it
    ("axivity_cwa/ax3_testfile.cwa", 17400, 100.0, False, (0.328125, 0.984375, 0.203125)),  # = the CSV export
    ("axivity_cwa/ax6_testfile.cwa", 11320, 100.0, True, (0.007324, 0.071289, 0.008789)),
    ("actigraph_gt3x/ggir/actigraph_testfile.gt3x", 17640, 30.0, False, None),
    ("actigraph_gt3x/actfast/actigraph.gt3x", 4860, 60.0, False, None),
    ("geneactiv_bin/actfast/geneactiv.bin", 6000, 60.0, False, None),
    ("geneactiv_bin/ggirread/GENEActiv_testfile.bin", 5031, 85.7, False, None),  # truncated mid-page
]


@pytest.mark.parametrize("name, samples, rate, gyro, first", DEVICE_FILES, ids=[d[0] for d in DEVICE_FILES])
def test_research_device_files_import_and_analyze(formats: Path, tmp_path: Path, name: str, samples: int,
                                                  rate: float, gyro: bool, first: tuple | None,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = formats / name
    assert main(["import", str(path), "-o", str(tmp_path / "r")]) == 0
    with RecordingReader(tmp_path / "r") as reader:
        block, meta = reader.samples(), reader.meta
    assert len(block) == samples and meta.rate_hz == pytest.approx(rate, rel=0.01) and meta.has_gyro == gyro
    assert 0.5 * G < np.median(np.linalg.norm(block.acc, axis=1)) < 1.5 * G  # g read as g
    if first is not None:
        np.testing.assert_allclose(block.acc[0] / G, first, atol=1e-6)
    capsys.readouterr()
    assert main(["analyze", str(tmp_path / "r"), "--json"]) == 0


def test_a_damaged_cwa_keeps_its_intact_blocks_and_says_so(formats: Path) -> None:
    block, _, report = read_csv(formats / "axivity_cwa" / "ax3_testfile_corrupt_blocks_0_13_14_142_143_144.cwa")
    assert len(block) == 17400 - 6 * 120
    assert any("6 damaged part(s) of the file were skipped (data block 0 fails its checksum" in n for n in report.notes)


def test_cwa_read_block_by_block_without_the_extra_as_omgui_exports_it(formats: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "actfast", None)  # .cwa is read block by block here, not through actfast
    folder = formats / "axivity_cwa"
    block, meta, _ = read_csv(folder / "ax6_testfile.cwa")
    reference, ref_meta, _ = read_csv(folder / "csv_export" / "ax6_testfile_formatted_timestamps.csv")  # OmGui's
    n = len(reference)
    np.testing.assert_allclose(block.acc[:n], reference.acc, atol=1e-6 * G)  # every exported sample
    np.testing.assert_allclose(block.gyr[:n], reference.gyr, atol=1e-6 * DEG)  # 250 deg/s range, as OmGui scales it
    start = datetime.fromisoformat(meta.start_time).timestamp() - datetime.fromisoformat(ref_meta.start_time).timestamp()
    np.testing.assert_allclose(block.t[:n] + start, reference.t, atol=0.015)  # OmGui places samples <= 1 period earlier
    assert meta.rate_hz == 100.0  # the rate code of the blocks
    # (the AX3 export is resampled by OmGui to a 100 Hz grid, dropping a sample at row 22: its first sample is
    # checked in test_research_device_files_import_and_analyze, the rest against actfast below)


def _parts(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    from sensorkit.device_files import device_kind, open_device_file

    parts = list(open_device_file(path, device_kind(path)).parts())
    gyr = None if parts[0][2] is None else np.concatenate([p[2] for p in parts])
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), gyr


@pytest.mark.parametrize("name", [d[0] for d in DEVICE_FILES])
def test_device_readers_equal_actfast(formats: Path, name: str) -> None:
    """actfast (MIT, Rust) reads the whole file at once; sensorkit reads it a part at a time."""
    actfast = pytest.importorskip("actfast", reason="the test extra is not installed (CI installs it)")
    series = next(s for s in actfast.read(str(formats / name), lenient=True)["timeseries"].values()
                  if "acceleration" in s)
    t, acc, gyr = _parts(formats / name)
    reference_t = series["datetime"] / 1e9
    assert t.size == reference_t.size and t[0] == pytest.approx(reference_t[0], abs=1e-6)
    if name.endswith(".cwa"):  # actfast steps at the nominal rate inside a block, here to the next block's time
        assert np.abs(t - reference_t).max() < 0.015
        np.testing.assert_array_equal(acc, series["acceleration"])
    else:
        np.testing.assert_allclose(t, reference_t, atol=1e-6)
        # ActiGraph rounds to 1 mg, as its own tools and ActiLife's CSV do; actfast does not; float32 there
        np.testing.assert_allclose(acc, series["acceleration"], atol=5e-4 if name.endswith(".gt3x") else 1e-6)
    if gyr is not None:
        np.testing.assert_array_equal(gyr, series["gyroscope"])


def test_the_old_neo_actigraph_layout_equals_actilifes_export(formats: Path, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    folder = formats / "actigraph_gt3x" / "pygt3x"
    block, meta, report = read_csv(folder / "neo.gt3x")  # activity.bin: read without actfast
    with (folder / "neo.csv").open() as f:
        table = np.array(list(csv.reader(f))[11:], dtype=float)
    assert len(block) == len(table) == 18004 and not report.bad_lines and not meta.has_gyro
    np.testing.assert_allclose(block.acc / G, table, atol=1e-12)  # every sample, as ActiLife decodes it
    assert meta.start_time == "2021-12-20T11:55:00Z" and meta.rate_hz == pytest.approx(30.0, rel=1e-4)
    assert block.t[-1] == pytest.approx(18003 / 30.0)
    assert main(["import", str(folder / "neo.gt3x"), "-o", str(tmp_path / "r")]) == 0
    capsys.readouterr()
    assert main(["analyze", str(tmp_path / "r"), "--json"]) == 0


def test_neo_bit_packing_as_actigraph_documents_it() -> None:
    from sensorkit.actigraph_gt3x import unpack

    # the worked example of github.com/actigraph/NHANES-GT3X-File-Format, fileformats/activity.bin.md
    samples = unpack(bytes.fromhex("00 60 08 EB D0 07 00 9E BF 00 70 08 EB F0"))
    np.testing.assert_allclose(samples, [[0.023, 0.018, -0.947], [0.026, 0.021, -0.941], [0.023, 0.021, -0.941]])


def test_without_the_extra_the_error_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pyedflib", None)  # as if not installed
    (tmp_path / "day.edf").write_bytes(b"0       " + bytes(248))
    with pytest.raises(ImportFormatError, match=r"EDF/BDF files needs the formats extra: pip install 'sensorkit\[formats\]'"):
        read_csv(tmp_path / "day.edf")


def test_movesense_json_log_spaces_each_packets_samples(formats: Path) -> None:
    import json

    path = formats / "movesense" / "json_log" / "MovesenseLog_3_786.json"
    packets = json.loads(path.read_text())["Meas"]["IMU9"]
    block, meta, report = read_csv(path, start="2021-04-18T10:00:00")
    assert len(block) == sum(len(p["ArrayAcc"]) for p in packets) == 8744 and meta.has_gyro
    assert block.t[8] == pytest.approx((packets[1]["Timestamp"] - packets[0]["Timestamp"]) / 1000, abs=0.002)
    assert block.t[-1] == pytest.approx((packets[-1]["Timestamp"] - packets[0]["Timestamp"]) / 1000 + 7 * 0.00975,
                                        abs=0.002)
    first = packets[0]
    np.testing.assert_allclose(block.acc[0], [first["ArrayAcc"][0][a] for a in "xyz"])  # m/s^2 already
    np.testing.assert_allclose(block.gyr[1], [first["ArrayGyro"][1][a] * DEG for a in "xyz"])
    assert 100 < meta.rate_hz < 105 and report.start_from == "--start"


def test_witmotion_sdk_text_repeated_rows_skipped(formats: Path) -> None:
    folder = formats / "witmotion" / "python_sdk_txt"
    block, meta, report = read_csv(folder / "20220705190138.txt")
    # each reading is written on 4 rows (one per register update); "11:58:23.30" is 23.030 s, not 23.300
    assert len(block) == 712 // 4 and set(report.reasons) == {"time not after the previous row"}
    assert meta.start_time == "2022-07-05T11:58:22.115000Z" and meta.has_gyro
    assert np.median(np.diff(block.t)) == pytest.approx(0.115) and np.all(np.diff(block.t) > 0.08)
    assert meta.rate_hz == pytest.approx(1 / 0.115)  # by the chip clock, below the SDK's nominal 10 Hz
    assert any("8.7 Hz apart by the witmotion file's own clock; sensorkit analyze gives posture, bending and alerts from it, but no walking bouts" in note
               for note in report.notes)
    np.testing.assert_allclose(block.acc[0], [0.1577 * G, -0.4883 * G, 0.8765 * G])


def test_a_witmotion_log_without_times_asks_for_rate_and_start(formats: Path) -> None:
    path = formats / "witmotion" / "python_sdk_txt" / "20220714084918.txt"  # its Chiptime is None on every row
    with pytest.raises(ImportFormatError, match=r"has no sample times \(its Chiptime is None on every row.*"
                                                r"pass --rate HZ .* and --start"):
        read_csv(path)
    block, meta, report = read_csv(path, rate_hz=10, start="2022-07-14T08:49:18+08:00")
    assert len(block) == 298 and meta.rate_hz == 10 and block.t[-1] == pytest.approx(29.7)
    assert meta.start_time == "2022-07-14T00:49:18Z" and report.start_from == "--start"
    np.testing.assert_allclose(block.acc[0], [-0.001 * G, -0.999 * G, -0.0278 * G])


def _witmotion_int16(data: bytes, offset: int, n: int) -> list[int]:
    return list(struct.unpack_from(f"<{n}h", data, offset))


def test_witmotion_bt50_sd_card_records_with_chip_time(formats: Path) -> None:
    path = formats / "witmotion" / "wt901sdcl_bt50_binary" / "WIT18.TXT"
    data = path.read_bytes()
    block, meta, report = read_csv(path)  # binary despite its .TXT name: recognised by its bytes
    assert len(block) == len(data) // 28 == 2197 and not report.bad_lines and meta.has_gyro
    assert meta.start_time == "2026-06-22T14:41:01.793000Z" and block.t[-1] == pytest.approx(109.8)
    assert meta.rate_hz == pytest.approx(20.0)
    for row, offset in ((0, 0), (-1, len(data) - 28)):
        values = _witmotion_int16(data, offset + 2, 6)
        np.testing.assert_allclose(block.acc[row], [v / 32768 * 16 * G for v in values[:3]])
        np.testing.assert_allclose(block.gyr[row], [v / 32768 * 2000 * DEG for v in values[3:]])


def test_witmotion_sd_card_packets_without_time_need_rate_and_start(formats: Path) -> None:
    path = formats / "witmotion" / "wt901sd_binary" / "example_data.TXT"
    data = path.read_bytes()
    with pytest.raises(ImportFormatError, match=r"no sample times \(it is a WitMotion SD-card log without time "
                                                r"packets .*pass --rate HZ"):
        read_csv(path)
    block, meta, report = read_csv(path, rate_hz=20, start="2023-07-28T10:00:00")
    acc_packets = [i for i in range(0, len(data) - 10, 11) if data[i:i + 2] == b"\x55\x51"]
    gyr_packets = [i for i in range(0, len(data) - 10, 11) if data[i:i + 2] == b"\x55\x52"]
    assert len(block) == len(acc_packets) == 2017 and not report.bad_lines and meta.has_gyro
    assert block.t[-1] == pytest.approx(2016 / 20)
    for row, acc_at, gyr_at in ((0, acc_packets[0], gyr_packets[0]), (-1, acc_packets[-1], gyr_packets[-1])):
        np.testing.assert_allclose(block.acc[row], [v / 32768 * 16 * G for v in _witmotion_int16(data, acc_at + 2, 3)])
        np.testing.assert_allclose(block.gyr[row], [v / 32768 * 2000 * DEG for v in _witmotion_int16(data, gyr_at + 2, 3)])


def test_movesense_sbem_decodes_as_movesenses_own_tool(formats: Path) -> None:
    import json

    folder = formats / "movesense" / "sbem_datalogger"
    expected = [s["MeasIMU9"] for s in json.loads((folder / "imu9-prefix.expected.json").read_text())["Samples"]
                if "MeasIMU9" in s]
    block, meta, report = read_csv(folder / "imu9-prefix.sbem", start="2026-01-01T00:00:00")
    assert len(block) == 4 * len(expected) == 156 and meta.has_gyro and not report.bad_lines
    for row, packet, k in ((0, expected[0], 0), (-1, expected[-1], 3)):
        np.testing.assert_allclose(block.acc[row], [packet["ArrayAcc"][0][a][k] for a in "xyz"], rtol=1e-6)
        np.testing.assert_allclose(block.gyr[row], [packet["ArrayGyro"][0][a][k] * DEG for a in "xyz"], rtol=1e-6)
    stamps = np.array([p["MeasIMU9"]["Timestamp"] for p in expected])
    period = np.median(np.diff(stamps)) / 4 / 1000
    assert block.t[4] == pytest.approx((stamps[1] - stamps[0]) / 1000)
    assert block.t[-1] == pytest.approx((stamps[-1] - stamps[0]) / 1000 + 3 * period)
    assert meta.rate_hz == pytest.approx(1 / period, rel=1e-6) and report.start_from == "--start"
    same, _, _ = read_csv(folder / "imu9-prefix.expected.json", start="2026-01-01T00:00:00")  # sbem2json's output
    assert np.array_equal(same.acc, block.acc) and np.array_equal(same.t, block.t)


def test_files_without_samples_name_the_file_to_import(formats: Path) -> None:
    with pytest.raises(ImportFormatError, match="Polar Sensor Logger marker file .no samples.; import the ACC file"):
        read_csv(formats / "polar_sensor_logger" / "MARKER.txt")
    with pytest.raises(ImportFormatError, match="phyphox's experiment metadata .no samples.; import .*Accelerometer"):
        read_csv(formats / "phyphox" / "accel_gyro_ios_1.1.9" / "meta" / "time.csv")
    session = formats / "sensor_logger" / "android_1.60.0"
    assert len(read_csv(session / "Metadata.csv")[0]) == len(read_csv(session)[0])  # the session it describes


def test_every_file_in_formats_imports_or_says_what_to_do(formats: Path, validation_script) -> None:
    survey = validation_script("import_formats")
    outcomes = {path.relative_to(formats).as_posix(): survey.outcome(path) for path in survey.data_files(formats)}
    assert all(ok for _, ok in outcomes.values()), [name for name, (_, ok) in outcomes.items() if not ok]
    not_imported = {name for name, (text, _) in outcomes.items() if not text[0].isdigit()}
    assert {Path(name).name for name in not_imported} == {  # no samples of their own, or no times at all
        next(Path(n).name for n in outcomes if "classyglass" in n and "_Gyroscope_" in n),
        next(Path(n).name for n in outcomes if "ebbelaar" in n and "_Gyroscope_" in n),
        "Gyroscope.csv", "device.csv", "time.csv", "MARKER.txt", "Polar_Sense_GYRO.txt",
        "20220714084918.txt", "example_data.TXT"}
    assert len(outcomes) - len(not_imported) == 30


def _write_edf(path: Path, channels: list[tuple[str, str, float, np.ndarray]], bdf: bool = False) -> None:
    """An EDF+/BDF+ file written by pyedflib (no real EDF with accelerometer channels was found to test on)."""
    import pyedflib

    kind = pyedflib.FILETYPE_BDFPLUS if bdf else pyedflib.FILETYPE_EDFPLUS
    writer = pyedflib.EdfWriter(str(path), len(channels), file_type=kind)
    try:
        headers = [{"label": label, "dimension": unit, "sample_frequency": rate,
                    "physical_min": -2000.0, "physical_max": 2000.0, "digital_min": -8388608 if bdf else -32768,
                    "digital_max": 8388607 if bdf else 32767} for label, unit, rate, _ in channels]
        writer.setSignalHeaders(headers)
        writer.setStartdatetime(datetime(2024, 3, 5, 8, 30, 0))
        writer.writeSamples([np.ascontiguousarray(values) for _, _, _, values in channels])
    finally:
        writer.close()


@pytest.mark.parametrize("bdf", [False, True], ids=["edf", "bdf"])
def test_edf_accelerometer_and_gyroscope_channels_found_by_label(tmp_path: Path, bdf: bool) -> None:
    pytest.importorskip("pyedflib", reason="the formats extra is not installed (CI installs it)")
    n = 50 * 120
    t = np.arange(n) / 50
    acc = np.column_stack([0.1 * np.sin(t), 0.05 * np.cos(t), np.full(n, 0.98)])  # g
    gyr = np.column_stack([20 * np.sin(2 * t), np.zeros(n), -5 * np.ones(n)])  # deg/s
    path = tmp_path / ("day.bdf" if bdf else "day.edf")
    _write_edf(path, [("ECG", "uV", 250.0, np.zeros(5 * n)),
                      *[(f"Accel {a}", "g", 50.0, acc[:, i]) for i, a in enumerate("XYZ")],
                      *[(f"Gyro {a}", "deg/s", 50.0, gyr[:, i]) for i, a in enumerate("XYZ")]], bdf)
    block, meta, report = read_csv(path)
    assert len(block) == n and meta.rate_hz == pytest.approx(50.0) and meta.has_gyro and not report.bad_lines
    assert meta.start_time == "2024-03-05T08:30:00Z" and block.t[-1] == pytest.approx((n - 1) / 50)
    resolution = 4000 / (2 ** 24 if bdf else 2 ** 16)  # the file's own quantisation of +-2000
    np.testing.assert_allclose(block.acc / G, acc, atol=resolution)
    np.testing.assert_allclose(block.gyr / DEG, gyr, atol=resolution)


def test_an_edf_without_accelerometer_channels_lists_its_channels(tmp_path: Path) -> None:
    pytest.importorskip("pyedflib", reason="the formats extra is not installed (CI installs it)")
    _write_edf(tmp_path / "sleep.edf", [("EEG Fpz-Cz", "uV", 100.0, np.zeros(1000))])
    with pytest.raises(ImportFormatError, match=r"no x, y, z accelerometer channels; its channels are 'EEG Fpz-Cz' \(uV\)"):
        read_csv(tmp_path / "sleep.edf")


def test_a_damaged_gt3x_log_keeps_its_good_records_and_says_so(formats: Path, tmp_path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(formats / "actigraph_gt3x" / "ggir" / "actigraph_testfile.gt3x") as archive:
        info, log = archive.read("info.txt"), bytearray(archive.read("log.bin"))
    for position in (40000, 60001):  # one byte flipped inside two one-second ACTIVITY records
        log[position] ^= 0xFF
    with zipfile.ZipFile(tmp_path / "damaged.gt3x", "w") as archive:
        archive.writestr("info.txt", info)
        archive.writestr("log.bin", bytes(log))
    block, _, report = read_csv(tmp_path / "damaged.gt3x")
    assert len(block) == 17640 - 2 * 30  # two seconds at 30 Hz lost, the records after them read on
    assert any("2 damaged part(s) of the file were skipped (a damaged record at byte" in n for n in report.notes)


def _witmotion_packet(kind: int, values: list[int]) -> bytes:
    body = bytes([0x55, kind]) + struct.pack("<4h", *values)
    return body + bytes([sum(body) & 0xFF])


def test_witmotion_sd_packets_with_time_packets_use_the_chip_clock(tmp_path: Path) -> None:
    # no real log with 0x50 time packets was found: one written as WitMotion's protocol describes
    data = b""
    for i in range(50):  # 10 Hz: a time, acceleration and angular rate packet per cycle
        ms = 100 * (i % 10)
        stamp = struct.unpack("<4h", bytes([26, 6, 22, 14, 41, 1 + i // 10]) + struct.pack("<H", ms))
        data += _witmotion_packet(0x50, list(stamp))
        data += _witmotion_packet(0x51, [i, -i, 2048, 2500])  # ax, ay, az, temperature
        data += _witmotion_packet(0x52, [10 * i, 0, -10 * i, 0])
    data += b"\x55\x51\x00"  # a packet cut short at the end
    (tmp_path / "WIT.TXT").write_bytes(data)
    block, meta, report = read_csv(tmp_path / "WIT.TXT")
    assert len(block) == 50 and meta.start_time == "2026-06-22T14:41:01Z" and meta.rate_hz == pytest.approx(10.0)
    np.testing.assert_allclose(block.t, np.arange(50) / 10, atol=1e-6)
    np.testing.assert_allclose(block.acc[7], [7 / 2048 * G, -7 / 2048 * G, 1.0 * G])
    np.testing.assert_allclose(block.gyr[7], [70 * 2000 / 32768 * DEG, 0, -70 * 2000 / 32768 * DEG])


def test_movesense_time_detailed_puts_uptime_on_utc(tmp_path: Path) -> None:
    import json

    samples = [{"TimeDetailed": {"relativeTime": 1000, "utcTime": 1_700_000_000_000_000}}]
    for k in range(30):
        columns = {a: [float(k), 0.5, 9.8, 0.1][:4] for a in "xyz"}
        samples.append({"MeasIMU6": {"MeasIMU6": {"Timestamp": 1500 + 80 * k}, "ArrayAcc": [columns],
                                     "ArrayGyro": [columns]}})
    (tmp_path / "log.json").write_text(json.dumps({"Samples": samples}))
    block, meta, report = read_csv(tmp_path / "log.json")
    assert len(block) == 120 and report.start_from == "file" and meta.rate_hz == pytest.approx(50.0)
    assert meta.start_time == "2023-11-14T22:13:20.500000Z"  # UTC at uptime 1000 ms, plus 500 ms
