"""A sample of the soak (validation/soak.py): every short scenario in every variant, three paths each.

The full soak (>= 200 simulated hours, ``nice -n 10 python validation/soak.py``) is run by hand; this
sample keeps a regression that crashes an analysis path (offline ``analyze``, live, streamed) or makes
streaming disagree with batch from reaching main unnoticed.
"""

from __future__ import annotations

import numpy as np

from sensorkit.samples import SampleBlock


def test_short_scenarios_in_every_variant_give_no_internal_error(validation_script):
    soak = validation_script("soak")
    result = soak.run(0.0, 1, 25.0, scenarios=("demo", "bends", "slouch", "walk", "static"), log=lambda _s: None,
                      repeat=2)
    table = soak.table(result)
    assert len(result.tally) == 5 * len(soak.VARIANTS), table
    assert sum(t.cases for t in result.tally.values()) == 25
    assert sum(t.hours for t in result.tally.values()) > 3.5, table
    assert result.tracebacks == {}, "\n".join(result.tracebacks.values())
    assert all(t.internal == 0 and t.user_errors == 0 and t.differ == 0 for t in result.tally.values()), table


def test_injected_gaps_are_long_and_keep_every_sample(validation_script):
    soak = validation_script("soak")
    t = np.arange(0, 3600.0, 0.04)
    block = SampleBlock(t, np.zeros((len(t), 3)), None)
    gapped = soak.with_long_gaps(block, np.random.default_rng(3))
    steps = np.diff(gapped.t)
    assert len(gapped) == len(block) and np.all(steps > 0)
    assert 1 <= int(np.sum(steps > 10.0 - 1e-9)) <= 4


def test_streamed_and_batch_events_must_agree_to_the_last_bit(validation_script):
    soak = validation_script("soak")
    bend = {"type": "bend", "start": 10.0, "end": 12.5, "peak_flexion_deg": 63.25}
    slouch = {"type": "slouch", "start": 10.0, "end": 40.0, "mean_flexion_deg": 24.5}
    assert soak.same_events([bend, slouch], [slouch, dict(bend)])  # ties in time in any order
    nudged = dict(bend, peak_flexion_deg=float(np.nextafter(63.25, 90.0)))
    assert not soak.same_events([bend, slouch], [nudged, slouch])  # no rounding allowed any more
    assert not soak.same_events([bend], [bend, slouch])
