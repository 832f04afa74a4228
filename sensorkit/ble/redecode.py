"""Decode a recording's raw capture again with today's profiles, compare with its stored samples, and
turn what a device sent into test vectors.

Why: the stored samples are what the decoder of the day made of the bytes. With the bytes kept
(``record --raw``, :mod:`.rawcapture`), a decoder fix can be checked against what a real device sent,
and a user's capture becomes a device vector (the format of ``tests/vectors/<kind>.json``), so the
device-vector tests hold every decoder to it from then on.

The replay is the collector's own path, not a copy of it: the profile's ``decode`` and the collector's
:class:`~.reassembly.Reassembler`, fed the tape's inputs in their original order with the original
arrival times, then the store's own lossless codec and the recording's duration cut. Unchanged
decoders therefore reproduce the stored samples bit for bit; any difference is a decoder change (or a
damaged recording), and is reported where it starts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..devices import registry
from ..devices.base import DeviceProfile
from ..errors import DecodeError, RecordingError
from ..events import Event
from ..files import make_private_dir, write_text
from ..samples import SampleBlock
from ..store import RecordingReader
from ..store.codec import decode_block, encode_block
from .rawcapture import END, LINK_LOST, NOTIFY, ORIGIN, SETTINGS, RawTape, read_capture, replay
from .reassembly import CollectorStats, Reassembler

VECTOR_PACKETS = 24  # data notifications per exported vector at most (enough to span every multi-part group)
VECTOR_SAMPLES = 60  # ... or this many samples, whichever comes first (a vector is read by people too)


@dataclass
class Redecoded:
    """Today's samples from the raw capture beside the stored ones, and how they compare."""

    kind: str
    tape: RawTape
    redecoded: SampleBlock
    stored: SampleBlock
    gaps: list[Event]
    stored_gaps: list[Event]
    corrupt: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differences


def load_tape(path: str | Path) -> tuple[RawTape, RecordingReader, SampleBlock]:
    """The raw capture, the open recording, and its stored samples (the capture refers to them)."""
    reader = RecordingReader(path)
    try:
        stored = reader.samples()
        tape = read_capture(reader, stored)
        if tape is None:
            raise RecordingError(f"{path} has no raw capture (record it with `sensorkit record --raw`)")
        return tape, reader, stored
    except BaseException:
        reader.close()
        raise


def new_profile(tape: RawTape) -> DeviceProfile:
    """The tape's profile class with the settings it was recorded with (today's code)."""
    settings = tape.header["profile"]
    cls = registry.profile_class(tape.header["kind"])
    return cls(**{k: v for k, v in settings.items() if v is not None})  # type: ignore[call-arg]


def redecode(path: str | Path) -> Redecoded:
    tape, reader, stored = load_tape(path)
    with reader:
        meta = reader.meta
        stored_gaps = reader.events("data_gap")
    profile = new_profile(tape)
    stats = CollectorStats()
    stream = Reassembler(tape.header["rate_hz"], stats, speed=tape.header["speed"])

    def on_notification(host: float, char: str, payload: bytes) -> None:
        try:
            decoded = profile.decode(char, payload)
        except DecodeError:
            stats.corrupt_packets += 1
            return
        for samples in decoded:
            stream.packet(host, samples)

    replay(tape, on_notification, stream, profile.restore_decode_settings)
    stream.finish()
    block, events, _ = stream.take()
    block = block if block is not None else SampleBlock(np.empty(0), np.empty((0, 3)), None if stored.gyr is None else np.empty((0, 3)))
    duration = tape.header.get("duration_s")
    if duration is not None:
        block = block.slice(0, int(np.searchsorted(block.t, duration, side="left")))
    if len(block):  # through the store's codec, as the live samples went
        block = SampleBlock(*decode_block(encode_block(block, meta.acc_lsb, meta.gyr_lsb), meta.acc_lsb, meta.gyr_lsb))
    gaps = [e for e in events if e.type == "data_gap"]
    if not tape.complete:
        block, gaps, stored_gaps = up_to_last_stored(block, stored, gaps, stored_gaps)
    result = Redecoded(tape.header["kind"], tape, block, stored, gaps, stored_gaps, stats.corrupt_packets)
    result.differences = compare(block, stored, gaps, stored_gaps, tape.truncated)
    return result


def up_to_last_stored(new: SampleBlock, old: SampleBlock, gaps: list[Event],
                      old_gaps: list[Event]) -> tuple[SampleBlock, list[Event], list[Event]]:
    """The redecoded samples and both gap lists up to the last stored sample. Why: a recorder that was
    stopped (a crash, ``kill -9``) committed its last chunk with packets whose samples were still held
    for reordering, never stored; and a gap is compared only once the sample after it is stored."""
    end = float(old.t[-1]) if len(old) else -np.inf
    keep = int(np.searchsorted(new.t, end, side="right"))
    return new.slice(0, keep), [g for g in gaps if g.end <= end], [g for g in old_gaps if g.end <= end]


