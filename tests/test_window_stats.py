"""Window statistics (signal/window_stats.py): the faster arithmetic gives the figures of the plain one to the bit."""

import numpy as np
import pytest

from sensorkit.signal.window_stats import _window_means


@pytest.mark.parametrize("w", [2, 5, 12, 13, 50, 100])
@pytest.mark.parametrize("k", [1, 3, 240, 1201])
def test_window_means_are_the_strided_views_means_to_the_bit(k: int, w: int) -> None:
    # axes of very different sizes: a different order of additions changes the last bits
    x = np.random.default_rng(k * 1000 + w).normal(size=(k * w + 7, 3)) * np.array([1.0, 1e3, 1e-3])
    part = x[3:3 + k * w]
    plain = part.T.reshape(3, k, w).mean(axis=2).T
    fast = _window_means(part, k, w)
    assert fast.tobytes() == plain.tobytes()
    np.testing.assert_allclose(fast, part.reshape(k, w, 3).mean(axis=1), rtol=1e-12, atol=1e-9)
