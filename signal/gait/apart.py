"""Walking bouts found in a second process while this one does the rest of an offline analysis.

Why: gait detection needs neither the alignment nor anything from the posture path, and it is about a
fifth of an analysis's CPU (1.1 s of a 24 h day at 100 Hz, plus reading the samples once more). A
forked process reading the samples itself finds the same bouts (the same detector fed the same
blocks in the same order) while the first pass, the alignment and the posture pass run here, on the
machine's second core. Forked, so nothing is imported again; it reads the samples through
``reopened()`` (an SQLite connection must not be used on both sides of a fork).

It also finds the first pass's non-wear periods first (``first``), reading the samples once more:
walking alone leaves that core idle for most of the analysis, while the first pass, the alignment
and the posture pass follow each other here, so a third of the first pass moves off the longest path.

The second process never outlives this one: Ctrl-C ends it through :meth:`GaitApart.stop`, and a
death that runs no Python (kill -9, SIGTERM, a closed terminal) through the kernel on Linux
(:func:`_die_with_parent`) and everywhere through a parent check between blocks.

Python 3.12+ warns (a DeprecationWarning, shown where warnings are turned on) when it forks a process
with other threads, as a lock one of them holds stays held in the child. NumPy's and SciPy's OpenBLAS
pools do not count: OpenBLAS stops them before a fork (its ``pthread_atfork`` handler). Other native
pools do, e.g. Arrow's once a Parquet or CSV input was read with pyarrow: the child never calls into
those libraries (it runs the detector with NumPy/SciPy on its copy of the samples or its own SQLite
connection) and CPython resets its own locks in a forked child, so the fork is safe and the warning
silenced. A Python thread could hold a lock the child needs: with one running, walking is found in
this process instead (:func:`can_fork`).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import warnings
from typing import Any, Callable, Iterable, Iterator

from sensorkit.errors import RecordingError
from sensorkit.events import Event
from sensorkit.samples import SampleBlock

from .detector import GaitDetector

Blocks = Callable[[Any], Iterable[SampleBlock]]  # the samples a detector is fed, from a (reopened) source
First = Callable[[Iterable[SampleBlock]], Any]  # a result from every sample, wanted before the bouts

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
FORK_WITH_THREADS = r"This process \(pid=\d+\) is multi-threaded, use of fork\(\) may lead to deadlocks"


def can_fork() -> bool:
    """Whether a second process can be forked safely here: not on Windows, not inside a daemonic
    worker, and no other Python thread (a lock it holds would stay held in the child)."""
    return ("fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon
            and threading.active_count() == 1)


class GaitApart:
    """Runs ``detector`` over ``blocks(source.reopened())`` in a forked process; :meth:`events` waits for it.

    ``first``, if given, runs there before the walking pass, over every block of the source, and
    :meth:`first` waits for its result: work the parent needs early (the wear periods the alignment
    leaves out, :mod:`..pipeline`) done on the second core while the parent gathers the rest.
    """

    def __init__(self, source: Any, detector: GaitDetector, blocks: Blocks, first: First | None = None) -> None:
        context = multiprocessing.get_context("fork")
        self._results, sending = context.Pipe(duplex=False)
        sys.stdout.flush()  # the child flushes the streams it inherits when it ends: nothing may be pending
        sys.stderr.flush()
        self._process = context.Process(target=_detect, args=(source, detector, blocks, first, sending, os.getpid()),
                                        daemon=True)
        with warnings.catch_warnings():  # the fork is safe here: see the module's docstring
            warnings.filterwarnings("ignore", FORK_WITH_THREADS, DeprecationWarning)
            self._process.start()
        sending.close()

    def first(self) -> Any:
        """What ``first`` returned, or the error that stopped the second process."""
        return self._receive()

    def events(self) -> list[Event]:
        """Every walking bout (the detector finished), or the error that stopped the second process."""
        try:
            return self._receive()
        finally:
            self.stop()

    def _receive(self) -> Any:
        try:
            outcome, value = self._results.recv()
        except EOFError:
            raise RecordingError(f"walking detection's process ended unexpectedly (exit code "
                                 f"{self._process.exitcode}); with --jobs 1 it runs in the same process") from None
        if outcome == "error":
            raise value
        return value

    def stop(self) -> None:
        """End the second process (at once if it is still running: the analysis stopped early)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._results.close()


def _die_with_parent() -> None:
    """Have the kernel kill this process when its parent dies, however it dies: otherwise a parent
    killed mid-analysis leaves an orphan spending a core for seconds on bouts nobody will read, and
    one that dies while this process sends its bouts leaves it blocked for good (it holds the pipe's
    reading end too). Linux only. The signal comes when the *thread* that forked ends, not the
    process: that thread waits in :meth:`GaitApart.events` or :meth:`GaitApart.stop` for this process,
    so it never ends first. A parent dead before this call is caught by :func:`_detect`'s check."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class _Orphaned(Exception):
    """The parent is gone: nobody will read what this process finds."""


def _while_parent(blocks: Iterable[SampleBlock], parent: int) -> Iterator[SampleBlock]:
    for part in blocks:
        if os.getppid() != parent:  # orphaned: where the kernel does not end us, or before it could
            raise _Orphaned
        yield part


def _detect(source: Any, detector: GaitDetector, blocks: Blocks, first: First | None, sending: Any,
            parent: int) -> None:
    _die_with_parent()
    # Ctrl-C is the parent's to handle (it ends this process); damage is reported once, by the parent,
    # which reads the same blocks
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.disable(logging.CRITICAL)
    try:
        with source.reopened() as own:
            if first is not None:
                sending.send(("first", first(_while_parent(own.iter_blocks(), parent))))
            events: list[Event] = []
            for part in _while_parent(blocks(own), parent):
                events += detector.update(part)
            events += detector.finish()
        sending.send(("events", events))
    except _Orphaned:
        return
    except Exception as exc:  # handed to the parent, which raises it as if it had happened there
        sending.send(("error", exc))
