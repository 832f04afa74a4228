"""`sensorkit doctor`: every emulated kind passes; each misbehaviour a first real sensor may show fails the
right check, with the fix; a computer without Bluetooth is told what is missing, without a traceback.

The emulated runs stream 10 s of device time at 20x on the emulated world's clock, so a busy machine
only makes them slower, never different.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bleak.exc import BleakBluetoothNotAvailableError, BleakBluetoothNotAvailableReason, BleakError

from sensorkit.ble import doctor as dr
from sensorkit.cli.main import main
from sensorkit.emulator.faults import Faults
from sensorkit.emulator.registry import kinds
from sensorkit.errors import SettingsError

CHECKS = ["bluetooth stack", "adapter", "scan", "connect", "identity", "firmware", "mtu", "configure", "battery",
          "stream"]


def doctor(capsys, *args: str) -> tuple[int, dict[str, tuple[str, str]], str]:
    """Exit status, {check: (status, detail + fix)}, and everything printed."""
    code = main(["doctor", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and err == ""
    lines: dict[str, tuple[str, str]] = {}
    current = None
    for line in out.splitlines():
        m = re.match(r"  (PASS|FAIL|INFO|SKIP)  (.{16})(.*)", line)
        if m:
            current = m.group(2).strip()
            lines[current] = (m.group(1), m.group(3))
        elif current and line.startswith("        "):
            status, text = lines[current]
            lines[current] = (status, text + " " + line.strip())
    return code, lines, out


@pytest.mark.parametrize("kind", kinds())
def test_every_emulated_kind_passes_every_check(kind: str, capsys) -> None:
    code, checks, out = doctor(capsys, "--emulate", kind, "--speed", "20")
    assert code == 0, out
    assert list(checks) == CHECKS
    assert all(status in ("PASS", "INFO") for status, _ in checks.values()), out
    assert checks["mtu"] == ("PASS", "MTU 247 (notifications of up to 244 bytes)")
    stream = checks["stream"][1]
    got, rate = re.search(r"\(([\d.]+) Hz of ([\d.]+) Hz", stream).groups()
    assert float(got) >= 0.9 * float(rate)
    if kind == "microbit":  # a micro:bit has no Battery service
        assert checks["battery"][0] == "INFO"
    else:
        assert checks["battery"] == ("PASS", "battery 100 %")


# misbehaviour, the check that must fail, words of its detail, words of its fix (Linux: this machine)
MISBEHAVIOURS = {
    "silent=1": ("stream", "no notification arrived", "power-cycle the sensor"),
    "bad_firmware=1": ("firmware", "is not a revision string", "update the sensor's firmware:"),
    "mtu=23": ("mtu", "MTU 23", "BlueZ negotiates the MTU"),
    "low_battery=0": ("battery", "battery 8 %", "charge the sensor"),
}
# each misbehaviour on two kinds, every kind at least once (a micro:bit reports no battery level)
CASES = [("silent=1", "sensorkit"), ("silent=1", "witmotion"), ("bad_firmware=1", "polar"),
         ("bad_firmware=1", "microbit"), ("mtu=23", "metamotion"), ("mtu=23", "thingy52"),
         ("low_battery=0", "thingy52"), ("low_battery=0", "sensorkit")]


@pytest.mark.parametrize("fault,kind", CASES, ids=[f"{k}-{f}" for f, k in CASES])
def test_each_misbehaviour_fails_its_check_clearly_with_the_fix(fault, kind, capsys, monkeypatch) -> None:
    monkeypatch.setattr(dr.platform, "system", lambda: "Linux")
    check, what, fix = MISBEHAVIOURS[fault]
    code, checks, out = doctor(capsys, "--emulate", kind, "--fault", fault, "--speed", "20")
    assert code == 1
    failed = {name for name, (status, _) in checks.items() if status == "FAIL"}
    assert failed == {check}, out
    assert what in checks[check][1] and f"fix: {fix}" in checks[check][1]
    assert f"doctor: 1 check failed ({check}); the fixes are above" in out


@pytest.mark.parametrize("kind,check,words", [
    ("movesense", "stream", "notifications are cut at the MTU's 20 bytes"),
    ("polar", "configure", "at MTU 23 its replies are cut at 20 bytes"),
])
def test_mtu_23_breaks_long_packets_and_doctor_names_the_mtu_as_the_cause(kind, check, words, capsys, monkeypatch) -> None:
    """GSP splits values only beyond 150 bytes and a Polar's settings reply is longer than 20 bytes,
    so at MTU 23 they are cut (the virtual radio truncates as a real stack does): the check that
    meets it fails too, and its fix is the MTU's."""
    monkeypatch.setattr(dr.platform, "system", lambda: "Linux")
    code, checks, out = doctor(capsys, "--emulate", kind, "--fault", "mtu=23", "--speed", "20")
    assert code == 1
    assert {name for name, (status, _) in checks.items() if status == "FAIL"} == {"mtu", check}
    assert words in checks[check][1] and "fix: BlueZ negotiates the MTU" in checks[check][1]


