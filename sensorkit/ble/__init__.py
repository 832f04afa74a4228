"""BLE: the collector (scan, connect, stream, reconnect, store) and a bleak backend on a virtual radio.

The collector uses only bleak's public API. With ``transport=VIRTUAL`` (see :mod:`.collector`) it
passes the Bumble backend classes of :mod:`.backend` to bleak, which then talk to emulated sensors on
a :class:`~.radio.VirtualRadio`; without it bleak picks the platform's own backend (BlueZ, CoreBluetooth,
WinRT) and the same code reads a real sensor.
"""
