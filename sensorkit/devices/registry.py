"""The one list of supported sensor kinds: ``kind`` -> profile class, and recognition from a scan.

Adding a sensor: write its profile module in this package, then add ONE line to ``_PROFILES`` below
(``"module_name:ClassName"``). Profiles load lazily so a broken or slow vendor module cannot stop
the others from working, and ``sensorkit scan`` imports only what it needs.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

from ..errors import DeviceError
from .base import Advertisement, DeviceProfile

# Order matters for recognition: the first profile that recognises an advertisement wins.
_PROFILES: list[str] = [
    "sensorkit_imu:SensorKitProfile",
    "metamotion:MetaMotion",
    "polar:Polar",
    "movesense:Movesense",
    "witmotion:WitMotion",
    "thingy52:Thingy52",
    "microbit:MicroBit",
]


@lru_cache(maxsize=None)
def _load(entry: str) -> type[DeviceProfile]:
    module, cls = entry.split(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), cls)


def profiles() -> dict[str, type[DeviceProfile]]:
    """Every supported kind and its profile class, in recognition order."""
    classes = [_load(entry) for entry in _PROFILES]
    return {cls.kind: cls for cls in classes}


def kinds() -> list[str]:
    return list(profiles())


def profile_class(kind: str) -> type[DeviceProfile]:
    """The profile for ``kind``, or a :class:`DeviceError` listing the supported kinds."""
    table = profiles()
    if kind not in table:
        raise DeviceError(f"unknown device kind {kind!r}; supported: {', '.join(table)}")
    return table[kind]


def recognise(adv: Advertisement) -> type[DeviceProfile] | None:
    """The profile class of the first kind that recognises this advertisement, or None."""
    for cls in profiles().values():
        if cls.recognises(adv):
            return cls
    return None
