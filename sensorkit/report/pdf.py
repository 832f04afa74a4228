"""The report as an A4 PDF, laid out with matplotlib's PdfPages.

PdfPages is part of matplotlib, which draws the charts anyway: no HTML-to-PDF engine (WeasyPrint needs
Pango and cairo from the system, a browser's print-to-PDF needs a browser at run time) and no second
layout to keep in step. Pages are filled top to bottom by :class:`Pages`; text stays text (TrueType
fonts embedded, so it can be searched and copied), charts are placed as 200 dpi images.
"""

from __future__ import annotations

import io
import textwrap
from datetime import datetime, timezone
from typing import Any

from sensorkit.signal.profile import THRESHOLDS

from . import charts
from .gather import ReportData, ReportDay
from .html import calibration_text
from .methods import METHOD, SIMULATION_ONLY, VALIDATION
from .text import KEY_FIGURES, duration, period_title, signed, software_version

A4_IN = (8.27, 11.69)
MARGIN_IN = 0.6
LINE_IN = 0.17  # one 8-point line
CHART_DPI = 200


class Pages:
    """A4 pages filled from the top; a block that does not fit starts a new page."""

    def __init__(self, pdf: Any, title: str) -> None:
        self.pdf, self.title = pdf, title
        self.fig: Any = None
        self.y = 0.0  # inches from the top of the page
        self.number = 0
        self.new_page()

    @property
    def width(self) -> float:
        return A4_IN[0] - 2 * MARGIN_IN

    def new_page(self) -> None:
        from matplotlib.figure import Figure

        self.finish()
        self.fig = Figure(figsize=A4_IN)
        self.number += 1
        self.y = MARGIN_IN
        self.fig.text(MARGIN_IN / A4_IN[0], 0.3 / A4_IN[1], f"{self.title} - page {self.number}", fontsize=6.5, color="#666666")

    def finish(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig, dpi=CHART_DPI)  # images kept at the dpi they were drawn at
            self.fig = None

    def need(self, height_in: float) -> None:
        if self.y + height_in > A4_IN[1] - MARGIN_IN:
            self.new_page()

    def text(self, x_in: float, s: str, size: float = 8, **kw: Any) -> None:
        self.fig.text((MARGIN_IN + x_in) / A4_IN[0], 1 - self.y / A4_IN[1], s, fontsize=size, va="top", **kw)

    def line(self, s: str, size: float = 8, gap: float = 1.0, **kw: Any) -> None:
        self.need(LINE_IN * size / 8 * gap)
        self.text(0, s, size, **kw)
        self.y += LINE_IN * size / 8 * gap

    def heading(self, s: str, size: float = 12) -> None:
        self.need(0.9)  # never a heading alone at the foot of a page
        self.y += 0.12
        self.line(s, size, gap=1.3, weight="bold")

    def paragraph(self, s: str, size: float = 8, width_chars: int = 118) -> None:
        for row in textwrap.wrap(s, int(width_chars * 8 / size)):
            self.line(row, size)
        self.y += 0.05

    def rows(self, rows: list[tuple[str, ...]], columns_in: tuple[float, ...], size: float = 8) -> None:
        for row in rows:
            self.need(LINE_IN * size / 8)
            for x, cell in zip(columns_in, row):
                self.text(x, cell, size)
            self.y += LINE_IN * size / 8

    def chart(self, fig: Any, caption: str = "") -> None:
        """The matplotlib figure as an image across the page's width, under its caption."""
        import matplotlib.image as mpimg

        img = mpimg.imread(io.BytesIO(charts.png(fig, dpi=CHART_DPI)), format="png")
        height = self.width * img.shape[0] / img.shape[1]
        self.need(height + (LINE_IN if caption else 0))
        if caption:
            self.line(caption, weight="bold")
        ax = self.fig.add_axes((MARGIN_IN / A4_IN[0], 1 - (self.y + height) / A4_IN[1],
                                self.width / A4_IN[0], height / A4_IN[1]))
        ax.imshow(img, interpolation="none")  # embedded as drawn: no resampling
        ax.axis("off")
        self.y += height + 0.05


