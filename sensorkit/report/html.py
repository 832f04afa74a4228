"""The report as one self-contained HTML file: charts inline as SVG, no script, nothing fetched.

Every figure is shown for people and carries its exact value for machines: ``data-metric`` names it
(the key of ``sensorkit trends``' metrics or of ``sensorkit analyze --json``'s summary) and
``data-value`` holds the number in the summary's own units (seconds, counts), so a test (or a script)
can compare the page with ``sensorkit analyze --json`` without parsing "2 h 05 min".
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from html import escape
from typing import Any

from sensorkit.signal.profile import THRESHOLDS

from . import charts
from .gather import LANES, ReportData, ReportDay
from .methods import METHOD, SIMULATION_ONLY, VALIDATION
from .text import KEY_FIGURES, duration, period_title, signed, software_version

STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 14px; color: #222; max-width: 60em;
       margin: 1.5em auto; padding: 0 1em; line-height: 1.35; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ccc; margin-top: 1.6em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.3em; }
.sub { color: #555; margin-top: 0; }
.key { display: flex; flex-wrap: wrap; gap: 0.8em; margin: 0.8em 0; }
.key div { border: 1px solid #ccc; border-radius: 4px; padding: 0.5em 0.8em; min-width: 10em; }
.key .value { font-size: 1.4em; font-weight: bold; display: block; }
table { border-collapse: collapse; margin: 0.4em 0; } td, th { padding: 0.15em 0.7em 0.15em 0; text-align: left;
        vertical-align: top; } th { font-weight: 600; } td.n { text-align: right; }
img.chart { width: 100%; height: auto; display: block; }
.day { break-inside: avoid; } .figures { columns: 2; font-size: 0.92em; } .figures table { break-inside: avoid; }
.legend span { white-space: nowrap; margin-right: 0.9em; }
.legend i { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; vertical-align: middle; }
.small { font-size: 0.88em; color: #444; }
@media print { body { max-width: none; margin: 0; font-size: 11px; } h2 { break-after: avoid; } }
"""


def render(data: ReportData, written: datetime | None = None) -> str:
    """The whole report as HTML text."""
    written = written or datetime.now(timezone.utc)
    with charts.style():
        return "\n".join(_parts(data, written))


def _parts(data: ReportData, written: datetime) -> list[str]:
    return [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(period_title(data))}</title><style>{STYLE}</style></head><body>",
        _header(data, written),
        _summary(data),
        _trends(data),
        _days(data),
        _profile(data),
        _quality(data),
        _methods(),
        "</body></html>",
    ]


def _figure(metric: str, value: float | None, shown: str) -> str:
    raw = "" if value is None else repr(float(value)) if isinstance(value, float) else str(value)
    return f'<span data-metric="{escape(metric)}" data-value="{raw}">{escape(shown)}</span>'


def _chart(name: str, fig: Any, alt: str) -> str:
    b64 = base64.b64encode(charts.svg(fig)).decode("ascii")
    return f'<img class="chart" data-chart="{escape(name)}" alt="{escape(alt)}" src="data:image/svg+xml;base64,{b64}">'


def _header(data: ReportData, written: datetime) -> str:
    zones = ", ".join(data.zones) or "UTC"
    n = len(data.days)
    return (f"<header><h1>Posture and activity report</h1>"
            f'<p class="sub">{escape(period_title(data))}: {n} day{"" if n == 1 else "s"} recorded, from '
            f"{escape(data.source.name or str(data.source))}. Times are local ({escape(zones)}). Written {written:%Y-%m-%d %H:%M} UTC by SensorKit {escape(software_version())}.</p>"
            "</header>")


def _summary(data: ReportData) -> str:
    n = len(data.days)
    cells = []
    for label, key, kind in KEY_FIGURES:
        mean = data.mean_per_day(key)
        shown = ("not measured" if mean is None else (duration(mean) if kind == "s" else f"{mean:.1f}" if n > 1
                 else f"{mean:.0f}") + data.measured_note(key))
        cells.append(f'<div>{escape(label)}<span class="value">{_figure("mean_" + key, mean, shown)}</span></div>')
    per = "per recorded day (mean)" if n > 1 else "on the day recorded"
    return (f'<section id="summary"><h2>The period at a glance</h2><p class="small">{per}</p>'
            f'<div class="key">{"".join(cells)}</div></section>')


