"""Write the protocol's JSON test vectors (data packets, control commands, config read-back).

The vectors are part of the specification (SPEC.md): the C codec and the Python codec are both
checked against them, so neither can drift from the spec or from each other. They are generated
rather than typed by hand so that every hex string is consistent with its decoded values; the
packing below is deliberately plain ``struct`` code that follows SPEC.md line by line, and each
case says in words what it pins down.

    python firmware-protocol/vectors/generate.py           # rewrite the JSON files
    python firmware-protocol/vectors/generate.py --check   # exit 1 if the committed files are stale
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VERSION = 1
ACC_FULL_SCALE_G = (2, 4, 8, 16)
GYR_FULL_SCALE_DPS = (125, 250, 500, 1000, 2000)
FLAG_GYRO, FLAG_BATTERY_LOW, FLAG_CLIPPED = 0x01, 0x02, 0x04
OPCODES = {
    "start": (0x01, ""),
    "stop": (0x02, ""),
    "set_rate": (0x03, "H"),
    "set_ranges": (0x04, "BB"),
    "set_samples_per_packet": (0x05, "B"),
    "time_sync": (0x06, "Q"),
    "identify": (0x07, "BH"),
}
PARAM_NAMES = {
    "start": (),
    "stop": (),
    "set_rate": ("rate_hz",),
    "set_ranges": ("acc_range_code", "gyr_range_code"),
    "set_samples_per_packet": ("samples_per_packet",),
    "time_sync": ("host_unix_us",),
    "identify": ("pattern", "duration_ms"),
}
ERR_UNKNOWN_OPCODE, ERR_INVALID_PARAMETER, ERR_NOT_ALLOWED_WHILE_STREAMING = 0x80, 0x81, 0x82


# -- data packets ------------------------------------------------------------------------------


def lcg_values(seed: int, count: int, spread: int) -> list[int]:
    """Deterministic int16-ish values (a fixed LCG, so vectors never change with Python's random)."""
    out, state = [], seed
    for _ in range(count):
        state = (1103515245 * state + 12345) % 2**31
        out.append(state % (2 * spread + 1) - spread)
    return out


def posture_samples(seed: int, n: int, acc_code: int, with_gyro: bool) -> list[list[int]]:
    """Samples that look like a sensor on the lower back: about 1 g on one axis, small rotations."""
    one_g = 32768 // ACC_FULL_SCALE_G[acc_code]
    noise = lcg_values(seed, n * 6, 900)
    rows = []
    for k in range(n):
        acc = [noise[6 * k] // 4, one_g + noise[6 * k + 1] // 4, noise[6 * k + 2] // 2]
        rows.append(acc + noise[6 * k + 3 : 6 * k + 6] if with_gyro else acc)
    return rows


def data_case(
    name: str,
    description: str,
    rows: list[list[int]],
    counter: int,
    acc_code: int,
    gyr_code: int,
    battery_low: bool = False,
    clipped: bool = False,
) -> dict[str, Any]:
    """A valid packet: bytes from the fields, and the fields decoded to raw counts and to units."""
    with_gyro = len(rows[0]) == 6
    at_full_scale = any(v in (-32768, 32767) for row in rows for v in row)
    assert clipped == at_full_scale, f"{name}: CLIPPED must be set exactly when a value is at full scale"
    flags = (FLAG_GYRO if with_gyro else 0) | (FLAG_BATTERY_LOW if battery_low else 0)
    flags |= FLAG_CLIPPED if clipped else 0
    payload = struct.pack("<BBBBI", VERSION, flags, len(rows), acc_code | gyr_code << 2, counter)
    for row in rows:
        payload += struct.pack(f"<{len(row)}h", *row)
    acc_fs, gyr_fs = ACC_FULL_SCALE_G[acc_code], GYR_FULL_SCALE_DPS[gyr_code]
    return {
        "name": name,
        "description": description,
        "hex": payload.hex(),
        "decoded": {
            "version": VERSION,
            "gyro": with_gyro,
            "battery_low": battery_low,
            "clipped": clipped,
            "n": len(rows),
            "acc_range_code": acc_code,
            "gyr_range_code": gyr_code,
            "acc_full_scale_g": acc_fs,
            "gyr_full_scale_dps": gyr_fs,
            "counter": counter,
            "sample_counters": [(counter + k) % 2**32 for k in range(len(rows))],
            "acc_raw": [row[:3] for row in rows],
            "gyr_raw": [row[3:] for row in rows] if with_gyro else None,
            "acc_g": [[v * acc_fs / 32768 for v in row[:3]] for row in rows],
            "gyr_dps": [[v * gyr_fs / 32768 for v in row[3:]] for row in rows] if with_gyro else None,
        },
    }


def bad_case(name: str, description: str, payload: bytes, error: str) -> dict[str, Any]:
    return {"name": name, "description": description, "hex": payload.hex(), "error": error}


def data_vectors() -> list[dict[str, Any]]:
    worked = data_case(
        "one_sample_worked_example", "SPEC.md 2.1: one sample with gyro, 20 bytes (fits MTU 23)",
        [[0, 0, 16384, 0, 0, 0]], counter=10, acc_code=1, gyr_code=2,
    )
    full = data_case(
        "nineteen_samples_gyro", "19 samples with gyro, 236 bytes: the MTU 247 packet",
        posture_samples(1, 19, 3, True), counter=123456, acc_code=3, gyr_code=4,
    )
    cases = [worked, full]
    cases.append(data_case(
        "no_gyro_two_samples", "accelerometer only: 2 samples = 20 bytes (MTU 23)",
        posture_samples(2, 2, 2, False), counter=7, acc_code=2, gyr_code=0,
    ))
    cases.append(data_case(
        "no_gyro_nineteen_samples", "accelerometer only, 19 samples = 122 bytes",
        posture_samples(3, 19, 1, False), counter=4096, acc_code=1, gyr_code=3,
    ))
    extremes = [[32767, -32768, 1, 32767, -32768, -1], [-1, 0, 16384, 1, 0, -16384]]
    for acc_code in range(4):
        for gyr_code in range(5):
            cases.append(data_case(
                f"range_acc{acc_code}_gyr{gyr_code}",
                f"range codes acc {acc_code} (+-{ACC_FULL_SCALE_G[acc_code]} g), gyro {gyr_code} "
                f"(+-{GYR_FULL_SCALE_DPS[gyr_code]} deg/s); extreme raw values, clipped set",
                extremes, counter=1000 + 10 * acc_code + gyr_code, acc_code=acc_code, gyr_code=gyr_code,
                clipped=True,
            ))
    cases.append(data_case(
        "counter_wrap", "first counter 2^32 - 2: samples 4294967294, 4294967295, 0, 1",
        posture_samples(4, 4, 2, True), counter=2**32 - 2, acc_code=2, gyr_code=2,
    ))
    cases.append(data_case(
        "counter_max", "counter 2^32 - 1 with one sample",
        posture_samples(5, 1, 2, True), counter=2**32 - 1, acc_code=2, gyr_code=2,
    ))
    cases.append(data_case(
        "clipped_flag", "a value at full scale (+32767 on ay during a knock): CLIPPED set",
        [[120, 32767, -500, 10, -20, 30], [100, 16000, -480, 12, -18, 28]],
        counter=55, acc_code=0, gyr_code=1, clipped=True,
    ))
    cases.append(data_case(
        "battery_low_flag", "BATTERY_LOW set, otherwise an ordinary 3-sample packet",
        posture_samples(6, 3, 1, True), counter=99999, acc_code=1, gyr_code=2, battery_low=True,
    ))
    cases.append(data_case(
        "all_flags_no_gyro", "BATTERY_LOW and CLIPPED without gyro",
        [[-32768, 8192, 0]], counter=3, acc_code=1, gyr_code=2, battery_low=True, clipped=True,
    ))
    cases += malformed_data(bytes.fromhex(worked["hex"]), bytes.fromhex(full["hex"]))
    return cases


def malformed_data(worked: bytes, full: bytes) -> list[dict[str, Any]]:
    """Each is one fault applied to a valid packet (SPEC.md section 2 lists the check order)."""

    def with_byte(payload: bytes, index: int, value: int) -> bytes:
        return payload[:index] + bytes([value]) + payload[index + 1 :]

    no_gyro = with_byte(worked, 1, 0x00)[:14]  # acc-only, n = 1: 8 + 6 bytes
    return [
        bad_case("empty", "no bytes at all", b"", "short"),
        bad_case("short_header", "7 bytes: header cut short", worked[:7], "short"),
        bad_case("header_only", "8-byte header saying n = 1 but no sample", worked[:8], "length"),
        bad_case("version_0", "version byte 0", with_byte(worked, 0, 0), "version"),
        bad_case("version_2", "version byte 2 (a future protocol)", with_byte(worked, 0, 2), "version"),
        bad_case("n_zero", "n = 0 with an 8-byte packet", with_byte(worked[:8], 2, 0), "count"),
        bad_case("n_twenty", "n = 20 with a matching 248-byte length", with_byte(full, 2, 20) + full[8:20], "count"),
        bad_case("length_one_short", "a 19-sample packet missing its last byte", full[:-1], "length"),
        bad_case("length_one_extra", "a 1-sample packet with a trailing byte", worked + b"\x00", "length"),
        bad_case("gyro_flag_acc_length", "GYRO set but samples of 6 bytes", with_byte(no_gyro, 1, FLAG_GYRO), "length"),
        bad_case("no_gyro_gyro_length", "GYRO clear but samples of 12 bytes", with_byte(worked, 1, 0x00), "length"),
        bad_case("flag_bit3", "reserved flag bit 3 set", with_byte(worked, 1, 0x09), "reserved"),
        bad_case("flag_bit7", "reserved flag bit 7 set", with_byte(worked, 1, 0x81), "reserved"),
        bad_case("range_bit5", "reserved range bit 5 set", with_byte(worked, 3, 0x29), "reserved"),
        bad_case("range_bit7", "reserved range bit 7 set", with_byte(worked, 3, 0x89), "reserved"),
        bad_case("gyro_code_5", "gyro range code 5 is undefined", with_byte(worked, 3, 0x15), "range"),
        bad_case("gyro_code_7", "gyro range code 7 is undefined", with_byte(worked, 3, 0x1D), "range"),
        bad_case("gyro_code_5_no_gyro", "gyro code 5 is malformed without gyro too", with_byte(no_gyro, 3, 0x15), "range"),
    ]


# -- control commands --------------------------------------------------------------------------


def command_case(
    name: str, description: str, command: str, args: tuple[int, ...], streaming: bool = False,
    att_error: int | None = None,
) -> dict[str, Any]:
    """A well-formed write; ``att_error`` is None when accepted, 0x82 when the state forbids it."""
    opcode, fmt = OPCODES[command]
    payload = bytes([opcode]) + struct.pack("<" + fmt, *args)
    return {
        "name": name,
        "description": description,
        "hex": payload.hex(),
        "streaming": streaming,
        "att_error": att_error,
        "command": {
            "name": command,
            "opcode": opcode,
            "args": list(args),
            "params": dict(zip(PARAM_NAMES[command], args)),
        },
    }


def rejected_command(name: str, description: str, payload: bytes, att_error: int, streaming: bool = False) -> dict[str, Any]:
    return {
        "name": name, "description": description, "hex": payload.hex(), "streaming": streaming,
        "att_error": att_error, "command": None,
    }


def control_vectors() -> list[dict[str, Any]]:
    ok = [
        command_case("start", "start streaming", "start", ()),
        command_case("start_while_streaming", "start again: accepted, changes nothing", "start", (), streaming=True),
        command_case("stop", "stop streaming", "stop", (), streaming=True),
        command_case("stop_while_stopped", "stop when stopped: accepted", "stop", ()),
        command_case("set_rate_100", "100 Hz", "set_rate", (100,)),
        command_case("set_rate_min", "10 Hz, the lowest", "set_rate", (10,)),
        command_case("set_rate_max", "400 Hz, the highest", "set_rate", (400,)),
        command_case("set_ranges_8g_1000dps", "acc code 2, gyro code 3", "set_ranges", (2, 3)),
        command_case("set_ranges_lowest", "acc code 0, gyro code 0", "set_ranges", (0, 0)),
        command_case("set_ranges_highest", "acc code 3, gyro code 4", "set_ranges", (3, 4)),
        command_case("set_spp_1", "1 sample per packet (MTU 23)", "set_samples_per_packet", (1,)),
        command_case("set_spp_19", "19 samples per packet (MTU 247)", "set_samples_per_packet", (19,)),
        command_case("time_sync", "host time 2025-11-27T13:26:40.123456Z", "time_sync", (1764250000123456,)),
        command_case("time_sync_streaming", "time sync is allowed while streaming", "time_sync",
                     (1764250060000000,), streaming=True),
        command_case("time_sync_max", "the largest u64", "time_sync", (2**64 - 1,)),
        command_case("identify_short", "short pulses for 200 ms", "identify", (1, 200)),
        command_case("identify_cancel", "duration 0 cancels", "identify", (0, 0)),
        command_case("identify_longest", "double pulses for 10 s, the longest", "identify", (3, 10000), streaming=True),
    ]
    state = [
        command_case("set_rate_while_streaming", "rate change while streaming", "set_rate", (50,),
                     streaming=True, att_error=ERR_NOT_ALLOWED_WHILE_STREAMING),
        command_case("set_ranges_while_streaming", "range change while streaming", "set_ranges", (1, 2),
                     streaming=True, att_error=ERR_NOT_ALLOWED_WHILE_STREAMING),
        command_case("set_spp_while_streaming", "packet size change while streaming", "set_samples_per_packet",
                     (10,), streaming=True, att_error=ERR_NOT_ALLOWED_WHILE_STREAMING),
    ]
    bad = [
        rejected_command("empty", "an empty write has no opcode", b"", ERR_UNKNOWN_OPCODE),
        rejected_command("opcode_00", "opcode 0x00 is not defined", b"\x00", ERR_UNKNOWN_OPCODE),
        rejected_command("opcode_08", "opcode 0x08 is not defined in v1", b"\x08\x01", ERR_UNKNOWN_OPCODE),
        rejected_command("opcode_ff", "opcode 0xff", b"\xff", ERR_UNKNOWN_OPCODE, streaming=True),
        rejected_command("start_extra_byte", "start takes no parameter", b"\x01\x00", ERR_INVALID_PARAMETER),
        rejected_command("set_rate_one_byte", "rate is a u16: one byte is too short", b"\x03\x64", ERR_INVALID_PARAMETER),
        rejected_command("set_rate_9", "9 Hz is below 10", b"\x03\x09\x00", ERR_INVALID_PARAMETER),
        rejected_command("set_rate_401", "401 Hz is above 400", b"\x03\x91\x01", ERR_INVALID_PARAMETER),
        rejected_command("set_rate_0", "0 Hz", b"\x03\x00\x00", ERR_INVALID_PARAMETER),
        rejected_command("set_rate_bad_while_streaming", "parameters are checked before state",
                         b"\x03\x00\x00", ERR_INVALID_PARAMETER, streaming=True),
        rejected_command("set_ranges_acc_4", "accelerometer code 4 is undefined", b"\x04\x04\x00", ERR_INVALID_PARAMETER),
        rejected_command("set_ranges_gyr_5", "gyroscope code 5 is undefined", b"\x04\x00\x05", ERR_INVALID_PARAMETER),
        rejected_command("set_ranges_one_byte", "ranges need two bytes", b"\x04\x01", ERR_INVALID_PARAMETER),
        rejected_command("set_spp_0", "0 samples per packet", b"\x05\x00", ERR_INVALID_PARAMETER),
        rejected_command("set_spp_20", "20 samples per packet is above 19", b"\x05\x14", ERR_INVALID_PARAMETER),
        rejected_command("time_sync_short", "time sync with 7 bytes", bytes.fromhex("06" + "00" * 6 + "01"), ERR_INVALID_PARAMETER),
        rejected_command("time_sync_zero", "host time 0 is reserved for 'no sync record'",
                         bytes.fromhex("06" + "00" * 8), ERR_INVALID_PARAMETER),
        rejected_command("identify_pattern_4", "identify pattern 4 is undefined", b"\x07\x04\xc8\x00", ERR_INVALID_PARAMETER),
        rejected_command("identify_duration_10001", "identify longer than 10 s", b"\x07\x01\x11\x27", ERR_INVALID_PARAMETER),
        rejected_command("identify_short", "identify without its duration", b"\x07\x01", ERR_INVALID_PARAMETER),
    ]
    return ok + state + bad


# -- configuration read-back -------------------------------------------------------------------

CONFIG_FIELDS = (
    "version", "streaming", "gyro", "battery_low", "rate_hz", "acc_range_code", "gyr_range_code",
    "samples_per_packet", "sync_counter", "sync_host_unix_us", "battery_low_pct", "imu_chip",
)


def pack_config(c: dict[str, Any]) -> bytes:
    status = int(c["streaming"]) | int(c["gyro"]) << 1 | int(c["battery_low"]) << 2
    return struct.pack(
        "<BBHBBIQBB", c["version"], status, c["rate_hz"], c["acc_range_code"] | c["gyr_range_code"] << 2,
        c["samples_per_packet"], c["sync_counter"], c["sync_host_unix_us"], c["battery_low_pct"], c["imu_chip"],
    )


def config_case(name: str, description: str, **fields: Any) -> dict[str, Any]:
    config = {
        "version": VERSION, "streaming": False, "gyro": True, "battery_low": False, "rate_hz": 100,
        "acc_range_code": 3, "gyr_range_code": 4, "samples_per_packet": 19, "sync_counter": 0,
        "sync_host_unix_us": 0, "battery_low_pct": 15, "imu_chip": 1,
    }
    config.update(fields)
    return {"name": name, "description": description, "hex": pack_config(config).hex(),
            "decoded": {key: config[key] for key in CONFIG_FIELDS}}


def config_vectors() -> list[dict[str, Any]]:
    example = config_case(
        "spec_example", "SPEC.md section 4: streaming, synced at counter 2000", streaming=True,
        acc_range_code=2, gyr_range_code=3, sync_counter=2000, sync_host_unix_us=10_000_000_000,
    )
    good = [
        config_case("power_on_defaults", "stopped, never synced, defaults of SPEC.md 3.2"),
        example,
        config_case("no_gyro_battery_low", "accelerometer-only board, battery low, MPU-6050 chip code",
                    gyro=False, battery_low=True, gyr_range_code=0, acc_range_code=1, imu_chip=3,
                    battery_low_pct=20, samples_per_packet=1, rate_hz=50),
        config_case("extremes", "largest values everywhere", streaming=True, rate_hz=400,
                    sync_counter=2**32 - 1, sync_host_unix_us=2**64 - 1, battery_low_pct=100,
                    acc_range_code=0, gyr_range_code=0, samples_per_packet=1, imu_chip=255),
        config_case("lowest_rate", "10 Hz, threshold 0 (never low)", rate_hz=10, battery_low_pct=0, imu_chip=0),
    ]
    raw = bytes.fromhex(example["hex"])

    def with_byte(index: int, value: int) -> bytes:
        return raw[:index] + bytes([value]) + raw[index + 1 :]

    bad = [
        bad_case("empty", "no bytes", b"", "length"),
        bad_case("old_18_byte_layout", "the 18-byte draft layout without threshold and chip", raw[:18], "length"),
        bad_case("one_extra_byte", "21 bytes", raw + b"\x00", "length"),
        bad_case("version_2", "a future protocol version", with_byte(0, 2), "version"),
        bad_case("status_bit3", "reserved status bit 3", with_byte(1, 0x0B), "reserved"),
        bad_case("status_bit7", "reserved status bit 7", with_byte(1, 0x83), "reserved"),
        bad_case("ranges_bit5", "reserved range bit 5", with_byte(4, 0x2E), "reserved"),
        bad_case("gyro_code_5", "gyro code 5", with_byte(4, 0x16), "range"),
        bad_case("rate_9", "rate 9 Hz", raw[:2] + struct.pack("<H", 9) + raw[4:], "range"),
        bad_case("rate_401", "rate 401 Hz", raw[:2] + struct.pack("<H", 401) + raw[4:], "range"),
        bad_case("spp_0", "0 samples per packet", with_byte(5, 0), "range"),
        bad_case("spp_20", "20 samples per packet", with_byte(5, 20), "range"),
        bad_case("threshold_101", "battery threshold 101 %", with_byte(18, 101), "range"),
    ]
    return good + bad


# -- files -------------------------------------------------------------------------------------

FILES = {
    "data_packets.json": ("Data notifications (SPEC.md section 2)", data_vectors),
    "control_commands.json": ("Control writes and the ATT error a device answers (SPEC.md section 3)", control_vectors),
    "config.json": ("Config characteristic read-back, 20 bytes (SPEC.md section 4)", config_vectors),
}


def render(title: str, build: Any) -> str:
    document = {"protocol_version": VERSION, "title": title, "generated_by": "vectors/generate.py",
                "vectors": build()}
    text = json.dumps(document, indent=1)
    # One line per innermost list of numbers (a sample row), so a vector reads like the packet.
    return re.sub(r"\[\s+([-0-9.e, \n]+?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]", text) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the committed JSON differs")
    args = parser.parse_args(argv)
    stale = []
    for filename, (title, build) in FILES.items():
        text, path = render(title, build), HERE / filename
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(filename)
        else:
            path.write_text(text)
    if stale:
        print(f"stale vectors (run vectors/generate.py): {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
