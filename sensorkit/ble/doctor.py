"""`sensorkit doctor`: check, step by step, that this computer can record a sensor, and say what to fix.

The first time a user meets a real sensor, whatever fails (an adapter that is off, a permission, an
MTU of 23, a firmware that answers differently, a sensor that takes the start command and sends
nothing) must be visible to them and to the project. Each step is a :class:`Check` with PASS, FAIL,
INFO (nothing to check on this sensor or OS) or SKIP (an earlier failure makes it meaningless), and
every FAIL carries what to do on *this* operating system (:data:`FIXES`).

The steps: the Bluetooth stack (bleak and its backend), the adapter (present, powered, allowed),
scanning for the sensor, connecting, its identity and firmware (Device Information service), the
MTU, configuring it with its profile, its battery, and streaming for :data:`STREAM_S` seconds of
device time. Against an emulated sensor the same code runs over the virtual radio; its time is the
emulated world's clock (:meth:`~sensorkit.emulator.base.EmulatedSensor.world_time`) times the
emulation speed, so ten seconds of stream take a fraction of that, even on a busy machine.
"""

from __future__ import annotations

import asyncio
import glob
import os
import platform
import re
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Callable

import numpy as np
from bleak import BleakClient
from bleak.exc import BleakBluetoothNotAvailableError, BleakBluetoothNotAvailableReason, BleakError

from ..devices.base import DeviceProfile
from ..devices.gatt import sig_uuid
from ..errors import DecodeError, SensorKitError
from ..samples import STANDARD_GRAVITY, SampleBlock
from .collector import Found, Transport, find

PASS, FAIL, INFO, SKIP = "PASS", "FAIL", "INFO", "SKIP"
STREAM_S = 10.0  # seconds of device time streamed
MIN_RECEIVED = 0.9  # fraction of the samples due in the stream that must arrive
LOW_BATTERY_PCT = 15  # the SensorKit protocol's default low-battery threshold
DEFAULT_MTU = 23  # what a link has before an MTU exchange: 20-byte notifications
BATTERY_LEVEL = sig_uuid(0x2A19)
MANUFACTURER, MODEL, FIRMWARE = sig_uuid(0x2A29), sig_uuid(0x2A24), sig_uuid(0x2A26)
# Firmware a profile needs, where the vendor documents one: Movesense's GSP arrived in 2.3.0 (MS CHANGES.md,
# ble-sensor-protocols.md section 2).
MIN_FIRMWARE = {"movesense": (2, 3, 0)}

# Where each kind's firmware is updated, for the firmware fix.
FIRMWARE_TOOL = {
    "sensorkit": "flash the firmware in firmware-protocol/ (SPEC.md)",
    "metamotion": "update it in mbientlab's MetaBase app",
    "polar": "update it in the Polar Flow app (sync the sensor)",
    "movesense": "update it in the Movesense Showcase app (the GATT sensor-data protocol needs 2.3.0 or newer)",
    "witmotion": "update it in the WitMotion app",
    "thingy52": "update it in Nordic's nRF Connect or Thingy app (stock firmware)",
    "microbit": "flash a MakeCode program with the Bluetooth accelerometer service started",
}

