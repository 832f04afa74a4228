"""Offline analysis straight from the store, in bounded memory: the same answers as from one block.

`analyze` reads a recording in two passes (window statistics for the alignment, then the pipeline)
block by block; these tests pin that the answers equal the in-memory ones, that no read asks for more
than a few minutes of samples, and that the window statistics do not depend on how samples arrive.
"""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import sys
import time
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from sensorkit.samples import SampleBlock
from sensorkit.signal.pipeline import InMemory, Later, analyze
from sensorkit.signal.alignment import alignment_from
from sensorkit.signal.window_stats import WindowCollector, all_window_stats, window_stats
from sensorkit.simulator import simulate
from sensorkit.store import RecordingReader, RecordingWriter


class CountingReader:
    """A recording read as `analyze` reads it, noting the longest stretch of samples asked for at once."""

    def __init__(self, reader: RecordingReader) -> None:
        self.reader, self.longest, self.passes = reader, 0.0, 0

    def iter_blocks(self):
        self.passes += 1
        for block in self.reader.iter_blocks():
            self.longest = max(self.longest, float(block.t[-1] - block.t[0]))
            yield block

    def samples(self, t0: float, t1: float) -> SampleBlock:
        block = self.reader.samples(t0, t1)
        self.longest = max(self.longest, float(block.t[-1] - block.t[0]) if len(block) else 0.0)
        return block


def stored(tmp_path: Path, scenario: str, seed: int, duration: float, mounted: bool, loss: float = 0.0):
    sim = simulate(scenario, seed, duration, loss=loss)
    # no device kind with a nominal mounting: forward comes from the movements (walking read back)
    meta = sim.meta if mounted else dataclasses.replace(sim.meta, device_kind="unknown")
    path = tmp_path / f"{scenario}.skr"
    with RecordingWriter(path, meta) as writer:
        for k in range(0, len(sim.block), 6000):
            writer.append(sim.block.slice(k, k + 6000))
    return path, meta


def as_json(result):
    return result.alignment.to_json(), [e.to_json() for e in result.events], result.summary, result.samples


@pytest.mark.parametrize("scenario, seed, duration, mounted, loss", [
    ("office", 3, 1800.0, False, 0.0),  # walking, bends, sitting: every forward cue
    ("office_desk", 4, 5400.0, True, 0.0),  # the sensor left on a desk: non-wear left out of the alignment
    ("warehouse", 5, 900.0, False, 0.05),  # packet loss: windows with gaps
])
def test_analysis_from_the_store_equals_the_analysis_in_memory(tmp_path, scenario, seed, duration, mounted, loss):
    path, meta = stored(tmp_path, scenario, seed, duration, mounted, loss)
    with RecordingReader(path) as reader:
        whole = reader.samples()
        spy = CountingReader(reader)
        streamed = analyze(spy, meta)
    in_memory = analyze(whole, meta)
    assert as_json(streamed) == as_json(in_memory)
    assert streamed.samples == len(whole)
    assert spy.passes == 2 and spy.longest <= 300.0  # a stored block or a minute of walking, never it all
    if not mounted:
        assert streamed.alignment.forward_known and "walking" in streamed.alignment.forward_from


def test_later_leaves_out_what_came_before(tmp_path):
    path, meta = stored(tmp_path, "office", 6, 1200.0, True)
    with RecordingReader(path) as reader:
        whole = reader.samples()
        later = analyze(Later(reader, 600.0), meta)
        apart = analyze(Later(reader, 600.0), meta, apart=True)
    assert as_json(later) == as_json(analyze(whole.between(600.0, np.inf), meta)) == as_json(apart)


def test_window_statistics_do_not_depend_on_the_chunking():
    block = simulate("demo", 7, 240.0, loss=0.05).block
    one = window_stats(block, 100.0)
    collector = WindowCollector(100.0)
    rng = np.random.default_rng(1)
    cuts = np.sort(rng.choice(len(block), 40, replace=False))
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(block)]):
        collector.update(block.slice(int(a), int(b)))
    chunked = collector.finish()
    for name in ("t", "t_last", "mean", "mag_var", "mag_dir_cov", "still_t", "still"):
        np.testing.assert_array_equal(getattr(one, name), getattr(chunked, name), err_msg=name)
    assert one.samples == chunked.samples == len(block)
    assert len(one.t) >= 220 and len(one.still) > 100  # the demo stands, sits and lies still


def test_magnitude_spread_without_the_offset_matches_the_samples():
    """The SD of |a - b| per second, known only after the pass gives b, is within 1e-3 m/s^2 of the truth."""
    block = simulate("walk", 2, 60.0).block
    bias = np.array([0.15, -0.1, 0.12])  # a 0.2 g-sized offset
    stats = window_stats(block, 100.0)
    seconds = block.acc[: len(stats.t) * 100].reshape(-1, 100, 3)  # the windows: 100 samples each
    direct = np.linalg.norm(seconds - bias, axis=2).std(axis=1)
    np.testing.assert_allclose(stats.mag_sd(bias), direct, atol=1e-3)
    assert max(direct) > 0.8  # walking seconds, not only still ones
    np.testing.assert_allclose(stats.mag_sd(np.zeros(3)), np.linalg.norm(seconds, axis=2).std(axis=1), atol=1e-9)