def compare(new: SampleBlock, old: SampleBlock, gaps: list[Event], old_gaps: list[Event], truncated: bool) -> list[str]:
    """What differs between the redecoded and the stored samples, in words (empty: identical)."""
    out = []
    n = min(len(new), len(old))
    if truncated:  # the tape stopped at its size bound: compare what it covered, less its last second
        n = min(n, int(np.searchsorted(new.t, new.t[-1] - 1.0))) if len(new) else 0
    elif len(new) != len(old):
        out.append(f"{len(new)} samples redecoded, {len(old)} stored")
    for name, a, b in (("t", new.t[:n], old.t[:n]), ("acc", new.acc[:n], old.acc[:n]),
                       ("gyr", None if new.gyr is None else new.gyr[:n], None if old.gyr is None else old.gyr[:n])):
        if a is None or b is None:
            if (a is None) != (b is None):
                out.append(f"{name}: present in only one of them")
            continue
        bad = np.flatnonzero(np.any((a != b).reshape(n, -1), axis=1))
        if len(bad):
            i = int(bad[0])
            out.append(f"{name} differs in {len(bad)} samples, first at sample {i} (t = {old.t[i]:.3f} s): "
                       f"max difference {float(np.max(np.abs(a - b))):.6g}")
    if not truncated and _gap_list(gaps) != _gap_list(old_gaps):
        out.append(f"gaps differ: {len(gaps)} redecoded ({sum(e.fields.get('samples', 0) for e in gaps)} samples), "
                   f"{len(old_gaps)} stored ({sum(e.fields.get('samples', 0) for e in old_gaps)} samples)")
    return out


def export_vectors(result: Redecoded, folder: str | Path, recording_name: str) -> Path:
    """The capture's first data packets as a device vector file ``FOLDER/<kind>.json`` (the format of
    ``tests/vectors``): the packets, the profile's settings, and what today's decoder makes of them."""
    tape = result.tape
    profile = new_profile(tape)
    settings, packets = _first_run(tape)
    if settings is not None:
        profile.restore_decode_settings({**settings, "starting": False})
    decoded = []
    kept = []
    for char, payload in packets:
        try:
            out = profile.decode(char, payload)
        except DecodeError:
            continue  # a corrupt packet is no vector of the sensor's format
        kept.append(payload)
        decoded += out
        enough = len(kept) >= VECTOR_PACKETS or sum(len(d) for d in decoded) >= VECTOR_SAMPLES
        if enough and not profile.incomplete_samples():
            break
    if not decoded:
        raise RecordingError("the raw capture holds no packet that decodes; nothing to export")
    vector: dict[str, Any] = {
        "name": f"capture-{Path(recording_name).stem}",
        "source": f"raw capture of {tape.header.get('name') or '?'} ({tape.header.get('address')}) in "
                  f"{Path(recording_name).name}: what the device sent, decoded by this version's profile",
        "settings": {k: v for k, v in tape.header["profile"].items() if v is not None},
        **profile.decode_settings(),
        "packets": [p.hex() for p in kept],
        "acc_ms2": np.concatenate([d.acc for d in decoded]).tolist(),
    }
    if decoded[0].gyr is not None:
        vector["gyr_dps"] = np.rad2deg(np.concatenate([d.gyr for d in decoded])).tolist()
    if decoded[0].device_time_s is not None:
        vector["device_time_s"] = np.concatenate([d.device_time_s for d in decoded]).tolist()
    if decoded[0].counter is not None:
        vector["counter"] = [d.counter for d in decoded]
    vector.pop("counter_from_zero", None)  # a stream's start, not part of the packets' format
    doc = {
        "kind": tape.header["kind"],
        "source": "raw capture (sensorkit record --raw; sensorkit redecode --export-vectors); no hand-derived "
                  "reference: the expected values are this decoder's, a regression check",
        "commands": [],
        "streams": [vector],
        "writes": [[uuid, data] for _, what, uuid, data, *_ in tape.gatt if what == "write"],
        "gatt": tape.services,
    }
    make_private_dir(folder)
    out = Path(folder) / f"{tape.header['kind']}.json"
    write_text(out, _one_line_number_lists(json.dumps(doc, indent=1)) + "\n")
    return out


def _one_line_number_lists(text: str) -> str:
    """JSON as indented, but each innermost list of numbers on one line (a sample per line, not a value)."""
    return re.sub(r"\[\s+([-+0-9.eE,\s]+?)\s+\]", lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]", text)


def _first_run(tape: RawTape) -> tuple[dict[str, Any] | None, list[tuple[str, bytes]]]:
    """The decode settings in force at the first data notification, and the data notifications of that
    first run (up to a link loss or the next start)."""
    extras = iter(tape.extras)
    settings, packets = None, []
    for op, char, payload in zip(tape.ops, tape.chars, tape.payloads):
        extra = next(extras) if op in (ORIGIN, END, SETTINGS) else None
        if op == NOTIFY:
            packets.append((tape.characteristics[char], payload))
        elif packets and op in (SETTINGS, LINK_LOST):
            break
        elif op == SETTINGS:
            settings = extra
    return settings, packets


def _gap_list(gaps: list[Event]) -> list[tuple[Any, float, str]]:
    """Gaps as compared: size, start (to the millisecond, as events are stored), cause."""
    return [(e.fields.get("samples"), round(e.start, 3), e.fields.get("cause", "")) for e in gaps]
