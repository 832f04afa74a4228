"""kill -9 at random moments of `sensorkit record` and of `sensorkit analyze --save` (issue 15, the store).

    python validation/store_faults.py [--trials 20] [--seed 0]

Record trials: ``sensorkit record --emulate sensorkit`` streams in real time (100 Hz, 6 axes) and is
killed at a random moment: in odd trials drawn over the start and the first 4 s of recording (so
some land before the recording exists), in even trials 0-8 s after the recording file appeared (0-75 s with ``--long``,
past the minute-block merges). Right after the kill the recording file is copied alone, without its
``-wal`` side file, as a patient copying "the recording" would. Then:

- the recording, read as SQLite recovers it, is a valid recording (or, killed before it was made,
  absent: never a half-made file at its path) and its last sample is at most ~1 s older than the kill
  (``lag``: kill time minus the wall time of the last stored sample, from the recording's start time);
- the copy alone opens, and misses at most 1 s (100 samples) of the recording: ``copy_missing``;
- the copy's samples are exactly the recording's first ones (nothing half-written accepted).

Save trials: a finished 10-minute recording with 45 ``data_gap`` and 2 ``battery_low`` events from its
recorder and an earlier analysis marked "old" (events, summary and provenance) is given to
``sensorkit analyze --save``, killed at a random moment: in odd trials drawn over the whole run, in
even trials at most 3 ms after the save opened the recording for writing (its ``-wal`` file appeared), so
those land inside the save itself. Then the recording and its copy
alone each hold every sample and every recorder event, and either the old analysis or the new one,
whole (the three parts agree): never a mix, never nothing.

Reader trials: ``sensorkit record --emulate sensorkit --duration 5`` while another process polls the
recording (opens it, counts its samples, closes it, again and again; every other trial keeps it open):
the recording must end with exit 0, its summary printed and every sample in the file.

The run prints every trial and the totals; the promise is 0 lost or emptied, 0 copies missing more
than 1 s, 0 half-written accepted, every reader trial ended cleanly. ``tests/test_store_faults.py``
runs a few trials in CI.
"""

from __future__ import annotations

import argparse
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sensorkit.cli.main import main as sensorkit_main
from sensorkit.errors import SensorKitError
from sensorkit.events import Event
from sensorkit.samples import start_datetime
from sensorkit.store import RecordingReader, RecordingWriter

RATE_HZ = 100.0
RECORDER_EVENTS = 47  # 45 gaps and 2 low-battery notes in the save trials' recording


def sensorkit(*args: str) -> list[str]:
    return [sys.executable, "-m", "sensorkit.cli", *args]


@dataclass
class Outcome:
    kind: str  # "record", "save" or "reader"
    kill_after_s: float
    state: str  # record: "absent" (killed before the file existed) / "recording"; save: "old" / "new"
    samples: int = 0
    copy_missing: int = 0  # samples the recording file alone lacks
    lag_s: float = 0.0  # record: kill time minus the wall time of the last stored sample
    problem: str = ""  # empty when every promise held

    def line(self) -> str:
        if self.kind == "reader":
            return f"reader {self.state}: {self.samples} samples in the file alone" + (
                f"  PROBLEM: {self.problem}" if self.problem else ", ended cleanly")
        text = f"{self.kind:6s} kill at {self.kill_after_s:5.2f} s: {self.state:9s} {self.samples:6d} samples"
        if self.kind == "record" and self.state == "recording":
            text += f", copy alone misses {self.copy_missing} (lag {self.lag_s:.2f} s)"
        elif self.kind == "save":
            text += f", copy alone misses {self.copy_missing}"
        return text + (f"  PROBLEM: {self.problem}" if self.problem else "")


def copy_alone(path: Path, folder: Path) -> Path | None:
    """The recording file without its side files, as a patient would copy it (None if absent)."""
    folder.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        return None
    return Path(shutil.copy(path, folder / path.name))


