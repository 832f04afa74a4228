"""The committed demo recording is what its README command makes with this simulator."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sensorkit.simulator import load_ground_truth, simulate
from sensorkit.store import RecordingReader

DEMO = Path(__file__).resolve().parents[1] / "sample-data" / "demo.skr"
REGENERATE = "sensorkit simulate --scenario demo --seed 1 --force -o sample-data/demo.skr"


def test_committed_demo_matches_the_simulator():
    fresh = simulate("demo", 1)
    with RecordingReader(DEMO) as reader:
        block = reader.samples()
        truth = load_ground_truth(reader)
    stale = f"sample-data/demo.skr is stale; regenerate it with: {REGENERATE}"
    assert truth is not None and len(block) == len(fresh.block) == 60000, stale
    assert [e.to_json() for e in truth.events] == [e.to_json() for e in fresh.truth.events], stale
    assert np.abs(block.acc - fresh.block.acc).max() < 0.01, stale
    assert DEMO.stat().st_size < 1_000_000
