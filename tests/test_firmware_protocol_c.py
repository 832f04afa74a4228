"""The portable C codec (firmware-protocol/c) against every protocol test vector, compiled here,
and against the Python codec on thousands of damaged messages.

gcc builds it with the strict flags a firmware build would use; the test program checks decode and
encode both ways for each vector and prints how many it checked, which must equal the vector count,
so a vector the converter silently dropped cannot pass unnoticed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sensorkit.devices import sensorkit_imu as codec
from sensorkit.errors import DecodeError

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "firmware-protocol"
C_DIR = PROTOCOL / "c"
CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]


def vector_count() -> int:
    return sum(
        len(json.loads(path.read_text())["vectors"])
        for path in (PROTOCOL / "vectors").glob("*.json")
    )


@pytest.fixture(scope="module")
def test_program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The C test program, built once with the strict flags a firmware build would use."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler (gcc or cc) on this machine: the C codec cannot be built here")
    binary = tmp_path_factory.mktemp("c") / "test_vectors"
    build = subprocess.run(
        [compiler, *CFLAGS, str(C_DIR / "sensorkit_protocol.c"), str(C_DIR / "test_vectors.c"), "-o", str(binary)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stderr
    return binary


def vectors_text(path: Path) -> Path:
    subprocess.run([sys.executable, str(C_DIR / "vectors_to_text.py"), str(path)], check=True)
    return path


def test_c_codec_passes_every_vector(test_program: Path, tmp_path: Path) -> None:
    run = subprocess.run(
        [str(test_program), str(vectors_text(tmp_path / "v.txt"))], capture_output=True, text=True, timeout=30
    )
    assert run.returncode == 0, run.stdout + run.stderr
    summary = re.search(r"checked (\d+) vectors, (\d+) failed", run.stdout)
    assert summary is not None, run.stdout
    assert (int(summary[1]), int(summary[2])) == (vector_count(), 0)


def test_c_codec_passes_every_vector_on_a_big_endian_cpu(tmp_path: Path) -> None:
    """The byte-by-byte little-endian claim, checked on s390x (big-endian) under qemu-user."""
    compiler, emulator = shutil.which("s390x-linux-gnu-gcc"), shutil.which("qemu-s390x")
    if compiler is None or emulator is None:
        pytest.skip("no big-endian cross toolchain (apt-get install gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user)")
    binary = tmp_path / "test_vectors_s390x"
    build = subprocess.run(
        [compiler, *CFLAGS, "-static", str(C_DIR / "sensorkit_protocol.c"), str(C_DIR / "test_vectors.c"),
         "-o", str(binary)],
        capture_output=True, text=True,
    )
    assert build.returncode == 0, build.stderr
    run = subprocess.run(
        [emulator, str(binary), str(vectors_text(tmp_path / "v.txt"))], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"checked {vector_count()} vectors, 0 failed" in run.stdout


def test_c_test_program_reports_a_wrong_vector(test_program: Path, tmp_path: Path) -> None:
    """The checker can fail: one flipped byte in one vector is reported, by name."""
    text = vectors_text(tmp_path / "v.txt")
    lines = text.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("D one_sample_worked_example "))
    lines[index] = lines[index].replace(" 010101090a", " 010101090b", 1)
    text.write_text("\n".join(lines) + "\n")
    run = subprocess.run([str(test_program), str(text)], capture_output=True, text=True, timeout=30)
    assert run.returncode == 1
    assert "FAIL D one_sample_worked_example" in run.stdout


# -- differential: C and Python read the same arbitrary bytes identically ------------------------


def mutated_cases(rng: np.random.Generator, bases: list[bytes], count: int, header: int) -> list[bytes]:
    """Valid messages damaged the ways radios and buggy firmware damage them, plus pure noise."""
    cases = []
    for _ in range(count):
        data = bytearray(bases[rng.integers(len(bases))])
        how = rng.integers(6)
        if how == 0 and data:
            data[rng.integers(len(data))] = rng.integers(256)
        elif how == 1 and data:
            data[rng.integers(min(header, len(data)))] ^= 1 << rng.integers(8)
        elif how == 2:
            data = data[: rng.integers(len(data) + 1)]
        elif how == 3:
            data += rng.integers(0, 256, rng.integers(1, 13)).astype(np.uint8).tobytes()
        elif how == 4:
            data = bytearray(rng.integers(0, 256, rng.integers(0, 41)).astype(np.uint8).tobytes())
        cases.append(bytes(data))
    return cases


def python_reading(kind: str, payload: bytes) -> str:
    """What the Python codec makes of the bytes, in the C program's output format."""
    try:
        if kind == "XD":
            p = codec.unpack_data(payload)
            flags = (p.gyr is not None) | p.battery_low << 1 | p.clipped << 2
            rows = p.acc if p.gyr is None else np.hstack([p.acc, p.gyr])
            fields = [flags, len(p), p.acc_code, p.gyr_code, p.counter, *rows.ravel().tolist()]
            return "XD ok " + " ".join(map(str, fields))
        if kind == "XC":
            c = codec.parse_command(payload)
            named = dict(zip(COMMAND_FIELDS[c.opcode], c.params))
            order = ("rate_hz", "acc", "gyr", "spp", "host_us", "pattern", "duration")
            return "XC 0 " + " ".join(str(v) for v in [c.opcode, *(named.get(k, 0) for k in order)])
        g = codec.DeviceConfig.unpack(payload)
        status = g.streaming | g.has_gyro << 1 | g.battery_low << 2
        fields = [g.version, status, g.rate_hz, g.acc_code, g.gyr_code, g.samples_per_packet, g.sync_counter,
                  g.sync_host_us, g.battery_low_pct, g.imu_chip]
        return "XG ok " + " ".join(map(str, fields))
    except DecodeError as error:
        return f"XC {error.att_error}" if kind == "XC" else f"{kind} rejected"  # type: ignore[attr-defined]


