"""The patient profile: every threshold the classifiers use, with its default and where it comes from.

One TOML file per patient, edited by a therapist or written by ``sensorkit calibrate``::

    # SensorKit patient profile
    [patient]
    id = "P007"             # stored in every recording made with this profile
    height_m = 1.72         # optional: stride length and walking speed need it (see HEIGHT_RANGE_M)
    timezone = "Europe/London"  # optional IANA zone: where the patient's days start (else the computer's)

    [thresholds]            # any subset; missing keys take the defaults below
    slouch_tolerance_deg = 8
    slouch_delay_s = 20

    [calibration]           # written by `sensorkit calibrate`; sensor-to-body rotation
    rotation = [[...], [...], [...]]
    source = "calibration"

Impossible settings (a negative delay, a tolerance of 90 deg, a band upper limit below the lower, an
unknown key) raise :class:`~sensorkit.errors.SettingsError` naming the key and the allowed range,
so a typo never silently falls back to a default. ``sensorkit analyze --profile FILE`` and the live
pipeline read the same file. The table of thresholds, defaults and sources is :data:`THRESHOLDS`
(also rendered in the README).
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sensorkit.errors import SensorKitError, SettingsError
from sensorkit.files import describe_os_error, require_regular_file, write_text


@dataclass(frozen=True)
class Threshold:
    name: str
    default: float
    unit: str
    low: float
    high: float
    meaning: str
    source: str


# Why alerts are rationed (the slouch cool-down and the hourly budget both rest on it).
FEWER_REMINDERS = ("fewer reminders keep a learnt habit better than constant ones (reduced-frequency feedback, "
                   "Winstein & Schmidt 1990, J. Exp. Psychol. Learn. 16:677); reviewers took buzz-on-every-slouch "
                   "trackers off (Lumoback: PCWorld 2013, Fast Company 2014)")

THRESHOLDS: tuple[Threshold, ...] = (
    Threshold("slouch_tolerance_deg", 6.0, "deg", 2.0, 40.0,
              "sagittal flexion beyond the sitting neutral that counts as slouching",
              "slump vs upright sitting differs by 10-25 deg at the lumbar spine (O'Sullivan et al. "
              "2006, Man. Ther. 11:264); set below the smallest slump and above sitting sway (2-3 deg)"),
    Threshold("slouch_delay_s", 15.0, "s", 1.0, 3600.0,
              "how long flexion must stay beyond the tolerance before it is a slouch episode",
              "engineering default: longer than reaching or leaning to a desk (< 10 s), short enough "
              "for feedback to be tied to the posture"),
    Threshold("sitting_neutral_window_s", 5.0, "s", 1.0, 120.0,
              "the patient's sitting neutral is the median flexion over this long after sitting down",
              "engineering default; neutral sitting differs between people (pelvic tilt), so it is "
              "learnt per sitting period unless sitting_neutral_deg is set"),
    Threshold("bend_start_deg", 15.0, "deg", 5.0, 60.0,
              "flexion beyond the standing neutral at which a bend starts",
              "ISO 11226:2000 / EN 1005-4: trunk flexion up to 20 deg is acceptable; 15 deg starts the "
              "event early so a 20 deg bend is still counted with a few degrees of sensor error"),
    Threshold("bend_end_deg", 10.0, "deg", 2.0, 55.0,
              "flexion below which a bend has ended (hysteresis against sway)",
              "engineering default: 5 deg of hysteresis below bend_start_deg"),
    Threshold("band_low_deg", 20.0, "deg", 5.0, 80.0,
              "upper limit of the acceptable flexion band", "ISO 11226:2000, EN 1005-4:2005 (0-20 deg)"),
    Threshold("band_high_deg", 60.0, "deg", 20.0, 120.0,
              "flexion beyond which a posture is not acceptable",
              "ISO 11226:2000, EN 1005-4:2005 (> 60 deg)"),
    Threshold("held_bend_s", 10.0, "s", 1.0, 600.0,
              "time above band_low_deg that makes a moderate bend severe",
              "simplification of the holding-time limits of ISO 11226 / EN 1005-4 for 20-60 deg"),
    Threshold("twist_severe_deg", 30.0, "deg", 5.0, 90.0,
              "axial twist during a bend beyond band_low_deg that makes it severe",
              "the issue's rule; NIOSH lifting equation penalises asymmetry angles from 0 to 135 deg "
              "(Waters et al. 1993, Ergonomics 36:749)"),
    Threshold("transition_height_m", 0.2, "m", 0.05, 1.0,
              "net rise or drop of the sensor in a lean that makes it a sit-to-stand / stand-to-sit",
              "sitting lowers the pelvis by about the thigh length x sin(90 deg) minus chair height, "
              "0.3-0.5 m in adults; threshold at under half of that"),
    Threshold("sit_recline_deg", 12.0, "deg", 3.0, 60.0,
              "backward pelvic tilt from standing neutral, held still, that means sitting",
              "measured on UCI HAPT: sitting tilts a waist sensor 8-43 deg back, standing stays within "
              "12 deg of the walking posture"),
    Threshold("lying_inclination_deg", 55.0, "deg", 30.0, 85.0,
              "trunk inclination from vertical beyond which the person is lying",
              "engineering default between reclined sitting (< 45 deg) and lying (> 70 deg)"),
    Threshold("prone_confirm_s", 10.0, "s", 2.0, 120.0,
              "a deep forward inclination held still this long is lying prone, not a bend",
              "the longest simulated bend (down + hold + up) lasts under 9 s"),
    Threshold("sedentary_min_break_s", 60.0, "s", 1.0, 3600.0,
              "standing or walking shorter than this does not end a sedentary bout",
              "break = at least one minute out of the chair (minute epochs of Healy et al. 2008, "
              "Diabetes Care 31:661)"),
    Threshold("sedentary_min_bout_s", 60.0, "s", 1.0, 86400.0,
              "shortest sitting or lying period reported as a sedentary bout",
              "one-minute epochs as in the sedentary-break literature (Healy et al. 2008)"),
    Threshold("sedentary_alert_s", 1800.0, "s", 60.0, 86400.0,
              "sedentary bout length that raises an alert",
              "break up sitting at least every 30 min (Buckley et al. 2015, Br. J. Sports Med. 49:1357)"),
    Threshold("slouch_alert_cooldown_s", 7200.0, "s", 0.0, 86400.0,
              "quiet time after a slouch alert",
              FEWER_REMINDERS + "; the long-sitting alert still asks to stand up every 30 min; validation/alerts.py"),
    Threshold("bend_alert_cooldown_s", 900.0, "s", 0.0, 86400.0,
              "quiet time after a severe-bend alert",
              "a lifting worker bends severely about once a minute (simulated warehouse): one reminder of "
              "technique per quarter hour, every severe bend counted in the day; validation/alerts.py"),
    Threshold("sedentary_alert_cooldown_s", 1800.0, "s", 0.0, 86400.0,
              "quiet time after a long-sitting alert", "engineering default: one reminder per 30 min"),
    Threshold("slouch_alert_delay_s", 120.0, "s", 1.0, 3600.0,
              "how long a slouch is held before the patient is told (at least slouch_delay_s)",
              "Lumo Lift lets the wearer choose 3 s-10 min and recommends 2 min (Potenza, The Verge 2016); "
              "Upright GO buzzes after ~5 s but only in training sessions of minutes, tracking silently "
              "the rest of the day (Principle Four Osteopathy review, Cushtie 2017)"),
    Threshold("alert_budget_per_hour", 2.0, "alerts", 1.0, 60.0,
              "most alerts given in any 60 minutes; more are held back and counted as held",
              FEWER_REMINDERS + "; 2 an hour keeps a simulated warehouse shift at 16 (was 147-167)"),
    Threshold("alert_min_gap_s", 600.0, "s", 0.0, 3600.0,
              "least time between two alerts of any kind",
              "engineering default: a slouch and a long-sitting alert minutes apart are one interruption "
              "too many; validation/alerts.py"),
    Threshold("quiet_from_h", 0.0, "h", 0.0, 24.0,
              "local hour from which no alert is given (equal to quiet_until_h: no quiet hours)",
              "the patient's choice, e.g. 22 for nights"),
    Threshold("quiet_until_h", 0.0, "h", 0.0, 24.0,
              "local hour until which no alert is given (e.g. 7 for 22-7)", "the patient's choice, e.g. 7 after a night"),
    Threshold("vibrate", 0.0, "(0 off, 1 on)", 0.0, 1.0,
              "buzz the sensor for each alert let through (monitor; sensors with a motor)",
              "off by default: on-body feedback is the patient's choice, as in Upright GO's training mode"),
    Threshold("snooze_s", 1800.0, "s", 60.0, 14400.0,
              "how long a snooze (the s key, or SIGUSR1 in line mode) silences alerts",
              "engineering default: a meeting or a meal"),
)
_BY_NAME = {th.name: th for th in THRESHOLDS}

# The wearer's standing height, ``[patient] height_m``: the gait detector takes the leg length as 0.53
# of it (Winter's anthropometry) for the inverted-pendulum step length, so stride length and walking
# speed are reported only when it is known. 1.0-2.3 m spans adults (and older children) with room to
# spare; anything outside is a typo (centimetres, feet) rather than a person.
HEIGHT_RANGE_M = (1.0, 2.3)

# The keys each section may hold. A misspelt key (``height = 1.72`` for ``height_m``) would otherwise
# be ignored and its default used in silence, so any other key is refused with the nearest known one.
PATIENT_KEYS = ("id", "height_m", "timezone")


def calibration_keys() -> tuple[str, ...]:
    """What [calibration] may hold: what `sensorkit calibrate` stores (the keys of Alignment.to_json), and
    the span_s of a calibration copied from a recording's metadata (ignored: that span is another file's).
    Asked only of a profile with a calibration, so reading one without (every `sensorkit view`) does not
    import the alignment code."""
    from sensorkit.signal.alignment import Alignment

    return (*Alignment(np.eye(3), "identity").to_json(), "span_s")


@dataclass
class Profile:
    """Thresholds (name -> value), optional fixed sitting neutral, calibration and patient fields."""

    values: dict[str, float] = field(default_factory=lambda: {th.name: th.default for th in THRESHOLDS})
    sitting_neutral_deg: float | None = None
    calibration: dict[str, Any] | None = None
    patient: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def height_m(self) -> float | None:
        """The wearer's height from ``[patient] height_m`` (metres), or None when not given."""
        value = self.patient.get("height_m")
        return None if value is None else float(value)

    @property
    def patient_id(self) -> str:
        """``[patient] id``, the id stored in every recording made with this profile ("" when not given)."""
        return str(self.patient.get("id", "") or "")

    @property
    def timezone(self) -> str | None:
        """``[patient] timezone``: the IANA zone the patient lives in, for local days; None when not given."""
        value = self.patient.get("timezone")
        return None if value in (None, "") else str(value)

    def __getattr__(self, name: str) -> float:
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(name)

    def with_values(self, **changes: float) -> "Profile":
        new = Profile(dict(self.values), self.sitting_neutral_deg, self.calibration, dict(self.patient), self.path)
        for k, v in changes.items():
            new.values[k] = v
        new.validate()
        return new

    def validate(self) -> None:
        check_keys("thresholds", self.values, tuple(_BY_NAME), "threshold")
        check_keys("patient", self.patient, PATIENT_KEYS, "key")
        if self.calibration:
            check_keys("calibration", self.calibration, calibration_keys(), "key")
        for name, value in self.values.items():
            th = _BY_NAME[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not (th.low <= value <= th.high):
                raise SettingsError(f"{name} = {value!r} is impossible; allowed {th.low:g}-{th.high:g} {th.unit}")
        v = self.values
        if v["bend_end_deg"] >= v["bend_start_deg"]:
            raise SettingsError("bend_end_deg must be below bend_start_deg")
        if v["band_high_deg"] <= v["band_low_deg"]:
            raise SettingsError("band_high_deg must be above band_low_deg")
        if self.sitting_neutral_deg is not None and not -60 <= self.sitting_neutral_deg <= 60:
            raise SettingsError("sitting_neutral_deg must be between -60 and 60 deg")
        height = self.patient.get("height_m")
        low, high = HEIGHT_RANGE_M
        if height is not None and (isinstance(height, bool) or not isinstance(height, (int, float))
                                   or not low <= height <= high):
            raise SettingsError(f"height_m = {height!r} is impossible; the wearer's height in metres, {low:g}-{high:g}")
        if self.timezone is not None:
            from sensorkit.localtime import zone

            zone(self.timezone)  # a SettingsError naming the bad zone


def check_keys(section: str, given: dict[str, Any], known: tuple[str, ...], what: str) -> None:
    """Refuse a key no code reads, naming the closest known key (the likely typo) and the others."""
    for key in given:
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
        raise SettingsError(f"unknown {what} {key!r} in [{section}]; {hint}")


def load_profile(path: str | Path | None) -> Profile:
    """The profile in ``path`` (TOML), or the defaults when ``path`` is None."""
    if path is None:
        return Profile()
    path = Path(path)
    if not (path.exists() or path.is_symlink()):
        raise SettingsError(f"profile {path} does not exist")
    try:
        require_regular_file(path, "profile")  # a FIFO would hang the read, a folder is a mistake
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except SensorKitError as exc:
        raise SettingsError(str(exc)) from exc
    except OSError as exc:
        raise SettingsError(describe_os_error(exc, f"read the profile {path}")) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"profile {path} is not valid TOML: {exc}") from exc
    unknown = set(data) - {"patient", "thresholds", "calibration"}
    if unknown:
        raise SettingsError(f"profile {path} has unknown section(s): {', '.join(sorted(unknown))}")
    for section in ("patient", "thresholds", "calibration"):
        if not isinstance(data.get(section, {}), dict):
            raise SettingsError(f"profile {path}: {section} must be a [{section}] section, not a value")
    thresholds = dict(data.get("thresholds", {}))
    neutral = thresholds.pop("sitting_neutral_deg", "auto")
    profile = Profile(
        values={**Profile().values, **thresholds},
        sitting_neutral_deg=None if neutral == "auto" else _number(neutral, "sitting_neutral_deg"),
        calibration=data.get("calibration"),
        patient=dict(data.get("patient", {})),
        path=path,
    )
    profile.validate()
    return profile


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(f"{name} must be a number or \"auto\", not {value!r}")
    return float(value)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def dumps_profile(profile: Profile) -> str:
    """The profile as TOML; only thresholds that differ from their default are written."""
    lines = ["# SensorKit patient profile (see README, 'Posture and bending', for every key)"]
    if profile.patient:
        lines += ["", "[patient]"] + [f"{k} = {_toml_value(v)}" for k, v in profile.patient.items()]
    changed = {k: v for k, v in profile.values.items() if v != _BY_NAME[k].default}
    lines += ["", "[thresholds]"] + [f"{k} = {_toml_value(v)}" for k, v in changed.items()]
    if profile.sitting_neutral_deg is not None:
        lines.append(f"sitting_neutral_deg = {_toml_value(profile.sitting_neutral_deg)}")
    if profile.calibration:
        lines += ["", "[calibration]"] + [f"{k} = {_toml_value(v)}" for k, v in profile.calibration.items()]
    return "\n".join(lines) + "\n"


def save_profile(profile: Profile, path: str | Path) -> None:
    """Written new then renamed, 0600: a full disk or a crash leaves the old profile whole."""
    write_text(path, dumps_profile(profile))
