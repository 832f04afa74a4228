"""The alignment an analysis reports is the one it used, to the last bit.

Whoever analyses again with a stored alignment (the soak's stream = batch check, a recording's guided
calibration read back offline after the live session used it) must get the same angles, or a flexion
within a hair of a band edge falls on the other side. The soak found one: warehouse, loss + no
gyroscope, seed 2, flexion 60.000003 deg and a severe-bend alert one sample apart, because the JSON
rounded the rotation to 6 decimals. Here the same thing in seconds: a bend whose peak is put a hair
above the band edge.
"""

from __future__ import annotations

import json

import numpy as np

from sensorkit.samples import SampleBlock
from sensorkit.signal.alignment import Alignment
from sensorkit.signal.orientation import OrientationFilter
from sensorkit.signal.pipeline import Pipeline, analyze
from sensorkit.signal.profile import Profile
from sensorkit.simulator import simulate

RATE_HZ = 25.0


def read_back(alignment: Alignment) -> Alignment:
    """The alignment as a reader of the analysis document gets it."""
    return Alignment.from_json(json.loads(json.dumps(alignment.to_json())))


def learnt(seed: int):
    """A short accelerometer-only bends recording and the analysis that learnt its alignment."""
    sim = simulate("bends", seed, rate_hz=RATE_HZ, has_gyro=False)
    return sim, analyze(sim.block, sim.meta, Profile(), gait=False)


def test_an_alignment_read_back_from_its_json_is_the_same():
    _, first = learnt(2)
    back = read_back(first.alignment)
    assert np.array_equal(back.rotation, first.alignment.rotation)
    assert np.array_equal(back.acc_bias, first.alignment.acc_bias)
    assert (back.forward_known, back.source) == (first.alignment.forward_known, first.alignment.source)


def peak_flexion(block: SampleBlock, alignment: Alignment, start: float, end: float) -> float:
    """The largest flexion between ``start`` and ``end`` as the pipeline computes it (bias off, rotated)."""
    angles = OrientationFilter(alignment.rotation, RATE_HZ, use_gyro=False, signed=alignment.forward_known).update(
        SampleBlock(block.t, block.acc - alignment.acc_bias, None))
    inside = (angles.t >= start) & (angles.t <= end)
    return float(angles.flexion_deg[inside].max())


def test_a_bend_at_the_band_edge_streams_as_the_batch_measured_it():
    sim, first = learnt(2)  # seed 2: its rotation's 7th decimal moves this peak below the edge
    bend = next(e for e in first.events if e.type == "bend")
    profile = Profile()
    profile.band_high_deg = float(np.nextafter(peak_flexion(sim.block, first.alignment, bend.start, bend.end), -np.inf))
    batch = analyze(sim.block, sim.meta, profile, alignment=first.alignment, gait=False)
    pipe = Pipeline(RATE_HZ, read_back(first.alignment), profile, has_gyro=False, gait=False)
    blocks = [sim.block.slice(k, k + 250) for k in range(0, len(sim.block), 250)]  # 10 s blocks
    streamed = [e for b in blocks for e in pipe.update(b)] + pipe.finish()
    streamed.sort(key=lambda e: (e.start, e.end, e.type))
    measured = next(e for e in batch.events if e.type == "bend" and e.start == bend.start)
    assert measured.fields["seconds_over_60"] > 0  # the peak sample is above the edge
    assert [e.to_json() for e in streamed] == [e.to_json() for e in batch.events]
