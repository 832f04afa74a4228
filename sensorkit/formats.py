"""The tables people already have: which app or device wrote a file, and where its samples are.

Each known export is recognised from its header (never from values), so ``sensorkit import FILE``
needs no options; ``--format`` names one when the guess is wrong, and ``--columns``/``--sep``/
``--decimal``/``--time-unit``/``--epoch`` describe any other table. Units come from the header text
(``(g)``, ``[mg]``, ``(m/s^2)``, ``[dps]``, ``(rad/s)``), times from each format's own clock:

==================  =======================================  ======================================
format              time                                     samples
==================  =======================================  ======================================
sensorkit           ``time`` (s; UNIX time if after 1973)    acc_x..z (g), gyr_x..z (deg/s)
                    or ``timestamp`` (ISO 8601)
metabase            ``epoch (ms)``: UNIX ms                  x/y/z-axis (g); the Gyroscope file of
                                                             the same session (deg/s) is paired
polar               ``sensor timestamp [ns]``: ns since      X/Y/Z [mg]; the GYRO file beside the
                    2000-01-01, the phone's local clock      ACC file (deg/s) is paired
phyphox             ``Time (s)`` from the experiment start   X/Y/Z (m/s^2); Gyroscope.csv (rad/s)
                    (``meta/time.csv`` gives the start)      beside it is paired
sensorlogger        ``time``: UNIX ns                        columns z, y, x; TotalAcceleration
                                                             (m/s^2) or AccelerometerUncalibrated
                                                             (iOS, g); Gyroscope.csv (rad/s)
witmotion           ``Chiptime`` date-time text (SDK .txt);  a{x,y,z}(g), w{x,y,z}(deg/s); SD-card
                    SD-card binaries: their chip time        int16 / 32768 * 16 g, * 2000 deg/s
omgui               UNIX s or date-time text (no header)     ax, ay, az (g)[, gx, gy, gz (deg/s)]
actilife            none: the preamble's rate and start      Accelerometer X/Y/Z (g)
axivity, actigraph, the device's clock (.cwa, .gt3x, .bin,   acceleration (g)[, angular rate
geneactiv           read a part at a time in device_files)   (deg/s)]
movesense           packet ``Timestamp`` (sensor uptime, ms)  ArrayAcc (m/s^2), ArrayGyro (deg/s)
                    of its first sample (.sbem, JSON)
edf                 header start + sample / channel rate     channels labelled Accel/Gyro X, Y, Z
==================  =======================================  ======================================
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from .device_files import KINDS as DEVICE_KINDS
from .device_files import SUFFIXES as DEVICE_SUFFIXES
from .device_files import DeviceFile, device_kind, open_device_file
from .errors import ImportFormatError
from .table_reader import TextLayout

POLAR_EPOCH_S = 946684800.0  # 2000-01-01T00:00:00 UTC in UNIX seconds
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}
EPOCHS = {"auto": None, "unix": 0.0, "relative": None, "polar": POLAR_EPOCH_S}
AXES = ("x", "y", "z")


@dataclass(frozen=True)
class TimeColumn:
    """Where a table's times are and how to read them."""

    name: str  # "" when the file has no time column (rows at a fixed rate)
    text: bool = False  # date-time text (ISO 8601) rather than a number
    unit_s: float = 1.0  # seconds per unit of a number
    epoch: str = "auto"  # "auto": UNIX time when after 1973, else relative; "unix"; "relative"; "polar"
    rate_hz: float | None = None  # no time column: the row on line first_line + i is at i / rate_hz
    first_line: int = 0
    whole_ms: bool = False  # the digits after the seconds' point count milliseconds ("23.30" is 23.030 s)


