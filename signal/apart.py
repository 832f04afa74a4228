"""Part of an offline analysis done in a forked process, on the machine's second core, reading the
recording itself.

Why: one recording's analysis is a few passes over its samples that need little from each other
(:func:`.pipeline.analyze` says which run apart). Forked, a process imports nothing again and starts
in milliseconds; it reads the samples through ``reopened()`` (an SQLite connection must not be used on
both sides of a fork) and hands back its result (window statistics; walking bouts, after the
posture pass's bin means sent as it went: :class:`Apart`'s ``ahead``), or the error that stopped it,
which the parent raises as if it had happened there. Damage is reported once, by the parent (the
work hands back what its reading found). NumPy arrays in a result travel as they lie in memory
(pickle's out-of-band buffers) and are received straight into arrays of the parent's: a week's
window statistics (~90 MB) are never held twice.

A process forked here never outlives its parent: Ctrl-C ends it through :meth:`Apart.stop`, and a
death that runs no Python (kill -9, SIGTERM, a closed terminal) through the kernel on Linux
(:func:`_die_with_parent`) and everywhere through a parent check between blocks.

Python 3.12+ warns (a DeprecationWarning, shown where warnings are turned on) when it forks a process
with other threads, as a lock one of them holds stays held in the child. NumPy's and SciPy's OpenBLAS
pools do not count: OpenBLAS stops them before a fork (its ``pthread_atfork`` handler). Other native
pools do, e.g. Arrow's once a Parquet or CSV input was read with pyarrow: the child never calls into
those libraries (it runs NumPy/SciPy code on its copy of the samples or its own SQLite connection) and
CPython resets its own locks in a forked child, so the fork is safe and the warning silenced. A
Python thread could hold a lock the child needs: with one running, nothing is forked and the work is
done in the parent instead (:func:`can_fork`).
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import warnings
from functools import partial
from typing import Any, Callable, Iterator

from sensorkit.errors import RecordingError
from sensorkit.samples import SampleBlock

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
AHEAD_UNIT = 1 << 20  # a stream's run-ahead is counted in MiB
POLL_S = 0.5  # how often a parent waiting for an item checks that the process still runs
FORK_WITH_THREADS = r"This process \(pid=\d+\) is multi-threaded, use of fork\(\) may lead to deadlocks"


def can_fork() -> bool:
    """Whether a second process can be forked safely here: not on Windows, not inside a daemonic
    worker, and no other Python thread (a lock it holds would stay held in the child)."""
    return ("fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon
            and threading.active_count() == 1)


class Apart:
    """Runs ``work(own)`` in a forked process, ``own`` being ``source.reopened()`` read there;
    :meth:`result` waits for what it returned. ``what`` names the work in the error said when the
    process dies without an answer. Used as a context manager, it is stopped on leaving.

    With ``ahead`` (bytes), ``work(own, send)`` also sends items as it goes (``send(item, size)``,
    ``size`` the bytes it holds; it is pickled later, by the queue's thread: an item is not changed
    once sent), read here from :meth:`received` in order while it works: it runs
    ahead of this process's reading by at most ``ahead`` bytes of them, so memory stays the same at
    any length of recording, and waits there when it is that far ahead.
    """

    def __init__(self, what: str, work: Callable[..., Any], source: Any, ahead: int = 0) -> None:
        self.what = what
        context = multiprocessing.get_context("fork")
        self._results, sending = context.Pipe(duplex=False)
        self._stream = _Stream(context, ahead) if ahead else None
        sys.stdout.flush()  # the child flushes the streams it inherits when it ends: nothing may be pending
        sys.stderr.flush()
        self._process = context.Process(target=_run, args=(work, source, sending, self._stream, os.getpid()),
                                        daemon=True)
        with warnings.catch_warnings():  # the fork is safe here: see the module's docstring
            warnings.filterwarnings("ignore", FORK_WITH_THREADS, DeprecationWarning)
            self._process.start()
        sending.close()

    def __enter__(self) -> "Apart":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def received(self) -> Iterator[Any]:
        """The items ``work`` sends, in order, as they come; ends when it has sent the last one."""
        assert self._stream is not None, "an Apart made without ahead= sends no items"
        while True:
            try:
                size, item = self._stream.items.get(timeout=POLL_S)
            except queue.Empty:
                # everything a process that ended had sent is in the pipe by then: none left, no end sent
                if not self._process.is_alive() and self._stream.items.empty():
                    self.result()  # its error
                    raise self._ended() from None
                continue
            if size is None:
                return
            self._stream.release(size)
            yield item

    def result(self) -> Any:
        """What ``work`` returned (the process then ends), or the error that stopped it."""
        try:
            outcome, value = _receive(self._results)
        except EOFError:
            raise self._ended() from None
        finally:
            self.stop()
        if outcome == "error":
            raise value
        return value

    def _ended(self) -> RecordingError:
        return RecordingError(f"{self.what}'s process ended unexpectedly (exit code {self._process.exitcode}); "
                              "with --jobs 1 it runs in the same process")

    def stop(self) -> None:
        """End the process (at once if it is still running: the analysis stopped early)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._results.close()
        if self._stream is not None:
            self._stream.items.close()