COMMAND_FIELDS = {1: (), 2: (), 3: ("rate_hz",), 4: ("acc", "gyr"), 5: ("spp",), 6: ("host_us",), 7: ("pattern", "duration")}


def test_c_and_python_agree_on_damaged_bytes(test_program: Path, tmp_path: Path) -> None:
    """6000 mutated or random messages: both codecs accept the same ones with the same values."""
    rng = np.random.default_rng(20261127)
    bases = {
        name: [bytes.fromhex(v["hex"]) for v in json.loads((PROTOCOL / "vectors" / name).read_text())["vectors"]]
        for name in ("data_packets.json", "control_commands.json", "config.json")
    }
    cases = (
        [("XD", b) for b in mutated_cases(rng, bases["data_packets.json"], 3000, 8)]
        + [("XC", b) for b in mutated_cases(rng, bases["control_commands.json"], 1500, 9)]
        + [("XG", b) for b in mutated_cases(rng, bases["config.json"], 1500, 20)]
    )
    text = tmp_path / "damaged.txt"
    text.write_text("".join(f"{kind} case{i} {payload.hex() or '-'}\n" for i, (kind, payload) in enumerate(cases)))
    run = subprocess.run([str(test_program), str(text)], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    c_lines = run.stdout.splitlines()[: len(cases)]
    disagreements = []
    for (kind, payload), c_line in zip(cases, c_lines):
        c_view = c_line if c_line.startswith(("XD ok", "XG ok", "XC")) else f"{kind} rejected"
        if c_view != python_reading(kind, payload):
            disagreements.append(f"{payload.hex()}: C {c_line!r} / Python {python_reading(kind, payload)!r}")
    accepted = sum(line.startswith(("XD ok", "XG ok", "XC 0 ")) for line in c_lines)
    assert not disagreements, f"{len(disagreements)} disagreements, e.g. {disagreements[:3]}"
    assert 500 < accepted < len(cases) - 500, "the mutations should give both accepted and rejected cases"
