"""The `sensorkit` command line: one sub-command per module in this package.

Exit codes: 0 ok, 1 failed (a clear one-sentence error on stderr), 2 bad usage (argparse's own).
Errors meant for people are :class:`~sensorkit.errors.SensorKitError`; an OS or SQLite error that
escaped a command (a full disk, a read-only folder) still gets one sentence with a remedy; anything
else is a bug and is reported as one, with the traceback only under ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import sqlite3
import sys
from typing import Sequence

from ..errors import SensorKitError
from ..files import describe_failure

# Each module named here defines ``add_parser(subparsers)``, which registers one sub-command and
# sets ``func(args) -> int`` on it. Adding a command means adding a module and a line here.
COMMAND_MODULES = [
    "import_csv",
    "export",
    "info",
    "devices",
    "simulate",
    "demo",
    "scan",
    "record",
    "monitor",
    "analyze",
    "calibrate",
    "view",
    "trends",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sensorkit",
        description="Posture and activity monitor for a lower-back motion sensor.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"sensorkit.cli.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SensorKitError as exc:
        if args.debug:
            raise
        print(f"sensorkit: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("sensorkit: interrupted", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
    except (OSError, sqlite3.Error) as exc:  # last resort: commands name the file where they can
        if args.debug:
            raise
        print(f"sensorkit: error: {describe_failure(exc, f'finish {args.command}')}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: say so plainly, keep the patient's screen clean
        if args.debug:
            raise
        print(
            f"sensorkit: internal error ({type(exc).__name__}: {exc}); rerun with --debug and report it",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
