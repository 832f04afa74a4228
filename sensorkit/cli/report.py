"""`sensorkit report REC|FOLDER [--patient ID] [--from DATE] [--to DATE] [--jobs N] -o OUT.html|OUT.pdf`: the therapist's report.

Per local day a posture timeline with bends and alerts, time by posture and trunk-flexion band, bends,
slouching, walking and alerts; over the period day-by-day and week-by-week trends with their direction;
the thresholds and calibration used, the data's quality and a methods note with the validation figures.
HTML is one self-contained file (charts inline, nothing fetched); PDF is A4 for printing and filing.
Recordings are analysed ``--jobs`` at a time (default: the machine's cores), with a progress bar on a
terminal. Needs the ``report`` extra (matplotlib). OUT is replaced only with ``--force``.
"""

from __future__ import annotations

import argparse
from datetime import date

from ..errors import SettingsError
from ..parallel import ProgressBar, add_jobs_option


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="write the therapist's report (HTML or PDF) of a recording or a patient's folder",
                       description=__doc__.splitlines()[0])
    p.add_argument("source", metavar="REC|FOLDER", help="a recording, or a folder of recordings (one sub-folder per patient)")
    p.add_argument("--patient", metavar="ID", help="the patient to report on, when FOLDER holds several")
    p.add_argument("--from", dest="first", type=_date, metavar="DATE", help="first local day, YYYY-MM-DD")
    p.add_argument("--to", dest="last", type=_date, metavar="DATE", help="last local day, YYYY-MM-DD")
    p.add_argument("--profile", metavar="FILE", help="patient profile (TOML): thresholds and calibration")
    p.add_argument("--tz", metavar="ZONE", help="read every day in this IANA zone (default: each recording's "
                   "own zone, else the profile's, else the computer's)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.html|OUT.pdf", help="the report to write")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    add_jobs_option(p)
    p.set_defaults(func=run)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def run(args: argparse.Namespace) -> int:
    from ..report import write_report

    if args.first and args.last and args.first > args.last:
        raise SettingsError(f"--from {args.first} is after --to {args.last}")
    bar = ProgressBar("report")
    try:
        out = write_report(args.source, args.output, patient=args.patient, first=args.first, last=args.last,
                           profile=args.profile, tz=args.tz, overwrite=args.force, jobs=args.jobs, progress=bar)
    finally:
        bar.close()
    if not args.quiet:
        print(f"Wrote the report to {out}")
    return 0
