"""`sensorkit trends FOLDER [--patient ID] [--weeks N] [--tz ZONE] [--json] [-o OUT.csv|OUT.parquet [--force]] [--jobs N]`: weeks of days.

FOLDER holds recordings, directly or one sub-folder down (one folder per patient, as `sensorkit view`
lists it). Each recording's days come from the analysis saved by `sensorkit analyze --save` when it
was made with the same profile and release, else from analysing it again. Prints, per patient, one
row per ISO week (means per recorded day) and the trend of the main metrics; ``--json`` prints the
whole result as one document (schema in the README, "Trends over weeks"); ``-o`` writes the per-day
table (replacing an existing OUT only with ``--force``). Days are local days: in ``--tz`` when given,
else each recording's own zone (stored with it), the profile's or the computer's. A recording that
overlaps another of the same patient (a re-import, a copy) is counted once and named. Files that are
not recordings are listed with the reason and skipped. Exit 1 when no recording in FOLDER could be used.
Recordings are analysed ``--jobs`` at a time (default: the machine's cores), with a progress bar on a
terminal; the result is the same as one at a time.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import RecordingError
from ..parallel import ProgressBar, add_jobs_option
from .argtypes import at_least_one
from ..trends import GAIT_KEYS, FolderTrends, PatientTrends, Week, days_frame, folder_trends, not_measured

# the weekly table's columns: heading, metric, how to show a daily mean
HOURS = lambda s: f"{s / 3600:.1f}"  # noqa: E731
MINUTES = lambda s: f"{s / 60:.0f}"  # noqa: E731
WHOLE = lambda n: f"{n:.0f}"  # noqa: E731
TENTH = lambda n: f"{n:.1f}"  # noqa: E731
COLUMNS = (
    ("worn h", "worn_s", HOURS), ("sit h", "sitting_s", HOURS), ("stand h", "standing_s", HOURS),
    ("walk min", "walking_s", MINUTES), ("lie h", "lying_s", HOURS),
    ("0-20 h", "upright_0_20_s", HOURS), ("20-60 min", "upright_20_60_s", MINUTES),
    (">60 min", "upright_over_60_s", MINUTES),
    ("bends", "bends", TENTH), ("high", "bends_high", TENTH), ("mod", "bends_moderate", TENTH),
    ("low", "bends_low", TENTH), ("slouch min", "slouch_s", MINUTES),
    ("sed bouts", "sedentary_bouts", TENTH), ("longest min", "longest_sedentary_s", MINUTES),
    ("steps", "steps", WHOLE), ("alerts", "alerts", TENTH),
)
# the trends printed under the table (all are in --json)
TREND_LINES = (
    ("sitting", "sitting_s", 60.0, "min/day"), ("walking", "walking_s", 60.0, "min/day"),
    ("upright 20-60 deg", "upright_20_60_s", 60.0, "min/day"), ("upright > 60 deg", "upright_over_60_s", 60.0, "min/day"),
    ("bends", "bends", 1.0, "/day"), ("high bends", "bends_high", 1.0, "/day"),
    ("slouching", "slouch_s", 60.0, "min/day"), ("longest sedentary", "longest_sedentary_s", 60.0, "min"),
    ("steps", "steps", 1.0, "/day"), ("alerts", "alerts", 1.0, "/day"),
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("trends", description=__doc__.splitlines()[0])
    p.add_argument("folder", metavar="FOLDER", help="recordings, directly or one sub-folder (patient) down")
    p.add_argument("--patient", metavar="ID", help="only this patient (stored id, else the sub-folder's name)")
    p.add_argument("--weeks", type=at_least_one("weeks"), metavar="N", help="only the last N calendar weeks")
    p.add_argument("--profile", metavar="FILE", help="patient profile (TOML): thresholds and calibration")
    p.add_argument("--tz", metavar="ZONE", help="read every day in this IANA zone, e.g. UTC (default: each "
                   "recording's own zone, else the profile's, else the computer's)")
    p.add_argument("--json", action="store_true", help="print the whole result as one JSON document")
    p.add_argument("-o", "--output", metavar="OUT.csv|OUT.parquet", help="write the per-day table")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    add_jobs_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sensorkit.importer import check_output_table, write_frame
    from sensorkit.signal.profile import load_profile

    folder = Path(args.folder)
    if not folder.is_dir():
        raise RecordingError(f"no folder at {folder}")
    if args.output:
        check_output_table(args.output, overwrite=args.force)
    profile = load_profile(args.profile)
    bar = ProgressBar("trends")
    try:
        result = folder_trends(folder, profile, args.patient, args.weeks, progress=bar, tz=args.tz, jobs=args.jobs)
    finally:
        bar.close()
    if args.output:
        write_frame(days_frame(result), args.output, overwrite=args.force)
    if args.json:
        print(json.dumps(result.to_json(), separators=(",", ":")))
    else:
        print_readable(result)
    if not result.patients:
        who = f" for patient {args.patient}" if args.patient else ""
        print(f"sensorkit: error: no usable recording in {folder}{who}", file=sys.stderr)
        return 1
    return 0


def print_readable(result: FolderTrends) -> None:
    for p in result.patients:
        print_patient(p)
        print()
    skipped = [f for f in result.files if f.source == "skipped"]
    duplicates = [f for f in result.files if f.source == "duplicate"]
    used = len(result.files) - len(skipped) - len(duplicates)
    stored = sum(f.source == "stored" for f in result.files)
    print(f"{used} recording{'' if used == 1 else 's'} used ({stored} from a saved analysis, "
          f"{used - stored} analysed now)" + (f", {len(skipped)} skipped:" if skipped else ""))
    for f in skipped:
        print(f"  {f.name}: {f.reason}")
    unmeasured = [f for f in result.files if f.gait and f.gait != "on"]
    if unmeasured:
        print(f"walking and steps not measured in {len(unmeasured)} recording{'' if len(unmeasured) == 1 else 's'} "
              "(shown as n/a, left out of the means and trends):")
        for f in unmeasured:
            print(f"  {f.name}: {not_measured(f.gait)}")
    overlapping = [f for f in result.files if f.overlap is not None]
    if overlapping:
        print(f"{len(overlapping)} overlapping recording{'' if len(overlapping) == 1 else 's'}, counted once:")
        for f in overlapping:
            print(f"  {f.name}: {f.reason}")


def print_patient(p: PatientTrends) -> None:
    first, last = p.days[0].date, p.days[-1].date
    print(f"patient {p.patient}: {len(p.days)} day{'' if len(p.days) == 1 else 's'} in {len(p.weeks)} "
          f"week{'' if len(p.weeks) == 1 else 's'}, {first} to {last} ({', '.join(p.timezones) or 'UTC'} days); "
          "means per recorded day")
    heads = ["week", "days"] + [h for h, _, _ in COLUMNS]
    rows = [week_cells(w) for w in p.weeks]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads)]
    print("  " + "  ".join(h.rjust(w) for h, w in zip(heads, widths)))
    for r in rows:
        print("  " + "  ".join(c.rjust(w) for c, w in zip(r, widths)))
    walked = sum(d.metrics["walking_s"] is not None for d in p.days)
    if walked < len(p.days):
        print(f"  walking measured on {walked} of {len(p.days)} days"
              + (": walk min and steps are means over those days" if walked else ""))
    print("  trend (least-squares slope over the days; change of the daily mean from the previous week with data):")
    for label, key, scale, unit in TREND_LINES:
        t = p.trends[key]
        if t.slope_per_week is None:
            print(f"    {label:<18} {t.note}")
            if key in GAIT_KEYS:  # walking stands on the days it was measured: fewer than the others'
                continue
            break  # the same days stand behind every other metric: one note says it
        change = "" if t.week_on_week is None else f", last week {signed(t.week_on_week / scale)} {unit}"
        print(f"    {label:<18} {signed(t.slope_per_week / scale)} {unit} per week over {t.days} days{change}")


def signed(value: float) -> str:
    """``+1.2``, ``-0.4``, and ``+0.0`` rather than ``-0.0`` for a change that rounds away."""
    return f"{value if abs(value) >= 0.05 else 0.0:+.1f}"


def week_cells(w: Week) -> list[str]:
    mean = w.per_day
    return [w.week, str(w.days)] + ["n/a" if mean[key] is None else fmt(mean[key]) for _, key, fmt in COLUMNS]
