"""The one interface every supported sensor implements, and what its decoder hands the collector.

A device profile knows one vendor protocol: how to recognise the sensor from its advertisement, how
to configure and start streaming over a connected ``bleak.BleakClient``, and how to turn notification
bytes into samples in the project's units (m/s^2, rad/s; see :mod:`sensorkit.samples`) with the
*device's* notion of time. The collector (:mod:`sensorkit.ble`) does the rest: unwrap counters, map
device time to seconds with drift correction, account gaps, store.

Adding a sensor = one profile module here, one emulator, one set of test vectors, one registry line.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, Sequence

import numpy as np

from ..errors import DecodeError

__all__ = ["Advertisement", "Capabilities", "DecodedSamples", "DeviceProfile", "DecodeError"]


@dataclass(frozen=True)
class Advertisement:
    """What a scan saw of one device; a profile recognises itself from this alone."""

    name: str | None
    address: str
    service_uuids: Sequence[str] = ()
    manufacturer_data: Mapping[int, bytes] = None  # type: ignore[assignment]
    rssi: int | None = None


@dataclass(frozen=True)
class Capabilities:
    """What a kind of sensor can do, for `sensorkit devices` and for validating settings."""

    model: str
    has_gyro: bool
    rates_hz: tuple[float, ...]
    acc_ranges_g: tuple[float, ...]
    gyr_ranges_dps: tuple[float, ...] = ()
    feedback: str | None = None  # "haptic", "leds", "speaker", ... or None
    has_counter: bool = True  # False: loss can only be inferred from arrival times (WitMotion)
    hardware_tested: bool = False


COUNTER_FROM_ZERO = "counter_from_zero"


@dataclass(frozen=True)
class DecodedSamples:
    """Samples from one notification (or one assembled group), timed by the device.

    Exactly one time reference is set:
    - ``counter``: device sample index of the first sample (wraps at ``counter_modulus``); sample k of
      the packet is ``counter + k`` (or ``counter + k * counter_step`` where a counter counts packets
      or milliseconds, see ``counter_step``);
    - ``device_time_s``: per-sample device timestamps in seconds (may wrap at ``counter_modulus`` s);
    - neither: the device has no clock on the air; the collector infers time from arrival and rate.

    ``flags`` carries device status seen in this packet: ``"battery_low"``, ``"clipped"`` (a value hit
    full scale); the collector records them as events. :data:`COUNTER_FROM_ZERO` says the stream's
    counter began at 0 (a protocol whose start resets it): what was lost before the first packet that
    arrives is then a gap of known size.
    """

    acc: np.ndarray  # (n, 3) m/s^2
    gyr: np.ndarray | None = None  # (n, 3) rad/s
    counter: int | None = None
    counter_modulus: int | None = None
    counter_step: int = 1
    device_time_s: np.ndarray | None = None
    flags: frozenset[str] = frozenset()

    def __len__(self) -> int:
        return int(self.acc.shape[0])


Notify = Callable[[str, bytes], None]  # (characteristic uuid, payload)


class DeviceProfile(ABC):
    """One connected sensor of one kind. Stateful: some protocols assemble samples across packets."""

    kind: ClassVar[str]  # short id used on the command line: "sensorkit", "metamotion", ...
    capabilities: ClassVar[Capabilities]
    service_uuids: ClassVar[tuple[str, ...]]  # lower-case 128-bit strings, for scan filters
    # How the sensor sends samples as float32 triples ({"acc": "m/s2", "gyr": "deg/s"}), if it does: a raw
    # capture then predicts those floats from the stored samples (sensorkit.ble.rawcapture.FloatTokens).
    sends_floats: ClassVar[dict[str, str] | None] = None

    def __init__(self, rate_hz: float, acc_range_g: float, gyr_range_dps: float | None = None):
        self.rate_hz = float(rate_hz)
        self.acc_range_g = float(acc_range_g)
        self.gyr_range_dps = None if gyr_range_dps is None else float(gyr_range_dps)

    @classmethod
    @abstractmethod
    def recognises(cls, adv: Advertisement) -> bool:
        """True when the advertisement is this kind of sensor."""

    @abstractmethod
    async def start(self, client: Any, on_notify: Notify) -> None:
        """Configure the connected sensor and subscribe; every notification goes to ``on_notify``."""

    @abstractmethod
    async def stop(self, client: Any) -> None:
        """Stop streaming (best effort: the link may already be gone)."""

    @abstractmethod
    def decode(self, char_uuid: str, payload: bytes) -> list[DecodedSamples]:
        """Samples in a notification; ``[]`` while a multi-packet group is incomplete.

        Raises :class:`DecodeError` (and nothing else) for bytes that do not decode.
        """

    def decode_settings(self) -> dict[str, Any]:
        """What :meth:`decode` depends on that :meth:`start` learnt from the sensor, as JSON, so a raw
        capture (``record --raw``) decodes again exactly as it did live. Default: nothing."""
        return {}

    def restore_decode_settings(self, settings: Mapping[str, Any]) -> None:
        """Set what :meth:`decode_settings` returned. ``settings["starting"]``: a :meth:`start` begins
        here (a profile that forgets half-assembled samples at a start does so). Default: nothing."""

    def incomplete_samples(self) -> int:
        """Samples that arrived only in part and so were never handed on, including any held now.

        For protocols that send one sample in several notifications (MetaMotion: accelerometer and
        gyroscope apart): a half whose other half never came cannot be stored, but must not vanish
        either; the collector puts this count in its statistics. Default 0 (nothing split)."""
        return 0

    @property
    @abstractmethod
    def acc_lsb(self) -> float:
        """Accelerometer resolution at the configured range, in m/s^2 per count."""

    @property
    def gyr_lsb(self) -> float:
        """Gyroscope resolution at the configured range, in rad/s per count (0 without a gyro)."""
        return 0.0

    async def feedback(self, client: Any, pattern: str = "short") -> None:
        """Buzz, blink or beep on the sensor, where it has a way; the default has none."""
        raise NotImplementedError(f"{self.capabilities.model} has no feedback")