def test_in_memory_reads_in_slices():
    block = simulate("static", 1, 120.0).block
    parts = list(InMemory(block).iter_blocks())
    assert sum(len(p) for p in parts) == len(block)


def test_first_pass_and_walking_found_in_processes_of_their_own_give_the_same_analysis(tmp_path):
    path, meta = stored(tmp_path, "office", 8, 1800.0, True)
    with RecordingReader(path) as reader:
        here = analyze(reader, meta)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            apart = analyze(reader, meta, apart=True)
        whole = reader.samples()
        no_gait = analyze(reader, meta, gait=False)
        no_gait_apart = analyze(reader, meta, gait=False, apart=True)
    assert as_json(apart) == as_json(here) == as_json(analyze(whole, meta, apart=True))
    assert apart.gait == "on" and any(e.type == "walking_bout" for e in apart.events)
    assert as_json(no_gait_apart) == as_json(no_gait) and no_gait.gait == "off"
    assert not [w for w in caught if "multi-threaded" in str(w.message)]  # Python 3.12+'s fork warning


def test_first_pass_apart_leaves_non_wear_out_of_the_alignment(tmp_path):
    """The first pass's process leaves the same non-wear periods out of the alignment, which they
    change (the sensor lay on a desk for an hour), and its statistics arrive whole."""
    from sensorkit.signal.first_pass import first_pass, first_pass_apart

    path, meta = stored(tmp_path, "office_desk", 4, 5400.0, False)
    with RecordingReader(path) as reader:
        here = analyze(reader, meta)
        apart = analyze(reader, meta, apart=True)
        desk_too = alignment_from(all_window_stats(reader.iter_blocks(), meta.rate_hz), reader.samples, meta)
        with first_pass_apart(reader, meta.rate_hz) as process:
            sent = process.result()
        kept = first_pass(reader, meta.rate_hz)
    assert as_json(apart) == as_json(here)
    assert here.summary["total"]["not_worn_s"] > 1800
    assert not np.allclose(desk_too.rotation, here.alignment.rotation, atol=1e-3)
    for name in ("t", "t_last", "mean", "mag_var", "mag_dir_cov", "still_t", "still"):
        np.testing.assert_array_equal(getattr(sent, name), getattr(kept, name), err_msg=name)
    assert sent.mean.flags.writeable and 1000 < len(sent.t) < 5400 - 1800  # the worn windows only


def test_an_error_in_the_first_pass_process_is_raised_here(tmp_path, monkeypatch):
    import os

    from sensorkit.errors import RecordingError
    from sensorkit.signal import first_pass

    def fail(blocks, rate_hz):
        raise RecordingError(f"the first pass failed on purpose in process {os.getpid()}")

    monkeypatch.setattr(first_pass, "worn_window_stats", fail)  # the forked process has the same code
    path, meta = stored(tmp_path, "walk", 9, 120.0, True)
    with RecordingReader(path) as reader, pytest.raises(RecordingError, match="failed on purpose") as raised:
        analyze(reader, meta, apart=True)
    assert f"in process {os.getpid()}" not in str(raised.value)  # found there, raised here


def test_no_fork_warning_beside_a_native_thread_pool(tmp_path):
    pytest.importorskip("pyarrow")
    from pyarrow import csv, py_buffer

    csv.read_csv(py_buffer(b"a\n1\n"))  # starts Arrow's threads, as a Parquet input does
    path, meta = stored(tmp_path, "walk", 9, 120.0, True)
    with RecordingReader(path) as reader, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        analyze(reader, meta, apart=True)
    assert not [w for w in caught if "multi-threaded" in str(w.message)]  # shown from Python 3.12 on


def test_an_error_in_the_second_process_is_raised_here(tmp_path, monkeypatch):
    from sensorkit.errors import RecordingError
    from sensorkit.signal.gait import GaitDetector

    def fail(self, block):
        raise RecordingError("step detection failed on purpose")

    monkeypatch.setattr(GaitDetector, "update", fail)  # the forked process has the same code
    path, meta = stored(tmp_path, "walk", 9, 120.0, True)
    with RecordingReader(path) as reader, pytest.raises(RecordingError, match="failed on purpose"):
        analyze(reader, meta, apart=True)


def test_a_forked_process_runs_ahead_of_its_reader_by_at_most_its_bound(tmp_path):
    from sensorkit.errors import RecordingError
    from sensorkit.signal.apart import AHEAD_UNIT, Apart

    sent = tmp_path / "sent.txt"

    def work(own, send, fail=False):
        for i in range(20):
            send(i, AHEAD_UNIT)  # each item counted as 1 MiB
            sent.write_text(str(i + 1))
            if fail and i == 2:
                raise RecordingError("failed on purpose after three items")
        return "done"

    nothing = InMemory(SampleBlock.empty())
    with Apart("a test", work, nothing, ahead=4 * AHEAD_UNIT) as process:
        time.sleep(1.0)
        assert sent.read_text() == "4"  # then it waits for this process to read
        assert list(process.received()) == list(range(20)) and process.result() == "done"
    with Apart("a test", partial(work, fail=True), nothing, ahead=4 * AHEAD_UNIT) as process:
        received = []
        with pytest.raises(RecordingError, match="failed on purpose"):
            received.extend(process.received())
        assert received == [0, 1, 2]


