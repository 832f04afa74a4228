"""The sensor off the body: taken off, left still on a desk (in a bag, on a charger), put back on.

An ``off`` activity (the person stands while it lasts) replaces what the sensor measures:

- **take-off** (``handle_in_s``, 2-4 s): the hand turns the sensor from its mount on the back to its
  resting orientation along the shortest rotation and lowers it by ``drop_m`` (0.1-0.6 m: a desk is
  below the waist belt, a bag on the floor further), both with a minimum-jerk profile;
- **resting** in ``rest_rotation`` (sensor-to-world): flat on one of its six faces with a small tilt
  and any heading 60 % of the time, else any orientation at all (propped up, in a bag); nothing
  moves, so the accelerometer reads gravity alone and the gyroscope zero, and what varies is the
  sensor's own noise and quantisation (added by :mod:`.sensor` as for every sample);
- **put-on** (``handle_out_s``, 2-4 s): the reverse, back to the mount on the back as it is then.

The truth is a ``not_worn`` event from the end of the take-off to the start of the put-on
(:mod:`.truth`); the handling seconds belong to neither wear nor posture.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FLAT_SHARE = 0.6
FLAT_TILT_SD_DEG = 2.0


def draw_off(rng: np.random.Generator) -> dict[str, Any]:
    """The parameters of one ``off`` period: handling times, the drop, the resting orientation."""
    from scipy.spatial.transform import Rotation  # imported where used: SciPy slows every command's start

    if rng.random() < FLAT_SHARE:
        face = np.zeros(3)
        face[int(rng.integers(3))] = rng.choice([-1.0, 1.0])  # the sensor axis that points up
        up = Rotation.align_vectors([[0.0, 0.0, 1.0]], [face])[0]
        tilt = Rotation.from_rotvec(np.radians(rng.normal(0.0, FLAT_TILT_SD_DEG, 3)) * [1.0, 1.0, 0.0])
        heading = Rotation.from_euler("z", rng.uniform(0.0, 360.0), degrees=True)
        rest = heading * tilt * up
    else:
        rest = Rotation.random(random_state=rng)
    return {"handle_in_s": float(rng.uniform(2.0, 4.0)), "handle_out_s": float(rng.uniform(2.0, 4.0)),
            "drop_m": float(rng.uniform(0.1, 0.6)), "rest_rotation": rest.as_matrix().tolist()}


def not_worn_span(start: float, end: float, params: dict[str, Any]) -> tuple[float, float]:
    """When the sensor rests, untouched, within an ``off`` segment from ``start`` to ``end``."""
    a = start + params["handle_in_s"]
    return a, max(a, end - params["handle_out_s"])


def off_signals(t: np.ndarray, start: float, end: float, params: dict[str, Any], on_start: np.ndarray,
                on_end: np.ndarray, gravity: float) -> tuple[np.ndarray, np.ndarray]:
    """True specific force (m/s^2) and angular rate (rad/s) in the sensor frame at times ``t`` inside an
    ``off`` segment; ``on_start``/``on_end``: the sensor-to-world rotation on the body at its ends."""
    from scipy.spatial.transform import Rotation

    rest = np.asarray(params["rest_rotation"])
    rot = np.repeat(rest[None], len(t), axis=0)
    omega = np.zeros((len(t), 3))
    lift = np.zeros(len(t))  # vertical acceleration of the hand (world, m/s^2)
    a, b = not_worn_span(start, end, params)
    for t0, t1, r0, r1, sign in ((start, a, on_start, rest, -1.0), (b, end, rest, on_end, 1.0)):
        sel = (t >= t0) & (t < t1)
        if not sel.any() or t1 <= t0:
            continue
        s, ds, dds = _min_jerk((t[sel] - t0) / (t1 - t0), t1 - t0)
        turn = Rotation.from_matrix(r0.T @ r1).as_rotvec()  # in the sensor frame at the move's start
        rot[sel] = r0 @ Rotation.from_rotvec(s[:, None] * turn).as_matrix()
        omega[sel] = ds[:, None] * turn  # a fixed axis in the sensor frame: the rate is its direction
        lift[sel] = sign * params["drop_m"] * dds
    force_world = np.column_stack([np.zeros(len(t)), np.zeros(len(t)), lift + gravity])
    return np.einsum("nji,nj->ni", rot, force_world), omega


def _min_jerk(tau: np.ndarray, length: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Position 0 -> 1 of a minimum-jerk move (Flash & Hogan 1985) and its first two time derivatives."""
    s = 10 * tau**3 - 15 * tau**4 + 6 * tau**5
    ds = (30 * tau**2 - 60 * tau**3 + 30 * tau**4) / length
    dds = (60 * tau - 180 * tau**2 + 120 * tau**3) / length**2
    return s, ds, dds


def world_from_body(pitch_deg: float, roll_deg: float, yaw_deg: float) -> np.ndarray:
    """``Rz(yaw) Ry(pitch) Rx(roll)``, the kinematics model's body orientation, as a matrix."""
    from scipy.spatial.transform import Rotation

    return Rotation.from_euler("ZYX", [yaw_deg, pitch_deg, roll_deg], degrees=True).as_matrix()
