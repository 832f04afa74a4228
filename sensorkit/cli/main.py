"""The `sensorkit` command line: one sub-command per module in this package.

Exit codes: 0 ok, 1 failed (a clear one-sentence error on stderr), 2 bad usage (argparse's own).
Errors meant for people are :class:`~sensorkit.errors.SensorKitError`; an OS or SQLite error that
escaped a command (a full disk, a read-only folder) still gets one sentence with a remedy; anything
else is a bug and is reported as one, with the traceback only under ``--debug``.

The global options (``--debug``, ``-v``, ``-q``) are accepted before or after the sub-command: the
internal-error message says "rerun with --debug", and people add it at the end of what they typed.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sqlite3
import sys
from importlib.metadata import PackageNotFoundError, version
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
    "profile",
    "view",
    "trends",
]


def add_global_options(parser: argparse.ArgumentParser, *, in_command: bool) -> None:
    """``--debug``, ``-v``, ``-q``. A sub-command's copy has no defaults (SUPPRESS), so it only
    overrides what was given before the sub-command when given again after it."""
    unset = {"default": argparse.SUPPRESS} if in_command else {}
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors", **unset)
    parser.add_argument("-v", "--verbose", action="count", help="more log messages (-vv: debugging detail)",
                        **(unset or {"default": 0}))
    parser.add_argument("-q", "--quiet", action="store_true", help="print less: log errors only; the demo "
                        "prints only its summary", **unset)


def installed_version() -> str:
    try:
        return version("sensorkit")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sensorkit",
        description="Posture and activity monitor for a lower-back motion sensor.",
    )
    parser.add_argument("--version", action="version", version=f"sensorkit {installed_version()}")
    add_global_options(parser, in_command=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"sensorkit.cli.{name}").add_parser(sub)
    for command in sub.choices.values():
        add_global_options(command, in_command=True)
    return parser


class _StderrHandler(logging.StreamHandler):
    """Log lines on whatever ``sys.stderr`` is at the time (as logging's own last resort does)."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(message)s"))

    @property  # type: ignore[override]
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(args: argparse.Namespace) -> None:
    """Warnings by default (as before), errors only with -q, info with -v, everything with -vv."""
    level = logging.ERROR if args.quiet else {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    root = logging.getLogger()
    root.setLevel(level)
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        root.addHandler(_StderrHandler())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(args)
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