def _trends(data: ReportData) -> str:
    rows = []
    days = data.days
    for title, key, divisor, unit in charts.TREND_CHARTS:
        trend = data.trends.trends[key]
        mean = data.mean_per_day(key)
        wow = "" if trend.week_on_week is None else f"{signed(trend.week_on_week / divisor)} {unit}"
        shown = "not measured" if mean is None else f"{mean / divisor:.1f} {unit}{data.measured_note(key)}"
        said = "not measured" if mean is None else charts.direction(trend, mean, divisor, unit)
        rows.append(f"<tr><td>{escape(title)}</td><td class=n>{_figure('mean_' + key, mean, shown)}</td><td class=n>{escape(wow)}</td>"
                    f'<td data-trend="{key}">{escape(said)}</td></tr>')
    table = ("<table><tr><th>metric</th><th>mean per day</th><th>last week vs the week before</th>"
             f"<th>direction</th></tr>{''.join(rows)}</table>")
    if len(days) < 2:
        return (f'<section id="trends"><h2>Trends</h2><p>One day recorded: trends need days over at least two '
                f"weeks ({days[0].day.recordings} recording{'s' if days[0].day.recordings > 1 else ''}).</p></section>")
    day_chart = _chart("trend-days", charts.trend_charts(data, "day"), "day-by-day trend charts")
    week_chart = _chart("trend-weeks", charts.trend_charts(data, "week"), "week-by-week trend charts")
    return (f'<section id="trends"><h2>Trends</h2>{table}'
            f"<h3>Day by day</h3><p class=small>One bar per recorded day; the red line is the trend (least squares).</p>{day_chart}"
            f"<h3>Week by week</h3><p class=small>The mean per recorded day of each ISO week.</p>{week_chart}</section>")


def _legend() -> str:
    keys = [(charts.COLOURS[lane], lane) for lane in LANES]
    keys += [(c, f"{s} bend") for s, c in charts.SEVERITY_COLOURS.items()] + [(charts.ALERT_COLOUR, "alert")]
    spans = "".join(f'<span><i style="background:{c}"></i>{escape(label)}</span>' for c, label in keys)
    return f'<p class="legend small">{spans}</p>'


def _days(data: ReportData) -> str:
    axis = charts.hours_shown(data.days)
    return '<section id="days"><h2>Day by day</h2>' + _legend() + "".join(_day(d, axis) for d in data.days) + "</section>"


def _day(day: ReportDay, axis: tuple[int, int]) -> str:
    m = day.metrics
    fig = charts.day_timeline(day, axis)
    chart = _chart(f"timeline-{day.date}", fig, f"posture timeline of {day.date}")
    d = duration
    gait = day.walking_not_measured  # "not measured (why)" in place of walking figures that were not measured
    posture = [
        ("worn", "worn_s", d(m["worn_s"])),
        ("sitting upright", "sitting_upright_s", d(day.sitting_upright_s)),
        ("sitting slouched", "slouch_s", d(m["slouch_s"])),
        ("standing", "standing_s", d(m["standing_s"])),
        ("walking", "walking_s", gait or d(m["walking_s"])),
        ("lying", "lying_s", d(m["lying_s"])),
        ("not worn", "not_worn_s", d(day.not_worn_s)),
    ]
    values = {"sitting_upright_s": day.sitting_upright_s, "not_worn_s": day.not_worn_s}
    bands = [("0-20 deg", "upright_0_20_s", d(m["upright_0_20_s"])), ("20-60 deg", "upright_20_60_s", d(m["upright_20_60_s"])),
             ("over 60 deg", "upright_over_60_s", d(m["upright_over_60_s"]))]
    events = [
        ("bends", "bends", f"{m['bends']:.0f}"), ("high severity", "bends_high", f"{m['bends_high']:.0f}"),
        ("moderate", "bends_moderate", f"{m['bends_moderate']:.0f}"), ("low", "bends_low", f"{m['bends_low']:.0f}"),
        ("bends per hour worn", "bends_per_hour_worn", "-" if day.bends_per_hour_worn is None else f"{day.bends_per_hour_worn:.1f}"),
        ("slouch episodes", "slouch_episodes", f"{m['slouch_episodes']:.0f}"),
        ("walking bouts", "walking_bouts", gait or str(day.walking_bouts)), ("steps", "steps", gait or f"{m['steps']:.0f}"),
        ("sedentary bouts", "sedentary_bouts", f"{m['sedentary_bouts']:.0f}"),
        ("longest sedentary bout", "longest_sedentary_s", d(m["longest_sedentary_s"])),
        ("alerts", "alerts", f"{m['alerts']:.0f}"),
    ]
    values.update(bends_per_hour_worn=day.bends_per_hour_worn, walking_bouts=None if gait else day.walking_bouts)
    events += [(f"alerts: {k.replace('_', ' ')}", f"alert_{k}", str(n)) for k, n in day.alerts_by_kind.items()]
    values.update({f"alert_{k}": n for k, n in day.alerts_by_kind.items()})

    def table(title: str, rows: list[tuple[str, str, str]]) -> str:
        body = "".join(f"<tr><td>{escape(label)}</td><td class=n>{_figure(key, values.get(key, m.get(key)), shown)}</td></tr>"
                       for label, key, shown in rows)
        return f"<table><tr><th colspan=2>{escape(title)}</th></tr>{body}</table>"

    recs = ", ".join(day.recordings)
    return (f'<article class="day" id="day-{day.date}" data-date="{day.date}"><h3>{day.date:%A %d %B %Y}</h3>{chart}'
            f'<div class="figures">{table("time", posture)}{table("upright time by trunk flexion", bands)}'
            f'{table("events", events)}</div><p class="small">from {escape(recs)}</p></article>')


