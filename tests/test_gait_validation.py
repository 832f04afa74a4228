"""Our gait detector against real references (the issue's targets), scored by the committed scoring code.

mobgap is not installed in CI, so its figures are constants measured by ``validation/gait.py
--with-mobgap`` (see validation/gait.md); our figures are recomputed here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sensorkit.datasets import mobgap_lab, voisard
from sensorkit.signal.gait.scoring import Counts, match_bouts, match_contacts, walking_time

# mobgap 1.2.0 MobilisedPipelineHealthy on the same 9 lab trials, same scoring (validation/gait.md).
MOBGAP_HEALTHY_IC_F1 = 0.643
MOBGAP_HEALTHY_IC_ERROR_S = 0.078
# Mean absolute per-bout errors against INDIP: stride length (Healthy 0.137 m, Impaired 0.139 m) and
# walking speed (Healthy 0.101 m/s, Impaired 0.129 m/s).
MOBGAP_HEALTHY_STRIDE_ERROR_M = 0.137
MOBGAP_IMPAIRED_SPEED_ERROR_MPS = 0.129


@pytest.fixture(scope="module")
def validation(shared_data: Path, validation_script):
    module = validation_script("gait")
    module.SHARED = shared_data
    return module


def test_voisard_step_count_and_cadence(validation) -> None:
    """Median absolute step-count error <= 3 %, cadence error <= 2 steps/min (issue targets)."""
    v = validation.score_voisard()
    assert v["trials"] == 70
    assert v["step_median_abs_pct"] <= 3.0
    assert v["cadence_median_abs_spm"] <= 2.0
    assert abs(v["step_mean_pct"]) <= 2.0
    # Inverted-pendulum stride length: the protocol's 10 m + U-turn + 10 m comes out near 20 m.
    assert 18.5 <= v["distance_median_m"] <= 21.5


def test_uci_hapt_walking_time(validation) -> None:
    """Walking time precision and recall >= 0.95 against the video labels (stairs count as walking)."""
    u = validation.score_uci()
    assert u.precision >= 0.95 and u.recall >= 0.95


def test_mobgap_lab_example_at_least_mobgap_healthy(validation) -> None:
    row = validation.score_mobgap_lab(validation.run_ours)
    assert row.contacts.f1 >= MOBGAP_HEALTHY_IC_F1
    assert np.mean(row.errors) <= MOBGAP_HEALTHY_IC_ERROR_S
    # Below mobgap's 0.73 on bouts (validation/gait.md says so); pinned so it cannot silently get worse.
    assert row.bouts.f1 >= 0.65
    assert row.time.recall >= 0.8
    # Published Zijlstra & Hof model and Mobilise-D factor, nothing fitted on these trials.
    assert len(row.stride_errors) >= 15
    assert np.mean(row.stride_errors) <= MOBGAP_HEALTHY_STRIDE_ERROR_M
    # Between mobgap's two pipelines on speed (validation/gait.md): not yet at Healthy's 0.101 m/s.
    assert np.mean(row.speed_errors) <= MOBGAP_IMPAIRED_SPEED_ERROR_MPS


def test_loaders_put_reference_on_the_sample_clock(shared_data: Path) -> None:
    root = shared_data / "mobgap_lab_example"
    rec = mobgap_lab.load_trial(root, mobgap_lab.list_trials(root)[0])
    assert rec.meta.rate_hz == 100 and rec.block.has_gyro
    assert abs(np.median(rec.block.acc[:, 0]) - 9.81) < 0.5  # x up, m/s^2
    assert rec.reference.steps == 9 and rec.reference.ic_sides[0] in ("left", "right")
    trial = voisard.load_trial(shared_data / "voisard_gait_L5", "1-6")
    assert np.diff(trial.block.t).max() > 0.015  # lost packets stay gaps
    t0, t1 = trial.reference.bouts[0]
    assert t0 <= trial.reference.initial_contacts.min() and trial.reference.initial_contacts.max() <= t1


def test_scoring_counts() -> None:
    c, err = match_contacts(np.array([1.0, 2.1, 5.0]), np.array([1.1, 2.0, 3.0]))
    assert (c.tp, c.fp, c.fn) == (2, 1, 1) and np.allclose(sorted(np.abs(err)), [0.1, 0.1])
    assert match_bouts([(0, 10), (20, 21)], [(1, 11), (19, 30)]) == Counts(1, 1, 1)
    w = walking_time([(0, 10)], [(5, 15)], valid=[(0, 12)])
    assert (w.tp, w.fp, w.fn) == (5, 5, 2)


def test_left_right_from_the_gyroscope(validation) -> None:
    for name, (agree, n) in validation.score_sides().items():
        assert n > 150 and agree >= 0.78, name
