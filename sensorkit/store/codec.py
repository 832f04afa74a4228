"""Lossless packing of a sample block into one compressed blob.

Why this shape: samples are kept as integer counts of the device's resolution (so nothing is rounded
beyond what the device itself measured), differenced along time (body motion at 10-400 Hz is smooth,
so deltas are small), stored in the narrowest integer that holds them, split into byte planes (the
high bytes of small deltas are nearly constant and compress to almost nothing) and compressed with
Zstandard (level 3: the same size as zlib -6 on this data, 13x faster to write and 3x faster to read,
which is what keeps a 24 h day under a second to load; see benchmarks/store_benchmark.py). Times are integer nanoseconds since the recording start, differenced
twice: a regular stream becomes zeros, a jittery one small numbers, a gap one large one.
A CRC-32 of the compressed body catches a corrupted block on read.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import zstandard

from ..errors import RecordingError
from ..samples import SampleBlock

# magic, n samples, has_gyro, time width, channel width, crc32 of body, first t (ns), first dt (ns)
_HEADER = struct.Struct("<4sIBBBxIqq")
_MAGIC = b"SKB4"
_COMPRESSOR = zstandard.ZstdCompressor(level=3)
_DECOMPRESSOR = zstandard.ZstdDecompressor()
_WIDTHS = (np.int8, np.int16, np.int32, np.int64)
_BY_WIDTH = {np.dtype(dtype).itemsize: np.dtype(dtype) for dtype in _WIDTHS}
_INT32, _INT64 = np.dtype(np.int32), np.dtype(np.int64)
_THREE_COUNTS = np.dtype((np.void, 12))  # one sensor's three int32 counts of a sample, as one item


def _narrowest(values: np.ndarray) -> np.dtype:
    if values.size == 0:
        return np.dtype(np.int8)
    lo, hi = int(values.min()), int(values.max())
    for dtype in _WIDTHS:
        info = np.iinfo(dtype)
        if info.min <= lo and hi <= info.max:
            return np.dtype(dtype)
    raise RecordingError("values do not fit in 64 bits")


def _planes(values: np.ndarray, dtype: np.dtype) -> bytes:
    """Byte-plane split: all lowest bytes, then all next bytes, ... (a byte shuffle)."""
    raw = np.ascontiguousarray(values, dtype=dtype).view(np.uint8).reshape(-1, dtype.itemsize)
    return raw.T.tobytes()


def _unplanes(buf: memoryview, count: int, dtype: np.dtype, out: np.ndarray | None = None) -> np.ndarray:
    """The values of a byte-plane split, into ``out`` (``count`` values of ``dtype``) when given."""
    if dtype.itemsize == 1:  # one plane: the values themselves
        return np.frombuffer(buf, dtype=dtype, count=count)
    planes = np.frombuffer(buf, dtype=np.uint8, count=count * dtype.itemsize).reshape(dtype.itemsize, count)
    if dtype.itemsize == 2:  # the usual width of motion deltas: high byte (signed) shifted over the low, in place
        out = np.empty(count, dtype) if out is None else out
        np.left_shift(planes[1].view(np.int8), 8, out=out, dtype=dtype)
        out |= planes[0]
        return out
    raw = np.empty((count, dtype.itemsize), np.uint8) if out is None else out.view(np.uint8).reshape(count, -1)
    for k in range(dtype.itemsize):  # a column copy per plane is ~6x faster than a strided transpose
        raw[:, k] = planes[k]
    return raw.view(dtype).reshape(count)


def _to_counts(values: np.ndarray, lsb: float, name: str) -> np.ndarray:
    counts = np.rint(values / lsb)
    if counts.size and np.max(np.abs(counts)) >= 2**31 - 1:
        raise RecordingError(f"{name} values exceed what the recording's resolution can hold")
    return counts.astype(np.int64)


def encode_block(block: SampleBlock, acc_lsb: float, gyr_lsb: float) -> bytes:
    """Pack ``block`` as counts of ``acc_lsb``/``gyr_lsb`` (project units per count)."""
    n = len(block)
    if n == 0:
        raise RecordingError("cannot store an empty block")
    t_ns = np.rint(block.t * 1e9).astype(np.int64)
    dt = np.diff(t_ns)
    first_dt = int(dt[0]) if n > 1 else 0
    ddt = np.diff(dt, prepend=np.int64(first_dt))
    columns = [_to_counts(block.acc, acc_lsb, "acceleration")]
    if block.has_gyro:
        columns.append(_to_counts(block.gyr, gyr_lsb, "angular rate"))
    counts = np.concatenate(columns, axis=1)  # (n, channels): sample-major, as it is read back
    deltas = np.diff(counts, axis=0, prepend=np.zeros((1, counts.shape[1]), np.int64)).reshape(-1)
    t_width, c_width = _narrowest(ddt), _narrowest(deltas)
    body = _COMPRESSOR.compress(_planes(ddt, t_width) + _planes(deltas, c_width))
    header = _HEADER.pack(
        _MAGIC, n, int(block.has_gyro), t_width.itemsize, c_width.itemsize,
        zlib.crc32(body), int(t_ns[0]), first_dt,
    )
    return header + body


def _dtype_of(width: int) -> np.dtype:
    try:
        return _BY_WIDTH[width]
    except KeyError:
        raise RecordingError("a sample block is corrupted (unknown integer width)") from None


def block_size(blob: bytes) -> int:
    """Number of samples in an encoded block, read from its header alone."""
    if len(blob) < _HEADER.size:
        raise RecordingError("a sample block is truncated")
    return int(_HEADER.unpack_from(blob)[1])


def _checked(blob: bytes) -> tuple[tuple, memoryview]:
    """The header and compressed body of ``blob`` once both are right (RecordingError if not)."""
    if len(blob) < _HEADER.size:
        raise RecordingError("a sample block is truncated")
    header = _HEADER.unpack_from(blob)
    magic, crc = header[0], header[5]
    body = memoryview(blob)[_HEADER.size :]
    if magic != _MAGIC or zlib.crc32(body) != crc:
        raise RecordingError("a sample block is corrupted (checksum mismatch)")
    return header, body


def check_block(blob: bytes) -> int:
    """The number of samples of an encoded block whose checksum is right, without decoding it: what
    `sensorkit info` needs to say how much a recording holds and what is damaged, at a small cost."""
    return int(_checked(blob)[0][1])


class Scratch:
    """Temporary arrays a pass over many blocks reuses from one block to the next (zstd's output aside).

    Why: each block's temporaries (deltas, counts, times: ~0.8 MB for a 12,000-sample block) were
    fresh arrays, which the allocator handed back to the kernel and took again for the next block, so
    every block paid page faults for them: 0.14 s of system time per 24 h pass, a third of its CPU.
    One pass (one generator) owns one: never shared between threads."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}
        self._ramp = np.empty(0, np.int64)

    def array(self, name: str, count: int, dtype: np.dtype) -> np.ndarray:
        """``count`` uninitialised values of ``dtype``, the same memory each time ``name`` is asked for again."""
        size = count * dtype.itemsize
        buffer = self._buffers.get(name)
        if buffer is None or len(buffer) < size:
            buffer = self._buffers[name] = np.empty(size, np.uint8)
        return buffer[:size].view(dtype)

    def ramp(self, n: int) -> np.ndarray:
        """0, 1, ..., n - 1 (int64), kept: every block of a pass has about the same length."""
        if len(self._ramp) < n:
            self._ramp = np.arange(n, dtype=np.int64)
        return self._ramp[:n]


def decode_block(
    blob: bytes, acc_lsb: float, gyr_lsb: float, scratch: Scratch | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Inverse of :func:`encode_block`: (t seconds, acc, gyr or None) in project units."""
    n, has_gyro = block_size(blob), bool(_HEADER.unpack_from(blob)[2])
    t, acc = np.empty(n), np.empty((n, 3))
    gyr = np.empty((n, 3)) if has_gyro else None
    decode_into(blob, acc_lsb, gyr_lsb, t, acc, gyr, scratch)
    return t, acc, gyr


def _times_into(ddt: np.ndarray, t_first: int, dt_first: int, t_out: np.ndarray, scratch: Scratch) -> None:
    """Sample times (s) from their second differences (ns). A steady clock (every one zero, the usual
    case) is a ramp: the same integers without two running sums."""
    t_ns = scratch.array("t_ns", len(ddt) + 1, _INT64)
    t_ns[0] = t_first
    if ddt.any():
        rates = scratch.array("dt_ns", len(ddt), _INT64)
        np.cumsum(ddt, dtype=np.int64, out=rates)
        rates += dt_first
        np.cumsum(rates, out=t_ns[1:])
        t_ns[1:] += t_first
    else:
        np.multiply(scratch.ramp(len(t_ns)), dt_first, out=t_ns)
        t_ns += t_first
    np.multiply(t_ns, 1e-9, out=t_out)


def _counts(payload: memoryview, n: int, channels: int, dtype: np.dtype, scratch: Scratch) -> np.ndarray:
    """The running sums of the stored deltas: (n, channels) int32 counts, sample-major. Two-byte deltas
    (the usual width) are put together as int32 where the counts go and summed in place: no int16
    copy to widen again in the running sum."""
    counts = scratch.array("counts", n * channels, _INT32)
    if dtype.itemsize == 2:
        planes = np.frombuffer(payload, np.uint8, count=2 * n * channels).reshape(2, n * channels)
        np.left_shift(planes[1].view(np.int8), 8, out=counts, dtype=np.int32)  # high byte, signed
        counts |= planes[0]
        deltas = counts
    else:
        deltas = _unplanes(payload, n * channels, dtype, scratch.array("deltas", n * channels, dtype))
    counts = counts.reshape(n, channels)
    np.cumsum(deltas.reshape(n, channels), axis=0, dtype=np.int32, out=counts)
    return counts


def decode_into(
    blob: bytes, acc_lsb: float, gyr_lsb: float,
    t_out: np.ndarray, acc_out: np.ndarray, gyr_out: np.ndarray | None, scratch: Scratch | None = None,
) -> None:
    """Decode straight into caller-owned arrays (a whole day is filled without a second copy);
    ``scratch``: the pass's reused temporaries (a fresh set without)."""
    (_, n, has_gyro, t_width, c_width, _, t_first, dt_first), body = _checked(blob)
    if bool(has_gyro) != (gyr_out is not None):
        raise RecordingError("a sample block disagrees with its recording about the gyroscope")
    try:
        payload = memoryview(_DECOMPRESSOR.decompress(body))
    except zstandard.ZstdError as exc:
        raise RecordingError("a sample block is corrupted (does not decompress)") from exc
    t_type, c_type = _dtype_of(t_width), _dtype_of(c_width)
    channels = 6 if has_gyro else 3
    t_bytes = (n - 1) * t_width if n > 1 else 0
    if len(payload) != t_bytes + n * channels * c_width:
        raise RecordingError("a sample block has the wrong size")
    scratch = scratch or Scratch()
    _times_into(_unplanes(payload[:t_bytes], n - 1, t_type), t_first, dt_first, t_out, scratch)
    counts = _counts(payload[t_bytes:], n, channels, c_type, scratch)
    if gyr_out is None:
        np.multiply(counts, acc_lsb, out=acc_out)
        return
    # Each output row is three of a counts row's six: scaled as they are, NumPy's inner loop would run
    # three elements at a time. Copied apart first as 12-byte items (one long loop each), both scale
    # in contiguous passes: the same products, 2.5x faster.
    apart = scratch.array("apart", 6 * n, _INT32).reshape(2, n, 3)
    rows = counts.view(_THREE_COUNTS)
    apart[0].view(_THREE_COUNTS)[:, 0] = rows[:, 0]
    apart[1].view(_THREE_COUNTS)[:, 0] = rows[:, 1]
    np.multiply(apart[0], acc_lsb, out=acc_out)
    np.multiply(apart[1], gyr_lsb, out=gyr_out)