# What to do about each kind of failure, per operating system (platform.system(); "" = any).
FIXES: dict[str, dict[str, str]] = {
    "no_adapter": {
        "Linux": "plug in a Bluetooth 4.0+ (LE) adapter or enable the built-in one; `lsusb` and "
                 "`dmesg | grep -i bluetooth` show whether the kernel sees it (a VM or container needs the "
                 "adapter passed through)",
        "Darwin": "this Mac reports no Bluetooth hardware: check System Information > Bluetooth",
        "Windows": "install or enable the adapter in Device Manager > Bluetooth (Windows 10 1709 or newer; "
                   "a USB Bluetooth 4.0+ dongle works)",
    },
    "blocked": {
        "Linux": "the adapter is blocked by rfkill: `rfkill unblock bluetooth` (a hardware switch or "
                 "airplane mode can block it too)",
    },
    "no_service": {
        "Linux": "start BlueZ and the D-Bus system bus it answers on: `sudo systemctl enable --now bluetooth` "
                 "(bleak needs BlueZ 5.55 or newer)",
    },
    "powered_off": {
        "Linux": "power the adapter on: `bluetoothctl power on` (and `rfkill unblock bluetooth` if blocked)",
        "Darwin": "turn Bluetooth on in Control Centre or System Settings > Bluetooth",
        "Windows": "turn Bluetooth on in Settings > Bluetooth & devices (and Airplane mode off)",
    },
    "denied": {
        "Linux": "BlueZ refused this user: add yourself to the `bluetooth` group (`sudo usermod -aG "
                 "bluetooth $USER`, then log out and in) or check /etc/dbus-1/system.d/bluetooth.conf",
        "Darwin": "allow the app you run sensorkit from (Terminal, iTerm, VS Code) in System Settings > "
                  "Privacy & Security > Bluetooth, then quit and reopen it",
        "Windows": "allow apps to control device radios in Settings > Privacy & security > Radios",
    },
    "not_found": {
        "": "wake the sensor (move it or press its button), charge it, bring it within a few metres and "
            "close any phone app connected to it (a connected sensor stops advertising); `sensorkit scan "
            "--all` lists what this computer sees",
    },
    "connect": {
        "Linux": "clear a stale bond or cache with `bluetoothctl remove ADDRESS`; sensors that need pairing "
                 "(Polar, micro:bit) must be paired first: `bluetoothctl pair ADDRESS`",
        "Darwin": "accept the pairing prompt macOS shows; if there was none, remove the sensor in System "
                  "Settings > Bluetooth and retry",
        "Windows": "pair the sensor first in Settings > Bluetooth & devices > Add device (Polar and "
                   "micro:bit need it); if it was paired before, remove it and pair again",
    },
    "mtu": {
        "Linux": "BlueZ negotiates the MTU: update BlueZ and the adapter's firmware; a Bluetooth 4.0/4.1 "
                 "dongle without LE Data Length Extension stays at 23, use a 4.2+ one",
        "Darwin": "macOS negotiates the MTU: update the sensor's firmware",
        "Windows": "Windows negotiates the MTU once the sensor is paired: pair it and update the adapter driver",
    },
    "no_notifications": {
        "Linux": "power-cycle the sensor and rerun; a sensor that needs encryption (Polar PMD, micro:bit) "
                 "streams only once paired (`bluetoothctl pair ADDRESS`); some sensors notify before BlueZ "
                 "has confirmed the subscription and BlueZ drops them: update BlueZ",
        "Darwin": "power-cycle the sensor and rerun; accept the pairing prompt if macOS shows one",
        "Windows": "pair the sensor first (Settings > Bluetooth & devices), power-cycle it and rerun",
    },
    "slow_stream": {
        "": "move the sensor closer (1-2 m, no body between it and the computer), keep Wi-Fi on 5 GHz or "
            "use a USB adapter away from USB 3 ports, and rerun; if it stays short, send a raw capture "
            "(`sensorkit record --raw`) with a bug report",
    },
    "corrupt": {
        "": "the sensor sends packets SensorKit's profile does not decode (another firmware or protocol "
            "variant): record a minute with `sensorkit record --raw` and send the recording with a bug report",
    },
    "battery": {"": "charge the sensor and rerun: a low battery stops streaming or drops the link"},
    "configure": {
        "": "power-cycle the sensor, close any other app connected to it, and rerun; if it keeps refusing, "
            "send `sensorkit doctor -v` output with a bug report",
    },
}


@dataclass
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""


