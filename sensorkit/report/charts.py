"""The report's charts, drawn with matplotlib: a day's posture timeline and the period's trends.

matplotlib is an optional extra (``pip install 'sensorkit[report]'``); :func:`require_matplotlib`
says so in one sentence when it is missing. Figures are made outside pyplot (no display, no window, no
global state), so the report can be written on a server or from the terminal app's worker thread. Colours are the Okabe-Ito set, told apart by colour-blind readers.
"""

from __future__ import annotations

import contextlib
import io
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from sensorkit.errors import SensorKitError

from .gather import LANES, ReportData, ReportDay
from .text import signed

COLOURS = {
    "sitting upright": "#0072B2", "sitting slouched": "#E69F00", "standing": "#009E73",
    "walking": "#56B4E9", "lying": "#CC79A7", "not worn": "#999999",
}
SEVERITY_COLOURS = {"low": "#F0E442", "moderate": "#E69F00", "high": "#D55E00"}
MARKER_SIZES = {"low": 14, "moderate": 24, "high": 40}  # a high bend stands out in print without colour
ALERT_COLOUR = "#000000"

# the trend charts: title, metric, divisor to the unit shown, unit
TREND_CHARTS = (
    ("Time slouched", "slouch_s", 60.0, "min"),
    ("Bends, high severity", "bends_high", 1.0, "bends"),
    ("Walking", "walking_s", 60.0, "min"),
    ("Steps", "steps", 1.0, "steps"),
    ("Sitting", "sitting_s", 3600.0, "h"),
    ("Flexed 20-60 deg", "upright_20_60_s", 60.0, "min"),
    ("Bends, all", "bends", 1.0, "bends"),
    ("Alerts", "alerts", 1.0, "alerts"),
    ("Worn", "worn_s", 3600.0, "h"),
)


def require_matplotlib() -> None:
    """SensorKitError in one sentence when matplotlib (the ``report`` extra) is not installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise SensorKitError("the report needs matplotlib, which is not installed: "
                             "pip install 'sensorkit[report]'") from None


# the charts' look, applied while a report is drawn (:func:`style`): small print, text kept as text in PDFs
STYLE = {"pdf.fonttype": 42, "svg.hashsalt": "sensorkit", "font.size": 8, "axes.titlesize": 9,
         "font.family": "DejaVu Sans"}


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Draw and save inside this: matplotlib's settings are changed for the report and restored after."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        yield


def _figure(**kw: Any) -> Any:
    """A figure of its own, outside pyplot: no backend to switch, no global list of open figures, so
    the terminal app can write a report from a worker thread."""
    from matplotlib.figure import Figure

    return Figure(layout="constrained", **kw)


def day_timeline(day: ReportDay, axis: tuple[int, int] = (0, 24), width_in: float = 7.5) -> Any:
    """One day, ``axis`` (elapsed hours from local midnight, the same for every day of a report so
    days line up): a lane per state, bends by severity and alerts above."""
    fig = _figure(figsize=(width_in, 2.3))
    ax = fig.subplots()
    hours = lambda moment: elapsed_h(day, moment)  # noqa: E731
    lanes = ("bends", "alerts", *LANES)
    row = {lane: len(lanes) - 1 - i for i, lane in enumerate(lanes)}
    for lane in LANES:
        bars = [(hours(s.start), hours(s.end) - hours(s.start)) for s in day.segments if s.lane == lane]
        if bars:
            ax.broken_barh(bars, (row[lane] - 0.4, 0.8), facecolors=COLOURS[lane], rasterized=True)
    for severity, colour in SEVERITY_COLOURS.items():
        xs = [hours(m.at) for m in day.marks if m.kind == "bend" and m.label == severity]
        if xs:
            ax.scatter(xs, [row["bends"]] * len(xs), s=MARKER_SIZES[severity], marker="v", color=colour, edgecolors="#333333",
                       linewidths=0.4, label=f"{severity} bend", zorder=3)
    xs = [hours(m.at) for m in day.marks if m.kind == "alert"]
    if xs:
        ax.scatter(xs, [row["alerts"]] * len(xs), s=24, marker="D", color=ALERT_COLOUR, label="alert", zorder=3)
    lo, hi = axis
    ax.set_xlim(lo, hi)
    ax.set_ylim(-0.6, len(lanes) - 0.4)
    ax.set_yticks([row[lane] for lane in lanes], lanes)
    ticks = list(range(lo, hi + 1, 1 if hi - lo <= 8 else 2))
    ax.set_xticks(ticks, [clock_at(day, h) for h in ticks])
    ax.grid(axis="x", color="#dddddd", linewidth=0.5)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"{day.date:%A %d %B %Y}, local time ({day.start.tzname()})", loc="left")
    ax.set_xlabel("bends by severity: ▼ low (small, yellow), moderate (orange), high (large, red); ◆ alert", fontsize=7)
    return fig


def elapsed_h(day: ReportDay, moment: datetime) -> float:
    """Hours from the day's local midnight, in real time (UTC): a daylight-saving day is 23 or 25 h long.
    (Aware datetimes of one zone subtract as wall clocks, hence the UTC.)"""
    return (moment.astimezone(timezone.utc) - day.start.astimezone(timezone.utc)).total_seconds() / 3600.0


def clock_at(day: ReportDay, hours: float) -> str:
    """The local clock time ``hours`` after the day's midnight (``03:00`` after ``01:00`` on a spring day)."""
    moment = day.start.astimezone(timezone.utc) + timedelta(hours=hours)
    return moment.astimezone(day.start.tzinfo).strftime("%H:%M")


