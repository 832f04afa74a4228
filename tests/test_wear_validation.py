"""The wear-time targets of issue 10, on the code validation/wear.py runs (fewer seeds and recordings here).

- Simulated days with 15-120 min on a desk: >= 95 % of the non-wear time found, < 1 % of the worn
  still time (sitting, lying) called non-wear; with and without a gyroscope.
- Real recordings in ../shared/data, all worn: < 1 % called non-wear, and no still stretch anywhere
  near the 5 minutes that non-wear needs (measured: 11 s at most, UCI HAPT).
"""

from __future__ import annotations

import pytest

from sensorkit.signal.evaluate_wear import evaluate_real_wear, evaluate_simulated_wear
from sensorkit.signal.nonwear import WearParams


@pytest.mark.parametrize("has_gyro", [True, False])
def test_simulated_desk_days(has_gyro):
    score = evaluate_simulated_wear([4], periods=2, has_gyro=has_gyro)  # a seed whose pick-ups read as bends
    assert score.periods == 2 and score.not_worn_s > 1800.0 and score.still_s > 1200.0
    assert score.found >= 0.95
    assert score.still_called < 0.01
    assert score.worn_called < 0.01
    assert score.longest_worn_still_s < WearParams().min_not_worn_s / 5
    # putting the sensor on is no bend; taking it off can be (a deep fast tilt, alerted live before
    # the stillness shows: measured 2 here, one bend and its alert)
    assert score.on_events == 0 and score.off_events <= 2


@pytest.mark.shared_data
def test_real_worn_recordings_are_worn(shared_data):
    scores = evaluate_real_wear(shared_data, step=4)
    assert len(scores) == 5 and all(s.recordings > 0 for s in scores)
    for s in scores:
        assert s.share < 0.01, s.name
        assert s.longest_still_s < WearParams().min_not_worn_s / 5, s.name  # measured <= 11 s
