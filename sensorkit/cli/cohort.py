"""`sensorkit cohort FOLDER|GLOB -o OUT.parquet [--scheduler ADDRESS] [--jobs N]`: a cohort's days on a Dask cluster.

Per patient and local day the metrics of `sensorkit trends` (the same rows as its ``--json`` days),
for every recording in FOLDER (and one sub-folder down) or matching GLOB, computed on a Dask
cluster: a local cluster of ``--jobs`` worker processes by default, the scheduler at ``--scheduler``
when given (its workers need sensorkit installed and the recordings at the same paths). Written as a
Parquet dataset partitioned by patient (``OUT.parquet/patient=ID/part-0.parquet``) that pandas,
DuckDB, Dask and Spark read, with ``_recordings.json`` beside the parts accounting for every file.
Saved analyses (`analyze --save`) are reused. A recording that fails is listed with its reason on
stderr and the rest complete. Exit 0 when the dataset was written with at least one recording, 1 when
no recording could be used. Needs the optional extra: ``pip install 'sensorkit[cohort]'``.
"""

from __future__ import annotations

import argparse
import sys

from ..parallel import ProgressBar, add_jobs_option


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cohort", help="a cohort's per-patient days on a Dask cluster, as a Parquet dataset",
                       description=__doc__.splitlines()[0])
    p.add_argument("source", metavar="FOLDER|GLOB", help="a folder of recordings (one sub-folder per patient) "
                   "or a quoted glob such as 'data/*/*.skr'")
    p.add_argument("-o", "--output", required=True, metavar="OUT.parquet", help="the Parquet dataset (a folder)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                   "(default: a local cluster of --jobs processes)")
    p.add_argument("--profile", metavar="FILE", help="patient profile (TOML): thresholds and calibration")
    p.add_argument("--tz", metavar="ZONE", help="read every day in this IANA zone (default: each recording's "
                   "own zone, else the profile's, else the computer's)")
    p.add_argument("--force", action="store_true", help="replace OUT if it exists")
    add_jobs_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sensorkit.cohort import cohort
    from sensorkit.signal.profile import load_profile

    profile = load_profile(args.profile)
    bar = ProgressBar("cohort")
    try:
        result = cohort(args.source, args.output, profile, args.tz, args.scheduler, args.jobs,
                        overwrite=args.force, progress=bar)
    finally:
        bar.close()
    files = result.trends.files
    counts = {s: sum(f.source == s for f in files) for s in ("analysed", "stored", "duplicate", "skipped")}
    print(f"{result.output}: {result.rows} patient-day{'' if result.rows == 1 else 's'} of "
          f"{len(result.trends.patients)} patient{'' if len(result.trends.patients) == 1 else 's'} from "
          f"{len(files)} file{'' if len(files) == 1 else 's'} ({counts['analysed']} analysed, {counts['stored']} "
          f"from a saved analysis, {counts['duplicate']} duplicates, {counts['skipped']} failed)")
    for f in result.failures:
        print(f"sensorkit: {f.path}: {f.reason}", file=sys.stderr)
    if not result.trends.patients:
        print(f"sensorkit: error: no usable recording in {args.source}", file=sys.stderr)
        return 1
    return 0
