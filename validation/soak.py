"""Soak: hundreds of simulated hours through every analysis path, counting internal errors.

    nice -n 10 python validation/soak.py                     # >= 200 h: every scenario, several seeds
    python validation/soak.py --hours 6 --seeds 1            # a quick sample (tests/test_soak.py runs one)

Each case is a simulated recording (every scenario; variants: clean, ``--loss``, ``--no-gyro``, both,
and long gaps of 10 s to 3 h injected at random points, mid-episode included), stored as a
recording, then analysed three ways:

- **offline**: ``sensorkit analyze``'s own function on the stored file (:func:`sensorkit.cli.analyze.analyze_input`);
- **live**: :class:`sensorkit.ble.live.LiveAnalysis`, what ``record``/``monitor`` run, fed blocks of
  random sizes (0.2-60 s) as a collector would, alignment learnt as it goes;
- **stream = batch**: the offline alignment, samples fed to the pipeline in the same random blocks;
  its events must be the offline ones, every field to the last bit (counted as ``stream != batch``
  when not).

An *internal error* is any exception that is not a :class:`sensorkit.errors.SensorKitError` (those are
the clear one-sentence errors meant for people). The table lists, per scenario and variant, the
hours, the cases, internal errors, errors meant for people and stream/batch differences; the first
traceback of each kind of internal error follows. Exit status 1 when any internal error occurred.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sensorkit.ble.live import LiveAnalysis
from sensorkit.cli.main import build_parser
from sensorkit.cli.analyze import analyze_input
from sensorkit.errors import SensorKitError
from sensorkit.samples import SampleBlock
from sensorkit.signal.alignment import Alignment
from sensorkit.signal.pipeline import Pipeline, monitored_from
from sensorkit.signal.profile import Profile
from sensorkit.simulator import simulate
from sensorkit.simulator.simulation import Simulation, save_simulation
from sensorkit.store import RecordingReader

SCENARIOS = ("office", "warehouse", "demo", "bends", "slouch", "walk", "static")
VARIANTS = ("clean", "loss", "no-gyro", "loss+no-gyro", "long gaps")
SHORT_SCENARIO_S = {"demo": 600.0, "bends": 180.0, "slouch": 300.0, "walk": 150.0, "static": 180.0}
DAY_SCENARIOS = ("office", "warehouse")  # 8 h each at their natural length
LOSS = 0.05
REPEAT_SHORT = 6  # the short scripted scenarios are run back to back this many times per seed (longer days)


@dataclass
class Tally:
    hours: float = 0.0
    cases: int = 0
    internal: int = 0
    user_errors: int = 0
    differ: int = 0
    seconds: float = 0.0


@dataclass
class Soak:
    rate_hz: float
    repeat: int = REPEAT_SHORT
    tally: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    tracebacks: dict[str, str] = field(default_factory=dict)  # first traceback per error signature

    def internal(self, where: str, exc: BaseException) -> None:
        tb = traceback.extract_tb(exc.__traceback__)
        frame = tb[-1] if tb else None
        key = f"{where}: {type(exc).__name__} at {frame.filename}:{frame.lineno}" if frame else where
        self.tracebacks.setdefault(key, "".join(traceback.format_exception(exc)))


def variant_options(variant: str) -> dict:
    return {"loss": LOSS if "loss" in variant else 0.0, "has_gyro": "no-gyro" not in variant}


def make_case(scenario: str, variant: str, seed: int, rate_hz: float, repeat: int = REPEAT_SHORT) -> Simulation:
    """The simulated recording of one case (seeded: a failure is reproducible from the table)."""
    options = variant_options(variant)
    sim = simulate(scenario, seed=seed, rate_hz=rate_hz, **options)
    if scenario not in DAY_SCENARIOS:  # a few minutes: repeat with further seeds into a longer recording
        parts = [sim.block] + [simulate(scenario, seed=seed + 1000 * k, rate_hz=rate_hz, **options).block
                               for k in range(1, repeat)]
        sim = Simulation(join(parts, 1.0 / rate_hz), sim.meta, sim.truth)
    if variant == "long gaps":
        sim = Simulation(with_long_gaps(sim.block, np.random.default_rng(seed)), sim.meta, sim.truth)
    return sim


def join(blocks: list[SampleBlock], period: float) -> SampleBlock:
    """Blocks one after the other on one clock."""
    out, t0 = [], 0.0
    for b in blocks:
        out.append(SampleBlock(b.t - b.t[0] + t0, b.acc, b.gyr))
        t0 = float(out[-1].t[-1]) + period
    return SampleBlock.concat(out)


def with_long_gaps(block: SampleBlock, rng: np.random.Generator) -> SampleBlock:
    """1-4 gaps of 10 s to 3 h at random points (later samples shifted; nothing dropped)."""
    t = block.t.copy()
    for _ in range(int(rng.integers(1, 5))):
        at = rng.uniform(t[0], t[-1])
        t[t >= at] += float(np.exp(rng.uniform(np.log(10.0), np.log(3 * 3600.0))))
    return SampleBlock(t, block.acc, block.gyr)


def random_blocks(block: SampleBlock, rng: np.random.Generator) -> list[SampleBlock]:
    """Slices of 0.2-60 s of samples, as a collector would hand them over (sizes by sample count)."""
    rate = 1.0 / float(np.median(np.diff(block.t[:1000]))) if len(block) > 1 else 1.0
    sizes = np.maximum(1, (rng.uniform(0.2, 60.0, size=len(block) // int(0.2 * rate) + 2) * rate).astype(int))
    edges = np.concatenate([[0], np.cumsum(sizes)])
    edges = edges[edges < len(block)].tolist() + [len(block)]
    return [block.slice(a, b) for a, b in zip(edges[:-1], edges[1:])]


def same_events(a: list[dict], b: list[dict]) -> bool:
    """The same events, every field equal to the last bit (ties in time may come in any order):
    streamed and batch analysis carry their filters' state between blocks, so the chunking must not
    change an event. Until this session a field shown with one decimal was allowed to differ by 0.1;
    with it gone all 105 cases of the full soak still agree (167d619)."""
    key = lambda e: (e["start"], e["end"], e["type"], json.dumps(e, sort_keys=True))
    return sorted(a, key=key) == sorted(b, key=key)


def run_case(soak: Soak, scenario: str, variant: str, seed: int, folder: Path) -> None:
    tally = soak.tally[(scenario, variant)]
    started = time.process_time()
    sim = make_case(scenario, variant, seed, soak.rate_hz, soak.repeat)
    path = folder / f"{scenario}-{variant.replace('+', '-').replace(' ', '-')}-{seed}.skr"
    save_simulation(sim, path, overwrite=True)
    tally.cases += 1
    tally.hours += len(sim.block) / soak.rate_hz / 3600.0
    with RecordingReader(path) as reader:
        block, meta = reader.samples(), reader.meta
    chunks = random_blocks(block, np.random.default_rng(seed + 7))
    offline = None
    try:
        args = build_parser().parse_args(["analyze", "--json", str(path)])
        offline = analyze_input(str(path), args)
    except SensorKitError:
        tally.user_errors += 1
    except Exception as exc:  # noqa: BLE001 - counting them is the point
        tally.internal += 1
        soak.internal("offline", exc)
    try:
        live = LiveAnalysis(meta)
        for part in chunks:
            live.feed(part)
        live.finish()
    except SensorKitError:
        tally.user_errors += 1
    except Exception as exc:  # noqa: BLE001
        tally.internal += 1
        soak.internal("live", exc)
    if offline is not None:
        try:
            alignment = Alignment.from_json(offline["analysis"]["alignment"])
            pipe = Pipeline(meta.rate_hz, alignment, Profile(), has_gyro=block.has_gyro, start_time=meta.start_time)
            start = monitored_from(meta)  # offline leaves a stored guided calibration out, as live does
            parts = chunks if start is None else [p.between(start, np.inf) for p in chunks]
            events = [e for part in parts for e in pipe.update(part)] + pipe.finish()
            streamed = sorted((e.to_json() for e in events), key=lambda d: (d["start"], d["end"], d["type"]))
            if not same_events(streamed, offline["events"]):
                tally.differ += 1
        except SensorKitError:
            tally.user_errors += 1
        except Exception as exc:  # noqa: BLE001
            tally.internal += 1
            soak.internal("stream", exc)
    path.unlink()
    tally.seconds += time.process_time() - started


def run(hours: float, seeds: int, rate_hz: float, scenarios=SCENARIOS, variants=VARIANTS, log=print,
        repeat: int = REPEAT_SHORT) -> Soak:
    """Cases in rounds (every scenario x variant per seed) until ``hours`` of data or ``seeds`` rounds."""
    soak = Soak(rate_hz, repeat)
    total = 0.0
    with tempfile.TemporaryDirectory(prefix="sensorkit-soak-") as tmp:
        for seed in range(1, seeds + 1):
            for scenario in scenarios:
                for variant in variants:
                    run_case(soak, scenario, variant, seed, Path(tmp))
                    tally = soak.tally[(scenario, variant)]
                    total = sum(t.hours for t in soak.tally.values())
                    log(f"seed {seed} {scenario:9s} {variant:12s} {total:7.1f} h so far, internal errors "
                        f"{sum(t.internal for t in soak.tally.values())}, this case {tally.seconds:.0f} s CPU in all")
            if total >= hours:
                break
    return soak


def table(soak: Soak) -> str:
    lines = [f"| scenario | variant | hours | cases | internal errors | errors for people | stream != batch |",
             "|---|---|---|---|---|---|---|"]
    for (scenario, variant), t in sorted(soak.tally.items()):
        lines.append(f"| {scenario} | {variant} | {t.hours:.1f} | {t.cases} | {t.internal} | {t.user_errors} | {t.differ} |")
    tot = Tally(*(sum(getattr(t, f) for t in soak.tally.values()) for f in ("hours", "cases", "internal",
                                                                            "user_errors", "differ", "seconds")))
    lines.append(f"| **all** | | **{tot.hours:.1f}** | {tot.cases} | **{tot.internal}** | {tot.user_errors} | {tot.differ} |")
    lines.append(f"\n{tot.seconds / 60:.1f} min CPU at {soak.rate_hz:g} Hz; each case analysed offline, live and streamed.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=200.0, help="stop after the round that reaches this many hours")
    ap.add_argument("--seeds", type=int, default=10, help="at most this many rounds (seeds 1..N)")
    ap.add_argument("--rate", type=float, default=25.0, help="sampling rate of the simulated sensor (Hz)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    soak = run(args.hours, args.seeds, args.rate, log=(lambda _s: None) if args.quiet else print)
    print(table(soak))
    for key, tb in soak.tracebacks.items():
        print(f"\n{key}\n{tb}")
    return 1 if any(t.internal for t in soak.tally.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
