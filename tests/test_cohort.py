"""`sensorkit cohort` (issue 13) on a local Dask cluster of 2 worker processes: the Parquet dataset's per-day rows
are `trends --json`'s, saved analyses are reused, and a corrupt recording is listed with its reason while the
rest complete."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

distributed = pytest.importorskip("dask.distributed", reason="the 'cohort' extra (Dask) is not installed")
import cloudpickle  # noqa: E402  (installed with Dask)
import pandas as pd  # noqa: E402
import pyarrow.dataset as ds  # noqa: E402

from sensorkit.cli.main import main  # noqa: E402
from sensorkit.cohort import cluster_mapper  # noqa: E402
from sensorkit.trends import METRIC_KEYS  # noqa: E402

STARTS = {"P1": ["2026-11-02T09:00:00Z", "2026-11-02T14:00:00Z", "2026-11-10T09:00:00Z"],
          "P2": ["2026-11-03T08:00:00Z", "2026-11-04T23:59:00Z"]}  # P2's second crosses midnight: two days


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, patients_folder) -> Path:
    root = tmp_path_factory.mktemp("cohort")
    patients_folder(root, STARTS, 13)
    corrupt = root / "P2" / "corrupt.skr"
    corrupt.write_bytes((root / "P2" / "2026-11-03T08.skr").read_bytes()[:3000])  # a recording cut short
    assert main(["analyze", str(root / "P1" / "2026-11-02T09.skr"), "--save"]) == 0
    return root


@pytest.fixture(scope="module")
def cluster() -> distributed.LocalCluster:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", scheduler_kwargs={"dashboard": False}) as local:
        yield local


def trends_days(folder: Path, capsys: pytest.CaptureFixture[str]) -> list[dict]:
    assert main(["trends", str(folder), "--json", "--jobs", "1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    return [{"patient": p["patient"], **day} for p in doc["patients"] for day in p["days"]]


def dataset_days(out: Path) -> list[dict]:
    frame = pd.read_parquet(out)
    frame["patient"] = frame["patient"].astype(str)
    frame["date"] = [d.isoformat() for d in frame["date"]]
    rows = frame.sort_values(["patient", "date"]).to_dict("records")
    return rows


def test_cohort_on_the_cluster_at_an_address_writes_trends_rows_and_lists_the_corrupt_file(
        folder: Path, cluster, tmp_path: Path, capsys) -> None:
    expected = trends_days(folder, capsys)
    out = tmp_path / "days.parquet"
    status = main(["cohort", str(folder), "-o", str(out), "--scheduler", cluster.scheduler_address])
    printed, errors = capsys.readouterr()
    assert status == 0
    assert printed.startswith(f"{out}: 5 patient-days of 2 patients from 6 files (4 analysed, 1 from a saved "
                              "analysis, 0 duplicates, 1 failed)")
    assert errors.splitlines() == [f"sensorkit: {folder / 'P2' / 'corrupt.skr'}: "
                                   "P2/corrupt.skr is truncated (shorter than its own header says); restore it from a backup, or "
                                   "export what is readable (sensorkit export) and import that"]

    got = dataset_days(out)
    assert len(got) == len(expected) == 5
    for row, want in zip(got, expected):
        assert set(row) == set(want) == {"patient", "date", "week", "recordings", *METRIC_KEYS}
        assert row == want
    assert sum(r["bends"] for r in got) > 0

    account = json.loads((out / "_recordings.json").read_text())["files"]
    assert {f["file"]: f["source"] for f in account} == {
        "P1/2026-11-02T09.skr": "stored", "P1/2026-11-02T14.skr": "analysed", "P1/2026-11-10T09.skr": "analysed",
        "P2/2026-11-03T08.skr": "analysed", "P2/2026-11-04T23.skr": "analysed", "P2/corrupt.skr": "skipped"}
    parts = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.parquet"))
    assert parts == ["patient=P1/part-0.parquet", "patient=P2/part-0.parquet"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in out.rglob("*") if p.is_file())
    assert ds.dataset(out, partitioning="hive").schema.field("date").type == "date32[day]"
    import dask.dataframe as dd

    assert len(dd.read_parquet(out).compute()) == 5


def test_cohort_on_its_own_two_process_cluster_from_a_glob(folder: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "p1.parquet"
    out.mkdir()
    (out / "old.txt").write_text("kept until --force")
    assert main(["cohort", str(folder / "P1" / "*.skr"), "-o", str(out), "--jobs", "2"]) == 1
    assert "already exists; add --force" in capsys.readouterr().err and (out / "old.txt").exists()
    assert main(["cohort", str(folder / "P1" / "*.skr"), "-o", str(out), "--jobs", "2", "--force"]) == 0
    assert "2 patient-days of 1 patient from 3 files" in capsys.readouterr().out
    assert not (out / "old.txt").exists()
    assert [(r["date"], r["recordings"]) for r in dataset_days(out)] == [("2026-11-02", 2), ("2026-11-10", 1)]


def _square_unless_three(n: int) -> int:
    if n == 3:
        raise RuntimeError("worker fell over")
    return n * n


def test_a_task_the_cluster_loses_is_reported_and_the_rest_complete(cluster) -> None:
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import this test module
    try:
        with distributed.Client(cluster) as client:
            mapper = cluster_mapper(client, failed=lambda item, exc: f"{item}: {exc}")
            assert list(mapper(_square_unless_three, list(range(1, 10)))) == [
                "3: worker fell over" if n == 3 else n * n for n in range(1, 10)]
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def test_without_dask_one_sentence_names_the_extra(folder: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setitem(sys.modules, "dask.distributed", None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, "dask", None)
    assert main(["cohort", str(folder), "-o", str(tmp_path / "x.parquet")]) == 1
    assert capsys.readouterr().err == ("sensorkit: error: sensorkit cohort needs Dask: "
                                       "pip install 'sensorkit[cohort]'\n")
    assert not (tmp_path / "x.parquet").exists()


def test_an_output_that_cannot_be_written_is_refused_before_any_work(folder: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "missing" / "days.parquet"
    assert main(["cohort", str(folder), "-o", str(out)]) == 1
    assert capsys.readouterr().err == f"sensorkit: error: no folder {out.parent} to write days.parquet in\n"
    assert main(["cohort", str(tmp_path / "nothing-*.skr"), "-o", str(tmp_path / "d.parquet")]) == 1
    assert capsys.readouterr().err == f"sensorkit: error: no file matches {tmp_path / 'nothing-*.skr'}\n"


@pytest.mark.shared_data
def test_real_device_files_give_the_same_days_as_trends(shared_data: Path, cluster, tmp_path: Path, capsys) -> None:
    """Real files (a Polar Verity Sense's accelerometer log, an Axivity AX6 file) imported, then the cohort
    in another zone than their saved analyses (so the workers analyse the samples) against `trends`."""
    folder = tmp_path / "real"
    sources = {"R1": shared_data / "formats" / "polar_sensor_logger" / "Polar_Sense_ACC.txt",
               "R2": shared_data / "formats" / "axivity_cwa" / "ax6_testfile.cwa"}
    for patient, source in sources.items():
        (folder / patient).mkdir(parents=True)
        assert main(["import", str(source), "-o", str(folder / patient / "r.skr"), "--patient", patient]) == 0
    capsys.readouterr()
    assert main(["trends", str(folder), "--json", "--jobs", "1", "--tz", "Pacific/Auckland"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {f["source"] for f in doc["files"]} == {"analysed"}
    expected = [{"patient": p["patient"], **day} for p in doc["patients"] for day in p["days"]]
    out = tmp_path / "real.parquet"
    assert main(["cohort", str(folder), "-o", str(out), "--tz", "Pacific/Auckland",
                 "--scheduler", cluster.scheduler_address]) == 0
    assert "(2 analysed, 0 from a saved analysis" in capsys.readouterr().out
    got = dataset_days(out)
    assert got == expected and len(got) >= 2 and all(r["recording_s"] > 100 for r in got)