@dataclass(frozen=True)
class TableFormat:
    """One file's samples: the columns of x, y, z (acceleration or angular rate) and their units."""

    name: str
    time: TimeColumn
    acc: tuple[str, str, str] | None
    gyr: tuple[str, str, str] | None = None
    acc_unit: str = "g"
    gyro_unit: str = "deg/s"
    acc_sign: float = 1.0  # -1 where the app reports acceleration with the opposite sign (iOS)
    layout: TextLayout = TextLayout()
    local_clock: bool = False  # times are a phone's local wall clock with no zone: read as UTC
    last_line_end: bool = True  # the app ends its last line with a line end (else one missing is no sign of a cut)
    names: tuple[str, ...] | None = None  # the columns of a file without a header line
    device: DeviceFile | None = field(default=None, compare=False)  # a device's own file, opened


@dataclass(frozen=True)
class Source:
    """What to read: the accelerometer's table and, when the app writes it apart, the gyroscope's."""

    format_name: str
    acc_path: Path
    acc: TableFormat
    gyr_path: Path | None = None
    gyr: TableFormat | None = None
    start_unix: float | None = None  # UNIX seconds of time 0 of relative times, where the export says it
    untimed: str = ""  # why a file with no times has none (its rows are placed at --rate from --start)

    @property
    def has_gyro(self) -> bool:
        return self.gyr is not None or self.acc.gyr is not None


FORMATS = ("sensorkit", "metabase", "polar", "phyphox", "sensorlogger", "witmotion", "omgui", "actilife",
           "axivity", "actigraph", "geneactiv", "movesense", "edf")


def _csv_header(path: Path, layout: TextLayout) -> list[str]:
    from .table_reader import read_header

    return read_header(path, layout)


def _first_line(path: Path) -> str:
    try:
        with path.open("rb") as f:
            return f.readline(4096).decode("utf-8", errors="replace").lstrip("\ufeff")
    except OSError:
        return ""


def _xyz(header: list[str], template: str) -> tuple[str, str, str] | None:
    """The x, y, z columns named ``template.format(axis)`` (case-insensitive), or None."""
    lowered = {h.lower(): h for h in header}
    names = [lowered.get(template.format(a).lower()) for a in AXES]
    return tuple(names) if all(names) else None  # type: ignore[return-value]


# -- each app's export -------------------------------------------------------------------------------

def _metabase(path: Path, header: list[str]) -> Source | None:
    if not header or header[0].lower() != "epoch (ms)":
        return None
    time = TimeColumn(header[0], unit_s=1e-3, epoch="unix")
    acc = _xyz(header, "{}-axis (g)")
    gyr = _xyz(header, "{}-axis (deg/s)")
    if acc is None:
        if gyr is not None:
            raise ImportFormatError(
                f"{path} looks like a MetaBase gyroscope file; import the session's Accelerometer file "
                "(its gyroscope file is found beside it and paired)")
        return None
    source = Source("metabase", path, TableFormat("metabase", time, acc))
    partner = _metabase_partner(path)
    if partner is not None:
        partner_header = _csv_header(partner, TextLayout())
        partner_gyr = _xyz(partner_header, "{}-axis (deg/s)")
        if partner_gyr is not None:
            return replace(source, gyr_path=partner, gyr=TableFormat(
                "metabase", TimeColumn(partner_header[0], unit_s=1e-3, epoch="unix"), None, partner_gyr))
    return source


def _metabase_partner(path: Path) -> Path | None:
    """The Gyroscope file of the same session: same name up to ``_Accelerometer_``."""
    marker = "_Accelerometer_"
    if marker not in path.name:
        return None
    prefix = path.name.split(marker)[0]
    found = sorted(path.parent.glob(f"{_glob_escape(prefix)}_Gyroscope_*.csv"))
    return found[0] if found else None


def _glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in text)


def _polar(path: Path, first: str) -> Source | None:
    if not first.startswith("Phone timestamp;"):
        return None
    layout = TextLayout(sep=";")
    header = _csv_header(path, layout)
    time = TimeColumn("sensor timestamp [ns]", unit_s=1e-9, epoch="polar")
    if "sensor timestamp [ns]" not in header:
        return None
    acc = _xyz(header, "{} [mg]")
    if acc is None:
        if _xyz(header, "{} [dps]") is not None:
            raise ImportFormatError(
                f"{path} looks like a Polar Sensor Logger GYRO file; import the ACC file of the same "
                "session (the GYRO file beside it is paired)")
        return None
    source = Source("polar", path, TableFormat("polar", time, acc, acc_unit="mg", layout=layout, local_clock=True))
    partner = path.with_name(path.name.replace("ACC", "GYRO")) if "ACC" in path.name else None
    if partner is not None and partner.is_file():
        gyr = _xyz(_csv_header(partner, layout), "{} [dps]")
        if gyr is not None:
            return replace(source, gyr_path=partner, gyr=TableFormat(
                "polar", time, None, gyr, layout=layout, local_clock=True))
    return source


