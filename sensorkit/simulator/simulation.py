"""Run a scenario end to end: timeline -> person -> trunk kinematics -> sensor -> samples + ground truth.

Determinism: one seed drives independent random streams (timeline, person, motion, mount, sensor
noise, packet loss) split from a :class:`numpy.random.SeedSequence`, so the same scenario, seed and
options give bit-identical output, and e.g. adding packet loss does not change the motion.

Samples are computed in one-minute chunks (bounded memory for 8 h days), vectorised within each.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass, replace
from datetime import datetime
from datetime import timezone as _tz
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

import numpy as np

from ..errors import SettingsError
from ..samples import STANDARD_GRAVITY, RecordingMeta, SampleBlock
from ..store import RecordingWriter, writing_new_recording
from .desk import off_signals, world_from_body
from .kinematics import Person, TrunkModel, specific_force_body
from .scenarios import get_scenario
from .sensor import (ACC_LSB, ACC_NOISE_DENSITY, ACC_RANGE, GYR_LSB, GYR_NOISE_DENSITY, GYR_RANGE,
                     Mount, SensorErrors, keep_mask, measure)
from .timeline import OFF, Activity, build_timeline
from .truth import ATTACHMENT, GroundTruth, to_cdeg, truth_events

CHUNK_S = 60.0
START_TIME = "2025-03-03T08:00:00+00:00"  # a Monday morning; fixed so output is reproducible
UTC = _tz.utc
MIN_RATE_HZ, MAX_RATE_HZ = 10.0, 400.0
MAX_DURATION_S = 7 * 24 * 3600.0


@dataclass
class Simulation:
    block: SampleBlock
    meta: RecordingMeta
    truth: GroundTruth


def _check(seed: int, duration_s: float | None, rate_hz: float) -> None:
    if not MIN_RATE_HZ <= rate_hz <= MAX_RATE_HZ:
        raise SettingsError(f"sampling rate {rate_hz:g} Hz is outside {MIN_RATE_HZ:g}-{MAX_RATE_HZ:g} Hz")
    if duration_s is not None and not 10.0 <= duration_s <= MAX_DURATION_S:
        raise SettingsError(f"duration {duration_s:g} s is outside 10 s to 7 days")
    if int(seed) != seed or seed < 0:
        raise SettingsError(f"seed {seed} must be a non-negative integer")


def simulate(scenario: str, seed: int, duration_s: float | None = None, rate_hz: float = 100.0,
             has_gyro: bool = True, loss: float = 0.0, misalignment_deg: float = 20.0,
             start: datetime | None = None, patient_id: str = "", timezone: str = "") -> Simulation:
    """Simulate ``scenario`` (a name in :data:`SCENARIOS`); ``duration_s`` None = its natural length.

    ``start`` (aware), ``patient_id`` and ``timezone`` (IANA name) say when and on whom, so a folder
    of a patient's days can be built; they change the recording's metadata, never its samples.
    """
    _check(seed, duration_s, rate_hz)
    spec = get_scenario(scenario)
    duration = float(duration_s if duration_s is not None else spec.default_duration_s)
    sim = _run(lambda rng: spec.build(rng, duration), spec.scripted, scenario, seed, duration,
               rate_hz, has_gyro, loss, misalignment_deg)
    return _placed(sim, start, patient_id, timezone)


def _placed(sim: Simulation, start: datetime | None, patient_id: str, timezone: str) -> Simulation:
    """``sim`` starting at ``start``, worn by ``patient_id`` in ``timezone``, with its command to match."""
    meta, options = sim.meta, ""
    if start is not None:
        meta = meta.with_changes(start_time=start.astimezone(UTC).isoformat())
        options += f" --start {start.astimezone(UTC).isoformat(timespec='seconds').replace('+00:00', 'Z')}"
    if timezone:
        meta = meta.with_changes(timezone=timezone)
        options += f" --tz {timezone}"
    if patient_id:
        meta = meta.with_changes(patient_id=patient_id)
        options += f" --patient {patient_id}"
    if meta.source.startswith("sensorkit simulate"):
        meta = meta.with_changes(source=meta.source + options)
    return Simulation(sim.block, meta, sim.truth)


def simulate_activities(activities: list[Activity], seed: int, rate_hz: float = 100.0,
                        has_gyro: bool = True, loss: float = 0.0,
                        misalignment_deg: float = 20.0) -> Simulation:
    """Simulate a hand-made activity list at its nominal durations (validation scripts, experiments)."""
    _check(seed, None, rate_hz)
    return _run(lambda rng: list(activities), False, "custom", seed, None, rate_hz, has_gyro, loss,
                misalignment_deg)


@dataclass
class _Plan:
    """A compiled simulation before its samples are made: the samples come minute by minute
    (:meth:`pieces`), so they can be written as they are made (:func:`simulate_to_recording`)."""

    model: TrunkModel
    mount: Mount
    errors: SensorErrors
    rng_noise: np.random.Generator
    keep: np.ndarray  # which of the samples survive packet loss
    meta: RecordingMeta
    truth: GroundTruth  # everything but the per-sample signals (t and the angles are empty)

    def pieces(self) -> Iterator[tuple[SampleBlock, np.ndarray, np.ndarray]]:
        """(samples kept, their flexion, their lateral bend) for consecutive minutes."""
        rate_hz, n = self.meta.rate_hz, len(self.keep)
        i0 = 0
        for acc, gyr, flexion, lateral in _chunks(self.model, self.mount, self.errors, n, rate_hz,
                                                   self.meta.has_gyro, self.rng_noise):
            keep = self.keep[i0:i0 + len(acc)]
            t = np.arange(i0, i0 + len(acc)) / rate_hz
            yield SampleBlock(t[keep], acc[keep], None if gyr is None else gyr[keep]), flexion[keep], lateral[keep]
            i0 += len(acc)


def _run(build: Callable[[np.random.Generator], list[Activity]], scripted: bool, scenario: str, seed: int,
         duration: float | None, rate_hz: float, has_gyro: bool, loss: float,
         misalignment_deg: float) -> Simulation:
    plan = _plan(build, scripted, scenario, seed, duration, rate_hz, has_gyro, loss, misalignment_deg)
    pieces = list(plan.pieces())
    block = SampleBlock.concat([p[0] for p in pieces])
    truth = replace(plan.truth, t=block.t, flexion_deg=np.concatenate([p[1] for p in pieces]),
                    lateral_bend_deg=np.concatenate([p[2] for p in pieces]))
    return Simulation(block, plan.meta, truth)


def _plan(build: Callable[[np.random.Generator], list[Activity]], scripted: bool, scenario: str, seed: int,
          duration: float | None, rate_hz: float, has_gyro: bool, loss: float, misalignment_deg: float) -> _Plan:
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(6)]
    rng_timeline, rng_person, rng_motion, rng_mount, rng_noise, rng_loss = streams
    mount = Mount.draw(rng_mount, misalignment_deg)
    errors = SensorErrors.draw(rng_mount)
    keep_mask(0, rate_hz, loss, rng_loss)  # validates ``loss`` before the long part
    segments = build_timeline(rng_timeline, build(rng_timeline), duration, fit=scripted)
    duration = segments[-1].end if duration is None else duration
    person = Person.draw(rng_person)
    model = TrunkModel(segments, person, rng_motion)
    keep = keep_mask(int(round(duration * rate_hz)), rate_hz, loss, rng_loss)  # its own random stream

    settings = {"scenario": scenario, "seed": int(seed), "duration_s": duration, "rate_hz": rate_hz,
                "has_gyro": has_gyro, "loss": loss, "misalignment_deg": misalignment_deg}
    meta = RecordingMeta(
        rate_hz=float(rate_hz), start_time=START_TIME, device_kind="simulator",
        device_name=f"simulated {scenario}", has_gyro=has_gyro, acc_range=ACC_RANGE, gyr_range=GYR_RANGE,
        acc_lsb=ACC_LSB, gyr_lsb=GYR_LSB,
        source=_command(settings) if scenario != "custom" else "sensorkit.simulator.simulate_activities",
        extra={"simulator": {**settings, "axes": "x up, y right, z forward (nominal mount)"}},
    )
    steps = np.concatenate([b.ics for b in model.bouts]) if model.bouts else np.empty(0)
    sides = np.concatenate([b.sides for b in model.bouts]) if model.bouts else np.empty(0, np.int8)
    empty = np.empty(0)
    truth = GroundTruth(
        events=truth_events(model), t=empty, flexion_deg=empty, lateral_bend_deg=empty,
        step_times=steps, step_sides=np.where(sides > 0, "L", "R"),
        sensor_to_body=mount.sensor_to_body, misalignment=mount.misalignment,
        neutral={"standing_pitch_deg": person.neutral_pitch_deg, "standing_roll_deg": person.neutral_roll_deg,
                 "sitting_flexion_deg": person.sitting_flexion_deg},
        info={**settings, "person": person.__dict__, "acc_bias": errors.acc_bias.tolist(),
              "gyr_bias": errors.gyr_bias.tolist()},
    )
    return _Plan(model, mount, errors, rng_noise, keep, meta, truth)


def _chunks(model: TrunkModel, mount: Mount, errors: SensorErrors, n: int, rate_hz: float,
            has_gyro: bool, rng: np.random.Generator) -> Iterator[tuple]:
    """(acc, gyr, flexion, lateral bend) for consecutive one-minute pieces of the ``n`` samples."""
    step = int(CHUNK_S * rate_hz)
    neutral_pitch, neutral_roll = model.person.neutral_pitch_deg, model.person.neutral_roll_deg
    off = [(seg, _on_body(model, mount, seg.start), _on_body(model, mount, seg.end))
           for seg in model.segments if seg.kind == OFF]
    for i0 in range(0, n, step):
        t = np.arange(i0, min(n, i0 + step)) / rate_hz
        kin = model.evaluate(t)
        force, omega = mount.to_sensor(specific_force_body(kin, STANDARD_GRAVITY)), mount.to_sensor(kin.omega_body)
        for seg, on_start, on_end in off:  # the sensor is in a hand or at rest, not on the back
            sel = (t >= seg.start) & (t < seg.end)
            if sel.any():
                force[sel], omega[sel] = off_signals(t[sel], seg.start, seg.end, seg.params, on_start, on_end,
                                                     STANDARD_GRAVITY)
        acc = measure(force, errors.acc_bias, ACC_NOISE_DENSITY, rate_hz, ACC_RANGE, ACC_LSB, rng)
        gyr = None
        if has_gyro:
            gyr = measure(omega, errors.gyr_bias, GYR_NOISE_DENSITY, rate_hz, GYR_RANGE, GYR_LSB, rng)
        yield acc, gyr, kin.pitch_deg - neutral_pitch, kin.roll_deg - neutral_roll


def _on_body(model: TrunkModel, mount: Mount, t: float) -> np.ndarray:
    """Sensor-to-world rotation of the sensor on the back at time ``t``."""
    kin = model.evaluate(np.array([t]))
    return world_from_body(kin.pitch_deg[0], kin.roll_deg[0], kin.yaw_deg[0]) @ mount.body_from_sensor


def _command(s: dict) -> str:
    cmd = f"sensorkit simulate --scenario {s['scenario']} --seed {s['seed']} --duration {s['duration_s']:g}"
    cmd += f" --rate {s['rate_hz']:g}"
    if not s["has_gyro"]:
        cmd += " --no-gyro"
    if s["loss"]:
        cmd += f" --loss {s['loss']:g}"
    if s["misalignment_deg"] != 20.0:
        cmd += f" --misalignment {s['misalignment_deg']:g}"
    return cmd


def save_simulation(sim: Simulation, path: str | os.PathLike[str], overwrite: bool = False) -> None:
    """Write samples and ground truth (as the ``ground_truth`` attachment) to a recording.

    The truth is deliberately not written as the recording's events: those belong to the analysis,
    which replaces them; the truth must survive it.
    """
    with writing_new_recording(path, sim.meta, overwrite=overwrite) as writer:
        _write_samples(writer, [sim.block])
        writer.put_attachment(ATTACHMENT, sim.truth.to_npz(sim.meta.rate_hz))


def simulate_to_recording(path: str | os.PathLike[str], scenario: str, seed: int, duration_s: float | None = None,
                          rate_hz: float = 100.0, has_gyro: bool = True, loss: float = 0.0,
                          misalignment_deg: float = 20.0, start: datetime | None = None, patient_id: str = "",
                          timezone: str = "", overwrite: bool = False) -> tuple[RecordingMeta, GroundTruth, int]:
    """:func:`simulate` then :func:`save_simulation`, the same recording, written as it is made: a
    minute of samples at a time, the truth's per-sample signals kept on disk until they are stored
    (a 7-day recording in bounded memory). Returns the metadata, the truth without its per-sample
    signals, and the number of samples written."""
    _check(seed, duration_s, rate_hz)
    spec = get_scenario(scenario)
    duration = float(duration_s if duration_s is not None else spec.default_duration_s)
    plan = _plan(lambda rng: spec.build(rng, duration), spec.scripted, scenario, seed, duration,
                 rate_hz, has_gyro, loss, misalignment_deg)
    placed = _placed(Simulation(SampleBlock(np.empty(0), np.empty((0, 3))), plan.meta, plan.truth),
                     start, patient_id, timezone)
    count = int(plan.keep.sum())
    with writing_new_recording(path, placed.meta, overwrite=overwrite) as writer, \
            tempfile.TemporaryDirectory(prefix="sensorkit-simulate-") as scratch:
        spill = [Path(scratch, name).open("w+b") for name in ("flexion", "lateral")]
        with spill[0], spill[1]:
            def samples() -> Iterator[SampleBlock]:
                for block, flexion, lateral in plan.pieces():
                    spill[0].write(to_cdeg(flexion).tobytes())
                    spill[1].write(to_cdeg(lateral).tobytes())
                    yield block
            _write_samples(writer, samples())
            archive = io.BytesIO()
            plan.truth.write_npz(archive, rate_hz, count, _sample_indices(plan.keep),
                                 _read_back(spill[0]), _read_back(spill[1]))
        writer.put_attachment(ATTACHMENT, archive.getbuffer())
    return placed.meta, plan.truth, count


def _write_samples(writer: RecordingWriter, blocks: Iterable[SampleBlock]) -> None:
    """Store ``blocks`` (in time order) as blocks of one minute of samples, each committed at once."""
    step = int(CHUNK_S * writer.meta.rate_hz)
    carry = None  # the start of the next minute's samples
    for block in blocks:
        if carry is not None:
            block = SampleBlock.concat([carry, block])
        whole = len(block) - len(block) % step
        for i0 in range(0, whole, step):
            writer.append(block.slice(i0, i0 + step))
            writer.flush()
        carry = block.slice(whole, len(block)) if whole < len(block) else None
    if carry is not None:
        writer.append(carry)
        writer.flush()


def _sample_indices(keep: np.ndarray, piece: int = 1 << 20) -> Iterator[np.ndarray]:
    """The indices of the kept samples, a million at a time."""
    for i0 in range(0, len(keep), piece):
        yield np.flatnonzero(keep[i0:i0 + piece]) + i0


def _read_back(spill: BinaryIO, piece: int = 1 << 20) -> Iterator[np.ndarray]:
    """The int32 values written to ``spill``, from its start, a million at a time."""
    spill.seek(0)
    while chunk := spill.read(4 * piece):
        yield np.frombuffer(chunk, dtype=np.int32)
