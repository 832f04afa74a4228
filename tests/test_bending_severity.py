"""The running severity verdicts an open bend's bisection reads (bending.high_so_far) agree with the
severity worked out for each end alone (bending.bend_severity), and stand aside where they cannot."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from sensorkit.signal.bending import bend_severity, high_so_far
from sensorkit.signal.features import Frame
from sensorkit.signal.profile import Profile


def bend_frame(seed: int, n: int = 600, rate_hz: float = 25.0) -> Frame:
    """A slow random lean around the band limits with jittered sample times and twisting."""
    rng = np.random.default_rng(seed)
    t = np.cumsum(np.full(n, 1.0 / rate_hz) * rng.uniform(0.8, 1.2, n))
    flexion = 15.0 + np.cumsum(rng.normal(0.0, 2.0, n))
    zeros = np.zeros(n)
    return Frame(t, flexion, zeros, np.abs(flexion), np.tile([0.0, 0.0, 1.0], (n, 1)), zeros,
                 zeros, zeros, zeros, rng.normal(0.0, 30.0, n), np.zeros((n, 3)))


def test_running_verdicts_equal_each_end_worked_out_alone():
    profile = Profile()
    highs = 0
    for seed in range(4):
        for has_gyro in (True, False):
            fr = bend_frame(seed)
            high, sure = high_so_far(fr, profile, has_gyro)
            assert sure[2:].all()
            for k in range(2, len(fr)):
                exact = bend_severity(fr, float(fr.t[0]), float(fr.t[k]), profile, has_gyro) == "high"
                assert bool(high[k]) == exact, (seed, has_gyro, k)
            highs += int(high.sum())
    assert 0 < highs < 8 * 600  # both verdicts occur


def test_a_gap_or_a_bad_rate_leaves_every_end_to_be_worked_out():
    fr = bend_frame(0)
    gappy = replace(fr, t=fr.t + np.where(np.arange(len(fr)) >= 300, 1.0, 0.0))  # a second lost
    assert high_so_far(gappy, Profile(), True) is None
    fr.heading_rate[10] = np.nan
    assert high_so_far(fr, Profile(), True) is None
    assert high_so_far(fr, Profile(), False) is not None  # no gyroscope: the rates are not used
