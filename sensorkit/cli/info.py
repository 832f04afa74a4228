"""`sensorkit info RECORDING [--json]`: what a recording holds, for people and for scripts.

The JSON document is a stable interface (documented in the README): ``samples`` (int), ``duration_s``,
``rate_hz``, ``gaps`` (list of ``{start, end, samples}``), ``events`` (count), plus ``device``,
``start_time``, ``has_gyro``, ``calibration``, ``damaged`` (parts of a damaged file that could not be
read: ``{start, end, samples, reason}``; everything else is still described), ``in_progress`` (a recorder
is writing it now).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..store import RecordingReader, is_in_progress


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("info", description=__doc__.splitlines()[0])
    p.add_argument("recording", help="path of a SensorKit recording")
    p.add_argument("--json", action="store_true", help="print a machine-readable JSON document")
    p.set_defaults(func=run)


SCHEMA = 1  # of the --json document (README, "sensorkit info --json"): raised when a key changes meaning or goes


def describe(reader: RecordingReader) -> dict[str, Any]:
    """The info document for an open recording, from what the store holds (its block list, checksums
    and stored gaps): no sample is decoded."""
    meta = reader.meta
    blocks = reader.intact_blocks()  # checked, not decoded: a week is described in a fraction of a second
    gaps = reader.gaps()
    samples = sum(n for *_, n in blocks)
    duration = float(blocks[-1][2] - blocks[0][1] + 1.0 / meta.rate_hz) if blocks else 0.0
    return {
        "schema": SCHEMA,
        "path": str(reader.path),
        "device": {"kind": meta.device_kind, "name": meta.device_name, "address": meta.device_address},
        "start_time": meta.start_time,
        "samples": int(samples),
        "duration_s": round(duration, 3),
        "rate_hz": meta.rate_hz,
        "has_gyro": meta.has_gyro,
        "gaps": [g.to_json() for g in gaps],
        "missing_samples": int(sum(g.samples for g in gaps)),
        "calibration": meta.calibration,
        "events": reader.event_count(),
        "patient_id": meta.patient_id,
        "timezone": meta.timezone,
        "source": meta.source,
        "damaged": [lost.to_json() for lost in reader.damage],
        "in_progress": is_in_progress(reader.path),
    }


def _local(doc: dict) -> str:
    """The start in the recording's own zone, or a note when this computer does not know the zone."""
    from ..errors import SettingsError
    from ..localtime import clock, zone
    from ..samples import start_datetime

    try:
        return clock(start_datetime(doc["start_time"]), zone(doc["timezone"]))
    except SettingsError:
        return "(a zone unknown here)"


def run(args: argparse.Namespace) -> int:
    with RecordingReader(args.recording, map_file=True) as reader:
        doc = describe(reader)
    if args.json:
        print(json.dumps(doc))
        return 0
    device = doc["device"]
    print(f"recording   {doc['path']}")
    print(f"device      {device['kind']} {device['name']} {device['address']}".rstrip())
    print(f"patient     {doc['patient_id'] or '(not set)'}")
    print(f"start       {doc['start_time']}" + (f" = {_local(doc)} {doc['timezone']}" if doc["timezone"] else ""))
    print(f"duration    {doc['duration_s']:.1f} s, {doc['samples']} samples at {doc['rate_hz']:g} Hz"
          + (" so far (still being recorded)" if doc["in_progress"] else ""))
    print(f"channels    accelerometer{' + gyroscope' if doc['has_gyro'] else ' only'}")
    print(f"gaps        {len(doc['gaps'])} ({doc['missing_samples']} samples missing)")
    print(f"calibration {'yes' if doc['calibration'] else 'none'}")
    print(f"events      {doc['events']}")
    if doc["damaged"]:
        lost = sum(d["samples"] or 0 for d in doc["damaged"])
        print(f"damaged     {len(doc['damaged'])} part(s) unreadable, {lost} samples lost (see the warning above)")
    return 0
