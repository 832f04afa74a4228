"""The SensorKit terminal app: one Textual application, started on the screen a command asks for.

    sensorkit view RECORDING     -> the day screen
    sensorkit view FOLDER        -> the days screen (Enter opens a day, Escape comes back)
    sensorkit demo --tui         -> the live screen while the emulated sensor streams
    sensorkit monitor --tui ...  -> the live screen for a real or emulated sensor

The screens live in :mod:`sensorkit.tui.screens`, their layout in the ``.tcss`` file beside each,
and the shared palette in ``app.tcss``.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen


class SensorKitApp(App):
    """Opens the screen ``first()`` makes; ``q`` (or Ctrl-Q) quits, after a running recording is saved."""

    CSS_PATH = "app.tcss"
    TITLE = "SensorKit"
    BINDINGS = [Binding("q", "quit", "Quit")]
    # the screens' .tcss stack side-by-side panels below this width (class -narrow on the screen)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def __init__(self, first: Callable[[], Screen], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._first = first

    def on_mount(self) -> None:
        self.push_screen(self._first())

    async def action_quit(self) -> None:
        """Quit; a screen still recording is asked to stop and save first (it quits when done)."""
        for screen in self.screen_stack:
            if getattr(screen, "stop_before_quit", lambda: False)():
                return
        self.exit()


def run_live(session: Callable[[Callable[[Any], None]], Awaitable[Any]], what: str, *,
             profile: Any = None, calibration: Any = None, vibrate: bool = False) -> Any:
    """The live screen over ``session`` until the user quits; returns the SessionResult (None if stopped
    before a sensor was connected) and raises the session's error, if any, once the terminal is back.
    ``profile`` and ``calibration`` (a GuidedCalibration to run first) go to the live analysis;
    ``vibrate``: buzz the sensor for each alert (:mod:`sensorkit.ble.haptics`)."""
    from .screens.live import LiveScreen

    screen = LiveScreen(session, what, profile=profile, calibration=calibration, vibrate=vibrate)
    SensorKitApp(lambda: screen).run()
    ended = screen.ended
    if ended is None:  # quit before a sensor was connected
        return None
    if ended.error is not None:
        raise ended.error
    return ended.result