def _profile(data: ReportData) -> str:
    p = data.profile
    rows = []
    for th in THRESHOLDS:
        value = p.values[th.name]
        mark = "" if value == th.default else f" (default {th.default:g})"
        rows.append(f"<tr><td>{escape(th.name)}</td><td class=n>{value:g} {escape(th.unit)}{escape(mark)}</td>"
                    f"<td class=small>{escape(th.meaning)}</td></tr>")
    source = f"profile {escape(data.profile_path)}" if data.profile_path else "defaults (no --profile given)"
    neutral = ("learnt per sitting period" if p.sitting_neutral_deg is None else f"{p.sitting_neutral_deg:g} deg (fixed)")
    return (f'<section id="profile"><h2>Thresholds and calibration</h2><p>Thresholds: {source}. Sitting neutral: '
            f"{escape(neutral)}. Calibration: {escape(calibration_text(data.calibration))}.</p>"
            f"<table class=small>{''.join(rows)}</table></section>")


def calibration_text(calibration: dict[str, Any] | None) -> str:
    if not calibration:
        return "none stored; the sensor's mounting was estimated from each recording"
    source = calibration.get("source", "calibration")
    forward = calibration.get("forward_from")
    return f"from {source}" + (f", forward direction from {forward}" if forward else "")


def _quality(data: ReportData) -> str:
    rows = []
    for q in data.quality:
        rec = "-" if q.reconnects is None else str(q.reconnects)
        rows.append(f"<tr><td>{escape(q.name)}</td><td>{q.start:%Y-%m-%d %H:%M}</td>"
                    f"<td class=n>{_figure('recording_duration_s', q.duration_s, duration(q.duration_s))}</td>"
                    f"<td class=n>{_figure('recording_worn_s', q.worn_s, duration(q.worn_s))}</td>"
                    f"<td class=n>{_figure('gaps', q.gaps, str(q.gaps))}</td>"
                    f"<td class=n>{_figure('missing_s', q.missing_s, duration(q.missing_s))}</td>"
                    f"<td class=n>{rec}</td><td class=small>{escape(q.angles_from)} {escape(q.note)}</td></tr>")
    skipped = "".join(f"<li>{escape(name)}: {escape(why)}</li>" for name, why in data.skipped)
    warnings = "".join(f"<li>{escape(w)}</li>" for w in data.warnings)
    return ('<section id="quality"><h2>Data quality</h2><table><tr><th>recording</th><th>start</th><th>length</th>'
            "<th>worn</th><th>gaps</th><th>missing</th><th>reconnects</th><th>notes</th></tr>"
            f"{''.join(rows)}</table>"
            + (f"<p>Not used:</p><ul class=small>{skipped}</ul>" if skipped else "")
            + (f"<p>Warnings from the analysis:</p><ul class=small>{warnings}</ul>" if warnings else "")
            + "<p class=small>Reconnects: '-' for recordings not made over Bluetooth (imported or simulated).</p></section>")


def _methods() -> str:
    rows = "".join(f"<tr><td>{escape(w)}</td><td>{escape(f)}</td><td>{escape(d)}</td></tr>" for w, f, d in VALIDATION)
    return (f'<section id="methods"><h2>Methods</h2><p class=small>{escape(METHOD)}</p>'
            f"<table class=small><tr><th>validated</th><th>figure</th><th>data</th></tr>{rows}</table>"
            f"<p class=small>{escape(SIMULATION_ONLY)}</p></section>")
