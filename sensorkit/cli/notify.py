"""Desktop notifications for alerts (``monitor --notify``), for a patient whose terminal is out of sight.

Through desktop-notifier (optional: ``pip install 'sensorkit[notify]'``), which speaks to the desktop
itself on Linux (D-Bus), macOS (the Notification Center) and Windows (WinRT toasts) and is kept up
(6.2, 2025); plyer, the other cross-platform choice, last released in 2022. Only alerts the policy lets
through are shown. Where there is no desktop (no D-Bus session on Linux) the library fails inside its
own task; its log is kept quiet and the terminal line is the alert.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..errors import SettingsError
from ..events import Event

APP_NAME = "SensorKit"


class DesktopNotices:
    """An ``on_event`` callback that shows each alert as a desktop notification."""

    def __init__(self) -> None:
        try:
            from desktop_notifier import DesktopNotifier
        except ImportError:
            raise SettingsError("--notify needs the desktop-notifier package: pip install 'sensorkit[notify]'") from None
        logging.getLogger("desktop_notifier").setLevel(logging.CRITICAL)  # a failed send logs a traceback
        self.notifier: Any = DesktopNotifier(app_name=APP_NAME)
        self._tasks: set[asyncio.Task] = set()

    def alert(self, event: Event) -> None:
        if event.type != "alert":
            return
        message = str(event.fields.get("message") or event.fields.get("alert"))
        task = asyncio.get_running_loop().create_task(self._send(message))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, message: str) -> None:
        try:
            await self.notifier.send(title=APP_NAME, message=message)
        except Exception:  # noqa: BLE001 - a desktop that cannot show it must never stop a recording
            logging.getLogger(__name__).debug("desktop notification failed", exc_info=True)