def _phyphox(path: Path, header: list[str]) -> Source | None:
    if not header or header[0] != "Time (s)":
        return None
    time = TimeColumn("Time (s)", epoch="relative")
    acc = _xyz(header, "{} (m/s^2)") or _xyz(header, "Acceleration {} (m/s^2)")
    if acc is None:
        if _xyz(header, "{} (rad/s)") or _xyz(header, "Gyroscope {} (rad/s)"):
            raise ImportFormatError(
                f"{path} looks like a phyphox gyroscope file; import the accelerometer file of the same "
                "experiment (Accelerometer.csv; the Gyroscope.csv beside it is paired)")
        return None
    source = Source("phyphox", path, TableFormat("phyphox", time, acc, acc_unit="m/s2", last_line_end=False))
    start = path.parent / "meta" / "time.csv"
    if start.is_file():
        source = replace(source, start_unix=phyphox_start(start))
    partner = path.parent / "Gyroscope.csv"
    if partner.is_file() and partner != path:
        partner_header = _csv_header(partner, TextLayout())
        gyr = _xyz(partner_header, "{} (rad/s)") or _xyz(partner_header, "Gyroscope {} (rad/s)")
        if gyr is not None:
            source = replace(source, gyr_path=partner, gyr=TableFormat("phyphox", time, None, gyr, gyro_unit="rad/s",
                                                                      last_line_end=False))
    return source


SENSOR_LOGGER_HEADER = ["time", "seconds_elapsed", "z", "y", "x"]


def _sensor_logger_folder(folder: Path) -> Source:
    """A Sensor Logger session: acceleration including gravity, and the gyroscope beside it."""
    time = TimeColumn("time", unit_s=1e-9, epoch="unix")
    total = folder / "TotalAcceleration.csv"  # Android: m/s^2 with gravity, the project's sign
    uncalibrated = folder / "AccelerometerUncalibrated.csv"  # iOS: g with gravity, opposite sign
    if total.is_file():
        acc = TableFormat("sensorlogger", time, ("x", "y", "z"), acc_unit="m/s2")
        acc_path = total
    elif uncalibrated.is_file():
        acc = TableFormat("sensorlogger", time, ("x", "y", "z"), acc_unit="g", acc_sign=-1.0)
        acc_path = uncalibrated
    else:
        raise ImportFormatError(
            f"{folder} is a Sensor Logger recording without acceleration that includes gravity: record "
            "again with 'Total Acceleration' (Android) or 'Accelerometer Uncalibrated' (iOS) switched on")
    source = Source("sensorlogger", acc_path, acc)
    gyro = folder / "Gyroscope.csv"
    if gyro.is_file():
        source = replace(source, gyr_path=gyro,
                         gyr=TableFormat("sensorlogger", time, None, ("x", "y", "z"), gyro_unit="rad/s"))
    return source


def _omgui(path: Path, first: str) -> Source | None:
    """Axivity's CSV export (OmGui, cwa-convert): no header; time, ax, ay, az (g)[, gx, gy, gz (deg/s)].

    The time is UNIX seconds or date-time text, both of the device's local clock.
    """
    cells = [c.strip() for c in first.strip().split(",")]
    if len(cells) not in (4, 7):
        return None
    try:
        [float(c) for c in cells[1:]]
    except ValueError:
        return None
    try:
        text = float(cells[0]) < 1e8  # a number before 1973 is no OmGui time
        if text:
            return None
    except ValueError:
        text = True
        if not (len(cells[0]) >= 19 and cells[0][4] == "-" and cells[0][10] == " "):
            return None
    names = ("time", "ax", "ay", "az", "gx", "gy", "gz")[:len(cells)]
    time = TimeColumn("time", text=text, epoch="unix")
    layout = TextLayout(header_line=0)
    fmt = TableFormat("omgui", time, ("ax", "ay", "az"), ("gx", "gy", "gz") if len(cells) == 7 else None,
                      layout=layout, local_clock=True, last_line_end=False, names=names)
    return Source("omgui", path, fmt)


