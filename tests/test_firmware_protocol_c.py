"""The portable C codec (firmware-protocol/c) against every protocol test vector, compiled here.

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

import pytest

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
