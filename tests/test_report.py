"""`sensorkit report`: the therapist's report, checked in a real browser and against `analyze --json`.

The HTML is opened in headless Chromium (the distribution's ``chromium``; ``.ci/run`` installs it):
it must load without a console message (the report has no script, so any message is an error), every
chart must be drawn (its image decoded, and non-white pixels inside its box on a screenshot), and the
figures on the page (``data-metric``/``data-value``) must equal ``sensorkit analyze --json``'s. The PDF
is read back with pypdf: A4 pages, the text, and an image per chart.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sensorkit.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
DOCS_PICTURE = ROOT / "docs" / "report.png"
WIDTH = 1000  # CSS pixels of the browser window (device scale factor 1)

# a patient's three ISO weeks: five half-hour recordings on separate days, plus another patient in the folder
FOLDER_DAYS = ("2025-03-03", "2025-03-05", "2025-03-11", "2025-03-13", "2025-03-19")


def simulate(path: Path, start: str, patient: str, seed: int = 0, duration: int = 300, scenario: str = "demo") -> Path:
    assert main(["simulate", "--scenario", scenario, "--duration", str(duration), "--seed", str(seed), "--start", start,
                 "--tz", "Europe/Berlin", "--patient", patient, "-o", str(path), "-q"]) == 0
    return path


def analyze_json(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    assert main(["analyze", "--json", str(path)]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simulate(tmp_path_factory.mktemp("one") / "day.skr", "2025-03-03T09:00", "P1", duration=600)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("clinic") / "patients"
    (root / "P2").mkdir(parents=True)
    for i, day in enumerate(FOLDER_DAYS):
        simulate(root / "P2" / f"{day}.skr", f"{day}T09:{10 * i:02d}", "P2", seed=i, duration=1800,
                 scenario=("warehouse", "office")[i % 2])  # a compressed warehouse or office day
    (root / "P3").mkdir()
    simulate(root / "P3" / "other.skr", "2025-03-04T10:00", "P3", seed=9, duration=120)
    return root


@pytest.fixture(scope="module")
def folder_report(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out") / "P2.html"
    assert main(["report", str(folder), "--patient", "P2", "-o", str(out), "-q"]) == 0
    return out


# ---- the browser ----

@pytest.fixture(scope="session")
def chromium() -> str:
    """The headless browser, or a skip (a failure in CI, where .ci/run installs it)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail("CI must have Chromium (.ci/run installs the distribution's chromium package)")
    pytest.skip("Chromium is not installed (apt-get install chromium); the report's browser checks need it")


