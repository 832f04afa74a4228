"""Bin means (signal/decimate.py): any chunking gives the same means, to the bit, as one block."""

import numpy as np
import pytest

from sensorkit.samples import SampleBlock
from sensorkit.signal.decimate import BinMeans


def _stream(seed: int, n: int = 3000, rate_hz: float = 100.0) -> SampleBlock:
    """Jittered 100 Hz samples with a few gaps (whole bins and longer without samples)."""
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.6, 1.4, n) / rate_hz) + 1000.0
    t[n // 3:] += 0.3  # several empty bins
    t[2 * n // 3:] += 5.0  # a long gap
    return SampleBlock(t, rng.normal(0, 3, (n, 3)), rng.normal(0, 1, (n, 3)))


def _fed(block: SampleBlock, sizes: list[int]) -> SampleBlock:
    binner, out, at = BinMeans(), [], 0
    for size in sizes:
        out.append(binner.update(block.slice(at, at + size)))
        at += size
    out.append(binner.update(block.slice(at, len(block))))
    out.append(binner.flush())
    return SampleBlock.concat(out)


@pytest.mark.parametrize("seed", [1, 2])
def test_any_chunking_gives_the_same_means_as_one_block(seed: int) -> None:
    block = _stream(seed)
    whole = _fed(block, [])
    rng = np.random.default_rng(seed)
    # empty chunks, single samples, chunks inside one bin, chunks spanning many bins
    sizes = rng.choice([0, 1, 2, 3, 5, 57, 400], size=200).tolist()
    chunked = _fed(block, sizes)
    for name in ("t", "acc", "gyr"):
        assert getattr(chunked, name).tobytes() == getattr(whole, name).tobytes()


def test_each_bin_is_the_mean_of_its_samples() -> None:
    block = _stream(3)
    means = _fed(block, [7] * 100)
    bins = np.floor(block.t * 25.0).astype(np.int64)
    unique = np.unique(bins)
    assert len(means) == len(unique)
    for i in (0, 10, 500, len(unique) - 1):
        inside = bins == unique[i]
        np.testing.assert_allclose(means.acc[i], block.acc[inside].mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(means.t[i], block.t[inside].mean(), rtol=1e-15)
