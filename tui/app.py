"""The SensorKit terminal app: one Textual application, started on the screen a command asks for.

    sensorkit view RECORDING     -> the day screen
    sensorkit view FOLDER        -> the days screen (Enter opens a day, Escape comes back)
    sensorkit demo --tui         -> the live screen while the emulated sensor streams
    sensorkit monitor --tui ...  -> the live screen for a real or emulated sensor

The screens live in :mod:`sensorkit.tui.screens`, their layout in the ``.tcss`` file beside each,
and the shared palette in ``app.tcss``.
"""

from __future__ import annotations

from typing import Any, Callable

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen


class SensorKitApp(App):
    """Opens ``first()`` on start; what the app returns (``exit(result)``) goes back to the command."""

    CSS_PATH = "app.tcss"
    TITLE = "SensorKit"
    BINDINGS = [Binding("q", "quit", "Quit")]

    def __init__(self, first: Callable[[], Screen], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._first = first

    def on_mount(self) -> None:
        self.push_screen(self._first())
