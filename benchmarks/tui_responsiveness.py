"""How fast the terminal app shows a day and a patient's weeks, with and without saved analyses.

    python benchmarks/tui_responsiveness.py [--keep DIR] [--hours 8] [--recordings 20] [--runs 7]

Simulates an 8 h office day and a 24 h day at 100 Hz, and 20 weekday recordings of 8 h for one
patient over 4 weeks (several minutes on a loaded 2-core machine; ``--keep DIR`` keeps them and
reuses them on the next run). Then:

1. **first view** of each day, in this process (Textual's ``run_test``, 80x24): the time until the
   day is shown while it is analysed and its analysis saved, and how late a 50 ms timer on the UI's
   event loop fires meanwhile (a key press waits at most about that long);
2. **with a saved analysis**, in the running app (as Enter on the days screen, or ``t``, opens it):
   from pushing the screen until it is drawn with its data. Median of ``--runs``, after one warm-up;
3. **with a saved analysis**, cold: ``sensorkit view`` started as a person starts it, in a new
   pseudo-terminal of 80x24, timed from its start until what it has written to the terminal holds
   the day's numbers (the four key figures, as the saved analysis has them); for the trends,
   ``sensorkit view FOLDER``, ``t`` once the days are listed, until the trends table holds the
   patient's weeks. So the interpreter, the imports, Textual's start and the drawing are in the
   figure. Best and median of ``--runs``, with the CPU seconds the process had used when the
   numbers appeared and how long its main thread had waited for a core (Linux: /proc).

The machine's load average is printed with the figures: on a shared 2-core machine every wall time
grows with it (a process waits for a core about as long as it runs at load 4), so each comes with
the CPU seconds it took (about the wall time on an idle core); the best of several runs is the one
least held up by the others.

Targets (issue 11): 8 h day <= 1 s, 24 h day <= 2 s, 4 weeks of trends <= 2 s, with saved analyses.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import re
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from typing import Callable, NamedTuple
from datetime import date, timedelta
from pathlib import Path

import numpy as np

TICK_S = 0.05
SIZE = (80, 24)  # columns, rows
MARKUP = re.compile(r"\[/?b\]")  # the key figures' bold


async def first_view(path: Path) -> tuple[float, np.ndarray, str]:
    """Seconds until the day screen shows ``path``, the UI loop's lateness meanwhile, and where the
    analysis came from ("analysed": made now and saved; "stored": a run with --keep saved it before)."""
    from sensorkit.tui.app import SensorKitApp
    from sensorkit.tui.screens.day import DayScreen

    screen = DayScreen(path)
    app = SensorKitApp(lambda: screen)
    late: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        expected = [time.perf_counter() + TICK_S]

        def tick() -> None:
            now = time.perf_counter()
            late.append(now - expected[0])
            expected[0] = now + TICK_S

        app.set_interval(TICK_S, tick)
        t0 = time.perf_counter()
        while screen.report is None:
            await pilot.pause(0.01)
        shown = time.perf_counter() - t0
    return shown, np.array(late), screen.report.source


def make_screen(kind: str, path: Path, patient: str):  # noqa: ANN201 - (screen, ready)
    """The day or trends screen on ``path``, and a test for 'drawn with its data'."""
    if kind == "day":
        from sensorkit.tui.screens.day import DayScreen

        day = DayScreen(path)
        return day, lambda: day.report is not None
    from sensorkit.tui.screens.trends import TrendsScreen

    trends = TrendsScreen(path, patient)
    return trends, lambda: trends.result is not None and trends.query_one("#trends-table").row_count > 0


async def warm(cases: list[tuple[str, Path, str]], runs: int) -> list[tuple[float, float]]:
    """Median seconds (wall, CPU of this process) from pushing each screen in a running app to it drawn."""
    from textual.screen import Screen

    from sensorkit.tui.app import SensorKitApp

    app = SensorKitApp(Screen)
    out = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for kind, path, patient in cases:
            times, cpu = [], []
            for _ in range(runs + 1):
                screen, ready = make_screen(kind, path, patient)
                t0, c0 = time.perf_counter(), time.process_time()
                app.push_screen(screen)
                while not ready():
                    await pilot.pause(0.005)
                await pilot.pause()  # one refresh: drawn
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
                app.pop_screen()
                await pilot.pause()
            out.append((statistics.median(times[1:]), statistics.median(cpu[1:])))
    return out


# what a terminal is told besides text: control sequences (CSI, OSC, DCS, charset and one-letter escapes)
CONTROL = re.compile(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|P[^\x1b]*\x1b\\|[()][0-9A-Za-z]|[=>78DEHMc])")


class Terminal:
    """``sensorkit ARGS`` in a new pseudo-terminal of 80x24, started as a person starts it; what it has
    drawn, as plain text, and when."""

    def __init__(self, args: list[str]) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
        self.started = time.perf_counter()
        self.child = subprocess.Popen([sys.executable, "-m", "sensorkit", *args], stdin=slave, stdout=slave,
                                      stderr=slave, start_new_session=True, env={**os.environ, "TERM": "xterm-256color"})
        os.close(slave)
        self.text = ""

    def wait_for(self, needles: list[str], timeout: float = 120.0) -> Shown:
        """Seconds from the start until ``needles`` are on the screen, in that order, after what was drawn
        before this call; with what the process had used and waited by then."""
        since = len(self.text)
        while not in_order(self.text[since:], needles):
            ready, _, _ = select.select([self.master], [], [], timeout)
            if not ready:
                raise SystemExit(f"sensorkit {' '.join(self.child.args[3:])} did not show {needles} "
                                 f"in {timeout:.0f} s; it showed: {self.text[-500:]!r}")
            self.text += CONTROL.sub("", os.read(self.master, 1 << 16).decode("utf-8", "replace"))
        return Shown(time.perf_counter() - self.started, *used_and_waited(self.child.pid))

    def press(self, key: str) -> None:
        os.write(self.master, key.encode())

    def quit(self) -> None:
        """``q``, and wait for the app to end (reading on, so that it is never blocked writing)."""
        self.press("q")
        while self.child.poll() is None:
            if select.select([self.master], [], [], 0.1)[0]:
                try:
                    os.read(self.master, 1 << 16)
                except OSError:  # the terminal closed with the app
                    pass
        os.close(self.master)
        if self.child.returncode:
            raise SystemExit(f"sensorkit {' '.join(self.child.args[3:])} failed ({self.child.returncode})")


def in_order(text: str, needles: list[str]) -> bool:
    at = 0
    for needle in needles:
        at = text.find(needle, at)
        if at < 0:
            return False
        at += len(needle)
    return True


class Shown(NamedTuple):
    """When a screen showed its numbers: seconds since the start, the CPU seconds the process had used (all
    its threads) and the seconds its main thread had waited, ready to run, for a core (None off Linux)."""

    wall: float
    cpu: float | None
    waited: float | None


def used_and_waited(pid: int) -> tuple[float | None, float | None]:
    """A running process's CPU seconds (``/proc/PID/stat``) and its main thread's time runnable but not
    running (the run-queue wait of ``/proc/PID/schedstat``): on a loaded machine, where the rest goes."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        waited_ns = int(Path(f"/proc/{pid}/schedstat").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None, None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"), waited_ns / 1e9