def run_browser(browser: str, page: Path, *args: str, height: int = 800) -> subprocess.CompletedProcess[str]:
    cmd = [browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           "--force-device-scale-factor=1", f"--window-size={WIDTH},{height}", "--enable-logging=stderr", "--v=0",
           f"--user-data-dir={page.parent / '.chromium'}", *args, page.resolve().as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


# measures each chart's box after every image has loaded, into the title (nothing visible changes)
MEASURE = """<script>window.addEventListener("load", () => {
  const boxes = [...document.querySelectorAll("img.chart")].map(img => { const r = img.getBoundingClientRect();
    return {name: img.dataset.chart, x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height,
            decoded: img.complete && img.naturalWidth > 0}; });
  document.title = JSON.stringify({height: document.documentElement.scrollHeight, boxes: boxes});
});</script>"""


def chart_boxes(browser: str, report: Path) -> dict:
    probe = report.with_name("probe-" + report.name)
    probe.write_text(report.read_text().replace("</body>", MEASURE + "</body>"))
    dom = run_browser(browser, probe, "--dump-dom").stdout
    return json.loads(re.search(r"<title>(.*?)</title>", dom, re.S).group(1).replace("&amp;", "&"))


def screenshot(browser: str, report: Path, height: int) -> "object":
    from matplotlib.image import imread

    shot = report.with_suffix(".png")
    run_browser(browser, report, f"--screenshot={shot}", height=height)
    return imread(shot)


class Figures(HTMLParser):
    """The page's ``data-metric``/``data-value`` pairs, per day (``data-date``) and for the page."""

    def __init__(self) -> None:
        super().__init__()
        self.days: dict[str, dict[str, str]] = {}
        self.page: dict[str, str] = {}
        self.day: str | None = None
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "article" and a.get("data-date"):
            self.day = a["data-date"]
            self.days[self.day] = {}
        if "data-metric" in a:
            (self.days[self.day] if self.day else self.page)[a["data-metric"]] = a["data-value"] or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self.day = None


def page_figures(dom: str) -> Figures:
    parser = Figures()
    parser.feed(dom)
    return parser


def expected_day(day: dict) -> dict[str, float]:
    """What the page must show for one of analyze --json's days, in its units."""
    posture, sev = day["posture_s"], day["bends"]["by_severity"]
    walking = day.get("walking_s", 0.0)
    return {
        "worn_s": day["worn_s"], "not_worn_s": day["not_worn_s"], "slouch_s": day["slouch"]["total_s"],
        "sitting_upright_s": posture["sitting"] - day["slouch"]["total_s"],
        "standing_s": round(max(0.0, posture["standing"] - walking), 1), "walking_s": walking,
        "lying_s": posture["lying"], "upright_0_20_s": day["flexion_band_s"]["0_20"],
        "upright_20_60_s": day["flexion_band_s"]["20_60"], "upright_over_60_s": day["flexion_band_s"]["over_60"],
        "bends": day["bends"]["count"], "bends_high": sev["high"], "bends_moderate": sev["moderate"],
        "bends_low": sev["low"], "bends_per_hour_worn": day["bends"]["per_hour_worn"],
        "slouch_episodes": day["slouch"]["episodes"], "steps": day.get("steps", 0),
        "sedentary_bouts": day["sedentary"]["bouts"], "longest_sedentary_s": day["sedentary"]["longest_s"],
        "alerts": sum(day["alerts"].values()), **{f"alert_{k}": n for k, n in day["alerts"].items()},
    }


def assert_day_equals(shown: dict[str, str], day: dict, events: list[dict], origin_day: str) -> None:
    want = expected_day(day)
    for key, value in want.items():
        assert float(shown[key]) == pytest.approx(value, abs=1e-9), (origin_day, key)
    bouts = [e for e in events if e["type"] == "walking_bout"]
    assert int(shown["walking_bouts"]) == len(bouts)


# ---- one recording ----

def test_one_recording_in_the_browser_equals_analyze_json(recording: Path, chromium: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.html"
    assert main(["report", str(recording), "-o", str(out), "-q"]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    html = out.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html), "the report must fetch nothing"
    doc = analyze_json(recording, capsys)
    result = run_browser(chromium, out, "--dump-dom")
    assert console_messages(result.stderr) == []
    figures = page_figures(result.stdout)
    (day,) = doc["summary"]["days"]
    assert list(figures.days) == [day["date"]]
    assert_day_equals(figures.days[day["date"]], day, doc["events"], day["date"])
    total = doc["summary"]["total"]
    assert float(figures.page["mean_slouch_s"]) == pytest.approx(total["slouch"]["total_s"])
    assert float(figures.page["mean_bends_high"]) == total["bends"]["by_severity"]["high"]
    assert "Patient P1, 03 March 2025" in result.stdout


def test_timeline_is_local_clock_time(recording: Path) -> None:
    """The recording starts 09:00 in Berlin (08:00 UTC): the timeline's axis is labelled in Berlin time."""
    from sensorkit.report.charts import day_timeline, hours_shown, svg
    from sensorkit.report.gather import gather

    data = gather(recording)
    (day,) = data.days
    assert str(day.start) == "2025-03-03 00:00:00+01:00"
    first = min(s.start for s in day.segments)
    assert first.strftime("%H:%M %Z") == "09:00 CET"
    axis = hours_shown(data.days)
    assert axis == (9, 11)
    fig = day_timeline(day, axis)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["09:00", "10:00", "11:00"]
    assert "local time (CET)" in ax.get_title(loc="left")
    assert svg(fig).startswith(b"<?xml")


def test_the_browser_check_sees_console_errors(chromium: str, tmp_path: Path) -> None:
    """The console check can fail: a page with a script error is caught."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><body><script>console.error('broken'); missing();</script></body></html>")
    messages = console_messages(run_browser(chromium, page, "--dump-dom").stderr)
    assert any("broken" in m for m in messages) and any("missing" in m for m in messages)


def test_data_quality_and_thresholds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Gaps as `sensorkit info --json` counts them; a changed threshold and a calibration are shown."""
    rec = tmp_path / "lossy.skr"
    assert main(["simulate", "--scenario", "demo", "--duration", "120", "--loss", "0.05", "-o", str(rec), "-q"]) == 0
    capsys.readouterr()
    assert main(["info", "--json", str(rec)]) == 0
    info = json.loads(capsys.readouterr().out)
    profile = tmp_path / "p.toml"
    profile.write_text('[thresholds]\nslouch_tolerance_deg = 8\n\n[calibration]\nrotation = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]\n'
                       'source = "calibration"\n')
    out = tmp_path / "q.html"
    assert main(["report", str(rec), "--profile", str(profile), "-o", str(out), "-q"]) == 0
    html = out.read_text()
    page = page_figures(html).page
    assert int(page["gaps"]) == len(info["gaps"]) > 0
    rate = info["rate_hz"]
    assert float(page["missing_s"]) == pytest.approx(sum(g["samples"] for g in info["gaps"]) / rate)
    assert "8 deg (default 6)" in html and f"profile {profile}" in html and "Calibration: from calibration" in html


# ---- a patient's weeks ----

def test_folder_report_every_chart_drawn_and_figures_equal_analyze(folder: Path, folder_report: Path, chromium: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    result = run_browser(chromium, folder_report, "--dump-dom")
    assert console_messages(result.stderr) == []
    figures = page_figures(result.stdout)
    assert list(figures.days) == list(FOLDER_DAYS)  # P3's day (03-04) is not in P2's report
    for day in FOLDER_DAYS:
        doc = analyze_json(folder / "P2" / f"{day}.skr", capsys)
        (summary,) = doc["summary"]["days"]
        assert_day_equals(figures.days[day], summary, doc["events"], day)

    measured = chart_boxes(chromium, folder_report)
    names = [b["name"] for b in measured["boxes"]]
    assert names == ["trend-days", "trend-weeks", *(f"timeline-{d}" for d in FOLDER_DAYS)]
    pixels = screenshot(chromium, folder_report, measured["height"])
    for box in measured["boxes"]:
        assert box["decoded"], box["name"]
        assert box["w"] > 300 and box["h"] > 100, box
        x, y, w, h = (int(round(box[k])) for k in ("x", "y", "w", "h"))
        inside = pixels[y:y + h, x:x + w, :3]
        assert inside.shape[:2] == (h, w), f"{box['name']} is outside the screenshot"
        ink = (inside.min(axis=2) < 0.8).mean()  # share of pixels that are not white-ish
        colours = {tuple(p) for p in (inside.reshape(-1, 3) * 8).astype(int)}
        assert ink > 0.01 and len(colours) > 4, f"{box['name']} looks blank ({ink:.3%} ink)"


def test_folder_trends_equal_sensorkit_trends(folder: Path, folder_report: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["trends", str(folder), "--patient", "P2", "--json"]) == 0
    (patient,) = json.loads(capsys.readouterr().out)["patients"]
    figures = page_figures(folder_report.read_text())
    days = patient["days"]
    for key in ("slouch_s", "bends_high", "walking_s", "alerts", "steps"):
        assert float(figures.page[f"mean_{key}"]) == pytest.approx(sum(d[key] for d in days) / len(days), abs=1e-3)
    assert [w["week"] for w in patient["weeks"]] == ["2025-W10", "2025-W11", "2025-W12"]
    html = folder_report.read_text()
    slope = patient["trends"]["steps"]["slope_per_week"]
    mean = sum(d["steps"] for d in days) / len(days)
    word = "steady" if abs(slope) <= 0.05 * mean else "rising" if slope > 0 else "falling"
    assert f'data-trend="steps">{word}, {slope:+.1f} steps/day per week over 5 days' in html
    assert 'data-trend="worn_s">steady, +0.00 h/day per week over 5 days' in html  # every day is 30 min


def test_from_to_keep_local_days(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "week.html"
    assert main(["report", str(folder / "P2"), "--from", "2025-03-10", "--to", "2025-03-16", "-o", str(out), "-q"]) == 0
    assert list(page_figures(out.read_text()).days) == ["2025-03-11", "2025-03-13"]


def test_write_report_takes_a_list_of_recordings(folder: Path, folder_report: Path, tmp_path: Path) -> None:
    """The terminal app's entry point: the same days from a list of recordings, analysed in this process."""
    import matplotlib

    from sensorkit.report import write_report

    settings = (matplotlib.rcParams["font.size"], matplotlib.rcParams["pdf.fonttype"], matplotlib.get_backend())
    out = write_report([folder / "P2" / f"{day}.skr" for day in FOLDER_DAYS[:2]], tmp_path / "two.html", jobs=1)
    assert (matplotlib.rcParams["font.size"], matplotlib.rcParams["pdf.fonttype"], matplotlib.get_backend()) == settings
    two = page_figures(out.read_text()).days
    assert list(two) == list(FOLDER_DAYS[:2])
    whole = page_figures(folder_report.read_text()).days  # the folder's report was analysed in 2 processes
    assert all(two[d] == whole[d] for d in two)


# ---- the PDF ----

def test_pdf_pages_text_and_images(folder: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    out = tmp_path / "P2.pdf"
    assert main(["report", str(folder), "--patient", "P2", "-o", str(out), "-q"]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    assert len(reader.pages) >= 4
    for page in reader.pages:  # A4 portrait, in points
        assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    text = "\n".join(page.extract_text() for page in reader.pages)
    for words in ("Patient P2", "Time slouched", "Thresholds and calibration", "Data quality", "Methods",
                  "validated only in simulation", "Wednesday 19 March 2025"):
        assert words.lower() in text.lower(), words
    drawn = [name for page in reader.pages for name in re.findall(rb"/(\w+) Do", page.get_contents().get_data())]
    assert len(drawn) == len(set(drawn)) == 2 + len(FOLDER_DAYS)  # the two trend charts and a timeline per day
    for image in reader.pages[0].images:  # matplotlib shares one image dictionary between the pages
        pixels = image.image.convert("L")
        assert pixels.width > 1000 and pixels.getextrema()[0] < 100, image.name  # printable, and not blank


# ---- refusals, in one sentence ----

def test_refusals(folder: Path, recording: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def error(*args: str) -> str:
        capsys.readouterr()
        assert main(["report", "-q", *args]) == 1
        err = capsys.readouterr().err.strip()
        assert err.startswith("sensorkit: error: ") and "\n" not in err and "Traceback" not in err
        return err

    assert "several patients (P2, P3)" in error(str(folder), "-o", str(tmp_path / "r.html"))
    assert "no recording of patient 'P9'" in error(str(folder), "--patient", "P9", "-o", str(tmp_path / "r.html"))
    assert ".html or .pdf" in error(str(recording), "-o", str(tmp_path / "r.txt"))
    assert "no day of patient P1 between 2026-01-01" in error(str(recording), "--from", "2026-01-01",
                                                              "-o", str(tmp_path / "r.html"))
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.skr").write_text("not a recording")
    assert "no readable SensorKit recording (notes.skr is not a SensorKit recording" in error(str(junk), "-o",
                                                                                            str(tmp_path / "r.html"))
    assert "folder" in error(str(recording), "-o", str(tmp_path / "missing" / "r.html"))
    existing = tmp_path / "kept.html"
    existing.write_text("old")
    assert "already exists" in error(str(recording), "-o", str(existing))
    assert existing.read_text() == "old"
    assert not list(tmp_path.glob(".*.part"))


def test_without_matplotlib_the_error_names_the_extra(recording: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    assert main(["report", str(recording), "-o", str(tmp_path / "r.html")]) == 1
    err = capsys.readouterr().err
    assert "pip install 'sensorkit[report]'" in err and "matplotlib" in err
    assert not (tmp_path / "r.html").exists()


def test_methods_quote_the_readme() -> None:
    """Every validation figure the report quotes is still in the README's figures table."""
    from sensorkit.report.methods import VALIDATION

    readme = (ROOT / "README.md").read_text()
    for what, figure, data in VALIDATION:
        row = next((line for line in readme.splitlines() if line.startswith(f"| {what}")), None)
        assert row is not None, what
        assert figure in row and data in row, (what, figure, data)


# ---- the README's picture ----

def test_readme_picture_is_the_real_report(folder_report: Path, chromium: str) -> None:
    """docs/report.png is a screenshot of this report (SENSORKIT_UPDATE_DOCS=1 writes it again)."""
    from matplotlib.image import imread

    height = 2600
    pixels = screenshot(chromium, folder_report, height)
    if os.environ.get("SENSORKIT_UPDATE_DOCS"):
        DOCS_PICTURE.parent.mkdir(exist_ok=True)
        shutil.copyfile(folder_report.with_suffix(".png"), DOCS_PICTURE)
    committed = imread(DOCS_PICTURE)
    assert committed.shape[:2] == pixels.shape[:2] == (height, WIDTH)
    assert (committed[..., :3].min(axis=2) < 0.8).mean() > 0.05  # a page with charts, not a blank image
    assert "docs/report.png" in (ROOT / "README.md").read_text()


def test_timeline_on_a_daylight_saving_day() -> None:
    """30 March 2025 in Berlin has 23 hours: the axis runs in real time and reads 01:00, 03:00."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from sensorkit.report.charts import clock_at, elapsed_h
    from sensorkit.report.gather import ReportDay, Segment
    from sensorkit.trends import Day

    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2025, 3, 30, tzinfo=berlin)
    day = ReportDay(date(2025, 3, 30), start, datetime(2025, 3, 31, tzinfo=berlin), Day(date(2025, 3, 30), 1, {}))
    day.segments = [Segment("walking", datetime(2025, 3, 30, 3, 30, tzinfo=berlin), datetime(2025, 3, 30, 4, tzinfo=berlin))]
    assert elapsed_h(day, day.end) == 23
    assert elapsed_h(day, day.segments[0].start) == 2.5  # 00:00-02:00 CET, then 03:00 CEST
    assert [clock_at(day, h) for h in (1, 2, 3)] == ["01:00", "03:00", "04:00"]


def test_a_recording_over_midnight_is_two_local_days(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rec = simulate(tmp_path / "night.skr", "2025-03-03T23:50", "P5", duration=1200, scenario="office")
    out = tmp_path / "night.html"
    assert main(["report", str(rec), "-o", str(out), "-q"]) == 0
    doc = analyze_json(rec, capsys)
    shown = page_figures(out.read_text()).days
    assert list(shown) == [d["date"] for d in doc["summary"]["days"]] == ["2025-03-03", "2025-03-04"]
    for day in doc["summary"]["days"]:
        assert_day_equals(shown[day["date"]], day, [e for e in doc["events"] if _starts_on(e, day)], day["date"])


def _starts_on(event: dict, day: dict) -> bool:
    from datetime import datetime, timedelta

    origin = datetime.fromisoformat("2025-03-03T22:50:00+00:00")  # 23:50 in Berlin
    moment = origin + timedelta(seconds=event["start"])
    return datetime.fromisoformat(day["start"]) <= moment < datetime.fromisoformat(day["end"])


@pytest.mark.shared_data
def test_real_recording_report_equals_analyze(shared_data: Path, chromium: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A real waist recording (UCI HAPT experiment 1: sitting, standing, lying, walking, video-labelled):
    the report renders in the browser and its figures are analyze --json's."""
    from dataclasses import replace

    from sensorkit.datasets.uci_hapt import load_experiment
    from sensorkit.store import writing_new_recording

    hapt = load_experiment(shared_data / "uci_hapt", 1)
    rec = tmp_path / "hapt-exp01.skr"
    with writing_new_recording(rec, replace(hapt.meta, patient_id="U01"), overwrite=False) as writer:
        writer.append(hapt.block)
    out = tmp_path / "hapt.html"
    assert main(["report", str(rec), "-o", str(out), "-q"]) == 0
    doc = analyze_json(rec, capsys)
    result = run_browser(chromium, out, "--dump-dom")
    assert console_messages(result.stderr) == []
    shown = page_figures(result.stdout).days
    (day,) = doc["summary"]["days"]
    assert_day_equals(shown[day["date"]], day, doc["events"], day["date"])
    assert day["posture_s"]["sitting"] > 0 and day["posture_s"]["lying"] > 0 and day.get("steps", 0) > 0
    (box,) = chart_boxes(chromium, out)["boxes"]
    assert box["decoded"] and box["name"] == f"timeline-{day['date']}"


def test_a_copy_is_counted_once(recording: Path, tmp_path: Path) -> None:
    """Two copies of one recording in a patient's folder: one day, the copy named in data quality."""
    folder = tmp_path / "P1"
    folder.mkdir()
    shutil.copyfile(recording, folder / "day.skr")
    shutil.copyfile(recording, folder / "day-copy.skr")
    out = tmp_path / "copy.html"
    assert main(["report", str(tmp_path), "-o", str(out), "-q"]) == 0
    html = out.read_text()
    single = tmp_path / "single.html"
    assert main(["report", str(recording), "-o", str(single), "-q"]) == 0
    assert page_figures(html).days == page_figures(single.read_text()).days
    assert html.count("not counted: overlaps") == 1


def test_a_recording_overlapping_another_is_drawn_once(recording: Path, tmp_path: Path) -> None:
    """A recording that runs on 5 min past another of the patient's: its overlap is neither counted nor
    drawn twice; the timeline covers the 15 min once, and its marks are the bends and alerts counted."""
    from sensorkit.report.gather import gather

    folder = tmp_path / "P1"
    folder.mkdir()
    shutil.copyfile(recording, folder / "day.skr")
    simulate(folder / "later.skr", "2025-03-03T09:05", "P1", seed=3, duration=600)
    (day,) = gather(tmp_path).days
    segments = sorted(day.segments, key=lambda s: s.start)
    assert all(a.end <= b.start for a, b in zip(segments, segments[1:]))  # no moment drawn twice
    drawn = sum((s.end - s.start).total_seconds() for s in segments)
    assert drawn == pytest.approx(900.0, abs=1.0)
    assert segments[0].start.strftime("%H:%M") == "09:00"
    assert (segments[-1].end - segments[0].start).total_seconds() == pytest.approx(900.0, abs=1.0)
    assert sum(m.kind == "bend" for m in day.marks) == day.metrics["bends"]
    assert sum(day.alerts_by_kind.values()) == day.metrics["alerts"]
