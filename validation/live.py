"""Live versus offline versus the truth, on the simulated demo day (`sensorkit demo`'s scenario).

    python validation/live.py                 # 5 seeds in-process, ~15 s
    python validation/live.py --recording ~/.local/share/sensorkit/demo.skr   # a `sensorkit demo` run

In-process, each seed's samples go through :class:`sensorkit.ble.live.LiveAnalysis` in 1 s blocks
(the collector commits about that often), as `sensorkit demo` runs it on a sensor with no declared
mounting: first without the guided calibration (the wearer skipped it: the stream starts after the
routine), then with it. Offline is
`sensorkit analyze` of the same recording (the calibration stored in its metadata, as the live
session stores it). With ``--recording``, the live events are the ones the demo stored in the
recording, scored against its ground truth, beside the offline analysis of its samples.
Scoring: :mod:`sensorkit.signal.scoring` (30 % overlap; detections inside the truth's calibration
routine are not scored).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from sensorkit.ble.live import LiveAnalysis
from sensorkit.errors import SensorKitError
from sensorkit.signal.calibration import GuidedCalibration
from sensorkit.signal.pipeline import analyze
from sensorkit.signal.scoring import MatchResult, match_events, outside
from sensorkit.simulator import load_ground_truth, simulate
from sensorkit.store import RecordingReader

KINDS = ("bend", "slouch", "transition")


def score(events, truth) -> dict[str, MatchResult]:
    spans = truth.of_type("calibration")
    return {k: match_events(truth.of_type(k), outside([e for e in events if e.type == k], spans)) for k in KINDS}


def live_events(block, meta, calibrate: bool):
    stored: list[dict] = []
    live = LiveAnalysis(meta, calibration=GuidedCalibration() if calibrate else None, on_calibrated=stored.append)
    for start in range(0, len(block), int(meta.rate_hz)):
        live.feed(block.slice(start, start + int(meta.rate_hz)))
    return live.finish(), (stored[0] if stored else None)


def line(name: str, scores: dict[str, MatchResult]) -> str:
    cells = [f"{k} {len(m.pairs) + len(m.extra)} found / {len(m.pairs) + len(m.missed)} true, F1 {m.f1:.3f}"
             for k, m in scores.items()]
    return f"| {name} | " + " | ".join(cells) + " |"


def pooled(rows: list[dict[str, MatchResult]]) -> dict[str, MatchResult]:
    return {k: sum((r[k] for r in rows), MatchResult()) for k in KINDS}


def simulated(seeds: range) -> None:
    uncal, cal, off = [], [], []
    for seed in seeds:
        sim = simulate("demo", seed=seed)
        meta = dataclasses.replace(sim.meta, device_kind="sensorkit")  # no declared mounting, like the demo
        skipped = sim.block.between(sim.truth.of_type("calibration")[0].end, float("inf"))  # no routine at all
        events, _ = live_events(skipped, meta, calibrate=False)
        uncal.append(score(events, sim.truth))
        events, doc = live_events(sim.block, meta, calibrate=True)
        cal.append(score(events, sim.truth))
        off.append(score(analyze(sim.block, dataclasses.replace(meta, calibration=doc)).events, sim.truth))
        print(f"seed {seed}: live uncalibrated / calibrated / offline bends "
              f"{[len(r['bend'].pairs) + len(r['bend'].extra) for r in (uncal[-1], cal[-1], off[-1])]}, "
              f"slouches {[len(r['slouch'].pairs) + len(r['slouch'].extra) for r in (uncal[-1], cal[-1], off[-1])]}")
    print(f"\n| path (simulated demo, seeds {seeds.start}-{seeds.stop - 1}) | bends | slouches | transitions |")
    print("|---|---|---|---|")
    print(line("live, calibration skipped", pooled(uncal)))
    print(line("live, guided calibration first", pooled(cal)))
    print(line("offline analyze, same calibration", pooled(off)))


def recording(path: Path) -> None:
    try:
        reader = RecordingReader(path)
    except SensorKitError as exc:  # no such file, not a recording: one sentence, not a traceback
        raise SystemExit(str(exc)) from None
    with reader:
        block, meta, truth, stored = reader.samples(), reader.meta, load_ground_truth(reader), reader.events()
    if truth is None:
        raise SystemExit(f"{path} has no ground truth (not a simulated or demo recording)")
    print(f"| path ({path.name}) | bends | slouches | transitions |\n|---|---|---|---|")
    print(line("live (events stored by the session)", score(stored, truth)))
    print(line("offline analyze", score(analyze(block, meta).events, truth)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--recording", type=Path, help="score a recording made by `sensorkit demo` instead")
    args = parser.parse_args()
    t0 = time.process_time()
    if args.recording:
        recording(args.recording)
    else:
        simulated(range(args.seeds))
    print(f"\n({time.process_time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
