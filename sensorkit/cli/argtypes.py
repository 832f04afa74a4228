"""Argument types shared by several sub-commands, so the same mistake gets the same one-sentence answer."""

from __future__ import annotations

import argparse
from typing import Callable


def at_least_one(what: str) -> Callable[[str], int]:
    """An argparse ``type`` for a whole number of ``what`` (1 or more), e.g. ``at_least_one("weeks")``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of {what} (1 or more)")
        return value

    return parse