def fix_for(problem: str, system: str | None = None) -> str:
    """What to do about ``problem`` on ``system`` (default: this computer's)."""
    table = FIXES[problem]
    system = system or platform.system()
    return table.get(system) or table.get("") or "; ".join(f"{k}: {v}" for k, v in table.items())


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def backend_name() -> str:
    """bleak's backend on this platform, in words."""
    from bleak.backends import BleakBackend, get_default_backend

    try:
        backend = get_default_backend()
    except BleakError as exc:
        return f"none ({exc})"
    return {
        BleakBackend.BLUEZ_DBUS: "BlueZ over D-Bus", BleakBackend.CORE_BLUETOOTH: "CoreBluetooth",
        BleakBackend.WIN_RT: "WinRT",
    }.get(backend, backend.value)


def explain_unavailable(exc: BaseException, system: str | None = None) -> Check:
    """The adapter check for an error raised when scanning starts: which problem, and its fix."""
    text = f"{exc}" or type(exc).__name__
    if isinstance(exc, BleakBluetoothNotAvailableError):
        reason = exc.reason
        problem = {
            BleakBluetoothNotAvailableReason.NO_BLUETOOTH: "no_adapter",
            BleakBluetoothNotAvailableReason.NO_BLE_CENTRAL_ROLE: "no_adapter",
            BleakBluetoothNotAvailableReason.POWERED_OFF: "powered_off",
            BleakBluetoothNotAvailableReason.DENIED_BY_USER: "denied",
            BleakBluetoothNotAvailableReason.DENIED_BY_SYSTEM: "denied",
            BleakBluetoothNotAvailableReason.DENIED_BY_UNKNOWN: "denied",
        }.get(reason, "powered_off")
        what = {"no_adapter": "no Bluetooth LE adapter", "powered_off": "the Bluetooth adapter is off",
                "denied": "this program is not allowed to use Bluetooth"}[problem]
        return Check("adapter", FAIL, f"{what} ({exc.args[0]})", fix_for(problem, system))
    lowered = text.lower()
    if "accessdenied" in lowered or "not authorized" in lowered or "permission" in lowered:
        return Check("adapter", FAIL, f"this program is not allowed to use Bluetooth ({text})", fix_for("denied", system))
    if "turned off" in lowered or "not powered" in lowered or "powered" in lowered or "turned on" in lowered:
        return Check("adapter", FAIL, f"the Bluetooth adapter is off ({text})", fix_for("powered_off", system))
    if isinstance(exc, (FileNotFoundError, ConnectionRefusedError)) or "dbus" in lowered or "d-bus" in lowered:
        return Check("adapter", FAIL, f"the Bluetooth service does not answer ({type(exc).__name__}: {text})",
                     fix_for("no_service", system))
    return Check("adapter", FAIL, f"cannot use Bluetooth ({type(exc).__name__}: {text})", fix_for("no_adapter", system))


def linux_adapter_check(root: str = "/") -> Check | None:
    """What the kernel and D-Bus say about adapters on Linux, before bleak is asked; None when all is
    present (whether it is powered and allowed, only BlueZ can say: the scan finds out)."""
    base = Path(root)
    adapters = sorted(p.name for p in (base / "sys/class/bluetooth").glob("hci*"))
    if not adapters:
        return Check("adapter", FAIL, "no Bluetooth adapter: the kernel lists none (/sys/class/bluetooth is "
                     "empty or missing)", fix_for("no_adapter", "Linux"))
    for rfkill in sorted((base / "sys/class/rfkill").glob("rfkill*")):
        kind = _read(rfkill / "type")
        if kind == "bluetooth" and ("1" in (_read(rfkill / "soft"), _read(rfkill / "hard"))):
            return Check("adapter", FAIL, f"{', '.join(adapters)} is blocked by rfkill ({rfkill.name})",
                         fix_for("blocked", "Linux"))
    bus = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS", "")
    sockets = [base / "run/dbus/system_bus_socket", base / "var/run/dbus/system_bus_socket"]
    if not bus and not any(s.exists() for s in sockets):
        return Check("adapter", FAIL, f"{', '.join(adapters)} present, but there is no D-Bus system bus for "
                     "BlueZ to answer on (/run/dbus/system_bus_socket is missing)", fix_for("no_service", "Linux"))
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def quiet_signal(rate_hz: float, seconds: float) -> SampleBlock:
    """A sensor gently moving on a still wearer: distinct values, within every kind's range, no simulator cost."""
    t = np.arange(int(round(rate_hz * seconds))) / rate_hz
    acc = np.stack([0.5 * np.sin(2 * t), 0.3 * np.cos(3 * t), STANDARD_GRAVITY + 0.2 * np.sin(5 * t)], axis=1)
    gyr = np.stack([0.1 * np.sin(t), -0.05 * np.cos(2 * t), 0.02 + 0 * t], axis=1)
    return SampleBlock(t, acc, gyr)