def read(path: Path) -> tuple[np.ndarray, list[Event], dict]:
    with RecordingReader(path) as reader:
        block = reader.samples()
        if reader.damage:
            raise SensorKitError(reader.damage_report() or "damaged")
        return block.t, reader.events(), reader.summaries()


# -- record ------------------------------------------------------------------------------------

def wait_for(path: Path, proc: subprocess.Popen, timeout_s: float = 60.0) -> float:
    """Seconds until ``path`` exists (or the process ended)."""
    started = time.monotonic()
    while not path.exists() and proc.poll() is None and time.monotonic() - started < timeout_s:
        time.sleep(0.001)
    return time.monotonic() - started


def record_start(folder: Path) -> float:
    """Seconds from starting `sensorkit record` until its recording file appears (this machine, now)."""
    folder.mkdir()
    proc = subprocess.Popen(sensorkit("record", "--emulate", "sensorkit", "--duration", "600", "-o",
                                      str(folder / "rec.skr")), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seconds = wait_for(folder / "rec.skr", proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return seconds


def record_trial(folder: Path, kill_after_s: float, after_file: bool) -> Outcome:
    """Kill ``kill_after_s`` after the start, or after the recording file appeared (``after_file``)."""
    rec = folder / "rec.skr"
    started = time.monotonic()
    proc = subprocess.Popen(sensorkit("record", "--emulate", "sensorkit", "--duration", "600", "-o", str(rec)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if after_file:
        wait_for(rec, proc)
        time.sleep(kill_after_s)
        kill_after_s = time.monotonic() - started
    else:
        time.sleep(kill_after_s)
    proc.send_signal(signal.SIGKILL)
    killed_at = time.time()
    proc.wait()
    copy = copy_alone(rec, folder / "copy")
    outcome = Outcome("record", kill_after_s, "absent" if copy is None else "recording")
    leftovers = [p.name for p in folder.iterdir() if p.name not in ("rec.skr", "rec.skr-wal", "rec.skr-shm", "copy")
                 and not p.name.startswith(".rec.skr.")]
    if leftovers:
        outcome.problem = f"unexpected files {leftovers}"
    if copy is None:
        return outcome
    try:
        t_full, _, _ = read(rec)
        with RecordingReader(rec) as reader:
            start = start_datetime(reader.meta.start_time).timestamp()
    except SensorKitError as exc:
        outcome.problem = f"the recording is refused: {exc}"
        return outcome
    try:
        t_copy, _, _ = read(copy)
    except SensorKitError as exc:
        outcome.problem = f"the copied file alone is refused: {exc}"
        return outcome
    outcome.samples, outcome.copy_missing = len(t_full), len(t_full) - len(t_copy)
    if len(t_full):
        outcome.lag_s = killed_at - (start + t_full[-1] + 1.0 / RATE_HZ)
    if not np.array_equal(t_copy, t_full[: len(t_copy)]):
        outcome.problem = "the copy's samples are not the recording's first ones"
    elif outcome.copy_missing > RATE_HZ:
        outcome.problem = f"the copy alone misses {outcome.copy_missing} samples (> 1 s)"
    elif len(t_full) and outcome.lag_s > 1.5:
        outcome.problem = f"the last {outcome.lag_s:.1f} s before the kill are lost (> 1 s + delivery)"
    return outcome


# -- analyze --save -----------------------------------------------------------------------------

OLD = {"marker": "old"}


def make_saved_recording(path: Path) -> int:
    """A 10-minute recording with the recorder's events and an earlier analysis marked old."""
    assert sensorkit_main(["simulate", "--scenario", "demo", "--seed", "1", "-o", str(path)]) == 0
    with RecordingWriter.reopen(path) as writer:
        writer.add_events([Event("data_gap", 10.0 + 12 * k, 10.5 + 12 * k, {"samples": 49}) for k in range(45)])
        writer.add_events([Event("battery_low", 300.0, 300.0, {}), Event("battery_low", 400.0, 400.0, {})])
        writer.replace_analysis([Event("bend", 5.0 * k, 5.0 * k + 2, dict(OLD)) for k in range(3)],
                                {"analysis": dict(OLD), "analysis_provenance": dict(OLD)})
    with RecordingReader(path) as reader:
        return reader.sample_count()


def analysis_state(events: list[Event], summaries: dict) -> str:
    """"old" or "new" when the three parts of the saved analysis agree, else what is wrong."""
    recorder = [e for e in events if e.type in ("data_gap", "battery_low")]
    if len(recorder) != RECORDER_EVENTS:
        return f"{len(recorder)} of {RECORDER_EVENTS} recorder events left"
    analysis = [e for e in events if e.type not in ("data_gap", "battery_low")]
    old_parts = (summaries.get("analysis") == OLD, summaries.get("analysis_provenance") == OLD,
                 bool(analysis) and all(e.fields.get("marker") == "old" for e in analysis))
    if all(old_parts):
        return "old"
    new = (summaries.get("analysis") not in (None, OLD) and summaries.get("analysis_provenance") not in (None, OLD)
           and bool(analysis) and not any(e.fields.get("marker") for e in analysis))
    return "new" if new and not any(old_parts) else f"a mix (old parts: {old_parts})"


def save_trial(folder: Path, template: Path, samples: int, kill_after_s: float, in_save: bool) -> Outcome:
    """Kill ``kill_after_s`` after the start, or that long after the save opened the file (``in_save``)."""
    rec = folder / "day.skr"
    shutil.copy(template, rec)
    started = time.monotonic()
    proc = subprocess.Popen(sensorkit("analyze", str(rec), "--save"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    wal = Path(str(rec) + "-wal")
    if in_save:
        while not wal.exists() and proc.poll() is None:  # no sleep: kill as close to the save as we can
            pass
    try:
        proc.wait(timeout=kill_after_s)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    kill_after_s = time.monotonic() - started
    mid_save = wal.exists()  # the save had opened the recording for writing and not finished
    copy = copy_alone(rec, folder / "copy")
    outcome = Outcome("save", kill_after_s, "")
    states = []
    for label, path in (("the recording", rec), ("the copy alone", copy)):
        try:
            t, events, summaries = read(path)
        except SensorKitError as exc:
            outcome.problem = f"{label} is refused: {exc}"
            return outcome
        if label == "the recording":
            outcome.samples = len(t)
        else:
            outcome.copy_missing = outcome.samples - len(t)
        state = analysis_state(events, summaries)
        if len(t) != samples:
            outcome.problem = f"{label} holds {len(t)} of {samples} samples"
        elif state not in ("old", "new"):
            outcome.problem = f"{label}: {state}"
        states.append(state)
    outcome.state = states[0] + ("" if states[1] == states[0] else f"/copy {states[1]}") + (" mid-save" if mid_save else "")
    return outcome


# -- a reader at the end of a recording -----------------------------------------------------------

POLLER = Path(__file__).resolve().parent / "poll_readers.py"


def reader_trial(folder: Path, hold: bool) -> Outcome:
    """A 5-second recording while another process polls it (or holds it open): it must end cleanly."""
    rec = folder / "rec.skr"
    poller = subprocess.Popen([sys.executable, str(POLLER), str(folder), rec.name, str(rec) + ".stop",
                               "hold" if hold else "poll"])
    try:
        done = subprocess.run(sensorkit("record", "--emulate", "sensorkit", "--duration", "5", "-o", str(rec)),
                              capture_output=True, text=True, timeout=300)
    finally:
        Path(str(rec) + ".stop").touch()
        poller.wait(timeout=60)
    outcome = Outcome("reader", 0.0, "held open" if hold else "polled")
    if done.returncode != 0 or "recorded" not in done.stdout:
        outcome.problem = f"exit {done.returncode}: {done.stderr.strip()[-200:]}"
        return outcome
    try:
        outcome.samples = len(read(Path(shutil.copy(rec, folder / "alone.skr")))[0])  # the file alone
    except SensorKitError as exc:
        outcome.problem = f"the recording file alone is refused: {exc}"
        return outcome
    if outcome.samples != 500:
        outcome.problem = f"{outcome.samples} of 500 samples in the file alone"
    return outcome


# -- the run ------------------------------------------------------------------------------------

def run_trials(trials: int, seed: int, folder: Path, record_s: float = 8.0, readers: int = 10,
               echo: bool = False) -> list[Outcome]:
    """``trials`` record and save trials (kill moments drawn from ``seed``), then ``readers`` reader trials.

    ``record_s``: how long after the recording appeared the even record trials kill at the latest.
    """
    rng = random.Random(seed)
    template = folder / "template.skr"
    samples = make_saved_recording(template)
    started = time.monotonic()
    done = subprocess.run(sensorkit("analyze", str(shutil.copy(template, folder / "timing.skr")), "--save"),
                          capture_output=True)
    save_s = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    record_start_s = record_start(folder / "timing")
    outcomes = []
    for k in range(trials):
        for kind in ("record", "save"):
            trial_folder = folder / f"{kind}{k}"
            trial_folder.mkdir()
            whole_run = k % 2 == 1
            if kind == "record":
                outcome = record_trial(trial_folder, rng.uniform(0.5, record_start_s + 4.0) if whole_run
                                       else rng.uniform(0.0, record_s), after_file=not whole_run)
            else:
                outcome = save_trial(trial_folder, template, samples, rng.uniform(0.2, save_s * 1.1) if whole_run
                                     else rng.uniform(0.0, 0.003), in_save=not whole_run)
            outcomes.append(outcome)
            if echo:
                print(outcome.line(), flush=True)
    for k in range(readers):
        trial_folder = folder / f"reader{k}"
        trial_folder.mkdir()
        outcomes.append(reader_trial(trial_folder, hold=k % 2 == 1))
        if echo:
            print(outcomes[-1].line(), flush=True)
    return outcomes


def summary(outcomes: list[Outcome]) -> str:
    record = [o for o in outcomes if o.kind == "record"]
    save = [o for o in outcomes if o.kind == "save"]
    made = [o for o in record if o.state == "recording"]
    lines = [
        f"record: {len(record)} kills, {len(made)} with a recording, {len(record) - len(made)} before it existed; "
        f"copy alone misses at most {max((o.copy_missing for o in made), default=0)} samples; "
        f"lag kill-to-last-sample median {np.median([o.lag_s for o in made]) if made else 0:.2f} s, "
        f"max {max((o.lag_s for o in made), default=0):.2f} s",
        f"save: {len(save)} kills: {sum(o.state.startswith('old') for o in save)} old analysis, "
        f"{sum(o.state.startswith('new') for o in save)} new ({sum('mid-save' in o.state for o in save)} killed "
        f"while the save had the recording open for writing); copy alone misses at most "
        f"{max((o.copy_missing for o in save), default=0)} samples",
        f"readers: {sum(not o.problem for o in outcomes if o.kind == 'reader')} of "
        f"{sum(o.kind == 'reader' for o in outcomes)} recordings ended cleanly with a reader polling or holding the file",
        f"problems (lost, emptied, half-written accepted, copy missing > 1 s, failed end): "
        f"{sum(bool(o.problem) for o in outcomes)}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--long", action="store_true", help="kill record up to 75 s in (past a minute merge)")
    parser.add_argument("--readers", type=int, default=10, help="recordings made with a reader polling them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        outcomes = run_trials(args.trials, args.seed, Path(tmp), 75.0 if args.long else 8.0, args.readers, echo=True)
    print(summary(outcomes))
    sys.exit(1 if any(o.problem for o in outcomes) else 0)


if __name__ == "__main__":
    main()