class _Stream:
    """The items a forked process sends while it works: a queue (its feeder thread writes them to a
    pipe while the process goes on) and a semaphore of ``ahead`` bytes in whole MiB, taken by the
    sender and given back by the receiver as each item's bytes pass MiB boundaries of the running
    total, which both sides count over the same sizes."""

    def __init__(self, context: Any, ahead: int) -> None:
        self.items = context.Queue()
        self._limit = max(1, ahead // AHEAD_UNIT)
        self._room = context.Semaphore(self._limit)
        self._total = 0  # bytes sent (in the child) or received (here) so far

    def _units(self, size: int) -> int:
        before, self._total = self._total, self._total + size
        return min(self._total // AHEAD_UNIT - before // AHEAD_UNIT, self._limit)  # an item larger than it all fits

    def send(self, item: Any, size: int, parent: int) -> None:
        for _ in range(self._units(size)):
            while not self._room.acquire(timeout=POLL_S):
                if os.getppid() != parent:
                    raise _Orphaned
        self.items.put((size, item))

    def end(self) -> None:
        self.items.put((None, None))

    def release(self, size: int) -> None:
        for _ in range(self._units(size)):
            self._room.release()


def _die_with_parent() -> None:
    """Have the kernel kill this process when its parent dies, however it dies: otherwise a parent
    killed mid-analysis leaves an orphan spending a core for seconds on a result nobody will read, and
    one that dies while this process sends it leaves it blocked for good (it holds the pipe's reading
    end too). Linux only. The signal comes when the *thread* that forked ends, not the process: that
    thread waits in :meth:`Apart.result` or :meth:`Apart.stop` for this process, so it never ends
    first. A parent dead before this call is caught by :class:`_WhileParent`'s check."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class _Orphaned(Exception):
    """The parent is gone: nobody will read what this process finds."""


class _WhileParent:
    """``source`` whose blocks stop coming (:class:`_Orphaned`) once the parent is gone: where the
    kernel does not end this process, or before it could."""

    def __init__(self, source: Any, parent: int) -> None:
        self._source, self._parent = source, parent

    def iter_blocks(self) -> Iterator[SampleBlock]:
        for part in self._source.iter_blocks():
            if os.getppid() != self._parent:
                raise _Orphaned
            yield part

    def __getattr__(self, name: str) -> Any:  # the rest of the source as it is (samples, damage...)
        return getattr(self._source, name)


def _run(work: Callable[..., Any], source: Any, sending: Any, stream: _Stream | None, parent: int) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it ends this process)
    logging.disable(logging.CRITICAL)  # damage is the parent's to report
    try:
        with source.reopened() as own:
            if stream is None:
                result = work(_WhileParent(own, parent))
            else:
                result = work(_WhileParent(own, parent), partial(stream.send, parent=parent))
                stream.end()
        _send(sending, ("done", result))
    except _Orphaned:
        if stream is not None:  # nobody reads what is not in the pipe yet: end without waiting for it
            stream.items.cancel_join_thread()
    except Exception as exc:  # handed to the parent, which raises it as if it had happened there
        _send(sending, ("error", exc))


def _send(sending: Any, outcome: tuple[str, Any]) -> None:
    """``outcome`` pickled, its arrays' memory sent apart after it (see the module docstring)."""
    buffers: list[pickle.PickleBuffer] = []
    head = pickle.dumps(outcome, protocol=5, buffer_callback=buffers.append)
    raw = [buffer.raw() for buffer in buffers]
    sending.send((head, [len(part) for part in raw]))
    for part in raw:
        sending.send_bytes(part)


def _receive(results: Any) -> tuple[str, Any]:
    head, sizes = results.recv()
    buffers = [bytearray(size) for size in sizes]  # writable: the arrays made on them are the parent's own
    for buffer in buffers:
        results.recv_bytes_into(buffer)
    return pickle.loads(head, buffers=buffers)
