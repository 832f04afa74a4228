"""A bleak 3.1 backend on Bumble's virtual radio, so the collector runs unchanged without Bluetooth.

Use it through bleak's public API::

    radio = VirtualRadio(); use_radio(radio)        # inside the running loop's program
    device = await BleakScanner.find_device_by_name("SensorKit-1", backend=BumbleScanner)
    async with BleakClient(device, backend=BumbleClient) as client: ...

bleak's ``backend=`` takes a class, so the radio comes from :func:`.radio.use_radio` (or a ``radio=``
keyword, which bleak forwards). Everything runs on the caller's loop, in one thread; notification
and disconnect callbacks run synchronously inside Bumble's packet dispatch, exactly as bleak's own
backends call them from the OS event source, so keep them small (the collector queues).

Behaviour copied from BlueZ where bleak leaves room: MTU 247 is requested on connect (Bumble keeps
23 otherwise and silently truncates notifications), and the disconnected callback also fires on a
client-initiated disconnect. Errors are mapped to bleak's: ATT errors -> ``BleakGATTProtocolError``,
Bumble timeouts -> ``TimeoutError``, connection failures and a missing CCCD -> ``BleakError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import uuid as uuidlib
from typing import Any, Callable

from bleak.assigned_numbers import gatt_char_props_to_strs
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakError, BleakGATTProtocolError
from bumble import att, core, hci
from bumble.device import Advertisement, Connection, Peer
from bumble.gatt import GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR

from .radio import VirtualRadio, default_radio

log = logging.getLogger(__name__)
REQUESTED_MTU = 247
_CCCD = "00002902-0000-1000-8000-00805f9b34fb"


def uuid_str(uuid: core.UUID) -> str:
    """bleak's form of a UUID: lower-case 128-bit (Bumble's str() gives 'UUID-16:180F' or upper case)."""
    return str(uuidlib.UUID(bytes=bytes(reversed(uuid.uuid_128_bytes))))


def _parse_advertisement(adv: Advertisement) -> tuple[str | None, list[str], dict[int, bytes], dict[str, bytes], int | None]:
    name, uuids, manufacturer, service_data, tx_power = None, [], {}, {}, None
    widths = {0x02: 2, 0x03: 2, 0x04: 4, 0x05: 4, 0x06: 16, 0x07: 16}
    for ad_type, data in adv.data.ad_structures:
        if ad_type in (0x08, 0x09):
            name = data.decode("utf-8", "replace") if ad_type == 0x09 or name is None else name
        elif ad_type in widths:
            w = widths[ad_type]
            uuids += [uuid_str(core.UUID.from_bytes(data[i : i + w])) for i in range(0, len(data) - w + 1, w)]
        elif ad_type == 0xFF and len(data) >= 2:
            manufacturer[struct.unpack_from("<H", data)[0]] = bytes(data[2:])
        elif ad_type in (0x16, 0x20, 0x21):
            w = {0x16: 2, 0x20: 4, 0x21: 16}[ad_type]
            service_data[uuid_str(core.UUID.from_bytes(data[:w]))] = bytes(data[w:])
        elif ad_type == 0x0A and data:
            tx_power = struct.unpack("<b", data[:1])[0]
    # The virtual controller echoes adv data as a fake scan response, so lists repeat (B7).
    return name, list(dict.fromkeys(uuids)), manufacturer, service_data, tx_power


class BumbleScanner(BaseBleakScanner):
    """Scanner on the virtual radio. Several scanners share the one central (reference counted)."""

    def __init__(self, detection_callback: Any, service_uuids: list[str] | None, scanning_mode: str = "active", *, radio: VirtualRadio | None = None, **kwargs: Any):
        super().__init__(detection_callback, service_uuids)
        self._radio = radio or default_radio()
        self._passive = scanning_mode == "passive"
        self._device = None

    def _on_advertisement(self, adv: Advertisement) -> None:
        name, uuids, manufacturer, service_data, tx_power = _parse_advertisement(adv)
        if not self.is_allowed_uuid(uuids):
            return
        address = str(adv.address).split("/")[0]
        data = AdvertisementData(
            local_name=name, manufacturer_data=manufacturer, service_data=service_data,
            service_uuids=uuids, tx_power=tx_power, rssi=adv.rssi, platform_data=(adv,),
        )
        device = self.create_or_update_device(address, address, name, adv.address, data)
        self.call_detection_callbacks(device, data)

    async def start(self) -> None:
        self.seen_devices = {}
        self._device = await self._radio.central()
        self._device.on("advertisement", self._on_advertisement)
        self._radio.scan_users += 1
        if self._radio.scan_users == 1:
            await self._device.start_scanning(active=not self._passive, filter_duplicates=False)

    async def stop(self) -> None:
        if self._device is None:
            return
        self._device.remove_listener("advertisement", self._on_advertisement)
        self._radio.scan_users -= 1
        if self._radio.scan_users == 0:
            with contextlib.suppress(Exception):
                await self._device.stop_scanning()
        self._device = None


class BumbleClient(BaseBleakClient):
    """Client on the virtual radio: one Bumble connection, discovered into bleak's GATT objects."""

    def __init__(self, address_or_ble_device: BLEDevice | str, services: set[str] | None = None, *, radio: VirtualRadio | None = None, **kwargs: Any):
        super().__init__(
            address_or_ble_device,
            disconnected_callback=kwargs.pop("disconnected_callback", None),
            timeout=kwargs.pop("timeout", 10.0),
        )
        self._radio = radio or default_radio()
        self._service_filter = sorted(services) if services else []
        self._connection: Connection | None = None
        self._peer: Peer | None = None
        self._name = ""
        self._subscriptions: dict[int, Callable[[bytes], None]] = {}

    # -- connection --------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection else 23

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        central = await self._radio.central()
        timeout = kwargs.get("timeout", self._timeout)
        try:
            connection = await central.connect(
                hci.Address(self.address), timeout=timeout, own_address_type=hci.OwnAddressType.RANDOM
            )
        except core.TimeoutError as exc:
            raise TimeoutError(f"no connection to {self.address} within {timeout} s") from exc
        except (core.BaseBumbleError, hci.HCI_Error) as exc:
            raise BleakError(f"could not connect to {self.address}: {exc}") from exc
        self._connection = connection
        connection.on("disconnection", self._on_disconnection)
        try:
            if pair:
                await connection.pair()
            self._peer = Peer(connection)
            await self._peer.request_mtu(REQUESTED_MTU)
            self.services = await self._discover()
            self._name = self.address
        except BaseException:
            if self._connection is not None:
                with contextlib.suppress(Exception):
                    await self._connection.disconnect()
            raise

    def _on_disconnection(self, reason: int) -> None:
        self._connection = None
        self._peer = None
        self._subscriptions.clear()
        if self._disconnected_callback is not None:
            try:  # shield Bumble's dispatch from the application's callback
                self._disconnected_callback()
            except Exception:  # noqa: BLE001
                log.exception("disconnected_callback raised")

    async def disconnect(self) -> None:
        connection = self._connection
        if connection is None:
            return
        done = asyncio.get_running_loop().create_future()
        connection.once("disconnection", lambda *_: done.done() or done.set_result(None))
        with contextlib.suppress(core.BaseBumbleError, hci.HCI_Error):
            await connection.disconnect()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(done, 2.0)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        await self._require().pair()

    async def unpair(self) -> None:
        raise NotImplementedError("the virtual radio keeps no bonds")

    # -- GATT --------------------------------------------------------------------------------

    async def _discover(self) -> BleakGATTServiceCollection:
        peer = self._peer
        assert peer is not None
        collection = BleakGATTServiceCollection()
        filter_uuids = [core.UUID(u) for u in self._service_filter]
        for service in await self._gatt(peer.discover_services(filter_uuids)):
            bleak_service = BleakGATTService(service, service.handle, uuid_str(service.uuid))
            collection.add_service(bleak_service)
            for char in await self._gatt(peer.discover_characteristics(service=service)):
                bleak_char = BleakGATTCharacteristic(
                    char, char.handle, uuid_str(char.uuid),
                    list(gatt_char_props_to_strs(int(char.properties))),
                    lambda: self.mtu_size - 3, bleak_service,
                )
                collection.add_characteristic(bleak_char)
                for desc in await self._gatt(peer.discover_descriptors(characteristic=char)):
                    collection.add_descriptor(BleakGATTDescriptor(desc, desc.handle, uuid_str(desc.type), bleak_char))
        return collection

    def _require(self) -> Connection:
        if self._connection is None:
            raise BleakError("Not connected")
        return self._connection

    async def _gatt(self, operation: Any) -> Any:
        """Run a Bumble GATT coroutine with its errors turned into bleak's."""
        self._require()
        try:
            return await operation
        except att.ATT_Error as exc:
            raise BleakGATTProtocolError(exc.error_code) from exc
        except core.TimeoutError as exc:
            raise TimeoutError("GATT operation timed out") from exc
        except asyncio.CancelledError:
            # Bumble cancels pending ATT futures on disconnection (B6): that is not our task's cancel.
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            raise BleakError("Disconnected during GATT operation") from None

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, **kwargs: Any) -> bytearray:
        return bytearray(await self._gatt(characteristic.obj.read_value()))

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, **kwargs: Any) -> bytearray:
        return bytearray(await self._gatt(descriptor.obj.read_value()))

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: Any, response: bool) -> None:
        await self._gatt(characteristic.obj.write_value(bytes(data), with_response=response))

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        await self._gatt(descriptor.obj.write_value(bytes(data), with_response=True))

    async def start_notify(self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any) -> None:
        proxy = characteristic.obj
        if proxy.get_descriptor(GATT_CLIENT_CHARACTERISTIC_CONFIGURATION_DESCRIPTOR) is None:
            raise BleakError(f"characteristic {characteristic.uuid} has no CCCD; cannot notify")  # B5

        def on_value(value: bytes) -> None:
            callback(bytearray(value))

        self._subscriptions[characteristic.handle] = on_value
        await self._gatt(proxy.subscribe(on_value))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        on_value = self._subscriptions.pop(characteristic.handle, None)
        await self._gatt(characteristic.obj.unsubscribe(on_value))
