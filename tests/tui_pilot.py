"""The terminal app run headless on a day screen, as the tests of its screens drive it."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from textual.pilot import Pilot

from sensorkit.tui.app import SensorKitApp
from sensorkit.tui.screens.day import DayScreen


@asynccontextmanager
async def day_screen_shown(path: Path, size: tuple[int, int] = (120, 40)) -> AsyncIterator[tuple[SensorKitApp, Pilot]]:
    """The app on the day screen of ``path`` once its analysis is on the screen: a day still to analyse
    loads in a worker, so the screen is read only after that worker is done and the result is drawn."""
    app = SensorKitApp(lambda: DayScreen(path))
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        yield app, pilot
