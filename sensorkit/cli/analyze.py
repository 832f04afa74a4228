"""`sensorkit analyze RECORDING|FILE.csv ... [--json] [--profile FILE] [--jobs N]`: posture, bends, slouching, sitting.

Each input is a SensorKit recording or a CSV/Parquet file (imported on the fly with the same unit
flags as `sensorkit import`). Without ``--json`` a readable summary is printed per input; with
``--json`` one JSON document per input, one per line, in input order (schema in the README,
"Posture and bending"); an input that fails gives ``{"recording": {"path": ...}, "error": "..."}`` on
its line. Analysis writes to a recording only when asked (``--save``): its events and summary then
replace the ones stored before, so `sensorkit info`, `export --events` and the terminal app see them.
Several inputs are analysed ``--jobs`` at a time in worker processes (:mod:`sensorkit.parallel`);
the output is the same, in the same order, as one at a time.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager, nullcontext
from functools import partial
from pathlib import Path
from typing import Any, Iterator

from ..errors import RecordingError, SensorKitError, SettingsError
from ..localtime import clock, zone_for
from ..mounting import add_mounting_options, with_mounting
from ..parallel import ProgressBar, add_jobs_option, machine_cores, map_in_order
from ..samples import RecordingMeta, SampleBlock, start_datetime
from ..store import RecordingReader, is_in_progress
from .import_csv import add_import_options, import_options, report_problems

TABLE_SUFFIXES = {".csv", ".parquet", ".txt", ".gz"}


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("analyze", description=__doc__.splitlines()[0])
    p.add_argument("inputs", nargs="+", metavar="RECORDING|FILE.csv", help="recordings or CSV/Parquet files")
    p.add_argument("--json", action="store_true", help="print one JSON document per input, one per line")
    p.add_argument("--profile", metavar="FILE", help="patient profile (TOML): thresholds and calibration")
    p.add_argument("--no-gait", action="store_true", help="skip step and walking-bout detection")
    p.add_argument("--tz", metavar="ZONE", help="split days at midnight in this IANA zone (default: the "
                   "recording's own zone, else the profile's, else the computer's)")
    p.add_argument("--events", action="store_true", help="also list every event in the readable output")
    p.add_argument("--save", action="store_true",
                   help="store the events and summary in each recording (replacing earlier ones)")
    add_jobs_option(p)
    add_import_options(p)
    add_mounting_options(p)
    p.set_defaults(func=run, apart=False)  # run() decides it from the inputs and --jobs


def _is_table(path: str) -> bool:
    return Path(path).suffix.lower() in TABLE_SUFFIXES


@contextmanager
def _opened(path: str, args: argparse.Namespace) -> Iterator[tuple[SampleBlock | RecordingReader, RecordingMeta, dict[str, Any]]]:
    """An input's samples, open while they are analysed: a recording is read from the store block by
    block (memory does not grow with its length), a table file is imported whole."""
    p = Path(path)
    if _is_table(path):
        from ..importer import read_all  # pandas, pyarrow and the readers: only for table files

        block, meta, report = read_all(p, import_options(args))
        report_problems(path, report)
        yield block, meta, {"path": str(p), "imported": True, "skipped_lines": len(report.bad_lines)}
        return
    with RecordingReader(p) as reader:
        yield reader, reader.meta, {"path": str(p), "imported": False}


def analyze_input(path: str, args: argparse.Namespace) -> dict[str, Any]:
    """The JSON document for one input (see the README for the schema)."""
    from ..signal.first_pass import first_pass_apart  # NumPy only, unlike the signal core below
    from ..signal.profile import load_profile
    from ..signal.saved_analysis import SCHEMA_VERSION

    profile = load_profile(args.profile)
    with _opened(path, args) as (data, meta, source):
        meta = with_mounting(meta, args)
        if (len(data) if isinstance(data, SampleBlock) else data.sample_count()) == 0:
            raise SensorKitError(f"{path} holds no samples to analyze")
        zone = zone_for(getattr(args, "tz", None), meta.timezone, profile)
        # a recording's first pass starts apart before the signal core is imported (SciPy, ~0.5 s), so
        # the import happens meanwhile; analyze() starts it itself for samples in memory
        early = args.apart and isinstance(data, RecordingReader)
        with (first_pass_apart(data, meta.rate_hz) if early else None) or nullcontext() as first:
            from ..signal.pipeline import analyze  # imported when used: --help never waits for it either

            result = analyze(data, meta, profile, gait=not args.no_gait, zone=zone, apart=args.apart, first=first)
        has_gyro = data.has_gyro if isinstance(data, SampleBlock) else meta.has_gyro
        # a damaged file is salvaged: say what was lost
        damage = data.damage_report() if isinstance(data, RecordingReader) else None
    return {
        "schema": SCHEMA_VERSION,
        "recording": {
            **source,
            "device": meta.device_kind,
            "start_time": meta.start_time,
            "start_local": clock(start_datetime(meta.start_time), zone),
            "patient_id": meta.patient_id,
            "rate_hz": meta.rate_hz,
            "samples": result.samples,
            "duration_s": round(result.duration_s, 3),
            "has_gyro": has_gyro,
        },
        "analysis": {
            "angles_from": result.method,
            "gait": result.gait,
            "alignment": result.alignment.to_json(),
            "profile": args.profile,
            "warnings": result.warnings + ([damage] if damage else []),
        },
        "events": [e.to_json() for e in result.events],
        "summary": result.summary,
    }


def _print_readable(doc: dict[str, Any], with_events: bool) -> None:
    rec, tot = doc["recording"], doc["summary"]["total"]
    print(f"{rec['path']}: {rec['duration_s'] / 60:.1f} min at {rec['rate_hz']:g} Hz, angles from {doc['analysis']['angles_from']}")
    who = f"patient {rec['patient_id']}, " if rec.get("patient_id") else ""
    days = doc["summary"]["days"]
    print(f"  {who}from {rec['start_local']}; {len(days)} day{'' if len(days) == 1 else 's'} in "
          f"{doc['summary']['timezone']}: " + ", ".join(f"{d['date']} {d['duration_s'] / 3600:.1f} h" for d in days))
    for w in doc["analysis"]["warnings"]:
        print(f"  warning: {w}")
    print(f"  worn      {tot['worn_s'] / 60:.1f} min, not worn {tot['not_worn_s'] / 60:.1f} min")
    ps = tot["posture_s"]
    print("  posture   " + ", ".join(f"{k} {v / 60:.1f} min" for k, v in ps.items()))
    if "walking_s" in tot:
        print(f"  walking   {tot['walking_s'] / 60:.1f} min, {tot['steps']} steps")
    elif doc["analysis"]["gait"].startswith("not run"):
        print(f"  walking   {doc['analysis']['gait']}")
    b = tot["bends"]
    sev = b["by_severity"]
    print(f"  bends     {b['count']} (high {sev['high']}, moderate {sev['moderate']}, low {sev['low']}); "
          f"{b['per_hour_worn'] or 0:.1f} per hour")
    print(f"  slouching {tot['slouch']['episodes']} episodes, {tot['slouch']['total_s'] / 60:.1f} min")
    sed = tot["sedentary"]
    print(f"  sedentary {sed['bouts']} bouts, {sed['total_s'] / 60:.1f} min, longest {sed['longest_s'] / 60:.1f} min")
    if "flexion_band_s" in tot:
        fb = tot["flexion_band_s"]
        print(f"  flexion   0-20 deg {fb['0_20'] / 60:.1f} min, 20-60 deg {fb['20_60']:.0f} s, >60 deg {fb['over_60']:.0f} s")
    if tot["alerts"]:
        print("  alerts    " + ", ".join(f"{k} {v}" for k, v in tot["alerts"].items()))
    if with_events:
        for e in doc["events"]:
            extra = {k: v for k, v in e.items() if k not in ("type", "start", "end")}
            print(f"    {e['start']:9.1f} {e['end']:9.1f}  {e['type']:<16} {json.dumps(extra)}")


def analyze_and_save(path: str, args: argparse.Namespace) -> tuple[dict[str, Any] | None, SensorKitError | None]:
    """One input's document (stored in the recording with ``--save``), or the error that stopped it.

    The unit of work of ``--jobs``: it runs in a worker process and hands back plain data.
    """
    from ..signal.profile import load_profile
    from ..signal.saved_analysis import analysis_provenance, save_analysis

    try:
        if args.save and is_in_progress(path):
            raise RecordingError(f"{path} is still being recorded; analyze --save it once the recording has "
                                 "ended (analyze without --save works now)")
        doc = analyze_input(path, args)
        if args.save:
            save_analysis(path, doc, analysis_provenance(load_profile(args.profile), gait=not args.no_gait))
        return doc, None
    except SensorKitError as exc:
        return None, exc


def run(args: argparse.Namespace) -> int:
    from ..signal.saved_analysis import SCHEMA_VERSION

    if args.save and any(_is_table(path) for path in args.inputs):
        raise SettingsError("--save stores results in recordings; import CSV files first (sensorkit import)")
    status = 0
    # one input and a core to spare: its first pass and walking bouts are found in processes of their own
    args.apart = len(args.inputs) == 1 and (args.jobs or machine_cores()) > 1
    bar = ProgressBar("analyze")
    outcomes = map_in_order(partial(analyze_and_save, args=args), args.inputs, args.jobs, bar)
    for path, (doc, exc) in zip(args.inputs, outcomes):
        bar.close()
        if exc is not None:
            if len(args.inputs) == 1:
                raise exc
            print(f"sensorkit: error: {path}: {exc}", file=sys.stderr)
            if args.json:
                print(json.dumps({"schema": SCHEMA_VERSION, "recording": {"path": path}, "error": str(exc)}))
            status = 1
            continue
        if args.json:
            print(json.dumps(doc, separators=(",", ":")))
        else:
            _print_readable(doc, args.events)
    return status