@dataclass
class Doctor:
    """Runs the checks; ``report`` is told each one as it completes (the command prints it at once)."""

    report: Callable[[Check], None]
    transport: Transport = field(default_factory=Transport)
    clock: Callable[[], float] = time.monotonic  # device time = (clock() - start) * speed
    speed: float = 1.0
    stream_s: float = STREAM_S
    scan_timeout_s: float = 10.0
    system: str = field(default_factory=platform.system)
    checks: list[Check] = field(default_factory=list)

    def add(self, check: Check) -> Check:
        self.checks.append(check)
        self.report(check)
        return check

    def skip(self, names: list[str], because: str) -> None:
        for name in names:
            self.add(Check(name, SKIP, f"not checked: {because}"))

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAIL]

    async def run(self, target: str | None, stack: Check, adapter: Check | None) -> list[Check]:
        """Every check in order; a failure that makes the later ones meaningless skips them."""
        self.add(stack)
        if adapter is not None:
            self.add(adapter)
            if adapter.status == FAIL:
                self.skip(["scan", "connect", "identity", "firmware", "mtu", "configure", "battery", "stream"],
                          "no usable adapter")
                return self.checks
        found = await self.scan(target)
        if found is None:
            self.skip(["connect", "identity", "firmware", "mtu", "configure", "battery", "stream"], "no sensor found")
            return self.checks
        client = BleakClient(found.device, timeout=self.scan_timeout_s, backend=self.transport.client)
        if not await self.connect(client, found):
            self.skip(["identity", "firmware", "mtu", "configure", "battery", "stream"], "not connected")
            return self.checks
        try:
            await self.on_link(client, found)
        finally:
            try:
                await asyncio.wait_for(client.disconnect(), 5.0)
            except Exception:  # noqa: BLE001 - the link may be gone already; nothing left to check
                pass
        return self.checks

    async def on_link(self, client: BleakClient, found: Found) -> None:
        kind = found.kind or ""
        await self.identity(client, found)
        await self.firmware(client, kind)
        await self.mtu(client)
        assert found.profile is not None
        try:
            profile = found.profile(rate_hz=default_rate(found.profile))  # type: ignore[call-arg]
        except (SensorKitError, TypeError) as exc:
            self.add(Check("configure", FAIL, f"no usable settings for this {kind}: {exc}", fix_for("configure", self.system)))
            self.skip(["battery", "stream"], "not configured")
            return
        counts = _StreamCounts(profile)
        if not await self.configure(client, profile, counts):
            await self.battery(client, profile, started=False)
            self.skip(["stream"], "not configured")
            return
        await self.battery(client, profile, started=True)
        counts.mtu = client.mtu_size
        await self.stream(client, profile, counts)

    # -- the checks ------------------------------------------------------------------------------

    async def scan(self, target: str | None) -> Found | None:
        started = time.monotonic()
        try:
            if target is None:
                found = await self._first_supported()
            else:
                found = await find(target, self.scan_timeout_s, self.transport)
        except (BleakError, OSError, SensorKitError) as exc:
            cause = exc.__cause__ if isinstance(exc, SensorKitError) else exc
            if isinstance(cause, (BleakError, OSError)):  # the scan could not even start: the adapter
                self.add(explain_unavailable(cause, self.system))
                self.skip(["scan"], "no usable adapter")
            else:
                self.add(Check("scan", FAIL, str(exc), fix_for("not_found", self.system)))
            return None
        if not any(c.name == "adapter" for c in self.checks):  # no adapter check before: scanning proved it
            self.add(Check("adapter", PASS, "powered and usable (scanning started)"))
        if found is None:
            self.add(Check("scan", FAIL, f"no supported sensor advertised within {self.scan_timeout_s:g} s",
                           fix_for("not_found", self.system)))
            return None
        rssi = found.advertisement.rssi
        self.add(Check("scan", PASS, f"found {found.advertisement.name or '?'} ({found.device.address}), a "
                       f"{found.kind} sensor, in {_ms(started)} ms" + ("" if rssi is None else f", RSSI {rssi} dBm")))
        return found

    async def _first_supported(self) -> Found | None:
        from .collector import scan

        seen = await scan(self.scan_timeout_s, self.transport)
        return seen[0] if seen else None

    async def connect(self, client: BleakClient, found: Found) -> bool:
        started = time.monotonic()
        try:
            await client.connect()
        except (BleakError, TimeoutError, asyncio.TimeoutError, OSError) as exc:
            self.add(Check("connect", FAIL, f"could not connect to {found.device.address}: {exc or type(exc).__name__}",
                           fix_for("connect", self.system)))
            return False
        services = list(client.services)
        self.add(Check("connect", PASS, f"connected in {_ms(started)} ms; {len(services)} GATT services"))
        return True

    async def identity(self, client: BleakClient, found: Found) -> None:
        parts = [f"{found.kind} sensor {found.advertisement.name or found.device.address}"]
        for label, uuid in (("maker", MANUFACTURER), ("model", MODEL)):
            value = await _read_text(client, uuid)
            if value is not None:
                parts.append(f"{label} {value!r}")
        status = PASS if len(parts) > 1 else INFO
        note = "" if len(parts) > 1 else " (no Device Information service: maker and model unknown)"
        self.add(Check("identity", status, ", ".join(parts) + note))

    async def firmware(self, client: BleakClient, kind: str) -> None:
        if _characteristic(client, FIRMWARE) is None:
            self.add(Check("firmware", INFO, "this sensor does not report its firmware revision"))
            return
        tool = "update the sensor's firmware: " + FIRMWARE_TOOL.get(kind, "use its maker's tool")
        try:
            raw = bytes(await client.read_gatt_char(FIRMWARE))
        except (BleakError, TimeoutError, asyncio.TimeoutError, OSError) as exc:
            self.add(Check("firmware", FAIL, f"the firmware revision could not be read: {exc}", tool))
            return
        revision = _as_revision(raw)
        if revision is None:
            self.add(Check("firmware", FAIL, f"the firmware revision answer {raw.hex(' ')!r} is not a revision "
                           "string: the sensor's firmware does not answer as the profile expects", tool))
            return
        needed = MIN_FIRMWARE.get(kind)
        have = tuple(int(n) for n in re.findall(r"\d+", revision)[:3])
        if needed is not None and have < needed:
            self.add(Check("firmware", FAIL, f"firmware {revision} is older than the {'.'.join(map(str, needed))} "
                           f"SensorKit's {kind} profile needs", tool))
            return
        self.add(Check("firmware", PASS, f"firmware {revision}"))

    async def mtu(self, client: BleakClient) -> None:
        acquire = getattr(getattr(client, "_backend", None), "_acquire_mtu", None)
        if acquire is not None:  # BlueZ reports 23 until asked (bleak's documented work-around)
            try:
                await acquire()
            except Exception:  # noqa: BLE001 - an old BlueZ cannot say; reported below
                self.add(Check("mtu", INFO, "BlueZ does not report the MTU on this system; the stream check "
                               "shows whether throughput suffers"))
                return
        mtu = client.mtu_size
        if mtu <= DEFAULT_MTU:
            self.add(Check("mtu", FAIL, f"MTU {mtu}: no larger MTU was agreed, so each notification carries at "
                           f"most {mtu - 3} bytes and the sensor must send several times more of them",
                           fix_for("mtu", self.system)))
            return
        self.add(Check("mtu", PASS, f"MTU {mtu} (notifications of up to {mtu - 3} bytes)"))

    async def configure(self, client: BleakClient, profile: DeviceProfile, counts: "_StreamCounts") -> bool:
        started = time.monotonic()
        try:
            await asyncio.wait_for(profile.start(client, counts.on_notify), 15.0)
        except (BleakError, TimeoutError, asyncio.TimeoutError, OSError, SensorKitError) as exc:
            detail = f"the sensor did not take its configuration: {exc or type(exc).__name__}"
            if client.mtu_size <= DEFAULT_MTU:  # replies longer than 20 bytes were cut to fit
                self.add(Check("configure", FAIL, f"{detail} (at MTU {client.mtu_size} its replies are cut at "
                               f"{client.mtu_size - 3} bytes, the likely cause)", fix_for("mtu", self.system)))
            else:
                self.add(Check("configure", FAIL, detail, fix_for("configure", self.system)))
            return False
        counts.begin(self.clock())
        self.add(Check("configure", PASS, f"{profile.rate_hz:g} Hz, accelerometer ±{profile.acc_range_g:g} g"
                       + (f", gyroscope ±{profile.gyr_range_dps:g} °/s" if profile.capabilities.has_gyro else "")
                       + f", streaming started in {_ms(started)} ms"))
        return True

    async def battery(self, client: BleakClient, profile: DeviceProfile, *, started: bool) -> None:
        level: int | None = None
        try:
            if _characteristic(client, BATTERY_LEVEL) is not None:
                data = bytes(await client.read_gatt_char(BATTERY_LEVEL))
                level = data[0] if data else None
            elif started and hasattr(profile, "read_battery"):
                level = (await profile.read_battery(client))[0]
        except (BleakError, TimeoutError, asyncio.TimeoutError, OSError, DecodeError) as exc:
            self.add(Check("battery", FAIL, f"the battery level could not be read: {exc}", fix_for("configure", self.system)))
            return
        if level is None:
            self.add(Check("battery", INFO, "this sensor does not report its battery level over Bluetooth"))
        elif level <= LOW_BATTERY_PCT:
            self.add(Check("battery", FAIL, f"battery {level} % (low: at most {LOW_BATTERY_PCT} %)", fix_for("battery", self.system)))
        else:
            self.add(Check("battery", PASS, f"battery {level} %"))

    async def stream(self, client: BleakClient, profile: DeviceProfile, counts: "_StreamCounts") -> None:
        while (self.clock() - counts.t0) * self.speed < self.stream_s:
            await asyncio.sleep(0.02)
        await _round_trip(client)  # what was sent by now has arrived (same ordered bearer)
        try:
            await asyncio.wait_for(profile.stop(client), 5.0)
        except Exception:  # noqa: BLE001 - stopping is best effort; the counts are in
            pass
        self.add(counts.verdict(self.speed, self.stream_s, self.system))


