"""The one list of emulated sensor kinds: ``kind`` -> emulator class (same kinds as the device registry).

Adding an emulator: write its module in this package (see :mod:`.base` and :mod:`.sensorkit_imu`),
then add ONE line ``"kind": "module:ClassName"`` to ``_EMULATORS``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ..errors import DeviceError

if TYPE_CHECKING:
    from .base import EmulatedSensor

_EMULATORS: dict[str, str] = {
    "sensorkit": "sensorkit_imu:SensorKitEmulator",
    "metamotion": "metamotion:MetaMotionEmulator",
    "polar": "polar:PolarH10Emulator",
    "movesense": "movesense:MovesenseEmulator",
    "witmotion": "witmotion:WitMotionEmulator",
    "thingy52": "thingy52:Thingy52Emulator",
    "microbit": "microbit:MicroBitEmulator",
}


def kinds() -> list[str]:
    return list(_EMULATORS)


def emulator_class(kind: str) -> type[EmulatedSensor]:
    """The emulator for ``kind``, or a :class:`DeviceError` listing the kinds that can be emulated."""
    if kind not in _EMULATORS:
        raise DeviceError(f"no emulator for device kind {kind!r}; emulated kinds: {', '.join(_EMULATORS)}")
    module, cls = _EMULATORS[kind].split(":")
    try:
        return getattr(importlib.import_module(f"{__package__}.{module}"), cls)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] != "bumble":
            raise
        raise DeviceError(f"emulated sensors need Bumble, which is not installed: pip install "
                          f"'sensorkit[emulation]' (or -e \".[emulation]\" in a clone)") from exc
