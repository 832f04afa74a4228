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
from typing import Iterable, Sequence

from ..errors import SensorKitError
from ..files import describe_failure

# One line per sub-command: its name, the module of this package that defines it, and the one-line summary
# `sensorkit --help` lists. Only the module of the command being run is imported (its ``add_parser(sub)``
# registers the name in full and sets ``func(args) -> int``), so one command's heavy imports (pandas,
# SciPy, bumble, Textual) never slow another's start or the listing. Adding a command: a module and a line.
COMMANDS: dict[str, tuple[str, str]] = {
    "import": ("import_csv", "import a CSV, Parquet, app export or device file (.cwa, .gt3x, .bin, .sbem, EDF, "
                             "WitMotion) into a recording"),
    "export": ("export", "export samples or events to CSV or Parquet"),
    "info": ("info", "describe a recording"),
    "devices": ("devices", "list supported sensor kinds"),
    "simulate": ("simulate", "write a simulated recording with ground truth"),
    "demo": ("demo", "an emulated sensor through the whole product, then the day's summary"),
    "scan": ("scan", "list supported sensors nearby"),
    "doctor": ("doctor", "check Bluetooth and a sensor step by step, with fixes"),
    "record": ("record", "record a sensor (real or emulated)"),
    "redecode": ("redecode", "decode a recording's raw capture again and compare with its samples"),
    "monitor": ("monitor", "record and show live posture state and alerts"),
    "analyze": ("analyze", "find postures, bends, slouching and sitting bouts"),
    "calibrate": ("calibrate", "calibrate sensor-to-body alignment (live, guided; or from a recording)"),
    "profile": ("profile", "show a patient profile's thresholds and alert policy"),
    "view": ("view", "the terminal app: one day's summary, or a folder of days"),
    "trends": ("trends", "per-patient days, weeks and trends from a folder of recordings"),
    "report": ("report", "write the therapist's report (HTML or PDF) of a recording or a patient's folder"),
    "cohort": ("cohort", "a cohort's per-patient days on a Dask cluster, as a Parquet dataset"),
    "completion": ("completion", "print the tab-completion script for your shell (bash, zsh, tcsh...)"),
}


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
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sensorkit")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


class _PrintVersion(argparse.Action):
    """``--version``: the installed version, looked up only when asked (the lookup reads every installed
    package's metadata: a tenth of a second of each start-up on a loaded machine)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs) -> None:
        super().__init__(option_strings, dest, default=argparse.SUPPRESS, nargs=0,
                         help="show the installed version and exit")

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(f"sensorkit {installed_version()}")
        parser.exit()


class _Listed:
    """The ``sub`` a command module's ``add_parser`` is given: argparse's, listing the command with its summary
    from COMMANDS (the one place it is written) whatever help the module passes."""

    def __init__(self, sub: argparse._SubParsersAction, summary: str) -> None:
        self.sub, self.summary = sub, summary

    def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:
        return self.sub.add_parser(name, **{**kwargs, "help": self.summary})


def build_parser(full: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The command line with the sub-commands named in ``full`` (default: all) registered in full; the others
    only by name and summary, which is all ``sensorkit --help`` shows and costs no import."""
    full = COMMANDS if full is None else set(full)
    parser = argparse.ArgumentParser(
        prog="sensorkit",
        description="Posture and activity monitor for a lower-back motion sensor.",
    )
    parser.add_argument("--version", action=_PrintVersion)
    add_global_options(parser, in_command=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, summary) in COMMANDS.items():
        if name in full:
            importlib.import_module(f"sensorkit.cli.{module}").add_parser(_Listed(sub, summary))
        else:
            sub.add_parser(name, help=summary)
    for name in full:
        add_global_options(sub.choices[name], in_command=True)
    return parser


def command_in(argv: Sequence[str]) -> str | None:
    """The sub-command ``argv`` runs: its first word that is not an option (the global options take no value)."""
    for arg in argv:
        if arg == "--" or not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def use_default_profile(args: argparse.Namespace) -> None:
    """A command reading a ``--profile`` that was not given reads the default profile when there is one
    (:mod:`sensorkit.places`). ``calibrate``'s ``--profile`` is where it writes: it decides for itself."""
    if getattr(args, "profile", "") is None and args.command != "calibrate":
        from ..places import profile_in_effect

        args.profile = profile_in_effect(None)


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
    argv = sys.argv[1:] if argv is None else list(argv)
    command = command_in(argv)
    args = build_parser([command] if command else []).parse_args(argv)
    configure_logging(args)
    try:
        use_default_profile(args)
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
