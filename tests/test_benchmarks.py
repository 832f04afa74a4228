"""Every script in benchmarks/ runs at its smallest size, exits 0 and prints its figures.

Benchmarks are run by hand, so one that an API change broke went unseen until someone needed its
figures (cohort_benchmark, last session). Nothing is timed here: each script runs on a few seconds or
minutes of data, in a fresh process from a temporary folder (so it imports the installed package), and
the test reads the line that carries its figures. A script that needs an optional extra skips, naming
it, where that extra is not installed (CI installs ``.[test]``); one that reads the real recordings
uses the ``shared_data`` rule of conftest.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@dataclass(frozen=True)
class Smoke:
    script: str
    args: tuple[str, ...]  # ``{tmp}`` is the test's temporary folder
    figures: str  # a regular expression the output must match: the line with the benchmark's figures
    needs: tuple[str, ...] = ()  # modules of optional extras
    real_data: bool = False


NUMBER = r"\d+(\.\d+)?"
SMOKES = [
    Smoke("ble_benchmark.py", ("--seconds", "30", "--speed", "30"),
          rf"latency over \d+ blocks: median {NUMBER} ms", needs=("bumble",)),
    Smoke("cohort_benchmark.py", ("--recordings", "2", "--hours", "0.02", "--day-hours", "0", "--patients", "2",
                                  "--cache", "{tmp}/cache"),
          rf"dataset: \d+ bytes of Parquet per patient-day", needs=("dask", "distributed", "pyarrow")),
    Smoke("device_import_benchmark.py", ("--hours", "0.01"), r'"geneactiv_peak_rss_mb": \d+',
          needs=("actfast",), real_data=True),
    Smoke("devices_arrival_loss.py", ("--trials", "2"), rf"^ *0\.20 +2\.0 +{NUMBER}"),
    Smoke("gait_benchmark.py", ("--hours", "0.05", "--no-mobgap"),
          rf"sensorkit live \(1 s chunks, first 180 s\).*: {NUMBER} ms CPU"),
    Smoke("gait_profile.py", ("--folder", "{tmp}", "--hours", "0.05", "--repeat", "1"),
          rf"detector CPU per 24 h \(best of 1\): {NUMBER} s without the wearer's height, {NUMBER} s with it"),
    # mobgap (both --mobgap runs) is the [compare] extra, which .[test] leaves out: they run where it is installed
    Smoke("gait_benchmark.py", ("--hours", "0.05"), rf"speed-up: {NUMBER}x wall", needs=("mobgap",)),
    Smoke("import_benchmark.py", ("--hours", "0.01"), r'"import_parquet_peak_rss_mb": \d+'),
    Smoke("jobs_benchmark.py", ("--recordings", "2", "--hours", "0.02", "--rounds", "1", "--per-recording",
                                "--cache", "{tmp}/cache"),
          rf"projected idle: --jobs 1 {NUMBER} s, --jobs 2 {NUMBER} s"),
    Smoke("live_benchmark.py", ("--hours", "0.05"), rf"offset learnt live: +{NUMBER} ms CPU"),
    Smoke("memory_benchmark.py", ("--folder", "{tmp}", "--days", "0.002", "--repeat", "1"),
          rf"^\| 0\.002 day\(s\) \| {NUMBER} s, \d+ MB \| {NUMBER} s \| {NUMBER} s.*, \d+ MB \|$"),
    Smoke("memory_benchmark.py", ("--folder", "{tmp}", "--days", "0.002", "--repeat", "1", "--mobgap"),
          rf"mobgap MobilisedPipelineHealthy, same samples: {NUMBER} s", needs=("mobgap",)),
    Smoke("posture_benchmark.py", ("--hours", "0.05", "--live-seconds", "60"),
          rf"live \(1 s chunks, 60 s of data\): {NUMBER} ms CPU"),
    Smoke("posture_profile.py", ("--hours", "0.05", "--top", "3"), r"warehouse day, top 3 by with callees"),
    Smoke("posture_profile.py", ("--stored", str(BENCHMARKS.parent / "sample-data" / "demo.skr"), "--repeat", "1"),
          rf"posture pass \(gait off, decoding not counted\), best of 1: {NUMBER} s CPU"),
    Smoke("raw_capture_size.py", ("--minutes", "0.2", "--speed", "30", "--kinds", "sensorkit,polar"),
          r"^polar +\d+ .* identical$", needs=("bumble",)),
    Smoke("report_benchmark.py", ("--weeks", "1", "--days-per-week", "1", "--hours", "0.02", "--jobs", "1",
                                  "--cache", "{tmp}/cache"),
          rf"--jobs 1 pdf +again: +{NUMBER} s wall.*{NUMBER} MB", needs=("matplotlib",)),
    Smoke("simulator_bends_vs_real.py", ("--limit", "2"), rf"squat +simulated +n= *\d+ +{NUMBER}",
          real_data=True),
    Smoke("simulator_speed.py", ("--hours", "0.02"), rf"warehouse +\d+ samples: simulate +{NUMBER} s"),
    Smoke("simulator_transitions_vs_real.py", ("--limit", "2"), rf"lie_to_sit +simulated +n= *\d+ +{NUMBER}",
          real_data=True),
    Smoke("simulator_walking_vs_real.py", ("--limit", "2"), rf"vertical RMS per step/s of cadence: real -?{NUMBER}",
          real_data=True),
    Smoke("startup_benchmark.py", ("--runs", "1"), rf"sensorkit analyze --help +{NUMBER} +{NUMBER}"),
    Smoke("store_benchmark.py", ("--hours", "0.02"), r"peak RSS of the loading process: \d+ MB"),
    Smoke("store_benchmark.py", ("--amplification", "--seconds", "2"),
          r"charged as disk writes \(write_bytes\): \d+ bytes per second"),
    Smoke("tui_responsiveness.py", ("--hours", "0.02", "--recordings", "2", "--runs", "1", "--keep", "{tmp}/tui"),
          rf"trends of 2 recordings of 0\.02 h.*: drawn {NUMBER} s"),
]


def test_every_benchmark_has_a_smoke_run() -> None:
    assert {s.script for s in SMOKES} == {p.name for p in BENCHMARKS.glob("*.py")}


@pytest.mark.slow
@pytest.mark.parametrize("smoke", SMOKES, ids=lambda s: f"{s.script}{' '.join(('',) + s.args[:2])}")
def test_a_benchmark_runs_at_its_smallest_size_and_prints_its_figures(
        smoke: Smoke, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    for module in smoke.needs:
        pytest.importorskip(module, reason=f"{smoke.script} needs {module}, an optional extra not installed here")
    env = dict(os.environ)
    if smoke.real_data:
        env["SENSORKIT_SHARED_DATA"] = str(request.getfixturevalue("shared_data"))
    args = [arg.format(tmp=tmp_path) for arg in smoke.args]
    run = subprocess.run([sys.executable, str(BENCHMARKS / smoke.script), *args], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert re.search(smoke.figures, run.stdout, re.MULTILINE), run.stdout[-3000:]