class _StreamCounts:
    """What arrived during the stream, decoded by the profile exactly as the collector would."""

    def __init__(self, profile: DeviceProfile):
        self.profile = profile
        self.notifications = 0
        self.samples = 0
        self.corrupt: list[str] = []
        self.largest = 0
        self.battery_low = False
        self.t0 = 0.0
        self.mtu = DEFAULT_MTU + 224  # the link's, once known

    def begin(self, now: float) -> None:
        self.t0 = now

    def on_notify(self, char_uuid: str, payload: bytes) -> None:
        self.notifications += 1
        self.largest = max(self.largest, len(payload))
        try:
            decoded = self.profile.decode(char_uuid, payload)
        except DecodeError as exc:
            if len(self.corrupt) < 3:
                self.corrupt.append(f"{exc} ({payload[:12].hex()})")
            else:
                self.corrupt.append("")
            return
        for samples in decoded:
            self.samples += len(samples)
            self.battery_low |= "battery_low" in samples.flags

    def verdict(self, speed: float, stream_s: float, system: str) -> Check:
        rate = self.profile.rate_hz
        expected = rate * stream_s
        seen = (f"{self.samples} samples in {self.notifications} notifications over {stream_s:g} s "
                f"({self.samples / stream_s:.1f} Hz of {rate:g} Hz; largest notification {self.largest} bytes)")
        if self.notifications == 0:
            return Check("stream", FAIL, f"streaming was started but no notification arrived in {stream_s:g} s",
                         fix_for("no_notifications", system))
        if self.corrupt:
            examples = "; ".join(e for e in self.corrupt if e)
            detail = f"{len(self.corrupt)} of {self.notifications} notifications did not decode (e.g. {examples}); {seen}"
            if self.mtu <= DEFAULT_MTU and self.largest >= self.mtu - 3:  # the sensor's packets were cut to fit
                return Check("stream", FAIL, f"notifications are cut at the MTU's {self.mtu - 3} bytes: {detail}",
                             fix_for("mtu", system))
            return Check("stream", FAIL, detail, fix_for("corrupt", system))
        if self.samples < MIN_RECEIVED * expected:
            return Check("stream", FAIL, f"only {self.samples / expected:.0%} of the samples due arrived: {seen}",
                         fix_for("slow_stream", system))
        low = "; the sensor flags a low battery" if self.battery_low else ""
        return Check("stream", PASS, seen + low)