def _witmotion(path: Path, first: str) -> Source | None:
    """WitMotion's SDK text log: tab separated, a GBK header, ``Chiptime`` as date-time text of the
    sensor's clock, no field zero padded (``2022-7-5 11:58:23.30`` is 30 ms past the second, as the
    115 ms steps of its neighbours show), ``None`` where missing; a row is written whenever a
    register updates, so the repeats of a time are skipped as out of order."""
    if not first.startswith("Chiptime\t"):
        return None
    layout = TextLayout(sep="\t", encoding="gbk")
    header = _csv_header(path, layout)
    acc = _xyz(header, "a{}(g)")
    if acc is None:
        return None
    if _never_timed(path):
        fmt = TableFormat("witmotion", TimeColumn("", epoch="relative", first_line=2), acc,
                          _xyz(header, "w{}(deg/s)"), layout=layout)
        return Source("witmotion", path, fmt, untimed="its Chiptime is None on every row; the SDK writes a row "
                      "whenever a register updates, so --rate is the rate rows were written at")
    fmt = TableFormat("witmotion", TimeColumn("Chiptime", text=True, whole_ms=True), acc, _xyz(header, "w{}(deg/s)"),
                      layout=layout, local_clock=True)
    return Source("witmotion", path, fmt)


def _never_timed(path: Path, rows: int = 1000) -> bool:
    """True when the first rows of a WitMotion SDK log all have ``None`` for their Chiptime."""
    with path.open("rb") as f:
        f.readline()
        cells = [line.split(b"\t", 1)[0].strip() for line in itertools.islice(f, rows)]
    cells = [c for c in cells if c]
    return bool(cells) and all(c == b"None" for c in cells)


def _actilife(path: Path, first: str) -> Source | None:
    """ActiLife's CSV export: a 10-line preamble (rate, start date and time), then acceleration in g
    and no time column: the rows are at the preamble's rate from its start, the device's local clock."""
    if "ActiGraph" not in first or " Hz" not in first:
        return None
    try:
        with path.open(encoding="utf-8", errors="replace") as f:
            preamble = [next(f).strip() for _ in range(11)]
        rate = float(first.split(" Hz")[0].rsplit(" ", 1)[1])
        clock = next(line.split()[-1] for line in preamble if line.startswith("Start Time"))
        day = next(line.split()[-1] for line in preamble if line.startswith("Start Date"))
        order = "%d/%m/%Y" if "date format d/M/yyyy" in first or "date format dd/MM/yyyy" in first else "%m/%d/%Y"
        start = datetime.strptime(f"{day} {clock}", f"{order} %H:%M:%S").replace(tzinfo=timezone.utc)
    except (StopIteration, ValueError, IndexError, OSError):
        raise ImportFormatError(f"{path} looks like an ActiLife CSV export, but its preamble lacks the rate, "
                                "Start Time or Start Date lines") from None
    header = _csv_header(path, TextLayout(header_line=11))
    acc = _xyz(header, "Accelerometer {}")
    if acc is None:
        raise ImportFormatError(f"{path} looks like an ActiLife CSV export without Accelerometer X/Y/Z columns "
                                f"(its columns: {', '.join(header)})")
    time = TimeColumn("", epoch="relative", rate_hz=rate, first_line=12)
    fmt = TableFormat("actilife", time, acc, layout=TextLayout(header_line=11), local_clock=True)
    return Source("actilife", path, fmt, start_unix=start.timestamp())


