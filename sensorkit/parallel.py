"""Every core: one recording per process, results handed back in the order the recordings were given.

Recordings are analysed independently and the analysis is CPU-bound NumPy and Python (about a second
per hour of 100 Hz data), so a pool of processes, not threads, is what uses a second core. Each
worker runs exactly the function ``--jobs 1`` runs in-process, on the same arguments, so the results
are the same. A task's return value and exceptions travel back by pickling: callers hand in a
module-level function and plain data. ``--jobs 1``, or a single recording, runs in this process
(no pool to start, tracebacks under ``--debug`` stay whole).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Callable, Iterator, Sequence, TextIO, TypeVar

from .cli.argtypes import at_least_one

T = TypeVar("T")
R = TypeVar("R")
Progress = Callable[[int, int], None]  # told (recordings done, recordings in all) after each one


def machine_cores() -> int:
    """The cores this process may run on (the affinity mask where there is one, e.g. in a container)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def add_jobs_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", "-j", type=at_least_one("processes"), default=None, metavar="N",
                        help=f"analyse up to N recordings at once, one process each (default: the machine's "
                             f"cores, {machine_cores()} here); results are the same as with --jobs 1")


def map_in_order(func: Callable[[T], R], items: Sequence[T], jobs: int | None = None,
                 progress: Progress | None = None) -> Iterator[R]:
    """``func(item)`` for each item, yielded in the items' order as soon as it and all before it are done.

    ``jobs`` processes at most (None: the machine's cores); one item or ``jobs=1`` runs here. An
    exception raised by ``func`` is raised from the iteration at that item's turn; the pool is shut
    down (queued items cancelled) when the caller stops early or is interrupted.
    """
    jobs = min(jobs or machine_cores(), len(items))
    if jobs <= 1:
        for done, item in enumerate(items, 1):
            result = func(item)
            if progress is not None:
                progress(done, len(items))
            yield result
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(func, item) for item in items]
        try:
            yield from _in_order(futures, progress)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def _in_order(futures: list[Future], progress: Progress | None) -> Iterator:
    pending, finished = set(futures), 0
    for future in futures:
        while True:  # count every recording that finished meanwhile, until this one has
            done = {f for f in pending if f.done()}
            if done:
                pending -= done
                finished += len(done)
                if progress is not None:
                    progress(finished, len(futures))
            if future.done():
                break
            wait(pending, return_when=FIRST_COMPLETED)
        yield future.result()


class ProgressBar:
    """``analyze [########------------] 4/10 recordings, 0:37`` rewritten in place on a terminal.

    Quiet when ``stream`` is not a terminal (a pipe, a log file, CI): nothing is written at all.
    """

    WIDTH = 24

    def __init__(self, label: str, stream: TextIO | None = None):
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = _is_terminal(self.stream)
        self.started = time.monotonic()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        filled = self.WIDTH * done // total if total else self.WIDTH
        elapsed = int(time.monotonic() - self.started)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} recording{'' if total == 1 else 's'}, "
                          f"{elapsed // 60}:{elapsed % 60:02d}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Wipe the bar, so the command's own output starts on a clean line."""
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()
            self.shown = False


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False