def render_pdf(data: ReportData, written: datetime | None = None) -> bytes:
    """The whole report as PDF bytes."""
    from matplotlib.backends.backend_pdf import PdfPages

    written = written or datetime.now(timezone.utc)
    buf = io.BytesIO()
    with charts.style(), PdfPages(buf, metadata={"Title": period_title(data),
                                                 "Creator": f"SensorKit {software_version()}"}) as pdf:
        pages = Pages(pdf, period_title(data))
        _summary(pages, data, written)
        _trends(pages, data)
        for day in data.days:
            _day(pages, day, charts.hours_shown(data.days))
        _profile(pages, data)
        _quality(pages, data)
        _methods(pages)
        pages.finish()
    return buf.getvalue()


def _summary(pages: Pages, data: ReportData, written: datetime) -> None:
    n = len(data.days)
    pages.line("Posture and activity report", 16, gap=1.5, weight="bold")
    pages.paragraph(f"{period_title(data)}: {n} day{'' if n == 1 else 's'} recorded, from {data.source.name or data.source}. Times are local "
                    f"({', '.join(data.zones) or 'UTC'}). Written {written:%Y-%m-%d %H:%M} UTC by SensorKit "
                    f"{software_version()}.", 8.5)
    pages.heading("The period at a glance")
    pages.line("per recorded day (mean)" if n > 1 else "on the day recorded", 7.5, color="#555555")
    cells = []
    for label, key, kind in KEY_FIGURES:
        mean = data.mean_per_day(key)
        cells.append((label, "not measured" if mean is None else (duration(mean) if kind == "s" else f"{mean:.1f}"
                                                                  if n > 1 else f"{mean:.0f}") + data.measured_note(key)))
    pages.need(0.5)
    for i, (label, value) in enumerate(cells):
        pages.text(i * pages.width / 4, label, 8.5)
    pages.y += 0.2
    for i, (label, value) in enumerate(cells):
        pages.text(i * pages.width / 4, value, 14, weight="bold")
    pages.y += 0.35


def _trends(pages: Pages, data: ReportData) -> None:
    pages.heading("Trends")
    days = data.days
    if len(days) < 2:
        pages.paragraph("One day recorded: trends need days over at least two weeks.")
        return
    rows = [("metric", "mean per day", "last week vs before", "direction")]
    for title, key, divisor, unit in charts.TREND_CHARTS:
        trend = data.trends.trends[key]
        mean = data.mean_per_day(key)
        wow = "" if trend.week_on_week is None else f"{signed(trend.week_on_week / divisor)} {unit}"
        if mean is None:
            rows.append((title, "not measured", wow, ""))
        else:
            rows.append((title, f"{mean / divisor:.1f} {unit}{data.measured_note(key)}", wow,
                         charts.direction(trend, mean, divisor, unit)))
    pages.rows(rows, (0, 1.9, 2.9, 4.2), 7.5)
    pages.y += 0.1
    pages.chart(charts.trend_charts(data, "day", width_in=pages.width),
                "Day by day: one bar per recorded day, the red line the trend (least squares)")
    pages.chart(charts.trend_charts(data, "week", width_in=pages.width),
                "Week by week: the mean per recorded day of each ISO week")


