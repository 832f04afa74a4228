"""A virtual BLE radio: Bumble controllers on one in-process link, shared by emulators and the backend.

Every node (emulated sensors, the central that :mod:`.backend` drives for bleak) is a Bumble
``Device`` on its own virtual ``Controller``; all controllers sit on one ``LocalLink``. Bumble binds
controllers to the running event loop when they are created (it calls ``get_running_loop()``), so a
radio creates them lazily inside the loop and is good for that one loop only: create one radio per
``asyncio.run`` (and one per test).

Three small work-arounds for Bumble 0.0.236 live here (see the project's bleak-over-bumble notes):

- B2: the virtual controller ignores LE Create Connection Cancel, so a connect to an absent device
  would hang forever and block every later connect; :class:`_Controller` ends the pending attempt.
- B8: Bumble formats a coloured debug dump of every HCI packet even with DEBUG off (about 40 % of the
  CPU at high notification rates); :class:`_Controller` and :class:`_Host` skip it unless DEBUG is on.
- B9: the virtual link never loses a connection by itself; :meth:`VirtualRadio.drop_link` emulates a
  supervision timeout on both ends.

Bumble is pinned exactly in pyproject.toml because these touch its internals.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging

from bumble import hci
from bumble.controller import Controller
from bumble.device import Device
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

_controller_log = logging.getLogger("bumble.controller")
_host_log = logging.getLogger("bumble.host")
CONNECTION_TIMEOUT = hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR  # 0x08, what a supervision timeout reports


class _Controller(Controller):
    """Bumble's virtual controller with the connect-cancel fix (B2) and quiet HCI logging (B8)."""

    def on_hci_le_create_connection_cancel_command(self, command):  # B2
        # Bumble answers success but keeps the attempt pending. End it like a real controller:
        # Command Complete first (returned below), then LE Connection Complete with status 0x02.
        pending, self.pending_le_connection = self.pending_le_connection, None
        if pending is not None:
            event = hci.HCI_LE_Connection_Complete_Event(
                status=hci.HCI_ErrorCode.UNKNOWN_CONNECTION_IDENTIFIER_ERROR,
                connection_handle=0,
                role=hci.Role.CENTRAL,
                peer_address_type=pending.peer_address.address_type,
                peer_address=pending.peer_address,
                connection_interval=0,
                peripheral_latency=0,
                supervision_timeout=0,
                central_clock_accuracy=0,
            )
            asyncio.get_running_loop().call_soon(self.send_hci_packet, event)
        return hci.HCI_StatusReturnParameters(hci.HCI_ErrorCode.SUCCESS)

    # B8: copies of Controller.on_hci_packet / send_hci_packet without the eager debug f-string.
    def on_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if _controller_log.isEnabledFor(logging.DEBUG):
            return super().on_hci_packet(packet)
        if isinstance(packet, hci.HCI_Command):
            self.on_hci_command_packet(packet)
        elif isinstance(packet, hci.HCI_AclDataPacket):
            self.on_hci_acl_data_packet(packet)
        elif isinstance(packet, hci.HCI_Event):
            self.on_hci_event_packet(packet)

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if _controller_log.isEnabledFor(logging.DEBUG):
            return super().send_hci_packet(packet)
        if self.host:
            asyncio.get_running_loop().call_soon(self.host.on_packet, bytes(packet))


class _Host(Host):
    """Bumble's host with quiet HCI logging (B8): copies of its two packet methods minus the f-string."""

    def send_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if _host_log.isEnabledFor(logging.DEBUG) or self.snooper:
            return super().send_hci_packet(packet)
        if self.hci_sink:
            self.hci_sink.on_packet(bytes(packet))

    def on_hci_packet(self, packet: hci.HCI_Packet) -> None:
        if _host_log.isEnabledFor(logging.DEBUG) or self.snooper:
            return super().on_hci_packet(packet)
        if isinstance(packet, hci.HCI_Event):
            self.on_hci_event_packet(packet)
        elif isinstance(packet, hci.HCI_AclDataPacket):
            self.on_hci_acl_data_packet(packet)
        else:  # rare packet kinds: let Bumble handle them (and log)
            super().on_hci_packet(packet)


class VirtualRadio:
    """One shared virtual link; hands out Bumble devices (sensors) and the one central for bleak."""

    _numbers = itertools.count(1)

    def __init__(self) -> None:
        self._link: LocalLink | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._central: Device | None = None
        self._central_lock: asyncio.Lock | None = None
        self.scan_users = 0  # scanners sharing the central (see backend.BumbleScanner)

    def _bind(self) -> LocalLink:
        loop = asyncio.get_running_loop()
        if self._loop is None:
            self._loop, self._link = loop, LocalLink()
            self._central_lock = asyncio.Lock()
        elif self._loop is not loop:
            raise RuntimeError("a VirtualRadio serves one event loop; create a new radio for this loop")
        assert self._link is not None
        return self._link

    def new_device(self, name: str, address: str) -> Device:
        """A Bumble device on its own controller on this radio (power it on before use)."""
        link = self._bind()
        controller = _Controller(f"{name}-{next(self._numbers)}", link=link, public_address=address)
        host = _Host(controller, AsyncPipeSink(controller))
        return Device(name=name, address=hci.Address(address), host=host)

    async def central(self) -> Device:
        """The powered-on central device the bleak backend uses (created on first use)."""
        self._bind()
        assert self._central_lock is not None
        async with self._central_lock:
            if self._central is None:
                device = self.new_device("sensorkit-central", "C0:FF:EE:00:00:01")
                await device.power_on()
                self._central = device
        return self._central

    async def delivered(self, device: Device) -> None:
        """Wait until every packet ``device`` has sent has reached the host at the other end of its links.

        A link dropped at once loses the packets still on their way (three loop turns: host to controller,
        across the link, controller to host), which the emulator had counted as sent. Bumble's host holds
        a packet pending until its controller reports it forwarded onto the link; the last two turns were
        scheduled before the turn this then resumes on, or by the one ``sleep(0)`` after (first in, first out).
        """
        for connection in list(device.host.connections.values()):
            with contextlib.suppress(ValueError):  # nothing ever sent on it
                await connection.acl_packet_queue.drain(connection.handle)
        await asyncio.sleep(0)

    def drop_link(self, device: Device) -> int:
        """Emulate a supervision timeout on every connection of ``device`` (B9); returns how many.

        Both controllers report Disconnection Complete with reason 0x08, as after a real radio loss.
        Packets still in flight then log "no connection for handle", which is harmless.
        """
        link = self._bind()
        own = {str(a) for a in (device.random_address, device.public_address)}
        dropped = 0
        for controller in list(link.controllers):
            for connection in list(controller.le_connections.values()):
                ends = {str(connection.self_address), str(connection.peer_address)}
                if ends & own:
                    controller.on_le_disconnected(connection, CONNECTION_TIMEOUT)
                    dropped += 1
        return dropped // 2


_default: VirtualRadio | None = None


def use_radio(radio: VirtualRadio | None) -> None:
    """Make ``radio`` the one the bleak backend uses when no ``radio=`` keyword is given.

    bleak's ``backend=`` takes a class, not an instance, so configuration reaches it this way.
    """
    global _default
    _default = radio


def default_radio() -> VirtualRadio:
    if _default is None:
        raise RuntimeError("no virtual radio in use; call sensorkit.ble.radio.use_radio(VirtualRadio())")
    return _default
