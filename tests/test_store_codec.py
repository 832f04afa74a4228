"""The sample-block codec: every delta width and clock decodes to the exact values, also through a
pass's reused temporaries (:class:`sensorkit.store.codec.Scratch`)."""

from __future__ import annotations

import numpy as np
import pytest

from sensorkit.samples import SampleBlock
from sensorkit.store.codec import Scratch, decode_block, encode_block

ACC_LSB, GYR_LSB = 0.0048, 0.00106


def counted(n: int, spread: int, seed: int, gyro: bool, jitter: bool) -> tuple[SampleBlock, np.ndarray]:
    """A block whose samples are whole counts (deltas up to ``spread``: the stored width), with its counts."""
    rng = np.random.default_rng(seed)
    counts = np.cumsum(rng.integers(-spread, spread + 1, (n, 6)), axis=0)
    t_ns = 5_000_000 + 10_000_000 * np.arange(n) + (rng.integers(-900, 900, n) if jitter else 0)
    block = SampleBlock(t_ns / 1e9, counts[:, :3] * ACC_LSB, counts[:, 3:] * GYR_LSB if gyro else None)
    return block, counts


@pytest.mark.parametrize("spread", [100, 30_000, 2**30])  # int8, int16, int32 deltas
@pytest.mark.parametrize("gyro", [True, False])
@pytest.mark.parametrize("jitter", [False, True])
def test_decoded_values_are_the_counts_scaled(spread: int, gyro: bool, jitter: bool) -> None:
    scratch = Scratch()
    for seed, n in enumerate((3000, 1, 4500, 2)):  # blocks longer and shorter than the scratch arrays
        spread_here = min(spread, 2**30 // max(n, 1))  # counts stay within int32, as the store checks
        block, counts = counted(n, spread_here, seed, gyro, jitter)
        blob = encode_block(block, ACC_LSB, GYR_LSB)
        for scratch_here in (scratch, None):
            t, acc, gyr = decode_block(blob, ACC_LSB, GYR_LSB, scratch_here)
            assert np.array_equal(t, np.rint(block.t * 1e9).astype(np.int64) * 1e-9)
            assert np.array_equal(acc, counts[:, :3].astype(np.int32) * ACC_LSB)
            if gyro:
                assert np.array_equal(gyr, counts[:, 3:].astype(np.int32) * GYR_LSB)
            else:
                assert gyr is None