def _day(pages: Pages, day: ReportDay, axis: tuple[int, int]) -> None:
    m = day.metrics
    pages.need(2.5 + 1.5)  # the heading, the chart and its figures stay on one page
    pages.chart(charts.day_timeline(day, axis, width_in=pages.width), f"{day.date:%A %d %B %Y}")
    d = duration
    gait = day.walking_not_measured  # "not measured (why)" in place of walking figures that were not measured
    left = [("worn", d(m["worn_s"])), ("sitting upright", d(day.sitting_upright_s)), ("sitting slouched", d(m["slouch_s"])),
            ("standing", d(m["standing_s"])), ("walking", gait or d(m["walking_s"])), ("lying", d(m["lying_s"])),
            ("not worn", d(day.not_worn_s))]
    middle = [("upright 0-20 deg", d(m["upright_0_20_s"])), ("upright 20-60 deg", d(m["upright_20_60_s"])),
              ("upright over 60 deg", d(m["upright_over_60_s"])),
              ("bends (high/mod./low)", f"{m['bends']:.0f} ({m['bends_high']:.0f}/{m['bends_moderate']:.0f}/{m['bends_low']:.0f})"),
              ("bends per hour worn", "-" if day.bends_per_hour_worn is None else f"{day.bends_per_hour_worn:.1f}"),
              ("slouch episodes", f"{m['slouch_episodes']:.0f}")]
    right = [("walking bouts", gait or str(day.walking_bouts)), ("steps", gait or f"{m['steps']:.0f}"),
             ("sedentary bouts", f"{m['sedentary_bouts']:.0f}"), ("longest sedentary", d(m["longest_sedentary_s"])),
             ("alerts", f"{m['alerts']:.0f}"), *((f"  {k.replace('_', ' ')}", str(n)) for k, n in day.alerts_by_kind.items())]
    top = pages.y
    for x, column in ((0.0, left), (2.45, middle), (4.9, right)):
        pages.y = top
        pages.rows([(label, value) for label, value in column], (x, x + 1.45), 7.5)
    pages.y = top + LINE_IN * 7.5 / 8 * max(len(left), len(middle), len(right)) + 0.2


def _profile(pages: Pages, data: ReportData) -> None:
    p = data.profile
    pages.heading("Thresholds and calibration")
    source = f"profile {data.profile_path}" if data.profile_path else "defaults (no --profile given)"
    neutral = "learnt per sitting period" if p.sitting_neutral_deg is None else f"{p.sitting_neutral_deg:g} deg (fixed)"
    pages.paragraph(f"Thresholds: {source}. Sitting neutral: {neutral}. Calibration: {calibration_text(data.calibration)}.")
    rows = []
    for th in THRESHOLDS:
        value = p.values[th.name]
        mark = "" if value == th.default else f" (default {th.default:g})"
        rows.append((th.name, f"{value:g} {th.unit}{mark}", textwrap.shorten(th.meaning, 80)))
    pages.rows(rows, (0, 1.85, 3.05), 6.5)


def _quality(pages: Pages, data: ReportData) -> None:
    pages.heading("Data quality")
    rows = [("recording", "start", "length", "worn", "gaps", "missing", "reconnects", "notes")]
    for q in data.quality:
        rows.append((textwrap.shorten(q.name, 28), f"{q.start:%Y-%m-%d %H:%M}", duration(q.duration_s), duration(q.worn_s),
                     str(q.gaps), duration(q.missing_s), "-" if q.reconnects is None else str(q.reconnects),
                     textwrap.shorten(f"{q.angles_from} {q.note}".strip(), 40)))
    pages.rows(rows, (0, 1.75, 2.75, 3.4, 4.05, 4.45, 5.05, 5.8), 7)
    for name, why in data.skipped:
        pages.paragraph(f"Not used: {name}: {why}", 7)
    for w in data.warnings:
        pages.paragraph(f"Warning: {w}", 7)
    pages.paragraph("Reconnects: '-' for recordings not made over Bluetooth (imported or simulated).", 7)


def _methods(pages: Pages) -> None:
    pages.heading("Methods")
    pages.paragraph(METHOD, 7.5)
    pages.rows([("validated", "figure", "data"), *VALIDATION], (0, 3.2, 4.9), 7)
    pages.y += 0.08
    pages.paragraph(SIMULATION_ONLY, 7.5)
