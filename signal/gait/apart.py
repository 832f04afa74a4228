"""Walking bouts found in a second process while this one does the rest of an offline analysis.

Why: gait detection needs neither the alignment nor anything from the posture path, and it is about a
fifth of an analysis's CPU (1.1 s of a 24 h day at 100 Hz, plus reading the samples once more). A
forked process reading the samples itself finds the same bouts (the same detector fed the same
blocks in the same order) while the first pass, the alignment and the posture pass run here, on the
machine's second core. Forked, so nothing is imported again; it reads the samples through
``reopened()`` (an SQLite connection must not be used on both sides of a fork).
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import sys
from typing import Any, Callable, Iterable

from sensorkit.errors import RecordingError
from sensorkit.events import Event
from sensorkit.samples import SampleBlock

from .detector import GaitDetector

Blocks = Callable[[Any], Iterable[SampleBlock]]  # the samples a detector is fed, from a (reopened) source


def can_fork() -> bool:
    """Whether a second process can be forked here (not on Windows, not inside a daemonic worker)."""
    return "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon


class GaitApart:
    """Runs ``detector`` over ``blocks(source.reopened())`` in a forked process; :meth:`events` waits for it."""

    def __init__(self, source: Any, detector: GaitDetector, blocks: Blocks) -> None:
        context = multiprocessing.get_context("fork")
        self._results, sending = context.Pipe(duplex=False)
        sys.stdout.flush()  # the child flushes the streams it inherits when it ends: nothing may be pending
        sys.stderr.flush()
        self._process = context.Process(target=_detect, args=(source, detector, blocks, sending), daemon=True)
        self._process.start()
        sending.close()

    def events(self) -> list[Event]:
        """Every walking bout (the detector finished), or the error that stopped the second process."""
        try:
            outcome, value = self._results.recv()
        except EOFError:
            raise RecordingError(f"walking detection's process ended unexpectedly (exit code "
                                 f"{self._process.exitcode}); with --jobs 1 it runs in the same process") from None
        finally:
            self.stop()
        if outcome == "error":
            raise value
        return value

    def stop(self) -> None:
        """End the second process (at once if it is still running: the analysis stopped early)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._results.close()


def _detect(source: Any, detector: GaitDetector, blocks: Blocks, sending: Any) -> None:
    # Ctrl-C is the parent's to handle (it ends this process); damage is reported once, by the parent,
    # which reads the same blocks
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.disable(logging.CRITICAL)
    try:
        with source.reopened() as own:
            events: list[Event] = []
            for part in blocks(own):
                events += detector.update(part)
            events += detector.finish()
        sending.send(("events", events))
    except Exception as exc:  # handed to the parent, which raises it as if it had happened there
        sending.send(("error", exc))
