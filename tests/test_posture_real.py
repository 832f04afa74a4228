"""Posture and bending on real labelled recordings (../shared/data), targets from issue 3.

- UCI HAPT (waist smartphone, 50 Hz): per-sample sitting / standing / lying against video labels.
- SisFall waist (200 Hz): every stoop trial (D16) yields a bend; stoop peaks exceed squat (D15)
  peaks for the same subject; lying in D12 (sit, lie, sit) is found.
- UMAFall bending trials (waist SensorTag, ~20 Hz, irregular): bends found at a low rate.
Figures for every target, met or not, are in validation/posture.md.
"""

from __future__ import annotations

import pytest

from sensorkit.signal.evaluate import evaluate_hapt, evaluate_sisfall, evaluate_umafall


@pytest.fixture(scope="module")
def hapt(shared_data):
    return evaluate_hapt(shared_data / "uci_hapt", step=2)


@pytest.fixture(scope="module")
def sisfall(shared_data):
    return evaluate_sisfall(shared_data / "sisfall_waist")


def test_lying_found_in_98_percent_of_lying_time(hapt):
    assert hapt.experiments >= 20
    assert hapt.posture.per_class_recall["lying"] >= 0.98


def test_sit_stand_balanced_accuracy(hapt):
    # Target "as high as the signal allows": measured 0.94 on all 41 (sitting 0.92, standing 0.91 incl.
    # walking); this floor catches regressions.
    assert hapt.posture.balanced_accuracy >= 0.92
    assert hapt.posture.per_class_recall["sitting"] >= 0.9


def test_stoop_trials_yield_a_bend_measured_floor(sisfall):
    # Measured 124 of 125 (validation/posture.md); the miss (SE08 R05) peaks at 12.6 deg at the
    # waist, below the 15 deg bend start. Held stoops are no longer taken for sitting down.
    assert sisfall.trials["D16"] == 125
    assert sisfall.with_bend["D16"] >= 124


@pytest.mark.xfail(strict=True, reason="target not met: 124 of 125 stoop trials yield a bend")
def test_every_stoop_trial_yields_a_bend(sisfall):
    assert sisfall.with_bend["D16"] == sisfall.trials["D16"]


def test_stoop_peaks_exceed_squat_peaks_for_the_same_subject(sisfall):
    subjects_share, subjects, _, _ = sisfall.stoop_over_squat()
    assert subjects >= 20
    assert subjects_share >= 0.9


def test_lying_found_in_sit_lie_sit_trials(sisfall):
    lying = sisfall.lying_s["D12"]
    assert sum(s > 1.0 for s in lying) / len(lying) >= 0.9


def test_bends_at_20_hz(shared_data):
    score = evaluate_umafall(shared_data / "umafall_bending")
    assert score.trials >= 20
    assert max(score.rates_hz) < 25
    assert score.with_bend / score.trials >= 0.7