def test_a_computer_without_bluetooth_is_told_what_is_missing(capsys, monkeypatch, tmp_path: Path) -> None:
    """This machine's situation (no adapter, no D-Bus), made deterministic on one that has Bluetooth."""
    monkeypatch.setattr(dr.platform, "system", lambda: "Linux")
    monkeypatch.setattr(dr, "real_adapter_check", lambda: dr.linux_adapter_check(str(tmp_path)))
    code, checks, out = doctor(capsys)
    assert code == 1
    assert checks["adapter"][0] == "FAIL" and "no Bluetooth adapter" in checks["adapter"][1]
    assert "fix: plug in a Bluetooth 4.0+" in checks["adapter"][1]
    assert [s for s, _ in checks.values()] == ["PASS", "FAIL"] + ["SKIP"] * 8


def fake_sysfs(root: Path, *, adapter: bool = True, blocked: bool = False, dbus: bool = True) -> str:
    if adapter:
        (root / "sys/class/bluetooth/hci0").mkdir(parents=True)
    rfkill = root / "sys/class/rfkill/rfkill0"
    rfkill.mkdir(parents=True)
    (rfkill / "type").write_text("bluetooth\n")
    (rfkill / "soft").write_text("1\n" if blocked else "0\n")
    (rfkill / "hard").write_text("0\n")
    if dbus:
        (root / "run/dbus").mkdir(parents=True)
        (root / "run/dbus/system_bus_socket").write_text("")
    return str(root)


def test_linux_adapter_problems_are_told_apart(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("DBUS_SYSTEM_BUS_ADDRESS", raising=False)
    assert dr.linux_adapter_check(fake_sysfs(tmp_path / "ok")) is None
    blocked = dr.linux_adapter_check(fake_sysfs(tmp_path / "b", blocked=True))
    assert blocked.status == "FAIL" and "rfkill" in blocked.detail and "rfkill unblock bluetooth" in blocked.fix
    no_bus = dr.linux_adapter_check(fake_sysfs(tmp_path / "d", dbus=False))
    assert "no D-Bus system bus" in no_bus.detail and "systemctl enable --now bluetooth" in no_bus.fix
    none = dr.linux_adapter_check(fake_sysfs(tmp_path / "n", adapter=False))
    assert "no Bluetooth adapter" in none.detail


@pytest.mark.parametrize("system,reason,words", [
    ("Darwin", BleakBluetoothNotAvailableReason.DENIED_BY_USER, "Privacy & Security > Bluetooth"),
    ("Darwin", BleakBluetoothNotAvailableReason.POWERED_OFF, "Control Centre"),
    ("Windows", BleakBluetoothNotAvailableReason.POWERED_OFF, "Settings > Bluetooth & devices"),
    ("Windows", BleakBluetoothNotAvailableReason.NO_BLUETOOTH, "Device Manager"),
    ("Linux", BleakBluetoothNotAvailableReason.POWERED_OFF, "bluetoothctl power on"),
])
def test_bleak_unavailable_reasons_get_this_systems_fix(system, reason, words) -> None:
    check = dr.explain_unavailable(BleakBluetoothNotAvailableError("x", reason), system)
    assert check.status == "FAIL" and words in check.fix


def test_stack_errors_without_a_reason_are_classified_by_their_words() -> None:
    denied = dr.explain_unavailable(BleakError("[org.freedesktop.DBus.Error.AccessDenied] Rejected"), "Linux")
    assert "not allowed" in denied.detail and "bluetooth` group" in denied.fix
    no_bus = dr.explain_unavailable(FileNotFoundError(2, "No such file or directory"), "Linux")
    assert "does not answer" in no_bus.detail and "systemctl" in no_bus.fix


def test_misbehaviour_switches_are_validated() -> None:
    assert Faults.parse("silent=1,bad_firmware=1,mtu=23,low_battery=0") == Faults(
        silent=1, bad_firmware=1, mtu=23, low_battery=0)
    for spec in ("silent=2", "mtu=22", "mtu=100.5", "bad_firmware=0.5"):
        with pytest.raises(SettingsError):
            Faults.parse(spec)


def test_fault_options_are_refused_for_a_real_sensor(capsys) -> None:
    assert main(["doctor", "--device", "X", "--fault", "silent=1"]) == 1
    assert "only apply to --emulate" in capsys.readouterr().err


def test_plain_doctor_needs_no_emulation_extra(tmp_path: Path) -> None:
    """A user's install without Bumble: the real checks run, and never load it."""
    import subprocess
    import sys

    code = ("import sys\nsys.modules['bumble'] = None\nfrom sensorkit.ble import doctor as dr\n"
            "dr.real_adapter_check = lambda: dr.linux_adapter_check(sys.argv[1])\n"
            "from sensorkit.cli.main import main\nstatus = main(['doctor'])\n"
            "assert 'bumble' not in [m.split('.')[0] for m in sys.modules if sys.modules[m]]\nsys.exit(status)")
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and run.stderr == ""
    assert "FAIL  adapter" in run.stdout and "doctor: 1 check failed (adapter)" in run.stdout


def test_an_unknown_kind_is_one_sentence(capsys) -> None:
    assert main(["doctor", "--emulate", "fitbit"]) == 1
    assert capsys.readouterr().err.startswith("sensorkit: error: no emulator for device kind 'fitbit'")
