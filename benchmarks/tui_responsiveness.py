"""How fast the terminal app shows a day and a patient's weeks, with and without saved analyses.

    python benchmarks/tui_responsiveness.py [--keep DIR] [--hours 8] [--recordings 20] [--runs 3]

Simulates an 8 h office day and a 24 h day at 100 Hz, and 20 weekday recordings of 8 h for one
patient over 4 weeks (several minutes on a loaded 2-core machine; ``--keep DIR`` keeps them and
reuses them on the next run). Then:

1. **first view** of each day, in this process (Textual's ``run_test``, 80x24): the time until the
   day is shown while it is analysed and its analysis saved, and how late a 50 ms timer on the UI's
   event loop fires meanwhile (a key press waits at most about that long);
2. **with a saved analysis**, in the running app (as Enter on the days screen, or ``t``, opens it):
   from pushing the screen until it is drawn with its data. Median of ``--runs`` (3), after one warm-up;
3. **with a saved analysis**, cold: the screen started in a new Python process, timed from its start
   until the day screen (or the trends screen with its table filled) is drawn, so the interpreter,
   the imports and Textual's start are in the figure (what ``sensorkit view`` costs). Median of ``--runs``.

The machine's load average is printed with the figures: on a shared 2-core machine every wall time
grows with it, so each comes with the CPU seconds it took (about the wall time on an idle core).

Targets (issue 11): 8 h day <= 1 s, 24 h day <= 2 s, 4 weeks of trends <= 2 s, with saved analyses.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

TICK_S = 0.05


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


async def show(kind: str, path: Path, patient: str) -> None:
    """Child process: open the screen, print 'shown' once it is drawn with its data."""
    from sensorkit.tui.app import SensorKitApp

    screen, ready = make_screen(kind, path, patient)
    app = SensorKitApp(lambda: screen)
    async with app.run_test(size=(80, 24)) as pilot:
        while not ready():
            await pilot.pause(0.005)
        await pilot.pause()  # one refresh: drawn
        print("shown", flush=True)


def cold(kind: str, path: Path, patient: str, runs: int) -> tuple[float, float]:
    """Median seconds (wall, CPU of the child) from starting a Python process to the screen drawn."""
    times, cpu = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        child = subprocess.Popen([sys.executable, __file__, "--show", kind, str(path), patient],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        for line in child.stdout:
            if line.strip() == "shown":
                times.append(time.perf_counter() - t0)
                break
        child.wait()  # it exits right after drawing: its CPU time is the time to the screen, and a little more
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if child.returncode:
            raise SystemExit(f"the {kind} screen failed on {path}")
    return statistics.median(times), statistics.median(cpu)


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
    parser.add_argument("--runs", type=int, default=3, help="timed openings of each screen, warm and cold (median)")
    parser.add_argument("--show", nargs=3, metavar=("KIND", "PATH", "PATIENT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.show:
        kind, path, patient = args.show
        asyncio.run(show(kind, Path(path), patient))
        return
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
    print(f"with saved analyses (load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}, "
          f"{os.cpu_count()} cores), median of {args.runs}:")
    cases = [("day", days[short], ""), ("day", days[long], ""), ("trends", weeks, "P1")]
    names = (f"{short} day", f"{long} day", f"trends of {args.recordings} recordings of {short}")
    for name, (wall, cpu), case in zip(names, asyncio.run(warm(cases, args.runs)), cases):
        cold_wall, cold_cpu = cold(*case, args.runs)
        print(f"  {name}: drawn {wall:.2f} s ({cpu:.2f} s CPU) after it is opened in the app, "
              f"{cold_wall:.2f} s ({cold_cpu:.2f} s CPU) after starting Python")


if __name__ == "__main__":
    main()
