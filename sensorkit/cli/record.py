"""`sensorkit record`: record a sensor (real or emulated) into a recording, then print what happened.

    sensorkit record --device NAME|ADDRESS -o RECORDING [--duration S] [--rate HZ] [--profile FILE]
    sensorkit record --emulate KIND [--scenario NAME | --from RECORDING] [--seed N] [--duration S]
                     [--fault SPEC] [--speed X] [--profile FILE] -o RECORDING

A real sensor is reached through the computer's Bluetooth adapter (same command on Linux, macOS and
Windows); it records until ``--duration`` or Ctrl-C (which ends the recording normally). ``--emulate`` streams a simulated scenario
(default ``demo``) or a stored recording from an emulated sensor over a virtual radio, through the
same collector; SPEC is a comma list such as ``loss=0.01,dup=0.005,reorder=0.005,drop_every=20,drift_ppm=50``
(see ``sensorkit.emulator.faults``), ``--speed`` runs faster than real time. A simulated scenario is
made at the emulated kind's supported rate nearest to ``--rate`` (a Movesense streams 104 Hz, not 100).
With ``--profile`` the patient's calibration (``sensorkit calibrate``) goes into the recording's
metadata, where analysis finds it, with the profile's ``[patient] id`` (or ``--patient ID``) and
time zone (``--tz ZONE``, else the profile's ``[patient] timezone``, else the computer's). The summary: samples stored, gaps (samples lost), duplicates
dropped, corrupt packets, reconnects.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Any, Callable

from ..ble.collector import Collector
from ..ble.sessions import Listeners, SessionResult, record_device, record_emulated
from ..emulator.faults import Faults
from ..emulator.registry import emulator_class, kinds
from ..emulator.sources import recorded, simulated, simulation_rate
from ..errors import RecordingError, SettingsError
from ..store import is_in_progress
from ..store.lock import in_progress_message
from .saved import print_saved_analysis

DEFAULT_SCENARIO = "demo"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("record", description=__doc__.splitlines()[0])
    add_session_arguments(p)
    p.add_argument("--raw", action="store_true", help="also keep every notification's bytes, arrival time and "
                   "characteristic, the GATT table and the configuration writes in the recording (for "
                   "`sensorkit redecode` and bug reports)")
    p.set_defaults(func=run)


def add_session_arguments(p: argparse.ArgumentParser, *, output_required: bool = True,
                          device_required: bool = True, profile: bool = True, rate: bool = True) -> None:
    """The device options `record`, `monitor` and (live) `calibrate` share (``rate``/``profile`` False:
    the command defines its own ``--rate``/``--profile``)."""
    which = p.add_mutually_exclusive_group(required=device_required)
    which.add_argument("--device", metavar="NAME|ADDRESS", help="a real sensor, by advertised name or address")
    which.add_argument("--emulate", metavar="KIND", help=f"an emulated sensor ({', '.join(kinds())})")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--scenario", metavar="NAME", help=f"simulated scenario to stream (default {DEFAULT_SCENARIO})")
    src.add_argument("--from", dest="from_recording", metavar="RECORDING", help="replay a stored recording")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="simulation and fault seed (default 0)")
    p.add_argument("--duration", type=float, metavar="S", help="seconds of data to record")
    p.add_argument("--fault", metavar="SPEC", help="faults to inject, e.g. loss=0.01,drop_every=20")
    p.add_argument("--speed", type=float, default=1.0, metavar="X", help="emulation speed (default 1 = real time)")
    if rate:
        p.add_argument("--rate", type=float, default=100.0, metavar="HZ",
                       help="sampling rate (default 100); an emulated sensor simulates its supported rate nearest to it")
    p.add_argument("--force", action="store_true", help="overwrite an existing recording")
    p.add_argument("-o", "--output", required=output_required, metavar="RECORDING", help="the recording to write")
    if profile:
        p.add_argument("--profile", metavar="FILE", help="patient profile (TOML): its calibration and patient "
                       "id are stored in the recording (and `monitor` uses its thresholds and height)")
    p.add_argument("--patient", metavar="ID", help="patient id stored in the recording (default: the "
                   "profile's [patient] id)")
    p.add_argument("--tz", metavar="ZONE", help="IANA time zone for clock times and days, stored in the "
                   "recording (default: the profile's [patient] timezone, else the computer's)")


def check_session_arguments(args: argparse.Namespace) -> Faults:
    """Reject impossible combinations before anything starts; returns the parsed faults."""
    emulate_only = {"--scenario": args.scenario, "--from": args.from_recording, "--fault": args.fault,
                    "--speed": args.speed != 1.0 or None}
    if args.device is not None:
        used = [name for name, value in emulate_only.items() if value]
        if used:
            raise SettingsError(f"{', '.join(used)} only apply to --emulate, not to a real --device")
    if args.duration is not None and args.duration <= 0:
        raise SettingsError(f"--duration {args.duration:g} must be positive seconds")
    if not 0.01 <= args.speed <= 1000:
        raise SettingsError(f"--speed {args.speed:g} must be between 0.01 and 1000")
    faults = Faults.parse(args.fault)
    if args.emulate is not None:
        emulator_class(args.emulate)
    wearer(args)  # a bad --tz or a --patient that contradicts the profile stops here, before a sensor is touched
    if args.output and is_in_progress(args.output):  # another recorder is writing it: refused before connecting
        raise RecordingError(in_progress_message(Path(args.output)))
    return faults


async def run_session(args: argparse.Namespace, faults: Faults, listeners: Listeners | None = None, **extra: Any) -> SessionResult:
    """The session the arguments describe (real or emulated). Ctrl-C ends it normally, with the summary."""
    extra["on_collector"] = _with_ctrl_c(extra.get("on_collector"))
    if "calibration" not in extra:
        extra["calibration"] = profile_calibration(getattr(args, "profile", None))
    extra.setdefault("wearer", wearer(args))
    extra.setdefault("raw", getattr(args, "raw", False))
    if args.device is not None:
        return await record_device(
            args.device, args.output, duration_s=args.duration, rate_hz=args.rate, overwrite=args.force,
            listeners=listeners, **extra,
        )
    attachments = {}
    if args.from_recording:
        source = recorded(args.from_recording, args.duration)
    else:
        source = simulated(args.scenario or DEFAULT_SCENARIO, args.seed, _sim_duration(args.duration),
                           simulation_rate(args.emulate, args.rate))
        from ..simulator.truth import ATTACHMENT

        attachments[ATTACHMENT] = source.simulation.truth.to_npz(source.rate_hz)
    return await record_emulated(
        args.emulate, source, args.output, faults=faults, speed=args.speed, seed=args.seed,
        duration_s=args.duration, overwrite=args.force, listeners=listeners, attachments=attachments, **extra,
    )


def profile_calibration(path: str | None) -> dict[str, Any] | None:
    """The calibration in the patient profile at ``path``, as the recording's metadata stores it.

    ``span_s`` (where a guided calibration sat in the recording it was streamed into) belongs to that
    recording, not to this one, so it is dropped."""
    if not path:
        return None
    from ..signal.profile import load_profile

    calibration = load_profile(path).calibration
    return None if not calibration else {k: v for k, v in calibration.items() if k != "span_s"}


def wearer(args: argparse.Namespace) -> dict[str, str]:
    """Who wears the sensor and where: the patient id and IANA zone stored in the recording.

    ``--patient`` and ``--tz`` first, then the profile's ``[patient]`` id and timezone, then (zone
    only) the computer's. A ``--patient`` that contradicts the profile's id is refused: one of the two
    names the wrong person."""
    from ..localtime import zone_for, zone_name
    from ..signal.profile import load_profile

    path = getattr(args, "profile", None)
    profile = load_profile(path) if path and Path(path).exists() else None  # calibrate may create it
    listed = profile.patient_id if profile else ""
    given = getattr(args, "patient", None)
    if given and listed and given != listed:
        raise SettingsError(f"--patient {given} contradicts the profile's [patient] id {listed!r}; "
                            "use the profile of that patient, or leave --patient out")
    zone = zone_for(getattr(args, "tz", None), "", profile)
    return {"patient_id": given or listed, "timezone": zone_name(zone)}


def _with_ctrl_c(then: Callable[[Collector], None] | None) -> Callable[[Collector], None]:
    def attach(collector: Collector) -> None:
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows: Ctrl-C interrupts instead
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, collector.stop)
        if then is not None:
            then(collector)

    return attach


def _sim_duration(duration: float | None) -> float | None:
    """The simulator makes at least 10 s; a shorter recording is cut by the collector."""
    return None if duration is None else max(10.0, duration)


def summary_lines(result: SessionResult) -> list[str]:
    s = result.stats
    lines = [
        f"recorded {result.output}: {s.samples_stored} samples from {result.kind} {result.name}",
        f"  gaps {s.gaps} ({s.samples_lost} samples lost), duplicates dropped {s.duplicates_dropped}, "
        f"corrupt packets {s.corrupt_packets}, reconnects {s.reconnects}",
    ]
    if s.late_dropped:
        lines.append(f"  late packets dropped {s.late_dropped} samples (their slot was already a gap)")
    if s.samples_incomplete:
        lines.append(f"  {s.samples_incomplete} samples arrived incomplete (e.g. accelerometer without gyroscope) "
                     "and were not stored")
    if s.battery_low:
        lines.append("  the sensor reported a low battery")
    if result.emulator is not None:
        e = result.emulator
        lines.append(
            f"  emulator: sent {e.samples_sent} samples, withheld {e.samples_withheld} ({e.corrupted} packets corrupted), "
            f"{e.unsent_no_link} unsent while disconnected, {e.duplicated} duplicated, {e.reordered} reordered, "
            f"{e.link_drops} link drops"
        )
        if e.unsent_partial:
            lines.append(f"  emulator: {e.unsent_partial} samples never sent (left in a packet that was never filled)")
        if e.feedback:
            lines.append(f"  emulator: {len(e.feedback)} vibration commands received (on-body feedback)")
        if e.unsent_stopped:
            lines.append(f"  emulator: {e.unsent_stopped} samples due while the collector restarted it (a gap in its clock)")
    if s.raw_capture_bytes:
        size = result.output.stat().st_size if result.output.exists() else 0
        share = f" ({s.raw_capture_bytes / size:.0%} of the recording)" if size else ""
        lines.append(f"  raw capture: {s.raw_capture_bytes} bytes{share}" +
                     (", truncated at its size bound" if s.raw_capture_truncated else ""))
    lines += [f"  warning: {w}" for w in result.warnings]
    return lines


def run(args: argparse.Namespace) -> int:
    faults = check_session_arguments(args)
    from .announce import announce

    result = asyncio.run(run_session(args, faults, on_collector=announce))
    print("\n".join(summary_lines(result)))
    print_saved_analysis(result.output, args)
    return 0

