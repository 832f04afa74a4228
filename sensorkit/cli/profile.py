"""`sensorkit profile show [--profile FILE] [--set KEY=VALUE ...]`: every threshold in effect, and why.

One line per threshold: its value (marked ``*`` where the profile or ``--set`` changed it from the
default), the allowed range, and what it means; ``-v`` adds where each default comes from. So a patient
or therapist sees the alert policy (delays, cool-downs, budget, quiet hours, snooze, vibrate) without
opening the TOML, and can try a ``--set`` exactly as ``monitor`` would take it.
"""

from __future__ import annotations

import argparse

from ..signal.profile import THRESHOLDS, Profile, load_profile


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("profile", description=__doc__.splitlines()[0])
    actions = p.add_subparsers(dest="action", required=True, metavar="show")
    show = actions.add_parser("show", help="every threshold in effect, with its range and meaning")
    show.add_argument("--profile", metavar="FILE", help="patient profile (TOML); default: the default profile if it "
                      "exists, else the built-in defaults")
    show.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="settings",
                      help="an override as monitor --set takes it")
    show.set_defaults(func=run)


def lines(profile: Profile, sources: bool = False) -> list[str]:
    """The table: name, value (``*`` changed), allowed range, meaning (and source)."""
    out = []
    for th in THRESHOLDS:
        value = profile.values[th.name]
        mark = "*" if value != th.default else " "
        out.append(f"{th.name:<28} {value:>8g}{mark} {th.unit:<6} {th.low:g}-{th.high:g}  {th.meaning}")
        if sources:
            out.append(f"{'':<30}source: {th.source}")
    neutral = "auto" if profile.sitting_neutral_deg is None else f"{profile.sitting_neutral_deg:g}"
    out.append(f"{'sitting_neutral_deg':<28} {neutral:>8}")
    return out


def run(args: argparse.Namespace) -> int:
    from .monitor import with_settings

    from ..places import default_profile

    profile = with_settings(load_profile(args.profile), args.settings)
    print(f"profile: {args.profile or f'the built-in defaults (no file at {default_profile()})'} "
          "(* = changed from the default)")
    print("\n".join(lines(profile, sources=bool(getattr(args, "verbose", 0)))))
    return 0
