"""The one in-memory type for sensor data, used by every layer from device profile to summary.

Units and frame (the project's only ones; device profiles convert at the edge, once):

- time ``t``: float64 seconds since the recording's start, on the *device* clock (sample counter x
  period, or device timestamps), drift-corrected to wall-clock seconds by the collector. Wall time of a
  sample is ``meta.start_time + t``. Host arrival times are diagnostics only and never stored here.
- acceleration ``acc``: float64 m/s^2, shape (n, 3), specific force *including gravity*: a sensor at
  rest reads +9.81 m/s^2 along the axis that points up.
- angular rate ``gyr``: float64 rad/s, shape (n, 3), right-handed about the same axes; ``None`` for a
  sensor without a gyroscope.
- frame: the sensor's own right-handed x, y, z axes as its device profile documents them. The signal
  core turns them into the body frame (vertical, forward, right) by calibration or auto-alignment.

Gaps stay gaps: a lost packet leaves a jump in ``t`` larger than the sample period. Nothing here
interpolates; :func:`find_gaps` reports them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Sequence

import numpy as np

STANDARD_GRAVITY = 9.80665  # m/s^2 per g
# A jump longer than this many nominal periods counts as a gap (tolerates device-clock jitter).
GAP_FACTOR = 1.5


@dataclass(frozen=True)
class SampleBlock:
    """A run of samples in the project's units; see the module docstring for units and frame."""

    t: np.ndarray
    acc: np.ndarray
    gyr: np.ndarray | None = None

    def __post_init__(self) -> None:
        t = np.ascontiguousarray(self.t, dtype=np.float64).reshape(-1)
        acc = np.ascontiguousarray(self.acc, dtype=np.float64).reshape(-1, 3)
        if acc.shape[0] != t.shape[0]:
            raise ValueError(f"acc has {acc.shape[0]} rows but t has {t.shape[0]}")
        object.__setattr__(self, "t", t)
        object.__setattr__(self, "acc", acc)
        if self.gyr is not None:
            gyr = np.ascontiguousarray(self.gyr, dtype=np.float64).reshape(-1, 3)
            if gyr.shape[0] != t.shape[0]:
                raise ValueError(f"gyr has {gyr.shape[0]} rows but t has {t.shape[0]}")
            object.__setattr__(self, "gyr", gyr)

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @property
    def has_gyro(self) -> bool:
        return self.gyr is not None

    @classmethod
    def empty(cls, has_gyro: bool = True) -> "SampleBlock":
        return cls(np.empty(0), np.empty((0, 3)), np.empty((0, 3)) if has_gyro else None)

    def slice(self, start: int, stop: int) -> "SampleBlock":
        """Rows ``start:stop`` (views, no copy)."""
        gyr = None if self.gyr is None else self.gyr[start:stop]
        return SampleBlock(self.t[start:stop], self.acc[start:stop], gyr)

    def between(self, t0: float, t1: float) -> "SampleBlock":
        """Samples with ``t0 <= t < t1``."""
        i0, i1 = np.searchsorted(self.t, [t0, t1], side="left")
        return self.slice(int(i0), int(i1))

    @staticmethod
    def concat(blocks: Sequence["SampleBlock"]) -> "SampleBlock":
        """Join blocks in order; all must agree on having a gyroscope."""
        if not blocks:
            return SampleBlock.empty()
        has_gyro = {b.has_gyro for b in blocks}
        if len(has_gyro) != 1:
            raise ValueError("cannot join blocks with and without angular rate")
        gyr = np.concatenate([b.gyr for b in blocks]) if blocks[0].has_gyro else None
        return SampleBlock(
            np.concatenate([b.t for b in blocks]), np.concatenate([b.acc for b in blocks]), gyr
        )


@dataclass(frozen=True)
class Gap:
    """Missing data between two received samples: ``start`` is the last sample before, ``end`` the first after."""

    start: float
    end: float
    samples: int

    def to_json(self) -> dict[str, Any]:
        return {"start": round(self.start, 6), "end": round(self.end, 6), "samples": self.samples}


def find_gaps(t: np.ndarray, rate_hz: float) -> list[Gap]:
    """Every jump in ``t`` longer than GAP_FACTOR nominal periods, with the number of samples it lost."""
    if len(t) < 2:
        return []
    period = 1.0 / rate_hz
    dt = np.diff(t)
    idx = np.flatnonzero(dt > GAP_FACTOR * period)
    return [
        Gap(float(t[i]), float(t[i + 1]), int(round(dt[i] / period)) - 1)
        for i in idx
    ]


def parse_utc(text: str) -> datetime:
    """ISO 8601 text as an aware UTC datetime (naive times are UTC); ValueError when it is not one."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def start_datetime(start_time: str) -> datetime:
    """A recording's start (``RecordingMeta.start_time``) as an aware UTC datetime.

    Lenient on purpose: a recording whose start text is unreadable still analyses and lists, with its
    days counted from the UNIX epoch, rather than failing as a whole.
    """
    try:
        return parse_utc(start_time)
    except ValueError:
        return datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass
class RecordingMeta:
    """What a recording holds besides samples: the device, its ranges and resolution, who wore it where.

    ``acc_lsb`` / ``gyr_lsb`` are the device's native resolution in project units (m/s^2 and rad/s per
    count); the store keeps samples as integer counts of these, so storage is lossless at the device's
    resolution. ``start_time`` is ISO 8601 UTC of ``t == 0``.
    """

    rate_hz: float
    start_time: str
    device_kind: str = "unknown"
    device_name: str = ""
    device_address: str = ""
    has_gyro: bool = True
    acc_range: float = 16 * STANDARD_GRAVITY
    gyr_range: float = float(np.deg2rad(2000.0))
    acc_lsb: float = 16 * STANDARD_GRAVITY / 32768
    gyr_lsb: float = float(np.deg2rad(2000.0)) / 32768
    placement: str = "lower_back"
    patient_id: str = ""
    timezone: str = ""  # IANA zone it was made in, for local days (sensorkit.localtime); "" = not known
    source: str = ""
    calibration: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (0.5 <= float(self.rate_hz) <= 2000.0):
            raise ValueError(f"sampling rate {self.rate_hz} Hz is outside 0.5-2000 Hz")
        if self.acc_lsb <= 0 or (self.has_gyro and self.gyr_lsb <= 0):
            raise ValueError("resolution (lsb) must be positive")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RecordingMeta":
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    def with_changes(self, **changes: Any) -> "RecordingMeta":
        return replace(self, **changes)