def hours_shown(days: list[ReportDay]) -> tuple[int, int]:
    """The whole local hours that hold every day's data (at least 2), for a common timeline axis."""
    spans = [(elapsed_h(d, s.start), elapsed_h(d, s.end))
             for d in days for s in d.segments]
    if not spans:
        return 0, 24
    lo = int(min(a for a, _ in spans))
    hi = max(lo + 2, -int(-max(b for _, b in spans) // 1))
    return lo, min(hi, 25)


def direction(trend: Any, mean: float, divisor: float, unit: str) -> str:
    """The trend in words: rising, falling or steady (a slope within 5 % of the daily mean per week),
    with the slope per week; or why there is none yet."""
    if trend.slope_per_week is None:
        return "no trend yet (" + trend.note.split(": ", 1)[-1] + ")" if trend.note else "no trend yet"
    slope = trend.slope_per_week / divisor
    word = "steady" if abs(trend.slope_per_week) <= 0.05 * abs(mean) else "rising" if slope > 0 else "falling"
    return f"{word}, {signed(slope)} {unit}/day per week over {trend.days} days"


def trend_charts(data: ReportData, by: str, width_in: float = 7.5) -> Any:
    """Small multiples of the main metrics, ``by`` "day" (one bar per recorded day, with the slope)
    or "week" (the daily mean over each ISO week's recorded days)."""
    cols = 3
    rows = -(-len(TREND_CHARTS) // cols)
    fig = _figure(figsize=(width_in, 1.75 * rows))
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, (title, key, divisor, unit) in zip(axes.flat, TREND_CHARTS):
        days = [d for d in data.trends.days if d.metrics[key] is not None]  # walking: the days it was measured
        weeks = [w for w in data.trends.weeks if w.per_day[key] is not None]
        mean = data.mean_per_day(key)
        if not days or mean is None:
            ax.set_title(f"{title}: not measured", loc="left", fontsize=8)
            ax.set_axis_off()
            continue
        if by == "day":
            x = [(d.date - days[0].date).days for d in days]
            y = [d.metrics[key] / divisor for d in days]
            ax.bar(x, y, width=0.8, color="#0072B2")
            slope = data.trends.trends[key].slope_per_week
            if slope is not None and len(x) > 1:
                import numpy as np

                fit = np.polyfit(np.array(x) / 7.0, np.array(y), 1)
                ax.plot([x[0], x[-1]], np.polyval(fit, [x[0] / 7.0, x[-1] / 7.0]), color="#D55E00", linewidth=1.2)
            shown = _spaced(x, (x[-1] - x[0]) / 5)
            ax.set_xticks(shown, [(days[0].date + timedelta(days=i)).strftime("%d %b") for i in shown], fontsize=6)
        else:
            x = list(range(len(weeks)))
            ax.bar(x, [w.per_day[key] / divisor for w in weeks], width=0.6, color="#009E73")
            ax.set_xticks(x, _sparse_labels([w.week.split("-")[1] for w in weeks]), fontsize=6)
        trend = data.trends.trends[key]
        word = direction(trend, mean, divisor, unit).split(",")[0] if trend.slope_per_week is not None else ""
        ax.set_title(f"{title} ({unit}/day)" + (f": {word}" if word else ""), loc="left", fontsize=8)
        ax.tick_params(axis="y", labelsize=6)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    for ax in list(axes.flat)[len(TREND_CHARTS):]:
        ax.set_visible(False)
    return fig


def _spaced(x: list[int], gap: float) -> list[int]:
    """The positions to label: the first, then each at least ``gap`` after the last labelled one."""
    out = [x[0]]
    for v in x[1:]:
        if v - out[-1] >= gap:
            out.append(v)
    return out


def _sparse_labels(labels: list[str], most: int = 7) -> list[str]:
    step = max(1, -(-len(labels) // most))
    return [t if i % step == 0 else "" for i, t in enumerate(labels)]


def svg(fig: Any) -> bytes:
    return _save(fig, "svg")


def png(fig: Any, dpi: int = 150) -> bytes:
    return _save(fig, "png", dpi=dpi)


def _save(fig: Any, fmt: str, **kw: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, **kw)
    return buf.getvalue()
