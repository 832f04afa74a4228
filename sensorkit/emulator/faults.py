"""Faults an emulated sensor injects on demand, and the ``--fault`` SPEC that names them.

SPEC is a comma list of ``key=value``, e.g. ``loss=0.01,dup=0.005,reorder=0.005,drop_every=20,drift_ppm=50``:

==============  ==================================================================================
``loss``        probability a data notification is not sent (its samples become a gap)
``dup``         probability a notification is sent twice
``reorder``     probability a notification is held back and sent after the next one
``corrupt``     probability a notification is replaced by a malformed one (the decoder must reject it)
``drop_every``  seconds of streaming between link losses (emulated supervision timeout); 0 = never
``drift_ppm``   the sensor's clock runs this many ppm fast (negative: slow) against the host
``low_battery`` seconds of streaming after which the battery reports low (8 %); absent = never; 0 = low
                from power-on (a read of the battery level already says 8 %)
``silent``      1: the sensor takes the subscription and start commands but never sends a data notification
``mtu``         the largest ATT MTU the sensor accepts (23: the unnegotiated default, 20-byte notifications)
``bad_firmware`` 1: the sensor answers the firmware revision read with bytes that are not a revision
==============  ==================================================================================

``silent``, ``mtu`` and ``bad_firmware`` are misbehaviours for ``sensorkit doctor --emulate`` (what a
real sensor may do to a first user); the others are faults of the air and the clock.

Probabilities are per notification, drawn from the emulator's seeded generator, so a run is repeatable.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..errors import SettingsError

_PROBABILITIES = ("loss", "dup", "reorder", "corrupt")


@dataclass(frozen=True)
class Faults:
    loss: float = 0.0
    dup: float = 0.0
    reorder: float = 0.0
    corrupt: float = 0.0
    drop_every: float = 0.0
    drift_ppm: float = 0.0
    low_battery: float | None = None
    silent: float = 0.0
    mtu: float | None = None
    bad_firmware: float = 0.0

    def __post_init__(self) -> None:
        for name in _PROBABILITIES:
            value = getattr(self, name)
            if not 0.0 <= value <= 0.5:
                raise SettingsError(f"fault {name}={value:g} must be a probability between 0 and 0.5")
        if self.drop_every < 0:
            raise SettingsError(f"fault drop_every={self.drop_every:g} must be 0 (never) or positive seconds")
        if self.drop_every and self.drop_every < 1.0:
            raise SettingsError("fault drop_every must be at least 1 s, or the sensor never streams")
        if abs(self.drift_ppm) > 10_000:
            raise SettingsError(f"fault drift_ppm={self.drift_ppm:g} is beyond any crystal (limit +-10000)")
        if self.low_battery is not None and self.low_battery < 0:
            raise SettingsError("fault low_battery must be seconds >= 0")
        for name in ("silent", "bad_firmware"):
            if getattr(self, name) not in (0.0, 1.0):
                raise SettingsError(f"fault {name} must be 1 (on) or 0 (off)")
        if self.mtu is not None and not (23 <= self.mtu <= 517 and self.mtu == int(self.mtu)):
            raise SettingsError(f"fault mtu={self.mtu:g} must be a whole ATT MTU between 23 and 517")

    @classmethod
    def parse(cls, spec: str | None) -> "Faults":
        """Faults from a SPEC string; a :class:`SettingsError` names what is wrong."""
        if spec is None or not spec.strip():
            return cls()
        known = {f.name for f in fields(cls)}
        values: dict[str, float] = {}
        for item in spec.split(","):
            key, sep, raw = item.strip().partition("=")
            key = key.strip()
            if not sep or not key:
                raise SettingsError(f"fault {item.strip()!r} is not key=value (example: loss=0.01,drop_every=20)")
            if key not in known:
                raise SettingsError(f"unknown fault {key!r}; known: {', '.join(sorted(known))}")
            if key in values:
                raise SettingsError(f"fault {key!r} given twice")
            try:
                values[key] = float(raw)
            except ValueError:
                raise SettingsError(f"fault {key}={raw.strip()!r} is not a number") from None
            if values[key] != values[key] or values[key] in (float("inf"), float("-inf")):
                raise SettingsError(f"fault {key} must be a finite number")
        return cls(**values)

    def __str__(self) -> str:
        default = Faults()
        parts = [f"{f.name}={getattr(self, f.name):g}" for f in fields(self) if getattr(self, f.name) != getattr(default, f.name)]
        return ",".join(parts) or "none"