def test_damage_the_walking_process_reads_is_reported_by_the_analysis(tmp_path, capsys, caplog):
    """With the walking process binning the blocks for the posture pass, this process decodes only
    the alignment's minutes of walking: a damaged block found there is reported here, once, and the
    JSON is the same as with --jobs 1."""
    from test_store_reliability import pages_of, simulated, spoil

    from sensorkit.cli.main import main

    path = simulated(tmp_path, "damaged.skr")
    spoil(path, pages_of(path, "overflow")[-1])
    capsys.readouterr()
    caplog.clear()
    assert main(["analyze", "--json", "--jobs", "2", str(path)]) == 0
    apart = capsys.readouterr().out
    warned = [r for r in caplog.records if "damaged" in r.getMessage()]
    assert main(["analyze", "--json", "--jobs", "1", str(path)]) == 0
    assert apart == capsys.readouterr().out
    assert any("is damaged" in w for w in json.loads(apart)["analysis"]["warnings"]) and len(warned) == 1


# `sensorkit analyze` whose walking or first-pass process (argv[3]) takes seconds a block (a long
# day's pass, quickly simulated): it writes its pid to argv[2] when it starts on the first block
SLOW_ANALYZE = """
import os, sys, time
from sensorkit.cli.main import main
from sensorkit.signal import first_pass

def slowed(blocks):
    for block in blocks:
        with open(sys.argv[2] + ".new", "w") as out:
            out.write(str(os.getpid()))
        os.replace(sys.argv[2] + ".new", sys.argv[2])
        time.sleep(5.0)
        yield block

if sys.argv[3] == "walking":
    from sensorkit.signal.gait import GaitDetector

    update = GaitDetector.update
    GaitDetector.update = lambda self, block: update(self, next(slowed([block])))
else:
    stats = first_pass.worn_window_stats
    first_pass.worn_window_stats = lambda blocks, rate_hz: stats(slowed(blocks), rate_hz)
sys.exit(main(["analyze", "--jobs", "2", sys.argv[1]]))
"""

# `sensorkit analyze --json --jobs 2` noting in argv[2] which of the signal core's heavy modules its
# first pass's process has
FIRST_PASS_IMPORTS = """
import sys
from sensorkit.cli.main import main
from sensorkit.signal import first_pass

def noting(source, rate_hz, first=first_pass.first_pass):
    with open(sys.argv[2], "w") as out:
        out.write(" ".join(m for m in ("scipy.signal", "sensorkit.signal.pipeline") if m in sys.modules))
    return first(source, rate_hz)

first_pass.first_pass = noting
sys.exit(main(["analyze", "--json", "--jobs", "2", sys.argv[1]]))
"""


def test_the_first_pass_starts_before_the_signal_core_is_imported(tmp_path, capsys):
    """The CLI forks the first pass's process before importing SciPy (which it imports meanwhile):
    the same JSON as with --jobs 1, where nothing is forked."""
    from sensorkit.cli.main import main

    path, _ = stored(tmp_path, "office", 8, 900.0, True)
    noted = tmp_path / "imported.txt"
    apart = subprocess.run([sys.executable, "-c", FIRST_PASS_IMPORTS, str(path), str(noted)],
                           capture_output=True, text=True, timeout=120)
    assert apart.returncode == 0, apart.stderr
    assert noted.read_text() == ""  # neither SciPy's signal module nor the pipeline
    assert main(["analyze", "--json", "--jobs", "1", str(path)]) == 0
    assert apart.stdout == capsys.readouterr().out and '"walking_bout"' in apart.stdout


def _running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by whoever adopted it, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc (Linux)")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
@pytest.mark.parametrize("slowed", ["walking", "first pass"])
def test_a_process_forked_for_the_analysis_ends_with_it(tmp_path, sig, slowed):
    path, _ = stored(tmp_path, "walk", 9, 600.0, True)  # ten blocks: about 50 s of the slowed pass
    pid_file, stderr = tmp_path / "forked.pid", tmp_path / "stderr.txt"
    with stderr.open("w") as err:  # a file, not a pipe: the forked processes hold it too
        analysis = subprocess.Popen([sys.executable, "-c", SLOW_ANALYZE, str(path), str(pid_file), slowed],
                                    stdout=subprocess.DEVNULL, stderr=err)
    try:
        assert _wait_for(pid_file.exists, 60.0), f"the {slowed} process never started"
        forked = int(pid_file.read_text())
        assert forked != analysis.pid and _running(forked)
        analysis.send_signal(sig)
        analysis.wait(timeout=30.0)
    finally:
        analysis.kill()
    # a liveness bound, not a speed one: left alone the forked process would run for about 50 s more
    assert _wait_for(lambda: not _running(forked), 15.0), f"{signal.Signals(sig).name} left the {slowed} process"
    assert "Traceback" not in stderr.read_text()
