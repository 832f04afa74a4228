"""How fast the terminal app shows a day and a patient's weeks, with and without saved analyses.

    python benchmarks/tui_responsiveness.py [--keep DIR]

Simulates an 8 h office day and a 24 h day at 100 Hz, and 20 weekday recordings of 8 h for one
patient over 4 weeks (several minutes on a loaded 2-core machine; ``--keep DIR`` keeps them and
reuses them on the next run). Then:

1. **first view** of each day, in this process (Textual's ``run_test``, 80x24): the time until the
   day is shown while it is analysed and its analysis saved, and how late a 50 ms timer on the UI's
   event loop fires meanwhile (a key press waits at most about that long);
2. **with a saved analysis**, cold: ``sensorkit``'s screen started in a new Python process, timed
   from its start until the day screen (or the trends screen with its table filled) is drawn, so the
   interpreter, the imports and Textual's start are in the figure. Median of 3.

Targets (issue 11): 8 h day <= 1 s, 24 h day <= 2 s, 4 weeks of trends <= 2 s, with saved analyses.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

TICK_S = 0.05
RUNS = 3


async def first_view(path: Path) -> tuple[float, np.ndarray]:
    """Seconds until the day screen shows ``path`` (analysed now), and the UI loop's lateness meanwhile."""
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
    return shown, np.array(late)


async def show(kind: str, path: Path, patient: str) -> None:
    """Child process: open the screen, print 'shown' once it is drawn with its data."""
    from sensorkit.tui.app import SensorKitApp

    if kind == "day":
        from sensorkit.tui.screens.day import DayScreen

        screen = DayScreen(path)
        ready = lambda: screen.report is not None  # noqa: E731
    else:
        from sensorkit.tui.screens.trends import TrendsScreen

        screen = TrendsScreen(path, patient)
        ready = lambda: screen.result is not None and screen.query_one("#trends-table").row_count > 0  # noqa: E731
    app = SensorKitApp(lambda: screen)
    async with app.run_test(size=(80, 24)) as pilot:
        while not ready():
            await pilot.pause(0.005)
        await pilot.pause()  # one refresh: drawn
        print("shown", flush=True)


def cold(kind: str, path: Path, patient: str = "") -> float:
    """Median wall seconds from starting a Python process to the screen drawn."""
    times = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        child = subprocess.Popen([sys.executable, __file__, "--show", kind, str(path), patient],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None
        for line in child.stdout:
            if line.strip() == "shown":
                times.append(time.perf_counter() - t0)
                break
        child.wait()
        if child.returncode:
            raise SystemExit(f"the {kind} screen failed on {path}")
    return statistics.median(times)


def simulate(path: Path, seconds: int, start: str, patient: str = "") -> None:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "sensorkit", "simulate", "--scenario", "office", "--seed", "1", "--duration",
                        str(seconds), "--start", start, "-o", str(path)] + (["--patient", patient] if patient else []),
                       check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", metavar="DIR", help="keep the simulated recordings here (reused when present)")
    parser.add_argument("--show", nargs=3, metavar=("KIND", "PATH", "PATIENT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.show:
        kind, path, patient = args.show
        asyncio.run(show(kind, Path(path), patient))
        return
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp())
    days = {"8 h": root / "office-8h.skr", "24 h": root / "day-24h.skr"}
    simulate(days["8 h"], 8 * 3600, "2025-03-03T08:00Z")
    simulate(days["24 h"], 24 * 3600, "2025-03-04T00:00Z")
    weeks = root / "weeks"
    for i in range(20):  # Monday to Friday, 4 weeks
        day = date(2026, 11, 2) + timedelta(days=7 * (i // 5) + i % 5)
        simulate(weeks / "P1" / f"{day}.skr", 8 * 3600, f"{day}T08:00Z", "P1")

    from sensorkit.signal.saved_analysis import analysis_for

    for name, path in days.items():
        shown, late = asyncio.run(first_view(path))
        ms = 1000.0 * np.clip(late, 0.0, None)
        print(f"{name} day, first view (analysed, then saved): shown after {shown:.2f} s; UI loop lateness "
              f"median {np.median(ms):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, worst {ms.max():.0f} ms")
    t0 = time.perf_counter()
    for path in sorted(weeks.glob("P1/*.skr")):
        analysis_for(path)  # what record / import / the first view leave behind
    print(f"4 weeks: 20 recordings of 8 h analysed and saved in {time.perf_counter() - t0:.1f} s")
    for name, path in days.items():
        print(f"{name} day with its saved analysis: shown {cold('day', path):.2f} s after starting Python "
              f"(median of {RUNS})")
    print(f"trends of 4 weeks (20 recordings, saved analyses): shown {cold('trends', weeks, 'P1'):.2f} s after "
          f"starting Python (median of {RUNS})")


if __name__ == "__main__":
    main()