def default_rate(profile: type[DeviceProfile]) -> float:
    """The rate doctor streams at: 100 Hz where offered (the collector's default), else the nearest."""
    rates = profile.capabilities.rates_hz
    return float(min(rates, key=lambda r: (abs(r - 100.0), -r)))


def _characteristic(client: BleakClient, uuid: str) -> Any:
    for service in client.services:
        for char in service.characteristics:
            if char.uuid.lower() == uuid:
                return char
    return None


async def _read_text(client: BleakClient, uuid: str) -> str | None:
    if _characteristic(client, uuid) is None:
        return None
    try:
        raw = bytes(await client.read_gatt_char(uuid))
    except (BleakError, TimeoutError, asyncio.TimeoutError, OSError):
        return None
    return raw.decode("utf-8", "replace").strip("\x00 ")


def _as_revision(raw: bytes) -> str | None:
    """A firmware revision string (printable text with a digit), or None for anything else."""
    try:
        text = raw.decode("utf-8").strip("\x00 ")
    except UnicodeDecodeError:
        return None
    if not text or not text.isprintable() or not any(ch.isdigit() for ch in text):
        return None
    return text


async def _round_trip(client: BleakClient) -> None:
    from .collector import _round_trip as read_something

    try:
        await asyncio.wait_for(read_something(client), 5.0)
    except Exception:  # noqa: BLE001 - only a flush: the stream verdict stands on what arrived
        pass


def _ms(started: float) -> int:
    return int(round((time.monotonic() - started) * 1000))


def stack_check(transport_label: str) -> Check:
    system = platform.system() or sys.platform
    release = platform.mac_ver()[0] if system == "Darwin" else platform.release()
    return Check("bluetooth stack", PASS, f"{system} {release}, Python {platform.python_version()}, "
                 f"bleak {package_version('bleak')} with {transport_label}")


def real_adapter_check() -> Check | None:
    """The adapter check before scanning (Linux only: sysfs, rfkill, D-Bus); elsewhere the scan tells."""
    if platform.system() == "Linux":
        return linux_adapter_check() or Check("adapter", PASS, ", ".join(
            sorted(os.path.basename(p) for p in glob.glob("/sys/class/bluetooth/hci*"))) + " present, not blocked")
    return None
