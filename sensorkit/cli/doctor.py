"""`sensorkit doctor [--device NAME|ADDRESS | --emulate KIND]`: can this computer record that sensor? What to fix.

    sensorkit doctor [--device NAME|ADDRESS] [--timeout S]
    sensorkit doctor --emulate KIND [--fault SPEC] [--speed X] [--seed N]

Checks in order, one line each (PASS, FAIL, INFO: nothing to check there, SKIP: an earlier failure
makes it meaningless): the Bluetooth stack (OS, bleak and its backend), the adapter (present, not
blocked, powered, allowed), a scan for the sensor (without ``--device``: the strongest supported one),
connecting, its identity and firmware revision (Device Information service), the MTU, configuring it
(its profile's start, as ``record`` does), its battery, and 10 s of streaming (samples received
against the rate, notifications that do not decode). A FAIL is followed by what to do on this
operating system. Exit status 1 when a check failed.

``--emulate KIND`` runs the same checks against an emulated sensor on a virtual radio (no hardware),
at ``--speed`` (default 10: the 10 s stream takes about 1 s). ``--fault`` takes ``record``'s SPEC plus
the misbehaviours a first real sensor may show: ``silent=1`` (no notifications), ``bad_firmware=1``
(a firmware revision answer that is not one), ``mtu=23`` (no MTU exchange), ``low_battery=0`` (a low
battery from power-on).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import textwrap

from ..ble import doctor as dr
from ..emulator.registry import emulator_class, kinds
from ..errors import SettingsError

EMULATED_SPEED = 10.0
WIDTH = 100


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("doctor", description=__doc__.splitlines()[0])
    which = p.add_mutually_exclusive_group()
    which.add_argument("--device", metavar="NAME|ADDRESS", help="the sensor to check (default: the strongest "
                       "supported sensor advertising)")
    which.add_argument("--emulate", metavar="KIND", help=f"check an emulated sensor instead ({', '.join(kinds())})")
    p.add_argument("--fault", metavar="SPEC", help="emulated misbehaviour, e.g. silent=1, bad_firmware=1, mtu=23, "
                   "low_battery=0 (and record's faults)")
    p.add_argument("--speed", type=float, metavar="X", help=f"emulation speed (default {EMULATED_SPEED:g})")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="fault seed (default 0)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="S", help="seconds to scan and connect (default 10)")
    p.set_defaults(func=run)


def check_arguments(args: argparse.Namespace):
    from ..emulator.faults import Faults

    if args.emulate is None and (args.fault or args.speed is not None):
        raise SettingsError("--fault and --speed only apply to --emulate")
    speed = EMULATED_SPEED if args.speed is None else args.speed
    if not 0.1 <= speed <= 100:
        raise SettingsError(f"--speed {speed:g} must be between 0.1 and 100")
    if args.timeout <= 0:
        raise SettingsError(f"--timeout {args.timeout:g} must be positive seconds")
    faults = Faults.parse(args.fault)
    if args.emulate is not None:
        emulator_class(args.emulate)  # an unknown kind: a clear error before anything starts
    return faults, speed


def print_check(check: dr.Check, out=None) -> None:
    out = out or sys.stdout
    lead = f"  {check.status:<4}  {check.name:<16}"
    print(textwrap.fill(check.detail, WIDTH, initial_indent=lead, subsequent_indent=" " * len(lead)), file=out)
    if check.fix:
        pad = " " * 8
        print(textwrap.fill(check.fix, WIDTH, initial_indent=pad + "fix: ", subsequent_indent=pad + "     "), file=out)
    out.flush()


async def _emulated(doctor: dr.Doctor, kind: str, faults, speed: float, seed: int) -> list[dr.Check]:
    from ..ble.collector import Transport
    from ..ble.radio import VirtualRadio, use_radio
    from ..devices.registry import profile_class

    radio = VirtualRadio()
    use_radio(radio)
    rate = dr.default_rate(profile_class(kind))
    source = dr.quiet_signal(rate, doctor.stream_s + 5.0)  # outlasts the stream: the world clock never stalls
    sensor = emulator_class(kind)(source, rate, faults=faults, speed=speed, seed=seed)
    await sensor.start(radio)
    doctor.transport, doctor.clock, doctor.speed = Transport.virtual(), sensor.world_time, speed
    quiet = _StoppingRace()
    logging.getLogger("bumble.gatt_client").addFilter(quiet)
    try:
        stack = dr.stack_check(f"its Bumble backend on a virtual radio (bumble {dr.package_version('bumble')})")
        adapter = dr.Check("adapter", dr.PASS, "virtual controller on an in-process link (no hardware used)")
        return await doctor.run(sensor.name, stack, adapter)
    finally:
        logging.getLogger("bumble.gatt_client").removeFilter(quiet)
        await sensor.close()
        use_radio(None)


class _StoppingRace(logging.Filter):
    """Bumble warns of a notification that arrives between unsubscribing and the sensor hearing of it,
    a harmless race when the stream stops; it would only clutter the report."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "no subscriber" not in record.getMessage()


def run(args: argparse.Namespace) -> int:
    faults, speed = check_arguments(args)
    doctor = dr.Doctor(report=print_check, scan_timeout_s=args.timeout)
    if args.emulate is not None:
        print(f"sensorkit doctor: an emulated {args.emulate} sensor (faults: {faults}, speed {speed:g}x)")
        asyncio.run(_emulated(doctor, args.emulate, faults, speed, args.seed))
    else:
        print(f"sensorkit doctor: this computer and {args.device or 'the strongest supported sensor nearby'}")
        stack = dr.stack_check(f"its {dr.backend_name()} backend")
        asyncio.run(doctor.run(args.device, stack, dr.real_adapter_check()))
    failed = doctor.failed
    if failed:
        names = ", ".join(c.name for c in failed)
        print(f"doctor: {len(failed)} check{'s' if len(failed) > 1 else ''} failed ({names}); the fixes are above")
        return 1
    print(f"doctor: all {sum(c.status == dr.PASS for c in doctor.checks)} checks passed"
          + (f" ({sum(c.status == dr.INFO for c in doctor.checks)} not available on this sensor)"
             if any(c.status == dr.INFO for c in doctor.checks) else ""))
    return 0