def _device_file(path: Path, kind: str, name: str | None) -> Source:
    """A device's own file (read through :mod:`sensorkit.device_files`) as a table of time, ax..gz."""
    if name is not None and name != kind:
        raise ImportFormatError(f"{path} is not a {name} file (it looks like a {kind} file)")
    device = open_device_file(path, kind)
    if device.clock == "none":
        time = TimeColumn("", epoch="relative", first_line=1)
    else:
        time = TimeColumn("time", epoch="relative" if device.clock == "uptime" else "unix")
    fmt = TableFormat(kind, time, ("ax", "ay", "az"), ("gx", "gy", "gz") if device.has_gyro else None,
                      acc_unit=device.acc_unit, gyro_unit=device.gyro_unit, local_clock=device.clock == "local",
                      names=("time", "ax", "ay", "az", "gx", "gy", "gz"), device=device)
    return Source(kind, path, fmt, untimed=device.untimed)


# -- detection ---------------------------------------------------------------------------------------

def sniff(path: Path, name: str | None = None) -> Source | None:
    """The app export ``path`` is (``name`` forces one), or None for the interchange format/others."""
    if path.is_dir():
        if (path / "Metadata.csv").is_file() or name == "sensorlogger":
            return _sensor_logger_folder(path)
        raise ImportFormatError(f"{path} is a folder; name a file in it (or a Sensor Logger folder)")
    if name == "sensorkit" or path.suffix.lower() in (".parquet", ".gz"):
        return None
    kind = device_kind(path)
    if kind is not None:
        return _device_file(path, kind, name)
    if name in DEVICE_KINDS and name != "witmotion":
        expected = ", ".join(suffix for suffix, k in DEVICE_SUFFIXES.items() if k == name)
        raise ImportFormatError(f"{path} is not a {name} file ({name} files end in {expected})")
    first = _first_line(path)
    detected = _polar(path, first) or _witmotion(path, first) or _actilife(path, first) or _omgui(path, first)
    if detected is None and first.strip():
        header = _csv_header(path, TextLayout())
        if header == SENSOR_LOGGER_HEADER or (path.name == "Metadata.csv" and header[:2] == ["version", "device name"]):
            detected = _sensor_logger_folder(path.parent)
        else:
            _refuse_companion(path, first, header)
            detected = _metabase(path, header) or _phyphox(path, header)
    if name is not None and (detected is None or detected.format_name != name):
        found = f"it looks like a {detected.format_name} export" if detected else "its header is not that format's"
        raise ImportFormatError(f"{path} is not a {name} export ({found}); first line: {first.strip()[:120]!r}")
    return detected


def _refuse_companion(path: Path, first: str, header: list[str]) -> None:
    """An app's file that holds no samples says which file of the session to import."""
    if first.startswith("Phone timestamp;Marker"):
        raise ImportFormatError(f"{path} is a Polar Sensor Logger marker file (no samples); import the ACC file "
                                "of the same session")
    if path.parent.name == "meta" and header[:1] in (["property"], ["event"]):
        raise ImportFormatError(f"{path} is phyphox's experiment metadata (no samples); import the sensor's file "
                                f"in {path.parent.parent} (Accelerometer.csv)")


def unpack_zip(path: Path, into: Path) -> Path:
    """A zipped Sensor Logger session extracted into ``into`` (a private temporary folder); its CSV
    files land side by side there, whatever folders the zip had."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".csv") and ".." not in m]
            if not members:
                raise ImportFormatError(f"{path} holds no CSV files")
            for member in members:
                target = into / Path(member).name
                target.write_bytes(archive.read(member))
    except zipfile.BadZipFile as exc:
        raise ImportFormatError(f"{path} is not a readable zip file ({exc})") from exc
    return into


def phyphox_start(time_file: Path) -> float | None:
    """UNIX seconds of the experiment's time 0 (the START row of phyphox's meta/time.csv)."""
    try:
        rows = list(csv.DictReader(io.StringIO(time_file.read_text(encoding="utf-8"))))
        for row in rows:
            if row.get("event") == "START":
                return float(row["system time"]) - float(row["experiment time"])
    except (OSError, ValueError, KeyError, UnicodeDecodeError):
        return None
    return None
