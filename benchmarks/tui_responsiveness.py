"""How responsive the day screen stays while a long recording is analysed in its worker thread.

    python benchmarks/tui_responsiveness.py [RECORDING]

Without an argument an 8 h office day is simulated first (about 8 s). The app runs headless
(Textual's ``run_test``); a 50 ms interval timer on the UI's event loop records how late each tick
fires while the worker reads and analyses the recording. Printed: the time until the day is shown,
and the median / 95th percentile / worst lateness of the UI loop meanwhile (a key press waits at most
about that long).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sensorkit.tui.app import SensorKitApp
from sensorkit.tui.screens.day import DayScreen

TICK_S = 0.05


async def measure(path: Path) -> tuple[float, np.ndarray]:
    screen = DayScreen(path)
    app = SensorKitApp(lambda: screen)
    late: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
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


def main() -> None:
    if len(sys.argv) > 1:
        path = Path(sys.argv[1])
    else:
        path = Path(tempfile.mkdtemp()) / "office.skr"
        subprocess.run(["sensorkit", "simulate", "--scenario", "office", "--seed", "1", "-o", str(path)],
                       check=True, stdout=subprocess.DEVNULL)
    shown, late = asyncio.run(measure(path))
    ms = 1000.0 * np.clip(late, 0.0, None)
    print(f"{path.name}: day shown after {shown:.2f} s; UI loop lateness while analysing "
          f"median {np.median(ms):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, worst {ms.max():.0f} ms "
          f"({len(ms)} ticks of {TICK_S * 1000:.0f} ms)")


if __name__ == "__main__":
    main()
