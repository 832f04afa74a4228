"""`sensorkit devices [--json]`: the sensor kinds SensorKit supports and what each can do.

Read from the device registry, so a new profile appears here by itself. The JSON document is a list
of objects: ``kind``, ``model``, ``gyroscope``, ``rates_hz``, ``acc_ranges_g``, ``gyr_ranges_dps``,
``feedback`` (null when none), ``device_clock`` (false: no counter or timestamp on the air, loss only
inferred from arrival times), ``emulated`` (an emulator exists), ``hardware_tested``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..devices import registry
from ..emulator import registry as emulators


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("devices", description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true", help="print a machine-readable JSON document")
    p.set_defaults(func=run)


def describe() -> list[dict[str, Any]]:
    """One entry per supported kind, in the registry's recognition order."""
    emulated = set(emulators.kinds())
    rows = []
    for kind, cls in registry.profiles().items():
        caps = cls.capabilities
        rows.append({
            "kind": kind,
            "model": caps.model,
            "gyroscope": caps.has_gyro,
            "rates_hz": list(caps.rates_hz),
            "acc_ranges_g": list(caps.acc_ranges_g),
            "gyr_ranges_dps": list(caps.gyr_ranges_dps),
            "feedback": caps.feedback,
            "device_clock": caps.has_counter,
            "emulated": kind in emulated,
            "hardware_tested": caps.hardware_tested,
        })
    return rows


def _numbers(values: list[float]) -> str:
    return "/".join(f"{v:g}" for v in values) or "-"


def run(args: argparse.Namespace) -> int:
    rows = describe()
    if args.json:
        print(json.dumps(rows))
        return 0
    print(f"{'kind':<11} {'gyro':<4} {'rates Hz':<33} {'feedback':<8} {'clock':<5} tested  model")
    for r in rows:
        tested = "yes" if r["hardware_tested"] else ("emul." if r["emulated"] else "no")
        print(
            f"{r['kind']:<11} {'yes' if r['gyroscope'] else 'no':<4} {_numbers(r['rates_hz']):<33} "
            f"{r['feedback'] or '-':<8} {'yes' if r['device_clock'] else 'no':<5} {tested:<7} {r['model']}"
        )
    return 0
