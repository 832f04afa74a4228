"""The sensor: how it is mounted on the body and what its accelerometer and gyroscope report.

Mount. The nominal mount puts the sensor's x axis up, y to the right and z forward (the McRoberts
convention of the Mobilise-D lower-back recordings in ``../shared/data``), so the body frame of the
project (vertical, forward, right) is (x, z, y) of a perfectly mounted sensor. Real belts and clips
are never perfect: the mount is rotated by a random *misalignment* about a uniformly random axis by an
angle uniform in ``[0, misalignment_deg]`` (20 deg by default: the brief's bound, which the
signal core's auto-alignment must tolerate; chosen, not measured).

Measurements, in the sensor frame (see :mod:`sensorkit.samples` for units):

- accelerometer: the specific force ``R_world_sensor^T (a + g z_up)``;
- gyroscope: the angular velocity of the modelled orientation, rotated into the sensor frame;
- white noise with the density of a consumer MEMS IMU, scaled by ``sqrt(rate / 2)``: 180 ug/sqrt(Hz)
  for the accelerometer and 0.007 deg/s/sqrt(Hz) for the gyroscope (Bosch BMI160 datasheet, typical
  output noise);
- a constant bias per axis and recording: N(0, 20 mg) accelerometer (the datasheet's zero-g offset is
  +-40 mg) and N(0, 0.5 deg/s) gyroscope (zero-rate offset +-3 deg/s untrimmed; smaller after the
  factory trim most modules apply);
- clipping at the range (+-16 g, +-2000 deg/s) and quantisation to the int16 LSB of that range;
- packet loss (optional): samples travel in BLE notifications of ``max(1, rate // 25)`` samples; lost
  packets come in bursts (a two-state Gilbert-Elliott channel, mean burst 3 packets, the burstiness of
  BLE links under interference), the long-run fraction lost being ``loss``. The first and last packet
  always arrive, so the recording spans the whole scenario. Lost samples leave gaps in ``t``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SettingsError
from ..samples import STANDARD_GRAVITY

ACC_RANGE = 16 * STANDARD_GRAVITY
GYR_RANGE = float(np.deg2rad(2000.0))
ACC_LSB = ACC_RANGE / 32768
GYR_LSB = GYR_RANGE / 32768
ACC_NOISE_DENSITY = 180e-6 * STANDARD_GRAVITY  # m/s^2 / sqrt(Hz)
GYR_NOISE_DENSITY = float(np.deg2rad(0.007))  # rad/s / sqrt(Hz)
ACC_BIAS_SD = 0.020 * STANDARD_GRAVITY
GYR_BIAS_SD = float(np.deg2rad(0.5))
MEAN_BURST_PACKETS = 3.0
MAX_LOSS = 0.5

# Columns: the sensor's x, y, z axes in body coordinates (x forward, y left, z up).
NOMINAL_MOUNT = np.array([[0.0, 0.0, 1.0], [0.0, -1.0, 0.0], [1.0, 0.0, 0.0]])
# Rows: the project's body axes (vertical, forward, right) in body coordinates (x forward, y left, z up).
TO_PROJECT_BODY = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])


def rotation_about(axis: np.ndarray, angle_rad: float) -> np.ndarray:
    """Rodrigues' formula."""
    axis = np.asarray(axis, dtype=np.float64) / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle_rad) * k + (1 - np.cos(angle_rad)) * (k @ k)


@dataclass(frozen=True)
class Mount:
    """How the sensor sits on the body. ``misalignment`` rotates the nominal sensor axes (sensor frame)."""

    misalignment: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, max_deg: float) -> "Mount":
        if not 0.0 <= max_deg <= 90.0:
            raise SettingsError(f"misalignment of {max_deg} deg is outside 0-90 deg")
        axis = rng.standard_normal(3)
        angle = np.deg2rad(rng.uniform(0.0, max_deg))
        return cls(rotation_about(axis, float(angle)))

    @property
    def body_from_sensor(self) -> np.ndarray:
        """Sensor-frame vectors to the model's body frame (x forward, y left, z up)."""
        return NOMINAL_MOUNT @ self.misalignment

    @property
    def sensor_to_body(self) -> np.ndarray:
        """Sensor-frame vectors to the project's body frame (vertical, forward, right)."""
        return TO_PROJECT_BODY @ self.body_from_sensor

    def to_sensor(self, body_vectors: np.ndarray) -> np.ndarray:
        """Rows of body-frame vectors to sensor-frame rows: ``v_s = R^T v_b``, i.e. ``rows @ R``."""
        return body_vectors @ self.body_from_sensor


@dataclass(frozen=True)
class SensorErrors:
    """Per-recording sensor imperfections (biases drawn once)."""

    acc_bias: np.ndarray
    gyr_bias: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator) -> "SensorErrors":
        return cls(rng.normal(0.0, ACC_BIAS_SD, 3), rng.normal(0.0, GYR_BIAS_SD, 3))


def measure(true: np.ndarray, bias: np.ndarray, noise_density: float, rate_hz: float,
            full_range: float, lsb: float, rng: np.random.Generator) -> np.ndarray:
    """Add bias and white noise, clip to the range, quantise to the LSB (int16 counts)."""
    sd = noise_density * np.sqrt(rate_hz / 2.0)
    out = true + bias + rng.normal(0.0, sd, true.shape)
    out = np.clip(out, -full_range, full_range)
    return np.clip(np.rint(out / lsb), -32768, 32767) * lsb


def keep_mask(n: int, rate_hz: float, loss: float, rng: np.random.Generator) -> np.ndarray:
    """Which of ``n`` samples arrive through a bursty BLE link losing a fraction ``loss`` of packets."""
    if not 0.0 <= loss <= MAX_LOSS:
        raise SettingsError(f"packet loss {loss} is outside 0-{MAX_LOSS}")
    if loss == 0.0 or n == 0:
        return np.ones(n, dtype=bool)
    per_packet = max(1, int(rate_hz // 25))
    packets = -(-n // per_packet)
    mean_good = MEAN_BURST_PACKETS * (1.0 - loss) / loss
    # Alternate good and bad runs with geometric lengths until every packet is covered.
    runs = int(packets / (mean_good + MEAN_BURST_PACKETS) * 2) + 16
    while True:
        good = rng.geometric(1.0 / mean_good, runs)
        bad = rng.geometric(1.0 / MEAN_BURST_PACKETS, runs)
        lengths = np.column_stack([good, bad]).reshape(-1)
        if lengths.sum() >= packets:
            break
        runs *= 2
    states = np.repeat(np.tile([True, False], runs), lengths)[:packets]
    states[0] = states[-1] = True
    return np.repeat(states, per_packet)[:n]
