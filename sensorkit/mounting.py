"""How a sensor was worn, said by the user: ``--mounting up=-y,forward=+z`` or ``--device KIND``.

A file from another tool carries no word of how the sensor sat on the body, and without it the
signal core must find forward from the movements themselves (``sensorkit.signal.alignment``), which
a short or quiet recording may not allow. The wearer or the therapist usually knows: which sensor
axis pointed up and which forward as it was worn. The answer is kept in the recording as
``meta.extra["mounting"] = {"up": [x, y, z], "forward": [x, y, z]}`` (sensor-frame unit vectors),
the same key the device profiles and dataset loaders fill, and the alignment reads it from there.

Axes are named as signed sensor axes (``+x``, ``-y``, ``z``); up and forward must be different axes.
``--device`` names a sensor whose housing or protocol fixes the mounting (table below).
"""

from __future__ import annotations

import argparse
from typing import Any

from .errors import SettingsError
from .samples import RecordingMeta

_AXES = {"x": 0, "y": 1, "z": 2}

# Nominal mountings (up, forward) of sensors whose placement is fixed by their housing or protocol.
DEVICE_MOUNTINGS: dict[str, tuple[str, str]] = {
    "simulator": ("+x", "+z"),  # `sensorkit simulate`: x up, y right, z forward
    "mcroberts-mm+": ("+x", "+z"),  # McRoberts MoveMonitor+ lower-back belt (mobgap example data)
    "galaxy-s2-waist": ("+x", "+y"),  # UCI HAPT: phone upright on the belt, screen outwards
    "sisfall-board": ("-y", "+z"),  # SisFall waist board: -y up, stoops tilt gravity towards -z
}


def parse_axis(text: str, what: str) -> list[float]:
    """``+x`` / ``-y`` / ``z`` as a unit vector; anything else is a :class:`SettingsError`."""
    t = text.strip().lower()
    sign = -1.0 if t.startswith("-") else 1.0
    name = t[1:] if t[:1] in "+-" and t else t
    if name not in _AXES:
        raise SettingsError(f"--mounting: {what}={text!r} is not a sensor axis; use one of +x, -x, +y, -y, +z, -z")
    vec = [0.0, 0.0, 0.0]
    vec[_AXES[name]] = sign
    return vec


def _checked(up: list[float], forward: list[float], said: str) -> dict[str, list[float]]:
    if any(u != 0.0 and f != 0.0 for u, f in zip(up, forward)):
        raise SettingsError(f"{said}: up and forward must be different sensor axes")
    return {"up": up, "forward": forward}


def parse_mounting(text: str) -> dict[str, list[float]]:
    """``up=AXIS,forward=AXIS`` (either order) as the ``extra["mounting"]`` document."""
    parts: dict[str, str] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key = key.strip().lower()
        if not sep or key not in ("up", "forward") or key in parts:
            raise SettingsError(f"--mounting {text!r} must read up=AXIS,forward=AXIS, for example up=-y,forward=+z")
        parts[key] = value
    if set(parts) != {"up", "forward"}:
        raise SettingsError(f"--mounting {text!r} must name both axes, for example up=-y,forward=+z")
    return _checked(parse_axis(parts["up"], "up"), parse_axis(parts["forward"], "forward"), f"--mounting {text!r}")


def device_mounting(kind: str) -> dict[str, list[float]] | None:
    """The nominal mounting of a device kind in :data:`DEVICE_MOUNTINGS`, or None."""
    axes = DEVICE_MOUNTINGS.get(kind)
    return None if axes is None else {"up": parse_axis(axes[0], "up"), "forward": parse_axis(axes[1], "forward")}


def mounting_from_options(mounting: str | None, device: str | None) -> dict[str, list[float]] | None:
    """The mounting the user gave (``--mounting`` or ``--device``, not both), or None."""
    if mounting is not None and device is not None:
        raise SettingsError("give --mounting or --device, not both")
    if mounting is not None:
        return parse_mounting(mounting)
    if device is None:
        return None
    found = device_mounting(device.strip().lower())
    if found is None:
        raise SettingsError(f"--device {device!r} has no known mounting; known: {', '.join(DEVICE_MOUNTINGS)} "
                            "(or say it with --mounting up=AXIS,forward=AXIS)")
    return found


def add_mounting_options(p: argparse.ArgumentParser) -> None:
    """``--mounting`` and ``--device`` on a command that reads samples from a file."""
    p.add_argument("--mounting", metavar="up=AXIS,forward=AXIS",
                   help="sensor axes pointing up and forward as worn, e.g. up=-y,forward=+z")
    p.add_argument("--device", metavar="KIND",
                   help=f"take a known device's nominal mounting ({', '.join(DEVICE_MOUNTINGS)})")


def with_mounting(meta: RecordingMeta, args: Any) -> RecordingMeta:
    """``meta`` with the mounting from the command's options stored in ``extra``, if one was given."""
    found = mounting_from_options(getattr(args, "mounting", None), getattr(args, "device", None))
    if found is None:
        return meta
    return meta.with_changes(extra={**meta.extra, "mounting": found})