def day_numbers(path: Path) -> list[str]:
    """What the day screen shows first, from the saved analysis: the key figures' titles, then their numbers."""
    from sensorkit.tui.report import load_day
    from sensorkit.tui.screens.day import key_figures

    day = load_day(path)
    assert day.source == "stored", f"{path} has no saved analysis"
    figures = [text.split("\n") for text in key_figures(day.spans()[0]).values()]
    return [title for title, _, _ in figures] + [MARKUP.sub("", number) for _, number, _ in figures]


def trends_numbers(folder: Path, patient: str) -> list[str]:
    """What the trends screen shows once it has read the weeks: its title and the first metric's row."""
    from sensorkit.trends import folder_trends
    from sensorkit.tui.screens.trends import ROWS, metric_cells, title_phrases

    weeks = folder_trends(folder, patient=patient).patient(patient)
    cells = metric_cells(weeks, *ROWS[0])
    return [*title_phrases(weeks)[1:3], cells[0], cells[3]]  # days and weeks, dates; "worn", the newest week


def cold_day(path: Path, numbers: list[str]) -> Shown:
    """``sensorkit view DAY``: seconds (wall, CPU) until the day's ``numbers`` are on the screen."""
    terminal = Terminal(["view", str(path)])
    shown = terminal.wait_for(numbers)
    terminal.quit()
    return shown


