"""Imports of any length (issue 12, point 4): chunked reading, recorder-sized blocks, fast export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sensorkit import importer, table_reader
from sensorkit.cli.main import main
from sensorkit.fixed_csv import format_rows
from sensorkit.importer import read_csv
from sensorkit.store import RecordingReader

START = 1_764_900_000.0


def write_minutes(path: Path, minutes: float, rate: float = 100.0) -> pd.DataFrame:
    n = int(minutes * 60 * rate)
    rng = np.random.default_rng(7)
    frame = pd.DataFrame({"time": np.round(START + np.arange(n) / rate, 6)})
    for name in ("acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"):
        frame[name] = np.round(rng.normal(0, 2 if name.startswith("acc") else 100, n), 6)
    frame.to_csv(path, index=False, float_format="%.6f")
    return frame


def test_fixed_point_text_matches_printf() -> None:
    rng = np.random.default_rng(3)
    columns = [START + np.arange(2000) / 100, rng.normal(0, 3, 2000), rng.normal(0, 900, 2000),
               np.array([0.0, 1.0, -1.0, 9.5, -0.25, 123456.0000004] + [0.5] * 1994)]
    text = format_rows(columns).decode().splitlines()
    expected = [",".join(f"{c[i]:.6f}" for c in columns) for i in range(2000)]
    assert text == expected


def test_chunks_keep_line_numbers_and_bad_rows_across_chunk_edges(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(table_reader, "CHUNK_BYTES", 4096)  # ~60 rows a chunk: every check crosses edges
    monkeypatch.setattr(importer, "WINDOW_ROWS", 50)
    path = tmp_path / "in.csv"
    frame = write_minutes(path, 0.5)  # 3000 rows
    lines = path.read_text().splitlines(keepends=True)
    lines[100] = lines[100].replace(lines[100].split(",")[1], "zz", 1)  # line 101: unreadable
    lines[1500] = f"{START + 5 * 86400:.6f}" + lines[1500][lines[1500].index(","):]  # line 1501: in the future
    lines[2000] = lines[1000]  # line 2001: back in time
    path.write_text("".join(lines))
    block, meta, report = read_csv(path)
    assert report.bad_lines == [101, 1501, 2001]
    assert report.reasons == {"unreadable or missing values": 1, "time not after the previous row": 2}
    assert len(block) == 3000 - 3 and meta.start_time == "2025-12-05T02:00:00Z"
    kept = np.delete(frame["acc_z"].to_numpy(), [99, 1499, 1999])
    np.testing.assert_allclose(block.acc[:, 2] / 9.80665, kept, atol=1e-9)


def test_import_stores_recorder_sized_blocks_and_exports_the_same_values(tmp_path: Path) -> None:
    frame = write_minutes(tmp_path / "in.csv", 5)
    assert main(["import", str(tmp_path / "in.csv"), "-o", str(tmp_path / "r")]) == 0
    with RecordingReader(tmp_path / "r") as reader:
        sizes = [n for (n,) in reader._rows("SELECT n FROM blocks ORDER BY id")]
    assert sizes == [6000] * 5  # 60 s blocks, like a recorder's, not one 30,000-sample block
    assert main(["export", str(tmp_path / "r"), "-o", str(tmp_path / "out.csv")]) == 0
    back = pd.read_csv(tmp_path / "out.csv")
    assert list(back.columns) == list(frame.columns) and len(back) == len(frame)
    np.testing.assert_allclose(back.to_numpy(), frame.to_numpy(), atol=1.5e-6)
    assert (tmp_path / "out.csv").read_text().splitlines()[1] == ",".join(
        f"{v:.6f}" for v in frame.iloc[0].to_numpy())


def test_parquet_export_is_written_block_by_block(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    frame = write_minutes(tmp_path / "in.csv", 3)
    assert main(["import", str(tmp_path / "in.csv"), "-o", str(tmp_path / "r")]) == 0
    assert main(["export", str(tmp_path / "r"), "-o", str(tmp_path / "out.parquet")]) == 0
    file = pq.ParquetFile(tmp_path / "out.parquet")
    assert file.metadata.num_row_groups == 3 and file.metadata.num_rows == len(frame)
    np.testing.assert_allclose(file.read().to_pandas().to_numpy(), frame.to_numpy(), atol=1.5e-6)


def test_progress_shows_on_a_terminal_only(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(table_reader, "CHUNK_BYTES", 64 << 10)
    write_minutes(tmp_path / "in.csv", 3)
    assert main(["import", str(tmp_path / "in.csv"), "-o", str(tmp_path / "a")]) == 0
    assert "%" not in capsys.readouterr().err  # not a terminal: quiet
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["import", str(tmp_path / "in.csv"), "-o", str(tmp_path / "b")]) == 0
    err = capsys.readouterr().err
    shown = [int(p.split(": ")[1].rstrip("%")) for p in err.split("\r") if p.startswith("importing in.csv: ")]
    assert len(shown) > 5 and shown == sorted(shown) and shown[-1] == 100
