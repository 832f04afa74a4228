"""Turn ../vectors/*.json into the line-based form test_vectors.c reads (so C needs no JSON parser).

    python vectors_to_text.py OUT.txt

One vector per line, tokens separated by single spaces, "-" for an empty hex string:

    D name hex OK flags n acc_range gyr_range counter raw... g_or_dps...
    D name hex ERR error
    C name hex streaming att_error opcode|- args...
    G name hex OK version status rate acc_range gyr_range spp sync_counter sync_host_us threshold chip
    G name hex ERR error

``raw`` and the physical values are per sample: ax ay az [gx gy gz]. Floats are written with
Python's repr, which C's strtod reads back to the identical double.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Iterator

VECTORS = Path(__file__).resolve().parents[1] / "vectors"


def hex_token(vector: dict[str, Any]) -> str:
    return vector["hex"] or "-"


def data_lines(vectors: list[dict[str, Any]]) -> Iterator[str]:
    for v in vectors:
        head = f"D {v['name']} {hex_token(v)}"
        if "error" in v:
            yield f"{head} ERR {v['error']}"
            continue
        d = v["decoded"]
        flags = int(d["gyro"]) | int(d["battery_low"]) << 1 | int(d["clipped"]) << 2
        raw, values = [], []
        for k in range(d["n"]):
            raw += d["acc_raw"][k] + (d["gyr_raw"][k] if d["gyro"] else [])
            values += d["acc_g"][k] + (d["gyr_dps"][k] if d["gyro"] else [])
        fields = [flags, d["n"], d["acc_range_code"], d["gyr_range_code"], d["counter"], *raw]
        yield f"{head} OK " + " ".join(map(str, fields)) + " " + " ".join(repr(float(x)) for x in values)


def control_lines(vectors: list[dict[str, Any]]) -> Iterator[str]:
    for v in vectors:
        command = v["command"]
        tail = "-" if command is None else " ".join(map(str, [command["opcode"], *command["args"]]))
        yield f"C {v['name']} {hex_token(v)} {int(v['streaming'])} {v['att_error'] or 0} {tail}"


def config_lines(vectors: list[dict[str, Any]]) -> Iterator[str]:
    for v in vectors:
        head = f"G {v['name']} {hex_token(v)}"
        if "error" in v:
            yield f"{head} ERR {v['error']}"
            continue
        c = v["decoded"]
        status = int(c["streaming"]) | int(c["gyro"]) << 1 | int(c["battery_low"]) << 2
        fields = [
            c["version"], status, c["rate_hz"], c["acc_range_code"], c["gyr_range_code"],
            c["samples_per_packet"], c["sync_counter"], c["sync_host_unix_us"], c["battery_low_pct"], c["imu_chip"],
        ]
        yield f"{head} OK " + " ".join(map(str, fields))


def convert() -> str:
    def load(name: str) -> list[dict[str, Any]]:
        return json.loads((VECTORS / name).read_text())["vectors"]

    lines = [
        *data_lines(load("data_packets.json")),
        *control_lines(load("control_commands.json")),
        *config_lines(load("config.json")),
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    Path(sys.argv[1]).write_text(convert())