def cold_trends(folder: Path, first_file: str, numbers: list[str]) -> Shown:
    """``sensorkit view FOLDER``, ``t`` once ``first_file`` is listed: seconds (wall, CPU) from the start
    until the trends' ``numbers`` are on the screen."""
    terminal = Terminal(["view", str(folder)])
    terminal.wait_for([first_file])
    terminal.press("t")
    shown = terminal.wait_for(numbers)
    terminal.quit()
    return shown


def best_and_median(runs: int, measure: Callable[[], Shown]) -> str:
    """``measure()`` ``runs`` times: best and median wall seconds, median CPU and waiting seconds, in words."""
    shown = [measure() for _ in range(runs)]
    walls = [s.wall for s in shown]
    cpus = [s.cpu for s in shown if s.cpu is not None]
    waits = [s.waited for s in shown if s.waited is not None]
    used = (f", {statistics.median(cpus):.2f} s CPU, {statistics.median(waits):.2f} s waiting for a core"
            if cpus and waits else "")
    return f"best {min(walls):.2f} s, median {statistics.median(walls):.2f} s{used}"


def simulate(path: Path, seconds: int, start: str, patient: str = "") -> None:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "sensorkit", "simulate", "--scenario", "office", "--seed", "1", "--duration",
                        str(seconds), "--start", start, "-o", str(path)] + (["--patient", patient] if patient else []),
                       check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", metavar="DIR", help="keep the simulated recordings here (reused when present)")
    parser.add_argument("--hours", type=float, default=8.0, help="the short day's length (the long day is 3x)")
    parser.add_argument("--recordings", type=int, default=20, help="the patient's weekday recordings, of --hours each")
    parser.add_argument("--runs", type=int, default=7, help="timed openings of each screen, in the app (median) and "
                        "with `sensorkit view` (best and median)")
    args = parser.parse_args()
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp())
    short, long = f"{args.hours:g} h", f"{3 * args.hours:g} h"
    days = {short: root / f"office-{args.hours:g}h.skr", long: root / f"day-{3 * args.hours:g}h.skr"}
    simulate(days[short], round(args.hours * 3600), "2025-03-03T08:00Z")
    simulate(days[long], round(3 * args.hours * 3600), "2025-03-04T00:00Z")
    weeks = root / f"weeks-{args.recordings}x{args.hours:g}h"
    for i in range(args.recordings):  # Monday to Friday
        day = date(2026, 11, 2) + timedelta(days=7 * (i // 5) + i % 5)
        simulate(weeks / "P1" / f"{day}.skr", round(args.hours * 3600), f"{day}T08:00Z", "P1")

    from sensorkit.signal.saved_analysis import analysis_for

    for name, path in days.items():
        shown, late, source = asyncio.run(first_view(path))
        ms = 1000.0 * np.clip(late, 0.0, None)
        how = "analysed, then saved" if source == "analysed" else "saved by an earlier run"
        loop = (f"; UI loop lateness median {np.median(ms):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, "
                f"worst {ms.max():.0f} ms" if len(ms) else "")
        print(f"{name} day, first view ({how}): shown after {shown:.2f} s{loop}")
    t0 = time.perf_counter()
    for path in sorted(weeks.glob("P1/*.skr")):
        analysis_for(path)  # what record / import / the first view leave behind
    print(f"{args.recordings} recordings of {short} analysed and saved (or found saved) in "
          f"{time.perf_counter() - t0:.1f} s")
    print(f"with saved analyses, 80x24, {os.cpu_count()} cores, load average {load()}:")
    cases = [("day", days[short], ""), ("day", days[long], ""), ("trends", weeks, "P1")]
    names = (f"{short} day", f"{long} day", f"trends of {args.recordings} recordings of {short}")
    # what each screen shows once drawn with its data, worked out before the timed runs (they are on their own)
    numbers = {name: day_numbers(path) for name, path in days.items()}
    first_file = min(weeks.glob("P1/*.skr")).name  # on the days screen: the days are listed
    trends = trends_numbers(weeks, "P1")
    cold = [lambda: cold_day(days[short], numbers[short]), lambda: cold_day(days[long], numbers[long]),
            lambda: cold_trends(weeks, first_file, trends)]
    for name, (wall, cpu), measure in zip(names, asyncio.run(warm(cases, args.runs)), cold):
        print(f"  {name}: drawn {wall:.2f} s ({cpu:.2f} s CPU) after it is opened in the app (median of {args.runs}); "
              f"`sensorkit view` from a new process ({args.runs} runs): {best_and_median(args.runs, measure)}")
    print(f"load average at the end: {load()}")


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
